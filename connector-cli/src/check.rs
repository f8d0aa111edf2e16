//! `connector check` (being built; see its issue).

use std::process::ExitCode;

/// Arguments of `connector check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("connector check: not built yet");
    ExitCode::from(2)
}
