//! stackform: a typed model of a serverless AWS stack, rendered as reviewable Terraform.
//!
//! `main` parses arguments, runs one command and prints any error chain once.

mod cli;
mod commands;
mod header;
mod insight;
mod model;
mod render;
mod summary;
mod terraform;
mod write;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn run() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `plan` exits 2 for "changes", so a mistyped flag must not exit 2 as clap does.
            let _ = e.print();
            return Ok(match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            });
        }
    };
    match &cli.command {
        Command::Gen(args) => commands::generate::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Bootstrap(args) => commands::bootstrap::run(args),
        Command::Summary(args) => commands::summary::run(args),
        Command::Tracing(args) => commands::tracing::run(args),
        Command::Graph(args) => commands::graph::run(args),
        Command::DiffEnv(args) => commands::diff_env::run(args),
        Command::RunTerraform(args) => terraform::child::run(args.parent, &args.command),
    }
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("stackform: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `stackform ... | head` closes standard output early; `println!` then panics. Like other
/// command-line tools, end quietly with the status a SIGPIPE would give (128 + 13).
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
