//! `stackform diff-env`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::DiffEnvArgs;

pub fn run(_args: &DiffEnvArgs) -> Result<ExitCode> {
    bail!("`stackform diff-env` is not built yet")
}
