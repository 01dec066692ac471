# fork: parent and child write their own files (the child under its own pid,
# from SEQ 0001); the child's inuse_* include the inherited blocks, its
# alloc_* only its own allocations.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n1=120 s1=64 n2=80 s2=500 n3=90 s3=24 n4=70 s4=1000
LEAKTRACE_FD=0 run_traced fork "$LT_VICTIMS/heap_fork" $n1 $s1 $n2 $s2 $n3 $s3 $n4 $s4
expect "exit code" 0 "$rc"
read -r _ child _ status <"$T/fork.out"
expect "child's exit status (0: it saw its signal snapshot)" 0 "$status"
expect "parent's files (SEQs)" "1" "$(seqs "$T/p" $vpid | xargs)"
expect "child's files (SEQs): signal, then exit" "1 2" "$(seqs "$T/p" $child | xargs)"
expect "tracer stderr" "leaktrace: wrote $(profile $child 1)
leaktrace: wrote $(profile $child 2)
leaktrace: wrote $(profile $vpid 1)" "$(cat "$T/fork.err")"

p=$(profile $vpid 1)
echo "--- parent at exit"
check_site "$p" parent_before $n1 $((n1 * s1)) $n1 $((n1 * s1))
check_site "$p" temp_before $n2 $((n2 * s2)) $n2 $((n2 * s2))
check_site "$p" parent_after $n4 $((n4 * s4)) $n4 $((n4 * s4))
check_site "$p" child_leak 0 0 0 0
for seq in 1 2; do
  c=$(profile $child $seq)
  echo "--- child, snapshot $seq"
  check_site "$c" parent_before 0 0 $n1 $((n1 * s1)) # inherited: in use, not allocated here
  check_site "$c" temp_before 0 0 0 0                 # inherited and freed by the child
  check_site "$c" child_leak $n3 $((n3 * s3)) $n3 $((n3 * s3))
  check_site "$c" parent_after 0 0 0 0
done
# A child that makes no hooked call after the fork (it waits in read)
# answers the signal too. Before, its snapshot thread was started by its
# first hooked call: an idle child wrote nothing.
mkfifo "$T/idle.in"
exec 3<>"$T/idle.in"
IN="$T/idle.in" LEAKTRACE_FD=0 LEAKTRACE_AT_EXIT=0 start_traced idle "$LT_VICTIMS/fork_idle" $n1 $s1
for _ in $(seq 100); do grep -q '^child ' "$T/idle.out" && break; sleep 0.1; done
read -r _ idle_child <"$T/idle.out"
kill -USR1 "$idle_child"
c=$(profile "$idle_child" 1)
expect_true "idle child: snapshot written" wait_for "$c" 10
exec 3>&-
wait "$tpid"
expect "idle child: parent's exit code (1: the child's status was not 0)" 0 $?
echo "--- idle child, signal snapshot"
[[ -e $c ]] && check_site "$c" parent_leak 0 0 $n1 $((n1 * s1))
finish
