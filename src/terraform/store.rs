//! Saved plans under `.stackform/<name>/`: the binary plan, its JSON and a metadata file that
//! binds them to a digest of the root's HCL.
//!
//! Plans hold secrets in clear text, so the folders are 0700 and the files 0600. Every file is
//! written to a temporary name and renamed into place, and `meta.json` is removed before the
//! other two are replaced and written last: a run stopped half-way leaves no metadata, which
//! reads as "no saved plan", never as a plan paired with another plan's metadata.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::nofollow;

/// The folder, relative to the working directory, that holds every saved plan.
pub const BASE: &str = ".stackform";

pub const PLAN_FILE: &str = "plan.tfplan";
pub const JSON_FILE: &str = "plan.json";
pub const META_FILE: &str = "meta.json";
const LOCK_FILE: &str = "lock";

/// What is known about a saved plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// Bumped when the layout changes, so an old stackform never misreads a newer plan.
    pub format: u32,
    /// The root as given on the command line (`environments/dev`, or `--dir`'s value).
    pub root: String,
    /// The root's real path (links resolved), relative to the working directory when inside
    /// it (so a CI artifact applies in another checkout), else absolute: `apply` refuses a
    /// record made for another root.
    pub root_path: String,
    /// sha256 over the root's HCL and the local modules it calls (see `digest`).
    pub hcl_digest: String,
    /// The files that went into `hcl_digest`, relative to the root, with their sha256.
    pub hcl_files: BTreeMap<String, String>,
    pub plan_sha256: String,
    pub json_sha256: String,
    /// `terraform version`'s first line.
    pub terraform: String,
    pub planned_at: String,
    /// `plan -detailed-exitcode`: 0 no changes, 2 changes.
    pub plan_exit_code: i32,
    /// `--backend-config` files given to `init`, as given (relative to the working directory),
    /// reused by `apply`'s `init`.
    pub backend_config: Vec<String>,
    /// The AWS API emulator the plan was made against (`--aws-endpoint`); `None` for real
    /// AWS. `apply` refuses to run the plan anywhere else.
    pub aws_endpoint: Option<String>,
    /// Resource types left out with `--skip-type` (sorted); `apply` refuses other ones.
    /// Absent in records of older stackforms, which had no such flag.
    #[serde(default)]
    pub skip_types: Vec<String>,
    pub applied_at: Option<String>,
    pub apply_failed_at: Option<String>,
}

/// 2: `root_path`, and the plan's own configuration checked at `apply`. 3: `aws_endpoint`
/// (an older stackform would apply an emulator's plan to real AWS).
pub const FORMAT: u32 = 3;

/// One root's folder under `.stackform/`.
pub struct Store {
    pub dir: PathBuf,
}

impl Store {
    /// Opens (creating, 0700) `.stackform/<name>/` under `base`. Links are refused there, at
    /// the two folders and at each file name the store uses (see `nofollow`).
    pub fn open(base: &Path, name: &str) -> Result<Self> {
        let dir = base.join(BASE).join(name);
        nofollow::private_dir(&base.join(BASE))?;
        nofollow::private_dir(&dir)?;
        // Saved plans hold secrets in clear text: keep them out of any repository, not only
        // one whose .gitignore already names `.stackform/`.
        let ignore = base.join(BASE).join(".gitignore");
        if std::fs::symlink_metadata(&ignore).is_err() {
            write_private(
                &ignore,
                b"# Saved plans hold secrets in clear text; never commit them.\n*\n",
            )?;
        }
        // Files carried in from elsewhere (a CI artifact keeps no modes) are narrowed too.
        for file in [PLAN_FILE, JSON_FILE, META_FILE, LOCK_FILE] {
            nofollow::restrict(&dir.join(file))?;
        }
        Ok(Self { dir })
    }

    pub fn plan_path(&self) -> PathBuf {
        self.dir.join(PLAN_FILE)
    }

    pub fn json_path(&self) -> PathBuf {
        self.dir.join(JSON_FILE)
    }

    pub fn meta_path(&self) -> PathBuf {
        self.dir.join(META_FILE)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }

