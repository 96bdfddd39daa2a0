//! One `plan` or `apply` run: the binary, the interrupt counter and progress shared by every
//! root, and the steps (`init`, `plan`, `show`, `apply`) with their failures explained.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::binary::Binary;
use super::emulator::{self, Endpoint};
use super::progress::{Progress, Reporter};
use super::runner::{self, Interrupts, Outcome};
use super::store;
use super::target::Target;
use super::{StateLock, is_stale_plan, state_lock};

/// Exit status after an interrupt (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

pub struct Session {
    pub bin: Binary,
    pub cwd: PathBuf,
    pub interrupts: Interrupts,
    pub progress: Progress,
    /// `-lock-timeout` value for terraform (`30s`), when given.
    pub lock_timeout: Option<String>,
    /// The AWS API emulator terraform talks to (`--aws-endpoint`); `None` for real AWS.
    pub emulator: Option<Endpoint>,
}

/// Why a step did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// An interrupt came before the step started; nothing ran.
    InterruptedBefore,
    /// Terraform was interrupted once (and stopped) or twice (and was killed).
    Interrupted { times: u32, code: Option<i32> },
    /// The state lock is held by another run.
    Locked(StateLock),
    /// Terraform refused the saved plan: the state changed since it was made.
    Stale,
    /// Terraform failed: the exit code, or `None` for a signal.
    Exit(Option<i32>),
    /// Terraform could not be started, or stackform failed around it.
    Other(anyhow::Error),
}

#[derive(Debug)]
pub struct StepError {
    pub step: &'static str,
    pub failure: Failure,
    /// Terraform's output of the failed step.
    pub log: Vec<String>,
}

impl StepError {
    pub fn other(step: &'static str, e: anyhow::Error) -> Self {
        Self {
            step,
            failure: Failure::Other(e),
            log: Vec::new(),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self.failure {
            Failure::InterruptedBefore | Failure::Interrupted { .. } => ExitCode::from(INTERRUPTED),
            _ => ExitCode::from(1),
        }
    }

    /// What happened and what to run, for `target` (`applying` says whether the state may
    /// have been written). For `stackform apply`, see [`StepError::explain_apply`].
    pub fn explain(&self, target: &Target, applying: bool) -> String {
        let step = self.step;
        let label = &target.label;
        let replan = target.plan_command();
        match &self.failure {
            Failure::InterruptedBefore => {
                format!("interrupted before `{step}` of `{label}` started; nothing ran")
            }
            Failure::Interrupted { times: 1, code } => {
                let ended = match code {
                    Some(c) => format!("exit {c}"),
                    None => "ended by a signal".to_string(),
                };
                if applying {
                    format!(
                        "interrupted: Ctrl-C was passed to `terraform {step}` of `{label}`, which \
                         stopped cleanly ({ended}) and released the state lock; the state keeps \
                         what was applied before the interrupt; run `{replan}` to see what is \
                         left, then apply that plan"
                    )
                } else {
                    format!(
                        "interrupted: Ctrl-C was passed to `terraform {step}` of `{label}`, which \
                         stopped ({ended}); no plan was saved; run `{replan}` again"
                    )
                }
            }
            Failure::Interrupted { .. } => format!(
                "interrupted twice: `terraform {step}` of `{label}` was killed{}; its state lock \
                 may still be held: run `{replan}`, and if it reports a held lock, release it \
                 with `terraform -chdir={} force-unlock LOCK_ID`",
                if applying {
                    " and the state may lack what it was applying"
                } else {
                    ""
                },
                target.root_shown()
            ),
            Failure::Locked(lock) => {
                let retry = if applying {
                    target.apply_command()
                } else {
                    replan.clone()
                };
                lock.explain(label, &target.root_shown(), &retry, applying)
            }
            Failure::Stale => format!(
                "terraform says the saved plan of `{label}` is stale: the state changed after it \
                 was planned (another apply ran); nothing was applied; run `{replan}` again and \
                 review the new plan"
            ),
            Failure::Exit(code) => {
                let how = match code {
                    Some(c) => format!("exit {c}"),
                    None => "ended by a signal".to_string(),
                };
                if applying {
                    format!(
                        "`terraform {step}` failed for `{label}` ({how}, terraform's errors are \
                         above); the state holds what was applied before the failure and the \
                         saved plan is kept in `.stackform/{}/`; fix the cause, then run \
                         `{replan}` and apply the new plan",
                        target.store_name
                    )
                } else {
                    format!(
                        "`terraform {step}` failed for `{label}` ({how}, terraform's errors are \
                         above); fix the cause and run `{replan}` again"
                    )
                }
            }
            // Setup (the run lock, the saved-plan folder) is not a terraform step.
            Failure::Other(e) if step == "setup" => format!("{e:#}"),
            Failure::Other(e) => format!("`{step}` of `{label}`: {e:#}"),
        }
    }
}

impl StepError {
    /// What happened and what to run when a step of `stackform apply` failed: before the
    /// `apply` step itself nothing was applied and the saved plan is still good.
    pub fn explain_apply(&self, target: &Target) -> String {
        if self.step == "apply" {
            return self.explain(target, true);
        }
        let step = self.step;
        let label = &target.label;
        let retry = target.apply_command();
        match &self.failure {
            Failure::InterruptedBefore | Failure::Interrupted { .. } => format!(
                "interrupted during `{step}` of `{label}`, before anything was applied; the \
                 saved plan is kept; run `{retry}` again"
            ),
            Failure::Locked(_) | Failure::Stale | Failure::Other(_) => self.explain(target, true),
            Failure::Exit(code) => format!(
                "`terraform {step}` failed for `{label}` ({}, terraform's errors are above) \
                 before anything was applied; the saved plan is kept; fix the cause and run \
                 `{retry}` again",
                code.map_or_else(|| "ended by a signal".to_string(), |c| format!("exit {c}"))
            ),
        }
    }
}

impl Session {
    /// Runs one terraform step in `target`'s root. `ok` lists the exit codes that mean success.
    /// `live` shows terraform's output as it comes (apply); otherwise it is only kept.
    #[allow(clippy::too_many_arguments)]
    pub async fn step(
        &self,
        reporter: &mut Reporter,
        step: &'static str,
        target: &Target,
        args: Vec<String>,
        ok: &[i32],
        capture_stdout: bool,
        live: bool,
    ) -> std::result::Result<Outcome, StepError> {
        if self.interrupts.count() > 0 {
            return Err(StepError {
                step,
                failure: Failure::InterruptedBefore,
                log: Vec::new(),
            });
        }
        reporter.step(step);
        let mut sink = |line: &str| {
            if live {
                reporter.println(line);
            }
        };
        let env = match &self.emulator {
            Some(endpoint) => endpoint.child_env(&emulator::data_dir(
                &self.cwd.join(store::BASE).join(&target.store_name),
            )),
            None => Vec::new(),
        };
        let started = std::time::Instant::now();
        let budget = self
            .lock_timeout
            .as_deref()
            .and_then(|t| humantime::parse_duration(t).ok())
            .unwrap_or_default();
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            let outcome = runner::run(
                &self.bin.path,
                &target.root,
                &args,
                &env,
                capture_stdout,
                &self.interrupts,
                &mut sink,
            )
            .await
            .map_err(|e| StepError::other(step, e))?;
            // With S3 lock files, a lock released between terraform's failed attempt to take it
            // and its read of who holds it ends the command with a lock error naming nobody,
            // even under -lock-timeout. Nothing ran, so the step runs again, within the
            // lock timeout (or once without one).
            let vanished = outcome.interrupted == 0
                && !outcome.code.is_some_and(|c| ok.contains(&c))
                && state_lock(&outcome.log).is_some_and(|lock| lock.id.is_empty());
            if vanished
                && self.interrupts.count() == 0
                && (attempts == 1 || (attempts <= 5 && started.elapsed() < budget))
            {
                sink(
                    "the state lock was released while terraform looked for its holder; trying again",
                );
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                continue;
            }
            break outcome;
        };
        if outcome.interrupted > 0 {
            return Err(StepError {
                step,
                failure: Failure::Interrupted {
                    times: outcome.interrupted,
                    code: outcome.code,
                },
                log: outcome.log,
            });
        }
        if outcome.code.is_some_and(|c| ok.contains(&c)) {
            return Ok(outcome);
        }
        let failure = if let Some(lock) = state_lock(&outcome.log) {
            Failure::Locked(lock)
        } else if is_stale_plan(&outcome.log) {
            Failure::Stale
        } else {
            Failure::Exit(outcome.code)
        };
        Err(StepError {
            step,
            failure,
            log: outcome.log,
        })
    }

