//! Rules that span components: references, AWS naming rules and limits, duplicates and tracing
//! that AWS cannot do. Runs once per environment; shared problems are reported once.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::Stack;
use super::diag::Diagnostics;
use super::monitoring::Watched;
use super::policy::Policy;
use super::reader::{Located, suggest};
use super::settings::TracingMode;
use super::workflow::Target;

pub fn validate(stack: &Stack, d: &mut Diagnostics) {
    names(stack, d);
    references(stack, d);
    api(stack, d);
    workflows(stack, d);
    tables(stack, d);
    dashboard(stack, d);
    if stack.settings.xray_sdk_layer && stack.xray.sdk_layer.is_none() {
        let at = stack
            .xray
            .groups
            .first()
            .map_or(stack.name.span.clone(), |g| g.span.clone());
        d.error_hint(
            at,
            format!(
                "environment `{}` enables `xray_sdk_layer` but `[xray.sdk_layer]` is not declared",
                stack.env
            ),
            "declare `[xray.sdk_layer]` with its `package`, or set `xray_sdk_layer = false`",
        );
    }
}

/// One setting that leaves components untraced in environments the policy names.
struct Gap {
    kind: GapKind,
    names: BTreeSet<String>,
    envs: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum GapKind {
    Function,
    Api,
    StateMachine,
    Table,
    DefaultSampling,
    SamplingRule,
}

/// `[policy] require_tracing`: each named environment exists and traces every component.
///
/// Problems are grouped by the setting that causes them, so an environment-wide
/// `lambda_tracing = "PassThrough"` is one message naming every function, not seven.
pub fn policy(policy: &Policy, stacks: &[Stack], d: &mut Diagnostics) {
    let mut envs: Vec<&str> = stacks.iter().map(|s| s.env.as_str()).collect();
    envs.sort_unstable();
    for env in &policy.require_tracing {
        exists(d, env, "environment", "environments", &envs);
    }
    duplicates(d, &policy.require_tracing, "environment");
    let mut gaps: BTreeMap<(usize, usize, String), Gap> = BTreeMap::new();
    let mut add = |at: (Range<usize>, String), kind: GapKind, name: &str, env: &str| {
        let gap = gaps.entry((at.0.start, at.0.end, at.1)).or_insert(Gap {
            kind,
            names: BTreeSet::new(),
            envs: Vec::new(),
        });
        gap.names.insert(name.to_string());
        if !gap.envs.iter().any(|e| e == env) {
            gap.envs.push(env.to_string());
        }
    };
    for stack in stacks.iter().filter(|s| policy.requires_tracing(&s.env)) {
        let env = stack.env.as_str();
        let set_at = |key: &str| {
            stack
                .settings
                .set_at
                .get(key)
                .map(|l| (l.span.clone(), l.path.clone()))
        };
        let fallback = (
            policy
                .entry(env)
                .map_or(policy.span.clone(), |e| e.span.clone()),
            "policy.require_tracing".to_string(),
        );
        for f in stack
            .functions
            .iter()
            .filter(|f| f.tracing == TracingMode::PassThrough)
        {
            let at = f.tracing_at.as_ref().map_or_else(
                || (f.span.clone(), f.path.clone()),
                |l| (l.span.clone(), l.path.clone()),
            );
            add(at, GapKind::Function, &f.key, env);
        }
        if let Some(api) = stack.api.as_ref().filter(|a| !a.tracing) {
            let at = api
                .tracing_at
                .as_ref()
                .map(|l| (l.span.clone(), l.path.clone()))
                .or_else(|| set_at("api_tracing"))
                .unwrap_or_else(|| (api.span.clone(), api.path.clone()));
            add(at, GapKind::Api, &api.name.value, env);
        }
        for sm in stack.state_machines.iter().filter(|sm| !sm.tracing) {
            let at = sm
                .tracing_at
                .as_ref()
                .map(|l| (l.span.clone(), l.path.clone()))
                .or_else(|| set_at("state_machine_tracing"))
                .unwrap_or_else(|| (sm.span.clone(), sm.path.clone()));
            add(at, GapKind::StateMachine, &sm.key, env);
        }
        for t in stack.tables.iter().filter(|t| !t.contributor_insights) {
            let at = t
                .contributor_insights_at
                .as_ref()
                .map(|l| (l.span.clone(), l.path.clone()))
                .or_else(|| set_at("contributor_insights"))
                .unwrap_or_else(|| (t.span.clone(), t.path.clone()));
            add(at, GapKind::Table, &t.key, env);
        }
        let settings = &stack.settings;
        if settings.sampling_rate == 0.0 && settings.sampling_reservoir == 0 {
            let at = set_at("sampling_rate")
                .or_else(|| set_at("sampling_reservoir"))
                .unwrap_or_else(|| fallback.clone());
            add(at, GapKind::DefaultSampling, "default", env);
        }
        for rule in &stack.xray.sampling_rules {
            if rule.fixed_rate == 0.0 && rule.reservoir_size == 0 {
                let at = (rule.span.clone(), rule.path.clone());
                add(at, GapKind::SamplingRule, &rule.key, env);
            }
        }
    }
    for ((start, end, path), gap) in gaps {
        let names = gap
            .names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let plural = if gap.names.len() == 1 { "" } else { "s" };
        let (what, fix) = match gap.kind {
            GapKind::Function => (
                format!("leaves function{plural} {names} untraced (`PassThrough`)"),
                "set it to \"Active\"",
            ),
            GapKind::Api => ("turns API stage tracing off".to_string(), "set it to true"),
            GapKind::StateMachine => (
                format!("turns tracing off for state machine{plural} {names}"),
                "set it to true",
            ),
            GapKind::Table => (
                format!("turns contributor insights off for table{plural} {names}"),
                "set it to true",
            ),
            GapKind::DefaultSampling => (
                "makes the catch-all sampling rule sample nothing (rate 0, reservoir 0)"
                    .to_string(),
                "sample some requests: raise `sampling_rate` or `sampling_reservoir` above 0",
            ),
            GapKind::SamplingRule => (
                "samples nothing (`fixed_rate` 0, `reservoir_size` 0)".to_string(),
                "raise `fixed_rate` or `reservoir_size` above 0",
            ),
        };
        let envs = gap
            .envs
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ");
        d.error_hint(
            start..end,
            format!(
                "`{path}` {what} in {envs}, which `policy.require_tracing` requires to be traced"
            ),
            format!("{fix}, or remove the environment from `policy.require_tracing`"),
        );
    }
}

/// A Terraform version constraint: conditions such as `>= 5.100` or `~> 6.2.0`, comma-separated.
fn is_version_constraint(text: &str) -> bool {
    text.split(',').all(|condition| {
        let condition = condition.trim();
        let version = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| condition.strip_prefix(op))
            .unwrap_or(condition)
            .trim();
        let (core, pre) = version.split_once('-').unwrap_or((version, ""));
        let parts: Vec<&str> = core.split('.').collect();
        (1..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            && pre
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && !(version.contains('-') && pre.is_empty())
    })
}

fn dashboard(stack: &Stack, d: &mut Diagnostics) {
    use crate::render::monitoring::{MAX_WIDGETS, widget_count};
    if let Some(board) = &stack.dashboard {
        let name = &board.name;
        let full = format!("{}-{}", stack.prefix(), name.value);
        let ok = !name.value.is_empty()
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && full.len() <= 255;
        if !ok {
            d.error_hint(
                name.span.clone(),
                format!(
                    "`{}` must be a CloudWatch dashboard name: letters, digits, `-` and `_`, at most {} characters here",
                    name.path,
                    255usize.saturating_sub(stack.prefix().len() + 1)
                ),
                format!("the dashboard is named `{}-NAME`", stack.prefix()),
            );
        }
    }
    if let Some(board) = &stack.dashboard
        && widget_count(stack) > MAX_WIDGETS
    {
        d.error_hint(
            board.span.clone(),
            format!(
                "`dashboard` would hold {} widgets (one per function); CloudWatch allows {MAX_WIDGETS}",
                widget_count(stack)
            ),
            "remove `[dashboard]` or split the stack",
        );
    }
}

fn names(stack: &Stack, d: &mut Diagnostics) {
    let name = &stack.name;
    if !super::is_identifier(&name.value, '-') || name.value.len() > 20 {
        d.error_hint(
            name.span.clone(),
            format!("`stack.name` \"{}\" is not allowed", name.value),
            "use at most 20 lowercase letters, digits and hyphens, starting with a letter; it prefixes every AWS name",
        );
        // Every derived name would fail too; one message is enough.
        return;
    }
    let region = &stack.region;
    if !is_region(&region.value) {
        d.error_hint(
            region.span.clone(),
            format!("`stack.region` \"{}\" is not an AWS region", region.value),
            "use a region code such as \"us-east-1\" or \"eu-west-2\"",
        );
    }
    if !is_version_constraint(&stack.aws_provider.value) {
        d.error_hint(
            stack.aws_provider.span.clone(),
            format!(
                "`{}` is not a Terraform version constraint",
                stack.aws_provider.path
            ),
            format!(
                "write comma-separated conditions such as \"{}\" (operators =, !=, >, >=, <, <=, ~>)",
                super::DEFAULT_AWS_PROVIDER
            ),
        );
    }
    let prefix = stack.prefix();
    for f in &stack.functions {
        limit(
            d,
            &f.span,
            &f.path,
            "Lambda function name",
            &stack.aws_name(&f.key),
            64,
        );
        if f.handler.is_empty() || f.handler.len() > 128 {
            d.error(
                f.span.clone(),
                format!("`{}.handler` must be 1 to 128 characters", f.path),
            );
        }
        if f.package.value.is_empty() || f.package.value.starts_with('/') {
            d.error_hint(
                f.package.span.clone(),
                format!(
                    "`{}` must be an S3 key in the artifact bucket",
                    f.package.path
                ),
                "e.g. \"functions/payment.zip\", without a leading slash",
            );
        }
        for p in &f.parameters {
            let ok = !p.value.is_empty()
                && !p.value.starts_with('/')
                && p.value.len() <= 200
                && p.value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
            if !ok {
                d.error_hint(
                    p.span.clone(),
                    format!("`{}` \"{}\" is not a valid parameter name", p.path, p.value),
                    format!("use letters, digits, `_.-/` without a leading slash; it is read from /{}/{}/NAME", stack.name.value, stack.env),
                );
            }
        }
        for (key, _) in &f.environment {
            let ok = key
                .value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && key
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok || key.value.starts_with("AWS_") {
                d.error_hint(
                    key.span.clone(),
                    format!("`{}` is not an allowed environment variable name", key.path),
                    "use letters, digits and underscores, starting with a letter; names starting with AWS_ are reserved",
                );
            }
        }
    }
    if let Some(api) = stack
        .api
        .as_ref()
        .filter(|_| stack.settings.api_cloudwatch_role)
    {
        let role = format!("{}-apigw-logs", stack.aws_name(&api.name.value));
        limit(
            d,
            &api.name.span,
            &api.name.path,
            "API Gateway logging role name",
            &role,
            64,
        );
    }
    for t in &stack.tables {
        let table_name = stack.aws_name(&t.key);
        limit(d, &t.span, &t.path, "DynamoDB table name", &table_name, 255);
    }
    for q in &stack.queues {
        // The dead-letter queue's name is the longest derived from the key.
        let dlq = format!("{}-dlq", stack.aws_name(&q.key));
        limit(
            d,
            &q.span,
            &q.path,
            "SQS queue name (of its dead-letter queue)",
            &dlq,
            80,
        );
    }
    for sm in &stack.state_machines {
        limit(
            d,
            &sm.span,
            &sm.path,
            "state machine name",
            &stack.aws_name(&sm.key),
            80,
        );
        limit(
            d,
            &sm.span,
            &sm.path,
            "IAM role name",
            &format!("{prefix}-sfn-{}", sm.key.replace('_', "-")),
            64,
        );
    }
    for rule in &stack.xray.sampling_rules {
        limit(
            d,
            &rule.span,
            &rule.path,
            "X-Ray sampling rule name",
            &stack.aws_name(&rule.key),
            32,
        );
        if rule.url_path.len() > 128 || rule.service_name.len() > 64 {
            d.error(
                rule.span.clone(),
                format!(
                    "`{}`: `url_path` is limited to 128 and `service_name` to 64 characters",
                    rule.path
                ),
            );
        }
    }
    limit(
        d,
        &stack.name.span,
        "stack.name",
        "X-Ray sampling rule name",
        &format!("{prefix}-default"),
        32,
    );
    for g in &stack.xray.groups {
        limit(
            d,
            &g.span,
            &g.path,
            "X-Ray group name",
            &stack.aws_name(&g.key),
            32,
        );
        if g.filter_expression.value.trim().is_empty() {
            d.error(
                g.filter_expression.span.clone(),
                format!("`{}` must not be empty", g.filter_expression.path),
            );
        }
    }
    for a in &stack.alarms {
        limit(
            d,
            &a.span,
            &a.path,
            "alarm name",
            &stack.aws_name(&a.key),
            255,
        );
    }
    for bucket in [&stack.artifact_bucket, &stack.state.bucket] {
        if !is_bucket_name(&bucket.value) {
            d.error_hint(
                bucket.span.clone(),
                format!("`{}` \"{}\" is not a valid S3 bucket name", bucket.path, bucket.value),
                "use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
            );
        }
    }
}

fn limit(d: &mut Diagnostics, span: &Range<usize>, path: &str, what: &str, name: &str, max: usize) {
    if name.len() > max {
        d.error_hint(
            span.clone(),
            format!(
                "`{path}` makes the {what} \"{name}\" {} characters long; AWS allows {max}",
                name.len()
            ),
            "shorten the component's key or the stack name",
        );
    }
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

fn is_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A reference to a component that must exist.
/// `known` must be sorted: stacks of thousands of components check every reference.
fn exists(
    d: &mut Diagnostics,
    reference: &Located<String>,
    what: &str,
    section: &str,
    known: &[&str],
) -> bool {
    if known.binary_search(&reference.value.as_str()).is_ok() {
        return true;
    }
    let hint = suggest(&reference.value, known).unwrap_or_else(|| {
        if known.is_empty() {
            format!("declare it as `[{section}.{}]`", reference.value)
        } else {
            format!("declared {what}s: {}", known.join(", "))
        }
    });
    d.error_hint(
        reference.span.clone(),
        format!(
            "`{}` refers to {what} `{}`, which does not exist",
            reference.path, reference.value
        ),
        hint,
    );
    false
}

fn duplicates<'a>(
    d: &mut Diagnostics,
    items: impl IntoIterator<Item = &'a Located<String>>,
    what: &str,
) {
    let mut seen = BTreeSet::new();
    for item in items {
        if !seen.insert(item.value.as_str()) {
            d.error(
                item.span.clone(),
                format!("`{}` repeats {what} `{}`", item.path, item.value),
            );
        }
    }
}

fn references(stack: &Stack, d: &mut Diagnostics) {
    fn sorted<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut keys: Vec<&str> = keys.collect();
        keys.sort_unstable();
        keys
    }
    let tables = sorted(stack.tables.iter().map(|t| t.key.as_str()));
    let queues = sorted(stack.queues.iter().map(|q| q.key.as_str()));
    let functions = sorted(stack.functions.iter().map(|f| f.key.as_str()));
    let machines = sorted(stack.state_machines.iter().map(|s| s.key.as_str()));
    for f in &stack.functions {
        for (table, _) in &f.tables {
            exists(d, table, "table", "tables", &tables);
        }
        for q in &f.queues {
            exists(d, q, "queue", "queues", &queues);
        }
        for sm in &f.state_machines {
            exists(d, sm, "state machine", "state_machines", &machines);
        }
        duplicates(d, &f.queues, "queue");
        duplicates(d, &f.state_machines, "state machine");
        duplicates(d, &f.parameters, "parameter");
    }
    for q in &stack.queues {
        let Some(consumer) = &q.consumer else {
            continue;
        };
        if !exists(d, consumer, "function", "functions", &functions) {
            continue;
        }
        if let Some(f) = stack.function(&consumer.value)
            && f.timeout > q.visibility_timeout.value
        {
            d.error_hint(
                q.visibility_timeout.span.clone(),
                format!(
                    "`{}` is {} seconds but its consumer `{}` may run for {} seconds",
                    q.visibility_timeout.path, q.visibility_timeout.value, f.key, f.timeout
                ),
                "Lambda requires the queue's visibility timeout to be at least the function's timeout (AWS recommends six times it)",
            );
        }
    }
    let mut consumers = BTreeSet::new();
    for q in &stack.queues {
        if let Some(c) = &q.consumer
            && !consumers.insert(c.value.as_str())
        {
            d.error_hint(
                c.span.clone(),
                format!(
                    "`{}`: function `{}` already consumes another queue",
                    c.path, c.value
                ),
                "give each queue its own consumer function",
            );
        }
    }
    for a in &stack.alarms {
        match &a.watched {
            Watched::Function(f) => exists(d, f, "function", "functions", &functions),
            Watched::Queue(q) => exists(d, q, "queue", "queues", &queues),
        };
    }
    if let Some(api) = &stack.api {
        for route in &api.routes {
            exists(d, &route.function, "function", "functions", &functions);
        }
    }
    for sm in &stack.state_machines {
        for step in &sm.steps {
            match &step.target {
                Target::Function(f) => exists(d, f, "function", "functions", &functions),
                Target::Queue(q) => exists(d, q, "queue", "queues", &queues),
            };
        }
    }
}

