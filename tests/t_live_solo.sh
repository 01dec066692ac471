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

# The mechanism, seen by strace: each process registers for membarrier
# while it has one thread (registering with two waits an RCU grace period,
# 13 ms here: the bench once measured it inside its loops), and in each
# child the second thread ends solo mode with one barrier.
if command -v strace >/dev/null; then
  timeout 60 strace -f -o "$T/strace.txt" -E LD_PRELOAD="$LT_LIB" -E LEAKTRACE_OUT="$T/s" \
    -E LEAKTRACE_FD=0 -e trace=membarrier,clone,clone3 \
    "$LT_VICTIMS/solo_switch" 2 2000 $s 10 >/dev/null 2>&1
  # processes registered, of them with one thread, barriers (ending solo mode)
  counts=$(python3 - "$T/strace.txt" <<'PY'
import re, sys
process, threads = {}, {}  # tid -> its process's first tid; process -> live threads
registered = single = barriers = 0
pending = {}  # tid -> whether its unfinished clone makes a thread
for line in open(sys.argv[1]):
    m = re.match(r"(\d+) (.*)", line)
    if not m:
        continue
    tid, rest = int(m.group(1)), m.group(2)
    if tid not in process:
        process[tid] = tid
        threads[tid] = 1
    if rest.startswith("+++ exited") or rest.startswith("+++ killed"):
        threads[process[tid]] -= 1
        continue
    if "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED" in rest:
        registered += 1
        single += threads[process[tid]] == 1
    elif "MEMBARRIER_CMD_PRIVATE_EXPEDITED" in rest:
        barriers += 1
    if re.match(r"clone3?\(", rest):
        pending[tid] = "CLONE_THREAD" in rest
    r = re.search(r"= (\d+)$", rest.strip())
    if tid in pending and r and ("resumed>" in rest or re.match(r"clone3?\(", rest)):
        new = int(r.group(1))
        if pending.pop(tid):
            process[new] = process[tid]
            threads[process[tid]] += 1
        else:
            process[new], threads[new] = new, 1
print(registered, single, barriers)
PY
)
  expect "membarrier under strace: registered, single-threaded, barriers" "3 3 2" "$counts"
fi
finish
