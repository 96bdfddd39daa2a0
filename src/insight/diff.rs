//! `stackform diff-env`: every setting that differs between two environments, grouped by
//! component, read from the module calls of their roots.
//!
//! Each root passes its settings to the shared modules as literal inputs, so comparing the
//! inputs call by call compares everything an environment can vary: tracing, sampling,
//! memory, retention, protection. Names that only differ by the environment's own name
//! (`e-com67-dev-users` and `e-com67-prod-users`) are not differences.

use serde::Serialize;

use super::inventory::Inventory;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub setting: String,
    /// The value in the first environment, as HCL; `None` when it does not set it.
    pub a: Option<String>,
    pub b: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// The module call, `function_payment`.
    pub module: String,
    pub source: String,
    pub settings: Vec<Setting>,
}

/// `e-com67-prod-users` as `e-com67-<env>-users`: the environment's name as a whole word.
fn neutral(text: &str, env: &str) -> String {
    if env.is_empty() {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(env) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + env.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(env);
        } else {
            out.push_str("<env>");
        }
        rest = &rest[at + env.len()..];
    }
    out.push_str(rest);
    out
}

/// The differing settings of every module call either root makes, in the first root's order.
pub fn diff(a_env: &str, a: &Inventory, b_env: &str, b: &Inventory) -> Vec<Component> {
    let mut names: Vec<&str> = a.calls.iter().map(|c| c.name.as_str()).collect();
    for c in &b.calls {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let (ca, cb) = (a.call(name), b.call(name));
        let inputs =
            |call: Option<&super::inventory::ModuleCall>, env: &str| -> Vec<(String, String)> {
                call.map(|c| {
                    c.inputs
                        .iter()
                        .map(|(k, v)| (k.clone(), neutral(v, env)))
                        .collect()
                })
                .unwrap_or_default()
            };
        let (ia, ib) = (inputs(ca, a_env), inputs(cb, b_env));
        let mut keys: Vec<&str> = ia.iter().map(|(k, _)| k.as_str()).collect();
        for (k, _) in &ib {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        let mut settings = Vec::new();
        if ca.is_none() || cb.is_none() {
            settings.push(Setting {
                setting: "(module call)".into(),
                a: ca.map(|_| "present".into()),
                b: cb.map(|_| "present".into()),
            });
        } else {
            for key in keys {
                let va = ia.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                let vb = ib.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                if va != vb {
                    // Show each side as written in its own root.
                    let raw = |call: Option<&super::inventory::ModuleCall>| {
                        call.and_then(|c| c.inputs.iter().find(|(k, _)| k == key))
                            .map(|(_, v)| v.clone())
                    };
                    settings.push(Setting {
                        setting: key.to_string(),
                        a: raw(ca),
                        b: raw(cb),
                    });
                }
            }
        }
        if !settings.is_empty() {
            out.push(Component {
                module: name.to_string(),
                source: ca.or(cb).map(|c| c.source.clone()).unwrap_or_default(),
                settings,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_name_is_neutral_only_as_a_whole_word() {
        assert_eq!(neutral("e-com67-prod-users", "prod"), "e-com67-<env>-users");
        assert_eq!(
            neutral("\"/e-com67/dev/stripe\"", "dev"),
            "\"/e-com67/<env>/stripe\""
        );
        assert_eq!(neutral("devices", "dev"), "devices");
        assert_eq!(neutral("\"dev\"", "dev"), "\"<env>\"");
    }
}
