//! Per-environment settings: `[defaults]`, overridden per key by `[environments.NAME]`.

use std::collections::BTreeMap;

use super::diag::Diagnostics;
use super::reader::{Located, Reader};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TracingMode {
    Active,
    PassThrough,
}

impl TracingMode {
    pub const CHOICES: &[&str] = &["Active", "PassThrough"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::PassThrough => "PassThrough",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Active" => Some(Self::Active),
            "PassThrough" => Some(Self::PassThrough),
            _ => None,
        }
    }
}

/// CloudWatch Logs accepts only these retention periods, in days.
pub const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The keys of `[defaults]` and `[environments.NAME]` (besides component sections).
pub const KEYS: &[&str] = &[
    "lambda_tracing",
    "api_tracing",
    "state_machine_tracing",
    "contributor_insights",
    "sampling_rate",
    "sampling_reservoir",
    "log_retention_days",
    "deletion_protection",
    "point_in_time_recovery",
    "xray_sdk_layer",
    "api_cloudwatch_role",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub lambda_tracing: TracingMode,
    pub api_tracing: bool,
    pub state_machine_tracing: bool,
    pub contributor_insights: bool,
    pub sampling_rate: f64,
    pub sampling_reservoir: i64,
    pub log_retention_days: i64,
    pub deletion_protection: bool,
    pub point_in_time_recovery: bool,
    pub xray_sdk_layer: bool,
    /// Whether the environment's root sets the account's API Gateway CloudWatch Logs role,
    /// which AWS requires before a stage may log.
    pub api_cloudwatch_role: bool,
    /// Where `lambda_tracing` was set, for located policy errors.
    pub lambda_tracing_at: Option<Located<String>>,
    /// Where each other key was set (the environment's table or `[defaults]`), for located
    /// policy errors; keys left at their built-in value are absent.
    pub set_at: BTreeMap<&'static str, Located<()>>,
}

impl Settings {
    /// Built-in values, used for keys neither `[defaults]` nor the environment sets.
    pub fn builtin() -> Self {
        Self {
            lambda_tracing: TracingMode::Active,
            api_tracing: true,
            state_machine_tracing: true,
            contributor_insights: true,
            sampling_rate: 0.05,
            sampling_reservoir: 1,
            log_retention_days: 365,
            deletion_protection: true,
            point_in_time_recovery: true,
            xray_sdk_layer: false,
            api_cloudwatch_role: false,
            lambda_tracing_at: None,
            set_at: BTreeMap::new(),
        }
    }

    pub fn read(r: &mut Reader, d: &mut Diagnostics) -> Self {
        let mut s = Self::builtin();
        if let Some(v) = r
            .get("lambda_tracing")
            .and_then(|f| f.choice(d, TracingMode::CHOICES))
        {
            s.lambda_tracing = TracingMode::parse(&v.value).unwrap_or(TracingMode::Active);
            s.lambda_tracing_at = Some(v);
        }
        if let Some(v) = flag(r, d, "api_tracing", &mut s.set_at) {
            s.api_tracing = v;
        }
        if let Some(v) = flag(r, d, "state_machine_tracing", &mut s.set_at) {
            s.state_machine_tracing = v;
        }
        if let Some(v) = flag(r, d, "contributor_insights", &mut s.set_at) {
            s.contributor_insights = v;
        }
        if let Some(v) = r.get("sampling_rate").and_then(|f| f.float(d, 0.0, 1.0)) {
            s.sampling_rate = v.value;
            s.set_at.insert("sampling_rate", located(&v));
        }
        if let Some(v) = r
            .get("sampling_reservoir")
            .and_then(|f| f.int(d, 0, i64::from(i32::MAX)))
        {
            s.sampling_reservoir = v.value;
            s.set_at.insert("sampling_reservoir", located(&v));
        }
        if let Some(v) = r.get("log_retention_days") {
            let path = v.path.clone();
            if let Some(days) = v.int(d, 1, 3653) {
                if LOG_RETENTION_DAYS.contains(&days.value) {
                    s.log_retention_days = days.value;
                } else {
                    d.error_hint(
                        days.span.clone(),
                        format!(
                            "`{path}` must be a retention CloudWatch Logs accepts, got {}",
                            days.value
                        ),
                        format!("use one of {LOG_RETENTION_DAYS:?}"),
                    );
                }
            }
        }
        read_bool(r, d, "deletion_protection", &mut s.deletion_protection);
        read_bool(
            r,
            d,
            "point_in_time_recovery",
            &mut s.point_in_time_recovery,
        );
        read_bool(r, d, "xray_sdk_layer", &mut s.xray_sdk_layer);
        read_bool(r, d, "api_cloudwatch_role", &mut s.api_cloudwatch_role);
        s
    }
}

fn located<T>(v: &Located<T>) -> Located<()> {
    Located::new((), v.span.clone(), v.path.clone())
}

/// A tracing flag, remembering where it was set.
fn flag(
    r: &mut Reader,
    d: &mut Diagnostics,
    key: &'static str,
    set_at: &mut BTreeMap<&'static str, Located<()>>,
) -> Option<bool> {
    let v = r.get(key).and_then(|f| f.bool(d))?;
    set_at.insert(key, located(&v));
    Some(v.value)
}

fn read_bool(r: &mut Reader, d: &mut Diagnostics, key: &'static str, into: &mut bool) {
    if let Some(v) = r.get(key).and_then(|f| f.bool(d)) {
        *into = v.value;
    }
}
