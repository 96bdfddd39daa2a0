//! An advisory lock on one root's `.stackform/<name>/` folder, held for a whole `plan` or
//! `apply`, so that two stackform runs from one checkout never swap plans under each other.
//!
//! Terraform's state lock guards the state, not our saved files: a second `plan` could replace
//! the plan an `apply` is about to run. The lock is a `flock` on `lock`, released by the kernel
//! when the process ends however it ends; the file's text only says who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;

use anyhow::{Context as _, Result, bail};

use super::nofollow;
use super::store::Store;

/// Held until dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Takes the lock of `store` for `operation` (`plan`, `apply`), or says who holds it.
pub fn acquire(store: &Store, operation: &str, hint: &str) -> Result<RunLock> {
    let path = store.lock_path();
    // No truncation on open: the text belongs to the holder until we hold the lock.
    // Never through a link: truncating the holder's text would truncate the link's target.
    let mut file = nofollow::open(
        &path,
        OpenOptions::new()
            .mode(0o600)
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .map_err(|e| nofollow::explain(&path, e, "open"))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            bail!(
                "another stackform run holds `{}`{}; wait for it to finish, then run `{hint}` again",
                path.display(),
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" ({holder})")
                }
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock `{}`", path.display()));
        }
    }
    let who = format!(
        "`{operation}` by pid {}, started {}",
        std::process::id(),
        super::now()
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(who.as_bytes())?;
    Ok(RunLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_name() {
        let base = tempfile::tempdir().expect("test setup");
        let store = Store::open(base.path(), "dev").expect("test setup");
        let held = acquire(&store, "apply", "stackform plan --env dev").expect("first lock");
        let err = acquire(&store, "plan", "stackform plan --env dev")
            .expect_err("second lock must fail")
            .to_string();
        assert!(err.contains("another stackform run holds"), "{err}");
        assert!(err.contains("`apply` by pid"), "{err}");
        assert!(
            err.contains("run `stackform plan --env dev` again"),
            "{err}"
        );
        drop(held);
        acquire(&store, "plan", "stackform plan --env dev").expect("free again");
    }
}
