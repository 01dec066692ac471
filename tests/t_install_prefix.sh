#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` gives P/lib/libleaktrace.so and
# P/bin/leaktrace; the installed wrapper, with nothing else set, traces a
# program and its snapshot holds the program's leak.
source "$LT_TESTS/lib.sh"
unset LEAKTRACE_OUT LEAKTRACE_SIGNAL LEAKTRACE_AT_EXIT LEAKTRACE_INTERVAL LEAKTRACE_DEPTH \
  LEAKTRACE_SAMPLE LEAKTRACE_FD LEAKTRACE_HTTP LEAKTRACE_QUIET LEAKTRACE_REPORT LEAKTRACE_LIB LD_PRELOAD
build=$(dirname "$LT_LIB")
P=$T/prefix

log=$(timeout 120 cmake --install "$build" --prefix "$P" 2>&1)
expect "cmake --install exit code" 0 $?
expect_true "installed P/lib/libleaktrace.so" test -f "$P/lib/libleaktrace.so"
expect_true "installed P/bin/leaktrace, executable" test -x "$P/bin/leaktrace"
expect_true "the installed wrapper is scripts/leaktrace" cmp -s "$LT_ROOT/scripts/leaktrace" "$P/bin/leaktrace"
expect_true "the installed library is a shared object" \
  bash -c "file -L '$P/lib/libleaktrace.so' | grep -q 'ELF.*shared object'"
expect_true "the installed library exports malloc" \
  bash -c "nm -D --defined-only '$P/lib/libleaktrace.so' | grep -qw malloc"
[[ $failed == 0 ]] || echo "$log"

# The installed wrapper, from another directory, on a victim leaking known amounts.
count=6 size=1234
mkdir -p "$T/run"
out=$(cd "$T/run" && timeout 60 "$P/bin/leaktrace" "$LT_VICTIMS/wrapper_env" $count $size 2>"$T/err")
expect "traced program exit code" 0 $?
pid=$(sed -n 's/^PID=//p' <<<"$out")
heap=$T/run/leaktrace.$pid.0001.heap.pb.gz
expect "the installed library was preloaded" "$P/lib/libleaktrace.so" "$(sed -n 's/^LD_PRELOAD=//p' <<<"$out")"
expect "stderr line" "leaktrace: wrote $heap $T/run/leaktrace.$pid.0001.fd.pb.gz" "$(grep '^leaktrace: wrote' "$T/err")"
expect "leaked bytes in the exit snapshot" $((count * size)) "$(total "$heap" inuse_space leak_inner)"
expect "leaked blocks in the exit snapshot" $count "$(total "$heap" inuse_objects leak_inner)"
expect "file mode" 600 "$(stat -c %a "$heap")"

# The installed library works without the wrapper too.
out=$(cd "$T/run" && LD_PRELOAD=$P/lib/libleaktrace.so timeout 60 "$LT_VICTIMS/wrapper_env" $count $size 2>/dev/null)
pid=$(sed -n 's/^PID=//p' <<<"$out")
expect "plain LD_PRELOAD of the installed library: leaked bytes" $((count * size)) \
  "$(total "$T/run/leaktrace.$pid.0001.heap.pb.gz" inuse_space leak_inner)"
finish
