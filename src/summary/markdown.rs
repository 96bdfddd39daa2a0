//! The markdown format: a pull-request comment with the counts first, then risks, then the
//! details folded per module.
//!
//! GitHub rejects comments over 65,536 characters, so details are trimmed to a byte budget
//! (bytes never undercount characters) in a fixed order: attribute lines go first, then
//! resources from the end. The same plan always trims the same way, and a note says what was
//! left out. Built in code rather than a template because trimming needs every piece's size.

use std::fmt::Write;

use super::text::by_module;
use super::{Action, AttrChange, OutputChange, ResourceChange, Risk, Shown, Summary, plural};

/// Most bytes a rendering may use: GitHub's 65,536-character limit, less room for a bot's
/// own header or footer.
pub const MARKDOWN_BUDGET: usize = 60_000;

/// Bytes kept free for the closing note.
const NOTE_RESERVE: usize = 600;

/// Attribute lines shown per resource.
const MAX_ATTRIBUTES: usize = 20;

/// A folded section: a module, the drift or the outputs.
struct Group {
    /// Inner HTML of the `<summary>`.
    title: String,
    items: Vec<Item>,
}

/// A resource (or output) line and the attribute lines under it.
struct Item {
    line: String,
    detail: String,
}

/// What fitting groups into a budget left out.
#[derive(Default)]
struct Trimmed {
    without_detail: usize,
    omitted: usize,
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", s.headline());
    counts_table(&mut out, &[(None, s)]);
    let risks: Vec<(Option<&str>, &Risk)> = s.risks.iter().map(|r| (None, r)).collect();
    risks_block(&mut out, &risks);
    skipped_block(&mut out, s, None);
    warnings_block(&mut out, &s.warnings, None);
    let avail = MARKDOWN_BUDGET.saturating_sub(out.len() + NOTE_RESERVE);
    let (text, trimmed) = fit(&groups(s), avail);
    out.push_str(&text);
    note(&mut out, &trimmed);
    guard(out)
}

pub fn render_combined(envs: &[(String, Summary)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### stackform plan: {} {}\n",
        envs.len(),
        plural(envs.len(), "environment", "environments")
    );
    let rows: Vec<(Option<&str>, &Summary)> =
        envs.iter().map(|(e, s)| (Some(e.as_str()), s)).collect();
    counts_table(&mut out, &rows);
    let risks: Vec<(Option<&str>, &Risk)> = envs
        .iter()
        .flat_map(|(e, s)| s.risks.iter().map(move |r| (Some(e.as_str()), r)))
        .collect();
    risks_block(&mut out, &risks);
    for (env, s) in envs {
        skipped_block(&mut out, s, Some(env));
        warnings_block(&mut out, &s.warnings, Some(env));
    }
    let mut total = Trimmed::default();
    for (i, (env, s)) in envs.iter().enumerate() {
        // Share what is left equally among the environments still to come, so an early
        // environment's unused share passes on to the later ones.
        let left = MARKDOWN_BUDGET.saturating_sub(out.len() + NOTE_RESERVE);
        let open = format!(
            "<details><summary><b>{}</b>: {}</summary>\n\n",
            html(env),
            html(&s.headline())
        );
        let close = "</details>\n\n";
        let share = (left / (envs.len() - i)).saturating_sub(open.len() + close.len());
        let (text, trimmed) = fit(&groups(s), share);
        out.push_str(&open);
        if text.is_empty() && trimmed.omitted == 0 {
            out.push_str("No changes.\n\n");
        }
        out.push_str(&text);
        out.push_str(close);
        total.without_detail += trimmed.without_detail;
        total.omitted += trimmed.omitted;
    }
    note(&mut out, &total);
    guard(out)
}

fn counts_table(out: &mut String, rows: &[(Option<&str>, &Summary)]) {
    let env = rows.iter().any(|(e, _)| e.is_some());
    let head = "import | add | change | destroy | replace | read | move | forget | drift | outputs";
    if env {
        let _ = writeln!(out, "| environment | {head} | risks |");
        let _ = writeln!(out, "|---|{}---:|", "---:|".repeat(10));
    } else {
        let _ = writeln!(out, "| {head} |");
        let _ = writeln!(out, "|{}", "---:|".repeat(10));
    }
    for (e, s) in rows {
        let c = &s.counts;
        let cells = [
            c.import,
            c.add,
            c.change,
            c.destroy,
            c.replace,
            c.read,
            c.moved,
            c.forget,
            c.drift,
            c.output_changes,
        ]
        .map(|n| n.to_string())
        .join(" | ");
        match e {
            Some(e) => {
                let _ = writeln!(out, "| {} | {cells} | {} |", table_cell(e), s.risks.len());
            }
            None => {
                let _ = writeln!(out, "| {cells} |");
            }
        }
    }
    out.push('\n');
}

