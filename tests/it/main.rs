//! Integration tests: one binary, a module per area.
mod schema;
mod references;
