//! Typed reading of spanned TOML tables that collects every problem instead of stopping at one.
//!
//! A component is read through layers: its own table and, for one environment, the table in
//! `[environments.ENV...]` that overrides it. The override wins per key. Keys that shape a module
//! (a table's keys, an API's routes) may not vary per environment, because modules are shared
//! by every environment; reading them through [`Reader::fixed`] reports such overrides.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::Diagnostics;

pub type Value<'i> = Spanned<DeValue<'i>>;

/// A value read from the stack file, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
    pub path: String,
}

impl<T> Located<T> {
    pub fn new(value: T, span: Range<usize>, path: String) -> Self {
        Self { value, span, path }
    }
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// One table a component is read from.
#[derive(Clone)]
pub struct Layer<'a, 'i> {
    pub table: &'a DeTable<'i>,
    /// Key path of the table, e.g. `environments.prod.functions.payment`.
    pub path: String,
    /// Where to point when a key is missing from the table.
    pub span: Range<usize>,
    pub is_override: bool,
}

/// Reads keys from a base table and its environment override, remembering which keys were asked
/// for so that [`Reader::finish`] can report the rest as unknown.
pub struct Reader<'a, 'i> {
    layers: Vec<Layer<'a, 'i>>,
    known: BTreeSet<&'static str>,
    /// The key path a user should edit for a missing key (the base table's).
    pub path: String,
    pub span: Range<usize>,
}

/// A raw value found for a key, before its type is checked.
pub struct Found<'a, 'i> {
    pub value: &'a Value<'i>,
    pub path: String,
}

impl<'a, 'i> Reader<'a, 'i> {
    pub fn new(layers: Vec<Layer<'a, 'i>>) -> Self {
        let (path, span) = layers
            .iter()
            .find(|l| !l.is_override)
            .or(layers.first())
            .map(|l| (l.path.clone(), l.span.clone()))
            .unwrap_or_default();
        Self {
            layers,
            known: BTreeSet::new(),
            path,
            span,
        }
    }

    pub fn single(table: &'a DeTable<'i>, path: &str, span: Range<usize>) -> Self {
        Self::new(vec![Layer {
            table,
            path: path.to_string(),
            span,
            is_override: false,
        }])
    }

    /// Whether any layer sets `key`, whatever its type.
    pub fn has(&self, key: &str) -> bool {
        self.layers.iter().any(|l| l.table.contains_key(key))
    }

    pub fn key_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// A key that environments may override.
    pub fn get(&mut self, key: &'static str) -> Option<Found<'a, 'i>> {
        self.known.insert(key);
        // Later layers (overrides) win.
        self.layers.iter().rev().find_map(|layer| {
            layer.table.get(key).map(|value| Found {
                value,
                path: join(&layer.path, key),
            })
        })
    }

