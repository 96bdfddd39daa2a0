//! `plan` and `apply` with `--aws-endpoint` (emulator mode): terraform's S3 state lands on the
//! emulator with no file of the root changed, the saved plan records the endpoint, and `apply`
//! refuses a plan made for another endpoint in both directions. Roots use only the built-in
//! `terraform_data` resource; the state backend is a moto server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::moto::Moto;
use crate::support::{Output, files_under, output};

const BUCKET: &str = "emulated-state";
const KEY: &str = "demo/terraform.tfstate";

/// A root whose S3 backend names no endpoint: only emulator mode can send it to moto.
const S3_ROOT: &str = "terraform {\n  backend \"s3\" {\n    bucket = \"emulated-state\"\n    \
    key    = \"demo/terraform.tfstate\"\n    region = \"us-east-1\"\n  }\n}\n\n\
    resource \"terraform_data\" \"this\" {\n  input = \"on the emulator\"\n}\n";

/// A root with local state, which needs no AWS API at all.
const LOCAL_ROOT: &str = "resource \"terraform_data\" \"this\" {\n  input = \"local\"\n}\n";

pub struct Work {
    pub dir: tempfile::TempDir,
}

impl Work {
    pub fn new(root: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(dir.path().join("infra")).expect("create the root");
        std::fs::write(dir.path().join("infra/main.tf"), root).expect("write the root");
        Self { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// stackform with no AWS setting of the caller's: emulator mode supplies its own.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stackform"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env_remove("STACKFORM_TERRAFORM")
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") || key == "STACKFORM_AWS_ENDPOINT" {
                c.env_remove(key);
            }
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        output(self.command(args).output().expect("run stackform"))
    }

    /// stackform with the CLI configuration that installs hashicorp/aws from the mirror.
    pub fn run_with_mirror(&self, args: &[&str]) -> Output {
        let config = crate::provider::cli_config(self.dir.path());
        output(
            self.command(args)
                .env("TF_CLI_CONFIG_FILE", &config)
                .output()
                .expect("run stackform"),
        )
    }

    pub fn meta(&self) -> serde_json::Value {
        let text = std::fs::read(self.path(".stackform/dir-infra/meta.json"))
            .expect("a saved plan record");
        serde_json::from_slice(&text).expect("meta.json is JSON")
    }
}

/// The root's files with their contents.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(root)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read a root file");
            (p, bytes)
        })
        .collect()
}

#[test]
fn emulator_plan_records_the_endpoint_and_the_state_lands_in_the_emulator_bucket() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let w = Work::new(S3_ROOT);
    let before = snapshot(&w.path("infra"));
    // Given with a trailing `/`: recorded without it.
    let url = format!("{}/", moto.endpoint());

    let plan = w.run(&["plan", "--dir", "infra", "--aws-endpoint", &url]);
    assert_eq!(plan.status, 2, "{}", plan.stderr);
    assert!(
        plan.stderr.contains(&format!(
            "emulator mode: terraform talks to the AWS API at `{}`",
            moto.endpoint()
        )),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains("with test credentials `testing`"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains(&format!(
            "apply it with `stackform apply --dir infra --aws-endpoint {}`",
            moto.endpoint()
        )),
        "{}",
        plan.stderr
    );
    assert_eq!(w.meta()["aws_endpoint"], moto.endpoint());

    let apply = w.run(&[
        "apply",
        "--dir",
        "infra",
        "--yes",
        "--aws-endpoint",
        &moto.endpoint(),
    ]);
    assert_eq!(apply.status, 0, "{}", apply.stderr);
    let state: serde_json::Value = serde_json::from_slice(
        &moto
            .object(BUCKET, KEY)
            .expect("the state is on the emulator"),
    )
    .expect("the state object is JSON");
    assert_eq!(state["resources"][0]["type"], "terraform_data", "{state:#}");
    // Nothing written into the root: terraform's working data lives under `.stackform/`.
    assert_eq!(snapshot(&w.path("infra")), before);
    assert!(w.path(".stackform/dir-infra/emulator").is_dir());

    // The endpoint from the environment works the same; nothing is left to do.
    let again = output(
        w.command(&["plan", "--dir", "infra"])
            .env("STACKFORM_AWS_ENDPOINT", moto.endpoint())
            .output()
            .expect("run stackform"),
    );
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert_eq!(w.meta()["aws_endpoint"], moto.endpoint());
}

