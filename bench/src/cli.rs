//! Command-line flags.

use clap::Parser;

/// Benchmarks of the connector toolkit against the in-repo demo server on 127.0.0.1.
///
/// Each case runs in a child process (this binary re-executed with `--single`) so its peak
/// RSS is its own. Build in release: `cargo run --release -p connector-bench -- --help`.
#[derive(Debug, Clone, Parser)]
#[command(name = "connector-bench", version)]
pub struct Args {
    /// Scenarios or cases to run, comma-separated: `all`, `A`, `B`, `C`, `D`, `macro`, or a
    /// case (`a-typed`, `a-jsonl`, `a-sqlite`, `a-duckdb`, `a-postgres`, `a-delta`, `b-sequential`, `b-prefetch`,
    /// `c-sequential`, `c-concurrent`, `d-raw`, `parse`).
    #[arg(long, default_value = "all", value_delimiter = ',')]
    pub scenario: Vec<String>,

    /// Records served by /bench/items for scenarios A and D.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,

    /// Page sizes for scenarios A and D, comma-separated.
    #[arg(long, default_value = "100,1000", value_delimiter = ',')]
    pub page_size: Vec<u64>,

    /// Also run scenario A at this record count, to compare peak RSS (0 = skip).
    #[arg(long, default_value_t = 100_000)]
    pub baseline_records: u64,

    /// Latency the server adds to every request in scenarios B and C, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub latency_ms: u64,

    /// Requests in flight for the concurrent cases of B and C (default: the runtime's).
    #[arg(long)]
    pub concurrency: Option<usize>,

    /// Pages of 100 records in scenario B.
    #[arg(long, default_value_t = 500)]
    pub pages: u64,

    /// Parents in scenario C (each has one child page).
    #[arg(long, default_value_t = 1000)]
    pub parents: u64,

    /// Resources of the generated spec whose macro expansion the `macro` scenario times.
    #[arg(long, default_value_t = 200)]
    pub macro_resources: usize,

    /// Also write every result as JSON to this file (for bench/compare-dlt.sh).
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,

    /// Run exactly one case in this process and print its result as a `RESULT {json}` line
    /// (used by the parent process; `--scenario` names the case).
    #[arg(long, hide = true)]
    pub single: bool,

    /// Page size of the `--single` case.
    #[arg(long, hide = true, default_value_t = 100)]
    pub single_page_size: u64,
}
