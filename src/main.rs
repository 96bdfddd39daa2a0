//! stackform: typed model of a serverless stack, rendered as Terraform HCL.
mod model;
mod render;

fn main() {}
