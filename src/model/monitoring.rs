//! Alarms (`[alarms.NAME]`) and the dashboard (`[dashboard]`).

use super::diag::Diagnostics;
use super::reader::{Located, Reader};

pub const FUNCTION_METRICS: &[&str] = &["Errors", "Throttles"];
pub const QUEUE_METRICS: &[&str] = &["DeadLetterMessages", "AgeOfOldestMessage"];

#[derive(Debug, Clone, PartialEq)]
pub enum Watched {
    Function(Located<String>),
    Queue(Located<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub key: String,
    pub description: String,
    pub watched: Watched,
    pub metric: Located<String>,
    pub threshold: f64,
    pub evaluation_periods: i64,
    pub period: i64,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl Alarm {
    pub fn read(key: &str, r: &mut Reader, d: &mut Diagnostics) -> Option<Self> {
        let description = r
            .fixed(d, "description")
            .and_then(|f| f.string(d))
            .map(|s| s.value)
            .unwrap_or_default();
        let function = r.fixed(d, "function").and_then(|f| f.string(d));
        let queue = r.fixed(d, "queue").and_then(|f| f.string(d));
        let metric = r.fixed(d, "metric").and_then(|f| f.string(d));
        if metric.is_none() {
            r.missing(d, "metric", "\"Errors\"");
        }
        let threshold = r
            .get("threshold")
            .and_then(|f| f.float(d, 0.0, 1e12))
            .map_or(1.0, |v| v.value);
        let evaluation_periods = r
            .get("evaluation_periods")
            .and_then(|f| f.int(d, 1, 100))
            .map_or(1, |v| v.value);
        let period = r
            .get("period")
            .map(|f| (f.path.clone(), f.int(d, 10, 86400)));
        let period = match period {
            Some((path, Some(p))) if p.value % 60 != 0 && ![10, 20, 30].contains(&p.value) => {
                d.error_hint(
                    p.span.clone(),
                    format!(
                        "`{path}` must be 10, 20, 30 or a multiple of 60, got {}",
                        p.value
                    ),
                    "CloudWatch alarm periods are 10, 20 or 30 seconds or whole minutes",
                );
                60
            }
            Some((_, Some(p))) => p.value,
            _ => 60,
        };
        let watched = match (function, queue) {
            (Some(f), None) => Watched::Function(f),
            (None, Some(q)) => Watched::Queue(q),
            _ => {
                d.error_hint(
                    r.span.clone(),
                    format!(
                        "`{}` must name exactly one of `function` or `queue`",
                        r.path
                    ),
                    "an alarm watches a function's or a queue's metric",
                );
                return None;
            }
        };
        let metric = metric?;
        let allowed = match watched {
            Watched::Function(_) => FUNCTION_METRICS,
            Watched::Queue(_) => QUEUE_METRICS,
        };
        if !allowed.contains(&metric.value.as_str()) {
            d.error_hint(
                metric.span.clone(),
                format!(
                    "`{}` \"{}\" is not a metric stackform alarms on here",
                    metric.path, metric.value
                ),
                format!("use one of {}", allowed.join(", ")),
            );
        }
        Some(Self {
            key: key.to_string(),
            description,
            watched,
            metric,
            threshold,
            evaluation_periods,
            period,
            span: r.span.clone(),
            path: r.path.clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub name: Located<String>,
    pub span: std::ops::Range<usize>,
}

impl Dashboard {
    pub fn read(r: &mut Reader, d: &mut Diagnostics) -> Self {
        let name = r
            .fixed(d, "name")
            .and_then(|f| f.string(d))
            .unwrap_or_else(|| {
                Located::new("overview".to_string(), r.span.clone(), r.key_path("name"))
            });
        Self {
            name,
            span: r.span.clone(),
        }
    }
}
