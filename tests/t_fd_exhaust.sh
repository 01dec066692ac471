# A program that leaks descriptors until open fails (EMFILE) still gets its
# snapshots: at exit, and on the signal while it holds every number its
# limit allows. The tracer lets its spare descriptor go for each file it
# writes or reads (fdspare.c). The fd profile counts exactly the
# descriptors the program opened, at the function that opened them, by
# name; the heap profile holds its block; output and exit code are the
# untraced ones; once the program has let its descriptors go, the names
# that could not be read meanwhile (a separate debug file's) are back. A
# program whose main thread ended by pthread_exit and whose last thread
# ran out of descriptors ends as untraced, with its exit snapshot.
# Before, no file at all: "cannot create ....tmp: Too many open files";
# and the last case never ended (the tracer's threads, which block every
# signal, could not open /proc/self/stat to see the program gone).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

V=$LT_VICTIMS/fd_exhaust
limit=64 block=12345

# run NAME [MODE]: the victim under `ulimit -n $limit`, in the background
# ($T/NAME.out, $T/NAME.err, its pid in $bg); traced when TRACED=1
run() {
  local name=$1; shift
  (
    ulimit -n $limit
    if [[ ${TRACED:-0} == 1 ]]; then
      exec env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" "$V" "$@"
    else
      exec "$V" "$@"
    fi
  ) >"$T/$name.out" 2>"$T/$name.err" &
  bg=$!
}

# full NAME: waits until the victim has run out of descriptors
full() {
  local i
  for ((i = 0; i < 400; i++)); do
    grep -qs '^open failed' "$T/$1.out" && return 0
    sleep 0.05
  done
  return 1
}

opened() { sed -n 's/^opened \([0-9]*\)$/\1/p' "$T/$1.err"; }
program_output() { sed 1d "$T/$1.out"; }
error_lines() { grep '^leaktrace:.*\(cannot\|not written\|incomplete\)' "$T/$1.err"; }

# check_snapshot WHAT PID SEQ ALLOC INUSE: the fd profile counts the
# descriptors exhaust_descriptors opened and holds, the heap profile the
# kept block
check_snapshot() {
  local what=$1 fd heap
  fd=$(profile "$2" "$3" fd) heap=$(profile "$2" "$3" heap)
  expect_true "$what: $fd written" test -f "$fd"
  expect_true "$what: $heap written" test -f "$heap"
  [[ -f $fd && -f $heap ]] || return
  check_fds "$fd" "exhaust_descriptors file $4 $5"
  expect "$what: inuse_fds over the whole profile" "$5" "$(query sum "$fd" inuse_fds)"
  expect "$what: inuse_space at keep_block" $block "$(query total "$heap" inuse_space keep_block)"
  expect "$what: tracer frames in the fd profile" "" "$(tracer_mapping "$fd")"
}

# stack PROFILE: the function names of exhaust_descriptors' stack
stack() { query frames "$1" exhaust_descriptors; }

echo "--- untraced"
for mode in "" close wait thread; do
  run "plain$mode" $mode
  if [[ $mode == wait ]]; then
    full plainwait
    kill -USR2 $bg
  fi
  wait $bg
  expect "untraced ${mode:-plain} run: exit code" 0 $?
  expect_true "untraced ${mode:-plain} run: out of descriptors" full "plain$mode"
done
plain_opened=$(opened plain)

# finished NAME PLAIN [WHAT]: waits for the traced run NAME, which must end
# with 0 (WHAT: what another status means) and the output of the untraced
# run PLAIN; sets pid and n (the descriptors it opened)
finished() {
  wait $bg
  local rc=$?
  pid=$(victim_pid "$T/$1.out")
  n=$(opened "$1")
  cat "$T/$1.err"
  expect "exit code${3:+ ($3)}" 0 $rc
  expect "program output" "$(program_output "$2")" "$(program_output "$1")"
}

echo "--- traced, exit snapshot while full"
TRACED=1 run exit
finished exit plain
expect "error lines" "" "$(error_lines exit)"
check_snapshot "exit snapshot" "$pid" 1 "$n" "$n"
# its copy of stderr, libunwind's pipe, the spare
expect "numbers the tracer holds" 4 $((plain_opened - n))

echo "--- traced, closing before exit: every name the symbolizer finds here"
TRACED=1 run close close
wait $bg
expect "exit code" 0 $?
expect "program output" "$(program_output plainclose)" "$(program_output close)"
reference=$(stack "$(profile "$(victim_pid "$T/close.out")" 1 fd)")
echo "names: $reference"

echo "--- traced, a signal snapshot while full, then closing, the exit snapshot"
TRACED=1 run sig wait
expect_true "the victim ran out of descriptors" full sig
pid=$(victim_pid "$T/sig.out")
kill -USR1 "$pid"
expect_true "signal snapshot written" wait_for "$(profile "$pid" 1 fd)" 20
kill -USR2 "$pid"
finished sig plainwait
expect "error lines" "" "$(error_lines sig)"
check_snapshot "signal snapshot" "$pid" 1 "$n" "$n"
check_snapshot "exit snapshot" "$pid" 2 "$n" 0
echo "names while full: $(stack "$(profile "$pid" 1 fd)")"
expect "names once the descriptors are back" "$reference" "$(stack "$(profile "$pid" 2 fd)")"

echo "--- traced, the HTTP endpoint asked while the program holds every number"
# Its accept lends the spare (fdspare.c), as the snapshot files do; no
# object file can be read for names meanwhile, so only the counts are
# checked here (no snapshot came before to name the stacks). Before, accept
# failed with EMFILE and curl got no answer.
port=$(free_port)
LEAKTRACE_HTTP=127.0.0.1:$port TRACED=1 run http wait
expect_true "the victim ran out of descriptors" full http
pid=$(victim_pid "$T/http.out")
expect_true "curl gets the fd profile while the program is full" \
  timeout 30 curl -sf -o "$T/http.fd.pb.gz" "http://127.0.0.1:$port/debug/pprof/fd"
expect_true "and again (the spare came back)" \
  timeout 30 curl -sf -o "$T/http2.fd.pb.gz" "http://127.0.0.1:$port/debug/pprof/fd"
kill -USR2 "$pid"
finished http plainwait
expect "HTTP while full: inuse_fds over the whole profile" "$n" "$(query sum "$T/http.fd.pb.gz" inuse_fds)"
expect "HTTP while full, asked again: inuse_fds" "$n" "$(query sum "$T/http2.fd.pb.gz" inuse_fds)"
echo "--- traced, the main thread gone by pthread_exit, the last one out of descriptors"
# killed (SIGKILL: the tracer's threads block SIGTERM) if it never ends
LEAKTRACE_REPORT=0 TRACED=1 run thread thread
(
  for ((i = 0; i < 200; i++)); do kill -0 $bg 2>/dev/null || exit; sleep 0.1; done
  kill -KILL $bg
) >/dev/null 2>&1 &
finished thread plainthread "137: killed after 20 s"
check_snapshot "exit snapshot" "$pid" 1 "$n" "$n"
finish
