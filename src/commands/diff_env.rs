//! `stackform diff-env A B`: every setting that differs between two environments, grouped by
//! component.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::tracing::{print_notes, source_for};
use crate::cli::{DiffEnvArgs, Format};
use crate::insight::{self, diff};

#[derive(Serialize)]
struct JsonDiff<'a> {
    a: &'a str,
    b: &'a str,
    components: &'a [diff::Component],
}

pub fn run(args: &DiffEnvArgs) -> Result<ExitCode> {
    let source = source_for(&args.dir, args.stack.stack.as_deref())?;
    let Some(model) = super::load(&source) else {
        return Ok(ExitCode::from(1));
    };
    let a = insight::read_environment(&args.dir, &model, &source.name, &args.a)?;
    print_notes(&a.notes);
    let b = insight::read_environment(&args.dir, &model, &source.name, &args.b)?;
    print_notes(&b.notes);
    let components = diff::diff(&args.a, &a, &args.b, &b);
    let count: usize = components.iter().map(|c| c.settings.len()).sum();
    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not set)".into());
    match args.format.unwrap_or(Format::Text) {
        Format::Json => {
            let doc = JsonDiff {
                a: &args.a,
                b: &args.b,
                components: &components,
            };
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Text => {
            println!(
                "settings that differ between `{}` and `{}`\n  {}: {}\n  {}: {}",
                args.a,
                args.b,
                args.a,
                a.origin.describe(),
                args.b,
                b.origin.describe()
            );
            for c in &components {
                println!(
                    "\nmodule.{} ({})",
                    c.module,
                    c.source.trim_start_matches("../../")
                );
                let width = |f: &dyn Fn(&diff::Setting) -> String, title: &str| {
                    c.settings
                        .iter()
                        .map(|s| f(s).chars().count())
                        .chain([title.chars().count()])
                        .max()
                        .unwrap_or(0)
                };
                let (wk, wa) = (
                    width(&|s| s.setting.clone(), "setting"),
                    width(&|s| value(&s.a), &args.a),
                );
                println!("  {:<wk$}  {:<wa$}  {}", "setting", args.a, args.b);
                for s in &c.settings {
                    println!(
                        "  {:<wk$}  {:<wa$}  {}",
                        s.setting,
                        value(&s.a),
                        value(&s.b)
                    );
                }
            }
            println!("\n{}", summary(count, components.len(), &args.a, &args.b));
        }
        Format::Markdown => {
            println!(
                "## Settings that differ between `{}` and `{}`\n",
                args.a, args.b
            );
            println!("- `{}`: read {}", args.a, a.origin.describe());
            println!("- `{}`: read {}", args.b, b.origin.describe());
            for c in &components {
                println!("\n### `module.{}`\n", c.module);
                println!("| setting | {} | {} |\n|---|---|---|", args.a, args.b);
                for s in &c.settings {
                    let cell = |v: &Option<String>| format!("`{}`", value(v).replace('|', "\\|"));
                    println!("| `{}` | {} | {} |", s.setting, cell(&s.a), cell(&s.b));
                }
            }
            println!("\n{}.", summary(count, components.len(), &args.a, &args.b));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(settings: usize, components: usize, a: &str, b: &str) -> String {
    if settings == 0 {
        return format!("`{a}` and `{b}` have the same settings");
    }
    format!(
        "{settings} setting{} differ{} in {components} component{}",
        if settings == 1 { "" } else { "s" },
        if settings == 1 { "s" } else { "" },
        if components == 1 { "" } else { "s" }
    )
}
