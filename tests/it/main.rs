//! Integration tests: one binary, a module per area.
mod bootstrap;
mod checkov;
mod cli;
mod emulator;
mod emulator_mode;
mod gen_writes;
mod generated;
mod moto;
mod orchestrator;
mod provider;
mod references;
mod schema;
mod skip_type;
mod summary;
mod summary_secrets;
mod support;
mod tracing;
