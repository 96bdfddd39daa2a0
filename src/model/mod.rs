//! The typed stack model, read from `stack.toml` and resolved once per environment.
//!
//! Reading never stops at the first problem: every problem is collected with its location so a
//! user fixes them all in one pass. A [`Stack`] is the whole model as one environment sees it,
//! with environment overrides applied and tracing toggles resolved per component.

pub mod api;
pub mod diag;
pub mod function;
pub mod monitoring;
pub mod policy;
pub mod queue;
pub mod reader;
pub mod settings;
pub mod table;
pub mod validate;
pub mod workflow;
pub mod xray;

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use api::Api;
use diag::Diagnostics;
use function::Function;
use monitoring::{Alarm, Dashboard};
use policy::Policy;
use queue::Queue;
use reader::{Layer, Located, Reader, suggest};
use settings::Settings;
use table::Table;
use workflow::StateMachine;
use xray::{Group, SamplingRule, SdkLayer, XRay};

/// The hashicorp/aws versions the rendered HCL is written for: 5.100 and every 6.x.
pub const DEFAULT_AWS_PROVIDER: &str = ">= 5.100, < 7.0";

/// The E-Com67 model, used when no stack file is present.
pub const DEFAULT_STACK: &str = include_str!("../../stack.toml");

const TOP_KEYS: &[&str] = &[
    "stack",
    "state",
    "defaults",
    "environments",
    "tables",
    "queues",
    "functions",
    "api",
    "state_machines",
    "alarms",
    "dashboard",
    "xray",
    "policy",
];

/// Component sections an environment may override.
const OVERRIDABLE: &[&str] = &[
    "functions",
    "tables",
    "queues",
    "api",
    "state_machines",
    "alarms",
    "xray",
];

#[derive(Debug, Clone, PartialEq)]
pub struct StateBackend {
    pub bucket: Located<String>,
    pub key: String,
    pub region: String,
}

/// The whole model as one environment sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub name: Located<String>,
    pub env: String,
    pub region: Located<String>,
    pub artifact_bucket: Located<String>,
    /// Version constraint on hashicorp/aws written into every `versions.tf`.
    pub aws_provider: Located<String>,
    pub state: StateBackend,
    pub settings: Settings,
    pub tables: Vec<Table>,
    pub queues: Vec<Queue>,
    pub functions: Vec<Function>,
    pub api: Option<Api>,
    pub state_machines: Vec<StateMachine>,
    pub alarms: Vec<Alarm>,
    pub dashboard: Option<Dashboard>,
    pub xray: XRay,
}

impl Stack {
    /// The AWS name of a component: `<stack>-<env>-<key>`, underscores as hyphens.
    pub fn aws_name(&self, key: &str) -> String {
        format!("{}-{}-{}", self.name.value, self.env, key.replace('_', "-"))
    }

    pub fn prefix(&self) -> String {
        format!("{}-{}", self.name.value, self.env)
    }

    pub fn function(&self, key: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.key == key)
    }

    pub fn sdk_layer(&self) -> Option<&SdkLayer> {
        self.xray
            .sdk_layer
            .as_ref()
            .filter(|_| self.settings.xray_sdk_layer)
    }
}

/// A stack file read for every environment it declares, in file order.
#[derive(Debug)]
pub struct Model {
    pub environments: Vec<Stack>,
    /// `[policy]`, shared by every environment (empty when the file has none).
    pub policy: Policy,
}

impl Model {
    pub fn env_names(&self) -> Vec<&str> {
        self.environments.iter().map(|s| s.env.as_str()).collect()
    }

