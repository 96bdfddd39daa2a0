//! Tests of secret matching and of markers read against their values, with a fuzz target that
//! puts malformed markers in every position (bounded cases; it prints its seed, and
//! `STACKFORM_FUZZ_SEED` replays one, `PROPTEST_CASES` sets how many).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use super::marker;
use super::secrets::{self, Secrets};
use super::*;

fn secrets(list: &[&str]) -> Secrets {
    let mut s = Secrets::default();
    for x in list {
        s.add(x);
    }
    s.finish();
    s
}

#[test]
fn overlapping_secrets_are_masked_together_each_whole() {
    let s = secrets(&["abcdefgh", "efghijkl"]);
    assert_eq!(s.redact("xx abcdefghijkl yy"), "xx (sensitive) yy");
    assert_eq!(s.redact("abcdefgh efghijkl"), "(sensitive) (sensitive)");
    assert!(s.hides("--efghijkl--"));
    assert!(!s.hides("abcdefg hijkl"));
}

#[test]
fn a_secret_that_is_a_prefix_or_suffix_of_another_is_masked_with_it() {
    let s = secrets(&["token", "token-extended", "pre-token"]);
    assert_eq!(s.redact("a token-extended b"), "a (sensitive) b");
    assert_eq!(s.redact("a pre-token-extended b"), "a (sensitive) b");
    assert_eq!(s.redact("tokentoken"), "(sensitive)");
    assert_eq!(s.redact("toke"), "toke");
}

#[test]
fn short_secrets_are_masked_only_whole() {
    let s = secrets(&["abc", "é"]);
    assert!(s.hides("abc"));
    assert!(!s.hides("xabcx"));
    assert_eq!(s.redact(r#"x.y["abc"]"#), r#"x.y["(sensitive)"]"#);
}

#[test]
fn huge_secrets_are_found_whole_and_inside_longer_strings() {
    let repetitive = "a".repeat(300_000);
    let varied: String = (0..300_001u32)
        .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26))
        .collect();
    let s = secrets(&[&repetitive, &varied]);
    assert!(s.hides(&repetitive));
    assert!(s.hides(&format!("x{varied}y")));
    assert_eq!(s.redact(&format!("<{varied}>")), "<(sensitive)>");
    // One byte short of the secret holds no secret.
    assert!(!s.hides(&repetitive[1..]));
    assert!(!s.hides(&varied[..varied.len() - 1]));
}

#[test]
fn a_million_distinct_secrets_are_each_found() {
    let list: Vec<String> = (0..1_000_000u32)
        .map(|i| format!("secret-{i:07}-{}", i.wrapping_mul(2_654_435_761)))
        .collect();
    let mut s = Secrets::default();
    for x in &list {
        s.add(x);
    }
    s.finish();
    for x in list.iter().step_by(997) {
        assert!(s.hides(&format!("in {x} here")), "{x}");
        assert_eq!(s.redact(&format!("[{x}]")), "[(sensitive)]");
    }
    assert!(!s.hides("secret-0000001-0"));
}

#[test]
fn whole_secret_checks_grow_linearly_with_the_string() {
    // Secrets of every length sharing one repetitive start: the worst case for the checks.
    let owned: Vec<String> = (4..400).map(|n| "a".repeat(n) + "b").collect();
    let list: Vec<&str> = owned.iter().map(String::as_str).collect();
    let s = secrets(&list);
    let small = "a".repeat(10_000);
    let large = "a".repeat(100_000);
    assert!(s.checks(&small) <= 4 * small.len() + 64);
    assert!(s.checks(&large) <= 4 * large.len() + 64);
    // Past the limit the string is masked whole rather than searched further.
    assert!(s.hides(&large));
    assert_eq!(s.redact(&large), "(sensitive)");
    // Few candidates cost few checks.
    let plain = secrets(&["needle-in-a-haystack"]);
    assert_eq!(plain.checks(&"hay".repeat(100_000)), 0);
}

