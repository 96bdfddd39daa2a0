//! Running one terraform command with tokio: output captured line by line (and passed on to a
//! sink), Ctrl-C forwarded.
//!
//! Terraform is started through `child`, which ties its life to stackform's (a SIGKILL of
//! stackform makes it stop as after a Ctrl-C). It runs in its own process group, so a Ctrl-C typed at the terminal reaches only
//! stackform: terraform treats a second SIGINT as "exit now", and the terminal's copy plus ours
//! would be two. The first interrupt is forwarded once as SIGINT, which makes terraform stop
//! its operation, write state and release the state lock; a second one kills its group.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, BufReader};
use tokio::sync::{mpsc, watch};

/// Counts SIGINT and SIGTERM (how CI cancels a job) received by stackform.
#[derive(Clone)]
pub struct Interrupts {
    rx: watch::Receiver<u32>,
}

impl Interrupts {
    /// Installs the handlers (inside a tokio runtime). From here on, an interrupt no longer
    /// ends stackform by itself: commands check `count()` between steps.
    pub fn install() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let (tx, rx) = watch::channel(0u32);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                tx.send_modify(|n| *n += 1);
            }
        });
        Ok(Self { rx })
    }

    pub fn count(&self) -> u32 {
        *self.rx.borrow()
    }

    /// Returns once an interrupt has come (at once if one already has).
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|n| *n > 0).await.is_err() {
            // The counter is gone: no interrupt can come any more.
            std::future::pending::<()>().await;
        }
    }
}

/// How one terraform command ended.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Captured standard output, when asked for (`show -json`).
    pub stdout: Vec<u8>,
    /// Every line of output in the order it came (standard output too, unless captured).
    pub log: Vec<String>,
    /// Interrupts forwarded: 0, 1 (SIGINT sent) or 2 (process group killed).
    pub interrupted: u32,
}

/// Runs `bin args...` in `dir`, with `env` added to the environment. With `capture_stdout`, standard output is kept whole in
/// `stdout` instead of being split into `log`. Each log line is also passed to `sink`.
pub async fn run(
    bin: &Path,
    dir: &Path,
    args: &[String],
    env: &[(std::ffi::OsString, std::ffi::OsString)],
    capture_stdout: bool,
    interrupts: &Interrupts,
    sink: &mut (dyn FnMut(&str) + Send),
) -> Result<Outcome> {
    let spawn = |mut command: tokio::process::Command| {
        command
            .args(args)
            .current_dir(dir)
            .envs(super::child_env())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
    };
    // Without the tie when stackform's own binary cannot be started again (replaced on disk
    // while running): terraform still runs, as it would have before.
    let mut child = spawn(super::child::command(bin))
        .or_else(|_| spawn(tokio::process::Command::new(bin)))
        .with_context(|| format!("cannot start `{}`", bin.display()))?;
    let pid = child.id().and_then(|id| Pid::from_raw(id as i32));

    let (tx, mut lines) = mpsc::unbounded_channel::<String>();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_task = tokio::spawn({
        let tx = tx.clone();
        async move {
            let mut bytes = Vec::new();
            if let Some(s) = stdout {
                if capture_stdout {
                    let _ = BufReader::new(s).read_to_end(&mut bytes).await;
                } else {
                    forward_lines(s, &tx).await;
                }
            }
            bytes
        }
    });
    let err_task = tokio::spawn(async move {
        if let Some(s) = stderr {
            forward_lines(s, &tx).await;
        }
    });

    let mut rx = interrupts.rx.clone();
    // The caller starts a step only when no interrupt is pending, so one that is counted by
    // now arrived while terraform was starting: forward it at once rather than lose it.
    let mut seen = 0;
    let mut interrupted = 0;
    let pending = *rx.borrow_and_update();
    if pending > seen {
        seen = pending;
        interrupted = 1;
        if let Some(pid) = pid {
            let _ = kill_process(pid, Signal::INT);
        }
    }
    let mut log = Vec::new();
    let mut lines_open = true;
    let mut signals_open = true;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.context("lost track of terraform")?,
            line = lines.recv(), if lines_open => match line {
                Some(line) => {
                    sink(&line);
                    log.push(line);
                }
                None => lines_open = false,
            },
            changed = rx.changed(), if signals_open => {
                if changed.is_err() {
                    signals_open = false;
                    continue;
                }
                let now = *rx.borrow_and_update();
                if now > seen && interrupted < 2 {
                    seen = now;
                    interrupted += 1;
                    if let Some(pid) = pid {
                        // The process may have exited a moment ago: nothing left to signal.
                        let _ = if interrupted == 1 {
                            kill_process(pid, Signal::INT)
                        } else {
                            kill_process_group(pid, Signal::KILL)
                        };
                    }
                }
            }
        }
    };
    if interrupted > 0
        && let Some(pid) = pid
    {
        // Provisioner commands (a `local-exec` shell's children) can outlive terraform after an
        // interrupt; they are in its process group.
        let _ = kill_process_group(pid, Signal::TERM);
    }
    // The readers end when the pipes close; a grandchild that kept a pipe open must not hang
    // us, so wait a bounded time.
    let stdout = tokio::time::timeout(Duration::from_secs(2), out_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let _ = tokio::time::timeout(Duration::from_secs(2), err_task).await;
    while let Ok(line) = lines.try_recv() {
        sink(&line);
        log.push(line);
    }
    Ok(Outcome {
        code: status.code(),
        stdout,
        log,
        interrupted,
    })
}

async fn forward_lines(stream: impl AsyncRead + Unpin, tx: &mpsc::UnboundedSender<String>) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                let _ = tx.send(line.trim_end_matches(['\n', '\r']).to_string());
            }
        }
    }
}
