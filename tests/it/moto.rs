//! A moto S3 server on a free 127.0.0.1 port, for remote-state tests: a real S3 API that
//! terraform's s3 backend talks to, stopped when the guard drops (a failing test too).
//!
//! Requests are plain HTTP/1.0 over a socket (HTTP/1.0 keeps answers unchunked), path-style.
//! moto checks no signature, but answers 403 to a GET of a private object without any
//! `Authorization` header, so requests carry a dummy one.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::repo;

pub struct Moto {
    child: Child,
    pub port: u16,
}

/// `.venv/bin/moto_server` (installed by `scripts/test`), else one on `PATH`.
fn moto_server() -> PathBuf {
    let venv = repo().join(".venv/bin/moto_server");
    if venv.is_file() {
        return venv;
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("moto_server"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "moto_server not found in .venv/bin or on PATH: run scripts/test, which installs \
                 moto[server] into .venv/, or pip install \"moto[server]\""
            )
        })
}

impl Moto {
    pub fn start() -> Self {
        let bin = moto_server();
        // A port freed a moment ago can be taken by another test in between: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start moto_server");
            let mut moto = Moto { child, port };
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = moto.child.try_wait() {
                    break;
                }
                if moto.request("GET", "/", &[]).is_some() {
                    return moto;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("moto_server did not answer on 127.0.0.1 after five tries");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends one S3 request; `None` when the server cannot be reached.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
        self.request_to("s3", "", method, path, body)
    }

    /// Sends one request to `service` (moto routes by the credential scope of the
    /// `Authorization` header); `headers` are extra `Name: value\r\n` lines.
    fn request_to(
        &self,
        service: &str,
        headers: &str,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Option<(u16, Vec<u8>)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=0\r\n{headers}\r\n",
            self.port,
            body.len()
        );
        s.write_all(head.as_bytes()).ok()?;
        s.write_all(body).ok()?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).ok()?;
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status = std::str::from_utf8(&raw[..split])
            .ok()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some((status, raw[split + 4..].to_vec()))
    }

    pub fn create_bucket(&self, bucket: &str) {
        let (status, body) = self
            .request("PUT", &format!("/{bucket}"), &[])
            .expect("moto answers");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }

    /// The status and body of an S3 `GET` of `path` (such as `/bucket?versioning`).
    pub fn s3_get(&self, path: &str) -> (u16, String) {
        let (status, body) = self.request("GET", path, &[]).expect("moto answers");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// The status of an S3 `PUT` of `body` to `path` (such as `/bucket?versioning`).
    pub fn s3_put(&self, path: &str, body: &str) -> u16 {
        self.request("PUT", path, body.as_bytes())
            .expect("moto answers")
            .0
    }

    /// An object's bytes, or `None` when it does not exist.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let (status, body) = self
            .request("GET", &format!("/{bucket}/{key}"), &[])
            .expect("moto answers");
        (status == 200).then_some(body)
    }

    /// Every key in the bucket.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let (status, body) = self
            .request("GET", &format!("/{bucket}?list-type=2"), &[])
            .expect("moto answers");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let text = String::from_utf8_lossy(&body);
        text.split("<Key>")
            .skip(1)
            .filter_map(|k| k.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    /// The URLs of every SQS queue (`ListQueues`, JSON protocol).
    pub fn queue_urls(&self) -> Vec<String> {
        let (status, body) = self
            .request_to(
                "sqs",
                "X-Amz-Target: AmazonSQS.ListQueues\r\n\
                 Content-Type: application/x-amz-json-1.0\r\n",
                "POST",
                "/",
                b"{}",
            )
            .expect("moto answers");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let answer: serde_json::Value =
            serde_json::from_slice(&body).expect("ListQueues answers JSON");
        answer["QueueUrls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect()
    }

    /// A partial s3 backend configuration for `bucket`/`key` on this server, written to
    /// `path` (for `--backend-config`).
    pub fn write_backend_config(&self, path: &Path, bucket: &str, key: &str) {
        let text = format!(
            "bucket                      = \"{bucket}\"\n\
             key                         = \"{key}\"\n\
             region                      = \"us-east-1\"\n\
             endpoints                   = {{ s3 = \"{}\" }}\n\
             use_path_style              = true\n\
             use_lockfile                = true\n\
             skip_credentials_validation = true\n\
             skip_requesting_account_id  = true\n\
             skip_metadata_api_check     = true\n\
             skip_region_validation      = true\n",
            self.endpoint()
        );
        std::fs::write(path, text).expect("write the backend configuration");
    }
}

/// Dummy credentials and a fixed region: the s3 backend wants both, moto checks neither.
pub const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

impl Drop for Moto {
    fn drop(&mut self) {
        // SIGKILL: moto takes about 2 s to exit after SIGTERM and keeps nothing worth saving.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
