# Hours of uptime in miniature (victims/svc_churn.c): LIVE blocks stay live
# while malloc/calloc/realloc/free replace them from SITES allocation sites
# for SECONDS, with snapshots during it. The process's memory (program and
# tracer) stays flat: RSS at the start and at the end of the churn differ by
# less than BOUND KiB, whatever the number of allocations. The stacks table
# holds one stack per distinct call path (SITES + 1 for realloc), not one
# per allocation; in-use counts stay exactly LIVE; alloc counts are exact.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
source "$LT_TESTS/svc_lib.sh"

live=20000 sites=8 warm=2 seconds=10 snaps=3 bound=2048
v=$LT_VICTIMS/svc_churn

# samples PROFILE FUNCTION: how many samples (distinct stacks) hold FUNCTION
samples() {
  python3 - "$LT_TESTS" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from pprof_query import Raw
raw = Raw(sys.argv[2])
print(sum(1 for s in raw.samples if sys.argv[3] in raw.stack(s)))
PY
}

# line TEXT [SECONDS]: until the victim's output has a line starting with TEXT
line() { until_true "${2:-20}" grep -q "^$1" "$T/churn.out"; }

mkfifo "$T/in"
exec 4<>"$T/in"
IN=$T/in TIMEOUT=$((warm + seconds + 120)) launch churn yes LEAKTRACE_OUT="$T/p" \
  "$v" $live $sites $warm $seconds
pid=$lpid
expect_true "filled" line filled
# A first snapshot before measuring: the symbolizer's caches are filled.
expect_true "snapshot before the churn" signal_snapshot "$T/p" "$pid" USR1 1
echo go >&4
expect_true "warmed up" line steady $((warm + 60))
rss0=$(rss_kb "$pid")
for ((s = 2; s < 2 + snaps; s++)); do # snapshots during the measured churn
  sleep "$(awk "BEGIN {print $seconds / ($snaps + 1)}")"
  expect_true "snapshot $s during the churn" signal_snapshot "$T/p" "$pid" USR1 $s
done
expect_true "churn done" line done $((seconds + 60))
rss1=$(rss_kb "$pid")
allocs=$(sed -n 's/^done allocs //p' "$T/churn.out")
echo "churn: $allocs allocations in $((warm + seconds)) s; RSS ${rss0} KiB at the start of the" \
  "measured ${seconds} s, ${rss1} KiB at the end ($((rss1 - rss0)) KiB)"
expect_true "RSS growth over the churn $((rss1 - rss0)) KiB < $bound KiB" test $((rss1 - rss0)) -lt $bound

s=$((2 + snaps))
expect_true "snapshot after the churn" signal_snapshot "$T/p" "$pid" USR1 $s
f=$(snap "$T/p" "$pid" $s)
expect "live blocks (fill + churn) in use" $live \
  $(($(total "$f" inuse_objects fill) + $(total "$f" inuse_objects churn)))
expect "allocations counted under fill" $live "$(total "$f" alloc_objects fill)"
expect "allocations counted under churn" "$allocs" "$(total "$f" alloc_objects churn)"
expect "distinct stacks under fill (one per site)" $sites "$(samples "$f" fill)"
expect "distinct stacks under churn (sites, and realloc)" $((sites + 1)) "$(samples "$f" churn)"
expect "samples in the whole profile, as in the first snapshot plus the churn's" \
  $(($(samples "$(snap "$T/p" "$pid" 1)" main) + sites + 1)) "$(samples "$f" main)"

echo go >&4
exec 4>&-
wait "$tpid"
expect "exit code" 0 $?
f=$(snap "$T/p" "$pid" $((s + 1)))
expect "exit snapshot: nothing of fill or churn in use" "0 0" \
  "$(($(total "$f" inuse_objects fill) + $(total "$f" inuse_objects churn))) $(total "$f" inuse_space churn)"
finish
