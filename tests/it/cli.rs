//! The command line as a user meets it: bad input of every class, and `gen` writing, checking,
//! refusing and cleaning up.

use crate::support::{Test, default_stack};

/// The default model with one edit; panics if the edit does not apply, so tests cannot go stale.
fn edited(from: &str, to: &str) -> String {
    let stack = default_stack();
    assert!(
        stack.contains(from),
        "stack.toml no longer contains {from:?}"
    );
    stack.replacen(from, to, 1)
}

/// Runs `gen --all` on a broken model and checks it failed, wrote nothing and said why.
fn rejects(stack: &str, expected: &[&str]) -> String {
    let t = Test::new().file("stack.toml", stack).args(["gen", "--all"]);
    let out = t.run();
    assert_eq!(out.status, 1, "stderr: {}", out.stderr);
    for e in expected {
        assert!(out.stderr.contains(e), "expected {e:?} in:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert_eq!(
        t.tree().len(),
        1,
        "only stack.toml may exist: {:?}",
        t.tree().iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    out.stderr
}

#[test]
fn toml_syntax_errors_are_located() {
    let stack = edited("memory = 512\ntimeout = 30", "memory = 512\ntimeout = = 30");
    let line = stack
        .lines()
        .position(|l| l.contains("timeout = = 30"))
        .map(|n| n + 1);
    let err = rejects(&stack, &["invalid TOML"]);
    assert!(
        err.contains(&format!("stack.toml:{}:", line.unwrap_or(0))),
        "{err}"
    );
}

#[test]
fn unknown_keys_name_the_key_path_and_suggest_the_known_one() {
    rejects(
        &edited("memory = 512\ntimeout = 30", "memroy = 512\ntimeout = 30"),
        &[
            "unknown key `functions.payment.memroy`",
            "did you mean `memory`?",
        ],
    );
    rejects(
        &edited("[dashboard]", "[dashbord]"),
        &["unknown key `dashbord`"],
    );
}

#[test]
fn wrong_types_say_what_was_expected() {
    rejects(
        &edited(
            "memory = 512\ntimeout = 30",
            "memory = \"512\"\ntimeout = 30",
        ),
        &["`functions.payment.memory` must be an integer, got string"],
    );
    rejects(
        &edited("api_tracing = true", "api_tracing = \"yes\""),
        &["`defaults.api_tracing` must be a boolean"],
    );
}

#[test]
fn out_of_range_values_give_the_limits() {
    let stack = edited("memory = 512\ntimeout = 30", "memory = 64\ntimeout = 30");
    let line = stack
        .lines()
        .position(|l| l == "memory = 64")
        .map_or(0, |n| n + 1);
    rejects(
        &stack,
        &[&format!(
            "stack.toml:{line}:10: `functions.payment.memory` must be between 128 and 10240, got 64"
        )],
    );
    rejects(
        &edited("sampling_rate = 0.5", "sampling_rate = 1.5"),
        &["`environments.staging.sampling_rate` must be between 0 and 1, got 1.5"],
    );
    rejects(
        &edited("log_retention_days = 365", "log_retention_days = 100"),
        &["must be a retention CloudWatch Logs accepts, got 100"],
    );
}

#[test]
fn names_that_break_aws_limits_are_rejected() {
    let long = "a_function_whose_key_is_much_too_long_for_lambda_x";
    let stack = format!(
        "{}\n[functions.{long}]\nhandler = \"x.handler\"\npackage = \"functions/x.zip\"\n",
        default_stack()
    );
    rejects(&stack, &["makes the Lambda function name", "AWS allows 64"]);
    rejects(
        &edited("name = \"e-com67\"", "name = \"E_Com67\""),
        &["`stack.name` \"E_Com67\" is not allowed"],
    );
    rejects(
        &edited("[tables.users]", "[tables.Users]"),
        &["table name `tables.Users` is not allowed"],
    );
}

#[test]
fn duplicates_are_rejected() {
    let stack = edited(
        "[[api.routes]]\nmethod = \"DELETE\"\npath = \"/cart\"",
        "[[api.routes]]\nmethod = \"POST\"\npath = \"/cart\"",
    );
    rejects(&stack, &["repeats the route POST /cart"]);
    rejects(
        &edited(
            "hash_key = \"user_id\"\n",
            "hash_key = \"user_id\"\nhash_key = \"id\"\n",
        ),
        &["invalid TOML", "duplicate key"],
    );
}

#[test]
fn dangling_references_list_what_exists() {
    rejects(
        &edited(
            "tables = { orders = \"read\" }",
            "tables = { order = \"read\" }",
        ),
        &[
            "`functions.orders.tables.order` refers to table `order`, which does not exist",
            "did you mean `orders`?",
        ],
    );
    rejects(
        &edited("function = \"search\"", "function = \"serch\""),
        &["refers to function `serch`, which does not exist"],
    );
    rejects(
        &edited(
            "consumer = \"order_processor\"",
            "consumer = \"fulfilment\"",
        ),
        &["`queues.orders.consumer` refers to function `fulfilment`"],
    );
    rejects(
        &edited(
            "[environments.prod.functions.checkout]",
            "[environments.prod.functions.checkuot]",
        ),
        &["overrides a function that does not exist"],
    );
}

#[test]
fn tracing_aws_cannot_do_is_rejected() {
    rejects(
        &edited("type = \"rest\"", "type = \"http\""),
        &["X-Ray cannot trace an HTTP API", "use `type = \"rest\"`"],
    );
    rejects(
        &edited(
            "max_receive_count = 5\n",
            "max_receive_count = 5\ntracing = true\n",
        ),
        &[
            "`queues.orders.tracing`: SQS has no tracing switch",
            "AWSTraceHeader",
        ],
    );
    rejects(
        &edited(
            "lambda_tracing = \"PassThrough\"",
            "lambda_tracing = \"Passthrough\"",
        ),
        &["must be one of \"Active\", \"PassThrough\""],
    );
}

#[test]
fn keys_that_shape_shared_modules_cannot_vary_per_environment() {
    rejects(
        &edited(
            "[environments.prod.functions.checkout]\n",
            "[environments.prod.functions.checkout]\nhandler = \"x.y\"\n",
        ),
        &["`environments.prod.functions.checkout.handler` cannot vary per environment"],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let stack = edited("memory = 512\ntimeout = 30", "memory = 64\ntimeout = 9000")
        .replacen(
            "tables = { orders = \"read\" }",
            "tables = { order = \"read\" }",
            1,
        )
        .replacen("sampling_rate = 0.5", "sampling_rate = 2", 1);
    let err = rejects(&stack, &["4 problems in stack.toml"]);
    insta::assert_snapshot!(err);
}

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    let out = Test::new().args(["gen", "--env", "qa"]).run();
    assert_eq!(out.status, 1);
    assert!(
        out.stderr.contains(
            "unknown environment `qa`; the built-in E-Com67 model declares `dev`, `staging`, `prod`"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("note: no `stack.toml` here; using the built-in E-Com67 model"),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_reports_a_good_model_and_fails_a_bad_one() {
    let ok = Test::new().args(["validate"]).run();
    assert_eq!(ok.status, 0, "{}", ok.stderr);
    assert!(
        ok.stdout
            .contains("3 environments (dev, staging, prod), 7 functions, 5 tables"),
        "{}",
        ok.stdout
    );
    let bad = Test::new()
        .file(
            "stack.toml",
            &edited("memory = 512\ntimeout = 30", "memory = 64\ntimeout = 30"),
        )
        .args(["validate"])
        .run();
    assert_eq!(bad.status, 1);
    assert!(bad.stderr.contains("must be between 128 and 10240"));
}

#[test]
fn gen_env_writes_the_modules_and_that_environment_only() {
    let t = Test::new().args(["gen", "--env", "prod"]);
    let out = t.run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let paths: Vec<String> = t.tree().into_iter().map(|(p, _)| p).collect();
    assert!(paths.contains(&"environments/prod/main.tf".to_string()));
    assert!(paths.contains(&"modules/function/main.tf".to_string()));
    assert!(
        !paths.iter().any(|p| p.starts_with("environments/dev")),
        "{paths:?}"
    );
    for (path, contents) in t.tree() {
        assert!(
            contents.starts_with("# Code generated by stackform from stack.toml; DO NOT EDIT.")
                || contents.starts_with(
                    "<!-- Code generated by stackform from stack.toml; DO NOT EDIT. -->"
                ),
            "{path} lacks the header"
        );
    }
    let again = t.run();
    assert!(
        again.stdout.contains("0 written, 0 removed"),
        "{}",
        again.stdout
    );
}

#[test]
fn check_shows_a_diff_and_the_fixing_command_and_writes_nothing() {
    let t = Test::new().args(["gen", "--all"]);
    assert_eq!(t.run().status, 0);
    let check = |t: &Test| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackform"))
            .args(["gen", "--all", "--check"])
            .current_dir(t.path())
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (status, stdout, _) = check(&t);
    assert_eq!(status, Some(0), "{stdout}");

    std::fs::write(
        t.path().join("stack.toml"),
        edited("memory = 1024", "memory = 2048"),
    )
    .expect("write");
    std::fs::remove_file(t.path().join("environments/dev/outputs.tf")).expect("remove");
    std::fs::write(
        t.path().join("modules/function/extra.tf"),
        crate::support::stamped("# old\n"),
    )
    .expect("write");
    let before = t.tree();
    let (status, stdout, stderr) = check(&t);
    assert_eq!(status, Some(1));
    assert!(
        stdout.contains("--- a/environments/prod/main.tf\n+++ b/environments/prod/main.tf"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-  memory_size                    = 1024")
            || stdout.contains("-  memory_size = 1024"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- /dev/null\n+++ b/environments/dev/outputs.tf"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- a/modules/function/extra.tf\n+++ /dev/null"),
        "{stdout}"
    );
    assert!(
        stderr.contains("run `stackform gen --all` to update them"),
        "{stderr}"
    );
    assert_eq!(t.tree(), before, "--check must not write");
}

#[test]
fn gen_refuses_to_overwrite_hand_edits_and_foreign_files_unless_forced() {
    let t = Test::new().args(["gen", "--env", "dev"]);
    assert_eq!(t.run().status, 0);
    let main = t.path().join("environments/dev/main.tf");
    let edited_text = std::fs::read_to_string(&main)
        .expect("read")
        .replace("\"PassThrough\"", "\"Active\"");
    std::fs::write(&main, &edited_text).expect("write");
    std::fs::write(
        t.path().join("environments/dev/outputs.tf"),
        "output \"mine\" {\n  value = 1\n}\n",
    )
    .expect("write");
    std::fs::write(
        t.path().join("stack.toml"),
        edited("memory = 1024", "memory = 2048"),
    )
    .expect("write");
    let before = t.tree();
    let out = t.run();
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains("`environments/dev/main.tf` edited by hand since it was generated"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("`environments/dev/outputs.tf` has no stackform header"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was written"));
    assert_eq!(t.tree(), before);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackform"))
        .args(["gen", "--env", "dev", "--force"])
        .current_dir(t.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let now = std::fs::read_to_string(&main).expect("read");
    assert!(
        !now.contains("tracing_mode                   = \"Active\"")
            && now.contains("\"PassThrough\"")
    );
}

#[test]
fn orphans_are_removed_only_when_generated() {
    let t = Test::new().args(["gen", "--all"]);
    assert_eq!(t.run().status, 0);
    std::fs::write(t.path().join("modules/function/notes.tf"), "# my notes\n").expect("write");
    let without_layer = edited("xray_sdk_layer = true", "xray_sdk_layer = false");
    let start = without_layer
        .find("[xray.sdk_layer]")
        .expect("layer section");
    std::fs::write(t.path().join("stack.toml"), &without_layer[..start]).expect("write");
    let out = t.run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("removed modules/xray_sdk_layer/main.tf"),
        "{}",
        out.stdout
    );
    assert!(
        !t.path().join("modules/xray_sdk_layer").exists(),
        "emptied directory stays"
    );
    assert!(
        t.path().join("modules/function/notes.tf").exists(),
        "a foreign file was removed"
    );
}

#[test]
fn init_writes_the_model_once() {
    let t = Test::new().args(["init"]);
    let out = t.run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(t.path().join("stack.toml")).expect("read"),
        default_stack()
    );
    let again = t.run();
    assert_eq!(again.status, 1);
    assert!(again.stderr.contains("already exists"));
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let out = Test::new()
        .file("stack.toml", &format!("\u{feff}{}", default_stack()))
        .args(["validate"])
        .run();
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[test]
fn a_missing_stack_file_is_a_clear_error() {
    let out = Test::new()
        .args(["gen", "--all", "--stack", "nope.toml"])
        .run();
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains("cannot read the stack model `nope.toml`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // `stackform diff-env dev prod | head -1`: the reader goes away before the writer is done.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stackform"))
        .args(["diff-env", "dev", "prod"])
        .current_dir(crate::support::repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run stackform");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn generated_files_are_ordinary_shared_files() {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::new().args(["gen", "--env", "dev"]);
    assert_eq!(t.run().status, 0);
    let mode = |p: &str| {
        std::fs::metadata(t.path().join(p))
            .expect("generated file")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("environments/dev/main.tf"), 0o644);
    // A file the user made group-writable keeps its mode when regenerated.
    let main = t.path().join("environments/dev/main.tf");
    std::fs::set_permissions(&main, std::fs::Permissions::from_mode(0o664)).expect("chmod");
    let before = std::fs::read_to_string(&main).expect("read");
    let stack = edited(
        "memory = 256\ntimeout = 10\nreserved_concurrency = 50\ntables = { products = \"read-write\" }",
        "memory = 384\ntimeout = 10\nreserved_concurrency = 50\ntables = { products = \"read-write\" }",
    );
    std::fs::write(t.path().join("stack.toml"), stack).expect("write");
    assert_eq!(t.run().status, 0);
    assert_ne!(
        std::fs::read_to_string(&main).expect("read"),
        before,
        "main.tf was rewritten"
    );
    assert_eq!(mode("environments/dev/main.tf"), 0o664);
}

#[test]
fn usage_errors_exit_1_not_2_which_plan_uses_for_changes() {
    let out = Test::new()
        .args(["plan", "--dir", ".", "--formt", "markdown"])
        .run();
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("a similar argument exists: '--format'"),
        "{}",
        out.stderr
    );
    let help = Test::new().args(["gen", "--help"]).run();
    assert_eq!(help.status, 0);
}

#[test]
fn plan_from_a_subfolder_of_the_project_points_at_the_project() {
    let t = Test::new()
        .file("stack.toml", &default_stack())
        .file("infra/notes.md", "notes\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackform"))
        .args(["plan", "--env", "dev"])
        .current_dir(t.path().join("infra"))
        .output()
        .expect("run stackform");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is inside the stackform project in"),
        "{stderr}"
    );
    assert!(
        !t.path().join("infra/environments").exists(),
        "nothing written in the subfolder"
    );
}
