//! `connector schema` (being built; see its issue).

use std::process::ExitCode;

/// Arguments of `connector schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("connector schema: not built yet");
    ExitCode::from(2)
}