    /// A key that shapes a shared module and so must not vary per environment.
    pub fn fixed(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Found<'a, 'i>> {
        self.known.insert(key);
        let mut found = None;
        for layer in &self.layers {
            let Some((k, value)) = layer.table.get_key_value(key) else {
                continue;
            };
            let path = join(&layer.path, key);
            if layer.is_override {
                let base = self.path.clone();
                d.error_hint(
                    k.span(),
                    format!("`{path}` cannot vary per environment"),
                    format!(
                        "it shapes a module shared by every environment; set it in `[{base}]` instead"
                    ),
                );
            } else {
                found = Some(Found { value, path });
            }
        }
        found
    }

    /// Reports keys nobody asked for, in every layer.
    pub fn finish(self, d: &mut Diagnostics, allowed_hint: &str) {
        for layer in &self.layers {
            for (key, _) in layer.table.iter() {
                if !self.known.contains(key.get_ref().as_ref()) {
                    let mut known: Vec<&str> = self.known.iter().copied().collect();
                    known.sort_unstable();
                    let hint = if allowed_hint.is_empty() {
                        format!("known keys here: {}", known.join(", "))
                    } else {
                        allowed_hint.to_string()
                    };
                    d.error_hint(
                        key.span(),
                        format!("unknown key `{}`", join(&layer.path, key.get_ref())),
                        suggest(key.get_ref(), &known).unwrap_or(hint),
                    );
                }
            }
        }
    }

    pub fn missing(&self, d: &mut Diagnostics, key: &str, what: &str) {
        d.error_hint(
            self.span.clone(),
            format!("`{}` is missing", self.key_path(key)),
            format!("add `{key} = {what}` to `[{}]`", self.path),
        );
    }
}

fn join(path: &str, key: &str) -> String {
    let key = if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.is_empty()
    {
        key.to_string()
    } else {
        format!("\"{key}\"")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// "did you mean" for a misspelt key: the known key within two edits.
pub fn suggest(key: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// Typed views of a found value; each reports a wrong type and yields `None`.
impl<'a, 'i> Found<'a, 'i> {
    fn wrong_type(&self, d: &mut Diagnostics, expected: &str) {
        d.error(
            self.value.span(),
            format!(
                "`{}` must be {expected}, got {}",
                self.path,
                self.value.get_ref().type_str()
            ),
        );
    }

    pub fn string(self, d: &mut Diagnostics) -> Option<Located<String>> {
        match self.value.get_ref() {
            DeValue::String(s) => Some(Located::new(s.to_string(), self.value.span(), self.path)),
            _ => {
                self.wrong_type(d, "a string");
                None
            }
        }
    }

    pub fn bool(self, d: &mut Diagnostics) -> Option<Located<bool>> {
        match self.value.get_ref() {
            DeValue::Boolean(b) => Some(Located::new(*b, self.value.span(), self.path)),
            _ => {
                self.wrong_type(d, "a boolean (true or false)");
                None
            }
        }
    }

    pub fn int(self, d: &mut Diagnostics, min: i64, max: i64) -> Option<Located<i64>> {
        let DeValue::Integer(i) = self.value.get_ref() else {
            self.wrong_type(d, "an integer");
            return None;
        };
        match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if (min..=max).contains(&n) => {
                Some(Located::new(n, self.value.span(), self.path))
            }
            Ok(n) => {
                d.error(
                    self.value.span(),
                    format!("`{}` must be between {min} and {max}, got {n}", self.path),
                );
                None
            }
            Err(_) => {
                d.error(
                    self.value.span(),
                    format!("`{}` must be between {min} and {max}", self.path),
                );
                None
            }
        }
    }

    pub fn float(self, d: &mut Diagnostics, min: f64, max: f64) -> Option<Located<f64>> {
        let n = match self.value.get_ref() {
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            _ => {
                self.wrong_type(d, "a number");
                return None;
            }
        };
        match n {
            Some(n) if n >= min && n <= max => Some(Located::new(n, self.value.span(), self.path)),
            _ => {
                d.error(
                    self.value.span(),
                    format!(
                        "`{}` must be between {min} and {max}, got {}",
                        self.path,
                        self.value_text()
                    ),
                );
                None
            }
        }
    }

    fn value_text(&self) -> String {
        match self.value.get_ref() {
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Integer(i) => i.to_string(),
            other => other.type_str().to_string(),
        }
    }

    /// A string that must be one of `choices`.
    pub fn choice(self, d: &mut Diagnostics, choices: &[&str]) -> Option<Located<String>> {
        let path = self.path.clone();
        let s = self.string(d)?;
        if choices.contains(&s.value.as_str()) {
            Some(s)
        } else {
            let list = choices
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            d.error(
                s.span.clone(),
                format!("`{path}` must be one of {list}, got \"{}\"", s.value),
            );
            None
        }
    }

    pub fn strings(self, d: &mut Diagnostics) -> Option<Vec<Located<String>>> {
        let DeValue::Array(items) = self.value.get_ref() else {
            self.wrong_type(d, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let found = Found {
                value: item,
                path: format!("{}[{n}]", self.path),
            };
            if let Some(s) = found.string(d) {
                out.push(s);
            }
        }
        Some(out)
    }

    pub fn table(self, d: &mut Diagnostics) -> Option<(&'a DeTable<'i>, Range<usize>, String)> {
        match self.value.get_ref() {
            DeValue::Table(t) => Some((t, self.value.span(), self.path)),
            _ => {
                self.wrong_type(d, "a table");
                None
            }
        }
    }

    /// An array of tables (`[[x]]` or an inline array of `{ ... }`).
    pub fn tables(self, d: &mut Diagnostics) -> Vec<(&'a DeTable<'i>, Range<usize>, String)> {
        let DeValue::Array(items) = self.value.get_ref() else {
            self.wrong_type(d, "an array of tables");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let found = Found {
                value: item,
                path: format!("{}[{n}]", self.path),
            };
            if let Some(t) = found.table(d) {
                out.push(t);
            }
        }
        out
    }

    /// A table of string values, e.g. `{ products = "read" }`.
    pub fn string_map(self, d: &mut Diagnostics) -> Vec<(Located<String>, Located<String>)> {
        let Some((table, _, path)) = self.table(d) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table.iter() {
            let found = Found {
                value,
                path: join(&path, key.get_ref()),
            };
            let key = Located::new(key.get_ref().to_string(), key.span(), found.path.clone());
            if let Some(v) = found.string(d) {
                out.push((key, v));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_keys_get_a_suggestion() {
        assert_eq!(
            suggest("memroy", &["memory", "timeout"]).as_deref(),
            Some("did you mean `memory`?")
        );
        assert_eq!(suggest("colour", &["memory", "timeout"]), None);
    }

    #[test]
    fn key_paths_quote_keys_that_are_not_bare() {
        assert_eq!(join("functions", "pay ment"), "functions.\"pay ment\"");
        assert_eq!(join("", "stack"), "stack");
    }
}
