//! Reads a Terraform root and the local modules it calls, and evaluates them the way
//! `terraform plan` would before anything exists: module inputs flow into variables, `count`,
//! `for_each` and `dynamic` blocks expand, and anything only apply can know stays unknown.
//!
//! This is what lets `stackform tracing` report what the HCL will create rather than what the
//! model hoped: a hand edit to a root or a module shows up here. Only the language features
//! stackform's own output uses (and a few common functions) are evaluated; anything else is
//! treated as unknown, never guessed.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use hcl::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, Operation, TraversalOperator, UnaryOperator,
};
use hcl::structure::Structure;
use hcl::template::{Element, Template};
use hcl::{Block, Body};

use super::inventory::{Inventory, Mode, ModuleCall, Origin, Resource};
use super::value::Val;

/// Arguments that steer Terraform rather than describe the resource.
const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "provider",
    "lifecycle",
    "provisioner",
    "connection",
];

/// Where the `.tf` files come from: a directory, or files rendered in memory.
pub enum Files {
    Disk(PathBuf),
    Memory(BTreeMap<String, String>),
}

/// Refuses the files Terraform reads but stackform does not: override files, which Terraform
/// merges into the blocks they name (so the ordinary files no longer say what is applied), and
/// JSON configuration. Ignoring either would vouch for a root stackform has not read.
fn refuse_unread(path: &str) -> Result<()> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name
        .strip_suffix(".tf")
        .or_else(|| name.strip_suffix(".tf.json"));
    if stem.is_some_and(|s| s == "override" || s.ends_with("_override")) {
        bail!(
            "{path}:1: an override file: Terraform merges it into the blocks it names, and stackform does not, so it cannot vouch for an overridden root; fold it into the ordinary files"
        );
    }
    if name.ends_with(".tf.json") {
        bail!(
            "{path}:1: Terraform JSON configuration is not read by stackform, so it cannot vouch for this root; write it as `.tf`"
        );
    }
    Ok(())
}

impl Files {
    /// The `.tf` files directly in `dir` (relative, `/`-separated), sorted by name. Override
    /// files and `.tf.json` files are refused, never skipped.
    fn tf_files(&self, dir: &str) -> Result<Vec<(String, String)>> {
        match self {
            Self::Disk(base) => {
                let full = base.join(dir);
                let entries = std::fs::read_dir(&full)
                    .with_context(|| format!("cannot read the folder `{}`", full.display()))?;
                let mut names: Vec<String> = entries
                    .flatten()
                    .filter(|e| e.path().is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".tf") || n.ends_with(".tf.json"))
                    .collect();
                names.sort();
                for n in &names {
                    refuse_unread(&join(dir, n))?;
                }
                names
                    .into_iter()
                    .map(|n| {
                        let path = full.join(&n);
                        let text = std::fs::read_to_string(&path)
                            .with_context(|| format!("cannot read `{}`", path.display()))?;
                        Ok((join(dir, &n), text))
                    })
                    .collect()
            }
            Self::Memory(files) => {
                let here: Vec<(String, String)> = files
                    .iter()
                    .filter(|(p, _)| {
                        (p.ends_with(".tf") || p.ends_with(".tf.json"))
                            && p.rsplit_once('/').map_or("", |(d, _)| d)
                                == dir.trim_end_matches('/')
                    })
                    .map(|(p, t)| (p.clone(), t.clone()))
                    .collect();
                for (p, _) in &here {
                    refuse_unread(p)?;
                }
                Ok(here)
            }
        }
    }

    pub fn has_dir(&self, dir: &str) -> bool {
        match self {
            Self::Disk(base) => base.join(dir).is_dir(),
            Self::Memory(files) => files.keys().any(|p| p.starts_with(&format!("{dir}/"))),
        }
    }
}

/// `a/b` + `../c` = `a/c`; keeps leading `..` that climb above the base.
fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

struct ResConfig {
    mode: Mode,
    kind: String,
    name: String,
    body: Body,
    location: String,
}

impl ResConfig {
    fn local_address(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.kind, self.name),
            Mode::Data => format!("data.{}.{}", self.kind, self.name),
        }
    }
}

struct CallConfig {
    name: String,
    source: String,
    body: Body,
    location: String,
}

/// One module's configuration: every `.tf` file of its folder.
#[derive(Default)]
struct Config {
    variables: BTreeMap<String, Option<Expression>>,
    locals: BTreeMap<String, Expression>,
    resources: Vec<ResConfig>,
    outputs: BTreeMap<String, Expression>,
    calls: Vec<CallConfig>,
}

fn label(block: &Block, n: usize) -> String {
    block
        .labels()
        .get(n)
        .map(|l| l.as_str().to_string())
        .unwrap_or_default()
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.iter().find_map(|s| match s {
        Structure::Attribute(a) if a.key() == key => Some(a.expr()),
        _ => None,
    })
}

/// The line that declares a block, e.g. `resource "aws_lambda_function" "this" {`.
fn line_of(text: &str, keyword: &str, labels: &[&str]) -> usize {
    let quoted = labels
        .iter()
        .map(|l| format!("\"{l}\""))
        .collect::<Vec<_>>()
        .join(" ");
    let wanted = format!("{keyword} {quoted}");
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(&wanted)
                .is_some_and(|rest| rest.starts_with([' ', '{']) || rest.is_empty())
        })
        .map_or(1, |n| n + 1)
}

