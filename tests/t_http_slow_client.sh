# A client that trickles its request a byte a second holds the HTTP thread
# no longer than the endpoint's budget, and never holds up the program: a
# credential change, which stops the tracer's threads, takes no time. Before,
# each byte restarted a 5 s receive timeout, and setuid() waited for as long
# as the client kept trickling.
. "$LT_TESTS/lib.sh"
V=$LT_VICTIMS/cred_timed
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/debug/pprof

timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" LEAKTRACE_HTTP=127.0.0.1:$port \
  LEAKTRACE_AT_EXIT=0 LEAKTRACE_QUIET=1 "$V" 2 4 >"$T/out" 2>"$T/err" &
victim=$!
for _ in $(seq 100); do grep -q ready "$T/out" && break; sleep 0.1; done
timeout 30 python3 "$LT_TESTS/http_client.py" trickle "$port" 12 &
trickler=$!
for _ in $(seq 100); do grep -q setuid "$T/out" && break; sleep 0.1; done
took=$(sed -n 's/^setuid 0 in \([0-9.]*\) s$/\1/p' "$T/out")
echo "setuid took ${took:-?} s"
expect_true "setuid while a client trickles: succeeded within a second (${took:-no answer})" \
  python3 -c "import sys; sys.exit(not (sys.argv[1] and float(sys.argv[1]) < 1))" "$took"
# the endpoint is back after the credential change, and answers others
expect_true "the endpoint answers after the credential change" \
  timeout 20 curl -sf -o "$T/heap.pb.gz" "$url/heap"
expect_true "its profile is readable" timeout 60 go tool pprof -raw "$T/heap.pb.gz"
wait $victim
expect "exit code" 0 $?
wait $trickler
finish
