//! Unit tests of the pure parts, and the parser's fuzz targets (proptest).
//!
//! The fuzz targets run 256 cases each by default; set `PROPTEST_CASES` for a longer run
//! (docs/summary.md records the last long one).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::markdown::MARKDOWN_BUDGET;
use super::*;

/// A format 1.2 plan document around `changes`.
fn doc(changes: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": changes,
    }))
    .unwrap_or_default()
}

fn change(address: &str, kind: &str, actions: &[&str], before: Value, after: Value) -> Value {
    json!({
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": address.rsplit('.').next().unwrap_or_default(),
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
        },
    })
}

fn summary(bytes: &[u8]) -> Summary {
    match Summary::from_json(bytes) {
        Ok(s) => s,
        Err(e) => panic!("expected a summary, got: {e:#}"),
    }
}

fn error(bytes: &[u8]) -> String {
    match Summary::from_json(bytes) {
        Ok(_) => panic!("expected an error"),
        Err(e) => format!("{e:#}"),
    }
}

fn all_formats(s: &Summary) -> Vec<String> {
    let envs = vec![
        ("dev".to_string(), s.clone()),
        ("prod".to_string(), s.clone()),
    ];
    let mut out = Vec::new();
    for f in [Format::Text, Format::Markdown, Format::Json] {
        out.push(s.render_with(f, true));
        out.push(s.render(f));
        out.push(render_combined(&envs, f));
    }
    out
}

#[test]
fn every_action_list_counts_like_terraform() {
    let cases: &[(&[&str], Counts)] = &[
        (
            &["create"],
            Counts {
                add: 1,
                ..Counts::default()
            },
        ),
        (
            &["update"],
            Counts {
                change: 1,
                ..Counts::default()
            },
        ),
        (
            &["delete"],
            Counts {
                destroy: 1,
                ..Counts::default()
            },
        ),
        (
            &["delete", "create"],
            Counts {
                add: 1,
                destroy: 1,
                replace: 1,
                ..Counts::default()
            },
        ),
        (
            &["create", "delete"],
            Counts {
                add: 1,
                destroy: 1,
                replace: 1,
                ..Counts::default()
            },
        ),
        (
            &["create", "forget"],
            Counts {
                add: 1,
                replace: 1,
                ..Counts::default()
            },
        ),
        (
            &["read"],
            Counts {
                read: 1,
                ..Counts::default()
            },
        ),
        (
            &["no-op"],
            Counts {
                no_op: 1,
                ..Counts::default()
            },
        ),
        (
            &["forget"],
            Counts {
                forget: 1,
                ..Counts::default()
            },
        ),
        (&["explode"], Counts::default()),
        (&[], Counts::default()),
    ];
    for (actions, want) in cases {
        let s = summary(&doc(json!([change(
            "x.y",
            "x",
            actions,
            json!({}),
            json!({})
        )])));
        assert_eq!(&s.counts, want, "actions {actions:?}");
    }
}

#[test]
fn unknown_actions_are_listed_and_warned_about_not_counted() {
    let s = summary(&doc(json!([change(
        "x.y",
        "x",
        &["explode"],
        json!(null),
        json!(null)
    )])));
    assert_eq!(s.resources.len(), 1);
    assert_eq!(s.resources[0].action, Action::Unknown);
    assert!(
        s.warnings[0].contains("`x.y` has actions [explode]"),
        "{:?}",
        s.warnings
    );
    assert_eq!(
        s.plan_line().as_deref(),
        Some("Plan: 0 to add, 0 to change, 0 to destroy.")
    );
}

#[test]
fn deleted_data_sources_are_neither_shown_nor_counted() {
    let mut c = change("data.x.y", "x", &["delete"], json!({}), json!(null));
    c["mode"] = json!("data");
    let s = summary(&doc(json!([c])));
    assert_eq!(s.counts, Counts::default());
    assert!(s.resources.is_empty());
    assert!(!s.has_changes());
    assert_eq!(s.headline(), "No changes.");
}

#[test]
fn moves_and_imports_show_a_no_op_and_only_imports_count() {
    let mut moved = change("x.new", "x", &["no-op"], json!({}), json!({}));
    moved["previous_address"] = json!("x.old");
    let mut imported = change("x.imp", "x", &["no-op"], json!({}), json!({}));
    imported["change"]["importing"] = json!({"id": "abc"});
    let mut same = change("x.same", "x", &["no-op"], json!({}), json!({}));
    same["previous_address"] = json!("x.same");
    let s = summary(&doc(json!([moved, imported, same])));
    assert_eq!(s.counts.moved, 1);
    assert_eq!(s.counts.import, 1);
    assert_eq!(s.counts.no_op, 3);
    assert_eq!(s.resources.len(), 2);
    assert!(s.has_changes());
    assert_eq!(
        s.plan_line().as_deref(),
        Some("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.")
    );
    assert_eq!(s.resources[1].import, Some(Import::Id("abc".into())));
}

#[test]
fn output_changes_alone_are_changes_without_a_plan_line() {
    let plan = json!({
        "format_version": "1.2",
        "output_changes": {
            "a": {"actions": ["update"], "before": 1, "after": 2},
            "b": {"actions": ["no-op"], "before": 1, "after": 1},
        },
    });
    let s = summary(plan.to_string().as_bytes());
    assert_eq!(s.counts.output_changes, 1);
    assert!(s.has_changes());
    assert_eq!(s.plan_line(), None);
    assert_eq!(s.headline(), "No resource changes; 1 output value change.");
}

