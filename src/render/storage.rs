//! Modules for the stateful parts: the environment's KMS key, DynamoDB tables, SQS queues.

use super::hcl::{b, bool, call, cond, eq, list, num, obj, r, s, strings, tpl, ty};
use super::module::{Module, Output, Variable};

/// The one customer-managed key per environment that encrypts tables, queues, logs and topics.
pub fn kms() -> Module {
    let mut m = Module::new(
        "kms",
        "The environment's customer-managed KMS key, with rotation, and a key policy that lets CloudWatch Logs, SNS and CloudWatch alarms use it.",
    );
    m.variables = vec![
        Variable::new(
            "alias",
            ty::string(),
            "Alias of the key, without the `alias/` prefix.",
        ),
        Variable::region(),
        Variable::new(
            "deletion_window_in_days",
            ty::number(),
            "Days a deleted key stays recoverable (7 to 30).",
        )
        .default(num(30))
        .validation(
            call(
                "contains",
                [
                    call("range", [num(7), num(31)]),
                    r("var.deletion_window_in_days"),
                ],
            ),
            "deletion_window_in_days must be between 7 and 30.",
        ),
    ];
    let account_root = tpl(
        "arn:${data.aws_partition.this.partition}:iam::${data.aws_caller_identity.this.account_id}:root",
    );
    let statement =
        |sid: &str, principal_type: &str, principal: hcl::Expression, actions: &[&str]| {
            b("statement", [])
                .attr("sid", s(sid))
                .attr("actions", strings(actions))
                .attr("resources", strings(["*"]))
                .block(
                    b("principals", [])
                        .attr("type", s(principal_type))
                        .attr("identifiers", list([principal])),
                )
        };
    let service_actions = [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    ];
    m.blocks = vec![
        b("data", ["aws_caller_identity", "this"]).build(),
        b("data", ["aws_partition", "this"]).build(),
        b("data", ["aws_iam_policy_document", "key"])
            .block(statement("AccountAdministration", "AWS", account_root, &["kms:*"]))
            .block(
                statement(
                    "CloudWatchLogs",
                    "Service",
                    tpl("logs.${var.region}.amazonaws.com"),
                    &service_actions,
                )
                .block(
                    b("condition", [])
                        .attr("test", s("ArnLike"))
                        .attr("variable", s("kms:EncryptionContext:aws:logs:arn"))
                        .attr(
                            "values",
                            list([tpl("arn:${data.aws_partition.this.partition}:logs:${var.region}:${data.aws_caller_identity.this.account_id}:*")]),
                        ),
                ),
            )
            .block(statement(
                "AlarmsAndNotifications",
                "Service",
                s("cloudwatch.amazonaws.com"),
                &["kms:Decrypt", "kms:GenerateDataKey*"],
            ))
            .block(statement(
                "EventSources",
                "Service",
                s("sns.amazonaws.com"),
                &["kms:Decrypt", "kms:GenerateDataKey*"],
            ))
            .build(),
        b("resource", ["aws_kms_key", "this"])
            .attr("description", tpl("${var.alias} (managed by stackform)"))
            .attr("enable_key_rotation", bool(true))
            .attr("deletion_window_in_days", r("var.deletion_window_in_days"))
            .attr("policy", r("data.aws_iam_policy_document.key.json"))
            .build(),
        b("resource", ["aws_kms_alias", "this"])
            .attr("name", tpl("alias/${var.alias}"))
            .attr("target_key_id", r("aws_kms_key.this.key_id"))
            .build(),
    ];
    m.skip(
        "data.aws_iam_policy_document.key",
        "CKV_AWS_109,CKV_AWS_111,CKV_AWS_356",
        "a key policy; its Resource \"*\" means this key only",
    );
    m.outputs = vec![
        Output::new("kms_key_arn", r("aws_kms_key.this.arn"), "ARN of the key."),
        Output::new("kms_key_id", r("aws_kms_key.this.key_id"), "ID of the key."),
        Output::new(
            "kms_alias_name",
            r("aws_kms_alias.this.name"),
            "Alias of the key.",
        ),
    ];
    m
}

