//! Model text is rendered as values, never as HCL syntax: a fuzzer puts hostile text (quotes,
//! backslashes, line breaks, `${`, `%{`, `@@`, comment markers, heredoc delimiters, arbitrary
//! Unicode) into every string field of the E-Com67 model and checks what comes out.
//!
//! For each case the model either rejects the value with a located error, or every rendered
//! file parses back with hcl-rs, the value reads back exactly as a literal (in a string, a
//! template's text or a JSON document in a heredoc), no block, function call or directive appears
//! that the unmodified model does not have, free-text fields leave the shape of every file
//! unchanged, and `terraform fmt -check` accepts a sample of the outputs.
//!
//! Each run draws new cases from a printed seed; `STACKFORM_FUZZ_SEED=N` replays a run and
//! `STACKFORM_FUZZ_CASES=N` changes how many cases it draws.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::process::Command;

use hcl::expr::{Expression, ObjectKey, TemplateExpr, TraversalOperator};
use hcl::structure::{Body, Structure};
use hcl::template::{Directive, Element, Template};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use super::{RenderedFile, Selection, render};
use crate::model::{DEFAULT_STACK, load};

/// Where a fuzzed value goes in the stack file.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// A string value at this path (`#N` indexes an array).
    Value(&'static str),
    /// The key of the table at this path.
    Key(&'static str),
}

/// How much of the output a value may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Free text: rendered verbatim somewhere; every file keeps its shape.
    Text,
    /// Rendered verbatim, but it may add or rename blocks (e.g. attribute names).
    Named,
    /// Transformed on the way (split into path segments, used in names): only the safety
    /// checks apply.
    Shaping,
}

const FIELDS: &[(Place, Kind)] = &[
    (Place::Value("stack.name"), Kind::Shaping),
    (Place::Value("stack.region"), Kind::Shaping),
    (Place::Value("stack.artifact_bucket"), Kind::Text),
    (Place::Value("state.bucket"), Kind::Text),
    (Place::Value("state.key_prefix"), Kind::Shaping),
    (Place::Value("state.region"), Kind::Text),
    (Place::Value("defaults.lambda_tracing"), Kind::Shaping),
    (Place::Value("functions.payment.description"), Kind::Text),
    (Place::Value("functions.payment.handler"), Kind::Text),
    (Place::Value("functions.payment.package"), Kind::Text),
    (
        Place::Value("functions.payment.parameters.#0"),
        Kind::Shaping,
    ),
    (
        Place::Value("functions.payment.environment.MODE"),
        Kind::Text,
    ),
    (
        Place::Key("functions.payment.environment.MODE"),
        Kind::Named,
    ),
    (Place::Value("functions.cart.tables.cart"), Kind::Shaping),
    (Place::Key("functions.cart.tables.cart"), Kind::Shaping),
    (Place::Value("tables.orders.hash_key"), Kind::Named),
    (Place::Value("tables.orders.indexes.#0.name"), Kind::Named),
    (Place::Value("tables.cart.ttl_attribute"), Kind::Text),
    (
        Place::Key("tables.orders.attribute_types.created_at"),
        Kind::Shaping,
    ),
    (Place::Value("queues.orders.consumer"), Kind::Shaping),
    (Place::Value("api.name"), Kind::Text),
    (Place::Value("api.stage"), Kind::Text),
    (Place::Value("api.routes.#2.path"), Kind::Shaping),
    (Place::Value("api.routes.#0.method"), Kind::Shaping),
    (Place::Value("state_machines.checkout.comment"), Kind::Text),
    (
        Place::Value("state_machines.checkout.steps.#0.name"),
        Kind::Named,
    ),
    (
        Place::Value("state_machines.checkout.steps.#2.queue"),
        Kind::Shaping,
    ),
    (
        Place::Value("alarms.payment_errors.description"),
        Kind::Text,
    ),
    (Place::Value("alarms.payment_errors.metric"), Kind::Shaping),
    (Place::Key("alarms.payment_errors"), Kind::Shaping),
    (Place::Value("dashboard.name"), Kind::Text),
    (
        Place::Value("xray.sampling_rules.checkout.http_method"),
        Kind::Text,
    ),
    (
        Place::Value("xray.sampling_rules.checkout.url_path"),
        Kind::Text,
    ),
    (
        Place::Value("xray.sampling_rules.checkout.service_name"),
        Kind::Named,
    ),
    (
        Place::Value("xray.groups.errors.filter_expression"),
        Kind::Text,
    ),
    (Place::Key("xray.groups.errors"), Kind::Shaping),
    (Place::Value("xray.sdk_layer.package"), Kind::Text),
    (Place::Value("xray.sdk_layer.description"), Kind::Text),
    (Place::Value("policy.require_tracing.#1"), Kind::Shaping),
];

