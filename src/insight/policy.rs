//! `[policy] require_tracing` applied to what will be applied: every component of a required
//! environment must be traced in its HCL or plan, not only in the model.
//!
//! The model check (`model::validate::policy`) stops `gen` from rendering an untraced
//! component; this one catches hand edits of the rendered files and plans of any origin.

use anyhow::Result;
use serde::Serialize;

use super::matrix::{Feature, Kind, Matrix, Status};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Violation {
    pub address: String,
    pub detail: String,
    /// `file:line` of the setting (the module call in the root), when read from HCL.
    #[serde(skip)]
    pub location: Option<String>,
    /// The module instance holding the component, whose IAM resources grant its X-Ray actions.
    #[serde(skip)]
    pub module: String,
}

/// Every untraced component and every sampling rule that samples nothing.
pub fn violations(m: &Matrix) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in &m.components {
        let (feature, what) = match c.kind {
            Kind::Function => (Feature::LambdaMode, "its tracing mode is"),
            Kind::Stage => (Feature::StageTracing, "stage tracing is"),
            Kind::StateMachine => (Feature::StateMachineTracing, "its tracing is"),
            Kind::Table => (Feature::ContributorInsights, "contributor insights are"),
            Kind::Queue => continue,
        };
        let mut problems = Vec::new();
        if let Some(cell) = c.cell(feature)
            && cell.status != Status::Ok
        {
            problems.push(match cell.status {
                Status::Unknown => format!("{what} known only after apply"),
                _ => format!("{what} {}", cell.value),
            });
        }
        if let Some(cell) = c.cell(Feature::XrayIam)
            && cell.status == Status::Broken
        {
            problems.push(if cell.value == "no" {
                "its role has no X-Ray actions".to_string()
            } else {
                format!(
                    "its role is {}",
                    cell.value
                        .replacen("missing", "missing the X-Ray actions", 1)
                )
            });
        }
        if !problems.is_empty() {
            out.push(Violation {
                address: c.address.clone(),
                detail: format!("{} is not traced: {}", c.label(), problems.join("; ")),
                location: c.location.clone(),
                module: c.module.clone(),
            });
        }
    }
    for rule in m.rules.iter().filter(|r| r.samples_nothing) {
        out.push(Violation {
            address: rule.address.clone(),
            detail: format!(
                "sampling rule `{}` samples nothing (fixed rate 0, reservoir 0)",
                rule.name
            ),
            location: rule.location.clone(),
            module: String::new(),
        });
    }
    out
}

/// A component a plan leaves untraced, for marking `tracing-regression` risks in summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The resource address as the plan prints it.
    pub address: String,
    /// What is untraced, e.g. "function `payment` is not traced: its tracing mode is
    /// PassThrough".
    pub detail: String,
    /// Whether the plan creates, updates or replaces this resource or the IAM policies of its
    /// module (so the gap is this plan's doing rather than already in place).
    pub changed: bool,
}

/// Untraced components after applying a plan JSON document.
///
/// For `stackform summary` and `plan`: when the plan's environment is named in
/// `[policy] require_tracing`, each gap with `changed` is a `tracing-regression` risk.
pub fn gaps_in_plan(plan_json: &[u8]) -> Result<Vec<Gap>> {
    let doc = super::plan::parse(plan_json)?;
    let inventory = super::plan::read_document(&doc, "the plan")?;
    let matrix = super::matrix::build(&inventory);
    let changes: Vec<&serde_json::Value> = doc["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rc| {
            rc["change"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| matches!(a.as_str(), Some("create" | "update")))
        })
        .collect();
    let changed = |v: &Violation| {
        changes.iter().any(|rc| {
            rc["address"].as_str() == Some(v.address.as_str())
                || (!v.module.is_empty()
                    && rc["module_address"].as_str() == Some(v.module.as_str())
                    && rc["type"].as_str().is_some_and(|t| {
                        matches!(
                            t,
                            "aws_iam_role_policy"
                                | "aws_iam_role_policy_attachment"
                                | "aws_iam_policy_document"
                        )
                    }))
        })
    };
    Ok(violations(&matrix)
        .into_iter()
        .map(|v| Gap {
            changed: changed(&v),
            address: v.address,
            detail: v.detail,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn function(address: &str, module: &str, actions: &[&str], mode: &str) -> serde_json::Value {
        json!({
            "address": address, "module_address": module, "mode": "managed",
            "type": "aws_lambda_function", "name": address.rsplit('.').next(),
            "change": {"actions": actions, "after": {"function_name": address,
                "tracing_config": [{"mode": mode}]}, "after_unknown": {}}
        })
    }

    #[test]
    fn a_plan_that_turns_a_function_to_passthrough_has_a_changed_gap() {
        let plan = json!({"resource_changes": [
            function("module.function_payment.aws_lambda_function.this", "module.function_payment", &["update"], "PassThrough"),
            function("aws_lambda_function.legacy", "", &["no-op"], "PassThrough"),
            function("aws_lambda_function.traced", "", &["create"], "Active"),
        ]});
        let gaps = gaps_in_plan(plan.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<(&str, bool)> = gaps
            .iter()
            .map(|g| (g.address.as_str(), g.changed))
            .collect();
        assert_eq!(
            found,
            [
                ("aws_lambda_function.legacy", false),
                ("module.function_payment.aws_lambda_function.this", true)
            ]
        );
        assert_eq!(
            gaps[1].detail,
            "function `payment` is not traced: its tracing mode is PassThrough"
        );
        assert!(gaps_in_plan(b"[]").is_err());
    }
}
