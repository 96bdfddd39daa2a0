//! Integration tests: one binary, a module per area.
mod cli;
mod references;
mod schema;
mod support;
