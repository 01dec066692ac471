# The leak report at exit: totals, the largest stacks, the exit snapshot.
. "$LT_TESTS/lib.sh"
. "$LT_TESTS/lib_heap.sh"
V=$LT_VICTIMS/http_grow   # leaks COUNT x SIZE in initial_site, then TICKS x TICK_SIZE in tick_site
count=40 size=300 ticks=2 tick_size=7

(cd "$T" && traced "$V" $count $size $ticks $tick_size >"$T/out" 2>"$T/err")
expect "program exit code" 0 $?
expect "program output unchanged" "ready tick 1 tick 2" "$(tr '\n' ' ' <"$T/out" | sed 's/ $//')"
pid=$(sed -n 's/.*wrote .*p\.\([0-9]*\)\.0001\.heap.*/\1/p' "$T/err")
heap=$(profile "$pid" 1)
live=$(query sum "$heap" inuse_space)
objects=$(query sum "$heap" inuse_objects)
expect "report: totals equal the exit snapshot's" 1 \
  "$(grep -c "^leaktrace: $live bytes in $objects objects still live at exit" "$T/err")"
expect "report: the leak site's stack with its exact bytes" 1 \
  "$(grep -c "^leaktrace:   $((count * size)) bytes in $count objects allocated from:" "$T/err")"
expect_true "report: names initial_site with file:line" \
  grep -q '^leaktrace:       #0 initial_site .*http_grow.c:[0-9]' "$T/err"
expect_true "report: names tick_site" grep -q ' tick_site ' "$T/err"
expect "report: points at the exit snapshot" 1 \
  "$(grep -c "^leaktrace: full profile: go tool pprof -top $heap$" "$T/err")"

# A frame without a name (ls is stripped) shows where it lies in its file,
# for addr2line; one object is "1 object".
(cd "$T" && traced ls / >/dev/null 2>"$T/errls")
expect_true "report: an unnamed frame as address (file+offset)" \
  grep -qE '^leaktrace:       #[0-9] 0x[0-9a-f]+ \(ls\+0x[0-9a-f]+\)$' "$T/errls"
expect "report: no '1 objects'" 0 "$(grep -c ' 1 objects ' "$T/errls")"

# quick_exit runs no destructor, only the at_quick_exit handlers: the
# exit snapshot comes from one of those, after the program's own.
n=9 s=77
LEAKTRACE_FD=0 run_traced quick "$LT_VICTIMS/quick_exit" $n $s 3
expect "quick_exit: exit code" 3 "$rc"
expect "quick_exit: the program's handler ran" "handler ran" "$(cat "$T/quick.out")"
check_site "$(profile $vpid 1)" leak_before_quick_exit $n $((n * s)) $n $((n * s))

(cd "$T" && LEAKTRACE_REPORT=0 traced "$V" 1 10 0 0 >/dev/null 2>"$T/err0")
expect "LEAKTRACE_REPORT=0: no report" 0 "$(grep -c 'still live at exit' "$T/err0")"
(cd "$T" && LEAKTRACE_QUIET=1 traced "$V" 1 10 0 0 >/dev/null 2>"$T/errq")
expect "LEAKTRACE_QUIET=1: nothing on stderr" 0 "$(wc -c <"$T/errq")"
(cd "$T" && LEAKTRACE_AT_EXIT=0 traced "$V" 1 10 0 0 >/dev/null 2>"$T/errn")
expect "no exit snapshot: the report still comes" 1 "$(grep -c 'still live at exit' "$T/errn")"
expect "no exit snapshot: no file to point at" 0 "$(grep -c 'full profile' "$T/errn")"
finish
