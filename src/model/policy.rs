//! `[policy]`: rules a stack keeps in every environment it names, checked on every load.
//!
//! `require_tracing` lists environments in which every component must be traced. The check
//! runs with validation (see `validate::policy`), so `gen` refuses to render a model that
//! breaks it; `stackform tracing` applies the same rule to the rendered HCL and to plans.

use std::ops::Range;

use super::diag::Diagnostics;
use super::reader::{Located, Reader};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// Environments in which every component must be traced, where each was named.
    pub require_tracing: Vec<Located<String>>,
    pub span: Range<usize>,
}

impl Policy {
    pub fn read(r: &mut Reader, d: &mut Diagnostics) -> Self {
        let require_tracing = r
            .get("require_tracing")
            .and_then(|f| f.strings(d))
            .unwrap_or_default();
        Self {
            require_tracing,
            span: r.span.clone(),
        }
    }

    /// Whether `env` must trace every component.
    pub fn requires_tracing(&self, env: &str) -> bool {
        self.require_tracing.iter().any(|e| e.value == env)
    }

    /// Where `env` was named in `require_tracing`, for located messages.
    pub fn entry(&self, env: &str) -> Option<&Located<String>> {
        self.require_tracing.iter().find(|e| e.value == env)
    }
}
