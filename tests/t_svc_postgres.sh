# PostgreSQL: initdb into $T, the server on a free loopback port (as user
# postgres when the test is root), pgbench -i and short pgbench runs,
# untraced and traced. The postmaster installs its own SIGUSR1 handler (and
# USR2's): the program's handler wins, one notice says so, and what postgres
# does with SIGUSR1 keeps working (a backend asks the postmaster for parallel
# workers; pg_log_backend_memory_contexts signals the checkpointer). With
# LEAKTRACE_SIGNAL=RTMIN+3 the postmaster and each pgbench backend answer
# during the load. Exact: the postmaster accepted one socket per connection
# its log names and closed each after the fork; each backend holds its
# client's socket, inherited; the listening sockets are the log's.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
source "$LT_TESTS/lib_fd.sh"
source "$LT_TESTS/svc_lib.sh"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/postgres && -x $pgbin/initdb ]] ||
  { echo "SKIP: PostgreSQL server not installed (apt-get install postgresql)"; exit 0; }
[[ -x $pgbin/pgbench ]] || { echo "SKIP: pgbench not installed (apt-get install postgresql-contrib)"; exit 0; }

clients=4 load=3 sig=RTMIN+3
as_pg=()
if ((EUID == 0)); then # postgres refuses to run as root
  id postgres >/dev/null 2>&1 || { echo "SKIP: root, and no user postgres to run the server as"; exit 0; }
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
chmod 755 "$T"
mkdir "$T/pg"
# The server's user must be able to load the library: a copy in $T.
cp "$LT_LIB" "$T/libleaktrace.so" && chmod 755 "$T/libleaktrace.so"
lib=$T/libleaktrace.so
((EUID == 0)) && chown postgres "$T/pg"
timeout 120 "${as_pg[@]}" "$pgbin/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync \
  >"$T/initdb.log" 2>&1 || { ko "initdb"; cat "$T/initdb.log"; finish; }

# pg_start NAME yes|no [VAR=VALUE...]: sets port, pm (the postmaster's pid),
# snaps (its snapshot prefix); accepting connections when it returns
pg_start() {
  local name=$1 traced=$2
  shift 2
  port=$(free_port) snaps=$T/pg/$name/p
  mkdir -p "$T/pg/$name"
  ((EUID == 0)) && chown postgres "$T/pg/$name"
  # setpriv is not under test: the preload starts with postgres.
  local pre=()
  [[ $traced == yes ]] && pre=("LD_PRELOAD=$lib")
  launch "$name" no LEAKTRACE_OUT="$snaps" "$@" "${as_pg[@]}" env "${pre[@]}" "$pgbin/postgres" \
    -D "$T/pg/data" -p "$port" -k "$T/pg" -c listen_addresses=127.0.0.1 -c log_connections=on \
    -c fsync=off -c max_connections=20
  pm=$lpid
  svc_kill+=("$pm")
  until_true 30 "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" ||
    { ko "$name: postgres accepts connections"; cat "$T/$name.err"; finish; }
}

# pg_stop NAME: fast shutdown (SIGINT, postgres's own handler): exits normally
pg_stop() {
  kill -INT "$pm"
  wait "$tpid"
  expect "$1: postmaster's exit code after SIGINT" 0 $?
}

sql() { timeout 60 "$pgbin/psql" -X -Atq -h 127.0.0.1 -p "$port" -U postgres -c "$1" postgres; }

# bench NAME [SECONDS]: pgbench with $clients clients; sets tps
bench() {
  bench_run "$@"
  bench_check "$1" $?
}
bench_run() {
  timeout 120 "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c $clients -j 2 \
    -T "${2:-$load}" postgres >"$T/$1.bench" 2>&1
}
# bench_check NAME EXIT_CODE
bench_check() {
  expect "$1: pgbench exit code" 0 "$2"
  expect "$1: failed transactions" 0 "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$T/$1.bench")"
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$T/$1.bench")
  echo "$1: $(grep -E '^(number of transactions actually|tps)' "$T/$1.bench" | xargs)"
}

# The default signal: postgres's own USR1 handler wins.
pg_start usr1 yes
expect "usr1: the one notice, from the postmaster" \
  "leaktrace: the program handles USR1 itself: signal snapshots are off in process $pm; choose another signal with LEAKTRACE_SIGNAL (e.g. USR2 or RTMIN+3)" \
  "$(leaktrace_lines "$T/usr1.err")"
