//! The cases of issue 6's scenarios, and how a selector (`A`, `b-prefetch`, ...) expands to
//! them.

use serde::{Deserialize, Serialize};

use crate::cli::Args;

/// The runtime's default concurrency (`Options::concurrency` unset), for the ideal times of
/// scenarios B and C.
pub const RUNTIME_DEFAULT_CONCURRENCY: usize = 8;

/// Records per page in scenarios B and C's parent listing.
pub const LATENCY_PAGE_SIZE: u64 = 100;

/// What one case measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A: typed fetch, records dropped.
    ATyped,
    /// A: fetch + JSON lines to /dev/null (the loader's `--jsonl` sink).
    AJsonl,
    /// A: fetch + SQLite merge (the generic loader).
    ASqlite,
    /// A: fetch + DuckDB merge (feature `duckdb`).
    ADuckdb,
    /// A: fetch + PostgreSQL merge (feature `postgres`; `BENCH_POSTGRES_URL` or a throwaway
    /// local cluster).
    APostgres,
    /// A: fetch + Delta Lake merge on local disk (feature `delta`).
    ADelta,
    /// B: 20 ms pages, one request at a time.
    BSequential,
    /// B: 20 ms pages, page prefetch at the default concurrency.
    BPrefetch,
    /// C: 20 ms child pages, fan-out at concurrency 1.
    CSequential,
    /// C: 20 ms child pages, fan-out at the default concurrency.
    CConcurrent,
    /// D: plain reqwest loop, bodies downloaded and not parsed.
    DRaw,
}

impl Kind {
    /// Every case, in table order.
    pub const ALL: [Kind; 11] = [
        Kind::ATyped,
        Kind::AJsonl,
        Kind::ASqlite,
        Kind::ADuckdb,
        Kind::APostgres,
        Kind::ADelta,
        Kind::DRaw,
        Kind::BSequential,
        Kind::BPrefetch,
        Kind::CSequential,
        Kind::CConcurrent,
    ];

    /// The case's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ATyped => "a-typed",
            Kind::AJsonl => "a-jsonl",
            Kind::ASqlite => "a-sqlite",
            Kind::ADuckdb => "a-duckdb",
            Kind::APostgres => "a-postgres",
            Kind::ADelta => "a-delta",
            Kind::BSequential => "b-sequential",
            Kind::BPrefetch => "b-prefetch",
            Kind::CSequential => "c-sequential",
            Kind::CConcurrent => "c-concurrent",
            Kind::DRaw => "d-raw",
        }
    }

    /// `A` to `D`.
    pub fn scenario(self) -> char {
        match self {
            Kind::ATyped
            | Kind::AJsonl
            | Kind::ASqlite
            | Kind::ADuckdb
            | Kind::APostgres
            | Kind::ADelta => 'A',
            Kind::BSequential | Kind::BPrefetch => 'B',
            Kind::CSequential | Kind::CConcurrent => 'C',
            Kind::DRaw => 'D',
        }
    }

    /// One line for the table.
    pub fn label(self) -> &'static str {
        match self {
            Kind::ATyped => "typed fetch (generated struct), records dropped",
            Kind::AJsonl => "fetch + JSONL to /dev/null",
            Kind::ASqlite => "fetch + SQLite merge",
            Kind::ADuckdb => "fetch + DuckDB merge",
            Kind::APostgres => "fetch + PostgreSQL merge",
            Kind::ADelta => "fetch + Delta merge (local disk)",
            Kind::BSequential => "page_number, concurrency 1",
            Kind::BPrefetch => "page_number, prefetch",
            Kind::CSequential => "fan-out, concurrency 1",
            Kind::CConcurrent => "fan-out, default concurrency",
            Kind::DRaw => "raw reqwest loop, bodies not parsed",
        }
    }

    /// The case named `name`.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One case with every number fixed, as run in a child process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub kind: Kind,
    /// Items (A, B, D) or parents (C) the server serves.
    pub records: u64,
    pub page_size: u64,
    pub latency_ms: u64,
    /// `None`: the runtime's default (or 1 for the sequential cases).
    pub concurrency: Option<usize>,
}

impl Case {
    /// The concurrency the case runs at, as a number.
    pub fn effective_concurrency(&self) -> usize {
        match self.kind {
            Kind::BSequential | Kind::CSequential => 1,
            _ => self.concurrency.unwrap_or(RUNTIME_DEFAULT_CONCURRENCY),
        }
    }

    /// The flags that make a child process run this case.
    pub fn child_args(&self) -> Vec<String> {
        let mut args = vec![
            "--single".to_owned(),
            "--scenario".to_owned(),
            self.kind.name().to_owned(),
            "--records".to_owned(),
            self.records.to_string(),
            "--single-page-size".to_owned(),
            self.page_size.to_string(),
            "--latency-ms".to_owned(),
            self.latency_ms.to_string(),
        ];
        if let Some(c) = self.concurrency {
            args.push("--concurrency".to_owned());
            args.push(c.to_string());
        }
        args
    }