/// Pieces that have broken generators: HCL and JSON quoting, template markers, the renderer's
/// former placeholder, comments, heredoc delimiters, line breaks of every kind.
const HOSTILE: &[&str] = &[
    "\"",
    "\\",
    "\\\"",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "${",
    "%{",
    "$${",
    "%%{",
    "$",
    "%",
    "{",
    "}",
    "${file(\"/etc/hostname\")}",
    "%{ if true }x%{ endif }",
    "@@",
    "@@var.name_prefix@@",
    "*/",
    "/*",
    "#",
    "//",
    "<<EOT",
    "\nEOT\n",
    "EOT",
    "\n}\nresource \"terraform_data\" \"x\" {\n",
    "\"\n  provisioner \"local-exec\" { command = \"id\" }\n#",
    "-->",
    "\u{2028}",
    "\u{85}",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "é",
    "日本",
    "🦀",
];

/// The model with its field at `place` set to `value`, as TOML text.
fn mutate(place: Place, value: &str) -> Option<String> {
    let mut doc: toml::Table = toml::from_str(DEFAULT_STACK).ok()?;
    let environment = toml::Table::from_iter([("MODE".to_string(), "live".into())]);
    doc.get_mut("functions")?
        .get_mut("payment")?
        .as_table_mut()?
        .insert("environment".into(), environment.into());
    let (path, last) = match place {
        Place::Value(p) | Place::Key(p) => p.rsplit_once('.')?,
    };
    let mut at = toml::Value::Table(doc);
    let mut node = &mut at;
    for segment in path.split('.') {
        node = match segment.strip_prefix('#') {
            Some(n) => node.get_mut(n.parse::<usize>().ok()?)?,
            None => node.get_mut(segment)?,
        };
    }
    match (place, last.strip_prefix('#')) {
        (Place::Value(_), Some(n)) => *node.get_mut(n.parse::<usize>().ok()?)? = value.into(),
        (Place::Value(_), None) => {
            node.as_table_mut()?.insert(last.to_string(), value.into());
        }
        (Place::Key(_), _) => {
            let table = node.as_table_mut()?;
            let moved = table.remove(last)?;
            table.insert(value.to_string(), moved);
        }
    }
    toml::to_string(&at).ok()
}

/// What a rendered configuration is made of, apart from its literal text.
#[derive(Default, Debug, PartialEq, Eq)]
struct Facts {
    /// Every literal string: string values, template text, object keys, and the strings and
    /// keys of JSON documents in heredocs.
    literals: BTreeSet<String>,
    /// Block types, function names, referenced roots and directives.
    vocabulary: BTreeSet<String>,
    /// Per file, the structure with every literal replaced by a marker.
    shapes: Vec<(String, String)>,
}

fn facts(files: &[RenderedFile]) -> Result<Facts, String> {
    let mut facts = Facts::default();
    for file in files.iter().filter(|f| f.path.ends_with(".tf")) {
        let body: Body = hcl::parse(&file.contents)
            .map_err(|e| format!("{} does not parse: {e}\n{}", file.path, file.contents))?;
        let mut shape = String::new();
        facts.body(&body, &mut shape)?;
        facts.shapes.push((file.path.clone(), shape));
    }
    Ok(facts)
}

