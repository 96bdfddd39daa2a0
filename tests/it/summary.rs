//! `stackform summary` as a user runs it: counts against ground truth and against terraform's
//! own `Plan:` line, every format, the risk gate, secrets, and input that is not a plan.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{repo, terraform};

const COUNTS: &[&str] = &[
    "add",
    "change",
    "destroy",
    "import",
    "replace",
    "read",
    "move",
    "forget",
    "no_op",
    "drift",
    "output_changes",
];

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/plans").join(name)
}

struct Output {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Output {
    /// Exit status, stdout and stderr in one string, for snapshots of a whole run.
    fn whole(&self) -> String {
        format!(
            "status: {}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    fn json(&self) -> Value {
        assert_eq!(self.status, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).expect("stdout is JSON")
    }
}

/// One run of `stackform summary ARGS`, with optional stdin and environment.
struct Run {
    args: Vec<String>,
    stdin: Vec<u8>,
    env: Vec<(String, String)>,
    dir: PathBuf,
}

fn summary<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Run {
    Run {
        args: std::iter::once("summary".to_string())
            .chain(args.into_iter().map(|a| a.as_ref().to_string()))
            .collect(),
        stdin: Vec::new(),
        env: vec![("NO_COLOR".into(), "1".into())],
        dir: repo(),
    }
}

impl Run {
    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    fn env(mut self, k: &str, v: &str) -> Self {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.into(), v.into()));
        self
    }

    fn without_env(mut self, k: &str) -> Self {
        self.env.retain(|(key, _)| key != k);
        self
    }

    fn dir(mut self, dir: &Path) -> Self {
        self.dir = dir.to_path_buf();
        self
    }

    fn run(self) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackform"));
        cmd.args(&self.args)
            .current_dir(&self.dir)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("STACKFORM_TERRAFORM")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("run stackform");
        if let Some(mut stdin) = child.stdin.take() {
            // The binary may stop reading early on bad input; a broken pipe is fine.
            let _ = stdin.write_all(&self.stdin);
        }
        let out = child.wait_with_output().expect("wait for stackform");
        Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

// ---- counts against ground truth ---------------------------------------------------------

#[test]
fn every_real_plan_gives_the_counts_in_expected_jsonl() {
    let expected = std::fs::read_to_string(fixture("EXPECTED.jsonl")).expect("EXPECTED.jsonl");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let want: Value = serde_json::from_str(line).expect("EXPECTED.jsonl line");
        let file = want["file"].as_str().expect("file");
        let got = summary([
            fixture(file).to_string_lossy(),
            "--format".into(),
            "json".into(),
        ])
        .run()
        .json();
        for key in COUNTS {
            if got[key] != want[key] {
                wrong.push(format!("{file}: `{key}` is {} not {}", got[key], want[key]));
            }
        }
        // The text format leads with Terraform's own line.
        let text = summary([fixture(file).to_string_lossy()]).run().stdout;
        let first = text.lines().next().unwrap_or_default();
        match want["plan_line"].as_str() {
            Some(line) => assert_eq!(first, line, "{file}"),
            None => assert!(first.starts_with("No "), "{file}: {first}"),
        }
        checked += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(checked, 26, "every plan in EXPECTED.jsonl is checked");
}

// ---- counts against terraform itself -----------------------------------------------------

/// A Terraform root of `terraform_data` resources in a temporary directory.
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn new(main_tf: &str) -> Self {
        let root = Root {
            dir: tempfile::tempdir().expect("temporary directory"),
        };
        root.write(main_tf);
        root.tf(&["init", "-no-color", "-input=false"]);
        root
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, main_tf: &str) {
        std::fs::write(self.path().join("main.tf"), main_tf).expect("write main.tf");
    }