#[test]
fn markers_are_read_against_their_values() {
    let v = json!({"a": "x", "b": {"c": "y"}, "l": ["p", "q"], "n": null});
    let fit = |m: Value| marker::fit(Some(&v), &m);
    // What Terraform writes.
    assert_eq!(fit(json!({})), Value::Null);
    assert_eq!(fit(json!({"a": true})), json!({"a": true}));
    assert_eq!(fit(json!({"l": [false, true]})), json!({"l": [null, true]}));
    assert_eq!(fit(json!({"b": {"c": true}})), json!({"b": {"c": true}}));
    assert_eq!(fit(json!({"a": false, "n": false})), Value::Null);
    // Not what Terraform writes: hides what it covers.
    assert_eq!(fit(json!({"a": "true"})), json!({"a": true}));
    assert_eq!(fit(json!({"a": 1})), json!({"a": true}));
    assert_eq!(fit(json!({"a": [true]})), json!({"a": true}));
    assert_eq!(fit(json!({"a": {"x": true}})), json!({"a": true}));
    assert_eq!(fit(json!({"a": {}})), json!({"a": true}));
    assert_eq!(fit(json!({"b": false})), json!({"b": true}));
    assert_eq!(fit(json!({"l": [false]})), json!({"l": true}));
    assert_eq!(fit(json!({"l": {"0": true}})), json!({"l": true}));
    assert_eq!(fit(json!("yes")), json!(true));
    assert_eq!(fit(json!(false)), json!(true));
    assert_eq!(marker::parse(r#"{"a": true, "a": false}"#), json!(true));
    assert_eq!(marker::parse("{not json"), json!(true));
}

/// A marker that is not what Terraform writes for any value, as JSON text.
const MALFORMED: &[&str] = &[
    r#""true""#,
    "1",
    r#""yes""#,
    "[true]",
    r#"{"x": true}"#,
    "0",
    "null",
    r#""""#,
];

/// How to mark one node of a value in the fuzz target.
#[derive(Debug, Clone)]
enum Mark {
    True,
    Malformed(usize),
    /// A correct object or array marker around the children's marks (`dup` repeats each key
    /// with `false` after it, which makes the whole marker unreadable).
    Recurse {
        dup: bool,
    },
}

/// Marker text for `v`, every string leaf of which ends up under a `true` or malformed mark.
fn marker_text(v: &Value, choose: &mut impl FnMut() -> Mark) -> String {
    let composite = v.is_object() || v.is_array();
    let mark = choose();
    match (mark, v) {
        (Mark::Recurse { dup }, Value::Object(map)) if composite => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, child)| {
                    let key = Value::from(k.as_str());
                    let m = marker_text(child, choose);
                    if dup {
                        format!("{key}: {m}, {key}: false")
                    } else {
                        format!("{key}: {m}")
                    }
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        (Mark::Recurse { .. }, Value::Array(items)) if composite => {
            let items: Vec<String> = items.iter().map(|c| marker_text(c, choose)).collect();
            format!("[{}]", items.join(", "))
        }
        (Mark::Malformed(i), Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            // `null` and `""` are malformed on any value but mark nothing on a null one.
            MALFORMED[i % MALFORMED.len()].to_string()
        }
        (Mark::Malformed(i), _) => ["\"true\"", "1", "\"yes\"", "false"][i % 4].to_string(),
        _ => "true".to_string(),
    }
}

/// A value with a unique secret at every string leaf.
fn with_secrets(v: &Value, n: &mut usize) -> Value {
    match v {
        Value::String(_) => {
            *n += 1;
            Value::from(format!("SECRET{n:04}x"))
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, c)| (k.clone(), with_secrets(c, n)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|c| with_secrets(c, n)).collect()),
        other => other.clone(),
    }
}

fn shapes() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!("s")),
        Just(json!(7)),
        Just(json!(true)),
        Just(Value::Null)
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 1..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mark() -> impl Strategy<Value = Mark> {
    prop_oneof![
        Just(Mark::True),
        (0..MALFORMED.len()).prop_map(Mark::Malformed),
        Just(Mark::Recurse { dup: false }),
        Just(Mark::Recurse { dup: false }),
        Just(Mark::Recurse { dup: true }),
    ]
}

/// Where the fuzz target puts the marked value.
const POSITIONS: &[&str] = &["update", "replace", "create", "delete", "drift", "output"];

