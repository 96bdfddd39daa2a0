//! checkov, pinned and offline, on every rendered environment: no failed check, and exactly the
//! skips we expect, each with a reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::generated::rendered;
use crate::support::repo;

fn checkov() -> PathBuf {
    let venv = repo().join(".venv/bin/checkov");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("checkov")
}

/// (failed, skipped) as `CHECK resource` lines, from one checkov process for one root.
fn scan(root: &Path) -> (Vec<String>, BTreeSet<String>) {
    let out = Command::new(checkov())
        .args([
            "--directory",
            ".",
            "--framework",
            "terraform",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ])
        .current_dir(root)
        .output()
        .expect("checkov is installed by scripts/test (.venv/bin/checkov)");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "checkov failed to run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("checkov prints one JSON report");
    let summary = &report["summary"];
    assert_eq!(
        summary["parsing_errors"], 0,
        "checkov could not parse: {}",
        report["results"]["parsing_errors"]
    );
    assert!(
        summary["resource_count"].as_u64().unwrap_or(0) > 30,
        "checkov saw too few resources: {summary}"
    );
    let lines = |key: &str| -> Vec<(String, String)> {
        report["results"][key]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| {
                        let line = format!(
                            "{} {} ({})",
                            c["check_id"].as_str().unwrap_or(""),
                            c["resource"].as_str().unwrap_or(""),
                            c["file_abs_path"].as_str().unwrap_or("")
                        );
                        let reason = c["check_result"]["suppress_comment"]
                            .as_str()
                            .unwrap_or("")
                            .to_string();
                        (line, reason)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let failed = lines("failed_checks").into_iter().map(|(l, _)| l).collect();
    let skipped = lines("skipped_checks")
        .into_iter()
        .map(|(line, reason)| {
            assert!(!reason.trim().is_empty(), "skip without a reason: {line}");
            line.split(' ').take(2).collect::<Vec<_>>().join(" ")
        })
        .collect();
    (failed, skipped)
}

#[test]
fn checkov_passes_every_environment_with_only_the_expected_skips() {
    let t = rendered(None);
    let mut skipped_by_env = Vec::new();
    for env in ["dev", "staging", "prod"] {
        let (failed, skipped) = scan(&t.path().join("environments").join(env));
        assert!(
            failed.is_empty(),
            "checkov failed checks in {env}:\n{}",
            failed.join("\n")
        );
        skipped_by_env.push(skipped);
    }
    let (dev, staging, prod) = (&skipped_by_env[0], &skipped_by_env[1], &skipped_by_env[2]);
    assert_eq!(
        staging, prod,
        "staging and prod trace everything and skip the same checks"
    );
    let dev_only: Vec<&String> = dev.difference(prod).collect();
    assert_eq!(
        dev_only,
        [
            "CKV_AWS_284 module.state_machines.aws_sfn_state_machine.checkout",
            "CKV_AWS_73 module.api.aws_api_gateway_stage.this",
        ],
        "dev skips only the tracing checks it turns off"
    );
    let ids: BTreeSet<&str> = prod.iter().filter_map(|s| s.split(' ').next()).collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        [
            "CKV2_AWS_51",
            "CKV_AWS_109",
            "CKV_AWS_111",
            "CKV_AWS_116",
            "CKV_AWS_117",
            "CKV_AWS_120",
            "CKV_AWS_225",
            "CKV_AWS_272",
            "CKV_AWS_356",
            "CKV_AWS_59"
        ],
    );
}

#[test]
fn checkov_would_catch_tracing_turned_off_in_prod() {
    // Guards the test above: the same scan fails when prod's stage loses tracing.
    // The committed policy would refuse to render untraced prod; this test needs it rendered.
    let stack = crate::support::default_stack()
        .replacen(
            "[environments.prod]\n",
            "[environments.prod]\napi_tracing = false\n",
            1,
        )
        .replacen(
            "require_tracing = [\"prod\", \"staging\"]",
            "require_tracing = [\"staging\"]",
            1,
        );
    let t = rendered(Some(&stack));
    let main = t.path().join("environments/prod/main.tf");
    let text = std::fs::read_to_string(&main).expect("main.tf");
    // Remove the skip the renderer writes for an environment that turns tracing off.
    let without_skip: String = text
        .lines()
        .filter(|l| !l.contains("checkov:skip=CKV_AWS_73"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&main, without_skip).expect("write");
    let (failed, _) = scan(&t.path().join("environments/prod"));
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("CKV_AWS_73 module.api.aws_api_gateway_stage.this")),
        "{failed:?}"
    );
}
