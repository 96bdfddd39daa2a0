//! Plan summaries: exact counts, risks and readable renderings of any Terraform plan.
//!
//! `Summary::from_json` reads a plan JSON document once and keeps only display text: values
//! are masked and shortened while parsing (see `diff`), so no later stage can print a secret.
//! The public API here is what `plan`, `apply` and `summary` use.

mod address;
mod diff;
mod input;
mod json;
mod markdown;
mod marker;
mod plan;
mod risk;
mod secrets;
#[cfg(test)]
mod secrets_tests;
mod show;
#[cfg(test)]
mod tests;
mod text;

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::cli::Format;

pub use diff::{AttrChange, Shown};
pub use input::is_binary_plan;
// `STATEFUL_TYPES` is part of the API `plan` and `apply` share, even while they do not use it.
#[allow(unused_imports)]
pub use risk::STATEFUL_TYPES;
pub use risk::{Risk, RiskClass};
pub(crate) use show::show_json;

use diff::Sides;
use plan::{ChangeDoc, PlanDoc, ResourceChangeDoc};
use secrets::Secrets;

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

/// What Terraform will do to one object, from the `actions` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    Replace(Replace),
    Read,
    NoOp,
    Forget,
    /// An action list this version does not know; listed, never counted.
    Unknown,
}

/// The order of a replacement's two halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// `["delete", "create"]`, the default.
    DeleteBeforeCreate,
    /// `["create", "delete"]`, with `create_before_destroy`.
    CreateBeforeDestroy,
    /// `["create", "forget"]`: the old object is left alone.
    CreateThenForget,
}

impl Action {
    fn from_actions(actions: &[&str]) -> Self {
        match actions {
            ["create"] => Self::Create,
            ["update"] => Self::Update,
            ["delete"] => Self::Delete,
            ["delete", "create"] => Self::Replace(Replace::DeleteBeforeCreate),
            ["create", "delete"] => Self::Replace(Replace::CreateBeforeDestroy),
            ["create", "forget"] => Self::Replace(Replace::CreateThenForget),
            ["read"] => Self::Read,
            ["no-op"] => Self::NoOp,
            ["forget"] => Self::Forget,
            _ => Self::Unknown,
        }
    }

    /// The name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Replace(_) => "replace",
            Self::Read => "read",
            Self::NoOp => "no-op",
            Self::Forget => "forget",
            Self::Unknown => "unknown",
        }
    }

    /// Terraform's symbol for the action (`+/.` is ours: Terraform has none for it).
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Create => "+",
            Self::Update => "~",
            Self::Delete => "-",
            Self::Replace(Replace::DeleteBeforeCreate) => "-/+",
            Self::Replace(Replace::CreateBeforeDestroy) => "+/-",
            Self::Replace(Replace::CreateThenForget) => "+/.",
            Self::Read => "<=",
            Self::NoOp => "",
            Self::Forget => ".",
            Self::Unknown => "?",
        }
    }
}

/// How an import finds its object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Import {
    Id(String),
    Identity,
}

/// One entry of `resource_changes` (or `resource_drift`), reduced to what summaries show.
#[derive(Debug, Clone)]
pub struct ResourceChange {
    pub address: String,
    /// Set only when the resource moved (differs from `address`).
    pub previous_address: Option<String>,
    /// `module.a.module.b`, `None` in the root module.
    pub module: Option<String>,
    /// `managed` or `data`.
    pub mode: String,
    pub kind: String,
    pub name: String,
    pub action: Action,
    /// The raw action list, for JSON and for actions this version does not know.
    pub actions: Vec<String>,
    /// Terraform's `action_reason`.
    pub reason: Option<String>,
    pub replace_paths: Vec<String>,
    pub import: Option<Import>,
    pub deposed: Option<String>,
    /// Changed attributes of updates and replacements, values masked.
    pub attributes: Vec<AttrChange>,
}

impl ResourceChange {
    /// Whether the change destroys the existing object.
    pub fn destroys(&self) -> bool {
        matches!(
            self.action,
            Action::Delete
                | Action::Replace(Replace::DeleteBeforeCreate | Replace::CreateBeforeDestroy)
        )
    }

