//! `stackform tracing` output: the coverage matrix, sampling rules and groups, broken traces,
//! the cost estimate and the policy verdict, as text, markdown or JSON.
//!
//! One environment gets a component × feature table; several get one table with the
//! environments side by side. The JSON schema is documented in docs/tracing.md.

use std::collections::BTreeMap;

use owo_colors::OwoColorize;
use serde::Serialize;

use super::Report;
use super::cost::{self, Cost};
use super::findings::Finding;
use super::matrix::{Cell, Component, Feature, Group, Kind, Matrix, SamplingRule, Status};
use super::policy::Violation;
use super::value::number_text;

/// A table's cells with their statuses, rendered aligned (text) or with pipes (markdown).
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<(String, Option<Status>)>>,
    /// Columns of names and patterns, set in code in markdown so `*` and `_` stay literal.
    code: Vec<usize>,
}

impl Table {
    fn text(&self, colour: bool) -> String {
        let columns = self.head.len();
        let mut widths: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, (cell, _)) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: Vec<(String, Option<Status>)>| {
            let mut out = String::new();
            for (i, (cell, status)) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                let shown = match status {
                    Some(s) if colour => paint(cell, *s),
                    _ => cell.clone(),
                };
                out.push_str(&shown);
                if i + 1 < cells.len() {
                    out.push_str(&" ".repeat(pad + 2));
                }
            }
            out.trim_end().to_string() + "\n"
        };
        let mut out = line(self.head.iter().map(|h| (h.clone(), None)).collect());
        for row in &self.rows {
            out.push_str(&line(row.clone()));
        }
        out
    }

    fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = format!(
            "| {} |\n|{}|\n",
            self.head
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | "),
            self.head
                .iter()
                .map(|_| "---")
                .collect::<Vec<_>>()
                .join("|")
        );
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, (c, s))| match s {
                    _ if self.code.contains(&i) && !c.is_empty() => format!("`{}`", esc(c)),
                    Some(Status::Broken) => format!("**{}**", esc(c)),
                    _ => esc(c),
                })
                .collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}

fn paint(s: &str, status: Status) -> String {
    match status {
        Status::Ok => s.green().to_string(),
        Status::Off => s.dimmed().to_string(),
        Status::Broken => s.red().bold().to_string(),
        Status::Unknown => s.yellow().to_string(),
        Status::Info => s.to_string(),
    }
}

/// Not applicable: the feature does not exist for this kind of component.
const NA: &str = "·";

fn features_used(matrices: &[&Matrix]) -> Vec<Feature> {
    Feature::ALL
        .iter()
        .copied()
        .filter(|f| {
            matrices
                .iter()
                .any(|m| m.components.iter().any(|c| c.cells.contains_key(f)))
        })
        .collect()
}

fn component_label(c: &Component) -> String {
    format!("{} {}", c.kind.as_str(), c.name)
}

fn rule_text(r: &SamplingRule) -> String {
    format!(
        "{}{}",
        r.describe(),
        if r.samples_nothing {
            " (samples nothing)"
        } else {
            ""
        }
    )
}

fn rule_status(r: &SamplingRule) -> Status {
    if r.samples_nothing {
        Status::Broken
    } else {
        Status::Ok
    }
}

fn group_text(g: &Group) -> (String, Status) {
    match g.insights {
        Some(true) => ("on".into(), Status::Ok),
        Some(false) => ("off".into(), Status::Info),
        None => ("unknown".into(), Status::Unknown),
    }
}

fn cost_line(c: &Cost) -> String {
    format!(
        "{} traces recorded: {} ({} after the 100,000 free traces a month) + insights {} = {} per month{}",
        cost::thousands(c.traces as f64),
        cost::dollars(c.recorded_usd),
        cost::dollars(c.recorded_after_free_tier_usd),
        cost::dollars(c.insights_usd),
        cost::dollars(c.total_usd),
        if c.incomplete {
            " at least (a sampling rate is known only after apply)"
        } else {
            ""
        }
    )
}

fn heading(r: &Report) -> String {
    format!("tracing in `{}` ({})", r.env, r.origin.describe())
}

