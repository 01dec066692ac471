# nginx, a master and 2 workers, on 127.0.0.1 under a short wrk load, in the
# foreground (`daemon off`) and daemonized. nginx uses USR1 (reopen logs) and
# USR2 (binary upgrade) itself, so the tracer's signal is RTMIN+3: the master
# and each worker answer it during the load with their own files. Exact: the
# listening sockets (the master's, inherited by each worker), and the requests
# served (one request pool and one file open per request, summed over the
# workers) against the access log's line count. wrk sees no more errors than
# untraced. With the default USR1, nginx keeps its log reopening and the
# tracer prints its one notice. Workers run as nobody when the test is root.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
source "$LT_TESTS/lib_fd.sh"
source "$LT_TESTS/svc_lib.sh"
need nginx nginx-light
need wrk wrk

workers=2 nlisten=2 load=3 conns=16 sig=RTMIN+3
chmod 755 "$T" # the workers (nobody) read the site and write their snapshots

# nginx_setup NAME DAEMON: $T/NAME with a site, a config and two free ports
nginx_setup() {
  local dir=$T/$1 port
  mkdir -p "$dir/html" "$dir/snap" "$dir/tmp"
  echo "hello from $1" >"$dir/html/index.html"
  ports=()
  for ((port = 0; port < nlisten; port++)); do ports+=("$(free_port)"); done
  {
    echo "worker_processes $workers; daemon $2; pid $dir/nginx.pid;"
    echo "error_log $dir/error.log notice;"
    ((EUID == 0)) && echo "user nobody $(id -gn nobody);"
    echo "events { worker_connections 256; }"
    echo "http {"
    echo "  access_log $dir/access.log;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/tmp/$t;"; done
    echo "  server {"
    for port in "${ports[@]}"; do echo "    listen 127.0.0.1:$port;"; done
    echo "    root $dir/html;"
    echo "  }"
    echo "}"
  } >"$dir/nginx.conf"
  ((EUID == 0)) && chown nobody "$dir/snap"
}

# nginx_start NAME DAEMON yes|no [VAR=VALUE...]: sets dir, master, workers
# (pids), launcher (the pid that was started) and ports; serving when it returns
nginx_start() {
  local name=$1 daemon=$2 traced=$3
  shift 3
  dir=$T/$name
  nginx_setup "$name" "$daemon"
  launch "$name" "$traced" LEAKTRACE_OUT="$dir/snap/p" "$@" \
    nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
  launcher=$lpid
  svc_kill+=("$launcher")
  until_true 20 test -s "$dir/nginx.pid" || { ko "$name: nginx started"; cat "$T/$name.err"; finish; }
  master=$(cat "$dir/nginx.pid")
  svc_kill+=("$master")
  until_true 20 eval '[[ $(children $master | wc -l) == $workers ]]'
  worker_pids=$(children "$master" | xargs)
  expect "$name: worker processes" "$workers" "$(wc -w <<<"$worker_pids")"
  until_true 20 curl -sf -o /dev/null "http://127.0.0.1:${ports[0]}/"
}

# nginx_stop NAME: graceful stop (QUIT): workers and master exit normally
nginx_stop() {
  kill -QUIT "$master"
  expect_true "$1: master exited after QUIT" until_true 30 gone "$master"
  [[ $launcher == "$master" ]] && wait "$tpid"
}

# wrk_load NAME: $load seconds of wrk on the first port; output in $T/NAME.wrk
wrk_load() {
  timeout 60 wrk -t2 -c$conns -d${load}s "http://127.0.0.1:${ports[0]}/" >"$T/$1.wrk" 2>&1
}
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$T/$1.wrk"; }
wrk_requests() { awk '/ requests in / {print $1}' "$T/$1.wrk"; }
wrk_errors() {
  awk '/Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' "$T/$1.wrk"
}

# requests_counted NAME SEQ: "POOLS OPENS" summed over the workers' snapshot
# SEQ: request pools made by ngx_http_create_request, files opened for them
requests_counted() {
  local w pools=0 opens=0 p o
  for w in $worker_pids; do
    p=$(total "$(snap "$dir/snap/p" "$w" "$2")" alloc_objects ngx_http_create_request)
    o=$(total "$(snap "$dir/snap/p" "$w" "$2" fd)" alloc_fds ngx_open_cached_file kind=file)
    pools=$((pools + p)) opens=$((opens + o))
  done
  echo "$pools $opens"
}

