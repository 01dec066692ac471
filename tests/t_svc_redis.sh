# redis-server (linked with jemalloc, which the tracer sits in front of) on
# 127.0.0.1 under redis-benchmark, untraced then traced with
# LEAKTRACE_INTERVAL=1 and a SIGUSR1 every 0.2 s during the load: no error,
# every test's throughput reported both ways, every snapshot file readable,
# SEQs without a gap. Then DEBUG POPULATE puts KEYS values of VSIZE bytes in
# (bounded growth under debugCommand) and FLUSHALL takes them out (exactly
# nothing left there); a BGSAVE fork saves while the tracer runs (the child's
# own USR1 handler gets the one notice); SHUTDOWN gives the exit snapshot.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
source "$LT_TESTS/svc_lib.sh"
need redis-server redis-server
need redis-benchmark redis-tools
need redis-cli redis-tools

n=20000 conns=20 tests=set,get,incr,lpush,lpop,sadd,hset,zadd,mset
keys=1000 vsize=1000

# redis_start NAME yes|no [VAR=VALUE...]: sets port and pid; answering PING
redis_start() {
  local name=$1 traced=$2
  shift 2
  port=$(free_port)
  mkdir -p "$T/$name.dir"
  launch "$name" "$traced" "$@" redis-server --port "$port" --bind 127.0.0.1 --save "" \
    --appendonly no --dir "$T/$name.dir" --enable-debug-command local
  pid=$lpid
  svc_kill+=("$pid")
  until_true 20 eval '[[ $(cli ping 2>/dev/null) == PONG ]]' ||
    { ko "$name: redis-server answers"; cat "$T/$name.out" "$T/$name.err"; finish; }
}
cli() { timeout 30 redis-cli -h 127.0.0.1 -p "$port" "$@"; }

# bench NAME: the load; $T/NAME.bench has one "TEST: R requests per second" line per test
bench() {
  timeout 180 redis-benchmark -h 127.0.0.1 -p "$port" -q -n $n -c $conns -t $tests 2>&1 |
    tr '\r' '\n' | grep -v 'rps=' | grep '[^ ]' >"$T/$1.bench"
  expect "$1: redis-benchmark exit code" 0 "${PIPESTATUS[0]}"
  expect "$1: tests with a throughput" "$(tr , '\n' <<<"$tests" | wc -l)" \
    "$(grep -c 'requests per second' "$T/$1.bench")"
  expect "$1: benchmark lines that are not results" "" "$(grep -v 'requests per second' "$T/$1.bench")"
}

# redis_stop NAME: SHUTDOWN; the server exits normally
redis_stop() {
  cli shutdown nosave >/dev/null 2>&1
  wait "$tpid"
  expect "$1: exit code after SHUTDOWN" 0 $?
}

redis_start plain no
bench plain
redis_stop plain

prefix=$T/snap/p
mkdir "$T/snap"
redis_start traced yes LEAKTRACE_OUT="$prefix" LEAKTRACE_INTERVAL=1
signals=0
(while :; do kill -USR1 "$pid" || exit; sleep 0.2; done) &
sigloop=$!
t0=$(date +%s%N)
bench traced
kill "$sigloop" && wait "$sigloop" 2>/dev/null
echo "traced load: $((($(date +%s%N) - t0) / 1000000)) ms, SEQs so far: $(last_seq "$prefix" "$pid")"
expect_true "traced: snapshots during the load (interval and signals)" test "$(last_seq "$prefix" "$pid")" -ge 2

before=$(fresh_snapshot "$prefix" "$pid" USR1)
had=$(cli dbsize)
expect "populate: reply" OK "$(cli debug populate $keys lk $vsize)"
expect "populate: keys added" $keys "$(($(cli dbsize) - had))"
after=$(fresh_snapshot "$prefix" "$pid" USR1)
read -r a_obj a_space i_obj i_space <<<"$(query values "$(snap "$prefix" "$pid" "$before"):$(snap "$prefix" "$pid" "$after")" debugCommand)"
echo "debugCommand growth for $keys keys of $vsize bytes: $i_obj objects, $i_space bytes in use"
expect_true "populate: in-use bytes under debugCommand within [keys*vsize, keys*(vsize+128)]" \
  test "$i_space" -ge $((keys * vsize)) -a "$i_space" -le $((keys * (vsize + 128)))
expect_true "populate: in-use objects under debugCommand within [2*keys, 5*keys]" \
  test "$i_obj" -ge $((2 * keys)) -a "$i_obj" -le $((5 * keys))

expect "flushall: reply" OK "$(cli flushall)"
flushed=$(fresh_snapshot "$prefix" "$pid" USR1)
f=$(snap "$prefix" "$pid" "$flushed")
expect "flushall: nothing left under debugCommand (objects, bytes)" "0 0" \
  "$(query values "$f" debugCommand | cut -d' ' -f3,4)"
expect "flushall: allocations under debugCommand unchanged" \
  "$(query values "$(snap "$prefix" "$pid" "$after")" debugCommand | cut -d' ' -f1,2)" \
  "$(query values "$f" debugCommand | cut -d' ' -f1,2)"

# A fork under the tracer: the RDB child saves; its own USR1 handler wins there.
cli debug populate $keys lk $vsize >/dev/null
saves=$(cli info persistence | tr -d '\r' | sed -n 's/^rdb_saves://p')
expect "bgsave: reply" "Background saving started" "$(cli bgsave)"
expect_true "bgsave: done" until_true 60 eval \
  '[[ $(cli info persistence | tr -d "\r" | sed -n "s/^rdb_saves://p") == $((saves + 1)) ]]'
expect "bgsave: status" ok "$(cli info persistence | tr -d '\r' | sed -n 's/^rdb_last_bgsave_status://p')"
child=$(sed -n 's/.*Background saving started by pid \([0-9]*\).*/\1/p' "$T/traced.out" | tail -n 1)

last=$(last_seq "$prefix" "$pid")
redis_stop traced
expect_true "traced: exit snapshot after SEQ $last" test -f "$(snap "$prefix" "$pid" $((last + 1)) fd)"
n_seq=$(last_seq "$prefix" "$pid")
expect "traced: SEQs 1..$n_seq without a gap" "$(seq 1 "$n_seq" | xargs)" "$(seqs "$prefix" "$pid" | xargs)"
expect "traced: tracer lines besides 'wrote'" \
  "leaktrace: the program handles USR1 itself: signal snapshots are off in process $child; choose another signal with LEAKTRACE_SIGNAL (e.g. USR2 or RTMIN+3)" \
  "$(leaktrace_lines "$T/traced.err")"
read -r files procs bad <<<"$(all_readable "$T/snap")"
expect "traced: unreadable snapshot files (of $files, from $procs processes)" 0 "$bad"

echo "throughput: redis-benchmark -n $n -c $conns, requests/s untraced | traced (every allocation):"
awk -F': ' '{sub(/ requests per second.*/, "", $2)} NR == FNR {plain[$1] = $2; next}
  {printf "  %-32s %12s | %12s\n", $1, plain[$1], $2}' "$T/plain.bench" "$T/traced.bench"
finish
