//! Terraform's life tied to stackform's: when stackform dies, even by SIGKILL, terraform gets
//! SIGINT, stops as after a Ctrl-C, writes its state and releases the state lock.
//!
//! Linux's `PR_SET_PDEATHSIG` does this, but it must be set in the child before `exec`, and
//! `pre_exec` needs `unsafe`. So stackform starts itself with a hidden subcommand
//! (`__run-terraform`) that sets the death signal, checks that its parent is still the
//! stackform that started it (it may have died in between), and `exec`s terraform, which keeps
//! the death signal. The signal fires when the *thread* that spawned the child ends: stackform
//! spawns terraform only from its main thread (a current-thread tokio runtime).
//!
//! A dead stackform no longer reads terraform's output, and terraform (a Go program) dies of
//! SIGPIPE at its first write to a pipe without readers, before it could release the lock. The
//! helper therefore hands terraform a read end of its own output pipes (`/proc/self/fd/1` and
//! `/2` opened for reading), so that its last lines go into the pipe's buffer (64 KiB) instead.

use std::ffi::OsString;
use std::os::fd::{AsFd as _, IntoRawFd as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use rustix::fs::{FileType, OFlags};
use rustix::io::FdFlags;
use rustix::process::Signal;

/// The hidden subcommand's name.
pub const SUBCOMMAND: &str = "__run-terraform";

/// A command that runs `bin` tied to this process's life (or plainly, where that is not
/// possible: another system, or no path to this binary).
pub fn command(bin: &Path) -> tokio::process::Command {
    if cfg!(target_os = "linux")
        && let Ok(me) = std::env::current_exe()
    {
        let mut c = tokio::process::Command::new(me);
        c.arg(SUBCOMMAND)
            .arg("--parent")
            .arg(std::process::id().to_string())
            .arg("--")
            .arg(bin);
        return c;
    }
    tokio::process::Command::new(bin)
}

/// `stackform __run-terraform --parent PID -- BIN ARGS...`: becomes `BIN ARGS...`.
pub fn run(parent: u32, command: &[OsString]) -> Result<ExitCode> {
    let Some((bin, args)) = command.split_first() else {
        anyhow::bail!("`{SUBCOMMAND}` needs a command after `--`");
    };
    // Where the kernel refuses (a restricted sandbox), terraform runs untied, as it would
    // have without this step.
    let tied = rustix::process::set_parent_process_death_signal(Some(Signal::INT)).is_ok();
    let ppid = rustix::process::getppid().map_or(0, |p| p.as_raw_pid().unsigned_abs());
    if tied && ppid != parent {
        // The stackform that started us died before the death signal was set: nobody would
        // stop terraform, so do not start it.
        anyhow::bail!("the stackform run that started terraform has ended; terraform not started");
    }
    for fd in 1..=2 {
        hold_reader(fd);
    }
    let err = std::process::Command::new(bin).args(args).exec();
    Err(err).with_context(|| format!("cannot start `{}`", Path::new(bin).display()))
}

/// Opens a read end of the pipe on standard output (1) or error (2), if it is one, and leaves
/// it open across `exec`. Without it only costs terraform's last lines if stackform dies.
fn hold_reader(fd: i32) {
    let is_pipe = match fd {
        1 => rustix::fs::fstat(std::io::stdout().as_fd()),
        _ => rustix::fs::fstat(std::io::stderr().as_fd()),
    }
    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Fifo);
    if !is_pipe {
        return;
    }
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(format!("/proc/self/fd/{fd}"));
    if let Ok(reader) = reader
        && rustix::io::fcntl_setfd(&reader, FdFlags::empty()).is_ok()
    {
        // Deliberately never closed: terraform inherits it.
        let _ = reader.into_raw_fd();
    }
}
