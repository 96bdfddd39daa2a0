//! `stackform bootstrap`: creates an environment's Terraform state bucket (versioning on,
//! encryption on, public access blocked) through terraform itself, from a small root of
//! stackform's own under `.stackform/bootstrap/<env>/` whose state stays local there.
//!
//! A bucket in that local state is planned as usual, so a second run changes nothing. Without
//! it (first run, or another machine bootstrapped the bucket), the plan imports the four
//! resources; terraform's "cannot import non-existent remote object" on the bucket means it
//! must be created, and on one of its settings that the setting is created. Environments that
//! share a bucket are bootstrapped once, in the folder of the first of them in the model.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::BootstrapArgs;
use crate::model::Stack;
use crate::render::bootstrap::{self as root, Bucket, RESOURCES};
use crate::terraform::binary;
use crate::terraform::emulator;
use crate::terraform::progress::{Progress, Reporter};
use crate::terraform::runner::Interrupts;
use crate::terraform::session::{Failure, INTERRUPTED, Session, StepError, log_block};
use crate::terraform::store::{self, Store};
use crate::terraform::target::Target;
use crate::terraform::{lock, nofollow};

const PLAN: &str = "bootstrap.tfplan";
const IMPORTS: &str = "imports.tf";
const STATE: &str = "terraform.tfstate";

/// One bucket to bootstrap and the environments whose state it holds.
struct Group<'a> {
    owner: &'a Stack,
    envs: Vec<&'a str>,
}

/// What a run did to one bucket.
#[derive(Debug, PartialEq, Eq)]
enum Done {
    Nothing,
    Created,
    /// Imported into the local state; the settings that were missing or different were set.
    Adopted(Changes),
    /// In the local state, but a setting had drifted and was set again.
    Repaired(Changes),
}

pub fn run(args: &BootstrapArgs) -> Result<ExitCode> {
    let endpoint = emulator::from_args(args.aws_endpoint.as_deref())?;
    let source = super::read_stack(args.stack.stack.as_deref())?;
    let Some(model) = super::load(&source) else {
        return Ok(ExitCode::from(1));
    };
    let groups = groups(&model.environments, args.env.as_deref())?;
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let bin = binary::find(
        args.terraform.terraform_bin.as_deref(),
        &cwd.join(store::BASE),
    )?;
    if let Some(e) = &endpoint {
        eprintln!("{}", e.notice());
    }
    let runtime = crate::terraform::runtime()?;
    runtime.block_on(async {
        let session = Session {
            bin,
            cwd,
            interrupts: Interrupts::install()?,
            progress: Progress::new(),
            lock_timeout: None,
            emulator: endpoint,
        };
        let mut worst = 0u8;
        for group in &groups {
            let url = session.emulator.as_ref().map(|e| e.url.as_str());
            let target = target(group.owner, url)?;
            match bootstrap(&session, group.owner, &target).await {
                Ok(done) => println!("{}", report(group, &target, &done)),
                Err(e) => {
                    eprint!("{}", log_block(&target, &e));
                    eprintln!("stackform: error: {}", explain(&e, group.owner, &target));
                    let code = match e.failure {
                        Failure::Interrupted { .. } | Failure::InterruptedBefore => INTERRUPTED,
                        _ => 1,
                    };
                    worst = worst.max(code);
                    if code == INTERRUPTED {
                        break;
                    }
                }
            }
        }
        Ok(ExitCode::from(worst))
    })
}

