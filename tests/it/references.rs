//! A provider-free `terraform validate`: in every module and root directory each reference
//! (`var.X`, `local.X`, `T.N`, `data.T.N`, `module.M.O`, `count`, `each`, `self`) must resolve
//! to a declaration, module calls must pass exactly the called module's variables (all required
//! ones included), every variable has a type and a description, and every output a description.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hcl::template::{Directive, Element, Template};
use hcl::{Block, Body, Expression, ObjectKey, Operation, TemplateExpr, TraversalOperator};

use crate::schema::{TfFile, load_tf_files};

/// Module-call arguments that Terraform handles itself.
const MODULE_META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// What one module directory declares.
#[derive(Default)]
struct Declarations {
    /// Variable name → whether it has a `default` (and so is optional for callers).
    variables: BTreeMap<String, bool>,
    locals: BTreeSet<String>,
    /// `TYPE.NAME` of `resource`, `data` and `ephemeral` blocks.
    resources: BTreeSet<String>,
    data: BTreeSet<String>,
    ephemeral: BTreeSet<String>,
    /// Module call name → its `source`, when that is a literal string.
    module_calls: BTreeMap<String, Option<String>>,
    outputs: BTreeSet<String>,
}

impl Declarations {
    /// Collects the declarations of one directory's files; duplicates go to `problems`.
    fn collect(files: &[&TfFile], problems: &mut Vec<String>) -> Declarations {
        let mut decls = Declarations::default();
        for file in files {
            for block in file.body.blocks() {
                let labels: Vec<&str> = block.labels().iter().map(|label| label.as_str()).collect();
                let (kind, fresh) = match (block.identifier(), labels.as_slice()) {
                    ("variable", [name]) => {
                        let has_default = block
                            .body()
                            .attributes()
                            .any(|a| a.key.as_str() == "default");
                        (
                            "variable",
                            decls
                                .variables
                                .insert((*name).to_owned(), has_default)
                                .is_none(),
                        )
                    }
                    ("output", [name]) => ("output", decls.outputs.insert((*name).to_owned())),
                    ("resource", [type_name, name]) => (
                        "resource",
                        decls.resources.insert(format!("{type_name}.{name}")),
                    ),
                    ("data", [type_name, name]) => {
                        ("data", decls.data.insert(format!("{type_name}.{name}")))
                    }
                    ("ephemeral", [type_name, name]) => (
                        "ephemeral",
                        decls.ephemeral.insert(format!("{type_name}.{name}")),
                    ),
                    ("module", [name]) => {
                        let source = block
                            .body()
                            .attributes()
                            .find(|a| a.key.as_str() == "source");
                        let source = source.and_then(|a| match &a.expr {
                            Expression::String(source) => Some(source.clone()),
                            _ => None,
                        });
                        (
                            "module",
                            decls
                                .module_calls
                                .insert((*name).to_owned(), source)
                                .is_none(),
                        )
                    }
                    ("locals", []) => {
                        for attribute in block.body().attributes() {
                            let name = attribute.key.as_str();
                            if !decls.locals.insert(name.to_owned()) {
                                problems.push(format!(
                                    "{}: duplicate local value \"{name}\"",
                                    file.rel
                                ));
                            }
                        }
                        continue;
                    }
                    _ => continue,
                };
                if !fresh {
                    problems.push(format!(
                        "{}: duplicate {kind} {}",
                        file.rel,
                        labels.join(".")
                    ));
                }
            }
        }
        decls
    }
}

/// What [`check_tree`] found.
#[derive(Debug, Default)]
pub struct ReferenceReport {
    /// One line per problem: `FILE: ADDRESS: MESSAGE` (or `FILE: MESSAGE`).
    pub problems: Vec<String>,
    /// The module directories checked, relative to the root.
    pub modules: Vec<String>,
    /// Module calls checked.
    pub module_calls: usize,
    /// References resolved (or reported).
    pub references: usize,
}

