# The live table under churn: 60,000 blocks live at once at most, 400,000
# random allocations, frees and reallocs at three sites, so that entries
# leave full groups of the table's stripes and tables grow while full. Every
# site's four numbers are what the program says it did (a free the table
# failed to find would leave a block in use; a probe that missed an entry
# would count it twice).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

ops=400000 window=60000
for seed in 1 $((RANDOM + 2)); do
  echo "--- seed $seed"
  LEAKTRACE_FD=0 TIMEOUT=120 run_traced churn$seed "$LT_VICTIMS/live_churn" $ops $window $seed
  expect "exit code" 0 "$rc"
  expect "tracer stderr" "leaktrace: wrote $T/p.$vpid.0001.heap.pb.gz" "$(cat "$T/churn$seed.err")"
  expect "three sites reported" 3 "$(wc -l <"$T/churn$seed.out")"
  f=$(profile $vpid 1)
  while read -r site alloc_objects alloc_space inuse_objects inuse_space; do
    check_site "$f" "$site" "$alloc_objects" "$alloc_space" "$inuse_objects" "$inuse_space"
  done <"$T/churn$seed.out"
done

# A block freed where no hook sees it (glibc's __libc_free) and whose address
# malloc hands out again: the table finds the pointer there, counts the old
# block freed and the new one live.
n=200 s=72
LEAKTRACE_FD=0 TIMEOUT=60 run_traced reuse "$LT_VICTIMS/live_reuse" $n $s
expect "reuse: exit code" 0 "$rc"
reused=$(sed -n 's/^reused \([0-9]*\)$/\1/p' "$T/reuse.out")
expect_true "reuse: glibc gave back most of the addresses ($reused of $n)" test "${reused:-0}" -gt $((n / 2))
f=$(profile $vpid 1)
check_site "$f" lost_free $n $((n * s)) $((n - reused)) $(((n - reused) * s))
check_site "$f" reuse $n $((n * s)) $n $((n * s))
finish
