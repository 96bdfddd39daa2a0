//! Object literals with one entry per component, built in time linear in their size.
//!
//! hcl-rs keeps an object's entries in a vector map whose every insert scans the keys already
//! there, so an object of n entries costs n²/2 key comparisons: the roots' `function_names`
//! of a 40,000-function stack took longer than everything else `gen` does. Such objects are
//! put in the body as a placeholder instead, each entry is printed by hcl-rs on its own (as a
//! one-entry object, so keys are quoted exactly as in any other object), and [`Objects::expand`]
//! puts the entries in place of the placeholder before the `terraform fmt` pass aligns them.

use std::cell::RefCell;
use std::collections::HashMap;

use hcl::Expression;
use hcl::expr::{Object, ObjectKey, Variable};

/// The large objects of one file (or of files rendered together), by placeholder.
#[derive(Debug, Default)]
pub struct Objects {
    /// Each object's entries, already printed: `key = value` lines at indentation 0.
    printed: RefCell<Vec<String>>,
}

/// Placeholder names hold a character no model key or HCL identifier has, so a placeholder
/// line cannot come from anything else.
const MARK: &str = "stackform·object·";

impl Objects {
    /// An object of `items` (a later duplicate key replaces the earlier value in place, as in
    /// hcl-rs), to be written where the returned expression stands. Values are re-indented
    /// line by line, so they must not hold heredocs (roots map keys to references and small
    /// objects).
    pub fn object<K: AsRef<str>>(
        &self,
        items: impl IntoIterator<Item = (K, Expression)>,
    ) -> Expression {
        let mut entries: Vec<(ObjectKey, Expression)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (k, v) in items {
            let k = k.as_ref();
            match seen.get(k) {
                Some(&i) => entries[i].1 = v,
                None => {
                    seen.insert(k.to_string(), entries.len());
                    entries.push((super::hcl::key(k), v));
                }
            }
        }
        if entries.is_empty() {
            return Expression::Object(Object::new());
        }
        let mut text = String::new();
        for (key, value) in entries {
            let mut one = Object::new();
            one.insert(key, value);
            let printed = hcl::format::to_string(&Expression::Object(one)).unwrap_or_default();
            // `{\n  key = value\n}`: keep the middle lines, two spaces less indented.
            let inner = printed
                .strip_prefix("{\n")
                .and_then(|t| t.strip_suffix('}'))
                .unwrap_or_default();
            for line in inner.lines() {
                text.push_str(line.strip_prefix("  ").unwrap_or(line));
                text.push('\n');
            }
        }
        let mut printed = self.printed.borrow_mut();
        let name = format!("{MARK}{}", printed.len());
        printed.push(text);
        Expression::Variable(Variable::unchecked(name))
    }

    /// `text` (as hcl-rs printed a body holding placeholders of these objects) with each
    /// placeholder replaced by its object.
    pub fn expand(&self, text: &str) -> String {
        let printed = self.printed.borrow();
        if printed.is_empty() {
            return text.to_string();
        }
        let mut out =
            String::with_capacity(text.len() + printed.iter().map(String::len).sum::<usize>());
        for line in text.split_inclusive('\n') {
            let Some((head, index)) = placeholder(line) else {
                out.push_str(line);
                continue;
            };
            let Some(entries) = printed.get(index) else {
                out.push_str(line);
                continue;
            };
            let indent = &head[..head.len() - head.trim_start().len()];
            out.push_str(head);
            out.push_str("{\n");
            for entry in entries.lines() {
                out.push_str(indent);
                out.push_str("  ");
                out.push_str(entry);
                out.push('\n');
            }
            out.push_str(indent);
            out.push_str("}\n");
        }
        out
    }
}

/// Splits `  name = <placeholder N>\n` into `  name = ` and N. Char tests, not a substring
/// search, since every line of a root passes through here.
fn placeholder(line: &str) -> Option<(&str, usize)> {
    let line = line.strip_suffix('\n')?;
    let before_digits = line.trim_end_matches(|c: char| c.is_ascii_digit());
    let head = before_digits.strip_suffix(MARK)?;
    if !head.ends_with(" = ") {
        return None;
    }
    line[before_digits.len()..].parse().ok().map(|n| (head, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::hcl::{obj, r, s};

    fn printed(value: Expression) -> String {
        let body = hcl::Body::builder()
            .add_block(
                hcl::Block::builder("output")
                    .add_label("x")
                    .add_attribute(("description", s("d")))
                    .add_attribute(("value", value))
                    .build(),
            )
            .build();
        hcl::format::to_string(&body).unwrap_or_default()
    }

    #[test]
    fn an_expanded_object_prints_as_hcl_rs_prints_the_object() {
        let items = || {
            vec![
                ("b", r("module.function_b.name")),
                ("a-b", s("quoted \"key\"")),
                ("c", obj([("name", s("n")), ("type", s("t"))])),
                ("b", r("module.function_b.arn")),
            ]
        };
        let objects = Objects::default();
        let expanded = objects.expand(&printed(objects.object(items())));
        assert_eq!(expanded, printed(obj(items())));
        assert!(!expanded.contains(MARK), "{expanded}");
    }

    #[test]
    fn an_empty_object_stays_inline() {
        let objects = Objects::default();
        let items: Vec<(&str, Expression)> = Vec::new();
        assert_eq!(
            objects.expand(&printed(objects.object(items.clone()))),
            printed(obj(items))
        );
    }
}