    /// "deleted", "replaced: cannot be updated in place; forced by `name`", ...
    pub fn what_happens(&self) -> String {
        let verb = match self.action {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Delete => "deleted",
            Action::Replace(_) => "replaced",
            Action::Read => "read",
            Action::NoOp => "unchanged",
            Action::Forget => "forgotten (not destroyed)",
            Action::Unknown => "changed in an unknown way",
        };
        let mut out = verb.to_string();
        let mut why = Vec::new();
        if let Some(r) = &self.reason {
            why.push(reason_text(r));
        }
        if !self.replace_paths.is_empty() {
            let paths: Vec<String> = self
                .replace_paths
                .iter()
                .map(|p| format!("`{p}`"))
                .collect();
            why.push(format!("forced by {}", paths.join(", ")));
        }
        if !why.is_empty() {
            out.push_str(": ");
            out.push_str(&why.join("; "));
        }
        out
    }

    /// Notes shown after the address: move, import, deposed object, reason.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(prev) = &self.previous_address {
            notes.push(format!("moved from {prev}"));
        }
        match &self.import {
            Some(Import::Id(id)) => notes.push(format!("import id {}", Value::from(id.as_str()))),
            Some(Import::Identity) => notes.push("import by identity".to_string()),
            None => {}
        }
        if let Some(d) = &self.deposed {
            notes.push(format!("deposed object {d}"));
        }
        if let Some(r) = &self.reason {
            notes.push(reason_text(r));
        }
        if self.action == Action::Unknown {
            notes.push(format!("unknown actions {}", self.actions.join(", ")));
        }
        notes
    }
}

/// Terraform's `action_reason` codes in words; unknown codes as they are.
pub fn reason_text(code: &str) -> String {
    let text = match code {
        "replace_because_cannot_update" => "cannot be updated in place",
        "replace_because_tainted" => "tainted",
        "replace_by_request" => "replacement requested with -replace",
        "replace_by_triggers" => "replace_triggered_by changed",
        "delete_because_no_resource_config" => "not in the configuration",
        "delete_because_no_module" => "its module is not in the configuration",
        "delete_because_wrong_repetition" => "count or for_each changed",
        "delete_because_count_index" => "count index out of range",
        "delete_because_each_key" => "for_each key no longer exists",
        "delete_because_no_move_target" => "moved target not in the configuration",
        "read_because_config_unknown" => "configuration known only after apply",
        "read_because_dependency_pending" => "a dependency has changes pending",
        "read_because_check_nested" => "a check block reads it",
        other => other,
    };
    text.to_string()
}

/// One changed output value.
#[derive(Debug, Clone)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Shown,
    pub after: Shown,
}

/// What `--skip-type` left out of a plan, so no summary is silent about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub types: Vec<String>,
    pub addresses: Vec<String>,
}

impl Skipped {
    /// One line for people: the types, and how many addresses were left out.
    pub fn line(&self) -> String {
        let types: Vec<String> = self.types.iter().map(|t| format!("`{t}`")).collect();
        format!(
            "Skipped (emulator mode, `--skip-type`): {}; {} {} left out of this plan.",
            types.join(", "),
            self.addresses.len(),
            plural(self.addresses.len(), "resource", "resources")
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub format_version: Option<String>,
    pub counts: Counts,
    /// Resource changes Terraform shows (no plain no-ops, no deleted data sources), in plan
    /// order (Terraform sorts them by address).
    pub resources: Vec<ResourceChange>,
    /// Changes made outside Terraform (`resource_drift`).
    pub drift: Vec<ResourceChange>,
    /// Output values that change.
    pub outputs: Vec<OutputChange>,
    pub risks: Vec<Risk>,
    /// Things the reader should know that do not stop a summary (unknown actions, newer format).
    pub warnings: Vec<String>,
    /// Resource types left out in emulator mode (`--skip-type`), and the addresses they cover.
    pub skipped: Option<Skipped>,
    /// The plan's secrets, for masking what is added later (tracing-policy risks).
    secrets: std::sync::Arc<Secrets>,
    /// Resource changes Terraform would render; decides between `Plan:` and `No changes.`.
    shown: usize,
    action_invocations: usize,
}

impl Summary {
    /// Reads a plan JSON document (`terraform show -json` output): UTF-8 with or without a BOM,
    /// or UTF-16. Input that is not one plan document gets an error that says what it is.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let text = input::decode(bytes)?;
        let doc: PlanDoc<'_> = match serde_json::from_slice(&text) {
            Ok(doc) => doc,
            Err(e) => return Err(input::explain(&text, &e)),
        };
        Self::from_doc(doc)
    }