/// Checks every directory with `.tf` files under `root/<dir>` for each of `dirs` as one
/// Terraform module. Local module sources (`./`, `../`) are resolved from the calling directory,
/// also when the called module lies outside `dirs`; other sources are not followed.
pub fn check_tree(root: &Path, dirs: &[&str]) -> ReferenceReport {
    let mut report = ReferenceReport::default();
    let files = load_tf_files(root, dirs, &mut report.problems);
    let mut by_dir: BTreeMap<&str, Vec<&TfFile>> = BTreeMap::new();
    for file in &files {
        by_dir.entry(file.dir.as_str()).or_default().push(file);
    }

    let mut decls: BTreeMap<String, Declarations> = BTreeMap::new();
    for (dir, files) in &by_dir {
        decls.insert(
            (*dir).to_owned(),
            Declarations::collect(files, &mut report.problems),
        );
    }
    // Called modules outside the checked dirs: load them for their variables and outputs only.
    let wanted: BTreeSet<String> = decls
        .iter()
        .flat_map(|(dir, d)| {
            d.module_calls
                .values()
                .flatten()
                .filter_map(|source| local_source(dir, source))
        })
        .filter(|dir| !decls.contains_key(dir))
        .collect();
    for dir in wanted {
        let mut ignored = Vec::new();
        let files = load_tf_files(root, &[dir.as_str()], &mut ignored);
        let own: Vec<&TfFile> = files.iter().filter(|f| f.dir == dir).collect();
        if !own.is_empty() {
            decls.insert(dir, Declarations::collect(&own, &mut ignored));
        }
    }

    for (dir, files) in &by_dir {
        let Some(own) = decls.get(*dir) else { continue };
        let calls: BTreeMap<&str, Call> = own
            .module_calls
            .iter()
            .map(|(name, source)| {
                let callee = source
                    .as_deref()
                    .and_then(|s| local_source(dir, s))
                    .and_then(|d| decls.get(&d));
                (
                    name.as_str(),
                    Call {
                        source: source.as_deref(),
                        callee,
                    },
                )
            })
            .collect();
        for file in files {
            let mut checker = Checker {
                rel: &file.rel,
                decls: own,
                calls: &calls,
                address: String::new(),
                self_address: None,
                problems: &mut report.problems,
                references: 0,
                module_calls: 0,
            };
            checker.file(&file.body);
            report.references += checker.references;
            report.module_calls += checker.module_calls;
        }
        report.modules.push((*dir).to_owned());
    }
    report
}

/// Whether a module source is a local path (Terraform requires the `./` or `../` prefix).
fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// The directory a local module source points to, relative to the root; `None` for
/// non-local sources and for paths that leave the root.
fn local_source(dir: &str, source: &str) -> Option<String> {
    if !is_local(source) {
        return None;
    }
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// A module call as seen from the calling directory.
struct Call<'a> {
    source: Option<&'a str>,
    /// The called module's declarations, when its source is local and has `.tf` files.
    callee: Option<&'a Declarations>,
}

/// Names in scope for an expression, besides the module's declarations.
#[derive(Clone, Default)]
struct Scope {
    /// `for` and `dynamic` iterator names.
    locals: Vec<String>,
    count: bool,
    each: bool,
    self_allowed: bool,
}

impl Scope {
    fn with_locals<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Scope {
        let mut scope = self.clone();
        scope.locals.extend(names.into_iter().map(str::to_owned));
        scope
    }

    fn allowing_self(&self) -> Scope {
        Scope {
            self_allowed: true,
            ..self.clone()
        }
    }
}

struct Checker<'a> {
    rel: &'a str,
    decls: &'a Declarations,
    calls: &'a BTreeMap<&'a str, Call<'a>>,
    /// The top-level block being checked, e.g. `aws_sqs_queue.this` or `module.api`.
    address: String,
    /// `TYPE.NAME` / `data.TYPE.NAME` of the resource being checked, to catch self-references.
    self_address: Option<String>,
    problems: &'a mut Vec<String>,
    references: usize,
    module_calls: usize,
}

fn attribute<'b>(body: &'b Body, name: &str) -> Option<&'b Expression> {
    body.attributes()
        .find(|a| a.key.as_str() == name)
        .map(|a| &a.expr)
}

fn has_text(body: &Body, name: &str) -> bool {
    match attribute(body, name) {
        None => false,
        Some(Expression::String(text)) => !text.trim().is_empty(),
        Some(_) => true,
    }
}

