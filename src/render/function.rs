//! The Lambda function module (role, least-privilege policy, log group, optional SQS trigger)
//! and the X-Ray SDK layer module.

use hcl::Expression;

use super::hcl::{B, b, call, cond, eq, gt, list, num, r, s, strings, tpl, ty};
use super::module::{Module, Output, Variable};

/// The actions Lambda needs to send traces; X-Ray takes no narrower resource than `*`.
pub const XRAY_ACTIONS: &[&str] = &[
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

const DYNAMODB_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];

const DYNAMODB_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

/// A policy statement present only when `var.LIST` is non-empty (or `condition` holds).
pub fn statement_if(
    sid: &str,
    condition: Expression,
    actions: &[&str],
    resources: Expression,
) -> B {
    b("dynamic", ["statement"])
        .attr("for_each", cond(condition, list([num(1)]), list([])))
        .block(
            b("content", [])
                .attr("sid", s(sid))
                .attr("actions", strings(actions))
                .attr("resources", resources),
        )
}

/// The trust policy that lets `service` assume a role.
pub fn assume_role_policy(name: &str, service: &str) -> hcl::Block {
    b("data", ["aws_iam_policy_document", name])
        .block(
            b("statement", [])
                .attr("actions", strings(["sts:AssumeRole"]))
                .block(
                    b("principals", [])
                        .attr("type", s("Service"))
                        .attr("identifiers", strings([service])),
                ),
        )
        .build()
}

fn non_empty(var: &str) -> Expression {
    gt(call("length", [r(&format!("var.{var}"))]), num(0))
}

/// `resources = concat(var.x, [for arn in var.x : "${arn}/index/*"])`: a table and its indexes.
fn with_indexes(var: &str) -> Expression {
    let indexes = hcl::expr::ForExpr::new(
        super::hcl::ident("arn"),
        r(&format!("var.{var}")),
        tpl("${arn}/index/*"),
    );
    call(
        "concat",
        [r(&format!("var.{var}")), Expression::from(indexes)],
    )
}

