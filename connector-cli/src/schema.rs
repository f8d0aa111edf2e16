//! `connector schema [--out PATH]`: write the spec format's JSON Schema.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `connector schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the schema to this file instead of stdout (e.g. `specs/connector-spec.schema.json`).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let schema = connector_spec::schema::json_schema();
    match args.out {
        None => {
            print!("{schema}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(&path, schema) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("error: cannot write `{}`: {err}", path.display());
                ExitCode::from(2)
            }
        },
    }
}
