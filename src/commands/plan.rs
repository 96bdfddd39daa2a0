//! `stackform plan`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::PlanArgs;

pub fn run(_args: &PlanArgs) -> Result<ExitCode> {
    bail!("`stackform plan` is not built yet")
}
