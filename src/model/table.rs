//! DynamoDB tables: `[tables.NAME]`.

use super::diag::Diagnostics;
use super::reader::{Located, Reader};
use super::settings::Settings;

#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: Located<String>,
    pub hash_key: String,
    pub range_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub key: String,
    pub hash_key: Located<String>,
    pub range_key: Option<Located<String>>,
    /// Key attribute types other than the default `S`.
    pub attribute_types: Vec<(Located<String>, Located<String>)>,
    pub indexes: Vec<Index>,
    pub ttl_attribute: Option<String>,
    pub contributor_insights: bool,
    pub contributor_insights_at: Option<Located<bool>>,
    pub point_in_time_recovery: bool,
    pub deletion_protection: bool,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl Table {
    pub fn read(key: &str, r: &mut Reader, d: &mut Diagnostics, settings: &Settings) -> Self {
        let hash_key = match r.fixed(d, "hash_key") {
            Some(f) => f.string(d),
            None => {
                r.missing(d, "hash_key", "\"id\"");
                None
            }
        }
        .unwrap_or_else(|| Located::new("id".into(), r.span.clone(), r.key_path("hash_key")));
        let range_key = r.fixed(d, "range_key").and_then(|f| f.string(d));
        let attribute_types = r
            .fixed(d, "attribute_types")
            .map(|f| f.string_map(d))
            .unwrap_or_default();
        for (_, ty) in &attribute_types {
            if !["S", "N", "B"].contains(&ty.value.as_str()) {
                d.error_hint(
                    ty.span.clone(),
                    format!(
                        "`{}` must be \"S\", \"N\" or \"B\", got \"{}\"",
                        ty.path, ty.value
                    ),
                    "key attributes are strings (S), numbers (N) or binary (B)",
                );
            }
        }
        let mut indexes = Vec::new();
        if let Some(f) = r.fixed(d, "indexes") {
            for (table, span, path) in f.tables(d) {
                let mut ir = Reader::single(table, &path, span);
                let name = ir.get("name").and_then(|f| f.string(d));
                if name.is_none() {
                    ir.missing(d, "name", "\"by_user\"");
                }
                let index_hash = ir.get("hash_key").and_then(|f| f.string(d));
                if index_hash.is_none() {
                    ir.missing(d, "hash_key", "\"user_id\"");
                }
                let index_range = ir.get("range_key").and_then(|f| f.string(d));
                ir.finish(d, "");
                if let (Some(name), Some(hash)) = (name, index_hash) {
                    indexes.push(Index {
                        name,
                        hash_key: hash.value,
                        range_key: index_range.map(|s| s.value),
                    });
                }
            }
        }
        let ttl_attribute = r
            .fixed(d, "ttl_attribute")
            .and_then(|f| f.string(d))
            .map(|s| s.value);
        let contributor_insights_at = r.get("contributor_insights").and_then(|f| f.bool(d));
        let contributor_insights = contributor_insights_at
            .as_ref()
            .map_or(settings.contributor_insights, |v| v.value);
        let point_in_time_recovery = r
            .get("point_in_time_recovery")
            .and_then(|f| f.bool(d))
            .map_or(settings.point_in_time_recovery, |v| v.value);
        let deletion_protection = r
            .get("deletion_protection")
            .and_then(|f| f.bool(d))
            .map_or(settings.deletion_protection, |v| v.value);
        Self {
            key: key.to_string(),
            hash_key,
            range_key,
            attribute_types,
            indexes,
            ttl_attribute,
            contributor_insights,
            contributor_insights_at,
            point_in_time_recovery,
            deletion_protection,
            span: r.span.clone(),
            path: r.path.clone(),
        }
    }

    /// Every key attribute of the table and its indexes with its type, sorted by name.
    pub fn key_attributes(&self) -> Vec<(String, String)> {
        let mut names: Vec<&str> = vec![self.hash_key.value.as_str()];
        names.extend(self.range_key.as_ref().map(|k| k.value.as_str()));
        for index in &self.indexes {
            names.push(&index.hash_key);
            names.extend(index.range_key.as_deref());
        }
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                let ty = self
                    .attribute_types
                    .iter()
                    .find(|(n, _)| n.value == name)
                    .map_or("S", |(_, t)| t.value.as_str());
                (name.to_string(), ty.to_string())
            })
            .collect()
    }
}
