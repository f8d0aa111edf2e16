//! `connector generate` (being built; see its issue).

use std::process::ExitCode;

/// Arguments of `connector generate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("connector generate: not built yet");
    ExitCode::from(2)
}
