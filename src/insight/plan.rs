//! Reads a plan JSON document (`terraform show -json PLANFILE`) as the inventory of what will
//! exist after apply: every resource that is kept, created, updated or replaced, with its
//! planned values.
//!
//! Values a plan cannot know carry no origin, so the links between resources come from the
//! plan's `configuration` section instead: each resource's references, followed through module
//! inputs and outputs to the resources they name.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::Value;

use super::inventory::{Inventory, Mode, Resource};
use super::value::Val;

/// UTF-8 text of a plan, without a byte-order mark; UTF-16 (PowerShell's `>`) is converted.
fn decode(bytes: &[u8]) -> Result<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(String::from_utf8_lossy(rest).into_owned());
    }
    let utf16 = match bytes {
        [0xFF, 0xFE, rest @ ..] => Some((rest, true)),
        [0xFE, 0xFF, rest @ ..] => Some((rest, false)),
        _ => None,
    };
    if let Some((rest, little)) = utf16 {
        let units = rest.chunks_exact(2).map(|p| {
            if little {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        return Ok(char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => bail!("it is not UTF-8 text ({e})"),
    }
}

/// Parses a plan document's bytes.
pub fn parse(bytes: &[u8]) -> Result<Value> {
    let text = decode(bytes)?;
    match serde_json::from_str(&text) {
        Ok(doc) => Ok(doc),
        Err(e) => bail!(
            "it is not one JSON document ({e}); expected the output of `terraform show -json PLANFILE`"
        ),
    }
}

/// Reads the inventory of a plan document. `name` is how messages call it.
pub fn read(bytes: &[u8], name: &str) -> Result<Inventory> {
    read_document(&parse(bytes)?, name)
}

/// The inventory of a parsed plan document.
pub fn read_document(doc: &Value, name: &str) -> Result<Inventory> {
    if doc.get("resource_changes").is_none() && doc.get("planned_values").is_none() {
        bail!(
            "it has neither `resource_changes` nor `planned_values`; expected the output of `terraform show -json PLANFILE`"
        );
    }
    let refs = config_refs(doc);
    let mut resources = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(changes) = doc["resource_changes"].as_array() {
        for rc in changes {
            let actions: Vec<&str> = rc["change"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            // Deleted and forgotten resources will not exist after apply; a deposed object is
            // the old half of a replacement.
            if rc.get("deposed").is_some_and(|d| !d.is_null())
                || actions.is_empty()
                || actions.iter().all(|a| matches!(*a, "delete" | "forget"))
            {
                continue;
            }
            let change = &rc["change"];
            if let Some(r) = resource(
                rc,
                Val::from_plan(change.get("after"), change.get("after_unknown")),
                &refs,
            ) && seen.insert(r.address())
            {
                resources.push(r);
            }
        }
    } else {
        planned(
            &doc["planned_values"]["root_module"],
            &refs,
            &mut resources,
            &mut seen,
        );
    }
    // Data sources read while planning are in the prior state, not among the changes.
    let mut data = Vec::new();
    planned(
        &doc["prior_state"]["values"]["root_module"],
        &refs,
        &mut data,
        &mut seen,
    );
    resources.extend(data.into_iter().filter(|r| r.mode == Mode::Data));
    resources.sort_by_key(Resource::address);
    Ok(Inventory {
        origin: super::inventory::Origin::Plan(name.to_string()),
        resources,
        calls: Vec::new(),
        notes: Vec::new(),
    })
}

/// A resource from a `resource_changes` or `planned_values` entry.
fn resource(
    entry: &Value,
    values: Val,
    refs: &BTreeMap<String, BTreeSet<String>>,
) -> Option<Resource> {
    let kind = entry["type"].as_str()?.to_string();
    let name = entry["name"].as_str()?.to_string();
    let mode = match entry["mode"].as_str() {
        Some("data") => Mode::Data,
        _ => Mode::Managed,
    };
    let module = entry["module_address"].as_str().unwrap_or("").to_string();
    let key = match &entry["index"] {
        Value::Number(n) => format!("[{n}]"),
        Value::String(s) => format!("[{}]", Value::String(s.clone())),
        _ => String::new(),
    };
    let mut r = Resource {
        module,
        mode,
        kind,
        name,
        key,
        values,
        refs: BTreeSet::new(),
        location: None,
    };
    if let Some(found) = refs.get(&r.config_address()) {
        r.refs = found.clone();
        r.refs.remove(&r.config_address());
    }
    Some(r)
}

fn planned(
    module: &Value,
    refs: &BTreeMap<String, BTreeSet<String>>,
    out: &mut Vec<Resource>,
    seen: &mut BTreeSet<String>,
) {
    for entry in module["resources"].as_array().into_iter().flatten() {
        if let Some(r) = resource(entry, Val::from_plan(entry.get("values"), None), refs)
            && seen.insert(r.address())
        {
            out.push(r);
        }
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        planned(child, refs, out, seen);
    }
}

/// A module of the configuration section and how it was called.
struct ConfigModule<'a> {
    body: &'a Value,
    /// The calling module's path and the call's `expressions`.
    caller: Option<(String, &'a Value)>,
}

/// Every configured resource's references, resolved to configuration addresses of resources.
fn config_refs(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<String, ConfigModule> = BTreeMap::new();
    let mut stack = vec![(String::new(), &doc["configuration"]["root_module"], None)];
    while let Some((path, body, caller)) = stack.pop() {
        if let Some(calls) = body["module_calls"].as_object() {
            for (name, call) in calls {
                let child = prefixed(&path, &format!("module.{name}"));
                stack.push((
                    child,
                    &call["module"],
                    Some((path.clone(), &call["expressions"])),
                ));
            }
        }
        modules.insert(path, ConfigModule { body, caller });
    }
    let mut out = BTreeMap::new();
    for (path, module) in &modules {
        for r in module.body["resources"].as_array().into_iter().flatten() {
            let Some(address) = r["address"].as_str() else {
                continue;
            };
            let mut found = BTreeSet::new();
            let mut references = Vec::new();
            for key in ["expressions", "count_expression", "for_each_expression"] {
                collect_references(&r[key], &mut references);
            }
            // Terraform lists `var.m["k"]` and then `var.m`; the bare one adds nothing and would
            // name every item of the map.
            let specific: Vec<String> = references
                .iter()
                .filter(|r| {
                    !references.iter().any(|other| {
                        other.len() > r.len()
                            && other.starts_with(r.as_str())
                            && other[r.len()..].starts_with(['[', '.'])
                    })
                })
                .cloned()
                .collect();
            for reference in specific {
                found.extend(resolve(&modules, path, &reference, 0));
            }
            out.insert(prefixed(path, address), found);
        }
    }
    out
}

fn prefixed(path: &str, local: &str) -> String {
    if path.is_empty() {
        local.to_string()
    } else {
        format!("{path}.{local}")
    }
}

/// Every string of every `references` array inside an expression tree.
fn collect_references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "references" {
                    out.extend(
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|s| s.as_str().map(str::to_string)),
                    );
                } else {
                    collect_references(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_references(i, out)),
        _ => {}
    }
}

/// `var.function_arns["cart"]` as `["var", "function_arns"]` and the key `cart`.
fn parse_reference(reference: &str) -> (Vec<String>, Option<String>) {
    let mut parts = Vec::new();
    let mut key = None;
    let mut rest = reference;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            if key.is_none() {
                key = Some(after[..end].trim_matches('"').to_string());
            }
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let rest_trim = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_trim.find(['.', '[']).unwrap_or(rest_trim.len());
            parts.push(rest_trim[..end].to_string());
            rest = &rest_trim[end..];
        }
    }
    (parts, key)
}

