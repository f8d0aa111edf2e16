//! `connector sync SPEC`: run a spec (no compile step) and load its records into SQLite or
//! DuckDB, or print them as JSON lines.
//!
//! Exit codes:
//! - 0: every resource was loaded and committed;
//! - 1: the spec is invalid, or a resource failed (HTTP error, unreachable host, a record that
//!   does not fit its table); failed resources are rolled back to their last committed state,
//!   the others are committed;
//! - 2: the command cannot start: unreadable spec file, missing secrets, bad destination
//!   (read-only file included), unknown resource name, bad arguments, another run of the
//!   same connector loading into the destination (after `--wait-lock`), a table not made by
//!   connector (without `--adopt-tables`), a bad `--partition` (or `JOB_COMPLETION_INDEX`
//!   for `--partition-from-env`), a `replace` resource or `--full-refresh` in a shard. Nothing is fetched, and no database file is
//!   created by a run that cannot start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use connector_load::sync::{resources_to_sync, sync_observed, Sink, SyncOptions, SyncReport};
use connector_load::{check_destination, open_destination_with, DestinationUrl, OpenOptions};
use connector_runtime::{Connector, Partition, PartitionError};

use crate::{logging, progress, source};

/// Arguments of `connector sync`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = concat!(
        crate::source::secrets_help!(),
        "\n\nExit codes: 0 all resources loaded; 1 invalid spec or a \
resource failed (the others are committed); 2 cannot start (unreadable spec, missing secrets, bad \
or read-only destination, unknown resource, another run of this connector holds the destination, \
a table not made by connector, a bad --partition or a `replace` resource split across \
shards).\n\nPartitioned runs: --partition K/N (or --partition-from-env N with \
JOB_COMPLETION_INDEX set) loads shard K of N; run all N, at once or not, to load everything \
exactly once."
    )
)]
pub struct Args {
    /// The spec file (YAML).
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// Resources to load, comma-separated (default: every resource not marked `selected: false`).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    resources: Option<Vec<String>>,
    /// Where to load: `sqlite:PATH`, `duckdb:PATH`,
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME&sslmode=disable|prefer|require]`
    /// or `delta:DIR` / `delta:s3://BUCKET/PREFIX` (default `sqlite:<connector name>.db`).
    /// PostgreSQL tables go into one schema, the connector's name unless `?schema=` says; the
    /// password may come from `PGPASSWORD`. Delta tables go under `<root>/<connector>/`; S3
    /// is configured by the AWS_* environment variables.
    #[arg(long, value_name = "URL")]
    destination: Option<String>,
    #[command(flatten)]
    source: source::ApiArgs,
    /// Ignore stored incremental state and replace every table's contents.
    #[arg(long)]
    full_refresh: bool,
    /// Print records as JSON lines on stdout (`{"resource": ..., "record": {...}}`) instead of
    /// loading them.
    #[arg(long, conflicts_with_all = ["destination", "full_refresh"])]
    jsonl: bool,
    /// Write the run report (JSON) to this file (`-`: stdout).
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// Root resources loaded at once, each with its children (which run with their parent).
    #[arg(long, default_value_t = 4, value_name = "N")]
    concurrency: usize,
    /// When another run of this connector is loading into the destination: wait this long
    /// for it to finish, then give up (exit 2, naming the other run). 0: give up at once.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    wait_lock: u64,
    /// Load into tables that already exist but were not made by connector (their rows may be
    /// replaced or merged per the write disposition). Without it such a table stops the run.
    #[arg(long, conflicts_with = "jsonl")]
    adopt_tables: bool,
    /// Fail a resource on any warning about its responses (a stop that may have lost pages, a
    /// selector that matched nothing, an empty body), as the spec's `strict: true` does.
    #[arg(long)]
    strict: bool,
    /// Load at most N records per resource, to try a spec; fetching stops there and the
    /// incremental state is not saved.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Most pages per request sequence, replacing the spec's `max_pages` (default 10000);
    /// reaching it while the API reports more pages fails the resource.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_pages: Option<u64>,
    /// Largest response body in bytes after decompression, replacing the spec's
    /// `client.max_body_bytes` (default 268435456, 256 MiB).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    max_body_bytes: Option<u64>,
    /// Load only shard K of N disjoint shards (K from 0 to N-1): a child resource takes the
    /// parents whose key hashes to K, a page_number or offset resource with a known total its
    /// share of the pages, and what cannot be split runs in shard 0. Each shard keeps its own
    /// state (`resource#K/N`) and lock, so the N shards can run at once.
    #[arg(long, value_name = "K/N", value_parser = parse_partition, conflicts_with = "partition_from_env")]
    partition: Option<Partition>,
    /// `--partition $JOB_COMPLETION_INDEX/N`: the shard index from the environment variable a
    /// Kubernetes Indexed Job sets in each pod, the count N (its `completions`) given here.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    partition_from_env: Option<u32>,
    /// Progress display on stderr.
    #[arg(long, value_enum, default_value_t = progress::Mode::Auto)]
    progress: progress::Mode,
}

