# Helpers of the service tests, t_svc_*.sh (sourced after lib.sh and
# lib_heap.sh). Servers run from $T, on 127.0.0.1, on ports picked here.

# need COMMAND PACKAGE...: skip the whole test (exit 0) when COMMAND is
# missing (servers live in /usr/sbin, not in every user's PATH)
need() {
  local cmd=$1
  shift
  command -v "$cmd" >/dev/null && return 0
  [[ -x /usr/sbin/$cmd ]] && PATH=$PATH:/usr/sbin && return 0
  echo "SKIP: $cmd not installed (apt-get install $*; scripts/install-deps.sh installs it)"
  exit 0
}

# until_true SECONDS COMMAND...: retries COMMAND every 0.1 s for SECONDS at most
until_true() {
  local i limit=$(($1 * 10))
  shift
  for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}

# gone PID: the process no longer exists (or is a zombie)
gone() { [[ ! -e /proc/$1 ]] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# children PID: the pids of PID's child processes, one a line
children() { pgrep -P "$1" | sort -n; }

# last_seq PREFIX PID: the highest SEQ of PREFIX.PID.*.heap.pb.gz (0 if none)
last_seq() { seqs "$1" "$2" | tail -n 1 | grep . || echo 0; }

# snap PREFIX PID SEQ [heap|fd]: a snapshot file's path
snap() { printf '%s.%s.%04d.%s.pb.gz' "$1" "$2" "$3" "${4:-heap}"; }

# signal_snapshot PREFIX PID SIGNAL SEQ: sends SIGNAL to PID and waits (60 s
# at most) for snapshot SEQ to be complete (its fd file is written last)
signal_snapshot() {
  kill -s "$3" "$2" && wait_for "$(snap "$1" "$2" "$4" fd)" 60
}

# fresh_snapshot PREFIX PID SIGNAL: for a process that also takes interval
# snapshots: sends SIGNAL and prints the SEQ of a snapshot that started after
# it. A snapshot in progress at the signal has the next SEQ after the last
# file on disk, so the one after that is surely later.
fresh_snapshot() {
  local want=$(($(last_seq "$1" "$2") + 2))
  kill -s "$3" "$2" || return 1
  wait_for "$(snap "$1" "$2" "$want" fd)" 60 || return 1
  echo "$want"
}

# all_readable DIR: every *.pb.gz in DIR read by go tool pprof; prints
# "FILES PROCESSES UNREADABLE"
all_readable() {
  local f files=0 bad=0
  for f in "$1"/*.pb.gz; do
    [[ -e $f ]] || continue
    files=$((files + 1))
    readable "$f" || { bad=$((bad + 1)); echo "not readable: $f" >&2; }
  done
  echo "$files $(ls "$1" | grep '\.pb\.gz$' | cut -d. -f2 | sort -u | wc -l) $bad"
}

# rss_kb PID: the process's resident set in KiB
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# launch NAME yes|no [VAR=VALUE...] COMMAND...: runs COMMAND in the
# background from $T, traced (preloaded) or not, stdin ${IN:-/dev/null},
# stdout/stderr in $T/NAME.out/.err, killed after ${TIMEOUT:-120} s; the exit
# report is off unless LEAKTRACE_REPORT is set. Sets lpid (COMMAND's own pid)
# and tpid (what to `wait` for).
launch() {
  local name=$1 pre=()
  [[ $2 == yes ]] && pre=("LD_PRELOAD=${SVC_LIB:-$LT_LIB}")
  shift 2
  rm -f "$T/$name.pid"
  (cd "$T" && exec env LEAKTRACE_REPORT="${LEAKTRACE_REPORT:-0}" timeout -s KILL "${TIMEOUT:-120}" \
    bash -c 'echo $$ >"$0"; exec env "$@"' "$T/$name.pid" "${pre[@]}" "$@" \
    <"${IN:-/dev/null}" >"$T/$name.out" 2>"$T/$name.err") &
  tpid=$!
  wait_for "$T/$name.pid" 10
  lpid=$(cat "$T/$name.pid")
}

# Servers to kill (with their children) if the test ends early: add pids to
# svc_kill. The temp dir goes after them.
svc_kill=()
svc_cleanup() {
  local p
  for p in "${svc_kill[@]}"; do
    gone "$p" && continue
    pkill -KILL -P "$p" 2>/dev/null
    kill -KILL "$p" 2>/dev/null
  done
  rm -rf "$T"
}
trap svc_cleanup EXIT