impl Facts {
    fn body(&mut self, body: &Body, shape: &mut String) -> Result<(), String> {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(a) => {
                    shape.push_str(&format!("{}=", a.key));
                    self.expr(&a.expr, shape)?;
                    shape.push(';');
                }
                Structure::Block(b) => {
                    self.vocabulary.insert(format!("block {}", b.identifier));
                    shape.push_str(&format!("{}{:?}{{", b.identifier, b.labels));
                    self.body(&b.body, shape)?;
                    shape.push('}');
                }
            }
        }
        Ok(())
    }

    fn expr(&mut self, expr: &Expression, shape: &mut String) -> Result<(), String> {
        match expr {
            Expression::String(s) => {
                self.literals.insert(s.clone());
                shape.push('S');
            }
            Expression::TemplateExpr(t) => self.template(t, shape)?,
            Expression::Array(items) => {
                shape.push('[');
                for item in items {
                    self.expr(item, shape)?;
                    shape.push(',');
                }
                shape.push(']');
            }
            Expression::Object(object) => {
                shape.push('{');
                for (key, value) in object {
                    match key {
                        ObjectKey::Identifier(i) => {
                            self.literals.insert(i.to_string());
                            shape.push('K');
                        }
                        ObjectKey::Expression(e) => self.expr(e, shape)?,
                        other => shape.push_str(&format!("{other:?}")),
                    }
                    shape.push('=');
                    self.expr(value, shape)?;
                    shape.push(',');
                }
                shape.push('}');
            }
            Expression::Variable(v) => {
                self.vocabulary.insert(format!("root {}", v.as_str()));
                shape.push_str(&format!("v:{}", v.as_str()));
            }
            Expression::Traversal(t) => {
                self.expr(&t.expr, shape)?;
                for op in &t.operators {
                    match op {
                        TraversalOperator::GetAttr(name) => shape.push_str(&format!(".{name}")),
                        TraversalOperator::Index(e) => {
                            shape.push('[');
                            self.expr(e, shape)?;
                            shape.push(']');
                        }
                        other => shape.push_str(&format!("{other:?}")),
                    }
                }
            }
            Expression::FuncCall(call) => {
                self.vocabulary.insert(format!("function {}", call.name));
                shape.push_str(&format!("{}(", call.name));
                for arg in &call.args {
                    self.expr(arg, shape)?;
                    shape.push(',');
                }
                shape.push(')');
            }
            Expression::Parenthesis(inner) => self.expr(inner, shape)?,
            Expression::Conditional(c) => {
                for e in [&c.cond_expr, &c.true_expr, &c.false_expr] {
                    self.expr(e, shape)?;
                    shape.push('?');
                }
            }
            Expression::Operation(op) => {
                shape.push_str(&format!("op{op:?}"));
            }
            Expression::ForExpr(f) => {
                shape.push_str("for(");
                self.expr(&f.collection_expr, shape)?;
                self.expr(&f.value_expr, shape)?;
                shape.push(')');
            }
            other => shape.push_str(&format!("{other:?}")),
        }
        Ok(())
    }

    fn template(&mut self, t: &TemplateExpr, shape: &mut String) -> Result<(), String> {
        let template =
            Template::from_expr(t).map_err(|e| format!("template does not parse: {e}: {t}"))?;
        // A template of text alone is a string whatever its quoting.
        let mut text = String::new();
        let mut parts = String::new();
        let mut json = String::new();
        for element in template.elements() {
            match element {
                Element::Literal(l) => {
                    text.push_str(l);
                    json.push_str(l);
                }
                Element::Interpolation(i) => {
                    self.literals.insert(std::mem::take(&mut text));
                    parts.push_str("L${");
                    self.expr(&i.expr, &mut parts)?;
                    parts.push('}');
                    json.push_str("REF");
                }
                Element::Directive(d) => {
                    let kind = match d.as_ref() {
                        Directive::If(_) => "if",
                        Directive::For(_) => "for",
                    };
                    self.vocabulary.insert(format!("directive {kind}"));
                    parts.push_str(&format!("%{{{kind}}}"));
                }
            }
        }
        self.literals.insert(text);
        if matches!(t, TemplateExpr::Heredoc(_)) {
            let doc: serde_json::Value = serde_json::from_str(&json)
                .map_err(|e| format!("a heredoc is not JSON once interpolated: {e}\n{json}"))?;
            self.json(&doc);
            shape.push_str(&format!("H<{parts}>"));
        } else if parts.is_empty() {
            shape.push('S');
        } else {
            shape.push_str(&format!("T<{parts}L>"));
        }
        Ok(())
    }

    fn json(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(s) => {
                self.literals.insert(s.clone());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.json(v)),
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    self.literals.insert(k.clone());
                    self.json(v);
                }
            }
            _ => {}
        }
    }
}

