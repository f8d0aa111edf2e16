//! `connector state SPEC`: what a destination stores about a spec's resources (last load,
//! rows, incremental cursor, per-parent marks); `connector state reset SPEC` clears the
//! incremental state so the next sync starts from each resource's `initial_value`.
//!
//! Exit codes: 0 done (also when the destination file does not exist yet: nothing is
//! stored); 1 invalid spec; 2 unreadable spec, bad destination, unknown resource, or (reset)
//! a sync of the connector is running.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use connector_load::sync::cursor_text;
use connector_load::{new_load_id, open_existing, redact_url, OpenOptions, StoredResource};
use connector_runtime::Partition;
use connector_spec::ResolvedSpec;
use serde_json::{json, Value};

use crate::source::default_secrets_file;
use crate::sync::default_destination;

/// Arguments of `connector state`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// The spec file (YAML).
    #[arg(value_name = "SPEC", required = true)]
    spec: Option<PathBuf>,
    /// The destination `sync` loaded into (default `sqlite:<connector name>.db`).
    #[arg(long, value_name = "URL")]
    destination: Option<String>,
    /// A dlt-style secrets.toml (a PostgreSQL password in
    /// `[destination.postgres.credentials]`), else ./secrets.toml or ./.dlt/secrets.toml.
    #[arg(long, value_name = "PATH")]
    secrets: Option<PathBuf>,
    /// Output format: `text` (a table) or `json` (one JSON document).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Clear the stored incremental state, so the next sync starts from each resource's
    /// `initial_value` (tables and their rows stay).
    Reset(ResetArgs),
}

/// Arguments of `connector state reset`.
#[derive(Debug, clap::Args)]
struct ResetArgs {
    /// The spec file (YAML).
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// Resources to reset, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    resources: Option<Vec<String>>,
    /// The destination `sync` loaded into (default `sqlite:<connector name>.db`).
    #[arg(long, value_name = "URL")]
    destination: Option<String>,
    /// A dlt-style secrets.toml, as for `connector state`.
    #[arg(long, value_name = "PATH")]
    secrets: Option<PathBuf>,
}

/// How the state is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Per-parent marks listed in text output; JSON lists all.
const MARKS_SHOWN: usize = 10;

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

pub fn run(args: Args) -> ExitCode {
    match args.action {
        Some(Action::Reset(reset_args)) => reset(reset_args),
        None => show(
            args.spec.as_deref().unwrap_or(Path::new("")),
            args.destination,
            args.secrets,
            args.format,
        ),
    }
}

/// The resolved spec, or the exit code after its errors were printed.
fn read_spec(path: &Path) -> Result<ResolvedSpec, ExitCode> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path)
        .map_err(|e| fail(2, format_args!("cannot read spec `{file}`: {e}")))?;
    match connector_spec::parse_str(&source, &file) {
        Ok(loaded) => Ok(loaded.resolved),
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            Err(fail(
                1,
                format_args!("`{file}` is not a valid spec (see `connector check {file}`)"),
            ))
        }
    }
}

/// The destination when it exists (a database file, a PostgreSQL schema), opened without
/// creating anything: looking never creates the database. `Err`: the exit code after the
/// message (a bad URL, a destination not compiled in, one that cannot be opened).
fn existing(
    url: &str,
    connector: &str,
    secrets: Option<PathBuf>,
) -> Result<Option<Box<dyn connector_load::Destination>>, ExitCode> {
    let secrets = secrets.or_else(default_secrets_file);
    let options = OpenOptions {
        connector: Some(connector),
        wait: Duration::ZERO,
        secrets_file: secrets.as_deref(),
    };
    open_existing(url, &options).map_err(|e| fail(2, e))
}

fn show(
    spec_path: &Path,
    destination: Option<String>,
    secrets: Option<PathBuf>,
    format: Format,
) -> ExitCode {
    let spec = match read_spec(spec_path) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    let url = destination.unwrap_or_else(|| default_destination(&spec.name));
    let stored = match existing(&url, &spec.name, secrets) {
        Err(code) => return code,
        Ok(None) => Vec::new(),
        Ok(Some(destination)) => match destination.stored_state(&spec.name) {
            Ok(stored) => stored,
            Err(e) => return fail(2, e),
        },
    };
    // The spec's resources in dependency order, each followed by its shards' entries
    // (`name#K/N`, from partitioned runs), then any the destination has that the spec no
    // longer does.
    let base = |s: &StoredResource| Partition::split_key(&s.resource).0.to_owned();
    let mut entries: Vec<(StoredResource, bool)> = Vec::new();
    for name in &spec.dependency_order {
        let entry = stored.iter().find(|s| &s.resource == name).cloned();
        entries.push((
            entry.unwrap_or(StoredResource {
                resource: name.clone(),
                last_load: None,
                state: None,
                state_updated_at: None,
            }),
            true,
        ));
        for shard in stored
            .iter()
            .filter(|s| &s.resource != name && &base(s) == name)
        {
            entries.push((shard.clone(), true));
        }
    }
    for s in &stored {
        if !spec.dependency_order.contains(&base(s)) {
            entries.push((s.clone(), false));
        }
    }
    match format {
        Format::Json => {
            let resources: Vec<Value> = entries
                .iter()
                .map(|(s, in_spec)| {
                    let mut value = serde_json::to_value(s).unwrap_or(Value::Null);
                    value["in_spec"] = json!(in_spec);
                    value
                })
                .collect();
            let doc = json!({"connector": spec.name, "destination": redact_url(&url), "resources": resources});
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string())
            );
        }
        Format::Text => print!(
            "{}",
            state_table(&spec.name, &redact_url(&url), &entries, stored.is_empty())
        ),
    }
    ExitCode::SUCCESS
}

