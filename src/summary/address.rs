//! Resource addresses and attribute paths as Terraform writes them.
//!
//! Old plans (format 0.1) have no `module_address`, and some early-1.0 drift entries have no
//! `address` at all, so both are rebuilt from the parts the entry does carry.

use serde_json::Value;

use super::diff::push_key_masked;
use super::secrets::Secrets;

/// The module part of a resource address (`module.a["k"].module.b`), `None` at the root.
pub fn module_of(address: &str) -> Option<String> {
    let parts = split(address);
    let mut end = 0;
    let mut i = 0;
    while i + 1 < parts.len() && parts[i] == "module" {
        i += 2;
        end = i;
    }
    // The last two parts are always the resource's type and name.
    if end == 0 || end + 2 > parts.len() {
        return None;
    }
    Some(parts[..end].join("."))
}

/// Splits at dots outside `[...]` and quoted strings.
fn split(address: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0usize, false, false, 0);
    for (i, c) in address.char_indices() {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                parts.push(&address[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&address[start..]);
    parts
}

/// The address of an entry that lacks one, from its module, mode, type, name and index.
pub fn rebuild(
    module: Option<&str>,
    mode: Option<&str>,
    kind: &str,
    name: &str,
    index: Option<&str>,
) -> String {
    let mut out = String::new();
    if let Some(m) = module.filter(|m| !m.is_empty()) {
        out.push_str(m);
        out.push('.');
    }
    if mode == Some("data") {
        out.push_str("data.");
    }
    out.push_str(kind);
    out.push('.');
    out.push_str(name);
    // The raw JSON index is a number or a quoted string: both are written as-is in addresses.
    if let Some(ix) = index.map(str::trim).filter(|ix| *ix != "null") {
        out.push('[');
        out.push_str(ix);
        out.push(']');
    }
    out
}

/// `replace_paths` (lists of steps: strings for attributes and map keys, numbers for list
/// indices) as display paths; steps of other types are skipped rather than failing. A step
/// that is or holds a secret reads `(sensitive)`.
pub fn replace_paths(raw: Option<&Value>, secrets: &Secrets) -> Vec<String> {
    let Some(Value::Array(paths)) = raw else {
        return Vec::new();
    };
    paths
        .iter()
        .filter_map(Value::as_array)
        .map(|steps| {
            let mut path = String::new();
            for step in steps {
                match step {
                    Value::String(s) => push_key_masked(&mut path, s, secrets),
                    Value::Number(n) => path.push_str(&format!("[{n}]")),
                    _ => {}
                }
            }
            path
        })
        .filter(|p| !p.is_empty())
        .collect()
}