impl Checker<'_> {
    fn problem(&mut self, message: impl std::fmt::Display) {
        let problem = if self.address.is_empty() {
            format!("{}: {message}", self.rel)
        } else {
            format!("{}: {}: {message}", self.rel, self.address)
        };
        self.problems.push(problem);
    }

    fn file(&mut self, body: &Body) {
        for attribute in body.attributes() {
            self.problem(format_args!(
                "unexpected top-level argument \"{}\"",
                attribute.key.as_str()
            ));
        }
        for block in body.blocks() {
            self.top_level_block(block);
        }
    }

    fn top_level_block(&mut self, block: &Block) {
        let labels: Vec<&str> = block.labels().iter().map(|label| label.as_str()).collect();
        let body = block.body();
        self.self_address = None;
        match (block.identifier(), labels.as_slice()) {
            ("variable", [name]) => {
                self.address = format!("var.{name}");
                if attribute(body, "type").is_none() {
                    self.problem("variable has no type");
                }
                if !has_text(body, "description") {
                    self.problem("variable has no description");
                }
                self.body(body, &Scope::default(), &["type"]);
            }
            ("output", [name]) => {
                self.address = format!("output.{name}");
                if !has_text(body, "description") {
                    self.problem("output has no description");
                }
                self.body(body, &Scope::default(), &[]);
            }
            ("locals", []) => {
                self.address = "locals".to_owned();
                self.body(body, &Scope::default(), &[]);
            }
            ("resource" | "data" | "ephemeral", [type_name, name]) => {
                self.address = match block.identifier() {
                    "resource" => format!("{type_name}.{name}"),
                    kind => format!("{kind}.{type_name}.{name}"),
                };
                self.self_address = Some(self.address.clone());
                self.resource(body);
            }
            ("module", [name]) => {
                self.address = format!("module.{name}");
                self.module_call(name, body);
            }
            ("provider", [_]) => {
                self.address = format!("provider.{}", labels.join("."));
                self.body(body, &Scope::default(), &["alias"]);
            }
            ("check", [name]) => {
                self.address = format!("check.{name}");
                self.body(body, &Scope::default(), &[]);
            }
            // Settings, and addresses that need not resolve (`moved { from = ... }`).
            ("terraform" | "moved" | "removed" | "import", _) => {}
            (kind, _) => {
                self.address = String::new();
                match kind {
                    "variable" | "output" | "locals" | "resource" | "data" | "ephemeral"
                    | "module" | "provider" | "check" => {
                        self.problem(format_args!("{kind} block has wrong labels {labels:?}"))
                    }
                    _ => self.problem(format_args!("unsupported top-level block \"{kind}\"")),
                }
            }
        }
    }

    /// Scope of a block with `count`/`for_each`; those two are evaluated outside it.
    fn repeated_scope(&mut self, body: &Body) -> Scope {
        for meta in ["count", "for_each"] {
            if let Some(expr) = attribute(body, meta) {
                self.expr(expr, &Scope::default());
            }
        }
        Scope {
            count: attribute(body, "count").is_some(),
            each: attribute(body, "for_each").is_some(),
            ..Scope::default()
        }
    }

    fn resource(&mut self, body: &Body) {
        let scope = self.repeated_scope(body);
        self.body(body, &scope, &["count", "for_each", "provider"]);
    }

    fn module_call(&mut self, name: &str, body: &Body) {
        self.module_calls += 1;
        let scope = self.repeated_scope(body);
        match attribute(body, "source") {
            None => self.problem("module call has no source"),
            Some(Expression::String(_)) => {}
            Some(_) => self.problem("module source must be a literal string"),
        }
        let call = self.calls.get(name);
        let source = call.and_then(|c| c.source).unwrap_or_default();
        let callee = call.and_then(|c| c.callee);
        if callee.is_none() && is_local(source) {
            self.problem(format_args!(
                "source \"{source}\" is not a directory with .tf files"
            ));
        }
        for attribute in body.attributes() {
            let key = attribute.key.as_str();
            if MODULE_META_ARGUMENTS.contains(&key) {
                if key == "depends_on" {
                    self.expr(&attribute.expr, &scope);
                }
                continue;
            }
            if let Some(callee) = callee
                && !callee.variables.contains_key(key)
            {
                self.problem(format_args!("\"{source}\" has no variable \"{key}\""));
            }
            self.expr(&attribute.expr, &scope);
        }
        if let Some(callee) = callee {
            for (variable, has_default) in &callee.variables {
                if !has_default && attribute(body, variable).is_none() {
                    self.problem(format_args!(
                        "missing required variable \"{variable}\" of \"{source}\""
                    ));
                }
            }
        }
        for block in body.blocks() {
            self.problem(format_args!(
                "unexpected block \"{}\" in module call",
                block.identifier()
            ));
        }
    }

    /// Walks a body's arguments (except `skip`) and nested blocks.
    fn body(&mut self, body: &Body, scope: &Scope, skip: &[&str]) {
        for attribute in body.attributes() {
            if !skip.contains(&attribute.key.as_str()) {
                self.expr(&attribute.expr, scope);
            }
        }
        for block in body.blocks() {
            self.nested_block(block, scope);
        }
    }

    fn nested_block(&mut self, block: &Block, scope: &Scope) {
        let body = block.body();
        match block.identifier() {
            // `ignore_changes` lists attribute names, not references.
            "lifecycle" => self.body(body, scope, &["ignore_changes"]),
            "postcondition" | "provisioner" | "connection" => {
                self.body(body, &scope.allowing_self(), &[])
            }
            "dynamic" => {
                let Some(label) = block.labels().first() else {
                    self.problem("dynamic block has no label");
                    return;
                };
                let iterator = match attribute(body, "iterator") {
                    None => label.as_str().to_owned(),
                    Some(Expression::Variable(name)) => name.as_str().to_owned(),
                    Some(_) => {
                        self.problem(format_args!(
                            "dynamic \"{}\": iterator must be a name",
                            label.as_str()
                        ));
                        return;
                    }
                };
                if let Some(for_each) = attribute(body, "for_each") {
                    self.expr(for_each, scope);
                } else {
                    self.problem(format_args!(
                        "dynamic \"{}\" has no for_each",
                        label.as_str()
                    ));
                }
                let inner = scope.with_locals([iterator.as_str()]);
                self.body(body, &inner, &["for_each", "iterator"]);
            }
            _ => self.body(body, scope, &[]),
        }
    }

    fn expr(&mut self, expr: &Expression, scope: &Scope) {
        match expr {
            Expression::Null
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(items) => {
                for item in items {
                    self.expr(item, scope);
                }
            }
            Expression::Object(object) => {
                for (key, value) in object {
                    if let ObjectKey::Expression(key) = key {
                        self.expr(key, scope);
                    }
                    self.expr(value, scope);
                }
            }
            Expression::TemplateExpr(template) => self.template_expr(template, scope),
            Expression::Variable(variable) => self.reference(variable.as_str(), &[], scope),
            Expression::Traversal(traversal) => {
                match &traversal.expr {
                    Expression::Variable(root) => {
                        self.reference(root.as_str(), &traversal.operators, scope)
                    }
                    other => self.expr(other, scope),
                }
                for operator in &traversal.operators {
                    if let TraversalOperator::Index(index) = operator {
                        self.expr(index, scope);
                    }
                }
            }
            Expression::FuncCall(call) => {
                for arg in &call.args {
                    self.expr(arg, scope);
                }
            }
            Expression::Parenthesis(inner) => self.expr(inner, scope),
            Expression::Conditional(conditional) => {
                self.expr(&conditional.cond_expr, scope);
                self.expr(&conditional.true_expr, scope);
                self.expr(&conditional.false_expr, scope);
            }
            Expression::Operation(operation) => match operation.as_ref() {
                Operation::Unary(unary) => self.expr(&unary.expr, scope),
                Operation::Binary(binary) => {
                    self.expr(&binary.lhs_expr, scope);
                    self.expr(&binary.rhs_expr, scope);
                }
            },
            Expression::ForExpr(for_expr) => {
                self.expr(&for_expr.collection_expr, scope);
                let names = for_expr
                    .key_var
                    .iter()
                    .chain([&for_expr.value_var])
                    .map(|name| name.as_str());
                let inner = scope.with_locals(names);
                if let Some(key) = &for_expr.key_expr {
                    self.expr(key, &inner);
                }
                self.expr(&for_expr.value_expr, &inner);
                if let Some(cond) = &for_expr.cond_expr {
                    self.expr(cond, &inner);
                }
            }
            other => self.problem(format_args!("unsupported expression {other:?}")),
        }
    }

    fn template_expr(&mut self, template: &TemplateExpr, scope: &Scope) {
        match Template::from_expr(template) {
            Ok(template) => self.template(&template, scope),
            Err(err) => self.problem(format_args!("cannot parse template: {err}")),
        }
    }

    fn template(&mut self, template: &Template, scope: &Scope) {
        for element in template.elements() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(interpolation) => self.expr(&interpolation.expr, scope),
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(directive) => {
                        self.expr(&directive.cond_expr, scope);
                        self.template(&directive.true_template, scope);
                        if let Some(false_template) = &directive.false_template {
                            self.template(false_template, scope);
                        }
                    }
                    Directive::For(directive) => {
                        self.expr(&directive.collection_expr, scope);
                        let names = directive
                            .key_var
                            .iter()
                            .chain([&directive.value_var])
                            .map(|name| name.as_str());
                        self.template(&directive.template, &scope.with_locals(names));
                    }
                },
            }
        }
    }

    /// Resolves a reference rooted at `root` followed by `operators`.
    fn reference(&mut self, root: &str, operators: &[TraversalOperator], scope: &Scope) {
        if scope.locals.iter().any(|name| name == root) {
            return;
        }
        self.references += 1;
        let attr = |i: usize| match operators.get(i) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        let decls = self.decls;
        match root {
            "var" => match attr(0) {
                None => self.problem("`var` must be followed by a variable name"),
                Some(name) if !decls.variables.contains_key(name) => {
                    self.problem(format_args!("undeclared variable var.{name}"));
                }
                Some(_) => {}
            },
            "local" => match attr(0) {
                None => self.problem("`local` must be followed by a local value name"),
                Some(name) if !decls.locals.contains(name) => {
                    self.problem(format_args!("undeclared local local.{name}"))
                }
                Some(_) => {}
            },
            "module" => self.module_reference(attr(0), operators.get(1..).unwrap_or_default()),
            "data" | "ephemeral" => match (attr(0), attr(1)) {
                (Some(type_name), Some(name)) => {
                    let declared = if root == "data" {
                        &decls.data
                    } else {
                        &decls.ephemeral
                    };
                    let address = format!("{root}.{type_name}.{name}");
                    if !declared.contains(&format!("{type_name}.{name}")) {
                        self.problem(format_args!("undeclared {root} block {address}"));
                    } else if self.self_address.as_deref() == Some(address.as_str()) {
                        self.problem("block refers to itself");
                    }
                }
                _ => self.problem(format_args!(
                    "`{root}` must be followed by a type and a name"
                )),
            },
            "path" => {
                if !matches!(attr(0), Some("module" | "root" | "cwd")) {
                    self.problem("`path` has only module, root and cwd");
                }
            }
            "terraform" => {
                if !matches!(attr(0), Some("workspace" | "applying")) {
                    self.problem("`terraform` has only workspace and applying");
                }
            }
            "count" => {
                if !scope.count {
                    self.problem("count.index used in a block without count");
                } else if attr(0) != Some("index") {
                    self.problem("`count` has only index");
                }
            }
            "each" => {
                if !scope.each {
                    self.problem("each used in a block without for_each");
                } else if !matches!(attr(0), Some("key" | "value")) {
                    self.problem("`each` has only key and value");
                }
            }
            "self" => {
                if !scope.self_allowed {
                    self.problem(
                        "self is only valid in provisioner, connection and postcondition blocks",
                    );
                }
            }
            type_name => match attr(0) {
                None => self.problem(format_args!("unknown name \"{type_name}\"")),
                Some(name) => {
                    let address = format!("{type_name}.{name}");
                    if !decls.resources.contains(&address) {
                        self.problem(format_args!("undeclared resource {address}"));
                    } else if self.self_address.as_deref() == Some(address.as_str()) {
                        self.problem("block refers to itself");
                    }
                }
            },
        }
    }

    /// `module.NAME[...].OUTPUT...`: the call must exist and, if local, declare the output.
    fn module_reference(&mut self, name: Option<&str>, rest: &[TraversalOperator]) {
        let Some(name) = name else {
            self.problem("`module` must be followed by a module call name");
            return;
        };
        let Some(call) = self.calls.get(name) else {
            self.problem(format_args!("undeclared module call module.{name}"));
            return;
        };
        // The output is the first attribute after any index or splat on the call.
        let output = rest.iter().find_map(|operator| match operator {
            TraversalOperator::GetAttr(output) => Some(output.as_str()),
            _ => None,
        });
        if let (Some(callee), Some(output)) = (call.callee, output)
            && !callee.outputs.contains(output)
        {
            let source = call.source.unwrap_or_default();
            self.problem(format_args!(
                "module.{name}.{output}: \"{source}\" has no output \"{output}\""
            ));
        }
    }
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hcl/references")
}

