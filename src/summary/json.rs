//! The JSON format: a stable, versioned schema for pipelines (documented in
//! `docs/summary-json.md`; change both together and bump `SCHEMA_VERSION` on breaking changes).
//!
//! Values never appear in it, only attribute paths and names, each masked like the text format.

use serde::Serialize;

use super::{Counts, Risk, Skipped, Summary};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    #[serde(flatten)]
    body: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(flatten)]
    counts: &'a Counts,
    resources: Vec<Resource<'a>>,
    risks: &'a [Risk],
    /// Only in emulator mode with `--skip-type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'a Skipped>,
}

#[derive(Serialize)]
struct Resource<'a> {
    address: &'a str,
    previous_address: Option<&'a str>,
    module: Option<&'a str>,
    mode: String,
    #[serde(rename = "type")]
    kind: String,
    name: &'a str,
    action: &'a str,
    actions: &'a [String],
    reason: Option<&'a str>,
    replace_paths: &'a [String],
    changed_attributes: Vec<&'a str>,
    importing: bool,
    deposed: Option<&'a str>,
}

#[derive(Serialize)]
struct Combined<'a> {
    schema_version: u32,
    environments: Vec<Environment<'a>>,
}

#[derive(Serialize)]
struct Environment<'a> {
    environment: &'a str,
    #[serde(flatten)]
    body: Body<'a>,
}

fn body(s: &Summary) -> Body<'_> {
    Body {
        counts: &s.counts,
        resources: s
            .resources
            .iter()
            .map(|r| Resource {
                address: &r.address,
                previous_address: r.previous_address.as_deref(),
                module: r.module.as_deref(),
                // Kept raw in the summary for counting and risks; masked for display.
                mode: s.secrets.redact(&r.mode),
                kind: s.secrets.redact(&r.kind),
                name: &r.name,
                action: r.action.as_str(),
                actions: &r.actions,
                reason: r.reason.as_deref(),
                replace_paths: &r.replace_paths,
                changed_attributes: r.attributes.iter().map(|a| a.path.as_str()).collect(),
                importing: r.import.is_some(),
                deposed: r.deposed.as_deref(),
            })
            .collect(),
        risks: &s.risks,
        skipped: s.skipped.as_ref(),
    }
}

fn to_string<T: Serialize>(doc: &T) -> String {
    // Serialising these plain structs cannot fail; fall back to a valid document regardless.
    let mut out = serde_json::to_string_pretty(doc)
        .unwrap_or_else(|e| format!("{{\"error\": {}}}", serde_json::Value::from(e.to_string())));
    out.push('\n');
    out
}

pub fn render(s: &Summary) -> String {
    to_string(&Document {
        schema_version: SCHEMA_VERSION,
        body: body(s),
    })
}

pub fn render_combined(envs: &[(String, Summary)]) -> String {
    to_string(&Combined {
        schema_version: SCHEMA_VERSION,
        environments: envs
            .iter()
            .map(|(name, s)| Environment {
                environment: name,
                body: body(s),
            })
            .collect(),
    })
}
