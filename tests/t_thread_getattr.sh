# A thread whose first allocation happens inside pthread_getattr_np (the
# JVM's and every Rust program's thread start): glibc holds the thread's
# lock there. Before, the tracer learned the thread's stack bounds by
# calling pthread_getattr_np again, and the thread waited for its own lock
# forever (java -version and a Rust hello world hung, 3 of 3).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

threads=4 n=5 s=300 v=$LT_VICTIMS/thread_getattr
export TIMEOUT=20
LEAKTRACE_FD=0 run_traced getattr "$v" $threads $n $s
expect "exit code (137: hung)" 0 "$rc"
expect "output" ok "$(cat "$T/getattr.out")"
check_site "$(profile $vpid 1)" after_getattr $((threads * n)) $((threads * n * s)) \
  $((threads * n)) $((threads * n * s))
expect "the leak's stack reaches the thread's start" "after_getattr run start_thread" \
  "$(query frames "$(profile $vpid 1)" after_getattr | cut -d' ' -f1-3)"
finish
