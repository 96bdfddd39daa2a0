//! The risk classes that matter for this stack, and how a resource change falls into one.
//!
//! A class is a reason for a reviewer (or `--fail-on`) to stop: data that a delete or replace
//! loses, IAM that changes who may do what, and observability that a change switches off.

use std::fmt;

use super::diff::{PathStep, Shown, Sides};
use super::secrets::Secrets;
use super::{Action, ResourceChange};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
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

impl fmt::Display for RiskClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Risk {
    pub class: RiskClass,
    pub address: String,
    /// What happens, without values marked sensitive.
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

/// Resource types whose deletion leaves the stack less observable.
pub const OBSERVABILITY_TYPES: &[&str] = &[
    "aws_dynamodb_contributor_insights",
    "aws_xray_sampling_rule",
    "aws_xray_group",
    "aws_cloudwatch_metric_alarm",
];

/// IAM roles, policies and their attachments: `aws_iam_*` types naming a role or a policy.
pub fn is_iam_type(kind: &str) -> bool {
    kind.strip_prefix("aws_iam_")
        .is_some_and(|rest| rest.contains("role") || rest.contains("policy"))
}

/// A `true` that a change turns off: where it sits and the value that means "on".
struct Switch {
    kind: &'static str,
    path: &'static [PathStep<'static>],
    on: fn(&serde_json::Value) -> bool,
}

const SWITCHES: &[Switch] = &[
    Switch {
        kind: "aws_lambda_function",
        path: &[
            PathStep::Key("tracing_config"),
            PathStep::Index(0),
            PathStep::Key("mode"),
        ],
        on: |v| v.as_str() == Some("Active"),
    },
    Switch {
        kind: "aws_api_gateway_stage",
        path: &[PathStep::Key("xray_tracing_enabled")],
        on: |v| v.as_bool() == Some(true),
    },
    Switch {
        kind: "aws_sfn_state_machine",
        path: &[
            PathStep::Key("tracing_configuration"),
            PathStep::Index(0),
            PathStep::Key("enabled"),
        ],
        on: |v| v.as_bool() == Some(true),
    },
];

/// The top-level attributes the switches read.
pub const KEYS: &[&str] = &[
    "tracing_config",
    "xray_tracing_enabled",
    "tracing_configuration",
];

/// Whether assessing `kind` needs the parsed before and after values.
pub fn needs_values(kind: &str) -> bool {
    SWITCHES.iter().any(|s| s.kind == kind)
}

/// The risks of one resource change. `sides` holds the parsed values when they were needed.
pub fn assess(rc: &ResourceChange, sides: Option<&Sides<'_>>, secrets: &Secrets) -> Vec<Risk> {
    let mut out = Vec::new();
    if rc.mode != "managed" {
        return out;
    }
    let risk = |class, detail: String| Risk {
        class,
        address: rc.address.clone(),
        detail,
    };
    let destroys = matches!(rc.action, Action::Delete | Action::Replace(_)) && rc.destroys();
    if destroys && STATEFUL_TYPES.contains(&rc.kind.as_str()) {
        out.push(risk(RiskClass::DestroyStateful, rc.what_happens()));
    }
    let changes = matches!(
        rc.action,
        Action::Create | Action::Update | Action::Delete | Action::Replace(_)
    );
    if changes && is_iam_type(&rc.kind) {
        let mut detail = rc.what_happens();
        if rc.action == Action::Update && !rc.attributes.is_empty() {
            let names: Vec<String> = rc
                .attributes
                .iter()
                .take(3)
                .map(|a| format!("`{}`", a.path))
                .collect();
            detail.push_str(": ");
            detail.push_str(&names.join(", "));
            if rc.attributes.len() > 3 {
                detail.push_str(&format!(" and {} more", rc.attributes.len() - 3));
            }
        }
        out.push(risk(RiskClass::Iam, detail));
    }
    if rc.action == Action::Delete && OBSERVABILITY_TYPES.contains(&rc.kind.as_str()) {
        out.push(risk(RiskClass::TracingRegression, "deleted".to_string()));
    }
    let keeps_object = matches!(rc.action, Action::Update | Action::Replace(_));
    if let (true, Some(sides)) = (keeps_object, sides) {
        for switch in SWITCHES.iter().filter(|s| s.kind == rc.kind) {
            let at = sides.at(switch.path);
            let was_on = at.before.is_some_and(switch.on);
            let unknown = super::diff::is_true(at.after_unknown);
            let stays_on = !unknown && at.after.is_some_and(switch.on);
            if was_on && !stays_on {
                let after = match at.after_shown(secrets) {
                    Shown::Absent => "removed".to_string(),
                    other => other.to_string(),
                };
                out.push(risk(
                    RiskClass::TracingRegression,
                    format!(
                        "`{}` {} -> {after}",
                        path_text(switch.path),
                        at.before_shown(secrets)
                    ),
                ));
            }
        }
    }
    out
}

fn path_text(path: &[PathStep<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            PathStep::Key(k) => super::diff::push_key(&mut out, k),
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