    /// The declared environments as messages list them: "`dev`, `staging`, `prod`".
    pub fn env_list(&self) -> String {
        self.env_names()
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn env(&self, name: &str) -> Option<&Stack> {
        self.environments.iter().find(|s| s.env == name)
    }
}

/// Reads and validates a stack file. On failure every problem is returned.
pub fn load(text: &str) -> Result<Model, Diagnostics> {
    let mut d = Diagnostics::default();
    let (root, errors) = DeTable::parse_recoverable(text);
    for e in &errors {
        let span = e.span().unwrap_or(0..0);
        d.error_hint(
            span,
            format!("invalid TOML: {}", e.message().trim()),
            "see https://toml.io for the syntax",
        );
    }
    if !errors.is_empty() {
        return Err(d);
    }
    let root = root.get_ref();
    let mut top = Reader::single(root, "", 0..0);
    let header = section(&mut top, &mut d, "stack");
    let state = section(&mut top, &mut d, "state");
    let defaults = section(&mut top, &mut d, "defaults");
    let environments = section(&mut top, &mut d, "environments");
    let bases: Vec<(&str, Option<Section>)> = OVERRIDABLE
        .iter()
        .map(|&kind| (kind, section(&mut top, &mut d, kind)))
        .collect();
    let dashboard = section(&mut top, &mut d, "dashboard");
    let policy = section(&mut top, &mut d, "policy").map(|p| {
        let mut r = Reader::single(p.table, &p.path, p.span.clone());
        let policy = Policy::read(&mut r, &mut d);
        r.finish(&mut d, "");
        policy
    });
    top.finish(
        &mut d,
        &format!("top-level sections are {}", TOP_KEYS.join(", ")),
    );

    let Some(header) = header else {
        d.error_hint(
            0..0,
            "`[stack]` is missing",
            "add `[stack]` with `name`, `region` and `artifact_bucket`",
        );
        return Err(d);
    };
    let mut hr = Reader::single(header.table, "stack", header.span.clone());
    let name = required_string(&mut hr, &mut d, "name", "\"e-com67\"");
    let region = required_string(&mut hr, &mut d, "region", "\"us-east-1\"");
    let artifact_bucket = required_string(&mut hr, &mut d, "artifact_bucket", "\"my-artifacts\"");
    let aws_provider = hr
        .get("aws_provider")
        .and_then(|f| f.string(&mut d))
        .unwrap_or_else(|| {
            Located::new(
                DEFAULT_AWS_PROVIDER.to_string(),
                header.span.clone(),
                "stack.aws_provider".to_string(),
            )
        });
    hr.finish(&mut d, "");

    let state = state.map(|s| {
        let mut sr = Reader::single(s.table, "state", s.span.clone());
        let bucket = required_string(&mut sr, &mut d, "bucket", "\"my-terraform-state\"");
        let key_prefix = sr.get("key_prefix").and_then(|f| f.string(&mut d));
        let state_region = sr.get("region").and_then(|f| f.string(&mut d));
        sr.finish(&mut d, "");
        (bucket, key_prefix, state_region)
    });
    if state.is_none() {
        d.error_hint(
            header.span.clone(),
            "`[state]` is missing",
            "add `[state]` with the S3 `bucket` that holds Terraform state",
        );
    }

    let Some(envs) = environments else {
        d.error_hint(
            header.span.clone(),
            "`[environments]` is missing",
            "declare at least one environment, e.g. `[environments.dev]`",
        );
        return Err(d);
    };
    if envs.table.is_empty() {
        d.error_hint(
            envs.span.clone(),
            "`environments` declares no environment",
            "declare at least one environment, e.g. `[environments.dev]`",
        );
    }

    let mut stacks = Vec::new();
    for (env_key, env_value) in envs.table.iter() {
        let env = env_key.get_ref().to_string();
        let env_path = format!("environments.{env}");
        if !is_identifier(&env, '-') {
            d.error_hint(
                env_key.span(),
                format!("environment name `{env}` is not allowed"),
                "use lowercase letters, digits and hyphens, starting with a letter (e.g. `prod`)",
            );
        }
        let DeValue::Table(env_table) = env_value.get_ref() else {
            d.error(
                env_value.span(),
                format!(
                    "`{env_path}` must be a table, got {}",
                    env_value.get_ref().type_str()
                ),
            );
            continue;
        };
        let mut layers = Vec::new();
        if let Some(defaults) = &defaults {
            layers.push(Layer {
                table: defaults.table,
                path: "defaults".into(),
                span: defaults.span.clone(),
                is_override: false,
            });
        }
        layers.push(Layer {
            table: env_table,
            path: env_path.clone(),
            span: env_key.span(),
            is_override: true,
        });
        let mut sr = Reader::new(layers);
        let settings = Settings::read(&mut sr, &mut d);
        let mut overrides: Vec<(&str, Option<Section>)> = Vec::new();
        for &kind in OVERRIDABLE {
            let over = sr.get(kind).and_then(|f| {
                let span = f.value.span();
                f.table(&mut d)
                    .map(|(table, _, path)| Section { table, span, path })
            });
            overrides.push((kind, over));
        }
        sr.finish(
            &mut d,
            &format!(
                "an environment sets {} or overrides a component under {}",
                settings::KEYS.join(", "),
                OVERRIDABLE.join(", ")
            ),
        );
        let over = |kind: &str| {
            overrides
                .iter()
                .find(|(k, _)| *k == kind)
                .and_then(|(_, s)| s.as_ref())
        };
        let base = |kind: &str| {
            bases
                .iter()
                .find(|(k, _)| *k == kind)
                .and_then(|(_, s)| s.as_ref())
        };

        let tables = each(
            &mut d,
            base("tables"),
            over("tables"),
            "table",
            |k, r, d| Some(Table::read(k, r, d, &settings)),
        );
        let queues = each(
            &mut d,
            base("queues"),
            over("queues"),
            "queue",
            |k, r, d| Some(Queue::read(k, r, d)),
        );
        let functions = each(
            &mut d,
            base("functions"),
            over("functions"),
            "function",
            |k, r, d| Some(Function::read(k, r, d, &settings)),
        );
        let state_machines = each(
            &mut d,
            base("state_machines"),
            over("state_machines"),
            "state machine",
            |k, r, d| Some(StateMachine::read(k, r, d, &settings)),
        );
        let alarms = each(&mut d, base("alarms"), over("alarms"), "alarm", Alarm::read);
        let api = single(&mut d, base("api"), over("api"), |r, d| {
            Api::read(r, d, &settings)
        });
        let dashboard = single(&mut d, dashboard.as_ref(), None, Dashboard::read);
        let xray = read_xray(&mut d, base("xray"), over("xray"));

        let (state_bucket, key_prefix, state_region) = match &state {
            Some((b, k, r)) => (
                b.clone(),
                k.as_ref().map(|k| k.value.clone()),
                r.as_ref().map(|r| r.value.clone()),
            ),
            None => (
                Located::new(String::new(), 0..0, "state.bucket".into()),
                None,
                None,
            ),
        };
        let key_prefix = key_prefix.unwrap_or_else(|| name.value.clone());
        stacks.push(Stack {
            state: StateBackend {
                bucket: state_bucket,
                key: format!("{key_prefix}/{env}/terraform.tfstate"),
                region: state_region.unwrap_or_else(|| region.value.clone()),
            },
            name: name.clone(),
            env,
            region: region.clone(),
            artifact_bucket: artifact_bucket.clone(),
            aws_provider: aws_provider.clone(),
            settings,
            tables,
            queues,
            functions,
            api,
            state_machines,
            alarms,
            dashboard,
            xray,
        });
    }
    for stack in &stacks {
        validate::validate(stack, &mut d);
    }
    let policy = policy.unwrap_or_default();
    validate::policy(&policy, &stacks, &mut d);
    if d.is_empty() {
        Ok(Model {
            environments: stacks,
            policy,
        })
    } else {
        Err(d)
    }
}

/// A table of the stack file with its key path and the span of the key that names it.
struct Section<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    path: String,
}

