//! The configuration a plan file carries, compared with the root it is about to be applied to.
//!
//! A terraform plan file is a zip archive: the planned changes, the prior state, the dependency
//! lock file (`.terraform.lock.hcl`) and a snapshot of every module's configuration files
//! (`tfconfig/m-<key>/<file>`, with `tfconfig/modules.json` naming each module's folder).
//! `terraform apply PLAN` applies that snapshot, not the files in the folder. `meta.json`'s HCL
//! digest can be rewritten by anyone who can write `.stackform/`; the snapshot cannot be
//! changed without making a new plan, so `apply` compares it with the root's files.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::digest::{self, HclDigest, LOCK_FILE};
use super::store;

/// No configuration file of a real root comes near this; a bigger entry is not a plan we made.
const ENTRY_LIMIT: u64 = 64 << 20;

#[derive(Deserialize)]
struct Module {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Dir")]
    dir: String,
}

/// The local configuration files inside a plan file, named relative to the root as the digest
/// names them (`main.tf`, `../../modules/table/main.tf`, `.terraform.lock.hcl`), with their
/// sha256. Modules installed by `init` (under `.terraform/`) are left out: the root's HCL names
/// their source and version, and the snapshot, not the folder, is what is applied.
pub fn of_plan(plan: &[u8]) -> Result<BTreeMap<String, String>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(plan))
        .context("it is not a terraform plan file (not a zip archive)")?;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let entry = zip.by_index(i).context("a damaged plan file")?;
        let name = entry.name().context("a damaged plan file")?.to_string();
        if name != LOCK_FILE && !name.starts_with("tfconfig/") {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .take(ENTRY_LIMIT + 1)
            .read_to_end(&mut bytes)
            .context("a damaged plan file")?;
        if bytes.len() as u64 > ENTRY_LIMIT {
            bail!("`{name}` in the plan file is larger than any configuration file");
        }
        entries.push((name, bytes));
    }
    let Some((_, modules)) = entries.iter().find(|(n, _)| n == "tfconfig/modules.json") else {
        bail!("the plan file holds no configuration snapshot (`tfconfig/modules.json`)");
    };
    let modules: Vec<Module> =
        serde_json::from_slice(modules).context("the plan's `tfconfig/modules.json`")?;
    let dirs: BTreeMap<&str, &str> = modules
        .iter()
        .map(|m| (m.key.as_str(), m.dir.as_str()))
        .collect();
    let mut files = BTreeMap::new();
    for (name, bytes) in &entries {
        if name == LOCK_FILE {
            // A plan always carries a lock file; with no provider to lock (and none in the
            // folder) it is only terraform's header comment.
            if !no_providers(bytes) {
                files.insert(LOCK_FILE.to_string(), lock_identity(bytes));
            }
            continue;
        }
        let Some((key, file)) = name
            .strip_prefix("tfconfig/m-")
            .and_then(|rest| rest.split_once('/'))
        else {
            continue;
        };
        let Some(dir) = dirs.get(key) else {
            bail!("`{name}` in the plan file belongs to no module of `tfconfig/modules.json`");
        };
        if dir.starts_with(".terraform/") || dir.starts_with('/') {
            continue;
        }
        let dir = if *dir == "." { "" } else { dir };
        files.insert(
            digest::normalize(&digest::join(dir, file)),
            store::sha256_hex(bytes),
        );
    }
    Ok(files)
}

/// What a lock file says, not how it is written: terraform saves the locks it loaded, without
/// the file's comments or layout.
fn lock_identity(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| hcl::parse(t).ok())
    {
        Some(body) => {
            store::sha256_hex(hcl::format::to_string(&body).unwrap_or_default().as_bytes())
        }
        None => store::sha256_hex(bytes),
    }
}

/// A lock file that locks no provider (only comments).
fn no_providers(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| hcl::parse(text).ok())
        .is_some_and(|body| body.blocks().next().is_none() && body.attributes().next().is_none())
}

