//! Pure rendering of a stack to Terraform HCL.
pub mod fmt;
