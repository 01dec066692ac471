# /debug/pprof/symbol, Go's symbol protocol: go tool pprof posts there the
# addresses of mappings whose profile carries no function names. Before, the
# endpoint answered POST with 405 and `go tool pprof URL` failed outright
# whenever a mapping had none (LEAKTRACE_SYMBOLIZE=0, a library replaced on disk).
. "$LT_TESTS/lib.sh"
V=$LT_VICTIMS/http_grow
count=100 size=1000
export PPROF_TMPDIR=$T # where go tool pprof saves what it fetches

# answer CURL_ARGS...: the body received, quoted (printf %q) with its newlines
answer() {
  local body
  body=$(timeout 30 curl -s "$@"; echo x)
  printf '%q' "${body%x}"
}
quoted() { printf '%q' "$1"; }
quietly() { "$@" >/dev/null 2>&1; }
# address FUNCTION: the address of FUNCTION's location in $T/raw
address() { awk -v f="$1" '$3 ~ /^M=/ && $4 == f {print $2; exit}' "$T/raw"; }

# start_victim [ENV=VALUE...]: the victim serving at $url, $pid its pid
start_victim() {
  port=$(free_port)
  url=http://127.0.0.1:$port/debug/pprof
  env "$@" LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" LEAKTRACE_HTTP=127.0.0.1:$port \
    LEAKTRACE_AT_EXIT=0 "$V" $count $size 600 10 >"$T/out" 2>"$T/err" &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$T/out" && break; sleep 0.1; done
}
stop_victim() { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }

# --- LEAKTRACE_SYMBOLIZE=0: go tool pprof names what it can itself ---
start_victim LEAKTRACE_SYMBOLIZE=0
timeout 60 go tool pprof -raw "$url/heap" >"$T/raw" 2>"$T/pprof_err"
rc=$?
expect "SYMBOLIZE=0: go tool pprof -raw URL succeeds ($(grep -m1 'http post' "$T/pprof_err"))" 0 $rc
timeout 60 go tool pprof -proto "$url/heap" >"$T/heap.pb.gz" 2>/dev/null
expect "SYMBOLIZE=0: go tool pprof -proto URL: inuse_space at initial_site" $((count * size)) \
  "$(total "$T/heap.pb.gz" inuse_space initial_site)"
expect_true "SYMBOLIZE=0: go tool pprof -top URL succeeds" quietly timeout 60 go tool pprof -top "$url/heap"
site=$(address initial_site)
expect_true "SYMBOLIZE=0: initial_site's address in the profile ($site)" test -n "$site"
expect "SYMBOLIZE=0: GET symbol" "$(quoted $'num_symbols: 1\n')" "$(answer "$url/symbol")"
expect "SYMBOLIZE=0: POST of a known site names nothing" "$(quoted $'num_symbols: 1\n')" \
  "$(answer --data-binary "$site" "$url/symbol")"
stop_victim

# --- symbolization on: the tracer's symbolizer names the addresses ---
start_victim
timeout 60 go tool pprof -raw "$url/heap" >"$T/raw" 2>/dev/null
site=$(address initial_site) main_site=$(address main)
expect_true "initial_site's and main's addresses in the profile ($site, $main_site)" \
  test -n "$site" -a -n "$main_site"
expect "POST of initial_site's address" "$(quoted "num_symbols: 1"$'\n'"$site initial_site"$'\n')" \
  "$(answer --data-binary "$site" "$url/symbol")"
expect "POST of a list: unknown, malformed and 0 get no line" \
  "$(quoted "num_symbols: 1"$'\n'"$site initial_site"$'\n'"$main_site main"$'\n')" \
  "$(answer --data-binary "$site+0x1+junk+0+$main_site"$'\n' "$url/symbol")"
expect "GET symbol?ADDR names it too (as Go's)" \
  "$(quoted "num_symbols: 1"$'\n'"$site initial_site"$'\n')" "$(answer "$url/symbol?$site")"
next=$(printf '%#x' $((site + 1))) # in initial_site too, but in no profile: looked up afresh
expect "POST of an address no profile holds" "$(quoted "num_symbols: 1"$'\n'"$next initial_site"$'\n')" \
  "$(answer --data-binary "$next" "$url/symbol")"
expect "POST with a query: the body is read (as Go's)" \
  "$(quoted "num_symbols: 1"$'\n'"$site initial_site"$'\n')" \
  "$(answer --data-binary "$site" "$url/symbol?ignored")"
expect "decimal address (Go reads base 0)" "$(quoted "num_symbols: 1"$'\n'"$site initial_site"$'\n')" \
  "$(answer --data-binary "$((site))" "$url/symbol")"
expect "empty POST" "$(quoted $'num_symbols: 1\n')" "$(answer --data-binary '' "$url/symbol")"

# 100,000 addresses (1.5 MB; curl sends Expect: 100-continue): one line each.
python3 -c "import sys; print('+'.join([sys.argv[1]] * 100000), end='')" "$site" >"$T/many"
expect "100,000 addresses: 100,000 lines" 100001 \
  "$(timeout 60 curl -s --data-binary @"$T/many" "$url/symbol" | grep -c '')"

# The body is bounded, and must come with a length.
status() { timeout 30 curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect "Content-Length over 4 MiB -> 413" 413 \
  "$(status -H 'Content-Length: 4194305' -H 'Expect:' --data-binary x "$url/symbol")"
expect "chunked body -> 411" 411 \
  "$(status -H 'Transfer-Encoding: chunked' --data-binary "$site" "$url/symbol")"
expect "malformed Content-Length -> 400" 400 \
  "$(status -H 'Content-Length: 12x' --data-binary "$site" "$url/symbol")"
expect "POST elsewhere -> 405" 405 "$(status --data-binary "$site" "$url/heap")"
expect "the endpoint still serves profiles" 200 "$(status "$url/heap")"
expect_true "the program ran on" kill -0 $pid
stop_victim
finish
