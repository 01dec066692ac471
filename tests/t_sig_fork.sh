# fork() from a signal handler that interrupted the tracer (a malloc under
# way): the parent carries on, the child runs untraced (the first such child
# says so).
# Before, the fork's preparation waited for locks its own thread held: hang.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

forks=150 n=9 s=40 v=$LT_VICTIMS/sig_fork
export TIMEOUT=60
timeout 60 "$v" $forks $n $s >"$T/plain.out" 2>&1
expect "untraced exit code" 0 $?
LEAKTRACE_FD=0 run_traced forked "$v" $forks $n $s
expect "exit code (137: hung)" 0 "$rc"
expect "output as untraced" "$(cat "$T/plain.out")" "$(cat "$T/forked.out")"
check_site "$(profile $vpid 1)" leak_after_forks $n $((n * s)) $n $((n * s))
expect "one line for the first child forked inside the tracer, then the snapshot's" \
  "leaktrace: process <pid> was forked by a signal handler that interrupted the tracer: it and later such children are not traced
leaktrace: wrote $(profile $vpid 1)" "$(sed -E 's/process [0-9]+ was/process <pid> was/' "$T/forked.err")"

# vfork from the handler: the child runs in the parent's memory with the
# guard of a vfork child; the parent's interrupted hook gets its own back.
timeout 60 "$v" $forks $n $s vfork >"$T/plainv.out" 2>&1
expect "vfork: untraced exit code" 0 $?
LEAKTRACE_FD=0 run_traced vforked "$v" $forks $n $s vfork
expect "vfork: exit code (137: hung)" 0 "$rc"
expect "vfork: output as untraced" "$(cat "$T/plainv.out")" "$(cat "$T/vforked.out")"
check_site "$(profile $vpid 1)" leak_after_forks $n $((n * s)) $n $((n * s))
expect "vfork: stderr" "leaktrace: wrote $(profile $vpid 1)" "$(cat "$T/vforked.err")"
finish
