# libfaketime, a preload that fakes the clock (for tests of programs that
# depend on the date), in either order with the tracer. It shifts
# CLOCK_MONOTONIC by decades, while the tracer's waits run on the kernel's
# clock: a deadline made from its reading never came, and a program whose
# threads all end by themselves (main calls pthread_exit) ran on for good,
# SIGTERM blocked. Its clock_gettime also crashed the exit snapshot, which
# runs after libfaketime's destructor. The tracer reads libc's own clock.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

ft=$(ls /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 2>/dev/null)
if [[ -z $ft ]]; then
  echo "SKIP libfaketime is not installed (Debian package libfaketime)"
  finish
fi
n=7 s=96 v=$LT_VICTIMS/thread_exit_main
export TIMEOUT=20
timeout 20 "$v" main $n $s >"$T/plain.out" 2>&1
expect "untraced exit code" 0 $?

for order in "$LT_LIB:$ft" "$ft:$LT_LIB"; do
  for faked in "-30d" "+0 i2,0"; do
    what="$([[ $order == "$ft"* ]] && echo "libfaketime first" || echo "tracer first"), FAKETIME='$faked'"
    rm -f "$T"/p.*
    FAKETIME=$faked LEAKTRACE_REPORT=0 LEAKTRACE_FD=0 run_traced ft env LD_PRELOAD="$order" "$v" main $n $s
    ended_like_untraced "$what" ft
  done
done

# Interval snapshots keep their period under a faked clock.
rm -f "$T"/p.*
FAKETIME=-30d LEAKTRACE_INTERVAL=0.5 LEAKTRACE_AT_EXIT=0 LEAKTRACE_FD=0 \
  run_traced ival env LD_PRELOAD="$LT_LIB:$ft" sleep 2.2
expect "interval: exit code" 0 "$rc"
count=$(ls "$T"/p.$vpid.*.heap.pb.gz 2>/dev/null | wc -l)
expect_true "interval: 3 to 5 snapshots in 2.2 s at 0.5 s ($count)" [ "$count" -ge 3 -a "$count" -le 5 ]
finish
