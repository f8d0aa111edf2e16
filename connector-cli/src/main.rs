//! `connector`: check, document, generate and run connector specs.
//!
//! Exit codes: 0 success; 1 a spec is invalid or a run failed; 2 a file could not be read or
//! the command line was wrong.

mod check;
mod completions;
mod drift;
mod generate;
mod import;
mod init;
mod live;
mod logging;
mod progress;
mod samples;
mod schema;
mod source;
mod spec_file;
mod state;
mod sync;

use std::process::ExitCode;

/// `sync` allocates records on tokio workers and frees them on the loader's thread; glibc's
/// malloc serialises that on arena locks. mimalloc measured 1.6-2x faster fetch + JSONL and
/// 1.1-1.2x faster fetch + SQLite (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Typed REST API connectors from declarative specs.
#[derive(Debug, Parser)]
#[command(name = "connector", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    log: logging::Args,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate spec files and summarise each valid one.
    Check(check::Args),
    /// Write the spec format's JSON Schema.
    Schema(schema::Args),
    /// Generate Rust code from specs.
    Generate(generate::Args),
    /// Run a spec and load its records into a destination.
    Sync(sync::Args),
    /// Show what a destination stores about a spec's resources, or reset their incremental
    /// state (`connector state reset SPEC`).
    State(state::Args),
    /// Record sample pages from the live API into the files `samples:` names (secrets
    /// scrubbed), for the compile-time sample check.
    Samples(samples::Args),
    /// Turn another tool's config into a spec (`connector import dlt FILE`).
    Import(import::Args),
    /// Make a spec skeleton from an OpenAPI document (`connector init --from-openapi FILE`).
    Init(init::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(completions::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.log);
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Sync(args) => sync::run(args, &cli.log),
        Command::State(args) => state::run(args),
        Command::Samples(args) => samples::run(args),
        Command::Import(args) => import::run(args),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::run::<Cli>(args),
    }
}
