# A signal handler that siglongjmps out of what it interrupted, most often a
# malloc or free, so out of the tracer's hook (victims/jump_out_of_malloc:
# SIGALRM every 1 ms, 50 jumps). The hook's guard, and any lock it held,
# must go with its frame: before, the first jump left the guard set, and
# every allocation of the thread after it went unrecorded (the leak made
# after the jumps was missing from 20 runs of 20).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

jumps=50 s=12345 v=$LT_VICTIMS/jump_out_of_malloc
export TIMEOUT=30
for run in 1 2 3 4 5; do
  rm -f "$T"/p.*
  LEAKTRACE_FD=0 run_traced jump$run "$v" $jumps $s
  expect "run $run: exit code" 0 "$rc"
  expect "run $run: output" done "$(cat "$T/jump$run.out")"
  f=$(profile $vpid 1)
  check_site "$f" leak_after_jumps 1 $s 1 $s
  # blocks a jump abandoned between malloc and free are the program's own
  # leaks: 64 bytes each, one per jump at most
  lost=$(total "$f" inuse_space deep_malloc)
  expect_true "run $run: inuse at deep_malloc, $lost, is whole 64-byte blocks, at most one a jump" \
    [ $((lost % 64)) -eq 0 -a "$lost" -le $((jumps * 64)) ]
done
finish