/// The buckets of `env` (or of every environment), each once, in the model's order.
fn groups<'a>(stacks: &'a [Stack], env: Option<&str>) -> Result<Vec<Group<'a>>> {
    if let Some(env) = env
        && !stacks.iter().any(|s| s.env == env)
    {
        bail!(
            "the model has no environment `{env}` (it has {}); give one of them to `--env`",
            stacks
                .iter()
                .map(|s| format!("`{}`", s.env))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut groups: Vec<Group> = Vec::new();
    for stack in stacks {
        // Bucket names are global: one name is one bucket, whatever region an environment
        // gives it (the first environment's wins).
        match groups
            .iter_mut()
            .find(|g| g.owner.state.bucket.value == stack.state.bucket.value)
        {
            Some(g) => g.envs.push(&stack.env),
            None => groups.push(Group {
                owner: stack,
                envs: vec![&stack.env],
            }),
        }
    }
    if let Some(env) = env {
        groups.retain(|g| g.envs.contains(&env));
    }
    Ok(groups)
}

/// The bootstrap root of a bucket: `.stackform/bootstrap/<env>/`, or
/// `.stackform/bootstrap-emulator/<env>/` in emulator mode, so that an emulator's state never
/// stands for real AWS's.
fn target(owner: &Stack, endpoint: Option<&str>) -> Result<Target> {
    let mut target = Target::env(&owner.env)?;
    let folder = if endpoint.is_some() {
        "bootstrap-emulator"
    } else {
        "bootstrap"
    };
    target.store_name = format!("{folder}/{}", owner.env);
    target.root = Path::new(store::BASE).join(&target.store_name);
    target.selector = format!("--env {}", owner.env);
    target = target.with_endpoint(endpoint);
    Ok(target)
}

async fn bootstrap(session: &Session, stack: &Stack, target: &Target) -> Result<Done, StepError> {
    let setup = |e: anyhow::Error| StepError::other("setup", e);
    let dir = session.cwd.join(&target.root);
    let bucket = &stack.state.bucket.value;
    // The folder is private like every `.stackform/` folder (the state names the bucket and
    // account), and a run lock keeps two bootstraps from writing the root at once.
    let parent = target.store_name.split('/').next().unwrap_or_default();
    nofollow::private_dir(&session.cwd.join(store::BASE)).map_err(setup)?;
    nofollow::private_dir(&session.cwd.join(store::BASE).join(parent)).map_err(setup)?;
    let store = Store::open(&session.cwd, &target.store_name).map_err(setup)?;
    let again = format!("stackform bootstrap {}", target.selector);
    let _lock = lock::acquire(&store, "bootstrap", &again).map_err(setup)?;
    let main = root::main_tf(&Bucket {
        name: bucket,
        region: &stack.state.region,
        aws_provider: &stack.aws_provider.value,
        emulator: session.emulator.is_some(),
    });
    write(&dir.join("main.tf"), &main).map_err(setup)?;
    let mut imports: Vec<&str> = if in_state(&dir.join(STATE)).map_err(setup)? {
        Vec::new()
    } else {
        RESOURCES.to_vec()
    };
    write_imports(&dir, bucket, &imports).map_err(setup)?;

    let mut reporter = session
        .progress
        .root(&format!("bootstrap {}", target.label));
    let result = plan_and_apply(session, target, bucket, &dir, &mut imports, &mut reporter).await;
    reporter.finish(match &result {
        Ok(Done::Nothing) => "nothing to do",
        Ok(_) => "applied",
        Err(_) => "failed",
    });
    // Import blocks are done with once the state holds the resources.
    if result.is_ok() {
        write_imports(&dir, bucket, &[]).map_err(setup)?;
    }
    result
}

async fn plan_and_apply(
    session: &Session,
    target: &Target,
    bucket: &str,
    dir: &Path,
    imports: &mut Vec<&'static str>,
    reporter: &mut Reporter,
) -> Result<Done, StepError> {
    let adopting = !imports.is_empty();
    let init = vec!["init".into(), "-input=false".into(), "-no-color".into()];
    session
        .step(reporter, "init", target, init, &[0], false, false)
        .await?;
    let plan_args = vec![
        "plan".to_string(),
        "-input=false".into(),
        "-no-color".into(),
        "-detailed-exitcode".into(),
        format!("-out={PLAN}"),
    ];
    // Each retry drops at least one import, so this ends.
    let code = loop {
        match session
            .step(
                reporter,
                "plan",
                target,
                plan_args.clone(),
                &[0, 2],
                false,
                false,
            )
            .await
        {
            Ok(outcome) => break outcome.code.unwrap_or(1),
            Err(e) if !imports.is_empty() && matches!(e.failure, Failure::Exit(_)) => {
                let missing = missing_imports(&e.log);
                if missing.is_empty() {
                    return Err(e);
                }
                if missing.contains(&RESOURCES[0]) {
                    imports.clear();
                } else {
                    imports.retain(|a| !missing.contains(a));
                }
                write_imports(dir, bucket, imports).map_err(|e| StepError::other("plan", e))?;
            }
            Err(e) => return Err(e),
        }
    };
    if code == 0 {
        let _ = std::fs::remove_file(dir.join(PLAN));
        return Ok(Done::Nothing);
    }
    let show = session
        .step(
            reporter,
            "show",
            target,
            vec![
                "show".into(),
                "-json".into(),
                "-no-color".into(),
                PLAN.into(),
            ],
            &[0],
            true,
            false,
        )
        .await?;
    let changes = changes(&show.stdout).map_err(|e| StepError::other("show", e))?;
    if let Some(address) = changes.deleted.first() {
        return Err(StepError::other(
            "plan",
            anyhow::anyhow!(
                "the bootstrap plan would delete or replace `{address}`; bootstrap never \
                 deletes; nothing was applied"
            ),
        ));
    }
    session
        .step(
            reporter,
            "apply",
            target,
            vec![
                "apply".into(),
                "-input=false".into(),
                "-no-color".into(),
                PLAN.into(),
            ],
            &[0],
            false,
            true,
        )
        .await?;
    let _ = std::fs::remove_file(dir.join(PLAN));
    Ok(if adopting && !imports.is_empty() {
        Done::Adopted(changes)
    } else if changes.created.iter().any(|a| *a == RESOURCES[0]) {
        Done::Created
    } else {
        Done::Repaired(changes)
    })
}

/// Whether the local state already holds the bucket.
fn in_state(path: &Path) -> Result<bool> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    };
    let state: serde_json::Value = serde_json::from_slice(&text).with_context(|| {
        format!(
            "`{}` is not a terraform state file; move it away and run bootstrap again (the \
             bucket is then adopted)",
            path.display()
        )
    })?;
    Ok(state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| {
            r["mode"] == "managed"
                && r["type"] == "aws_s3_bucket"
                && r["name"] == "this"
                && r["instances"].as_array().is_some_and(|i| !i.is_empty())
        }))
}

