#!/usr/bin/env bash
# dlt's rest_api source into PostgreSQL, with its default loader (insert_values) and its fastest
# (csv, loaded with COPY), against connector-bench's `a-postgres` (binary COPY into staging,
# then one merge transaction): the same demo data (page size 100, merge on id) into the same
# throwaway PostgreSQL server, started here (initdb + pg_ctl on 127.0.0.1, fsync off, removed at
# the end). Prints each figure and the ratios.
#
# usage: bench/compare-dlt-postgres.sh [RECORDS]    (default 1000000; dlt needs minutes)
# env:   CARGO_TARGET_DIR   where cargo builds (default target/)
#
# dlt[postgres] is installed from PyPI into bench/.venv. Never run this in CI.
set -euo pipefail

if [[ -n "${CI:-}" ]]; then
  echo "compare-dlt-postgres.sh installs dlt from PyPI and takes minutes: not for CI" >&2
  exit 2
fi

records="${1:-1000000}"
export RUNTIME__DLTHUB_TELEMETRY=false
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv"
work="$(mktemp -d)"
chmod 755 "$work"
pids=()

pgbin=""
if command -v initdb >/dev/null; then
  pgbin="$(dirname "$(readlink -f "$(command -v initdb)")")"
else
  for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/initdb" ]] && pgbin="$d"; done
fi
if [[ -z "$pgbin" ]]; then
  echo "initdb not found: apt-get install -y --no-install-recommends postgresql" >&2
  exit 2
fi
as=()
if [[ "$(id -u)" == 0 ]]; then
  as=(runuser -u postgres --)
  chown postgres: "$work"
fi
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "${as[@]}" "$pgbin/pg_ctl" -D "$work/data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as[@]}" "$pgbin/initdb" -D "$work/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
"${as[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/data/server.log" -w -o \
  "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
# Trust authentication: the password is only there for clients that insist on one.
pg_url="postgresql://postgres:unused@127.0.0.1:$port/postgres"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "dlt[postgres]"

(cd "$root" && cargo build --release -q -p connector-demo-server --bin demo-server \
  && cargo build --release -q -p connector-bench)
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
for format in insert_values csv; do
  echo "dlt, $records records, page size 100, merge into PostgreSQL ($format)..." >&2
  "$venv/bin/python" "$here/scripts/dlt_bench.py" pg "$url" "$records" 100 "$work/$format" "$pg_url" "$format" \
    >"$work/dlt_$format.json"
done

echo "connector-bench a-postgres, the same..." >&2
BENCH_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres" "$bin/connector-bench" \
  --scenario a-postgres --records "$records" --page-size 100 --baseline-records 0 \
  --json "$work/ours.json" >"$work/ours.md"
cat "$work/ours.md"
echo

"$venv/bin/python" - "$work/dlt_insert_values.json" "$work/dlt_csv.json" "$work/ours.json" <<'PY'
import json, sys
dlt_default = json.load(open(sys.argv[1]))
dlt_copy = json.load(open(sys.argv[2]))
ours = {o["case"]["kind"]: o for o in json.load(open(sys.argv[3]))}["APostgres"]
def rps(o):
    return o["records"] / o["wall_s"]
print("| records, page size 100, merge into PostgreSQL | records/s | wall s | ours / it |")
print("|---|---:|---:|---:|")
print(f"| connector a-postgres | {rps(ours):.0f} | {ours['wall_s']:.1f} | 1.0x |")
for label, d in [("dlt, insert_values (its default)", dlt_default), ("dlt, csv (COPY, its fastest)", dlt_copy)]:
    print(f"| {label} | {rps(d):.0f} | {d['wall_s']:.1f} | {rps(ours) / rps(d):.1f}x |")
PY
