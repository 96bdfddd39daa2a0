//! `stackform plan`: `terraform init`, `plan -out` and `show -json` per root; the plan and its
//! JSON saved under `.stackform/<name>/`, bound to a digest of the HCL; then the summary.
//!
//! Exit status as `terraform plan -detailed-exitcode` (0 no changes, 2 changes, 1 error), 3
//! when `--fail-on` matches, 130 after Ctrl-C. With several roots, the worst of them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tokio::sync::Semaphore;

use crate::cli::{Format, PlanArgs};
use crate::summary::{RiskClass, Skipped, Summary, render_combined};
use crate::terraform::binary;
use crate::terraform::digest;
use crate::terraform::emulator;
use crate::terraform::lock;
use crate::terraform::progress::{Progress, Reporter};
use crate::terraform::runner::{Interrupts, Outcome};
use crate::terraform::session::{
    Failure, INTERRUPTED, Session, StepError, backend_config_files, log_block, parse_lock_timeout,
};
use crate::terraform::skip;
use crate::terraform::store::{self, FORMAT, Meta, PLAN_FILE, Store};
use crate::terraform::target::{self, Target};

pub fn run(args: &PlanArgs) -> Result<ExitCode> {
    let fail_on = crate::summary::parse_fail_on(&args.fail_on)?;
    let lock_timeout = args
        .lock_timeout
        .as_deref()
        .map(parse_lock_timeout)
        .transpose()?;
    let endpoint = emulator::from_args(args.aws_endpoint.as_deref())?;
    let skip_types = skip::parse_types(&args.skip_type, endpoint.is_some())?;
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let Some(targets) = targets(args, &cwd)? else {
        return Ok(ExitCode::from(1));
    };
    let url = endpoint.as_ref().map(|e| e.url.as_str());
    let targets: Vec<Target> = targets
        .into_iter()
        .map(|t| t.with_endpoint(url).with_skip_types(&skip_types))
        .collect();
    // Checked now; recorded as given (relative to the checkout) so a saved plan carried to
    // another checkout (a CI artifact) finds them there.
    backend_config_files(&args.backend_config, &cwd)?;
    let backend_config: Vec<String> = args
        .backend_config
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let bin = binary::find(
        args.terraform.terraform_bin.as_deref(),
        &cwd.join(store::BASE),
    )?;
    let format = args.format.unwrap_or(Format::Text);
    let single = targets.len() == 1 && !args.all;
    if let Some(e) = &endpoint {
        eprintln!("{}", e.notice());
    }

    let runtime = crate::terraform::runtime()?;
    runtime.block_on(async {
        let session = Arc::new(Session {
            bin,
            cwd,
            interrupts: Interrupts::install()?,
            progress: Progress::new(),
            lock_timeout,
            emulator: endpoint,
        });
        let limit = Arc::new(Semaphore::new(usize::from(args.parallel)));
        let mut tasks = Vec::new();
        for target in targets {
            let session = Arc::clone(&session);
            let limit = Arc::clone(&limit);
            let backend_config = backend_config.clone();
            let skip_types = skip_types.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = plan_one(&session, &target, &backend_config, &skip_types).await;
                if !single {
                    // Each root's lines are printed as one block when it ends: nothing
                    // interleaves.
                    let block = report_block(&target, &result);
                    if !block.is_empty() {
                        session.progress.println(block.trim_end());
                    }
                }
                (target, result)
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.context("a planning task panicked")?);
        }
        Ok(finish(&results, single, format, &fail_on))
    })
}

