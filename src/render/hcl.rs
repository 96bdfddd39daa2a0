//! Small constructors over hcl-rs structures, so renderers read like the HCL they build.
//!
//! Everything here builds hcl-rs values; no HCL is assembled from strings except references,
//! which are parsed into traversals by [`r`].

use hcl::expr::{
    Conditional, FuncCall, Heredoc, Object, ObjectKey, TemplateExpr, Traversal, TraversalOperator,
    Variable,
};
use hcl::{Block, Body, Expression, Identifier};

pub fn ident(name: &str) -> Identifier {
    Identifier::sanitized(name)
}

/// A reference such as `var.name`, `module.kms.key_arn`, `aws_sqs_queue.dlq[0].arn` or
/// `var.functions["cart"]`.
pub fn r(path: &str) -> Expression {
    let mut rest = path;
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    let root = Variable::sanitized(&rest[..end]);
    rest = &rest[end..];
    let mut operators = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            operators.push(if &after[..end] == "*" {
                TraversalOperator::AttrSplat
            } else {
                TraversalOperator::GetAttr(ident(&after[..end]))
            });
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            let inner = &after[..end];
            operators.push(if inner == "*" {
                TraversalOperator::FullSplat
            } else if let Some(key) = inner.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                TraversalOperator::Index(Expression::String(key.to_string()))
            } else {
                TraversalOperator::Index(Expression::Number(
                    inner.parse::<u64>().unwrap_or(0).into(),
                ))
            });
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            break;
        }
    }
    if operators.is_empty() {
        Expression::Variable(root)
    } else {
        Expression::from(Traversal::new(root, operators))
    }
}

pub fn s(value: impl Into<String>) -> Expression {
    Expression::String(value.into())
}

pub fn num(value: i64) -> Expression {
    Expression::Number(value.into())
}

pub fn float(value: f64) -> Expression {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        Expression::Number((value as i64).into())
    } else {
        hcl::Number::from_f64(value).map_or(Expression::Null, Expression::Number)
    }
}

pub fn bool(value: bool) -> Expression {
    Expression::Bool(value)
}

/// A quoted template with interpolations, e.g. `"${var.name}-dlq"`.
pub fn tpl(template: impl Into<String>) -> Expression {
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(template.into())))
}

/// A `<<EOT` heredoc template; its text must end with a newline.
pub fn heredoc(template: impl Into<String>) -> Expression {
    Expression::TemplateExpr(Box::new(TemplateExpr::Heredoc(Heredoc::new(
        Identifier::sanitized("EOT"),
        template.into(),
    ))))
}

pub fn call(name: &str, args: impl IntoIterator<Item = Expression>) -> Expression {
    let mut builder = FuncCall::builder(ident(name));
    for arg in args {
        builder = builder.arg(arg);
    }
    Expression::from(builder.build())
}

pub fn list(items: impl IntoIterator<Item = Expression>) -> Expression {
    Expression::Array(items.into_iter().collect())
}

pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Expression {
    list(items.into_iter().map(|i| s(i.as_ref())))
}

/// An object literal; keys that are identifiers print bare, others quoted.
pub fn obj<K: AsRef<str>>(items: impl IntoIterator<Item = (K, Expression)>) -> Expression {
    let object: Object<ObjectKey, Expression> = items
        .into_iter()
        .map(|(k, v)| (key(k.as_ref()), v))
        .collect();
    Expression::Object(object)
}

pub fn key(k: &str) -> ObjectKey {
    let bare = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        ObjectKey::Identifier(ident(k))
    } else {
        ObjectKey::Expression(s(k))
    }
}

pub fn cond(condition: Expression, yes: Expression, no: Expression) -> Expression {
    Expression::from(Conditional::new(condition, yes, no))
}

/// `a == b`, parenthesised when used inside another operation.
pub fn eq(lhs: Expression, rhs: Expression) -> Expression {
    use hcl::expr::{BinaryOp, BinaryOperator};
    Expression::from(BinaryOp::new(lhs, BinaryOperator::Eq, rhs))
}

pub fn gt(lhs: Expression, rhs: Expression) -> Expression {
    use hcl::expr::{BinaryOp, BinaryOperator};
    Expression::from(BinaryOp::new(lhs, BinaryOperator::Greater, rhs))
}

fn binary(lhs: Expression, operator: hcl::expr::BinaryOperator, rhs: Expression) -> Expression {
    Expression::from(hcl::expr::BinaryOp::new(lhs, operator, rhs))
}

/// `(lo <= x) && (x <= hi)`; the parentheses work around hcl-rs printing nested operations
/// without them.
pub fn between(x: Expression, lo: Expression, hi: Expression) -> Expression {
    use hcl::expr::BinaryOperator::{And, LessEq};
    binary(
        Expression::Parenthesis(Box::new(binary(lo, LessEq, x.clone()))),
        And,
        Expression::Parenthesis(Box::new(binary(x, LessEq, hi))),
    )
}

/// Type constraints for variables.
pub mod ty {
    use super::*;

    pub fn string() -> Expression {
        Expression::Variable(Variable::sanitized("string"))
    }
    pub fn number() -> Expression {
        Expression::Variable(Variable::sanitized("number"))
    }
    pub fn bool() -> Expression {
        Expression::Variable(Variable::sanitized("bool"))
    }
    pub fn list(of: Expression) -> Expression {
        call("list", [of])
    }
    pub fn map(of: Expression) -> Expression {
        call("map", [of])
    }
    pub fn optional(of: Expression) -> Expression {
        call("optional", [of])
    }
    pub fn object<K: AsRef<str>>(fields: impl IntoIterator<Item = (K, Expression)>) -> Expression {
        call("object", [obj(fields)])
    }
}

/// A block under construction: `b("resource", ["aws_sqs_queue", "this"]).attr(...)`.
pub struct B(hcl::structure::BlockBuilder);

pub fn b<const N: usize>(identifier: &str, labels: [&str; N]) -> B {
    B(Block::builder(ident(identifier)).add_labels(labels.map(hcl::BlockLabel::from)))
}

impl B {
    pub fn attr(self, name: &str, value: Expression) -> Self {
        Self(self.0.add_attribute((ident(name), value)))
    }

    pub fn attr_if(self, yes: bool, name: &str, value: Expression) -> Self {
        if yes { self.attr(name, value) } else { self }
    }

    pub fn block(self, block: B) -> Self {
        Self(self.0.add_block(block.build()))
    }

    pub fn build(self) -> Block {
        self.0.build()
    }
}

pub fn body(blocks: impl IntoIterator<Item = Block>) -> Body {
    Body::builder().add_blocks(blocks).build()
}