    fn tf(&self, args: &[&str]) -> String {
        let out = terraform(self.path(), args);
        assert!(
            out.status.success(),
            "terraform {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn apply(&self) {
        self.tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    }

    /// Plans into `tfplan`, writes `plan.json`, and returns terraform's `Plan:` line (or the
    /// "No changes." sentence).
    fn plan(&self) -> String {
        let text = self.tf(&["plan", "-no-color", "-input=false", "-out=tfplan"]);
        let json = self.tf(&["show", "-json", "tfplan"]);
        std::fs::write(self.path().join("plan.json"), json).expect("write plan.json");
        text.lines()
            .find(|l| l.starts_with("Plan: ") || l.starts_with("No changes."))
            .map(|l| {
                if l.starts_with("No changes.") {
                    "No changes.".to_string()
                } else {
                    l.to_string()
                }
            })
            .unwrap_or_else(|| panic!("no Plan: line in:\n{text}"))
    }

    /// Checks the summary of the JSON plan and of the binary plan against terraform's line,
    /// and returns the JSON summary.
    fn check(&self, plan_line: &str) -> Value {
        let json = summary(["plan.json", "--format", "json"])
            .dir(self.path())
            .run()
            .json();
        let line = plan_line_of(&json);
        assert_eq!(line, plan_line, "counts: {json}");
        for format in ["text", "markdown", "json"] {
            let from_json = summary(["plan.json", "--format", format])
                .dir(self.path())
                .run();
            let from_binary = summary(["tfplan", "--format", format])
                .dir(self.path())
                .run();
            assert_eq!(from_binary.status, 0, "{}", from_binary.stderr);
            assert_eq!(from_json.stdout, from_binary.stdout, "{format}");
        }
        let text = summary(["plan.json"]).dir(self.path()).run().stdout;
        assert_eq!(text.lines().next(), Some(plan_line));
        json
    }
}

/// The `Plan:` line the JSON counts imply, as Terraform would print it.
fn plan_line_of(json: &Value) -> String {
    let n = |k: &str| json[k].as_u64().unwrap_or(99);
    let shown = json["resources"].as_array().map_or(0, Vec::len);
    if shown == 0 {
        return "No changes.".to_string();
    }
    let import = if n("import") > 0 {
        format!("{} to import, ", n("import"))
    } else {
        String::new()
    };
    format!(
        "Plan: {import}{} to add, {} to change, {} to destroy.",
        n("add"),
        n("change"),
        n("destroy")
    )
}

const FIRST: &str = r#"
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "updated" { input = { name = "x", size = 1 } }
resource "terraform_data" "replaced" { triggers_replace = ["v1"] }
resource "terraform_data" "deleted" { input = 1 }
resource "terraform_data" "renamed" { input = "r" }
resource "terraform_data" "counted" {
  count = 3
  input = count.index
}
resource "terraform_data" "forgotten" { input = "f" }
resource "terraform_data" "swapped" {
  triggers_replace = ["v1"]
  lifecycle { create_before_destroy = true }
}
"#;

const SECOND: &str = r#"
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "updated" { input = { name = "y", size = 2 } }
resource "terraform_data" "replaced" { triggers_replace = ["v2"] }
resource "terraform_data" "created" { input = "new" }
resource "terraform_data" "moved_here" { input = "r" }
moved {
  from = terraform_data.renamed
  to   = terraform_data.moved_here
}
resource "terraform_data" "counted" {
  count = 2
  input = count.index
}
removed {
  from = terraform_data.forgotten
  lifecycle { destroy = false }
}
resource "terraform_data" "swapped" {
  triggers_replace = ["v2"]
  lifecycle { create_before_destroy = true }
}
import {
  to = terraform_data.imported
  id = "abc"
}
resource "terraform_data" "imported" {}
"#;

#[test]
fn a_fresh_root_counts_its_creates_like_terraform() {
    let root = Root::new(FIRST);
    let line = root.plan();
    assert_eq!(line, "Plan: 10 to add, 0 to change, 0 to destroy.");
    let json = root.check(&line);
    assert_eq!(json["resources"][0]["action"], "create");
}

#[test]
fn every_kind_of_change_counts_like_terraform() {
    let root = Root::new(FIRST);
    root.apply();
    root.write(SECOND);
    let line = root.plan();
    let json = root.check(&line);
    let by_address = |a: &str| {
        json["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["address"] == a)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        by_address("terraform_data.replaced")["actions"],
        serde_json::json!(["delete", "create"])
    );
    assert_eq!(
        by_address("terraform_data.replaced")["reason"],
        "replace_because_cannot_update"
    );
    assert_eq!(
        by_address("terraform_data.replaced")["replace_paths"],
        serde_json::json!(["triggers_replace"])
    );
    assert_eq!(
        by_address("terraform_data.swapped")["actions"],
        serde_json::json!(["create", "delete"])
    );
    assert_eq!(
        by_address("terraform_data.counted[2]")["reason"],
        "delete_because_count_index"
    );
    assert_eq!(by_address("terraform_data.forgotten")["action"], "forget");
    assert_eq!(by_address("terraform_data.imported")["importing"], true);
    assert_eq!(
        by_address("terraform_data.moved_here")["previous_address"],
        "terraform_data.renamed"
    );
    assert_eq!(
        by_address("terraform_data.updated")["changed_attributes"],
        serde_json::json!(["input.name", "input.size", "output"])
    );
    let counts: Vec<u64> = COUNTS
        .iter()
        .map(|k| json[k].as_u64().unwrap_or(99))
        .collect();
    // add change destroy import replace read move forget no_op drift output_changes
    assert_eq!(counts, [3, 1, 4, 1, 2, 0, 1, 1, 5, 0, 0]);
}

#[test]
fn a_move_alone_is_a_change_with_zero_counts() {
    let root = Root::new(r#"resource "terraform_data" "a" { input = 1 }"#);
    root.apply();
    root.write(
        r#"
resource "terraform_data" "b" { input = 1 }
moved {
  from = terraform_data.a
  to   = terraform_data.b
}
"#,
    );
    let line = root.plan();
    assert_eq!(line, "Plan: 0 to add, 0 to change, 0 to destroy.");
    let json = root.check(&line);
    assert_eq!(json["move"], 1);
}

#[test]
fn an_unchanged_root_has_no_changes() {
    let root = Root::new(r#"resource "terraform_data" "a" { input = 1 }"#);
    root.apply();
    let line = root.plan();
    assert_eq!(line, "No changes.");
    let json = root.check(&line);
    assert_eq!(json["no_op"], 1);
}

// ---- secrets -----------------------------------------------------------------------------

const SECRET_FIRST: &str = r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "tok3n-first-value"
}
resource "terraform_data" "flat" { input = var.token }
resource "terraform_data" "nested" {
  input = { name = "n", deep = [{ key = sensitive("d33p-first-value") }] }
}
resource "terraform_data" "forced" { triggers_replace = [var.token] }
resource "terraform_data" "gone" { input = sensitive("g0ne-first-value") }
output "token" {
  value     = var.token
  sensitive = true
}
output "object" {
  value     = { token = var.token }
  sensitive = true
}
"#;

const SECRET_SECOND: &str = r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "tok3n-second-value"
}
resource "terraform_data" "flat" { input = var.token }
resource "terraform_data" "nested" {
  input = { name = "m", deep = [{ key = sensitive("d33p-second-value") }] }
}
resource "terraform_data" "forced" { triggers_replace = [var.token] }
resource "terraform_data" "fresh" { input = sensitive("fr3sh-second-value") }
output "token" {
  value     = var.token
  sensitive = true
}
output "object" {
  value     = { token = var.token }
  sensitive = true
}
"#;

const SECRETS: &[&str] = &[
    "tok3n-",
    "d33p-",
    "g0ne-",
    "fr3sh-",
    "first-value",
    "second-value",
];

#[test]
fn sensitive_values_never_appear_in_any_format() {
    let root = Root::new(SECRET_FIRST);
    root.apply();
    root.write(SECRET_SECOND);
    let line = root.plan();
    let json = root.check(&line);
    assert_eq!(
        json["replace"], 1,
        "the sensitive trigger forces a replacement"
    );
    let raw = std::fs::read_to_string(root.path().join("plan.json")).expect("plan.json");
    assert!(
        raw.contains("tok3n-first-value"),
        "the plan holds secrets in clear"
    );
    for format in ["text", "markdown", "json"] {
        for plan in ["plan.json", "tfplan"] {
            let out = summary([plan, "--format", format]).dir(root.path()).run();
            assert_eq!(out.status, 0, "{}", out.stderr);
            for s in SECRETS {
                assert!(
                    !out.stdout.contains(s) && !out.stderr.contains(s),
                    "{s} in {format} of {plan}:\n{}",
                    out.stdout
                );
            }
        }
    }
    let text = summary(["plan.json"]).dir(root.path()).run().stdout;
    assert!(
        text.contains("~ input = (sensitive) -> (sensitive)"),
        "{text}"
    );
    assert!(
        text.contains("~ input.deep[0].key = (sensitive) -> (sensitive)"),
        "{text}"
    );
    assert!(
        text.contains("~ token = (sensitive) -> (sensitive)"),
        "{text}"
    );
}

#[test]
fn secrets_in_a_stored_plan_never_appear() {
    let plan = fixture("stackform__risks.json");
    for format in ["text", "markdown", "json"] {
        let out = summary([plan.to_string_lossy().as_ref(), "--format", format]).run();
        assert_eq!(out.status, 0, "{}", out.stderr);
        for s in ["sk_live", "SECRET"] {
            assert!(
                !out.stdout.contains(s) && !out.stderr.contains(s),
                "{s} in {format}:\n{}",
                out.whole()
            );
        }
    }
}

/// `{"d": {"d": ... leaf ...}}`, `depth` levels deep.
fn nest(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |v, _| serde_json::json!({ "d": v }))
}

#[test]
fn secrets_in_keys_paths_ids_sensitivity_changes_and_deep_values_never_appear() {
    use serde_json::json;
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "aws_x.a[\"Addr-S3cret\"]", "mode": "managed", "type": "aws_x", "name": "a",
                "change": {
                    "actions": ["update"],
                    "before": {"tags": {}, "tags_all": {}, "password": "OldPassw0rd-S3cret", "m": {}},
                    "after": {
                        "tags": {"Key-S3cret": "v"}, "tags_all": {"Key-S3cret": "v"},
                        "password": "NewPassw0rd-S3cret", "m": {"Key-S3cret": 1},
                    },
                    "after_unknown": {},
                    "before_sensitive": {},
                    "after_sensitive": {"tags": true, "password": true},
                    "replace_paths": [["m", "Key-S3cret"]],
                    "importing": {"id": "NewPassw0rd-S3cret"},
                },
            },
            {
                "address": "aws_x.b", "mode": "managed", "type": "aws_x", "name": "b",
                "change": {
                    "actions": ["update"],
                    "before": {"input": nest(130, json!("Deep0ld-S3cret")), "output": "Deep0ld-S3cret"},
                    "after": {"input": nest(130, json!("DeepNew-S3cret")), "output": "DeepNew-S3cret"},
                    "after_unknown": {},
                    "before_sensitive": {"input": true},
                    "after_sensitive": {"input": true},
                },
            },
            {
                "address": "aws_x.c[\"Addr-S3cret\"]", "mode": "managed", "type": "aws_x", "name": "c",
                "change": {"actions": ["create"], "before": null, "after": {"k": "Addr-S3cret"},
                           "after_unknown": {}, "after_sensitive": {"k": true}},
            },
        ],
        "output_changes": {
            "o": {"actions": ["update"], "before": "0utput-S3cret", "after": "0utput-New",
                  "before_sensitive": false, "after_sensitive": true},
        },
    });
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::write(root.path().join("plan.json"), plan.to_string()).expect("write plan");
    for format in ["text", "markdown", "json"] {
        let out = summary(["plan.json", "--format", format])
            .dir(root.path())
            .run();
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert!(
            !out.stdout.contains("S3cret") && !out.stderr.contains("S3cret"),
            "{format}:\n{}",
            out.whole()
        );
    }
    let text = summary(["plan.json"]).dir(root.path()).run().stdout;
    assert!(
        text.contains("~ password = (sensitive) -> (sensitive)"),
        "{text}"
    );
    assert!(text.contains("tags_all.(sensitive)"), "{text}");
    assert!(text.contains("~ o = (sensitive) -> (sensitive)"), "{text}");
    // A type error never quotes the offending value, even one that mimics serde's message.
    let bad = r#"{"format_version": "1.2", "resource_changes": [{"change": {"actions": "x, expected Err0r-S3cret"}}]}"#;
    let out = summary(["-"]).stdin(bad).run();
    assert_ne!(out.status, 0);
    assert!(!out.stderr.contains("S3cret"), "{}", out.stderr);
    assert!(!out.stdout.contains("S3cret"), "{}", out.stdout);
}

