# LEAKTRACE_SIGNAL: a name, SIG-name, RTMIN+n or number moves the snapshot to
# that signal; `none` installs no handler at all (the signal then kills the
# program as by default). Handlers are read from /proc/PID/status (SigCgt).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=15 s=120
# caught PID SIGNAL: the process has a handler for SIGNAL
caught() {
  local mask num
  mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status")
  num=$(kill -l "$2")
  (((0x$mask >> (num - 1)) & 1))
}

usr2=$(kill -l USR2)
# LEAKTRACE_SIGNAL value, the signal kill sends
for spec in "USR2 USR2" "SIGUSR2 USR2" "$usr2 USR2" "RTMIN+3 RTMIN+3" "rtmin+3 RTMIN+3" "unset USR1"; do
  read -r val sig <<<"$spec"
  echo "--- LEAKTRACE_SIGNAL=$val"
  name=sig${val//[^a-zA-Z0-9]/_}
  if [[ $val == unset ]]; then
    LEAKTRACE_FD=0 steps_start $name
  else
    LEAKTRACE_SIGNAL=$val LEAKTRACE_FD=0 steps_start $name
  fi
  step "early $n $s"
  expect_true "handler installed for $sig" caught $vpid $sig
  [[ $sig != USR1 ]] && expect_true "no handler for USR1" eval '! caught $vpid USR1'
  expect_true "snapshot on $sig" snap_signal $vpid 1 $sig
  step "late $n $s"
  expect_true "second snapshot on $sig" snap_signal $vpid 2 $sig
  steps_end
  expect "exit code" 0 "$rc"
  expect "SEQs (two signals, exit)" "1 2 3" "$(seqs "$T/p" $vpid | xargs)"
  expect "stderr lines besides 'wrote'" "" "$(leaktrace_lines "$T/$name.err")"
  check_site "$(profile $vpid 1)" leak_late 0 0 0 0
  check_site "$(profile $vpid 2)" leak_late $n $((n * s)) $n $((n * s))
done

echo "--- LEAKTRACE_SIGNAL=none"
LEAKTRACE_SIGNAL=none LEAKTRACE_FD=0 steps_start signone
step "early $n $s"
expect_true "no handler for USR1" eval '! caught $vpid USR1'
kill -USR1 $vpid
wait $tpid
rc=$?
exec 3>&-
expect "killed by SIGUSR1 as by default (exit status)" $((128 + $(kill -l USR1))) $rc
expect "files" "" "$(seqs "$T/p" $vpid)"
expect "stderr" "" "$(cat "$T/signone.err")"
finish
