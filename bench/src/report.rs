//! The results table and the ratios issue 6 sets targets for.

use std::fmt::Write;

use crate::cases::{Kind, LATENCY_PAGE_SIZE};
use crate::run::Outcome;

/// A markdown table of every outcome, in run order.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    out.push_str("| scenario | case | records | page size | latency | concurrency | records/s | requests/s | wall s | peak RSS MiB |\n");
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for o in outcomes {
        let c = &o.case;
        let concurrency = match c.kind {
            Kind::ATyped
            | Kind::AJsonl
            | Kind::ASqlite
            | Kind::ADuckdb
            | Kind::APostgres
            | Kind::ADelta
            | Kind::DRaw => "-".to_owned(),
            _ => c.effective_concurrency().to_string(),
        };
        if let Some(why) = &o.skipped {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} ms | {concurrency} | skipped: {why} | | | |",
                c.kind.scenario(),
                c.kind.label(),
                c.records,
                c.page_size,
                c.latency_ms
            );
            continue;
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} ms | {concurrency} | {:.0} | {:.0} | {:.2} | {} |",
            c.kind.scenario(),
            c.kind.label(),
            o.records,
            c.page_size,
            c.latency_ms,
            o.records_per_s(),
            o.requests_per_s(),
            o.wall_s,
            o.peak_rss_kib
                .map_or_else(|| "-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0)),
        );
    }
    out
}

fn find(
    outcomes: &[Outcome],
    kind: Kind,
    page_size: Option<u64>,
    records: Option<u64>,
) -> Option<&Outcome> {
    outcomes.iter().find(|o| {
        o.skipped.is_none()
            && o.case.kind == kind
            && page_size.is_none_or(|p| o.case.page_size == p)
            && records.is_none_or(|r| o.case.records == r)
    })
}

/// The ratios against issue 6's targets, one line each.
pub fn ratios(outcomes: &[Outcome]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut page_sizes: Vec<u64> = outcomes
        .iter()
        .filter(|o| o.case.kind == Kind::DRaw)
        .map(|o| o.case.page_size)
        .collect();
    page_sizes.dedup();
    for p in page_sizes {
        if let Some(raw) = find(outcomes, Kind::DRaw, Some(p), None) {
            if let Some(typed) = find(outcomes, Kind::ATyped, Some(p), Some(raw.case.records)) {
                let ratio = typed.records_per_s() / raw.records_per_s();
                lines.push(format!(
                    "typed fetch / raw ceiling D, page size {p}: {:.0}% (target >= 60%) {}",
                    ratio * 100.0,
                    verdict(ratio >= 0.6)
                ));
            }
        }
    }
    for kind in [
        Kind::ATyped,
        Kind::AJsonl,
        Kind::ASqlite,
        Kind::ADuckdb,
        Kind::APostgres,
        Kind::ADelta,
    ] {
        let runs: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.case.kind == kind && o.skipped.is_none())
            .collect();
        let mut page_sizes: Vec<u64> = runs.iter().map(|o| o.case.page_size).collect();
        page_sizes.dedup();
        for p in page_sizes {
            let at: Vec<&&Outcome> = runs.iter().filter(|o| o.case.page_size == p).collect();
            let (Some(small), Some(big)) = (
                at.iter().min_by_key(|o| o.case.records),
                at.iter().max_by_key(|o| o.case.records),
            ) else {
                continue;
            };
            if small.case.records == big.case.records {
                continue;
            }
            if let (Some(a), Some(b)) = (small.peak_rss_kib, big.peak_rss_kib) {
                let ratio = b as f64 / a.max(1) as f64;
                lines.push(format!(
                    "peak RSS {} records / {} records, {}, page size {p}: {ratio:.2}x (target <= 1.5x) {}",
                    big.case.records,
                    small.case.records,
                    kind.name(),
                    verdict(ratio <= 1.5)
                ));
            }
        }
    }
    for (sequential, concurrent, what) in [
        (Kind::BSequential, Kind::BPrefetch, "B pages"),
        (Kind::CSequential, Kind::CConcurrent, "C requests"),
    ] {
        for kind in [sequential, concurrent] {
            if let Some(o) = find(outcomes, kind, None, None) {
                let ideal = ideal_seconds(o);
                let ratio = o.wall_s / ideal;
                let target = if kind == concurrent {
                    format!(" (target <= 1.5x) {}", verdict(ratio <= 1.5))
                } else {
                    String::new()
                };
                lines.push(format!(
                    "{} {}: {:.2} s vs {what} x latency / concurrency = {ideal:.2} s: {ratio:.2}x{target}",
                    kind.name(),
                    kind.label(),
                    o.wall_s
                ));
            }
        }
        if let (Some(s), Some(c)) = (
            find(outcomes, sequential, None, None),
            find(outcomes, concurrent, None, None),
        ) {
            lines.push(format!(
                "{} speed-up over concurrency 1: {:.1}x",
                concurrent.name(),
                s.wall_s / c.wall_s
            ));
        }
    }
    lines
}

/// Requests x latency / concurrency: the wall time if latency were the only cost. B counts
/// its pages; C counts every request (parent pages and one per parent).
fn ideal_seconds(o: &Outcome) -> f64 {
    let latency = o.case.latency_ms as f64 / 1000.0;
    let requests = match o.case.kind {
        Kind::BSequential | Kind::BPrefetch => o.case.records.div_ceil(LATENCY_PAGE_SIZE) as f64,
        _ => o.requests as f64,
    };
    requests * latency / o.case.effective_concurrency() as f64
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}