#[test]
fn modules_are_read_from_addresses_when_module_address_is_missing() {
    let cases = [
        ("aws_s3_bucket.b", None),
        ("data.aws_iam_policy_document.p", None),
        ("module.a.aws_s3_bucket.b", Some("module.a")),
        (
            "module.a[\"x.y\"].module.b[0].data.aws_x.y[\"k.z\"]",
            Some("module.a[\"x.y\"].module.b[0]"),
        ),
        ("module.aws_s3_bucket.x", None),
    ];
    for (address, module) in cases {
        assert_eq!(address::module_of(address).as_deref(), module, "{address}");
    }
}

#[test]
fn drift_without_an_address_gets_one_rebuilt() {
    let plan = json!({
        "format_version": "0.1",
        "resource_drift": [
            {"module_address": "module.m", "mode": "data", "type": "t", "name": "n", "index": "k",
             "change": {"actions": ["update"], "before": {"a": 1}, "after": {"a": 2}}},
            {"mode": "managed", "type": "t", "name": "n", "index": 3,
             "change": {"actions": ["delete"], "before": {}, "after": null}},
        ],
    });
    let s = summary(plan.to_string().as_bytes());
    assert_eq!(s.counts.drift, 2);
    assert_eq!(s.drift[0].address, "module.m.data.t.n[\"k\"]");
    assert_eq!(s.drift[1].address, "t.n[3]");
    assert_eq!(s.drift[0].attributes[0].path, "a");
}

#[test]
fn nested_changes_have_paths_and_masked_values() {
    let mut c = change(
        "aws_lambda_function.f",
        "aws_lambda_function",
        &["update"],
        json!({"environment": [{"variables": {"KEY": "old-secret-value", "A": "1"}}],
               "tags": {"Cost Center": "a"}, "list": ["a", "b"], "gone": "x"}),
        json!({"environment": [{"variables": {"KEY": "new-secret-value", "A": "2"}}],
               "tags": {"Cost Center": "b"}, "list": ["a", "c", "b"], "gone": null}),
    );
    c["change"]["before_sensitive"] = json!({"environment": [{"variables": {"KEY": true}}]});
    c["change"]["after_sensitive"] = json!({"environment": [{"variables": {"KEY": true}}]});
    c["change"]["after_unknown"] = json!({"arn": true});
    let s = summary(&doc(json!([c])));
    let attrs: Vec<(String, String, String)> = s.resources[0]
        .attributes
        .iter()
        .map(|a| (a.path.clone(), a.before.to_string(), a.after.to_string()))
        .collect();
    let want = [
        ("arn", "null", "(known after apply)"),
        ("environment[0].variables.A", "\"1\"", "\"2\""),
        ("environment[0].variables.KEY", "(sensitive)", "(sensitive)"),
        ("gone", "\"x\"", "null"),
        ("list", "[\"a\", \"b\"]", "[\"a\", \"c\", \"b\"]"),
        ("tags[\"Cost Center\"]", "\"a\"", "\"b\""),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(attrs, want);
}

#[test]
fn a_change_of_sensitivity_alone_is_shown_without_the_value() {
    let mut c = change(
        "x.y",
        "x",
        &["update"],
        json!({"p": "same-value"}),
        json!({"p": "same-value"}),
    );
    c["change"]["after_sensitive"] = json!({"p": true});
    let s = summary(&doc(json!([c])));
    assert_eq!(s.resources[0].attributes.len(), 1);
    assert_eq!(s.resources[0].attributes[0].after, Shown::Sensitive);
    // The unmarked side holds the secret in clear: the value-based mask catches it.
    assert_eq!(s.resources[0].attributes[0].before, Shown::Sensitive);
}

#[test]
fn copies_of_secrets_in_unmarked_attributes_are_masked() {
    // terraform_data.output mirrors input without its sensitivity mark (seen with 1.11.4).
    let mut c = change(
        "terraform_data.b",
        "terraform_data",
        &["update"],
        json!({"input": {"secret": "hunter2-SECRET"}, "output": {"secret": "hunter2-SECRET", "n": 1}}),
        json!({"input": {"secret": "hunter3-SECRET"}}),
    );
    c["change"]["before_sensitive"] = json!({"input": {"secret": true}, "output": {}});
    c["change"]["after_sensitive"] = json!({"input": {"secret": true}});
    c["change"]["after_unknown"] = json!({"output": true});
    let s = summary(&doc(json!([c])));
    for out in all_formats(&s) {
        assert!(!out.contains("hunter"), "{out}");
    }
    let output = s.resources[0]
        .attributes
        .iter()
        .find(|a| a.path == "output");
    assert_eq!(
        output.map(|a| a.before.to_string()).as_deref(),
        Some("{\"n\": 1, \"secret\": (sensitive)}")
    );
}

#[test]
fn replace_paths_mark_the_attributes_that_force_replacement() {
    let mut c = change(
        "x.y",
        "x",
        &["delete", "create"],
        json!({"name": "a", "tags": {"k": "v"}, "cfg": [{"size": 1}]}),
        json!({"name": "b", "tags": {"k": "w"}, "cfg": [{"size": 2}]}),
    );
    c["change"]["replace_paths"] = json!([["name"], ["cfg", 0, "size"], [true]]);
    c["action_reason"] = json!("replace_because_cannot_update");
    let s = summary(&doc(json!([c])));
    let r = &s.resources[0];
    assert_eq!(r.replace_paths, ["name", "cfg[0].size"]);
    let forced: Vec<(&str, bool)> = r
        .attributes
        .iter()
        .map(|a| (a.path.as_str(), a.forces_replacement))
        .collect();
    assert_eq!(
        forced,
        [("cfg[0].size", true), ("name", true), ("tags.k", false)]
    );
    assert_eq!(
        r.what_happens(),
        "replaced: cannot be updated in place; forced by `name`, `cfg[0].size`"
    );
}

#[test]
fn long_values_are_shortened() {
    let long = "x".repeat(1000);
    let s = summary(&doc(json!([change(
        "x.y",
        "x",
        &["update"],
        json!({"a": long}),
        json!({"a": "y"})
    )])));
    let before = s.resources[0].attributes[0].before.to_string();
    assert!(
        before.chars().count() <= 160 && before.ends_with('…'),
        "{before}"
    );
}

#[test]
fn input_encodings_are_accepted() {
    let text = String::from_utf8(doc(json!([change(
        "x.y",
        "x",
        &["create"],
        json!(null),
        json!({})
    )])))
    .unwrap_or_default();
    let utf16 = |little: bool, bom: bool| -> Vec<u8> {
        let mut out = Vec::new();
        let units = if bom {
            "\u{feff}"
                .encode_utf16()
                .chain(text.encode_utf16())
                .collect::<Vec<_>>()
        } else {
            text.encode_utf16().collect()
        };
        for u in units {
            out.extend(if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            });
        }
        out
    };
    let mut bom8 = b"\xEF\xBB\xBF".to_vec();
    bom8.extend(text.as_bytes());
    for bytes in [
        text.as_bytes().to_vec(),
        bom8,
        utf16(true, true),
        utf16(false, true),
        utf16(true, false),
        utf16(false, false),
    ] {
        assert_eq!(summary(&bytes).counts.add, 1);
    }
    assert!(error(&utf16(true, true)[..7]).contains("odd number of bytes"));
}

