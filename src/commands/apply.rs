//! `stackform apply`: applies exactly the plan `stackform plan` saved, or refuses and says why.
//!
//! Refusals come before terraform runs: no saved plan, a record for another root, HCL changed
//! since the plan (terraform itself would apply the old plan), a plan whose own configuration
//! snapshot is not this root's, stateful resources deleted or replaced without
//! `--allow-destroy`. After `init`, terraform's reading of the binary plan must be the saved
//! JSON (which the summary and the checks came from); then the confirmation. Terraform adds
//! one refusal of its own: a plan made against an older state is stale.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::{ApplyArgs, Format};
use crate::summary::{Risk, RiskClass, Summary};
use crate::terraform::progress::{Progress, Reporter};
use crate::terraform::runner::Interrupts;
use crate::terraform::session::{
    Failure, INTERRUPTED, Session, StepError, backend_config_files, log_block, parse_lock_timeout,
};
use crate::terraform::store::{self, Meta, Store};
use crate::terraform::target::Target;
use crate::terraform::{binary, digest, emulator, lock, nofollow, skip, snapshot};

pub fn run(args: &ApplyArgs) -> Result<ExitCode> {
    let lock_timeout = args
        .lock_timeout
        .as_deref()
        .map(parse_lock_timeout)
        .transpose()?;
    let endpoint = emulator::from_args(args.aws_endpoint.as_deref())?;
    let skip_types = skip::parse_types(&args.skip_type, endpoint.is_some())?;
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let target = match (&args.env, &args.dir) {
        (Some(env), _) => Target::env(env)?,
        (None, Some(dir)) => Target::dir(dir, &cwd)?,
        (None, None) => bail!("give `--env ENV` or `--dir ROOT`"),
    };
    let url = endpoint.as_ref().map(|e| e.url.clone());
    let selector = target.selector.clone();
    let target = target.with_endpoint(url.as_deref());
    if !target.root.is_dir() {
        let mut known: Vec<String> = std::fs::read_dir("environments")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| format!("`{}`", e.file_name().to_string_lossy()))
            .collect();
        known.sort();
        bail!(
            "`{}` does not exist{}; run `stackform gen --env ENV` and `stackform plan --env ENV` \
             first, from the folder that holds `stack.toml`",
            target.root.display(),
            if known.is_empty() {
                String::new()
            } else {
                format!(" (environments here: {})", known.join(", "))
            }
        );
    }
    let store = Store::open(&cwd, &target.store_name)?;
    let _lock = lock::acquire(&store, "apply", &target.apply_command())?;
    let saved = check_saved_plan(&store, &target, &cwd)?;
    check_endpoint(&saved.meta, &target.label, &selector, url.as_deref())?;
    check_skip_types(&saved.meta, &target, &skip_types)?;
    let target = target.with_skip_types(&skip_types);
    if let Some(e) = &endpoint {
        eprintln!("{}", e.notice());
    }
    if !skip_types.is_empty() {
        eprintln!(
            "stackform: emulator mode: the saved plan leaves out every resource of type {} \
             (`--skip-type`); they are not applied",
            skip::list(&skip_types)
        );
    }
    let summary = &saved.summary;

    let destroys = stateful_destroys(summary);
    if !destroys.is_empty() && !args.allow_destroy {
        print!("{}", summary.render(Format::Text));
        bail!("{}", refuse_destroy(&target, &destroys));
    }
    if saved.meta.plan_exit_code == 0 {
        print!("{}", summary.render(Format::Text));
        eprintln!(
            "stackform: the saved plan of `{}` has no changes; nothing to apply",
            target.label
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Found (and its version compared) before asking: typing `prod` only to learn terraform
    // is missing, or cannot read the plan, helps nobody.
    let bin = binary::find(
        args.terraform.terraform_bin.as_deref(),
        &cwd.join(store::BASE),
    )?;
    if !saved.meta.terraform.is_empty() && saved.meta.terraform != bin.banner {
        bail!(
            "the saved plan of `{}` was made by {} but `{}` is {}; terraform applies plans only \
             with the version that made them: use that version (`--terraform-bin`), or run `{}` \
             with this one",
            target.label,
            saved.meta.terraform,
            bin.path.display(),
            bin.banner,
            target.plan_command()
        );
    }
    if !args.yes && !std::io::stdin().is_terminal() {
        print!("{}", summary.render(Format::Text));
        bail!(
            "no terminal to confirm on and `--yes` not given; nothing was applied; review the plan \
             above, then run `{} --yes`",
            target.apply_command()
        );
    }

    let backend_config: Vec<std::path::PathBuf> = saved
        .meta
        .backend_config
        .iter()
        .map(std::path::PathBuf::from)
        .collect();
    let backend_config = backend_config_files(&backend_config, &cwd).with_context(|| {
        format!(
            "the saved plan of `{}` was made with this backend configuration",
            target.label
        )
    })?;
    let runtime = crate::terraform::runtime()?;
    let session = Session {
        bin,
        cwd,
        interrupts: runtime.block_on(async { Interrupts::install() })?,
        progress: Progress::new(),
        lock_timeout,
        emulator: endpoint,
    };
    let run = Run {
        session: &session,
        store: &store,
        target: &target,
        yes: args.yes,
    };
    let result = runtime.block_on(run.apply(saved, &backend_config));
    // A confirmation prompt cut short by Ctrl-C leaves a thread reading standard input.
    runtime.shutdown_background();
    result
}

/// A saved plan that passed every check that needs no terraform.
struct Saved {
    meta: Meta,
    plan: Vec<u8>,
    json: Vec<u8>,
    summary: Summary,
}

/// One `apply` once the checks without terraform have passed.
struct Run<'a> {
    session: &'a Session,
    store: &'a Store,
    target: &'a Target,
    yes: bool,
}