/// The imports terraform found nothing to import for, from its errors:
/// `While attempting to import an existing object to "ADDRESS", the provider detected that no
/// object exists with the given id.`
fn missing_imports(log: &[String]) -> Vec<&'static str> {
    let text = log.join(" ");
    let mut missing = Vec::new();
    for part in text
        .split("Cannot import non-existent remote object")
        .skip(1)
    {
        if let Some(address) = RESOURCES
            .iter()
            .filter_map(|a| part.find(&format!("\"{a}\"")).map(|at| (at, *a)))
            .min()
            .map(|(_, a)| a)
        {
            missing.push(address);
        }
    }
    missing
}

/// The plan's resource changes, from `show -json`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Changes {
    created: Vec<String>,
    deleted: Vec<String>,
    updated: usize,
    imported: usize,
}

impl Changes {
    /// `2 imported, 2 added, 1 changed`, as terraform counts them.
    fn counts(&self) -> String {
        format!(
            "{} imported, {} added, {} changed",
            self.imported,
            self.created.len(),
            self.updated
        )
    }
}

fn changes(json: &[u8]) -> Result<Changes> {
    let plan: serde_json::Value =
        serde_json::from_slice(json).context("cannot read terraform's plan JSON")?;
    let mut out = Changes::default();
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        let address = rc["address"].as_str().unwrap_or_default().to_string();
        let actions: Vec<&str> = rc["change"]["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .collect();
        let importing = !rc["change"]["importing"].is_null();
        if actions.contains(&"delete") {
            out.deleted.push(address.clone());
        }
        if actions.contains(&"create") {
            out.created.push(address);
        }
        if importing {
            out.imported += 1;
        }
        if actions.contains(&"update") {
            out.updated += 1;
        }
    }
    Ok(out)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

/// Writes `imports.tf` for `addresses`, or removes it when there are none.
fn write_imports(dir: &Path, bucket: &str, addresses: &[&str]) -> Result<()> {
    let path: PathBuf = dir.join(IMPORTS);
    if addresses.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove `{}`", path.display()))
            }
            _ => Ok(()),
        };
    }
    write(&path, &root::imports_tf(bucket, addresses))
}

/// The line saying what happened to a group's bucket.
fn report(group: &Group, target: &Target, done: &Done) -> String {
    let bucket = &group.owner.state.bucket.value;
    let state = format!("local state in `{}/`", target.root.display());
    let what = match done {
        Done::Nothing => format!("bucket `{bucket}` exists and is set up; nothing to do"),
        Done::Created => format!(
            "created bucket `{bucket}` with versioning, encryption, public access blocked \
             ({state})"
        ),
        Done::Adopted(changes) => format!(
            "adopted bucket `{bucket}`, which already existed ({}); versioning, encryption, \
             public access blocked ({state})",
            changes.counts()
        ),
        Done::Repaired(changes) => format!(
            "bucket `{bucket}` had drifted and was set up again ({}); versioning, encryption, \
             public access blocked ({state})",
            changes.counts()
        ),
    };
    let shared = if group.envs.len() > 1 {
        format!(
            " (shared by {}: bootstrapped once)",
            group
                .envs
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        String::new()
    };
    format!("{}: {what}{shared}", group.owner.env)
}

/// What went wrong and what to run.
fn explain(err: &StepError, stack: &Stack, target: &Target) -> String {
    let bucket = &stack.state.bucket.value;
    let again = format!("stackform bootstrap {}", target.selector);
    let step = err.step;
    let kept = format!(
        "the local state in `{}/` keeps whatever was created",
        target.root.display()
    );
    match &err.failure {
        Failure::InterruptedBefore => {
            format!("interrupted before `{step}` started; nothing ran; run `{again}` again")
        }
        Failure::Interrupted { .. } => format!(
            "interrupted: `terraform {step}` of the bootstrap of `{bucket}` was stopped; {kept}; \
             run `{again}` again"
        ),
        Failure::Exit(_) | Failure::Locked(_) | Failure::Stale => format!(
            "`terraform {step}` failed while bootstrapping bucket `{bucket}` for `{}` \
             (terraform's errors are above); {kept}; fix the cause and run `{again}` again",
            stack.env
        ),
        Failure::Other(e) => format!("bootstrap of bucket `{bucket}`: {e:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_imports_are_read_from_terraform_errors() {
        let log: Vec<String> = "\
Error: Cannot import non-existent remote object

While attempting to import an existing object to
\"aws_s3_bucket_public_access_block.this\", the provider detected that no object
exists with the given id. Only pre-existing objects can be imported; check
that the id is correct.

Error: Cannot import non-existent remote object

While attempting to import an existing object to \"aws_s3_bucket.this\", the
provider detected that no object exists with the given id."
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            missing_imports(&log),
            [RESOURCES[3], RESOURCES[0]],
            "{log:?}"
        );
        assert!(missing_imports(&["Error: other".to_string()]).is_empty());
    }
}
