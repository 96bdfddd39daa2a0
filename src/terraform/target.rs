//! What a `plan` or `apply` works on: an environment's generated root or any `--dir` root,
//! with the name of its `.stackform/` folder and the commands to suggest in messages.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::store;

#[derive(Debug, Clone)]
pub struct Target {
    /// Shown in progress lines and tables: the environment, or the root's path.
    pub label: String,
    /// Where terraform runs.
    pub root: PathBuf,
    /// Folder under `.stackform/`.
    pub store_name: String,
    /// `--env dev` or `--dir infra/demo`, for the commands messages suggest.
    pub selector: String,
    /// Whether `[policy] require_tracing` names this environment: changes that leave a
    /// component untraced are then `tracing-regression` risks.
    pub require_tracing: bool,
}

impl Target {
    pub fn env(name: &str) -> Result<Self> {
        // The name becomes a path component under environments/ and .stackform/.
        if name.is_empty()
            || name.starts_with('.')
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            bail!(
                "`{name}` is not an environment name (letters, digits, `_`, `-` and `.`, not \
                 starting with `.`)"
            );
        }
        Ok(Self {
            label: name.to_string(),
            root: Path::new("environments").join(name),
            store_name: name.to_string(),
            selector: format!("--env {name}"),
            require_tracing: false,
        })
    }

    pub fn dir(root: &Path, cwd: &Path) -> Result<Self> {
        if !root.is_dir() {
            bail!(
                "`{}` is not a folder; `--dir` takes a Terraform root folder",
                root.display()
            );
        }
        let shown = root.display().to_string();
        Ok(Self {
            label: shown.clone(),
            store_name: store::name_for_dir(root, cwd)?,
            root: root.to_path_buf(),
            selector: format!("--dir {}", quote(&shown)),
            require_tracing: false,
        })
    }

    /// In emulator mode, suggested commands carry `--aws-endpoint URL`.
    pub fn with_endpoint(mut self, endpoint: Option<&str>) -> Self {
        if let Some(url) = endpoint {
            self.selector = format!("{} --aws-endpoint {}", self.selector, quote(url));
        }
        self
    }

    /// With `--skip-type`, suggested commands carry the same types.
    pub fn with_skip_types(mut self, types: &[String]) -> Self {
        for t in types {
            self.selector = format!("{} --skip-type {t}", self.selector);
        }
        self
    }

    pub fn plan_command(&self) -> String {
        format!("stackform plan {}", self.selector)
    }

    pub fn apply_command(&self) -> String {
        format!("stackform apply {}", self.selector)
    }

    /// The root's path as the user would type it, for suggested terraform commands.
    pub fn root_shown(&self) -> String {
        quote(&self.root.display().to_string())
    }
}

/// Every Terraform root directly under `parent` (a folder holding a `.tf` or `.tf.json`
/// file), sorted by name.
pub fn roots_under(parent: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(parent).with_context(|| format!("cannot list `{}`", parent.display()))?;
    let mut roots = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if !entry.file_type()?.is_dir() || name.to_string_lossy().starts_with('.') {
            continue;
        }
        let has_config = std::fs::read_dir(entry.path())?.flatten().any(|f| {
            let n = f.file_name().to_string_lossy().into_owned();
            n.ends_with(".tf") || n.ends_with(".tf.json")
        });
        if has_config {
            roots.push(entry.path());
        }
    }
    roots.sort();
    if roots.is_empty() {
        bail!(
            "no Terraform root under `{}`: `--all --dir PARENT` plans every folder in PARENT \
             that holds `.tf` files",
            parent.display()
        );
    }
    Ok(roots)
}

/// Quotes a path for a shell when it needs it.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