fn state_table(
    connector: &str,
    url: &str,
    entries: &[(StoredResource, bool)],
    nothing: bool,
) -> String {
    let mut out = format!("connector `{connector}` in {url}\n");
    if nothing {
        out.push_str("nothing stored yet: no sync has loaded this connector there\n");
        return out;
    }
    out.push('\n');
    let header = [
        "resource",
        "last load",
        "status",
        "finished",
        "fetched",
        "in table",
        "cursor",
    ];
    let mut lines: Vec<[String; 7]> = vec![header.map(str::to_owned)];
    for (s, in_spec) in entries {
        let name = if *in_spec {
            s.resource.clone()
        } else {
            format!("{} (not in spec)", s.resource)
        };
        let cursor = s.state.as_ref().map_or_else(|| "-".to_owned(), cursor_text);
        lines.push(match &s.last_load {
            Some(l) => [
                name,
                l.load_id.clone(),
                l.status.clone(),
                l.finished_at.clone().unwrap_or_else(|| "-".to_owned()),
                l.records.to_string(),
                l.table_rows.to_string(),
                cursor,
            ],
            None => [
                name,
                "never loaded".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                cursor,
            ],
        });
    }
    let mut widths = [0usize; 7];
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (n, line) in lines.iter().enumerate() {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == 4 || i == 5 {
                    format!("{cell:>width$}", width = widths[i])
                } else {
                    format!("{cell:<width$}", width = widths[i])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    for (s, _) in entries {
        let Some(marks) = s
            .state
            .as_ref()
            .and_then(|v| v.get("per_parent"))
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
        else {
            continue;
        };
        out.push_str(&format!(
            "\n{}: cursor per parent ({}):\n",
            s.resource,
            marks.len()
        ));
        for (parent, mark) in marks.iter().take(MARKS_SHOWN) {
            let mark = match mark {
                Value::String(t) => t.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!("  {parent}  {mark}\n"));
        }
        if marks.len() > MARKS_SHOWN {
            out.push_str(&format!(
                "  ... and {} more (`--format json` lists them all)\n",
                marks.len() - MARKS_SHOWN
            ));
        }
    }
    out
}

fn reset(args: ResetArgs) -> ExitCode {
    let spec = match read_spec(&args.spec) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    if let Some(unknown) = args
        .resources
        .iter()
        .flatten()
        .find(|r| !spec.dependency_order.contains(r))
    {
        return fail(
            2,
            format_args!(
                "unknown resource `{unknown}`; the spec has: {}",
                spec.dependency_order.join(", ")
            ),
        );
    }
    let url = args
        .destination
        .unwrap_or_else(|| default_destination(&spec.name));
    let destination = match existing(&url, &spec.name, args.secrets) {
        Err(code) => return code,
        Ok(None) => {
            println!(
                "nothing to reset: no sync has loaded into {} yet",
                redact_url(&url)
            );
            return ExitCode::SUCCESS;
        }
        Ok(Some(destination)) => destination,
    };
    // A sync running now would commit its state after the reset and undo it.
    let run_lock = match destination.lock(&spec.name, &new_load_id(), Duration::ZERO) {
        Ok(run_lock) => run_lock,
        Err(e) => return fail(2, e),
    };
    for recovered in run_lock.recovered() {
        eprintln!("note: {recovered}");
    }
    let cleared = match destination.reset_state(&spec.name, args.resources.as_deref()) {
        Ok(cleared) => cleared,
        Err(e) => return fail(2, e),
    };
    drop(run_lock);
    let asked: Vec<String> = args
        .resources
        .clone()
        .unwrap_or_else(|| spec.dependency_order.clone());
    // A resource's shards (`name#K/N`) are reset with it.
    let untouched: Vec<&String> = asked
        .iter()
        .filter(|r| {
            !cleared
                .iter()
                .any(|c| Partition::split_key(c).0 == r.as_str())
        })
        .collect();
    if cleared.is_empty() {
        println!(
            "no incremental state stored for {}: nothing reset",
            asked.join(", ")
        );
    } else {
        println!(
            "reset the incremental state of {} in {}: the next sync starts from the spec's \
             initial_value (tables and rows are kept)",
            cleared.join(", "),
            redact_url(&url)
        );
        if !untouched.is_empty() {
            let names: Vec<&str> = untouched.iter().map(|s| s.as_str()).collect();
            println!("no stored state to reset for {}", names.join(", "));
        }
    }
    ExitCode::SUCCESS
}
