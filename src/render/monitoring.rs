//! The monitoring module: the alarm topic, the alarms of the model and a dashboard of latency
//! percentiles, errors and trace counts.

use serde_json::{Value, json};

use super::hcl::{b, heredoc, list, obj, r, s, tpl, ty};
use super::module::{Module, Output, Variable};
use crate::model::Stack;
use crate::model::monitoring::Watched;

pub fn monitoring(stack: &Stack) -> Module {
    let mut m = Module::new(
        "monitoring",
        "The alarm topic (KMS-encrypted SNS), the stack's CloudWatch alarms and a dashboard with API and function latency (p50, p90, p99), errors and X-Ray trace counts.",
    );
    let alarm = ty::object([
        ("threshold", ty::number()),
        ("evaluation_periods", ty::number()),
        ("period", ty::number()),
    ]);
    m.variables = vec![
        Variable::name_prefix(),
        Variable::new(
            "kms_key_arn",
            ty::string(),
            "KMS key that encrypts the alarm topic.",
        ),
        Variable::new(
            "function_names",
            ty::map(ty::string()),
            "Name of each function, by model name.",
        ),
        Variable::new(
            "queue_names",
            ty::map(ty::string()),
            "Name of each queue, by model name.",
        ),
        Variable::new(
            "dlq_names",
            ty::map(ty::string()),
            "Name of each queue's dead-letter queue, by model name.",
        ),
        Variable::new(
            "api_name",
            ty::string(),
            "Name of the REST API (empty without one).",
        )
        .default(s("")),
        Variable::new(
            "api_stage",
            ty::string(),
            "Stage of the REST API (empty without one).",
        )
        .default(s("")),
        Variable::new(
            "alarms",
            ty::map(alarm),
            "Threshold, evaluation periods and period of each alarm, by model name.",
        ),
    ];
    m.blocks.push(b("data", ["aws_region", "this"]).build());
    m.blocks.push(
        b("resource", ["aws_sns_topic", "alarms"])
            .attr("name", tpl("${var.name_prefix}-alarms"))
            .attr("kms_master_key_id", r("var.kms_key_arn"))
            .build(),
    );
    for alarm in &stack.alarms {
        let k = alarm.key.as_str();
        let (namespace, metric, statistic, dimension, value) =
            match (&alarm.watched, alarm.metric.value.as_str()) {
                (Watched::Function(f), metric) => (
                    "AWS/Lambda",
                    metric.to_string(),
                    "Sum",
                    "FunctionName",
                    r(&format!("var.function_names[\"{}\"]", f.value)),
                ),
                (Watched::Queue(q), "DeadLetterMessages") => (
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible".to_string(),
                    "Maximum",
                    "QueueName",
                    r(&format!("var.dlq_names[\"{}\"]", q.value)),
                ),
                (Watched::Queue(q), _) => (
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage".to_string(),
                    "Maximum",
                    "QueueName",
                    r(&format!("var.queue_names[\"{}\"]", q.value)),
                ),
            };
        m.blocks.push(
            b("resource", ["aws_cloudwatch_metric_alarm", k])
                .attr(
                    "alarm_name",
                    tpl(format!("${{var.name_prefix}}-{}", k.replace('_', "-"))),
                )
                .attr("alarm_description", s(&alarm.description))
                .attr("namespace", s(namespace))
                .attr("metric_name", s(metric))
                .attr("dimensions", obj([(dimension, value)]))
                .attr("statistic", s(statistic))
                .attr("period", r(&format!("var.alarms[\"{k}\"].period")))
                .attr(
                    "evaluation_periods",
                    r(&format!("var.alarms[\"{k}\"].evaluation_periods")),
                )
                .attr("threshold", r(&format!("var.alarms[\"{k}\"].threshold")))
                .attr("comparison_operator", s("GreaterThanOrEqualToThreshold"))
                .attr("treat_missing_data", s("notBreaching"))
                .attr("alarm_actions", list([r("aws_sns_topic.alarms.arn")]))
                .attr("ok_actions", list([r("aws_sns_topic.alarms.arn")]))
                .build(),
        );
        m.outputs.push(Output::new(
            format!("{k}_alarm_arn"),
            r(&format!("aws_cloudwatch_metric_alarm.{k}.arn")),
            format!("ARN of the `{k}` alarm."),
        ));
    }
    if let Some(board) = &stack.dashboard {
        m.blocks.push(
            b("resource", ["aws_cloudwatch_dashboard", "this"])
                .attr(
                    "dashboard_name",
                    tpl(format!("${{var.name_prefix}}-{}", board.name)),
                )
                .attr("dashboard_body", heredoc(dashboard(stack)))
                .build(),
        );
    }
    m.outputs.insert(
        0,
        Output::new(
            "alarm_topic_arn",
            r("aws_sns_topic.alarms.arn"),
            "SNS topic that receives alarm state changes; subscribe the on-call channel to it.",
        ),
    );
    if stack.dashboard.is_some() {
        m.outputs.push(Output::new(
            "dashboard_name",
            r("aws_cloudwatch_dashboard.this.dashboard_name"),
            "Name of the dashboard.",
        ));
    }
    m
}

