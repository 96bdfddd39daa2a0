//! The digest a saved plan is bound to: every configuration file of the root and of the local
//! modules it calls, followed transitively.
//!
//! Terraform applies a saved plan even after the `.tf` files changed, so `apply` compares this
//! digest with the one recorded at plan time. Files are named relative to the root
//! (`../../modules/table/main.tf`) so the digest is the same in every checkout.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use super::store;
use anyhow::{Context, Result};
use sha2::{Digest as _, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HclDigest {
    pub hex: String,
    /// Each file (relative to the root) and its sha256, sorted by path: `apply` names the files
    /// that changed.
    pub files: BTreeMap<String, String>,
}

impl HclDigest {
    /// Files added, removed or changed in `self` compared with `before`.
    pub fn changed_since(&self, before: &BTreeMap<String, String>) -> Vec<String> {
        let mut out: Vec<String> = self
            .files
            .iter()
            .filter(|(path, hash)| before.get(*path) != Some(hash))
            .map(|(path, _)| path.clone())
            .collect();
        out.extend(
            before
                .keys()
                .filter(|p| !self.files.contains_key(*p))
                .cloned(),
        );
        out.sort();
        out
    }
}

/// Hashes `root`'s configuration. Files that do not parse are still hashed; terraform reports
/// their errors, and only their local module calls go unfollowed.
pub fn of_root(root: &Path) -> Result<HclDigest> {
    let mut queue = VecDeque::from([String::new()]);
    let mut seen = BTreeSet::new();
    let mut files: Vec<(String, String)> = Vec::new();
    while let Some(label) = queue.pop_front() {
        let dir = if label.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&label)
        };
        let canonical = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        if !seen.insert(canonical) {
            continue;
        }
        let is_root = label.is_empty();
        for file in config_files(&dir, is_root)? {
            let name = file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Terraform reads through a link: so does the digest, and it names the target so
            // that pointing the link elsewhere counts as a change too.
            let bytes = match std::fs::read(&file.path) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && file.link.is_some() => None,
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot read `{}`", file.path.display()));
                }
            };
            if let Some(bytes) = &bytes {
                for source in local_module_sources(&name, bytes) {
                    queue.push_back(normalize(&join(&label, &source)));
                }
            }
            let hash = bytes.map_or_else(|| "missing".to_string(), |b| store::sha256_hex(&b));
            let entry = match &file.link {
                Some(target) => format!("{hash} -> {}", target.display()),
                None => hash,
            };
            files.push((join(&label, &name), entry));
        }
    }
    let files: BTreeMap<String, String> = files.into_iter().collect();
    let mut hasher = Sha256::new();
    for (name, hash) in &files {
        hasher.update(format!("{hash}  {name}\n").as_bytes());
    }
    Ok(HclDigest {
        hex: store::hex(&hasher.finalize()),
        files,
    })
}

/// A configuration file of a module folder; `link` is the target when it is a symbolic link.
struct ConfigFile {
    path: PathBuf,
    link: Option<PathBuf>,
}