    fn from_doc(doc: PlanDoc<'_>) -> Result<Self> {
        let looks_like_plan = doc.format_version.is_some()
            || doc.resource_changes.is_some()
            || doc.planned_values.is_some();
        if !looks_like_plan || (doc.values.is_some() && doc.planned_values.is_none()) {
            if doc.values.is_some() {
                bail!(
                    "it is a state document, not a plan; run `terraform show -json PLANFILE` with \
                     the plan file written by `terraform plan -out=PLANFILE`"
                );
            }
            bail!(
                "it has none of the keys `format_version`, `resource_changes` or \
                 `planned_values`, so it is not a plan; expected the output of \
                 `terraform show -json PLANFILE`"
            );
        }
        let mut s = Summary {
            format_version: doc.format_version.as_ref().map(|v| v.as_str().to_string()),
            action_invocations: doc.action_invocations.as_ref().map_or(0, Vec::len),
            ..Summary::default()
        };
        if let Some(v) = &s.format_version {
            let major = v.split('.').next().and_then(|m| m.parse::<u64>().ok());
            if major.is_none_or(|m| m > 1) {
                s.warnings.push(format!(
                    "the plan has format_version `{v}`, newer than the 1.x this stackform \
                     knows; counts may miss new kinds of change"
                ));
            }
        }
        if doc.errored == Some(true) {
            s.warnings.push(
                "terraform reported errors while planning (`errored: true`): the plan is \
                 incomplete"
                    .to_string(),
            );
        }
        let sensitive_outputs = sensitive_outputs(&doc);
        let secrets = collect_secrets(&doc, &sensitive_outputs);
        let changes = doc.resource_changes.as_deref().unwrap_or_default();
        for rc in changes {
            s.add_change(rc, &secrets);
        }
        let drift = doc.resource_drift.as_deref().unwrap_or_default();
        s.counts.drift = drift.len();
        for rc in drift {
            let (entry, _) = entry(rc, &secrets, false);
            s.drift.push(entry);
        }
        for (name, ch) in doc.output_changes.iter().flatten() {
            let actions: Vec<&str> = ch.actions.iter().flatten().map(|a| a.as_str()).collect();
            if actions.is_empty() || actions == ["no-op"] {
                continue;
            }
            s.counts.output_changes += 1;
            let whole = sensitive_outputs.contains(name.as_str());
            let sides = parse_sides(ch);
            let sides = sides.view();
            let (before, after) = if whole {
                let mask = |v: Option<&Value>| match v {
                    None | Some(Value::Null) => Shown::Absent,
                    Some(_) => Shown::Sensitive,
                };
                let after = if diff::is_true(sides.after_unknown) {
                    Shown::Unknown
                } else {
                    mask(sides.after)
                };
                (mask(sides.before), after)
            } else {
                (sides.before_shown(&secrets), sides.after_shown(&secrets))
            };
            s.outputs.push(OutputChange {
                name: secrets.redact(name.as_str()),
                action: Action::from_actions(&actions),
                before,
                after,
            });
        }
        s.risks
            .sort_by(|a, b| (a.class, &a.address).cmp(&(b.class, &b.address)));
        s.secrets = std::sync::Arc::new(secrets);
        Ok(s)
    }

    /// Counts one resource change exactly as Terraform's `Plan:` line does.
    fn add_change(&mut self, rc: &ResourceChangeDoc<'_>, secrets: &Secrets) {
        let (entry, risks) = entry(rc, secrets, true);
        let c = &mut self.counts;
        let moved = entry.previous_address.is_some();
        let importing = entry.import.is_some();
        if moved {
            c.moved += 1;
        }
        if entry.action == Action::NoOp {
            c.no_op += 1;
            if moved || importing {
                self.shown += 1;
                c.import += usize::from(importing);
                self.resources.push(entry);
            }
            return;
        }
        if entry.action == Action::Delete && entry.mode != "managed" {
            // Terraform neither shows nor counts a data source leaving the state.
            return;
        }
        self.shown += 1;
        c.import += usize::from(importing);
        match entry.action {
            Action::Create => c.add += 1,
            Action::Update => c.change += 1,
            Action::Delete => c.destroy += 1,
            Action::Replace(kind) => {
                c.replace += 1;
                c.add += 1;
                if kind != Replace::CreateThenForget {
                    c.destroy += 1;
                }
            }
            Action::Read => c.read += 1,
            Action::Forget => c.forget += 1,
            Action::NoOp => {}
            Action::Unknown => self.warnings.push(format!(
                "`{}` has actions [{}], which this stackform does not know; it is listed with \
                 action `unknown` and counted nowhere",
                entry.address,
                entry.actions.join(", ")
            )),
        }
        self.risks.extend(risks);
        self.resources.push(entry);
    }

