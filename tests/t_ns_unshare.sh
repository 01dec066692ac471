# Namespace changes the kernel refuses to a process of more than one thread
# (setns into a mount or user namespace, unshare of a user namespace), and
# the unsharing of a descriptor table: the tracer's threads step aside for
# them, until the kernel no longer counts them, and come back inside the
# new namespaces. Before, `unshare -r` and the victim's three calls failed
# with EINVAL traced.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to enter namespaces"; echo "0 passed, 0 failed"; exit 0; }
n=40 s=96
v=$LT_VICTIMS/ns_enter

plain=$(timeout 20 "$v" $n $s)
echo "untraced: $plain"
grep -q ": ok" <<<"$plain" || echo "note: the machine refuses these namespace changes untraced too"

# The restarted snapshot thread answers the signal.
mkfifo "$T/in"
exec 3<>"$T/in"
LEAKTRACE_AT_EXIT=0 IN="$T/in" start_traced ns "$v" $n $s hold
for _ in $(seq 100); do (($(wc -l <"$T/ns.out") >= 3)) && break; sleep 0.1; done
expect "traced: the calls' results" "$plain" "$(cat "$T/ns.out")"
kill -USR1 "$vpid"
heap=$(profile $vpid 1)
expect_true "snapshot written after the changes" wait_for "$heap" 10
exec 3>&-
wait "$tpid"
expect "traced: exit code" 0 $?
expect "leak before the changes, exact" $((n * s)) "$(total "$heap" inuse_space before_ns)"
expect "leak after the changes, exact" $((n * s)) "$(total "$heap" inuse_space after_ns)"

# With the HTTP endpoint's thread too (its own file name: no snapshot)
out=$(cd "$T" && LEAKTRACE_HTTP=127.0.0.1:$(free_port) LEAKTRACE_QUIET=1 LEAKTRACE_REPORT=0 \
  LEAKTRACE_AT_EXIT=0 timeout 30 env LD_PRELOAD="$LT_LIB" "$v" $n $s 2>"$T/err_http")
expect "traced with LEAKTRACE_HTTP: the calls' results" "$plain" "$out"

# A descriptor table unshared (close_range's CLOSE_RANGE_UNSHARE, unshare's
# CLONE_FILES): before, the tracer's threads kept the original table, and
# with it the pipe's write end that the program had closed.
plain=$(timeout 20 "$LT_VICTIMS/files_unshare")
out=$(LEAKTRACE_QUIET=1 LEAKTRACE_REPORT=0 LEAKTRACE_AT_EXIT=0 traced timeout 20 "$LT_VICTIMS/files_unshare")
expect "untraced: the pipe's end seen both ways" 2 "$(grep -c 'end seen' <<<"$plain")"
expect "descriptor table unshared: traced as untraced" "$plain" "$out"

# A real program: util-linux's unshare
if command -v unshare >/dev/null; then
  plain=$(timeout 20 unshare -r id -u 2>&1)
  out=$(LEAKTRACE_QUIET=1 LEAKTRACE_REPORT=0 LEAKTRACE_AT_EXIT=0 traced timeout 20 unshare -r id -u 2>&1)
  expect "unshare -r id -u (untraced: $plain)" "$plain" "$out"
fi
finish
