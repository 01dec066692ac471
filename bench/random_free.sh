#!/bin/bash
# The live table's cost where its cache misses set it: bench/random_free
# (1,000,000 live blocks, each freed and replaced in a random order),
# untraced and under each library given (default: this checkout's
# build-bench/libleaktrace.so), exact mode, interleaved; prints each
# column's median over the runs of its best pass's ns per free+malloc.
#
#   bench/random_free.sh [--runs N] [LIB.so ...]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=5
if [[ ${1:-} == --runs ]]; then
  runs=$2
  shift 2
fi
(($#)) || set -- "$ROOT/build-bench/libleaktrace.so"
for lib; do
  [[ -f $lib ]] || { echo "random_free: no $lib (bench/run.sh builds build-bench)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -g -fno-omit-frame-pointer -Wall -Wextra -o "$tmp/random_free" "$ROOT/bench/random_free.c"

declare -A times
for ((r = 0; r < runs; r++)); do
  times[untraced]+=" $("$tmp/random_free" 1000000 5)"
  for lib in "$@"; do
    times[$lib]+=" $(LEAKTRACE_QUIET=1 LEAKTRACE_OUT="$tmp/p" LD_PRELOAD=$lib "$tmp/random_free" 1000000 5)"
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END { print v[int((NR + 1) / 2)] }'; }
printf '%-60s %s\n' "random_free, 1,000,000 blocks, $runs runs" "ns a free+malloc (median)"
printf '%-60s %s\n' untraced "$(median <<<"${times[untraced]}")"
for lib in "$@"; do
  printf '%-60s %s\n' "$lib" "$(median <<<"${times[$lib]}")"
done