    /// Whether applying the plan would change anything: a resource change Terraform shows
    /// (moves and imports included), an output value, or an action invocation.
    #[allow(dead_code)] // API for `plan` and `apply`; tested here
    pub fn has_changes(&self) -> bool {
        self.shown > 0 || self.counts.output_changes > 0 || self.action_invocations > 0
    }

    /// Terraform's own summary line (`Plan: 1 to import, 2 to add, 0 to change, 1 to destroy.`),
    /// or `None` where Terraform prints "No changes." or only output changes.
    pub fn plan_line(&self) -> Option<String> {
        if self.shown == 0 && self.action_invocations == 0 {
            return None;
        }
        let c = &self.counts;
        let mut line = String::from("Plan: ");
        if c.import > 0 {
            line.push_str(&format!("{} to import, ", c.import));
        }
        line.push_str(&format!(
            "{} to add, {} to change, {} to destroy.",
            c.add, c.change, c.destroy
        ));
        if self.action_invocations > 0 {
            line.push_str(&format!(" Actions: {} to invoke.", self.action_invocations));
        }
        Some(line)
    }

    /// The `Plan:` line, or what stands in for it.
    pub fn headline(&self) -> String {
        match self.plan_line() {
            Some(line) => line,
            None if self.counts.output_changes > 0 => format!(
                "No resource changes; {} output {} change.",
                self.counts.output_changes,
                plural(self.counts.output_changes, "value", "values")
            ),
            None => "No changes.".to_string(),
        }
    }

    /// Marks each change that leaves a component untraced as a `tracing-regression`, for an
    /// environment that `[policy] require_tracing` names.
    pub fn add_tracing_policy(&mut self, env: &str, plan_json: &[u8]) -> Result<()> {
        for gap in crate::insight::policy::gaps_in_plan(plan_json)? {
            if gap.changed {
                // Addresses and details come from the plan: they go through the secret check.
                self.risks.push(Risk {
                    class: RiskClass::TracingRegression,
                    address: self.secrets.redact(&gap.address),
                    detail: format!(
                        "policy requires tracing in `{env}`: {}",
                        self.secrets.redact(&gap.detail)
                    ),
                });
            }
        }
        self.risks
            .sort_by(|a, b| (a.class, &a.address).cmp(&(b.class, &b.address)));
        self.risks.dedup();
        Ok(())
    }

    /// The risks of the given classes (for `--fail-on`).
    pub fn failing(&self, classes: &[RiskClass]) -> Vec<&Risk> {
        self.risks
            .iter()
            .filter(|r| classes.contains(&r.class))
            .collect()
    }

    /// Renders without colour.
    pub fn render(&self, format: Format) -> String {
        self.render_with(format, false)
    }

    /// Renders; `color` applies to the text format only.
    pub fn render_with(&self, format: Format, color: bool) -> String {
        match format {
            Format::Text => text::render(self, color),
            Format::Markdown => markdown::render(self),
            Format::Json => json::render(self),
        }
    }
}

/// Several environments' summaries as one report with an environment × action table
/// (one pull-request comment in markdown, one document in JSON). Without colour.
pub fn render_combined(envs: &[(String, Summary)], format: Format) -> String {
    render_combined_with(envs, format, false)
}

/// `render_combined` with colour for the text format.
pub fn render_combined_with(envs: &[(String, Summary)], format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render_combined(envs, color),
        Format::Markdown => markdown::render_combined(envs),
        Format::Json => json::render_combined(envs),
    }
}

