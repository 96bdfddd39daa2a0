//! The REST API module: one resource per path segment, a method and Lambda proxy integration
//! per route, a stage with X-Ray tracing and access logs. Rendered from the model's routes, so
//! reviewers see every route as its own resource.

use std::collections::{BTreeMap, BTreeSet};

use super::hcl::{Part, b, bool, call, list, num, obj, r, s, template, tpl, ty};
use super::module::{Module, Output, Variable};
use crate::model::api::Api;

/// A Terraform name for a path: `/products/{product_id}` becomes `products_product_id`.
pub fn path_id(path: &str) -> String {
    let id: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let id = id
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if id.is_empty() {
        "root".to_string()
    } else {
        id
    }
}

pub fn route_id(method: &str, path: &str) -> String {
    format!("{}_{}", method.to_ascii_lowercase(), path_id(path))
}

fn resource_ref(path: &str) -> hcl::Expression {
    if path == "/" || path.is_empty() {
        r("aws_api_gateway_rest_api.this.root_resource_id")
    } else {
        r(&format!("aws_api_gateway_resource.{}.id", path_id(path)))
    }
}

pub fn api(api: &Api) -> Module {
    let mut m = Module::new(
        "api",
        "The REST API: a resource per path segment, a validated method with a Lambda proxy integration per route, a stage with X-Ray tracing, access logs, metrics and throttling, and a WAF web ACL of AWS managed rules in front of it.",
    );
    m.variables = vec![
        Variable::new("name", ty::string(), "Name of the REST API."),
        Variable::new("stage_name", ty::string(), "Name of the stage."),
        Variable::new(
            "xray_tracing_enabled",
            ty::bool(),
            "Whether the stage records X-Ray traces.",
        ),
        Variable::new(
            "function_invoke_arns",
            ty::map(ty::string()),
            "Invoke ARN of each function, by model name.",
        ),
        Variable::new(
            "function_names",
            ty::map(ty::string()),
            "Name of each function, by model name.",
        ),
        Variable::new(
            "kms_key_arn",
            ty::string(),
            "KMS key that encrypts the access log group.",
        ),
        Variable::new(
            "log_retention_days",
            ty::number(),
            "Days access logs are kept.",
        ),
        Variable::new(
            "throttling_rate_limit",
            ty::number(),
            "Steady-state requests per second for the stage.",
        ),
        Variable::new(
            "throttling_burst_limit",
            ty::number(),
            "Burst of requests for the stage.",
        ),
        Variable::new(
            "manage_cloudwatch_role",
            ty::bool(),
            "Whether to create the role API Gateway logs with and set it on the account (one setting per account and region; stages cannot log until it is set).",
        )
        .default(bool(false)),
    ];
    let mut blocks = vec![
        b("resource", ["aws_api_gateway_rest_api", "this"])
            .attr("name", r("var.name"))
            .attr("description", tpl("${var.name} (managed by stackform)"))
            .block(b("endpoint_configuration", []).attr("types", list([s("REGIONAL")])))
            .block(b("lifecycle", []).attr("create_before_destroy", bool(true)))
            .build(),
        b("resource", ["aws_api_gateway_request_validator", "this"])
            .attr("rest_api_id", r("aws_api_gateway_rest_api.this.id"))
            .attr("name", tpl("${var.name}-parameters-and-body"))
            .attr("validate_request_body", bool(true))
            .attr("validate_request_parameters", bool(true))
            .build(),
    ];
    // Every path prefix becomes a resource; parents sort before children.
    let mut paths = BTreeSet::new();
    for route in &api.routes {
        let mut prefix = String::new();
        for segment in route.path.value.split('/').filter(|s| !s.is_empty()) {
            let parent = prefix.clone();
            prefix = format!("{prefix}/{segment}");
            paths.insert((prefix.clone(), parent, segment.to_string()));
        }
    }
    for (path, parent, segment) in &paths {
        blocks.push(
            b("resource", ["aws_api_gateway_resource", &path_id(path)])
                .attr("rest_api_id", r("aws_api_gateway_rest_api.this.id"))
                .attr("parent_id", resource_ref(parent))
                .attr("path_part", s(segment))
                .build(),
        );
    }
    let mut routes: Vec<_> = api.routes.iter().collect();
    routes.sort_by(|a, b| (&a.path.value, &a.method.value).cmp(&(&b.path.value, &b.method.value)));
    let mut redeploy = Vec::new();
    for route in &routes {
        let id = route_id(&route.method.value, &route.path.value);
        let method = route.method.value.as_str();
        blocks.push(
            b("resource", ["aws_api_gateway_method", &id])
                .attr("rest_api_id", r("aws_api_gateway_rest_api.this.id"))
                .attr("resource_id", resource_ref(&route.path.value))
                .attr("http_method", s(method))
                .attr(
                    "authorization",
                    s(if route.iam_auth { "AWS_IAM" } else { "NONE" }),
                )
                .attr(
                    "request_validator_id",
                    r("aws_api_gateway_request_validator.this.id"),
                )
                .build(),
        );
        blocks.push(
            b("resource", ["aws_api_gateway_integration", &id])
                .attr("rest_api_id", r("aws_api_gateway_rest_api.this.id"))
                .attr("resource_id", resource_ref(&route.path.value))
                .attr(
                    "http_method",
                    r(&format!("aws_api_gateway_method.{id}.http_method")),
                )
                .attr("type", s("AWS_PROXY"))
                .attr("integration_http_method", s("POST"))
                .attr(
                    "uri",
                    r(&format!(
                        "var.function_invoke_arns[\"{}\"]",
                        route.function.value
                    )),
                )
                .build(),
        );
        if !route.iam_auth {
            m.skip(
                &format!("aws_api_gateway_method.{id}"),
                "CKV_AWS_59",
                "public catalogue read, marked authorization = \"none\" in stack.toml",
            );
        }
        redeploy.push(r(&format!("aws_api_gateway_method.{id}.id")));
        redeploy.push(r(&format!("aws_api_gateway_integration.{id}.id")));
    }
    for (path, _, _) in &paths {
        redeploy.push(r(&format!("aws_api_gateway_resource.{}.id", path_id(path))));
    }
    let functions: BTreeMap<&str, ()> = routes
        .iter()
        .map(|r| (r.function.value.as_str(), ()))
        .collect();
    for function in functions.keys() {
        blocks.push(
            b("resource", ["aws_lambda_permission", function])
                .attr("statement_id", s("AllowApiGatewayInvoke"))
                .attr("action", s("lambda:InvokeFunction"))
                .attr(
                    "function_name",
                    r(&format!("var.function_names[\"{function}\"]")),
                )
                .attr("principal", s("apigateway.amazonaws.com"))
                .attr(
                    "source_arn",
                    tpl("${aws_api_gateway_rest_api.this.execution_arn}/*/*"),
                )
                .build(),
        );
    }
    blocks.push(
        b("resource", ["aws_api_gateway_deployment", "this"])
            .attr("rest_api_id", r("aws_api_gateway_rest_api.this.id"))
            .attr(
                "triggers",
                obj([(
                    "redeployment",
                    call("sha1", [call("jsonencode", [list(redeploy)])]),
                )]),
            )
            .block(b("lifecycle", []).attr("create_before_destroy", bool(true)))
            .build(),
    );
    blocks.push(
        b("resource", ["aws_cloudwatch_log_group", "access"])
            .attr("name", tpl("/aws/apigateway/${var.name}/access"))
            .attr("retention_in_days", r("var.log_retention_days"))
            .attr("kms_key_id", r("var.kms_key_arn"))
            .build(),
    );
    let access_format = obj([
        ("requestId", s("$context.requestId")),
        ("requestTime", s("$context.requestTime")),
        ("httpMethod", s("$context.httpMethod")),
        ("resourcePath", s("$context.resourcePath")),
        ("status", s("$context.status")),
        ("responseLatency", s("$context.responseLatency")),
        ("integrationLatency", s("$context.integrationLatency")),
        ("xrayTraceId", s("$context.xrayTraceId")),
        ("sourceIp", s("$context.identity.sourceIp")),
    ]);
    blocks.push(
        b("resource", ["aws_api_gateway_stage", "this"])
            .attr("rest_api_id", r("aws_api_gateway_rest_api.this.id"))
            .attr("deployment_id", r("aws_api_gateway_deployment.this.id"))
            .attr("stage_name", r("var.stage_name"))
            .attr("xray_tracing_enabled", r("var.xray_tracing_enabled"))
            .block(
                b("access_log_settings", [])
                    .attr("destination_arn", r("aws_cloudwatch_log_group.access.arn"))
                    .attr("format", call("jsonencode", [access_format])),
            )
            .attr("depends_on", list([r("aws_api_gateway_account.this")]))
            .build(),
    );
    blocks.push(
        b("resource", ["aws_api_gateway_method_settings", "all"])
            .attr("rest_api_id", r("aws_api_gateway_rest_api.this.id"))
            .attr("stage_name", r("aws_api_gateway_stage.this.stage_name"))
            .attr("method_path", s("*/*"))
            .block(
                b("settings", [])
                    .attr("metrics_enabled", bool(true))
                    .attr("logging_level", s("INFO"))
                    .attr("data_trace_enabled", bool(false))
                    .attr("caching_enabled", bool(false))
                    .attr("throttling_rate_limit", r("var.throttling_rate_limit"))
                    .attr("throttling_burst_limit", r("var.throttling_burst_limit")),
            )
            .attr("depends_on", list([r("aws_api_gateway_account.this")]))
            .build(),
    );
    blocks.extend(waf());
    blocks.extend(cloudwatch_role());
    m.blocks = blocks;
    m.skip(
        "aws_api_gateway_stage.this",
        "CKV_AWS_120",
        "responses are per caller or change often; a stage cache would serve stale data or another caller's",
    );
    m.skip(
        "aws_api_gateway_stage.this",
        "CKV2_AWS_51",
        "backends are Lambda proxy integrations; client certificates apply only to HTTP backends",
    );
    m.skip(
        "aws_api_gateway_method_settings.all",
        "CKV_AWS_225",
        "no response caching, for the reasons given on the stage",
    );
    m.outputs = vec![
        Output::new(
            "rest_api_id",
            r("aws_api_gateway_rest_api.this.id"),
            "ID of the REST API.",
        ),
        Output::new(
            "execution_arn",
            r("aws_api_gateway_rest_api.this.execution_arn"),
            "Execution ARN of the REST API.",
        ),
        Output::new(
            "invoke_url",
            r("aws_api_gateway_stage.this.invoke_url"),
            "URL of the stage.",
        ),
        Output::new(
            "stage_name",
            r("aws_api_gateway_stage.this.stage_name"),
            "Name of the stage.",
        ),
        Output::new(
            "stage_arn",
            r("aws_api_gateway_stage.this.arn"),
            "ARN of the stage.",
        ),
        Output::new(
            "xray_tracing_enabled",
            r("aws_api_gateway_stage.this.xray_tracing_enabled"),
            "Whether the stage records X-Ray traces.",
        ),
    ];
    m
}