    /// `init -input=false` with the partial backend configuration files, and in emulator mode
    /// the S3 backend's settings for it.
    pub fn init_args(&self, target: &Target, backend_config: &[String]) -> Vec<String> {
        let mut args = vec!["init".into(), "-input=false".into(), "-no-color".into()];
        args.extend(
            backend_config
                .iter()
                .map(|f| format!("-backend-config={f}")),
        );
        if self.emulator.is_some() && emulator::has_s3_backend(&target.root) {
            args.extend(emulator::backend_args());
        }
        args
    }

    pub fn lock_timeout_arg(&self) -> Option<String> {
        self.lock_timeout
            .as_ref()
            .map(|t| format!("-lock-timeout={t}"))
    }
}

/// `--lock-timeout` as terraform takes it (`humantime` syntax: `30s`, `5m`, `1h 30m`).
pub fn parse_lock_timeout(text: &str) -> Result<String> {
    let d = humantime::parse_duration(text).with_context(|| {
        format!("`--lock-timeout {text}` is not a duration; write it like `30s`, `5m` or `1h`")
    })?;
    // Milliseconds, so that `500ms` or `1.5s` are not cut to whole seconds.
    Ok(format!("{}ms", d.as_millis()))
}

/// `--backend-config` files, checked and made absolute (terraform runs in the root).
pub fn backend_config_files(files: &[PathBuf], cwd: &Path) -> Result<Vec<String>> {
    files
        .iter()
        .map(|f| {
            if !f.is_file() {
                anyhow::bail!(
                    "`--backend-config {}` is not a file; it takes a partial backend \
                     configuration file (`key = \"value\"` lines)",
                    f.display()
                );
            }
            Ok(cwd.join(f).display().to_string())
        })
        .collect()
}

/// Terraform's output of a failed step, indented under a line naming it.
pub fn log_block(target: &Target, err: &StepError) -> String {
    if err.log.iter().all(|l| l.trim().is_empty()) {
        return String::new();
    }
    let mut out = format!(
        "terraform output of `{}` for `{}`:\n",
        err.step, target.label
    );
    let mut blank = false;
    for line in &err.log {
        // Terraform pads errors with blank lines; one is enough in a buffered block.
        if line.trim().is_empty() {
            if blank {
                continue;
            }
            blank = true;
        } else {
            blank = false;
        }
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
