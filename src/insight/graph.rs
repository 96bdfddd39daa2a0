//! The service map: API routes → functions → tables, queues and state machines, each node
//! styled by its tracing state, as Mermaid (GitHub renders it) or Graphviz DOT.

use std::collections::BTreeSet;

use super::Report;
use super::matrix::{Component, Feature, Kind, Link, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Traced,
    Untraced,
    Broken,
    Unknown,
}

impl State {
    fn class(self) -> &'static str {
        match self {
            Self::Traced => "traced",
            Self::Untraced => "untraced",
            Self::Broken => "broken",
            Self::Unknown => "unknown",
        }
    }

    /// Fill, stroke and text colours shared by both formats.
    fn colours(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Traced => ("#e3f4e5", "#2e7d32", "#1b3d1f"),
            Self::Untraced => ("#f4f4f4", "#9e9e9e", "#555555"),
            Self::Broken => ("#fde4e2", "#c62828", "#7a1a14"),
            Self::Unknown => ("#fff6d8", "#b7950b", "#5c4a05"),
        }
    }
}

/// A node's state and the second line of its label.
fn node(c: &Component, broken: &BTreeSet<&str>) -> (State, String) {
    let main = match c.kind {
        Kind::Function => c.cell(Feature::LambdaMode),
        Kind::Stage => c.cell(Feature::StageTracing),
        Kind::StateMachine => c.cell(Feature::StateMachineTracing),
        Kind::Queue => c.cell(Feature::QueuePropagation),
        Kind::Table => c.cell(Feature::ContributorInsights),
    };
    let detail = match (c.kind, main) {
        (Kind::Function, Some(cell)) if !c.traced || cell.status == Status::Ok => {
            cell.value.clone()
        }
        (Kind::Function, Some(cell)) => format!("{} (traced by caller)", cell.value),
        (Kind::StateMachine | Kind::Stage, Some(cell)) => format!("tracing {}", cell.value),
        (Kind::Table, Some(cell)) => format!("insights {}", cell.value),
        (_, Some(cell)) => cell.value.clone(),
        (_, None) => String::new(),
    };
    let state = if broken.contains(c.address.as_str())
        || main.is_some_and(|m| m.status == Status::Broken)
    {
        State::Broken
    } else if main.is_some_and(|m| m.status == Status::Unknown) {
        State::Unknown
    } else if c.traced || (c.kind == Kind::Table && main.is_some_and(|m| m.status == Status::Ok)) {
        State::Traced
    } else {
        State::Untraced
    };
    (state, detail)
}

fn id(c: &Component) -> String {
    let kind = match c.kind {
        Kind::Stage => "stage",
        Kind::Function => "function",
        Kind::StateMachine => "state_machine",
        Kind::Queue => "queue",
        Kind::Table => "table",
    };
    format!("{kind}_{}", sanitise(&c.name))
}

fn sanitise(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn link_label(link: Link) -> &'static str {
    match link {
        Link::Invoke => "invoke",
        Link::Read => "read",
        Link::ReadWrite => "read-write",
        Link::Send => "send",
        Link::Start => "start",
        Link::Trigger => "trigger",
    }
}

/// An API stage, drawn as a box around its routes.
struct Stage {
    id: String,
    title: String,
    state: State,
    /// Node id and label of each route.
    routes: Vec<(String, String)>,
}

struct Node {
    id: String,
    kind: Kind,
    name: String,
    detail: String,
    state: State,
}

/// What the map draws: stages with their routes, the other components, labelled edges.
struct Map {
    stages: Vec<Stage>,
    nodes: Vec<Node>,
    edges: Vec<(String, String, Option<&'static str>)>,
}

fn map(r: &Report) -> Map {
    let m = &r.matrix;
    let broken: BTreeSet<&str> = r.findings.iter().map(|f| f.address.as_str()).collect();
    let mut stages = Vec::new();
    let mut edges = Vec::new();
    for (i, c) in m
        .components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == Kind::Stage)
    {
        let (state, detail) = node(c, &broken);
        let title = format!(
            "API {}: {detail}",
            c.aws_name.clone().unwrap_or_else(|| c.name.clone())
        );
        let mut routes = Vec::new();
        for (n, route) in m
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.stage == Some(i))
        {
            let rid = format!("route_{n}");
            routes.push((rid.clone(), format!("{} {}", route.method, route.path)));
            if let Some(f) = route.function {
                edges.push((rid, id(&m.components[f]), None));
            }
        }
        stages.push(Stage {
            id: id(c),
            title,
            state,
            routes,
        });
    }
    for e in &m.edges {
        edges.push((
            id(&m.components[e.from]),
            id(&m.components[e.to]),
            Some(link_label(e.link)),
        ));
    }
    // Every component is drawn, linked or not.
    let nodes = m
        .components
        .iter()
        .filter(|c| c.kind != Kind::Stage)
        .map(|c| {
            let (state, detail) = node(c, &broken);
            Node {
                id: id(c),
                kind: c.kind,
                name: c.name.clone(),
                detail,
                state,
            }
        })
        .collect();
    Map {
        stages,
        nodes,
        edges,
    }
}

