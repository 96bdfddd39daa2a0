//! Checks Terraform HCL against the AWS provider schemas in `tests/fixtures/`: hashicorp/aws
//! 6.69.1 (`aws-schema.json`, see `tests/fixtures/README.md`) and the real 5.100.0
//! (`aws-schema-5.100.0.json`, see its `.md`), the two ends of the range the rendered roots
//! allow. Every argument and nested block of
//! each `resource`, `data` and `provider "aws"` block must exist on its type, required ones
//! must be set, computed-only attributes must not be, and `max_items = 1` blocks appear once.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hcl::{Block, Body};
use serde::Deserialize;

const AWS_PROVIDER: &str = "registry.terraform.io/hashicorp/aws";

/// Resource types that come with Terraform (or are provider-neutral) and are not in the schema.
const BUILTIN_RESOURCES: &[&str] = &["terraform_data", "null_resource"];
/// Data sources that come with Terraform itself.
const BUILTIN_DATA_SOURCES: &[&str] = &["terraform_remote_state"];

const RESOURCE_META_ARGUMENTS: &[&str] = &["count", "for_each", "provider", "depends_on"];
const RESOURCE_META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];
const DATA_META_BLOCKS: &[&str] = &["lifecycle"];
const PROVIDER_META_ARGUMENTS: &[&str] = &["alias", "version"];

#[derive(Deserialize)]
struct SchemaFile {
    provider_schemas: BTreeMap<String, ProviderSchema>,
}

#[derive(Deserialize)]
struct ProviderSchema {
    provider: TypeSchema,
    resource_schemas: BTreeMap<String, TypeSchema>,
    data_source_schemas: BTreeMap<String, TypeSchema>,
}

#[derive(Deserialize)]
struct TypeSchema {
    block: BlockSchema,
}

#[derive(Deserialize, Default)]
struct BlockSchema {
    #[serde(default)]
    attributes: BTreeMap<String, AttributeSchema>,
    #[serde(default)]
    block_types: BTreeMap<String, NestedBlockSchema>,
}

#[derive(Deserialize)]
struct AttributeSchema {
    #[serde(default)]
    required: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    computed: bool,
}

impl AttributeSchema {
    fn computed_only(&self) -> bool {
        self.computed && !self.optional && !self.required
    }
}

#[derive(Deserialize)]
struct NestedBlockSchema {
    nesting_mode: String,
    #[serde(default)]
    block: BlockSchema,
    #[serde(default)]
    min_items: u64,
    #[serde(default)]
    max_items: Option<u64>,
    /// Set where the generator lost the block's contents (wafv2 `rule.statement`).
    #[serde(default, rename = "_contents_unknown")]
    contents_unknown: bool,
}

impl NestedBlockSchema {
    fn at_most_once(&self) -> bool {
        self.max_items == Some(1) || self.nesting_mode == "single"
    }
}

/// One of the committed provider schemas.
#[derive(Debug, Clone, Copy)]
pub enum Schema {
    /// hashicorp/aws 6.69.1.
    V6,
    /// hashicorp/aws 5.100.0, read from the provider binary.
    V5,
}

impl Schema {
    fn file(self) -> &'static str {
        match self {
            Self::V6 => "tests/fixtures/aws-schema.json",
            Self::V5 => "tests/fixtures/aws-schema-5.100.0.json",
        }
    }
}

/// The AWS provider's schema, parsed once per test process.
fn aws_schema_of(which: Schema) -> &'static ProviderSchema {
    static V6: OnceLock<ProviderSchema> = OnceLock::new();
    static V5: OnceLock<ProviderSchema> = OnceLock::new();
    let cell = match which {
        Schema::V6 => &V6,
        Schema::V5 => &V5,
    };
    cell.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(which.file());
        let text =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", which.file()));
        let mut file: SchemaFile = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a provider schema: {e}", which.file()));
        file.provider_schemas
            .remove(AWS_PROVIDER)
            .unwrap_or_else(|| panic!("{} has no hashicorp/aws provider", which.file()))
    })
}

fn aws_schema() -> &'static ProviderSchema {
    aws_schema_of(Schema::V6)
}

/// One parsed `.tf` file.
pub(crate) struct TfFile {
    /// Path relative to the checked root, `/`-separated, e.g. `modules/function/main.tf`.
    pub(crate) rel: String,
    /// The directory part of `rel` (the Terraform module the file belongs to).
    pub(crate) dir: String,
    pub(crate) body: Body,
}

