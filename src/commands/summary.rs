//! `stackform summary`: any Terraform plan as text, markdown or JSON, with a risk gate.
//!
//! Exit status: 0 whatever the plan holds, 3 when `--fail-on` names a class the plan carries,
//! 1 on any error (unreadable input, unknown class names).

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{Format, SummaryArgs};
use crate::summary::{self, Summary};

/// Exit status when `--fail-on` matches.
const GATE: u8 = 3;

pub fn run(args: &SummaryArgs) -> Result<ExitCode> {
    // Check the gate's class names before any work, so a typo fails fast.
    let fail_on = summary::parse_fail_on(&args.fail_on)?;
    let (s, input) = read(args)?;
    let format = args.format.unwrap_or(Format::Text);
    let color = format == Format::Text && summary::stdout_color();
    let text = s.render_with(format, color);
    if format == Format::Json {
        // Text and markdown show warnings themselves; JSON keeps its schema.
        for w in &s.warnings {
            eprintln!("stackform: warning: {w}");
        }
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        // A reader such as `head` that stops early is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e).context("cannot write the summary to standard output"),
    }
    // The process ends here: returning a 100 MB input and thousands of small allocations to
    // the allocator would take a tenth of the run (seen in the benchmark), for nothing.
    std::mem::forget(input);
    let failing = s.failing(&fail_on);
    if failing.is_empty() {
        std::mem::forget(s);
        return Ok(ExitCode::SUCCESS);
    }
    let mut classes: Vec<&str> = failing.iter().map(|r| r.class.as_str()).collect();
    classes.dedup();
    eprintln!(
        "stackform: the plan carries {} {} of class {} named in `--fail-on`",
        failing.len(),
        summary::plural(failing.len(), "risk", "risks"),
        classes
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(ExitCode::from(GATE))
}

/// Reads the plan from a file or standard input; binary plan files go through terraform.
/// Returns the input bytes too, so the caller decides when to drop them.
fn read(args: &SummaryArgs) -> Result<(Summary, Vec<u8>)> {
    if args.plan == "-" {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            // Reading would wait for the user to type a plan.
            anyhow::bail!(
                "no plan given: pass a plan file as PLAN, or pipe one in, e.g. \
                 `terraform show -json tfplan | stackform summary`"
            );
        }
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("cannot read the plan from standard input")?;
        let s = Summary::from_json(&bytes).context("cannot read the plan from standard input")?;
        return Ok((s, bytes));
    }
    let path = Path::new(&args.plan);
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the plan `{}`", path.display()))?;
    if summary::is_binary_plan(&bytes) {
        let bin = crate::terraform::binary::locate(args.terraform.terraform_bin.as_deref())
            .with_context(|| format!("`{}` is a binary plan file", path.display()))?;
        let json = summary::show_json(&bin, path)?;
        let s = Summary::from_json(&json).with_context(|| {
            format!(
                "cannot read the output of `{} show -json {}`",
                bin.display(),
                path.display()
            )
        })?;
        return Ok((s, json));
    }
    let s = Summary::from_json(&bytes)
        .with_context(|| format!("cannot read the plan `{}`", path.display()))?;
    Ok((s, bytes))
}
