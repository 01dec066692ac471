# Credential changes: glibc makes every thread take them and aborts if one
# cannot; the tracer's threads step aside and come back.
. "$LT_TESTS/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to change credentials"; echo "0 passed, 0 failed"; exit 0; }
nobody=$(id -u nobody) nogroup=$(getent group nogroup | cut -d: -f3)
count=30 size=200

# setpriv gives capabilities to its own thread only: the setresgid
# broadcast used to fail on the snapshot thread and abort (status 134).
LEAKTRACE_AT_EXIT=0 LEAKTRACE_REPORT=0 traced setpriv --reuid="$nobody" --regid="$nogroup" \
  --clear-groups /bin/echo dropped >"$T/out" 2>"$T/err"
expect "setpriv under the preload: exit code" 0 $?
expect "setpriv under the preload: output" dropped "$(cat "$T/out")"

# A server dropping to nobody with a thread running still answers the
# snapshot signal (the restarted thread writes as nobody).
chmod 0777 "$T"
mkfifo "$T/in"
LD_PRELOAD=$LT_LIB LEAKTRACE_OUT=$T/p LEAKTRACE_REPORT=0 LEAKTRACE_AT_EXIT=0 \
  "$LT_VICTIMS/cred_drop" "$nobody" "$nogroup" $count $size <"$T/in" >"$T/out2" 2>"$T/err2" &
pid=$!
exec 3>"$T/in"
for _ in $(seq 100); do grep -q dropped "$T/out2" && break; sleep 0.1; done
expect "dropped to nobody" "dropped to $nobody" "$(cat "$T/out2")"
kill -USR1 $pid
expect_true "snapshot written after the drop" wait_for "$(profile $pid 1)" 10
echo >&3; exec 3>&-
wait $pid
expect "exit code after the drop" 0 $?
heap=$(profile $pid 1)
expect "leak before the drop, exact" $((count * size)) "$(total "$heap" inuse_space before_drop_site)"
expect "leak after the drop, exact" $((count * size)) "$(total "$heap" inuse_space after_drop_site)"
expect "the file belongs to nobody" "$nobody" "$(stat -c %u "$heap")"
finish
