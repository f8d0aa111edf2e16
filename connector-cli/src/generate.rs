//! `connector generate`: the code generator on the command line.
//!
//! - `connector generate SPEC... --out DIR` writes a standalone crate (Cargo.toml, src/lib.rs,
//!   one module per spec) that builds against connector-runtime;
//! - `connector generate SPEC... --stdout` prints the modules;
//! - `connector generate --all` rewrites `generated/` from every `specs/*.yaml` of the
//!   workspace (`cargo regen`); with `--check` it writes nothing and exits 1 naming every stale
//!   file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use connector_codegen::outputs::{self, RuntimeDependency};
use connector_codegen::{write_file_if_changed, Builder, Error};

/// Arguments of `connector generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Spec files to generate from.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    specs: Vec<PathBuf>,

    /// Write a standalone crate into this directory.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["stdout", "all"], required_unless_present_any = ["stdout", "all"])]
    out: Option<PathBuf>,

    /// Print the generated modules instead of writing files.
    #[arg(long)]
    stdout: bool,

    /// Regenerate the workspace's `generated/` crate from every `specs/*.yaml`.
    #[arg(long)]
    all: bool,

    /// Write nothing; exit 1 naming every file that is not what generation would write.
    #[arg(long, conflicts_with = "stdout")]
    check: bool,

    /// Package name of the crate written by `--out` (default: the directory's name).
    #[arg(long, requires = "out")]
    crate_name: Option<String>,

    /// Depend on connector-runtime at this path instead of the published version.
    #[arg(long, value_name = "PATH", requires = "out")]
    runtime_path: Option<PathBuf>,
}

/// Runs the command; exit 0 on success, 1 on an invalid spec or stale files, 2 on I/O errors.
pub fn run(args: Args) -> ExitCode {
    match execute(&args) {
        Ok(code) => code,
        Err(err) => {
            let code = match err {
                Error::Io { .. } => 2,
                _ => 1,
            };
            for line in err.to_string().lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(code)
        }
    }
}

fn execute(args: &Args) -> Result<ExitCode, Error> {
    if args.all {
        let root = workspace_root()?;
        let files = outputs::generated_crate(&root)?;
        return write_or_check(&root, &files, args.check, "cargo regen");
    }
    let unreadable: Vec<&PathBuf> = args.specs.iter().filter(|p| !p.is_file()).collect();
    if !unreadable.is_empty() {
        for path in unreadable {
            eprintln!("error: {}: no such spec file", path.display());
        }
        return Ok(ExitCode::from(2));
    }
    let mut builder = Builder::new();
    builder
        .regenerate_with("connector generate")
        .emit_rerun_if_changed(false);
    for spec in &args.specs {
        builder.spec(spec);
    }
    let files = builder.render()?;
    for warning in files.iter().flat_map(|f| &f.warnings) {
        eprintln!("warning: {}", connector_codegen::format_diagnostic(warning));
    }
    if args.stdout {
        for file in &files {
            print!("{}", file.contents);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(out) = &args.out else {
        return Ok(ExitCode::SUCCESS);
    };
    let name = match &args.crate_name {
        Some(name) => name.clone(),
        None => crate_name_of(out),
    };
    let runtime = match &args.runtime_path {
        Some(path) => RuntimeDependency::Path(std::path::absolute(path).unwrap_or(path.clone())),
        None => RuntimeDependency::Version(connector_codegen::VERSION.to_owned()),
    };
    let crate_files = outputs::standalone_crate(&name, &files, &runtime);
    write_or_check(out, &crate_files, args.check, "connector generate")
}

fn write_or_check(
    root: &Path,
    files: &[(PathBuf, String)],
    check: bool,
    command: &str,
) -> Result<ExitCode, Error> {
    if check {
        let stale = outputs::stale_files(root, files);
        if stale.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        for path in &stale {
            eprintln!("stale: {}", path.display());
        }
        eprintln!(
            "error: {} generated file(s) out of date; run `{command}`",
            stale.len()
        );
        return Ok(ExitCode::from(1));
    }
    for (path, contents) in files {
        if write_file_if_changed(&root.join(path), contents)? {
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The nearest directory at or above the current one with `specs/` and `generated/`.
fn workspace_root() -> Result<PathBuf, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io {
        path: ".".to_owned(),
        source,
    })?;
    cwd.ancestors()
        .find(|dir| dir.join("specs").is_dir() && dir.join("generated/Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::Io {
            path: cwd.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no directory with specs/ and generated/Cargo.toml at or above this one; \
                 run --all inside the connector workspace",
            ),
        })
}

/// A package name from a directory name: lower case, `-` for anything else.
fn crate_name_of(dir: &Path) -> String {
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("connector-{name}")
    } else {
        name
    }
}
