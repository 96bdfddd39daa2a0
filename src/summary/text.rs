//! The text format: what a person reads in a terminal, close to Terraform's own symbols.
//!
//! Resources are grouped by module, no-ops hidden unless moved or imported, and each update
//! or replacement lists its changed attributes (masked values, shortened when long).

use std::collections::BTreeMap;
use std::fmt::Write;

use owo_colors::{OwoColorize, Style};

use super::{Action, AttrChange, OutputChange, ResourceChange, Shown, Summary, plural};

/// Attribute lines shown per resource before the rest are counted.
const MAX_ATTRIBUTES: usize = 20;

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, s: &str, style: Style) -> String {
        if self.color {
            s.style(style).to_string()
        } else {
            s.to_string()
        }
    }

    fn action(&self, action: Action, s: &str) -> String {
        let style = match action {
            Action::Create => Style::new().green(),
            Action::Update => Style::new().yellow(),
            Action::Delete => Style::new().red(),
            Action::Replace(_) => Style::new().magenta(),
            Action::Read => Style::new().cyan(),
            Action::Forget | Action::NoOp => Style::new().dimmed(),
            Action::Unknown => Style::new().red().bold(),
        };
        self.paint(s, style)
    }
}

pub fn render(s: &Summary, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();
    body(&mut out, s, &p);
    out
}

pub fn render_combined(envs: &[(String, Summary)], color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();
    let width = envs
        .iter()
        .map(|(e, _)| e.chars().count())
        .chain(["environment".len()])
        .max()
        .unwrap_or(11);
    let head = format!(
        "{:<width$}  {:>6}  {:>3}  {:>6}  {:>7}  {:>7}  {:>5}  {:>5}",
        "environment", "import", "add", "change", "destroy", "replace", "drift", "risks"
    );
    let _ = writeln!(out, "{}", p.paint(&head, Style::new().bold()));
    for (env, s) in envs {
        let c = &s.counts;
        let _ = writeln!(
            out,
            "{env:<width$}  {:>6}  {:>3}  {:>6}  {:>7}  {:>7}  {:>5}  {:>5}",
            c.import,
            c.add,
            c.change,
            c.destroy,
            c.replace,
            c.drift,
            s.risks.len()
        );
    }
    for (env, s) in envs {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.paint(&format!("== {env} =="), Style::new().bold())
        );
        body(&mut out, s, &p);
    }
    out
}

fn body(out: &mut String, s: &Summary, p: &Painter) {
    let _ = writeln!(out, "{}", p.paint(&s.headline(), Style::new().bold()));
    let also = also_line(s);
    if !also.is_empty() {
        let _ = writeln!(out, "{also}");
    }
    if let Some(skipped) = &s.skipped {
        let _ = writeln!(
            out,
            "{}",
            p.paint(&skipped.line(), Style::new().yellow().bold())
        );
        for a in &skipped.addresses {
            let _ = writeln!(out, "  {} {a}", p.paint("-", Style::new().dimmed()));
        }
    }
    if !s.risks.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                &format!("Risks ({}):", s.risks.len()),
                Style::new().red().bold()
            )
        );
        let width = s
            .risks
            .iter()
            .map(|r| r.class.as_str().len())
            .max()
            .unwrap_or(0);
        for r in &s.risks {
            let class = format!("{:<width$}", r.class.as_str());
            let _ = writeln!(
                out,
                "  {} {}  {}: {}",
                p.paint("!", Style::new().red().bold()),
                p.paint(&class, Style::new().red()),
                r.address,
                r.detail
            );
        }
    }
    for (module, resources) in by_module(&s.resources) {
        let _ = writeln!(out);
        let title = match module {
            Some(m) => format!("{m}:"),
            None => "Root module:".to_string(),
        };
        let _ = writeln!(out, "{}", p.paint(&title, Style::new().bold()));
        for r in resources {
            resource(out, r, p);
        }
    }
    if !s.drift.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                &format!("Changed outside Terraform ({}):", s.drift.len()),
                Style::new().bold()
            )
        );
        for r in &s.drift {
            resource(out, r, p);
        }
    }
    if !s.outputs.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                &format!("Outputs ({} changed):", s.outputs.len()),
                Style::new().bold()
            )
        );
        for o in &s.outputs {
            output(out, o, p);
        }
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out);
        for w in &s.warnings {
            let _ = writeln!(
                out,
                "{} {w}",
                p.paint("warning:", Style::new().yellow().bold())
            );
        }
    }
}

