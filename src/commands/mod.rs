//! One file per subcommand.

pub mod apply;
pub mod bootstrap;
pub mod diff_env;
pub mod generate;
pub mod graph;
pub mod init;
pub mod plan;
pub mod summary;
pub mod tracing;
pub mod validate;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::model::{self, DEFAULT_STACK, Model};

/// How messages name the model when no stack file was found.
pub const BUILT_IN: &str = "the built-in E-Com67 model";

/// A stack model and where it came from.
pub struct Source {
    pub text: String,
    /// Shown in messages and written into generated headers.
    pub name: String,
}

/// `--stack FILE`, else `./stack.toml`, else the built-in model.
pub fn read_stack(path: Option<&Path>) -> Result<Source> {
    let path: Option<PathBuf> = match path {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("stack.toml")).filter(|p| p.exists()),
    };
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read the stack model `{}`", p.display()))?;
            // Editors on Windows may save a byte-order mark; TOML does not allow one.
            let text = text
                .strip_prefix('\u{feff}')
                .map_or(text.clone(), str::to_string);
            Ok(Source {
                text,
                name: p.display().to_string(),
            })
        }
        None => {
            eprintln!(
                "stackform: note: no `stack.toml` here; using the built-in E-Com67 model (`stackform init` writes it out for editing)"
            );
            Ok(Source {
                text: DEFAULT_STACK.to_string(),
                name: BUILT_IN.to_string(),
            })
        }
    }
}

/// Loads the model, or prints every problem and returns `None`.
pub fn load(source: &Source) -> Option<Model> {
    match model::load(&source.text) {
        Ok(model) => Some(model),
        Err(d) => {
            eprintln!("{}", d.render(&source.name, &source.text));
            None
        }
    }
}
