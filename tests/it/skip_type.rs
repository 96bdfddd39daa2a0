//! `--skip-type TYPE` in emulator mode: resources of those types are left out of the plan
//! (through `-target` on the rest), the summary lists them in every format, the saved plan
//! records them and `apply` refuses other ones; outside emulator mode the flag is refused, and
//! a kept resource that needs a skipped one is refused rather than planned with it.
//!
//! The root holds `terraform_data` and `aws_xray_group` (which moto 5.2.5 cannot create) with
//! hashicorp/aws from the mirror, and its state on moto's S3.

use crate::emulator_mode::{Work, snapshot};
use crate::moto::Moto;

const BUCKET: &str = "emulated-state";

/// The root's `terraform` block and provider, then `resources`.
fn root(resources: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }}
  }}
  backend "s3" {{
    bucket = "{BUCKET}"
    key    = "skip/terraform.tfstate"
    region = "us-east-1"
  }}
}}

provider "aws" {{
  region      = "us-east-1"
  max_retries = 1
}}

{resources}"#
    )
}

const KEPT_AND_SKIPPED: &str = r#"resource "terraform_data" "kept" {
  input = "planned"
}

resource "aws_xray_group" "left_out" {
  group_name        = "left-out"
  filter_expression = "responsetime > 5"
}
"#;

#[test]
fn skipped_types_are_left_out_listed_in_the_summary_and_bound_to_the_saved_plan() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let w = Work::new(&root(KEPT_AND_SKIPPED));
    let before = snapshot(&w.path("infra"));
    let url = moto.endpoint();
    let plan = |format: &str| {
        w.run_with_mirror(&[
            "plan",
            "--dir",
            "infra",
            "--aws-endpoint",
            &url,
            "--skip-type",
            "aws_xray_group",
            "--format",
            format,
        ])
    };

    let json = plan("json");
    assert_eq!(
        json.status,
        2,
        "{}\n{}",
        crate::provider::INSTALL_HINT,
        json.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("a JSON summary");
    assert_eq!(
        doc["skipped"]["types"],
        serde_json::json!(["aws_xray_group"])
    );
    assert_eq!(
        doc["skipped"]["addresses"],
        serde_json::json!(["aws_xray_group.left_out"])
    );
    let planned: Vec<&str> = doc["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert_eq!(planned, ["terraform_data.kept"]);

    let text = plan("text");
    assert_eq!(text.status, 2, "{}", text.stderr);
    assert!(
        text.stdout.contains(
            "Skipped (emulator mode, `--skip-type`): `aws_xray_group`; 1 resource left out of \
             this plan.\n  - aws_xray_group.left_out\n"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("+ terraform_data.kept") && !text.stdout.contains("+ aws_xray_group"),
        "{}",
        text.stdout
    );
    assert!(
        text.stderr.contains(&format!(
            "apply it with `stackform apply --dir infra --aws-endpoint {url} --skip-type \
             aws_xray_group`"
        )),
        "{}",
        text.stderr
    );

    let md = plan("markdown");
    assert_eq!(md.status, 2, "{}", md.stderr);
    assert!(
        md.stdout
            .contains("> [!WARNING]\n> Skipped (emulator mode, `--skip-type`): `aws_xray_group`")
            && md.stdout.contains("> - `aws_xray_group.left_out`"),
        "{}",
        md.stdout
    );
    assert_eq!(
        w.meta()["skip_types"],
        serde_json::json!(["aws_xray_group"])
    );
    // Nothing of the root changed: `init` only added the provider lock file, as it does
    // outside emulator mode.
    let after: Vec<_> = snapshot(&w.path("infra"))
        .into_iter()
        .filter(|(p, _)| !p.ends_with(".terraform.lock.hcl"))
        .collect();
    assert_eq!(after, before);

    for (extra, given) in [
        (&[][..], "no `--skip-type`"),
        (
            &["--skip-type", "aws_sqs_queue"][..],
            "`--skip-type` `aws_sqs_queue`",
        ),
    ] {
        let mut args = vec!["apply", "--dir", "infra", "--yes", "--aws-endpoint", &url];
        args.extend_from_slice(extra);
        let refused = w.run_with_mirror(&args);
        assert_eq!(refused.status, 1, "{}", refused.stderr);
        assert!(
            refused.stderr.contains(&format!(
                "the saved plan of `infra` was made with `--skip-type` `aws_xray_group`, but this \
                 apply gives {given}; nothing was applied"
            )),
            "{}",
            refused.stderr
        );
    }
    assert!(moto.object(BUCKET, "skip/terraform.tfstate").is_none());

    let apply = w.run_with_mirror(&[
        "apply",
        "--dir",
        "infra",
        "--yes",
        "--aws-endpoint",
        &url,
        "--skip-type",
        "aws_xray_group",
    ]);
    assert_eq!(apply.status, 0, "{}", apply.stderr);
    let state: serde_json::Value = serde_json::from_slice(
        &moto
            .object(BUCKET, "skip/terraform.tfstate")
            .expect("the state is on the emulator"),
    )
    .expect("the state is JSON");
    let types: Vec<&str> = state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    assert_eq!(types, ["terraform_data"], "{state:#}");
}

#[test]
fn a_kept_resource_that_needs_a_skipped_one_is_refused() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let w = Work::new(&root(&format!(
        "{KEPT_AND_SKIPPED}\nresource \"terraform_data\" \"needs_it\" {{\n  input = \
         aws_xray_group.left_out.arn\n}}\n"
    )));
    let plan = w.run_with_mirror(&[
        "plan",
        "--dir",
        "infra",
        "--aws-endpoint",
        &moto.endpoint(),
        "--skip-type",
        "aws_xray_group",
    ]);
    assert_eq!(
        plan.status,
        1,
        "{}\n{}",
        crate::provider::INSTALL_HINT,
        plan.stderr
    );
    assert!(
        plan.stderr.contains(
            "`plan` of `infra`: a resource of a skipped type would still be planned because resources \
             that are planned depend on it (`-target` includes dependencies): \
             `aws_xray_group.left_out`; nothing was saved"
        ),
        "{}",
        plan.stderr
    );
    assert!(!w.path(".stackform/dir-infra/meta.json").exists());
}

#[test]
fn skip_type_without_an_emulator_is_a_usage_error() {
    let w = Work::new("resource \"terraform_data\" \"this\" {}\n");
    for command in ["plan", "apply"] {
        let out = w.run(&[command, "--dir", "infra", "--skip-type", "aws_xray_group"]);
        assert_eq!(out.status, 1, "{}", out.stderr);
        assert!(
            out.stderr
                .contains("stackform: error: `--skip-type` works only in emulator mode"),
            "{}",
            out.stderr
        );
        assert!(!w.path(".stackform/dir-infra/meta.json").exists());
    }
}
