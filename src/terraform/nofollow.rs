//! Opening the files and folders of `.stackform/` without following symbolic links.
//!
//! Saved plans hold secrets and decide what `apply` runs. A link planted at
//! `.stackform/<name>/lock` (or any other name there, or at the folders themselves) would make
//! stackform truncate, chmod or read a file elsewhere: every open here uses `O_NOFOLLOW`
//! (`O_NONBLOCK` too, so a planted FIFO cannot hang a read), works on the opened descriptor
//! (fstat, fchmod), and refuses anything but a regular file or a real folder.

use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use rustix::fs::OFlags;
use rustix::io::Errno;

/// The refusal for a link (or other odd file) at `path`.
pub fn refusal(path: &Path, what: &str) -> anyhow::Error {
    anyhow!(
        "`{}` is {what}; stackform keeps saved plans only in real files and folders of its own \
         and never writes or reads through a link: remove it (`rm {}`) and run the command again",
        path.display(),
        path.display()
    )
}

fn flags(extra: OFlags) -> i32 {
    (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | extra).bits() as i32
}

/// `O_NOFOLLOW` on a link: `ELOOP`.
fn is_link_error(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(Errno::LOOP.raw_os_error())
}

const NOT_REGULAR: &str = "not a regular file";

/// Opens `path` with `options` plus no-follow, and checks it is a regular file.
pub fn open(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    let file = options.custom_flags(flags(OFlags::empty())).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            NOT_REGULAR,
        ));
    }
    Ok(file)
}

/// Turns an error of [`open`] into one that says what to do.
pub fn explain(path: &Path, e: std::io::Error, doing: &str) -> anyhow::Error {
    if is_link_error(&e) {
        return refusal(path, "a symbolic link");
    }
    if e.kind() == std::io::ErrorKind::InvalidData && e.to_string() == NOT_REGULAR {
        return refusal(path, NOT_REGULAR);
    }
    anyhow::Error::new(e).context(format!("cannot {doing} `{}`", path.display()))
}

/// The bytes of the regular file at `path`, not following a link; `None` when it is missing.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    let mut file = match open(path, OpenOptions::new().read(true)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(explain(path, e, "read")),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok(Some(bytes))
}

/// Narrows the regular file at `path` to 0600 if it is wider; nothing when it is missing.
pub fn restrict(path: &Path) -> Result<()> {
    let file = match open(path, OpenOptions::new().read(true)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(explain(path, e, "open")),
    };
    narrow(&file, path, 0o600)
}

fn narrow(file: &File, path: &Path, mode: u32) -> Result<()> {
    let current = file.metadata()?.permissions().mode();
    if current & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot restrict `{}` to its owner", path.display()))?;
    }
    Ok(())
}

/// Creates `dir` as 0700 (its parent must exist), or narrows an existing real folder to 0700;
/// refuses a link or a file there.
pub fn private_dir(dir: &Path) -> Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create `{}`", dir.display())),
    }
    let folder = OpenOptions::new()
        .read(true)
        .custom_flags(flags(OFlags::DIRECTORY))
        .open(dir)
        .map_err(|e| {
            if is_link_error(&e) || e.raw_os_error() == Some(Errno::NOTDIR.raw_os_error()) {
                match std::fs::symlink_metadata(dir) {
                    Ok(m) if m.file_type().is_symlink() => refusal(dir, "a symbolic link"),
                    _ => refusal(dir, "not a folder"),
                }
            } else {
                anyhow::Error::new(e).context(format!("cannot open `{}`", dir.display()))
            }
        })?;
    narrow(&folder, dir, 0o700)
}

/// Refuses a link (or anything but a regular file) at `path`, which is about to be replaced by
/// a rename: the rename would not follow it, but a planted link is a sign of tampering.
pub fn refuse_link_at(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(refusal(path, "a symbolic link")),
        Ok(m) if !m.is_file() => Err(refusal(path, "not a regular file")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_refused_and_their_targets_untouched() {
        let t = tempfile::tempdir().expect("test setup");
        let target = t.path().join("target");
        std::fs::write(&target, "keep").expect("test setup");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644))
            .expect("test setup");
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("test setup");
        let err = read(&link).expect_err("a link is refused").to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        let err = restrict(&link).expect_err("a link is refused").to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(
            std::fs::metadata(&target)
                .expect("test setup")
                .permissions()
                .mode()
                & 0o777,
            0o644
        );
        let dir_link = t.path().join("dir-link");
        std::os::unix::fs::symlink(t.path(), &dir_link).expect("test setup");
        let err = private_dir(&dir_link).expect_err("refused").to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        let err = private_dir(&target).expect_err("refused").to_string();
        assert!(err.contains("is not a folder"), "{err}");
        assert!(read(&t.path().join("missing")).expect("fine").is_none());
        assert_eq!(read(&target).expect("fine").as_deref(), Some(&b"keep"[..]));
    }
}
