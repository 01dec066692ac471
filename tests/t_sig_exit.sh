# A signal handler that calls exit() on top of a malloc or free (SIGALRM
# handler, victims/exit_in_handler): the exiting thread may hold the
# allocator's lock (the tracer's thread makes glibc's malloc take it), and
# the exit snapshot's first allocation waited for it for good: before, 1
# run in 4 to 5 hung (killed by the timeout) where untraced every run
# exits 5. Now every run exits 5, with either its exit snapshot or the line
# saying why there is none; exact and sampling mode.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

v=$LT_VICTIMS/exit_in_handler runs=20
export TIMEOUT=10 LEAKTRACE_FD=0
for sample in 0 4096; do
  statuses="" written=0 refused=0 other=""
  for ((run = 1; run <= runs; run++)); do
    rm -f "$T"/p.*
    LEAKTRACE_SAMPLE=$sample run_traced exit$run "$v" 30
    statuses+="$rc "
    line=$(cat "$T/exit$run.err")
    if [[ $line == "leaktrace: wrote $(profile $vpid 1)" ]] && readable "$(profile $vpid 1)"; then
      written=$((written + 1))
    elif [[ $line == "leaktrace: process $vpid exits from a signal handler that interrupted an allocation: no exit snapshot (it would wait for the allocator's lock)" ]]; then
      refused=$((refused + 1))
    else
      other+="run $run: '$line' "
    fi
  done
  echo "LEAKTRACE_SAMPLE=$sample: $written exit snapshots, $refused refused"
  expect "LEAKTRACE_SAMPLE=$sample: exit statuses of $runs runs (untraced: 5)" \
    "$(printf '5 %.0s' $(seq $runs))" "$statuses"
  expect "LEAKTRACE_SAMPLE=$sample: each run's stderr, a snapshot or the refusal" "" "$other"
done
finish