fn parse_partition(text: &str) -> Result<Partition, String> {
    text.parse().map_err(|e: PartitionError| e.to_string())
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

pub fn run(args: Args, log: &logging::Args) -> ExitCode {
    let partition = match (args.partition, args.partition_from_env) {
        (Some(partition), _) => partition,
        (None, Some(count)) => match Partition::from_env(count) {
            Ok(partition) => partition,
            Err(e) => return fail(2, e),
        },
        (None, None) => Partition::WHOLE,
    };
    let spec = match source::load(&args.spec) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    let name = spec.name.clone();

    // Checked now, opened (and so created) only once nothing else can stop the run.
    let url = (!args.jsonl).then(|| {
        args.destination
            .clone()
            .unwrap_or_else(|| default_destination(&name))
    });
    if let Some(url) = &url {
        if let Err(e) = check_destination(url) {
            return fail(2, e);
        }
    }

    let secrets = match args.source.secrets(&spec) {
        Ok(secrets) => secrets,
        Err(e) => return fail(2, e),
    };
    let mut options = args.source.options();
    if let Some(max_pages) = args.max_pages {
        options = options.with_max_pages(max_pages);
    }
    if let Some(max_body_bytes) = args.max_body_bytes {
        options = options.with_max_body_bytes(max_body_bytes);
    }
    options = options.with_strict(args.strict);
    let connector = match Connector::new(spec, secrets, options) {
        Ok(connector) => connector,
        Err(e) => return fail(2, e),
    };

    if let Err(e) = resources_to_sync(&connector, args.resources.as_deref()) {
        return fail(2, e);
    }
    let lock_wait = Duration::from_secs(args.wait_lock);
    let secrets_file = args.source.secrets_file();
    let sink = match &url {
        None => {
            let stdout: Arc<Mutex<dyn Write + Send>> = Arc::new(Mutex::new(std::io::stdout()));
            Sink::JsonLines(stdout)
        }
        Some(url) => match open_destination_with(
            url,
            &OpenOptions {
                connector: Some(&name),
                wait: lock_wait,
                secrets_file: secrets_file.as_deref(),
            },
        ) {
            Ok(destination) => Sink::Destination(Arc::from(destination)),
            Err(e) => return fail(2, e),
        },
    };
    let sync_options = SyncOptions {
        resources: args.resources.clone(),
        full_refresh: args.full_refresh,
        concurrency: args.concurrency.max(1),
        lock_wait,
        adopt_tables: args.adopt_tables,
        limit: args.limit,
        partition,
        ..SyncOptions::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(2, format_args!("cannot start the async runtime: {e}")),
    };
    let mode = if log.quiet {
        progress::Mode::Quiet
    } else {
        args.progress
    };
    let display = progress::Display::new(mode);
    let report = runtime.block_on(sync_observed(&connector, sink, &sync_options, &display));
    // The bars are done before the summary is printed.
    drop(display);
    let report = match report {
        Ok(report) => report,
        Err(e) => return fail(2, e),
    };
    for recovered in &report.recovered {
        eprintln!("note: {recovered}");
    }
    print_summary(&args, &report);
    if let Some(path) = &args.report {
        if let Err(e) = write_report(path, &report) {
            return fail(
                2,
                format_args!("cannot write the report to `{}`: {e}", path.display()),
            );
        }
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        let mut failed = Vec::new();
        for (resource, error) in report.failures() {
            // Runtime errors name their resource already; loader errors name the table.
            if error.contains(&format!("`{resource}`")) {
                eprintln!("error: {error}");
            } else {
                eprintln!("error: {resource}: {error}");
            }
            failed.push(resource);
        }
        fail(
            1,
            format_args!(
                "{} failed: {}",
                plural(failed.len(), "resource"),
                failed.join(", ")
            ),
        )
    }
}

/// The destination when `--destination` is not given: `sqlite:<connector name>.db`.
pub fn default_destination(connector: &str) -> String {
    format!("sqlite:{connector}.db")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn print_summary(args: &Args, report: &SyncReport) {
    print_warnings(report);
    let table = report.summary_table();
    // With --jsonl, stdout carries records only.
    if args.jsonl {
        eprint!("{table}");
        return;
    }
    print!("{table}");
    if report.ok {
        if let Some(first) = report.resources.first() {
            match DestinationUrl::parse(&report.destination) {
                Ok(DestinationUrl::Sqlite(path)) => {
                    println!(
                        "\nquery it: sqlite3 {} 'SELECT * FROM \"{}\" LIMIT 5'",
                        path.display(),
                        first.table
                    )
                }
                Ok(DestinationUrl::DuckDb { path, .. }) => {
                    println!(
                        "\nquery it: duckdb {} 'SELECT * FROM \"{}\" LIMIT 5'",
                        path.display(),
                        first.table
                    )
                }
                Ok(DestinationUrl::Postgres(pg)) => {
                    let schema = pg
                        .schema
                        .clone()
                        .unwrap_or_else(|| report.connector.clone());
                    println!(
                        "\nquery it: psql 'postgres://{}@{}:{}/{}' -c 'SELECT * FROM \"{schema}\".\"{}\" LIMIT 5'",
                        pg.user, pg.host, pg.port, pg.database, first.table
                    )
                }
                Ok(DestinationUrl::Delta(root)) => println!(
                    "\nquery it: the Delta table is {}/{}/{} (DuckDB: SELECT * FROM delta_scan('...'); \
                     Python: deltalake.DeltaTable('...').to_pandas())",
                    root.trim_end_matches('/'),
                    report.connector,
                    first.table
                ),
                Err(_) => {}
            }
        }
    }
}

/// Every resource's warnings, what `--limit` left out, the records deduplicated at the
/// incremental boundary and a backfill's kept state, on stderr before the summary.
fn print_warnings(report: &SyncReport) {
    for skipped in &report.skipped {
        eprintln!(
            "note: shard {} does not load `{}`: it runs in shard 0 only, since {}",
            report.partition.as_deref().unwrap_or("0/1"),
            skipped.resource,
            skipped.reason
        );
    }
    for r in &report.resources {
        if let Some(share) = &r.share {
            eprintln!("note: `{}` loaded {share}", r.resource);
        }
        for warning in &r.warnings {
            eprintln!("warning: {warning}");
        }
        if r.deduplicated > 0 {
            eprintln!(
                "note: `{}` skipped {} the last run loaded at the incremental last value \
                 (deduplicated, not loaded twice)",
                r.resource,
                plural(r.deduplicated as usize, "record")
            );
        }
        if let Some(window) = &r.backfill {
            eprintln!(
                "note: `{}` loaded the end_value window {} (a backfill); its incremental state \
                 was not moved",
                r.resource,
                window.describe()
            );
        }
        if let Some(limit) = r.limited_to {
            eprintln!(
                "note: `{}` stopped at --limit {limit} records; its incremental state was not saved",
                r.resource
            );
        }
    }
}

fn write_report(path: &Path, report: &SyncReport) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    if path == Path::new("-") {
        println!("{json}");
        Ok(())
    } else {
        std::fs::write(path, json + "\n")
    }
}