/// Parses every `.tf` file under `root/<dir>` for each of `dirs`, recursively, in path order.
/// Missing directories, unreadable files and parse errors are pushed to `problems`.
pub(crate) fn load_tf_files(root: &Path, dirs: &[&str], problems: &mut Vec<String>) -> Vec<TfFile> {
    let mut paths = Vec::new();
    for dir in dirs {
        let path = root.join(dir);
        if path.is_dir() {
            collect_tf_paths(&path, &mut paths, problems);
        } else {
            problems.push(format!(
                "{dir}: directory not found under {}",
                root.display()
            ));
        }
    }
    paths.sort();
    paths.dedup();
    let mut files = Vec::new();
    for path in paths {
        let rel = relative(root, &path);
        let dir = rel.rsplit_once('/').map_or(".", |(dir, _)| dir).to_owned();
        match fs::read_to_string(&path) {
            Err(err) => problems.push(format!("{rel}: cannot read: {err}")),
            Ok(text) => match hcl::parse(&text) {
                Err(err) => problems.push(format!("{rel}: cannot parse: {err}")),
                Ok(body) => files.push(TfFile { rel, dir, body }),
            },
        }
    }
    files
}

fn collect_tf_paths(dir: &Path, paths: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            problems.push(format!("{}: cannot list: {err}", dir.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() {
            if !hidden {
                collect_tf_paths(&path, paths, problems);
            }
        } else if path.extension().is_some_and(|ext| ext == "tf") {
            paths.push(path);
        }
    }
}

/// `path` relative to `root`, with `/` separators (`.` for `root` itself).
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// What [`check_tree`] found.
#[derive(Debug, Default)]
pub struct SchemaReport {
    /// One line per problem: `FILE: ADDRESS: MESSAGE`.
    pub problems: Vec<String>,
    /// How many blocks of each type were checked; data sources are keyed `data.TYPE`.
    pub checked: BTreeMap<String, usize>,
}

/// Checks every `resource`, `data` and `provider "aws"` block in the `.tf` files under
/// `root/<dir>` for each of `dirs` against the AWS provider schema. Problems name files
/// relative to `root`.
pub fn check_tree(root: &Path, dirs: &[&str]) -> SchemaReport {
    check_tree_with(Schema::V6, root, dirs)
}

/// [`check_tree`] against one schema.
pub fn check_tree_with(which: Schema, root: &Path, dirs: &[&str]) -> SchemaReport {
    let schema = aws_schema_of(which);
    let mut report = SchemaReport::default();
    for file in load_tf_files(root, dirs, &mut report.problems) {
        for block in file.body.blocks() {
            check_top_level_block(schema, &file.rel, block, &mut report);
        }
    }
    report
}

fn check_top_level_block(
    schema: &ProviderSchema,
    rel: &str,
    block: &Block,
    report: &mut SchemaReport,
) {
    let labels: Vec<&str> = block.labels().iter().map(|label| label.as_str()).collect();
    let kind = block.identifier();
    let (address, type_schema, meta) = match (kind, labels.as_slice()) {
        ("resource", [type_name, name]) => {
            *report.checked.entry((*type_name).to_owned()).or_default() += 1;
            let address = format!("{type_name}.{name}");
            match schema.resource_schemas.get(*type_name) {
                Some(type_schema) => (address, type_schema, Meta::RESOURCE),
                None if BUILTIN_RESOURCES.contains(type_name) => return,
                None => {
                    let problem =
                        format!("{rel}: {address}: unknown resource type \"{type_name}\"");
                    report.problems.push(problem);
                    return;
                }
            }
        }
        ("data", [type_name, name]) => {
            *report
                .checked
                .entry(format!("data.{type_name}"))
                .or_default() += 1;
            let address = format!("data.{type_name}.{name}");
            match schema.data_source_schemas.get(*type_name) {
                Some(type_schema) => (address, type_schema, Meta::DATA),
                None if BUILTIN_DATA_SOURCES.contains(type_name) => return,
                None => {
                    let problem =
                        format!("{rel}: {address}: unknown data source type \"{type_name}\"");
                    report.problems.push(problem);
                    return;
                }
            }
        }
        ("resource" | "data", _) => {
            let problem = format!(
                "{rel}: {kind} block needs exactly two labels (type and name), found {labels:?}"
            );
            report.problems.push(problem);
            return;
        }
        ("provider", ["aws"]) => {
            *report.checked.entry("provider.aws".to_owned()).or_default() += 1;
            ("provider.aws".to_owned(), &schema.provider, Meta::PROVIDER)
        }
        _ => return,
    };
    let mut messages = Vec::new();
    check_body(block.body(), &type_schema.block, "", meta, &mut messages);
    report.problems.extend(
        messages
            .into_iter()
            .map(|message| format!("{rel}: {address}: {message}")),
    );
}

/// Arguments and blocks Terraform itself handles at the top of a block.
#[derive(Clone, Copy)]
struct Meta {
    arguments: &'static [&'static str],
    blocks: &'static [&'static str],
}