/// The roots to plan, after checking generated ones are up to date. `None` when the model
/// has problems (already printed).
fn targets(args: &PlanArgs, cwd: &Path) -> Result<Option<Vec<Target>>> {
    if args.dir.is_none()
        && args.stack.stack.is_none()
        && !cwd.join("stack.toml").exists()
        && !cwd.join("environments").is_dir()
        && let Some(project) = cwd
            .ancestors()
            .skip(1)
            .find(|d| d.join("stack.toml").is_file() || d.join("environments").is_dir())
    {
        // From a subfolder the built-in model would be compared with nothing and `gen` would
        // be suggested, writing a second tree there.
        bail!(
            "`{}` is inside the stackform project in `{}`; run `stackform plan` there (or use \
             `--dir ROOT`)",
            cwd.display(),
            project.display()
        );
    }
    match (&args.env, args.all, &args.dir) {
        (Some(env), _, _) => {
            let mut target = Target::env(env)?;
            let Some((_, required)) = fresh(args.stack.stack.as_deref(), Some(env))? else {
                return Ok(None);
            };
            target.require_tracing = required.contains(env);
            Ok(Some(vec![target]))
        }
        (None, true, None) => {
            let Some((envs, required)) = fresh(args.stack.stack.as_deref(), None)? else {
                return Ok(None);
            };
            Ok(Some(
                envs.iter()
                    .map(|e| {
                        let mut target = Target::env(e)?;
                        target.require_tracing = required.contains(e);
                        Ok(target)
                    })
                    .collect::<Result<Vec<_>>>()?,
            ))
        }
        (None, true, Some(parent)) => Ok(Some(
            target::roots_under(parent)?
                .iter()
                .map(|r| Target::dir(r, cwd))
                .collect::<Result<Vec<_>>>()?,
        )),
        (None, false, Some(dir)) => Ok(Some(vec![Target::dir(dir, cwd)?])),
        (None, false, None) => bail!("give `--env ENV`, `--all` or `--dir ROOT`"),
    }
}

/// `gen --check` for one environment (or all): refuses to plan HCL the model no longer
/// renders. Returns the model's environments and those its tracing policy names; `None` when
/// the model has problems (printed).
fn fresh(stack: Option<&Path>, env: Option<&str>) -> Result<Option<(Vec<String>, Vec<String>)>> {
    let Some(f) = super::generate::freshness(stack, Path::new("."), env)? else {
        return Ok(None);
    };
    if !f.outdated.is_empty() {
        bail!(
            "the generated HCL is not up to date with the model ({} file{} differ: {}); run `{}` \
             first, review and commit it, then plan",
            f.outdated.len(),
            if f.outdated.len() == 1 { "" } else { "s" },
            f.outdated
                .iter()
                .take(5)
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
                + if f.outdated.len() > 5 { ", ..." } else { "" },
            f.command
        );
    }
    Ok(Some((f.envs, f.require_tracing)))
}

/// A root planned and saved.
struct Planned {
    /// 0 no changes, 2 changes.
    code: i32,
    summary: Summary,
    store_dir: String,
}

type RootResult = std::result::Result<Planned, StepError>;

async fn plan_one(
    session: &Session,
    target: &Target,
    backend_config: &[String],
    skip_types: &[String],
) -> RootResult {
    let mut reporter = session.progress.root(&target.label);
    let result = plan_steps(session, target, backend_config, skip_types, &mut reporter).await;
    reporter.finish(&match &result {
        Ok(p) if p.code == 0 => "no changes".to_string(),
        Ok(p) => format!(
            "{} to add, {} to change, {} to destroy",
            p.summary.counts.add, p.summary.counts.change, p.summary.counts.destroy
        ),
        Err(e) => format!("failed at `{}`", e.step),
    });
    result
}