fn read_config(files: &Files, dir: &str) -> Result<Config> {
    let mut config = Config::default();
    let tf = files.tf_files(dir)?;
    if tf.is_empty() {
        bail!("`{dir}` holds no `.tf` files");
    }
    for (path, text) in tf {
        let body: Body = hcl::parse(&text).with_context(|| format!("`{path}` is not valid HCL"))?;
        for structure in body.into_inner() {
            let Structure::Block(block) = structure else {
                continue;
            };
            match block.identifier() {
                "variable" => {
                    let default = attr(block.body(), "default").cloned();
                    config.variables.insert(label(&block, 0), default);
                }
                "locals" => {
                    for s in block.body().iter() {
                        if let Structure::Attribute(a) = s {
                            config.locals.insert(a.key().to_string(), a.expr().clone());
                        }
                    }
                }
                "output" => {
                    if let Some(value) = attr(block.body(), "value") {
                        config.outputs.insert(label(&block, 0), value.clone());
                    }
                }
                kind @ ("resource" | "data") => {
                    let (t, n) = (label(&block, 0), label(&block, 1));
                    let line = line_of(&text, kind, &[&t, &n]);
                    config.resources.push(ResConfig {
                        mode: if kind == "data" {
                            Mode::Data
                        } else {
                            Mode::Managed
                        },
                        kind: t,
                        name: n,
                        location: format!("{path}:{line}"),
                        body: block.body().clone(),
                    });
                }
                "module" => {
                    let name = label(&block, 0);
                    let source = attr(block.body(), "source")
                        .and_then(|e| match e {
                            Expression::String(s) => Some(s.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    let line = line_of(&text, "module", &[&name]);
                    config.calls.push(CallConfig {
                        name,
                        source,
                        body: block.body().clone(),
                        location: format!("{path}:{line}"),
                    });
                }
                _ => {}
            }
        }
    }
    Ok(config)
}

/// A module instance: where its configuration lives and who called it.
struct Instance {
    dir: String,
    /// Path of the calling instance, the index of its call and the call's `count.index` or
    /// `each`; `None` for the root.
    caller: Option<(String, usize, Binding)>,
}

/// How deep module calls may nest before stackform gives up; Terraform has no limit, but no
/// real configuration comes close.
const MAX_DEPTH: usize = 32;

/// Everything read, with caches so each value is evaluated once.
struct World {
    root_dir: String,
    configs: BTreeMap<String, Config>,
    instances: BTreeMap<String, Instance>,
    vars: RefCell<BTreeMap<String, BTreeMap<String, Val>>>,
    locals: RefCell<BTreeMap<(String, String), Val>>,
    outputs: RefCell<BTreeMap<(String, String), Val>>,
    resources: RefCell<BTreeMap<(String, String, String), Val>>,
    busy: RefCell<BTreeSet<String>>,
    notes: RefCell<Vec<String>>,
}

fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// Reads the configuration of `dir` and, depth first, of every local module it calls,
/// refusing a module that calls itself (directly or through others), which Terraform would
/// never finish expanding.
fn read_tree(
    files: &Files,
    path: &str,
    dir: &str,
    ancestors: &mut Vec<String>,
    configs: &mut BTreeMap<String, Config>,
    explored: &mut BTreeSet<String>,
) -> Result<()> {
    if !configs.contains_key(dir) {
        let config = if path.is_empty() {
            read_config(files, dir)?
        } else {
            read_config(files, dir).with_context(|| format!("cannot read `{path}` from `{dir}`"))?
        };
        configs.insert(dir.to_string(), config);
    }
    if explored.contains(dir) {
        // Already read with everything below it, and found free of cycles.
        return Ok(());
    }
    ancestors.push(dir.to_string());
    let calls: Vec<(String, String, String)> = configs
        .get(dir)
        .map(|c| {
            c.calls
                .iter()
                .filter(|call| is_local(&call.source))
                .map(|call| {
                    (
                        call.name.clone(),
                        call.source.clone(),
                        call.location.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, source, location) in calls {
        let child = if path.is_empty() {
            format!("module.{name}")
        } else {
            format!("{path}.module.{name}")
        };
        let child_dir = join(dir, &source);
        if ancestors.contains(&child_dir) {
            let chain = ancestors
                .iter()
                .skip_while(|a| **a != child_dir)
                .chain(std::iter::once(&child_dir))
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" → ");
            bail!(
                "{location}: `{child}` calls `{source}`, a module that is already calling it ({chain}); Terraform would expand it without end"
            );
        }
        if ancestors.len() >= MAX_DEPTH {
            bail!(
                "{location}: `{child}` nests modules more than {MAX_DEPTH} deep; stackform does not read further"
            );
        }
        read_tree(files, &child, &child_dir, ancestors, configs, explored)?;
    }
    ancestors.pop();
    explored.insert(dir.to_string());
    Ok(())
}

/// Reads the root in `root_dir` and every local module it calls.
pub fn read(files: &Files, root_dir: &str, origin: Origin) -> Result<Inventory> {
    if !files.has_dir(root_dir) {
        bail!("`{root_dir}` does not exist");
    }
    let mut configs = BTreeMap::new();
    read_tree(
        files,
        "",
        root_dir,
        &mut Vec::new(),
        &mut configs,
        &mut BTreeSet::new(),
    )?;
    let mut world = World {
        root_dir: root_dir.to_string(),
        configs,
        instances: BTreeMap::from([(
            String::new(),
            Instance {
                dir: root_dir.to_string(),
                caller: None,
            },
        )]),
        vars: RefCell::default(),
        locals: RefCell::default(),
        outputs: RefCell::default(),
        resources: RefCell::default(),
        busy: RefCell::default(),
        notes: RefCell::default(),
    };
    // Module instances, one level at a time: a call's `count` or `for_each` is evaluated in
    // its caller's scope, which may need the outputs of the caller's other calls.
    let mut frontier = vec![String::new()];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for path in &frontier {
            let Some(dir) = world.instances.get(path).map(|i| i.dir.clone()) else {
                continue;
            };
            let Some(config) = world.configs.get(&dir) else {
                continue;
            };
            let scope = world.scope(path);
            for (i, call) in config.calls.iter().enumerate() {
                let child = scope.absolute(&format!("module.{}", call.name));
                if !is_local(&call.source) {
                    scope.note(format!(
                        "`{child}` comes from `{}`, which is not a local folder; its resources are not read",
                        call.source
                    ));
                    continue;
                }
                let child_dir = join(&dir, &call.source);
                for (key, binding) in scope.expand(&call.body, &child) {
                    next.push((
                        format!("{child}{key}"),
                        Instance {
                            dir: child_dir.clone(),
                            caller: Some((path.clone(), i, binding)),
                        },
                    ));
                }
            }
        }
        // Values computed before these instances existed may have missed their outputs.
        world.vars.borrow_mut().clear();
        world.locals.borrow_mut().clear();
        world.outputs.borrow_mut().clear();
        world.resources.borrow_mut().clear();
        frontier = next.iter().map(|(p, _)| p.clone()).collect();
        world.instances.extend(next);
    }
    let world = world;
    let mut resources = Vec::new();
    for (path, instance) in &world.instances {
        let Some(config) = world.configs.get(&instance.dir) else {
            continue;
        };
        let scope = world.scope(path);
        for rc in &config.resources {
            for (key, binding) in scope.expand(&rc.body, &scope.absolute(&rc.local_address())) {
                let values = world.resource_value(path, rc, &key, &binding);
                resources.push(Resource {
                    module: path.clone(),
                    mode: rc.mode,
                    kind: rc.kind.clone(),
                    name: rc.name.clone(),
                    key,
                    values,
                    refs: BTreeSet::new(),
                    location: Some(rc.location.clone()),
                });
            }
        }
    }
    resources.sort_by_key(Resource::address);
    let calls = world
        .configs
        .get(root_dir)
        .map(|c| {
            c.calls
                .iter()
                .map(|call| ModuleCall {
                    name: call.name.clone(),
                    source: call.source.clone(),
                    inputs: inputs_text(&call.body),
                    location: Some(call.location.clone()),
                })
                .collect()
        })
        .unwrap_or_default();
    let notes = world.notes.borrow().clone();
    Ok(Inventory {
        origin,
        resources,
        calls,
        notes,
    })
}

/// A module call's inputs as HCL text, objects flattened to dotted keys so two environments
/// compare setting by setting.
fn inputs_text(body: &Body) -> Vec<(String, String)> {
    fn flatten(prefix: &str, expr: &Expression, out: &mut Vec<(String, String)>) {
        match expr {
            Expression::Object(items) if !items.is_empty() => {
                for (k, v) in items {
                    let key = match k {
                        ObjectKey::Identifier(i) => i.to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        ObjectKey::Expression(e) => text(e),
                        _ => String::from("?"),
                    };
                    flatten(&format!("{prefix}.{key}"), v, out);
                }
            }
            other => out.push((prefix.to_string(), text(other))),
        }
    }
    fn text(e: &Expression) -> String {
        hcl::format::to_string(e)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
    let mut out = Vec::new();
    for s in body.iter() {
        if let Structure::Attribute(a) = s
            && a.key() != "source"
        {
            flatten(a.key(), a.expr(), &mut out);
        }
    }
    out
}

/// `count.index` or `each.key`/`each.value` of one instance.
#[derive(Clone, Default)]
struct Binding {
    count: Option<Val>,
    each: Option<(Val, Val)>,
}

impl World {
    fn scope(&self, path: &str) -> Scope<'_> {
        let dir = self
            .instances
            .get(path)
            .map_or_else(String::new, |i| i.dir.clone());
        Scope {
            world: self,
            path: path.to_string(),
            dir,
            binding: Binding::default(),
            names: Vec::new(),
            depth: 0,
        }
    }

    fn config(&self, dir: &str) -> Option<&Config> {
        self.configs.get(dir)
    }

    /// Runs `f` unless `key` is already being evaluated (a cycle), in which case the value is
    /// unknown.
    fn guarded(&self, key: String, f: impl FnOnce() -> Val) -> Val {
        if !self.busy.borrow_mut().insert(key.clone()) {
            return Val::unknown();
        }
        let v = f();
        self.busy.borrow_mut().remove(&key);
        v
    }

    fn var(&self, path: &str, name: &str) -> Val {
        if let Some(v) = self.vars.borrow().get(path).and_then(|m| m.get(name)) {
            return v.clone();
        }
        let vars = self.guarded(format!("vars {path}"), || {
            Val::Object(self.compute_vars(path))
        });
        if let Val::Object(map) = &vars {
            self.vars.borrow_mut().insert(path.to_string(), map.clone());
        }
        vars.get(name).cloned().unwrap_or_else(Val::unknown)
    }

    fn compute_vars(&self, path: &str) -> BTreeMap<String, Val> {
        let Some(instance) = self.instances.get(path) else {
            return BTreeMap::new();
        };
        let Some(config) = self.config(&instance.dir) else {
            return BTreeMap::new();
        };
        let mut vars = BTreeMap::new();
        let call = instance.caller.as_ref().and_then(|(caller, i, binding)| {
            let dir = &self.instances.get(caller)?.dir;
            Some((caller, self.config(dir)?.calls.get(*i)?, binding))
        });
        for (name, default) in &config.variables {
            let passed = call.and_then(|(caller, call, binding)| {
                attr(&call.body, name).map(|e| {
                    let mut scope = self.scope(caller);
                    scope.binding = binding.clone();
                    scope.eval(e)
                })
            });
            let value = passed
                .or_else(|| default.as_ref().map(|d| self.scope(path).eval(d)))
                // A root variable without a default comes from the command line or tfvars.
                .unwrap_or_else(Val::unknown);
            vars.insert(name.clone(), value);
        }
        vars
    }

    fn local(&self, path: &str, dir: &str, name: &str) -> Val {
        let key = (path.to_string(), name.to_string());
        if let Some(v) = self.locals.borrow().get(&key) {
            return v.clone();
        }
        let Some(expr) = self.config(dir).and_then(|c| c.locals.get(name)) else {
            return Val::unknown();
        };
        let v = self.guarded(format!("local {path} {name}"), || {
            self.scope(path).eval(expr)
        });
        self.locals.borrow_mut().insert(key, v.clone());
        v
    }

    fn output(&self, path: &str, name: &str) -> Val {
        let key = (path.to_string(), name.to_string());
        if let Some(v) = self.outputs.borrow().get(&key) {
            return v.clone();
        }
        let Some(instance) = self.instances.get(path) else {
            // A module that was not read (not a local folder).
            return Val::unknown();
        };
        let Some(expr) = self.config(&instance.dir).and_then(|c| c.outputs.get(name)) else {
            return Val::unknown();
        };
        let v = self.guarded(format!("output {path} {name}"), || {
            self.scope(path).eval(expr)
        });
        self.outputs.borrow_mut().insert(key, v.clone());
        v
    }

    /// The arguments and blocks of one resource instance.
    fn resource_value(&self, path: &str, rc: &ResConfig, key: &str, binding: &Binding) -> Val {
        let cache = (path.to_string(), rc.local_address(), key.to_string());
        if let Some(v) = self.resources.borrow().get(&cache) {
            return v.clone();
        }
        let v = self.guarded(
            format!("resource {path} {} {key}", rc.local_address()),
            || {
                let mut scope = self.scope(path);
                scope.binding = binding.clone();
                scope.body(&rc.body)
            },
        );
        self.resources.borrow_mut().insert(cache, v.clone());
        v
    }
}

/// Evaluation context: a module instance plus the names a `for` or `dynamic` binds.
struct Scope<'w> {
    world: &'w World,
    path: String,
    dir: String,
    binding: Binding,
    names: Vec<(String, Val)>,
    depth: usize,
}

impl Scope<'_> {
    fn with_names(&self, names: Vec<(String, Val)>) -> Self {
        let mut all = self.names.clone();
        all.extend(names);
        Scope {
            world: self.world,
            path: self.path.clone(),
            dir: self.dir.clone(),
            binding: self.binding.clone(),
            names: all,
            depth: self.depth + 1,
        }
    }

    fn absolute(&self, local: &str) -> String {
        if self.path.is_empty() {
            local.to_string()
        } else {
            format!("{}.{local}", self.path)
        }
    }

    /// The instances `count` or `for_each` make of a resource or module call (`address`, for
    /// notes), with their keys.
    fn expand(&self, body: &Body, address: &str) -> Vec<(String, Binding)> {
        if let Some(count) = attr(body, "count") {
            return match self.eval(count).as_f64() {
                Some(n) => (0..n.max(0.0) as i64)
                    .map(|i| {
                        (
                            format!("[{i}]"),
                            Binding {
                                count: Some(Val::Number(i as f64)),
                                each: None,
                            },
                        )
                    })
                    .collect(),
                None => {
                    self.note(format!(
                        "the `count` of `{address}` is known only after apply; read as one instance"
                    ));
                    vec![(
                        "[0]".to_string(),
                        Binding {
                            count: Some(Val::unknown()),
                            each: None,
                        },
                    )]
                }
            };
        }
        if let Some(for_each) = attr(body, "for_each") {
            return match self.eval(for_each) {
                Val::Object(map) => map
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            format!("[{}]", serde_json::Value::String(k.clone())),
                            Binding {
                                count: None,
                                each: Some((Val::String(k), v)),
                            },
                        )
                    })
                    .collect(),
                Val::List(items) => items
                    .into_iter()
                    .map(|v| {
                        let k = v.display();
                        (
                            format!("[{}]", serde_json::Value::String(k.clone())),
                            Binding {
                                count: None,
                                each: Some((Val::String(k), v)),
                            },
                        )
                    })
                    .collect(),
                _ => {
                    self.note(format!(
                        "the `for_each` of `{address}` is known only after apply; read as one instance"
                    ));
                    vec![(
                        "[\"?\"]".to_string(),
                        Binding {
                            count: None,
                            each: Some((Val::unknown(), Val::unknown())),
                        },
                    )]
                }
            };
        }
        vec![(String::new(), Binding::default())]
    }

    fn note(&self, note: String) {
        let mut notes = self.world.notes.borrow_mut();
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    /// A block body as an object: arguments by name, nested blocks as lists of objects.
    fn body(&self, body: &Body) -> Val {
        let mut map: BTreeMap<String, Val> = BTreeMap::new();
        let push = |map: &mut BTreeMap<String, Val>, key: String, item: Val| match map
            .entry(key)
            .or_insert_with(|| Val::List(Vec::new()))
        {
            Val::List(items) => items.push(item),
            other => *other = Val::unknown(),
        };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) if !META.contains(&a.key()) => {
                    map.insert(a.key().to_string(), self.eval(a.expr()));
                }
                Structure::Attribute(_) => {}
                Structure::Block(b) if META.contains(&b.identifier()) => {}
                Structure::Block(b) if b.identifier() == "dynamic" => {
                    let name = label(b, 0);
                    let iterator = match attr(b.body(), "iterator") {
                        Some(Expression::Variable(v)) => v.to_string(),
                        _ => name.clone(),
                    };
                    let content = b.body().iter().find_map(|s| match s {
                        Structure::Block(c) if c.identifier() == "content" => Some(c.body()),
                        _ => None,
                    });
                    let collection =
                        attr(b.body(), "for_each").map_or_else(Val::unknown, |e| self.eval(e));
                    let Some(content) = content else { continue };
                    match entries(&collection) {
                        Some(entries) => {
                            map.entry(name.clone())
                                .or_insert_with(|| Val::List(Vec::new()));
                            for (k, v) in entries {
                                let it = Val::Object(BTreeMap::from([
                                    ("key".to_string(), k),
                                    ("value".to_string(), v),
                                ]));
                                let inner = self.with_names(vec![(iterator.clone(), it)]);
                                push(&mut map, name.clone(), inner.body(content));
                            }
                        }
                        None => push(&mut map, name, Val::unknown_from(collection.origins())),
                    }
                }
                Structure::Block(b) => {
                    push(&mut map, b.identifier().to_string(), self.body(b.body()));
                }
            }
        }
        Val::Object(map)
    }

    fn eval(&self, e: &Expression) -> Val {
        if self.depth > 64 {
            return Val::unknown();
        }
        match e {
            Expression::Null => Val::Null,
            Expression::Bool(b) => Val::Bool(*b),
            Expression::Number(n) => Val::Number(n.as_f64().unwrap_or(0.0)),
            Expression::String(s) => Val::String(s.clone()),
            Expression::Array(items) => Val::List(items.iter().map(|i| self.eval(i)).collect()),
            Expression::Object(items) => {
                let mut map = BTreeMap::new();
                for (k, v) in items {
                    let key = match k {
                        ObjectKey::Identifier(i) => Some(i.to_string()),
                        ObjectKey::Expression(e) => match self.eval(e) {
                            Val::String(s) => Some(s),
                            Val::Number(n) => Some(super::value::number_text(n)),
                            _ => None,
                        },
                        _ => None,
                    };
                    match key {
                        Some(key) => {
                            map.insert(key, self.eval(v));
                        }
                        None => return Val::unknown(),
                    }
                }
                Val::Object(map)
            }
            Expression::TemplateExpr(t) => match Template::from_expr(t) {
                Ok(template) => self.template(&template),
                Err(_) => Val::unknown(),
            },
            Expression::Variable(v) => self.traverse(v.as_str(), &[]),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => self.traverse(v.as_str(), &t.operators),
                other => {
                    let base = self.eval(other);
                    self.apply(base, &t.operators)
                }
            },
            Expression::FuncCall(f) => {
                let args: Vec<Val> = f.args.iter().map(|a| self.eval(a)).collect();
                if f.expand_final || f.name.is_namespaced() {
                    return unknown_of(&args);
                }
                call(f.name.name.as_str(), args)
            }
            Expression::Parenthesis(inner) => self.eval(inner),
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr);
                match cond.as_bool() {
                    Some(true) => self.eval(&c.true_expr),
                    Some(false) => self.eval(&c.false_expr),
                    None => {
                        let (t, f) = (self.eval(&c.true_expr), self.eval(&c.false_expr));
                        if t == f && !t.has_unknown() {
                            t
                        } else {
                            unknown_of(&[cond, t, f])
                        }
                    }
                }
            }
            Expression::Operation(op) => self.operation(op),
            Expression::ForExpr(f) => self.for_expr(f),
            _ => Val::unknown(),
        }
    }

    fn template(&self, template: &Template) -> Val {
        let mut out = String::new();
        let mut unknown: Option<BTreeSet<String>> = None;
        for element in template.elements() {
            match element {
                Element::Literal(s) => out.push_str(s),
                Element::Interpolation(i) => match self.eval(&i.expr) {
                    Val::String(s) => out.push_str(&s),
                    Val::Number(n) => out.push_str(&super::value::number_text(n)),
                    Val::Bool(b) => out.push_str(&b.to_string()),
                    other => unknown.get_or_insert_default().extend(other.origins()),
                },
                Element::Directive(_) => {
                    unknown.get_or_insert_default();
                }
            }
        }
        match unknown {
            Some(origins) => Val::unknown_from(origins),
            None => Val::String(out),
        }
    }

    fn traverse(&self, root: &str, ops: &[TraversalOperator]) -> Val {
        if let Some((_, v)) = self.names.iter().rev().find(|(n, _)| n == root) {
            return self.apply(v.clone(), ops);
        }
        let attr_at = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        match root {
            "var" => match attr_at(0) {
                Some(name) => self.apply(self.world.var(&self.path, name), &ops[1..]),
                None => Val::unknown(),
            },
            "local" => match attr_at(0) {
                Some(name) => self.apply(self.world.local(&self.path, &self.dir, name), &ops[1..]),
                None => Val::unknown(),
            },
            "each" => {
                let Some((k, v)) = &self.binding.each else {
                    return Val::unknown();
                };
                match attr_at(0) {
                    Some("key") => self.apply(k.clone(), &ops[1..]),
                    Some("value") => self.apply(v.clone(), &ops[1..]),
                    _ => Val::unknown(),
                }
            }
            "count" => match (attr_at(0), &self.binding.count) {
                (Some("index"), Some(i)) => i.clone(),
                _ => Val::unknown(),
            },
            "path" => match attr_at(0) {
                Some("module") => Val::String(self.dir.clone()),
                Some("root") => Val::String(self.world.root_dir.clone()),
                _ => Val::String(".".into()),
            },
            "terraform" => match attr_at(0) {
                Some("workspace") => Val::String("default".into()),
                _ => Val::unknown(),
            },
            "module" => {
                let Some(call) = attr_at(0) else {
                    return Val::unknown();
                };
                let child = self.absolute(&format!("module.{call}"));
                // `module.x[0].out` or `module.x["k"].out` for a call with `count`/`for_each`.
                let (instance, rest) = match ops.get(1) {
                    Some(TraversalOperator::Index(e)) => match self.eval(e) {
                        Val::Number(n) => (format!("{child}[{}]", n as i64), &ops[2..]),
                        Val::String(k) => (
                            format!("{child}[{}]", serde_json::Value::String(k)),
                            &ops[2..],
                        ),
                        _ => return Val::unknown(),
                    },
                    Some(TraversalOperator::LegacyIndex(n)) => (format!("{child}[{n}]"), &ops[2..]),
                    _ => (child, &ops[1..]),
                };
                match rest.first() {
                    Some(TraversalOperator::GetAttr(output)) => {
                        self.apply(self.world.output(&instance, output.as_str()), &rest[1..])
                    }
                    _ => Val::unknown(),
                }
            }
            "data" => match (attr_at(0), attr_at(1)) {
                (Some(kind), Some(name)) => self.resource_ref(Mode::Data, kind, name, &ops[2..]),
                _ => Val::unknown(),
            },
            "self" => Val::unknown(),
            kind => match attr_at(0) {
                Some(name) => self.resource_ref(Mode::Managed, kind, name, &ops[1..]),
                None => Val::unknown(),
            },
        }
    }

    /// `aws_iam_role.this.arn`: the configured value when the argument is set in the
    /// configuration, else unknown with the resource as its origin.
    fn resource_ref(&self, mode: Mode, kind: &str, name: &str, ops: &[TraversalOperator]) -> Val {
        let local = match mode {
            Mode::Managed => format!("{kind}.{name}"),
            Mode::Data => format!("data.{kind}.{name}"),
        };
        let origin = Val::unknown_from(BTreeSet::from([self.absolute(&local)]));
        let Some(rc) = self.world.config(&self.dir).and_then(|c| {
            c.resources
                .iter()
                .find(|r| r.mode == mode && r.kind == kind && r.name == name)
        }) else {
            return origin;
        };
        let counted = attr(&rc.body, "count").is_some();
        let each = attr(&rc.body, "for_each").is_some();
        let (binding, key, rest) = match ops.first() {
            _ if !counted && !each => (Binding::default(), String::new(), ops),
            Some(TraversalOperator::Index(e)) => {
                let index = self.eval(e);
                let key = match &index {
                    Val::Number(n) if counted => format!("[{}]", *n as i64),
                    Val::String(s) if each => format!("[{}]", serde_json::Value::String(s.clone())),
                    _ => return origin,
                };
                let binding = if counted {
                    Binding {
                        count: Some(index),
                        each: None,
                    }
                } else {
                    let all = self.expand(&rc.body, &self.absolute(&rc.local_address()));
                    match all.into_iter().find(|(k, _)| *k == key) {
                        Some((_, b)) => b,
                        None => return Val::Null,
                    }
                };
                (binding, key, &ops[1..])
            }
            Some(TraversalOperator::LegacyIndex(i)) if counted => (
                Binding {
                    count: Some(Val::Number(*i as f64)),
                    each: None,
                },
                format!("[{i}]"),
                &ops[1..],
            ),
            // Splats and whole collections of instances are left to apply.
            _ => return origin,
        };
        let Some(TraversalOperator::GetAttr(argument)) = rest.first() else {
            return origin;
        };
        // A resource's value can depend only on other resources, never on itself.
        let world = self.world;
        let path = self.path.clone();
        let value = world.resource_value(&path, rc, &key, &binding);
        match value.get(argument.as_str()) {
            Some(v) if !v.has_unknown() => self.apply(v.clone(), &rest[1..]),
            Some(v) => {
                let mut origins = v.origins();
                origins.extend(origin.origins());
                Val::unknown_from(origins)
            }
            None => origin,
        }
    }

    fn apply(&self, mut v: Val, ops: &[TraversalOperator]) -> Val {
        for (i, op) in ops.iter().enumerate() {
            v = match op {
                TraversalOperator::GetAttr(a) => match v {
                    Val::Object(map) => map.get(a.as_str()).cloned().unwrap_or(Val::Null),
                    Val::Unknown(o) => Val::Unknown(o),
                    _ => Val::unknown(),
                },
                TraversalOperator::Index(e) => index(v, self.eval(e)),
                TraversalOperator::LegacyIndex(n) => index(v, Val::Number(*n as f64)),
                TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                    let items = match v {
                        Val::List(items) => items,
                        Val::Null => Vec::new(),
                        Val::Unknown(o) => return Val::Unknown(o),
                        other => vec![other],
                    };
                    return Val::List(
                        items
                            .into_iter()
                            .map(|item| self.apply(item, &ops[i + 1..]))
                            .collect(),
                    );
                }
            };
        }
        v
    }

    fn operation(&self, op: &Operation) -> Val {
        match op {
            Operation::Unary(u) => {
                let v = self.eval(&u.expr);
                match (u.operator, &v) {
                    (UnaryOperator::Not, Val::Bool(b)) => Val::Bool(!b),
                    (UnaryOperator::Neg, Val::Number(n)) => Val::Number(-n),
                    _ => unknown_of(&[v]),
                }
            }
            Operation::Binary(b) => {
                let l = self.eval(&b.lhs_expr);
                // `&&` and `||` decide on a known side even when the other is unknown.
                match (b.operator, l.as_bool()) {
                    (BinaryOperator::And, Some(false)) => return Val::Bool(false),
                    (BinaryOperator::Or, Some(true)) => return Val::Bool(true),
                    _ => {}
                }
                let r = self.eval(&b.rhs_expr);
                binary(b.operator, l, r)
            }
        }
    }

    fn for_expr(&self, f: &ForExpr) -> Val {
        let collection = self.eval(&f.collection_expr);
        let Some(entries) = entries(&collection) else {
            return Val::unknown_from(collection.origins());
        };
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        for (k, v) in entries {
            let mut names = vec![(f.value_var.to_string(), v)];
            if let Some(key_var) = &f.key_var {
                names.push((key_var.to_string(), k));
            }
            let inner = self.with_names(names);
            if let Some(cond) = &f.cond_expr {
                match inner.eval(cond).as_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None => return Val::unknown(),
                }
            }
            let value = inner.eval(&f.value_expr);
            match &f.key_expr {
                Some(_) if f.grouping => return Val::unknown(),
                Some(key) => match inner.eval(key) {
                    Val::String(k) => {
                        map.insert(k, value);
                    }
                    _ => return Val::unknown(),
                },
                None => list.push(value),
            }
        }
        if f.key_expr.is_some() {
            Val::Object(map)
        } else {
            Val::List(list)
        }
    }
}

