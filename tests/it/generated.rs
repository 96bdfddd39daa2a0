//! The rendered HCL itself: what `terraform fmt` would write, parseable, deterministic, golden,
//! and equal to what the repository commits.

use crate::support::{Test, repo, terraform};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/stacks").join(name)).expect("fixture stack")
}

/// Renders a stack (the default one when `None`) into a fresh directory.
pub fn rendered(stack: Option<&str>) -> Test {
    let mut t = Test::new().args(["gen", "--all"]);
    if let Some(stack) = stack {
        t = t.file("stack.toml", stack);
    }
    let out = t.run();
    assert_eq!(out.status, 0, "gen failed: {}", out.stderr);
    t
}

#[test]
fn the_committed_modules_and_environments_equal_a_fresh_render() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackform"))
        .args(["gen", "--all", "--check"])
        .current_dir(repo())
        .output()
        .expect("run stackform");
    assert!(
        out.status.success(),
        "the committed HCL is stale; run `cargo run -- gen --all`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tf_files = crate::support::files_under(&repo().join("environments")).len();
    assert!(
        tf_files >= 15,
        "expected three committed roots, found {tf_files} files"
    );
}

#[test]
fn rendered_hcl_is_exactly_what_terraform_fmt_writes() {
    for stack in [None, Some(fixture("small.toml"))] {
        let t = rendered(stack.as_deref());
        let out = terraform(t.path(), &["fmt", "-check", "-diff", "-recursive", "."]);
        assert!(
            out.status.success(),
            "terraform fmt would change these files:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_rendered_file_parses_back_with_hcl_rs() {
    let t = rendered(None);
    let mut parsed = 0;
    for (path, contents) in t.tree() {
        if !path.ends_with(".tf") {
            continue;
        }
        let body: hcl::Body =
            hcl::parse(&contents).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        assert!(body.iter().next().is_some(), "{path} is empty");
        // Printing the parsed body and parsing it again gives the same structure.
        let again: hcl::Body =
            hcl::parse(&hcl::format::to_string(&body).expect("format")).expect("reparse");
        assert_eq!(body, again, "{path} does not round-trip");
        parsed += 1;
    }
    assert!(parsed > 40, "only {parsed} .tf files rendered");
}

#[test]
fn rendering_is_deterministic() {
    let a = rendered(None).tree();
    let b = rendered(None).tree();
    assert_eq!(a, b);
}

#[test]
fn golden_render_of_the_small_stack() {
    let t = rendered(Some(&fixture("small.toml")));
    let mut all = String::new();
    for (path, contents) in t.tree() {
        if path == "stack.toml" {
            continue;
        }
        all.push_str(&format!("==== {path} ====\n{contents}"));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn tracing_toggles_reach_each_environment_as_literals() {
    let t = rendered(None);
    let main = |env: &str| {
        std::fs::read_to_string(t.path().join(format!("environments/{env}/main.tf")))
            .expect("main.tf")
    };
    let (dev, prod) = (main("dev"), main("prod"));
    let count = |text: &str, needle: &str| text.matches(needle).count();
    assert_eq!(
        count(&prod, "\"Active\""),
        7,
        "every prod function is Active"
    );
    assert_eq!(
        count(&dev, "\"PassThrough\""),
        7,
        "every dev function passes through"
    );
    assert!(
        prod.contains("xray_tracing_enabled   = true")
            || prod.contains("xray_tracing_enabled = true")
    );
    assert!(dev.contains("checkout_tracing_enabled = false"));
    assert_eq!(count(&prod, "contributor_insights   = true"), 5);
    assert!(prod.contains("default_fixed_rate     = 0.05"), "{prod}");
    let staging = main("staging");
    assert!(staging.contains("default_fixed_rate     = 0.5"));
    // Active tracing grants the X-Ray actions through the module; PassThrough does not.
    let function =
        std::fs::read_to_string(t.path().join("modules/function/main.tf")).expect("module");
    assert!(
        function.contains("for_each = var.tracing_mode == \"Active\" ? [1] : []"),
        "{function}"
    );
    assert!(function.contains("\"xray:PutTraceSegments\""));
}

/// `api_cloudwatch_role` reaches only the environment that sets it, and the module creates the
/// role and the account setting only there.
#[test]
fn the_api_logging_role_is_managed_only_where_the_model_says() {
    let stack = crate::support::default_stack().replace(
        "[environments.prod]\n",
        "[environments.prod]\napi_cloudwatch_role = true\n",
    );
    let t = rendered(Some(&stack));
    let main = |env: &str| {
        std::fs::read_to_string(t.path().join(format!("environments/{env}/main.tf")))
            .expect("main.tf")
    };
    assert!(main("prod").contains("manage_cloudwatch_role = true"));
    assert!(!main("dev").contains("manage_cloudwatch_role"));
    let api = std::fs::read_to_string(t.path().join("modules/api/main.tf")).expect("module");
    assert!(api.contains("resource \"aws_api_gateway_account\" \"this\""));
    assert!(
        api.contains("count               = var.manage_cloudwatch_role ? 1 : 0"),
        "{api}"
    );
    assert_eq!(
        api.matches("depends_on = [\n    aws_api_gateway_account.this\n  ]")
            .count(),
        2,
        "{api}"
    );
}
