//! Command-line interface types (clap derive only; behaviour lives in `commands/`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "stackform",
    version,
    about = "Renders a typed model of a serverless AWS stack as reviewable Terraform, per environment"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render modules/ and environments/<env>/ from the stack model
    Gen(GenArgs),
    /// Check the stack model and report every problem
    Validate(StackArg),
    /// Write the built-in E-Com67 model to stack.toml for editing
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct StackArg {
    /// Stack model to read [default: ./stack.toml, else the built-in E-Com67 model]
    #[arg(long, value_name = "FILE")]
    pub stack: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["env", "all"]))]
pub struct GenArgs {
    /// Environment to render (with the shared modules)
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Render every environment
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub stack: StackArg,
    /// Directory that holds modules/ and environments/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Write nothing; show a diff of every stale, missing or orphaned file and exit 1 if any
    #[arg(long, conflicts_with = "force")]
    pub check: bool,
    /// Overwrite or remove files that lack the generated header or were edited by hand
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the model
    #[arg(long, value_name = "FILE", default_value = "stack.toml")]
    pub stack: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}