/// A DynamoDB table billed per request. Terraform cannot vary `prevent_destroy` by variable,
/// so the table exists as one of two resources: `protected` (with `prevent_destroy`) or `this`.
pub fn table() -> Module {
    let mut m = Module::new(
        "table",
        "A DynamoDB table billed per request, encrypted with a customer-managed key, with optional point-in-time recovery, deletion protection, `prevent_destroy` and contributor insights.",
    );
    let attribute = ty::object([("name", ty::string()), ("type", ty::string())]);
    let index = ty::object([
        ("name", ty::string()),
        ("hash_key", ty::string()),
        ("range_key", ty::optional(ty::string())),
    ]);
    m.variables = vec![
        Variable::new("name", ty::string(), "Name of the table."),
        Variable::new("hash_key", ty::string(), "Partition key attribute."),
        Variable::new("range_key", ty::string(), "Sort key attribute, if any.")
            .default(hcl::Expression::Null),
        Variable::new(
            "attributes",
            ty::list(attribute),
            "Key attributes of the table and its indexes, with their types (S, N or B).",
        ),
        Variable::new(
            "global_secondary_indexes",
            ty::list(index),
            "Global secondary indexes (all attributes projected).",
        )
        .default(list([])),
        Variable::new(
            "ttl_attribute",
            ty::string(),
            "Attribute holding each item's expiry time, if any.",
        )
        .default(hcl::Expression::Null),
        Variable::new(
            "kms_key_arn",
            ty::string(),
            "KMS key that encrypts the table.",
        ),
        Variable::new(
            "point_in_time_recovery",
            ty::bool(),
            "Whether continuous backups are on.",
        ),
        Variable::new(
            "deletion_protection",
            ty::bool(),
            "Whether AWS refuses to delete the table.",
        ),
        Variable::new(
            "prevent_destroy",
            ty::bool(),
            "Whether Terraform refuses to destroy the table (the resource is then `protected`).",
        ),
        Variable::new(
            "contributor_insights",
            ty::bool(),
            "Whether CloudWatch contributor insights is on for the table.",
        ),
    ];
    let table = |name: &str, protected: bool| {
        let count = if protected {
            cond(r("var.prevent_destroy"), num(1), num(0))
        } else {
            cond(r("var.prevent_destroy"), num(0), num(1))
        };
        let mut block = b("resource", ["aws_dynamodb_table", name])
            .attr("count", count)
            .attr("name", r("var.name"))
            .attr("billing_mode", s("PAY_PER_REQUEST"))
            .attr("hash_key", r("var.hash_key"))
            .attr("range_key", r("var.range_key"))
            .attr("deletion_protection_enabled", r("var.deletion_protection"))
            .block(
                b("dynamic", ["attribute"])
                    .attr("for_each", r("var.attributes"))
                    .block(
                        b("content", [])
                            .attr("name", r("attribute.value.name"))
                            .attr("type", r("attribute.value.type")),
                    ),
            )
            .block(
                b("dynamic", ["global_secondary_index"])
                    .attr("for_each", r("var.global_secondary_indexes"))
                    .block(
                        b("content", [])
                            .attr("name", r("global_secondary_index.value.name"))
                            .attr("hash_key", r("global_secondary_index.value.hash_key"))
                            .attr("range_key", r("global_secondary_index.value.range_key"))
                            .attr("projection_type", s("ALL")),
                    ),
            )
            .block(
                b("dynamic", ["ttl"])
                    .attr(
                        "for_each",
                        cond(
                            eq(r("var.ttl_attribute"), hcl::Expression::Null),
                            list([]),
                            list([r("var.ttl_attribute")]),
                        ),
                    )
                    .block(
                        b("content", [])
                            .attr("attribute_name", r("ttl.value"))
                            .attr("enabled", bool(true)),
                    ),
            )
            .block(b("point_in_time_recovery", []).attr("enabled", r("var.point_in_time_recovery")))
            .block(
                b("server_side_encryption", [])
                    .attr("enabled", bool(true))
                    .attr("kms_key_arn", r("var.kms_key_arn")),
            );
        if protected {
            block = block.block(b("lifecycle", []).attr("prevent_destroy", bool(true)));
        }
        block.build()
    };
    m.blocks = vec![
        table("this", false),
        table("protected", true),
        b("resource", ["aws_dynamodb_contributor_insights", "this"])
            .attr("count", cond(r("var.contributor_insights"), num(1), num(0)))
            .attr("table_name", r("var.name"))
            .attr(
                "depends_on",
                list([
                    r("aws_dynamodb_table.this"),
                    r("aws_dynamodb_table.protected"),
                ]),
            )
            .build(),
    ];
    let one = |attr: &str| {
        call(
            "one",
            [call(
                "concat",
                [
                    r(&format!("aws_dynamodb_table.this[*].{attr}")),
                    r(&format!("aws_dynamodb_table.protected[*].{attr}")),
                ],
            )],
        )
    };
    m.outputs = vec![
        Output::new("table_name", one("name"), "Name of the table."),
        Output::new("table_arn", one("arn"), "ARN of the table."),
    ];
    m
}

