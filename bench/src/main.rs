//! `connector-bench`: issue 6's scenarios against the in-repo demo server on 127.0.0.1.
//!
//! ```text
//! cargo run --release -p connector-bench -- [--scenario all|A|B|C|D|macro|parse|CASE,...]
//!     [--records 1000000] [--page-size 100,1000] [--baseline-records 100000]
//!     [--latency-ms 20] [--concurrency N] [--pages 500] [--parents 1000] [--json out.json]
//! ```
//!
//! Every case runs in a child process (this binary with `--single`), so the peak RSS it
//! reports (VmHWM at the child's end) is that case's alone. See bench/README.md.

mod api;
mod cases;
mod cli;
mod codegen_cost;
mod parse;
/// The throwaway PostgreSQL cluster of the tests, for `a-postgres` without
/// `BENCH_POSTGRES_URL`.
#[cfg(feature = "postgres")]
#[path = "../../connector-load/tests/support/postgres.rs"]
mod pg;
mod report;
mod rss;
mod run;

/// See the `mimalloc` feature in Cargo.toml.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::{Command, ExitCode, Stdio};

use clap::Parser;

use cases::Case;
use cli::Args;
use run::Outcome;

/// The allocator this build measures with (the `mimalloc` feature).
const ALLOCATOR: &str = if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "the system's (glibc malloc)"
};

/// The line a child prints its outcome on.
const RESULT_PREFIX: &str = "RESULT ";

fn main() -> ExitCode {
    let args = Args::parse();
    if args.single {
        return single(&args);
    }
    let plan = match cases::plan(&args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("connector-bench: {message}");
            return ExitCode::from(2);
        }
    };
    let mut outcomes = Vec::new();
    let mut failed = false;
    for case in &plan.cases {
        eprintln!(
            "running {} ({} records, page size {}, {} ms latency)...",
            case.kind.name(),
            case.records,
            case.page_size,
            case.latency_ms
        );
        match in_child(case) {
            Ok(outcome) => {
                eprintln!(
                    "  {:.0} records/s, {:.2} s, peak RSS {} KiB",
                    outcome.records_per_s(),
                    outcome.wall_s,
                    outcome.peak_rss_kib.unwrap_or(0)
                );
                outcomes.push(outcome);
            }
            Err(message) => {
                eprintln!("  FAILED: {message}");
                failed = true;
            }
        }
    }
    let mut extra = Vec::new();
    if plan.macro_expansion {
        match codegen_cost::time_expansion(args.macro_resources, 5) {
            Ok(e) => extra.push(format!(
                "macro expansion, {} resources: median {:.0} ms of 5 runs ({} bytes of tokens; target < 1 s) {}",
                e.resources,
                e.median() * 1000.0,
                e.output_bytes,
                if e.median() < 1.0 { "ok" } else { "MISSED" }
            )),
            Err(message) => {
                eprintln!("macro expansion: {message}");
                failed = true;
            }
        }
    }
    if plan.parse {
        match parse::run(args.single_page_size) {
            Ok(lines) => extra.extend(lines),
            Err(message) => {
                eprintln!("parse: {message}");
                failed = true;
            }
        }
    }
    if !outcomes.is_empty() {
        println!("global allocator: {ALLOCATOR}\n");
        println!("{}", report::table(&outcomes));
    }
    for line in report::ratios(&outcomes).into_iter().chain(extra) {
        println!("- {line}");
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&outcomes).unwrap_or_default();
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("connector-bench: cannot write {}: {e}", path.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the case of a `--single` invocation and prints its outcome.
fn single(args: &Args) -> ExitCode {
    let outcome = Case::from_single(args).and_then(|case| run::run(&case));
    match outcome.and_then(|o| serde_json::to_string(&o).map_err(|e| e.to_string())) {
        Ok(json) => {
            println!("{RESULT_PREFIX}{json}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `case` in a fresh copy of this binary, so its memory is measured alone.
fn in_child(case: &Case) -> Result<Outcome, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let output = Command::new(exe)
        .args(case.child_args())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start the child: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .ok_or_else(|| format!("the child exited with {} and no result", output.status))?;
    serde_json::from_str(line).map_err(|e| format!("the child's result does not parse: {e}"))
}
