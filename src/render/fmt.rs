//! The `terraform fmt` alignment pass over hcl-rs output.
