//! SQS queues, each with a dead-letter queue: `[queues.NAME]`.

use super::diag::Diagnostics;
use super::reader::{Located, Reader};

#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub key: String,
    pub visibility_timeout: Located<i64>,
    pub retention_seconds: i64,
    pub max_receive_count: i64,
    /// The function that drains the queue.
    pub consumer: Option<Located<String>>,
    pub batch_size: i64,
    pub span: std::ops::Range<usize>,
    pub path: String,
}

impl Queue {
    pub fn read(key: &str, r: &mut Reader, d: &mut Diagnostics) -> Self {
        let visibility_timeout = r
            .get("visibility_timeout")
            .and_then(|f| f.int(d, 0, 43200))
            .unwrap_or_else(|| Located::new(30, r.span.clone(), r.key_path("visibility_timeout")));
        let retention_seconds = r
            .get("retention_seconds")
            .and_then(|f| f.int(d, 60, 1_209_600))
            .map_or(345_600, |v| v.value);
        let max_receive_count = r
            .get("max_receive_count")
            .and_then(|f| f.int(d, 1, 1000))
            .map_or(5, |v| v.value);
        if let Some(f) = r.get("tracing") {
            d.error_hint(
                f.value.span(),
                format!("`{}`: SQS has no tracing switch", f.path),
                "trace context travels in the AWSTraceHeader message attribute when the producer is traced; trace the sending function or state machine instead",
            );
        }
        let consumer = r.fixed(d, "consumer").and_then(|f| f.string(d));
        let batch_size = r
            .get("batch_size")
            .and_then(|f| f.int(d, 1, 10))
            .map_or(10, |v| v.value);
        Self {
            key: key.to_string(),
            visibility_timeout,
            retention_seconds,
            max_receive_count,
            consumer,
            batch_size,
            span: r.span.clone(),
            path: r.path.clone(),
        }
    }
}
