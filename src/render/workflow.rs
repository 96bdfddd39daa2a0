//! The Step Functions module: each state machine with its role, log group, tracing switch and a
//! definition written as readable JSON.

use super::function::{XRAY_ACTIONS, assume_role_policy, statement_if};
use super::hcl::{Part, b, bool, list, prefixed, r, s, strings, template, ty};
use super::json::Json;
use super::module::{Module, Output, Variable};
use crate::model::Stack;
use crate::model::workflow::{StateMachine, Target};

const LAMBDA_RETRY_ERRORS: &[&str] = &[
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ServiceException",
    "Lambda.TooManyRequestsException",
];

/// The name of the variable that switches a state machine's tracing.
pub fn tracing_variable(key: &str) -> String {
    format!("{key}_tracing_enabled")
}

/// The definition as a JSON document with interpolations for ARNs and URLs.
pub fn definition(sm: &StateMachine) -> Json {
    let mut states = Vec::new();
    for (n, step) in sm.steps.iter().enumerate() {
        let mut state = match &step.target {
            Target::Function(f) => vec![
                ("Type", Json::from("Task")),
                ("Resource", "arn:aws:states:::lambda:invoke".into()),
                (
                    "Parameters",
                    Json::object([
                        (
                            "FunctionName",
                            Json::r(&format!("var.function_arns[\"{}\"]", f.value)),
                        ),
                        ("Payload.$", "$".into()),
                    ]),
                ),
                ("OutputPath", "$.Payload".into()),
                (
                    "Retry",
                    Json::array([Json::object([
                        ("ErrorEquals", Json::texts(LAMBDA_RETRY_ERRORS)),
                        ("IntervalSeconds", 2.into()),
                        ("MaxAttempts", 3.into()),
                        ("BackoffRate", 2.into()),
                    ])]),
                ),
            ],
            Target::Queue(q) => vec![
                ("Type", Json::from("Task")),
                ("Resource", "arn:aws:states:::sqs:sendMessage".into()),
                (
                    "Parameters",
                    Json::object([
                        (
                            "QueueUrl",
                            Json::r(&format!("var.queue_urls[\"{}\"]", q.value)),
                        ),
                        ("MessageBody.$", "$".into()),
                    ]),
                ),
            ],
        };
        match sm.steps.get(n + 1) {
            Some(next) => state.push(("Next", next.name.value.as_str().into())),
            None => state.push(("End", true.into())),
        }
        states.push((step.name.value.clone(), Json::object(state)));
    }
    Json::object([
        ("Comment", Json::from(sm.comment.as_str())),
        (
            "StartAt",
            sm.steps
                .first()
                .map_or_else(String::new, |s| s.name.value.clone())
                .into(),
        ),
        ("States", Json::Object(states)),
    ])
}

