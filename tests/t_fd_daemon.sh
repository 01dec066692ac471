# A daemon closes every descriptor above 2 (a close() loop to the limit,
# close_range, closefrom) or dup2s /dev/null over each, after the tracer has
# taken a snapshot and so holds descriptors of its own. The next SIGUSR1
# snapshot must still work and count exactly what is open; the program's
# next descriptor number must be the one it gets untraced.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

n=5 n2=3
v=$LT_VICTIMS/fd_daemon

# wait_line FILE TEXT: until FILE has a line TEXT (10 s at most)
wait_line() {
  local i
  for ((i = 0; i < 200; i++)); do grep -qx "$2" "$1" && return 0; sleep 0.05; done
  return 1
}

for mode in loop close_range closefrom dup2; do
  plain=$(printf 'go\ngo\n' | timeout 30 "$v" $mode $n $n2 3>&- | grep '^first fd')
  mkfifo "$T/$mode.in"
  exec 4<>"$T/$mode.in"
  LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/$mode" \
    "$v" $mode $n $n2 <"$T/$mode.in" >"$T/$mode.out" 2>"$T/$mode.err" 3>&- 4>&- &
  runner=$!
  wait_line "$T/$mode.out" leaked
  pid=$(victim_pid "$T/$mode.out")
  snap() { echo "$T/$mode.$pid.000$1.fd.pb.gz"; }
  kill -USR1 "$pid"
  expect_true "$mode: snapshot before close-all" wait_for "$(snap 1)" 20
  echo go >&4
  expect_true "$mode: close-all done" wait_line "$T/$mode.out" daemonized
  kill -USR1 "$pid"
  expect_true "$mode: SIGUSR1 snapshot after close-all" wait_for "$(snap 2)" 20
  echo go >&4
  exec 4>&-
  wait $runner
  expect "$mode: exit code" 0 $?
  expect_true "$mode: exit snapshot" test -f "$(snap 3)"
  expect "$mode: next descriptor number as untraced" "$plain" "$(grep '^first fd' "$T/$mode.out")"
  expect "$mode: tracer stderr beyond 'wrote' lines" "" "$(grep -v '^leaktrace: wrote ' "$T/$mode.err")"

  rows="leak_after file $n2 $n2
leak_before file $n 0"
  if [[ $mode == dup2 ]]; then # the dup2 replaced them: counted at its call
    k=$(sed -n 's/^dup2 over \([0-9]*\) descriptors$/\1/p' "$T/$mode.out")
    rows+=$'\n'"dup2_over_all file $k $k"
    rows+=$'\n'"open_devnull file 1 1"
  fi
  check_fds "$(snap 2)" "$rows"
  check_fds "$(snap 1)" "leak_before file $n $n"
done
finish