#[test]
fn input_that_is_not_one_plan_is_explained() {
    let plan = String::from_utf8(doc(json!([]))).unwrap_or_default();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "it is empty"),
        (b"  \n\t ".to_vec(), "it is empty"),
        (b"PK\x03\x04\x14\x00binary".to_vec(), "binary plan file"),
        (
            format!("{plan}\n{plan}").into_bytes(),
            "several JSON documents (another one starts at line 2 column 1)",
        ),
        (
            format!("{plan} done").into_bytes(),
            "text after the JSON document at line 1 column",
        ),
        (
            format!("Terraform will perform:\n{plan}").into_bytes(),
            "starts with text that is not JSON at line 1 column 1; a JSON object may begin at line 2 column 1",
        ),
        (
            plan.as_bytes()[..plan.len() - 3].to_vec(),
            "ends in the middle of the JSON document",
        ),
        (
            b"[1, 2]".to_vec(),
            "it is a JSON array (at line 1 column 1), not an object",
        ),
        (
            b"{\"format_version\": \"1.0\", \"values\": {}}".to_vec(),
            "state document",
        ),
        (b"{\"a\": 1}".to_vec(), "not a plan"),
        (
            b"{\"resource_changes\": 7}".to_vec(),
            "the value at line 1 column 22 has the wrong type (expected a sequence)",
        ),
        (
            br#"{"resource_changes": [{"address": "x", "change": {"actions": "hunter2"}}]}"#
                .to_vec(),
            "has the wrong type (expected a sequence)",
        ),
        (
            b"{\"format_version\": \"1.2\",}".to_vec(),
            "not a valid plan document",
        ),
        (b"\xff\xfe\x00\xd8".to_vec(), "unpaired surrogate"),
    ];
    for (bytes, want) in cases {
        let e = error(&bytes);
        assert!(
            e.contains(want),
            "{:?}: expected {want:?} in {e:?}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(!e.contains("hunter2"), "values are not echoed: {e}");
    }
}