fn policy_required_line(r: &Report) -> Option<String> {
    r.policy.as_ref().map(|v| {
        if v.is_empty() {
            format!(
                "policy: `{}` must be fully traced (`policy.require_tracing`): ok",
                r.env
            )
        } else {
            format!(
                "policy: `{}` must be fully traced (`policy.require_tracing`): {} violation{}",
                r.env,
                v.len(),
                if v.len() == 1 { "" } else { "s" }
            )
        }
    })
}

fn violation_line(v: &Violation) -> String {
    match &v.location {
        Some(at) => format!("{at}: {}", v.detail),
        None => format!("{}: {}", v.address, v.detail),
    }
}

fn finding_line(f: &Finding) -> String {
    format!("{}: {}", f.kind.as_str(), f.detail)
}

/// The matrix of one environment.
fn matrix_table(m: &Matrix) -> Table {
    let features = features_used(&[m]);
    let mut head = vec!["component".to_string()];
    head.extend(features.iter().map(|f| f.title().to_string()));
    let rows = m
        .components
        .iter()
        .map(|c| {
            let mut row = vec![(component_label(c), None)];
            row.extend(features.iter().map(|f| match c.cell(*f) {
                Some(cell) => (cell.value.clone(), Some(cell.status)),
                None => (NA.to_string(), None),
            }));
            row
        })
        .collect();
    Table {
        head,
        rows,
        code: Vec::new(),
    }
}

fn rules_table(m: &Matrix) -> Table {
    Table {
        code: vec![2, 3, 4],
        head: ["rule", "priority", "method", "path", "service", "samples"]
            .map(String::from)
            .to_vec(),
        rows: m
            .rules
            .iter()
            .map(|r| {
                vec![
                    (r.name.clone(), None),
                    (r.priority.map_or("?".into(), number_text), None),
                    (r.http_method.clone(), None),
                    (r.url_path.clone(), None),
                    (r.service_name.clone(), None),
                    (rule_text(r), Some(rule_status(r))),
                ]
            })
            .collect(),
    }
}

fn groups_table(m: &Matrix) -> Table {
    Table {
        code: vec![2],
        head: ["group", "insights", "filter expression"]
            .map(String::from)
            .to_vec(),
        rows: m
            .groups
            .iter()
            .map(|g| {
                let (text, status) = group_text(g);
                vec![
                    (g.name.clone(), None),
                    (text, Some(status)),
                    (g.filter_expression.clone(), None),
                ]
            })
            .collect(),
    }
}

fn cost_table(c: &Cost) -> Table {
    Table {
        code: vec![0],
        head: [
            "route",
            "requests/month",
            "sampled by",
            "rule",
            "traces/month",
        ]
        .map(String::from)
        .to_vec(),
        rows: c
            .routes
            .iter()
            .map(|r| {
                vec![
                    (format!("{} {}", r.method, r.path), None),
                    (cost::thousands(r.monthly_requests as f64), None),
                    (
                        r.sampled_by.clone().unwrap_or_else(|| "not traced".into()),
                        None,
                    ),
                    (r.rule.clone().unwrap_or_else(|| "-".into()), None),
                    (cost::thousands(r.traces as f64), None),
                ]
            })
            .collect(),
    }
}

fn prices_note() -> String {
    format!(
        "AWS list prices read {} from {}: ${:.2} per million traces recorded, ${:.2} per million processed by insights; retrieving and scanning traces (${:.2} per million) depends on use and is not estimated",
        cost::PRICES_READ,
        cost::PRICES_SOURCE,
        cost::PRICE_RECORDED_PER_MILLION,
        cost::PRICE_INSIGHTS_PER_MILLION,
        cost::PRICE_RETRIEVED_PER_MILLION,
    )
}

/// Plain text, coloured when `colour` is set.
pub fn text(reports: &[Report], colour: bool) -> String {
    match reports {
        [one] => text_one(one, colour),
        many => text_many(many, colour),
    }
}

