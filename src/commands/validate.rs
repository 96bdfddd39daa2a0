//! `stackform validate`: read the model and report every problem, writing nothing.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::StackArg;

pub fn run(args: &StackArg) -> Result<ExitCode> {
    let source = super::read_stack(args.stack.as_deref())?;
    let Some(model) = super::load(&source) else {
        return Ok(ExitCode::from(1));
    };
    let envs = model.env_names().join(", ");
    let stack = &model.environments[0];
    println!(
        "{}: stack `{}` is valid: {} ({envs}), {}, {}, {}, {}",
        source.name,
        stack.name.value,
        count(model.environments.len(), "environment"),
        count(stack.functions.len(), "function"),
        count(stack.tables.len(), "table"),
        count(stack.queues.len(), "queue"),
        count(stack.state_machines.len(), "state machine"),
    );
    Ok(ExitCode::SUCCESS)
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
