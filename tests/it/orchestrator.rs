//! `plan` and `apply` end to end with the real terraform binary, on roots that use only the
//! built-in `terraform_data` resource (no provider download), with local state and with
//! remote state on a moto S3 server.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::moto::{AWS_ENV, Moto};
use crate::support::{Output, copy_dir, output, repo, terraform};

/// A working directory (a checkout) holding copies of fixture roots.
struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// Copies `tests/fixtures/roots/<fixture>` to `<at>` in the checkout.
    fn root(self, fixture: &str, at: &str) -> Self {
        copy_dir(
            &repo().join("tests/fixtures/roots").join(fixture),
            &self.path(at),
        );
        self
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).expect("write a file");
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stackform"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env_remove("STACKFORM_TERRAFORM")
            .envs(AWS_ENV.iter().copied())
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        output(self.command(args).output().expect("run stackform"))
    }

    /// Starts stackform without waiting for it.
    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start stackform")
    }

    fn saved(&self, name: &str, file: &str) -> PathBuf {
        self.path(".stackform").join(name).join(file)
    }

    fn meta(&self, name: &str) -> serde_json::Value {
        let text = std::fs::read(self.saved(name, "meta.json")).expect("a saved plan record");
        serde_json::from_slice(&text).expect("meta.json is JSON")
    }
}

fn finish(child: Child) -> Output {
    output(child.wait_with_output().expect("wait for stackform"))
}

/// Waits until `ready` holds, failing the test after `secs` seconds.
fn wait_for(what: &str, secs: u64, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o777
}

/// Resource addresses in a state document.
pub fn state_resources(state: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "{}.{}",
                r["type"].as_str().unwrap_or("?"),
                r["name"].as_str().unwrap_or("?")
            )
        })
        .collect();
    out.sort();
    out
}

fn local_state(checkout: &Checkout, root: &str) -> serde_json::Value {
    let text = std::fs::read(checkout.path(root).join("terraform.tfstate")).expect("a state file");
    serde_json::from_slice(&text).expect("the state is JSON")
}

