//! `stackform gen`: render the model and write it, or with `--check` show what is out of date.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::GenArgs;
use crate::render::{RenderedFile, Selection, render};
use crate::write::{self, Action};

/// The model rendered for one environment (with the shared modules) or for all of them.
struct Rendered {
    source: super::Source,
    files: Vec<RenderedFile>,
    /// Folders under the output whose generated files this selection owns.
    owned: Vec<String>,
    /// The `gen` command that writes this selection.
    command: String,
    /// Every environment the model declares.
    envs: Vec<String>,
    /// Environments `[policy] require_tracing` names.
    require_tracing: Vec<String>,
}

/// Reads the model and renders `env` (or all). `None` when the model has problems, which have
/// been printed.
fn prepare(stack: Option<&Path>, env: Option<&str>) -> Result<Option<Rendered>> {
    let source = super::read_stack(stack)?;
    let Some(model) = super::load(&source) else {
        return Ok(None);
    };
    let selection = match env {
        Some(env) => {
            if model.env(env).is_none() {
                bail!(
                    "unknown environment `{env}`; {} declares {}",
                    source.name,
                    model.env_list()
                );
            }
            Selection::One(env)
        }
        None => Selection::All,
    };
    // Generated headers name a file; the built-in model is `stack.toml` once written out.
    let header_source = if source.name == super::BUILT_IN {
        "stack.toml".to_string()
    } else {
        Path::new(&source.name)
            .file_name()
            .map_or_else(|| source.name.clone(), |n| n.to_string_lossy().into_owned())
    };
    let files = render(&model, &selection, &header_source);
    let owned = match &selection {
        Selection::All => vec!["modules".to_string(), "environments".to_string()],
        Selection::One(env) => vec!["modules".to_string(), format!("environments/{env}")],
    };
    let command = match (&selection, stack) {
        (Selection::All, None) => "stackform gen --all".to_string(),
        (Selection::One(env), None) => format!("stackform gen --env {env}"),
        (Selection::All, Some(p)) => format!("stackform gen --all --stack {}", p.display()),
        (Selection::One(env), Some(p)) => {
            format!("stackform gen --env {env} --stack {}", p.display())
        }
    };
    let envs = model.env_names().iter().map(|e| e.to_string()).collect();
    let require_tracing = model
        .policy
        .require_tracing
        .iter()
        .map(|e| e.value.clone())
        .collect();
    Ok(Some(Rendered {
        source,
        files,
        owned,
        command,
        envs,
        require_tracing,
    }))
}

/// What `plan` needs to know before it runs terraform on generated roots.
pub struct Freshness {
    /// Generated files under `out` that differ from the model (stale, missing, orphaned or
    /// edited by hand); empty when `gen --check` would pass.
    pub outdated: Vec<String>,
    /// The command that brings them up to date.
    pub command: String,
    /// Every environment the model declares.
    pub envs: Vec<String>,
    /// Environments `[policy] require_tracing` names.
    pub require_tracing: Vec<String>,
}

/// `gen --check` for `env` (or all environments) without printing a diff. `None` when the
/// model has problems, which have been printed.
pub fn freshness(stack: Option<&Path>, out: &Path, env: Option<&str>) -> Result<Option<Freshness>> {
    let Some(r) = prepare(stack, env)? else {
        return Ok(None);
    };
    let changes = write::compare(out, &r.files, &r.owned, false)?;
    Ok(Some(Freshness {
        outdated: changes.changes.into_iter().map(|c| c.path).collect(),
        command: r.command,
        envs: r.envs,
        require_tracing: r.require_tracing,
    }))
}

/// How long a second `gen` waits for the first by default.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

fn lock_output(out: &Path, timeout: Option<&str>) -> Result<write::lock::OutputLock> {
    let timeout = match timeout {
        None => LOCK_TIMEOUT,
        Some(text) => humantime::parse_duration(text).with_context(|| {
            format!("`--lock-timeout {text}` is not a duration; write it like `10s` or `2m`")
        })?,
    };
    write::lock::acquire(out, timeout, |holder| {
        eprintln!(
            "stackform: waiting for another `stackform gen` ({holder}) writing `{}`; it holds `{}`",
            out.display(),
            write::lock::lock_path(out).display()
        );
    })
}

pub fn run(args: &GenArgs) -> Result<ExitCode> {
    let env = args.env.as_deref().filter(|_| !args.all);
    let Some(Rendered {
        source,
        files,
        owned,
        command,
        ..
    }) = prepare(args.stack.stack.as_deref(), env)?
    else {
        return Ok(ExitCode::from(1));
    };
    // Held from the comparison to the last rename, so no other `gen` writes in between.
    let _lock = if args.check {
        None
    } else {
        Some(lock_output(&args.out, args.lock_timeout.as_deref())?)
    };
    let changes = write::compare(&args.out, &files, &owned, args.force)?;
    let command = if args.out == Path::new(".") {
        command
    } else {
        format!("{command} --out {}", args.out.display())
    };

    if args.check {
        if changes.changes.is_empty() {
            println!("{} generated files are up to date", changes.unchanged);
            return Ok(ExitCode::SUCCESS);
        }
        print!("{}", write::diff(&changes));
        let n = changes.changes.len();
        eprintln!(
            "stackform: {n} generated file{} differ{} from {} (stale, missing or no longer generated); run `{command}` to update {}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" },
            source.name,
            if n == 1 { "it" } else { "them" },
        );
        if !changes.conflicts.is_empty() {
            eprintln!(
                "stackform: {} of them {} edited by hand or not generated, which `gen` refuses to overwrite: move the edits into {}, or add `--force` to discard them",
                changes.conflicts.len(),
                if changes.conflicts.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                source.name
            );
        }
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
