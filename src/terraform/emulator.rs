//! Emulator mode (`--aws-endpoint URL`): terraform runs against an AWS-compatible API (moto,
//! LocalStack) through its environment and `init` flags only, so no file of the root changes.
//!
//! The provider and the S3 backend both read `AWS_ENDPOINT_URL` (and the per-service
//! `AWS_ENDPOINT_URL_<SERVICE>` variables, which are pointed at the emulator too so that none
//! of the user's reaches real AWS). The backend also needs path-style addressing and its
//! account and credential checks skipped, which only `init -backend-config` can set.
//! Terraform's working data (`.terraform/`, which records the backend configuration) goes to
//! a folder of its own under `.stackform/`, so switching between real AWS and the emulator
//! never makes `init` ask to migrate state.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// The environment variable read when `--aws-endpoint` is not given.
pub const ENV_VAR: &str = "STACKFORM_AWS_ENDPOINT";

/// Credentials given to terraform when the user set none: emulators check no signature.
const TEST_KEY: &str = "testing";
/// Region given when the user set none (the s3 backend wants one).
const TEST_REGION: &str = "us-east-1";

/// A checked emulator endpoint: `http(s)://host[:port]`, without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
}

/// The endpoint from `--aws-endpoint` or, when it is not given, `STACKFORM_AWS_ENDPOINT`
/// (empty counts as unset). `None` means real AWS.
pub fn from_args(flag: Option<&str>) -> Result<Option<Endpoint>> {
    if let Some(text) = flag {
        return parse(text, "--aws-endpoint").map(Some);
    }
    match std::env::var(ENV_VAR) {
        Ok(text) if !text.trim().is_empty() => parse(&text, ENV_VAR).map(Some),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("`{ENV_VAR}` is not valid UTF-8; set it to a URL like `http://127.0.0.1:5000`")
        }
    }
}

/// Checks `text` (given by `source`: the flag or the variable) as an emulator endpoint.
pub fn parse(text: &str, source: &str) -> Result<Endpoint> {
    let bad = |why: &str| {
        anyhow::anyhow!(
            "`{source}` `{text}` is not an AWS endpoint URL: {why}; give the emulator's base URL, \
             like `http://127.0.0.1:5000` or `https://localstack.example:4566`"
        )
    };
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(bad("it has no `http://` or `https://`"));
    };
    if scheme != "http" && scheme != "https" {
        return Err(bad(&format!(
            "the scheme `{scheme}` is not `http` or `https`"
        )));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains(['?', '#']) || path.contains(['?', '#']) {
        return Err(bad("a query or fragment is not allowed"));
    }
    if !path.is_empty() && path != "/" {
        return Err(bad(&format!("the path `{path}` is not allowed (only `/`)")));
    }
    if authority.contains('@') {
        return Err(bad("credentials in the URL are not allowed"));
    }
    let (host, port) = split_port(authority).map_err(|why| bad(&why))?;
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    let ipv6 = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
    let ipv6_ok = ipv6
        && host[1..host.len() - 1]
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    let name_ok = !host.starts_with(['.', '-'])
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !(ipv6_ok || (!ipv6 && name_ok)) {
        return Err(bad(&format!("`{host}` is not a host name or IP address")));
    }
    let url = match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    };
    Ok(Endpoint { url })
}

/// `host[:port]` (host may be `[ipv6]`); the port must be 1..=65535.
fn split_port(authority: &str) -> std::result::Result<(&str, Option<u16>), String> {
    let colon = if authority.starts_with('[') {
        authority
            .find(']')
            .and_then(|end| authority[end..].find(':').map(|c| end + c))
    } else {
        authority.rfind(':')
    };
    let Some(colon) = colon else {
        return Ok((authority, None));
    };
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.chars().all(|c| c.is_ascii_digit()) => Ok((host, Some(p))),
        _ => Err(format!("the port `{port}` is not a number from 1 to 65535")),
    }
}

impl Endpoint {
    /// Environment for terraform in emulator mode. `data_dir` is terraform's working data
    /// folder for this root in emulator mode.
    pub fn child_env(&self, data_dir: &Path) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = vec![
            ("AWS_ENDPOINT_URL".into(), self.url.clone().into()),
            ("AWS_ENDPOINT_URL_S3".into(), self.url.clone().into()),
            ("AWS_ENDPOINT_URL_STS".into(), self.url.clone().into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("TF_DATA_DIR".into(), data_dir.as_os_str().to_owned()),
        ];
        // A service endpoint the user set for real AWS must not win over the emulator.
        for (key, _) in std::env::vars_os() {
            if key
                .to_str()
                .is_some_and(|k| k.starts_with("AWS_ENDPOINT_URL_"))
                && !env.iter().any(|(k, _)| *k == key)
            {
                env.push((key, self.url.clone().into()));
            }
        }
        if !user_credentials() {
            env.push(("AWS_ACCESS_KEY_ID".into(), TEST_KEY.into()));
            env.push(("AWS_SECRET_ACCESS_KEY".into(), TEST_KEY.into()));
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            env.push(("AWS_REGION".into(), TEST_REGION.into()));
        }
        env
    }

