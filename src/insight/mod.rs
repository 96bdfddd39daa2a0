//! Tracing insight: what each environment actually traces, where traces break, what tracing
//! costs, and how environments differ, computed from the HCL that will be applied (or from a
//! plan), not from the model.
//!
//! Reading produces an [`inventory::Inventory`] (resource instances with their values); the
//! matrix, findings, cost, service map and policy are all derived from it, so HCL and plans
//! are judged by the same code. The model contributes only what HCL cannot say: request
//! volumes per route (for cost) and which environments the policy names.

pub mod cost;
pub mod diff;
pub mod findings;
pub mod graph;
pub mod hcl;
pub mod inventory;
pub mod matrix;
pub mod plan;
pub mod policy;
pub mod report;
pub mod value;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, bail};

use crate::model::Model;
use crate::render::{Selection, render};
use inventory::{Inventory, Origin};

/// Everything `stackform tracing` says about one environment (or one plan).
pub struct Report {
    pub env: String,
    pub origin: Origin,
    pub matrix: matrix::Matrix,
    pub findings: Vec<findings::Finding>,
    pub cost: Option<cost::Cost>,
    /// The policy's verdict when the environment is named in `require_tracing`.
    pub policy: Option<Vec<policy::Violation>>,
}

impl Report {
    pub fn new(env: &str, inventory: &Inventory, model: &Model, required: bool) -> Self {
        let matrix = matrix::build(inventory);
        let findings = findings::find(&matrix);
        // Routes and their volumes are shared by every environment (the API module is).
        let volumes: Vec<(String, String, i64)> = model
            .env(env)
            .or(model.environments.first())
            .and_then(|s| s.api.as_ref())
            .map(|api| {
                api.routes
                    .iter()
                    .map(|r| {
                        (
                            r.method.value.clone(),
                            r.path.value.clone(),
                            r.monthly_requests,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cost = (!matrix.routes.is_empty()).then(|| cost::estimate(&matrix, &volumes));
        let policy = required.then(|| policy::violations(&matrix));
        Self {
            env: env.to_string(),
            origin: inventory.origin.clone(),
            matrix,
            findings,
            cost,
            policy,
        }
    }
}

/// Reads `environments/<env>/` under `dir`, or, when that folder is missing, the model's
/// rendering of it in memory (a note says so).
pub fn read_environment(dir: &Path, model: &Model, source: &str, env: &str) -> Result<Inventory> {
    let root = format!("environments/{env}");
    let disk = hcl::Files::Disk(dir.to_path_buf());
    let shown = if dir == Path::new(".") {
        root.clone()
    } else {
        dir.join(&root).display().to_string()
    };
    if disk.has_dir(&root) {
        return hcl::read(&disk, &root, Origin::Hcl(shown));
    }
    if model.env(env).is_none() {
        let declared = model.env_list();
        bail!(
            "unknown environment `{env}`: `{shown}` does not exist and {source} declares {declared}"
        );
    }
    let files: BTreeMap<String, String> = render(model, &Selection::One(env), source)
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect();
    let mut inventory = hcl::read(
        &hcl::Files::Memory(files),
        &root,
        Origin::Rendered(shown.clone()),
    )?;
    let stack = if source == "stack.toml" {
        String::new()
    } else {
        format!(" --stack {source}")
    };
    inventory.notes.insert(
        0,
        format!("`{shown}` does not exist; reading `{env}` as {source} renders it (run `stackform gen --env {env}{stack}` to write it)"),
    );
    Ok(inventory)
}