fn section<'a, 'i>(
    r: &mut Reader<'a, 'i>,
    d: &mut Diagnostics,
    key: &'static str,
) -> Option<Section<'a, 'i>> {
    let found = r.get(key)?;
    let span = found.value.span();
    let (table, _, path) = found.table(d)?;
    Some(Section { table, span, path })
}

fn required_string(
    r: &mut Reader,
    d: &mut Diagnostics,
    key: &'static str,
    example: &str,
) -> Located<String> {
    match r.get(key) {
        Some(f) => f.string(d),
        None => {
            r.missing(d, key, example);
            None
        }
    }
    .unwrap_or_else(|| Located::new(String::new(), r.span.clone(), r.key_path(key)))
}

/// Model keys become Terraform identifiers and parts of AWS names.
pub fn is_identifier(name: &str, separator: char) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == separator)
        && name.len() <= 64
}

/// Reads every component of one kind, layering the environment's overrides onto it.
fn each<'a, 'i, T>(
    d: &mut Diagnostics,
    base: Option<&Section<'a, 'i>>,
    over: Option<&Section<'a, 'i>>,
    what: &str,
    mut read: impl FnMut(&str, &mut Reader<'a, 'i>, &mut Diagnostics) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    if let Some(base) = base {
        for (key, value) in base.table.iter() {
            let name = key.get_ref().to_string();
            let path = format!("{}.{name}", base.path);
            if !is_identifier(&name, '_') {
                d.error_hint(
                    key.span(),
                    format!("{what} name `{path}` is not allowed"),
                    "use at most 64 lowercase letters, digits and underscores, starting with a letter",
                );
            }
            let DeValue::Table(table) = value.get_ref() else {
                d.error(
                    value.span(),
                    format!(
                        "`{path}` must be a table, got {}",
                        value.get_ref().type_str()
                    ),
                );
                continue;
            };
            let mut layers = vec![Layer {
                table,
                path,
                span: key.span(),
                is_override: false,
            }];
            if let Some(over) = over
                && let Some((okey, ovalue)) = over.table.get_key_value(name.as_str())
            {
                let opath = format!("{}.{name}", over.path);
                match ovalue.get_ref() {
                    DeValue::Table(t) => layers.push(Layer {
                        table: t,
                        path: opath,
                        span: okey.span(),
                        is_override: true,
                    }),
                    other => d.error(
                        ovalue.span(),
                        format!("`{opath}` must be a table, got {}", other.type_str()),
                    ),
                }
            }
            let mut r = Reader::new(layers);
            if let Some(item) = read(&name, &mut r, d) {
                out.push(item);
            }
            r.finish(d, "");
        }
    }
    if let Some(over) = over {
        let known: Vec<&str> = base
            .map(|b| b.table.iter().map(|(k, _)| k.get_ref().as_ref()).collect())
            .unwrap_or_default();
        for (key, _) in over.table.iter() {
            if !known.contains(&key.get_ref().as_ref()) {
                let hint = suggest(key.get_ref(), &known).unwrap_or_else(|| {
                    format!(
                        "overrides apply to components declared at the top level; declared: {}",
                        known.join(", ")
                    )
                });
                d.error_hint(
                    key.span(),
                    format!(
                        "`{}.{}` overrides a {what} that does not exist",
                        over.path,
                        key.get_ref()
                    ),
                    hint,
                );
            }
        }
    }
    out
}