/// The account's API Gateway logging role, when the environment manages it: AWS refuses
/// access and execution logging on a stage until the account (per region) names a role that
/// may write to CloudWatch Logs. The setting outlives the stack: destroying it leaves the
/// account pointing at the deleted role.
fn cloudwatch_role() -> Vec<hcl::Block> {
    let count = || {
        super::hcl::cond(
            r("var.manage_cloudwatch_role"),
            super::hcl::num(1),
            super::hcl::num(0),
        )
    };
    vec![
        super::function::assume_role_policy("apigateway_assume", "apigateway.amazonaws.com"),
        b("data", ["aws_partition", "this"]).build(),
        b("resource", ["aws_iam_role", "cloudwatch"])
            .attr("count", count())
            .attr("name", tpl("${var.name}-apigw-logs"))
            .attr(
                "assume_role_policy",
                r("data.aws_iam_policy_document.apigateway_assume.json"),
            )
            .build(),
        b("resource", ["aws_iam_role_policy_attachment", "cloudwatch"])
            .attr("count", count())
            .attr("role", r("aws_iam_role.cloudwatch[0].name"))
            .attr(
                "policy_arn",
                tpl("arn:${data.aws_partition.this.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"),
            )
            .build(),
        b("resource", ["aws_api_gateway_account", "this"])
            .attr("count", count())
            .attr("cloudwatch_role_arn", r("aws_iam_role.cloudwatch[0].arn"))
            .attr(
                "depends_on",
                list([r("aws_iam_role_policy_attachment.cloudwatch")]),
            )
            .build(),
    ]
}

