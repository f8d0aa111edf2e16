//! `connector completions SHELL`: print a shell completion script on stdout.
//!
//! The script is generated from the same clap definition the binary parses with, so every
//! subcommand and flag added later is completed without touching this file.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

/// Arguments of `connector completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:\n  \
bash: connector completions bash > ~/.local/share/bash-completion/completions/connector\n  \
zsh:  connector completions zsh > \"${fpath[1]}/_connector\"\n  \
fish: connector completions fish > ~/.config/fish/completions/connector.fish")]
pub struct Args {
    /// The shell to write the script for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

/// Writes the completion script of `C` (the binary's parser) for the chosen shell to stdout.
pub fn run<C: CommandFactory>(args: Args) -> ExitCode {
    let mut command = C::command();
    let name = command.get_name().to_owned();
    clap_complete::generate(args.shell, &mut command, name, &mut std::io::stdout());
    ExitCode::SUCCESS
}
