//! `stackform tracing`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::TracingArgs;

pub fn run(_args: &TracingArgs) -> Result<ExitCode> {
    bail!("`stackform tracing` is not built yet")
}
