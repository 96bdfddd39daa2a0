//! One Terraform root per environment: module calls with literal inputs (so reviewers and
//! checkov see every tracing and protection setting), the provider with default tags, and the
//! S3 backend with lock files.

use hcl::Expression;

use super::RenderedFile;
use super::hcl::{B, Part, b, bool, float, list, num, obj, r, s, strings, template};
use super::hcl_text_with;
use super::module::{Skip, versions_block};
use super::object::Objects;
use super::workflow::tracing_variable;
use crate::model::Stack;
use crate::model::function::{Access, Function};
use crate::model::workflow::Target;

fn module(name: &str, source: &str) -> B {
    b("module", [name]).attr("source", s(format!("../../modules/{source}")))
}

fn upper(key: &str) -> String {
    key.to_ascii_uppercase()
}

fn map_of<'a>(
    objects: &Objects,
    items: impl IntoIterator<Item = (&'a str, Expression)>,
) -> Expression {
    objects.object(items)
}

fn function_call(stack: &Stack, f: &Function) -> B {
    let mut env: Vec<(String, Expression)> = vec![("ENVIRONMENT".into(), s(&stack.env))];
    for (table, _) in &f.tables {
        env.push((
            format!("{}_TABLE", upper(&table.value)),
            r(&format!("module.table_{}.table_name", table.value)),
        ));
    }
    for q in &f.queues {
        env.push((
            format!("{}_QUEUE_URL", upper(&q.value)),
            r(&format!("module.queue_{}.queue_url", q.value)),
        ));
    }
    for sm in &f.state_machines {
        env.push((
            format!("{}_STATE_MACHINE_ARN", upper(&sm.value)),
            r(&format!("module.state_machines.{}_arn", sm.value)),
        ));
    }
    for p in &f.parameters {
        let var: String = p
            .value
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        env.push((
            format!("{var}_PARAMETER"),
            s(parameter_name(stack, &p.value)),
        ));
    }
    for (k, v) in &f.environment {
        env.push((k.value.clone(), s(&v.value)));
    }
    env.sort_by(|a, b| a.0.cmp(&b.0));
    env.dedup_by(|a, b| a.0 == b.0);

    let arns = |access: Option<Access>| {
        let mut tables: Vec<&str> = f
            .tables
            .iter()
            .filter(|(_, a)| access.is_none_or(|x| x == *a))
            .map(|(t, _)| t.value.as_str())
            .collect();
        tables.sort_unstable();
        list(
            tables
                .into_iter()
                .map(|t| r(&format!("module.table_{t}.table_arn"))),
        )
    };
    let layered = stack.sdk_layer().is_some() && f.runtime.starts_with("python");
    let mut call = module(&format!("function_{}", f.key), "function")
        .attr("name", s(stack.aws_name(&f.key)))
        .attr_if(!f.description.is_empty(), "description", s(&f.description))
        .attr("handler", s(&f.handler))
        .attr("runtime", s(&f.runtime))
        .attr("memory_size", num(f.memory))
        .attr("timeout", num(f.timeout))
        .attr(
            "reserved_concurrent_executions",
            num(f.reserved_concurrency),
        )
        .attr("tracing_mode", s(f.tracing.as_str()))
        .attr("artifact_bucket", s(&stack.artifact_bucket.value))
        .attr("package_key", s(&f.package.value))
        .attr("kms_key_arn", r("module.kms.kms_key_arn"))
        .attr("log_retention_days", num(stack.settings.log_retention_days))
        .attr(
            "environment_variables",
            obj(env.iter().map(|(k, v)| (k.as_str(), v.clone()))),
        )
        .attr_if(
            layered,
            "layers",
            list([r("module.xray_sdk_layer.layer_arn")]),
        )
        .attr_if(
            f.tables.iter().any(|(_, a)| *a == Access::Read),
            "dynamodb_read_arns",
            arns(Some(Access::Read)),
        )
        .attr_if(
            f.tables.iter().any(|(_, a)| *a == Access::ReadWrite),
            "dynamodb_write_arns",
            arns(Some(Access::ReadWrite)),
        )
        .attr_if(
            !f.queues.is_empty(),
            "sqs_send_arns",
            list(
                f.queues
                    .iter()
                    .map(|q| r(&format!("module.queue_{}.queue_arn", q.value))),
            ),
        )
        .attr_if(
            !f.state_machines.is_empty(),
            "state_machine_arns",
            list(
                f.state_machines
                    .iter()
                    .map(|sm| r(&format!("module.state_machines.{}_arn", sm.value))),
            ),
        )
        .attr_if(
            !f.parameters.is_empty(),
            "ssm_parameter_arns",
            list(f.parameters.iter().map(|p| {
                template([
                    Part::text("arn:"),
                    Part::r("data.aws_partition.current.partition"),
                    Part::text(format!(":ssm:{}:", stack.region.value)),
                    Part::r("data.aws_caller_identity.current.account_id"),
                    Part::text(format!(":parameter{}", parameter_name(stack, &p.value))),
                ])
            })),
        );
    let triggers: Vec<_> = stack
        .queues
        .iter()
        .filter(|q| q.consumer.as_ref().is_some_and(|c| c.value == f.key))
        .collect();
    if !triggers.is_empty() {
        call = call.attr(
            "sqs_triggers",
            obj(triggers.iter().map(|q| {
                (
                    q.key.as_str(),
                    r(&format!("module.queue_{}.queue_arn", q.key)),
                )
            })),
        );
        if let Some(q) = triggers.first() {
            call = call.attr("sqs_batch_size", num(q.batch_size));
        }
    }
    call
}