/// Parses `--fail-on` class names; an unknown name is a usage error listing the known ones.
pub fn parse_fail_on(names: &[String]) -> Result<Vec<RiskClass>> {
    let mut out = Vec::new();
    for name in names {
        let name = name.trim();
        match RiskClass::parse(name) {
            Some(c) if !out.contains(&c) => out.push(c),
            Some(_) => {}
            None => {
                let known: Vec<String> = RiskClass::ALL
                    .iter()
                    .map(|c| format!("`{}`", c.as_str()))
                    .collect();
                bail!(
                    "unknown risk class `{name}` in `--fail-on`: expected one or more of {}, \
                     separated by commas",
                    known.join(", ")
                );
            }
        }
    }
    Ok(out)
}

/// Whether text written to standard output should be coloured: on a terminal unless
/// `NO_COLOR` is set (to anything but the empty string); `CLICOLOR_FORCE` forces it.
pub fn stdout_color() -> bool {
    use std::io::IsTerminal;
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0");
    if set("NO_COLOR") {
        return false;
    }
    set("CLICOLOR_FORCE") || std::io::stdout().is_terminal()
}

pub(crate) fn plural<'s>(n: usize, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 { one } else { many }
}

/// The parsed values of one change (only parsed when a diff or a risk needs them).
struct ParsedSides {
    before: Option<Value>,
    after: Option<Value>,
    after_unknown: Value,
    before_sensitive: Value,
    after_sensitive: Value,
}

impl ParsedSides {
    fn view(&self) -> Sides<'_> {
        Sides {
            before: self.before.as_ref(),
            after: self.after.as_ref(),
            after_unknown: &self.after_unknown,
            before_sensitive: &self.before_sensitive,
            after_sensitive: &self.after_sensitive,
        }
    }
}

fn parse_sides(ch: &ChangeDoc<'_>) -> ParsedSides {
    let before = plan::parse(ch.before);
    let after = plan::parse(ch.after);
    ParsedSides {
        before_sensitive: marker::read(before.as_ref(), ch.before_sensitive),
        after_sensitive: marker::read(after.as_ref(), ch.after_sensitive),
        before,
        after,
        after_unknown: plan::parse(ch.after_unknown).unwrap_or(Value::Null),
    }
}

/// Like `parse_sides`, but parses only the top-level attributes that differ (or that
/// `keep` names), leaving out the rest: most attributes of an update are unchanged, and
/// comparing their raw text is far cheaper than building their values.
fn parse_changed_sides(ch: &ChangeDoc<'_>, keep: &[&str]) -> ParsedSides {
    type Fields<'a> = std::collections::BTreeMap<plan::Text<'a>, plan::Raw<'a>>;
    fn fields<'a>(raw: Option<plan::Raw<'a>>) -> Option<Fields<'a>> {
        raw.and_then(|r| serde_json::from_str(r.get()).ok())
    }
    fn text<'a>(m: &Fields<'a>, k: &str) -> Option<&'a str> {
        m.get(&plan::Text(k.into())).map(|r| r.get())
    }
    let (Some(before), Some(after)) = (fields(ch.before), fields(ch.after)) else {
        return parse_sides(ch);
    };
    let after_unknown = plan::parse(ch.after_unknown).unwrap_or(Value::Null);
    let raw_marks = |m: Option<plan::Raw<'_>>| m.map(|r| marker::parse(r.get()));
    let (before_marks, after_marks) = (
        raw_marks(ch.before_sensitive),
        raw_marks(ch.after_sensitive),
    );
    let (mut b, mut a) = (serde_json::Map::new(), serde_json::Map::new());
    let unknown_keys = after_unknown.as_object().into_iter().flat_map(|m| m.keys());
    let keys: BTreeSet<&str> = before
        .keys()
        .chain(after.keys())
        .map(|k| k.as_str())
        .chain(unknown_keys.map(String::as_str))
        .collect();
    let mut kept = BTreeSet::new();
    for k in keys {
        let marker = |m: Option<&Value>| m.and_then(|m| m.get(k)).cloned().unwrap_or(Value::Null);
        let same = text(&before, k) == text(&after, k)
            && marker(Some(&after_unknown)).is_null()
            && marker(before_marks.as_ref()) == marker(after_marks.as_ref());
        if same && !keep.contains(&k) {
            continue;
        }
        kept.insert(k);
        for (from, to) in [(&before, &mut b), (&after, &mut a)] {
            if let Some(v) = text(from, k).and_then(|t| serde_json::from_str(t).ok()) {
                to.insert(k.to_string(), v);
            }
        }
    }
    let (b, a) = (Value::Object(b), Value::Object(a));
    // Read each marker against the attributes kept, so a malformed one hides what it covers.
    let fitted = |value: &Value, marks: Option<Value>| match marks {
        None => Value::Null,
        Some(Value::Object(m)) => {
            let m = m
                .into_iter()
                .filter(|(k, _)| kept.contains(k.as_str()))
                .collect();
            marker::fit(Some(value), &Value::Object(m))
        }
        Some(other) => marker::fit(Some(value), &other),
    };
    ParsedSides {
        before_sensitive: fitted(&b, before_marks),
        after_sensitive: fitted(&a, after_marks),
        before: Some(b),
        after: Some(a),
        after_unknown,
    }
}

