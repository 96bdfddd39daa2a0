//! The coverage matrix: one row per component (API stage, function, state machine, queue,
//! table), one cell per tracing feature that applies to it, plus the links between components
//! (routes, invocations, queue producers and consumers) that the findings and the service map
//! need.
//!
//! Everything is derived from an [`Inventory`]'s resources and the links between them (an
//! argument's origins, or known names and ARNs), never from the model.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::cost::first_rule;
use super::inventory::{Inventory, Mode, Resource};
use super::value::Val;
use crate::render::function::XRAY_ACTIONS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Stage,
    Function,
    StateMachine,
    Queue,
    Table,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stage => "stage",
            Self::Function => "function",
            Self::StateMachine => "state machine",
            Self::Queue => "queue",
            Self::Table => "table",
        }
    }
}

/// How a cell reads at a glance; drives colours and the service map's styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Traced, or the feature is on.
    Ok,
    /// Off by configuration.
    Off,
    /// Configured so that a trace breaks or is lost.
    Broken,
    /// Known only after apply.
    Unknown,
    /// Neither good nor bad (no producer, no alarm).
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    LambdaMode,
    XrayIam,
    StageTracing,
    StateMachineTracing,
    ContributorInsights,
    QueuePropagation,
    Sampling,
    Groups,
    Alarms,
}

impl Feature {
    pub const ALL: &[Feature] = &[
        Self::LambdaMode,
        Self::XrayIam,
        Self::StageTracing,
        Self::StateMachineTracing,
        Self::ContributorInsights,
        Self::QueuePropagation,
        Self::Sampling,
        Self::Groups,
        Self::Alarms,
    ];

    /// Column heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::LambdaMode => "lambda mode",
            Self::XrayIam => "x-ray iam",
            Self::StageTracing => "stage tracing",
            Self::StateMachineTracing => "sfn tracing",
            Self::ContributorInsights => "insights",
            Self::QueuePropagation => "queue propagation",
            Self::Sampling => "sampling",
            Self::Groups => "groups",
            Self::Alarms => "alarms",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::LambdaMode => "lambda_mode",
            Self::XrayIam => "xray_iam",
            Self::StageTracing => "stage_tracing",
            Self::StateMachineTracing => "state_machine_tracing",
            Self::ContributorInsights => "contributor_insights",
            Self::QueuePropagation => "queue_propagation",
            Self::Sampling => "sampling",
            Self::Groups => "groups",
            Self::Alarms => "alarms",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub value: String,
    pub status: Status,
}