#[test]
fn plan_exits_2_then_apply_applies_the_saved_plan_then_plan_exits_0() {
    let c = Checkout::new().root("basic", "infra");
    let plan = c.run(&["plan", "--dir", "infra"]);
    assert_eq!(plan.status, 2, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("terraform_data.first"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("terraform_data.second"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stderr.contains(
            "plan saved in `.stackform/dir-infra/`; apply it with `stackform apply --dir infra`"
        ),
        "{}",
        plan.stderr
    );
    // Plans hold secrets in clear text: owner-only files and folders.
    for file in ["plan.tfplan", "plan.json", "meta.json"] {
        assert_eq!(mode(&c.saved("dir-infra", file)), 0o600, "{file}");
    }
    assert_eq!(mode(&c.path(".stackform/dir-infra")), 0o700);
    assert_eq!(mode(&c.path(".stackform")), 0o700);
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(c.saved("dir-infra", "plan.json")).expect("plan JSON"),
    )
    .expect("plan JSON parses");
    assert_eq!(json["resource_changes"].as_array().map(Vec::len), Some(2));
    let meta = c.meta("dir-infra");
    assert_eq!(meta["plan_exit_code"], 2);
    assert_eq!(meta["hcl_files"].as_object().map(|m| m.len()), Some(1));
    assert!(
        !c.path("infra/terraform.tfstate").exists(),
        "plan must not create state"
    );

    let apply = c.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(apply.status, 0, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("Apply complete! Resources: 2 added"),
        "{}",
        apply.stderr
    );
    assert_eq!(
        state_resources(&local_state(&c, "infra")),
        ["terraform_data.first", "terraform_data.second"]
    );
    assert!(c.meta("dir-infra")["applied_at"].is_string());

    let again = c.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(again.status, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("was already applied"),
        "{}",
        again.stderr
    );

    let replan = c.run(&["plan", "--dir", "infra"]);
    assert_eq!(replan.status, 0, "{}", replan.stderr);
    let noop = c.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(noop.status, 0, "{}", noop.stderr);
    assert!(
        noop.stderr.contains("has no changes; nothing to apply"),
        "{}",
        noop.stderr
    );
}

#[test]
fn apply_refuses_when_the_hcl_changed_since_the_plan() {
    let c = Checkout::new().root("module_call", "app");
    assert_eq!(c.run(&["plan", "--dir", "app"]).status, 2);
    // A change in a called local module counts as much as one in the root.
    c.write(
        "app/child/main.tf",
        "variable \"name\" {\n  type = string\n}\n\nresource \"terraform_data\" \"this\" {\n  input = \"changed\"\n}\n",
    );
    let apply = c.run(&["apply", "--dir", "app", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply
            .stderr
            .contains("the HCL of `app` changed since it was planned"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("changed: `child/main.tf`"),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("run `stackform plan --dir app` again"),
        "{}",
        apply.stderr
    );
    assert!(
        !c.path("app/terraform.tfstate").exists(),
        "nothing may be applied"
    );

    // Planned again, the new HCL applies; then a new root file makes the plan stale too.
    assert_eq!(c.run(&["plan", "--dir", "app"]).status, 2);
    c.write("app/extra.tf", "resource \"terraform_data\" \"extra\" {}\n");
    let apply = c.run(&["apply", "--dir", "app", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("changed: `extra.tf`"),
        "{}",
        apply.stderr
    );
}

#[test]
fn apply_refuses_a_plan_made_stale_by_another_apply() {
    let c = Checkout::new().root("basic", "infra");
    assert_eq!(c.run(&["plan", "--dir", "infra"]).status, 2);
    // Someone applies the same HCL outside stackform: the state moves on.
    let raw = terraform(
        &c.path("infra"),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let serial = local_state(&c, "infra")["serial"].clone();

    let apply = c.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply
            .stderr
            .contains("terraform says the saved plan of `infra` is stale"),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("run `stackform plan --dir infra` again"),
        "{}",
        apply.stderr
    );
    assert_eq!(
        local_state(&c, "infra")["serial"],
        serial,
        "the state must not change"
    );
}

#[test]
fn apply_refuses_without_a_saved_plan() {
    let c = Checkout::new().root("basic", "infra");
    let apply = c.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("no saved plan for `infra`"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("run `stackform plan --dir infra`"),
        "{}",
        apply.stderr
    );
}

#[test]
fn apply_without_a_terminal_needs_yes() {
    let c = Checkout::new().root("basic", "infra");
    assert_eq!(c.run(&["plan", "--dir", "infra"]).status, 2);
    let apply = c.run(&["apply", "--dir", "infra"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply
            .stderr
            .contains("no terminal to confirm on and `--yes` not given"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("`stackform apply --dir infra --yes`"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stdout.contains("terraform_data.first"),
        "the summary is shown: {}",
        apply.stdout
    );
    assert!(!c.path("infra/terraform.tfstate").exists());
}

/// Runs stackform on a pseudo-terminal (util-linux `script`), typing `answer`.
fn on_a_terminal(c: &Checkout, args: &str, answer: &str) -> Output {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_stackform"));
    let mut script = Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(c.dir.path())
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = script
        .spawn()
        .expect("util-linux `script` runs a command on a pseudo-terminal");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(format!("{answer}\n").as_bytes())
            .expect("type the answer");
    }
    finish(child)
}

#[test]
fn apply_on_a_terminal_shows_the_plan_and_asks_first() {
    let c = Checkout::new().root("basic", "infra");
    assert_eq!(c.run(&["plan", "--dir", "infra"]).status, 2);
    let no = on_a_terminal(&c, "apply --dir infra", "no");
    assert_eq!(no.status, 1, "{}", no.stdout);
    assert!(no.stdout.contains("terraform_data.first"), "{}", no.stdout);
    assert!(
        no.stdout
            .contains("apply this plan to `infra`? type `yes` to confirm"),
        "{}",
        no.stdout
    );
    assert!(
        no.stdout.contains("not confirmed (expected `yes`)"),
        "{}",
        no.stdout
    );
    assert!(!c.path("infra/terraform.tfstate").exists());

    let yes = on_a_terminal(&c, "apply --dir infra", "yes");
    assert_eq!(yes.status, 0, "{}", yes.stdout);
    assert_eq!(
        state_resources(&local_state(&c, "infra")),
        ["terraform_data.first", "terraform_data.second"]
    );
}

#[test]
fn a_failing_provisioner_mid_apply_is_reported_and_leaves_state_readable() {
    let c = Checkout::new().root("failing", "infra");
    assert_eq!(c.run(&["plan", "--dir", "infra"]).status, 2);
    let apply = c.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("local-exec provisioner error"),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("`terraform apply` failed for `infra` (exit 1"),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("the saved plan is kept in `.stackform/dir-infra/`"),
        "{}",
        apply.stderr
    );

    // Terraform's own reading of the state: the first resource, and the failed one tainted.
    let list = terraform(&c.path("infra"), &["state", "list", "-no-color"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .collect::<Vec<_>>(),
        ["terraform_data.broken", "terraform_data.first"]
    );
    let state = local_state(&c, "infra");
    let broken = state["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "broken"))
        .expect("the failed resource is in the state");
    assert_eq!(broken["instances"][0]["status"], "tainted");
    // The saved plan is kept, marked as tried.
    assert!(c.saved("dir-infra", "plan.tfplan").exists());
    assert!(c.meta("dir-infra")["apply_failed_at"].is_string());
}

#[test]
fn two_runs_on_one_root_from_one_checkout_do_not_trample_each_other() {
    let c = Checkout::new().root("slow", "infra");
    assert_eq!(c.run(&["plan", "--dir", "infra"]).status, 2);
    let plan_before = std::fs::read(c.saved("dir-infra", "plan.tfplan")).expect("saved plan");
    let apply = c.spawn(&["apply", "--dir", "infra", "--yes"]);
    wait_for("the provisioner to start", 20, || {
        c.path("infra/started").exists()
    });

    let plan = c.run(&["plan", "--dir", "infra"]);
    assert_eq!(plan.status, 1, "{}", plan.stderr);
    assert!(
        plan.stderr.contains("another stackform run holds `")
            && plan.stderr.contains("`apply` by pid"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr
            .contains("then run `stackform plan --dir infra` again"),
        "{}",
        plan.stderr
    );
    let plan_during = std::fs::read(c.saved("dir-infra", "plan.tfplan")).expect("saved plan");
    assert_eq!(
        plan_before, plan_during,
        "the running apply's plan must stay"
    );

    let applied = finish(apply);
    assert_eq!(applied.status, 0, "{}", applied.stderr);
}

#[test]
fn plan_all_over_three_roots_prints_one_table_and_the_worst_status() {
    let c = Checkout::new().root("all", "roots");
    let all = c.run(&["plan", "--all", "--dir", "roots"]);
    assert_eq!(all.status, 2, "{}", all.stderr);
    for root in ["roots/a", "roots/b", "roots/c"] {
        assert!(
            all.stdout.contains(root),
            "{root} in the table:\n{}",
            all.stdout
        );
        assert!(
            all.stderr
                .contains(&format!("{root}: plan saved in `.stackform/dir-roots-")),
            "{}",
            all.stderr
        );
    }

    // One root applied (exit 0), one broken (exit 1), one with changes (exit 2): 1 is worst.
    assert_eq!(c.run(&["apply", "--dir", "roots/a", "--yes"]).status, 0);
    c.write(
        "roots/c/broken.tf",
        "output \"x\" {\n  value = var.missing\n}\n",
    );
    let all = c.run(&["plan", "--all", "--dir", "roots"]);
    assert_eq!(all.status, 1, "{}", all.stderr);
    assert!(
        all.stdout.contains("roots/a") && all.stdout.contains("roots/b"),
        "{}",
        all.stdout
    );
    assert!(
        all.stderr.contains("1 of 3 roots failed: `roots/c`"),
        "{}",
        all.stderr
    );
    // The failed root's terraform output is one block, not interleaved with the others.
    let block: Vec<&str> = all
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("terraform output of `plan` for `roots/c`"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(
        block
            .iter()
            .any(|l| l.contains("Reference to undeclared input variable")),
        "{}",
        all.stderr
    );
    assert!(
        !block
            .iter()
            .any(|l| l.contains("roots/a") || l.contains("roots/b")),
        "{block:?}"
    );
    assert_eq!(c.run(&["plan", "--dir", "roots/a"]).status, 0);
}

#[test]
fn plan_env_refuses_hcl_that_is_not_up_to_date_with_the_model() {
    let c = Checkout::new();
    let plan = c.run(&["plan", "--env", "dev"]);
    assert_eq!(plan.status, 1, "{}", plan.stderr);
    assert!(
        plan.stderr.contains("the generated HCL is not up to date"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains("run `stackform gen --env dev` first"),
        "{}",
        plan.stderr
    );
    assert!(
        !c.path(".stackform").exists(),
        "nothing may be run or saved"
    );
}

#[test]
fn a_missing_terraform_binary_names_what_was_looked_for() {
    let c = Checkout::new().root("basic", "infra");
    let out = output(
        c.command(&["plan", "--dir", "infra"])
            .env("PATH", "/nonexistent")
            .output()
            .expect("run stackform"),
    );
    assert_eq!(out.status, 1, "{}", out.stderr);
    for part in [
        "no terraform binary found",
        "`--terraform-bin`",
        "`$STACKFORM_TERRAFORM`",
        "`terraform` and `tofu` on `PATH`",
    ] {
        assert!(out.stderr.contains(part), "{part}: {}", out.stderr);
    }
    let out = output(
        c.command(&["plan", "--dir", "infra"])
            .env("STACKFORM_TERRAFORM", "/nonexistent/terraform")
            .output()
            .expect("run stackform"),
    );
    assert!(
        out.stderr
            .contains("`STACKFORM_TERRAFORM=/nonexistent/terraform` is not an executable"),
        "{}",
        out.stderr
    );
}

/// Two checkouts of one S3-backed root (two laptops, or two CI jobs) sharing one state.
struct Remote {
    moto: Moto,
    checkouts: Vec<Checkout>,
}

const BUCKET: &str = "stackform-state";
const KEY: &str = "demo/terraform.tfstate";

impl Remote {
    fn new(copies: usize) -> Self {
        let moto = Moto::start();
        moto.create_bucket(BUCKET);
        let checkouts = (0..copies)
            .map(|_| {
                let c = Checkout::new().root("s3", "infra");
                moto.write_backend_config(&c.path("backend.hcl"), BUCKET, KEY);
                c
            })
            .collect();
        Self { moto, checkouts }
    }

    fn lock_held(&self) -> bool {
        self.moto
            .keys(BUCKET)
            .iter()
            .any(|k| k.ends_with(".tflock"))
    }

    fn state(&self) -> serde_json::Value {
        let bytes = self
            .moto
            .object(BUCKET, KEY)
            .expect("the state object exists");
        serde_json::from_slice(&bytes).expect("the state object is JSON")
    }
}

fn plan_s3(c: &Checkout, sleep: &str, extra: &[&str]) -> Output {
    let mut args = vec!["plan", "--dir", "infra", "--backend-config", "backend.hcl"];
    args.extend(extra);
    output(
        c.command(&args)
            .env("TF_VAR_sleep", sleep)
            .output()
            .expect("run stackform"),
    )
}

#[test]
fn s3_state_two_concurrent_applies_one_wins_the_other_names_the_lock() {
    let r = Remote::new(2);
    let (a, b) = (&r.checkouts[0], &r.checkouts[1]);
    // The winner's provisioner sleeps long enough for the loser to start, whatever the load.
    assert_eq!(plan_s3(a, "6", &[]).status, 2);
    assert_eq!(plan_s3(b, "6", &[]).status, 2);

    let mut first = a.spawn(&["apply", "--dir", "infra", "--yes"]);
    wait_for("the state lock object", 20, || r.lock_held());
    let lock: serde_json::Value = serde_json::from_slice(
        &r.moto
            .object(BUCKET, &format!("{KEY}.tflock"))
            .expect("lock object"),
    )
    .expect("the lock object is JSON");
    let lock_id = lock["ID"].as_str().expect("a lock ID").to_string();

    let second = b.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(second.status, 1, "{}", second.stderr);
    assert!(
        first.try_wait().expect("the first apply").is_none(),
        "a held lock must fail at once, not wait for the holder"
    );
    assert!(
        second.stderr.contains(&format!(
            "is locked by another terraform run (lock `{lock_id}`"
        )),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&format!("`{BUCKET}/{KEY}`")),
        "{}",
        second.stderr
    );
    assert!(
        second
            .stderr
            .contains("let that run finish, then plan again"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&format!("force-unlock {lock_id}")),
        "{}",
        second.stderr
    );

    let first = finish(first);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(
        !r.lock_held(),
        "the lock object must be gone: {:?}",
        r.moto.keys(BUCKET)
    );
    let state = r.state();
    assert_eq!(
        state_resources(&state),
        ["terraform_data.first", "terraform_data.slow"]
    );
    let serial = state["serial"].as_u64().expect("a serial");
    assert!(serial >= 1, "{state}");

    // The loser's plan was made against the old state: terraform calls it stale, we refuse.
    let retry = b.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(retry.status, 1, "{}", retry.stderr);
    assert!(retry.stderr.contains("is stale"), "{}", retry.stderr);
    assert_eq!(
        r.state()["serial"].as_u64(),
        Some(serial),
        "nothing more was written"
    );
    assert_eq!(
        plan_s3(b, "6", &[]).status,
        0,
        "the state already matches the HCL"
    );
}

#[test]
fn s3_state_lock_timeout_waits_for_the_holder() {
    let r = Remote::new(3);
    let (a, b, c) = (&r.checkouts[0], &r.checkouts[1], &r.checkouts[2]);
    assert_eq!(plan_s3(a, "3", &[]).status, 2);
    assert_eq!(plan_s3(b, "3", &[]).status, 2);

    let first = a.spawn(&["apply", "--dir", "infra", "--yes"]);
    wait_for("the state lock object", 20, || r.lock_held());
    // An apply that waits gets the lock after the first one, whose apply made its plan stale;
    // a plan that waits sees the first one's result.
    let waiting_apply = b.spawn(&["apply", "--dir", "infra", "--yes", "--lock-timeout", "30s"]);
    let waiting_plan = c
        .command(&[
            "plan",
            "--dir",
            "infra",
            "--backend-config",
            "backend.hcl",
            "--lock-timeout",
            "30s",
        ])
        .env("TF_VAR_sleep", "3")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stackform");
    let first = finish(first);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let waiting_plan = finish(waiting_plan);
    let waiting_apply = finish(waiting_apply);
    // Without waiting, the plan would have failed on the held lock (exit 1); having waited,
    // it sees the first apply's result: no changes.
    assert_eq!(waiting_plan.status, 0, "{}", waiting_plan.stderr);
    assert_eq!(waiting_apply.status, 1, "{}", waiting_apply.stderr);
    assert!(
        waiting_apply.stderr.contains("is stale"),
        "{}",
        waiting_apply.stderr
    );
    assert!(!r.lock_held());
    assert_eq!(
        state_resources(&r.state()),
        ["terraform_data.first", "terraform_data.slow"]
    );
}

#[test]
fn sigint_during_apply_stops_terraform_cleanly_and_releases_the_lock() {
    let r = Remote::new(1);
    let c = &r.checkouts[0];
    assert_eq!(plan_s3(c, "60", &[]).status, 2);
    let apply = c.spawn(&["apply", "--dir", "infra", "--yes"]);
    wait_for("the provisioner to start", 20, || {
        c.path("infra/started").exists()
    });
    assert!(r.lock_held());

    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &apply.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let out = finish(apply);
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "terraform must stop, not sleep on"
    );
    assert_eq!(out.status, 130, "{}", out.stderr);
    assert!(
        out.stderr.contains("Interrupt received"),
        "terraform got the signal: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("interrupted: Ctrl-C was passed to `terraform apply` of `infra`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("run `stackform plan --dir infra`"),
        "{}",
        out.stderr
    );
    assert!(
        !r.lock_held(),
        "the lock must be released: {:?}",
        r.moto.keys(BUCKET)
    );
    let state = r.state();
    assert!(
        state_resources(&state).contains(&"terraform_data.first".to_string()),
        "what was applied before the interrupt stays: {state}"
    );
    // And the state is usable: a new plan reads it and has the rest to do.
    assert_eq!(plan_s3(c, "0", &[]).status, 2);
}

/// The example of docs/orchestrator.md (the README's too), run as written: each
/// `stackform` line's `# exits N` comment is checked.
#[test]
fn the_documented_example_works_as_written() {
    let doc =
        std::fs::read_to_string(repo().join("docs/orchestrator.md")).expect("docs/orchestrator.md");
    let block = doc
        .split("<!-- example:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- example:end -->").next())
        .expect("an example between the markers");
    // The README shows the same example: it must not drift from the one tested here.
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap_or_default();
    if readme.contains("stackform plan --dir demo") {
        let code = block.trim();
        assert!(
            readme.contains(code),
            "README.md's orchestrator example differs from docs/orchestrator.md's:\n{code}"
        );
    }
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("```"))
        .map(|l| match l.split_once("# exits ") {
            Some((command, code)) if l.starts_with("stackform ") => format!(
                "{}; echo \"status $? expected {}\" >&2\n",
                command.trim_end(),
                code.trim()
            ),
            _ => format!("{l}\n"),
        })
        .collect();
    assert!(script.matches("expected").count() >= 3, "{script}");
    let c = Checkout::new();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_stackform"))
        .parent()
        .expect("a folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = output(
        Command::new("bash")
            .args(["-c", &script])
            .current_dir(c.dir.path())
            .env("PATH", path)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .stdin(Stdio::null())
            .output()
            .expect("run bash"),
    );
    let statuses: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("status "))
        .collect();
    assert!(statuses.len() >= 3, "{}", out.stderr);
    for s in &statuses {
        let words: Vec<&str> = s.split_whitespace().collect();
        assert_eq!(words[1], words[3], "{s}\n{}", out.stderr);
    }
}

#[test]
fn a_markdown_summary_of_one_root_names_it() {
    let c = Checkout::new().root("basic", "infra");
    let plan = c.run(&["plan", "--dir", "infra", "--format", "markdown"]);
    assert_eq!(plan.status, 2, "{}", plan.stderr);
    assert!(plan.stdout.starts_with("## `infra`\n\n"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("terraform_data.first"),
        "{}",
        plan.stdout
    );
}

/// A file outside the checkout's `.stackform/` that a planted link points at: its text and
/// mode must survive every run.
struct Victim {
    dir: tempfile::TempDir,
}

impl Victim {
    fn new() -> Self {
        let v = Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        };
        std::fs::write(v.file(), "precious\n").expect("write the victim");
        std::fs::set_permissions(v.file(), std::fs::Permissions::from_mode(0o644))
            .expect("chmod the victim");
        std::fs::set_permissions(v.dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the victim's folder");
        v
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("victim")
    }

    fn assert_untouched(&self, case: &str) {
        assert_eq!(
            std::fs::read_to_string(self.file()).expect("the victim is still there"),
            "precious\n",
            "{case}: the linked file's text must stay"
        );
        assert_eq!(mode(&self.file()), 0o644, "{case}: its mode must stay");
        assert_eq!(
            mode(self.dir.path()),
            0o755,
            "{case}: its folder's mode must stay"
        );
        let names: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("the victim's folder")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            names,
            ["victim"],
            "{case}: nothing may be written next to it"
        );
    }
}

#[test]
fn plan_refuses_symlinks_in_the_saved_plan_folder_and_leaves_their_targets_alone() {
    for file in ["lock", "plan.json", "meta.json", "plan.tfplan"] {
        let c = Checkout::new().root("basic", "infra");
        let victim = Victim::new();
        std::fs::create_dir_all(c.path(".stackform/dir-infra")).expect("create the store");
        std::os::unix::fs::symlink(victim.file(), c.saved("dir-infra", file))
            .expect("plant a link");
        let plan = c.run(&["plan", "--dir", "infra"]);
        assert_eq!(plan.status, 1, "{file}: {}", plan.stderr);
        assert!(
            plan.stderr
                .contains(&format!(".stackform/dir-infra/{file}` is a symbolic link")),
            "{file}: {}",
            plan.stderr
        );
        assert!(plan.stderr.contains("remove it"), "{file}: {}", plan.stderr);
        victim.assert_untouched(file);
    }
    // The plan's own folder, or `.stackform/` itself, linked to a folder elsewhere.
    for link in [".stackform/dir-infra", ".stackform"] {
        let c = Checkout::new().root("basic", "infra");
        let victim = Victim::new();
        if link != ".stackform" {
            std::fs::create_dir_all(c.path(".stackform")).expect("create the store");
        }
        std::os::unix::fs::symlink(victim.dir.path(), c.path(link)).expect("plant a link");
        let plan = c.run(&["plan", "--dir", "infra"]);
        assert_eq!(plan.status, 1, "{link}: {}", plan.stderr);
        assert!(
            plan.stderr.contains(&format!("{link}` is a symbolic link")),
            "{link}: {}",
            plan.stderr
        );
        victim.assert_untouched(link);
    }
}

#[test]
fn apply_does_not_read_a_saved_plan_through_a_symlink() {
    for file in ["meta.json", "plan.json", "plan.tfplan"] {
        let c = Checkout::new().root("basic", "infra");
        assert_eq!(c.run(&["plan", "--dir", "infra"]).status, 2);
        // The same bytes, but kept elsewhere: a link can be swapped after it was checked.
        let elsewhere = tempfile::tempdir().expect("temporary directory");
        let moved = elsewhere.path().join(file);
        std::fs::rename(c.saved("dir-infra", file), &moved).expect("move the file");
        std::os::unix::fs::symlink(&moved, c.saved("dir-infra", file)).expect("plant a link");
        let apply = c.run(&["apply", "--dir", "infra", "--yes"]);
        assert_eq!(apply.status, 1, "{file}: {}", apply.stderr);
        assert!(
            apply
                .stderr
                .contains(&format!(".stackform/dir-infra/{file}` is a symbolic link")),
            "{file}: {}",
            apply.stderr
        );
        assert!(
            !c.path("infra/terraform.tfstate").exists(),
            "{file}: nothing applied"
        );
    }
}

#[test]
fn a_symlinked_tf_file_is_part_of_the_digest() {
    let c = Checkout::new();
    std::fs::create_dir_all(c.path("shared")).expect("create a folder");
    std::fs::create_dir_all(c.path("infra")).expect("create a folder");
    c.write(
        "shared/main.tf",
        "resource \"terraform_data\" \"one\" {\n  input = \"planned\"\n}\n",
    );
    std::os::unix::fs::symlink("../shared/main.tf", c.path("infra/main.tf")).expect("link");
    assert_eq!(c.run(&["plan", "--dir", "infra"]).status, 2);
    let files = c.meta("dir-infra")["hcl_files"].clone();
    assert!(files.get("main.tf").is_some(), "{files}");

    // What terraform reads through the link changes after the plan.
    c.write(
        "shared/main.tf",
        "resource \"terraform_data\" \"one\" {\n  input = \"changed\"\n}\n",
    );
    let apply = c.run(&["apply", "--dir", "infra", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("changed: `main.tf`"),
        "{}",
        apply.stderr
    );
    assert!(
        !c.path("infra/terraform.tfstate").exists(),
        "nothing applied"
    );
}

/// Rewrites the two file hashes of a saved plan's record after its files were replaced, as
/// anyone who can write `.stackform/` can.
fn fix_hashes(c: &Checkout, name: &str) {
    use sha2::Digest as _;
    let hash = |file: &str| {
        let bytes = std::fs::read(c.saved(name, file)).expect("a saved file");
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mut meta = c.meta(name);
    meta["plan_sha256"] = hash("plan.tfplan").into();
    meta["json_sha256"] = hash("plan.json").into();
    std::fs::write(
        c.saved(name, "meta.json"),
        serde_json::to_vec_pretty(&meta).expect("JSON"),
    )
    .expect("rewrite meta.json");
}

/// Roots `roots/a` and `roots/b`, each planned.
fn two_planned_roots() -> Checkout {
    let c = Checkout::new().root("all", "roots");
    assert_eq!(c.run(&["plan", "--dir", "roots/a"]).status, 2);
    assert_eq!(c.run(&["plan", "--dir", "roots/b"]).status, 2);
    c
}

#[test]
fn a_plan_copied_from_another_root_is_refused_even_with_consistent_hashes() {
    let c = two_planned_roots();
    for file in ["plan.tfplan", "plan.json"] {
        std::fs::copy(c.saved("dir-roots-b", file), c.saved("dir-roots-a", file))
            .expect("copy b's plan over a's");
    }
    fix_hashes(&c, "dir-roots-a");
    let apply = c.run(&["apply", "--dir", "roots/a", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply
            .stderr
            .contains("the saved plan of `roots/a` was not made from this root's configuration"),
        "{}",
        apply.stderr
    );
    assert!(apply.stderr.contains("`main.tf`"), "{}", apply.stderr);
    assert!(
        !c.path("roots/a/terraform.tfstate").exists(),
        "nothing applied"
    );
    assert!(
        !c.path("roots/b/terraform.tfstate").exists(),
        "nothing applied"
    );
}

#[test]
fn a_plan_json_that_does_not_describe_the_binary_plan_is_refused() {
    let c = two_planned_roots();
    // A's real plan with b's summary: what is shown and checked is not what would run.
    std::fs::copy(
        c.saved("dir-roots-b", "plan.json"),
        c.saved("dir-roots-a", "plan.json"),
    )
    .expect("copy b's JSON over a's");
    fix_hashes(&c, "dir-roots-a");
    let apply = c.run(&["apply", "--dir", "roots/a", "--yes"]);
    assert_eq!(apply.status, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains(
            ".stackform/dir-roots-a/plan.json` is not what terraform reads in the binary plan"
        ),
        "{}",
        apply.stderr
    );
    assert!(
        !c.path("roots/a/terraform.tfstate").exists(),
        "nothing applied"
    );
}

/// Processes whose parent is `pid`, from `/proc`.
fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    let after = s.rsplit_once(')')?.1.split_whitespace().nth(1)?.to_string();
                    after.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// Whether `pid` is still running (a zombie waiting to be reaped is not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .is_some_and(|zombie| !zombie)
}

#[test]
fn sigkill_of_apply_stops_terraform_and_releases_its_state_lock() {
    let c = Checkout::new().root("slow", "infra");
    // The saved plan carries the variable: the provisioner sleeps 30 s.
    let plan = output(
        c.command(&["plan", "--dir", "infra"])
            .env("TF_VAR_sleep", "30")
            .output()
            .expect("run stackform"),
    );
    assert_eq!(plan.status, 2, "{}", plan.stderr);
    let mut apply = c
        .command(&["apply", "--dir", "infra", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stackform");
    wait_for("the provisioner to start", 20, || {
        c.path("infra/started").exists()
    });
    let lock = c.path("infra/.terraform.tfstate.lock.info");
    assert!(lock.exists(), "terraform holds the local state lock");
    let terraform: Vec<u32> = children_of(apply.id())
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .is_ok_and(|c| c.trim() == "terraform")
        })
        .collect();
    assert_eq!(terraform.len(), 1, "one terraform child of stackform");

    apply.kill().expect("SIGKILL stackform");
    apply.wait().expect("reap stackform");
    wait_for("terraform to end after stackform was killed", 15, || {
        !running(terraform[0])
    });
    wait_for("the state lock to be released", 5, || !lock.exists());
    // The state is usable: a new plan takes the lock and has the rest to do.
    let plan = output(
        c.command(&["plan", "--dir", "infra"])
            .env("TF_VAR_sleep", "0")
            .output()
            .expect("run stackform"),
    );
    assert_eq!(plan.status, 2, "{}", plan.stderr);
}

#[test]
fn the_terraform_starter_refuses_when_its_stackform_is_gone() {
    // Started by this test, not by the stackform it names: the death signal would tie
    // terraform to the wrong process, so nothing is started.
    let c = Checkout::new();
    let out = c.run(&["__run-terraform", "--parent", "1", "--", "touch", "started"]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the stackform run that started terraform has ended"),
        "{}",
        out.stderr
    );
    assert!(!c.path("started").exists());
    let me = std::process::id().to_string();
    let out = c.run(&["__run-terraform", "--parent", &me, "--", "touch", "started"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        c.path("started").exists(),
        "with the right parent it becomes the command"
    );
}