/// Widgets of the dashboard: API latency and errors, a duration widget per function,
/// function errors and trace counts. CloudWatch allows 500 widgets per dashboard.
pub fn widget_count(stack: &Stack) -> usize {
    2 * usize::from(stack.api.is_some()) + stack.functions.len() + 2
}

pub const MAX_WIDGETS: usize = 500;

/// Dashboard JSON with `${...}` interpolations for names and the region.
fn dashboard(stack: &Stack) -> String {
    let region = "@@data.aws_region.this.region@@";
    let mut widgets: Vec<Value> = Vec::new();
    let mut place = |title: &str, metrics: Vec<Value>, stat: &str| {
        let n = widgets.len();
        widgets.push(json!({
            "type": "metric",
            "x": (n % 2) * 12,
            "y": (n / 2) * 6,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": stat,
                "period": 60,
                "metrics": metrics,
            }
        }));
    };
    if stack.api.is_some() {
        let api = |metric: &str, stat: &str| json!(["AWS/ApiGateway", metric, "ApiName", "@@var.api_name@@", "Stage", "@@var.api_stage@@", { "stat": stat, "label": format!("{metric} {stat}") }]);
        place(
            "API latency (ms)",
            vec![
                api("Latency", "p50"),
                api("Latency", "p90"),
                api("Latency", "p99"),
            ],
            "p99",
        );
        place(
            "API errors",
            vec![api("4XXError", "Sum"), api("5XXError", "Sum")],
            "Sum",
        );
    }
    for f in &stack.functions {
        let name = format!("@@var.function_names[\"{}\"]@@", f.key);
        let duration = |stat: &str| json!(["AWS/Lambda", "Duration", "FunctionName", name, { "stat": stat, "label": stat }]);
        place(
            &format!("{} duration (ms)", f.key),
            vec![duration("p50"), duration("p90"), duration("p99")],
            "p99",
        );
    }
    let errors = stack
        .functions
        .iter()
        .map(|f| json!(["AWS/Lambda", "Errors", "FunctionName", format!("@@var.function_names[\"{}\"]@@", f.key), { "label": f.key }]))
        .collect();
    place("Function errors", errors, "Sum");
    let traces = stack
        .xray
        .groups
        .iter()
        .map(|g| json!(["AWS/X-Ray", "ApproximateTraceCount", "GroupName", format!("@@var.name_prefix@@-{}", g.key.replace('_', "-")), { "label": g.key }]))
        .collect();
    place("X-Ray trace counts", traces, "Sum");
    let text = serde_json::to_string_pretty(&json!({ "widgets": widgets })).unwrap_or_default();
    super::workflow::interpolate(&text)
}