/// Risks go first and are never folded; a huge list is cut to a quarter of the budget.
fn risks_block(out: &mut String, risks: &[(Option<&str>, &Risk)]) {
    if risks.is_empty() {
        return;
    }
    let _ = writeln!(out, "> [!WARNING]");
    let _ = writeln!(
        out,
        "> **{} {}**",
        risks.len(),
        plural(risks.len(), "risk", "risks")
    );
    let limit = out.len() + MARKDOWN_BUDGET / 4;
    for (i, (env, r)) in risks.iter().enumerate() {
        let env = env.map(|e| format!("{} ", code(e))).unwrap_or_default();
        let line = format!(
            "> - **{}** {env}{}: {}\n",
            r.class.as_str(),
            code(&r.address),
            inline(&r.detail)
        );
        if out.len() + line.len() > limit {
            let _ = writeln!(
                out,
                "> - … and {} more (all in `stackform summary --format json`)",
                risks.len() - i
            );
            break;
        }
        out.push_str(&line);
    }
    out.push('\n');
}

/// Addresses listed under the skipped types, before the rest are counted.
const MAX_SKIPPED: usize = 50;

fn skipped_block(out: &mut String, s: &Summary, env: Option<&str>) {
    let Some(skipped) = &s.skipped else {
        return;
    };
    let env = env.map(|e| format!("{}: ", code(e))).unwrap_or_default();
    let _ = writeln!(out, "> [!WARNING]");
    let _ = writeln!(out, "> {env}{}", inline(&skipped.line()));
    for a in skipped.addresses.iter().take(MAX_SKIPPED) {
        let _ = writeln!(out, "> - {}", code(a));
    }
    if skipped.addresses.len() > MAX_SKIPPED {
        let _ = writeln!(
            out,
            "> - … and {} more",
            skipped.addresses.len() - MAX_SKIPPED
        );
    }
    out.push('\n');
}

fn warnings_block(out: &mut String, warnings: &[String], env: Option<&str>) {
    if warnings.is_empty() {
        return;
    }
    let _ = writeln!(out, "> [!NOTE]");
    for w in warnings.iter().take(20) {
        let env = env.map(|e| format!("{}: ", code(e))).unwrap_or_default();
        let _ = writeln!(out, "> {env}{}", inline(w));
    }
    if warnings.len() > 20 {
        let _ = writeln!(out, "> … and {} more warnings", warnings.len() - 20);
    }
    out.push('\n');
}

fn groups(s: &Summary) -> Vec<Group> {
    let mut out = Vec::new();
    for (module, resources) in by_module(&s.resources) {
        let name = module.unwrap_or("root module");
        out.push(Group {
            title: format!("<code>{}</code>: {}", html(name), tally(&resources)),
            items: resources.iter().map(|r| resource_item(r)).collect(),
        });
    }
    if !s.drift.is_empty() {
        out.push(Group {
            title: format!("Changed outside Terraform ({})", s.drift.len()),
            items: s.drift.iter().map(resource_item).collect(),
        });
    }
    if !s.outputs.is_empty() {
        out.push(Group {
            title: format!("Outputs ({} changed)", s.outputs.len()),
            items: s.outputs.iter().map(output_item).collect(),
        });
    }
    out
}

/// "2 to add, 1 to replace" for one module's resources.
fn tally(resources: &[&ResourceChange]) -> String {
    let count = |f: fn(&ResourceChange) -> bool| resources.iter().filter(|r| f(r)).count();
    let parts = [
        (count(|r| r.import.is_some()), "to import"),
        (count(|r| r.action == Action::Create), "to add"),
        (count(|r| r.action == Action::Update), "to change"),
        (
            count(|r| matches!(r.action, Action::Replace(_))),
            "to replace",
        ),
        (count(|r| r.action == Action::Delete), "to destroy"),
        (count(|r| r.action == Action::Read), "to read"),
        (count(|r| r.action == Action::Forget), "to forget"),
        (count(|r| r.previous_address.is_some()), "moved"),
        (count(|r| r.action == Action::Unknown), "unknown"),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    text.join(", ")
}

fn resource_item(r: &ResourceChange) -> Item {
    let symbol = r.action.symbol();
    let symbol = if symbol.is_empty() {
        String::new()
    } else {
        format!("{} ", code(symbol))
    };
    let notes = r.notes();
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", inline(&notes.join("; ")))
    };
    let line = format!("- {symbol}{}{notes}\n", code(&r.address));
    let mut detail = String::new();
    if !r.replace_paths.is_empty() {
        let paths: Vec<String> = r.replace_paths.iter().map(|p| code(p)).collect();
        let _ = writeln!(detail, "  - forces replacement: {}", paths.join(", "));
    }
    for a in r.attributes.iter().take(MAX_ATTRIBUTES) {
        let _ = writeln!(detail, "  - {}", attribute(a));
    }
    if r.attributes.len() > MAX_ATTRIBUTES {
        let _ = writeln!(
            detail,
            "  - … and {} more changed attributes",
            r.attributes.len() - MAX_ATTRIBUTES
        );
    }
    Item { line, detail }
}

fn attribute(a: &AttrChange) -> String {
    let text = match (&a.before, &a.after) {
        (Shown::Absent, after) => format!("+ {} = {after}", a.path),
        (before, Shown::Absent) => format!("- {} = {before}", a.path),
        (before, after) => format!("~ {} = {before} -> {after}", a.path),
    };
    let forces = if a.forces_replacement {
        " (forces replacement)"
    } else {
        ""
    };
    format!("{}{forces}", code(&text))
}

