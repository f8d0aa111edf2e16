//! `connector init --from-openapi FILE [-o OUT] [--force] [--name NAME]`: a spec skeleton from
//! an OpenAPI document, loaded and validated in-process before it is written. What was
//! guessed and what could not be done go to stderr, each with the document's line and the
//! operation's JSON pointer.
//!
//! Exit codes: 0 a valid spec was written (warnings allowed); 1 no valid spec could be made;
//! 2 a file could not be read or written.

use std::path::PathBuf;
use std::process::ExitCode;

use connector_import::openapi::{init_from_openapi, InitOptions};
use connector_import::NoteKind;

/// Arguments of `connector init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The OpenAPI 3.0 / 3.1 document (YAML or JSON) to make the spec from.
    #[arg(long = "from-openapi", value_name = "FILE")]
    from_openapi: PathBuf,
    /// Write the spec here instead of stdout (the document is named relative to it).
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
    /// Overwrite OUT when it exists.
    #[arg(long)]
    force: bool,
    /// The connector's name (default: the document's `info.title`, in snake case).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    let file = args.from_openapi.display().to_string();
    if let Some(out) = &args.out {
        if out.exists() && !args.force {
            eprintln!(
                "error: `{}` exists; pass --force to overwrite it",
                out.display()
            );
            return ExitCode::from(2);
        }
    }
    let options = InitOptions {
        name: args.name.clone(),
        spec_path: args.out.clone(),
    };
    let init = init_from_openapi(&args.from_openapi, &options);
    for note in &init.notes {
        let pointer = if note.pointer.is_empty() {
            String::new()
        } else {
            format!(" {}:", note.pointer)
        };
        let label = match note.kind {
            NoteKind::Warning => "could not",
            other => other.label(),
        };
        let message = note
            .message
            .strip_prefix("could not ")
            .unwrap_or(&note.message);
        eprintln!("{file}:{}: {label}:{pointer} {message}", note.line);
    }
    let count = |kind| init.notes.iter().filter(|n| n.kind == kind).count();
    if init.notes.iter().any(|n| n.kind == NoteKind::Error) && init.yaml.is_none() {
        return ExitCode::from(if std::fs::metadata(&args.from_openapi).is_err() {
            2
        } else {
            1
        });
    }
    let (Some(yaml), Some(loaded)) = (&init.yaml, &init.loaded) else {
        eprintln!("error: {file}: no valid spec could be made (see the errors above)");
        return ExitCode::from(1);
    };
    match &args.out {
        None => print!("{yaml}"),
        Some(out) => {
            if let Err(err) = std::fs::write(out, yaml) {
                eprintln!("error: cannot write `{}`: {err}", out.display());
                return ExitCode::from(2);
            }
        }
    }
    let resources: Vec<&str> = loaded
        .resolved
        .resources
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    eprintln!(
        "made a spec from {file}{}: connector `{}`, {} resource(s) ({}); the spec is valid; {} \
         guessed, {} could not",
        args.out
            .as_ref()
            .map(|o| format!(" in {}", o.display()))
            .unwrap_or_default(),
        loaded.spec.name,
        resources.len(),
        resources.join(", "),
        count(NoteKind::Guessed),
        count(NoteKind::Warning),
    );
    ExitCode::SUCCESS
}
