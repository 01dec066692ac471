# The live table's solo mode (live.c): a single-threaded program's hooks
# enter the table without locks until a second thread wants it. In each of
# several forked children (each claims solo mode again: the parent's
# membarrier registration is not the child's), the second thread's first
# malloc ends it while the main thread is inside the table, and both then
# free each other's blocks. Every child's exit snapshot is exact: the
# churn site has nothing in use, and counts every exchange the child says
# it made; both leak sites their K blocks.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

children=8 pairs=20000 s=40 k=300
LEAKTRACE_FD=0 TIMEOUT=120 run_traced solo "$LT_VICTIMS/solo_switch" $children $pairs $s $k
expect "exit code" 0 "$rc"
expect "children done" "$children children done" "$(tail -n 1 "$T/solo.out")"
expect "no tracer line but the profiles written" "" "$(leaktrace_lines "$T/solo.err")"
n=0
while read -r _ pid main_exchanges; do
  n=$((n + 1))
  pid=${pid%:}
  f=$(profile "$pid" 1)
  exchanges=$((main_exchanges + pairs))
  check_site "$f" churn_exchange $exchanges $((exchanges * (s + 8))) 0 0
  check_site "$f" leak_main $k $((k * s)) $k $((k * s))
  check_site "$f" leak_second $k $((k * s)) $k $((k * s))
done < <(sed -n 's/^\(child [0-9]*:\) \([0-9]*\) exchanges on the main thread$/\1 \2/p' "$T/solo.out")
expect "children reported" $children $n
finish