fn check_fixture(case: &str) -> Vec<String> {
    check_tree(&fixtures(), &[case]).problems
}

#[test]
fn committed_hcl_references_resolve() {
    let report = check_tree(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["modules", "environments"],
    );
    assert!(
        report.problems.is_empty(),
        "reference problems:\n{}",
        report.problems.join("\n")
    );
    assert!(
        report.modules.iter().any(|m| m.starts_with("modules/")),
        "no module checked: {:?}",
        report.modules
    );
    assert!(
        report
            .modules
            .iter()
            .any(|m| m.starts_with("environments/")),
        "no root checked: {:?}",
        report.modules
    );
    assert!(report.module_calls > 0, "no module call checked");
    assert!(report.references > 0, "no reference checked");
}

#[test]
fn valid_fixture_passes() {
    let report = check_tree(&fixtures(), &["valid"]);
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(
        report.modules,
        ["valid/environments/dev", "valid/modules/queue"]
    );
    assert_eq!(report.module_calls, 2);
    assert!(
        report.references > 20,
        "only {} references",
        report.references
    );
}

#[test]
fn detects_undeclared_variable() {
    assert_eq!(
        check_fixture("undeclared_variable"),
        ["undeclared_variable/main.tf: aws_sqs_queue.this: undeclared variable var.queue_name"]
    );
}