impl Meta {
    const RESOURCE: Meta = Meta {
        arguments: RESOURCE_META_ARGUMENTS,
        blocks: RESOURCE_META_BLOCKS,
    };
    const DATA: Meta = Meta {
        arguments: RESOURCE_META_ARGUMENTS,
        blocks: DATA_META_BLOCKS,
    };
    const PROVIDER: Meta = Meta {
        arguments: PROVIDER_META_ARGUMENTS,
        blocks: &[],
    };
    const NONE: Meta = Meta {
        arguments: &[],
        blocks: &[],
    };
}

/// `parent.name`, or `name` at the top.
fn qualify(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// Checks one block body against its schema; `path` is the dotted path of nested block names.
fn check_body(body: &Body, schema: &BlockSchema, path: &str, meta: Meta, out: &mut Vec<String>) {
    let mut set = BTreeSet::new();
    for attribute in body.attributes() {
        let name = attribute.key.as_str();
        if meta.arguments.contains(&name) {
            continue;
        }
        let qualified = qualify(path, name);
        if !set.insert(name) {
            out.push(format!("duplicate argument \"{qualified}\""));
            continue;
        }
        match schema.attributes.get(name) {
            Some(attribute) if attribute.computed_only() => {
                out.push(format!(
                    "cannot set computed-only attribute \"{qualified}\""
                ));
            }
            Some(_) => {}
            None if schema.block_types.contains_key(name) => {
                out.push(format!(
                    "\"{qualified}\" is a block, not an argument: write `{name} {{ ... }}`"
                ));
            }
            None => out.push(format!("unknown argument \"{qualified}\"")),
        }
    }

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for block in body.blocks() {
        let identifier = block.identifier();
        if meta.blocks.contains(&identifier) {
            continue;
        }
        let (name, inner) = if identifier == "dynamic" {
            let Some(label) = block.labels().first() else {
                out.push(format!(
                    "dynamic block in \"{}\" has no label",
                    qualify(path, "")
                ));
                continue;
            };
            let contents: Vec<&Block> = block
                .body()
                .blocks()
                .filter(|b| b.identifier() == "content")
                .collect();
            let [content] = contents.as_slice() else {
                let qualified = qualify(path, label.as_str());
                out.push(format!(
                    "dynamic \"{qualified}\" needs exactly one content block"
                ));
                continue;
            };
            (label.as_str(), content.body())
        } else {
            if !block.labels().is_empty() {
                out.push(format!(
                    "block \"{}\" takes no labels",
                    qualify(path, identifier)
                ));
            }
            (identifier, block.body())
        };
        let qualified = qualify(path, name);
        let Some(nested) = schema.block_types.get(name) else {
            if schema.attributes.contains_key(name) {
                out.push(format!(
                    "\"{qualified}\" is an argument, not a block: write `{name} = ...`"
                ));
            } else {
                out.push(format!("unknown block \"{qualified}\""));
            }
            continue;
        };
        *counts.entry(name).or_default() += 1;
        if !nested.contents_unknown {
            check_body(inner, &nested.block, &qualified, Meta::NONE, out);
        }
    }

    for (name, attribute) in &schema.attributes {
        if attribute.required && !set.contains(name.as_str()) {
            out.push(format!(
                "missing required argument \"{}\"",
                qualify(path, name)
            ));
        }
    }
    for (name, nested) in &schema.block_types {
        let count = counts.get(name.as_str()).copied().unwrap_or(0);
        if count == 0 && nested.min_items >= 1 {
            out.push(format!(
                "missing required block \"{}\"",
                qualify(path, name)
            ));
        }
        if count > 1 && nested.at_most_once() {
            out.push(format!(
                "block \"{}\" may appear at most once, found {count}",
                qualify(path, name)
            ));
        }
    }
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check_fixture(case: &str) -> SchemaReport {
    check_tree(&repo_root().join("tests/fixtures/hcl/schema"), &[case])
}

#[test]
fn committed_hcl_conforms_to_aws_schema() {
    for which in [Schema::V6, Schema::V5] {
        committed_hcl_conforms_to(which);
    }
}

fn committed_hcl_conforms_to(which: Schema) {
    let report = check_tree_with(which, repo_root(), &["modules", "environments"]);
    assert!(
        report.problems.is_empty(),
        "schema problems against {which:?}:\n{}",
        report.problems.join("\n")
    );
    for type_name in [
        "aws_lambda_function",
        "aws_dynamodb_table",
        "aws_api_gateway_stage",
        "aws_sfn_state_machine",
        "aws_sqs_queue",
    ] {
        assert!(
            report.checked.get(type_name).is_some_and(|&n| n > 0),
            "no {type_name} resource was checked; checked: {:?}",
            report.checked
        );
    }
}

#[test]
fn valid_fixture_passes() {
    let report = check_fixture("valid");
    assert_eq!(report.problems, Vec::<String>::new());
    let checked: Vec<(&str, usize)> = report
        .checked
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        checked,
        [
            ("aws_api_gateway_stage", 1),
            ("aws_dynamodb_table", 1),
            ("aws_lambda_function", 2),
            ("aws_wafv2_web_acl", 1),
            ("data.aws_iam_policy_document", 1),
            ("data.terraform_remote_state", 1),
            ("provider.aws", 1),
            ("terraform_data", 1),
        ]
    );
}

#[test]
fn detects_unknown_argument() {
    assert_eq!(
        check_fixture("unknown_argument").problems,
        [
            "unknown_argument/main.tf: aws_lambda_function.this: unknown argument \"tracing_mode\"",
            "unknown_argument/main.tf: aws_lambda_function.this: unknown argument \"environment.variable\"",
            "unknown_argument/main.tf: data.aws_iam_policy_document.assume: unknown argument \"statement.effects\"",
            "unknown_argument/main.tf: aws_dynamodb_table.this: \"attribute\" is a block, not an argument: write `attribute { ... }`",
        ]
    );
}

#[test]
fn detects_unknown_block() {
    assert_eq!(
        check_fixture("unknown_block").problems,
        [
            "unknown_block/main.tf: aws_sqs_queue.this: unknown block \"dead_letter_config\"",
            "unknown_block/main.tf: aws_lambda_function.this: unknown block \"vpc_config.egress\"",
            "unknown_block/main.tf: aws_lambda_function.this: unknown block \"tracing\"",
            "unknown_block/main.tf: aws_lambda_function.this: \"environment.variables\" is an argument, not a block: write `variables = ...`",
        ]
    );
}

#[test]
fn detects_missing_required_argument() {
    assert_eq!(
        check_fixture("missing_required_argument").problems,
        [
            "missing_required_argument/main.tf: aws_lambda_function.this: missing required argument \"tracing_config.mode\"",
            "missing_required_argument/main.tf: aws_lambda_function.this: missing required argument \"role\"",
            "missing_required_argument/main.tf: aws_api_gateway_stage.this: missing required argument \"access_log_settings.format\"",
            "missing_required_argument/main.tf: aws_api_gateway_stage.this: missing required argument \"deployment_id\"",
        ]
    );
}

#[test]
fn detects_missing_required_block() {
    assert_eq!(
        check_fixture("missing_required_block").problems,
        [
            "missing_required_block/main.tf: aws_api_gateway_method_settings.all: missing required block \"settings\"",
            "missing_required_block/main.tf: aws_dynamodb_table.this: missing required block \"import_table.s3_bucket_source\"",
        ]
    );
}

#[test]
fn detects_computed_only_attribute() {
    assert_eq!(
        check_fixture("computed_only").problems,
        [
            "computed_only/main.tf: aws_sfn_state_machine.this: cannot set computed-only attribute \"arn\"",
            "computed_only/main.tf: aws_sfn_state_machine.this: cannot set computed-only attribute \"description\"",
        ]
    );
}

#[test]
fn detects_duplicated_max_one_block() {
    assert_eq!(
        check_fixture("duplicate_block").problems,
        [
            "duplicate_block/main.tf: aws_lambda_function.this: block \"environment\" may appear at most once, found 2",
            "duplicate_block/main.tf: aws_lambda_function.this: block \"tracing_config\" may appear at most once, found 2",
            "duplicate_block/main.tf: aws_sqs_queue.this: block \"timeouts\" may appear at most once, found 2",
        ]
    );
}

#[test]
fn detects_unknown_resource_type() {
    assert_eq!(
        check_fixture("unknown_type").problems,
        [
            "unknown_type/main.tf: aws_lambda_func.this: unknown resource type \"aws_lambda_func\"",
            "unknown_type/main.tf: data.archive_file.code: unknown data source type \"archive_file\"",
        ]
    );
}

#[test]
fn reports_unparsable_files_and_missing_dirs() {
    let report = check_fixture("does_not_exist");
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0].starts_with("does_not_exist: directory not found"));
    let report = check_fixture("unparsable");
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].starts_with("unparsable/main.tf: cannot parse"),
        "{:?}",
        report.problems
    );
}

