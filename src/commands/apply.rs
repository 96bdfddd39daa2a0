//! `stackform apply`: applies exactly the plan `stackform plan` saved, or refuses and says why.
//!
//! Refusals come before terraform runs: no saved plan, HCL changed since the plan (terraform
//! itself would apply the old plan), stateful resources deleted or replaced without
//! `--allow-destroy`, no confirmation. Terraform adds one of its own: a plan made against an
//! older state is stale.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::{ApplyArgs, Format};
use crate::summary::{Risk, RiskClass, Summary};
use crate::terraform::progress::Progress;
use crate::terraform::runner::Interrupts;
use crate::terraform::session::{
    Failure, Session, backend_config_files, log_block, parse_lock_timeout,
};
use crate::terraform::store::{self, Meta, Store};
use crate::terraform::target::Target;
use crate::terraform::{binary, digest, lock};

pub fn run(args: &ApplyArgs) -> Result<ExitCode> {
    let lock_timeout = args
        .lock_timeout
        .as_deref()
        .map(parse_lock_timeout)
        .transpose()?;
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let target = match (&args.env, &args.dir) {
        (Some(env), _) => Target::env(env)?,
        (None, Some(dir)) => Target::dir(dir, &cwd)?,
        (None, None) => bail!("give `--env ENV` or `--dir ROOT`"),
    };
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
    let (mut meta, summary) = check_saved_plan(&store, &target)?;

    let destroys = stateful_destroys(&summary);
    if !destroys.is_empty() && !args.allow_destroy {
        print!("{}", summary.render(Format::Text));
        bail!("{}", refuse_destroy(&target, &destroys));
    }
    if meta.plan_exit_code == 0 {
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
    if !meta.terraform.is_empty() && meta.terraform != bin.banner {
        bail!(
            "the saved plan of `{}` was made by {} but `{}` is {}; terraform applies plans only \
             with the version that made them: use that version (`--terraform-bin`), or run `{}` \
             with this one",
            target.label,
            meta.terraform,
            bin.path.display(),
            bin.banner,
            target.plan_command()
        );
    }
    print!("{}", summary.render(Format::Text));
    if !args.yes {
        confirm(&target)?;
    }

    let plan_file = store.plan_path().display().to_string();
    let backend_config: Vec<std::path::PathBuf> = meta
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let session = Session {
            bin,
            cwd,
            interrupts: Interrupts::install()?,
            progress: Progress::new(),
            lock_timeout,
        };
        let mut reporter = session.progress.root(&target.label);
        let init = session
            .step(
                &mut reporter,
                "init",
                &target.root,
                Session::init_args(&backend_config),
                &[0],
                false,
                false,
            )
            .await;
        let result = match init {
            Ok(_) => {
                let mut apply_args = vec![
                    "apply".to_string(),
                    "-input=false".into(),
                    "-no-color".into(),
                ];
                apply_args.extend(session.lock_timeout_arg());
                apply_args.push(plan_file);
                session
                    .step(
                        &mut reporter,
                        "apply",
                        &target.root,
                        apply_args,
                        &[0],
                        false,
                        true,
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => {
                reporter.finish("applied");
                meta.applied_at = Some(crate::terraform::now());
                store.write_meta(&meta)?;
                eprintln!(
                    "stackform: applied the saved plan of `{}`; run `{}` to check nothing is left",
                    target.label,
                    target.plan_command()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                reporter.finish(&format!("failed at `{}`", e.step));
                // Terraform may have written state: the record says so, and keeps the plan.
                if e.step == "apply"
                    && matches!(e.failure, Failure::Exit(_) | Failure::Interrupted { .. })
                {
                    meta.apply_failed_at = Some(crate::terraform::now());
                    let _ = store.write_meta(&meta);
                }
                if e.step != "apply" {
                    eprint!("{}", log_block(&target, &e));
                }
                eprintln!("stackform: error: {}", e.explain_apply(&target));
                Ok(e.exit_code())
            }
        }
    })
}

/// The saved plan's record and summary, if it can still be applied.
fn check_saved_plan(store: &Store, target: &Target) -> Result<(Meta, Summary)> {
    let plan = target.plan_command();
    let apply = target.apply_command();
    let Some(meta) = store.read_meta()? else {
        let here = std::env::current_dir().unwrap_or_default();
        bail!(
            "no saved plan for `{}` (nothing in `{}`); plans are kept where `stackform plan` ran: \
             run this from there, or run `{plan}`, review it, then `{apply}`",
            target.label,
            here.join(store::BASE).join(&target.store_name).display()
        );
    };
    if let Some(at) = &meta.applied_at {
        bail!(
            "the saved plan of `{}` was already applied at {at}; run `{plan}` to plan again",
            target.label
        );
    }
    let now = digest::of_root(&target.root)?;
    if now.hex != meta.hcl_digest {
        let changed = now.changed_since(&meta.hcl_files);
        bail!(
            "the HCL of `{}` changed since it was planned at {} ({}), so the saved plan no \
             longer matches it; nothing was applied; run `{plan}` again, review it, then `{apply}`",
            target.label,
            meta.planned_at,
            if changed.is_empty() {
                "files changed".to_string()
            } else {
                format!(
                    "changed: {}",
                    changed
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    let read = |path: std::path::PathBuf| {
        std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))
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
    let summary = Summary::from_json(&json).context("cannot read the saved plan JSON")?;
    Ok((meta, summary))
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

/// Asks on the terminal; production asks for its name rather than `yes`.
fn confirm(target: &Target) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "no terminal to confirm on and `--yes` not given; nothing was applied; review the plan \
             above, then run `{} --yes`",
            target.apply_command()
        );
    }
    let expected = expected_answer(target);
    eprint!(
        "apply this plan to `{}`? type `{expected}` to confirm: ",
        target.label
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != expected {
        bail!(
            "not confirmed (expected `{expected}`); nothing was applied; run `{}` again to apply",
            target.apply_command()
        );
    }
    Ok(())
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
    use std::path::Path;

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
