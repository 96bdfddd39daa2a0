//! Finding the `terraform` (or OpenTofu `tofu`) binary and checking its version.
//!
//! Asking a binary its version costs about as much as a whole `init` of a small root, so the
//! answer is cached in `.stackform/terraform.json`, keyed by the binary's path, size and
//! modification time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::UNIX_EPOCH;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::store;

/// The environment variable naming the binary when `--terraform-bin` is not given.
pub const ENV_VAR: &str = "STACKFORM_TERRAFORM";

/// Oldest Terraform release stackform drives: `-detailed-exitcode`, plan JSON 1.x and the
/// stale-plan check all behave as relied on from 1.5 on.
const MIN_TERRAFORM: (u32, u32) = (1, 5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Terraform,
    OpenTofu,
}

#[derive(Debug, Clone)]
pub struct Binary {
    pub path: PathBuf,
    /// First line of `version`, e.g. `Terraform v1.11.4`: recorded next to saved plans.
    pub banner: String,
}

/// Where the binary is: `--terraform-bin`, then `$STACKFORM_TERRAFORM`, then `terraform` or
/// `tofu` on `PATH`.
pub fn locate(flag: Option<&Path>) -> Result<PathBuf> {
    let from_env = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty());
    Ok(match (flag, from_env) {
        (Some(p), _) => resolve(p).with_context(|| {
            format!(
                "`--terraform-bin {}` is not an executable file or a command on `PATH`",
                p.display()
            )
        })?,
        (None, Some(v)) => {
            let p = PathBuf::from(&v);
            resolve(&p).with_context(|| {
                format!(
                    "`{ENV_VAR}={}` is not an executable file or a command on `PATH`",
                    p.display()
                )
            })?
        }
        (None, None) => match on_path("terraform").or_else(|| on_path("tofu")) {
            Some(p) => p,
            None => bail!(
                "no terraform binary found: looked at `--terraform-bin`, `${ENV_VAR}`, and for \
                 `terraform` and `tofu` on `PATH`; install Terraform >= 1.5 or OpenTofu, or pass \
                 `--terraform-bin PATH`"
            ),
        },
    })
}

/// Finds the binary as [`locate`] does, then checks its version (using `cache_dir` for the
/// cached answer).
pub fn find(flag: Option<&Path>, cache_dir: &Path) -> Result<Binary> {
    let path = locate(flag)?;
    let banner = cached_banner(&path, cache_dir)?;
    let (flavour, version) = parse_banner(&banner).with_context(|| {
        format!(
            "`{}` does not look like terraform or tofu: `version` printed `{banner}`",
            path.display()
        )
    })?;
    if !supported(flavour, version) {
        bail!(
            "`{}` is {banner}; stackform needs Terraform >= {}.{} or OpenTofu: upgrade it, or \
             point `--terraform-bin` at a newer one",
            path.display(),
            MIN_TERRAFORM.0,
            MIN_TERRAFORM.1
        );
    }
    Ok(Binary { path, banner })
}

/// Terraform from 1.5 on; every OpenTofu release (the first, 1.6, forked from Terraform 1.6).
fn supported(flavour: Flavour, version: (u32, u32, u32)) -> bool {
    flavour == Flavour::OpenTofu || (version.0, version.1) >= MIN_TERRAFORM
}

/// A path with a `/` is taken as is; a bare name is looked up on `PATH`.
fn resolve(p: &Path) -> Option<PathBuf> {
    if p.components().count() > 1 || p.is_absolute() {
        is_executable(p).then(|| p.to_path_buf())
    } else {
        on_path(&p.to_string_lossy())
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct CacheEntry {
    path: PathBuf,
    len: u64,
    modified_ns: u128,
    banner: String,
}

fn cached_banner(path: &Path, cache_dir: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let modified_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let cache = cache_dir.join("terraform.json");
    let key = |banner: String| CacheEntry {
        path: canonical.clone(),
        len: meta.len(),
        modified_ns,
        banner,
    };
    // A version manager's shim (tfenv, asdf, mise) is a script whose size and time stay the
    // same when it switches versions: never trust a cached answer for one.
    let script = std::fs::File::open(path)
        .and_then(|mut f| {
            let mut head = [0u8; 2];
            std::io::Read::read_exact(&mut f, &mut head).map(|()| head == *b"#!")
        })
        .unwrap_or(false);
    if !script
        && let Ok(Some(text)) = super::nofollow::read(&cache)
        && let Ok(entry) = serde_json::from_slice::<CacheEntry>(&text)
        && entry == key(entry.banner.clone())
    {
        return Ok(entry.banner);
    }
    let out = Command::new(path)
        .arg("version")
        .envs(super::child_env())
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{} version`", path.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let banner = stdout.lines().next().unwrap_or_default().trim().to_string();
    let usable =
        parse_banner(&banner).is_some_and(|(flavour, version)| supported(flavour, version));
    if out.status.success() && usable && !script {
        // A cache that cannot be written only costs time on the next run.
        let _ = serde_json::to_vec(&key(banner.clone()))
            .map_err(anyhow::Error::from)
            .and_then(|bytes| store::write_private(&cache, &bytes));
    }
    Ok(banner)
}

/// `Terraform v1.11.4` or `OpenTofu v1.8.3` (suffixes such as `-alpha20250101` ignored).
fn parse_banner(banner: &str) -> Option<(Flavour, (u32, u32, u32))> {
    let (name, version) = banner.split_once(" v")?;
    let flavour = match name {
        "Terraform" => Flavour::Terraform,
        "OpenTofu" => Flavour::OpenTofu,
        _ => return None,
    };
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().flatten().unwrap_or(0);
    Some((flavour, (major, minor, patch)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners_of_both_flavours_parse() {
        assert_eq!(
            parse_banner("Terraform v1.11.4"),
            Some((Flavour::Terraform, (1, 11, 4)))
        );
        assert_eq!(
            parse_banner("OpenTofu v1.8.3"),
            Some((Flavour::OpenTofu, (1, 8, 3)))
        );
        assert_eq!(
            parse_banner("Terraform v1.12.0-alpha20250101"),
            Some((Flavour::Terraform, (1, 12, 0)))
        );
        assert_eq!(parse_banner("Packer v1.9.0"), None);
        assert!(supported(Flavour::Terraform, (1, 5, 0)));
        assert!(!supported(Flavour::Terraform, (1, 4, 7)));
        assert!(supported(Flavour::OpenTofu, (1, 6, 0)));
        assert_eq!(parse_banner("Terraform vX"), None);
    }
}
