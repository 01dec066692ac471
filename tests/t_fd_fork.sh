# Fork: the child's fd profile holds the descriptors it inherited, under the
# parent's stacks (inuse only: alloc_fds counts what the child opened), minus
# the one it closed, plus its own; the parent's is untouched by the child.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

p=6 c=4
LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" \
  "$LT_VICTIMS/fd_fork" $p $c >"$T/out" 2>"$T/err"
expect "exit code" 0 $?
pid=$(victim_pid "$T/out")
child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$T/out")
fc=$(profile "$child" 1 fd) fp=$(profile "$pid" 1 fd)
expect_true "child's exit snapshot $fc" test -f "$fc"
expect_true "parent's exit snapshot $fp" test -f "$fp"

check_fds "$fc" "parent_leak eventfd 0 $((p - 1))
child_leak file $c $c"
expect "child: inuse_fds over the whole profile" $((p - 1 + c)) "$(query sum "$fc" inuse_fds)"
expect "child: alloc_fds over the whole profile" $c "$(query sum "$fc" alloc_fds)"
check_fds "$fp" "parent_leak eventfd $p $p
child_leak - 0 0"
expect "parent: inuse_fds over the whole profile" $p "$(query sum "$fp" inuse_fds)"
finish