# traced_run NAME DAEMON: the load with snapshots of every process on $sig
traced_run() {
  local name=$1 p lines
  nginx_start "$name" "$2" yes LEAKTRACE_SIGNAL=$sig
  wrk_load "$name" &
  local wrk_pid=$!
  sleep 1
  for p in $master $worker_pids; do kill -s $sig "$p"; done
  for p in $master $worker_pids; do
    expect_true "$name: process $p answered $sig during the load" \
      wait_for "$(snap "$dir/snap/p" "$p" 1 fd)" 60
  done
  wait $wrk_pid
  echo "$name: $(grep -E 'Latency|requests in|Requests/sec' "$T/$name.wrk" | xargs)"
  expect "$name: wrk errors (untraced: $base_errors)" "$base_errors" "$(wrk_errors "$name")"

  # Daemonized, the launcher opened them before it forked the master.
  local opened=$nlisten
  [[ $2 == on ]] && opened=0
  check_fds "$(snap "$dir/snap/p" "$master" 1 fd)" "ngx_open_listening_sockets socket $opened $nlisten"
  expect_true "$name: master's heap: ngx_init_cycle holds memory" \
    test "$(total "$(snap "$dir/snap/p" "$master" 1)" inuse_space ngx_init_cycle)" -gt 0
  local served=0
  for p in $worker_pids; do # the listening sockets are the master's
    check_fds "$(snap "$dir/snap/p" "$p" 1 fd)" "ngx_open_listening_sockets socket 0 $nlisten"
    served=$((served + $(total "$(snap "$dir/snap/p" "$p" 1)" alloc_objects ngx_http_create_request)))
  done
  expect_true "$name: requests counted during the load ($served)" test "$served" -gt 0

  # The load is over: every request is in the access log.
  for p in $worker_pids; do
    expect_true "$name: worker $p: second snapshot" signal_snapshot "$dir/snap/p" "$p" $sig 2
  done
  lines=$(wc -l <"$dir/access.log")
  expect "$name: request pools, file opens = requests logged" "$lines $lines" "$(requests_counted "$name" 2)"

  nginx_stop "$name"
  expect "$name: workers' exit snapshots: the same requests" "$lines $lines" "$(requests_counted "$name" 3)"
  expect_true "$name: master's exit snapshot" test -f "$(snap "$dir/snap/p" "$master" 2 fd)"
  expect "$name: tracer lines besides 'wrote'" "" "$(leaktrace_lines "$T/$name.err"; leaktrace_lines "$dir/error.log")"
  expect "$name: snapshot files, processes, unreadable" "$(($3 * 2)) $(($4)) 0" "$(all_readable "$dir/snap")"
}

# Untraced: the throughput and wrk's error count to compare with.
nginx_start plain off no
wrk_load plain
base_errors=$(wrk_errors plain) base_rps=$(wrk_rps plain)
echo "plain: $(grep -E 'Latency|requests in|Requests/sec' "$T/plain.wrk" | xargs)"
nginx_stop plain

# In the foreground: master 2 snapshots (signal, exit), workers 3 each.
traced_run fg off $((2 + 3 * workers)) $((1 + workers))
fg_rps=$(wrk_rps fg)

# Daemonized: the launcher forks the master and exits (its exit snapshot).
traced_run daemon on $((1 + 2 + 3 * workers)) $((2 + workers))
check_fds "$(snap "$dir/snap/p" "$launcher" 1 fd)" "ngx_open_listening_sockets socket $nlisten $nlisten"
expect_true "daemon: the master is not the launcher ($master, $launcher)" test "$master" != "$launcher"

# Default signal: nginx's own USR1 handler wins: one notice, logs reopened,
# no signal snapshot (each process writes only its exit snapshot).
nginx_start usr1 off yes
mv "$dir/access.log" "$dir/access.log.1"
kill -USR1 "$master"
expect_true "usr1: nginx reopened its access log" until_true 20 test -e "$dir/access.log"
curl -sf -o /dev/null "http://127.0.0.1:${ports[1]}/"
expect_true "usr1: the next request is logged in the new file" \
  until_true 10 eval '[[ $(wc -l <"$dir/access.log") == 1 ]]'
expect "usr1: the one notice, from the master" \
  "leaktrace: the program handles USR1 itself: signal snapshots are off in process $master; choose another signal with LEAKTRACE_SIGNAL (e.g. USR2 or RTMIN+3)" \
  "$(leaktrace_lines "$T/usr1.err"; leaktrace_lines "$dir/error.log")"
nginx_stop usr1
for p in $master $worker_pids; do
  expect "usr1: process $p: SEQs (exit only)" 1 "$(seqs "$dir/snap/p" "$p" | xargs)"
done

echo "throughput: nginx, wrk -t2 -c$conns -d${load}s, static file: untraced $base_rps req/s," \
  "traced (every allocation) $fg_rps req/s"
finish
