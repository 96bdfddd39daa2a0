//! The parts of Terraform's plan JSON that summaries read, as borrowed serde types.
//!
//! Plans reach hundreds of megabytes, almost all of it attribute values. Strings borrow from
//! the input and values stay raw JSON text (`RawValue`) until a resource needs an
//! attribute-level diff, so the common path allocates little and never builds a `Value` tree.
//! Every field is optional: format 0.1 plans lack many of them, and unknown fields are skipped.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, Visitor};
use serde_json::value::RawValue;

/// A string that borrows from the input unless it contains escapes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

pub type Raw<'a> = &'a RawValue;

#[derive(Debug, Deserialize)]
pub struct PlanDoc<'a> {
    #[serde(borrow)]
    pub format_version: Option<Text<'a>>,
    #[serde(borrow)]
    pub resource_changes: Option<Vec<ResourceChangeDoc<'a>>>,
    #[serde(borrow)]
    pub resource_drift: Option<Vec<ResourceChangeDoc<'a>>>,
    #[serde(borrow)]
    pub output_changes: Option<BTreeMap<Text<'a>, ChangeDoc<'a>>>,
    pub action_invocations: Option<Vec<IgnoredAny>>,
    #[serde(borrow)]
    pub planned_values: Option<ValuesDoc<'a>>,
    #[serde(borrow)]
    pub prior_state: Option<StateDoc<'a>>,
    #[serde(borrow)]
    pub configuration: Option<ConfigDoc<'a>>,
    #[serde(borrow)]
    pub variables: Option<BTreeMap<Text<'a>, VariableDoc<'a>>>,
    /// Present in state documents (`terraform show -json` without a plan file).
    pub values: Option<IgnoredAny>,
    pub errored: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct ResourceChangeDoc<'a> {
    #[serde(borrow)]
    pub address: Option<Text<'a>>,
    #[serde(borrow)]
    pub previous_address: Option<Text<'a>>,
    #[serde(borrow)]
    pub module_address: Option<Text<'a>>,
    #[serde(borrow)]
    pub mode: Option<Text<'a>>,
    #[serde(borrow, rename = "type")]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub index: Option<Raw<'a>>,
    #[serde(borrow)]
    pub deposed: Option<Text<'a>>,
    #[serde(borrow)]
    pub action_reason: Option<Text<'a>>,
    #[serde(borrow)]
    pub change: Option<ChangeDoc<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct ChangeDoc<'a> {
    #[serde(borrow)]
    pub actions: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    pub before: Option<Raw<'a>>,
    #[serde(borrow)]
    pub after: Option<Raw<'a>>,
    #[serde(borrow)]
    pub after_unknown: Option<Raw<'a>>,
    /// A marker written as `null` is kept (as `Some("null")`): it is not what Terraform
    /// writes, so it must not read as an absent marker.
    #[serde(borrow, default, deserialize_with = "present")]
    pub before_sensitive: Option<Raw<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub after_sensitive: Option<Raw<'a>>,
    #[serde(borrow)]
    pub replace_paths: Option<Raw<'a>>,
    #[serde(borrow)]
    pub importing: Option<Raw<'a>>,
}

/// A field that is present, even as `null`, as its raw text.
fn present<'de: 'a, 'a, D: de::Deserializer<'de>>(d: D) -> Result<Option<Raw<'a>>, D::Error> {
    <&'a RawValue>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct ValuesDoc<'a> {
    #[serde(borrow)]
    pub outputs: Option<BTreeMap<Text<'a>, OutputValueDoc>>,
}

#[derive(Debug, Deserialize)]
pub struct StateDoc<'a> {
    #[serde(borrow)]
    pub values: Option<ValuesDoc<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct OutputValueDoc {
    pub sensitive: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigDoc<'a> {
    #[serde(borrow)]
    pub root_module: Option<ConfigModuleDoc<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigModuleDoc<'a> {
    #[serde(borrow)]
    pub outputs: Option<BTreeMap<Text<'a>, OutputValueDoc>>,
    #[serde(borrow)]
    pub variables: Option<BTreeMap<Text<'a>, OutputValueDoc>>,
}

#[derive(Debug, Deserialize)]
pub struct VariableDoc<'a> {
    #[serde(borrow)]
    pub value: Option<Raw<'a>>,
}

/// Parses a raw value; `None` for an absent value or one that is not valid on its own.
pub fn parse(raw: Option<Raw<'_>>) -> Option<serde_json::Value> {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
}
