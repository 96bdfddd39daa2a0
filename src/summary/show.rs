//! Reading a binary plan file through `terraform show -json`.
//!
//! A small stand-in until the orchestrator's `src/terraform/` runner exists; it uses the same
//! discovery (`--terraform-bin`, then `STACKFORM_TERRAFORM`, then `terraform` or `tofu` on
//! `PATH`). `show` needs the providers of the root the plan came from, which live in the
//! root's `.terraform/` directory, so it runs in the nearest directory at or above the plan
//! file that has one (else the plan file's own directory).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The Terraform (or OpenTofu) binary to run.
pub fn find_terraform(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(bin) = flag {
        return resolve(bin.as_os_str()).with_context(|| {
            format!(
                "`--terraform-bin {}` is not an executable file",
                bin.display()
            )
        });
    }
    if let Some(bin) = std::env::var_os("STACKFORM_TERRAFORM").filter(|b| !b.is_empty()) {
        let shown = Path::new(&bin).display().to_string();
        return resolve(&bin).with_context(|| {
            format!("`STACKFORM_TERRAFORM={shown}` does not name an executable file")
        });
    }
    for name in ["terraform", "tofu"] {
        if let Some(found) = on_path(OsStr::new(name)) {
            return Ok(found);
        }
    }
    bail!(
        "neither `terraform` nor `tofu` is on PATH; install one, or name the binary with \
         `--terraform-bin PATH` or `STACKFORM_TERRAFORM`"
    )
}

/// A path if it contains a separator, else a name looked up on `PATH`.
fn resolve(bin: &OsStr) -> Option<PathBuf> {
    let path = Path::new(bin);
    if path.components().count() > 1 || path.is_absolute() {
        return is_executable(path).then(|| path.to_path_buf());
    }
    on_path(bin)
}

fn on_path(name: &OsStr) -> Option<PathBuf> {
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

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
