//! `stackform gen`: render the model and write it, or with `--check` show what is out of date.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::GenArgs;
use crate::render::{Selection, render};
use crate::write::{self, Action};

pub fn run(args: &GenArgs) -> Result<ExitCode> {
    let source = super::read_stack(args.stack.stack.as_deref())?;
    let Some(model) = super::load(&source) else {
        return Ok(ExitCode::from(1));
    };
    let selection = match &args.env {
        Some(env) if !args.all => {
            if model.env(env).is_none() {
                bail!(
                    "unknown environment `{env}`; {} declares {}",
                    source.name,
                    model
                        .env_names()
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Selection::One(env)
        }
        _ => Selection::All,
    };
    let header_source = std::path::Path::new(&source.name)
        .file_name()
        .map_or_else(|| source.name.clone(), |n| n.to_string_lossy().into_owned());
    let files = render(&model, &selection, &header_source);
    let owned = match &selection {
        Selection::All => vec!["modules".to_string(), "environments".to_string()],
        Selection::One(env) => vec!["modules".to_string(), format!("environments/{env}")],
    };
    let changes = write::compare(&args.out, &files, &owned, args.force)?;
    let command = match (&selection, &args.stack.stack) {
        (Selection::All, None) => "stackform gen --all".to_string(),
        (Selection::One(env), None) => format!("stackform gen --env {env}"),
        (Selection::All, Some(p)) => format!("stackform gen --all --stack {}", p.display()),
        (Selection::One(env), Some(p)) => {
            format!("stackform gen --env {env} --stack {}", p.display())
        }
    };

    if args.check {
        if changes.changes.is_empty() {
            println!("{} generated files are up to date", changes.unchanged);
            return Ok(ExitCode::SUCCESS);
        }
        print!("{}", write::diff(&changes));
        eprintln!(
            "stackform: {} of {} generated files differ from {}; run `{command}` to update them",
            changes.changes.len(),
            files.len(),
            source.name
        );
        return Ok(ExitCode::from(1));
    }

    if !changes.conflicts.is_empty() {
        for c in &changes.conflicts {
            eprintln!("error: `{}` {}", c.path, c.why);
        }
        eprintln!(
            "stackform: refusing to overwrite {} file{}; nothing was written. Move your changes into {} (generated files are rebuilt from it), or rerun with --force to discard them",
            changes.conflicts.len(),
            if changes.conflicts.len() == 1 {
                ""
            } else {
                "s"
            },
            source.name
        );
        return Ok(ExitCode::from(1));
    }
    write::apply(&args.out, &changes)?;
    for change in &changes.changes {
        let verb = match change.action {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Remove => "removed",
        };
        println!("{verb:>8} {}", change.path);
    }
    println!(
        "{} files: {} written, {} removed, {} unchanged",
        files.len(),
        changes
            .changes
            .iter()
            .filter(|c| c.action != Action::Remove)
            .count(),
        changes
            .changes
            .iter()
            .filter(|c| c.action == Action::Remove)
            .count(),
        changes.unchanged
    );
    Ok(ExitCode::SUCCESS)
}
