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

# real_check NAME COMMAND...: runs COMMAND untraced, then traced (leak
# report on, as a user gets it), each in a fresh $T/work (so paths in the
# output agree), stdin from $IN; compares exit code, stdout and stderr (the
# tracer's own lines aside) and reads every snapshot the traced run's
# processes wrote, the top process's exit snapshot first. Files: $T/NAME.*
real_check() {
  local name=$1 prc f files=0 bad=0
  shift
  rm -rf "$T/work" && mkdir "$T/work"
  (cd "$T/work" && timeout -s KILL "${TIMEOUT:-300}" "$@" <"${IN:-/dev/null}" \
    >"$T/$name.plain.out" 2>"$T/$name.plain.err")
  prc=$?
  mv "$T/work" "$T/$name.work.plain" && mkdir "$T/work" "$T/$name.snap"
  local t0=$(date +%s%N)
  (cd "$T/work" && LEAKTRACE_OUT=$T/$name.snap/p LEAKTRACE_REPORT=1 run_traced "$name" "$@" &&
    echo "$vpid $rc" >"$T/$name.rc")
  read -r vpid rc <"$T/$name.rc"
  echo "traced run: $((($(date +%s%N) - t0) / 1000000)) ms"
  mv "$T/work" "$T/$name.work.traced"
  expect "$name: exit code (untraced $prc)" "$prc" "$rc"
  expect_true "$name: stdout identical ($(wc -c <"$T/$name.plain.out") bytes)" \
    cmp "$T/$name.plain.out" "$T/$name.out"
  grep -v '^leaktrace: ' "$T/$name.err" >"$T/$name.err.program"
  expect_true "$name: stderr identical besides the tracer's lines" \
    cmp "$T/$name.plain.err" "$T/$name.err.program"
  expect "$name: tracer errors or warnings" "" \
    "$(grep '^leaktrace: ' "$T/$name.err" | grep -vE "^leaktrace:   " | grep -E "cannot|refus|incomplete|LEAKTRACE_" | head -5)"
  f=$T/$name.snap/p.$vpid.0001.heap.pb.gz
  expect "$name: the top process's snapshots (SEQs)" 1 "$(seqs "$T/$name.snap/p" $vpid | xargs)"
  expect_true "$name: its exit snapshot readable, allocations counted ($(query sum "$f" alloc_objects 2>&1))" \
    [ "$(query sum "$f" alloc_objects 2>/dev/null || echo 0)" -gt 0 ]
  for f in "$T/$name.snap"/*.pb.gz; do
    files=$((files + 1))
    readable "$f" || { bad=$((bad + 1)); echo "not readable: $f"; }
  done
  expect "$name: unreadable snapshot files (of $files, from $(ls "$T/$name.snap" | cut -d. -f2 | sort -u | wc -l) processes)" 0 $bad
}

# python_bin: a real python3 (not a pyenv shim script)
python_bin() {
  local p
  for p in /usr/bin/python3 "$(command -v python3)"; do
    [[ -x $p ]] && head -c 4 "$p" | grep -q ELF && { echo "$p"; return; }
  done
  command -v python3
}

# ended_like_untraced WHAT NAME: the run NAME of `victims/thread_exit_main
# main $n $s` (run_traced) ended by itself, printed what the untraced run
# printed into $T/plain.out, and its exit snapshot holds both leaks exactly.
ended_like_untraced() {
  expect "$1: exit code (137: still running after ${TIMEOUT:-60} s)" 0 "$rc"
  expect "$1: output as untraced" "$(cat "$T/plain.out")" "$(cat "$T/$2.out")"
  local f=$(profile $vpid 1)
  check_site "$f" leak_main $n $((n * s)) $n $((n * s))
  check_site "$f" leak_worker $n $((n * s)) $n $((n * s))
}