#[test]
fn apply_refuses_an_emulator_plan_for_real_aws() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let w = Work::new(S3_ROOT);
    let url = moto.endpoint();
    let plan = w.run(&["plan", "--dir", "infra", "--aws-endpoint", &url]);
    assert_eq!(plan.status, 2, "{}", plan.stderr);

    let apply = w.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains(&format!(
            "the saved plan of `infra` was made for the AWS API emulator at `{url}`, but this \
             apply would run against real AWS; nothing was applied"
        )),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains(&format!(
            "`stackform apply --dir infra --aws-endpoint {url}`"
        )),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("run `stackform plan --dir infra` to plan for real AWS"),
        "{}",
        apply.stderr
    );
    assert_eq!(moto.object(BUCKET, KEY), None, "no state was written");
    assert_eq!(w.meta()["applied_at"], serde_json::Value::Null);
}

#[test]
fn apply_refuses_a_real_aws_plan_on_an_emulator_or_another_emulator() {
    let w = Work::new(LOCAL_ROOT);
    let plan = w.run(&["plan", "--dir", "infra"]);
    assert_eq!(plan.status, 2, "{}", plan.stderr);
    assert_eq!(w.meta()["aws_endpoint"], serde_json::Value::Null);
    assert!(!plan.stderr.contains("emulator mode"), "{}", plan.stderr);

    let url = "http://127.0.0.1:4566";
    let apply = w.run(&["apply", "--dir", "infra", "--yes", "--aws-endpoint", url]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains(&format!(
            "the saved plan of `infra` was made for real AWS, but this apply would run against \
             the AWS API emulator at `{url}`; nothing was applied"
        )),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains(&format!(
            "run `stackform plan --dir infra --aws-endpoint {url}` to plan for the emulator"
        )),
        "{}",
        apply.stderr
    );
    // The variable counts as much as the flag.
    let from_env = output(
        w.command(&["apply", "--dir", "infra", "--yes"])
            .env("STACKFORM_AWS_ENDPOINT", url)
            .output()
            .expect("run stackform"),
    );
    assert_eq!(from_env.status, 1, "{}", from_env.stderr);
    assert!(
        from_env.stderr.contains("was made for real AWS"),
        "{}",
        from_env.stderr
    );

    // A plan for one emulator is not applied on another.
    let plan = w.run(&["plan", "--dir", "infra", "--aws-endpoint", url]);
    assert_eq!(plan.status, 2, "{}", plan.stderr);
    let other = "http://127.0.0.1:5000";
    let apply = w.run(&["apply", "--dir", "infra", "--yes", "--aws-endpoint", other]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains(&format!(
            "made for the AWS API emulator at `{url}`, but this apply would run against the AWS \
             API emulator at `{other}`"
        )),
        "{}",
        apply.stderr
    );
    assert!(!w.path("infra/terraform.tfstate").exists());

    let apply = w.run(&["apply", "--dir", "infra", "--yes", "--aws-endpoint", url]);
    assert_eq!(apply.status, 0, "{}", apply.stderr);
    assert!(w.path("infra/terraform.tfstate").exists());
}

#[test]
fn a_bad_endpoint_is_refused_before_anything_runs() {
    let w = Work::new(LOCAL_ROOT);
    for (url, why) in [
        ("127.0.0.1:5000", "it has no `http://` or `https://`"),
        (
            "ftp://127.0.0.1:5000",
            "the scheme `ftp` is not `http` or `https`",
        ),
        ("http://127.0.0.1:5000/s3", "the path `/s3` is not allowed"),
        ("http://127.0.0.1:70000", "the port `70000` is not a number"),
    ] {
        for command in ["plan", "apply"] {
            let out = w.run(&[command, "--dir", "infra", "--aws-endpoint", url]);
            assert_eq!(out.status, 1, "{command} {url}: {}", out.stderr);
            assert!(
                out.stderr.contains(&format!(
                    "`--aws-endpoint` `{url}` is not an AWS endpoint URL: {why}"
                )),
                "{command} {url}: {}",
                out.stderr
            );
        }
    }
    let out = output(
        w.command(&["plan", "--dir", "infra"])
            .env("STACKFORM_AWS_ENDPOINT", "localhost")
            .output()
            .expect("run stackform"),
    );
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`STACKFORM_AWS_ENDPOINT` `localhost` is not an AWS endpoint URL"),
        "{}",
        out.stderr
    );
    assert!(!w.path(".stackform").exists(), "nothing may be written");
}