fn terraform_fmt_check(files: &[RenderedFile]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    for file in files.iter().filter(|f| f.path.ends_with(".tf")) {
        let path = dir.path().join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, &file.contents).map_err(|e| e.to_string())?;
    }
    let output = Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-diff", "-no-color"])
        .current_dir(dir.path())
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .map_err(|e| {
            format!("cannot run `terraform` (install terraform 1.11 on PATH, as CI does): {e}")
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "terraform fmt -check fails:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(HOSTILE).prop_map(str::to_string),
        2 => any::<char>().prop_map(String::from),
        2 => "[a-zA-Z0-9_./-]{1,6}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Checks one mutated model; `fmt` also runs `terraform fmt -check` on its output.
fn check(
    field: usize,
    value: &str,
    baseline: &Facts,
    fmt: &Cell<usize>,
) -> Result<(), TestCaseError> {
    let (place, kind) = FIELDS[field];
    let Some(text) = mutate(place, value) else {
        return Err(TestCaseError::fail(format!(
            "cannot place {value:?} at {place:?}"
        )));
    };
    let model = match load(&text) {
        Ok(model) => model,
        Err(diagnostics) => {
            // Rejected: every problem must point into the file.
            prop_assert!(!diagnostics.is_empty());
            for d in diagnostics.items() {
                prop_assert!(
                    d.span.end <= text.len() && text.is_char_boundary(d.span.start),
                    "unlocated error {d:?} for {place:?} = {value:?}"
                );
                prop_assert!(!d.message.is_empty());
            }
            return Ok(());
        }
    };
    let files = render(&model, &Selection::All, "stack.toml");
    let got =
        facts(&files).map_err(|e| TestCaseError::fail(format!("{place:?} = {value:?}: {e}")))?;
    let new: Vec<_> = got.vocabulary.difference(&baseline.vocabulary).collect();
    prop_assert!(
        new.is_empty(),
        "{place:?} = {value:?} adds {new:?} to the configuration"
    );
    if kind != Kind::Shaping {
        prop_assert!(
            got.literals.iter().any(|l| l.contains(value)),
            "{place:?} = {value:?} does not read back as a literal"
        );
    }
    // An empty value may leave an optional argument out.
    if kind == Kind::Text && !value.is_empty() {
        for ((path, want), (_, shape)) in baseline.shapes.iter().zip(&got.shapes) {
            prop_assert_eq!(
                want,
                shape,
                "{:?} = {:?} changes the shape of {}",
                place,
                value,
                path
            );
        }
        prop_assert_eq!(baseline.shapes.len(), got.shapes.len());
    }
    if fmt.get() > 0 {
        fmt.set(fmt.get() - 1);
        terraform_fmt_check(&files)
            .map_err(|e| TestCaseError::fail(format!("{place:?} = {value:?}: {e}")))?;
    }
    Ok(())
}

#[test]
fn model_text_never_becomes_hcl_syntax() {
    let seed = env_number("STACKFORM_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let cases = env_number("STACKFORM_FUZZ_CASES").unwrap_or(300) as u32;
    eprintln!(
        "fuzzing model text: seed {seed} (replay with STACKFORM_FUZZ_SEED={seed}), {cases} cases"
    );
    let baseline_text = mutate(Place::Value("functions.payment.description"), "x")
        .expect("the default model has the fuzzed fields");
    let baseline_model = load(&baseline_text).expect("the default model is valid");
    let baseline = facts(&render(&baseline_model, &Selection::All, "stack.toml"))
        .expect("the default model renders to HCL");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let fmt = Cell::new(12);
    let result = runner.run(&(0..FIELDS.len(), hostile_text()), |(field, value)| {
        check(field, &value, &baseline, &fmt)
    });
    if let Err(e) = result {
        panic!("seed {seed}: {e}");
    }
}

/// Every field once with the payload of the original report, and `terraform fmt -check` on each
/// accepted one.
#[test]
fn every_field_survives_the_reported_payloads() {
    let baseline_model =
        load(&mutate(Place::Value("functions.payment.description"), "x").expect("fields exist"))
            .expect("the default model is valid");
    let baseline = facts(&render(&baseline_model, &Selection::All, "stack.toml")).expect("renders");
    let payloads = [
        "x\"\n  provisioner \"local-exec\" { command = \"id\" }\n#",
        "${file(\"/etc/hostname\")} %{ if true }y%{ endif } @@var.x@@ @@ %{ $${ */ # \\",
    ];
    for field in 0..FIELDS.len() {
        for payload in payloads {
            if let Err(e) = check(field, payload, &baseline, &Cell::new(1)) {
                panic!("{e}");
            }
        }
    }
}

#[test]
fn the_stack_file_name_cannot_reach_the_hcl() {
    let model = load(DEFAULT_STACK).expect("the default model is valid");
    let name = "a\"\nresource \"terraform_data\" \"x\" {}\n# */ --> ${x}.toml";
    let files = render(&model, &Selection::One("dev"), name);
    let plain = render(&model, &Selection::One("dev"), "stack.toml");
    let got = facts(&files).expect("every file parses");
    assert_eq!(got, facts(&plain).expect("every file parses"));
    for file in &files {
        assert_eq!(file.contents.lines().nth(2), Some(""), "{}", file.path);
    }
}