/// `/<stack>/<env>/<name>`: each environment reads its own parameters.
fn parameter_name(stack: &Stack, name: &str) -> String {
    format!("/{}/{}/{name}", stack.name.value, stack.env)
}

pub fn root(stack: &Stack) -> Vec<RenderedFile> {
    let objects = Objects::default();
    let dir = format!("environments/{}", stack.env);
    let settings = &stack.settings;
    let mut blocks = Vec::new();
    if stack.functions.iter().any(|f| !f.parameters.is_empty()) {
        blocks.push(b("data", ["aws_caller_identity", "current"]).build());
        blocks.push(b("data", ["aws_partition", "current"]).build());
    }
    blocks.push(
        module("kms", "kms")
            .attr("alias", s(stack.prefix()))
            .attr("region", s(&stack.region.value))
            .build(),
    );
    for t in &stack.tables {
        let attributes = list(
            t.key_attributes()
                .into_iter()
                .map(|(name, ty)| obj([("name", s(name)), ("type", s(ty))])),
        );
        let call = module(&format!("table_{}", t.key), "table")
            .attr("name", s(stack.aws_name(&t.key)))
            .attr("hash_key", s(&t.hash_key.value))
            .attr_if(
                t.range_key.is_some(),
                "range_key",
                t.range_key
                    .as_ref()
                    .map_or(Expression::Null, |k| s(&k.value)),
            )
            .attr("attributes", attributes)
            .attr_if(
                !t.indexes.is_empty(),
                "global_secondary_indexes",
                list(t.indexes.iter().map(|i| {
                    let mut fields = vec![("name", s(&i.name.value)), ("hash_key", s(&i.hash_key))];
                    if let Some(range) = &i.range_key {
                        fields.push(("range_key", s(range)));
                    }
                    obj(fields)
                })),
            )
            .attr_if(
                t.ttl_attribute.is_some(),
                "ttl_attribute",
                t.ttl_attribute.as_deref().map_or(Expression::Null, s),
            )
            .attr("kms_key_arn", r("module.kms.kms_key_arn"))
            .attr("point_in_time_recovery", bool(t.point_in_time_recovery))
            .attr("deletion_protection", bool(t.deletion_protection))
            .attr("prevent_destroy", bool(t.deletion_protection))
            .attr("contributor_insights", bool(t.contributor_insights));
        blocks.push(call.build());
    }
    for q in &stack.queues {
        blocks.push(
            module(&format!("queue_{}", q.key), "queue")
                .attr("name", s(stack.aws_name(&q.key)))
                .attr(
                    "visibility_timeout_seconds",
                    num(q.visibility_timeout.value),
                )
                .attr("message_retention_seconds", num(q.retention_seconds))
                .attr("max_receive_count", num(q.max_receive_count))
                .attr("kms_key_arn", r("module.kms.kms_key_arn"))
                .build(),
        );
    }
    if let Some(layer) = stack.sdk_layer() {
        let mut runtimes: Vec<&str> = stack
            .functions
            .iter()
            .filter(|f| f.runtime.starts_with("python"))
            .map(|f| f.runtime.as_str())
            .collect();
        runtimes.sort_unstable();
        runtimes.dedup();
        blocks.push(
            module("xray_sdk_layer", "xray_sdk_layer")
                .attr("name", s(format!("{}-xray-sdk", stack.prefix())))
                .attr("description", s(&layer.description))
                .attr("artifact_bucket", s(&stack.artifact_bucket.value))
                .attr("package_key", s(&layer.package.value))
                .attr("compatible_runtimes", strings(runtimes))
                .build(),
        );
    }
    for f in &stack.functions {
        blocks.push(function_call(stack, f).build());
    }
    let function_map = |keys: Vec<&str>, output: &str| {
        let mut keys = keys;
        keys.sort_unstable();
        keys.dedup();
        map_of(
            &objects,
            keys.into_iter()
                .map(|k| (k, r(&format!("module.function_{k}.{output}")))),
        )
    };
    if let Some(api) = &stack.api {
        let routed: Vec<&str> = api
            .routes
            .iter()
            .map(|r| r.function.value.as_str())
            .collect();
        blocks.push(
            module("api", "api")
                .attr("name", s(stack.aws_name(&api.name.value)))
                .attr("stage_name", s(&api.stage.value))
                .attr("xray_tracing_enabled", bool(api.tracing))
                .attr_if(
                    stack.settings.api_cloudwatch_role,
                    "manage_cloudwatch_role",
                    bool(true),
                )
                .attr(
                    "function_invoke_arns",
                    function_map(routed.clone(), "invoke_arn"),
                )
                .attr("function_names", function_map(routed, "function_name"))
                .attr("kms_key_arn", r("module.kms.kms_key_arn"))
                .attr("log_retention_days", num(settings.log_retention_days))
                .attr("throttling_rate_limit", float(api.throttling_rate_limit))
                .attr("throttling_burst_limit", num(api.throttling_burst_limit))
                .build(),
        );
    }
    let queue_map = |output: &str| {
        map_of(
            &objects,
            stack.queues.iter().map(|q| {
                (
                    q.key.as_str(),
                    r(&format!("module.queue_{}.{output}", q.key)),
                )
            }),
        )
    };
    if !stack.state_machines.is_empty() {
        // Only the functions the steps invoke: passing every function would make a function
        // that starts a state machine depend on itself.
        let stepped: Vec<&str> = stack
            .state_machines
            .iter()
            .flat_map(|sm| sm.steps.iter())
            .filter_map(|s| match &s.target {
                Target::Function(f) => Some(f.value.as_str()),
                Target::Queue(_) => None,
            })
            .collect();
        let mut call = module("state_machines", "state_machines")
            .attr("name_prefix", s(stack.prefix()))
            .attr("function_arns", function_map(stepped, "function_arn"))
            .attr("queue_urls", queue_map("queue_url"))
            .attr("queue_arns", queue_map("queue_arn"))
            .attr("kms_key_arn", r("module.kms.kms_key_arn"))
            .attr("log_retention_days", num(settings.log_retention_days));
        for sm in &stack.state_machines {
            call = call.attr(&tracing_variable(&sm.key), bool(sm.tracing));
        }
        blocks.push(call.build());
    }
    let all_functions: Vec<&str> = stack.functions.iter().map(|f| f.key.as_str()).collect();
    let mut monitoring = module("monitoring", "monitoring")
        .attr("name_prefix", s(stack.prefix()))
        .attr("region", s(&stack.region.value))
        .attr("kms_key_arn", r("module.kms.kms_key_arn"))
        .attr(
            "function_names",
            function_map(all_functions, "function_name"),
        )
        .attr("queue_names", queue_map("queue_name"))
        .attr("dlq_names", queue_map("dlq_name"));
    if let Some(api) = &stack.api {
        monitoring = monitoring
            .attr("api_name", s(stack.aws_name(&api.name.value)))
            .attr("api_stage", s(&api.stage.value));
    }
    monitoring = monitoring.attr(
        "alarms",
        map_of(
            &objects,
            stack.alarms.iter().map(|a| {
                (
                    a.key.as_str(),
                    obj([
                        ("threshold", float(a.threshold)),
                        ("evaluation_periods", num(a.evaluation_periods)),
                        ("period", num(a.period)),
                    ]),
                )
            }),
        ),
    );
    blocks.push(monitoring.build());
    blocks.push(
        module("tracing", "tracing")
            .attr("name_prefix", s(stack.prefix()))
            .attr("default_fixed_rate", float(settings.sampling_rate))
            .attr("default_reservoir_size", num(settings.sampling_reservoir))
            .attr(
                "sampling_rules",
                map_of(
                    &objects,
                    stack.xray.sampling_rules.iter().map(|rule| {
                        (
                            rule.key.as_str(),
                            obj([
                                ("priority", num(rule.priority)),
                                ("fixed_rate", float(rule.fixed_rate)),
                                ("reservoir_size", num(rule.reservoir_size)),
                            ]),
                        )
                    }),
                ),
            )
            .attr(
                "group_insights",
                map_of(
                    &objects,
                    stack
                        .xray
                        .groups
                        .iter()
                        .map(|g| (g.key.as_str(), bool(g.insights))),
                ),
            )
            .build(),
    );

    let provider = b("provider", ["aws"])
        .attr("region", s(&stack.region.value))
        .block(b("default_tags", []).attr(
            "tags",
            obj([
                ("stack", s(&stack.name.value)),
                ("environment", s(&stack.env)),
                ("managed-by", s("stackform")),
            ]),
        ))
        .build();
    let backend = b("terraform", [])
        .block(
            b("backend", ["s3"])
                .attr("bucket", s(&stack.state.bucket.value))
                .attr("key", s(&stack.state.key))
                .attr("region", s(&stack.state.region))
                .attr("encrypt", bool(true))
                .attr("use_lockfile", bool(true)),
        )
        .build();

    let mut outputs = Vec::new();
    let output = |name: &str, value: Expression, description: &str| {
        b("output", [name])
            .attr("description", s(description))
            .attr("value", value)
            .build()
    };
    if stack.api.is_some() {
        outputs.push(output(
            "api_invoke_url",
            r("module.api.invoke_url"),
            "URL of the API stage.",
        ));
    }
    outputs.push(output(
        "alarm_topic_arn",
        r("module.monitoring.alarm_topic_arn"),
        "SNS topic that receives alarm state changes.",
    ));
    outputs.push(output(
        "function_names",
        map_of(
            &objects,
            stack.functions.iter().map(|f| {
                (
                    f.key.as_str(),
                    r(&format!("module.function_{}.function_name", f.key)),
                )
            }),
        ),
        "Lambda function names, by model name.",
    ));
    outputs.push(output(
        "function_tracing_modes",
        map_of(
            &objects,
            stack.functions.iter().map(|f| {
                (
                    f.key.as_str(),
                    r(&format!("module.function_{}.tracing_mode", f.key)),
                )
            }),
        ),
        "X-Ray tracing mode of each function, by model name.",
    ));
    outputs.push(output(
        "table_names",
        map_of(
            &objects,
            stack.tables.iter().map(|t| {
                (
                    t.key.as_str(),
                    r(&format!("module.table_{}.table_name", t.key)),
                )
            }),
        ),
        "DynamoDB table names, by model name.",
    ));
    outputs.push(output(
        "queue_urls",
        queue_map("queue_url"),
        "SQS queue URLs, by model name.",
    ));
    if !stack.state_machines.is_empty() {
        outputs.push(output(
            "state_machine_arns",
            map_of(
                &objects,
                stack.state_machines.iter().map(|sm| {
                    (
                        sm.key.as_str(),
                        r(&format!("module.state_machines.{}_arn", sm.key)),
                    )
                }),
            ),
            "Step Functions state machine ARNs, by model name.",
        ));
    }

    let file = |name: &str, blocks: Vec<hcl::Block>, skips: &[Skip]| {
        RenderedFile::hcl(
            format!("{dir}/{name}"),
            hcl_text_with(&super::hcl::body(blocks), skips, &objects),
        )
    };
    vec![
        file("main.tf", blocks, &skips(stack)),
        file(
            "versions.tf",
            vec![versions_block(&stack.aws_provider.value)],
            &[],
        ),
        file("providers.tf", vec![provider], &[]),
        file("backend.tf", vec![backend], &[]),
        file("outputs.tf", outputs, &[]),
    ]
}

