//! `stackform summary`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::SummaryArgs;

pub fn run(_args: &SummaryArgs) -> Result<ExitCode> {
    bail!("`stackform summary` is not built yet")
}
