//! Driving the real `terraform` (or `tofu`) binary for `plan` and `apply`: finding it, running
//! it with tokio, saving plans under `.stackform/`, and reading its failures.

pub mod binary;
pub mod child;
pub mod digest;
pub mod emulator;
pub mod lock;
pub mod nofollow;
pub mod progress;
pub mod runner;
pub mod session;
pub mod skip;
pub mod snapshot;
pub mod store;
pub mod target;

use std::ffi::OsString;
use std::time::SystemTime;

/// Environment for every terraform child: no update checks, no prompts, automation-style
/// output. A `TF_CLI_CONFIG_FILE` that points at a missing file makes terraform print a
/// warning on every command; it gets `/dev/null` instead. A real one is left alone (it may
/// hold provider mirrors or credentials).
pub fn child_env() -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("CHECKPOINT_DISABLE".into(), "1".into()),
        ("TF_IN_AUTOMATION".into(), "1".into()),
        ("TF_INPUT".into(), "0".into()),
    ];
    if let Some(cfg) = std::env::var_os("TF_CLI_CONFIG_FILE")
        && !std::path::Path::new(&cfg).exists()
    {
        env.push(("TF_CLI_CONFIG_FILE".into(), "/dev/null".into()));
    }
    env
}

/// Now, as an RFC 3339 UTC timestamp to the second.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// A terraform state lock held elsewhere, as terraform's `Lock Info:` block describes it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StateLock {
    pub id: String,
    pub path: String,
    pub operation: String,
    pub who: String,
    pub created: String,
}

/// Finds terraform's "Error acquiring the state lock" and its `Lock Info:` block in `log`.
pub fn state_lock(log: &[String]) -> Option<StateLock> {
    let start = log
        .iter()
        .position(|l| l.contains("Error acquiring the state lock"))?;
    let mut lock = StateLock::default();
    for line in &log[start..] {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        match key {
            "ID" => lock.id = value,
            "Path" => lock.path = value,
            "Operation" => lock.operation = value,
            "Who" => lock.who = value,
            "Created" => lock.created = value,
            _ => {}
        }
    }
    Some(lock)
}

impl StateLock {
    /// What to tell the user: whose lock, and how to wait or unlock. `applying` is set for
    /// `stackform apply`, whose saved plan goes stale once the lock holder applies.
    pub fn explain(&self, label: &str, root: &str, retry: &str, applying: bool) -> String {
        let mut held = Vec::new();
        if !self.path.is_empty() {
            held.push(format!("`{}`", self.path));
        }
        if !self.operation.is_empty() {
            held.push(format!(
                "operation `{}`",
                self.operation.trim_start_matches("OperationType")
            ));
        }
        if !self.who.is_empty() {
            held.push(format!("by `{}`", self.who));
        }
        if !self.created.is_empty() {
            held.push(format!("since {}", self.created));
        }
        let id = if self.id.is_empty() {
            "LOCK_ID".to_string()
        } else {
            self.id.clone()
        };
        let wait = if applying {
            "let that run finish, then plan again (its changes make this saved plan stale)"
                .to_string()
        } else {
            format!("wait for it with `{retry} --lock-timeout 10m`")
        };
        format!(
            "the state of `{label}` is locked by another terraform run (lock `{id}`{}{}); {wait}, \
             or, if that run is dead, release the lock with `terraform -chdir={root} force-unlock \
             {id}` and run `{retry}` again",
            if held.is_empty() { "" } else { ": " },
            held.join(", ")
        )
    }
}

/// Terraform refused a saved plan because the state changed after it was made.
pub fn is_stale_plan(log: &[String]) -> bool {
    log.iter().any(|l| l.contains("Saved plan is stale"))
}

/// The runtime terraform runs under: one thread, the main one. Terraform's parent-death
/// signal (see `child`) fires when the *thread* that spawned it ends, so terraform must never
/// be spawned from a worker thread that may end first.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_info_is_read_from_terraform_error_output() {
        let log: Vec<String> = "\
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode: 412
Lock Info:
  ID:        2f9a7c1e-1111-2222-3333-444455556666
  Path:      state/dev/terraform.tfstate
  Operation: OperationTypeApply
  Who:       ci@runner-7
  Version:   1.11.4
  Created:   2026-11-25 18:00:00.1 +0000 UTC
  Info:

Terraform acquires a state lock to protect the state from being written"
            .lines()
            .map(str::to_string)
            .collect();
        let lock = state_lock(&log).expect("a lock error");
        assert_eq!(lock.id, "2f9a7c1e-1111-2222-3333-444455556666");
        assert_eq!(lock.path, "state/dev/terraform.tfstate");
        assert_eq!(lock.who, "ci@runner-7");
        let text = lock.explain("dev", "environments/dev", "stackform apply --env dev", true);
        assert!(text.contains("operation `Apply`"), "{text}");
        assert!(text.contains("then plan again"), "{text}");
        let text = lock.explain("dev", "environments/dev", "stackform plan --env dev", false);
        assert!(
            text.contains("`stackform plan --env dev --lock-timeout 10m`"),
            "{text}"
        );
        assert!(
            text.contains("force-unlock 2f9a7c1e-1111-2222-3333-444455556666"),
            "{text}"
        );
        assert!(state_lock(&["Error: something else".to_string()]).is_none());
    }
}