async fn plan_steps(
    session: &Session,
    target: &Target,
    backend_config: &[String],
    skip_types: &[String],
    reporter: &mut Reporter,
) -> RootResult {
    let setup = |e| StepError::other("setup", e);
    let store = Store::open(&session.cwd, &target.store_name).map_err(setup)?;
    let _lock = lock::acquire(&store, "plan", &target.plan_command()).map_err(setup)?;
    let scratch = store.scratch().map_err(setup)?;
    let plan_file = scratch.path().join(PLAN_FILE).display().to_string();

    let absolute: Vec<PathBuf> = backend_config.iter().map(PathBuf::from).collect();
    let absolute = backend_config_files(&absolute, &session.cwd).map_err(setup)?;
    session
        .step(
            reporter,
            "init",
            target,
            session.init_args(target, &absolute),
            &[0],
            false,
            false,
        )
        .await?;
    // After `init`, which writes `.terraform.lock.hcl` (part of the digest) on a first run.
    let before = digest::of_root(&target.root).map_err(setup)?;
    let mut plan_args = vec![
        "plan".to_string(),
        "-input=false".into(),
        "-no-color".into(),
        "-detailed-exitcode".into(),
        format!("-out={plan_file}"),
    ];
    plan_args.extend(session.lock_timeout_arg());
    let split = if skip_types.is_empty() {
        skip::Split::default()
    } else {
        let split = discover(session, target, skip_types, scratch.path(), reporter).await?;
        plan_args.extend(split.targets.iter().cloned());
        split
    };
    let plan = session
        .step(reporter, "plan", target, plan_args, &[0, 2], false, false)
        .await?;
    let code = plan.code.unwrap_or(1);
    let show = show_json(session, target, plan_file, reporter).await?;
    let mut summary = Summary::from_json(&show.stdout)
        .map_err(|e| StepError::other("show", e.context("cannot read terraform's plan JSON")))?;
    if !skip_types.is_empty() {
        let planned = skip::instances(&show.stdout).map_err(|e| StepError::other("show", e))?;
        skip::check_none_included(&planned, skip_types).map_err(|e| StepError::other("plan", e))?;
        summary.skipped = Some(Skipped {
            types: skip_types.to_vec(),
            addresses: split.skipped,
        });
    }
    if target.require_tracing {
        summary
            .add_tracing_policy(&target.label, &show.stdout)
            .map_err(|e| StepError::other("show", e))?;
    }

    let after = digest::of_root(&target.root).map_err(setup)?;
    if after != before {
        return Err(StepError::other(
            "plan",
            anyhow::anyhow!(
                "the HCL of `{}` changed while it was being planned, so the plan may not match \
                 it; nothing was saved; run `{}` again",
                target.label,
                target.plan_command()
            ),
        ));
    }
    let meta = Meta {
        format: FORMAT,
        root: target.root.display().to_string(),
        root_path: store::real_root(&target.root, &session.cwd).map_err(setup)?,
        hcl_digest: before.hex,
        hcl_files: before.files,
        plan_sha256: String::new(),
        json_sha256: String::new(),
        terraform: session.bin.banner.clone(),
        planned_at: crate::terraform::now(),
        plan_exit_code: code,
        backend_config: backend_config.to_vec(),
        aws_endpoint: session.emulator.as_ref().map(|e| e.url.clone()),
        skip_types: skip_types.to_vec(),
        applied_at: None,
        apply_failed_at: None,
    };
    store
        .commit(scratch.path(), &show.stdout, meta)
        .map_err(|e| StepError::other("save", e))?;
    Ok(Planned {
        code,
        summary,
        store_dir: format!("{}/{}", store::BASE, target.store_name),
    })
}

/// `--skip-type`: a first plan without refresh (it reads no resource, so it is quick and
/// needs no API call the emulator lacks) lists every resource instance of the root; those of
/// other types become the real plan's `-target`s.
async fn discover(
    session: &Session,
    target: &Target,
    skip_types: &[String],
    scratch: &Path,
    reporter: &mut Reporter,
) -> std::result::Result<skip::Split, StepError> {
    let file = scratch.join(DISCOVERY_FILE).display().to_string();
    let mut args = vec![
        "plan".to_string(),
        "-input=false".into(),
        "-no-color".into(),
        "-refresh=false".into(),
        format!("-out={file}"),
    ];
    args.extend(session.lock_timeout_arg());
    session
        .step(
            reporter,
            "plan -refresh=false",
            target,
            args,
            &[0],
            false,
            false,
        )
        .await?;
    let show = show_json(session, target, file, reporter).await?;
    let all = skip::instances(&show.stdout).map_err(|e| StepError::other("show", e))?;
    skip::split(&all, skip_types).map_err(|e| StepError::other("plan", e))
}

