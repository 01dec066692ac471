# LEAKTRACE_HTTP: go tool pprof and curl against a traced victim.
. "$LT_TESTS/lib.sh"
V=$LT_VICTIMS/http_grow
client() { timeout 30 python3 "$LT_TESTS/http_client.py" "$@"; }
count=100 size=1000 ticks=300 tick_size=500
port=$(free_port)
url=http://127.0.0.1:$port/debug/pprof
export PPROF_TMPDIR=$T # where go tool pprof saves what it fetches

# Started directly (not through a function), so that $! is the victim itself.
LD_PRELOAD=$LT_LIB LEAKTRACE_OUT=$T/p LEAKTRACE_HTTP=127.0.0.1:$port LEAKTRACE_AT_EXIT=0 \
  "$V" $count $size $ticks $tick_size >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do grep -q ready "$T/out" && break; sleep 0.1; done

# The whole heap, straight from the endpoint, read by go tool pprof.
timeout 60 go tool pprof -proto "$url/heap" >"$T/heap.pb.gz" 2>/dev/null
expect "inuse_space at initial_site via $url/heap" $((count * size)) \
  "$(total "$T/heap.pb.gz" inuse_space initial_site)"
expect "inuse_objects at initial_site" $count "$(total "$T/heap.pb.gz" inuse_objects initial_site)"
expect "fetching writes no file and takes no SEQ" 0 "$(ls "$T" | grep -c '^p\.')"
expect_true "curl gets the fd profile" timeout 30 curl -sf -o "$T/fd.pb.gz" "$url/fd"
expect_true "the fd profile reads with go tool pprof" go tool pprof -raw "$T/fd.pb.gz" >/dev/null

# /debug/pprof/allocs: the heap profile shown by alloc_space, as Go's.
timeout 30 curl -sf -D "$T/allocs.head" -o "$T/allocs.pb.gz" "$url/allocs"
expect "allocs: sample types, alloc_space the default" \
  "alloc_objects/count alloc_space/bytes[dflt] inuse_objects/count inuse_space/bytes" \
  "$(go tool pprof -raw "$T/allocs.pb.gz" 2>/dev/null | sed -n '/^Samples:/{n;s/ *$//;p}')"
expect "allocs: alloc_space at initial_site" $((count * size)) \
  "$(total "$T/allocs.pb.gz" alloc_space initial_site)"
expect "allocs: inuse_space at initial_site" $((count * size)) \
  "$(total "$T/allocs.pb.gz" inuse_space initial_site)"
expect "allocs: named so" 1 "$(grep -c 'filename="allocs"' "$T/allocs.head")"
expect "go tool pprof -top URL/allocs shows alloc_space" "Type: alloc_space" \
  "$(timeout 60 go tool pprof -top "$url/allocs" 2>/dev/null | grep '^Type:')"
expect "heap's default stays inuse_space" "Type: inuse_space" \
  "$(timeout 60 go tool pprof -top "$url/heap" 2>/dev/null | grep '^Type:')"

# The index lists the endpoints, as Go's does.
index=$(timeout 30 curl -sf "$url/")
expect_true "index links heap" grep -q 'href="heap' <<<"$index"
expect_true "index links allocs" grep -q 'href="allocs' <<<"$index"
expect_true "index links fd" grep -q 'href="fd' <<<"$index"

# ?seconds=2: only what grew in those seconds.
timeout 60 curl -sf -o "$T/delta.pb.gz" "$url/heap?seconds=2"
grown=$(total "$T/delta.pb.gz" inuse_objects tick_site)
expect "delta: nothing of initial_site" 0 "$(total "$T/delta.pb.gz" inuse_space initial_site)"
expect "delta: tick_site bytes = objects x $tick_size" $((grown * tick_size)) \
  "$(total "$T/delta.pb.gz" inuse_space tick_site)"
expect_true "delta: 10 to 30 ticks of 100 ms in 2 s ($grown)" test "$grown" -ge 10 -a "$grown" -le 30
# duration_nanos, which pprof prints as Duration: (%.4v of the time.Duration)
duration=$(go tool pprof -raw "$T/delta.pb.gz" 2>/dev/null | grep '^Duration:')
expect_true "delta: duration_nanos the 2 s measured (2.00 to 2.49: $duration)" \
  grep -qE '^Duration: 2\.[0-4]' <<<"$duration"