pub fn state_machines(stack: &Stack) -> Module {
    let mut m = Module::new(
        "state_machines",
        "The Step Functions state machines, each with its own least-privilege role, a KMS-encrypted log group and an X-Ray tracing switch.",
    );
    m.variables = vec![
        Variable::name_prefix(),
        Variable::new(
            "function_arns",
            ty::map(ty::string()),
            "ARN of each function, by model name.",
        ),
        Variable::new(
            "queue_urls",
            ty::map(ty::string()),
            "URL of each queue, by model name.",
        ),
        Variable::new(
            "queue_arns",
            ty::map(ty::string()),
            "ARN of each queue, by model name.",
        ),
        Variable::new(
            "kms_key_arn",
            ty::string(),
            "KMS key of the queues and the log groups.",
        ),
        Variable::new(
            "log_retention_days",
            ty::number(),
            "Days execution logs are kept.",
        ),
    ];
    for sm in &stack.state_machines {
        m.variables.push(Variable::new(
            tracing_variable(&sm.key),
            ty::bool(),
            format!(
                "Whether the `{}` state machine records X-Ray traces.",
                sm.key
            ),
        ));
    }
    for sm in &stack.state_machines {
        let k = sm.key.as_str();
        let dashed = k.replace('_', "-");
        let functions: Vec<_> = sm
            .steps
            .iter()
            .filter_map(|s| match &s.target {
                Target::Function(f) => Some(r(&format!("var.function_arns[\"{}\"]", f.value))),
                Target::Queue(_) => None,
            })
            .collect();
        let queues: Vec<_> = sm
            .steps
            .iter()
            .filter_map(|s| match &s.target {
                Target::Queue(q) => Some(r(&format!("var.queue_arns[\"{}\"]", q.value))),
                Target::Function(_) => None,
            })
            .collect();
        let mut policy = b("data", ["aws_iam_policy_document", k]).block(
            b("statement", [])
                .attr("sid", s("LogDelivery"))
                .attr(
                    "actions",
                    strings([
                        "logs:CreateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:DescribeLogGroups",
                        "logs:DescribeResourcePolicies",
                        "logs:GetLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:UpdateLogDelivery",
                    ]),
                )
                .attr("resources", strings(["*"])),
        );
        if !functions.is_empty() {
            policy = policy.block(
                b("statement", [])
                    .attr("sid", s("InvokeFunctions"))
                    .attr("actions", strings(["lambda:InvokeFunction"]))
                    .attr("resources", list(functions)),
            );
        }
        if !queues.is_empty() {
            policy = policy.block(
                b("statement", [])
                    .attr("sid", s("SendToQueues"))
                    .attr("actions", strings(["sqs:SendMessage"]))
                    .attr("resources", list(queues)),
            );
        }
        policy = policy.block(
            b("statement", [])
                .attr("sid", s("Kms"))
                .attr("actions", strings(["kms:Decrypt", "kms:GenerateDataKey"]))
                .attr("resources", list([r("var.kms_key_arn")])),
        );
        policy = policy.block(statement_if(
            "XRay",
            r(&format!("var.{}", tracing_variable(k))),
            XRAY_ACTIONS,
            strings(["*"]),
        ));
        m.blocks.push(assume_role_policy(
            &format!("{k}_assume"),
            "states.amazonaws.com",
        ));
        m.blocks.push(policy.build());
        m.blocks.push(
            b("resource", ["aws_cloudwatch_log_group", k])
                .attr(
                    "name",
                    template([
                        Part::text("/aws/vendedlogs/states/"),
                        Part::r("var.name_prefix"),
                        Part::text(format!("-{dashed}")),
                    ]),
                )
                .attr("retention_in_days", r("var.log_retention_days"))
                .attr("kms_key_id", r("var.kms_key_arn"))
                .build(),
        );
        m.blocks.push(
            b("resource", ["aws_iam_role", k])
                .attr("name", prefixed(&format!("sfn-{dashed}")))
                .attr(
                    "assume_role_policy",
                    r(&format!("data.aws_iam_policy_document.{k}_assume.json")),
                )
                .build(),
        );
        m.blocks.push(
            b("resource", ["aws_iam_role_policy", k])
                .attr("name", prefixed(&format!("sfn-{dashed}")))
                .attr("role", r(&format!("aws_iam_role.{k}.id")))
                .attr(
                    "policy",
                    r(&format!("data.aws_iam_policy_document.{k}.json")),
                )
                .build(),
        );
        m.blocks.push(
            b("resource", ["aws_sfn_state_machine", k])
                .attr("name", prefixed(&dashed))
                .attr("role_arn", r(&format!("aws_iam_role.{k}.arn")))
                .attr("definition", definition(sm).heredoc())
                .block(
                    b("logging_configuration", [])
                        .attr(
                            "log_destination",
                            template([
                                Part::r(&format!("aws_cloudwatch_log_group.{k}.arn")),
                                Part::text(":*"),
                            ]),
                        )
                        .attr("include_execution_data", bool(true))
                        .attr("level", s("ERROR")),
                )
                .block(
                    b("tracing_configuration", [])
                        .attr("enabled", r(&format!("var.{}", tracing_variable(k)))),
                )
                .block(
                    b("encryption_configuration", [])
                        .attr("type", s("CUSTOMER_MANAGED_KMS_KEY"))
                        .attr("kms_key_id", r("var.kms_key_arn"))
                        .attr("kms_data_key_reuse_period_seconds", super::hcl::num(300)),
                )
                .attr("depends_on", list([r(&format!("aws_iam_role_policy.{k}"))]))
                .build(),
        );
        m.outputs.push(Output::new(
            format!("{k}_arn"),
            r(&format!("aws_sfn_state_machine.{k}.arn")),
            format!("ARN of the `{k}` state machine."),
        ));
        m.outputs.push(Output::new(
            format!("{k}_name"),
            r(&format!("aws_sfn_state_machine.{k}.name")),
            format!("Name of the `{k}` state machine."),
        ));
    }
    m
}
