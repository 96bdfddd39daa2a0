//! Step Functions state machines: `[state_machines.NAME]`, a sequence of task steps.

use super::diag::Diagnostics;
use super::reader::{Located, Reader};
use super::settings::Settings;

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Function(Located<String>),
    Queue(Located<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: Located<String>,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    pub key: String,
    pub comment: String,
    pub steps: Vec<Step>,
    pub tracing: bool,
    pub tracing_at: Option<Located<bool>>,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl StateMachine {
    pub fn read(key: &str, r: &mut Reader, d: &mut Diagnostics, settings: &Settings) -> Self {
        let comment = r
            .fixed(d, "comment")
            .and_then(|f| f.string(d))
            .map(|s| s.value)
            .unwrap_or_default();
        let mut steps = Vec::new();
        match r.fixed(d, "steps") {
            None => r.missing(d, "steps", "[{ name = \"Step\", function = \"NAME\" }]"),
            Some(f) => {
                for (table, span, path) in f.tables(d) {
                    let mut sr = Reader::single(table, &path, span.clone());
                    let name = sr.get("name").and_then(|f| f.string(d));
                    if name.is_none() && !table.contains_key("name") {
                        sr.missing(d, "name", "\"ValidateCart\"");
                    }
                    let function = sr.get("function").and_then(|f| f.string(d));
                    let queue = sr.get("queue").and_then(|f| f.string(d));
                    sr.finish(d, "");
                    let target = match (function, queue) {
                        (Some(f), None) => Some(Target::Function(f)),
                        (None, Some(q)) => Some(Target::Queue(q)),
                        _ => {
                            d.error_hint(
                                span,
                                format!("`{path}` must name exactly one of `function` or `queue`"),
                                "a step invokes a function or sends the state to a queue",
                            );
                            None
                        }
                    };
                    if let (Some(name), Some(target)) = (name, target) {
                        steps.push(Step { name, target });
                    }
                }
                if steps.is_empty() && !d.is_empty() {
                    // Problems with the steps were reported already.
                } else if steps.is_empty() {
                    d.error(
                        r.span.clone(),
                        format!("`{}` has no steps", r.key_path("steps")),
                    );
                }
            }
        }
        let tracing_at = r.get("tracing").and_then(|f| f.bool(d));
        let tracing = tracing_at
            .as_ref()
            .map_or(settings.state_machine_tracing, |v| v.value);
        Self {
            key: key.to_string(),
            comment,
            steps,
            tracing,
            tracing_at,
            span: r.span.clone(),
            path: r.path.clone(),
        }
    }
}