fn text_one(r: &Report, colour: bool) -> String {
    let mut out = format!("{}\n\n", heading(r));
    if r.matrix.components.is_empty() {
        out.push_str(
            "no traceable component (function, API stage, state machine, queue or table) found\n",
        );
    } else {
        out.push_str(&matrix_table(&r.matrix).text(colour));
    }
    if !r.matrix.rules.is_empty() {
        out.push_str("\nsampling rules, first match wins:\n");
        out.push_str(&indent(&rules_table(&r.matrix).text(colour)));
    }
    if !r.matrix.groups.is_empty() {
        out.push_str("\ngroups:\n");
        out.push_str(&indent(&groups_table(&r.matrix).text(colour)));
    }
    out.push('\n');
    out.push_str(&findings_text(&r.findings));
    if let Some(c) = &r.cost {
        out.push_str("\nx-ray cost per month (estimate):\n");
        out.push_str(&indent(&cost_table(c).text(colour)));
        out.push_str(&format!("  total: {}\n", cost_line(c)));
        out.push_str(&format!("  prices: {}\n", prices_note()));
    }
    if let Some(line) = policy_required_line(r) {
        out.push('\n');
        out.push_str(&line);
        out.push('\n');
        for v in r.policy.iter().flatten() {
            out.push_str(&format!("  - {}\n", violation_line(v)));
        }
    }
    out
}

