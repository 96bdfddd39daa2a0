//! Broken traces: places where a request is traced but its trace is cut short, disconnected
//! or never recorded.

use serde::Serialize;

use super::matrix::{Feature, Kind, Link, Matrix, Status, callers, producers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A traced function behind an untraced stage or state machine.
    UntracedCaller,
    /// A traced queue consumer whose producer is not traced.
    UntracedProducer,
    /// Tracing on, but the role may not send traces.
    MissingXrayPermissions,
    /// A sampling rule with fixed rate 0 and reservoir 0.
    SamplesNothing,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UntracedCaller => "untraced-caller",
            Self::UntracedProducer => "untraced-producer",
            Self::MissingXrayPermissions => "missing-xray-permissions",
            Self::SamplesNothing => "samples-nothing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Address of the resource where the trace breaks.
    pub address: String,
    pub detail: String,
    #[serde(skip)]
    pub location: Option<String>,
}

fn active(m: &Matrix, i: usize) -> bool {
    let c = &m.components[i];
    [
        Feature::LambdaMode,
        Feature::StageTracing,
        Feature::StateMachineTracing,
    ]
    .iter()
    .any(|f| c.cell(*f).is_some_and(|cell| cell.status == Status::Ok))
}

/// Every broken trace in a matrix, in a stable order.
pub fn find(m: &Matrix) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, c) in m.components.iter().enumerate() {
        if c.kind == Kind::Function && active(m, i) {
            for caller in callers(m, i) {
                let from = &m.components[caller];
                if !from.traced {
                    let (what, miss) = match from.kind {
                        Kind::Stage => ("API stage", "the API request"),
                        _ => ("state machine", "the workflow"),
                    };
                    out.push(Finding {
                        kind: FindingKind::UntracedCaller,
                        address: c.address.clone(),
                        detail: format!(
                            "function `{}` is traced (Active) but its caller, {what} `{}`, is not: its traces start at the function and miss {miss}",
                            c.name, from.name
                        ),
                        location: from.location.clone(),
                    });
                }
            }
        }
        if c.kind == Kind::Queue {
            let consumers: Vec<usize> = m
                .edges
                .iter()
                .filter(|e| e.from == i && e.link == Link::Trigger)
                .map(|e| e.to)
                .filter(|f| active(m, *f))
                .collect();
            for consumer in consumers {
                for producer in producers(m, i) {
                    let p = &m.components[producer];
                    if !p.traced {
                        out.push(Finding {
                            kind: FindingKind::UntracedProducer,
                            address: c.address.clone(),
                            detail: format!(
                                "queue `{}`: its consumer, function `{}`, is traced but its producer, {} `{}`, is not: messages carry no trace header, so the consumer's traces start unconnected",
                                c.name,
                                m.components[consumer].name,
                                p.kind.as_str(),
                                p.name
                            ),
                            location: p.location.clone(),
                        });
                    }
                }
            }
        }
        if let Some(cell) = c.cell(Feature::XrayIam)
            && cell.status == Status::Broken
        {
            let why = if cell.value == "no" {
                "has none of the X-Ray actions".to_string()
            } else {
                format!(
                    "is {}",
                    cell.value
                        .replacen("missing", "missing the X-Ray actions", 1)
                )
            };
            out.push(Finding {
                kind: FindingKind::MissingXrayPermissions,
                address: c.address.clone(),
                detail: format!(
                    "{} is traced but its role {why}: its trace segments are rejected",
                    c.label()
                ),
                location: c.location.clone(),
            });
        }
    }
    for rule in m.rules.iter().filter(|r| r.samples_nothing) {
        out.push(Finding {
            kind: FindingKind::SamplesNothing,
            address: rule.address.clone(),
            detail: format!(
                "sampling rule `{}` samples nothing (fixed rate 0, reservoir 0): requests it matches first ({} {}, service `{}`) are never traced",
                rule.name, rule.http_method, rule.url_path, rule.service_name
            ),
            location: rule.location.clone(),
        });
    }
    out.sort();
    out.dedup();
    out
}
