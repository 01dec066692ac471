# A daemon (victims/svc_daemon.c): after a snapshot of the launcher (the
# tracer then holds descriptors of its own), fork, setsid, fork, chdir /,
# close every descriptor up to the limit, /dev/null on 0-2, then leak. Its
# signal snapshot and its exit snapshot are exact; the launcher's too; the
# middle child _exits (no files).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
source "$LT_TESTS/lib_fd.sh"
source "$LT_TESTS/svc_lib.sh"

n=100 size=1000 n2=7 size2=333 nfd=5 n3=50 size3=64
v=$LT_VICTIMS/svc_daemon
d=$T/d
mkdir "$d"
mkfifo "$T/in"
exec 4<>"$T/in"
IN=$T/in TIMEOUT=60 launch launcher yes LEAKTRACE_OUT="$T/p" "$v" "$d" $n $size $n2 $size2 $nfd $n3 $size3
launcher=$lpid
until_true 10 grep -q "^launcher $launcher$" "$T/launcher.out"
expect_true "launcher: signal snapshot" signal_snapshot "$T/p" "$launcher" USR1 1
echo go >&4
exec 4>&-
wait "$tpid"
expect "launcher: exit code" 0 $?
expect_true "daemon: started" until_true 20 test -s "$d/daemon.pid"
dpid=$(cat "$d/daemon.pid")
svc_kill+=("$dpid")
sid=$(ps -o sid= -p "$dpid" | xargs)
expect_true "daemon: in a new session ($sid), not its leader" \
  test "$sid" != "$(ps -o sid= -p $$ | xargs)" -a "$sid" != "$dpid"
expect_true "daemon: not the launcher's child ($dpid)" test "$(ps -o ppid= -p "$dpid" | xargs)" != "$launcher"
low=$(ls "/proc/$dpid/fd" | awk '$1 < 100' | sort -n | xargs)
expect "daemon: its descriptors" "$(seq 0 $((2 + nfd)) | xargs)" "$low"
expect "daemon: 0-2 are /dev/null" "/dev/null /dev/null /dev/null" \
  "$(readlink "/proc/$dpid/fd/0" "/proc/$dpid/fd/1" "/proc/$dpid/fd/2" | xargs)"

expect_true "daemon: signal snapshot" signal_snapshot "$T/p" "$dpid" USR1 1
f=$(snap "$T/p" "$dpid" 1)
check_site "$f" leak_daemon $n $((n * size)) $n $((n * size))
check_site "$f" leak_before_fork 0 0 $n2 $((n2 * size2))
check_site "$f" leak_more 0 0 0 0
check_fds "$(snap "$T/p" "$dpid" 1 fd)" "reopen_stdio file 3 3
leak_fds file $nfd $nfd"

touch "$d/more"
expect_true "daemon: leaked more" until_true 20 test -s "$d/more.done"
touch "$d/stop"
expect_true "daemon: exited" until_true 30 gone "$dpid"
expect_true "daemon: exit snapshot" wait_for "$(snap "$T/p" "$dpid" 2 fd)" 30
f=$(snap "$T/p" "$dpid" 2)
check_site "$f" leak_daemon $n $((n * size)) $n $((n * size))
check_site "$f" leak_more $n3 $((n3 * size3)) $n3 $((n3 * size3))
check_site "$f" leak_before_fork 0 0 $n2 $((n2 * size2))
check_fds "$(snap "$T/p" "$dpid" 2 fd)" "reopen_stdio file 3 3
leak_fds file $nfd $nfd"

for s in 1 2; do # the launcher's signal snapshot, then its exit snapshot
  check_site "$(snap "$T/p" "$launcher" $s)" leak_before_fork $n2 $((n2 * size2)) $n2 $((n2 * size2))
done
expect "processes with snapshots (launcher, daemon; the middle child _exits)" \
  "$(printf '%s\n' "$launcher" "$dpid" | sort -n | xargs)" \
  "$(ls "$T" | sed -n 's/^p\.\([0-9]*\)\..*/\1/p' | sort -un | xargs)"
expect "tracer lines besides 'wrote' (launcher)" "" "$(leaktrace_lines "$T/launcher.err")"
finish
