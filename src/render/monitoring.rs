//! The monitoring module: the alarm topic, the alarms of the model and a dashboard of latency
//! percentiles, errors and trace counts.

use super::hcl::{Part, b, list, obj, prefixed, r, s, tpl, ty};
use super::json::Json;
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
        Variable::region(),
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
                .attr("alarm_name", prefixed(&k.replace('_', "-")))
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
                .attr("dashboard_name", prefixed(&board.name.value))
                .attr("dashboard_body", dashboard(stack).heredoc())
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

/// The dashboard body, with interpolations for names and the region.
fn dashboard(stack: &Stack) -> Json {
    let mut widgets: Vec<Json> = Vec::new();
    let mut place = |title: &str, metrics: Vec<Json>, stat: &str| {
        let n = widgets.len() as i64;
        widgets.push(Json::object([
            ("type", Json::from("metric")),
            ("x", ((n % 2) * 12).into()),
            ("y", ((n / 2) * 6).into()),
            ("width", 12.into()),
            ("height", 6.into()),
            (
                "properties",
                Json::object([
                    ("title", Json::from(title)),
                    ("region", Json::r("var.region")),
                    ("stat", stat.into()),
                    ("period", 60.into()),
                    ("metrics", Json::Array(metrics)),
                ]),
            ),
        ]));
    };
    let metric = |namespace: &str, name: &str, dimension: &str, value: Json, options: Json| {
        Json::array([
            namespace.into(),
            name.into(),
            dimension.into(),
            value,
            options,
        ])
    };
    let labelled = |stat: Option<&str>, label: &str| {
        Json::object(
            stat.map(|s| ("stat", Json::from(s)))
                .into_iter()
                .chain([("label", Json::from(label))]),
        )
    };
    if stack.api.is_some() {
        let api = |name: &str, stat: &str| {
            Json::array([
                "AWS/ApiGateway".into(),
                name.into(),
                "ApiName".into(),
                Json::r("var.api_name"),
                "Stage".into(),
                Json::r("var.api_stage"),
                labelled(Some(stat), &format!("{name} {stat}")),
            ])
        };
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
    let function_name = |key: &str| Json::r(&format!("var.function_names[\"{key}\"]"));
    for f in &stack.functions {
        let duration = |stat: &str| {
            metric(
                "AWS/Lambda",
                "Duration",
                "FunctionName",
                function_name(&f.key),
                labelled(Some(stat), stat),
            )
        };
        place(
            &format!("{} duration (ms)", f.key),
            vec![duration("p50"), duration("p90"), duration("p99")],
            "p99",
        );
    }
    let errors = stack
        .functions
        .iter()
        .map(|f| {
            metric(
                "AWS/Lambda",
                "Errors",
                "FunctionName",
                function_name(&f.key),
                labelled(None, &f.key),
            )
        })
        .collect();
    place("Function errors", errors, "Sum");
    let traces = stack
        .xray
        .groups
        .iter()
        .map(|g| {
            let group = Json::Str(vec![
                Part::r("var.name_prefix"),
                Part::text(format!("-{}", g.key.replace('_', "-"))),
            ]);
            metric(
                "AWS/X-Ray",
                "ApproximateTraceCount",
                "GroupName",
                group,
                labelled(None, &g.key),
            )
        })
        .collect();
    place("X-Ray trace counts", traces, "Sum");
    Json::object([("widgets", Json::Array(widgets))])
}