fn legend(r: &Report) -> String {
    format!(
        "service map of `{}` ({}); green: traced, grey dashed: not traced, red: broken trace, yellow: known after apply",
        r.env,
        r.origin.describe()
    )
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

pub fn mermaid(r: &Report) -> String {
    let map = map(r);
    let mut out = String::from("flowchart LR\n");
    out.push_str(&format!("  %% {}\n", legend(r)));
    let mut classes: Vec<(State, Vec<String>)> = Vec::new();
    let mut class = |state: State, id: &str| match classes.iter_mut().find(|(s, _)| *s == state) {
        Some((_, ids)) => ids.push(id.to_string()),
        None => classes.push((state, vec![id.to_string()])),
    };
    for stage in &map.stages {
        out.push_str(&format!(
            "  subgraph {}[\"{}\"]\n",
            stage.id,
            mermaid_text(&stage.title)
        ));
        for (rid, label) in &stage.routes {
            out.push_str(&format!("    {rid}[\"{}\"]\n", mermaid_text(label)));
            class(stage.state, rid);
        }
        out.push_str("  end\n");
    }
    for n in &map.nodes {
        let label = mermaid_text(&format!("{}<br/>{}", n.name, n.detail));
        let shape = match n.kind {
            Kind::Function => format!("(\"{label}\")"),
            Kind::StateMachine => format!("{{{{\"{label}\"}}}}"),
            Kind::Queue => format!("[[\"{label}\"]]"),
            Kind::Table => format!("[(\"{label}\")]"),
            Kind::Stage => format!("[\"{label}\"]"),
        };
        out.push_str(&format!("  {}{shape}\n", n.id));
        class(n.state, &n.id);
    }
    for (from, to, label) in &map.edges {
        match label {
            Some(l) => out.push_str(&format!("  {from} -->|{l}| {to}\n")),
            None => out.push_str(&format!("  {from} --> {to}\n")),
        }
    }
    for state in [
        State::Traced,
        State::Untraced,
        State::Broken,
        State::Unknown,
    ] {
        let (fill, stroke, text) = state.colours();
        let dash = if state == State::Untraced {
            ",stroke-dasharray:5 3"
        } else {
            ""
        };
        out.push_str(&format!(
            "  classDef {} fill:{fill},stroke:{stroke},color:{text}{dash}\n",
            state.class()
        ));
    }
    for (state, ids) in classes {
        out.push_str(&format!("  class {} {}\n", ids.join(","), state.class()));
    }
    // Subgraphs take `style`, which every Mermaid version that renders subgraphs supports.
    for stage in &map.stages {
        let (fill, stroke, text) = stage.state.colours();
        out.push_str(&format!(
            "  style {} fill:{fill},stroke:{stroke},color:{text}\n",
            stage.id
        ));
    }
    out
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_style(state: State, rounded: bool) -> String {
    let (fill, stroke, text) = state.colours();
    let dashed = if state == State::Untraced {
        ",dashed"
    } else {
        ""
    };
    let rounded = if rounded { "rounded," } else { "" };
    format!(
        "style=\"{rounded}filled{dashed}\", fillcolor=\"{fill}\", color=\"{stroke}\", fontcolor=\"{text}\""
    )
}

pub fn dot(r: &Report) -> String {
    let map = map(r);
    let mut out = format!("digraph \"{}\" {{\n", dot_text(&r.env));
    out.push_str(&format!("  // {}\n", legend(r)));
    out.push_str("  rankdir=LR;\n");
    out.push_str("  graph [fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for stage in &map.stages {
        let (fill, stroke, text) = stage.state.colours();
        let dashed = if stage.state == State::Untraced {
            ",dashed"
        } else {
            ""
        };
        out.push_str(&format!("  subgraph cluster_{} {{\n", stage.id));
        out.push_str(&format!(
            "    label=\"{}\";\n    style=\"rounded,filled{dashed}\";\n    fillcolor=\"{fill}\";\n    color=\"{stroke}\";\n    fontcolor=\"{text}\";\n",
            dot_text(&stage.title)
        ));
        for (rid, label) in &stage.routes {
            out.push_str(&format!(
                "    {rid} [label=\"{}\", shape=box, {}];\n",
                dot_text(label),
                dot_style(stage.state, false)
            ));
        }
        out.push_str("  }\n");
    }
    for n in &map.nodes {
        let shape = match n.kind {
            Kind::Function | Kind::Stage => "box",
            Kind::StateMachine => "hexagon",
            Kind::Queue => "cds",
            Kind::Table => "cylinder",
        };
        out.push_str(&format!(
            "  {} [label=\"{}\\n{}\", shape={shape}, {}];\n",
            n.id,
            dot_text(&n.name),
            dot_text(&n.detail),
            dot_style(n.state, n.kind == Kind::Function)
        ));
    }
    for (from, to, label) in &map.edges {
        match label {
            Some(l) => out.push_str(&format!("  {from} -> {to} [label=\"{l}\"];\n")),
            None => out.push_str(&format!("  {from} -> {to};\n")),
        }
    }
    out.push_str("}\n");
    out
}
