//! One `gen` at a time per output folder. Two runs writing the same folder would otherwise
//! interleave their renames and could take each other's staged files for orphans.
//!
//! The lock is a `flock` on `<out>/.stackform/gen.lock`, released by the kernel however the
//! holder ends, so it never goes stale; the file's text only says who holds it. A second run
//! waits for it (saying who holds it) up to a timeout, then fails without writing.
//!
//! The holder deletes the file (and `.stackform/` when that is left empty) before it lets go,
//! so `gen` leaves nothing behind. A waiter that then gets the lock of the deleted file sees
//! that the path no longer names it, and starts over on the new one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Held until dropped; dropping it deletes the lock file, then releases the lock.
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Still locked here: whoever opened this file will find it gone and start over.
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::remove_dir(dir);
        }
        let _ = self.file.unlock();
    }
}

/// The lock file of `out`.
pub fn lock_path(out: &Path) -> PathBuf {
    out.join(".stackform").join("gen.lock")
}

/// Takes the lock of `out`, waiting up to `timeout` for another run to release it;
/// `waiting` is called once with the holder's description when the wait starts.
pub fn acquire(out: &Path, timeout: Duration, waiting: impl FnOnce(&str)) -> Result<OutputLock> {
    let path = lock_path(out);
    let start = Instant::now();
    let mut waiting = Some(waiting);
    let mut file = loop {
        let mut file = open_no_follow(&path)?;
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
        if names(&path, &file) {
            break file;
        }
        // The previous holder deleted this file on its way out.
    };
    let who = format!(
        "`gen` by pid {}, started {}",
        std::process::id(),
        crate::terraform::now()
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(who.as_bytes())?;
    Ok(OutputLock { file, path })
}

/// Whether `path` (not followed) is the file `file` has open.
fn names(path: &Path, file: &File) -> bool {
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(named), Ok(opened)) => {
            !named.file_type().is_symlink()
                && (named.dev(), named.ino()) == (opened.dev(), opened.ino())
        }
        _ => false,
    }
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
    // A holder removing an empty `.stackform/` on its way out can make the open miss it.
    let mut attempts = 0;
    let file = loop {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        match OpenOptions::new()
            .mode(0o644)
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
        {
            Ok(file) => break file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 10 => attempts += 1,
            Err(e) => return Err(e).with_context(|| format!("cannot open `{}`", path.display())),
        }
    };
    // A link put there between the check and the open shows as a different file.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!(
            "`{}` is a symbolic link; `gen` keeps its lock there and does not follow links: remove the link",
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
        assert!(
            !out.path().join(".stackform").exists(),
            "the lock file stays"
        );
        acquire(out.path(), Duration::ZERO, |_| {}).expect("free again");
    }

    #[test]
    fn a_waiter_on_a_deleted_lock_file_starts_over() {
        let out = tempfile::tempdir().expect("test setup");
        let first = acquire(out.path(), Duration::ZERO, |_| {}).expect("first lock");
        let waiter = std::thread::spawn({
            let out = out.path().to_path_buf();
            move || {
                let held = acquire(&out, Duration::from_secs(10), |_| {}).expect("waited");
                // It holds the file the path names now, so nobody else can take it.
                let current = names(&held.path, &held.file);
                let excluded = acquire(&out, Duration::ZERO, |_| {}).is_err();
                (current, excluded)
            }
        });
        // Let the waiter open the first file before it is deleted.
        std::thread::sleep(Duration::from_millis(300));
        drop(first);
        assert_eq!(waiter.join().expect("thread"), (true, true));
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