/// An SQS queue with its dead-letter queue, both encrypted with the environment's key.
pub fn queue() -> Module {
    let mut m = Module::new(
        "queue",
        "An SQS queue with a dead-letter queue that receives messages after `max_receive_count` failed receives; both encrypted with a customer-managed key. SQS has no tracing switch: trace context travels in the `AWSTraceHeader` attribute when the producer is traced.",
    );
    m.variables = vec![
        Variable::new(
            "name",
            ty::string(),
            "Name of the queue; the dead-letter queue is NAME-dlq.",
        ),
        Variable::new(
            "visibility_timeout_seconds",
            ty::number(),
            "Seconds a received message stays hidden; at least the consumer's timeout.",
        ),
        Variable::new(
            "message_retention_seconds",
            ty::number(),
            "Seconds a message is kept.",
        ),
        Variable::new(
            "max_receive_count",
            ty::number(),
            "Receives before a message moves to the dead-letter queue.",
        ),
        Variable::new(
            "kms_key_arn",
            ty::string(),
            "KMS key that encrypts both queues.",
        ),
    ];
    m.blocks = vec![
        b("resource", ["aws_sqs_queue", "dlq"])
            .attr("name", tpl("${var.name}-dlq"))
            .attr("message_retention_seconds", num(1_209_600))
            .attr("kms_master_key_id", r("var.kms_key_arn"))
            .attr("kms_data_key_reuse_period_seconds", num(300))
            .build(),
        b("resource", ["aws_sqs_queue", "this"])
            .attr("name", r("var.name"))
            .attr(
                "visibility_timeout_seconds",
                r("var.visibility_timeout_seconds"),
            )
            .attr(
                "message_retention_seconds",
                r("var.message_retention_seconds"),
            )
            .attr("kms_master_key_id", r("var.kms_key_arn"))
            .attr("kms_data_key_reuse_period_seconds", num(300))
            .attr(
                "redrive_policy",
                call(
                    "jsonencode",
                    [obj([
                        ("deadLetterTargetArn", r("aws_sqs_queue.dlq.arn")),
                        ("maxReceiveCount", r("var.max_receive_count")),
                    ])],
                ),
            )
            .build(),
        b("resource", ["aws_sqs_queue_redrive_allow_policy", "dlq"])
            .attr("queue_url", r("aws_sqs_queue.dlq.id"))
            .attr(
                "redrive_allow_policy",
                call(
                    "jsonencode",
                    [obj([
                        ("redrivePermission", s("byQueue")),
                        ("sourceQueueArns", list([r("aws_sqs_queue.this.arn")])),
                    ])],
                ),
            )
            .build(),
    ];
    m.outputs = vec![
        Output::new(
            "queue_name",
            r("aws_sqs_queue.this.name"),
            "Name of the queue.",
        ),
        Output::new(
            "queue_arn",
            r("aws_sqs_queue.this.arn"),
            "ARN of the queue.",
        ),
        Output::new(
            "queue_url",
            r("aws_sqs_queue.this.url"),
            "URL of the queue.",
        ),
        Output::new(
            "dlq_name",
            r("aws_sqs_queue.dlq.name"),
            "Name of the dead-letter queue.",
        ),
        Output::new(
            "dlq_arn",
            r("aws_sqs_queue.dlq.arn"),
            "ARN of the dead-letter queue.",
        ),
    ];
    m
}