/// A local root whose apply writes the AWS settings terraform's children see to `../env.txt`.
const ENV_ROOT: &str = "resource \"terraform_data\" \"this\" {\n  provisioner \"local-exec\" {\n    \
    command = \"for v in AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB AWS_ACCESS_KEY_ID AWS_PROFILE; \
    do echo \\\"$v=$(printenv $v)\\\"; done > ../env.txt\"\n  }\n}\n";

/// The settings terraform saw when it applied `ENV_ROOT` in emulator mode with `env` set.
fn applied_env(env: &[(&str, &str)]) -> (Output, String) {
    let w = Work::new(ENV_ROOT);
    let url = "http://127.0.0.1:4566";
    let run = |command: &str| {
        let mut args = vec![command, "--dir", "infra", "--aws-endpoint", url];
        if command == "apply" {
            args.push("--yes");
        }
        output(
            w.command(&args)
                .envs(env.iter().copied())
                .output()
                .expect("run stackform"),
        )
    };
    let plan = run("plan");
    assert_eq!(plan.status, 2, "{}", plan.stderr);
    let apply = run("apply");
    assert_eq!(apply.status, 0, "{}", apply.stderr);
    let seen = std::fs::read_to_string(w.path("env.txt")).expect("the provisioner ran");
    (plan, seen)
}

#[test]
fn emulator_mode_gives_test_credentials_only_when_none_are_set() {
    let (plan, seen) = applied_env(&[("AWS_ENDPOINT_URL_DYNAMODB", "https://dynamodb.example")]);
    assert!(
        plan.stderr.contains("with test credentials `testing`"),
        "{}",
        plan.stderr
    );
    // A service endpoint of the user's is pointed at the emulator too.
    assert_eq!(
        seen,
        "AWS_ENDPOINT_URL=http://127.0.0.1:4566\nAWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:4566\n\
         AWS_ACCESS_KEY_ID=testing\nAWS_PROFILE=\n"
    );

    let (plan, seen) = applied_env(&[("AWS_PROFILE", "mine")]);
    assert!(
        plan.stderr
            .contains("with the credentials set in the environment"),
        "{}",
        plan.stderr
    );
    assert_eq!(
        seen,
        "AWS_ENDPOINT_URL=http://127.0.0.1:4566\nAWS_ENDPOINT_URL_DYNAMODB=\n\
         AWS_ACCESS_KEY_ID=\nAWS_PROFILE=mine\n"
    );
}

/// A root with the real AWS provider and one SQS queue; nothing in it names an endpoint.
const SQS_ROOT: &str = r#"terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}

provider "aws" {
  region      = "us-east-1"
  max_retries = 1
}

resource "aws_sqs_queue" "this" {
  name = "emulated-queue"
}
"#;

#[test]
fn the_aws_provider_creates_a_queue_on_the_emulator_and_plans_no_change_after() {
    let moto = Moto::start();
    let w = Work::new(SQS_ROOT);
    let run = |args: &[&str]| w.run_with_mirror(args);
    let url = moto.endpoint();
    let plan = run(&["plan", "--dir", "infra", "--aws-endpoint", &url]);
    assert_eq!(
        plan.status,
        2,
        "{}\n{}",
        crate::provider::INSTALL_HINT,
        plan.stderr
    );
    assert!(
        plan.stdout.contains("+ aws_sqs_queue.this"),
        "{}",
        plan.stdout
    );
    assert!(moto.queue_urls().is_empty());

    let apply = run(&["apply", "--dir", "infra", "--yes", "--aws-endpoint", &url]);
    assert_eq!(apply.status, 0, "{}", apply.stderr);
    assert_eq!(
        moto.queue_urls(),
        [format!("{url}/123456789012/emulated-queue")]
    );

    let again = run(&["plan", "--dir", "infra", "--aws-endpoint", &url]);
    assert_eq!(again.status, 0, "{}{}", again.stdout, again.stderr);
}