/// Keys and values of a collection: list indexes or object keys.
fn entries(v: &Val) -> Option<Vec<(Val, Val)>> {
    match v {
        Val::List(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Val::Number(i as f64), v.clone()))
                .collect(),
        ),
        Val::Object(map) => Some(
            map.iter()
                .map(|(k, v)| (Val::String(k.clone()), v.clone()))
                .collect(),
        ),
        Val::Null => Some(Vec::new()),
        _ => None,
    }
}

fn index(v: Val, key: Val) -> Val {
    match (v, key) {
        (Val::List(items), Val::Number(n)) => items.get(n as usize).cloned().unwrap_or(Val::Null),
        (Val::Object(map), Val::String(k)) => map.get(&k).cloned().unwrap_or(Val::Null),
        (Val::Object(map), Val::Number(n)) => map
            .get(&super::value::number_text(n))
            .cloned()
            .unwrap_or(Val::Null),
        (v, k) => unknown_of(&[v, k]),
    }
}

/// Unknown, deriving from whatever the inputs derive from.
fn unknown_of(args: &[Val]) -> Val {
    Val::unknown_from(args.iter().flat_map(Val::origins).collect())
}

fn binary(op: BinaryOperator, l: Val, r: Val) -> Val {
    use BinaryOperator as B;
    if l.has_unknown() || r.has_unknown() {
        return unknown_of(&[l, r]);
    }
    let num = |f: fn(f64, f64) -> Val| match (l.as_f64(), r.as_f64()) {
        (Some(a), Some(b)) => f(a, b),
        _ => Val::unknown(),
    };
    match op {
        B::Eq => Val::Bool(l == r),
        B::NotEq => Val::Bool(l != r),
        B::Less => num(|a, b| Val::Bool(a < b)),
        B::LessEq => num(|a, b| Val::Bool(a <= b)),
        B::Greater => num(|a, b| Val::Bool(a > b)),
        B::GreaterEq => num(|a, b| Val::Bool(a >= b)),
        B::Plus => num(|a, b| Val::Number(a + b)),
        B::Minus => num(|a, b| Val::Number(a - b)),
        B::Mul => num(|a, b| Val::Number(a * b)),
        B::Div => num(|a, b| Val::Number(a / b)),
        B::Mod => num(|a, b| Val::Number(a % b)),
        B::And => match (l.as_bool(), r.as_bool()) {
            (Some(a), Some(b)) => Val::Bool(a && b),
            _ => Val::unknown(),
        },
        B::Or => match (l.as_bool(), r.as_bool()) {
            (Some(a), Some(b)) => Val::Bool(a || b),
            _ => Val::unknown(),
        },
    }
}