/// A managed-rule WAF in front of the stage, logging to its own encrypted log group. It sits
/// in this module because checkov's graph checks do not follow references across modules.
fn waf() -> Vec<hcl::Block> {
    let visibility = |metric: &str| {
        b("visibility_config", [])
            .attr("cloudwatch_metrics_enabled", bool(true))
            .attr(
                "metric_name",
                template([Part::r("var.name"), Part::text(format!("-{metric}"))]),
            )
            .attr("sampled_requests_enabled", bool(true))
    };
    // Anonymous IPs are counted, not blocked: shoppers on VPNs are still customers.
    let rules = [
        ("AWSManagedRulesCommonRuleSet", "common", "none"),
        (
            "AWSManagedRulesKnownBadInputsRuleSet",
            "known-bad-inputs",
            "none",
        ),
        ("AWSManagedRulesAnonymousIpList", "anonymous-ip", "count"),
    ];
    let mut acl = b("resource", ["aws_wafv2_web_acl", "this"])
        .attr("name", r("var.name"))
        .attr("description", tpl("${var.name} (managed by stackform)"))
        .attr("scope", s("REGIONAL"))
        .block(b("default_action", []).block(b("allow", [])));
    for (priority, (name, metric, action)) in rules.iter().enumerate() {
        acl = acl.block(
            b("rule", [])
                .attr("name", s(*name))
                .attr("priority", num(priority as i64 + 1))
                .block(b("override_action", []).block(b(action, [])))
                .block(
                    b("statement", []).block(
                        b("managed_rule_group_statement", [])
                            .attr("name", s(*name))
                            .attr("vendor_name", s("AWS")),
                    ),
                )
                .block(visibility(metric)),
        );
    }
    acl = acl.block(visibility("web-acl"));
    vec![
        acl.build(),
        b("resource", ["aws_cloudwatch_log_group", "waf"])
            .attr("name", tpl("aws-waf-logs-${var.name}"))
            .attr("retention_in_days", r("var.log_retention_days"))
            .attr("kms_key_id", r("var.kms_key_arn"))
            .build(),
        b(
            "resource",
            ["aws_wafv2_web_acl_logging_configuration", "this"],
        )
        .attr("resource_arn", r("aws_wafv2_web_acl.this.arn"))
        .attr(
            "log_destination_configs",
            list([r("aws_cloudwatch_log_group.waf.arn")]),
        )
        .build(),
        b("resource", ["aws_wafv2_web_acl_association", "stage"])
            .attr("resource_arn", r("aws_api_gateway_stage.this.arn"))
            .attr("web_acl_arn", r("aws_wafv2_web_acl.this.arn"))
            .build(),
    ]
}