timeout 120 "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -s 1 postgres >"$T/init.bench" 2>&1
expect "usr1: pgbench -i exit code" 0 $?
bench usr1
usr1_tps=$tps
# A parallel query: the backend asks the postmaster (SIGUSR1) for workers.
plan=$(sql "set max_parallel_workers_per_gather = 2; set parallel_setup_cost = 0;
  set parallel_tuple_cost = 0; set min_parallel_table_scan_size = 0; set enable_indexonlyscan = off;
  explain (analyze, costs off, timing off) select count(*) from pgbench_accounts")
expect "usr1: parallel workers launched (postmaster's SIGUSR1)" 2 \
  "$(sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' <<<"$plan")"
# pg_log_backend_memory_contexts: SIGUSR1 to the checkpointer.
ckpt=$(sql "select pid from pg_stat_activity where backend_type = 'checkpointer'")
expect "usr1: pg_log_backend_memory_contexts(checkpointer)" t "$(sql "select pg_log_backend_memory_contexts($ckpt)")"
expect_true "usr1: the checkpointer logged its memory contexts (its SIGUSR1 handler)" \
  until_true 20 grep -q "logging memory contexts of PID $ckpt" "$T/usr1.err"
pg_stop usr1
expect "usr1: postmaster's SEQs (its exit snapshot only)" 1 "$(seqs "$snaps" "$pm" | xargs)"
expect "usr1: tracer lines besides 'wrote' after the run (still the one notice)" 1 \
  "$(leaktrace_lines "$T/usr1.err" | wc -l)"
read -r files procs bad <<<"$(all_readable "$T/pg/usr1")"
expect "usr1: unreadable snapshot files (of $files, from $procs processes)" 0 "$bad"

# USR2 is not free either: the postmaster keeps it for its children.
pg_start usr2 yes LEAKTRACE_SIGNAL=USR2
expect "usr2: postgres takes USR2 too: the notice" \
  "leaktrace: the program handles USR2 itself: signal snapshots are off in process $pm; choose another signal with LEAKTRACE_SIGNAL (e.g. RTMIN+3 or RTMIN+4)" \
  "$(leaktrace_lines "$T/usr2.err")"
pg_stop usr2

# Untraced, for the throughput.
pg_start plain no
bench plain
plain_tps=$tps
pg_stop plain

# A real-time signal: snapshots of the postmaster and of the backends.
pg_start rt yes LEAKTRACE_SIGNAL=$sig
bench_run rt $((load + 2)) &
bench_pid=$!
# The clients' backends (an exiting one has left pg_stat_activity already).
clients_q="select pid from pg_stat_activity where application_name = 'pgbench' and pid <> pg_backend_pid()"
until_true 20 eval '[[ $(sql "$clients_q" | wc -l) == $clients ]]'
sleep 1
backends=$(sql "$clients_q" | sort -n | xargs)
expect "rt: pgbench backends" $clients "$(wc -w <<<"$backends")"
for p in $pm $backends; do kill -s $sig "$p"; done
for p in $pm $backends; do
  expect_true "rt: process $p answered $sig during the load" wait_for "$(snap "$snaps" "$p" 1 fd)" 60
done
for p in $backends; do # the client's socket: accepted by the postmaster
  check_fds "$(snap "$snaps" "$p" 1 fd)" "StreamConnection socket 0 1"
  expect_true "rt: backend $p: heap under PostgresMain" \
    test "$(total "$(snap "$snaps" "$p" 1)" inuse_space PostgresMain)" -gt 0
done
wait $bench_pid
bench_check rt $?
rt_tps=$tps
for p in $backends; do
  expect_true "rt: backend $p: exit snapshot" until_true 60 test -f "$(snap "$snaps" "$p" 2 fd)"
done
expect_true "rt: postmaster: second snapshot" signal_snapshot "$snaps" "$pm" $sig 2
conns=$(grep -c 'LOG:  connection received' "$T/rt.err")
listens=$(grep -c 'LOG:  listening on' "$T/rt.err")
check_fds "$(snap "$snaps" "$pm" 2 fd)" "StreamConnection socket $conns 0
StreamServerPort socket $listens $listens"
pg_stop rt
expect_true "rt: postmaster's exit snapshot" test -f "$(snap "$snaps" "$pm" 3 fd)"
expect "rt: tracer lines besides 'wrote'" "" "$(leaktrace_lines "$T/rt.err")"
read -r files procs bad <<<"$(all_readable "$T/pg/rt")"
expect "rt: unreadable snapshot files (of $files, from $procs processes)" 0 "$bad"

echo "throughput: pgbench -c $clients -j 2 (TPC-B like, scale 1): untraced $plain_tps tps," \
  "traced $usr1_tps tps (${load} s, default signal), $rt_tps tps ($((load + 2)) s, $sig snapshots during the load)"
finish
