# Bad LEAKTRACE_* values: one stderr line each, of the exact form
# `leaktrace: LEAKTRACE_X=value: <why>; using <default>`, the default (or the
# clamped value) used, the program's output and exit code unchanged.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=20 s=100 code=5
printf 'inner %d %d\nexit %d\n' $n $s $code >"$T/cmds"
v=$LT_VICTIMS/heap_steps
timeout 30 "$v" <"$T/cmds" >"$T/plain.out" 2>"$T/plain.err"
expect "untraced exit code" $code $?

# VARIABLE VALUE USING (what the warning says is used instead)
cases=(
  LEAKTRACE_DEPTH abc 64
  LEAKTRACE_DEPTH 0 1
  LEAKTRACE_DEPTH 9999 256
  LEAKTRACE_DEPTH -3 1
  LEAKTRACE_DEPTH 99999999999999999999999 256
  LEAKTRACE_SAMPLE 18446744073709551615 1099511627776
  LEAKTRACE_SIGNAL bogus USR1
  LEAKTRACE_SIGNAL KILL USR1
  LEAKTRACE_SIGNAL RTMIN+999 USR1
  LEAKTRACE_SIGNAL CHLD USR1
  LEAKTRACE_SIGNAL SIGWINCH USR1
  LEAKTRACE_SIGNAL TSTP USR1
  LEAKTRACE_SIGNAL 32 USR1
  LEAKTRACE_SIGNAL 33 USR1
  LEAKTRACE_INTERVAL 1e300 31536000
  LEAKTRACE_INTERVAL -1 0
  LEAKTRACE_INTERVAL soon 0
  LEAKTRACE_SAMPLE x 0
  LEAKTRACE_SAMPLE -5 0
  LEAKTRACE_FD 2 1
  LEAKTRACE_AT_EXIT yes 1
  LEAKTRACE_QUIET 2 0
)
IN=$T/cmds
for ((c = 0; c < ${#cases[@]}; c += 3)); do
  var=${cases[c]} val=${cases[c + 1]} using=${cases[c + 2]} name=case$c
  echo "--- $var=$val"
  export "$var=$val"
  LEAKTRACE_FD=${LEAKTRACE_FD:-0} run_traced $name "$v"
  unset "$var"
  expect "exit code" $code "$rc"
  expect_true "program output unchanged" cmp -s "$T/plain.out" "$T/$name.out"
  lines=$(leaktrace_lines "$T/$name.err")
  expect "warning lines" 1 "$(grep -c . <<<"$lines")"
  prefix="leaktrace: $var=$val: "
  expect_true "warning has the form '$prefix<why>; using $using' ($lines)" \
    grep -qxE "$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$prefix").+; using $using" <<<"$lines"
  # the tracer kept working with the default (or clamped) value (sampling
  # once in a TiB, a small program's leak is not sampled)
  [[ $var=$val == LEAKTRACE_SAMPLE=18446744073709551615 ]] && continue
  f=$(profile $vpid 1)
  check_site "$f" leak_inner $n $((n * s)) $n $((n * s))
  depth=$(query frames "$f" leak_inner | wc -w)
  case "$var=$val" in
    LEAKTRACE_DEPTH=0 | LEAKTRACE_DEPTH=-3) expect "frames kept" 1 "$depth" ;;
    *) expect_true "whole stack kept ($depth frames)" [ "$depth" -ge 5 ] ;;
  esac
done

# Glibc keeps signals 32 and 33 for itself: the tracer once tried them,
# printed that it could not install its handler, and a USR1 then killed the
# program. Now USR1 is the snapshot signal.
echo "--- LEAKTRACE_SIGNAL=32: USR1 takes snapshots instead"
LEAKTRACE_SIGNAL=32 LEAKTRACE_FD=0 steps_start sig32
step "inner $n $s"
expect_true "USR1 snapshot written" snap_signal $vpid 1
steps_end
expect "exit code" 0 "$rc"
check_site "$(profile $vpid 1)" leak_inner $n $((n * s)) $n $((n * s))

# A LEAKTRACE_* variable that is not a setting (a typo) gets one line naming
# the closest setting; the program runs as without it.
echo "--- misspelled settings"
for pair in OUTPUT:OUT INTERVALS:INTERVAL SAMPEL:SAMPLE; do
  typo=${pair%%:*} meant=${pair#*:}
  export "LEAKTRACE_$typo=1"
  LEAKTRACE_FD=0 IN=$T/cmds run_traced typo$typo "$v"
  unset "LEAKTRACE_$typo"
  expect "LEAKTRACE_$typo: exit code" $code "$rc"
  expect "LEAKTRACE_$typo: the line" \
    "leaktrace: LEAKTRACE_$typo: not a leaktrace setting (ignored); did you mean LEAKTRACE_$meant?" \
    "$(leaktrace_lines "$T/typo$typo.err")"
done
LEAKTRACE_XYZZY=1 LEAKTRACE_FD=0 IN=$T/cmds run_traced xyzzy "$v"
expect "LEAKTRACE_XYZZY: the line" "leaktrace: LEAKTRACE_XYZZY: not a leaktrace setting (ignored)" \
  "$(leaktrace_lines "$T/xyzzy.err")"

# Go's habit, ":6060", would serve every interface: refused with a line that
# says how to write it.
LEAKTRACE_HTTP=:6061 LEAKTRACE_FD=0 IN=$T/cmds run_traced http_nohost "$v"
expect "LEAKTRACE_HTTP=:6061: the line" "leaktrace: LEAKTRACE_HTTP=:6061: no host (give 127.0.0.1 for this host only, or 0.0.0.0 with LEAKTRACE_HTTP_ALLOW_REMOTE=1 for all interfaces); using no endpoint" \
  "$(leaktrace_lines "$T/http_nohost.err")"

# A signal whose default action ends the program is taken, with a line
# saying that it no longer does.
echo "--- LEAKTRACE_SIGNAL=TERM"
LEAKTRACE_SIGNAL=TERM LEAKTRACE_FD=0 steps_start term
step "inner $n $s"
expect_true "TERM snapshot written" snap_signal $vpid 1 TERM
steps_end
expect "exit code" 0 "$rc"
expect_true "a line says TERM no longer ends the program" \
  grep -qx "leaktrace: LEAKTRACE_SIGNAL=TERM: this signal no longer ends the program while it is traced (it takes a snapshot instead); USR2 or RTMIN+3 are usually free" "$T/term.err"
finish