/// Pins the schema facts the generator relies on, several of which differ from the docs.
#[test]
fn schema_requirements_match_expectations() {
    let schema = aws_schema();
    let required = |type_name: &str| -> Vec<&str> {
        let block = &schema.resource_schemas[type_name].block;
        let attributes = block
            .attributes
            .iter()
            .filter(|(_, a)| a.required)
            .map(|(n, _)| n.as_str());
        let blocks = block
            .block_types
            .iter()
            .filter(|(_, b)| b.min_items >= 1)
            .map(|(n, _)| n.as_str());
        attributes.chain(blocks).collect()
    };
    assert_eq!(required("aws_lambda_function"), ["function_name", "role"]);
    assert_eq!(
        required("aws_api_gateway_stage"),
        ["deployment_id", "rest_api_id", "stage_name"]
    );
    assert_eq!(
        required("aws_sfn_state_machine"),
        ["definition", "role_arn"]
    );
    assert_eq!(required("aws_dynamodb_table"), ["name"]);
    assert_eq!(required("aws_iam_role"), ["assume_role_policy"]);
    assert_eq!(required("aws_cloudwatch_metric_alarm"), ["alarm_name"]);
    assert_eq!(required("aws_sqs_queue"), Vec::<&str>::new());
    assert_eq!(
        required("aws_api_gateway_method_settings"),
        ["method_path", "rest_api_id", "stage_name", "settings"]
    );
    assert!(
        schema.resource_schemas["aws_sfn_state_machine"]
            .block
            .attributes["description"]
            .computed_only()
    );
}