/// Reads a singleton section (the API, the dashboard) with its environment override.
fn single<'a, 'i, T>(
    d: &mut Diagnostics,
    base: Option<&Section<'a, 'i>>,
    over: Option<&Section<'a, 'i>>,
    read: impl FnOnce(&mut Reader<'a, 'i>, &mut Diagnostics) -> T,
) -> Option<T> {
    let Some(base) = base else {
        if let Some(over) = over {
            d.error_hint(
                over.span.clone(),
                format!(
                    "`{}` overrides a section the stack does not declare",
                    over.path
                ),
                "declare the section at the top level first",
            );
        }
        return None;
    };
    let mut layers = vec![Layer {
        table: base.table,
        path: base.path.clone(),
        span: base.span.clone(),
        is_override: false,
    }];
    if let Some(over) = over {
        layers.push(Layer {
            table: over.table,
            path: over.path.clone(),
            span: over.span.clone(),
            is_override: true,
        });
    }
    let mut r = Reader::new(layers);
    let item = read(&mut r, d);
    r.finish(d, "");
    Some(item)
}

fn read_xray<'a, 'i>(
    d: &mut Diagnostics,
    base: Option<&Section<'a, 'i>>,
    over: Option<&Section<'a, 'i>>,
) -> XRay {
    let Some(base) = base else {
        single(d, None, over, |_, _| ());
        return XRay::default();
    };
    let sub = |d: &mut Diagnostics, s: Option<&Section<'a, 'i>>, key: &'static str| {
        s.and_then(|s| {
            let mut r = Reader::single(s.table, &s.path, s.span.clone());
            let found = r.get(key)?;
            let span = found.value.span();
            found
                .table(d)
                .map(|(table, _, path)| Section { table, span, path })
        })
    };
    for s in [Some(base), over].into_iter().flatten() {
        let mut r = Reader::single(s.table, &s.path, s.span.clone());
        r.get("sampling_rules");
        r.get("groups");
        r.get("sdk_layer");
        r.finish(d, "");
    }
    let (rules_base, rules_over) = (
        sub(d, Some(base), "sampling_rules"),
        sub(d, over, "sampling_rules"),
    );
    let (groups_base, groups_over) = (sub(d, Some(base), "groups"), sub(d, over, "groups"));
    let (layer_base, layer_over) = (sub(d, Some(base), "sdk_layer"), sub(d, over, "sdk_layer"));
    XRay {
        sampling_rules: each(
            d,
            rules_base.as_ref(),
            rules_over.as_ref(),
            "sampling rule",
            |k, r, d| Some(SamplingRule::read(k, r, d)),
        ),
        groups: each(
            d,
            groups_base.as_ref(),
            groups_over.as_ref(),
            "group",
            |k, r, d| Some(Group::read(k, r, d)),
        ),
        sdk_layer: single(d, layer_base.as_ref(), layer_over.as_ref(), SdkLayer::read),
    }
}

