# A single-threaded program's signal snapshots are written by a forked
# copy of it (src/writer.c): the tracer keeps no thread in the process
# (a second thread makes every malloc of glibc's dearer). The copy is not
# the program's child (its waitpid(-1) sees none); the snapshot thread
# takes over once the program starts a thread; signals that land inside
# the tracer, or while a writer still runs, are answered later; every
# file is exact.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

threads() { ls "/proc/$1/task" | wc -l; }

# --- step by step: one thread, then two ---
LEAKTRACE_FD=0 steps_start w
step "early 100 64"
expect "one thread: the tracer started none" 1 "$(threads $vpid)"
snap_signal $vpid 1
check_site "$(profile $vpid 1)" leak_early 100 6400 100 6400
expect "still one thread after a signal snapshot" 1 "$(threads $vpid)"
expect "and no child: the writer is handed to init, no zombie stays" "" \
  "$(ps -o pid=,stat=,comm= --ppid $vpid)"
# the writer keeps none of the program's descriptors: a pipe the program
# closes while a snapshot is written ends at once, before the file is there
step "pipe-eof $(profile $vpid 2)"
expect "a pipe closed during a snapshot ends before the snapshot's file is in place" \
  "pipe-eof: absent" "$(grep '^pipe-eof' "$T/w.err")"
wait_for "$(profile $vpid 2)" 20
step "thread 50 32"
expect "the program started (and joined) a thread: the snapshot thread runs" \
  leaktrace "$(cat /proc/$vpid/task/*/comm | grep -x leaktrace)"
snap_signal $vpid 3
check_site "$(profile $vpid 3)" leak_thread 50 1600 50 1600
check_site "$(profile $vpid 3)" leak_early 100 6400 100 6400
step "late 10 8"
steps_end
expect "exit code" 0 "$rc"
check_site "$(profile $vpid 4)" leak_late 10 80 10 80
expect "SEQs" "1 2 3 4" "$(seqs "$T/p" $vpid | xargs)"
expect "no tracer line but the profiles written" "" "$(leaktrace_lines "$T/w.err")"

# glibc's own threads (a SIGEV_THREAD timer's) count too
LEAKTRACE_FD=0 steps_start t
step "early 10 64"
step "timer-thread"
expect "a SIGEV_THREAD timer fired: the snapshot thread runs" \
  leaktrace "$(cat /proc/$vpid/task/*/comm | grep -x leaktrace)"
snap_signal $vpid 1
check_site "$(profile $vpid 1)" leak_early 10 640 10 640
steps_end
expect "exit code" 0 "$rc"

# --- the writer's copy has no copy of the live table; the program's forks do ---
# The handler marks the table's mappings to stay out of the writer's clone
# and marks them back after it: a child the program forks later frees the
# blocks it inherited, which it finds in its copy of the table. n blocks
# are enough for every stripe's table to be a mapped one.
n=30000 s=48 nl=7 sl=40
LEAKTRACE_FD=0 steps_start c
step "temp $n $s"
step "early 100 64"
snap_signal $vpid 1
check_site "$(profile $vpid 1)" temp_alloc $n $((n * s)) $n $((n * s))
check_site "$(profile $vpid 1)" leak_early 100 6400 100 6400
step "fork-child $nl $sl"
steps_end
expect "exit code" 0 "$rc"
child=$(sed -n 's/^fork-child: pid \([0-9]*\) .*/\1/p' "$T/c.err")
expect "the child ended with 0" "fork-child: pid $child status 0" "$(grep '^fork-child' "$T/c.err")"
c=$(profile "$child" 1)
# alloc_* count the child's own calls; inuse_* what it holds
check_site "$c" temp_alloc 0 0 0 0 # inherited: freed, found in the child's copy of the table
check_site "$c" leak_early 0 0 100 6400
check_site "$c" leak_child $nl $((nl * sl)) $nl $((nl * sl))
check_site "$(profile $vpid 2)" temp_alloc $n $((n * s)) $n $((n * s))
expect "no tracer line but the profiles written" "" "$(leaktrace_lines "$T/c.err")"

# --- signals as fast as possible while the one thread allocates ---
signals=100 k=2000 s=72
for mode in exact sampled; do
  echo "--- $mode"
  sample=0
  [[ $mode == sampled ]] && sample=4096
  mkfifo "$T/solo_$mode.in"
  exec 3<>"$T/solo_$mode.in"
  LEAKTRACE_FD=0 LEAKTRACE_SAMPLE=$sample LEAKTRACE_OUT=$T/$mode IN=$T/solo_$mode.in TIMEOUT=120 \
    start_traced solo_$mode "$LT_VICTIMS/heap_storm" $k $s 0
  for ((i = 0; i < 200; i++)); do grep -q running "$T/solo_$mode.out" && break; sleep 0.05; done
  for ((i = 0; i < signals; i++)); do kill -USR1 $vpid || break; done
  sleep 0.5 # requests made while a writer ran are answered after it
  expect "$mode: one thread after $i signals" 1 "$(threads $vpid)"
  echo stop >&3
  wait $tpid
  rc=$?
  exec 3>&-
  expect "$mode: exit code" 0 "$rc"
  expect "$mode: the program's waitpid(-1) saw no child" "children none" \
    "$(grep '^children' "$T/solo_$mode.out")"
  list=$(seqs "$T/$mode" $vpid | xargs)
  last=${list##* }
  echo "SEQs written: $list"
  expect_true "$mode: at least one signal snapshot and the exit snapshot" [ "${last:-0}" -ge 2 ]
  expect "$mode: SEQs without a gap" "$(seq -s ' ' 1 "${last:-0}")" "$list"
  unreadable=0
  for q in $list; do
    readable "$T/$mode.$vpid.$(printf %04d $q).heap.pb.gz" || unreadable=$((unreadable + 1))
  done
  expect "$mode: files go tool pprof cannot read" 0 $unreadable
  expect "$mode: 'wrote' lines" "${last:-0}" "$(grep -c '^leaktrace: wrote ' "$T/solo_$mode.err")"
  expect "$mode: no other tracer line" "" "$(leaktrace_lines "$T/solo_$mode.err")"
  expect "$mode: temporary files left" "" "$(ls "$T" | grep '\.tmp$')"
  if [[ $mode == exact ]]; then
    for q in $list; do
      check_site "$T/$mode.$vpid.$(printf %04d $q).heap.pb.gz" storm_leak $k $((k * s)) $k $((k * s))
    done
    expect "storm_churn in use at exit" 0 \
      "$(total "$T/$mode.$vpid.$(printf %04d $last).heap.pb.gz" inuse_objects storm_churn)"
  fi
done
finish