#[test]
fn newer_format_versions_and_errored_plans_are_warned_about() {
    let s = summary(br#"{"format_version": "2.0", "errored": true}"#);
    assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
    assert!(s.warnings[0].contains("format_version `2.0`"));
    assert!(s.warnings[1].contains("errored"));
}

#[test]
fn risks_cover_every_class() {
    let bytes = include_bytes!("../../tests/fixtures/plans/stackform__risks.json");
    let s = summary(bytes);
    let got: Vec<(&str, &str)> = s
        .risks
        .iter()
        .map(|r| (r.class.as_str(), r.address.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("destroy-stateful", "aws_kms_key.main"),
            ("destroy-stateful", "module.data.aws_dynamodb_table.orders"),
            ("destroy-stateful", "module.data.aws_sqs_queue.events"),
            ("iam", "aws_iam_role.api"),
            ("iam", "aws_iam_role_policy_attachment.api_logs"),
            ("tracing-regression", "aws_api_gateway_stage.live"),
            ("tracing-regression", "aws_cloudwatch_metric_alarm.errors"),
            (
                "tracing-regression",
                "module.data.aws_dynamodb_contributor_insights.orders"
            ),
            (
                "tracing-regression",
                "module.functions.aws_lambda_function.payment"
            ),
            (
                "tracing-regression",
                "module.functions.aws_lambda_function.search"
            ),
            (
                "tracing-regression",
                "module.workflow.aws_sfn_state_machine.checkout"
            ),
        ]
    );
    assert_eq!(s.failing(&[RiskClass::Iam]).len(), 2);
}

#[test]
fn unknown_tracing_after_apply_counts_as_a_regression() {
    let mut c = change(
        "aws_lambda_function.f",
        "aws_lambda_function",
        &["update"],
        json!({"tracing_config": [{"mode": "Active"}]}),
        json!({"tracing_config": [{"mode": null}]}),
    );
    c["change"]["after_unknown"] = json!({"tracing_config": [{"mode": true}]});
    let s = summary(&doc(json!([c])));
    assert_eq!(s.risks.len(), 1);
    assert_eq!(
        s.risks[0].detail,
        "`tracing_config[0].mode` \"Active\" -> (known after apply)"
    );
}

#[test]
fn data_sources_and_reads_carry_no_risk() {
    let mut read = change(
        "data.aws_iam_policy.p",
        "aws_iam_policy",
        &["read"],
        json!(null),
        json!({}),
    );
    read["mode"] = json!("data");
    let noop = change(
        "aws_iam_role.r",
        "aws_iam_role",
        &["no-op"],
        json!({}),
        json!({}),
    );
    let forget = change(
        "aws_s3_bucket.b",
        "aws_s3_bucket",
        &["forget"],
        json!({}),
        json!(null),
    );
    let s = summary(&doc(json!([read, noop, forget])));
    assert!(s.risks.is_empty(), "{:?}", s.risks);
}

#[test]
fn fail_on_names_are_checked() {
    let ok = parse_fail_on(&["iam".into(), " destroy-stateful".into(), "iam".into()]);
    assert_eq!(
        ok.ok(),
        Some(vec![RiskClass::Iam, RiskClass::DestroyStateful])
    );
    let e = parse_fail_on(&["iam".into(), "tracing".into()]).map_err(|e| e.to_string());
    assert_eq!(
        e.err().as_deref(),
        Some(
            "unknown risk class `tracing` in `--fail-on`: expected one or more of \
             `destroy-stateful`, `iam`, `tracing-regression`, separated by commas"
        )
    );
}

/// A plan of `n` updates spread over 50 modules, each with a few changed attributes.
fn big_plan(n: usize) -> Vec<u8> {
    let changes: Vec<Value> = (0..n)
        .map(|i| {
            let mut c = change(
                &format!("module.m{:02}.aws_lambda_function.f{i:05}", i % 50),
                "aws_lambda_function",
                &["update"],
                json!({"memory_size": 128, "description": format!("function number {i}"), "timeout": 3}),
                json!({"memory_size": 256, "description": format!("function {i}"), "timeout": 30}),
            );
            c["module_address"] = json!(format!("module.m{:02}", i % 50));
            c
        })
        .collect();
    doc(Value::Array(changes))
}

#[test]
fn markdown_of_a_huge_plan_fits_a_comment_and_trims_the_same_way_every_time() {
    let s = summary(&big_plan(5000));
    let md = s.render(Format::Markdown);
    assert!(md.len() <= MARKDOWN_BUDGET, "{} bytes", md.len());
    assert!(md.starts_with("### Plan: 0 to add, 5000 to change, 0 to destroy."));
    assert!(
        md.contains("> Trimmed to fit a pull-request comment: "),
        "{}",
        &md[md.len() - 400..]
    );
    assert_eq!(md, summary(&big_plan(5000)).render(Format::Markdown));
    let envs: Vec<(String, Summary)> = ["dev", "staging", "prod"]
        .iter()
        .map(|e| (e.to_string(), s.clone()))
        .collect();
    let combined = render_combined(&envs, Format::Markdown);
    assert!(
        combined.len() <= MARKDOWN_BUDGET,
        "{} bytes",
        combined.len()
    );
    for env in ["dev", "staging", "prod"] {
        assert!(combined.contains(&format!(
            "<details><summary><b>{env}</b>: Plan: 0 to add, 5000 to change"
        )));
    }
}

#[test]
fn markdown_keeps_every_line_before_any_attribute_detail() {
    // Small enough that all lines fit but not all attribute details.
    let s = summary(&big_plan(500));
    let md = s.render(Format::Markdown);
    assert_eq!(md.matches("- `~` `module.").count(), 500);
    assert!(
        md.contains("entries listed without attribute changes"),
        "{md}"
    );
    assert!(!md.contains("not listed"));
}

#[test]
fn combined_json_and_text_hold_every_environment() {
    let a = summary(&doc(json!([change(
        "x.y",
        "x",
        &["create"],
        json!(null),
        json!({})
    )])));
    let b = summary(&doc(json!([])));
    let envs = vec![("dev".to_string(), a), ("prod".to_string(), b)];
    let j: Value = serde_json::from_str(&render_combined(&envs, Format::Json)).unwrap_or_default();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["environments"][0]["environment"], "dev");
    assert_eq!(j["environments"][0]["add"], 1);
    assert_eq!(j["environments"][1]["add"], 0);
    let text = render_combined(&envs, Format::Text);
    assert!(
        text.starts_with("environment  import  add  change  destroy  replace  drift  risks\n"),
        "{text}"
    );
    assert!(text.contains("\n== prod ==\nNo changes.\n"), "{text}");
}

#[test]
fn colour_is_only_added_when_asked_for() {
    let s = summary(&doc(json!([change(
        "x.y",
        "x",
        &["create"],
        json!(null),
        json!({})
    )])));
    assert!(!s.render(Format::Text).contains('\u{1b}'));
    assert!(s.render_with(Format::Text, true).contains("\u{1b}[32m"));
    assert!(!s.render_with(Format::Markdown, true).contains('\u{1b}'));
}

// ---- fuzz targets ------------------------------------------------------------------------

const FIXTURES: &[&[u8]] = &[
    include_bytes!("../../tests/fixtures/plans/stackform__risks.json"),
    include_bytes!(
        "../../tests/fixtures/plans/TraderMoe__terraform-delta-visualize__terraform_plan.json"
    ),
    include_bytes!(
        "../../tests/fixtures/plans/terraform-compliance__cli__tests_functional_test_issue_522_plan.out.json"
    ),
    include_bytes!(
        "../../tests/fixtures/plans/hashicorp__terraform-json__testdata_basic_plan.json"
    ),
    include_bytes!(
        "../../tests/fixtures/plans/borchero__terraform-plan-comment__tests_fixtures_move_1-move_plan.json"
    ),
    include_bytes!(
        "../../tests/fixtures/plans/hashicorp__terraform-json__testdata_identity_plan.json"
    ),
];

