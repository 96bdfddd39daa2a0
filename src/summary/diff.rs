//! Attribute-level changes between a resource's `before` and `after`, with secrets masked.
//!
//! Values are turned into display text here, at parse time, so nothing that leaves this module
//! can hold a value marked sensitive: a marked subtree becomes `(sensitive)` before it is
//! rendered, and any string containing a known secret (a value marked sensitive anywhere in the
//! plan) is masked too, because Terraform copies secrets into unmarked attributes (for example
//! `terraform_data.output` mirrors a sensitive `input` without its mark).

use std::fmt;

use serde_json::Value;

pub use super::marker::is_true;
use super::secrets::{SENSITIVE, Secrets};

/// Longest value text kept for display, in characters.
const MAX_VALUE_CHARS: usize = 160;

/// A value as a summary may show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Null or missing.
    Absent,
    /// Display text (JSON-like, secrets masked, possibly shortened).
    Value(String),
    Sensitive,
    Unknown,
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Absent => f.write_str("null"),
            Shown::Value(s) => f.write_str(s),
            Shown::Sensitive => f.write_str("(sensitive)"),
            Shown::Unknown => f.write_str("(known after apply)"),
        }
    }
}

/// One changed attribute of an update or replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrChange {
    /// `tracing_config[0].mode`, `tags["Cost Center"]`.
    pub path: String,
    pub before: Shown,
    pub after: Shown,
    /// The attribute is (under) one of the change's `replace_paths`.
    pub forces_replacement: bool,
}

/// The five parallel trees of a change, at one path.
#[derive(Clone, Copy)]
pub struct Sides<'v> {
    pub before: Option<&'v Value>,
    pub after: Option<&'v Value>,
    pub after_unknown: &'v Value,
    pub before_sensitive: &'v Value,
    pub after_sensitive: &'v Value,
}

static NULL: Value = Value::Null;

impl<'v> Sides<'v> {
    fn key(&self, k: &str) -> Sides<'v> {
        Sides {
            before: self.before.and_then(|v| v.get(k)),
            after: self.after.and_then(|v| v.get(k)),
            after_unknown: child_key(self.after_unknown, k),
            before_sensitive: child_key(self.before_sensitive, k),
            after_sensitive: child_key(self.after_sensitive, k),
        }
    }

    fn index(&self, i: usize) -> Sides<'v> {
        Sides {
            before: self.before.and_then(|v| v.get(i)),
            after: self.after.and_then(|v| v.get(i)),
            after_unknown: child_index(self.after_unknown, i),
            before_sensitive: child_index(self.before_sensitive, i),
            after_sensitive: child_index(self.after_sensitive, i),
        }
    }

    /// The sides at `path` (object keys and list indices); a `true` marker covers its subtree.
    pub fn at(&self, path: &[PathStep<'_>]) -> Sides<'v> {
        let mut s = *self;
        for step in path {
            let mut next = match step {
                PathStep::Key(k) => s.key(k),
                PathStep::Index(i) => s.index(*i),
            };
            for (parent, child) in [
                (s.after_unknown, &mut next.after_unknown),
                (s.before_sensitive, &mut next.before_sensitive),
                (s.after_sensitive, &mut next.after_sensitive),
            ] {
                if is_true(parent) {
                    *child = parent;
                }
            }
            s = next;
        }
        s
    }

    /// The before value; masked where either side is marked sensitive, as Terraform does.
    pub fn before_shown(&self, secrets: &Secrets) -> Shown {
        let marks = union(self.before_sensitive, self.after_sensitive);
        shown(self.before, &marks, &NULL, secrets)
    }

    /// The after value; masked where either side is marked sensitive, as Terraform does.
    pub fn after_shown(&self, secrets: &Secrets) -> Shown {
        let marks = union(self.before_sensitive, self.after_sensitive);
        shown(self.after, &marks, self.after_unknown, secrets)
    }
}

/// A step of an attribute path.
#[derive(Debug, Clone, Copy)]
pub enum PathStep<'p> {
    Key(&'p str),
    Index(usize),
}

/// The marks of both sides together: `true` wherever either is.
fn union(a: &Value, b: &Value) -> Value {
    if is_true(a) || is_true(b) {
        return Value::Bool(true);
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut out = x.clone();
            for (k, v) in y {
                let merged = union(x.get(k).unwrap_or(&NULL), v);
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(x), Value::Array(y)) => {
            let n = x.len().max(y.len());
            Value::Array(
                (0..n)
                    .map(|i| union(x.get(i).unwrap_or(&NULL), y.get(i).unwrap_or(&NULL)))
                    .collect(),
            )
        }
        (Value::Object(_) | Value::Array(_), _) => a.clone(),
        _ => b.clone(),
    }
}

fn child_key<'v>(marker: &'v Value, k: &str) -> &'v Value {
    match marker {
        Value::Object(m) => m.get(k).unwrap_or(&NULL),
        _ => &NULL,
    }
}

fn child_index(marker: &Value, i: usize) -> &Value {
    match marker {
        Value::Array(a) => a.get(i).unwrap_or(&NULL),
        _ => &NULL,
    }
}

