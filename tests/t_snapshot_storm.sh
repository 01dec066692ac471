# 200 SIGUSR1 sent as fast as possible while 2 threads allocate: no crash,
# no deadlock, exit 0, every file readable by go tool pprof, SEQs contiguous
# or with gaps that error lines name, and the exit snapshot exact.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

signals=200 k=3000 s=88
# three rounds: stop at once after the signals, or let snapshots run on
for round in 1 2 3; do
  pause=0.$(((round - 1) * 3))
  echo "--- round $round, pause ${pause}s before stopping"
  mkfifo "$T/storm$round.in"
  exec 3<>"$T/storm$round.in"
  LEAKTRACE_FD=0 IN=$T/storm$round.in TIMEOUT=120 start_traced storm$round "$LT_VICTIMS/heap_storm" $k $s
  for ((i = 0; i < 200; i++)); do grep -q running "$T/storm$round.out" && break; sleep 0.05; done
  start=$(date +%s%N)
  for ((i = 0; i < signals; i++)); do kill -USR1 $vpid || break; done
  echo "sent $i signals in $((($(date +%s%N) - start) / 1000)) us"
  sleep "$pause" # more snapshots while the threads still allocate (or none)
  echo stop >&3
  wait $tpid
  rc=$?
  expect "exit code" 0 "$rc"
  expect_true "program output: running" grep -qxF running "$T/storm$round.out"
  expect_true "program output: done N" grep -qE '^done [0-9]+$' "$T/storm$round.out"
  cat "$T/storm$round.out"

  list=$(seqs "$T/p" $vpid | xargs)
  last=${list##* }
  echo "SEQs written: $list"
  expect_true "at least one signal snapshot and the exit snapshot" [ "$last" -ge 2 ]
  missing=0 unnamed=0
  for ((q = 1; q <= last; q++)); do
    f=$(profile $vpid $q)
    if [[ -e $f ]]; then
      readable "$f" || ko "SEQ $q not readable by go tool pprof"
    else
      missing=$((missing + 1))
      grep -q "snapshot $(printf %04d $q) of process $vpid" "$T/storm$round.err" || unnamed=$((unnamed + 1))
    fi
  done
  ok "$((last - missing)) files read by go tool pprof"
  expect "gaps in SEQ not named by an error line (of $missing gaps)" 0 $unnamed
  expect "'wrote' lines" $((last - missing)) "$(grep -c '^leaktrace: wrote ' "$T/storm$round.err")"
  expect "temporary files left" "" "$(ls "$T" | grep '\.tmp$')"
  check_site "$(profile $vpid $last)" storm_leak $((2 * k)) $((2 * k * s)) $((2 * k)) $((2 * k * s))
  expect "storm_churn in use at exit" 0 "$(total "$(profile $vpid $last)" inuse_objects storm_churn)"
  exec 3>&-
done
finish
