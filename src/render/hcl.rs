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

/// A string value. Text that hcl-rs would not write back exactly (`${` or `%{` after a `$` or
/// `%`, C1 controls, line separators) is written by [`quote`] as a template that holds only that
/// text, so the value reads back unchanged and never becomes an interpolation.
pub fn s(value: impl Into<String>) -> Expression {
    let value = value.into();
    if value.chars().any(needs_escape) || has_marker(&value) {
        Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(quote(&value))))
    } else {
        Expression::String(value)
    }
}

/// One piece of a quoted template: text, written as a value, or an interpolated expression.
pub enum Part {
    Text(String),
    Expr(Expression),
}

impl Part {
    pub fn text(value: impl Into<String>) -> Self {
        Self::Text(value.into())
    }

    /// A reference such as `var.name_prefix`, interpolated as `${var.name_prefix}`.
    pub fn r(path: &str) -> Self {
        Self::Expr(r(path))
    }
}

/// A quoted template built from parts: text is escaped, expressions are interpolated. This is
/// the only way model text enters a template.
pub fn template(parts: impl IntoIterator<Item = Part>) -> Expression {
    let mut text = String::new();
    for part in parts {
        match part {
            Part::Text(t) => text.push_str(&quote(&t)),
            Part::Expr(e) => interpolate(&mut text, &e),
        }
    }
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(text)))
}

/// `"${var.name_prefix}-<suffix>"`: the usual AWS name of a component.
pub fn prefixed(suffix: &str) -> Expression {
    template([Part::r("var.name_prefix"), Part::text(format!("-{suffix}"))])
}

/// Appends `${expr}` to template text.
pub fn interpolate(text: &mut String, expr: &Expression) {
    text.push_str("${");
    text.push_str(&::hcl::format::to_string(expr).unwrap_or_default());
    text.push('}');
}

/// Characters written as `\uXXXX` in a quoted string: controls (C0, DEL, C1) and the Unicode
/// line and paragraph separators, which editors and diff tools show as line breaks.
fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// Whether the text holds `${` or `%{`, which hcl-rs 0.20 escapes wrongly after a `$` or `%`
/// (it writes `$${` for the text `$${`, which reads back as `${`).
fn has_marker(text: &str) -> bool {
    text.contains("${") || text.contains("%{")
}

/// The escape for the `$` or `%` of a `${` or `%{` that must stay text. `\u0024` and `\u0025`
/// mean the same in an HCL quoted string and in JSON, and unlike `$${` they read back the same in
/// Terraform and hcl-rs whatever precedes them.
pub fn marker_escape(c: char, next: Option<&char>) -> Option<&'static str> {
    match (c, next) {
        ('$', Some('{')) => Some("\\u0024"),
        ('%', Some('{')) => Some("\\u0025"),
        _ => None,
    }
}

/// The body of a quoted HCL template whose value is exactly `text`: quotes, backslashes and
/// controls escaped, and the `$` or `%` of every `${` or `%{` written as an escape so it stays
/// text.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(escape) = marker_escape(c, chars.peek()) {
            out.push_str(escape);
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
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

/// A quoted template written in the renderer's own source, e.g. `"${var.name}-dlq"`. It is
/// `'static` so model text cannot reach it; templates with model text use [`template`].
pub fn tpl(template: &'static str) -> Expression {
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(template.to_string())))
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
