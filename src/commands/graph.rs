//! `stackform graph`: the service map of an environment with each node's tracing state.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};

use super::tracing::{print_notes, source_for};
use crate::cli::{GraphArgs, GraphFormat};
use crate::insight::{self, Report, graph};

pub fn run(args: &GraphArgs) -> Result<ExitCode> {
    let source = source_for(&args.dir, args.stack.stack.as_deref())?;
    let Some(model) = super::load(&source) else {
        return Ok(ExitCode::from(1));
    };
    let inventory = insight::read_environment(&args.dir, &model, &source.name, &args.env)?;
    print_notes(&inventory.notes);
    let report = Report::new(&args.env, &inventory, &model, false);
    match args.format {
        GraphFormat::Mermaid => print!("{}", graph::mermaid(&report)),
        GraphFormat::Dot => print!("{}", graph::dot(&report)),
        GraphFormat::Svg => {
            let svg = svg(&graph::dot(&report))?;
            std::io::stdout()
                .write_all(&svg)
                .context("cannot write the SVG to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Graphviz's `dot -Tsvg` on the DOT text.
fn svg(dot: &str) -> Result<Vec<u8>> {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "`--format svg` needs graphviz's `dot` on PATH, and it was not found; install graphviz (`apt-get install graphviz`, `brew install graphviz`), or use `--format dot` and render the file elsewhere"
        ),
        Err(e) => return Err(e).context("cannot run graphviz's `dot`"),
    };
    // Write from a thread so a large map cannot fill the pipe while `dot` waits to be read.
    let input = dot.to_string();
    let mut stdin = child.stdin.take().context("cannot write to `dot`")?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .context("graphviz's `dot` did not finish")?;
    let written = writer.join();
    if !out.status.success() || !matches!(written, Ok(Ok(()))) {
        bail!(
            "graphviz's `dot` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}