// ---- formats -----------------------------------------------------------------------------

fn render(file: &str, format: &str) -> Output {
    summary([fixture(file).to_string_lossy().as_ref(), "--format", format]).run()
}

#[test]
fn text_of_every_risk_class() {
    insta::assert_snapshot!(render("stackform__risks.json", "text").whole());
}

#[test]
fn markdown_of_every_risk_class() {
    insta::assert_snapshot!(render("stackform__risks.json", "markdown").whole());
}

#[test]
fn json_of_every_risk_class() {
    let out = render("stackform__risks.json", "json");
    let doc = out.json();
    let keys: Vec<&str> = doc
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut want = vec!["schema_version", "resources", "risks"];
    want.extend(COUNTS);
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    want.sort_unstable();
    assert_eq!(sorted, want, "top-level keys");
    insta::assert_snapshot!(out.whole());
}

#[test]
fn text_of_replace_drift_and_deletes() {
    insta::assert_snapshot!(
        render(
            "TraderMoe__terraform-delta-visualize__terraform_plan.json",
            "text"
        )
        .whole()
    );
}

#[test]
fn markdown_of_imports() {
    insta::assert_snapshot!(
        render(
            "cds-snc__terraform-plan__test_import_import.json",
            "markdown"
        )
        .whole()
    );
}

