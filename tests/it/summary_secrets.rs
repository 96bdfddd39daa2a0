//! Secrets in `stackform summary` as a user runs it: markers that are not what Terraform writes
//! hide what they cover, overlapping secrets are masked whole, and huge or very many secrets
//! are masked everywhere.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

const FORMATS: [&str; 3] = ["text", "markdown", "json"];

/// Standard output and error of `stackform summary - --format FORMAT` on `plan`, for every
/// format, each checked to have succeeded.
fn every_format(plan: &[u8]) -> Vec<String> {
    FORMATS
        .iter()
        .map(|format| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_stackform"))
                .args(["summary", "-", "--format", format])
                .env("NO_COLOR", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run stackform");
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(plan).expect("write the plan");
            }
            let out = child.wait_with_output().expect("wait for stackform");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "{format}: {stderr}");
            format!("{stdout}\n{stderr}")
        })
        .collect()
}

/// Asserts that no output holds `needle`.
fn never_shown(outputs: &[String], needle: &str) {
    for (format, out) in FORMATS.iter().zip(outputs) {
        let short: String = needle.chars().take(60).collect();
        assert!(
            !out.contains(needle),
            "{format} output shows `{short}`:\n{}",
            out.chars().take(2000).collect::<String>()
        );
    }
}

/// A plan whose one resource changes `input` from `"old-value"` to `secret`, with the raw
/// `after_sensitive` text given (it may hold duplicate keys, so it is spliced in as text).
fn plan_with_marker(secret: &str, after_sensitive: &str) -> Vec<u8> {
    let change = json!({
        "address": "terraform_data.app",
        "mode": "managed",
        "type": "terraform_data",
        "name": "app",
        "change": {
            "actions": ["update"],
            "before": {"input": "old-value", "id": "1"},
            "after": {"input": secret, "id": "1"},
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": "MARKER",
        },
    });
    let text = json!({"format_version": "1.2", "resource_changes": [change]}).to_string();
    text.replace("\"MARKER\"", after_sensitive).into_bytes()
}

/// Each marker shape Terraform never writes hides the value; the old reader printed it.
fn marker_hides(after_sensitive: &str) {
    let secret = "s3cr3t-marker-value-0042";
    let outputs = every_format(&plan_with_marker(secret, after_sensitive));
    never_shown(&outputs, secret);
    // The change itself is still listed, with the value masked.
    assert!(
        outputs[0].contains("= (sensitive) -> (sensitive)"),
        "{}",
        outputs[0]
    );
}

#[test]
fn a_marker_string_true_hides_the_value() {
    marker_hides(r#"{"input": "true"}"#);
}

#[test]
fn a_marker_number_one_hides_the_value() {
    marker_hides(r#"{"input": 1}"#);
}

#[test]
fn a_marker_string_yes_hides_the_value() {
    marker_hides(r#"{"input": "yes"}"#);
}

#[test]
fn a_marker_list_on_a_scalar_hides_the_value() {
    marker_hides(r#"{"input": [true]}"#);
}

#[test]
fn a_marker_object_on_a_scalar_hides_the_value() {
    marker_hides(r#"{"input": {"x": true}}"#);
}

#[test]
fn a_whole_marker_of_the_wrong_type_hides_the_value() {
    marker_hides(r#""yes""#);
    marker_hides("7");
    marker_hides(r#"["input"]"#);
}

#[test]
fn a_marker_with_a_duplicate_key_hides_the_value() {
    marker_hides(r#"{"input": true, "input": false}"#);
}

#[test]
fn json_output_masks_type_and_mode() {
    // A sensitive variable whose value Terraform also wrote as a resource's type and mode.
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "terraform_data.app",
            "mode": "mode-s3cr3t-value", "type": "type-s3cr3t-value", "name": "app",
            "change": {"actions": ["create"], "before": null, "after": {},
                       "after_unknown": {}, "before_sensitive": false, "after_sensitive": {}},
        }],
        "configuration": {"root_module": {"variables": {
            "a": {"sensitive": true}, "b": {"sensitive": true}}}},
        "variables": {"a": {"value": "mode-s3cr3t-value"}, "b": {"value": "type-s3cr3t-value"}},
    });
    let outputs = every_format(plan.to_string().as_bytes());
    never_shown(&outputs, "s3cr3t");
    let json: Value = serde_json::from_str(outputs[2].trim_end()).expect("JSON output");
    assert_eq!(json["resources"][0]["type"], "(sensitive)");
    assert_eq!(json["resources"][0]["mode"], "(sensitive)");
}

/// A plan that marks `secrets` sensitive (as a sensitive variable each) and names one
/// resource `name`, so the address holds whatever `name` holds.
fn plan_naming(name: &str, secrets: &[&str]) -> Vec<u8> {
    let vars: serde_json::Map<String, Value> = (0..secrets.len())
        .map(|i| (format!("v{i}"), json!({"sensitive": true})))
        .collect();
    let values: serde_json::Map<String, Value> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("v{i}"), json!({"value": s})))
        .collect();
    json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": format!("terraform_data.{name}"),
            "mode": "managed", "type": "terraform_data", "name": name,
            "change": {"actions": ["create"], "before": null, "after": {},
                       "after_unknown": {}, "before_sensitive": false, "after_sensitive": {}},
        }],
        "configuration": {"root_module": {"variables": vars}},
        "variables": values,
    })
    .to_string()
    .into_bytes()
}

