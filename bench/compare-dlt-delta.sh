#!/usr/bin/env bash
# dlt's rest_api source into Delta tables on local disk (its filesystem destination with
# table_format="delta", merge on id: dlt's `upsert`, the merge strategy it has for Delta;
# Parquet, the only file format it writes Delta tables from) against connector-bench's
# `a-delta` (the same data, page size 100, merge on id with delete-insert) at 100,000 and at
# RECORDS, in one run. Prints each figure, the ratio, and our peak RSS at both sizes.
#
# usage: bench/compare-dlt-delta.sh [RECORDS]    (default 1000000; dlt needs minutes)
# env:   CARGO_TARGET_DIR   where cargo builds (default target/)
#
# dlt[filesystem,deltalake] is installed from PyPI into bench/.venv. Never run this in CI.
set -euo pipefail

if [[ -n "${CI:-}" ]]; then
  echo "compare-dlt-delta.sh installs dlt from PyPI and takes minutes: not for CI" >&2
  exit 2
fi

records="${1:-1000000}"
export RUNTIME__DLTHUB_TELEMETRY=false
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
"$venv/bin/pip" install -q "dlt[filesystem,deltalake]"

(cd "$root" && cargo build --release -q -p connector-demo-server --bin demo-server \
  && cargo build --release -q -p connector-bench --features delta)
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

start_server --records "$records" --page-size 100
echo "dlt, $records records, page size 100, merge into Delta on local disk..." >&2
"$venv/bin/python" "$here/scripts/dlt_bench.py" delta "$url" "$records" 100 "$work/dlt" \
  >"$work/dlt.json"

echo "connector-bench a-delta, 100000 and $records records..." >&2
"$bin/connector-bench" --scenario a-delta --records "$records" --page-size 100 \
  --baseline-records 100000 --json "$work/ours.json" >"$work/ours.md"
cat "$work/ours.md"
echo

"$venv/bin/python" - "$work/dlt.json" "$work/ours.json" "$records" <<'PY'
import json, sys
dlt = json.load(open(sys.argv[1]))
runs = [o for o in json.load(open(sys.argv[2])) if o["case"]["kind"] == "ADelta" and o["case"]["page_size"] == 100]
records = int(sys.argv[3])
big = next(o for o in runs if o["case"]["records"] == records)
small = min(runs, key=lambda o: o["case"]["records"])
def rps(o):
    return o["records"] / o["wall_s"]
print(f"| {records} records, page size 100, merge into Delta (local disk) | records/s | wall s | ours / it |")
print("|---|---:|---:|---:|")
print(f"| connector a-delta (delete-insert) | {rps(big):.0f} | {big['wall_s']:.1f} | 1.0x |")
print(f"| dlt, filesystem + table_format=delta (upsert, Parquet) | {rps(dlt):.0f} | {dlt['wall_s']:.1f} | {rps(big) / rps(dlt):.1f}x |")
print()
small_mib, big_mib = small["peak_rss_kib"] / 1024, big["peak_rss_kib"] / 1024
print(f"peak RSS: {small_mib:.0f} MiB at {small['case']['records']}, {big_mib:.0f} MiB at "
      f"{records}: {big_mib / small_mib:.2f}x (target <= 1.5x)")
PY