expect "the whole heap has no duration" "" "$(go tool pprof -raw "$T/heap.pb.gz" 2>/dev/null | grep '^Duration:')"

# ?seconds= takes a whole number from 1 to 3600, as Go's does (400 with a
# one-line reason otherwise; an empty value is no delta, as in Go).
status() { timeout 30 curl -s -o "$T/body" -w '%{http_code}' "$@"; }
for bad in abc 0 -1 3601 1.5 2x 99999999999999999999; do
  expect "?seconds=$bad -> 400" 400 "$(status "$url/heap?seconds=$bad")"
  expect "?seconds=$bad: the reason" "seconds must be a whole number from 1 to 3600" \
    "$(tr -c '[:print:]\n' '?' <"$T/body" | head -c 80)"
done
expect "?debug=1&seconds=abc -> 400" 400 "$(status "$url/heap?debug=1&seconds=abc")"
expect "?seconds= (empty) -> 200, the whole profile" 200 "$(status "$url/heap?seconds=")"
expect "  with initial_site's bytes" $((count * size)) "$(total "$T/body" inuse_space initial_site)"

# A client that gives up on ?seconds=60 frees the endpoint at once: before,
# it held it for the 60 s, and every other request timed out.
for i in 1 2; do
  timeout 30 curl -s -m1 -o /dev/null "$url/heap?seconds=60"
  expect "abandoned ?seconds=60 ($i): /heap answers at once" 200 "$(status -m3 "$url/heap")"
done
expect "after them, ?seconds=1 still answers" 200 "$(status -m10 "$url/heap?seconds=1")"

# ?debug=1: text naming the leak site with its exact bytes.
text=$(timeout 30 curl -sf "$url/heap?debug=1")
expect_true "debug=1 names initial_site" grep -q initial_site <<<"$text"
expect_true "debug=1 gives its bytes" grep -q "^$count $((count * size)) $count $((count * size))$" <<<"$text"

# Bad clients get an error status, slow ones a timeout, and neither stalls
# the program or the snapshot signal.
expect "garbage -> 400" 400 "$(client status "$port" 'garbage\r\n\r\n')"
expect "POST -> 405" 405 "$(client status "$port" 'POST /debug/pprof/heap HTTP/1.1\r\n\r\n')"
expect "unknown path -> 404" 404 "$(client status "$port" 'GET /nope HTTP/1.1\r\n\r\n')"
expect "huge header -> 431" 431 "$(client big "$port")"
client hold "$port" 8 &
holder=$!
sleep 0.5
before=$(grep -c tick "$T/out")
kill -USR1 $pid
expect_true "snapshot signal served while a client stalls the endpoint" wait_for "$(profile $pid 1)" 10
sleep 1
after=$(grep -c tick "$T/out")
expect_true "the program kept working during the stall ($before -> $after ticks)" test $((after - before)) -ge 5
wait $holder
expect "endpoint answers again after the stalled client" 200 \
  "$(client status "$port" 'GET /debug/pprof/heap HTTP/1.1\r\n\r\n')"

# The port is taken: one error line, the program runs on.
LEAKTRACE_HTTP=127.0.0.1:$port traced "$V" 1 10 0 0 >"$T/out2" 2>"$T/err2"
expect "port in use: program exit code" 0 $?
expect "port in use: program output unchanged" ready "$(cat "$T/out2")"
expect "port in use: one error line" 1 "$(grep -c "LEAKTRACE_HTTP=127.0.0.1:$port: cannot listen" "$T/err2")"

# A non-loopback address is refused unless allowed.
LEAKTRACE_HTTP=0.0.0.0:$(free_port) traced "$V" 1 10 0 0 >/dev/null 2>"$T/err3"
expect "0.0.0.0 refused without LEAKTRACE_HTTP_ALLOW_REMOTE" 1 "$(grep -c 'not a loopback address' "$T/err3")"

kill $pid 2>/dev/null
wait $pid 2>/dev/null
finish
