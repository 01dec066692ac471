# LEAKTRACE_FD=0: descriptors are not tracked and no fd file is written; the
# program runs as it does untraced, signal snapshots included (the wake-up
# channel is no descriptor, so a close-all daemon cannot break it either).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

mkdir "$T/run"
LEAKTRACE_FD=0 LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" \
  "$LT_VICTIMS/fd_entry" "$T/run" 1 3 2 >"$T/out" 2>"$T/err"
expect "fd_entry exit code" 0 $?
expect_true "fd_entry finished" grep -qx done "$T/out"
pid=$(victim_pid "$T/out")
expect "stderr" "leaktrace: wrote $(profile "$pid" 1)" "$(cat "$T/err")"
expect_true "heap snapshot written" test -f "$(profile "$pid" 1)"
expect "fd files of the process" "" "$(cd "$T" && ls -- p."$pid".*.fd.pb.gz 2>/dev/null)"

mkfifo "$T/in"
exec 4<>"$T/in"
LEAKTRACE_FD=0 LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/d" \
  "$LT_VICTIMS/fd_daemon" loop 3 3 <"$T/in" >"$T/d.out" 2>"$T/d.err" 3>&- 4>&- &
runner=$!
for ((i = 0; i < 200; i++)); do grep -qx leaked "$T/d.out" && break; sleep 0.05; done
pid=$(victim_pid "$T/d.out")
echo go >&4
for ((i = 0; i < 200; i++)); do grep -qx daemonized "$T/d.out" && break; sleep 0.05; done
kill -USR1 "$pid"
expect_true "SIGUSR1 snapshot after the close-all loop" wait_for "$T/d.$pid.0001.heap.pb.gz" 20
echo go >&4
exec 4>&-
wait $runner
expect "fd_daemon exit code" 0 $?
expect "fd files of the daemon" "" "$(cd "$T" && ls -- d."$pid".*.fd.pb.gz 2>/dev/null)"
finish
