//! `scripts/aws-emulator`, the test AWS emulator: it prints its URL first, answers the two Step
//! Functions calls moto lacks (validation from asl-validator, never a blanket OK), and stops on
//! SIGTERM together with its node validator. Missing installs fail with the hint, never a skip.
//!
//! Requests are plain HTTP/1.0 JSON posts (the awsJson1.0 protocol); moto routes them by the
//! credential scope of the `Authorization` header and checks no signature.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};
use serde_json::{Value, json};

use crate::support::repo;

struct Emulator {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Emulator {
    /// Starts `script` and reads the URL line; on failure the panic carries its stderr.
    fn start(script: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = dir.path().join("stderr.log");
        let mut child = Command::new(script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // A file, not a pipe: nobody reads the request log, and a full pipe would stall it.
            .stderr(std::fs::File::create(&log).expect("create the log file"))
            .spawn()
            .expect("run scripts/aws-emulator");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let mut emulator = Emulator {
            child,
            port: 0,
            log,
            _dir: dir,
        };
        let port = line
            .trim_end()
            .strip_prefix("http://127.0.0.1:")
            .and_then(|p| p.parse().ok());
        match port {
            Some(port) => emulator.port = port,
            None => panic!(
                "scripts/aws-emulator printed {line:?} instead of its URL; stderr:\n{}",
                emulator.stderr()
            ),
        }
        emulator
    }

    fn stderr(&mut self) -> String {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Calls a Step Functions action; the HTTP status and the JSON answer.
    fn call(&self, action: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the emulator");
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("set a read timeout");
        let head = format!(
            "POST / HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/x-amz-json-1.0\r\n\
             X-Amz-Target: AWSStepFunctions.{action}\r\nContent-Length: {}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/states/aws4_request, \
             SignedHeaders=host, Signature=0\r\n\r\n",
            self.port,
            body.len()
        );
        s.write_all(head.as_bytes()).expect("send the request");
        s.write_all(body.as_bytes()).expect("send the body");
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("read the answer");
        let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("an HTTP status");
        let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        (status, json)
    }

    /// Sends SIGTERM and waits (at most `secs`) for the exit.
    fn terminate(&mut self, secs: u64) -> ExitStatus {
        let pid = Pid::from_raw(self.child.id() as i32).expect("a process id");
        kill_process(pid, Signal::TERM).expect("send SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the emulator") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "scripts/aws-emulator still runs {secs} s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The process ids of the processes whose parent is `parent` and whose name is `name`.
fn children_named(parent: u32, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 1..].split_whitespace().nth(1);
        if &stat[open + 1..close] == name
            && ppid.and_then(|p| p.parse().ok()) == Some(parent)
            && let Ok(pid) = stat[..open].trim().parse()
        {
            out.push(pid);
        }
    }
    out
}

fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(')').map(|i| s[i + 1..].trim_start().to_string()))
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

fn codes(answer: &Value) -> Vec<&str> {
    answer["diagnostics"]
        .as_array()
        .expect("a diagnostics list")
        .iter()
        .map(|d| d["code"].as_str().expect("a code"))
        .collect()
}

#[test]
fn emulator_validates_with_asl_validator_lists_versions_and_stops_on_sigterm() {
    let mut emu = Emulator::start(&repo().join("scripts/aws-emulator"));
    let validators = children_named(emu.child.id(), "node");
    assert_eq!(validators.len(), 1, "one node validator: {validators:?}");

    let valid = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                                  "B": {"Type": "Succeed"}}});
    let (status, ok) = emu.call(
        "ValidateStateMachineDefinition",
        &json!({"definition": valid.to_string()}),
    );
    assert_eq!(status, 200, "{ok}");
    assert_eq!(
        ok,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );

    let dangling = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}});
    let (_, fail) = emu.call(
        "ValidateStateMachineDefinition",
        &json!({"definition": dangling.to_string()}),
    );
    assert_eq!(fail["result"], "FAIL", "{fail}");
    assert!(
        codes(&fail).contains(&"MISSING_TRANSITION_TARGET"),
        "{fail}"
    );
    assert!(
        fail["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Gone")),
        "{fail}"
    );
    assert_eq!(fail["diagnostics"][0]["severity"], "ERROR", "{fail}");

    let no_start = json!({"States": {"A": {"Type": "Pass", "End": true}}});
    let (_, fail) = emu.call(
        "ValidateStateMachineDefinition",
        &json!({"definition": no_start.to_string()}),
    );
    assert_eq!(fail["result"], "FAIL", "{fail}");
    assert_eq!(codes(&fail), ["SCHEMA_VALIDATION_FAILED"], "{fail}");
    assert!(
        fail["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("StartAt"))
    );

    let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:checkout";
    let (status, created) = emu.call(
        "CreateStateMachine",
        &json!({"name": "checkout", "definition": valid.to_string(), "publish": true,
                "roleArn": "arn:aws:iam::123456789012:role/checkout"}),
    );
    assert_eq!(status, 200, "{created}");
    let (status, versions) = emu.call(
        "ListStateMachineVersions",
        &json!({"stateMachineArn": machine}),
    );
    assert_eq!(status, 200, "{versions}");
    assert_eq!(
        versions["stateMachineVersions"][0]["stateMachineVersionArn"],
        format!("{machine}:1"),
        "{versions}"
    );
    assert_eq!(
        versions["stateMachineVersions"].as_array().map(Vec::len),
        Some(1)
    );

    let status = emu.terminate(10);
    assert!(
        status.success(),
        "exit after SIGTERM: {status}\n{}",
        emu.stderr()
    );
    for pid in validators {
        assert!(
            !is_running(pid),
            "the node validator {pid} outlived the emulator"
        );
    }
}

#[test]
fn emulator_without_its_installs_fails_with_the_install_hint() {
    // A copy of the script in a tree with neither .venv/ nor node_modules/.
    let tree = tempfile::tempdir().expect("temporary directory");
    let script = tree.path().join("scripts/aws-emulator");
    std::fs::create_dir_all(script.parent().expect("a parent")).expect("create scripts/");
    std::fs::copy(repo().join("scripts/aws-emulator"), &script).expect("copy the script");
    let out = Command::new(&script)
        .stdin(Stdio::null())
        .output()
        .expect("run the copy");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "no URL line without a server");
    assert!(
        stderr.contains("`.venv/bin/python` is missing") && stderr.contains("run scripts/test"),
        "{stderr}"
    );
}
