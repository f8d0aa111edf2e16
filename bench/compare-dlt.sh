#!/usr/bin/env bash
# Runs dlt's rest_api source and connector-bench against the same demo server, for scenario A
# (page size 100, merge into DuckDB; ours also into SQLite) and scenario B (500 pages of 100
# records, 20 ms per request), and prints both figures and the ratio.
#
# usage: bench/compare-dlt.sh [RECORDS]    (default 1000000; dlt needs minutes for that)
# env:   DUCKDB=1   build connector-bench with its `duckdb` feature (a ~20 minute C++ build)
#        CARGO_TARGET_DIR   where cargo builds (default target/)
#
# dlt is installed from PyPI into bench/.venv. Never run this in CI.
set -euo pipefail

if [[ -n "${CI:-}" ]]; then
  echo "compare-dlt.sh installs dlt from PyPI and takes minutes: not for CI" >&2
  exit 2
fi

records="${1:-1000000}"
export RUNTIME__DLTHUB_TELEMETRY=false
latency_ms=20
b_pages=500
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "dlt[duckdb]"

features=()
if [[ "${DUCKDB:-0}" == 1 ]]; then features=(--features duckdb); fi
(cd "$root" && cargo build --release -q -p connector-demo-server --bin demo-server \
  && cargo build --release -q -p connector-bench "${features[@]}")
bin="${CARGO_TARGET_DIR:-$root/target}/release"

# Starts a demo server; sets $url to its base URL.
start_server() {
  local out="$work/server${#pids[@]}.out"
  "$bin/demo-server" "$@" >"$out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 100); do
    url="$(head -n1 "$out" 2>/dev/null || true)"
    [[ -n "$url" ]] && return 0
    sleep 0.1
  done
  echo "demo-server did not start" >&2
  exit 1
}

echo "dlt, scenario A: $records records, page size 100, merge into DuckDB (its default loader, then jsonl)..." >&2
start_server --records "$records" --page-size 100
"$venv/bin/python" "$here/scripts/dlt_bench.py" a "$url" "$records" 100 "$work/a" >"$work/dlt_a.json"
"$venv/bin/python" "$here/scripts/dlt_bench.py" a "$url" "$records" 100 "$work/a_jsonl" jsonl >"$work/dlt_a_jsonl.json"

echo "dlt, scenario B: $b_pages pages of 100, $latency_ms ms per request, extract only..." >&2
start_server --records $((b_pages * 100)) --page-size 100 --latency-ms "$latency_ms"
"$venv/bin/python" "$here/scripts/dlt_bench.py" b "$url" $((b_pages * 100)) 100 "$work/b" >"$work/dlt_b.json"

echo "connector-bench, the same scenarios..." >&2
"$bin/connector-bench" --scenario a-sqlite,a-duckdb,B --records "$records" --page-size 100 \
  --baseline-records 0 --pages "$b_pages" --latency-ms "$latency_ms" --json "$work/ours.json" >"$work/ours.md"
cat "$work/ours.md"
echo

"$venv/bin/python" - "$work/dlt_a.json" "$work/dlt_a_jsonl.json" "$work/dlt_b.json" "$work/ours.json" <<'EOF'
import json, sys
dlt_as = [json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))]
dlt_b = json.load(open(sys.argv[3]))
ours = {o["case"]["kind"]: o for o in json.load(open(sys.argv[4]))}
def rps(o):
    return o["records"] / o["wall_s"]
print("| scenario | dlt records/s | ours | records/s | ratio (ours / dlt) |")
print("|---|---:|---|---:|---:|")
for dlt_a in dlt_as:
    dlt_a_rps = rps(dlt_a)
    theirs = f"{dlt_a_rps:.0f} (DuckDB merge, {dlt_a['format']} loader)"
    for kind, label in [("ASqlite", "fetch + SQLite merge"), ("ADuckdb", "fetch + DuckDB merge")]:
        o = ours.get(kind)
        if o is None or o.get("skipped"):
            why = o["skipped"] if o else "not run"
            print(f"| A, {dlt_a['records']} records, page size 100 | {theirs} | {label} | {why} | - |")
        else:
            print(f"| A, {dlt_a['records']} records, page size 100 | {theirs} | {label} | {rps(o):.0f} | {rps(o) / dlt_a_rps:.1f}x |")
dlt_b_rps = rps(dlt_b)
for kind, label in [("BSequential", "typed fetch, concurrency 1"), ("BPrefetch", "typed fetch, prefetch")]:
    o = ours[kind]
    print(f"| B, {dlt_b['records']} records, 20 ms/request | {dlt_b_rps:.0f} (extract, {dlt_b['wall_s']:.2f} s) | {label} ({o['wall_s']:.2f} s) | {rps(o):.0f} | {rps(o) / dlt_b_rps:.1f}x |")
EOF