fn output_item(o: &OutputChange) -> Item {
    let text = match (o.action, &o.before, &o.after) {
        (Action::Create, _, after) | (_, Shown::Absent, after) => format!("+ {} = {after}", o.name),
        (Action::Delete, before, _) | (_, before, Shown::Absent) => {
            format!("- {} = {before}", o.name)
        }
        (_, before, after) => format!("~ {} = {before} -> {after}", o.name),
    };
    Item {
        line: format!("- {}\n", code(&text)),
        detail: String::new(),
    }
}

/// Lays groups out within `avail` bytes: everything if it fits; else every line with as many
/// attribute blocks as fit, in order; else lines in order until the budget runs out.
fn fit(groups: &[Group], avail: usize) -> (String, Trimmed) {
    let open = |g: &Group| format!("<details><summary>{}</summary>\n\n", g.title);
    const CLOSE: &str = "\n</details>\n\n";
    let overhead = |g: &Group| open(g).len() + CLOSE.len();
    let lines: usize = groups
        .iter()
        .map(|g| overhead(g) + g.items.iter().map(|i| i.line.len()).sum::<usize>())
        .sum();
    let details: usize = groups
        .iter()
        .flat_map(|g| &g.items)
        .map(|i| i.detail.len())
        .sum();
    let mut trimmed = Trimmed::default();
    // Which items to show, and which of those with their detail.
    let mut show: Vec<Vec<(bool, bool)>> = groups
        .iter()
        .map(|g| vec![(false, false); g.items.len()])
        .collect();
    if lines + details <= avail {
        for row in &mut show {
            row.fill((true, true));
        }
    } else if lines <= avail {
        let mut left = avail - lines;
        for (g, row) in groups.iter().zip(&mut show) {
            for (item, slot) in g.items.iter().zip(row.iter_mut()) {
                let with = item.detail.len() <= left;
                if with {
                    left -= item.detail.len();
                } else if !item.detail.is_empty() {
                    trimmed.without_detail += 1;
                }
                *slot = (true, with);
            }
        }
    } else {
        // Room for a "… and N more" line in each group that gets cut.
        let more_line = 80;
        let mut used = 0;
        'groups: for (g, row) in groups.iter().zip(&mut show) {
            let cost = overhead(g) + more_line;
            if used + cost > avail {
                break;
            }
            used += cost;
            for (item, slot) in g.items.iter().zip(row.iter_mut()) {
                if used + item.line.len() > avail {
                    break 'groups;
                }
                used += item.line.len();
                *slot = (true, false);
            }
        }
        trimmed.without_detail = groups
            .iter()
            .zip(&show)
            .flat_map(|(g, row)| g.items.iter().zip(row))
            .filter(|(i, (shown, _))| *shown && !i.detail.is_empty())
            .count();
    }
    let mut out = String::new();
    for (g, row) in groups.iter().zip(&show) {
        let shown = row.iter().filter(|(s, _)| *s).count();
        trimmed.omitted += g.items.len() - shown;
        if shown == 0 {
            continue;
        }
        out.push_str(&open(g));
        for (item, (s, with)) in g.items.iter().zip(row) {
            if *s {
                out.push_str(&item.line);
                if *with {
                    out.push_str(&item.detail);
                }
            }
        }
        if shown < g.items.len() {
            let _ = writeln!(out, "- … and {} more", g.items.len() - shown);
        }
        out.push_str(CLOSE);
    }
    (out, trimmed)
}

fn note(out: &mut String, t: &Trimmed) {
    if t.without_detail == 0 && t.omitted == 0 {
        return;
    }
    let mut parts = Vec::new();
    if t.without_detail > 0 {
        parts.push(format!(
            "{} {} listed without attribute changes",
            t.without_detail,
            plural(t.without_detail, "entry", "entries")
        ));
    }
    if t.omitted > 0 {
        parts.push(format!(
            "{} {} not listed",
            t.omitted,
            plural(t.omitted, "entry", "entries")
        ));
    }
    let _ = writeln!(
        out,
        "> [!NOTE]\n> Trimmed to fit a pull-request comment: {}. Run `stackform summary` on the \
         plan for everything.",
        parts.join(", ")
    );
}

/// The last line of defence: never hand GitHub more than the budget, whatever went wrong.
fn guard(mut out: String) -> String {
    if out.len() <= MARKDOWN_BUDGET {
        return out;
    }
    let cut = "\n\n> [!NOTE]\n> Cut short to fit a pull-request comment.\n";
    let mut end = MARKDOWN_BUDGET - cut.len();
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    if let Some(nl) = out[..end].rfind('\n') {
        end = nl;
    }
    out.truncate(end);
    out.push_str(cut);
    out
}

/// A code span that survives backticks and newlines in its content.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || s.starts_with(' ') || s.ends_with(' ') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Prose from messages, which mark names with backticks already: one line, and no `<` that
/// could open an HTML tag outside those code spans (inside them it shows literally).
fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            '<' if !in_code => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
    out
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn table_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
