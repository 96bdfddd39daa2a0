//! What tracing costs per month: traces recorded from each route's request volume (given in
//! the model) and the sampling rule that decides it (read from the HCL), at AWS's published
//! X-Ray prices. docs/tracing.md explains the model and where the prices come from.

use std::collections::BTreeMap;

use serde::Serialize;

use super::matrix::{Feature, Matrix, SamplingRule, Status};

/// AWS X-Ray list prices (US East), read from <https://aws.amazon.com/xray/pricing/> on
/// 2026-11-25. Keep in step with docs/tracing.md.
pub const PRICE_RECORDED_PER_MILLION: f64 = 5.00;
pub const PRICE_RETRIEVED_PER_MILLION: f64 = 0.50;
pub const PRICE_INSIGHTS_PER_MILLION: f64 = 1.00;
pub const FREE_RECORDED_PER_MONTH: f64 = 100_000.0;
pub const PRICES_READ: &str = "2026-11-25";
pub const PRICES_SOURCE: &str = "https://aws.amazon.com/xray/pricing/";

/// Seconds in the 30-day month the estimate assumes.
const MONTH: f64 = 30.0 * 24.0 * 3600.0;

/// X-Ray's own default when no rule matches: one request per second, then 5%.
const XRAY_DEFAULT: (f64, f64) = (0.05, 1.0);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteCost {
    pub method: String,
    pub path: String,
    pub monthly_requests: i64,
    /// Who takes the sampling decision: the traced `stage`, an Active `function`, or nobody.
    pub sampled_by: Option<String>,
    /// The rule that decides, by name (`x-ray default` when none matches).
    pub rule: Option<String>,
    pub traces: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    pub routes: Vec<RouteCost>,
    pub traces: u64,
    /// Recorded traces at the list price, before the free tier.
    pub recorded_usd: f64,
    /// The same after the 100,000 free traces a month (the free tier is per account).
    pub recorded_after_free_tier_usd: f64,
    /// X-Ray Insights on the recorded traces, when any group has insights on.
    pub insights_usd: f64,
    pub total_usd: f64,
    /// Whether a sampling rule's rate or reservoir is unknown, which makes the estimate a
    /// lower bound.
    pub incomplete: bool,
}

/// The estimate for a matrix, given each route's monthly requests by method and path.
pub fn estimate(m: &Matrix, volumes: &[(String, String, i64)]) -> Cost {
    let mut routes = Vec::new();
    // Requests per second per rule: a rule's reservoir is shared by everything it matches.
    let mut per_rule: BTreeMap<String, f64> = BTreeMap::new();
    let mut incomplete = false;
    for route in &m.routes {
        let monthly = volumes
            .iter()
            .find(|(method, path, _)| *method == route.method && *path == route.path)
            .map_or(0, |v| v.2);
        let stage = route.stage.map(|s| &m.components[s]);
        let function = route.function.map(|f| &m.components[f]);
        let decision = if let Some(s) = stage.filter(|s| s.traced) {
            s.aws_name.as_deref().map(|service| {
                (
                    "stage",
                    first_rule(&m.rules, service, Some((&route.method, &route.path))),
                )
            })
        } else if let Some(f) = function.filter(|f| {
            f.cell(Feature::LambdaMode)
                .is_some_and(|c| c.status == Status::Ok)
        }) {
            f.aws_name
                .as_deref()
                .map(|service| ("function", first_rule(&m.rules, service, None)))
        } else {
            None
        };
        let (sampled_by, rule) = match decision {
            Some((by, rule)) => {
                let name = rule.map_or_else(|| "x-ray default".to_string(), |r| r.name.clone());
                if rule.is_some_and(|r| r.fixed_rate.is_none() || r.reservoir_size.is_none()) {
                    incomplete = true;
                }
                *per_rule.entry(name.clone()).or_default() += monthly as f64 / MONTH;
                (Some(by.to_string()), Some(name))
            }
            None => (None, None),
        };
        routes.push(RouteCost {
            method: route.method.clone(),
            path: route.path.clone(),
            monthly_requests: monthly,
            sampled_by,
            rule,
            traces: 0,
        });
    }
    // Each rule samples its reservoir per second, then its fixed rate of the rest; its traces
    // are shared among its routes by their requests.
    let sampled: BTreeMap<String, f64> = per_rule
        .iter()
        .map(|(name, rate)| {
            let (fixed, reservoir) = m
                .rules
                .iter()
                .find(|r| r.name == *name)
                .map_or(XRAY_DEFAULT, |r| {
                    (r.fixed_rate.unwrap_or(0.0), r.reservoir_size.unwrap_or(0.0))
                });
            let per_second = rate.min(reservoir) + fixed * (rate - reservoir).max(0.0);
            (
                name.clone(),
                if *rate > 0.0 { per_second / rate } else { 0.0 },
            )
        })
        .collect();
    for route in &mut routes {
        if let Some(share) = route.rule.as_ref().and_then(|r| sampled.get(r)) {
            // Whole traces: an estimate need not pretend to fractions of one.
            route.traces = (route.monthly_requests as f64 * share).round() as u64;
        }
    }
    let total: u64 = routes.iter().map(|r| r.traces).sum();
    let traces = total as f64;
    let recorded_usd = traces / 1e6 * PRICE_RECORDED_PER_MILLION;
    let recorded_after_free_tier_usd =
        (traces - FREE_RECORDED_PER_MONTH).max(0.0) / 1e6 * PRICE_RECORDED_PER_MILLION;
    let insights = m.groups.iter().any(|g| g.insights == Some(true));
    let insights_usd = if insights {
        traces / 1e6 * PRICE_INSIGHTS_PER_MILLION
    } else {
        0.0
    };
    Cost {
        routes,
        traces: total,
        recorded_usd,
        recorded_after_free_tier_usd,
        insights_usd,
        total_usd: recorded_usd + insights_usd,
        incomplete,
    }
}

/// The rule X-Ray applies first: lowest priority number, then name.
pub fn first_rule<'a>(
    rules: &'a [SamplingRule],
    service: &str,
    http: Option<(&str, &str)>,
) -> Option<&'a SamplingRule> {
    rules.iter().find(|r| r.applies(service, http))
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn dollars(n: f64) -> String {
    format!("${n:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_bill() {
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(dollars(2.345), "$2.35");
    }
}