impl Cell {
    fn new(value: impl Into<String>, status: Status) -> Self {
        Self {
            value: value.into(),
            status,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub kind: Kind,
    /// Short name, the same in every environment (`payment`, `orders`).
    pub name: String,
    /// Address of the resource the row describes.
    pub address: String,
    /// The AWS name, when known before apply.
    pub aws_name: Option<String>,
    pub cells: BTreeMap<Feature, Cell>,
    /// Whether the component records traces (itself, or because a traced caller's context
    /// reaches it).
    pub traced: bool,
    /// `file:line` where its tracing is set: the module call in the root, else the resource.
    #[serde(skip)]
    pub location: Option<String>,
    /// The module instance that holds it (empty in the root module).
    #[serde(skip)]
    pub module: String,
    /// Configuration addresses that stand for it in other resources' arguments.
    #[serde(skip)]
    addresses: BTreeSet<String>,
    /// Known names and ARNs that stand for it.
    #[serde(skip)]
    ids: BTreeSet<String>,
}

impl Component {
    pub fn cell(&self, f: Feature) -> Option<&Cell> {
        self.cells.get(&f)
    }

    /// Whether a resource argument (its origins and known strings) refers to this component.
    fn named_by(&self, origins: &BTreeSet<String>, strings: &[&str]) -> bool {
        !self.addresses.is_disjoint(origins)
            || strings.iter().any(|s| {
                self.ids.iter().any(|id| {
                    *s == id || (id.len() > 12 && id.starts_with("arn:") && s.contains(id.as_str()))
                })
            })
    }

    pub fn label(&self) -> String {
        format!("{} `{}`", self.kind.as_str(), self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Link {
    /// A state machine invokes a function.
    Invoke,
    /// A function reads a table.
    Read,
    /// A function reads and writes a table.
    ReadWrite,
    /// A function or state machine sends to a queue.
    Send,
    /// A function starts a state machine.
    Start,
    /// A queue triggers its consumer.
    Trigger,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub link: Link,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// Index of the stage and the function in [`Matrix::components`].
    #[serde(skip)]
    pub stage: Option<usize>,
    #[serde(skip)]
    pub function: Option<usize>,
}

/// Whole numbers as JSON integers (`100`, not `100.0`), others as they are.
fn number<S: serde::Serializer>(n: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => s.serialize_i64(*n as i64),
        Some(n) => s.serialize_f64(*n),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplingRule {
    pub name: String,
    pub address: String,
    #[serde(serialize_with = "number")]
    pub priority: Option<f64>,
    #[serde(serialize_with = "number")]
    pub fixed_rate: Option<f64>,
    #[serde(serialize_with = "number")]
    pub reservoir_size: Option<f64>,
    pub http_method: String,
    pub url_path: String,
    pub service_name: String,
    pub samples_nothing: bool,
    #[serde(skip)]
    pub location: Option<String>,
}

impl SamplingRule {
    /// Whether the rule applies to a service's requests. Services other than API Gateway make
    /// sampling decisions without an HTTP method or URL, so rules that need one never match
    /// them.
    pub fn applies(&self, service: &str, http: Option<(&str, &str)>) -> bool {
        if !glob(&self.service_name, service) {
            return false;
        }
        match http {
            Some((method, path)) => glob(&self.http_method, method) && glob(&self.url_path, path),
            None => self.http_method == "*" && self.url_path == "*",
        }
    }

    pub fn describe(&self) -> String {
        let rate = self.fixed_rate.map_or("?".to_string(), |r| {
            format!("{}%", super::value::number_text(r * 100.0))
        });
        let reservoir = self
            .reservoir_size
            .map_or("?".to_string(), super::value::number_text);
        format!("{rate} + {reservoir}/s")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub address: String,
    pub filter_expression: String,
    pub insights: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub components: Vec<Component>,
    pub edges: Vec<Edge>,
    pub routes: Vec<Route>,
    pub rules: Vec<SamplingRule>,
    pub groups: Vec<Group>,
}

/// X-Ray's glob: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The short, environment-independent name of a resource: the module call for a module's
/// main resource (`module.function_payment…this` is `payment`), else the resource name.
fn short_name(r: &Resource, prefixes: &[&str]) -> String {
    let call = r
        .module
        .rsplit("module.")
        .next()
        .unwrap_or("")
        .trim_end_matches('.');
    if !call.is_empty() && ["this", "protected", "main", "default"].contains(&r.name.as_str()) {
        for p in prefixes {
            if let Some(rest) = call.strip_prefix(&format!("{p}_")) {
                return rest.to_string();
            }
        }
        return call.to_string();
    }
    r.name.clone()
}

fn text(v: Option<&Val>) -> Option<String> {
    v.and_then(Val::as_str).map(str::to_string)
}

/// What the X-Ray actions of a role add up to.
#[derive(Debug, Clone, PartialEq)]
enum Grant {
    All,
    Missing(Vec<&'static str>),
    Unknown,
}

/// One IAM statement's effect, actions and resources.
struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Val,
    /// `NotAction` or `NotResource`: what it grants or denies is not worked out, so it makes
    /// any action it could cover unknown.
    negated: bool,
}

fn statements_of_json(text: &str) -> Option<Vec<Statement>> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let list = match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Object(_) => vec![doc["Statement"].clone()],
        _ => Vec::new(),
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    Some(
        list.iter()
            .map(|s| Statement {
                allow: s["Effect"].as_str() != Some("Deny"),
                actions: strings(&s["Action"]),
                resources: Val::List(
                    strings(&s["Resource"])
                        .into_iter()
                        .map(Val::String)
                        .collect(),
                ),
                negated: !s["NotAction"].is_null() || !s["NotResource"].is_null(),
            })
            .collect(),
    )
}

fn statements_of_document(doc: &Resource) -> Vec<Statement> {
    doc.get("statement")
        .map(|s| s.items().to_vec())
        .unwrap_or_default()
        .iter()
        .map(|s| Statement {
            allow: s.get("effect").and_then(Val::as_str) != Some("Deny"),
            actions: s
                .get("actions")
                .map(|a| a.items().iter().filter_map(|i| text(Some(i))).collect())
                .unwrap_or_default(),
            resources: s.get("resources").cloned().unwrap_or(Val::Null),
            negated: ["not_actions", "not_resources"]
                .iter()
                .any(|k| s.get(k).is_some_and(|v| !matches!(v, Val::Null))),
        })
        .collect()
}

struct Builder<'a> {
    inv: &'a Inventory,
    index: Index,
    components: Vec<Component>,
    main: Vec<&'a Resource>,
}

/// Identifiers other resources name a resource by, indexed for every resource.
const ID_KEYS: &[&str] = &["arn", "id", "name"];

/// The inventory's resources (by position) looked up by configuration address and by known
/// identifier, and each role's policies, built once so that linking stays linear in the
/// number of resources rather than comparing every resource with every other.
#[derive(Default)]
struct Index {
    by_address: BTreeMap<String, Vec<usize>>,
    /// Kind → identifier key → value → resources.
    by_id: BTreeMap<String, BTreeMap<&'static str, BTreeMap<String, Vec<usize>>>>,
    /// Role → the `aws_iam_role_policy`s and the `aws_iam_role_policy_attachment`s naming it.
    role_policies: BTreeMap<usize, Vec<usize>>,
    role_attachments: BTreeMap<usize, Vec<usize>>,
}

impl Index {
    fn new(inv: &Inventory) -> Self {
        let mut index = Self::default();
        for (i, r) in inv.resources.iter().enumerate() {
            index
                .by_address
                .entry(r.config_address())
                .or_default()
                .push(i);
            if r.mode != Mode::Managed {
                continue;
            }
            for key in ID_KEYS {
                if let Some(id) = text(r.get(key)) {
                    index
                        .by_id
                        .entry(r.kind.clone())
                        .or_default()
                        .entry(key)
                        .or_default()
                        .entry(id)
                        .or_default()
                        .push(i);
                }
            }
        }
        for (i, r) in inv.resources.iter().enumerate() {
            let map = match (r.mode, r.kind.as_str()) {
                (Mode::Managed, "aws_iam_role_policy") => &mut index.role_policies,
                (Mode::Managed, "aws_iam_role_policy_attachment") => &mut index.role_attachments,
                _ => continue,
            };
            let origins = r.origins_of("role");
            let strings = r.strings_of("role");
            let mut roles = BTreeSet::new();
            for o in &origins {
                roles.extend(index.by_address.get(o).into_iter().flatten().filter(|j| {
                    let x = &inv.resources[**j];
                    x.mode == Mode::Managed && x.kind == "aws_iam_role"
                }));
            }
            if let Some(ids) = index.by_id.get("aws_iam_role") {
                for key in ["name", "id", "arn"] {
                    for s in &strings {
                        roles.extend(ids.get(key).and_then(|v| v.get(*s)).into_iter().flatten());
                    }
                }
            }
            for role in roles {
                map.entry(role).or_default().push(i);
            }
        }
        index
    }

    /// Resources of `mode` and `kind` among those at the addresses `origins`.
    fn at(
        &self,
        inv: &Inventory,
        origins: &BTreeSet<String>,
        mode: Mode,
        kind: &str,
    ) -> BTreeSet<usize> {
        origins
            .iter()
            .filter_map(|o| self.by_address.get(o))
            .flatten()
            .copied()
            .filter(|i| {
                let x = &inv.resources[*i];
                x.mode == mode && x.kind == kind
            })
            .collect()
    }
}

impl<'a> Builder<'a> {
    fn add(&mut self, kind: Kind, r: &Resource, prefixes: &[&str], name_key: &str) -> usize {
        let aws_name = text(r.get(name_key));
        let mut ids = BTreeSet::new();
        ids.extend(aws_name.clone());
        for key in ["arn", "invoke_arn", "url", "id"] {
            ids.extend(text(r.get(key)).filter(|s| !s.is_empty()));
        }
        let location = r
            .module
            .strip_prefix("module.")
            .filter(|m| !m.contains(".module."))
            // A call with `count` or `for_each`: `function_payment[0]` is made by `function_payment`.
            .and_then(|m| self.inv.call(m.split('[').next().unwrap_or(m)))
            .and_then(|c| c.location.clone())
            .or_else(|| r.location.clone());
        self.components.push(Component {
            kind,
            name: short_name(r, prefixes),
            address: r.address(),
            aws_name,
            cells: BTreeMap::new(),
            traced: false,
            location,
            module: r.module.clone(),
            addresses: BTreeSet::from([r.config_address()]),
            ids,
        });
        self.components.len() - 1
    }

    fn of_kind(&self, kind: Kind) -> impl Iterator<Item = (usize, &Component)> {
        self.components
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.kind == kind)
    }

    /// Components of `kind` that an argument of `r` refers to.
    fn referred(&self, r: &Resource, key: &str, kind: Kind) -> Vec<usize> {
        let origins = r.origins_of(key);
        let strings = r.strings_of(key);
        self.of_kind(kind)
            .filter(|(_, c)| c.named_by(&origins, &strings))
            .map(|(i, _)| i)
            .collect()
    }

    /// Resources of `kind` that an argument of `r` refers to, by address or known value
    /// (of the keys `by`), as positions in the inventory, in its order.
    fn referred_indexes(&self, r: &Resource, key: &str, kind: &str, by: &[&str]) -> Vec<usize> {
        let origins = r.origins_of(key);
        let strings = r.strings_of(key);
        let mut hits = self.index.at(self.inv, &origins, Mode::Managed, kind);
        let ids = self.index.by_id.get(kind);
        for k in by {
            if let Some(k) = ID_KEYS.iter().find(|i| *i == k) {
                for s in &strings {
                    hits.extend(
                        ids.and_then(|m| m.get(k))
                            .and_then(|v| v.get(*s))
                            .into_iter()
                            .flatten(),
                    );
                }
            } else {
                // Not indexed: look through the resources of that kind.
                hits.extend(
                    self.inv
                        .resources
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| x.mode == Mode::Managed && x.kind == kind)
                        .filter(|(_, x)| {
                            text(x.get(k)).is_some_and(|id| strings.iter().any(|s| *s == id))
                        })
                        .map(|(i, _)| i),
                );
            }
        }
        hits.into_iter().collect()
    }

    /// Resources of `kind` that an argument of `r` refers to, by address or known value.
    fn referred_resources(
        &self,
        r: &Resource,
        key: &str,
        kind: &'a str,
        by: &[&str],
    ) -> Vec<&'a Resource> {
        let inv: &'a Inventory = self.inv;
        self.referred_indexes(r, key, kind, by)
            .into_iter()
            .map(|i| &inv.resources[i])
            .collect()
    }

    /// The statements of every policy attached to the role `r`'s argument `key` names, and
    /// whether some policy could not be read before apply.
    fn role_statements(&self, r: &Resource, key: &str) -> (Vec<Statement>, bool) {
        let roles = self.referred_indexes(r, key, "aws_iam_role", &["arn"]);
        if roles.is_empty() {
            return (Vec::new(), true);
        }
        let inv = self.inv;
        let mut statements = Vec::new();
        let mut unknown = false;
        for role_index in roles {
            let role = &inv.resources[role_index];
            for inline in role
                .get("inline_policy")
                .map(Val::items)
                .unwrap_or_default()
            {
                match inline
                    .get("policy")
                    .and_then(Val::as_str)
                    .and_then(statements_of_json)
                {
                    Some(s) => statements.extend(s),
                    None => unknown = true,
                }
            }
            for policy in self
                .index
                .role_policies
                .get(&role_index)
                .into_iter()
                .flatten()
                .map(|i| &inv.resources[*i])
            {
                match policy.get("policy") {
                    Some(Val::String(json)) => match statements_of_json(json) {
                        Some(s) => statements.extend(s),
                        None => unknown = true,
                    },
                    _ => {
                        let origins = policy.origins_of("policy");
                        let docs: Vec<&Resource> = self
                            .index
                            .at(inv, &origins, Mode::Data, "aws_iam_policy_document")
                            .into_iter()
                            .map(|i| &inv.resources[i])
                            .collect();
                        if docs.is_empty() {
                            unknown = true;
                        }
                        for doc in docs {
                            statements.extend(statements_of_document(doc));
                        }
                    }
                }
            }
            for attachment in self
                .index
                .role_attachments
                .get(&role_index)
                .into_iter()
                .flatten()
                .map(|i| &inv.resources[*i])
            {
                match text(attachment.get("policy_arn")) {
                    // AWS's managed policies for sending traces.
                    Some(arn)
                        if arn.ends_with("/AWSXRayDaemonWriteAccess")
                            || arn.ends_with("/AWSXrayWriteOnlyAccess") =>
                    {
                        statements.push(Statement {
                            allow: true,
                            actions: vec!["xray:*".into()],
                            resources: Val::List(vec![Val::String("*".into())]),
                            negated: false,
                        });
                    }
                    Some(_) => {}
                    None => unknown = true,
                }
            }
        }
        (statements, unknown)
    }

    /// Whether the role grants the X-Ray actions: each must be allowed on `*` and not
    /// denied (an explicit `Deny` wins over any `Allow`). Statements with `NotAction` or
    /// `NotResource`, and denials on resources only apply knows, make an action unknown.
    fn xray_grant(&self, r: &Resource, key: &str) -> Grant {
        let (statements, unreadable) = self.role_statements(r, key);
        let names = |s: &Statement, action: &str| {
            s.actions
                .iter()
                .any(|a| glob(&a.to_lowercase(), &action.to_lowercase()))
        };
        // X-Ray takes only `*` as a resource.
        let on_all = |s: &Statement| {
            s.resources
                .items()
                .iter()
                .any(|r| r.as_str().is_some_and(|p| glob(p, "*")))
        };
        let mut missing = Vec::new();
        let mut unknown = false;
        let mut denied = false;
        for action in XRAY_ACTIONS.iter().copied() {
            let deny = statements.iter().filter(|s| !s.allow);
            if deny
                .clone()
                .any(|s| !s.negated && names(s, action) && on_all(s))
            {
                denied = true;
                missing.push(action);
                continue;
            }
            if deny
                .clone()
                .any(|s| s.negated || (names(s, action) && s.resources.has_unknown()))
            {
                unknown = true;
                continue;
            }
            let allowed = statements.iter().any(|s| {
                s.allow
                    && !s.negated
                    && names(s, action)
                    && (s.resources.has_unknown() || on_all(s))
            });
            if allowed {
                continue;
            }
            if unreadable || statements.iter().any(|s| s.allow && s.negated) {
                unknown = true;
            } else {
                missing.push(action);
            }
        }
        if denied || (!missing.is_empty() && !unknown) {
            Grant::Missing(missing)
        } else if unknown {
            Grant::Unknown
        } else {
            Grant::All
        }
    }

    /// Table, queue and state machine links a role's statements grant.
    fn policy_links(&self, r: &Resource, key: &str) -> Vec<(usize, Link)> {
        let (statements, _) = self.role_statements(r, key);
        let mut out = Vec::new();
        for s in statements.iter().filter(|s| s.allow) {
            let has = |prefix: &str| s.actions.iter().any(|a| a.starts_with(prefix));
            let writes = s.actions.iter().any(|a| {
                [
                    "PutItem",
                    "UpdateItem",
                    "DeleteItem",
                    "BatchWriteItem",
                    "dynamodb:*",
                ]
                .iter()
                .any(|w| a.ends_with(w))
            });
            let origins = s.resources.origins();
            let strings = s.resources.strings();
            let targets = |kind: Kind| -> Vec<usize> {
                self.of_kind(kind)
                    .filter(|(_, c)| {
                        c.named_by(&origins, &strings)
                            || strings.iter().any(|arn| {
                                kind == Kind::Table
                                    && c.aws_name
                                        .as_ref()
                                        .is_some_and(|n| arn.ends_with(&format!(":table/{n}")))
                            })
                    })
                    .map(|(i, _)| i)
                    .collect()
            };
            if has("dynamodb:") {
                let link = if writes { Link::ReadWrite } else { Link::Read };
                out.extend(targets(Kind::Table).into_iter().map(|t| (t, link)));
            }
            if s.actions
                .iter()
                .any(|a| a == "sqs:SendMessage" || a == "sqs:*")
            {
                out.extend(targets(Kind::Queue).into_iter().map(|t| (t, Link::Send)));
            }
            if s.actions
                .iter()
                .any(|a| a == "states:StartExecution" || a == "states:*")
            {
                out.extend(
                    targets(Kind::StateMachine)
                        .into_iter()
                        .map(|t| (t, Link::Start)),
                );
            }
        }
        // Read-write wins over read for the same table.
        out.sort();
        out.dedup_by(|a, b| {
            a.0 == b.0 && (a.1 == b.1 || (a.1 == Link::ReadWrite && b.1 == Link::Read))
        });
        let rw: BTreeSet<usize> = out
            .iter()
            .filter(|(_, l)| *l == Link::ReadWrite)
            .map(|(t, _)| *t)
            .collect();
        out.retain(|(t, l)| !(*l == Link::Read && rw.contains(t)));
        out
    }
}

/// Reads the matrix out of an inventory.
pub fn build(inv: &Inventory) -> Matrix {
    let mut b = Builder {
        inv,
        index: Index::new(inv),
        components: Vec::new(),
        main: Vec::new(),
    };
    b.stages();
    b.functions();
    b.state_machines();
    b.queues();
    b.tables();
    b.permissions();
    b.alarms();
    let edges = b.links();
    let routes = b.routes();
    let mut components = b.components;
    propagate(&mut components, &edges, &routes);
    let mut matrix = Matrix {
        components,
        edges,
        routes,
        rules: rules(inv),
        groups: groups(inv),
    };
    cells_from_links(&mut matrix);
    sort(&mut matrix);
    matrix
}

/// The phases of [`build`]; `main[i]` is the resource behind `components[i]`.
impl<'a> Builder<'a> {
    fn stages(&mut self) {
        for r in self.inv.managed("aws_api_gateway_stage") {
            let i = self.add(Kind::Stage, r, &["api"], "stage_name");
            let api_name = self
                .referred_resources(r, "rest_api_id", "aws_api_gateway_rest_api", &["id"])
                .first()
                .and_then(|api| text(api.get("name")));
            let stage = text(r.get("stage_name"));
            self.components[i].aws_name = match (api_name, stage) {
                (Some(api), Some(stage)) => Some(format!("{api}/{stage}")),
                _ => None,
            };
            let cell = match r.get("xray_tracing_enabled") {
                Some(v) if v.is_unknown() => Cell::new("unknown", Status::Unknown),
                Some(v) if v.as_bool() == Some(true) => Cell::new("on", Status::Ok),
                _ => Cell::new("off", Status::Off),
            };
            self.components[i].traced = cell.status == Status::Ok;
            self.components[i].cells.insert(Feature::StageTracing, cell);
            self.main.push(r);
        }
    }

    fn functions(&mut self) {
        for r in self.inv.managed("aws_lambda_function") {
            let i = self.add(
                Kind::Function,
                r,
                &["function", "lambda", "fn"],
                "function_name",
            );
            let cell = match r.path(&["tracing_config", "mode"]) {
                Some(Val::String(mode)) if mode == "Active" => Cell::new("Active", Status::Ok),
                Some(Val::String(mode)) => Cell::new(mode.clone(), Status::Off),
                Some(v) if v.has_unknown() => Cell::new("unknown", Status::Unknown),
                // Without `tracing_config` Lambda passes trace headers through.
                _ => match r.get("tracing_config") {
                    Some(v) if v.is_unknown() => Cell::new("unknown", Status::Unknown),
                    _ => Cell::new("PassThrough", Status::Off),
                },
            };
            self.components[i].traced = cell.status == Status::Ok;
            self.components[i].cells.insert(Feature::LambdaMode, cell);
            self.main.push(r);
        }
    }

    fn state_machines(&mut self) {
        for r in self.inv.managed("aws_sfn_state_machine") {
            let i = self.add(Kind::StateMachine, r, &["state_machine", "sfn"], "name");
            let cell = match r.path(&["tracing_configuration", "enabled"]) {
                Some(v) if v.has_unknown() => Cell::new("unknown", Status::Unknown),
                Some(v) if v.as_bool() == Some(true) => Cell::new("on", Status::Ok),
                _ => match r.get("tracing_configuration") {
                    Some(v) if v.is_unknown() => Cell::new("unknown", Status::Unknown),
                    _ => Cell::new("off", Status::Off),
                },
            };
            self.components[i].traced = cell.status == Status::Ok;
            self.components[i]
                .cells
                .insert(Feature::StateMachineTracing, cell);
            self.main.push(r);
        }
    }

    /// Queues, except dead-letter queues, which stand for their queue instead.
    fn queues(&mut self) {
        let queues: Vec<&Resource> = self.inv.managed("aws_sqs_queue").collect();
        let is_dlq = |q: &Resource| {
            queues
                .iter()
                .any(|other| !std::ptr::eq(*other, q) && redrives_to(other, q))
                || text(q.get("name"))
                    .is_some_and(|n| n.ends_with("-dlq") || n.ends_with("-deadletter"))
        };
        let mut dlqs: Vec<&Resource> = Vec::new();
        for r in &queues {
            if is_dlq(r) {
                dlqs.push(r);
                continue;
            }
            self.add(Kind::Queue, r, &["queue", "sqs"], "name");
            self.main.push(r);
        }
        // A dead-letter queue's name and ARN stand for its queue in alarms.
        for dlq in &dlqs {
            let owners: Vec<usize> = self
                .of_kind(Kind::Queue)
                .filter(|(i, _)| self.main.get(*i).is_some_and(|q| redrives_to(q, dlq)))
                .map(|(i, _)| i)
                .collect();
            for i in owners {
                self.components[i].ids.extend(text(dlq.get("name")));
                self.components[i].ids.extend(text(dlq.get("arn")));
                self.components[i].addresses.insert(dlq.config_address());
            }
        }
    }

    fn tables(&mut self) {
        let insights: Vec<&Resource> = self
            .inv
            .managed("aws_dynamodb_contributor_insights")
            .collect();
        for r in self.inv.managed("aws_dynamodb_table") {
            let i = self.add(Kind::Table, r, &["table", "dynamodb"], "name");
            let on = insights.iter().any(|ci| {
                ci.origins_of("table_name").contains(&r.config_address())
                    || text(r.get("name"))
                        .is_some_and(|n| ci.strings_of("table_name").contains(&n.as_str()))
            });
            self.components[i].cells.insert(
                Feature::ContributorInsights,
                if on {
                    Cell::new("on", Status::Ok)
                } else {
                    Cell::new("off", Status::Off)
                },
            );
            self.main.push(r);
        }
    }

    /// The X-Ray permissions of functions and state machines.
    fn permissions(&mut self) {
        for (i, r) in self.main.iter().enumerate() {
            let key = match self.components[i].kind {
                Kind::Function => "role",
                Kind::StateMachine => "role_arn",
                _ => continue,
            };
            let active = self.components[i].traced;
            let cell = match self.xray_grant(r, key) {
                Grant::All => Cell::new("yes", Status::Ok),
                Grant::Unknown => Cell::new("unknown", Status::Unknown),
                Grant::Missing(m) if m.len() == XRAY_ACTIONS.len() => {
                    Cell::new("no", if active { Status::Broken } else { Status::Off })
                }
                Grant::Missing(m) => Cell::new(
                    format!("missing {}", m.join(", ")),
                    if active { Status::Broken } else { Status::Off },
                ),
            };
            self.components[i].cells.insert(Feature::XrayIam, cell);
        }
    }

    /// Invocations, table access, sends, starts and queue triggers.
    fn links(&self) -> Vec<Edge> {
        let mut edges = BTreeSet::new();
        for (i, r) in self.main.iter().enumerate() {
            match self.components[i].kind {
                Kind::Function => {
                    for (to, link) in self.policy_links(r, "role") {
                        edges.insert(Edge { from: i, to, link });
                    }
                }
                Kind::StateMachine => {
                    for to in self.referred(r, "definition", Kind::Function) {
                        edges.insert(Edge {
                            from: i,
                            to,
                            link: Link::Invoke,
                        });
                    }
                    for to in self.referred(r, "definition", Kind::Queue) {
                        edges.insert(Edge {
                            from: i,
                            to,
                            link: Link::Send,
                        });
                    }
                    for (to, link) in self.policy_links(r, "role_arn") {
                        if link == Link::Send {
                            edges.insert(Edge { from: i, to, link });
                        }
                    }
                }
                _ => {}
            }
        }
        for mapping in self.inv.managed("aws_lambda_event_source_mapping") {
            let sources = self.referred(mapping, "event_source_arn", Kind::Queue);
            let targets = self.referred(mapping, "function_name", Kind::Function);
            for from in &sources {
                for to in &targets {
                    edges.insert(Edge {
                        from: *from,
                        to: *to,
                        link: Link::Trigger,
                    });
                }
            }
        }

        edges.into_iter().collect()
    }

    /// Routes: integration → method and resource path → function.
    fn routes(&self) -> Vec<Route> {
        let mut routes = Vec::new();
        for integration in self.inv.managed("aws_api_gateway_integration") {
            let method = text(integration.get("http_method")).or_else(|| {
                self.referred_resources(integration, "http_method", "aws_api_gateway_method", &[])
                    .first()
                    .and_then(|m| text(m.get("http_method")))
            });
            let path = route_path(self, integration);
            let functions = self.referred(integration, "uri", Kind::Function);
            let stages: Vec<usize> = {
                let apis: BTreeSet<String> = self
                    .referred_resources(
                        integration,
                        "rest_api_id",
                        "aws_api_gateway_rest_api",
                        &["id"],
                    )
                    .iter()
                    .map(|a| a.config_address())
                    .collect();
                self.of_kind(Kind::Stage)
                    .filter(|(i, _)| {
                        self.main.get(*i).is_some_and(|s| {
                            !s.origins_of("rest_api_id").is_disjoint(&apis) || apis.is_empty()
                        })
                    })
                    .map(|(i, _)| i)
                    .collect()
            };
            routes.push(Route {
                method: method.unwrap_or_else(|| "?".into()),
                path: path.unwrap_or_else(|| "?".into()),
                stage: stages.first().copied(),
                function: functions.first().copied(),
            });
        }
        routes.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));

        routes
    }