#[test]
fn text_of_drift_without_addresses_and_output_changes() {
    insta::assert_snapshot!(
        render(
            "terraform-compliance__cli__tests_functional_test_issue_522_plan.out.json",
            "text"
        )
        .whole()
    );
}

#[test]
fn colour_only_on_request_and_never_with_no_color() {
    let plan = fixture("stackform__risks.json");
    let plan = plan.to_string_lossy();
    let forced = summary([plan.as_ref()])
        .without_env("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .run();
    assert!(forced.stdout.contains("\u{1b}["), "{}", forced.stdout);
    let no_color = summary([plan.as_ref()]).env("CLICOLOR_FORCE", "1").run();
    assert!(!no_color.stdout.contains('\u{1b}'));
    let piped = summary([plan.as_ref()]).without_env("NO_COLOR").run();
    assert!(
        !piped.stdout.contains('\u{1b}'),
        "not a terminal: no colour"
    );
    let md = summary([plan.as_ref(), "--format", "markdown"])
        .without_env("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .run();
    assert!(!md.stdout.contains('\u{1b}'));
}

#[test]
fn markdown_of_a_5000_resource_plan_stays_under_githubs_limit() {
    let changes: Vec<Value> = (0..5000)
        .map(|i| {
            serde_json::json!({
                "address": format!("module.svc{:02}.aws_lambda_function.fn_{i:05}", i % 40),
                "module_address": format!("module.svc{:02}", i % 40),
                "mode": "managed", "type": "aws_lambda_function", "name": format!("fn_{i:05}"),
                "change": {
                    "actions": if i % 7 == 0 { serde_json::json!(["delete", "create"]) } else { serde_json::json!(["update"]) },
                    "before": {"memory_size": 128, "description": format!("old description of {i}"), "tags": {"team": "a"}},
                    "after": {"memory_size": 256, "description": format!("new description of {i}"), "tags": {"team": "b"}},
                    "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {},
                },
            })
        })
        .collect();
    let plan = serde_json::json!({"format_version": "1.2", "resource_changes": changes});
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("big.json"), plan.to_string()).expect("write plan");
    let out = summary(["big.json", "--format", "markdown"])
        .dir(dir.path())
        .run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    // The documented budget is 60,000 bytes (room for a bot's header under GitHub's limit).
    assert!(out.stdout.len() <= 60_000, "{} bytes", out.stdout.len());
    assert!(
        out.stdout.chars().count() < 65_536,
        "{} characters",
        out.stdout.chars().count()
    );
    assert!(
        out.stdout
            .starts_with("### Plan: 715 to add, 4285 to change, 715 to destroy.\n")
    );
    assert!(
        out.stdout
            .contains("> [!NOTE]\n> Trimmed to fit a pull-request comment:")
    );
    let again = summary(["big.json", "--format", "markdown"])
        .dir(dir.path())
        .run();
    assert_eq!(out.stdout, again.stdout, "trimming is deterministic");
}

// ---- the risk gate -----------------------------------------------------------------------

#[test]
fn fail_on_exits_3_when_a_named_class_occurs() {
    let plan = fixture("stackform__risks.json");
    let plan = plan.to_string_lossy();
    let out = summary([
        plan.as_ref(),
        "--format",
        "json",
        "--fail-on",
        "iam,destroy-stateful",
    ])
    .run();
    assert_eq!(out.status, 3, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "stackform: the plan carries 5 risks of class `destroy-stateful`, `iam` named in `--fail-on`\n"
    );
    assert!(out.stdout.starts_with('{'), "the summary is still printed");
    let clean = fixture(
        "borchero__terraform-plan-comment__tests_fixtures_basic_7-create-hundreds_plan.json",
    );
    let out = summary([
        clean.to_string_lossy().as_ref(),
        "--fail-on",
        "iam,destroy-stateful,tracing-regression",
    ])
    .run();
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[test]
fn fail_on_rejects_unknown_classes_and_lists_the_known_ones() {
    let plan = fixture("stackform__risks.json");
    let out = summary([plan.to_string_lossy().as_ref(), "--fail-on", "iam,destroy"]).run();
    insta::assert_snapshot!(out.whole());
}

// ---- input -------------------------------------------------------------------------------

fn plan_text() -> String {
    std::fs::read_to_string(fixture(
        "hashicorp__terraform-json__testdata_action_reason_plan.json",
    ))
    .expect("fixture")
}

#[test]
fn stdin_is_read_with_a_dash_or_no_argument() {
    for args in [vec!["-", "--format", "json"], vec!["--format", "json"]] {
        let out = summary(args).stdin(plan_text()).run();
        assert_eq!(out.json()["replace"], 1);
    }
}

#[test]
fn utf16_and_bom_input_is_read() {
    let text = plan_text();
    let mut bom8 = b"\xEF\xBB\xBF".to_vec();
    bom8.extend(text.as_bytes());
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        le.extend(u.to_le_bytes());
        be.extend(u.to_be_bytes());
    }
    for bytes in [bom8, le, be] {
        let out = summary(["--format", "json"]).stdin(bytes).run();
        assert_eq!(out.json()["add"], 1);
    }
}

#[test]
fn unknown_actions_are_reported_not_fatal() {
    let plan = plan_text().replace(r#"["delete","create"]"#, r#"["delete","teleport"]"#);
    assert!(plan.contains("teleport"));
    let json = summary(["--format", "json"]).stdin(plan.clone()).run();
    insta::assert_snapshot!(json.whole());
    let text = summary(Vec::<&str>::new()).stdin(plan).run();
    assert_eq!(text.status, 0);
    assert!(
        text.stdout
            .contains("warning: `null_resource.example` has actions [delete, teleport]"),
        "{}",
        text.stdout
    );
}

#[test]
fn input_that_is_not_a_plan_is_a_clear_error() {
    let plan = plan_text();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "binary plan on stdin",
            b"PK\x03\x04\x14\x00\x08\x00tfplan".to_vec(),
        ),
        ("two documents", format!("{plan}\n{plan}").into_bytes()),
        (
            "wrapper text",
            format!("::group::plan\n{plan}\n::endgroup::").into_bytes(),
        ),
        ("cut short", plan.as_bytes()[..plan.len() / 2].to_vec()),
        (
            "state",
            br#"{"format_version":"1.0","terraform_version":"1.11.4","values":{}}"#.to_vec(),
        ),
    ];
    let mut all = String::new();
    for (name, bytes) in cases {
        let out = summary(Vec::<&str>::new()).stdin(bytes).run();
        assert_eq!(out.status, 1, "{name}");
        assert!(out.stdout.is_empty(), "{name}");
        all.push_str(&format!("{name}: {}", out.stderr));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn a_missing_file_names_the_path() {
    let out = summary(["no-such-plan.json"]).run();
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .starts_with("stackform: error: cannot read the plan `no-such-plan.json`: "),
        "{}",
        out.stderr
    );
}

// ---- binary plan files -------------------------------------------------------------------

fn binary_plan() -> Root {
    let root = Root::new(r#"resource "terraform_data" "a" { input = 1 }"#);
    root.plan();
    root
}

#[test]
fn binary_plans_use_the_terraform_named_by_flag_then_env_then_path() {
    let root = binary_plan();
    let dir = tempfile::tempdir().expect("temporary directory");
    // A stand-in terraform that says who it is and fails.
    let fake = dir.path().join("terraform");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"fake terraform: $*\" >&2\nexit 7\n",
    )
    .expect("write");
    let mut perms = std::fs::metadata(&fake).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).expect("chmod");
    let fake = fake.to_string_lossy().into_owned();
    let real = "/usr/local/bin/terraform";

    let flag = summary(["tfplan", "--terraform-bin", &fake])
        .env("STACKFORM_TERRAFORM", real)
        .dir(root.path())
        .run();
    assert_eq!(flag.status, 1);
    assert!(
        flag.stderr.contains("failed with status 7"),
        "{}",
        flag.stderr
    );
    assert!(
        flag.stderr
            .contains("fake terraform: show -json -no-color /"),
        "{}",
        flag.stderr
    );

    let env = summary(["tfplan"])
        .env("STACKFORM_TERRAFORM", &fake)
        .dir(root.path())
        .run();
    assert!(
        env.stderr.contains("fake terraform: show"),
        "{}",
        env.stderr
    );

    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let on_path = summary(["tfplan"])
        .env("PATH", &path)
        .dir(root.path())
        .run();
    assert!(
        on_path.stderr.contains("fake terraform: show"),
        "{}",
        on_path.stderr
    );

    let missing = summary(["tfplan", "--terraform-bin", "/nonexistent/terraform"])
        .dir(root.path())
        .run();
    assert_eq!(missing.status, 1);
    assert_eq!(
        missing.stderr,
        "stackform: error: `tfplan` is a binary plan file: `--terraform-bin /nonexistent/terraform` is not an executable file or a command on `PATH`\n"
    );

    let none = summary(["tfplan"])
        .env("PATH", "/nonexistent")
        .dir(root.path())
        .run();
    assert!(
        none.stderr
            .contains("no terraform binary found: looked at `--terraform-bin`, `$STACKFORM_TERRAFORM`, and for `terraform` and `tofu` on `PATH`"),
        "{}",
        none.stderr
    );

    let real_run = summary(["tfplan"])
        .env("STACKFORM_TERRAFORM", real)
        .dir(root.path())
        .run();
    assert_eq!(real_run.status, 0, "{}", real_run.stderr);
    assert!(
        real_run
            .stdout
            .starts_with("Plan: 1 to add, 0 to change, 0 to destroy.\n")
    );
}