fn findings_text(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "broken traces: none\n".into();
    }
    let mut out = format!("broken traces: {}\n", findings.len());
    for f in findings {
        out.push_str(&format!("  - {}\n", finding_line(f)));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// Rows of the side-by-side table: every component and feature any environment has.
fn side_by_side(reports: &[Report]) -> Table {
    let mut head = vec!["component".to_string(), "feature".to_string()];
    head.extend(reports.iter().map(|r| r.env.clone()));
    let mut keys: Vec<(Kind, String)> = Vec::new();
    for r in reports {
        for c in &r.matrix.components {
            let key = (c.kind, c.name.clone());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys.sort();
    let mut rows = Vec::new();
    for (kind, name) in &keys {
        let found: Vec<Option<&Component>> = reports
            .iter()
            .map(|r| {
                r.matrix
                    .components
                    .iter()
                    .find(|c| c.kind == *kind && c.name == *name)
            })
            .collect();
        let features: Vec<Feature> = Feature::ALL
            .iter()
            .copied()
            .filter(|f| found.iter().flatten().any(|c| c.cells.contains_key(f)))
            .collect();
        for (n, f) in features.iter().enumerate() {
            let label = if n == 0 {
                format!("{} {name}", kind.as_str())
            } else {
                String::new()
            };
            let mut row = vec![(label, None), (f.title().to_string(), None)];
            row.extend(found.iter().map(|c| match c.and_then(|c| c.cell(*f)) {
                Some(Cell { value, status }) => (value.clone(), Some(*status)),
                None if c.is_none() => ("absent".into(), Some(Status::Info)),
                None => (NA.into(), None),
            }));
            rows.push(row);
        }
    }
    let mut rule_names: Vec<&str> = Vec::new();
    for r in reports {
        for rule in &r.matrix.rules {
            if !rule_names.contains(&rule.name.as_str()) {
                rule_names.push(&rule.name);
            }
        }
    }
    for (n, name) in rule_names.iter().enumerate() {
        let mut row = vec![
            (
                if n == 0 {
                    "sampling rule".into()
                } else {
                    String::new()
                },
                None,
            ),
            (name.to_string(), None),
        ];
        row.extend(
            reports
                .iter()
                .map(|r| match r.matrix.rules.iter().find(|x| x.name == *name) {
                    Some(rule) => (rule_text(rule), Some(rule_status(rule))),
                    None => ("absent".into(), Some(Status::Info)),
                }),
        );
        rows.push(row);
    }
    let mut group_names: Vec<&str> = Vec::new();
    for r in reports {
        for g in &r.matrix.groups {
            if !group_names.contains(&g.name.as_str()) {
                group_names.push(&g.name);
            }
        }
    }
    for (n, name) in group_names.iter().enumerate() {
        let mut row = vec![
            (
                if n == 0 {
                    "group".into()
                } else {
                    String::new()
                },
                None,
            ),
            (name.to_string(), None),
        ];
        row.extend(reports.iter().map(
            |r| match r.matrix.groups.iter().find(|g| g.name == *name) {
                Some(g) => {
                    let (t, s) = group_text(g);
                    (format!("insights {t}"), Some(s))
                }
                None => ("absent".into(), Some(Status::Info)),
            },
        ));
        rows.push(row);
    }
    let mut row = vec![("broken traces".into(), None), (String::new(), None)];
    row.extend(reports.iter().map(|r| {
        let n = r.findings.len();
        (
            n.to_string(),
            Some(if n == 0 { Status::Ok } else { Status::Broken }),
        )
    }));
    rows.push(row);
    if reports.iter().any(|r| r.cost.is_some()) {
        let mut traces = vec![("x-ray cost".into(), None), ("traces/month".into(), None)];
        let mut usd = vec![(String::new(), None), ("usd/month".into(), None)];
        for r in reports {
            match &r.cost {
                Some(c) => {
                    traces.push((cost::thousands(c.traces as f64), None));
                    usd.push((cost::dollars(c.total_usd), None));
                }
                None => {
                    traces.push((NA.into(), None));
                    usd.push((NA.into(), None));
                }
            }
        }
        rows.push(traces);
        rows.push(usd);
    }
    let mut row = vec![("policy".into(), None), ("require_tracing".into(), None)];
    row.extend(reports.iter().map(|r| match &r.policy {
        None => ("not required".into(), Some(Status::Info)),
        Some(v) if v.is_empty() => ("ok".into(), Some(Status::Ok)),
        Some(v) => (format!("{} violations", v.len()), Some(Status::Broken)),
    }));
    rows.push(row);
    Table {
        head,
        rows,
        code: Vec::new(),
    }
}

fn text_many(reports: &[Report], colour: bool) -> String {
    let mut out = String::from("tracing by environment\n");
    for r in reports {
        out.push_str(&format!("  {}: {}\n", r.env, r.origin.describe()));
    }
    out.push('\n');
    out.push_str(&side_by_side(reports).text(colour));
    for r in reports {
        if r.findings.is_empty() && r.policy.as_ref().is_none_or(Vec::is_empty) {
            continue;
        }
        out.push_str(&format!("\n{}:\n", r.env));
        for f in &r.findings {
            out.push_str(&format!("  - {}\n", finding_line(f)));
        }
        for v in r.policy.iter().flatten() {
            out.push_str(&format!("  - policy: {}\n", violation_line(v)));
        }
    }
    if reports.iter().any(|r| r.cost.is_some()) {
        out.push_str(&format!(
            "\nx-ray cost is an estimate; prices: {}\n",
            prices_note()
        ));
    }
    out
}

/// A pull-request comment.
pub fn markdown(reports: &[Report]) -> String {
    let mut out = String::new();
    if let [r] = reports {
        out.push_str(&format!("## Tracing in `{}`\n\n", r.env));
        out.push_str(&format!("Read {}.\n\n", r.origin.describe()));
        if r.matrix.components.is_empty() {
            out.push_str("No traceable component found.\n");
        } else {
            out.push_str(&matrix_table(&r.matrix).markdown());
        }
        if !r.matrix.rules.is_empty() {
            out.push_str("\n### Sampling rules\n\nFirst match wins.\n\n");
            out.push_str(&rules_table(&r.matrix).markdown());
        }
        if !r.matrix.groups.is_empty() {
            out.push_str("\n### Groups\n\n");
            out.push_str(&groups_table(&r.matrix).markdown());
        }
        out.push_str("\n### Broken traces\n\n");
        if r.findings.is_empty() {
            out.push_str("None.\n");
        }
        for f in &r.findings {
            out.push_str(&format!("- `{}`: {}\n", f.kind.as_str(), f.detail));
        }
        if let Some(c) = &r.cost {
            out.push_str("\n### X-Ray cost per month (estimate)\n\n");
            out.push_str(&cost_table(c).markdown());
            out.push_str(&format!(
                "\nTotal: {}.\n\nPrices: {}.\n",
                cost_line(c),
                prices_note()
            ));
        }
        if let Some(line) = policy_required_line(r) {
            out.push_str(&format!(
                "\n### Policy\n\n{}\n",
                capitalise(line.trim_start_matches("policy: "))
            ));
            for v in r.policy.iter().flatten() {
                out.push_str(&format!("- {}\n", violation_line(v)));
            }
        }
        return out;
    }
    out.push_str("## Tracing by environment\n\n");
    for r in reports {
        out.push_str(&format!("- `{}`: read {}\n", r.env, r.origin.describe()));
    }
    out.push('\n');
    out.push_str(&side_by_side(reports).markdown());
    for r in reports {
        if r.findings.is_empty() && r.policy.as_ref().is_none_or(Vec::is_empty) {
            continue;
        }
        out.push_str(&format!("\n### `{}`\n\n", r.env));
        for f in &r.findings {
            out.push_str(&format!("- `{}`: {}\n", f.kind.as_str(), f.detail));
        }
        for v in r.policy.iter().flatten() {
            out.push_str(&format!("- policy: {}\n", violation_line(v)));
        }
    }
    if reports.iter().any(|r| r.cost.is_some()) {
        out.push_str(&format!(
            "\nX-Ray cost is an estimate. Prices: {}.\n",
            prices_note()
        ));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    format_version: &'static str,
    environments: Vec<JsonEnv<'a>>,
}

#[derive(Serialize)]
struct JsonSource<'a> {
    kind: &'static str,
    path: &'a str,
}

#[derive(Serialize)]
struct JsonComponent<'a> {
    kind: Kind,
    name: &'a str,
    address: &'a str,
    aws_name: Option<&'a str>,
    traced: bool,
    features: BTreeMap<&'static str, &'a Cell>,
}

#[derive(Serialize)]
struct JsonRoute<'a> {
    method: &'a str,
    path: &'a str,
    function: Option<&'a str>,
    stage: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonEdge {
    from: String,
    to: String,
    link: super::matrix::Link,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    require_tracing: bool,
    violations: &'a [Violation],
}

#[derive(Serialize)]
struct JsonEnv<'a> {
    environment: &'a str,
    source: JsonSource<'a>,
    components: Vec<JsonComponent<'a>>,
    routes: Vec<JsonRoute<'a>>,
    links: Vec<JsonEdge>,
    sampling_rules: &'a [SamplingRule],
    groups: &'a [Group],
    broken_traces: &'a [Finding],
    cost: Option<&'a Cost>,
    policy: JsonPolicy<'a>,
}

/// The stable JSON document (schema in docs/tracing.md).
pub fn json(reports: &[Report]) -> String {
    let environments = reports
        .iter()
        .map(|r| {
            let m = &r.matrix;
            let name =
                |i: usize| format!("{} {}", m.components[i].kind.as_str(), m.components[i].name);
            JsonEnv {
                environment: &r.env,
                source: JsonSource {
                    kind: r.origin.kind(),
                    path: r.origin.path(),
                },
                components: m
                    .components
                    .iter()
                    .map(|c| JsonComponent {
                        kind: c.kind,
                        name: &c.name,
                        address: &c.address,
                        aws_name: c.aws_name.as_deref(),
                        traced: c.traced,
                        features: c.cells.iter().map(|(f, cell)| (f.key(), cell)).collect(),
                    })
                    .collect(),
                routes: m
                    .routes
                    .iter()
                    .map(|route| JsonRoute {
                        method: &route.method,
                        path: &route.path,
                        function: route.function.map(|f| m.components[f].name.as_str()),
                        stage: route.stage.map(|s| m.components[s].name.as_str()),
                    })
                    .collect(),
                links: m
                    .edges
                    .iter()
                    .map(|e| JsonEdge {
                        from: name(e.from),
                        to: name(e.to),
                        link: e.link,
                    })
                    .collect(),
                sampling_rules: &m.rules,
                groups: &m.groups,
                broken_traces: &r.findings,
                cost: r.cost.as_ref(),
                policy: JsonPolicy {
                    require_tracing: r.policy.is_some(),
                    violations: r.policy.as_deref().unwrap_or(&[]),
                },
            }
        })
        .collect();
    let doc = JsonDoc {
        format_version: "1",
        environments,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
