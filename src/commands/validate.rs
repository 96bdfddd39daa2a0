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
        "{}: stack `{}` is valid: {} environments ({envs}), {} functions, {} tables, {} queues, {} state machines",
        source.name,
        stack.name.value,
        model.environments.len(),
        stack.functions.len(),
        stack.tables.len(),
        stack.queues.len(),
        stack.state_machines.len(),
    );
    Ok(ExitCode::SUCCESS)
}
