//! Tracing insight through the binary: the coverage matrix read from rendered HCL and from
//! plans, broken traces, the policy, the service map, environment comparison and cost.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Output, Test, default_stack, repo};

/// Runs stackform in `dir` (the repository for the committed roots).
fn run_in(dir: &Path, args: &[&str]) -> Output {
    run_with(dir, args, &[])
}

fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackform"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run stackform");
    Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A whole run as one snapshot: status, stdout and stderr.
fn whole(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        out.status, out.stdout, out.stderr
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr))
}

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/tracing").join(name)
}

/// The committed model and its rendering in a fresh directory.
fn rendered() -> Test {
    let t = Test::new()
        .file("stack.toml", &default_stack())
        .args(["gen", "--all"]);
    let out = t.run();
    assert_eq!(out.status, 0, "gen failed: {}", out.stderr);
    t
}

fn edit(t: &Test, path: &str, from: &str, to: &str) {
    let full = t.path().join(path);
    let text = std::fs::read_to_string(&full).expect("read rendered file");
    assert!(text.contains(from), "{path} no longer contains {from:?}");
    std::fs::write(&full, text.replacen(from, to, 1)).expect("write rendered file");
}

/// 1-based line of the first line of `path` containing `needle`.
fn line_of(t: &Test, path: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(t.path().join(path)).expect("read rendered file");
    text.lines()
        .position(|l| l.contains(needle))
        .map(|n| n + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in {path}"))
}

fn component<'a>(env: &'a Value, kind: &str, name: &str) -> &'a Value {
    env["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["kind"] == kind && c["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {env:#}"))
}

fn feature(c: &Value, f: &str) -> String {
    c["features"][f]["value"]
        .as_str()
        .unwrap_or("(absent)")
        .to_string()
}

fn finding_kinds(env: &Value) -> Vec<String> {
    env["broken_traces"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// What stack.toml asks for, resolved the way docs/tracing.md documents precedence:
/// component override, component key, environment, `[defaults]`, built-in.
struct Toggles<'a> {
    stack: &'a toml::Table,
    env: &'a str,
}

impl Toggles<'_> {
    fn get(&self, path: &[&str]) -> Option<&toml::Value> {
        let mut v = self.stack.get(path[0])?;
        for key in &path[1..] {
            v = v.get(key)?;
        }
        Some(v)
    }

    fn resolve(&self, section: &str, name: &str, key: &str, env_key: &str) -> Option<&toml::Value> {
        self.get(&["environments", self.env, section, name, key])
            .or_else(|| self.get(&[section, name, key]))
            .or_else(|| self.get(&["environments", self.env, env_key]))
            .or_else(|| self.get(&["defaults", env_key]))
    }

    fn flag(&self, section: &str, name: &str, key: &str, env_key: &str) -> bool {
        self.resolve(section, name, key, env_key)
            .and_then(toml::Value::as_bool)
            .unwrap_or(true)
    }

    fn number(&self, path: &[&str], env_key: &str, builtin: f64) -> f64 {
        self.get(&[
            "environments",
            self.env,
            "xray",
            "sampling_rules",
            path[0],
            path[1],
        ])
        .or_else(|| self.get(&["xray", "sampling_rules", path[0], path[1]]))
        .or_else(|| self.get(&["environments", self.env, env_key]))
        .or_else(|| self.get(&["defaults", env_key]))
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .unwrap_or(builtin)
    }
}

fn on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

#[test]
fn the_matrix_of_each_committed_environment_matches_the_toggles_in_stack_toml() {
    let out = run_in(&repo(), &["tracing", "--all", "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let doc = json(&out);
    let stack: toml::Table = toml::from_str(&default_stack()).expect("stack.toml parses");
    let envs = doc["environments"].as_array().expect("environments");
    let declared: Vec<&String> = stack["environments"]
        .as_table()
        .expect("environments table")
        .keys()
        .collect();
    assert_eq!(envs.len(), declared.len());
    for env in envs {
        let name = env["environment"].as_str().expect("environment name");
        assert_eq!(env["source"]["kind"], "hcl", "{name} was not read from HCL");
        let t = Toggles {
            stack: &stack,
            env: name,
        };
        let functions = stack["functions"].as_table().expect("functions");
        for f in functions.keys() {
            let mode = t
                .resolve("functions", f, "tracing", "lambda_tracing")
                .and_then(toml::Value::as_str)
                .unwrap_or("Active");
            let c = component(env, "function", f);
            assert_eq!(feature(c, "lambda_mode"), mode, "{name}: function {f}");
            let iam = if mode == "Active" { "yes" } else { "no" };
            assert_eq!(feature(c, "xray_iam"), iam, "{name}: function {f}");
        }
        let api = t.flag("api", "", "tracing", "api_tracing");
        let api = t
            .get(&["environments", name, "api", "tracing"])
            .or_else(|| t.get(&["api", "tracing"]))
            .and_then(toml::Value::as_bool)
            .unwrap_or(api);
        assert_eq!(
            feature(component(env, "stage", "api"), "stage_tracing"),
            on(api)
        );
        for sm in stack["state_machines"].as_table().expect("machines").keys() {
            let traced = t.flag("state_machines", sm, "tracing", "state_machine_tracing");
            let c = component(env, "state_machine", sm);
            assert_eq!(
                feature(c, "state_machine_tracing"),
                on(traced),
                "{name}: {sm}"
            );
        }
        for table in stack["tables"].as_table().expect("tables").keys() {
            let insights = t.flag(
                "tables",
                table,
                "contributor_insights",
                "contributor_insights",
            );
            let c = component(env, "table", table);
            assert_eq!(
                feature(c, "contributor_insights"),
                on(insights),
                "{name}: {table}"
            );
        }
        let kinds = |kind: &str| {
            env["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["kind"] == kind)
                .count()
        };
        assert_eq!(kinds("function"), functions.len(), "{name}");
        assert_eq!(
            kinds("queue"),
            1,
            "{name}: the dead-letter queue is not a component"
        );
        let rules = env["sampling_rules"].as_array().expect("rules");
        let rule = |n: &str| {
            rules
                .iter()
                .find(|r| r["name"] == n)
                .unwrap_or_else(|| panic!("{name}: no rule {n}"))
        };
        assert_eq!(
            rule("default")["fixed_rate"].as_f64(),
            Some(t.number(&["-", "-"], "sampling_rate", 0.05)),
            "{name}"
        );
        assert_eq!(
            rule("default")["reservoir_size"].as_f64(),
            Some(t.number(&["-", "-"], "sampling_reservoir", 1.0)),
            "{name}"
        );
        assert_eq!(
            rule("checkout")["fixed_rate"].as_f64(),
            Some(t.number(&["checkout", "fixed_rate"], "-", 0.05)),
            "{name}"
        );
    }
}

#[test]
fn the_fully_traced_environments_have_no_broken_trace_and_keep_the_policy() {
    for env in ["staging", "prod"] {
        let out = run_in(&repo(), &["tracing", "--env", env, "--format", "json"]);
        assert_eq!(out.status, 0, "{env}: {}", out.stderr);
        let doc = json(&out);
        let e = &doc["environments"][0];
        assert_eq!(finding_kinds(e), Vec::<String>::new(), "{env}");
        assert_eq!(e["policy"]["require_tracing"], true, "{env}");
        assert_eq!(e["policy"]["violations"], serde_json::json!([]), "{env}");
        let traced = e["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["kind"] != "table")
            .all(|c| c["traced"] == true);
        assert!(
            traced,
            "{env}: every function, stage, machine and queue is traced"
        );
    }
}

#[test]
fn a_hand_edited_root_changes_the_matrix_and_breaks_the_policy() {
    let t = rendered();
    let root = "environments/prod/main.tf";
    let call_line = line_of(&t, root, "module \"function_payment\" {");
    let text = std::fs::read_to_string(t.path().join(root)).expect("root");
    let at = text
        .find("module \"function_payment\" {")
        .expect("payment call");
    let edited = format!(
        "{}{}",
        &text[..at],
        text[at..].replacen(
            "tracing_mode                   = \"Active\"",
            "tracing_mode                   = \"PassThrough\"",
            1
        )
    );
    assert_ne!(edited, text, "the payment call sets tracing_mode");
    std::fs::write(t.path().join(root), edited).expect("write root");

    let t = t.args(["tracing", "--env", "prod", "--format", "json"]);
    let out = t.run();
    assert_eq!(
        out.status, 1,
        "the policy requires prod to be traced: {}",
        out.stderr
    );
    let doc = json(&out);
    let env = &doc["environments"][0];
    let payment = component(env, "function", "payment");
    assert_eq!(feature(payment, "lambda_mode"), "PassThrough");
    // The module's X-Ray statement is conditional on the mode, so it is gone too.
    assert_eq!(feature(payment, "xray_iam"), "no");
    assert_eq!(
        feature(component(env, "function", "cart"), "lambda_mode"),
        "Active"
    );
    assert_eq!(
        out.stderr.lines().next().unwrap_or_default(),
        format!(
            "error: {root}:{call_line}: function `payment` is not traced: its tracing mode is PassThrough"
        )
    );
    assert!(
        out.stderr.contains("stackform: `prod` must be fully traced (`policy.require_tracing` in stack.toml), but 1 component is not"),
        "{}",
        out.stderr
    );

    // Without the policy the same edit is reported, not refused.
    let without = default_stack().replace("require_tracing = [\"prod\", \"staging\"]", "");
    let t = t
        .file("stack.toml", &without)
        .args(["tracing", "--env", "prod"]);
    let out = t.run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("function payment "))
        .unwrap_or_default();
    assert!(row.contains("PassThrough"), "{}", out.stdout);
    assert!(!out.stdout.contains("policy:"), "{}", out.stdout);
}

#[test]
fn an_override_file_is_refused_rather_than_read_as_an_ordinary_file() {
    let t = rendered();
    let over = "environments/prod/main_override.tf";
    std::fs::write(
        t.path().join(over),
        "module \"function_payment\" {\n  tracing_mode = \"PassThrough\"\n}\n",
    )
    .expect("write override");
    let t = t.args(["tracing", "--env", "prod"]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert!(
        out.stderr.starts_with(&format!(
            "stackform: error: {over}:1: an override file: Terraform merges it"
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("cannot vouch"), "{}", out.stderr);

    // JSON configuration is refused too, never skipped.
    std::fs::remove_file(t.path().join(over)).expect("remove override");
    std::fs::write(t.path().join("environments/prod/extra.tf.json"), "{}").expect("json");
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert!(
        out.stderr.starts_with(
            "stackform: error: environments/prod/extra.tf.json:1: Terraform JSON configuration"
        ),
        "{}",
        out.stderr
    );
}

/// Prod's root with a copy of the payment call, untraced, named `function_spare` and
/// with `meta` (e.g. `count = 0`) added.
fn with_spare_call(t: &Test, meta: &str) {
    let root = "environments/prod/main.tf";
    let text = std::fs::read_to_string(t.path().join(root)).expect("root");
    let at = text
        .find("module \"function_payment\" {")
        .expect("payment call");
    let end = at + text[at..].find("\n}\n").expect("end of call") + 3;
    let spare = text[at..end]
        .replacen("function_payment", "function_spare", 1)
        .replacen("e-com67-prod-payment", "e-com67-prod-spare", 1)
        .replacen(
            "tracing_mode                   = \"Active\"",
            "tracing_mode                   = \"PassThrough\"",
            1,
        )
        .replacen("{\n", &format!("{{\n  {meta}\n"), 1);
    std::fs::write(t.path().join(root), format!("{text}\n{spare}")).expect("write root");
}

#[test]
fn count_and_for_each_on_a_module_call_decide_its_instances() {
    let t = rendered();
    with_spare_call(&t, "count = 0");
    let t = t.args(["tracing", "--env", "prod", "--format", "json"]);
    let out = t.run();
    // Terraform creates nothing for `count = 0`, so there is nothing untraced.
    assert_eq!(out.status, 0, "{}", out.stderr);
    let doc = json(&out);
    let names: Vec<&str> = doc["environments"][0]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("spare")), "{names:?}");

    let t = rendered();
    with_spare_call(&t, "for_each = toset([\"eu\", \"us\"])");
    let t = t.args(["tracing", "--env", "prod", "--format", "json"]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stderr);
    let doc = json(&out);
    let env = &doc["environments"][0];
    for key in ["eu", "us"] {
        let spare = component(env, "function", &format!("spare[\"{key}\"]"));
        assert_eq!(feature(spare, "lambda_mode"), "PassThrough");
        assert_eq!(
            spare["address"],
            format!("module.function_spare[\"{key}\"].aws_lambda_function.this")
        );
    }
    assert!(
        out.stderr
            .contains("function `spare[\"eu\"]` is not traced"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_module_that_calls_itself_is_refused_with_its_location() {
    let t = rendered();
    let module = "modules/function/main.tf";
    let text = std::fs::read_to_string(t.path().join(module)).expect("module");
    let line = text.lines().count() + 2;
    std::fs::write(
        t.path().join(module),
        format!("{text}\nmodule \"again\" {{\n  source = \"./\"\n}}\n"),
    )
    .expect("write module");
    let t = t.args(["tracing", "--env", "prod"]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .starts_with(&format!("stackform: error: {module}:{line}: `module.")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "a module that is already calling it (`modules/function` → `modules/function`)"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_hand_edited_module_without_the_xray_statement_is_a_broken_trace() {
    let t = rendered();
    edit(
        &t,
        "modules/function/main.tf",
        "for_each = var.tracing_mode == \"Active\" ? [1] : []",
        "for_each = []",
    );
    let t = t.args(["tracing", "--env", "staging", "--format", "json"]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stderr);
    let doc = json(&out);
    let env = &doc["environments"][0];
    assert_eq!(
        feature(component(env, "function", "payment"), "xray_iam"),
        "no"
    );
    let kinds = finding_kinds(env);
    assert_eq!(kinds.len(), 7, "one per Active function: {kinds:?}");
    assert!(
        kinds.iter().all(|k| k == "missing-xray-permissions"),
        "{kinds:?}"
    );
    // State machines get their permissions from their own module, which is untouched.
    assert_eq!(
        feature(component(env, "state_machine", "checkout"), "xray_iam"),
        "yes"
    );
    assert!(
        out.stderr
            .contains("function `payment` is not traced: its role has no X-Ray actions"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_deny_in_the_role_policy_takes_the_xray_action_away() {
    let t = rendered();
    let deny = "statement {\n    effect    = \"Deny\"\n    actions   = [\"xray:PutTraceSegments\"]\n    resources = [\"*\"]\n  }\n\n  dynamic \"statement\" {";
    edit(
        &t,
        "modules/function/main.tf",
        "dynamic \"statement\" {",
        deny,
    );
    let t = t.args(["tracing", "--env", "staging", "--format", "json"]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stderr);
    let doc = json(&out);
    let env = &doc["environments"][0];
    assert_eq!(
        feature(component(env, "function", "payment"), "xray_iam"),
        "missing xray:PutTraceSegments"
    );
    assert!(
        finding_kinds(env)
            .iter()
            .all(|k| k == "missing-xray-permissions"),
        "{env:#}"
    );

    // `not_actions` is not worked out: the grant is unknown, not `yes`.
    let t = rendered();
    let not = "statement {\n    effect      = \"Deny\"\n    not_actions = [\"s3:GetObject\"]\n    resources   = [\"*\"]\n  }\n\n  dynamic \"statement\" {";
    edit(
        &t,
        "modules/function/main.tf",
        "dynamic \"statement\" {",
        not,
    );
    let out = t
        .args(["tracing", "--env", "staging", "--format", "json"])
        .run();
    let doc = json(&out);
    assert_eq!(
        feature(
            component(&doc["environments"][0], "function", "payment"),
            "xray_iam"
        ),
        "unknown"
    );
}

/// Findings of one environment of the broken-trace fixture, rendered in memory.
fn broken(env: &str) -> (Value, Output) {
    let t = Test::new().args([
        "tracing",
        "--env",
        env,
        "--format",
        "json",
        "--stack",
        fixture("broken.toml").to_str().expect("utf-8 path"),
    ]);
    let out = t.run();
    assert_eq!(out.status, 0, "{env}: {}", out.stderr);
    (json(&out)["environments"][0].clone(), out)
}

#[test]
fn an_untraced_stage_in_front_of_traced_functions_is_a_broken_trace() {
    let (env, out) = broken("caller");
    assert_eq!(finding_kinds(&env), ["untraced-caller", "untraced-caller"]);
    let details: Vec<&str> = env["broken_traces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["detail"].as_str())
        .collect();
    assert!(
        details[0].starts_with(
            "function `browse` is traced (Active) but its caller, API stage `api`, is not"
        ),
        "{details:?}"
    );
    assert!(details[1].starts_with("function `checkout`"), "{details:?}");
    // The folder does not exist, so the model was rendered in memory, and the user is told.
    assert!(
        out.stderr
            .contains("stackform: note: `environments/caller` does not exist; reading `caller` as"),
        "{}",
        out.stderr
    );
    assert_eq!(env["source"]["kind"], "rendered");
}

#[test]
fn an_untraced_state_machine_breaks_the_traces_of_what_it_calls_and_sends() {
    let (env, _) = broken("producer");
    assert_eq!(
        finding_kinds(&env),
        ["untraced-caller", "untraced-producer"]
    );
    assert_eq!(
        env["broken_traces"][0]["address"],
        "module.function_charge.aws_lambda_function.this"
    );
    assert_eq!(
        env["broken_traces"][1]["address"],
        "module.queue_orders.aws_sqs_queue.this"
    );
    let queue = component(&env, "queue", "orders");
    assert_eq!(
        feature(queue, "queue_propagation"),
        "broken (`order` untraced)"
    );
    assert_eq!(queue["features"]["queue_propagation"]["status"], "broken");
}

#[test]
fn a_sampling_rule_that_samples_nothing_is_a_broken_trace() {
    let (env, _) = broken("sampling");
    assert_eq!(finding_kinds(&env), ["samples-nothing"]);
    assert_eq!(
        env["broken_traces"][0]["address"],
        "module.tracing.aws_xray_sampling_rule.checkout"
    );
    let rule = env["sampling_rules"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "checkout")
        .expect("checkout rule");
    assert_eq!(rule["samples_nothing"], true);
}

/// Prod with an extra `*`/`*` sampling rule of the given priority that samples nothing.
fn prod_with_silent_rule(priority: u32) -> Value {
    let t = rendered();
    let module = "modules/tracing/main.tf";
    let text = std::fs::read_to_string(t.path().join(module)).expect("module");
    let rule = format!(
        r#"
resource "aws_xray_sampling_rule" "silent" {{
  rule_name      = "${{var.name_prefix}}-silent"
  priority       = {priority}
  version        = 1
  fixed_rate     = 0
  reservoir_size = 0
  service_name   = "${{var.name_prefix}}-*"
  service_type   = "*"
  host           = "*"
  http_method    = "*"
  url_path       = "*"
  resource_arn   = "*"
  attributes     = {{}}
}}
"#
    );
    std::fs::write(t.path().join(module), format!("{text}{rule}")).expect("write module");
    let out = t
        .args(["tracing", "--env", "prod", "--format", "json"])
        .run();
    json(&out)["environments"][0].clone()
}

#[test]
fn the_sampling_column_follows_the_rule_that_matches_first() {
    let env = prod_with_silent_rule(1);
    let stage = env["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["kind"] == "stage")
        .expect("a stage");
    assert_eq!(
        stage["features"]["sampling"]["value"],
        "silent, checkout, default (`silent` matches first and samples nothing)"
    );
    assert_eq!(stage["features"]["sampling"]["status"], "broken");
    let cart = component(&env, "function", "cart");
    assert_eq!(
        cart["features"]["sampling"]["value"],
        "silent, default (`silent` matches first and samples nothing)",
    );
    assert_eq!(cart["features"]["sampling"]["status"], "broken");

    // Behind the default rule, which matches everything first, it never decides.
    let env = prod_with_silent_rule(9500);
    let cart = component(&env, "function", "cart");
    assert_eq!(feature(cart, "sampling"), "default, silent");
    assert_eq!(cart["features"]["sampling"]["status"], "ok");
}

#[test]
fn a_fully_traced_fixture_has_no_broken_trace_and_its_cost_follows_the_sampling_rules() {
    let (env, _) = broken("traced");
    assert_eq!(finding_kinds(&env), Vec::<String>::new());
    let cost = &env["cost"];
    let traces = |path: &str| {
        cost["routes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["path"] == path)
            .and_then(|r| r["traces"].as_f64())
            .unwrap_or(-1.0)
    };
    // One request a second, reservoir 1: every request is traced.
    assert_eq!(traces("/items"), 2_592_000.0);
    // Ten a second under the checkout rule: 2 from the reservoir, then 10% of the other 8.
    assert!(
        (traces("/checkout") - 2.8 * 2_592_000.0).abs() < 1.0,
        "{cost:#}"
    );
    let usd = cost["recorded_usd"].as_f64().unwrap_or_default();
    assert!((usd - 9_849_600.0 * 5.0 / 1e6).abs() < 1e-6, "{cost:#}");
    let insights = cost["insights_usd"].as_f64().unwrap_or_default();
    assert!((insights - 9_849_600.0 / 1e6).abs() < 1e-6, "{cost:#}");
}

#[test]
fn a_module_folder_that_cannot_be_read_is_named() {
    let t = rendered();
    std::fs::remove_dir_all(t.path().join("modules/tracing")).expect("remove module");
    let t = t.args(["tracing", "--env", "prod"]);
    let out = t.run();
    assert_eq!(out.status, 1);
    assert!(
        out.stderr.starts_with(
            "stackform: error: cannot read `module.tracing` from `modules/tracing`: cannot read the folder"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unknown_environment_is_refused_with_the_declared_ones() {
    let out = run_in(&repo(), &["tracing", "--env", "qa"]);
    assert_eq!(out.status, 1);
    assert_eq!(
        out.stderr.trim(),
        "stackform: error: unknown environment `qa`: `environments/qa` does not exist and stack.toml declares `dev`, `staging`, `prod`"
    );
}

#[test]
fn the_policy_fails_gen_and_validate_with_located_errors() {
    let stack = default_stack().replace(
        "require_tracing = [\"prod\", \"staging\"]",
        "require_tracing = [\"prod\", \"dev\", \"prd\"]",
    );
    let line = |needle: &str| {
        stack
            .lines()
            .position(|l| l.starts_with(needle))
            .map_or(0, |n| n + 1)
    };
    for args in [&["gen", "--all"][..], &["validate"][..]] {
        let t = Test::new().file("stack.toml", &stack).args(args);
        let out = t.run();
        assert_eq!(out.status, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "error: stack.toml:{}:18: `environments.dev.lambda_tracing` leaves functions `cart`, `checkout`, `order_processor`, `orders`, `payment`, `product_crud`, `search` untraced (`PassThrough`) in `dev`, which `policy.require_tracing` requires to be traced",
                line("lambda_tracing = \"PassThrough\"")
            )),
            "{}",
            out.stderr
        );
        for setting in [
            "api_tracing",
            "state_machine_tracing",
            "contributor_insights",
        ] {
            assert!(
                out.stderr.contains(&format!(
                    "error: stack.toml:{}:",
                    line(&format!("{setting} = false"))
                )),
                "{setting}: {}",
                out.stderr
            );
        }
        assert!(
            out.stderr.contains("`policy.require_tracing[2]` refers to environment `prd`, which does not exist\n  hint: did you mean `prod`?"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .ends_with("5 problems in stack.toml; nothing was written\n"),
            "{}",
            out.stderr
        );
        assert_eq!(t.tree().len(), 1, "nothing but stack.toml may exist");
    }
}

#[test]
fn the_committed_stack_declares_the_policy_and_passes_it() {
    assert!(default_stack().contains("[policy]\nrequire_tracing = [\"prod\", \"staging\"]"));
    let out = run_in(&repo(), &["validate"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[test]
fn the_prod_matrix_as_text() {
    insta::assert_snapshot!(whole(&run_in(&repo(), &["tracing", "--env", "prod"])));
}

#[test]
fn every_environment_side_by_side() {
    insta::assert_snapshot!(whole(&run_in(&repo(), &["tracing", "--all"])));
}

#[test]
fn the_prod_matrix_as_markdown() {
    insta::assert_snapshot!(whole(&run_in(
        &repo(),
        &["tracing", "--env", "prod", "--format", "markdown"]
    )));
}

#[test]
fn the_dev_matrix_as_json() {
    insta::assert_snapshot!(whole(&run_in(
        &repo(),
        &["tracing", "--env", "dev", "--format", "json"]
    )));
}

#[test]
fn the_broken_fixture_side_by_side_as_markdown() {
    let t = Test::new().args([
        "tracing",
        "--all",
        "--format",
        "markdown",
        "--stack",
        fixture("broken.toml").to_str().expect("utf-8 path"),
    ]);
    let out = t.run();
    // The path of the fixture is machine-specific.
    let text = whole(&out).replace(
        fixture("broken.toml").to_str().unwrap_or_default(),
        "broken.toml",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_prod_service_map_as_mermaid() {
    insta::assert_snapshot!(whole(&run_in(&repo(), &["graph", "--env", "prod"])));
}

#[test]
fn the_dev_service_map_as_dot() {
    insta::assert_snapshot!(whole(&run_in(
        &repo(),
        &["graph", "--env", "dev", "--format", "dot"]
    )));
}

#[test]
fn the_differences_between_dev_and_prod() {
    insta::assert_snapshot!(whole(&run_in(&repo(), &["diff-env", "dev", "prod"])));
}

#[test]
fn diff_env_groups_differences_by_component_and_ignores_environment_names() {
    let out = run_in(
        &repo(),
        &["diff-env", "staging", "prod", "--format", "json"],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let doc = json(&out);
    let components = doc["components"].as_array().expect("components");
    let settings = |module: &str| -> Vec<(String, String, String)> {
        components
            .iter()
            .find(|c| c["module"] == module)
            .map(|c| {
                c["settings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        (
                            s["setting"].as_str().unwrap_or_default().to_string(),
                            s["a"].as_str().unwrap_or_default().to_string(),
                            s["b"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        settings("function_payment"),
        [
            (
                "memory_size".to_string(),
                "512".to_string(),
                "1024".to_string()
            ),
            (
                "reserved_concurrent_executions".into(),
                "50".into(),
                "200".into()
            ),
        ]
    );
    assert_eq!(
        settings("tracing"),
        [
            (
                "default_fixed_rate".to_string(),
                "0.5".to_string(),
                "0.05".to_string()
            ),
            ("default_reservoir_size".into(), "1".into(), "5".into()),
        ]
    );
    // Names differ only by the environment, which is not a difference.
    let modules: Vec<&str> = components
        .iter()
        .filter_map(|c| c["module"].as_str())
        .collect();
    assert_eq!(
        modules,
        ["function_checkout", "function_payment", "tracing"]
    );
    let same = run_in(&repo(), &["diff-env", "prod", "prod"]);
    assert!(
        same.stdout
            .ends_with("`prod` and `prod` have the same settings\n"),
        "{}",
        same.stdout
    );
}

#[test]
fn the_prod_service_map_in_the_docs_is_current() {
    let out = run_in(&repo(), &["graph", "--env", "prod"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let docs = std::fs::read_to_string(repo().join("docs/tracing.md")).expect("docs/tracing.md");
    let block = format!("```mermaid\n{}```", out.stdout);
    assert!(
        docs.contains(&block),
        "docs/tracing.md's prod map is stale; replace its mermaid block with the output of `stackform graph --env prod`"
    );
}

#[test]
fn svg_without_graphviz_says_what_to_install() {
    // An empty PATH hides `dot` whether or not this machine has graphviz.
    let empty = tempfile::tempdir().expect("temporary directory");
    let out = run_with(
        &repo(),
        &["graph", "--env", "prod", "--format", "svg"],
        &[("PATH", empty.path().to_str().expect("utf-8 path"))],
    );
    assert_eq!(out.status, 1);
    assert_eq!(
        out.stderr.trim(),
        "stackform: error: `--format svg` needs graphviz's `dot` on PATH, and it was not found; install graphviz (`apt-get install graphviz`, `brew install graphviz`), or use `--format dot` and render the file elsewhere"
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn svg_is_drawn_by_graphviz_when_it_is_installed() {
    let has_dot = Command::new("dot").arg("-V").output().is_ok();
    let out = run_in(&repo(), &["graph", "--env", "prod", "--format", "svg"]);
    if has_dot {
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert!(out.stdout.contains("<svg"), "{}", out.stdout);
        assert!(out.stdout.contains("POST /checkout"), "routes are drawn");
    } else {
        assert_eq!(out.status, 1);
        assert!(
            out.stderr.contains("needs graphviz's `dot` on PATH"),
            "{}",
            out.stderr
        );
    }
}

/// The parts of a tracing report that must not depend on how the environment was read.
fn matrix_parts(env: &Value) -> Value {
    serde_json::json!({
        "components": env["components"],
        "routes": env["routes"],
        "sampling_rules": env["sampling_rules"],
        "groups": env["groups"],
        "broken_traces": env["broken_traces"],
        "policy": env["policy"],
        "cost": env["cost"],
    })
}

#[test]
fn a_plan_gives_the_same_matrix_as_the_hcl_it_was_made_from() {
    for env in ["prod", "staging", "dev"] {
        let plan = replica::plan(&repo(), env);
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("plan.json");
        std::fs::write(&file, plan.to_string()).expect("write plan");
        let from_plan = run_in(
            &repo(),
            &[
                "tracing",
                "--plan",
                file.to_str().expect("utf-8"),
                "--env",
                env,
                "--format",
                "json",
            ],
        );
        assert_eq!(from_plan.status, 0, "{env}: {}", from_plan.stderr);
        let from_hcl = run_in(&repo(), &["tracing", "--env", env, "--format", "json"]);
        assert_eq!(from_hcl.status, 0, "{env}: {}", from_hcl.stderr);
        let (p, h) = (json(&from_plan), json(&from_hcl));
        assert_eq!(p["environments"][0]["source"]["kind"], "plan");
        assert_eq!(
            matrix_parts(&p["environments"][0]),
            matrix_parts(&h["environments"][0]),
            "{env}: the plan and the HCL disagree"
        );
    }
}

#[test]
fn a_plan_that_turns_tracing_off_in_a_required_environment_fails_the_policy() {
    let t = rendered();
    edit(
        &t,
        "environments/prod/main.tf",
        "checkout_tracing_enabled = true",
        "checkout_tracing_enabled = false",
    );
    let plan = replica::plan(t.path(), "prod");
    let t = t.file("plan.json", &plan.to_string()).args([
        "tracing",
        "--plan",
        "plan.json",
        "--env",
        "prod",
    ]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert!(
        out.stderr.starts_with("error: module.state_machines.aws_sfn_state_machine.checkout: state machine `checkout` is not traced: its tracing is off\n"),
        "{}",
        out.stderr
    );
    // Without --env nobody knows which policy applies; the matrix is still shown.
    let t = t.args(["tracing", "--plan", "plan.json"]);
    let out = t.run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("broken traces: 3\n  - untraced-caller: function `cart` is traced (Active) but its caller, state machine `checkout`, is not"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_summary_fixtures_read_as_plans() {
    let dir = repo().join("tests/fixtures/plans");
    let mut plans: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    plans.sort();
    assert!(plans.len() > 20, "only {} plans", plans.len());
    for plan in &plans {
        let out = run_in(
            &repo(),
            &[
                "tracing",
                "--plan",
                plan.to_str().expect("utf-8"),
                "--format",
                "json",
            ],
        );
        assert_eq!(out.status, 0, "{}: {}", plan.display(), out.stderr);
        let doc = json(&out);
        let components = doc["environments"][0]["components"]
            .as_array()
            .map_or(0, Vec::len);
        let name = plan
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let env = &doc["environments"][0];
        assert_eq!(env["source"]["kind"], "plan", "{name}");
        // One creates a Lambda function without `tracing_config`, which AWS decides at
        // apply; another deletes a state machine, which will then not exist.
        if name.ends_with("issue_522_plan.out.json") {
            let f = component(env, "function", "lambda");
            assert_eq!(feature(f, "lambda_mode"), "unknown");
            assert_eq!(components, 1);
        }
        if name.ends_with("tf-plan-destroy.json") {
            assert_eq!(components, 0, "{name}: {doc:#}");
        }
    }
}

#[test]
fn a_binary_plan_needs_terraform_and_non_json_is_explained() {
    let t = Test::new()
        .file("plan.bin", "PK\u{3}\u{4}not really a zip")
        .args([
            "tracing",
            "--plan",
            "plan.bin",
            "--terraform-bin",
            "/nonexistent/terraform",
        ]);
    let out = t.run();
    assert_eq!(out.status, 1);
    assert!(
        out.stderr.contains("`plan.bin` is a binary plan file: `--terraform-bin /nonexistent/terraform` is not an executable file or a command on `PATH`"),
        "{}",
        out.stderr
    );
    let t = t
        .file("plan.txt", "Plan: 1 to add")
        .args(["tracing", "--plan", "plan.txt"]);
    let out = t.run();
    assert_eq!(out.status, 1);
    // A note about the missing stack.toml may come first.
    assert!(
        out.stderr.lines().any(|l| l.starts_with(
            "stackform: error: cannot read the plan `plan.txt`: it is not one JSON document"
        )),
        "{}",
        out.stderr
    );
}

/// A binary plan is read as `stackform summary` reads one: `terraform show -json` runs in the
/// root the plan belongs to (the nearest folder with `.terraform`), not next to the file.
#[cfg(unix)]
#[test]
fn a_binary_plan_is_shown_from_its_root_like_summary_does() {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::new()
        .file("root/.terraform/marker", "")
        .file("root/plans/plan.bin", "PK\u{3}\u{4}not really a zip")
        .file(
            "fake-terraform",
            "#!/bin/sh\nif [ -d .terraform ]; then echo '{\"format_version\":\"1.2\",\"resource_changes\":[]}'; else echo 'no .terraform here' >&2; exit 1; fi\n",
        );
    let bin = t.path().join("fake-terraform");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let t = t.args([
        "tracing",
        "--plan",
        "root/plans/plan.bin",
        "--terraform-bin",
        bin.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    let out = t.run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(json(&out)["environments"][0]["source"]["kind"], "plan");
}

/// Real `terraform plan` documents of rendered roots, made offline.
///
/// The AWS provider cannot be installed here, so every `resource` and `data` block becomes a
/// built-in `terraform_data` whose `input` holds its arguments (nested blocks as lists of
/// objects, `dynamic` blocks as `for` expressions) and every reference to one becomes its
/// unknown `id`. Terraform then evaluates variables, module calls, `count` and `for_each`
/// itself, and the plan is turned back into the AWS types, as the provider would show it with
/// every computed attribute unknown.
mod replica {
    use std::path::Path;

    use hcl::expr::{Expression, ForExpr, FuncCall, Object, ObjectKey};
    use hcl::structure::Structure;
    use hcl::{Block, Body, Identifier};
    use serde_json::Value;

    use crate::support::terraform;

    const DROP: &[&str] = &[
        "depends_on",
        "provider",
        "lifecycle",
        "provisioner",
        "connection",
    ];

    fn ident(s: &str) -> Identifier {
        Identifier::sanitized(s)
    }

    fn object(body: &Body) -> Expression {
        let mut items: Object<ObjectKey, Expression> = Object::new();
        let mut groups: Vec<(String, Vec<Expression>)> = Vec::new();
        let mut add =
            |name: String, part: Expression| match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, parts)) => parts.push(part),
                None => groups.push((name, vec![part])),
            };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) if ["count", "for_each"].contains(&a.key()) => {}
                Structure::Attribute(a) if DROP.contains(&a.key()) => {}
                Structure::Attribute(a) => {
                    items.insert(ObjectKey::Identifier(ident(a.key())), a.expr().clone());
                }
                Structure::Block(b) if DROP.contains(&b.identifier()) => {}
                Structure::Block(b) if b.identifier() == "dynamic" => {
                    let name = b.labels()[0].as_str().to_string();
                    let attr = |k: &str| {
                        b.body().iter().find_map(|s| match s {
                            Structure::Attribute(a) if a.key() == k => Some(a.expr().clone()),
                            _ => None,
                        })
                    };
                    let iterator = match attr("iterator") {
                        Some(Expression::Variable(v)) => v.to_string(),
                        _ => name.clone(),
                    };
                    let content = b
                        .body()
                        .iter()
                        .find_map(|s| match s {
                            Structure::Block(c) if c.identifier() == "content" => {
                                Some(c.body().clone())
                            }
                            _ => None,
                        })
                        .unwrap_or_default();
                    // `[for it in [for k, v in FOR_EACH : { key = k, value = v }] : CONTENT]`
                    // keeps `it.key` and `it.value` meaning what they mean in the block.
                    let mut pair: Object<ObjectKey, Expression> = Object::new();
                    pair.insert(
                        ObjectKey::Identifier(ident("key")),
                        Expression::Variable(hcl::expr::Variable::sanitized("k")),
                    );
                    pair.insert(
                        ObjectKey::Identifier(ident("value")),
                        Expression::Variable(hcl::expr::Variable::sanitized("v")),
                    );
                    let pairs = ForExpr::new(
                        ident("v"),
                        Expression::Parenthesis(Box::new(
                            attr("for_each").unwrap_or(Expression::Array(vec![])),
                        )),
                        Expression::Object(pair),
                    )
                    .with_key_var(ident("k"));
                    let items =
                        ForExpr::new(ident(&iterator), Expression::from(pairs), object(&content));
                    add(name, Expression::from(items));
                }
                Structure::Block(b) => add(
                    b.identifier().to_string(),
                    Expression::Array(vec![object(b.body())]),
                ),
            }
        }
        for (name, mut parts) in groups {
            let value = if parts.len() == 1 {
                parts.remove(0)
            } else {
                let mut call = FuncCall::builder("concat");
                for p in parts {
                    call = call.arg(p);
                }
                Expression::from(call.build())
            };
            items.insert(ObjectKey::Identifier(ident(&name)), value);
        }
        Expression::Object(items)
    }

    fn convert(body: Body) -> Body {
        let mut out = Body::builder();
        for s in body.into_inner() {
            let Structure::Block(b) = s else {
                continue;
            };
            match b.identifier() {
                kind @ ("resource" | "data") => {
                    let (t, n) = (b.labels()[0].as_str(), b.labels()[1].as_str());
                    let name = if kind == "data" {
                        format!("data__{t}__{n}")
                    } else {
                        format!("{t}__{n}")
                    };
                    let mut block = Block::builder("resource")
                        .add_label("terraform_data")
                        .add_label(name);
                    for s in b.body().iter() {
                        if let Structure::Attribute(a) = s
                            && ["count", "for_each"].contains(&a.key())
                        {
                            block = block.add_attribute(a.clone());
                        }
                    }
                    out = out.add_block(block.add_attribute(("input", object(b.body()))).build());
                }
                "module" | "output" | "variable" | "locals" => out = out.add_block(b),
                _ => {}
            }
        }
        out.build()
    }

    fn word(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    /// `aws_x.n[0].arn.y` and `data.aws_x.n.json` become `terraform_data.aws_x__n[0].id`.
    fn references(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        let starts = |i: usize, s: &str| chars[i..].iter().take(s.len()).copied().eq(s.chars());
        while i < chars.len() {
            let boundary = i == 0 || !(word(chars[i - 1]) || chars[i - 1] == '.');
            let data = starts(i, "data.aws_");
            if boundary && (data || starts(i, "aws_")) {
                let mut j = if data { i + 5 } else { i };
                let t0 = j;
                while j < chars.len() && word(chars[j]) {
                    j += 1;
                }
                let t: String = chars[t0..j].iter().collect();
                if j < chars.len() && chars[j] == '.' && j + 1 < chars.len() && word(chars[j + 1]) {
                    j += 1;
                    let n0 = j;
                    while j < chars.len() && word(chars[j]) {
                        j += 1;
                    }
                    let n: String = chars[n0..j].iter().collect();
                    let mut index = String::new();
                    while j < chars.len() && chars[j] == '[' {
                        let close = chars[j..]
                            .iter()
                            .position(|c| *c == ']')
                            .map_or(chars.len(), |p| j + p + 1);
                        index.extend(&chars[j..close]);
                        j = close;
                    }
                    // The rest of the traversal names a computed attribute: all of it is the id.
                    while j < chars.len() && (chars[j] == '.' || chars[j] == '[') {
                        if chars[j] == '.' {
                            j += 1;
                            while j < chars.len() && (word(chars[j]) || chars[j] == '*') {
                                j += 1;
                            }
                        } else {
                            j = chars[j..]
                                .iter()
                                .position(|c| *c == ']')
                                .map_or(chars.len(), |p| j + p + 1);
                        }
                    }
                    let prefix = if data { "data__" } else { "" };
                    out.push_str(&format!("terraform_data.{prefix}{t}__{n}{index}.id"));
                    i = j;
                    continue;
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }

    fn copy(from: &Path, to: &Path, name: &str) {
        let text = std::fs::read_to_string(from.join(name)).expect("read rendered file");
        let body: Body = hcl::parse(&text).expect("rendered HCL parses");
        let converted = references(&hcl::format::to_string(&convert(body)).expect("format"));
        std::fs::create_dir_all(to).expect("create folder");
        std::fs::write(to.join(name), converted).expect("write replica");
    }

    /// `terraform_data.aws_x__n` and its values back as the AWS resource they stand for.
    fn restore(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("terraform_data")
                    && let Some(name) = map.get("name").and_then(Value::as_str).map(str::to_string)
                {
                    let (data, rest) = match name.strip_prefix("data__") {
                        Some(rest) => (true, rest.to_string()),
                        None => (false, name.clone()),
                    };
                    if let Some((t, n)) = rest.split_once("__") {
                        let local = if data {
                            format!("data.{t}.{n}")
                        } else {
                            format!("{t}.{n}")
                        };
                        map.insert("type".into(), Value::from(t));
                        map.insert("name".into(), Value::from(n));
                        map.insert(
                            "mode".into(),
                            Value::from(if data { "data" } else { "managed" }),
                        );
                        if let Some(address) = map.get("address").and_then(Value::as_str) {
                            let address =
                                address.replacen(&format!("terraform_data.{name}"), &local, 1);
                            map.insert("address".into(), Value::from(address));
                        }
                        for key in ["values", "after", "before"] {
                            if let Some(inner) = map.get_mut(key).map(|x| x["input"].take()) {
                                map.insert(key.into(), inner);
                            }
                        }
                        if let Some(change) = map.get_mut("change") {
                            for key in [
                                "after",
                                "before",
                                "after_unknown",
                                "before_sensitive",
                                "after_sensitive",
                            ] {
                                if let Some(x) = change.get_mut(key) {
                                    let inner = if x.is_object() {
                                        x["input"].take()
                                    } else {
                                        x.take()
                                    };
                                    change[key] = inner;
                                }
                            }
                            if data {
                                change["actions"] = serde_json::json!(["read"]);
                            }
                        }
                    }
                }
                for (k, x) in map.iter_mut() {
                    if k == "references" {
                        for r in x.as_array_mut().into_iter().flatten() {
                            if let Some(s) = r.as_str() {
                                *r = Value::from(restore_reference(s));
                            }
                        }
                    } else {
                        restore(x);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(restore),
            _ => {}
        }
    }

    fn restore_reference(s: &str) -> String {
        let Some(rest) = s.strip_prefix("terraform_data.") else {
            return s.to_string();
        };
        let (data, rest) = match rest.strip_prefix("data__") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        match rest.split_once("__") {
            Some((t, n)) if data => format!("data.{t}.{n}"),
            Some((t, n)) => format!("{t}.{n}"),
            None => s.to_string(),
        }
    }

    /// The plan JSON of `environments/<env>` under `rendered`.
    pub fn plan(rendered: &Path, env: &str) -> Value {
        let out = tempfile::tempdir().expect("temporary directory");
        let root = format!("environments/{env}");
        for name in ["main.tf", "outputs.tf"] {
            copy(&rendered.join(&root), &out.path().join(&root), name);
        }
        for module in std::fs::read_dir(rendered.join("modules"))
            .expect("modules")
            .flatten()
        {
            let to = out.path().join("modules").join(module.file_name());
            for name in ["main.tf", "variables.tf", "outputs.tf"] {
                copy(&module.path(), &to, name);
            }
        }
        let dir = out.path().join(&root);
        for args in [
            &["init", "-input=false", "-no-color"][..],
            &["plan", "-input=false", "-no-color", "-out=plan.bin"][..],
        ] {
            let run = terraform(&dir, args);
            assert!(
                run.status.success(),
                "terraform {args:?} failed on the replica of {env}:\n{}{}",
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            );
        }
        let show = terraform(&dir, &["show", "-json", "plan.bin"]);
        assert!(
            show.status.success(),
            "{}",
            String::from_utf8_lossy(&show.stderr)
        );
        let mut doc: Value = serde_json::from_slice(&show.stdout).expect("plan JSON");
        restore(&mut doc);
        doc
    }
}