    /// The case a `--single` invocation describes.
    pub fn from_single(args: &Args) -> Result<Case, String> {
        let name = args.scenario.first().map(String::as_str).unwrap_or("");
        let kind =
            Kind::parse(name).ok_or_else(|| format!("--single needs one case, got `{name}`"))?;
        Ok(Case {
            kind,
            records: args.records,
            page_size: args.single_page_size.max(1),
            latency_ms: args.latency_ms,
            concurrency: args.concurrency,
        })
    }
}

/// What the selectors ask for: the cases to run and whether to time the macro.
#[derive(Debug, Default)]
pub struct Plan {
    pub cases: Vec<Case>,
    pub macro_expansion: bool,
    pub parse: bool,
}

/// Expands `--scenario` into cases, in table order.
pub fn plan(args: &Args) -> Result<Plan, String> {
    let mut kinds = Vec::new();
    let mut out = Plan::default();
    for selector in &args.scenario {
        let s = selector.trim();
        match s.to_ascii_lowercase().as_str() {
            "all" => {
                kinds.extend(Kind::ALL);
                out.macro_expansion = true;
            }
            "macro" => out.macro_expansion = true,
            "parse" => out.parse = true,
            one if one.len() == 1 => {
                let letter = one.to_ascii_uppercase().chars().next().unwrap_or(' ');
                let found: Vec<Kind> = Kind::ALL
                    .into_iter()
                    .filter(|k| k.scenario() == letter)
                    .collect();
                if found.is_empty() {
                    return Err(format!(
                        "unknown scenario `{s}` (A, B, C, D, macro, parse or all)"
                    ));
                }
                kinds.extend(found);
            }
            name => kinds.push(Kind::parse(name).ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown scenario `{s}`; scenarios: all, A, B, C, D, macro, parse; cases: {}",
                    names.join(", ")
                )
            })?),
        }
    }
    for kind in Kind::ALL {
        if !kinds.contains(&kind) {
            continue;
        }
        match kind.scenario() {
            'A' | 'D' => {
                for &page_size in &args.page_size {
                    let mut counts = vec![args.records];
                    if kind.scenario() == 'A'
                        && args.baseline_records > 0
                        && args.baseline_records < args.records
                    {
                        counts.insert(0, args.baseline_records);
                    }
                    for records in counts {
                        out.cases.push(Case {
                            kind,
                            records,
                            page_size: page_size.max(1),
                            latency_ms: 0,
                            concurrency: None,
                        });
                    }
                }
            }
            'B' => out.cases.push(Case {
                kind,
                records: args.pages * LATENCY_PAGE_SIZE,
                page_size: LATENCY_PAGE_SIZE,
                latency_ms: args.latency_ms,
                concurrency: if kind == Kind::BSequential {
                    Some(1)
                } else {
                    args.concurrency
                },
            }),
            _ => out.cases.push(Case {
                kind,
                records: args.parents,
                page_size: LATENCY_PAGE_SIZE,
                latency_ms: args.latency_ms,
                concurrency: if kind == Kind::CSequential {
                    Some(1)
                } else {
                    args.concurrency
                },
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn args(line: &str) -> Args {
        Args::parse_from(std::iter::once("connector-bench").chain(line.split_whitespace()))
    }

    #[test]
    fn scenario_a_runs_the_baseline_and_both_page_sizes() {
        let plan = plan(&args("--scenario a-typed")).unwrap();
        let shape: Vec<(u64, u64)> = plan
            .cases
            .iter()
            .map(|c| (c.records, c.page_size))
            .collect();
        assert_eq!(
            shape,
            [
                (100_000, 100),
                (1_000_000, 100),
                (100_000, 1000),
                (1_000_000, 1000)
            ]
        );
    }

    #[test]
    fn latency_scenarios_fix_their_concurrency() {
        let plan = plan(&args("--scenario B,C --concurrency 4")).unwrap();
        let shape: Vec<(&str, Option<usize>, u64)> = plan
            .cases
            .iter()
            .map(|c| (c.kind.name(), c.concurrency, c.records))
            .collect();
        assert_eq!(
            shape,
            [
                ("b-sequential", Some(1), 50_000),
                ("b-prefetch", Some(4), 50_000),
                ("c-sequential", Some(1), 1000),
                ("c-concurrent", Some(4), 1000)
            ]
        );
    }

    #[test]
    fn a_child_runs_the_same_case() {
        let case = Case {
            kind: Kind::BPrefetch,
            records: 500,
            page_size: 100,
            latency_ms: 20,
            concurrency: Some(3),
        };
        let line = case.child_args().join(" ");
        assert_eq!(Case::from_single(&args(&line)).unwrap(), case);
    }

    #[test]
    fn unknown_scenarios_are_named() {
        let err = plan(&args("--scenario X")).unwrap_err();
        assert!(err.contains("unknown scenario `X`"), "{err}");
        let err = plan(&args("--scenario a-typo")).unwrap_err();
        assert!(err.contains("a-typo") && err.contains("a-typed"), "{err}");
    }
}