/// The functions stackform's HCL (and most hand-written modules) use; others are unknown.
fn call(name: &str, args: Vec<Val>) -> Val {
    let all_known = args.iter().all(|a| !a.is_unknown());
    let first = args.first().cloned().unwrap_or(Val::Null);
    match name {
        "length" if all_known => match &first {
            Val::List(items) => Val::Number(items.len() as f64),
            Val::Object(map) => Val::Number(map.len() as f64),
            Val::String(s) => Val::Number(s.chars().count() as f64),
            _ => Val::unknown(),
        },
        "contains" if all_known => match (&first, args.get(1)) {
            (Val::List(items), Some(v)) if !v.has_unknown() && !first.has_unknown() => {
                Val::Bool(items.contains(v))
            }
            _ => unknown_of(&args),
        },
        "concat" if all_known => Val::List(
            args.iter()
                .flat_map(|a| a.items().iter().cloned())
                .collect(),
        ),
        "flatten" if all_known => {
            fn flat(v: &Val, out: &mut Vec<Val>) {
                match v {
                    Val::List(items) => items.iter().for_each(|i| flat(i, out)),
                    other => out.push(other.clone()),
                }
            }
            let mut out = Vec::new();
            flat(&first, &mut out);
            Val::List(out)
        }
        "values" if all_known => match first {
            Val::Object(map) => Val::List(map.into_values().collect()),
            other => unknown_of(&[other]),
        },
        "keys" if all_known => match first {
            Val::Object(map) => Val::List(map.into_keys().map(Val::String).collect()),
            other => unknown_of(&[other]),
        },
        "one" if all_known => match first {
            Val::List(mut items) if items.len() <= 1 => items.pop().unwrap_or(Val::Null),
            other => unknown_of(&[other]),
        },
        "element" if all_known => index(first, args.get(1).cloned().unwrap_or(Val::Null)),
        "lookup" if all_known => match index(first, args.get(1).cloned().unwrap_or(Val::Null)) {
            Val::Null => args.get(2).cloned().unwrap_or(Val::Null),
            v => v,
        },
        "merge" if all_known => {
            let mut map = BTreeMap::new();
            for a in args {
                match a {
                    Val::Object(m) => map.extend(m),
                    Val::Null => {}
                    other => return unknown_of(&[other]),
                }
            }
            Val::Object(map)
        }
        "coalesce" => args
            .into_iter()
            .find(|a| !matches!(a, Val::Null) && a.as_str() != Some(""))
            .unwrap_or(Val::Null),
        "try" => first,
        "tostring" | "tonumber" | "tobool" | "tolist" | "tomap" | "sensitive" | "nonsensitive" => {
            first
        }
        "toset" | "distinct" if all_known => match first {
            Val::List(items) => {
                let mut out: Vec<Val> = Vec::new();
                for i in items {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
                Val::List(out)
            }
            other => other,
        },
        "jsonencode" => match first.to_json() {
            Some(j) => Val::String(j.to_string()),
            None => unknown_of(&args),
        },
        "jsondecode" => match first
            .as_str()
            .map(serde_json::from_str::<serde_json::Value>)
        {
            Some(Ok(j)) => Val::from_plan(Some(&j), None),
            _ => unknown_of(&args),
        },
        "join" if !args.iter().any(Val::has_unknown) => {
            let sep = first.as_str().unwrap_or_default().to_string();
            let parts: Vec<String> = args
                .get(1)
                .map(|l| l.items().iter().map(Val::display).collect())
                .unwrap_or_default();
            Val::String(parts.join(&sep))
        }
        "lower" | "upper" if all_known => match first {
            Val::String(s) if name == "lower" => Val::String(s.to_lowercase()),
            Val::String(s) => Val::String(s.to_uppercase()),
            other => unknown_of(&[other]),
        },
        "replace" if !args.iter().any(Val::has_unknown) => {
            match (
                first.as_str(),
                args.get(1).and_then(Val::as_str),
                args.get(2).and_then(Val::as_str),
            ) {
                // A pattern in slashes is a regular expression; those are not evaluated.
                (Some(s), Some(from), Some(to)) if !from.starts_with('/') => {
                    Val::String(s.replace(from, to))
                }
                _ => Val::unknown(),
            }
        }
        "format" if !args.iter().any(Val::has_unknown) => {
            let Some(spec) = first.as_str() else {
                return Val::unknown();
            };
            let mut rest = args.iter().skip(1);
            let mut out = String::new();
            let mut chars = spec.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s' | 'd' | 'v') => match rest.next() {
                        Some(v) => out.push_str(&v.display()),
                        None => return Val::unknown(),
                    },
                    _ => return Val::unknown(),
                }
            }
            Val::String(out)
        }
        _ => unknown_of(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(files: &[(&str, &str)]) -> Files {
        Files::Memory(
            files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        )
    }

    fn read_root(files: &[(&str, &str)]) -> Inventory {
        read(&memory(files), "root", Origin::Hcl("root".into())).unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn paths_join_like_module_sources() {
        assert_eq!(join("environments/prod", "../../modules/x"), "modules/x");
        assert_eq!(join("a", "./b"), "a/b");
        assert_eq!(join("", "../x"), "../x");
    }

    #[test]
    fn module_inputs_reach_resources_and_dynamic_blocks_expand() {
        let inv = read_root(&[
            (
                "root/main.tf",
                r#"
module "f" {
  source = "../m"
  mode   = "Active"
  queues = { orders = module.q.arn }
}
module "q" {
  source = "../q"
}
"#,
            ),
            (
                "m/main.tf",
                r#"
variable "mode" { type = string }
variable "queues" { default = {} }
data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.mode == "Active" ? [1] : []
    content {
      actions = ["xray:PutTraceSegments"]
    }
  }
}
resource "aws_lambda_function" "this" {
  role = aws_iam_role.this.arn
  tracing_config {
    mode = var.mode
  }
}
resource "aws_iam_role" "this" {
  name = "r"
}
resource "aws_lambda_event_source_mapping" "sqs" {
  for_each         = var.queues
  event_source_arn = each.value
}
"#,
            ),
            (
                "q/main.tf",
                r#"
resource "aws_sqs_queue" "this" {
  name = "q"
}
output "arn" { value = aws_sqs_queue.this.arn }
"#,
            ),
        ]);
        let get = |address: &str| {
            inv.resources
                .iter()
                .find(|r| r.address() == address)
                .unwrap_or_else(|| panic!("no {address} in {:?}", inv.resources))
        };
        let function = get("module.f.aws_lambda_function.this");
        assert_eq!(
            function.path(&["tracing_config", "mode"]),
            Some(&Val::String("Active".into()))
        );
        assert_eq!(
            function.origins_of("role"),
            BTreeSet::from(["module.f.aws_iam_role.this".to_string()])
        );
        let policy = get("module.f.data.aws_iam_policy_document.this");
        assert_eq!(policy.get("statement").map(|s| s.items().len()), Some(1));
        let mapping = get("module.f.aws_lambda_event_source_mapping.sqs[\"orders\"]");
        assert_eq!(
            mapping.origins_of("event_source_arn"),
            BTreeSet::from(["module.q.aws_sqs_queue.this".to_string()])
        );
        assert_eq!(inv.calls.len(), 2);
        assert!(
            inv.calls[0]
                .inputs
                .contains(&("queues.orders".to_string(), "module.q.arn".to_string())),
            "{:?}",
            inv.calls[0].inputs
        );
    }

    #[test]
    fn count_zero_makes_no_instance_and_templates_interpolate() {
        let inv = read_root(&[(
            "root/main.tf",
            r#"
locals { prefix = "shop-prod" }
resource "aws_dynamodb_table" "this" {
  count = false ? 1 : 0
  name  = "t"
}
resource "aws_dynamodb_table" "protected" {
  count = 1
  name  = "${local.prefix}-users"
}
resource "aws_dynamodb_contributor_insights" "this" {
  table_name = one(concat(aws_dynamodb_table.this[*].name, [aws_dynamodb_table.protected[0].name]))
}
"#,
        )]);
        let addresses: Vec<String> = inv.resources.iter().map(Resource::address).collect();
        assert_eq!(
            addresses,
            [
                "aws_dynamodb_contributor_insights.this",
                "aws_dynamodb_table.protected[0]"
            ]
        );
        assert_eq!(
            inv.resources[1].get("name"),
            Some(&Val::String("shop-prod-users".into()))
        );
    }

    const TRACED_MODULE: &str = r#"
