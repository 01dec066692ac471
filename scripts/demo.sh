#!/usr/bin/env bash
# The leaktrace demo, from a fresh Debian 12 machine: installs what is missing
# (as root), builds, runs the bundled leaky service (examples/leaky_service.c)
# under the tracer, takes two snapshots with SIGUSR1 a few seconds apart, and
# shows what `go tool pprof` makes of them: the leak site on top, and the
# growth between the two snapshots. Then stops the service.
#   BUILD_DIR   build directory (default: build, in the checkout)
#   DEMO_OUT    where the profiles go (default: a new /tmp/leaktrace-demo.XXXXXX, kept)
#   DEMO_GAP    seconds between the two snapshots (default 3)
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
build=${BUILD_DIR:-$root/build}
gap=${DEMO_GAP:-3}
svc=

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }
stop_service() { if [[ -n $svc ]]; then kill -TERM "$svc" 2>/dev/null || true; fi; }
trap stop_service EXIT

wait_for() { # FILE: up to 20 s
  local i
  for ((i = 0; i < 400; i++)); do [[ -e $1 ]] && return 0; sleep 0.05; done
  fail "no $1 after 20 s"
}

step "Dependencies"
"$root/scripts/install-deps.sh"
echo "all present"

step "Build: cmake -S $root -B $build && cmake --build $build"
log=$(mktemp /tmp/leaktrace-build.XXXXXX)
{ cmake -S "$root" -B "$build" && cmake --build "$build" -j "$(nproc)" --target leaktrace leaky_service; } \
  >"$log" 2>&1 || { cat "$log"; rm -f "$log"; fail "the build failed"; }
rm -f "$log"
echo "built $build/libleaktrace.so and $build/examples/leaky_service"

out=${DEMO_OUT:-$(mktemp -d /tmp/leaktrace-demo.XXXXXX)}
mkdir -p "$out"
prefix=$out/leaky

# show_leak_on_top TITLE PPROF_ARGS...: prints `go tool pprof -top` and checks
# that the demo's leak site leads it.
show_leak_on_top() {
  local title=$1 out leader
  shift
  step "$title"
  out=$(go tool pprof -top "$@" 2>/dev/null)
  echo "$out"
  leader=$(awk '/^ *flat/ { getline; print $NF; exit }' <<<"$out")
  [[ $leader == session_cache_insert ]] || fail "expected session_cache_insert on top, got '$leader'"
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "Run: scripts/leaktrace --out $prefix --http 127.0.0.1:$port -- $build/examples/leaky_service"
LEAKTRACE_LIB=$build/libleaktrace.so \
  "$root/scripts/leaktrace" --out "$prefix" --http "127.0.0.1:$port" -- "$build/examples/leaky_service" &
svc=$! # the wrapper execs: this is the service itself
sleep 2
kill -0 "$svc" 2>/dev/null || fail "the service did not start"

step "Snapshot 1: kill -USR1 $svc"
kill -USR1 "$svc"
first=$prefix.$svc.0001.heap.pb.gz
wait_for "$first"
echo "waiting $gap s while the service leaks..."
sleep "$gap"
step "Snapshot 2: kill -USR1 $svc"
kill -USR1 "$svc"
second=$prefix.$svc.0002.heap.pb.gz
wait_for "$second"

show_leak_on_top "Live, no signal, no file: go tool pprof -top http://127.0.0.1:$port/debug/pprof/heap" \
  -nodecount=6 "http://127.0.0.1:$port/debug/pprof/heap"

step "Stop: kill -TERM $svc (the service handles SIGTERM and returns from main: exit snapshot)"
kill -TERM "$svc"
wait "$svc" || fail "the service exited with status $?"
svc=

show_leak_on_top "go tool pprof -top $second" -nodecount=12 "$second"

show_leak_on_top "go tool pprof -top -base $first $second   (growth between the snapshots)" \
  -nodecount=8 -base "$first" "$second"

fd=${second%.heap.pb.gz}.fd.pb.gz
fd_note=
if [[ -e $fd ]] && ! go tool pprof -top "$fd" 2>/dev/null | grep -q ' of 0 total'; then
  step "go tool pprof -top $fd   (open descriptors)"
  go tool pprof -top -nodecount=8 "$fd" 2>/dev/null
  fd_note="
audit_log_open opens a descriptor every 250 requests and never closes it."
fi

step "Done"
cat <<EOF
The leak: session_cache_insert (examples/leaky_service.c) caches a session per
request and never evicts it.$fd_note
Profiles are kept in $out:
$(cd "$out" && ls -1)
Explore them:
  go tool pprof -sample_index=alloc_space -top $second   # all allocations, freed or not
  go tool pprof -http=:8080 $second                      # graph and flame graph in a browser
EOF
