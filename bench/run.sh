#!/bin/bash
# The benchmark suite of issue 5: builds leaktrace and the benchmark programs,
# runs every workload under every column, prints a markdown table and writes
# it to bench/results.md.
#
#   bench/run.sh [--quick] [--rounds N] [--only storm1,storm2,cores,perl,redis,redis_ir,hold,snapshot,accuracy,syscalls]
#
# BENCH_BUILD=DIR picks the build directory (default: build-bench in the checkout).
# The raw runs go to $BENCH_BUILD/bench/runs.json.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}

for tool in cmake cc python3 perl go /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
cmake -S "$ROOT" -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j2 --target leaktrace >/dev/null
mkdir -p "$BUILD/bench"
for prog in storm hold snapstacks; do
  cc -O2 -g -fno-omit-frame-pointer -Wall -Wextra -pthread \
    -o "$BUILD/bench/$prog" "$ROOT/bench/$prog.c"
done
exec python3 "$ROOT/bench/bench.py" --build "$BUILD" --json "$BUILD/bench/runs.json" \
  --cmdline "bench/run.sh${*:+ $*}" "$@"