pub fn function() -> Module {
    let mut m = Module::new(
        "function",
        "A Lambda function with its own IAM role and least-privilege policy, a KMS-encrypted log group, X-Ray tracing mode, and an optional SQS trigger. Active tracing adds the X-Ray actions to the role; PassThrough does not.",
    );
    let arns = |name: &'static str, what: &str| {
        Variable::new(name, ty::list(ty::string()), what).default(list([]))
    };
    m.variables = vec![
        Variable::new("name", ty::string(), "Name of the function, its role and its log group."),
        Variable::new("description", ty::string(), "What the function does.").default(s("")),
        Variable::new("handler", ty::string(), "Entry point, e.g. `module.function`."),
        Variable::new("runtime", ty::string(), "Lambda runtime identifier."),
        Variable::new("memory_size", ty::number(), "Memory in MB (128 to 10240)."),
        Variable::new("timeout", ty::number(), "Timeout in seconds (1 to 900)."),
        Variable::new(
            "reserved_concurrent_executions",
            ty::number(),
            "Concurrency reserved for (and limiting) the function.",
        ),
        Variable::new(
            "tracing_mode",
            ty::string(),
            "X-Ray tracing mode: `Active` samples and records traces; `PassThrough` only forwards trace headers.",
        )
        .validation(
            call("contains", [strings(["Active", "PassThrough"]), r("var.tracing_mode")]),
            "tracing_mode must be \"Active\" or \"PassThrough\".",
        ),
        Variable::new("artifact_bucket", ty::string(), "S3 bucket holding the deployment package."),
        Variable::new("package_key", ty::string(), "S3 key of the deployment package."),
        Variable::new("environment_variables", ty::map(ty::string()), "Environment variables of the function."),
        Variable::new("layers", ty::list(ty::string()), "Layer version ARNs.").default(list([])),
        Variable::new("kms_key_arn", ty::string(), "KMS key for environment variables, logs and the data the function reads."),
        Variable::new("log_retention_days", ty::number(), "Days the function's logs are kept."),
        arns("dynamodb_read_arns", "Tables the function reads (their indexes included)."),
        arns("dynamodb_write_arns", "Tables the function reads and writes (their indexes included)."),
        arns("sqs_send_arns", "Queues the function sends messages to."),
        arns("state_machine_arns", "State machines the function starts."),
        arns("ssm_parameter_arns", "SSM parameters the function reads."),
        Variable::new(
            "sqs_triggers",
            ty::map(ty::string()),
            "Queues (name => ARN) that invoke the function with batches of messages.",
        )
        .default(hcl::Expression::Object(Default::default())),
        Variable::new("sqs_batch_size", ty::number(), "Messages per invocation from an SQS trigger.").default(num(10)),
    ];

    let policy = b("data", ["aws_iam_policy_document", "this"])
        .block(
            b("statement", [])
                .attr("sid", s("Logs"))
                .attr(
                    "actions",
                    strings(["logs:CreateLogStream", "logs:PutLogEvents"]),
                )
                .attr(
                    "resources",
                    list([tpl("${aws_cloudwatch_log_group.this.arn}:*")]),
                ),
        )
        .block(
            b("statement", [])
                .attr("sid", s("Kms"))
                .attr("actions", strings(["kms:Decrypt", "kms:GenerateDataKey"]))
                .attr("resources", list([r("var.kms_key_arn")])),
        )
        .block(statement_if(
            "XRay",
            eq(r("var.tracing_mode"), s("Active")),
            XRAY_ACTIONS,
            strings(["*"]),
        ))
        .block(statement_if(
            "DynamoDbRead",
            non_empty("dynamodb_read_arns"),
            DYNAMODB_READ,
            with_indexes("dynamodb_read_arns"),
        ))
        .block(statement_if(
            "DynamoDbReadWrite",
            non_empty("dynamodb_write_arns"),
            &[DYNAMODB_READ, DYNAMODB_WRITE].concat(),
            with_indexes("dynamodb_write_arns"),
        ))
        .block(statement_if(
            "SqsSend",
            non_empty("sqs_send_arns"),
            &[
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:SendMessage",
            ],
            r("var.sqs_send_arns"),
        ))
        .block(statement_if(
            "SqsConsume",
            gt(call("length", [r("var.sqs_triggers")]), num(0)),
            &[
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            call("values", [r("var.sqs_triggers")]),
        ))
        .block(statement_if(
            "StatesStart",
            non_empty("state_machine_arns"),
            &["states:StartExecution"],
            r("var.state_machine_arns"),
        ))
        .block(statement_if(
            "SsmRead",
            non_empty("ssm_parameter_arns"),
            &["ssm:GetParameter", "ssm:GetParameters"],
            r("var.ssm_parameter_arns"),
        ));

    m.blocks = vec![
        assume_role_policy("assume", "lambda.amazonaws.com"),
        policy.build(),
        b("resource", ["aws_cloudwatch_log_group", "this"])
            .attr("name", tpl("/aws/lambda/${var.name}"))
            .attr("retention_in_days", r("var.log_retention_days"))
            .attr("kms_key_id", r("var.kms_key_arn"))
            .build(),
        b("resource", ["aws_iam_role", "this"])
            .attr("name", r("var.name"))
            .attr(
                "assume_role_policy",
                r("data.aws_iam_policy_document.assume.json"),
            )
            .build(),
        b("resource", ["aws_iam_role_policy", "this"])
            .attr("name", r("var.name"))
            .attr("role", r("aws_iam_role.this.id"))
            .attr("policy", r("data.aws_iam_policy_document.this.json"))
            .build(),
        b("resource", ["aws_lambda_function", "this"])
            .attr("function_name", r("var.name"))
            .attr("description", r("var.description"))
            .attr("role", r("aws_iam_role.this.arn"))
            .attr("handler", r("var.handler"))
            .attr("runtime", r("var.runtime"))
            .attr("s3_bucket", r("var.artifact_bucket"))
            .attr("s3_key", r("var.package_key"))
            .attr("memory_size", r("var.memory_size"))
            .attr("timeout", r("var.timeout"))
            .attr(
                "reserved_concurrent_executions",
                r("var.reserved_concurrent_executions"),
            )
            .attr("kms_key_arn", r("var.kms_key_arn"))
            .attr("layers", r("var.layers"))
            .block(b("tracing_config", []).attr("mode", r("var.tracing_mode")))
            .block(b("environment", []).attr("variables", r("var.environment_variables")))
            .block(
                b("logging_config", [])
                    .attr("log_format", s("JSON"))
                    .attr("log_group", r("aws_cloudwatch_log_group.this.name")),
            )
            .attr("depends_on", list([r("aws_iam_role_policy.this")]))
            .build(),
        b("resource", ["aws_lambda_event_source_mapping", "sqs"])
            .attr("for_each", r("var.sqs_triggers"))
            .attr("event_source_arn", r("each.value"))
            .attr("function_name", r("aws_lambda_function.this.arn"))
            .attr("batch_size", r("var.sqs_batch_size"))
            .attr(
                "function_response_types",
                strings(["ReportBatchItemFailures"]),
            )
            .build(),
    ];
    m.skip(
        "aws_lambda_function.this",
        "CKV_AWS_116",
        "invoked synchronously by API Gateway and Step Functions, or by SQS whose queue has its own dead-letter queue",
    );
    m.skip(
        "aws_lambda_function.this",
        "CKV_AWS_117",
        "functions call AWS APIs and internet services only; the model has no VPC resources to reach",
    );
    m.skip(
        "aws_lambda_function.this",
        "CKV_AWS_272",
        "packages are built and uploaded by the release pipeline; code signing is a platform-level choice",
    );
    m.outputs = vec![
        Output::new(
            "function_name",
            r("aws_lambda_function.this.function_name"),
            "Name of the function.",
        ),
        Output::new(
            "function_arn",
            r("aws_lambda_function.this.arn"),
            "ARN of the function.",
        ),
        Output::new(
            "invoke_arn",
            r("aws_lambda_function.this.invoke_arn"),
            "ARN API Gateway uses to invoke the function.",
        ),
        Output::new(
            "role_name",
            r("aws_iam_role.this.name"),
            "Name of the function's IAM role.",
        ),
        Output::new(
            "role_arn",
            r("aws_iam_role.this.arn"),
            "ARN of the function's IAM role.",
        ),
        Output::new(
            "log_group_name",
            r("aws_cloudwatch_log_group.this.name"),
            "Log group of the function.",
        ),
        Output::new(
            "tracing_mode",
            r("aws_lambda_function.this.tracing_config[0].mode"),
            "X-Ray tracing mode in effect.",
        ),
    ];
    m
}

