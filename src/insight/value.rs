//! Values of Terraform expressions as far as they are known before apply.
//!
//! A value the plan cannot know (an ARN, an ID) is [`Val::Unknown`] and remembers which
//! resources it derives from: that is how the service map learns that an integration calls a
//! function whose ARN nobody knows yet.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Val>),
    Object(BTreeMap<String, Val>),
    /// Known only after apply; holds the configuration addresses of the resources it derives
    /// from (`module.queue_orders.aws_sqs_queue.this`), when those are known.
    Unknown(BTreeSet<String>),
}

impl Val {
    pub fn unknown() -> Self {
        Self::Unknown(BTreeSet::new())
    }

    pub fn unknown_from(origins: BTreeSet<String>) -> Self {
        Self::Unknown(origins)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }

    /// Whether any part of the value is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Self::Unknown(_) => true,
            Self::List(items) => items.iter().any(Self::has_unknown),
            Self::Object(map) => map.values().any(Self::has_unknown),
            _ => false,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Self::Object(map) => map.get(key),
            _ => None,
        }
    }

    /// `self.a[0].b`-style lookup through objects and the first element of lists, the shape
    /// nested blocks take (`tracing_config[0].mode`).
    pub fn path(&self, keys: &[&str]) -> Option<&Val> {
        let mut v = self;
        for key in keys {
            v = match v {
                Self::List(items) => items.first()?.get(key)?,
                other => other.get(key)?,
            };
        }
        Some(v)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::String(s) if s == "true" => Some(true),
            Self::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Val] {
        match self {
            Self::List(items) => items,
            _ => &[],
        }
    }

    /// Every resource address the value (or any part of it) derives from.
    pub fn origins(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect_origins(&mut out);
        out
    }

    fn collect_origins(&self, out: &mut BTreeSet<String>) {
        match self {
            Self::Unknown(from) => out.extend(from.iter().cloned()),
            Self::List(items) => items.iter().for_each(|v| v.collect_origins(out)),
            Self::Object(map) => map.values().for_each(|v| v.collect_origins(out)),
            _ => {}
        }
    }

    /// Every known string inside the value.
    pub fn strings(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_strings(&mut out);
        out
    }

    fn collect_strings<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Self::String(s) => out.push(s),
            Self::List(items) => items.iter().for_each(|v| v.collect_strings(out)),
            Self::Object(map) => map.values().for_each(|v| v.collect_strings(out)),
            _ => {}
        }
    }

    /// A plan's `after` value with its `after_unknown` marks folded in.
    pub fn from_plan(
        after: Option<&serde_json::Value>,
        unknown: Option<&serde_json::Value>,
    ) -> Self {
        use serde_json::Value as J;
        if unknown == Some(&J::Bool(true)) {
            return Self::unknown();
        }
        match after {
            None | Some(J::Null) => match unknown {
                // Terraform leaves unknown attributes out of `after` and marks them here.
                Some(J::Object(marks)) => Self::Object(
                    marks
                        .iter()
                        .map(|(k, m)| (k.clone(), Self::from_plan(None, Some(m))))
                        .collect(),
                ),
                Some(J::Array(marks)) => Self::List(
                    marks
                        .iter()
                        .map(|m| Self::from_plan(None, Some(m)))
                        .collect(),
                ),
                _ => Self::Null,
            },
            Some(J::Bool(b)) => Self::Bool(*b),
            Some(J::Number(n)) => Self::Number(n.as_f64().unwrap_or(0.0)),
            Some(J::String(s)) => Self::String(s.clone()),
            Some(J::Array(items)) => {
                let marks = unknown.and_then(J::as_array);
                let mut out: Vec<Val> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::from_plan(Some(v), marks.and_then(|m| m.get(i))))
                    .collect();
                // Unknown elements beyond the known ones still count.
                if let Some(marks) = marks {
                    for m in marks.iter().skip(items.len()) {
                        out.push(Self::from_plan(None, Some(m)));
                    }
                }
                Self::List(out)
            }
            Some(J::Object(map)) => {
                let marks = unknown.and_then(J::as_object);
                let mut out: BTreeMap<String, Val> = map
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            Self::from_plan(Some(v), marks.and_then(|m| m.get(k))),
                        )
                    })
                    .collect();
                if let Some(marks) = marks {
                    for (k, m) in marks {
                        if !out.contains_key(k) && m != &J::Bool(false) {
                            out.insert(k.clone(), Self::from_plan(None, Some(m)));
                        }
                    }
                }
                Self::Object(out)
            }
        }
    }

    /// JSON of a fully known value, as `jsonencode` would write it; `None` when any part is
    /// unknown.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match self {
            Self::Null => J::Null,
            Self::Bool(b) => J::Bool(*b),
            Self::Number(n) => number_json(*n),
            Self::String(s) => J::String(s.clone()),
            Self::List(items) => J::Array(items.iter().map(Self::to_json).collect::<Option<_>>()?),
            Self::Object(map) => J::Object(
                map.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Option<_>>()?,
            ),
            Self::Unknown(_) => return None,
        })
    }

    /// Short text for messages and tables: strings bare, numbers without a needless `.0`.
    pub fn display(&self) -> String {
        match self {
            Self::Null => "null".into(),
            Self::Bool(b) => b.to_string(),
            Self::Number(n) => number_text(*n),
            Self::String(s) => s.clone(),
            Self::Unknown(_) => "(known after apply)".into(),
            other => other
                .to_json()
                .map_or_else(|| "(known after apply)".into(), |j| j.to_string()),
        }
    }
}

/// Integers print without a fraction, as Terraform prints them.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn number_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plan_values_fold_in_their_unknown_marks() {
        let after = json!({"name": "a", "tracing_config": [], "tags": {}});
        let unknown = json!({"arn": true, "tracing_config": true, "tags": {}});
        let v = Val::from_plan(Some(&after), Some(&unknown));
        assert_eq!(v.get("name"), Some(&Val::String("a".into())));
        assert!(v.get("arn").is_some_and(Val::is_unknown));
        assert!(v.get("tracing_config").is_some_and(Val::is_unknown));
        assert_eq!(v.get("tags"), Some(&Val::Object(BTreeMap::new())));
    }

    #[test]
    fn nested_blocks_are_read_through_their_first_element() {
        let v = Val::from_plan(Some(&json!({"tracing_config": [{"mode": "Active"}]})), None);
        assert_eq!(
            v.path(&["tracing_config", "mode"]).and_then(Val::as_str),
            Some("Active")
        );
    }

    #[test]
    fn origins_and_json_of_partly_unknown_values() {
        let v = Val::List(vec![
            Val::String("x".into()),
            Val::unknown_from(BTreeSet::from(["module.q.aws_sqs_queue.this".to_string()])),
        ]);
        assert_eq!(v.origins().len(), 1);
        assert_eq!(v.to_json(), None);
        assert_eq!(Val::Number(1.0).to_json(), Some(json!(1)));
        assert_eq!(number_text(0.05), "0.05");
    }
}
