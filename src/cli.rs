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
    /// Run terraform init, plan and show; save the plan and print its summary
    Plan(PlanArgs),
    /// Apply exactly the saved plan of an environment or a Terraform root
    Apply(ApplyArgs),
    /// Create the Terraform state bucket of an environment if missing, locked down
    Bootstrap(BootstrapArgs),
    /// Summarise any Terraform plan for people, pull requests and pipelines
    Summary(SummaryArgs),
    /// Show what each environment actually traces, and where traces break
    Tracing(TracingArgs),
    /// Draw the service map of an environment with each node's tracing state
    Graph(GraphArgs),
    /// Show every setting that differs between two environments
    DiffEnv(DiffEnvArgs),
    /// Internal: runs terraform so that it stops when the stackform that started it dies
    #[command(name = "__run-terraform", hide = true)]
    RunTerraform(RunTerraformArgs),
}

#[derive(Debug, Args)]
pub struct RunTerraformArgs {
    /// Process id of the stackform run that started this one
    #[arg(long, value_name = "PID")]
    pub parent: u32,
    /// The terraform binary and its arguments
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
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
    #[arg(long, visible_alias = "dir", value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Write nothing; show a diff of every stale, missing or orphaned file and exit 1 if any
    #[arg(long, conflicts_with = "force")]
    pub check: bool,
    /// Overwrite or remove files that lack the generated header or were edited by hand
    #[arg(long)]
    pub force: bool,
    /// How long to wait while another `gen` writes the same folder, e.g. 10s [default: 60s]
    #[arg(long, value_name = "DUR", conflicts_with = "check")]
    pub lock_timeout: Option<String>,
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

/// Output formats of summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct TerraformArgs {
    /// Terraform or OpenTofu binary [default: $STACKFORM_TERRAFORM, else terraform or tofu on PATH]
    #[arg(long, value_name = "PATH")]
    pub terraform_bin: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).multiple(true).args(["env", "all", "dir"]))]
pub struct PlanArgs {
    /// Plan environments/<ENV>/ (after checking the generated HCL is up to date)
    #[arg(long, value_name = "ENV", conflicts_with_all = ["all", "dir"])]
    pub env: Option<String>,
    /// Plan every environment concurrently; with --dir PARENT, every root folder in PARENT
    #[arg(long)]
    pub all: bool,
    /// Plan any Terraform root directory (with --all: the folder holding the roots)
    #[arg(long, value_name = "ROOT")]
    pub dir: Option<PathBuf>,
    /// Summary format [default: text]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Roots planned at once with --all (each terraform with a real provider takes hundreds of MB)
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
    /// How long terraform waits for a held state lock, e.g. 30s or 5m
    #[arg(long, value_name = "DUR")]
    pub lock_timeout: Option<String>,
    /// Partial backend configuration passed to `terraform init` (repeatable)
    #[arg(long, value_name = "FILE")]
    pub backend_config: Vec<PathBuf>,
    /// Exit 3 when the plan carries any of these risk classes (comma-separated)
    #[arg(long, value_name = "CLASS,...", value_delimiter = ',')]
    pub fail_on: Vec<String>,
    /// Run against an AWS-compatible API (moto, LocalStack) at URL instead of real AWS
    /// [default: $STACKFORM_AWS_ENDPOINT]
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
    /// Emulator mode only: leave out every resource of this type (repeatable); the summary
    /// lists what was left out
    #[arg(long, value_name = "TYPE")]
    pub skip_type: Vec<String>,
    #[command(flatten)]
    pub stack: StackArg,
    #[command(flatten)]
    pub terraform: TerraformArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["env", "dir"]))]
pub struct ApplyArgs {
    /// Apply the saved plan of environments/<ENV>/
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Apply the saved plan of any Terraform root directory
    #[arg(long, value_name = "ROOT")]
    pub dir: Option<PathBuf>,
    /// Do not ask for confirmation (for pipelines)
    #[arg(long)]
    pub yes: bool,
    /// Allow deleting or replacing stateful resources (tables, queues, buckets, keys, log groups)
    #[arg(long)]
    pub allow_destroy: bool,
    /// Run against an AWS-compatible API (moto, LocalStack) at URL instead of real AWS
    /// [default: $STACKFORM_AWS_ENDPOINT]
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
    /// The `--skip-type` values the plan was made with (repeatable); must match the plan's
    #[arg(long, value_name = "TYPE")]
    pub skip_type: Vec<String>,
    /// How long terraform waits for a held state lock, e.g. 30s or 5m
    #[arg(long, value_name = "DUR")]
    pub lock_timeout: Option<String>,
    #[command(flatten)]
    pub terraform: TerraformArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["env", "all"]))]
pub struct BootstrapArgs {
    /// Bootstrap the state bucket of this environment
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Bootstrap the state bucket of every environment (a shared bucket once)
    #[arg(long)]
    pub all: bool,
    /// Run against an AWS-compatible API (moto, LocalStack) at URL instead of real AWS
    /// [default: $STACKFORM_AWS_ENDPOINT]
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
    #[command(flatten)]
    pub stack: StackArg,
    #[command(flatten)]
    pub terraform: TerraformArgs,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Plan JSON (`terraform show -json` output), a binary plan file, or `-` for standard input
    #[arg(value_name = "PLAN", default_value = "-")]
    pub plan: String,
    /// Output format [default: text]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Exit 3 when the plan carries any of these risk classes (comma-separated)
    #[arg(long, value_name = "CLASS,...", value_delimiter = ',')]
    pub fail_on: Vec<String>,
    #[command(flatten)]
    pub terraform: TerraformArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).multiple(true).args(["env", "all", "plan"]))]
pub struct TracingArgs {
    /// Environment whose rendered HCL (environments/<ENV>/) is read; with --plan, the
    /// environment the plan is for (its policy applies)
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Every environment, side by side
    #[arg(long, conflicts_with_all = ["env", "plan"])]
    pub all: bool,
    /// A plan JSON document (or binary plan file, or `-` for standard input): what will exist
    /// after apply
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Output format [default: text]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Directory that holds modules/ and environments/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub stack: StackArg,
    #[command(flatten)]
    pub terraform: TerraformArgs,
}

/// Output formats of the service map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Svg,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Environment to map
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Output format (svg needs graphviz's `dot`)
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
    /// Directory that holds modules/ and environments/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub stack: StackArg,
}

#[derive(Debug, Args)]
pub struct DiffEnvArgs {
    /// First environment
    pub a: String,
    /// Second environment
    pub b: String,
    /// Output format [default: text]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Directory that holds modules/ and environments/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub stack: StackArg,
}
