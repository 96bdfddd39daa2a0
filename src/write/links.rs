//! `gen` writes only inside its output folder: a symbolic link on the way to a generated file
//! (`modules/`, `environments/`, `environments/<env>/`, a module folder, or the file itself)
//! would send the write, or the removal of an orphan, to wherever the link points.
//!
//! Each path is checked component by component with `symlink_metadata`, before anything is
//! read or written; the output folder itself may be a link (that is where the user sent it).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// Folders below the output already known to be real folders (or absent).
#[derive(Debug, Default)]
pub struct LinkGuard {
    checked: HashSet<PathBuf>,
}

impl LinkGuard {
    /// Refuses `relative` (a `/`-separated path under `out`) when it or a folder on the way to
    /// it is a symbolic link.
    pub fn check(&mut self, out: &Path, relative: &str) -> Result<()> {
        let mut path = out.to_path_buf();
        let mut shown = String::new();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path.push(part);
            if !shown.is_empty() {
                shown.push('/');
            }
            shown.push_str(part);
            if self.checked.contains(&path) {
                continue;
            }
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => refuse(out, &path, &shown)?,
                // Absent: nothing below it exists either.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                _ => {}
            }
            self.checked.insert(path.clone());
        }
        Ok(())
    }
}

fn refuse(out: &Path, path: &Path, shown: &str) -> Result<()> {
    let target = std::fs::read_link(path)
        .map(|t| format!(" (to `{}`)", t.display()))
        .unwrap_or_default();
    let what = if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        "a real folder"
    } else {
        "a real folder or file"
    };
    bail!(
        "`{}` is a symbolic link{target}; `gen` writes only inside `{}` and does not follow links there: replace the link with {what}, or pass the folder you meant as `--out`; nothing was written",
        Path::new(shown).display(),
        out.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_folder_on_the_way_is_named() {
        let dir = tempfile::tempdir().expect("test setup");
        let elsewhere = tempfile::tempdir().expect("test setup");
        std::fs::create_dir_all(dir.path().join("environments")).expect("test setup");
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("environments/dev"))
            .expect("test setup");
        let mut guard = LinkGuard::default();
        guard
            .check(dir.path(), "environments/prod/main.tf")
            .expect("no link on this path");
        let err = guard
            .check(dir.path(), "environments/dev/main.tf")
            .expect_err("linked folder")
            .to_string();
        assert!(
            err.starts_with("`environments/dev` is a symbolic link"),
            "{err}"
        );
    }
}