#[test]
fn detects_undeclared_local() {
    assert_eq!(
        check_fixture("undeclared_local"),
        [
            "undeclared_local/main.tf: locals: undeclared local local.prefix",
            "undeclared_local/main.tf: aws_sqs_queue.this: undeclared local local.nmae",
            "undeclared_local/main.tf: aws_sqs_queue.this: undeclared local local.in_quotes",
            "undeclared_local/main.tf: aws_sqs_queue.this: undeclared local local.in_heredoc",
        ]
    );
}

#[test]
fn detects_undeclared_resource_and_data_source() {
    assert_eq!(
        check_fixture("undeclared_resource"),
        [
            "undeclared_resource/main.tf: aws_lambda_function.this: undeclared resource aws_iam_role.lambda",
            "undeclared_resource/main.tf: aws_lambda_function.this: undeclared data block data.aws_iam_policy_document.assume",
            "undeclared_resource/main.tf: aws_lambda_function.this: undeclared resource aws_sqs_queue.jobs",
            "undeclared_resource/main.tf: aws_lambda_function.this: block refers to itself",
        ]
    );
}

#[test]
fn detects_undeclared_module_and_output() {
    assert_eq!(
        check_fixture("undeclared_module"),
        [
            "undeclared_module/root/main.tf: output.url: undeclared module call module.queues",
            "undeclared_module/root/main.tf: output.arn: module.queue.queue_arn: \"../module\" has no output \"queue_arn\"",
        ]
    );
}

