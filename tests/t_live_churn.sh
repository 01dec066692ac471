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
finish