/// Whatever the input, reading either fails or gives a summary every format renders.
fn survives(bytes: &[u8]) {
    if let Ok(s) = Summary::from_json(bytes) {
        for out in all_formats(&s) {
            assert!(!out.is_empty());
        }
        assert!(s.render(Format::Markdown).len() <= MARKDOWN_BUDGET);
    }
}

/// Arbitrary JSON, deep enough to reach nested attributes and markers.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z\"\\\\ ]{0,8}".prop_map(Value::from),
        Just(json!("create")),
        Just(json!("delete")),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}|tracing_config|mode|0", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn fuzz_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        survives(&bytes);
    }

    #[test]
    fn fuzz_mutated_real_plans_never_panic(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..8),
    ) {
        let mut bytes = FIXTURES[which].to_vec();
        for (at, op, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                2 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        survives(&bytes);
    }

    #[test]
    fn fuzz_any_json_in_plan_positions_never_panics(
        actions in prop::collection::vec(
            prop_oneof![Just("create"), Just("delete"), Just("update"), Just("no-op"), Just("read"), Just("forget"), Just("??")],
            0..3,
        ),
        kind in prop_oneof![Just("aws_lambda_function"), Just("aws_iam_role"), Just("aws_s3_bucket"), Just("aws_sfn_state_machine"), Just("x")],
        values in prop::collection::vec(any_json(), 9),
    ) {
        let plan = json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": "module.m.x.y", "mode": "managed", "type": kind, "name": "y",
                "index": values[8],
                "change": {
                    "actions": actions,
                    "before": values[0], "after": values[1], "after_unknown": values[2],
                    "before_sensitive": values[3], "after_sensitive": values[4],
                    "replace_paths": values[5], "importing": values[6],
                },
            }],
            "resource_drift": [{"type": "t", "name": "n", "index": values[7], "change": {"actions": ["update"], "before": values[0], "after": values[1]}}],
            "output_changes": {"o": {"actions": actions, "before": values[0], "after": values[1], "after_sensitive": values[4]}},
        });
        survives(plan.to_string().as_bytes());
    }

    /// Secrets at any depth, marked in any shape, never reach any format.
    #[test]
    fn fuzz_marked_secrets_never_appear(
        shape in any_json(),
        mark_before in any::<bool>(),
        kind in prop_oneof![Just("aws_lambda_function"), Just("terraform_data")],
    ) {
        // Put secrets at every leaf of `shape`, mark every leaf, and compare with a
        // different secret after, so every leaf changes.
        fn fill(v: &Value, tag: &str, n: &mut usize) -> (Value, Value) {
            match v {
                Value::Object(m) => {
                    let (mut vals, mut marks) = (serde_json::Map::new(), serde_json::Map::new());
                    for (k, c) in m {
                        let (a, b) = fill(c, tag, n);
                        vals.insert(k.clone(), a);
                        marks.insert(k.clone(), b);
                    }
                    (Value::Object(vals), Value::Object(marks))
                }
                Value::Array(items) => {
                    let (vals, marks) = items.iter().map(|c| fill(c, tag, n)).unzip();
                    (Value::Array(vals), Value::Array(marks))
                }
                _ => {
                    *n += 1;
                    (json!(format!("SECRET{tag}{n:04}")), json!(true))
                }
            }
        }
        let (before, bmarks) = fill(&json!({"tracing_config": [{"mode": "Active"}], "v": shape}), "b", &mut 0);
        let (after, amarks) = fill(&json!({"tracing_config": [{"mode": "Active"}], "v": shape}), "a", &mut 0);
        let plan = json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": "x.y", "mode": "managed", "type": kind, "name": "y",
                "change": {
                    "actions": ["update"],
                    "before": before, "after": after,
                    "before_sensitive": if mark_before { bmarks.clone() } else { json!(true) },
                    "after_sensitive": amarks,
                    "after_unknown": {},
                    "replace_paths": [["v"]],
                },
            }],
            "output_changes": {"o": {"actions": ["update"], "before": before, "after": after}},
            "planned_values": {"outputs": {"o": {"sensitive": true}}},
        });
        let s = Summary::from_json(plan.to_string().as_bytes());
        prop_assert!(s.is_ok());
        if let Ok(s) = s {
            for out in all_formats(&s) {
                prop_assert!(!out.contains("SECRET"), "{}", out);
            }
        }
    }
}

/// How one side of a change marks an attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    /// Every leaf marked (`{"a": [true]}`): keys stay visible, as in Terraform.
    Leaves,
    /// The whole value marked (`true`): its keys are secret too.
    Whole,
    /// Not marked on this side: the sensitivity changes between before and after.
    Unmarked,
}

/// Secrets at every leaf of `v` (and in every key when `keys`), with a marker marking each
/// leaf. Keys do not depend on `tag`, so both sides of a change share them.
fn fill_secrets(v: &Value, tag: &str, keys: bool, n: &mut usize) -> (Value, Value) {
    match v {
        Value::Object(m) => {
            let (mut vals, mut marks) = (serde_json::Map::new(), serde_json::Map::new());
            for (k, c) in m {
                let k = if keys {
                    format!("SECRETK{k}")
                } else {
                    k.clone()
                };
                let (a, b) = fill_secrets(c, tag, keys, n);
                vals.insert(k.clone(), a);
                marks.insert(k, b);
            }
            (Value::Object(vals), Value::Object(marks))
        }
        Value::Array(items) => {
            let (vals, marks) = items.iter().map(|c| fill_secrets(c, tag, keys, n)).unzip();
            (Value::Array(vals), Value::Array(marks))
        }
        _ => {
            *n += 1;
            (json!(format!("SECRET{tag}{n:04}")), json!(true))
        }
    }
}