/// The optional layer carrying the X-Ray SDK for Python.
pub fn layer() -> Module {
    let mut m = Module::new(
        "xray_sdk_layer",
        "A Lambda layer carrying the AWS X-Ray SDK, built by the release pipeline and uploaded to the artifact bucket.",
    );
    m.variables = vec![
        Variable::new("name", ty::string(), "Name of the layer."),
        Variable::new(
            "description",
            ty::string(),
            "Description of the layer version.",
        ),
        Variable::new(
            "artifact_bucket",
            ty::string(),
            "S3 bucket holding the layer package.",
        ),
        Variable::new("package_key", ty::string(), "S3 key of the layer package."),
        Variable::new(
            "compatible_runtimes",
            ty::list(ty::string()),
            "Runtimes the layer works with.",
        ),
    ];
    m.blocks = vec![
        b("resource", ["aws_lambda_layer_version", "this"])
            .attr("layer_name", r("var.name"))
            .attr("description", r("var.description"))
            .attr("s3_bucket", r("var.artifact_bucket"))
            .attr("s3_key", r("var.package_key"))
            .attr("compatible_runtimes", r("var.compatible_runtimes"))
            .build(),
    ];
    m.outputs = vec![Output::new(
        "layer_arn",
        r("aws_lambda_layer_version.this.arn"),
        "ARN of the layer version.",
    )];
    m
}
