# A thread cancelled (deferred cancellation) whose next cancellation point
# would be inside the tracer: reading a library's unwind rules opens its
# file under the tracer's lock. Before, the thread ended there holding the
# lock, and the main thread's next allocation through new code waited for
# it for good (victims/thread_cancel: killed by the timeout, no line
# printed). Cancellation is held off in the tracer's slow paths; the thread
# ends at its own pthread_testcancel, and its block is counted.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

v=$LT_VICTIMS/thread_cancel
plain=$(timeout 20 "$v")
export TIMEOUT=20
LEAKTRACE_FD=0 run_traced cancel "$v"
expect "exit code" 0 "$rc"
expect "output as untraced" "$plain" "$(cat "$T/cancel.out")"
# the worker's 100 bytes and main's 64, both live at exit
check_site "$(profile $vpid 1)" plugin_leak_site 2 164 2 164
finish
