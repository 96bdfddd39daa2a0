//! A Terraform module as data (variables, resources, outputs) and its files.
//!
//! Renderers of components fill a [`Module`]; this file turns it into `main.tf`,
//! `variables.tf`, `outputs.tf`, `versions.tf` and a README listing inputs and outputs.

use hcl::{Block, Expression};

use super::hcl::{b, body, s};
use super::{RenderedFile, hcl_text};

pub struct Variable {
    pub name: String,
    pub ty: Expression,
    pub description: String,
    pub default: Option<Expression>,
    /// A condition over `var.NAME` and the message shown when it is false.
    pub validation: Option<(Expression, String)>,
}

impl Variable {
    pub fn new(name: impl Into<String>, ty: Expression, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ty,
            description: description.into(),
            default: None,
            validation: None,
        }
    }

    /// `name_prefix`, which modules of several components use to name them.
    pub fn name_prefix() -> Self {
        Self::new(
            "name_prefix",
            super::hcl::ty::string(),
            "Prefix of every name, `<stack>-<env>`.",
        )
    }

    /// The environment's region, passed as a literal so that no attribute of one provider
    /// major version is needed (`data.aws_region` has `name` in 5.x, `region` in 6.x).
    pub fn region() -> Self {
        Self::new(
            "region",
            super::hcl::ty::string(),
            "AWS region of the environment, e.g. `us-east-1`.",
        )
    }

    pub fn default(mut self, value: Expression) -> Self {
        self.default = Some(value);
        self
    }

    pub fn validation(mut self, condition: Expression, message: impl Into<String>) -> Self {
        self.validation = Some((condition, message.into()));
        self
    }
}

pub struct Output {
    pub name: String,
    pub description: String,
    pub value: Expression,
}

impl Output {
    pub fn new(name: impl Into<String>, value: Expression, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            value,
        }
    }
}

/// A checkov check that does not apply to a block, with the reason written inside the block.
pub struct Skip {
    /// The block: `TYPE.NAME` (a resource), `data.TYPE.NAME` or `module.NAME`.
    pub resource: String,
    pub check: &'static str,
    pub reason: String,
}

impl Skip {
    /// The reason is written in a comment, so it is kept to one line whatever it holds.
    pub fn new(resource: &str, check: &'static str, reason: impl Into<String>) -> Self {
        let reason: String = reason.into();
        Self {
            resource: resource.to_string(),
            check,
            reason: reason
                .chars()
                .map(|c| {
                    if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                        ' '
                    } else {
                        c
                    }
                })
                .collect(),
        }
    }

    /// The top-level line that opens the block, as hcl-rs prints it.
    pub fn header(&self) -> String {
        let parts: Vec<&str> = self.resource.split('.').collect();
        match parts.as_slice() {
            ["module", name] => format!("module \"{name}\" {{"),
            ["data", ty, name] => format!("data \"{ty}\" \"{name}\" {{"),
            [ty, name] => format!("resource \"{ty}\" \"{name}\" {{"),
            _ => self.resource.clone(),
        }
    }
}

pub struct Module {
    pub name: String,
    pub description: String,
    pub variables: Vec<Variable>,
    pub blocks: Vec<Block>,
    pub outputs: Vec<Output>,
    pub skips: Vec<Skip>,
    /// The hashicorp/aws version constraint of `versions.tf`.
    pub aws_provider: String,
}

pub const REQUIRED_TERRAFORM: &str = ">= 1.5.0";
/// `terraform { required_version, required_providers }` with the stack's hashicorp/aws
/// constraint.
pub fn versions_block(aws_provider: &str) -> Block {
    use super::hcl::obj;
    b("terraform", [])
        .attr("required_version", s(REQUIRED_TERRAFORM))
        .block(b("required_providers", []).attr(
            "aws",
            obj([("source", s("hashicorp/aws")), ("version", s(aws_provider))]),
        ))
        .build()
}

impl Module {
    pub fn new(name: &str, description: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            description: description.into(),
            variables: Vec::new(),
            blocks: Vec::new(),
            outputs: Vec::new(),
            skips: Vec::new(),
            aws_provider: crate::model::DEFAULT_AWS_PROVIDER.to_string(),
        }
    }

    pub fn skip(&mut self, resource: &str, check: &'static str, reason: impl Into<String>) {
        self.skips.push(Skip::new(resource, check, reason));
    }

    pub fn files(&self) -> Vec<RenderedFile> {
        let dir = format!("modules/{}", self.name);
        let variables = self.variables.iter().map(|v| {
            let mut block = b("variable", [v.name.as_str()])
                .attr("description", s(&v.description))
                .attr("type", v.ty.clone());
            if let Some(default) = &v.default {
                block = block.attr("default", default.clone());
            }
            if let Some((condition, message)) = &v.validation {
                block = block.block(
                    b("validation", [])
                        .attr("condition", condition.clone())
                        .attr("error_message", s(message)),
                );
            }
            block.build()
        });
        let outputs = self.outputs.iter().map(|o| {
            b("output", [o.name.as_str()])
                .attr("description", s(&o.description))
                .attr("value", o.value.clone())
                .build()
        });
        vec![
            RenderedFile::hcl(
                format!("{dir}/main.tf"),
                hcl_text(&body(self.blocks.clone()), &self.skips),
            ),
            RenderedFile::hcl(
                format!("{dir}/variables.tf"),
                hcl_text(&body(variables), &[]),
            ),
            RenderedFile::hcl(format!("{dir}/outputs.tf"), hcl_text(&body(outputs), &[])),
            RenderedFile::hcl(
                format!("{dir}/versions.tf"),
                hcl_text(&body([versions_block(&self.aws_provider)]), &[]),
            ),
            RenderedFile::markdown(format!("{dir}/README.md"), self.readme()),
        ]
    }

    fn readme(&self) -> String {
        let cell = |text: &str| text.replace('|', "\\|");
        let variables: Vec<_> = self
            .variables
            .iter()
            .map(|v| {
                serde_json::json!({
                    "name": v.name,
                    "ty": inline(&v.ty),
                    "default": v.default.as_ref().map(inline),
                    "description": cell(&v.description),
                })
            })
            .collect();
        let outputs: Vec<_> = self
            .outputs
            .iter()
            .map(|o| serde_json::json!({ "name": o.name, "description": cell(&o.description) }))
            .collect();
        let mut context = tera::Context::new();
        context.insert("name", &self.name);
        context.insert("description", &self.description);
        context.insert("variables", &variables);
        context.insert("outputs", &outputs);
        // The template is part of the binary and its context always complete.
        tera::Tera::one_off(README_TEMPLATE, &context, false).unwrap_or_else(|e| format!("{e}\n"))
    }
}

const README_TEMPLATE: &str = include_str!("templates/module-readme.md");

/// An expression on one line, for README tables.
fn inline(e: &Expression) -> String {
    hcl::format::to_string(e)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}
