# A loopback server (127.0.0.1, ephemeral port) leaks every LEAK_EVERY-th
# connection a client thread makes. The signal and exit snapshots count
# exactly the leaked connections at accept_conn, all of them in alloc_fds,
# and nothing else but the listener and the epoll descriptor.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

conns=240 threads=4 every=7 lines=3
per=$((conns / threads))
leaked=$((threads * ((per + every - 1) / every)))

mkfifo "$T/in"
exec 3<>"$T/in"
LEAKTRACE_REPORT=0 timeout 120 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" \
  "$LT_VICTIMS/fd_server" <"$T/in" >"$T/out" 2>"$T/err" &
runner=$!
for ((i = 0; i < 200; i++)); do grep -q '^pid ' "$T/out" && break; sleep 0.05; done
read -r _ pid _ port <"$T/out"
expect_true "server listening (pid '$pid', port '$port')" test -n "$port"

timeout 60 "$LT_VICTIMS/fd_client" "$port" $conns $threads $every $lines >"$T/client" 2>&1
expect "client exit code ($(cat "$T/client"))" 0 $?

rows="accept_conn socket $conns $leaked
accept_conn - $conns $leaked
listen_on socket 1 1"
kill -USR1 "$pid"
f=$(profile "$pid" 1 fd)
expect_true "SIGUSR1 snapshot $f" wait_for "$f" 20
check_fds "$f" "$rows"
expect "inuse_fds over the whole profile (+ listener, epoll)" $((leaked + 2)) "$(query sum "$f" inuse_fds)"

echo quit >&3
exec 3>&-
wait $runner
expect "server exit code" 0 $?
f=$(profile "$pid" 2 fd)
expect_true "exit snapshot $f" test -f "$f"
check_fds "$f" "$rows"
finish