/// Every changed attribute between the two sides, in path order.
pub fn diff(sides: Sides<'_>, replace_paths: &[String], secrets: &Secrets) -> Vec<AttrChange> {
    let mut out = Vec::new();
    let mut path = String::new();
    walk(&mut out, &mut path, sides, secrets);
    for c in &mut out {
        c.forces_replacement = replace_paths
            .iter()
            .any(|rp| under(&c.path, rp) || under(rp, &c.path));
    }
    out
}

/// Whether `path` is `prefix` or lies beneath it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

fn walk(out: &mut Vec<AttrChange>, path: &mut String, s: Sides<'_>, secrets: &Secrets) {
    let before = s.before.filter(|v| !v.is_null());
    let after = s.after.filter(|v| !v.is_null());
    if is_true(s.after_unknown) {
        out.push(AttrChange {
            path: display_path(path),
            before: s.before_shown(secrets),
            after: Shown::Unknown,
            forces_replacement: false,
        });
        return;
    }
    if is_true(s.before_sensitive) || is_true(s.after_sensitive) {
        // Compare without showing: either the value or its marking changed. Like Terraform,
        // a value sensitive on either side is hidden on both.
        if before != after || s.before_sensitive != s.after_sensitive {
            let mask = |v: Option<&Value>| match v {
                None => Shown::Absent,
                Some(_) => Shown::Sensitive,
            };
            out.push(AttrChange {
                path: display_path(path),
                before: mask(before),
                after: mask(after),
                forces_replacement: false,
            });
        }
        return;
    }
    let composite = |v: Option<&Value>| match v {
        Some(Value::Object(_)) => true,
        Some(Value::Array(items)) => items.iter().any(|i| i.is_object() || i.is_array()),
        _ => false,
    };
    let objects = matches!(
        (before, after),
        (Some(Value::Object(_)), Some(Value::Object(_)) | None) | (None, Some(Value::Object(_)))
    );
    let arrays = matches!(
        (before, after),
        (Some(Value::Array(_)), Some(Value::Array(_)) | None) | (None, Some(Value::Array(_)))
    ) && (composite(before) || composite(after));
    if objects {
        let mut keys: Vec<&String> = before
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys())
            .chain(
                after
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|m| m.keys()),
            )
            // Terraform leaves unknown attributes out of `after` and marks them here only.
            .chain(
                s.after_unknown
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.keys()),
            )
            .collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let len = path.len();
            push_key_masked(path, k, secrets);
            walk(out, path, s.key(k), secrets);
            path.truncate(len);
        }
    } else if arrays {
        let n = [before, after]
            .iter()
            .map(|v| v.and_then(Value::as_array).map_or(0, Vec::len))
            .max()
            .unwrap_or(0);
        for i in 0..n {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            walk(out, path, s.index(i), secrets);
            path.truncate(len);
        }
    } else if before != after {
        out.push(AttrChange {
            path: display_path(path),
            before: s.before_shown(secrets),
            after: s.after_shown(secrets),
            forces_replacement: false,
        });
    }
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(whole object)".to_string()
    } else {
        path.to_string()
    }
}

/// Appends `.key`, or `["key"]` when the key is not an identifier.
pub fn push_key(path: &mut String, key: &str) {
    let ident = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Value::String(key.to_string()).to_string());
        path.push(']');
    }
}

/// `push_key`, but a key that is or holds a secret becomes `(sensitive)`.
pub fn push_key_masked(path: &mut String, key: &str, secrets: &Secrets) {
    if secrets.hides(key) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(SENSITIVE);
    } else {
        push_key(path, key);
    }
}

/// A value for display: masked where marked sensitive or holding a secret, unknown where
/// marked unknown, shortened when long.
pub fn shown(
    value: Option<&Value>,
    sensitive: &Value,
    unknown: &Value,
    secrets: &Secrets,
) -> Shown {
    if is_true(sensitive) {
        return Shown::Sensitive;
    }
    if is_true(unknown) {
        return Shown::Unknown;
    }
    match value {
        None | Some(Value::Null) => Shown::Absent,
        Some(Value::String(s)) if secrets.hides(s) => Shown::Sensitive,
        Some(v) => {
            let mut text = String::new();
            render(&mut text, v, sensitive, unknown, secrets);
            Shown::Value(shorten(text))
        }
    }
}

fn render(out: &mut String, v: &Value, sensitive: &Value, unknown: &Value, secrets: &Secrets) {
    // Stop early on huge values: only the first characters are kept anyway.
    if out.len() > MAX_VALUE_CHARS * 8 {
        return;
    }
    if is_true(sensitive) {
        out.push_str("(sensitive)");
        return;
    }
    if is_true(unknown) {
        out.push_str("(known after apply)");
        return;
    }
    match v {
        Value::String(s) if secrets.hides(s) => out.push_str("(sensitive)"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(
                    out,
                    item,
                    child_index(sensitive, i),
                    child_index(unknown, i),
                    secrets,
                );
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if secrets.hides(k) {
                    out.push_str(SENSITIVE);
                } else {
                    out.push_str(&Value::String(k.clone()).to_string());
                }
                out.push_str(": ");
                render(
                    out,
                    item,
                    child_key(sensitive, k),
                    child_key(unknown, k),
                    secrets,
                );
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Keeps the first characters of a long value.
fn shorten(text: String) -> String {
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let mut head: String = text.chars().take(MAX_VALUE_CHARS - 1).collect();
    head.push('…');
    head
}
