#!/bin/bash
# Smoke test of the benchmark suite's storm (bench/storm.c): one tiny run under
# the tracer, and the profile must hold exactly what the storm did.
source "$LT_TESTS/lib.sh"
: "${LT_ROOT:?}"

threads=2 pairs=3000 depth=5 window=16 leak_count=7 leak_size=300
cc -O2 -g -fno-omit-frame-pointer -pthread -o "$T/storm" "$LT_ROOT/bench/storm.c" ||
  { ko "bench/storm.c builds"; finish; }

# timeout outside the preload: only the storm is traced, so one profile.
out=$(timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" LEAKTRACE_QUIET=1 "$T/storm" \
  $threads $pairs $depth $window $leak_count $leak_size)
expect "storm exit status" 0 $?
profs=("$T"/p.*.0001.heap.pb.gz)
expect "exit snapshots written" 1 ${#profs[@]}
prof=${profs[0]}
bytes=$(sed -n 's/.* bytes=\([0-9]*\).*/\1/p' <<<"$out")
expect_true "storm reports its bytes" test -n "$bytes"

expect "inuse_objects at storm_leak" $((threads * leak_count)) \
  "$(total "$prof" inuse_objects storm_leak)"
expect "inuse_space at storm_leak" $((threads * leak_count * leak_size)) \
  "$(total "$prof" inuse_space storm_leak)"
expect "alloc_objects at storm_leak" $((threads * leak_count)) \
  "$(total "$prof" alloc_objects storm_leak)"

# The churn's four call sites: every pair counted, every byte, none left in use.
sites_objects=0 sites_bytes=0 sites_inuse=0
for site in site_a site_b site_c site_d; do
  sites_objects=$((sites_objects + $(total "$prof" alloc_objects $site)))
  sites_bytes=$((sites_bytes + $(total "$prof" alloc_space $site)))
  sites_inuse=$((sites_inuse + $(total "$prof" inuse_space $site)))
done
expect "alloc_objects at the four churn sites" $((threads * pairs)) $sites_objects
expect "alloc_space at the four churn sites (bytes the storm reports)" "$bytes" $sites_bytes
expect "inuse_space at the churn sites after the window is freed" 0 $sites_inuse

# The call depth is in the stacks: D+1 descend() frames under each site.
frames=$(query frames "$prof" site_a)
expect "descend frames under site_a" $((depth + 1)) "$(grep -o -w descend <<<"$frames" | wc -l)"
expect "innermost frame is site_a" site_a "${frames%% *}"
finish