/// The counts the `Plan:` line leaves out, when any is non-zero.
pub fn also_line(s: &Summary) -> String {
    let c = &s.counts;
    let parts: Vec<String> = [
        (c.replace, "to replace", "to replace"),
        (c.moved, "moved", "moved"),
        (c.forget, "to forget", "to forget"),
        (c.read, "to read", "to read"),
        (
            c.drift,
            "changed outside Terraform",
            "changed outside Terraform",
        ),
        (c.output_changes, "output change", "output changes"),
    ]
    .iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| format!("{n} {}", plural(*n, one, many)))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("Also: {}.", parts.join(", "))
    }
}

/// Resources by module, the root module first, in the plan's order within each.
pub fn by_module(resources: &[ResourceChange]) -> BTreeMap<Option<&str>, Vec<&ResourceChange>> {
    let mut map: BTreeMap<Option<&str>, Vec<&ResourceChange>> = BTreeMap::new();
    for r in resources {
        map.entry(r.module.as_deref()).or_default().push(r);
    }
    map
}

fn resource(out: &mut String, r: &ResourceChange, p: &Painter) {
    let symbol = format!("{:>3}", r.action.symbol());
    let notes = r.notes();
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("  ({})", notes.join("; "))
    };
    let _ = writeln!(
        out,
        "{} {}{}",
        p.action(r.action, &symbol),
        r.address,
        p.paint(&notes, Style::new().dimmed())
    );
    if !r.replace_paths.is_empty() {
        let _ = writeln!(
            out,
            "        {} {}",
            p.paint("forces replacement:", Style::new().magenta()),
            r.replace_paths.join(", ")
        );
    }
    for a in r.attributes.iter().take(MAX_ATTRIBUTES) {
        let _ = writeln!(out, "        {}", attribute(a, p));
    }
    if r.attributes.len() > MAX_ATTRIBUTES {
        let _ = writeln!(
            out,
            "        … and {} more changed attributes (all paths in `--format json`)",
            r.attributes.len() - MAX_ATTRIBUTES
        );
    }
}

/// `~ path = before -> after`, `+ path = after`, `- path = before`.
fn attribute(a: &AttrChange, p: &Painter) -> String {
    let forces = if a.forces_replacement {
        p.paint("  # forces replacement", Style::new().magenta())
    } else {
        String::new()
    };
    let line = match (&a.before, &a.after) {
        (Shown::Absent, after) => format!("{} {} = {after}", p.action(Action::Create, "+"), a.path),
        (before, Shown::Absent) => {
            format!("{} {} = {before}", p.action(Action::Delete, "-"), a.path)
        }
        (before, after) => format!(
            "{} {} = {before} -> {after}",
            p.action(Action::Update, "~"),
            a.path
        ),
    };
    line + &forces
}

fn output(out: &mut String, o: &OutputChange, p: &Painter) {
    let line = match (o.action, &o.before, &o.after) {
        (Action::Create, _, after) | (_, Shown::Absent, after) => {
            format!("{} {} = {after}", p.action(Action::Create, "+"), o.name)
        }
        (Action::Delete, before, _) | (_, before, Shown::Absent) => {
            format!("{} {} = {before}", p.action(Action::Delete, "-"), o.name)
        }
        (_, before, after) => format!(
            "{} {} = {before} -> {after}",
            p.action(Action::Update, "~"),
            o.name
        ),
    };
    let _ = writeln!(out, "  {line}");
}