/// A plan with `value` (secrets at its string leaves) at `position`, marked by `marker`, and
/// copied unmarked into another attribute and (its first secret) into the resource's address.
fn fuzz_plan(position: &str, value: &Value, marker: &str, first: Option<&str>) -> String {
    let attrs = |v: &Value| json!({"input": v, "copy": v, "id": "1"});
    let old = json!({"input": "old", "copy": "old", "id": "1"});
    let address = match first {
        Some(secret) => format!("terraform_data.app[{}]", Value::from(secret)),
        None => "terraform_data.app".to_string(),
    };
    let rc = |actions: Value, before: Value, after: Value, marks_b: &str, marks_a: &str| {
        json!({"address": address, "mode": "managed", "type": "terraform_data", "name": "app",
               "change": {"actions": actions, "before": before, "after": after,
                          "after_unknown": {}, "before_sensitive": marks_b,
                          "after_sensitive": marks_a}})
    };
    let update = json!(["update"]);
    let mut doc = json!({"format_version": "1.2"});
    match position {
        "update" => doc["resource_changes"] = json!([rc(update, old, attrs(value), "{}", "M")]),
        "replace" => {
            let actions = json!(["delete", "create"]);
            doc["resource_changes"] = json!([rc(actions, attrs(value), old, "M", "{}")]);
        }
        "create" => {
            let actions = json!(["create"]);
            doc["resource_changes"] = json!([rc(actions, Value::Null, attrs(value), "F", "M")]);
        }
        "delete" => {
            let actions = json!(["delete"]);
            doc["resource_changes"] = json!([rc(actions, attrs(value), Value::Null, "M", "F")]);
        }
        "drift" => doc["resource_drift"] = json!([rc(update, old, attrs(value), "{}", "M")]),
        _ => {
            doc["output_changes"] = json!({"o": {"actions": ["update"], "before": "old",
                "after": value, "after_unknown": false, "before_sensitive": false,
                "after_sensitive": "O"}});
            let after = json!({"input": "new", "copy": value, "id": "1"});
            doc["resource_changes"] = json!([rc(update, old, after, "{}", "{}")]);
        }
    }
    doc.to_string()
        .replace("\"M\"", &format!(r#"{{"input": {marker}}}"#))
        .replace("\"O\"", marker)
        .replace("\"F\"", "false")
}

/// The runner of the fuzz target, seeded from `STACKFORM_FUZZ_SEED` or the clock; it prints
/// the seed so that a failure can be replayed.
fn seeded_runner(name: &str) -> TestRunner {
    let seed: u64 = std::env::var("STACKFORM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(67, |d| d.as_nanos() as u64)
        });
    eprintln!("{name}: seed {seed} (replay with STACKFORM_FUZZ_SEED={seed})");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

#[test]
fn fuzz_malformed_markers_in_every_position_never_show_a_secret() {
    let mut runner = seeded_runner("fuzz_malformed_markers_in_every_position_never_show_a_secret");
    let strategy = (
        shapes(),
        prop::collection::vec(mark(), 64),
        0..POSITIONS.len(),
    );
    let result = runner.run(&strategy, |(shape, marks, position)| {
        let mut n = 0;
        let value = with_secrets(&shape, &mut n);
        let mut next = marks.into_iter().cycle();
        let marker = marker_text(&value, &mut || next.next().unwrap_or(Mark::True));
        let first = secrets::string_literals(&value.to_string())
            .into_iter()
            .next();
        let plan = fuzz_plan(POSITIONS[position], &value, &marker, first.as_deref());
        let s = match Summary::from_json(plan.as_bytes()) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("{e:#}");
                prop_assert!(!msg.contains("SECRET"), "error shows a secret: {msg}");
                return Err(TestCaseError::fail(format!("not read: {msg}\n{plan}")));
            }
        };
        for f in [Format::Text, Format::Markdown, Format::Json] {
            let out = s.render(f);
            prop_assert!(
                !out.contains("SECRET"),
                "{f:?} shows a secret:\n{out}\nplan: {plan}"
            );
        }
        for w in &s.warnings {
            prop_assert!(!w.contains("SECRET"), "warning shows a secret: {w}");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