    /// The saved plan's metadata, or `None` when there is no saved plan.
    pub fn read_meta(&self) -> Result<Option<Meta>> {
        let path = self.meta_path();
        let Some(bytes) = nofollow::read(&path)? else {
            return Ok(None);
        };
        // The format first: an older record lacks fields this one needs.
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        if let Ok(Format { format }) = serde_json::from_slice(&bytes)
            && format != FORMAT
        {
            anyhow::bail!(
                "`{}` was written by another stackform version (format {format}); run `stackform \
                 plan` again",
                path.display()
            );
        }
        let meta: Meta = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "`{}` is not a stackform plan record; delete `{}` and plan again",
                path.display(),
                self.dir.display()
            )
        })?;
        Ok(Some(meta))
    }

    pub fn write_meta(&self, meta: &Meta) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(meta)?;
        bytes.push(b'\n');
        write_private(&self.meta_path(), &bytes)
    }

    /// A private scratch folder inside this store for one run's files, so that terraform writes
    /// its plan where no other run looks, and the rename into place stays on one filesystem.
    pub fn scratch(&self) -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix(".run-")
            .tempdir_in(&self.dir)
            .with_context(|| format!("cannot create a folder in `{}`", self.dir.display()))
    }

    /// Moves a finished plan (`plan.tfplan` in `scratch`) and its JSON into place, then writes
    /// `meta` (whose hashes are filled in here).
    pub fn commit(&self, scratch: &Path, json: &[u8], mut meta: Meta) -> Result<Meta> {
        let plan_tmp = scratch.join(PLAN_FILE);
        nofollow::restrict(&plan_tmp)?;
        let plan_bytes = nofollow::read(&plan_tmp)?
            .with_context(|| format!("terraform wrote no plan to `{}`", plan_tmp.display()))?;
        meta.plan_sha256 = sha256_hex(&plan_bytes);
        meta.json_sha256 = sha256_hex(json);

        match std::fs::remove_file(self.meta_path()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("cannot remove the previous plan record"),
        }
        write_private(&self.json_path(), json)?;
        std::fs::rename(&plan_tmp, self.plan_path())
            .with_context(|| format!("cannot move the plan into `{}`", self.dir.display()))?;
        self.write_meta(&meta)?;
        Ok(meta)
    }
}

/// Writes `bytes` to `path` with mode 0600 through a temporary file and a rename.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    nofollow::private_dir(dir)?;
    nofollow::refuse_link_at(path)?;
    // No fsync: a file torn by a crash fails the hash check against `meta.json` (itself
    // unreadable if torn), which reads as "plan again"; a flush per file would buy nothing.
    crate::write::replace_file(path, bytes, 0o600, false)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hexadecimal of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The store name of a `--dir` root: `dir-` and its path relative to the working directory
/// (`--dir infra/demo` is `dir-infra-demo`), so that a saved plan carried to another checkout
/// (a CI artifact) is found under the same name. A root outside the working directory gets
/// its folder name and a hash of its absolute path.
pub fn name_for_dir(dir: &Path, cwd: &Path) -> Result<String> {
    let abs = std::fs::canonicalize(dir)
        .with_context(|| format!("cannot find the root `{}`", dir.display()))?;
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let parts: Vec<String> = match abs.strip_prefix(&cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => vec![file_name(&abs)],
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect(),
        Err(_) => {
            let hash = sha256_hex(abs.as_os_str().as_encoded_bytes());
            vec![file_name(&abs), hash[..8].to_string()]
        }
    };
    let mut lossy = false;
    let name = parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "_.".contains(c) {
                        c
                    } else {
                        lossy = true;
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-");
    // `infra-demo` and `infra_demo` would share a folder (and one's plan could be applied to
    // the other): a name that lost characters carries a hash of the real path.
    let name = if lossy {
        let hash = sha256_hex(parts.join("/").as_bytes());
        format!("{name}-{}", &hash[..8])
    } else {
        name
    };
    Ok(format!("dir-{name}"))
}

/// The root's real path (links resolved) for `Meta::root_path`: relative to the working
/// directory when inside it, else absolute.
pub fn real_root(root: &Path, cwd: &Path) -> Result<String> {
    let abs = std::fs::canonicalize(root)
        .with_context(|| format!("cannot find the root `{}`", root.display()))?;
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    Ok(match abs.strip_prefix(&cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => abs.display().to_string(),
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(|| "root".to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn dir_names_are_relative_to_the_working_directory() {
        let cwd = tempfile::tempdir().expect("test setup");
        std::fs::create_dir_all(cwd.path().join("infra/my demo")).expect("test setup");
        let name = name_for_dir(&cwd.path().join("infra/my demo"), cwd.path()).expect("test setup");
        assert!(name.starts_with("dir-infra-my_demo-"), "{name}");
        assert_eq!(name.len(), "dir-infra-my_demo-".len() + 8, "{name}");
        // Names that differ only in characters a folder name cannot keep stay apart.
        for dir in ["infra-demo", "infra_demo"] {
            std::fs::create_dir_all(cwd.path().join(dir)).expect("test setup");
        }
        let dashed = name_for_dir(&cwd.path().join("infra-demo"), cwd.path()).expect("test setup");
        let underscored =
            name_for_dir(&cwd.path().join("infra_demo"), cwd.path()).expect("test setup");
        assert_eq!(underscored, "dir-infra_demo");
        assert_ne!(dashed, underscored);
        let other = tempfile::tempdir().expect("test setup");
        let name = name_for_dir(other.path(), cwd.path()).expect("test setup");
        assert!(name.starts_with("dir-"), "{name}");
        assert_eq!(name.len(), "dir-".len() + file_name(other.path()).len() + 9);
    }

    #[test]
    fn private_files_and_folders_are_owner_only() {
        let base = tempfile::tempdir().expect("test setup");
        let store = Store::open(base.path(), "dev").expect("test setup");
        write_private(&store.meta_path(), b"{}").expect("test setup");
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .expect("test setup")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&store.meta_path()), 0o600);
        assert_eq!(mode(&store.dir), 0o700);
        assert_eq!(mode(&base.path().join(BASE)), 0o700);
    }
}