fn api(stack: &Stack, d: &mut Diagnostics) {
    let Some(api) = &stack.api else { return };
    if api.kind.value == "http" {
        let (span, path) = match &api.tracing_at {
            Some(t) if t.value => (t.span.clone(), t.path.clone()),
            _ => (api.kind.span.clone(), api.kind.path.clone()),
        };
        if api.tracing {
            d.error_hint(
                span,
                format!("`{path}`: X-Ray cannot trace an HTTP API (environment `{}` asks for API tracing)", stack.env),
                "X-Ray traces REST APIs only: use `type = \"rest\"`, or set `tracing = false` in `[api]`",
            );
        } else {
            d.error_hint(
                api.kind.span.clone(),
                format!("`{}`: stackform renders REST APIs only", api.kind.path),
                "use `type = \"rest\"` (API Gateway v1, which X-Ray can trace)",
            );
        }
    }
    let stage = &api.stage;
    if stage.value.is_empty()
        || stage.value.len() > 128
        || !stage
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        d.error_hint(
            stage.span.clone(),
            format!(
                "`{}` \"{}\" is not a valid stage name",
                stage.path, stage.value
            ),
            "use 1 to 128 letters, digits, hyphens and underscores",
        );
    }
    let name = &api.name;
    if !super::is_identifier(&name.value, '-') {
        d.error_hint(
            name.span.clone(),
            format!("`{}` \"{}\" is not allowed", name.path, name.value),
            "use lowercase letters, digits and hyphens, starting with a letter",
        );
    }
    let mut seen = BTreeSet::new();
    for route in &api.routes {
        let path = &route.path;
        let segments: Vec<&str> = path.value.split('/').skip(1).collect();
        let valid = path.value.starts_with('/')
            && (path.value == "/"
                || segments.iter().all(|s| {
                    let inner = s
                        .strip_prefix('{')
                        .and_then(|s| s.strip_suffix('}'))
                        .unwrap_or(s);
                    !inner.is_empty()
                        && inner
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                }));
        if !valid {
            d.error_hint(
                path.span.clone(),
                format!(
                    "`{}` \"{}\" is not a valid resource path",
                    path.path, path.value
                ),
                "start with `/`; segments are letters, digits, `._-` or a `{parameter}`",
            );
            continue;
        }
        if !seen.insert((route.method.value.as_str(), normalise(&path.value))) {
            d.error_hint(
                route.method.span.clone(),
                format!(
                    "`{}` repeats the route {} {}",
                    route.method.path.trim_end_matches(".method"),
                    route.method.value,
                    path.value
                ),
                "each method and path pair may appear once",
            );
        }
    }
    // Sibling parameters must share a name: API Gateway keeps one resource per path segment.
    let mut params: Vec<(String, &Located<String>)> = Vec::new();
    for route in &api.routes {
        let mut parent = String::new();
        for segment in route.path.value.split('/').skip(1) {
            if segment.starts_with('{') {
                if let Some((_, other)) = params.iter().find(|(p, _)| *p == parent)
                    && !other.value.split('/').any(|s| s == segment)
                {
                    d.error_hint(
                        route.path.span.clone(),
                        format!(
                            "`{}` \"{}\" names a path parameter differently from \"{}\"",
                            route.path.path, route.path.value, other.value
                        ),
                        "API Gateway allows one parameter name per position; use the same name",
                    );
                }
                params.push((parent.clone(), &route.path));
            }
            parent.push('/');
            parent.push_str(segment);
        }
    }
}

