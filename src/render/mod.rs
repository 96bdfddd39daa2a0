//! Pure rendering of a stack to Terraform HCL: `render(&Model) -> Vec<RenderedFile>`.
//!
//! Modules are environment-independent and rendered once; each environment gets a root that
//! calls them with literal inputs. Text comes from hcl-rs, gets checkov skip comments, then the
//! `terraform fmt` alignment pass, then the generated-file header. Writing is elsewhere.

pub mod api;
pub mod bootstrap;
pub mod fmt;
pub mod function;
pub mod hcl;
pub mod json;
pub mod module;
pub mod monitoring;
pub mod object;
pub mod root;
pub mod storage;
#[cfg(test)]
mod tests;
pub mod tracing;
pub mod workflow;

use crate::header::{Syntax, stamp};
use crate::model::{Model, Stack};
use module::{Module, Skip};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative to the output directory, with `/` separators.
    pub path: String,
    pub contents: String,
}

impl RenderedFile {
    pub fn hcl(path: String, body: String) -> Self {
        Self {
            path,
            contents: body,
        }
    }

    pub fn markdown(path: String, body: String) -> Self {
        Self {
            path,
            contents: body,
        }
    }
}

/// Which environments to render.
pub enum Selection<'a> {
    All,
    One(&'a str),
}

/// The modules every environment shares, built from one environment's view of the stack
/// (module contents never depend on the environment).
pub fn modules(stack: &Stack) -> Vec<Module> {
    let mut modules = vec![
        storage::kms(),
        storage::table(),
        storage::queue(),
        function::function(),
    ];
    if stack.xray.sdk_layer.is_some() {
        modules.push(function::layer());
    }
    if let Some(api) = &stack.api {
        modules.push(api::api(api));
    }
    if !stack.state_machines.is_empty() {
        modules.push(workflow::state_machines(stack));
    }
    modules.push(monitoring::monitoring(stack));
    modules.push(tracing::tracing(stack));
    for module in &mut modules {
        module.aws_provider.clone_from(&stack.aws_provider.value);
    }
    modules
}

/// Every file of the selected environments plus the shared modules, sorted by path, each
/// stamped with the header naming `source`.
pub fn render(model: &Model, selection: &Selection, source: &str) -> Vec<RenderedFile> {
    let mut files = Vec::new();
    if let Some(first) = model.environments.first() {
        for module in modules(first) {
            files.extend(module.files());
        }
    }
    for stack in &model.environments {
        if let Selection::One(env) = selection
            && stack.env != *env
        {
            continue;
        }
        files.extend(root::root(stack));
    }
    for file in &mut files {
        file.contents = stamp(Syntax::of(&file.path), source, &file.contents);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// HCL text of a body as `terraform fmt` writes it, with checkov skips inside their resources.
pub fn hcl_text(body: &::hcl::Body, skips: &[Skip]) -> String {
    hcl_text_with(body, skips, &object::Objects::default())
}

/// [`hcl_text`] of a body holding placeholders of `objects`.
pub fn hcl_text_with(body: &::hcl::Body, skips: &[Skip], objects: &object::Objects) -> String {
    let text = objects.expand(&::hcl::format::to_string(body).unwrap_or_default());
    if skips.is_empty() {
        return fmt::terraform_fmt(&text);
    }
    let text = {
        // By header, so a root with a skip per function stays linear.
        let mut headers: std::collections::HashMap<String, Vec<&Skip>> =
            std::collections::HashMap::new();
        for skip in skips {
            headers.entry(skip.header()).or_default().push(skip);
        }
        let mut out = String::with_capacity(text.len() + skips.len() * 80);
        for line in text.split_inclusive('\n') {
            out.push_str(line);
            for skip in headers.get(line.trim_end()).into_iter().flatten() {
                out.push_str(&format!("  #checkov:skip={}:{}\n", skip.check, skip.reason));
            }
        }
        out
    };
    fmt::terraform_fmt(&text)
}