variable "mode" { default = "Active" }
variable "name" { default = "f" }
resource "aws_lambda_function" "this" {
  function_name = var.name
  tracing_config {
    mode = var.mode
  }
}
output "name" { value = aws_lambda_function.this.function_name }
"#;

    fn addresses(inv: &Inventory) -> Vec<String> {
        inv.resources.iter().map(Resource::address).collect()
    }

    #[test]
    fn count_and_for_each_on_module_calls_make_keyed_instances() {
        let inv = read_root(&[
            (
                "root/main.tf",
                r#"
locals { names = { a = "PassThrough", b = "Active" } }
module "none" {
  source = "../m"
  count  = 0
  mode   = "PassThrough"
}
module "two" {
  source = "../m"
  count  = 2
  name   = "two-${count.index}"
}
module "each" {
  source   = "../m"
  for_each = local.names
  name     = each.key
  mode     = each.value
}
resource "aws_sqs_queue" "q" {
  name = module.two[1].name
}
"#,
            ),
            ("m/main.tf", TRACED_MODULE),
        ]);
        assert_eq!(
            addresses(&inv),
            [
                "aws_sqs_queue.q",
                "module.each[\"a\"].aws_lambda_function.this",
                "module.each[\"b\"].aws_lambda_function.this",
                "module.two[0].aws_lambda_function.this",
                "module.two[1].aws_lambda_function.this",
            ]
        );
        let get = |a: &str| {
            inv.resources
                .iter()
                .find(|r| r.address() == a)
                .unwrap_or_else(|| panic!("no {a}"))
        };
        assert_eq!(
            get("module.each[\"a\"].aws_lambda_function.this").path(&["tracing_config", "mode"]),
            Some(&Val::String("PassThrough".into()))
        );
        assert_eq!(
            get("module.two[1].aws_lambda_function.this").get("function_name"),
            Some(&Val::String("two-1".into()))
        );
        assert_eq!(
            get("aws_sqs_queue.q").get("name"),
            Some(&Val::String("two-1".into()))
        );
        assert!(inv.notes.is_empty(), "{:?}", inv.notes);
    }

    #[test]
    fn an_unknown_module_count_is_read_as_one_instance_and_said() {
        let inv = read_root(&[
            (
                "root/main.tf",
                r#"
variable "enabled" { type = bool }
module "f" {
  source = "../m"
  count  = var.enabled ? 1 : 0
}
"#,
            ),
            ("m/main.tf", TRACED_MODULE),
        ]);
        assert_eq!(addresses(&inv), ["module.f[0].aws_lambda_function.this"]);
        assert_eq!(
            inv.notes,
            ["the `count` of `module.f` is known only after apply; read as one instance"]
        );
    }

    #[test]
    fn a_module_that_calls_itself_is_refused() {
        let err = |files: &[(&str, &str)]| {
            read(&memory(files), "root", Origin::Hcl("root".into()))
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        };
        let call = |to: &str| format!("module \"next\" {{\n  source = \"{to}\"\n}}\n");
        let own = err(&[("root/main.tf", &call("../m")), ("m/main.tf", &call("./"))]);
        assert!(
            own.starts_with(
                "m/main.tf:1: `module.next.module.next` calls `./`, a module that is already calling it (`m` → `m`)"
            ),
            "{own}"
        );
        let mutual = err(&[
            ("root/main.tf", &call("../a")),
            ("a/main.tf", &call("../b")),
            ("b/main.tf", &call("../a")),
        ]);
        assert!(
            mutual.starts_with("b/main.tf:1: `module.next.module.next.module.next` calls `../a`")
                && mutual.contains("(`a` → `b` → `a`)"),
            "{mutual}"
        );
        // A chain deeper than the cap is refused too, without a cycle.
        let mut files: Vec<(String, String)> = vec![("root/main.tf".into(), call("../m0"))];
        for i in 0..40 {
            files.push((format!("m{i}/main.tf"), call(&format!("../m{}", i + 1))));
        }
        files.push(("m40/main.tf".into(), "locals {}\n".into()));
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let deep = err(&files);
        assert!(deep.contains("nests modules more than 32 deep"), "{deep}");
    }

    #[test]
    fn override_and_json_files_are_refused_not_skipped() {
        let base = "resource \"aws_sqs_queue\" \"q\" {\n  name = \"q\"\n}\n";
        for (name, expected) in [
            (
                "root/main_override.tf",
                "root/main_override.tf:1: an override file",
            ),
            ("root/override.tf", "root/override.tf:1: an override file"),
            (
                "root/x_override.tf.json",
                "root/x_override.tf.json:1: an override file",
            ),
            (
                "root/extra.tf.json",
                "root/extra.tf.json:1: Terraform JSON configuration",
            ),
        ] {
            let err = read(
                &memory(&[("root/main.tf", base), (name, "{}")]),
                "root",
                Origin::Hcl("root".into()),
            )
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
            assert!(err.starts_with(expected), "{name}: {err}");
        }
        // A module's override file is refused as well, naming the module.
        let err = read(
            &memory(&[
                ("root/main.tf", "module \"m\" {\n  source = \"../m\"\n}\n"),
                ("m/main.tf", base),
                ("m/main_override.tf", "{}"),
            ]),
            "root",
            Origin::Hcl("root".into()),
        )
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
        assert!(
            err.contains("m/main_override.tf:1: an override file"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_root_or_bad_hcl_is_an_error() {
        let err = read(&memory(&[]), "root", Origin::Hcl("root".into()));
        assert!(err.is_err());
        let err = read(
            &memory(&[("root/main.tf", "resource \"x\" {")]),
            "root",
            Origin::Hcl("root".into()),
        );
        assert!(
            format!("{:#}", err.err().map(|e| e.to_string()).unwrap_or_default())
                .contains("not valid HCL")
        );
    }
}