    /// Alarms name the function or (dead-letter) queue they watch in their dimensions.
    fn alarms(&mut self) {
        let mut alarms: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for alarm in self.inv.managed("aws_cloudwatch_metric_alarm") {
            // The dimension's name says what kind of thing it names: a function and a queue may
            // share a name.
            let dimensions = alarm.get("dimensions");
            for (dimension, kind) in [("FunctionName", Kind::Function), ("QueueName", Kind::Queue)]
            {
                let Some(v) = dimensions.and_then(|d| d.get(dimension)) else {
                    continue;
                };
                let mut origins = v.origins();
                if v.has_unknown() {
                    origins.extend(alarm.refs.iter().cloned());
                }
                let strings = v.strings();
                for (i, _) in self
                    .of_kind(kind)
                    .filter(|(_, c)| c.named_by(&origins, &strings))
                {
                    alarms.entry(i).or_default().push(alarm.name.clone());
                }
            }
        }
        for (i, c) in self.components.iter_mut().enumerate() {
            if matches!(c.kind, Kind::Function | Kind::Queue) {
                let names = alarms.remove(&i).unwrap_or_default();
                let cell = if names.is_empty() {
                    Cell::new("none", Status::Info)
                } else {
                    Cell::new(names.join(", "), Status::Ok)
                };
                c.cells.insert(Feature::Alarms, cell);
            }
        }
    }
}

