//! What an environment will hold, read from HCL or from a plan: resource instances with their
//! values, and the module calls of the root with their inputs.
//!
//! Both readers produce this one shape so the matrix, the findings and the service map are
//! computed by the same code whichever way the environment was read.

use std::collections::BTreeSet;

use super::value::Val;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Managed,
    Data,
}

#[derive(Debug, Clone)]
pub struct Resource {
    /// Module instance path, `module.function_payment` (empty in the root module).
    pub module: String,
    pub mode: Mode,
    pub kind: String,
    pub name: String,
    /// Instance key as Terraform writes it in addresses: `[0]`, `["orders"]`, or empty.
    pub key: String,
    /// Arguments and nested blocks (blocks as lists of objects, the way plans show them).
    pub values: Val,
    /// Resources the configuration refers to. Plans carry these next to values they cannot
    /// know; HCL values carry their origins inside [`Val::Unknown`] instead.
    pub refs: BTreeSet<String>,
    /// `file:line` of the declaration, when read from HCL.
    pub location: Option<String>,
}

impl Resource {
    /// The address without the instance key: `module.table_users.aws_dynamodb_table.protected`.
    pub fn config_address(&self) -> String {
        let local = match self.mode {
            Mode::Managed => format!("{}.{}", self.kind, self.name),
            Mode::Data => format!("data.{}.{}", self.kind, self.name),
        };
        if self.module.is_empty() {
            local
        } else {
            format!("{}.{local}", self.module)
        }
    }

    /// The instance address as Terraform prints it.
    pub fn address(&self) -> String {
        format!("{}{}", self.config_address(), self.key)
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        self.values.get(key)
    }

    pub fn path(&self, keys: &[&str]) -> Option<&Val> {
        self.values.path(keys)
    }

    /// Resources an argument refers to: the origins of its unknown parts, and for plans the
    /// resource's configuration references when the argument is not fully known.
    pub fn origins_of(&self, key: &str) -> BTreeSet<String> {
        let Some(v) = self.values.get(key) else {
            return BTreeSet::new();
        };
        let mut out = v.origins();
        if v.has_unknown() {
            out.extend(self.refs.iter().cloned());
        }
        out
    }

    /// Known strings of an argument, e.g. a function name or an ARN inside a definition.
    pub fn strings_of(&self, key: &str) -> Vec<&str> {
        self.values.get(key).map(Val::strings).unwrap_or_default()
    }
}

/// A `module` block of the root with its inputs.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    /// Inputs as written, printed in HCL (objects flattened to `key.item`), for comparing
    /// environments.
    pub inputs: Vec<(String, String)>,
    pub location: Option<String>,
}

/// Where an inventory was read from, for headings and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The HCL files of a root (`environments/prod`).
    Hcl(String),
    /// The model, rendered in memory because the root was not on disk.
    Rendered(String),
    /// A plan JSON document.
    Plan(String),
}

impl Origin {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hcl(_) => "hcl",
            Self::Rendered(_) => "rendered",
            Self::Plan(_) => "plan",
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Self::Hcl(p) | Self::Rendered(p) | Self::Plan(p) => p,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Hcl(p) => format!("from the HCL in {p}"),
            Self::Rendered(p) => format!("from {p} rendered in memory from the model"),
            Self::Plan(p) => format!("from the plan {p}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Inventory {
    pub origin: Origin,
    pub resources: Vec<Resource>,
    pub calls: Vec<ModuleCall>,
    /// What could not be read exactly (modules from a registry, unknown `count`), for stderr.
    pub notes: Vec<String>,
}

impl Inventory {
    pub fn managed<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources
            .iter()
            .filter(move |r| r.mode == Mode::Managed && r.kind == kind)
    }

    pub fn call(&self, name: &str) -> Option<&ModuleCall> {
        self.calls.iter().find(|c| c.name == name)
    }
}
