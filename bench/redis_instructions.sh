#!/bin/bash
# Instructions (valgrind's callgrind) of redis-server serving a fixed load:
# one redis-benchmark client, N requests of each of set, get, incr, lpush,
# lpop and hset, untraced and then under each library given (default: this
# checkout's build-bench/libleaktrace.so), exact mode, no exit snapshot.
# The server's CPU time under load moves by more than most changes on a
# shared machine; these counts move less: the totals and their ratio
# repeat to about 2%, the instructions added a request (a difference of two
# differences) to about 15% (one build: 3,606 to 4,682 in three runs).
#
#   bench/redis_instructions.sh [-n N] [LIB.so ...]    (N: default 5000)
#
# Each column runs twice, with N and 2N requests of each test: "added a
# request" is what the second N add over the first, less the same for
# untraced, so start-up (the tracer reading unwind rules, the server its
# setup) cancels out. Prints the instructions of the 2N run, their ratio to
# untraced, and that added cost.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=5000
if [[ ${1:-} == -n ]]; then
  requests=$2
  shift 2
fi
for tool in valgrind redis-server redis-benchmark redis-cli; do
  command -v $tool >/dev/null || { echo "redis_instructions: $tool is required" >&2; exit 1; }
done
(($#)) || set -- "$ROOT/build-bench/libleaktrace.so"
libs=()
for lib; do
  [[ -f $lib ]] || { echo "redis_instructions: no $lib (bench/run.sh builds build-bench)" >&2; exit 1; }
  libs+=("$(realpath "$lib")")
done
tests=set,get,incr,lpush,lpop,hset
total_requests=$((requests * 6))

tmp=$(mktemp -d)
cleanup() {
  [[ -f $tmp/server.pid ]] && kill "$(cat "$tmp/server.pid")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# count N [VAR=VALUE...]: the server's instructions serving N requests a
# test; nothing if it did not start or callgrind wrote no total
count() {
  local n=$1 port=$((20000 + RANDOM % 20000))
  shift
  env "$@" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    redis-server --port $port --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    --logfile "$tmp/server.log" --dir "$tmp" 2>"$tmp/valgrind.log" &
  local server=$! i
  echo $server >"$tmp/server.pid"
  for i in $(seq 600); do # valgrind starts the server in seconds; 60 at most
    [[ $(redis-cli -p $port ping 2>/dev/null) == PONG ]] && break
    sleep 0.1
  done
  redis-benchmark -p $port -c 1 -n "$n" -r 100000 -d 64 -t $tests -q >/dev/null || true
  redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true
  wait $server || true
  rm -f "$tmp/server.pid"
  awk '/Collected :/ { print $4 }' "$tmp/valgrind.log"
}

# column VAR=VALUE...: the instructions of runs of N and 2N requests a test
# (run in a command substitution: the caller exits when it prints nothing)
column() {
  local one two
  one=$(count "$requests" "$@")
  two=$(count $((requests * 2)) "$@")
  if [[ -z $one || -z $two ]]; then
    echo "redis_instructions: a run under $* did not finish; valgrind's log:" >&2
    tail -n 5 "$tmp/valgrind.log" >&2
    exit 1
  fi
  echo "$one $two"
}

printf '%-60s %15s %8s %18s\n' "redis-server, $((total_requests * 2)) requests, 1 client" \
  instructions ratio "added a request"
read -r base1 base2 <<<"$(column LEAKTRACE_AT_EXIT=0)"
[[ -n $base2 ]] || exit 1 # column said why
printf '%-60s %15s %8s %18s\n' untraced "$base2" - -
for lib in "${libs[@]}"; do
  read -r ir1 ir2 <<<"$(column LD_PRELOAD="$lib" LEAKTRACE_AT_EXIT=0 LEAKTRACE_QUIET=1 \
    LEAKTRACE_OUT="$tmp")"
  [[ -n $ir2 ]] || exit 1
  printf '%-60s %15s %8s %18s\n' "$lib exact" "$ir2" \
    "$(awk -v a="$ir2" -v b="$base2" 'BEGIN { printf "%.3fx", a / b }')" \
    "$(awk -v a1="$ir1" -v a2="$ir2" -v b1="$base1" -v b2="$base2" -v n=$total_requests \
      'BEGIN { printf "%.0f", ((a2 - a1) - (b2 - b1)) / n }')"
done