/// Builds the summary entry of a resource change and, when `assess` is set, its risks.
fn entry(
    rc: &ResourceChangeDoc<'_>,
    secrets: &Secrets,
    assess: bool,
) -> (ResourceChange, Vec<Risk>) {
    // Every string shown comes from the plan, so each goes through the secret check.
    let s = |t: &Option<plan::Text<'_>>| t.as_ref().map(|t| secrets.redact(t.as_str()));
    // Mode and type decide counts and risks, so they are kept as they are here; the JSON
    // format masks them when it prints them.
    let raw = |t: &Option<plan::Text<'_>>| t.as_ref().map(|t| t.as_str().to_string());
    let kind = raw(&rc.kind).unwrap_or_default();
    let name = s(&rc.name).unwrap_or_default();
    let mode = raw(&rc.mode).unwrap_or_else(|| "managed".to_string());
    let address = s(&rc.address).unwrap_or_else(|| {
        secrets.redact(&address::rebuild(
            rc.module_address.as_ref().map(|m| m.as_str()),
            Some(mode.as_str()),
            &kind,
            &name,
            rc.index.map(|i| i.get()),
        ))
    });
    let module = match &rc.module_address {
        Some(m) if !m.as_str().is_empty() => Some(secrets.redact(m.as_str())),
        Some(_) => None,
        None => address::module_of(&address),
    };
    let ch = rc.change.as_ref();
    let actions: Vec<&str> = ch
        .and_then(|c| c.actions.as_ref())
        .into_iter()
        .flatten()
        .map(|a| a.as_str())
        .collect();
    let action = Action::from_actions(&actions);
    let import = ch.and_then(|c| plan::parse(c.importing)).and_then(|v| {
        let obj = v.as_object()?;
        Some(match obj.get("id").and_then(Value::as_str) {
            Some(id) if secrets.hides(id) => Import::Id(Shown::Sensitive.to_string()),
            Some(id) => Import::Id(id.to_string()),
            None => Import::Identity,
        })
    });
    let replace_paths = address::replace_paths(
        ch.and_then(|c| plan::parse(c.replace_paths)).as_ref(),
        secrets,
    );
    let mut entry = ResourceChange {
        previous_address: s(&rc.previous_address).filter(|p| *p != address),
        address,
        module,
        mode,
        kind,
        name,
        action,
        // Known action names are Terraform's words; only unknown ones could hold anything.
        actions: actions
            .iter()
            .map(|a| match action {
                Action::Unknown => secrets.redact(a),
                _ => a.to_string(),
            })
            .collect(),
        reason: s(&rc.action_reason),
        replace_paths,
        import,
        deposed: s(&rc.deposed),
        attributes: Vec::new(),
    };
    let keeps_object = matches!(action, Action::Update | Action::Replace(_));
    let wants_risk_values = assess && risk::needs_values(&entry.kind);
    let parsed = match ch {
        Some(ch) if keeps_object => Some(parse_changed_sides(ch, risk::KEYS)),
        _ => None,
    };
    if let Some(p) = &parsed {
        entry.attributes = diff::diff(p.view(), &entry.replace_paths, secrets);
    }
    let risks = if assess {
        let view = parsed
            .as_ref()
            .filter(|_| wants_risk_values)
            .map(|p| p.view());
        risk::assess(&entry, view.as_ref(), secrets)
    } else {
        Vec::new()
    };
    (entry, risks)
}

