//! `--skip-type TYPE` (emulator mode only): resource types an emulator cannot create are left
//! out of the plan, never silently.
//!
//! Terraform 1.11 has no `-exclude`, so the plan targets the rest: a first plan
//! (`-refresh=false`, cheap) lists every resource instance of the root, and the real plan gets
//! `-target=ADDR` for each one whose type is not skipped. Targeting pulls in what a targeted
//! resource depends on, so a skipped resource found in the targeted plan means a kept one
//! needs it: that is refused rather than planned.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde::Deserialize;

/// The types given with `--skip-type`, checked, sorted and without repeats.
pub fn parse_types(given: &[String], emulator: bool) -> Result<Vec<String>> {
    if given.is_empty() {
        return Ok(Vec::new());
    }
    if !emulator {
        bail!(
            "`--skip-type` works only in emulator mode, where it leaves out resource types the \
             emulator cannot create; give `--aws-endpoint URL` (or set `{}`), or drop \
             `--skip-type`: against real AWS every resource is planned",
            super::emulator::ENV_VAR
        );
    }
    let mut types = BTreeSet::new();
    for t in given {
        let ok = t.starts_with(|c: char| c.is_ascii_lowercase())
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            bail!(
                "`--skip-type {t}` is not a resource type: give a type as it appears in \
                 `resource \"TYPE\" \"NAME\"`, like `aws_xray_group`"
            );
        }
        types.insert(t.clone());
    }
    Ok(types.into_iter().collect())
}

/// A managed resource instance of a plan: its address and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub address: String,
    pub kind: String,
}

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    resource_changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    address: String,
    mode: String,
    #[serde(rename = "type")]
    kind: String,
}

/// Every managed resource instance in a plan JSON document (`resource_changes`, which lists
/// no-ops and resources left in the state too).
pub fn instances(plan_json: &[u8]) -> Result<Vec<Instance>> {
    let doc: Doc = serde_json::from_slice(plan_json)
        .map_err(|e| anyhow::anyhow!("cannot read terraform's plan JSON: {e}"))?;
    Ok(doc
        .resource_changes
        .into_iter()
        .filter(|c| c.mode == "managed")
        .map(|c| Instance {
            address: c.address,
            kind: c.kind,
        })
        .collect())
}

/// What leaving out `types` means for a root.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// `-target=ADDR` arguments for the real plan; empty when nothing is left out (the plan
    /// then runs untargeted).
    pub targets: Vec<String>,
    /// Addresses left out.
    pub skipped: Vec<String>,
}

/// Splits the root's instances into those planned and those left out.
pub fn split(all: &[Instance], types: &[String]) -> Result<Split> {
    let (out, kept): (Vec<&Instance>, Vec<&Instance>) =
        all.iter().partition(|i| types.contains(&i.kind));
    if out.is_empty() {
        return Ok(Split::default());
    }
    if kept.is_empty() {
        // No `-target` at all would plan everything, the skipped types too.
        bail!(
            "every resource of the root is of a type given with `--skip-type` ({}); there is \
             nothing left to plan; skip fewer types",
            list(types)
        );
    }
    Ok(Split {
        targets: kept
            .iter()
            .map(|i| format!("-target={}", i.address))
            .collect(),
        skipped: out.iter().map(|i| i.address.clone()).collect(),
    })
}

/// Refuses a targeted plan that still holds a resource of a skipped type: a kept resource
/// depends on it, and targeting included it.
pub fn check_none_included(planned: &[Instance], types: &[String]) -> Result<()> {
    let included: Vec<&Instance> = planned.iter().filter(|i| types.contains(&i.kind)).collect();
    if included.is_empty() {
        return Ok(());
    }
    bail!(
        "{} of a skipped type would still be planned because resources that are \
         planned depend on {} (`-target` includes dependencies): {}; nothing was saved; also \
         skip the types that depend on {}, or do not skip {}",
        if included.len() == 1 {
            "a resource"
        } else {
            "resources"
        },
        if included.len() == 1 { "it" } else { "them" },
        included
            .iter()
            .map(|i| format!("`{}`", i.address))
            .collect::<Vec<_>>()
            .join(", "),
        if included.len() == 1 { "it" } else { "them" },
        list(
            &included
                .iter()
                .map(|i| i.kind.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        )
    );
}

/// `a`, `b` in backticks.
pub fn list(types: &[String]) -> String {
    types
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(address: &str, kind: &str) -> Instance {
        Instance {
            address: address.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn skip_types_need_the_emulator_and_look_like_types() {
        let types =
            |g: &[&str], e| parse_types(&g.iter().map(|s| s.to_string()).collect::<Vec<_>>(), e);
        assert!(types(&[], false).is_ok_and(|t| t.is_empty()));
        let err = types(&["aws_xray_group"], false).expect_err("refused");
        assert!(err.to_string().contains("only in emulator mode"), "{err}");
        assert_eq!(
            types(&["b_x", "a_y", "b_x"], true).expect("types"),
            ["a_y", "b_x"]
        );
        for bad in ["", "Aws_x", "aws-x", "aws_x.y", "1x"] {
            let err = types(&[bad], true).expect_err(bad);
            assert!(err.to_string().contains("is not a resource type"), "{err}");
        }
    }

    #[test]
    fn kept_instances_become_targets() {
        let all = [
            inst("terraform_data.a", "terraform_data"),
            inst("module.m.aws_xray_group.this[\"k\"]", "aws_xray_group"),
            inst("module.m.aws_sqs_queue.q[0]", "aws_sqs_queue"),
        ];
        let types = vec!["aws_xray_group".to_string()];
        let s = split(&all, &types).expect("split");
        assert_eq!(
            s.targets,
            [
                "-target=terraform_data.a",
                "-target=module.m.aws_sqs_queue.q[0]"
            ]
        );
        assert_eq!(s.skipped, ["module.m.aws_xray_group.this[\"k\"]"]);
        // Nothing of those types: an untargeted plan.
        assert_eq!(split(&all[..1], &types).expect("split"), Split::default());
        let err = split(&all[1..2], &types).expect_err("all skipped");
        assert!(err.to_string().contains("nothing left to plan"), "{err}");
    }

    #[test]
    fn a_skipped_dependency_in_the_targeted_plan_is_refused() {
        let types = vec!["aws_xray_group".to_string()];
        let planned = [
            inst("terraform_data.a", "terraform_data"),
            inst("aws_xray_group.g", "aws_xray_group"),
        ];
        assert!(check_none_included(&planned[..1], &types).is_ok());
        let err = check_none_included(&planned, &types).expect_err("refused");
        assert!(
            err.to_string().contains("`aws_xray_group.g`") && err.to_string().contains("depend"),
            "{err}"
        );
    }
}