#[test]
fn detects_module_argument_mismatch() {
    assert_eq!(
        check_fixture("module_arguments"),
        [
            "module_arguments/root/main.tf: module.queue: \"../module\" has no variable \"colour\"",
            "module_arguments/root/main.tf: module.queue: missing required variable \"name\" of \"../module\"",
            "module_arguments/root/main.tf: module.missing: source \"../nowhere\" is not a directory with .tf files",
        ]
    );
}

#[test]
fn detects_undocumented_variables_and_outputs() {
    assert_eq!(
        check_fixture("undocumented"),
        [
            "undocumented/main.tf: var.untyped: variable has no type",
            "undocumented/main.tf: var.undescribed: variable has no description",
            "undocumented/main.tf: var.blank: variable has no description",
            "undocumented/main.tf: output.url: output has no description",
        ]
    );
}

#[test]
fn detects_names_out_of_scope() {
    assert_eq!(
        check_fixture("scope"),
        [
            "scope/main.tf: aws_sqs_queue.one: count.index used in a block without count",
            "scope/main.tf: aws_sqs_queue.one: each used in a block without for_each",
            "scope/main.tf: aws_sqs_queue.one: self is only valid in provisioner, connection and postcondition blocks",
            "scope/main.tf: locals: unknown name \"q\"",
            "scope/main.tf: locals: unknown name \"item\"",
            "scope/main.tf: aws_lambda_function.this: undeclared resource environment.value",
        ]
    );
}

#[test]
fn detects_duplicate_declarations() {
    assert_eq!(
        check_fixture("duplicates"),
        [
            "duplicates/main.tf: duplicate local value \"queue\"",
            "duplicates/other.tf: duplicate variable name",
            "duplicates/other.tf: duplicate resource aws_sqs_queue.this",
        ]
    );
}

#[test]
fn resolves_local_module_sources() {
    assert_eq!(
        local_source("environments/dev", "../../modules/api").as_deref(),
        Some("modules/api")
    );
    assert_eq!(local_source("a", "./b/").as_deref(), Some("a/b"));
    assert_eq!(local_source("a", "..").as_deref(), None);
    assert_eq!(local_source("a", "../..").as_deref(), None);
    assert_eq!(local_source("a", "hashicorp/consul/aws").as_deref(), None);
}