#[test]
fn overlapping_secrets_are_both_masked_whole() {
    let outputs = every_format(&plan_naming(
        "alpha-bravo-charlie-delta-echo",
        &["alpha-bravo-charlie", "charlie-delta-echo"],
    ));
    for part in ["alpha", "bravo", "charlie", "delta", "echo"] {
        never_shown(&outputs, part);
    }
    assert!(
        outputs[0].contains("terraform_data.(sensitive)"),
        "{}",
        outputs[0]
    );
}

#[test]
fn a_secret_that_is_a_prefix_or_suffix_of_another_is_masked_with_it() {
    for (name, secrets) in [
        (
            "token-value-extended-x",
            ["token-value", "token-value-extended"],
        ),
        (
            "x-extended-token-value",
            ["token-value", "extended-token-value"],
        ),
    ] {
        let outputs = every_format(&plan_naming(name, &secrets));
        for part in ["token", "value", "extended"] {
            never_shown(&outputs, part);
        }
        assert!(outputs[0].contains("(sensitive)"), "{}", outputs[0]);
    }
}

/// A plan with one update: `input` marked sensitive and holding `secret`, `output` an
/// unmarked copy, and `note` an unmarked string with the secret inside it.
fn plan_with_big_secret(secret: &str) -> Vec<u8> {
    let note = format!("prefix {secret} suffix");
    json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "terraform_data.big", "mode": "managed", "type": "terraform_data",
            "name": "big",
            "change": {
                "actions": ["update"],
                "before": {"input": "old-input", "output": "old-output", "note": "old-note"},
                "after": {"input": secret, "output": secret, "note": note},
                "after_unknown": {},
                "before_sensitive": {"input": true},
                "after_sensitive": {"input": true},
            },
        }],
    })
    .to_string()
    .into_bytes()
}

#[test]
fn a_huge_secret_is_masked_whole_and_inside_longer_strings() {
    // 2 MB: a repetitive one (the automaton this replaced took quadratic time on it) and a
    // varied one.
    let repetitive = "ab".repeat(1 << 20);
    let varied: String = (0..(1u32 << 21))
        .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26))
        .collect();
    for secret in [repetitive, varied] {
        let outputs = every_format(&plan_with_big_secret(&secret));
        never_shown(&outputs, &secret[..40]);
        never_shown(&outputs, &secret[secret.len() - 40..]);
        assert!(
            outputs[0].contains("note = \"old-note\" -> (sensitive)"),
            "{}",
            outputs[0]
        );
    }
}

#[test]
fn very_many_secrets_are_each_masked_as_keys_of_an_unmarked_copy() {
    // 100,000 distinct secrets, marked one by one, copied as the keys of an unmarked map: each
    // key is a path step in the JSON output.
    let n = 100_000;
    let secrets: Vec<String> = (0..n).map(|i| format!("key-{i:06}-{}", i * 7919)).collect();
    let copy: serde_json::Map<String, Value> =
        secrets.iter().map(|s| (s.clone(), json!(1))).collect();
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "terraform_data.many", "mode": "managed", "type": "terraform_data",
            "name": "many",
            "change": {
                "actions": ["update"],
                "before": {"input": [], "copy": {}},
                "after": {"input": secrets, "copy": copy},
                "after_unknown": {},
                "before_sensitive": {"input": []},
                "after_sensitive": {"input": vec![true; n]},
            },
        }],
    });
    let outputs = every_format(plan.to_string().as_bytes());
    for out in &outputs {
        assert!(!out.contains("key-0"), "a secret is shown");
    }
    let json: Value = serde_json::from_str(outputs[2].trim_end()).expect("JSON output");
    let paths = json["resources"][0]["changed_attributes"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(paths >= 2, "{paths} changed attributes");
}

#[test]
fn errors_never_echo_text_around_the_json() {
    let plan = r#"{"format_version": "1.2", "resource_changes": []}"#;
    for input in [
        format!("password=hunter2-s3cr3t\n{plan}"),
        format!("{plan}\npassword=hunter2-s3cr3t"),
        "[\"hunter2-s3cr3t\"]".to_string(),
        "hunter2-s3cr3t".to_string(),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stackform"))
            .args(["summary", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run stackform");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes()).expect("write the input");
        }
        let out = child.wait_with_output().expect("wait for stackform");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{input:?} was read as a plan");
        assert!(
            stderr.contains("line 1 column 1") || stderr.contains("line 2 column 1"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("hunter2"),
            "the error echoes the input: {stderr}"
        );
    }
}
