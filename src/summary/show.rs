//! Reading a binary plan file through `terraform show -json`.
//!
//! The binary is found as the orchestrator finds it (`crate::terraform::binary::locate`).
//! `show` needs the providers of the root the plan came from, which live in the
//! root's `.terraform/` directory, so it runs in the nearest directory at or above the plan
//! file that has one (else the plan file's own directory).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The directory `terraform show` must run in for `plan`: see the module note.
pub fn working_dir(plan: &Path) -> PathBuf {
    let start = match plan.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    start
        .ancestors()
        .find(|d| d.join(".terraform").is_dir())
        .map_or_else(|| start.clone(), Path::to_path_buf)
}

/// Runs `terraform show -json PLAN` and returns its standard output.
pub fn show_json(bin: &Path, plan: &Path) -> Result<Vec<u8>> {
    let abs = std::path::absolute(plan)
        .with_context(|| format!("cannot resolve the path `{}`", plan.display()))?;
    let dir = working_dir(&abs);
    let out = Command::new(bin)
        .args([
            OsStr::new("show"),
            OsStr::new("-json"),
            OsStr::new("-no-color"),
        ])
        .arg(&abs)
        .current_dir(&dir)
        .output()
        .with_context(|| format!("cannot run `{}`", bin.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr = stderr.trim();
        let code = out
            .status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
        bail!(
            "`{} show -json {}` failed with {code} in `{}`:\n{stderr}\nhint: run `terraform \
             init` in the root the plan was made in, and keep the plan file inside it",
            bin.display(),
            abs.display(),
            dir.display()
        );
    }
    Ok(out.stdout)
}
