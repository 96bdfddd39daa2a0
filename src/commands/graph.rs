//! `stackform graph`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::GraphArgs;

pub fn run(_args: &GraphArgs) -> Result<ExitCode> {
    bail!("`stackform graph` is not built yet")
}