/// Whether `queue`'s redrive policy sends failed messages to `dlq`.
fn redrives_to(queue: &Resource, dlq: &Resource) -> bool {
    if queue
        .origins_of("redrive_policy")
        .contains(&dlq.config_address())
    {
        return true;
    }
    let Some(arn) = text(dlq.get("arn")) else {
        return false;
    };
    queue.strings_of("redrive_policy").iter().any(|policy| {
        serde_json::from_str::<serde_json::Value>(policy)
            .is_ok_and(|p| p["deadLetterTargetArn"].as_str() == Some(arn.as_str()))
    })
}

/// Sampling rules in the order X-Ray tries them.
fn rules(inv: &Inventory) -> Vec<SamplingRule> {
    let mut rules: Vec<SamplingRule> = inv
        .managed("aws_xray_sampling_rule")
        .map(|r| {
            let num = |k: &str| r.get(k).and_then(Val::as_f64);
            let (rate, reservoir) = (num("fixed_rate"), num("reservoir_size"));
            SamplingRule {
                name: r.name.clone(),
                address: r.address(),
                priority: num("priority"),
                fixed_rate: rate,
                reservoir_size: reservoir,
                http_method: text(r.get("http_method")).unwrap_or_else(|| "*".into()),
                url_path: text(r.get("url_path")).unwrap_or_else(|| "*".into()),
                service_name: text(r.get("service_name")).unwrap_or_else(|| "*".into()),
                samples_nothing: rate == Some(0.0) && reservoir == Some(0.0),
                location: r.location.clone(),
            }
        })
        .collect();
    rules.sort_by(|a, b| {
        a.priority
            .unwrap_or(f64::MAX)
            .total_cmp(&b.priority.unwrap_or(f64::MAX))
            .then(a.name.cmp(&b.name))
    });
    rules
}

