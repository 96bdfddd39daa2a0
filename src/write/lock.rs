//! One `gen` at a time per output folder. Two runs writing the same folder would otherwise
//! interleave their renames and could take each other's staged files for orphans.
//!
//! The lock is a `flock` on `<out>/.stackform/gen.lock`, released by the kernel however the
//! holder ends, so it never goes stale; the file's text only says who holds it. A second run
//! waits for it (saying who holds it) up to a timeout, then fails without writing.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Held until dropped.
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
}

/// The lock file of `out`.
pub fn lock_path(out: &Path) -> PathBuf {
    out.join(".stackform").join("gen.lock")
}

/// Takes the lock of `out`, waiting up to `timeout` for another run to release it;
/// `waiting` is called once with the holder's description when the wait starts.
pub fn acquire(out: &Path, timeout: Duration, waiting: impl FnOnce(&str)) -> Result<OutputLock> {
    let path = lock_path(out);
    let mut file = open_no_follow(&path)?;
    let start = Instant::now();
    let mut waiting = Some(waiting);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                let holder = holder(&mut file);
                if start.elapsed() >= timeout {
                    bail!(
                        "another `stackform gen` ({holder}) is writing `{}` and held `{}` for longer than {}; wait for it to finish, or raise `--lock-timeout`; nothing was written",
                        out.display(),
                        path.display(),
                        humantime::format_duration(timeout)
                    );
                }
                if let Some(waiting) = waiting.take() {
                    waiting(&holder);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock `{}`", path.display()));
            }
        }
    }
    let who = format!(
        "`gen` by pid {}, started {}",
        std::process::id(),
        crate::terraform::now()
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(who.as_bytes())?;
    Ok(OutputLock { _file: file })
}

fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut text);
    match text.trim() {
        "" => "holder unknown".to_string(),
        t => t.to_string(),
    }
}

/// Opens (creating) the lock file, refusing a link at `.stackform` or at the file: the lock is
/// truncated when taken, and must not truncate whatever a link points to.
fn open_no_follow(path: &Path) -> Result<File> {
    let dir = path.parent().unwrap_or(Path::new("."));
    for p in [dir, path] {
        if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
            bail!(
                "`{}` is a symbolic link; `gen` keeps its lock there and does not follow links: remove the link",
                p.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let file = OpenOptions::new()
        .mode(0o644)
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot open `{}`", path.display()))?;
    // A link put there between the check and the open shows as a different file.
    let opened = file.metadata()?;
    let named = std::fs::symlink_metadata(path)?;
    if named.file_type().is_symlink() || (opened.dev(), opened.ino()) != (named.dev(), named.ino())
    {
        bail!(
            "`{}` changed while it was opened (a symbolic link?); remove it and run `gen` again",
            path.display()
        );
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_waits_then_fails_naming_the_holder() {
        let out = tempfile::tempdir().expect("test setup");
        let held = acquire(out.path(), Duration::ZERO, |_| {}).expect("first lock");
        let mut seen = String::new();
        let err = acquire(out.path(), Duration::from_millis(120), |h| {
            seen = h.to_string()
        })
        .expect_err("held")
        .to_string();
        let pid = format!("pid {}", std::process::id());
        assert!(seen.contains(&pid), "{seen}");
        assert!(
            err.contains(&pid) && err.contains("--lock-timeout"),
            "{err}"
        );
        drop(held);
        acquire(out.path(), Duration::ZERO, |_| {}).expect("free again");
    }

    #[test]
    fn a_linked_lock_file_is_refused() {
        let out = tempfile::tempdir().expect("test setup");
        let victim = out.path().join("victim");
        std::fs::write(&victim, "keep").expect("test setup");
        std::fs::create_dir(out.path().join(".stackform")).expect("test setup");
        std::os::unix::fs::symlink(&victim, lock_path(out.path())).expect("test setup");
        let err = acquire(out.path(), Duration::ZERO, |_| {})
            .expect_err("link")
            .to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(victim).expect("victim"), "keep");
    }
}
