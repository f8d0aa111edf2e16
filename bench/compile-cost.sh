#!/usr/bin/env bash
# Compile cost of the macro: times `cargo build` of bench/examples/seeds.rs (the five seed
# connectors through #[connector]) with its dependencies already built, in the dev and release
# profiles, by touching the example first. With --cold, also a build from nothing in a fresh
# target directory (minutes: it compiles reqwest, tokio, serde...).
# The macro's expansion time for a 200-resource spec: `connector-bench --scenario macro`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
for profile in dev release; do
  flag=(); [[ $profile == release ]] && flag=(--release)
  cargo build -q -p connector-bench --example seeds "${flag[@]}"
  touch bench/examples/seeds.rs
  start=$(date +%s.%N)
  cargo build -q -p connector-bench --example seeds "${flag[@]}"
  end=$(date +%s.%N)
  printf 'cargo build (%s), crate using the five seed connectors, deps built: %.2f s\n' "$profile" "$(echo "$end - $start" | bc)"
done
if [[ "${1:-}" == --cold ]]; then
  cold="$(mktemp -d)"
  start=$(date +%s.%N)
  CARGO_TARGET_DIR="$cold" cargo build -q -p connector-bench --example seeds
  end=$(date +%s.%N)
  printf 'cargo build (dev), from nothing: %.1f s\n' "$(echo "$end - $start" | bc)"
  rm -rf "$cold"
fi
