//! JSON documents with Terraform interpolations in them (state machine definitions, dashboard
//! bodies), written as readable `<<EOT` heredocs.
//!
//! A document is a tree of values in which interpolations are their own kind of node, so text
//! from the model is always encoded as a JSON string (quotes, backslashes and line breaks
//! escaped by serde_json) with the `$` of `${` and the `%` of `%{` escaped as `\u0024` and
//! `\u0025`: it can never close the string, end the heredoc or start an interpolation. The layout is serde_json's pretty printer's (two spaces per
//! level, object members in key order).

use hcl::Expression;

use super::hcl::{Part, heredoc, interpolate, marker_escape, r};

/// A JSON value whose strings may interpolate Terraform expressions.
pub enum Json {
    Bool(bool),
    Int(i64),
    /// A string made of text and interpolations.
    Str(Vec<Part>),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn text(value: impl Into<String>) -> Self {
        Self::Str(vec![Part::text(value)])
    }

    /// A string that is the value of a reference such as `var.api_name`.
    pub fn r(path: &str) -> Self {
        Self::Str(vec![Part::Expr(r(path))])
    }

    pub fn object<K: Into<String>>(items: impl IntoIterator<Item = (K, Json)>) -> Self {
        Self::Object(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn array(items: impl IntoIterator<Item = Json>) -> Self {
        Self::Array(items.into_iter().collect())
    }

    pub fn texts<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Self {
        Self::array(items.into_iter().map(|s| Self::text(s.as_ref())))
    }

    /// The document as a heredoc expression.
    pub fn heredoc(&self) -> Expression {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        heredoc(out)
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Int(n) => out.push_str(&n.to_string()),
            Self::Str(parts) => {
                out.push('"');
                for part in parts {
                    match part {
                        Part::Text(t) => out.push_str(&escaped(t)),
                        Part::Expr(e) => interpolate(out, e),
                    }
                }
                out.push('"');
            }
            Self::Array(items) => {
                write_seq(out, depth, '[', ']', items, |out, item| {
                    item.write(out, depth + 1)
                });
            }
            Self::Object(items) => {
                let sorted = sorted(items);
                write_seq(out, depth, '{', '}', &sorted, |out, (key, value)| {
                    out.push('"');
                    out.push_str(&escaped(key));
                    out.push_str("\": ");
                    value.write(out, depth + 1);
                });
            }
        }
    }
}

impl From<&str> for Json {
    fn from(value: &str) -> Self {
        Self::text(value)
    }
}

impl From<String> for Json {
    fn from(value: String) -> Self {
        Self::text(value)
    }
}

impl From<i64> for Json {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<bool> for Json {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// Members in key order, the last of equal keys winning, as a serde_json map holds them.
fn sorted(items: &[(String, Json)]) -> Vec<(&String, &Json)> {
    let mut sorted: Vec<(&String, &Json)> = items.iter().map(|(k, v)| (k, v)).collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out: Vec<(&String, &Json)> = Vec::with_capacity(sorted.len());
    for item in sorted {
        match out.last_mut() {
            Some(last) if last.0 == item.0 => *last = item,
            _ => out.push(item),
        }
    }
    out
}

fn write_seq<T>(
    out: &mut String,
    depth: usize,
    open: char,
    close: char,
    items: &[T],
    mut each: impl FnMut(&mut String, &T),
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    for (n, item) in items.iter().enumerate() {
        out.push_str(if n == 0 { "\n" } else { ",\n" });
        indent(out, depth + 1);
        each(out, item);
    }
    out.push('\n');
    indent(out, depth);
    out.push(close);
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// The inside of a JSON string literal holding `text`, as serde_json escapes it, with the `$`
/// or `%` of any `${` or `%{` escaped too, so the heredoc holds no template marker of its own.
fn escaped(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_string()).to_string();
    let inner = &quoted[1..quoted.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match marker_escape(c, chars.peek()) {
            Some(escape) => out.push_str(escape),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(doc: &Json) -> String {
        let mut out = String::new();
        doc.write(&mut out, 0);
        out
    }

    #[test]
    fn layout_matches_serde_json_pretty() {
        let doc = Json::object([
            ("a", Json::Int(1)),
            (
                "b",
                Json::array([Json::Bool(true), Json::text("x"), Json::array([])]),
            ),
            ("c", Json::object(Vec::<(String, Json)>::new())),
            ("d", Json::object([("e", Json::texts(["f", "g"]))])),
        ]);
        let expected = serde_json::to_string_pretty(&serde_json::json!({
            "a": 1, "b": [true, "x", []], "c": {}, "d": {"e": ["f", "g"]}
        }))
        .unwrap_or_default();
        assert_eq!(text(&doc), expected);
    }

    #[test]
    fn text_never_becomes_an_interpolation_or_leaves_its_string() {
        let hostile = "a\"}\n${file(\"/etc/hostname\")} %{if x}@@var.x@@ $${y} \\ \u{2028}";
        let doc = Json::object([(hostile, Json::text(hostile))]);
        let out = text(&doc);
        assert!(!out.contains("\n${"), "{out}");
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(!out.contains("${") && !out.contains("%{"), "{out}");
        assert!(out.contains("\\u0024{file"), "{out}");
        assert!(out.contains("\\u0025{if"), "{out}");
        assert!(out.contains("$\\u0024{y}"), "{out}");
        assert!(out.contains("@@var.x@@"), "{out}");
    }

    #[test]
    fn references_are_interpolated() {
        let doc = Json::Str(vec![Part::r("var.name_prefix"), Part::text("-x")]);
        assert_eq!(text(&doc), "\"${var.name_prefix}-x\"");
    }
}