impl Run<'_> {
    /// `init`, `show -json` of the plan (which must be the saved JSON), the confirmation, then
    /// `apply`. Terraform is given a private copy of the bytes that were checked, so a file
    /// swapped in `.stackform/` after the checks is never what runs.
    async fn apply(&self, mut saved: Saved, backend_config: &[String]) -> Result<ExitCode> {
        let (session, target) = (self.session, self.target);
        let scratch = self.store.scratch()?;
        let plan_file = scratch.path().join(store::PLAN_FILE);
        store::write_private(&plan_file, &saved.plan)?;
        let plan_file = plan_file.display().to_string();
        let mut reporter = session.progress.root(&target.label);
        let init = session
            .step(
                &mut reporter,
                "init",
                target,
                session.init_args(target, backend_config),
                &[0],
                false,
                false,
            )
            .await;
        let show = match init {
            Ok(_) => {
                session
                    .step(
                        &mut reporter,
                        "show",
                        target,
                        vec![
                            "show".into(),
                            "-json".into(),
                            "-no-color".into(),
                            plan_file.clone(),
                        ],
                        &[0],
                        true,
                        false,
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        let show = match show {
            Ok(show) => show,
            Err(e) => return Ok(self.failed(&mut reporter, &mut saved.meta, &e)),
        };
        if !same_json(&show.stdout, &saved.json) {
            reporter.finish("refused");
            bail!(
                "`{}` is not what terraform reads in the binary plan `{}` (one of them was \
                 replaced); the summary and the checks would describe another plan; nothing was \
                 applied; run `{}` again",
                self.store.json_path().display(),
                self.store.plan_path().display(),
                target.plan_command()
            );
        }
        // No spinner may redraw over the summary and the question.
        reporter.finish("saved plan checked");
        print!("{}", saved.summary.render(Format::Text));
        if !self.yes && !confirm(target, &session.interrupts).await? {
            eprintln!(
                "\nstackform: interrupted at the confirmation question; nothing was applied; the \
                 saved plan is kept"
            );
            return Ok(ExitCode::from(INTERRUPTED));
        }
        let mut reporter = session.progress.root(&target.label);

        let mut apply_args = vec![
            "apply".to_string(),
            "-input=false".into(),
            "-no-color".into(),
        ];
        apply_args.extend(session.lock_timeout_arg());
        apply_args.push(plan_file);
        let result = session
            .step(
                &mut reporter,
                "apply",
                target,
                apply_args,
                &[0],
                false,
                true,
            )
            .await;
        match result {
            Ok(_) => {
                reporter.finish("applied");
                saved.meta.applied_at = Some(crate::terraform::now());
                self.store.write_meta(&saved.meta)?;
                eprintln!(
                    "stackform: applied the saved plan of `{}`; run `{}` to check nothing is left",
                    target.label,
                    target.plan_command()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => Ok(self.failed(&mut reporter, &mut saved.meta, &e)),
        }
    }

    /// Reports a failed step; the exit status to end with.
    fn failed(&self, reporter: &mut Reporter, meta: &mut Meta, e: &StepError) -> ExitCode {
        let target = self.target;
        reporter.finish(&format!("failed at `{}`", e.step));
        // Terraform may have written state: the record says so, and keeps the plan.
        if e.step == "apply" && matches!(e.failure, Failure::Exit(_) | Failure::Interrupted { .. })
        {
            meta.apply_failed_at = Some(crate::terraform::now());
            let _ = self.store.write_meta(meta);
        }
        if e.step != "apply" {
            eprint!("{}", log_block(target, e));
        }
        eprintln!("stackform: error: {}", e.explain_apply(target));
        e.exit_code()
    }
}

/// Refuses a saved plan made against another API than this apply's: an emulator's plan must
/// never reach real AWS, nor a plan for real AWS an emulator (whose state it does not match).
/// `selector` is `--env ENV` or `--dir ROOT`, without `--aws-endpoint`.
fn check_endpoint(meta: &Meta, label: &str, selector: &str, here: Option<&str>) -> Result<()> {
    let planned = meta.aws_endpoint.as_deref();
    if planned == here {
        return Ok(());
    }
    let (made_for, how) = match planned {
        Some(url) => (
            emulator::describe(planned),
            format!(
                "apply it there with `stackform apply {selector} --aws-endpoint {url}`, or run \
                 `stackform plan {selector}{}` to plan for {}",
                here.map(|u| format!(" --aws-endpoint {u}"))
                    .unwrap_or_default(),
                emulator::describe(here)
            ),
        ),
        None => (
            emulator::describe(None),
            format!(
                "apply it there with `stackform apply {selector}` (without `--aws-endpoint`, and with \
                 `{}` unset), or run `stackform plan {selector} --aws-endpoint {}` to plan for the \
                 emulator",
                emulator::ENV_VAR,
                here.unwrap_or_default()
            ),
        ),
    };
    bail!(
        "the saved plan of `{label}` was made for {made_for}, but this apply would run against {}; \
         nothing was applied; {how}",
        emulator::describe(here)
    );
}

/// Refuses a saved plan made with other `--skip-type`s than this apply's: what the plan left
/// out must be what the person applying it expects to be left out.
fn check_skip_types(meta: &Meta, target: &Target, here: &[String]) -> Result<()> {
    if meta.skip_types == here {
        return Ok(());
    }
    let shown = |types: &[String]| {
        if types.is_empty() {
            "no `--skip-type`".to_string()
        } else {
            format!("`--skip-type` {}", skip::list(types))
        }
    };
    bail!(
        "the saved plan of `{}` was made with {}, but this apply gives {}; nothing was applied; \
         apply it with the plan's types (`{}`), or run `{}` to plan again with {}",
        target.label,
        shown(&meta.skip_types),
        shown(here),
        target
            .clone()
            .with_skip_types(&meta.skip_types)
            .apply_command(),
        target.clone().with_skip_types(here).plan_command(),
        shown(here)
    );
}

/// Two plan JSON documents are the same plan (compared as values: key order and spacing do
/// not count).
fn same_json(a: &[u8], b: &[u8]) -> bool {
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The saved plan's record, files and summary, if it can still be applied to `target`: the
/// record is for this root, the HCL is unchanged, the files match the record, and the plan's
/// own configuration snapshot is this root's configuration.
fn check_saved_plan(store: &Store, target: &Target, cwd: &Path) -> Result<Saved> {
    let plan = target.plan_command();
    let apply = target.apply_command();
    let Some(meta) = store.read_meta()? else {
        bail!(
            "no saved plan for `{}` (nothing in `{}`); plans are kept where `stackform plan` ran: \
             run this from there, or run `{plan}`, review it, then `{apply}`",
            target.label,
            store.dir.display()
        );
    };
    if let Some(at) = &meta.applied_at {
        bail!(
            "the saved plan of `{}` was already applied at {at}; run `{plan}` to plan again",
            target.label
        );
    }
    let here = store::real_root(&target.root, cwd)?;
    if meta.root_path != here {
        bail!(
            "the saved plan in `{}` was made for the root `{}`, not `{here}`; nothing was \
             applied; run `{plan}`, review it, then `{apply}`",
            store.dir.display(),
            meta.root_path
        );
    }
    let now = digest::of_root(&target.root)?;
    if now.hex != meta.hcl_digest {
        let changed = now.changed_since(&meta.hcl_files);
        bail!(
            "the HCL of `{}` changed since it was planned at {} ({}), so the saved plan no \
             longer matches it; nothing was applied; run `{plan}` again, review it, then \
             `{apply}`{}",
            target.label,
            meta.planned_at,
            if changed.is_empty() {
                "files changed".to_string()
            } else {
                format!("changed: {}", backticked(&changed))
            },
            if changed.iter().any(|f| f == digest::LOCK_FILE) {
                format!(
                    "; `{}` is written by `terraform init`: commit it, so that every checkout \
                     installs the providers a plan was made with",
                    digest::LOCK_FILE
                )
            } else {
                String::new()
            }
        );
    }
    let read = |path: std::path::PathBuf| {
        nofollow::read(&path)?.with_context(|| {
            format!(
                "`{}` is missing; nothing was applied; run `{plan}` again",
                path.display()
            )
        })
    };
    let plan_bytes = read(store.plan_path())?;
    let json = read(store.json_path())?;
    if store::sha256_hex(&plan_bytes) != meta.plan_sha256
        || store::sha256_hex(&json) != meta.json_sha256
    {
        bail!(
            "the saved plan files in `{}` do not match their record (changed, or left half-written \
             by an interrupted run); nothing was applied; run `{plan}` again",
            store.dir.display()
        );
    }
    let snapshot = snapshot::of_plan(&plan_bytes).with_context(|| {
        format!(
            "cannot read `{}`; nothing was applied; run `{plan}` again",
            store.plan_path().display()
        )
    })?;
    let differ = snapshot::differences(&snapshot, &target.root, &now);
    if !differ.is_empty() {
        bail!(
            "the saved plan of `{}` was not made from this root's configuration: the \
             configuration inside `{}` differs from `{}` in {} (a plan made elsewhere, or \
             replaced files); nothing was applied; run `{plan}` here, review it, then `{apply}`",
            target.label,
            store.plan_path().display(),
            target.root.display(),
            backticked(&differ)
        );
    }
    let summary = Summary::from_json(&json).context("cannot read the saved plan JSON")?;
    Ok(Saved {
        meta,
        plan: plan_bytes,
        json,
        summary,
    })
}

fn backticked(paths: &[String]) -> String {
    paths
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stateful_destroys(summary: &Summary) -> Vec<&Risk> {
    summary
        .risks
        .iter()
        .filter(|r| r.class == RiskClass::DestroyStateful)
        .collect()
}

fn refuse_destroy(target: &Target, destroys: &[&Risk]) -> String {
    format!(
        "the saved plan of `{}` deletes or replaces stateful resources, whose data would be \
         lost: {}; nothing was applied; if that is intended, run `{} --allow-destroy`",
        target.label,
        destroys
            .iter()
            .map(|r| format!("`{}` ({})", r.address, r.detail))
            .collect::<Vec<_>>()
            .join(", "),
        target.apply_command()
    )
}

/// Asks on the terminal; production asks for its name rather than `yes`. `false` when an
/// interrupt came first.
async fn confirm(target: &Target, interrupts: &Interrupts) -> Result<bool> {
    use tokio::io::AsyncBufReadExt as _;
    let expected = expected_answer(target);
    eprint!(
        "apply this plan to `{}`? type `{expected}` to confirm: ",
        target.label
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
    tokio::select! {
        read = stdin.read_line(&mut answer) => {
            read.context("cannot read the answer")?;
        }
        () = interrupts.wait() => return Ok(false),
    }
    if answer.trim() != expected {
        bail!(
            "not confirmed (expected `{expected}`); nothing was applied; run `{}` again to apply",
            target.apply_command()
        );
    }
    Ok(true)
}

/// `yes`, or for a production environment its name, so that a habit of typing `yes` is not
/// enough there.
fn expected_answer(target: &Target) -> &str {
    let production = target.selector.starts_with("--env ")
        && matches!(target.label.as_str(), "prod" | "production");
    if production { &target.label } else { "yes" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan that replaces a DynamoDB table and updates a function: only the table counts.
    const REPLACES_A_TABLE: &str = r#"{
      "format_version": "1.2",
      "terraform_version": "1.11.4",
      "resource_changes": [
        {
          "address": "module.table_orders.aws_dynamodb_table.this",
          "module_address": "module.table_orders",
          "mode": "managed",
          "type": "aws_dynamodb_table",
          "name": "this",
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "change": {
            "actions": ["delete", "create"],
            "before": {"name": "orders", "hash_key": "id"},
            "after": {"name": "orders", "hash_key": "order_id"},
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
            "replace_paths": [["hash_key"]]
          },
          "action_reason": "replace_because_cannot_update"
        },
        {
          "address": "module.function_cart.aws_lambda_function.this",
          "module_address": "module.function_cart",
          "mode": "managed",
          "type": "aws_lambda_function",
          "name": "this",
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "change": {
            "actions": ["update"],
            "before": {"memory_size": 256},
            "after": {"memory_size": 512},
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {}
          }
        }
      ]
    }"#;

    #[test]
    fn production_is_confirmed_by_its_name() {
        let cwd = std::env::current_dir().expect("a working directory");
        assert_eq!(
            expected_answer(&Target::env("prod").expect("valid")),
            "prod"
        );
        assert_eq!(
            expected_answer(&Target::env("production").expect("valid")),
            "production"
        );
        assert_eq!(expected_answer(&Target::env("dev").expect("valid")), "yes");
        let dir = Target::dir(Path::new("src"), &cwd).expect("a folder");
        assert_eq!(expected_answer(&dir), "yes");
    }

    #[test]
    fn replacing_a_table_is_refused_without_allow_destroy() {
        let summary = Summary::from_json(REPLACES_A_TABLE.as_bytes()).expect("plan JSON");
        let destroys = stateful_destroys(&summary);
        assert_eq!(destroys.len(), 1, "{destroys:?}");
        let target = Target::env("prod").expect("valid name");
        let text = refuse_destroy(&target, &destroys);
        assert!(
            text.contains("`module.table_orders.aws_dynamodb_table.this`"),
            "{text}"
        );
        assert!(
            text.contains("run `stackform apply --env prod --allow-destroy`"),
            "{text}"
        );
    }
}