fn groups(inv: &Inventory) -> Vec<Group> {
    let mut groups: Vec<Group> = inv
        .managed("aws_xray_group")
        .map(|r| Group {
            name: r.name.clone(),
            address: r.address(),
            filter_expression: text(r.get("filter_expression")).unwrap_or_default(),
            insights: r
                .path(&["insights_configuration", "insights_enabled"])
                .and_then(Val::as_bool),
        })
        .collect();
    groups.sort_by(|a, b| a.name.cmp(&b.name));

    groups
}

/// `/products/{product_id}` from an integration's resource and its parents.
fn route_path(b: &Builder, integration: &Resource) -> Option<String> {
    let mut resource = b
        .referred_resources(
            integration,
            "resource_id",
            "aws_api_gateway_resource",
            &["id"],
        )
        .into_iter()
        .next();
    if resource.is_none() {
        // The API's root resource.
        return Some("/".into());
    }
    let mut parts = Vec::new();
    let mut seen = BTreeSet::new();
    while let Some(r) = resource {
        if let Some(path) = text(r.get("path")) {
            parts.push(path.trim_start_matches('/').to_string());
            break;
        }
        if !seen.insert(r.address()) {
            break;
        }
        parts.push(text(r.get("path_part"))?);
        resource = b
            .referred_resources(r, "parent_id", "aws_api_gateway_resource", &["id"])
            .into_iter()
            .next();
    }
    parts.reverse();
    Some(format!("/{}", parts.join("/")))
}

