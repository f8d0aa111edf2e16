//! `connector sync` (being built; see its issue).

use std::process::ExitCode;

/// Arguments of `connector sync`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("connector sync: not built yet");
    ExitCode::from(2)
}