/// The first string (key or value) in `v` that starts with `SECRET`.
fn first_secret(v: &Value) -> Option<String> {
    secrets::string_literals(&v.to_string())
        .into_iter()
        .find(|s| s.starts_with("SECRET"))
}

proptest! {
    /// Secrets nested up to 200 levels (past serde_json's 128), in map keys, copied into
    /// unmarked attributes, `replace_paths`, import ids and addresses, and marked on one side
    /// only, never reach any format or warning.
    #[test]
    fn fuzz_secrets_in_keys_copies_deep_values_and_sensitivity_changes_never_appear(
        shape in any_json(),
        depth in prop_oneof![0usize..4, 120usize..200],
        marks in (
            prop_oneof![Just(Mark::Leaves), Just(Mark::Whole), Just(Mark::Unmarked)],
            prop_oneof![Just(Mark::Leaves), Just(Mark::Whole), Just(Mark::Unmarked)],
        ),
        kind in prop_oneof![Just("aws_lambda_function"), Just("terraform_data")],
        action in prop_oneof![Just("update"), Just("create"), Just("delete")],
    ) {
        let (mut mark_before, mut mark_after) = marks;
        if mark_before == Mark::Unmarked && mark_after == Mark::Unmarked {
            mark_after = Mark::Whole;
        }
        // Secret keys only where Terraform hides them: under a whole mark on some side.
        let keys = mark_before == Mark::Whole || mark_after == Mark::Whole;
        if keys && (mark_before == Mark::Leaves || mark_after == Mark::Leaves) {
            mark_before = Mark::Whole;
            mark_after = Mark::Whole;
        }
        let shape = json!({"k": nest(depth, json!({"w": shape, "x": "leaf"}))});
        let (bv, bm) = fill_secrets(&shape, "b", keys, &mut 0);
        let (av, am) = fill_secrets(&shape, "a", keys, &mut 0);
        let marker = |mark: Mark, leaves: &Value| match mark {
            Mark::Leaves => leaves.clone(),
            Mark::Whole => json!(true),
            Mark::Unmarked => json!(false),
        };
        // Unmarked copies of a marked side's value, as terraform_data.output makes.
        let copy = if mark_after == Mark::Unmarked { bv.clone() } else { av.clone() };
        let secret = first_secret(&copy).unwrap_or_default();
        let side = |v: &Value, mark: Mark, leaves: &Value| {
            (
                json!({"tracing_config": [{"mode": "Active"}], "v": v, "v_copy": copy, "tags_all": copy}),
                json!({"v": marker(mark, leaves), "tracing_config": marker(mark, &json!([{"mode": true}]))}),
            )
        };
        let (before, before_sensitive) = side(&bv, mark_before, &bm);
        let (after, after_sensitive) = side(&av, mark_after, &am);
        let (before, after) = match action {
            "create" => (Value::Null, after),
            "delete" => (before, Value::Null),
            _ => (before, after),
        };
        let plan = json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": format!("x.y[{}]", Value::from(secret.as_str())),
                "previous_address": format!("x.old[{}]", Value::from(secret.as_str())),
                "mode": "managed", "type": kind, "name": "y",
                "change": {
                    "actions": [action],
                    "before": before, "after": after,
                    "before_sensitive": before_sensitive, "after_sensitive": after_sensitive,
                    "after_unknown": {},
                    "replace_paths": [["v"], ["v_copy", secret], ["tags_all", "k", secret]],
                    "importing": {"id": secret},
                },
            }],
            "output_changes": {
                "o": {"actions": ["update"], "before": bv, "after": av},
                "p": {"actions": ["update"], "before": bv, "after": av,
                      "before_sensitive": marker(mark_before, &bm),
                      "after_sensitive": marker(mark_after, &am)},
            },
            "planned_values": {"outputs": {"o": {"sensitive": true}}},
        });
        let s = Summary::from_json(plan.to_string().as_bytes());
        prop_assert!(s.is_ok(), "{:?}", s.err());
        if let Ok(s) = s {
            for out in all_formats(&s) {
                prop_assert!(!out.contains("SECRET"), "{}", out);
            }
            for w in &s.warnings {
                prop_assert!(!w.contains("SECRET"), "{}", w);
            }
        }
    }
}

#[test]
fn combined_markdown_has_one_table_risks_first_and_a_fold_per_environment() {
    let a = summary(include_bytes!(
        "../../tests/fixtures/plans/stackform__risks.json"
    ));
    let b = summary(include_bytes!(
        "../../tests/fixtures/plans/cds-snc__terraform-plan__test_import_import.json"
    ));
    let envs = vec![("dev".to_string(), a), ("prod".to_string(), b)];
    let md = render_combined(&envs, Format::Markdown);
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in:\n{md}"))
    };
    assert!(md.starts_with("### stackform plan: 2 environments\n"));
    let table = at("| dev | 0 | 3 | 6 | 5 | 2 | 0 | 1 | 1 | 0 | 2 | 11 |");
    let prod_row = at("| prod | 2 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |");
    let risks = at("> - **destroy-stateful** `dev` `aws_kms_key.main`: replaced: tainted");
    let dev =
        at("<details><summary><b>dev</b>: Plan: 3 to add, 6 to change, 5 to destroy.</summary>");
    let prod = at(
        "<details><summary><b>prod</b>: Plan: 2 to import, 1 to add, 0 to change, 0 to destroy.</summary>",
    );
    assert!(table < prod_row && prod_row < risks && risks < dev && dev < prod);
}

