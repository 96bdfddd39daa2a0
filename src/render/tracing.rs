//! The X-Ray module: the environment's catch-all sampling rule, the model's sampling rules and
//! the filter groups.

use super::hcl::{b, bool, num, obj, prefixed, r, s, tpl, ty};
use super::module::{Module, Output, Variable};
use crate::model::Stack;

/// Priority of the catch-all rule: after every rule of the model (1..=9999 allowed).
pub const DEFAULT_RULE_PRIORITY: i64 = 9000;

pub fn tracing(stack: &Stack) -> Module {
    let mut m = Module::new(
        "tracing",
        "X-Ray sampling rules scoped to the environment's services (`<stack>-<env>-*`) and X-Ray groups with filter expressions and insights.",
    );
    let rule = ty::object([
        ("priority", ty::number()),
        ("fixed_rate", ty::number()),
        ("reservoir_size", ty::number()),
    ]);
    m.variables = vec![
        Variable::name_prefix(),
        Variable::new(
            "default_fixed_rate",
            ty::number(),
            "Share of requests sampled beyond the reservoir by the catch-all rule (0 to 1).",
        )
        .validation(
            super::hcl::between(r("var.default_fixed_rate"), num(0), num(1)),
            "default_fixed_rate must be between 0 and 1.",
        ),
        Variable::new(
            "default_reservoir_size",
            ty::number(),
            "Requests per second sampled before the fixed rate applies.",
        ),
        Variable::new(
            "sampling_rules",
            ty::map(rule),
            "Priority, fixed rate and reservoir of each sampling rule, by model name.",
        ),
        Variable::new(
            "group_insights",
            ty::map(ty::bool()),
            "Whether X-Ray insights are on for each group, by model name.",
        ),
    ];
    let sampling = |name: &str,
                    rule_name: hcl::Expression,
                    priority,
                    rate,
                    reservoir,
                    method: &str,
                    path: &str,
                    service: hcl::Expression| {
        b("resource", ["aws_xray_sampling_rule", name])
            .attr("rule_name", rule_name)
            .attr("priority", priority)
            .attr("version", num(1))
            .attr("fixed_rate", rate)
            .attr("reservoir_size", reservoir)
            .attr("service_name", service)
            .attr("service_type", s("*"))
            .attr("host", s("*"))
            .attr("http_method", s(method))
            .attr("url_path", s(path))
            .attr("resource_arn", s("*"))
            .attr("attributes", obj::<&str>([]))
            .build()
    };
    let scoped = || tpl("${var.name_prefix}-*");
    m.blocks.push(sampling(
        "default",
        tpl("${var.name_prefix}-default"),
        num(DEFAULT_RULE_PRIORITY),
        r("var.default_fixed_rate"),
        r("var.default_reservoir_size"),
        "*",
        "*",
        scoped(),
    ));
    for rule in &stack.xray.sampling_rules {
        let k = rule.key.as_str();
        let service = if rule.service_name == "*" {
            scoped()
        } else {
            s(&rule.service_name)
        };
        m.blocks.push(sampling(
            k,
            prefixed(&k.replace('_', "-")),
            r(&format!("var.sampling_rules[\"{k}\"].priority")),
            r(&format!("var.sampling_rules[\"{k}\"].fixed_rate")),
            r(&format!("var.sampling_rules[\"{k}\"].reservoir_size")),
            &rule.http_method,
            &rule.url_path,
            service,
        ));
    }
    for group in &stack.xray.groups {
        let k = group.key.as_str();
        m.blocks.push(
            b("resource", ["aws_xray_group", k])
                .attr("group_name", prefixed(&k.replace('_', "-")))
                .attr("filter_expression", s(&group.filter_expression.value))
                .block(
                    b("insights_configuration", [])
                        .attr(
                            "insights_enabled",
                            r(&format!("var.group_insights[\"{k}\"]")),
                        )
                        .attr("notifications_enabled", bool(false)),
                )
                .build(),
        );
        m.outputs.push(Output::new(
            format!("{k}_group_arn"),
            r(&format!("aws_xray_group.{k}.arn")),
            format!("ARN of the `{k}` X-Ray group."),
        ));
    }
    m.outputs.insert(
        0,
        Output::new(
            "default_sampling_rule_arn",
            r("aws_xray_sampling_rule.default.arn"),
            "ARN of the catch-all sampling rule.",
        ),
    );
    m
}
