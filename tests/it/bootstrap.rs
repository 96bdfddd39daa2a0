//! `stackform bootstrap` against a moto server with the real AWS provider: the state bucket is
//! created locked down, a second run changes nothing, and a bucket whose local state is gone
//! (or that someone made by hand) is adopted, never recreated.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::moto::Moto;
use crate::support::{Output, default_stack, output};

const BUCKET: &str = "e-com67-terraform-state";
const STATE: &str = ".stackform/bootstrap-emulator/dev/terraform.tfstate";

struct Work {
    dir: tempfile::TempDir,
    config: PathBuf,
    url: String,
}

impl Work {
    fn new(moto: &Moto) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("stack.toml"), default_stack()).expect("write the model");
        let config = crate::provider::cli_config(dir.path());
        Self {
            dir,
            config,
            url: moto.endpoint(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `stackform bootstrap ARGS --aws-endpoint URL`, with no AWS setting of the caller's.
    fn bootstrap(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stackform"));
        c.arg("bootstrap")
            .args(args)
            .args(["--aws-endpoint", &self.url])
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("TF_CLI_CONFIG_FILE", &self.config)
            .env_remove("STACKFORM_TERRAFORM")
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") || key == "STACKFORM_AWS_ENDPOINT" {
                c.env_remove(key);
            }
        }
        let out = output(c.output().expect("run stackform"));
        assert_eq!(
            out.status,
            0,
            "{}\n{}{}",
            crate::provider::INSTALL_HINT,
            out.stdout,
            out.stderr
        );
        out
    }
}

/// The addresses in a local state file.
fn state_resources(path: &Path) -> Vec<String> {
    let state = std::fs::read(path).expect("a local state");
    crate::orchestrator::state_resources(&serde_json::from_slice(&state).expect("JSON state"))
}

/// Versioning, encryption and all four public-access flags, read through the S3 API.
fn assert_locked_down(moto: &Moto) {
    let (status, versioning) = moto.s3_get(&format!("/{BUCKET}?versioning"));
    assert_eq!(status, 200, "{versioning}");
    assert!(
        versioning.contains("<Status>Enabled</Status>"),
        "{versioning}"
    );
    let (status, encryption) = moto.s3_get(&format!("/{BUCKET}?encryption"));
    assert_eq!(status, 200, "{encryption}");
    assert!(
        encryption.contains("<SSEAlgorithm>AES256</SSEAlgorithm>"),
        "{encryption}"
    );
    let (status, block) = moto.s3_get(&format!("/{BUCKET}?publicAccessBlock"));
    assert_eq!(status, 200, "{block}");
    for flag in [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ] {
        assert!(
            block.contains(&format!("<{flag}>true</{flag}>")),
            "{flag}: {block}"
        );
    }
}

const ALL_FOUR: [&str; 4] = [
    "aws_s3_bucket.this",
    "aws_s3_bucket_public_access_block.this",
    "aws_s3_bucket_server_side_encryption_configuration.this",
    "aws_s3_bucket_versioning.this",
];

#[test]
fn bootstrap_creates_the_bucket_then_changes_nothing_then_adopts_it_without_local_state() {
    let moto = Moto::start();
    let w = Work::new(&moto);
    let (status, _) = moto.s3_get(&format!("/{BUCKET}?versioning"));
    assert_eq!(status, 404, "the bucket must not exist yet");

    let first = w.bootstrap(&["--env", "dev"]);
    assert_eq!(
        first.stdout,
        format!(
            "dev: created bucket `{BUCKET}` with versioning, encryption, public access blocked \
             (local state in `.stackform/bootstrap-emulator/dev/`) (shared by `dev`, `staging`, \
             `prod`: bootstrapped once)\n"
        ),
        "{}",
        first.stderr
    );
    assert_locked_down(&moto);
    assert_eq!(state_resources(&w.path(STATE)), ALL_FOUR);
    let main = std::fs::read_to_string(w.path(".stackform/bootstrap-emulator/dev/main.tf"))
        .expect("the bootstrap root");
    assert!(main.contains("prevent_destroy = true"), "{main}");

    // Every environment shares the bucket: one root, and nothing to apply.
    let state = std::fs::read(w.path(STATE)).expect("state");
    let second = w.bootstrap(&["--all"]);
    assert_eq!(
        second.stdout,
        format!(
            "dev: bucket `{BUCKET}` exists and is set up; nothing to do (shared by `dev`, \
             `staging`, `prod`: bootstrapped once)\n"
        ),
        "{}",
        second.stderr
    );
    assert!(!second.stderr.contains(": apply"), "{}", second.stderr);
    assert_eq!(
        std::fs::read(w.path(STATE)).expect("state"),
        state,
        "state rewritten"
    );
    assert!(!w.path(".stackform/bootstrap-emulator/staging").exists());

    // Another machine: no local state, the bucket is there.
    std::fs::remove_dir_all(w.path(".stackform")).expect("remove the local state");
    let third = w.bootstrap(&["--env", "prod"]);
    assert!(
        third.stdout.starts_with(&format!(
            "dev: adopted bucket `{BUCKET}`, which already existed (4 imported, 0 added, 0 changed)"
        )),
        "{}{}",
        third.stdout,
        third.stderr
    );
    assert!(!third.stderr.contains("Creating..."), "{}", third.stderr);
    assert_eq!(state_resources(&w.path(STATE)), ALL_FOUR);
    assert!(
        !w.path(".stackform/bootstrap-emulator/dev/imports.tf")
            .exists()
    );
}

#[test]
fn bootstrap_adopts_a_bare_bucket_and_sets_up_what_it_lacks() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let w = Work::new(&moto);
    let run = w.bootstrap(&["--env", "staging"]);
    assert!(
        run.stdout.starts_with(&format!(
            "dev: adopted bucket `{BUCKET}`, which already existed (2 imported, 2 added, 1 \
             changed)"
        )),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_locked_down(&moto);
    assert_eq!(state_resources(&w.path(STATE)), ALL_FOUR);
}

#[test]
fn bootstrap_sets_up_again_a_setting_changed_outside_terraform() {
    let moto = Moto::start();
    let w = Work::new(&moto);
    w.bootstrap(&["--env", "dev"]);
    let suspend = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                   <Status>Suspended</Status></VersioningConfiguration>";
    assert_eq!(moto.s3_put(&format!("/{BUCKET}?versioning"), suspend), 200);
    let (_, versioning) = moto.s3_get(&format!("/{BUCKET}?versioning"));
    assert!(versioning.contains("Suspended"), "{versioning}");

    let run = w.bootstrap(&["--env", "dev"]);
    assert!(
        run.stdout.starts_with(&format!(
            "dev: bucket `{BUCKET}` had drifted and was set up again (0 imported, 0 added, 1 \
             changed)"
        )),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_locked_down(&moto);
}

#[test]
fn bootstrap_of_an_unknown_environment_names_the_known_ones_and_runs_nothing() {
    let t = crate::support::Test::new()
        .file("stack.toml", &default_stack())
        .args(["bootstrap", "--env", "qa"]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "stackform: error: the model has no environment `qa` (it has `dev`, `staging`, `prod`); \
         give one of them to `--env`\n"
    );
    assert!(!t.path().join(".stackform").exists());
}
