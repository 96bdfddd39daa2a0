//! `stackform init`: write the built-in E-Com67 model out for editing.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::InitArgs;
use crate::model::DEFAULT_STACK;

pub fn run(args: &InitArgs) -> Result<ExitCode> {
    if args.stack.exists() && !args.force {
        bail!(
            "`{}` already exists; edit it, or pass --force to replace it with the built-in model",
            args.stack.display()
        );
    }
    crate::write::atomic_write(&args.stack, DEFAULT_STACK)
        .with_context(|| format!("cannot write `{}`", args.stack.display()))?;
    let render = if args.stack == std::path::Path::new("stack.toml") {
        "stackform gen --all".to_string()
    } else {
        format!("stackform gen --all --stack {}", args.stack.display())
    };
    println!(
        "wrote {} (the E-Com67 model); render it with `{render}`",
        args.stack.display()
    );
    Ok(ExitCode::SUCCESS)
}
