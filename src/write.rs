//! Applying rendered files to an output directory: atomic writes, the generated-header rules,
//! orphan removal, and the check mode that only reports differences as a diff.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use similar::TextDiff;

use crate::header::{Existing, inspect};
use crate::render::RenderedFile;

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so a
/// reader sees the old file or the new one, never half of one. Generated files are ordinary,
/// shared files: mode 0644, or the mode of the file they replace.
pub fn atomic_write(path: &Path, contents: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
    replace_file(path, contents.as_bytes(), mode, true)
}

/// The temporary-file-and-rename write behind [`atomic_write`] and the saved plans: `mode` is
/// set before the rename (temporary files start owner-only), `sync` flushes it to disk first.
pub fn replace_file(path: &Path, bytes: &[u8], mode: u32, sync: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".stackform-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path)
        .with_context(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Remove,
}

#[derive(Debug)]
pub struct Change {
    pub path: String,
    pub action: Action,
    pub old: String,
    pub new: String,
}

/// A file `gen` will not touch without `--force`.
#[derive(Debug)]
pub struct Conflict {
    pub path: String,
    pub why: &'static str,
}

#[derive(Debug, Default)]
pub struct Changes {
    pub changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
    pub unchanged: usize,
}

/// Compares rendered files with `out`. `owned` are the directories (relative to `out`) whose
/// generated files this run is responsible for, so files there that were not rendered are
/// orphans.
pub fn compare(
    out: &Path,
    files: &[RenderedFile],
    owned: &[String],
    force: bool,
) -> Result<Changes> {
    let mut result = Changes::default();
    let rendered: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for file in files {
        let path = out.join(&file.path);
        match read_if_exists(&path)? {
            None => result.changes.push(Change {
                path: file.path.clone(),
                action: Action::Create,
                old: String::new(),
                new: file.contents.clone(),
            }),
            Some(old) if old == file.contents => result.unchanged += 1,
            Some(old) => {
                let why = match inspect(&old) {
                    Existing::Generated => None,
                    Existing::Edited => Some("edited by hand since it was generated"),
                    Existing::Foreign => Some("has no stackform header (not generated)"),
                };
                if let (Some(why), false) = (why, force) {
                    result.conflicts.push(Conflict {
                        path: file.path.clone(),
                        why,
                    });
                }
                result.changes.push(Change {
                    path: file.path.clone(),
                    action: Action::Update,
                    old,
                    new: file.contents.clone(),
                });
            }
        }
    }
    for dir in owned {
        for path in walk(&out.join(dir))? {
            let relative = relative(out, &path);
            if rendered.contains(relative.as_str()) {
                continue;
            }
            let Some(old) = read_if_exists(&path)? else {
                continue;
            };
            match inspect(&old) {
                // Somebody's own file next to generated ones: not ours to remove.
                Existing::Foreign => continue,
                Existing::Edited if !force => result.conflicts.push(Conflict {
                    path: relative.clone(),
                    why: "is no longer generated but was edited by hand",
                }),
                _ => {}
            }
            result.changes.push(Change {
                path: relative,
                action: Action::Remove,
                old,
                new: String::new(),
            });
        }
    }
    result.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(result)
}

fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// Every file under `dir` (none if it does not exist), skipping Terraform's working folders.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot list `{}`", d.display())),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if entry.file_type()?.is_dir() {
                if name != ".terraform" && name != ".stackform" {
                    stack.push(path);
                }
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn relative(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Applies the changes. Called only when there are no conflicts (or `--force`).
pub fn apply(out: &Path, changes: &Changes) -> Result<()> {
    for change in &changes.changes {
        let path = out.join(&change.path);
        match change.action {
            Action::Create | Action::Update => atomic_write(&path, &change.new)?,
            Action::Remove => {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove `{}`", path.display()))?;
                // Drop directories the removal emptied, up to `out`.
                let mut dir = path.parent();
                while let Some(d) = dir {
                    if d == out || std::fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
    }
    Ok(())
}

/// A unified diff of every change, as `--check` prints it.
pub fn diff(changes: &Changes) -> String {
    let mut out = String::new();
    for change in &changes.changes {
        let (old_name, new_name) = match change.action {
            Action::Create => ("/dev/null".to_string(), format!("b/{}", change.path)),
            Action::Update => (format!("a/{}", change.path), format!("b/{}", change.path)),
            Action::Remove => (format!("a/{}", change.path), "/dev/null".to_string()),
        };
        let diff = TextDiff::from_lines(&change.old, &change.new);
        let _ = write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
        );
    }
    out
}