#[test]
fn the_tracing_policy_turns_untraced_changes_into_regressions() {
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "module.function_payment.aws_lambda_function.this",
            "module_address": "module.function_payment",
            "mode": "managed", "type": "aws_lambda_function", "name": "this",
            "change": {
                "actions": ["create"],
                "before": null,
                "after": {"function_name": "e-com67-prod-payment", "tracing_config": [{"mode": "PassThrough"}]},
                "after_unknown": {}
            }
        }]
    })
    .to_string();
    let mut s = Summary::from_json(plan.as_bytes()).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        s.failing(&[RiskClass::TracingRegression]).is_empty(),
        "a new PassThrough function is no regression by itself"
    );
    s.add_tracing_policy("prod", plan.as_bytes())
        .unwrap_or_else(|e| panic!("{e:#}"));
    let found = s.failing(&[RiskClass::TracingRegression]);
    assert_eq!(found.len(), 1, "{:?}", s.risks);
    assert_eq!(
        found[0].address,
        "module.function_payment.aws_lambda_function.this"
    );
    assert!(
        found[0]
            .detail
            .starts_with("policy requires tracing in `prod`: function `payment` is not traced"),
        "{}",
        found[0].detail
    );
}

/// `{"d": {"d": ... leaf ...}}`, `depth` levels deep.
fn nest(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |v, _| json!({ "d": v }))
}

#[test]
fn secrets_in_map_keys_paths_replace_paths_import_ids_and_addresses_are_masked() {
    // A sensitive map copied into an unmarked one (as `tags` into `tags_all`), its key used in
    // `replace_paths`, an import id and an address key that equal secrets.
    let mut c = change(
        "x.y[\"K3y-S3cret\"]",
        "x",
        &["update"],
        json!({"tags": {}, "tags_all": {}, "m": {}, "pw": "Imp0rt-S3cret"}),
        json!({
            "tags": {"K3y-S3cret": "v", "Q": "Va1ue-S3cret"},
            "tags_all": {"K3y-S3cret": "v", "Q": "Va1ue-S3cret"},
            "m": {"K3y-S3cret": 1},
            "list": [{"K3y-S3cret": 2}],
            "pw": "Imp0rt-S3cret",
        }),
    );
    c["change"]["before_sensitive"] = json!({"tags": true, "pw": true});
    c["change"]["after_sensitive"] = json!({"tags": true, "pw": true});
    c["change"]["replace_paths"] = json!([["m", "K3y-S3cret"], ["tags_all", "Q"]]);
    c["change"]["importing"] = json!({"id": "Imp0rt-S3cret"});
    c["previous_address"] = json!("x.y[\"Q\"]");
    let s = summary(&doc(json!([c])));
    for out in all_formats(&s) {
        assert!(!out.contains("S3cret"), "{out}");
        assert!(!out.contains("\"Q\""), "{out}");
    }
    let paths: Vec<&str> = s.resources[0]
        .attributes
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    assert!(paths.contains(&"tags_all.(sensitive)"), "{paths:?}");
    assert!(paths.contains(&"m.(sensitive)"), "{paths:?}");
    assert_eq!(
        s.resources[0].replace_paths,
        ["m.(sensitive)", "tags_all.(sensitive)"]
    );
    assert_eq!(s.resources[0].address, "x.y[\"(sensitive)\"]");
    assert_eq!(
        s.resources[0].import,
        Some(Import::Id("(sensitive)".to_string()))
    );
}

#[test]
fn a_value_sensitive_on_either_side_is_hidden_on_both() {
    let mut c = change(
        "x.y",
        "x",
        &["update"],
        json!({"password": "OldPassw0rd!", "n": {"k": "0ldNested!"}}),
        json!({"password": "NewPassw0rd!", "n": {"k": "NewNested!"}}),
    );
    c["change"]["after_sensitive"] = json!({"password": true});
    c["change"]["before_sensitive"] = json!({"n": {"k": true}});
    let mut plan: Value = serde_json::from_slice(&doc(json!([c]))).unwrap_or_default();
    plan["output_changes"] = json!({
        "o": {"actions": ["update"], "before": "0ldOutput!", "after": "NewOutput!",
              "before_sensitive": false, "after_sensitive": true},
        "p": {"actions": ["update"], "before": {"a": "0ldInner!"}, "after": {"a": "NewInner!"},
              "before_sensitive": {}, "after_sensitive": {"a": true}},
    });
    let s = summary(plan.to_string().as_bytes());
    for out in all_formats(&s) {
        for old in ["0ld", "Old"] {
            assert!(!out.contains(old), "{out}");
        }
    }
    let text = s.render(Format::Text);
    assert!(
        text.contains("password = (sensitive) -> (sensitive)"),
        "{text}"
    );
}

#[test]
fn secrets_too_deep_to_parse_are_still_collected() {
    // serde_json stops at 128 levels; the marked value is 130 deep, its copy is not.
    let mut c = change(
        "x.y",
        "x",
        &["update"],
        json!({"input": nest(130, json!("D33p-0ld-S3cret")), "output": "D33p-0ld-S3cret"}),
        json!({"input": nest(130, json!("D33p-New-S3cret")), "output": "D33p-New-S3cret"}),
    );
    c["change"]["before_sensitive"] = json!({"input": true});
    c["change"]["after_sensitive"] = json!({"input": true});
    // A marker too deep to read, over a shallow copy.
    let mut d = change(
        "x.z",
        "x",
        &["update"],
        json!({"v": nest(130, json!("D33p-Mark-0ld")), "w": "D33p-Mark-0ld"}),
        json!({"v": nest(130, json!("D33p-Mark-New")), "w": "D33p-Mark-New"}),
    );
    d["change"]["before_sensitive"] = json!({"v": nest(130, json!(true))});
    d["change"]["after_sensitive"] = json!({"v": nest(130, json!(true))});
    let s = summary(&doc(json!([c, d])));
    assert!(!s.resources.is_empty());
    for out in all_formats(&s) {
        assert!(!out.contains("D33p"), "{out}");
    }
}