/// checkov checks that do not apply to this environment because the model turns the feature
/// off here on purpose; written into the environment's module calls, so other environments
/// are still checked.
fn skips(stack: &Stack) -> Vec<Skip> {
    let env = &stack.env;
    let mut skips = Vec::new();
    if let Some(api) = &stack.api
        && !api.tracing
    {
        skips.push(Skip::new(
            "module.api",
            "CKV_AWS_73",
            format!("stack.toml turns API stage tracing off in {env}"),
        ));
    }
    if stack.state_machines.iter().any(|sm| !sm.tracing) {
        skips.push(Skip::new(
            "module.state_machines",
            "CKV_AWS_284",
            format!("stack.toml turns state machine tracing off in {env}"),
        ));
    }
    for t in stack.tables.iter().filter(|t| !t.point_in_time_recovery) {
        skips.push(Skip::new(
            &format!("module.table_{}", t.key),
            "CKV_AWS_28",
            format!("stack.toml turns point-in-time recovery off in {env}"),
        ));
    }
    let days = stack.settings.log_retention_days;
    if days < 365 {
        let reason = format!("stack.toml keeps logs {days} days in {env}");
        let mut calls: Vec<String> = stack
            .functions
            .iter()
            .map(|f| format!("module.function_{}", f.key))
            .collect();
        if stack.api.is_some() {
            calls.push("module.api".into());
        }
        if !stack.state_machines.is_empty() {
            calls.push("module.state_machines".into());
        }
        skips.extend(
            calls
                .iter()
                .map(|c| Skip::new(c, "CKV_AWS_338", reason.clone())),
        );
    }
    skips
}
