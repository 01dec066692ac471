# Helpers shared by the heap, config, snapshot and real-program tests
# (sourced after lib.sh).

# check_site PROFILE FUNCTION ALLOC_OBJECTS ALLOC_SPACE INUSE_OBJECTS INUSE_SPACE
# The four values summed over the samples holding FUNCTION, read by go tool
# pprof (PROFILE may be BASE:PROFILE for the difference).
check_site() {
  expect "$2 alloc_objects alloc_space inuse_objects inuse_space" "$3 $4 $5 $6" \
    "$(query values "$1" "$2")"
}

# readable PROFILE: go tool pprof parses it
readable() { timeout 60 go tool pprof -raw "$1" >/dev/null 2>&1; }

# seqs PREFIX PID: the SEQ numbers of PREFIX.PID.*.heap.pb.gz, sorted, one a line
seqs() {
  local f
  for f in "$1.$2".*.heap.pb.gz; do
    [[ -e $f ]] || continue
    f=${f#"$1.$2."}
    echo "$((10#${f%%.*}))"
  done | sort -n
}

# leaktrace_lines FILE: the tracer's stderr lines other than "wrote ..."
leaktrace_lines() { grep '^leaktrace: ' "$1" | grep -v '^leaktrace: wrote ' || true; }

# own_frames PROFILE: location lines naming a tracer function or a hook (none expected)
own_frames() {
  timeout 60 go tool pprof -raw "$1" | sed -n '/^Locations/,/^Mappings/p' |
    awk '$4 ~ /^(lt_|malloc$|calloc$|realloc$|free$|posix_memalign$|aligned_alloc$|memalign$|valloc$|pvalloc$|reallocarray$|_Zn[wa]m|operator new)/'
}

# run_traced NAME COMMAND...: runs COMMAND under the preload and `timeout`,
# stdin from $IN (default /dev/null), stdout/stderr in $T/NAME.out/.err; sets
# vpid (COMMAND's pid: the wrapper shell execs it) and rc.
run_traced() {
  start_traced "$@"
  wait "$tpid"
  rc=$?
}

# start_traced NAME COMMAND...: the same in the background; sets vpid and
# tpid (what to `wait` for). ${TIMEOUT:-60} seconds at most. LEAKTRACE_OUT
# is $T/p unless set; DEFAULT_OUT=1 leaves it unset. The leak report at exit
# is off unless LEAKTRACE_REPORT is set: these tests read stderr line by line.
start_traced() {
  local name=$1 out=("LEAKTRACE_OUT=${LEAKTRACE_OUT:-$T/p}")
  shift
  [[ ${DEFAULT_OUT:-} == 1 ]] && out=(-u LEAKTRACE_OUT)
  rm -f "$T/$name.pid"
  env "${out[@]}" LEAKTRACE_REPORT="${LEAKTRACE_REPORT:-0}" timeout -s KILL "${TIMEOUT:-60}" \
    bash -c 'echo $$ >"$0"; LD_PRELOAD=$LT_LIB exec "$@"' "$T/$name.pid" "$@" \
    <"${IN:-/dev/null}" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
  tpid=$!
  wait_for "$T/$name.pid" 10
  vpid=$(cat "$T/$name.pid")
}

# The heap_steps victim, driven through a FIFO on fd 3 (see victims/heap_steps.c).
# steps_start NAME: starts it (environment as for start_traced)
steps_start() {
  steps_name=$1 steps_sent=0
  mkfifo "$T/$1.in"
  exec 3<>"$T/$1.in"
  IN="$T/$1.in" start_traced "$1" "$LT_VICTIMS/heap_steps"
}

# step COMMAND: sends it and waits (10 s at most) for its "ok" line
step() {
  local i
  echo "$1" >&3
  steps_sent=$((steps_sent + 1))
  for ((i = 0; i < 200; i++)); do
    (($(wc -l <"$T/$steps_name.out") >= steps_sent)) && return 0
    sleep 0.05
  done
  echo "no answer to '$1'"
  return 1
}

# steps_end: end of input; the victim returns from main; sets rc
steps_end() {
  exec 3>&-
  wait "$tpid"
  rc=$?
}

# snap_signal PID SEQ [SIGNAL]: sends the snapshot signal and waits for file SEQ
snap_signal() {
  kill -s "${3:-USR1}" "$1"
  wait_for "$(profile "$1" "$2")" 20
}
