//! `stackform apply`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::ApplyArgs;

pub fn run(_args: &ApplyArgs) -> Result<ExitCode> {
    bail!("`stackform apply` is not built yet")
}
