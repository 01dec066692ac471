# A program with its own malloc in its executable: libstdc++'s and libdw's
# allocations go to it, the tracer's own to libc's. Before, the exit
# snapshot let its names go with the program's free (rustc: SIGSEGV; the
# victim: abort, 5 of 5).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

v=$LT_VICTIMS/own_malloc
echo data >"$T/file"
"$v" "$T/file" >"$T/plain.out" 2>&1
expect "untraced exit code" 0 $?
run_traced own "$v" "$T/file"
expect "exit code (134: abort)" 0 "$rc"
expect "output as untraced" "$(cat "$T/plain.out")" "$(cat "$T/own.out")"
expect "stderr: the snapshot's line only" "leaktrace: wrote $(profile $vpid 1) $(profile $vpid 1 fd)" \
  "$(cat "$T/own.err")"
expect "the descriptor left open is in the fd profile" 1 \
  "$(query total "$(profile $vpid 1 fd)" inuse_fds main)"
finish
