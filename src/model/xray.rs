//! X-Ray sampling rules, groups and the optional SDK layer: `[xray]`.

use super::api::METHODS;
use super::diag::Diagnostics;
use super::reader::{Located, Reader};

#[derive(Debug, Clone, PartialEq)]
pub struct SamplingRule {
    pub key: String,
    pub priority: i64,
    pub http_method: String,
    pub url_path: String,
    pub service_name: String,
    pub fixed_rate: f64,
    pub reservoir_size: i64,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl SamplingRule {
    pub fn read(key: &str, r: &mut Reader, d: &mut Diagnostics) -> Self {
        let priority = r
            .get("priority")
            .and_then(|f| f.int(d, 1, 9999))
            .map_or(1000, |v| v.value);
        let http_method = r
            .fixed(d, "http_method")
            .and_then(|f| f.choice(d, &[METHODS, &["*"]].concat()))
            .map_or_else(|| "*".to_string(), |s| s.value);
        let http_method = if http_method == "ANY" {
            "*".to_string()
        } else {
            http_method
        };
        let url_path = r
            .fixed(d, "url_path")
            .and_then(|f| f.string(d))
            .map_or_else(|| "*".to_string(), |s| s.value);
        let service_name = r
            .fixed(d, "service_name")
            .and_then(|f| f.string(d))
            .map_or_else(|| "*".to_string(), |s| s.value);
        let fixed_rate = r
            .get("fixed_rate")
            .and_then(|f| f.float(d, 0.0, 1.0))
            .map_or(0.05, |v| v.value);
        let reservoir_size = r
            .get("reservoir_size")
            .and_then(|f| f.int(d, 0, i64::from(i32::MAX)))
            .map_or(1, |v| v.value);
        Self {
            key: key.to_string(),
            priority,
            http_method,
            url_path,
            service_name,
            fixed_rate,
            reservoir_size,
            span: r.span.clone(),
            path: r.path.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    pub filter_expression: Located<String>,
    pub insights: bool,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl Group {
    pub fn read(key: &str, r: &mut Reader, d: &mut Diagnostics) -> Self {
        let filter_expression = match r.fixed(d, "filter_expression").and_then(|f| f.string(d)) {
            Some(s) => s,
            None => {
                if !r.has("filter_expression") {
                    r.missing(d, "filter_expression", "'http.status = 500'");
                }
                Located::new(
                    String::new(),
                    r.span.clone(),
                    r.key_path("filter_expression"),
                )
            }
        };
        let insights = r
            .get("insights")
            .and_then(|f| f.bool(d))
            .is_some_and(|v| v.value);
        Self {
            key: key.to_string(),
            filter_expression,
            insights,
            span: r.span.clone(),
            path: r.path.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SdkLayer {
    pub package: Located<String>,
    pub description: String,
}

impl SdkLayer {
    pub fn read(r: &mut Reader, d: &mut Diagnostics) -> Self {
        let package = match r.fixed(d, "package").and_then(|f| f.string(d)) {
            Some(p) => p,
            None => {
                if !r.has("package") {
                    r.missing(d, "package", "\"layers/xray_sdk.zip\"");
                }
                Located::new(String::new(), r.span.clone(), r.key_path("package"))
            }
        };
        let description = r
            .fixed(d, "description")
            .and_then(|f| f.string(d))
            .map_or_else(|| "AWS X-Ray SDK".to_string(), |s| s.value);
        Self {
            package,
            description,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct XRay {
    pub sampling_rules: Vec<SamplingRule>,
    pub groups: Vec<Group>,
    pub sdk_layer: Option<SdkLayer>,
}
