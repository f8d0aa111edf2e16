//! `connector samples SPEC`: records sample pages from the live API into the files the
//! compile-time sample check reads (each resource's `samples:`), as sqlx's `prepare` records
//! query data, so CI checks the types offline.
//!
//! Each file holds a JSON list of records (what the runtime reads from the pages, after
//! `data_selector`; a child's records carry their `include_from_parent` columns). With several
//! `samples:` files, file *i* gets the *i*-th group of `--pages` pages. A resource without
//! `samples:` is written to `samples/<resource>.json` and the key to add is printed. Every
//! secret the connector knows, in every form (raw, percent-encoded, JSON-escaped, base64), is
//! replaced by `***` in what is stored.
//!
//! Exit codes: 0 every resource recorded; 1 the spec is invalid, or a resource could not be
//! read or had no records (its files are left as they were); 2 cannot start (unreadable spec,
//! missing secrets, an unknown resource, a file that cannot be written).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use connector_runtime::Connector;
use connector_spec::fit::fit;
use serde_json::Value;

use crate::live::{self, Read};
use crate::source;

/// Arguments of `connector samples`.
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    crate::source::secrets_help!(),
    "\n\nExit codes: 0 every resource recorded; 1 invalid spec, or a resource could not be read \
or had no records (its files are kept); 2 cannot start (unreadable spec, missing secrets, unknown \
resource, a file that cannot be written)."
))]
pub struct Args {
    /// The spec file (YAML); sample paths are relative to its directory.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// Resources to record (repeatable or comma-separated; default: every resource). A child's
    /// parent is fetched to feed it, not recorded.
    #[arg(long = "resource", value_name = "NAME", value_delimiter = ',')]
    resources: Vec<String>,
    /// Pages with records per sample file.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pages: u64,
    #[command(flatten)]
    source: source::ApiArgs,
}

/// Where a resource's samples go when the spec names none, relative to the spec.
fn default_sample(resource: &str) -> String {
    format!("samples/{resource}.json")
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

pub fn run(args: Args) -> ExitCode {
    let spec = match source::load(&args.spec) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    let unknown: Vec<&String> = args
        .resources
        .iter()
        .filter(|r| !spec.resources.iter().any(|s| &&s.name == r))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|r| format!("`{r}`")).collect();
        return fail(
            2,
            format_args!(
                "unknown resource {}; the spec has: {}",
                names.join(", "),
                spec.dependency_order.join(", ")
            ),
        );
    }
    let wanted: Vec<String> = if args.resources.is_empty() {
        spec.dependency_order.clone()
    } else {
        args.resources.clone()
    };
    let secrets = match args.source.secrets(&spec) {
        Ok(secrets) => secrets,
        Err(e) => return fail(2, e),
    };
    let options = args.source.options().with_concurrency(1);
    let connector = match Connector::new(spec.clone(), secrets, options) {
        Ok(connector) => connector,
        Err(e) => return fail(2, e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(2, format_args!("cannot start the async runtime: {e}")),
    };
    let per_file = args.pages as usize;
    // `--pages` pages for each file the resource's samples name (one file when none).
    let files_of = |name: &str| {
        spec.resources
            .iter()
            .find(|r| r.name == name)
            .map_or(1, |r| r.samples.len().max(1))
    };
    let pages_for = |name: &str| per_file * files_of(name);
    let reads = runtime.block_on(live::read(&connector, &wanted, &pages_for));
    let dir = args
        .spec
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut code = 0u8;
    for read in reads {
        let Some(resource) = spec.resources.iter().find(|r| r.name == read.resource) else {
            continue;
        };
        for warning in &read.warnings {
            eprintln!("warning: `{}`: {warning}", read.resource);
        }
        if let Some(error) = &read.error {
            eprintln!(
                "error: `{}` not recorded (its sample files are kept): {error}",
                read.resource
            );
            code = code.max(1);
            continue;
        }
        if read.pages.is_empty() {
            eprintln!(
                "error: `{}` not recorded: {} had no records (its sample files are kept)",
                read.resource,
                read.describe()
            );
            code = code.max(1);
            continue;
        }
        let declared = !resource.samples.is_empty();
        let files = if declared {
            resource.samples.clone()
        } else {
            vec![default_sample(&resource.name)]
        };
        let page_count = read.pages.len();
        let mut groups = read.pages.chunks(per_file);
        for file in &files {
            let Some(pages) = groups.next() else {
                eprintln!(
                    "warning: `{}`: {page_count} page(s) with records, too few for `{file}` (kept as it was)",
                    read.resource
                );
                continue;
            };
            let records: Vec<Value> = pages.iter().flatten().cloned().collect();
            let (stored, scrubbed) = scrub(&connector, &records);
            if let Err(e) = write(&dir.join(file), &stored) {
                return fail(2, format_args!("cannot write `{file}`: {e}"));
            }
            println!(
                "wrote {file}: {} record{} of `{}` ({}){}",
                records.len(),
                if records.len() == 1 { "" } else { "s" },
                read.resource,
                describe_pages(&read, pages.len()),
                if scrubbed > 0 {
                    format!(", {scrubbed} secret value(s) replaced by `***`")
                } else {
                    String::new()
                }
            );
        }
        if !declared {
            println!(
                "note: add `samples: [{}]` to resource `{}` so the build checks it",
                files[0], read.resource
            );
        }
        let misfits: usize = read
            .records()
            .map(|r| fit(&resource.columns, r).misfits.len())
            .sum();
        if misfits > 0 {
            eprintln!(
                "warning: `{}`: the recorded records contradict its columns in {misfits} place(s); \
                 the build will fail until the spec is fixed (`connector check --live` lists them)",
                read.resource
            );
        }
    }
    ExitCode::from(code)
}

fn describe_pages(read: &Read, pages: usize) -> String {
    let mut text = read.describe();
    if pages != read.pages.len() {
        text.push_str(&format!(", {pages} of them in this file"));
    }
    text
}

/// The records with every secret value the connector knows, in any form, replaced by `***`
/// in keys and strings; a number holding one becomes the string `***`. Also the count of
/// values changed.
fn scrub(connector: &Connector, records: &[Value]) -> (Value, usize) {
    fn walk(connector: &Connector, value: &Value, changed: &mut usize) -> Value {
        let mut text = |s: &str| {
            let out = connector.redact(s);
            if out != s {
                *changed += 1;
            }
            out
        };
        match value {
            Value::String(s) => Value::String(text(s)),
            Value::Number(n) => {
                let shown = n.to_string();
                if text(&shown) == shown {
                    value.clone()
                } else {
                    Value::String("***".to_owned())
                }
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| walk(connector, v, changed)).collect())
            }
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let key = {
                        let redacted = connector.redact(k);
                        if &redacted != k {
                            *changed += 1;
                        }
                        redacted
                    };
                    out.insert(key, walk(connector, v, changed));
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
    let mut changed = 0;
    let stored = Value::Array(
        records
            .iter()
            .map(|r| walk(connector, r, &mut changed))
            .collect(),
    );
    (stored, changed)
}

fn write(path: &Path, records: &Value) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string_pretty(records).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}
