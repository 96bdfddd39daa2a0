//! The API in front of the functions: `[api]` and its `[[api.routes]]`.

use super::diag::Diagnostics;
use super::reader::{Located, Reader};
use super::settings::Settings;

pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub method: Located<String>,
    pub path: Located<String>,
    pub function: Located<String>,
    /// `false` only for routes marked `authorization = "none"` (public reads).
    pub iam_auth: bool,
    pub monthly_requests: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub name: Located<String>,
    /// `rest` (API Gateway v1, traceable by X-Ray) or `http` (v2, not traceable).
    pub kind: Located<String>,
    pub stage: Located<String>,
    pub tracing: bool,
    pub tracing_at: Option<Located<bool>>,
    pub throttling_rate_limit: f64,
    pub throttling_burst_limit: i64,
    pub routes: Vec<Route>,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl Api {
    pub fn read(r: &mut Reader, d: &mut Diagnostics, settings: &Settings) -> Self {
        let name = r
            .fixed(d, "name")
            .and_then(|f| f.string(d))
            .unwrap_or_else(|| Located::new("api".into(), r.span.clone(), r.key_path("name")));
        let kind = r
            .fixed(d, "type")
            .and_then(|f| f.choice(d, &["rest", "http"]))
            .unwrap_or_else(|| Located::new("rest".into(), r.span.clone(), r.key_path("type")));
        let stage = r
            .fixed(d, "stage")
            .and_then(|f| f.string(d))
            .unwrap_or_else(|| Located::new("v1".into(), r.span.clone(), r.key_path("stage")));
        let tracing_at = r.get("tracing").and_then(|f| f.bool(d));
        let tracing = tracing_at
            .as_ref()
            .map_or(settings.api_tracing, |v| v.value);
        let throttling_rate_limit = r
            .get("throttling_rate_limit")
            .and_then(|f| f.float(d, 1.0, 1_000_000.0))
            .map_or(100.0, |v| v.value);
        let throttling_burst_limit = r
            .get("throttling_burst_limit")
            .and_then(|f| f.int(d, 1, 1_000_000))
            .map_or(200, |v| v.value);
        let mut routes = Vec::new();
        if let Some(f) = r.fixed(d, "routes") {
            for (table, span, path) in f.tables(d) {
                let mut rr = Reader::single(table, &path, span);
                let method = rr.get("method").and_then(|f| f.choice(d, METHODS));
                let route_path = rr.get("path").and_then(|f| f.string(d));
                let function = rr.get("function").and_then(|f| f.string(d));
                let authorization = rr
                    .get("authorization")
                    .and_then(|f| f.choice(d, &["iam", "none"]));
                let monthly_requests = rr
                    .get("monthly_requests")
                    .and_then(|f| f.int(d, 0, 1_000_000_000_000))
                    .map_or(0, |v| v.value);
                for (key, value, example) in [
                    ("method", method.is_none(), "\"GET\""),
                    ("path", route_path.is_none(), "\"/products\""),
                    ("function", function.is_none(), "\"product_crud\""),
                ] {
                    if value && !table.contains_key(key) {
                        rr.missing(d, key, example);
                    }
                }
                rr.finish(d, "");
                if let (Some(method), Some(path), Some(function)) = (method, route_path, function) {
                    routes.push(Route {
                        method,
                        path,
                        function,
                        iam_auth: authorization.is_none_or(|a| a.value == "iam"),
                        monthly_requests,
                    });
                }
            }
        }
        Self {
            name,
            kind,
            stage,
            tracing,
            tracing_at,
            throttling_rate_limit,
            throttling_burst_limit,
            routes,
            span: r.span.clone(),
            path: r.path.clone(),
        }
    }
}
