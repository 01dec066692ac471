# 8 threads leak different known amounts while churning malloc/free pairs and
# handing blocks to the main thread to free: exact per-function numbers, and
# alloc_* against inuse_* (a churn site is all allocations, nothing in use).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

threads=8 k=1500 s=40 churn=30000 handoff=2000
LEAKTRACE_FD=0 TIMEOUT=120 run_traced threads "$LT_VICTIMS/heap_threads" $threads $k $s $churn $handoff
expect "exit code" 0 "$rc"
expect "program output" "$threads threads done" "$(cat "$T/threads.out")"
expect "tracer stderr" "leaktrace: wrote $T/p.$vpid.0001.heap.pb.gz" "$(cat "$T/threads.err")"

f=$(profile $vpid 1)
for ((i = 0; i < threads; i++)); do
  leaks=$(((i + 1) * k))
  check_site "$f" leak_thread_$i $leaks $((leaks * s)) $leaks $((leaks * s))
done
check_site "$f" churn_pair $((threads * churn)) $((threads * churn * (s + 8))) 0 0
check_site "$f" handoff_alloc $((threads * handoff)) $((threads * handoff * (s + 16))) 0 0
# Over the whole profile: the leaks are all that is in use at these sizes.
all=$(( k * threads * (threads + 1) / 2 ))
expect "inuse_space of every thread's stack (worker)" $((all * s)) "$(total "$f" inuse_space worker)"

# Threads that come and go: what the tracer maps for a thread (its walk's
# memo and paths) goes when the thread ends, and their leaks are exact.
n=2000 k=3 s=48
LEAKTRACE_FD=0 TIMEOUT=120 run_traced churn "$LT_VICTIMS/thread_churn" $n $k $s
expect "thread churn: exit code" 0 "$rc"
# Left behind, the 10 KiB a thread would have grown the address space by
# 23 MB here (3 pages each); the live table's growth for the leaks is some 100 kB.
read -r early late <<<"$(sed -n 's/VmSize after 100 threads: \([0-9]*\) kB, after [0-9]*: \([0-9]*\) kB/\1 \2/p' "$T/churn.out")"
expect_true "thread churn: $((n - 100)) more threads grew the address space by under 1 MB ($early kB, then $late kB)" \
  test -n "$late" -a $((${late:-1000000} - ${early:-0})) -lt 1024
f=$(profile $vpid 1)
check_site "$f" churn_leak $((n * k)) $((n * k * s)) $((n * k)) $((n * k * s))
finish