fn resolve(
    modules: &BTreeMap<String, ConfigModule>,
    path: &str,
    reference: &str,
    depth: usize,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if depth > 32 {
        return out;
    }
    let (parts, key) = parse_reference(reference);
    let part = |i: usize| parts.get(i).map(String::as_str);
    match part(0) {
        Some("var") => {
            let (Some(name), Some(module)) = (part(1), modules.get(path)) else {
                return out;
            };
            let Some((caller, expressions)) = &module.caller else {
                return out;
            };
            let mut references = Vec::new();
            collect_references(&expressions[name], &mut references);
            for r in references {
                out.extend(resolve(modules, caller, &r, depth + 1));
            }
            // `var.m["cart"]` names one item of a map input. The plan records the input's
            // references, not which key holds which, so keep the module whose call ends in the
            // key (`module.function_cart`) when exactly that narrows it down.
            if let Some(key) = key {
                let narrowed: BTreeSet<String> = out
                    .iter()
                    .filter(|o| {
                        o.split('.').collect::<Vec<_>>().windows(2).any(|w| {
                            w[0] == "module" && (w[1] == key || w[1].ends_with(&format!("_{key}")))
                        })
                    })
                    .cloned()
                    .collect();
                if !narrowed.is_empty() {
                    out = narrowed;
                }
            }
        }
        Some("module") => {
            let (Some(call), Some(output)) = (part(1), part(2)) else {
                return out;
            };
            let child = prefixed(path, &format!("module.{call}"));
            let Some(module) = modules.get(&child) else {
                return out;
            };
            let mut references = Vec::new();
            collect_references(
                &module.body["outputs"][output]["expression"],
                &mut references,
            );
            for r in references {
                out.extend(resolve(modules, &child, &r, depth + 1));
            }
        }
        Some("data") => {
            if let (Some(t), Some(n)) = (part(1), part(2)) {
                out.insert(prefixed(path, &format!("data.{t}.{n}")));
            }
        }
        Some("local" | "each" | "count" | "path" | "self" | "terraform") | None => {}
        Some(t) => {
            if let Some(n) = part(1) {
                out.insert(prefixed(path, &format!("{t}.{n}")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_parse_with_their_key() {
        assert_eq!(
            parse_reference("var.function_arns[\"cart\"]"),
            (
                vec!["var".into(), "function_arns".into()],
                Some("cart".into())
            )
        );
        assert_eq!(
            parse_reference("aws_dynamodb_table.this[0].arn"),
            (
                vec!["aws_dynamodb_table".into(), "this".into(), "arn".into()],
                Some("0".into())
            )
        );
    }

    #[test]
    fn references_follow_module_inputs_and_outputs() {
        let doc = json!({
            "resource_changes": [],
            "configuration": {"root_module": {"module_calls": {
                "api": {"expressions": {"arns": {"references": [
                    "module.function_cart.invoke_arn", "module.function_cart",
                    "module.function_search.invoke_arn", "module.function_search"]}},
                    "module": {"resources": [{"address": "aws_api_gateway_integration.get_cart",
                        "expressions": {"uri": {"references": ["var.arns[\"cart\"]", "var.arns"]}}}]}},
                "function_cart": {"module": {"outputs": {"invoke_arn": {"expression": {"references": [
                    "aws_lambda_function.this.invoke_arn", "aws_lambda_function.this"]}}}}},
                "function_search": {"module": {"outputs": {"invoke_arn": {"expression": {"references": [
                    "aws_lambda_function.this.invoke_arn", "aws_lambda_function.this"]}}}}}
            }}}
        });
        let refs = config_refs(&doc);
        assert_eq!(
            refs.get("module.api.aws_api_gateway_integration.get_cart"),
            Some(&BTreeSet::from([
                "module.function_cart.aws_lambda_function.this".to_string()
            ]))
        );
    }

    #[test]
    fn deleted_resources_do_not_exist_after_apply() {
        let doc = json!({"resource_changes": [
            {"address": "aws_sfn_state_machine.a", "type": "aws_sfn_state_machine", "name": "a",
             "mode": "managed", "change": {"actions": ["delete"], "before": {}, "after": null}},
            {"address": "aws_sfn_state_machine.b", "type": "aws_sfn_state_machine", "name": "b",
             "mode": "managed", "change": {"actions": ["create"], "after": {"name": "b"},
             "after_unknown": {"arn": true}}}
        ]});
        let inv = read(doc.to_string().as_bytes(), "plan.json").unwrap_or_else(|e| panic!("{e}"));
        let addresses: Vec<String> = inv.resources.iter().map(Resource::address).collect();
        assert_eq!(addresses, ["aws_sfn_state_machine.b"]);
        assert!(read(b"{}", "x").is_err());
        assert!(read(b"not json", "x").is_err());
    }
}