/// Which components record traces: traced ones themselves, and those a traced caller's trace
/// context reaches (a PassThrough function behind a traced stage, state machine or queue).
fn propagate(components: &mut [Component], edges: &[Edge], routes: &[Route]) {
    loop {
        let mut changed = false;
        for route in routes {
            if let (Some(s), Some(f)) = (route.stage, route.function)
                && components[s].traced
                && !components[f].traced
            {
                components[f].traced = true;
                changed = true;
            }
        }
        for e in edges {
            let passes = matches!(
                (components[e.from].kind, e.link),
                (Kind::StateMachine, Link::Invoke | Link::Send)
                    | (Kind::Function, Link::Send)
                    | (Kind::Queue, Link::Trigger)
            );
            if passes && components[e.from].traced && !components[e.to].traced {
                // A function's context reaches the queue; the queue passes it on.
                components[e.to].traced = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Producers of a queue: state machines and functions that send to it.
pub fn producers(m: &Matrix, queue: usize) -> Vec<usize> {
    m.edges
        .iter()
        .filter(|e| e.to == queue && e.link == Link::Send)
        .map(|e| e.from)
        .collect()
}

/// Callers of a function: stages (through routes) and state machines.
pub fn callers(m: &Matrix, function: usize) -> Vec<usize> {
    let mut out: Vec<usize> = m
        .routes
        .iter()
        .filter(|r| r.function == Some(function))
        .filter_map(|r| r.stage)
        .collect();
    out.extend(
        m.edges
            .iter()
            .filter(|e| e.to == function && e.link == Link::Invoke)
            .map(|e| e.from),
    );
    out.sort_unstable();
    out.dedup();
    out
}

/// The queue, sampling and group cells, which depend on links and on who is traced.
fn cells_from_links(m: &mut Matrix) {
    let configured = |c: &Component| {
        [
            Feature::LambdaMode,
            Feature::StageTracing,
            Feature::StateMachineTracing,
        ]
        .iter()
        .any(|f| c.cell(*f).is_some_and(|cell| cell.status == Status::Ok))
    };
    for i in 0..m.components.len() {
        let c = &m.components[i];
        let mut cells = Vec::new();
        if c.kind == Kind::Queue {
            let producers = producers(m, i);
            let consumers: Vec<usize> = m
                .edges
                .iter()
                .filter(|e| e.from == i && e.link == Link::Trigger)
                .map(|e| e.to)
                .collect();
            let untraced: Vec<String> = producers
                .iter()
                .filter(|p| !m.components[**p].traced)
                .map(|p| format!("`{}`", m.components[*p].name))
                .collect();
            let consumer_traced = consumers.iter().any(|c| configured(&m.components[*c]));
            let cell = if producers.is_empty() {
                Cell::new("no producer", Status::Info)
            } else if untraced.is_empty() {
                Cell::new("propagated", Status::Ok)
            } else if untraced.len() == producers.len() && !consumer_traced {
                Cell::new("off (producers untraced)", Status::Off)
            } else {
                Cell::new(
                    format!("broken ({} untraced)", untraced.join(", ")),
                    Status::Broken,
                )
            };
            cells.push((Feature::QueuePropagation, cell));
        }
        if matches!(c.kind, Kind::Stage | Kind::Function | Kind::StateMachine) {
            let cell = if c.kind == Kind::Function && !configured(c) {
                if c.traced {
                    Cell::new("from caller", Status::Info)
                } else {
                    Cell::new("-", Status::Off)
                }
            } else if !configured(c) {
                Cell::new("-", Status::Off)
            } else {
                sampling_cell(m, i)
            };
            cells.push((Feature::Sampling, cell));
            let groups = m
                .groups
                .iter()
                .filter(|g| {
                    !g.filter_expression.contains("service(")
                        || c.aws_name
                            .as_ref()
                            .is_some_and(|n| g.filter_expression.contains(n.as_str()))
                })
                .count();
            let cell = if !c.traced {
                Cell::new("-", Status::Off)
            } else if groups == 0 {
                Cell::new("0", Status::Info)
            } else {
                Cell::new(groups.to_string(), Status::Ok)
            };
            cells.push((Feature::Groups, cell));
        }
        m.components[i].cells.extend(cells);
    }
}

/// The rules that apply to a component, broken when a rule X-Ray applies first (lowest
/// priority number wins) samples nothing: for a stage, the first match of each of its routes;
/// for anything else, the first rule for its service.
fn sampling_cell(m: &Matrix, i: usize) -> Cell {
    let c = &m.components[i];
    let Some(service) = c.aws_name.as_deref() else {
        return Cell::new("unknown", Status::Unknown);
    };
    let applying: Vec<&SamplingRule> = m
        .rules
        .iter()
        .filter(|r| {
            if c.kind == Kind::Stage {
                glob(&r.service_name, service)
            } else {
                r.applies(service, None)
            }
        })
        .collect();
    if applying.is_empty() {
        // X-Ray's own default rule applies when no rule matches.
        return Cell::new("x-ray default", Status::Info);
    }
    let deciding: Vec<&SamplingRule> = if c.kind == Kind::Stage {
        let routes: Vec<&Route> = m.routes.iter().filter(|r| r.stage == Some(i)).collect();
        if routes.is_empty() {
            applying.clone()
        } else {
            routes
                .iter()
                .filter_map(|r| first_rule(&m.rules, service, Some((&r.method, &r.path))))
                .collect()
        }
    } else {
        first_rule(&m.rules, service, None).into_iter().collect()
    };
    let names: Vec<&str> = applying.iter().map(|r| r.name.as_str()).collect();
    let dead: Vec<&str> = applying
        .iter()
        .filter(|r| r.samples_nothing && deciding.iter().any(|d| d.name == r.name))
        .map(|r| r.name.as_str())
        .collect();
    if dead.is_empty() {
        Cell::new(names.join(", "), Status::Ok)
    } else if dead == names {
        Cell::new(
            format!("{} (samples nothing)", names.join(", ")),
            Status::Broken,
        )
    } else {
        let dead: Vec<String> = dead.iter().map(|n| format!("`{n}`")).collect();
        Cell::new(
            format!(
                "{} ({} matches first and samples nothing)",
                names.join(", "),
                dead.join(", ")
            ),
            Status::Broken,
        )
    }
}

/// Rows in flow order (stage, functions, state machines, queues, tables), each kind by name,
/// with edges and routes renumbered to match.
fn sort(m: &mut Matrix) {
    let mut order: Vec<usize> = (0..m.components.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&m.components[*a], &m.components[*b]);
        (x.kind, &x.name, &x.address).cmp(&(y.kind, &y.name, &y.address))
    });
    let mut new_index = vec![0; order.len()];
    for (new, old) in order.iter().enumerate() {
        new_index[*old] = new;
    }
    let old = std::mem::take(&mut m.components);
    let mut slots: Vec<Option<Component>> = old.into_iter().map(Some).collect();
    m.components = order.iter().filter_map(|i| slots[*i].take()).collect();
    for e in &mut m.edges {
        e.from = new_index[e.from];
        e.to = new_index[e.to];
    }
    m.edges.sort();
    for r in &mut m.routes {
        r.stage = r.stage.map(|s| new_index[s]);
        r.function = r.function.map(|f| new_index[f]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(kind: &str, name: &str, after: serde_json::Value) -> serde_json::Value {
        json!({"address": format!("{kind}.{name}"), "mode": "managed", "type": kind,
               "name": name, "change": {"actions": ["no-op"], "after": after}})
    }

    /// The X-Ray IAM cell of a function whose role has exactly `statements`.
    fn xray_cell(statements: serde_json::Value) -> String {
        let policy = json!({"Statement": statements});
        let plan = json!({"resource_changes": [
            resource("aws_lambda_function", "worker", json!({"function_name": "worker",
                "role": "arn:aws:iam::1:role/worker", "tracing_config": [{"mode": "Active"}]})),
            resource("aws_iam_role", "worker", json!({"name": "worker", "arn": "arn:aws:iam::1:role/worker"})),
            resource("aws_iam_role_policy", "worker", json!({"role": "worker", "policy": policy.to_string()})),
        ]});
        let inv = super::super::plan::read(plan.to_string().as_bytes(), "plan")
            .unwrap_or_else(|e| panic!("{e}"));
        let m = build(&inv);
        m.components[0]
            .cell(Feature::XrayIam)
            .map(|c| c.value.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_deny_takes_away_what_an_allow_grants_and_not_action_is_unknown() {
        let allow = json!({"Effect": "Allow", "Action": "xray:*", "Resource": "*"});
        assert_eq!(xray_cell(json!([allow])), "yes");
        let deny = json!({"Effect": "Deny", "Action": ["xray:PutTraceSegments"], "Resource": "*"});
        assert_eq!(
            xray_cell(json!([allow, deny])),
            "missing xray:PutTraceSegments"
        );
        let deny_all = json!({"Effect": "Deny", "Action": "xray:*", "Resource": "*"});
        assert_eq!(xray_cell(json!([allow, deny_all])), "no");
        // A denial of something else takes nothing away.
        let other = json!({"Effect": "Deny", "Action": "s3:*", "Resource": "*"});
        assert_eq!(xray_cell(json!([allow, other])), "yes");
        // What `NotAction` and `NotResource` cover is not worked out.
        let not_action = json!({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"});
        assert_eq!(xray_cell(json!([allow, not_action])), "unknown");
        let allow_not = json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"});
        assert_eq!(xray_cell(json!([allow_not])), "unknown");
        let allow_not_resource =
            json!({"Effect": "Allow", "Action": "xray:*", "NotResource": "arn:aws:s3:::x"});
        assert_eq!(xray_cell(json!([allow_not_resource])), "unknown");
    }

    /// Linking looks resources up in an index: thousands of functions, each with its role
    /// and policy, build in well under a second (comparing every role with every resource
    /// took minutes on large plans).
    #[test]
    fn linking_stays_linear_in_the_number_of_resources() {
        let n = 3000;
        let xray = json!({"Statement": [{"Effect": "Allow", "Action": "xray:*", "Resource": "*"}]})
            .to_string();
        let mut changes = Vec::new();
        for i in 0..n {
            let role = format!("arn:aws:iam::1:role/r{i}");
            changes.push(resource(
                "aws_lambda_function",
                &format!("f{i}"),
                json!({
                "function_name": format!("f{i}"), "role": role,
                "tracing_config": [{"mode": "Active"}]}),
            ));
            changes.push(resource(
                "aws_iam_role",
                &format!("r{i}"),
                json!({"name": format!("r{i}"), "arn": role}),
            ));
            changes.push(resource(
                "aws_iam_role_policy",
                &format!("p{i}"),
                json!({"role": format!("r{i}"), "policy": xray}),
            ));
        }
        let plan = json!({ "resource_changes": changes });
        let inv = super::super::plan::read(plan.to_string().as_bytes(), "plan")
            .unwrap_or_else(|e| panic!("{e}"));
        let started = std::time::Instant::now();
        let m = build(&inv);
        let took = started.elapsed();
        assert_eq!(m.components.len(), n);
        assert!(
            m.components
                .iter()
                .all(|c| c.cell(Feature::XrayIam).is_some_and(|c| c.value == "yes"))
        );
        assert!(took.as_secs_f64() < 3.0, "{n} functions took {took:?}");
    }

    /// A plan of resources that exist already: every link is by known name or ARN.
    #[test]
    fn known_names_and_arns_link_resources_in_a_plan() {
        let xray = json!({"Statement": [{"Effect": "Allow", "Action": "xray:*", "Resource": "*"}]});
        let plan = json!({"resource_changes": [
            resource("aws_lambda_function", "worker", json!({"function_name": "worker",
                "arn": "arn:aws:lambda:eu-west-1:1:function:worker",
                "role": "arn:aws:iam::1:role/worker", "tracing_config": [{"mode": "Active"}]})),
            resource("aws_iam_role", "worker", json!({"name": "worker", "arn": "arn:aws:iam::1:role/worker"})),
            resource("aws_iam_role_policy", "worker", json!({"role": "worker", "policy": xray.to_string()})),
            resource("aws_sqs_queue", "jobs", json!({"name": "jobs", "arn": "arn:aws:sqs:eu-west-1:1:jobs",
                "redrive_policy": json!({"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:1:failed"}).to_string()})),
            resource("aws_sqs_queue", "failed", json!({"name": "failed", "arn": "arn:aws:sqs:eu-west-1:1:failed"})),
            resource("aws_lambda_event_source_mapping", "jobs", json!({
                "event_source_arn": "arn:aws:sqs:eu-west-1:1:jobs",
                "function_name": "arn:aws:lambda:eu-west-1:1:function:worker"})),
            resource("aws_cloudwatch_metric_alarm", "failed", json!({"dimensions": {"QueueName": "failed"}})),
        ]});
        let inv = super::super::plan::read(plan.to_string().as_bytes(), "plan")
            .unwrap_or_else(|e| panic!("{e}"));
        let m = build(&inv);
        let names: Vec<(Kind, &str)> = m
            .components
            .iter()
            .map(|c| (c.kind, c.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [(Kind::Function, "worker"), (Kind::Queue, "jobs")],
            "the DLQ is no row"
        );
        let worker = &m.components[0];
        assert_eq!(
            worker.cell(Feature::XrayIam).map(|c| c.value.as_str()),
            Some("yes")
        );
        assert_eq!(
            m.edges,
            [Edge {
                from: 1,
                to: 0,
                link: Link::Trigger
            }]
        );
        let jobs = &m.components[1];
        assert_eq!(
            jobs.cell(Feature::Alarms).map(|c| c.value.as_str()),
            Some("failed")
        );
        assert_eq!(
            jobs.cell(Feature::QueuePropagation)
                .map(|c| c.value.as_str()),
            Some("no producer")
        );
    }

    #[test]
    fn globs_match_like_xray() {
        assert!(glob("e-com67-prod-*", "e-com67-prod-storefront/v1"));
        assert!(glob("*", ""));
        assert!(glob("/checkout", "/checkout"));
        assert!(!glob("/checkout", "/checkout/x"));
        assert!(glob("GE?", "GET"));
        assert!(!glob("e-com67-dev-*", "e-com67-prod-cart"));
    }
}
