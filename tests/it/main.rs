//! Integration tests: one binary, a module per area.
mod checkov;
mod cli;
mod gen_writes;
mod generated;
mod moto;
mod orchestrator;
mod references;
mod schema;
mod summary;
mod support;
mod tracing;
