//! The rendered roots with the real AWS provider: `terraform init` and `terraform validate` of
//! every committed environment, clean and without warnings.
//!
//! The provider comes from a filesystem mirror when there is one: `STACKFORM_PROVIDER_MIRROR`
//! names it, `/opt/tf-plugins` is used when that variable is unset and the folder exists, and an
//! empty value means the Terraform registry. A provider that cannot be installed fails the test
//! with the hint; it is never skipped.

use std::path::{Path, PathBuf};

use crate::support::{copy_dir, repo, terraform_with as terraform};

const DEFAULT_MIRROR: &str = "/opt/tf-plugins";

/// The filesystem mirror to install hashicorp/aws from, if any.
pub fn provider_mirror() -> Option<PathBuf> {
    match std::env::var_os("STACKFORM_PROVIDER_MIRROR") {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => Some(PathBuf::from(DEFAULT_MIRROR)).filter(|p| p.is_dir()),
    }
}

/// A terraform CLI configuration in `dir` that installs hashicorp/aws from the mirror (or an
/// empty one for the registry); its path goes into `TF_CLI_CONFIG_FILE`.
pub fn cli_config(dir: &Path) -> PathBuf {
    let path = dir.join("terraform.tfrc");
    let text = match provider_mirror() {
        Some(mirror) => format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            mirror.display().to_string()
        ),
        None => String::new(),
    };
    std::fs::write(&path, text).expect("write the terraform CLI configuration");
    path
}

pub const INSTALL_HINT: &str = "hashicorp/aws >= 5.100 could not be installed: put a filesystem \
    mirror at /opt/tf-plugins (or name one in STACKFORM_PROVIDER_MIRROR), or set \
    STACKFORM_PROVIDER_MIRROR= (empty) to use the Terraform registry";

#[test]
fn every_environment_validates_with_the_real_provider_without_warnings() {
    let work = tempfile::tempdir().expect("temporary directory");
    for dir in ["modules", "environments"] {
        copy_dir(&repo().join(dir), &work.path().join(dir));
    }
    let config = cli_config(work.path());
    let mut envs: Vec<String> = std::fs::read_dir(work.path().join("environments"))
        .expect("environments/ is committed")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    envs.sort();
    assert_eq!(envs, ["dev", "prod", "staging"]);
    for env in &envs {
        let root = work.path().join("environments").join(env);
        let init = terraform(
            &root,
            &config,
            &["init", "-backend=false", "-input=false", "-no-color"],
        );
        assert!(
            init.status.success(),
            "terraform init of {env} failed: {INSTALL_HINT}\n{}{}",
            String::from_utf8_lossy(&init.stdout),
            String::from_utf8_lossy(&init.stderr)
        );
        let validate = terraform(&root, &config, &["validate", "-json", "-no-color"]);
        let report: serde_json::Value =
            serde_json::from_slice(&validate.stdout).unwrap_or_else(|e| {
                panic!(
                    "validate -json of {env} printed no JSON ({e}): {}",
                    String::from_utf8_lossy(&validate.stderr)
                )
            });
        assert_eq!(report["valid"], true, "{env}: {report:#}");
        assert_eq!(report["error_count"], 0, "{env}: {report:#}");
        assert_eq!(report["warning_count"], 0, "{env}: {report:#}");
        assert!(validate.status.success(), "{env}: {report:#}");
    }
}
