//! Sensitivity markers (`before_sensitive`, `after_sensitive`) read so that they fail closed.
//!
//! Terraform writes a marker in the shape of its value: `true` hides all of it; a scalar gets
//! `false`; an object gets an object that leaves out the keys of values that are not
//! sensitive; a list or set gets an array with one entry per element. Anything else (a string
//! `"true"`, a number, `[true]` or `{"x": true}` on a scalar, `false` or a string on an object,
//! an array shorter than its list, duplicate keys, text that is not JSON) is not a marker
//! Terraform writes, and hides all of the value it covers. A marker is read against its value
//! into a canonical tree (`true`, objects, arrays, `null` for "nothing marked"), which is all
//! the rest of the summary sees.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::plan::Raw;

/// A raw marker's canonical tree for `value`; `null` when the marker is absent (plans before
/// Terraform 0.15 have none) or marks nothing.
pub fn read(value: Option<&Value>, raw: Option<Raw<'_>>) -> Value {
    match raw {
        None => Value::Null,
        Some(raw) => fit(value, &parse(raw.get())),
    }
}

/// The marker parsed as JSON, duplicate keys refused; `true` (hide it all) when it cannot be.
pub fn parse(text: &str) -> Value {
    let mut de = serde_json::Deserializer::from_str(text);
    match Strict
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
    {
        Ok(v) => v,
        Err(_) => Value::Bool(true),
    }
}

/// `marker` made canonical for `value`: every node that is not what Terraform writes for the
/// value under it becomes `true`.
pub fn fit(value: Option<&Value>, marker: &Value) -> Value {
    if matches!(marker, Value::Bool(true)) {
        return Value::Bool(true);
    }
    match (value, marker) {
        // Nothing to show: a tree of `false`, `{}` and `[]` marks nothing.
        (None | Some(Value::Null), m) if marks_nothing(m) => Value::Null,
        (None | Some(Value::Null), _) => Value::Bool(true),
        (Some(Value::Bool(_) | Value::Number(_) | Value::String(_)), Value::Bool(false)) => {
            Value::Null
        }
        (Some(Value::Object(v)), Value::Object(m)) => {
            let mut out = Map::new();
            for (k, mark) in m {
                let fitted = fit(v.get(k), mark);
                if !fitted.is_null() {
                    out.insert(k.clone(), fitted);
                }
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::Object(out)
            }
        }
        // One entry per element; entries past the end cover nothing and are ignored.
        (Some(Value::Array(v)), Value::Array(m)) if m.len() >= v.len() => {
            let out: Vec<Value> = v
                .iter()
                .zip(m)
                .map(|(item, mark)| fit(Some(item), mark))
                .collect();
            if out.iter().all(Value::is_null) {
                Value::Null
            } else {
                Value::Array(out)
            }
        }
        _ => Value::Bool(true),
    }
}

pub fn is_true(marker: &Value) -> bool {
    matches!(marker, Value::Bool(true))
}

/// Whether `marker` is a tree of `false`, `{}` and `[]` only.
fn marks_nothing(marker: &Value) -> bool {
    match marker {
        Value::Bool(false) | Value::Null => true,
        Value::Object(m) => m.values().all(marks_nothing),
        Value::Array(a) => a.iter().all(marks_nothing),
        _ => false,
    }
}

/// Whether a raw marker certainly marks nothing in a value whose raw text is `value`, decided
/// from the text alone: `{}` on an object, `[]` on an empty list, `false` on a scalar or null,
/// anything on null. Everything else must be read with `read`.
pub fn plainly_empty(marker: &str, value: Option<&str>) -> bool {
    let value = value.map(str::trim).unwrap_or("null");
    if value == "null" {
        return marks_nothing(&parse(marker));
    }
    match (marker.trim(), value.as_bytes().first()) {
        ("{}", Some(b'{')) => true,
        ("[]", Some(b'[')) => value[1..].trim_start().starts_with(']'),
        ("false", Some(c)) => !matches!(c, b'{' | b'['),
        _ => false,
    }
}

/// A JSON value as `serde_json::Value`, refusing an object with a key twice.
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sensitivity marker")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom("a key appears twice"));
            }
            let v = map.next_value_seed(Strict)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}
