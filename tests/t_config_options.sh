# LEAKTRACE_QUIET, LEAKTRACE_AT_EXIT=0, LEAKTRACE_INTERVAL (decimal seconds)
# and LEAKTRACE_DEPTH do what INTERFACE.md says.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=12 s=96 v=$LT_VICTIMS/heap_steps
printf 'inner %d %d\n' $n $s >"$T/cmds"

# NAME SEQS: a victim started with the caller's environment leaks, takes a
# SIGUSR1 snapshot (SEQ 1) and exits; SEQS are the files left.
signal_then_exit() {
  steps_start "$1"
  step "inner $n $s"
  expect_true "snapshot on SIGUSR1" snap_signal $vpid 1
  steps_end
  expect "exit code" 0 "$rc"
  expect "SEQs" "$2" "$(seqs "$T/p" $vpid | xargs)"
}

echo "--- LEAKTRACE_QUIET=1: no 'wrote' line, files still written"
LEAKTRACE_QUIET=1 LEAKTRACE_REPORT=1 IN=$T/cmds run_traced quiet "$v"
expect "exit code" 0 "$rc"
expect "stderr" "" "$(cat "$T/quiet.err")"
check_site "$(profile $vpid 1)" leak_inner $n $((n * s)) $n $((n * s))

echo "--- LEAKTRACE_QUIET=1 and a bad value: the warning is printed"
LEAKTRACE_QUIET=1 LEAKTRACE_DEPTH=many IN=$T/cmds run_traced quietwarn "$v"
expect "exit code" 0 "$rc"
expect "stderr" "leaktrace: LEAKTRACE_DEPTH=many: not an integer; using 64" "$(cat "$T/quietwarn.err")"
check_site "$(profile $vpid 1)" leak_inner $n $((n * s)) $n $((n * s))

echo "--- LEAKTRACE_QUIET=1 and an unwritable output: the error is printed"
LEAKTRACE_QUIET=1 LEAKTRACE_OUT=/nonexistent/dir/p IN=$T/cmds run_traced quieterr "$v"
expect "exit code" 0 "$rc"
expect_true "an error line on stderr" grep -q '^leaktrace: .*/nonexistent/dir/p' "$T/quieterr.err"

echo "--- LEAKTRACE_AT_EXIT=0: no exit snapshot, a signal one still works"
LEAKTRACE_AT_EXIT=0 signal_then_exit noexit "1"
expect "stderr" "leaktrace: wrote $(profile $vpid 1) $(profile $vpid 1 fd)" "$(cat "$T/noexit.err")"
LEAKTRACE_AT_EXIT=0 IN=$T/cmds run_traced noexit2 "$v"
expect "exit code" 0 "$rc"
expect "files without a signal" "" "$(seqs "$T/p" $vpid)"
expect "stderr without a signal" "" "$(cat "$T/noexit2.err")"

echo "--- LEAKTRACE_INTERVAL=0.2: periodic snapshots"
interval=0.2 run_for=1.5
LEAKTRACE_INTERVAL=$interval LEAKTRACE_FD=0 steps_start interval
step "early $n $s"
m=$(seqs "$T/p" $vpid | tail -1)
after=$((${m:-0} + 2)) # the first snapshot surely begun after the step
sleep $run_for
step "late $n $s"
steps_end
expect "exit code" 0 "$rc"
list=$(seqs "$T/p" $vpid | xargs)
count=$(wc -w <<<"$list")
echo "SEQs in ${run_for}s at ${interval}s: $list"
expect "SEQs contiguous from 1" "$(seq -s ' ' 1 $count)" "$list"
# 1.5 s / 0.2 s = 7 periodic ones; at least 4 on a busy machine
expect_true "at least 4 periodic snapshots and the exit one ($count files)" [ $count -ge 5 ]
expect "'wrote' lines" $count "$(grep -c '^leaktrace: wrote ' "$T/interval.err")"
check_site "$(profile $vpid $after)" leak_early $n $((n * s)) $n $((n * s))
check_site "$(profile $vpid $count)" leak_late $n $((n * s)) $n $((n * s))
for ((q = 1; q <= count; q++)); do
  readable "$(profile $vpid $q)" || ko "SEQ $q not readable by go tool pprof"
done

echo "--- LEAKTRACE_INTERVAL beyond a year: clamped with a warning, signal snapshots still work"
# Before the clamp, 1e16 s overflowed the trigger's deadline: its thread
# died silently and no signal snapshot was ever written.
LEAKTRACE_INTERVAL=1e16 signal_then_exit hugeinterval "1 2"
expect "warning" "leaktrace: LEAKTRACE_INTERVAL=1e16: above the maximum of 31536000 s (a year); using 31536000" \
  "$(grep -v '^leaktrace: wrote ' "$T/hugeinterval.err")"
check_site "$(profile $vpid 1)" leak_inner $n $((n * s)) $n $((n * s))

echo "--- LEAKTRACE_DEPTH limits the frames kept"
for depth in 2 1 3; do
  LEAKTRACE_DEPTH=$depth IN=$T/cmds run_traced depth$depth "$v"
  expect "exit code" 0 "$rc"
  f=$(profile $vpid 1)
  want=$(echo leak_inner leak_outer main | cut -d' ' -f1-$depth)
  expect "frames with LEAKTRACE_DEPTH=$depth" "$want" "$(query frames "$f" leak_inner)"
  check_site "$f" leak_inner $n $((n * s)) $n $((n * s))
done
finish