/// Outputs marked sensitive in the configuration, the planned values or the prior state.
fn sensitive_outputs(doc: &PlanDoc<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let maps = [
        doc.planned_values.as_ref().and_then(|v| v.outputs.as_ref()),
        doc.prior_state
            .as_ref()
            .and_then(|s| s.values.as_ref())
            .and_then(|v| v.outputs.as_ref()),
        doc.configuration
            .as_ref()
            .and_then(|c| c.root_module.as_ref())
            .and_then(|m| m.outputs.as_ref()),
    ];
    for map in maps.into_iter().flatten() {
        for (name, o) in map {
            if o.sensitive == Some(true) {
                out.insert(name.as_str().to_string());
            }
        }
    }
    out
}

/// Every string value marked sensitive anywhere in the plan, for masking unmarked copies.
fn collect_secrets(doc: &PlanDoc<'_>, sensitive_outputs: &BTreeSet<String>) -> Secrets {
    let mut secrets = Secrets::default();
    let entries = doc
        .resource_changes
        .iter()
        .flatten()
        .chain(doc.resource_drift.iter().flatten());
    for ch in entries.filter_map(|rc| rc.change.as_ref()) {
        collect_side(&mut secrets, ch.before, ch.before_sensitive);
        collect_side(&mut secrets, ch.after, ch.after_sensitive);
    }
    for (name, ch) in doc.output_changes.iter().flatten() {
        if sensitive_outputs.contains(name.as_str()) {
            collect_marked(&mut secrets, ch.before, &Value::Bool(true));
            collect_marked(&mut secrets, ch.after, &Value::Bool(true));
        } else {
            collect_side(&mut secrets, ch.before, ch.before_sensitive);
            collect_side(&mut secrets, ch.after, ch.after_sensitive);
        }
    }
    let sensitive_vars = doc
        .configuration
        .as_ref()
        .and_then(|c| c.root_module.as_ref())
        .and_then(|m| m.variables.as_ref());
    for (name, var) in sensitive_vars.into_iter().flatten() {
        if var.sensitive != Some(true) {
            continue;
        }
        let value = doc
            .variables
            .as_ref()
            .and_then(|vars| vars.get(name))
            .and_then(|v| v.value);
        collect_marked(&mut secrets, value, &Value::Bool(true));
    }
    secrets.finish();
    secrets
}

/// Collects what one side's marker marks in its value (all of what a malformed marker
/// covers). Only the top-level attributes the marker names are parsed: the rest cannot hold
/// a secret.
fn collect_side(
    secrets: &mut Secrets,
    value: Option<plan::Raw<'_>>,
    marker: Option<plan::Raw<'_>>,
) {
    let (Some(value), Some(marker)) = (value, marker) else {
        return;
    };
    if marker::plainly_empty(marker.get(), Some(value.get())) {
        return;
    }
    let marks = marker::parse(marker.get());
    let fields: Option<std::collections::BTreeMap<plan::Text<'_>, plan::Raw<'_>>> = match &marks {
        Value::Object(_) => serde_json::from_str(value.get()).ok(),
        _ => None,
    };
    match (marks.as_object(), fields) {
        (Some(marks), Some(fields)) => {
            for (k, mark) in marks {
                // A mark for an attribute the value does not have covers nothing.
                let Some(field) = fields.get(&plan::Text(k.as_str().into())).copied() else {
                    continue;
                };
                if !marker::plainly_empty(&mark.to_string(), Some(field.get())) {
                    collect_marked(secrets, Some(field), mark);
                }
            }
        }
        _ => collect_marked(secrets, Some(value), &marks),
    }
}

/// Collects the secrets `marker` marks in a raw value; fails closed: a value that cannot be
/// parsed (deeper than serde_json's 128 levels, say) gives every string literal in its text.
fn collect_marked(secrets: &mut Secrets, value: Option<plan::Raw<'_>>, marks: &Value) {
    let Some(raw) = value else {
        return;
    };
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(v) => secrets.collect(&v, &marker::fit(Some(&v), marks)),
        Err(_) => secrets.collect_raw(raw.get()),
    }
}
