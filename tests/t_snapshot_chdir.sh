# A chdir after start-up does not move the output: a relative LEAKTRACE_OUT
# (and the default prefix) resolve against the start-up directory.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=40 s=300
mkdir -p "$T/start/sub" "$T/elsewhere/sub"
for out in sub/rel default; do
  echo "--- LEAKTRACE_OUT=$out"
  prefix=$T/start/$out
  [[ $out == default ]] && prefix=$T/start/leaktrace
  cd "$T/start" || exit 1
  if [[ $out == default ]]; then
    DEFAULT_OUT=1 LEAKTRACE_FD=0 steps_start "steps-${out##*/}"
  else
    LEAKTRACE_OUT=$out LEAKTRACE_FD=0 steps_start "steps-${out##*/}"
  fi
  cd / || exit 1
  step "chdir $T/elsewhere"
  step "early $n $s"
  kill -USR1 $vpid
  wait_for "$prefix.$vpid.0001.heap.pb.gz" 20
  steps_end
  expect "exit code" 0 "$rc"
  expect "files under the start-up directory (SEQs)" "1 2" "$(seqs "$prefix" $vpid | xargs)"
  expect "files elsewhere" "" "$(cd "$T/elsewhere" && find . -name "*.pb.gz")"
  expect "tracer stderr (absolute paths)" "leaktrace: wrote $prefix.$vpid.0001.heap.pb.gz
leaktrace: wrote $prefix.$vpid.0002.heap.pb.gz" "$(cat "$T/steps-${out##*/}.err")"
  for seq in 1 2; do
    check_site "$prefix.$vpid.000$seq.heap.pb.gz" leak_early $n $((n * s)) $n $((n * s))
  done
done
finish