/// `TYPE.NAME.ATTR` and `data.TYPE.NAME.ATTR` reads of AWS types in `text`, with an index or
/// splat after `NAME` allowed: `(is_data, type, attribute)`.
fn attribute_reads(text: &str) -> Vec<(bool, String, String)> {
    let ident = |s: &str| -> usize {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let mut reads = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find("aws_") {
        let start = at + found;
        at = start + 4;
        let before = text[..start].chars().next_back();
        let is_data = text[..start].ends_with("data.");
        if !is_data && before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let rest = &text[start..];
        let ty_len = ident(rest);
        let ty = &rest[..ty_len];
        let Some(rest) = rest[ty_len..].strip_prefix('.') else {
            continue;
        };
        let name_len = ident(rest);
        let mut rest = &rest[name_len..];
        if name_len == 0 {
            continue;
        }
        if let Some(index) = rest.strip_prefix('[') {
            let Some(end) = index.find(']') else { continue };
            rest = &index[end + 1..];
        }
        let Some(rest) = rest.strip_prefix('.') else {
            continue;
        };
        let attr_len = ident(rest);
        if attr_len > 0 {
            reads.push((is_data, ty.to_string(), rest[..attr_len].to_string()));
        }
    }
    reads
}

/// The rendered HCL reads no attribute that only one provider major version has (the 6.x
/// `data.aws_region.*.region` once broke every root on 5.x).
#[test]
fn attributes_read_exist_in_both_provider_versions() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in load_tf_files(repo_root(), &["modules", "environments"], &mut problems) {
        let text = fs::read_to_string(repo_root().join(&file.rel)).unwrap_or_default();
        for (is_data, ty, attr) in attribute_reads(&text) {
            for which in [Schema::V6, Schema::V5] {
                let schema = aws_schema_of(which);
                let types = if is_data {
                    &schema.data_source_schemas
                } else {
                    &schema.resource_schemas
                };
                let Some(block) = types.get(&ty).map(|t| &t.block) else {
                    continue;
                };
                checked += 1;
                if !block.attributes.contains_key(&attr) && !block.block_types.contains_key(&attr) {
                    let kind = if is_data { "data." } else { "" };
                    problems.push(format!(
                        "{}: {kind}{ty}.*.{attr} is not in {which:?}",
                        file.rel
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 50, "only {checked} attribute reads found");
    assert_eq!(
        attribute_reads("x = data.aws_region.this.region\ny = aws_iam_role.r[0].arn\n\"aws_x\""),
        [
            (true, "aws_region".to_string(), "region".to_string()),
            (false, "aws_iam_role".to_string(), "arn".to_string())
        ]
    );
}