/// The files where the plan's snapshot and the root differ: changed, or present on one side
/// only. Variable files are not in a snapshot (their values are in the plan) and are left to
/// the HCL digest. `.tofu` files are read by OpenTofu only and shadow a `.tf` file of the same
/// stem there, so a plan made by one tool is not refused over the other tool's files.
pub fn differences(
    snapshot: &BTreeMap<String, String>,
    root: &Path,
    live: &HclDigest,
) -> Vec<String> {
    let tofu = |p: &str| p.ends_with(".tofu") || p.ends_with(".tofu.json");
    let made_by_tofu = snapshot.keys().any(|p| tofu(p));
    let mut out = Vec::new();
    for (path, hash) in snapshot {
        // The digest follows the local module calls it can parse; read anything else directly.
        let here = if path == LOCK_FILE {
            std::fs::read(root.join(LOCK_FILE))
                .ok()
                .map(|b| lock_identity(&b))
        } else {
            match live.files.get(path) {
                Some(entry) => entry.split(' ').next().map(str::to_string),
                None => std::fs::read(root.join(path))
                    .ok()
                    .map(|b| store::sha256_hex(&b)),
            }
        };
        if here.as_deref() != Some(hash.as_str()) {
            out.push(path.clone());
        }
    }
    for path in live.files.keys() {
        let name = path.rsplit('/').next().unwrap_or(path);
        let configuration = path == LOCK_FILE || digest::is_config_name(name, false);
        if !configuration || snapshot.contains_key(path) {
            continue;
        }
        let ignored = if made_by_tofu {
            let stem = path.trim_end_matches(".json").trim_end_matches(".tf");
            live.files.contains_key(&format!("{stem}.tofu"))
                || live.files.contains_key(&format!("{stem}.tofu.json"))
        } else {
            tofu(path)
        };
        if !ignored {
            out.push(path.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn plan_file(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("test setup");
            zip.write_all(text.as_bytes()).expect("test setup");
        }
        zip.finish().expect("test setup").into_inner()
    }

    const MODULES: &str = r#"[{"Key": "", "Dir": "."}, {"Key": "t", "Source": "../../modules/t", "Dir": "../../modules/t"}, {"Key": "r", "Source": "x/y/aws", "Dir": ".terraform/modules/r"}]"#;

    #[test]
    fn snapshot_files_are_named_as_the_digest_names_them() {
        let plan = plan_file(&[
            ("tfplan", "binary"),
            ("tfconfig/modules.json", MODULES),
            ("tfconfig/m-/main.tf", "root"),
            ("tfconfig/m-t/main.tf", "table"),
            ("tfconfig/m-r/main.tf", "registry module"),
            (".terraform.lock.hcl", "provider \"x\" {}\n"),
        ]);
        let files = of_plan(&plan).expect("a plan");
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["../../modules/t/main.tf", ".terraform.lock.hcl", "main.tf"]
        );
        assert_eq!(files["main.tf"], store::sha256_hex(b"root"));
        assert!(of_plan(b"not a zip").is_err());
        let unlocked = plan_file(&[
            ("tfconfig/modules.json", MODULES),
            (".terraform.lock.hcl", "# maintained by terraform init\n"),
        ]);
        assert!(of_plan(&unlocked).expect("a plan").is_empty());
        // Terraform saves the locks it loaded, not the file's comments and layout.
        assert_eq!(
            lock_identity(b"# edited by hand\nprovider \"x\" {\n  version = \"1.0\"\n}\n"),
            lock_identity(b"provider \"x\" {\n    version   = \"1.0\"\n}\n")
        );
        assert_ne!(
            lock_identity(b"provider \"x\" {\n  version = \"1.0\"\n}\n"),
            lock_identity(b"provider \"x\" {\n  version = \"1.1\"\n}\n")
        );
        let orphan = plan_file(&[
            ("tfconfig/modules.json", MODULES),
            ("tfconfig/m-x/main.tf", "?"),
        ]);
        assert!(of_plan(&orphan).is_err());
    }

    #[test]
    fn differences_name_changed_missing_and_extra_files() {
        let hash = |s: &str| store::sha256_hex(s.as_bytes());
        let snapshot: BTreeMap<String, String> = [
            ("main.tf".to_string(), hash("root")),
            ("../m/main.tf".to_string(), hash("module")),
        ]
        .into();
        let live = |files: &[(&str, String)]| HclDigest {
            hex: String::new(),
            files: files
                .iter()
                .map(|(p, h)| (p.to_string(), h.clone()))
                .collect(),
        };
        let root = Path::new("/nonexistent");
        let same = live(&[
            ("main.tf", format!("{} -> ../shared/main.tf", hash("root"))),
            ("../m/main.tf", hash("module")),
            ("terraform.tfvars", hash("x = 1")),
            ("other.tofu", hash("tofu only")),
        ]);
        assert!(differences(&snapshot, root, &same).is_empty());
        let other = live(&[
            ("main.tf", hash("changed")),
            ("extra.tf", hash("new")),
            (".terraform.lock.hcl", hash("lock")),
        ]);
        assert_eq!(
            differences(&snapshot, root, &other),
            ["../m/main.tf", ".terraform.lock.hcl", "extra.tf", "main.tf"]
        );
    }
}
