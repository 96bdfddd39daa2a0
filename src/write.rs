//! Applying rendered files to an output directory: atomic writes, the generated-header rules,
//! orphan removal, and the check mode that only reports differences as a diff.
//!
//! A run is all or nothing: every refusal is decided and every new file is staged (written and
//! flushed to a temporary file next to its target) before the first rename, so a failure before
//! then leaves the output as it was.

mod links;
pub mod lock;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use similar::TextDiff;

use crate::header::{Existing, inspect};
use crate::render::RenderedFile;
use links::LinkGuard;

/// Names of the temporary files a write stages next to its target.
const TEMP_PREFIX: &str = ".stackform-";

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
        .prefix(TEMP_PREFIX)
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
    let mut guard = LinkGuard::default();
    let rendered: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for file in files {
        guard.check(out, &file.path)?;
        match read_target(out, &file.path)? {
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
        guard.check(out, dir)?;
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

/// The current text of the file `relative` under `out`, refusing what `gen` could not replace
/// with a file: a folder at that path, or a file where one of its folders must be.
fn read_target(out: &Path, relative: &str) -> Result<Option<String>> {
    let path = out.join(relative);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => bail!(
            "`{relative}` is a folder where `gen` writes a file; move it away and run `gen` again; nothing was written"
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            let mut blocker = out.to_path_buf();
            for part in relative.split('/') {
                blocker.push(part);
                if blocker.is_file() {
                    break;
                }
            }
            bail!(
                "cannot create folder `{}` for `{relative}`: a file is in the way; move it away and run `gen` again; nothing was written",
                self::relative(out, &blocker)
            )
        }
        _ => read_if_exists(&path),
    }
}

fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// Every file under `dir` (none if it does not exist), skipping Terraform's working folders,
/// files another run is staging, and symbolic links (never ours, never followed).
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
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if name != ".terraform" && name != ".stackform" {
                    stack.push(path);
                }
            } else if !kind.is_symlink() && !name.to_string_lossy().starts_with(TEMP_PREFIX) {
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

/// Applies the changes. Called only when there are no conflicts (or `--force`). Stages every
/// write first; if staging fails, removes what it staged and the folders it made, and returns
/// the error with the output untouched.
pub fn apply(out: &Path, changes: &Changes) -> Result<()> {
    let mut made = Vec::new();
    let staged = match stage(out, changes, &mut made) {
        Ok(staged) => staged,
        Err(e) => {
            // Dropping a staged file deletes it; then the folders, deepest first.
            for dir in made.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e.context("nothing was written"));
        }
    };
    commit(out, staged, changes)
}

/// A new file's contents, flushed to a temporary file next to `target`.
struct Staged {
    file: tempfile::NamedTempFile,
    target: PathBuf,
    path: String,
}

/// Decides every refusal and writes every temporary file; renames nothing. Folders it creates
/// are added to `made`, parents first.
fn stage(out: &Path, changes: &Changes, made: &mut Vec<PathBuf>) -> Result<Vec<Staged>> {
    use std::os::unix::fs::PermissionsExt;
    let mut staged = Vec::new();
    for change in &changes.changes {
        let target = out.join(&change.path);
        let existing = match std::fs::symlink_metadata(&target) {
            Ok(meta) => Some(meta),
            // A file in the way of its folder: `make_dirs` says so.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                None
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot inspect `{}`", target.display()));
            }
        };
        if let Some(meta) = &existing
            && !meta.file_type().is_file()
        {
            bail!(
                "`{}` is {} where `gen` writes a file; move it away and run `gen` again",
                change.path,
                if meta.is_dir() {
                    "a folder"
                } else {
                    "not a regular file"
                }
            );
        }
        if change.action == Action::Remove {
            continue;
        }
        let dir = target.parent().unwrap_or(out);
        make_dirs(out, dir, &change.path, made)?;
        let mode = existing.map_or(0o644, |m| m.permissions().mode());
        let mut file = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
        let written = file
            .write_all(change.new.as_bytes())
            .and_then(|()| {
                file.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(mode))
            })
            .and_then(|()| file.as_file().sync_all());
        written.with_context(|| format!("cannot write a temporary file in `{}`", dir.display()))?;
        staged.push(Staged {
            file,
            target,
            path: change.path.clone(),
        });
    }
    Ok(staged)
}

/// Creates `dir` and the folders above it up to `out`, recording each one it made.
fn make_dirs(out: &Path, dir: &Path, path: &str, made: &mut Vec<PathBuf>) -> Result<()> {
    let mut missing = Vec::new();
    let mut d = dir;
    while d != out && !d.is_dir() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    for d in missing.into_iter().rev() {
        if let Err(e) = std::fs::create_dir(&d) {
            let why = if d.exists() {
                "a file is in the way".to_string()
            } else {
                e.to_string()
            };
            bail!(
                "cannot create folder `{}` for `{path}`: {why}; move it away and run `gen` again",
                relative(out, &d)
            );
        }
        made.push(d);
    }
    Ok(())
}

/// Renames the staged files into place, then removes orphans.
fn commit(out: &Path, staged: Vec<Staged>, changes: &Changes) -> Result<()> {
    let mut done = Vec::new();
    for s in staged {
        if let Err(e) = s.file.persist(&s.target) {
            return Err(e.error).with_context(|| {
                format!(
                    "cannot replace `{}` after {} other file{} had been replaced ({}); fix the cause and run `gen` again",
                    s.path,
                    done.len(),
                    if done.len() == 1 { "" } else { "s" },
                    if done.is_empty() { "none".to_string() } else { done.join(", ") }
                )
            });
        }
        done.push(s.path);
    }
    for change in changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Remove)
    {
        let path = out.join(&change.path);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str, action: Action) -> Change {
        Change {
            path: path.into(),
            action,
            old: String::new(),
            new: format!("new {path}\n"),
        }
    }

    #[test]
    fn a_failure_while_staging_removes_what_was_staged_and_the_folders_it_made() {
        let out = tempfile::tempdir().expect("test setup");
        let p = out.path();
        std::fs::create_dir(p.join("a")).expect("test setup");
        std::fs::write(p.join("a/keep.tf"), "old\n").expect("test setup");
        std::fs::write(p.join("a/gone.tf"), "orphan\n").expect("test setup");
        std::fs::write(p.join("e"), "a file where a folder must be\n").expect("test setup");
        let changes = Changes {
            changes: vec![
                change("a/keep.tf", Action::Update),
                change("a/gone.tf", Action::Remove),
                change("c/d/new.tf", Action::Create),
                change("e/f.tf", Action::Create),
            ],
            ..Changes::default()
        };
        let err = format!("{:#}", apply(p, &changes).expect_err("`e` is a file"));
        assert!(
            err.starts_with("nothing was written: cannot create folder `e`"),
            "{err}"
        );
        let mut left: Vec<String> = walk(p)
            .expect("walk")
            .iter()
            .map(|f| relative(p, f))
            .collect();
        // `walk` hides staged files; list the folder itself.
        left.extend(
            std::fs::read_dir(p.join("a"))
                .expect("list")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(TEMP_PREFIX)),
        );
        assert_eq!(left, ["a/gone.tf", "a/keep.tf", "e"]);
        assert_eq!(
            std::fs::read_to_string(p.join("a/keep.tf")).expect("read"),
            "old\n"
        );
        assert!(!p.join("c").exists(), "a folder made for staging stays");
    }
}
