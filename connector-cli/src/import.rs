//! `connector import dlt FILE [-o OUT] [--force] [--name NAME] [--compare SPEC]`: a dlt
//! `rest_api_source` config (a .py file, or Markdown holding a ```python block) to spec YAML,
//! loaded and validated in-process before it is written.
//!
//! Exit codes: 0 a valid spec was written (warnings allowed); 1 no valid spec could be made;
//! 2 a file could not be read or written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use connector_import::{NoteKind, Options};

/// Arguments of `connector import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    from: From,
}

#[derive(Debug, clap::Subcommand)]
enum From {
    /// A dlt `rest_api_source` config: a .py file, or a Markdown document holding it in a
    /// ```python block. Prints what it translated, guessed and left out (with lines) on
    /// stderr.
    Dlt(DltArgs),
}

#[derive(Debug, clap::Args)]
struct DltArgs {
    /// The .py file or Markdown document.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Write the spec here instead of stdout.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
    /// Overwrite OUT when it exists.
    #[arg(long)]
    force: bool,
    /// The connector's name (default: `rest_api_source(name=...)`, the `@dlt.source`
    /// function, else the file's name).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Also say how the imported spec's resolved model differs from this spec's (resources,
    /// endpoints, paginators, selectors, auth, parents, incremental, keys, dispositions,
    /// retries; not columns).
    #[arg(long, value_name = "SPEC")]
    compare: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    match args.from {
        From::Dlt(args) => dlt(args),
    }
}

fn dlt(args: DltArgs) -> ExitCode {
    let file = args.file.display().to_string();
    if let Some(out) = &args.out {
        if out.exists() && !args.force {
            eprintln!(
                "error: `{}` exists; pass --force to overwrite it",
                out.display()
            );
            return ExitCode::from(2);
        }
    }
    let text = match crate::spec_file::read(&args.file) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("error: cannot read `{file}`: {err}");
            return ExitCode::from(2);
        }
    };
    let options = Options {
        name: args.name.clone(),
        spec_file: Some(
            args.out
                .as_ref()
                .map_or_else(|| "<stdout>".to_owned(), |o| o.display().to_string()),
        ),
    };
    let import = connector_import::import_dlt(&text, &args.file, &options);
    for note in &import.notes {
        if note.line == 0 {
            eprintln!("{file}: {}: {}", note.kind.label(), note.message);
        } else {
            eprintln!(
                "{file}:{}: {}: {}",
                note.line,
                note.kind.label(),
                note.message
            );
        }
    }
    let count = |kind| import.notes.iter().filter(|n| n.kind == kind).count();
    let counts = format!(
        "{} translated, {} guessed, {} left out or warned",
        count(NoteKind::Translated),
        count(NoteKind::Guessed),
        count(NoteKind::Warning)
    );
    let (Some(yaml), Some(loaded), true) = (&import.yaml, &import.loaded, import.succeeded())
    else {
        eprintln!(
            "error: {file}: no valid spec: {} ({counts})",
            plural(count(NoteKind::Error), "error")
        );
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
        "imported {file}{}: connector `{}`, {} ({}); the spec is valid; {counts}",
        args.out
            .as_ref()
            .map(|o| format!(" to {}", o.display()))
            .unwrap_or_default(),
        loaded.spec.name,
        plural(resources.len(), "resource"),
        resources.join(", "),
    );
    if let Some(reference) = &args.compare {
        return compare(&loaded.resolved, reference);
    }
    ExitCode::SUCCESS
}

/// `--compare SPEC`: the differences of the resolved models, on stderr.
fn compare(imported: &connector_spec::ResolvedSpec, reference: &Path) -> ExitCode {
    let shown = reference.display();
    let loaded = match connector_spec::load(reference) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!("error: cannot compare: {shown} is not a valid spec");
            return ExitCode::from(1);
        }
    };
    let differences = connector_import::compare::differences(imported, &loaded.resolved);
    if differences.is_empty() {
        eprintln!("same model as {shown} (columns not compared)");
    } else {
        eprintln!(
            "differs from {shown} in {} (columns not compared):",
            plural(differences.len(), "field")
        );
        for d in &differences {
            eprintln!("  {d}");
        }
    }
    ExitCode::SUCCESS
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