#[test]
fn string_literals_are_found_at_any_depth_with_escapes() {
    let raw = format!(
        "{}{{\"k\\\"ey\": \"v\\u00e9\", \"n\": 1}}{}",
        "[".repeat(300),
        "]".repeat(300)
    );
    assert_eq!(secrets::string_literals(&raw), ["k\"ey", "vé", "n"]);
}

#[test]
fn type_errors_never_quote_the_input() {
    for bad in [
        json!({"format_version": "1.2", "resource_changes": [{"change": {"actions": "x, expected Typ3-S3cret"}}]}),
        json!({"format_version": "1.2", "resource_changes": [{"address": ["Typ3-S3cret\", expected a sequence"]}]}),
        json!({"format_version": "1.2", "resource_changes": "Typ3-S3cret"}),
    ] {
        let e = error(bad.to_string().as_bytes());
        assert!(!e.contains("S3cret"), "{e}");
        assert!(e.contains("line 1 column"), "{e}");
    }
    let e = error(
        json!({"format_version": "1.2", "resource_changes": [{"change": {"actions": "x, expected a string"}}]})
            .to_string()
            .as_bytes(),
    );
    assert!(e.contains("(expected a sequence)"), "{e}");
}

#[test]
fn tracing_policy_risks_go_through_the_secret_check() {
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "module.function_payment.aws_lambda_function.this[\"Key-S3cret\"]",
            "module_address": "module.function_payment",
            "mode": "managed", "type": "aws_lambda_function", "name": "this",
            "index": "Key-S3cret",
            "change": {
                "actions": ["create"],
                "before": null,
                "after": {
                    "function_name": "e-com67-prod-payment",
                    "tracing_config": [{"mode": "Mode-S3cret"}],
                    "environment": [{"variables": {"K": "Key-S3cret"}}],
                },
                "after_unknown": {},
                "after_sensitive": {"tracing_config": [{"mode": true}], "environment": true},
            }
        }]
    })
    .to_string();
    let mut s = Summary::from_json(plan.as_bytes()).unwrap_or_else(|e| panic!("{e:#}"));
    s.add_tracing_policy("prod", plan.as_bytes())
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        !s.failing(&[RiskClass::TracingRegression]).is_empty(),
        "{:?}",
        s.risks
    );
    for out in all_formats(&s) {
        assert!(!out.contains("S3cret"), "{out}");
    }
}

#[test]
fn secrets_that_equal_terraform_words_do_not_change_counts() {
    let mut c = change(
        "x.y",
        "x",
        &["update"],
        json!({"p": "managed"}),
        json!({"p": "delete"}),
    );
    c["change"]["before_sensitive"] = json!({"p": true});
    c["change"]["after_sensitive"] = json!({"p": true});
    let d = change("x.z", "x", &["delete"], json!({"q": 1}), Value::Null);
    let s = summary(&doc(json!([c, d])));
    assert_eq!((s.counts.change, s.counts.destroy), (1, 1));
    assert_eq!(s.resources[1].mode, "managed");
    assert_eq!(s.resources[1].actions, ["delete"]);
}

#[test]
fn skipped_types_are_named_in_every_format_single_and_combined() {
    let mut s = summary(&doc(json!([change(
        "x.y",
        "x",
        &["create"],
        json!(null),
        json!({})
    )])));
    s.skipped = Some(Skipped {
        types: vec!["aws_xray_group".into()],
        addresses: (0..60).map(|i| format!("aws_xray_group.g[{i}]")).collect(),
    });
    let line = "Skipped (emulator mode, `--skip-type`): `aws_xray_group`; 60 resources left out of \
                this plan.";
    let text = s.render(Format::Text);
    assert!(
        text.contains(&format!("{line}\n  - aws_xray_group.g[0]\n")) && text.contains("g[59]"),
        "{text}"
    );
    let md = s.render(Format::Markdown);
    assert!(
        md.contains(&format!(
            "> [!WARNING]\n> {line}\n> - `aws_xray_group.g[0]`"
        )),
        "{md}"
    );
    assert!(
        md.contains("> - … and 10 more") && !md.contains("g[50]"),
        "{md}"
    );
    let j: Value = serde_json::from_str(&s.render(Format::Json)).unwrap_or_default();
    assert_eq!(j["skipped"]["types"], json!(["aws_xray_group"]));
    assert_eq!(j["skipped"]["addresses"][59], "aws_xray_group.g[59]");

    let plain = summary(&doc(json!([])));
    let plain_json: Value = serde_json::from_str(&plain.render(Format::Json)).unwrap_or_default();
    assert!(plain_json.get("skipped").is_none(), "{plain_json}");
    let envs = vec![("dev".to_string(), s), ("prod".to_string(), plain)];
    let md = render_combined(&envs, Format::Markdown);
    assert!(md.contains(&format!("> `dev`: {line}")), "{md}");
    let text = render_combined(&envs, Format::Text);
    assert_eq!(text.matches("Skipped (").count(), 1, "{text}");
    let j: Value = serde_json::from_str(&render_combined(&envs, Format::Json)).unwrap_or_default();
    assert_eq!(
        j["environments"][0]["skipped"]["addresses"][0],
        "aws_xray_group.g[0]"
    );
    assert!(j["environments"][1].get("skipped").is_none());
}
