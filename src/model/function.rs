//! Lambda functions: `[functions.NAME]`.

use super::diag::Diagnostics;
use super::reader::{Located, Reader};
use super::settings::{Settings, TracingMode};

pub const RUNTIMES: &[&str] = &[
    "python3.13",
    "python3.12",
    "python3.11",
    "nodejs22.x",
    "nodejs20.x",
    "java21",
    "provided.al2023",
];

/// What a function may do with a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    Read,
    ReadWrite,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub key: String,
    pub description: String,
    pub handler: String,
    pub runtime: String,
    pub package: Located<String>,
    pub memory: i64,
    pub timeout: i64,
    pub reserved_concurrency: i64,
    pub tracing: TracingMode,
    /// Where the tracing mode was chosen (the function, its override or the environment).
    pub tracing_at: Option<Located<String>>,
    pub tables: Vec<(Located<String>, Access)>,
    /// Queues the function sends to.
    pub queues: Vec<Located<String>>,
    pub state_machines: Vec<Located<String>>,
    /// SSM SecureString parameter names under `/<stack>/<env>/`.
    pub parameters: Vec<Located<String>>,
    pub environment: Vec<(Located<String>, Located<String>)>,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl Function {
    pub fn read(key: &str, r: &mut Reader, d: &mut Diagnostics, settings: &Settings) -> Self {
        let description = r
            .fixed(d, "description")
            .and_then(|f| f.string(d))
            .map(|s| s.value)
            .unwrap_or_default();
        let handler = match r.fixed(d, "handler") {
            Some(f) => f.string(d).map(|s| s.value).unwrap_or_default(),
            None => {
                r.missing(d, "handler", "\"module.function\"");
                String::new()
            }
        };
        let runtime = r
            .fixed(d, "runtime")
            .and_then(|f| f.choice(d, RUNTIMES))
            .map_or_else(|| "python3.13".to_string(), |s| s.value);
        let package = match r.fixed(d, "package") {
            Some(f) => f.string(d),
            None => {
                r.missing(d, "package", "\"functions/NAME.zip\"");
                None
            }
        }
        .unwrap_or_else(|| Located::new(String::new(), r.span.clone(), r.key_path("package")));
        let memory = r
            .get("memory")
            .and_then(|f| f.int(d, 128, 10240))
            .map_or(128, |v| v.value);
        let timeout = r
            .get("timeout")
            .and_then(|f| f.int(d, 1, 900))
            .map_or(3, |v| v.value);
        let reserved_concurrency = r
            .get("reserved_concurrency")
            .and_then(|f| f.int(d, 1, 10000))
            .map_or(10, |v| v.value);
        let (tracing, tracing_at) = match r
            .get("tracing")
            .and_then(|f| f.choice(d, TracingMode::CHOICES))
        {
            Some(v) => (
                TracingMode::parse(&v.value).unwrap_or(TracingMode::Active),
                Some(v),
            ),
            None => (settings.lambda_tracing, settings.lambda_tracing_at.clone()),
        };
        let mut tables = Vec::new();
        if let Some(f) = r.fixed(d, "tables") {
            for (table, access) in f.string_map(d) {
                let access = match access.value.as_str() {
                    "read" => Access::Read,
                    "read-write" => Access::ReadWrite,
                    other => {
                        d.error_hint(
                            access.span.clone(),
                            format!("`{}` must be \"read\" or \"read-write\", got \"{other}\"", access.path),
                            "grant `read` for GetItem/Query/Scan, `read-write` to also put, update and delete items",
                        );
                        continue;
                    }
                };
                tables.push((table, access));
            }
        }
        let queues = r
            .fixed(d, "queues")
            .and_then(|f| f.strings(d))
            .unwrap_or_default();
        let state_machines = r
            .fixed(d, "state_machines")
            .and_then(|f| f.strings(d))
            .unwrap_or_default();
        let parameters = r
            .fixed(d, "parameters")
            .and_then(|f| f.strings(d))
            .unwrap_or_default();
        let environment = r
            .get("environment")
            .map(|f| f.string_map(d))
            .unwrap_or_default();
        Self {
            key: key.to_string(),
            description,
            handler,
            runtime,
            package,
            memory,
            timeout,
            reserved_concurrency,
            tracing,
            tracing_at,
            tables,
            queues,
            state_machines,
            parameters,
            environment,
            span: r.span.clone(),
            path: r.path.clone(),
        }
    }
}