/// `terraform show -json PLANFILE`, its output captured.
async fn show_json(
    session: &Session,
    target: &Target,
    plan_file: String,
    reporter: &mut Reporter,
) -> std::result::Result<Outcome, StepError> {
    session
        .step(
            reporter,
            "show",
            target,
            vec!["show".into(), "-json".into(), "-no-color".into(), plan_file],
            &[0],
            true,
            false,
        )
        .await
}

/// The first plan of `--skip-type`, in the run's scratch folder (removed with it).
const DISCOVERY_FILE: &str = "discover.tfplan";

/// The lines printed for one root of several when it ends.
fn report_block(target: &Target, result: &RootResult) -> String {
    match result {
        Ok(p) => format!(
            "{}: plan saved in `{}/`{}\n",
            target.label,
            p.store_dir,
            if p.code == 2 {
                format!("; apply it with `{}`", target.apply_command())
            } else {
                String::new()
            }
        ),
        Err(e) => format!(
            "{}stackform: error: {}\n",
            log_block(target, e),
            e.explain(target, false)
        ),
    }
}

/// The status that wins among several roots' statuses.
fn worst_of(codes: impl IntoIterator<Item = u8>) -> u8 {
    codes
        .into_iter()
        .fold(0, |w, c| if rank(c) > rank(w) { c } else { w })
}

/// Badness of an exit status, to pick the worst of several roots: an interrupt, then an
/// error, then a `--fail-on` match, then changes.
fn rank(code: u8) -> u8 {
    match code {
        0 => 0,
        2 => 1,
        3 => 2,
        1 => 3,
        _ => 4,
    }
}

fn finish(
    results: &[(Target, RootResult)],
    single: bool,
    format: Format,
    fail_on: &[RiskClass],
) -> ExitCode {
    let mut worst = 0u8;
    let mut planned = Vec::new();
    for (target, result) in results {
        let code = match result {
            Ok(p) => {
                let gated: Vec<_> = p
                    .summary
                    .risks
                    .iter()
                    .filter(|r| fail_on.contains(&r.class))
                    .collect();
                if single {
                    if format == Format::Markdown {
                        // Pipelines append one summary per environment to one page: name it.
                        println!("## `{}`\n", target.label);
                    }
                    print!("{}", p.summary.render(format));
                    eprint!("{}", report_block(target, result));
                }
                for r in &gated {
                    eprintln!(
                        "stackform: `{}`: `{}` {} ({}); failing as `--fail-on {}` asks",
                        target.label,
                        r.address,
                        r.detail,
                        r.class.as_str(),
                        r.class.as_str()
                    );
                }
                planned.push((target.label.clone(), p.summary.clone()));
                if gated.is_empty() { p.code as u8 } else { 3 }
            }
            Err(e) => {
                if single {
                    let block = log_block(target, e);
                    eprint!("{block}");
                    eprintln!("stackform: error: {}", e.explain(target, false));
                }
                match e.failure {
                    Failure::Interrupted { .. } | Failure::InterruptedBefore => INTERRUPTED,
                    _ => 1,
                }
            }
        };
        worst = worst_of([worst, code]);
    }
    if !single && !planned.is_empty() {
        print!("{}", render_combined(&planned, format));
    }
    if !single {
        let failed: Vec<_> = results
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(t, _)| format!("`{}`", t.label))
            .collect();
        if !failed.is_empty() {
            eprintln!(
                "stackform: {} of {} roots failed: {} (see above)",
                failed.len(),
                results.len(),
                failed.join(", ")
            );
        }
    }
    ExitCode::from(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_wins() {
        let worst = |codes: &[u8]| worst_of(codes.iter().copied());
        assert_eq!(worst(&[0, 2, 0]), 2);
        assert_eq!(worst(&[2, 3, 0]), 3);
        assert_eq!(worst(&[3, 1, 2]), 1);
        assert_eq!(worst(&[1, INTERRUPTED]), INTERRUPTED);
    }
}
