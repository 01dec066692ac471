#!/bin/bash
# Instructions and mispredicted branches (valgrind's callgrind) of the perl
# workload on 4,000 generated lines: untraced, then under each library given
# (default: this checkout's build-bench/libleaktrace.so), exact and sampled.
# Wall time on a shared machine moves by more than most changes; these counts
# repeat to a few thousand between runs, so two builds compare directly.
#
#   bench/instructions.sh [LIB.so ...]
#
# Perl seeds its hashes at random, which changes its own work from run to
# run: PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 fix the seed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v valgrind >/dev/null || { echo "instructions: valgrind is required" >&2; exit 1; }
(($#)) || set -- "$ROOT/build-bench/libleaktrace.so"
libs=()
for lib; do
  [[ -f $lib ]] || { echo "instructions: no $lib (bench/run.sh builds build-bench)" >&2; exit 1; }
  libs+=("$(realpath "$lib")") # the runs start in a scratch directory
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
perl "$ROOT/bench/perl_gen.pl" 4000 >"$tmp/input.txt"

# count NAME [VAR=VALUE...]: one callgrind run; prints NAME, instructions,
# mispredicted conditional branches
count() {
  local name=$1
  shift
  (cd "$tmp" && valgrind --tool=callgrind --callgrind-out-file=/dev/null --branch-sim=yes \
    --trace-children=yes env PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 LEAKTRACE_QUIET=1 \
    LEAKTRACE_OUT="$tmp" "$@" perl "$ROOT/bench/perl_work.pl" <"$tmp/input.txt" 2>&1 >/dev/null) |
    awk -v name="$name" '/Collected :/ { ir = $4; bcm = $6 } END { print name, ir, bcm }'
}

base=$(count untraced)
read -r _ base_ir base_bcm <<<"$base"
printf '%-60s %15s %8s %12s\n' "perl on 4,000 lines" instructions ratio mispredicts
printf '%-60s %15s %8s %12s\n' untraced "$base_ir" - "$base_bcm"
for lib in "${libs[@]}"; do
  for mode in exact sampled; do
    sample=()
    [[ $mode == sampled ]] && sample=(LEAKTRACE_SAMPLE=524288)
    read -r _ ir bcm <<<"$(count "$mode" LD_PRELOAD="$lib" "${sample[@]}")"
    printf '%-60s %15s %8s %12s\n' "$lib $mode" "$ir" \
      "$(awk -v a="$ir" -v b="$base_ir" 'BEGIN { printf "%.3fx", a / b }')" "$bcm"
  done
done
