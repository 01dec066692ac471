# A signal handler that siglongjmps out of what it interrupted, most often a
# malloc or free, so out of the tracer's hook (victims/jump_out_of_malloc:
# SIGALRM every 1 ms, 50 jumps). The hook's guard, and any lock it held,
# must go with its frame: before, the first jump left the guard set, and
# every allocation of the thread after it went unrecorded (the leak made
# after the jumps was missing from 20 runs of 20). After the jumps, a second
# thread ends the live table's solo mode, which the jumps left in the middle
# of its operations; its leak is counted too.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

jumps=50 s=12345 v=$LT_VICTIMS/jump_out_of_malloc
export TIMEOUT=30
# No tracer thread (no snapshot signal): with one, glibc's malloc locks its
# arena, and a jump out of glibc's own malloc leaves it locked for good, as
# in any multi-threaded program. Single-threaded, it takes no lock.
export LEAKTRACE_SIGNAL=none
# A jump out of glibc's own malloc corrupts its heap now and then, traced or
# not (untraced, 10 runs of 150 here died of SIGSEGV): a run may crash or
# hang; every run that ends well must have counted exactly, and most must.
completed=0
for run in 1 2 3 4 5 6; do
  rm -f "$T"/p.*
  LEAKTRACE_FD=0 run_traced jump$run "$v" $jumps $s
  if [[ $rc != 0 ]]; then
    echo "run $run: status $rc (the program's own jump out of glibc's malloc)"
    continue
  fi
  completed=$((completed + 1))
  expect "run $run: output" done "$(cat "$T/jump$run.out")"
  f=$(profile $vpid 1)
  check_site "$f" leak_after_jumps 2 $((2 * s)) 2 $((2 * s))
  check_site "$f" leak_in_second_thread 1 $s 1 $s
  # blocks a jump abandoned between malloc and free are the program's own
  # leaks: 64 bytes each, one per jump at most
  lost=$(total "$f" inuse_space deep_malloc)
  expect_true "run $run: inuse at deep_malloc, $lost, is whole 64-byte blocks, at most one a jump" \
    [ $((lost % 64)) -eq 0 -a "$lost" -le $((jumps * 64)) ]
done
expect_true "at least 4 runs of 6 ended well ($completed)" [ "$completed" -ge 4 ]
finish
