//! `stackform tracing`: what one environment, every environment or a plan actually traces,
//! where traces break, what tracing costs, and whether the tracing policy holds.

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::{Format, TerraformArgs, TracingArgs};
use crate::insight::{self, Report, report};

/// The stack model for a command that reads HCL under `dir`: `--stack FILE`, else
/// `DIR/stack.toml`, else `./stack.toml`, else the built-in model.
pub fn source_for(dir: &Path, stack: Option<&Path>) -> Result<super::Source> {
    if stack.is_none() && dir != Path::new(".") && dir.join("stack.toml").is_file() {
        return super::read_stack(Some(&dir.join("stack.toml")));
    }
    super::read_stack(stack)
}

pub fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("stackform: note: {note}");
    }
}

pub fn run(args: &TracingArgs) -> Result<ExitCode> {
    let source = source_for(&args.dir, args.stack.stack.as_deref())?;
    let Some(model) = super::load(&source) else {
        return Ok(ExitCode::from(1));
    };
    let mut reports = Vec::new();
    if let Some(plan) = &args.plan {
        if let Some(env) = &args.env
            && model.env(env).is_none()
        {
            bail!(
                "unknown environment `{env}`; {} declares {}",
                source.name,
                model.env_list()
            );
        }
        let (bytes, name) = read_plan(plan, &args.terraform)?;
        let inventory = insight::plan::read(&bytes, &name)
            .with_context(|| format!("cannot read the plan {name}"))?;
        let env = args.env.as_deref();
        let required = env.is_some_and(|e| model.policy.requires_tracing(e));
        reports.push(Report::new(
            env.unwrap_or("plan"),
            &inventory,
            &model,
            required,
        ));
    } else {
        let envs: Vec<String> = match &args.env {
            Some(env) if !args.all => vec![env.clone()],
            _ => model.env_names().iter().map(|e| e.to_string()).collect(),
        };
        for env in &envs {
            let inventory = insight::read_environment(&args.dir, &model, &source.name, env)?;
            print_notes(&inventory.notes);
            let required = model.policy.requires_tracing(env);
            reports.push(Report::new(env, &inventory, &model, required));
        }
    }
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match args.format.unwrap_or(Format::Text) {
        Format::Text => print!("{}", report::text(&reports, colour)),
        Format::Markdown => print!("{}", report::markdown(&reports)),
        Format::Json => print!("{}", report::json(&reports)),
    }
    let mut failed = false;
    for r in &reports {
        let Some(violations) = r.policy.as_ref().filter(|v| !v.is_empty()) else {
            continue;
        };
        failed = true;
        for v in violations {
            match &v.location {
                Some(at) => eprintln!("error: {at}: {}", v.detail),
                None => eprintln!("error: {}: {}", v.address, v.detail),
            }
        }
        eprintln!(
            "stackform: `{}` must be fully traced (`policy.require_tracing` in {}), but {} component{} {} not ({})",
            r.env,
            source.name,
            violations.len(),
            if violations.len() == 1 { "" } else { "s" },
            if violations.len() == 1 { "is" } else { "are" },
            r.origin.describe()
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The plan's JSON and how to name it; a binary plan file goes through `terraform show -json`
/// the way `stackform summary` reads one (same binary lookup, same working folder).
fn read_plan(plan: &str, terraform: &TerraformArgs) -> Result<(Vec<u8>, String)> {
    if plan == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read the plan from standard input")?;
        return Ok((bytes, "on standard input".into()));
    }
    let path = Path::new(plan);
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the plan `{}`", path.display()))?;
    let name = format!("`{}`", path.display());
    if !crate::summary::is_binary_plan(&bytes) {
        return Ok((bytes, name));
    }
    let bin = crate::terraform::binary::locate(terraform.terraform_bin.as_deref())
        .with_context(|| format!("{name} is a binary plan file"))?;
    let json = crate::summary::show_json(&bin, path)?;
    Ok((json, name))
}
