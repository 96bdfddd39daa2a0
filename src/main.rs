//! stackform: typed model of a serverless stack, rendered as Terraform HCL.
mod render;

fn main() {}
