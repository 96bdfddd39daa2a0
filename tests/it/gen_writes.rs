//! How `gen` writes: all or nothing, one run at a time per output folder, and never through a
//! symbolic link to outside the output folder.
//!
//! Tests run as root, where a folder without write permission stops nothing, so the failures
//! here are ones permissions do not bypass: a regular file where `gen` needs a folder, and a
//! folder where it writes a file.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Test, default_stack};

/// Every entry under `dir` except `.stackform/`, without following links: path, kind and
/// contents (a link's target), so that any change at all shows.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = entry.path();
            let rel = p
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&p).expect("metadata");
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).expect("link");
                out.push((rel, format!("link to {}", target.display())));
            } else if meta.is_dir() {
                if rel != ".stackform" {
                    out.push((rel, "folder".into()));
                    stack.push(p);
                }
            } else {
                out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

/// The committed model with the payment function's description changed, which changes the
/// `main.tf` of every environment.
fn every_root_changes() -> String {
    let from = "Charges the customer through Stripe";
    let stack = default_stack();
    assert!(
        stack.contains(from),
        "stack.toml no longer contains {from:?}"
    );
    stack.replacen(from, "Charges the customer", 1)
}

/// A project generated once, then given a model that changes every root.
fn generated() -> Test {
    let t = Test::new()
        .file("stack.toml", &default_stack())
        .args(["gen", "--all"]);
    let out = t.run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    std::fs::write(t.path().join("stack.toml"), every_root_changes()).expect("write");
    t
}

/// Runs `gen --all`, expecting a refusal that names `expected`, and checks nothing changed
/// and no staged file is left behind.
fn refuses_untouched(t: &Test, expected: &[&str]) {
    let before = snapshot(t.path());
    let out = t.run();
    assert_eq!(
        out.status, 1,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    for e in expected {
        assert!(out.stderr.contains(e), "expected {e:?} in:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    let after = snapshot(t.path());
    let changed: Vec<&String> = after
        .iter()
        .filter(|entry| !before.contains(entry))
        .map(|(path, _)| path)
        .collect();
    assert!(changed.is_empty(), "changed or added: {changed:?}");
    assert_eq!(before.len(), after.len(), "files were removed");
}

#[test]
fn a_file_where_an_environment_folder_must_be_stops_gen_before_any_root_is_rewritten() {
    let t = generated();
    // Sorted, `dev` and `prod` are staged before `staging` fails.
    let staging = t.path().join("environments/staging");
    std::fs::remove_dir_all(&staging).expect("remove");
    std::fs::write(&staging, "not a folder\n").expect("write");
    refuses_untouched(
        &t,
        &[
            "cannot create folder `environments/staging`",
            "a file is in the way",
        ],
    );
}

#[test]
fn a_folder_where_a_generated_file_must_be_stops_gen_before_any_root_is_rewritten() {
    let t = generated();
    let main = t.path().join("environments/staging/main.tf");
    std::fs::remove_file(&main).expect("remove");
    std::fs::create_dir(&main).expect("mkdir");
    std::fs::write(main.join("keep.txt"), "mine\n").expect("write");
    refuses_untouched(
        &t,
        &["`environments/staging/main.tf` is a folder where `gen` writes a file"],
    );
}

#[test]
fn gen_refuses_to_write_through_a_symbolic_link() {
    for (link, to_folder) in [
        ("modules", true),
        ("environments", true),
        ("environments/dev", true),
        ("modules/function", true),
        ("environments/dev/main.tf", false),
    ] {
        let t = generated();
        let outside = tempfile::tempdir().expect("tempdir");
        let target = if to_folder {
            outside.path().to_path_buf()
        } else {
            outside.path().join("victim.tf")
        };
        if !to_folder {
            std::fs::write(&target, "# someone else's file\n").expect("write");
        }
        let at = t.path().join(link);
        std::fs::remove_dir_all(&at)
            .or_else(|_| std::fs::remove_file(&at))
            .expect("remove");
        std::os::unix::fs::symlink(&target, &at).expect("symlink");
        let outside_before = snapshot(outside.path());
        refuses_untouched(&t, &[&format!("`{link}` is a symbolic link")]);
        assert_eq!(
            snapshot(outside.path()),
            outside_before,
            "`gen` wrote through `{link}`"
        );
        // `--check` reads nothing through the link either.
        let check = Command::new(env!("CARGO_BIN_EXE_stackform"))
            .args(["gen", "--all", "--check"])
            .current_dir(t.path())
            .output()
            .expect("run");
        assert_eq!(check.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&check.stderr).contains("is a symbolic link"),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

#[test]
fn a_second_gen_waits_for_the_first_and_says_who_holds_the_folder() {
    let t = Test::new().file("stack.toml", &default_stack());
    std::fs::create_dir(t.path().join(".stackform")).expect("mkdir");
    let mut held = File::create(t.path().join(".stackform/gen.lock")).expect("lock file");
    held.lock().expect("lock");
    held.write_all(b"`gen` by pid 4242, started 2026-12-01T00:00:00Z")
        .expect("write");

    let mut second = Command::new(env!("CARGO_BIN_EXE_stackform"))
        .args(["gen", "--all"])
        .current_dir(t.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        second.try_wait().expect("wait").is_none(),
        "`gen` did not wait for the lock"
    );
    assert!(
        !t.path().join("modules").exists(),
        "`gen` wrote while another run held the folder"
    );
    drop(held);
    let out = second.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("waiting for another `stackform gen` (`gen` by pid 4242"),
        "{stderr}"
    );
    assert!(t.path().join("environments/prod/main.tf").exists());
}

#[test]
fn a_second_gen_gives_up_after_its_lock_timeout_without_writing() {
    let t = Test::new().file("stack.toml", &default_stack());
    std::fs::create_dir(t.path().join(".stackform")).expect("mkdir");
    let held = File::create(t.path().join(".stackform/gen.lock")).expect("lock file");
    held.lock().expect("lock");
    let t = t.args(["gen", "--all", "--lock-timeout", "200ms"]);
    let out = t.run();
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("another `stackform gen`")
            && out.stderr.contains("raise `--lock-timeout`")
            && out.stderr.contains("nothing was written"),
        "{}",
        out.stderr
    );
    assert!(!t.path().join("modules").exists());
}

/// A model big enough that two runs overlap.
fn big_stack(n: usize) -> String {
    let mut out = String::from(
        "[stack]\nname = \"bench\"\nregion = \"us-east-1\"\nartifact_bucket = \"bench-artifacts\"\n\
         [state]\nbucket = \"bench-terraform-state\"\n\
         [environments.dev]\n[environments.staging]\n[environments.prod]\n",
    );
    for i in 0..n {
        out.push_str(&format!(
            "[tables.t{i}]\nhash_key = \"id\"\n[functions.f{i}]\nhandler = \"f{i}.handler\"\n\
             package = \"f{i}.zip\"\ntables = {{ t{i} = \"read-write\" }}\n"
        ));
    }
    out
}

#[test]
fn concurrent_gen_runs_on_one_folder_both_succeed_and_leave_a_current_tree() {
    let t = Test::new().file("stack.toml", &big_stack(300));
    for round in 0..3 {
        // Alternate the model so each round rewrites files and removes orphans.
        let n = if round % 2 == 0 { 300 } else { 200 };
        std::fs::write(t.path().join("stack.toml"), big_stack(n)).expect("write");
        let runs: Vec<_> = (0..2)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_stackform"))
                    .args(["gen", "--all"])
                    .current_dir(t.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for run in runs {
            let out = run.wait_with_output().expect("wait");
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let staged: Vec<String> = snapshot(t.path())
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p.contains(".stackform-"))
            .collect();
        assert!(staged.is_empty(), "temporary files left: {staged:?}");
        let check = Command::new(env!("CARGO_BIN_EXE_stackform"))
            .args(["gen", "--all", "--check"])
            .current_dir(t.path())
            .output()
            .expect("run");
        assert_eq!(
            check.status.code(),
            Some(0),
            "round {round}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}
