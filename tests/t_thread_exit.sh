# A program whose threads all end by pthread_exit or by returning: glibc
# ends the process when its last thread ends, and must do so traced too,
# although the tracer's threads (snapshot, HTTP) are still there. Before,
# such a process ran on forever with only the tracer's threads (a child
# forked from a thread that then called pthread_exit was never reaped:
# CPython's test_threading hung).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=7 s=96 v=$LT_VICTIMS/thread_exit_main
export TIMEOUT=20
port=$(free_port)

timeout 20 "$v" main $n $s >"$T/plain.out" 2>&1
expect "untraced exit code" 0 $?
for http in "" "127.0.0.1:$port"; do
  what="main thread's pthread_exit${http:+, HTTP endpoint on}"
  LEAKTRACE_HTTP=$http LEAKTRACE_REPORT=0 LEAKTRACE_FD=0 run_traced main "$v" main $n $s
  ended_like_untraced "$what" main
done

timeout 20 "$v" fork $n $s >"$T/plainfork.out" 2>&1
expect "untraced fork: exit code" 0 $?
expect "untraced fork: the child ends by itself" "child: exit 0" "$(cat "$T/plainfork.out")"
rm -f "$T"/p.*
LEAKTRACE_REPORT=0 LEAKTRACE_FD=0 run_traced fork "$v" fork $n $s
expect "fork: exit code" 0 "$rc"
expect "fork: the child ends by itself, as untraced" "child: exit 0" "$(cat "$T/fork.out")"
child=$(ls "$T"/p.*.heap.pb.gz | grep -v "\.$vpid\." | head -1)
check_site "$child" leak_child $n $((n * s)) $n $((n * s))
finish