    /// What stackform says once per run, so emulator mode is never silent.
    pub fn notice(&self) -> String {
        format!(
            "stackform: emulator mode: terraform talks to the AWS API at `{}`, not to real AWS \
             ({})",
            self.url,
            if user_credentials() {
                "with the credentials set in the environment"
            } else {
                "with test credentials `testing`, as none are set"
            }
        )
    }
}

/// Whether the user set credentials of their own (keys or a profile); they are then kept.
fn user_credentials() -> bool {
    ["AWS_ACCESS_KEY_ID", "AWS_PROFILE"]
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// `init -backend-config` settings for an S3 backend on an emulator: path-style addressing
/// (a host such as `127.0.0.1` has no bucket subdomains) and no checks against real AWS.
pub fn backend_args() -> Vec<String> {
    [
        "use_path_style=true",
        "skip_credentials_validation=true",
        "skip_requesting_account_id=true",
        "skip_metadata_api_check=true",
        "skip_region_validation=true",
    ]
    .iter()
    .map(|kv| format!("-backend-config={kv}"))
    .collect()
}

/// Terraform's working data for a root in emulator mode: `.stackform/<name>/emulator/`.
pub fn data_dir(store_dir: &Path) -> PathBuf {
    store_dir.join("emulator")
}

/// Whether the root's `terraform` block declares `backend "s3"` (the emulator's `init` flags
/// apply to it only; another backend would reject them).
pub fn has_s3_backend(root: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(root) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        path.extension().is_some_and(|x| x == "tf")
            && std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| hcl::parse(&text).ok())
                .is_some_and(|body| {
                    body.blocks()
                        .filter(|b| b.identifier() == "terraform")
                        .flat_map(|b| b.body().blocks())
                        .any(|b| {
                            b.identifier() == "backend"
                                && b.labels().first().is_some_and(|l| l.as_str() == "s3")
                        })
                })
    })
}

/// Where a saved plan was made to run, for messages: the emulator's URL or real AWS.
pub fn describe(endpoint: Option<&str>) -> String {
    match endpoint {
        Some(url) => format!("the AWS API emulator at `{url}`"),
        None => "real AWS".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_and_normalised() {
        let ok = |t: &str| parse(t, "--aws-endpoint").map(|e| e.url).expect(t);
        assert_eq!(ok("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(ok("http://127.0.0.1:5000/"), "http://127.0.0.1:5000");
        assert_eq!(
            ok("https://localstack.example"),
            "https://localstack.example"
        );
        assert_eq!(ok("http://[::1]:4566"), "http://[::1]:4566");
        for (bad, why) in [
            ("127.0.0.1:5000", "no `http://`"),
            ("ftp://127.0.0.1", "scheme `ftp`"),
            ("http://", "no host"),
            ("http://:5000", "no host"),
            ("http://127.0.0.1:5000/s3", "path `/s3`"),
            ("http://127.0.0.1:0", "port `0`"),
            ("http://127.0.0.1:99999", "port `99999`"),
            ("http://127.0.0.1:", "port ``"),
            ("http://user:pw@127.0.0.1", "credentials"),
            ("http://a b", "not a host name"),
            ("http://h/?x=1", "query"),
            ("http://[zz]:1", "not a host name"),
        ] {
            let err = parse(bad, "--aws-endpoint").expect_err(bad).to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(
                err.starts_with(&format!("`--aws-endpoint` `{bad}`")),
                "{err}"
            );
        }
    }

    #[test]
    fn only_an_s3_backend_gets_the_emulator_init_flags() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(
            dir.path().join("main.tf"),
            "resource \"terraform_data\" \"x\" {}\n",
        )
        .expect("write");
        assert!(!has_s3_backend(dir.path()));
        std::fs::write(
            dir.path().join("backend.tf"),
            "terraform {\n  backend \"local\" {}\n}\n",
        )
        .expect("write");
        assert!(!has_s3_backend(dir.path()));
        std::fs::write(
            dir.path().join("backend.tf"),
            "terraform {\n  backend \"s3\" {}\n}\n",
        )
        .expect("write");
        assert!(has_s3_backend(dir.path()));
    }
}