/// The files terraform (or OpenTofu) reads from a module folder: `.tf`, `.tf.json`, `.tofu`,
/// `.tofu.json`, and in the root also the dependency lock file and the variable files terraform
/// loads by itself. Names terraform ignores (hidden, `#...`, `...~`) are left out, like it does.
fn config_files(dir: &Path, is_root: bool) -> Result<Vec<ConfigFile>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        // A missing module folder is terraform's error to report; it changes nothing to hash.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_root => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list `{}`", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_config_name(&name, is_root) {
            continue;
        }
        let kind = entry.file_type()?;
        let link = if kind.is_symlink() {
            Some(std::fs::read_link(entry.path())?)
        } else {
            None
        };
        // A link is followed (a dangling one is still recorded); folders and others are not
        // configuration.
        let file = kind.is_file()
            || (link.is_some() && std::fs::metadata(entry.path()).map_or(true, |m| m.is_file()));
        if file {
            out.push(ConfigFile {
                path: entry.path(),
                link,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Whether terraform reads a file of this name from a module folder (`is_root`: the root).
pub fn is_config_name(name: &str, is_root: bool) -> bool {
    if is_root && name == LOCK_FILE {
        return true;
    }
    if name.starts_with('.') || name.starts_with('#') || name.ends_with('~') {
        return false;
    }
    let config = [".tf", ".tf.json", ".tofu", ".tofu.json"]
        .iter()
        .any(|ext| name.ends_with(ext));
    let vars = is_root
        && (name == "terraform.tfvars"
            || name == "terraform.tfvars.json"
            || name.ends_with(".auto.tfvars")
            || name.ends_with(".auto.tfvars.json"));
    config || vars
}

/// The dependency lock file: it decides which provider builds `init` installs for `apply`.
pub const LOCK_FILE: &str = ".terraform.lock.hcl";

/// `source` values of `module` blocks that point at a local folder (`./x`, `../x`).
fn local_module_sources(name: &str, bytes: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let mut sources = Vec::new();
    if name.ends_with(".tf") || name.ends_with(".tofu") {
        let Ok(body) = hcl::parse(text) else {
            return Vec::new();
        };
        for block in body.blocks().filter(|b| b.identifier() == "module") {
            for attr in block.body().attributes().filter(|a| a.key() == "source") {
                if let hcl::Expression::String(s) = attr.expr() {
                    sources.push(s.clone());
                }
            }
        }
    } else if name.ends_with(".tf.json") || name.ends_with(".tofu.json") {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
            return Vec::new();
        };
        // `"module": {"name": {...}}`, each value an object or a list of objects.
        for call in doc["module"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            let bodies = match call {
                serde_json::Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for body in bodies {
                if let Some(s) = body["source"].as_str() {
                    sources.push(s.to_string());
                }
            }
        }
    }
    sources.retain(|s| s.starts_with("./") || s.starts_with("../"));
    sources
}

pub fn join(label: &str, rest: &str) -> String {
    if label.is_empty() {
        rest.to_string()
    } else {
        format!("{label}/{rest}")
    }
}

/// Resolves `.` and `..` textually (`../../modules/x/../y` is `../../modules/y`), so one folder
/// reached two ways gets one name.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            Component::ParentDir => parts.push(".."),
            Component::Normal(s) => parts.push(s.to_str().unwrap_or_default()),
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(base: &Path, path: &str, text: &str) {
        let p = base.join(path);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("test setup");
        std::fs::write(p, text).expect("test setup");
    }

    #[test]
    fn local_modules_are_followed_and_named_relative_to_the_root() {
        let t = tempfile::tempdir().expect("test setup");
        write(
            t.path(),
            "environments/dev/main.tf",
            "module \"a\" {\n  source = \"../../modules/a\"\n}\nmodule \"r\" {\n  source = \"hashicorp/x/aws\"\n}\n",
        );
        write(t.path(), "environments/dev/terraform.tfvars", "x = 1\n");
        write(t.path(), "environments/dev/notes.txt", "ignored\n");
        write(
            t.path(),
            "modules/a/main.tf",
            "module \"b\" {\n  source = \"./../b\"\n}\n",
        );
        write(
            t.path(),
            "modules/b/main.tf.json",
            "{\"module\": {\"a\": {\"source\": \"../a\"}}}",
        );
        write(
            t.path(),
            "modules/b/terraform.tfvars",
            "not read in a module\n",
        );
        let root = t.path().join("environments/dev");
        let first = of_root(&root).expect("digest");
        assert_eq!(
            first.files.keys().collect::<Vec<_>>(),
            [
                "../../modules/a/main.tf",
                "../../modules/b/main.tf.json",
                "main.tf",
                "terraform.tfvars"
            ]
        );
        write(t.path(), "modules/b/main.tf.json", "{}");
        let second = of_root(&root).expect("digest");
        assert_ne!(first.hex, second.hex, "a change in a called module counts");
        assert_eq!(
            second.changed_since(&first.files),
            ["../../modules/b/main.tf.json"]
        );
        write(t.path(), "environments/dev/notes.txt", "still ignored\n");
        assert_eq!(second, of_root(&root).expect("digest"));
    }

    #[test]
    fn links_lock_files_and_tofu_files_count_and_ignored_names_do_not() {
        let t = tempfile::tempdir().expect("test setup");
        write(
            t.path(),
            "shared/main.tf",
            "resource \"terraform_data\" \"a\" {}\n",
        );
        write(t.path(), "root/.terraform.lock.hcl", "# lock\n");
        write(t.path(), "root/extra.tofu", "locals {}\n");
        write(t.path(), "root/.hidden.tf", "ignored by terraform\n");
        write(t.path(), "root/main.tf~", "an editor's backup\n");
        let root = t.path().join("root");
        std::os::unix::fs::symlink("../shared/main.tf", root.join("main.tf")).expect("test setup");
        let first = of_root(&root).expect("digest");
        assert_eq!(
            first.files.keys().collect::<Vec<_>>(),
            [".terraform.lock.hcl", "extra.tofu", "main.tf"]
        );
        assert!(
            first.files["main.tf"].ends_with(" -> ../shared/main.tf"),
            "{:?}",
            first.files
        );
        write(
            t.path(),
            "shared/main.tf",
            "resource \"terraform_data\" \"b\" {}\n",
        );
        let second = of_root(&root).expect("digest");
        assert_eq!(second.changed_since(&first.files), ["main.tf"]);
        write(t.path(), "root/.terraform.lock.hcl", "# other providers\n");
        let third = of_root(&root).expect("digest");
        assert_eq!(third.changed_since(&second.files), [".terraform.lock.hcl"]);
    }

    #[test]
    fn paths_normalize_textually() {
        assert_eq!(normalize("../../modules/x/../y"), "../../modules/y");
        assert_eq!(normalize("./a/./b"), "a/b");
    }
}