#[test]
fn a_binary_plan_is_read_from_another_directory() {
    let root = binary_plan();
    let elsewhere = tempfile::tempdir().expect("temporary directory");
    let plan = root.path().join("tfplan");
    let out = summary([plan.to_string_lossy().as_ref()])
        .dir(elsewhere.path())
        .run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("Plan: 1 to add"));
}

/// Runs `stackform ARGS` on a pseudo-terminal (util-linux `script`) with nothing typed.
fn on_a_terminal(args: &str, no_color: bool) -> Output {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_stackform"));
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &command, "/dev/null"])
        .current_dir(repo())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd
        .output()
        .expect("util-linux `script` runs a command on a pseudo-terminal");
    Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn text_on_a_terminal_is_coloured_unless_no_color() {
    let args = "summary tests/fixtures/plans/stackform__risks.json";
    let coloured = on_a_terminal(args, false);
    assert_eq!(coloured.status, 0, "{}", coloured.stdout);
    assert!(
        coloured.stdout.contains("\u{1b}[1mPlan: 3 to add"),
        "{}",
        coloured.stdout
    );
    let plain = on_a_terminal(args, true);
    assert_eq!(plain.status, 0, "{}", plain.stdout);
    assert!(
        plain.stdout.starts_with("Plan: 3 to add"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains('\u{1b}'), "{}", plain.stdout);
}

#[test]
fn no_plan_and_a_terminal_on_stdin_is_an_error_not_a_wait() {
    let out = on_a_terminal("summary", true);
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "stackform: error: no plan given: pass a plan file as PLAN, or pipe one in, e.g. \
             `terraform show -json tfplan | stackform summary`"
        ),
        "{}",
        out.stdout
    );
}