#[cfg(test)]
mod tests {
    use super::settings::TracingMode;
    use super::*;

    fn render_errors(text: &str) -> String {
        match load(text) {
            Ok(_) => String::from("no errors"),
            Err(d) => d.render("stack.toml", text),
        }
    }

    #[test]
    fn the_default_stack_resolves_tracing_per_environment() {
        let model = load(DEFAULT_STACK)
            .unwrap_or_else(|d| panic!("{}", d.render("stack.toml", DEFAULT_STACK)));
        assert_eq!(model.env_names(), ["dev", "staging", "prod"]);
        let dev = model
            .env("dev")
            .map(|s| s.function("payment").map(|f| f.tracing));
        assert_eq!(dev, Some(Some(TracingMode::PassThrough)));
        let prod = model.env("prod");
        assert_eq!(
            prod.and_then(|s| s.function("payment"))
                .map(|f| (f.tracing, f.memory)),
            Some((TracingMode::Active, 1024))
        );
        assert_eq!(
            model.env("staging").map(|s| s.settings.sampling_rate),
            Some(0.5)
        );
        assert_eq!(
            model
                .env("dev")
                .map(|s| s.tables.iter().all(|t| !t.contributor_insights)),
            Some(true)
        );
    }

    #[test]
    fn unknown_keys_are_located_and_suggested() {
        let text =
            DEFAULT_STACK.replace("memory = 512\ntimeout = 30", "memroy = 512\ntimeout = 30");
        let out = render_errors(&text);
        assert!(
            out.contains("unknown key `functions.payment.memroy`"),
            "{out}"
        );
        assert!(out.contains("did you mean `memory`?"), "{out}");
    }
}