fn normalise(path: &str) -> String {
    path.trim_end_matches('/').to_string()
}

fn workflows(stack: &Stack, d: &mut Diagnostics) {
    for sm in &stack.state_machines {
        duplicates(d, sm.steps.iter().map(|s| &s.name), "step name");
        for step in &sm.steps {
            let name = &step.name;
            if name.value.is_empty() || name.value.len() > 80 {
                d.error(
                    name.span.clone(),
                    format!("`{}` must be 1 to 80 characters", name.path),
                );
            }
        }
    }
}

fn tables(stack: &Stack, d: &mut Diagnostics) {
    for t in &stack.tables {
        for key in std::iter::once(&t.hash_key).chain(t.range_key.as_ref()) {
            if key.value.is_empty() || key.value.len() > 255 {
                d.error(
                    key.span.clone(),
                    format!("`{}` must be 1 to 255 characters", key.path),
                );
            }
        }
        if let Some(range) = &t.range_key
            && range.value == t.hash_key.value
        {
            d.error(
                range.span.clone(),
                format!("`{}` must differ from the hash key", range.path),
            );
        }
        duplicates(d, t.indexes.iter().map(|i| &i.name), "index name");
        let attributes: Vec<String> = t.key_attributes().into_iter().map(|(n, _)| n).collect();
        for (name, _) in &t.attribute_types {
            if !attributes.contains(&name.value) {
                d.error_hint(
                    name.span.clone(),
                    format!(
                        "`{}` types an attribute that is no key of the table or its indexes",
                        name.path
                    ),
                    "DynamoDB declares only key attributes; remove it or use it as a key",
                );
            }
        }
        if t.indexes.len() > 20 {
            d.error(
                t.span.clone(),
                format!(
                    "`{}.indexes` has {} indexes; DynamoDB allows 20",
                    t.path,
                    t.indexes.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_constraints_are_terraform_version_constraints() {
        for ok in [
            ">= 5.100, < 7.0",
            "~> 6.2",
            "= 5.100.0",
            "6.1.0",
            ">= 6.0.0-beta1",
        ] {
            assert!(is_version_constraint(ok), "{ok}");
        }
        for bad in [
            "",
            ">= ",
            "latest",
            ">= 5.x",
            "5.100\"\n",
            ">= 5,",
            "1.2.3.4",
            "6.0-",
        ] {
            assert!(!is_version_constraint(bad), "{bad}");
        }
    }

    #[test]
    fn regions_and_buckets_follow_aws_rules() {
        assert!(is_region("us-east-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("us-east"));
        assert!(!is_region("US-EAST-1"));
        assert!(is_bucket_name("e-com67-artifacts"));
        assert!(!is_bucket_name("E-Com67"));
        assert!(!is_bucket_name("ab"));
        assert!(!is_bucket_name("-ab-"));
    }
}
