#!/usr/bin/env bash
# Each scripts/leaktrace option sets its LEAKTRACE_* variable, and the library
# acts on it: seen in the files written, the stderr line, the stacks, and the
# library's own warning when the value is bad.
source "$LT_TESTS/lib.sh"
W=$LT_ROOT/scripts/leaktrace
V=$LT_VICTIMS/wrapper_env
unset LEAKTRACE_OUT LEAKTRACE_SIGNAL LEAKTRACE_AT_EXIT LEAKTRACE_INTERVAL LEAKTRACE_DEPTH \
  LEAKTRACE_SAMPLE LEAKTRACE_FD LEAKTRACE_HTTP LEAKTRACE_QUIET LEAKTRACE_REPORT LD_PRELOAD
export LEAKTRACE_LIB=$LT_LIB

# run NAME [OPTIONS] -- COUNT SIZE [VICTIM ARGS]: the wrapper runs the victim in
# $T/NAME; its stdout, stderr and exit code end up in $T/NAME.{out,err,rc}.
run() {
  local name=$1 opts=() rc; shift
  while [[ $1 != -- ]]; do opts+=("$1"); shift; done
  shift
  mkdir -p "$T/$name"
  (cd "$T/$name" && timeout 30 "$W" "${opts[@]}" -- "$V" "$@" >"$T/$name.out" 2>"$T/$name.err")
  rc=$?
  echo "$rc" >"$T/$name.rc"
}
pid() { sed -n 's/^PID=//p' "$T/$1.out"; }
# var NAME VARIABLE: the value the victim saw ("unset" if none)
var() { grep -E "^$2[ =]" "$T/$1.out" | sed -E "s/^$2(=| )//"; }
file() { echo "$T/$1/$2.$(pid "$1").$(printf %04d "$3").${4:-heap}.pb.gz"; }

# Defaults: no option sets nothing but LD_PRELOAD; files in the working directory.
count=3 size=1000
run plain -- $count $size
p=$(file plain leaktrace 1)
expect "no option: exit code" 0 "$(cat "$T/plain.rc")"
for v in OUT SIGNAL AT_EXIT INTERVAL DEPTH SAMPLE FD HTTP QUIET REPORT; do
  expect "no option: LEAKTRACE_$v" unset "$(var plain LEAKTRACE_$v)"
done
expect "no option: leaked bytes in the exit snapshot" $((count * size)) \
  "$(total "$p" inuse_space leak_inner)"
expect "no option: stderr line" \
  "leaktrace: wrote $p $(file plain leaktrace 1 fd)" "$(grep '^leaktrace: wrote' "$T/plain.err")"
frames=$(query frames "$p" leak_inner)
expect_true "no option: full stack ($frames)" grep -q "^leak_inner leak_middle leak_outer main" <<<"$frames"

# --out, both spellings; relative to the working directory.
count=4 size=1500
mkdir -p "$T/out/sub" "$T/out2/sub"
run out --out sub/prefix -- $count $size
run out2 --out=sub/other -- $count $size
expect "--out: variable" sub/prefix "$(var out LEAKTRACE_OUT)"
expect "--out: leaked bytes in PREFIX.PID.0001.heap.pb.gz" $((count * size)) \
  "$(total "$(file out sub/prefix 1)" inuse_space leak_inner)"
expect "--out: leaked blocks" $count "$(total "$(file out sub/prefix 1)" inuse_objects leak_inner)"
expect "--out=: variable" sub/other "$(var out2 LEAKTRACE_OUT)"
expect "--out=: leaked bytes" $((count * size)) \
  "$(total "$(file out2 sub/other 1)" inuse_space leak_inner)"

# --depth: frames kept per stack.
count=2 size=700 depth=2
run depth --depth $depth -- $count $size
expect "--depth: variable" $depth "$(var depth LEAKTRACE_DEPTH)"
expect "--depth $depth: the stack" "leak_inner leak_middle" \
  "$(query frames "$(file depth leaktrace 1)" leak_inner)"
expect "--depth: leaked bytes" $((count * size)) \
  "$(total "$(file depth leaktrace 1)" inuse_space leak_inner)"

# --signal USR2 (a signal that would kill the victim without the tracer's
# handler) and --no-exit-dump: one snapshot, none at exit.
count=5 size=800
run signal --signal USR2 --no-exit-dump -- $count $size 0 "$T/signal.ready" "$T/signal.go" &
wait_for "$T/signal.ready" 20
kill -USR2 "$(pid signal)"
wait_for "$(file signal leaktrace 1)" 20
touch "$T/signal.go"
wait
expect "--signal: variable" USR2 "$(var signal LEAKTRACE_SIGNAL)"
expect "--no-exit-dump: variable" 0 "$(var signal LEAKTRACE_AT_EXIT)"
expect "--signal USR2: victim survived and exited normally" 0 "$(cat "$T/signal.rc")"
expect "--signal USR2: leaked bytes in the signal snapshot" $((count * size)) \
  "$(total "$(file signal leaktrace 1)" inuse_space leak_inner)"
expect_true "--no-exit-dump: no exit snapshot" test ! -e "$(file signal leaktrace 2)"
expect "--no-exit-dump: one stderr line" 1 "$(grep -c '^leaktrace: wrote' "$T/signal.err")"

# --interval: snapshots without any signal.
count=2 size=900 interval=0.2
run interval --interval $interval --no-exit-dump -- $count $size 0 "$T/interval.ready" "$T/interval.go" &
wait_for "$T/interval.ready" 20
wait_for "$(file interval leaktrace 2)" 20
touch "$T/interval.go"
wait
expect "--interval: variable" $interval "$(var interval LEAKTRACE_INTERVAL)"
expect "--interval: leaked bytes in the 2nd periodic snapshot" $((count * size)) \
  "$(total "$(file interval leaktrace 2)" inuse_space leak_inner)"

# --no-fd: no descriptor file, heap path alone on the stderr line.
run nofd --no-fd -- 1 100
expect "--no-fd: variable" 0 "$(var nofd LEAKTRACE_FD)"
expect_true "--no-fd: heap file" test -e "$(file nofd leaktrace 1)"
expect_true "--no-fd: no fd file" test ! -e "$(file nofd leaktrace 1 fd)"
expect "--no-fd: stderr line" "leaktrace: wrote $(file nofd leaktrace 1)" "$(grep '^leaktrace: wrote' "$T/nofd.err")"

# --quiet: the file is written, the line is not.
run quiet --quiet -- 1 100
expect "--quiet: variable" 1 "$(var quiet LEAKTRACE_QUIET)"
expect_true "--quiet: heap file" test -e "$(file quiet leaktrace 1)"
expect "--quiet: stderr" "" "$(cat "$T/quiet.err")"

# --no-report: no leak summary at exit (there is one without it).
run report -- 2 100
run noreport --no-report -- 2 100
expect "--no-report: variable" 0 "$(var noreport LEAKTRACE_REPORT)"
expect_true "without --no-report: the exit summary" grep -q "still live at exit" "$T/report.err"
expect_true "--no-report: no exit summary" bash -c "! grep -q 'still live at exit' '$T/noreport.err'"
expect_true "--no-report: the exit snapshot" test -e "$(file noreport leaktrace 1)"

# --sample: with one sample per 2^40 bytes on average, a 4 kB leak is
# (almost surely: p < 1e-8) not sampled at all; without, it is counted exactly.
count=4 size=1024 sample=1099511627776
run sample --sample $sample -- $count $size
expect "--sample: variable" $sample "$(var sample LEAKTRACE_SAMPLE)"
expect "--sample: nothing sampled" 0 "$(total "$(file sample leaktrace 1)" inuse_space leak_inner)"

# --http: the variable reaches the library (it warns about a bad address).
port=$((20000 + RANDOM % 20000))
run http --http 127.0.0.1:$port --no-exit-dump -- 1 100
expect "--http: variable" 127.0.0.1:$port "$(var http LEAKTRACE_HTTP)"

# Every option with a value: the library names the variable the wrapper set.
run bad --out= --signal=bogus --sample=x1 --depth=0 --interval=soon --http=nonsense -- 1 100
for pair in OUT= SIGNAL=bogus SAMPLE=x1 DEPTH=0 INTERVAL=soon HTTP=nonsense; do
  expect_true "bad value: leaktrace: LEAKTRACE_$pair: warned" \
    grep -q "^leaktrace: LEAKTRACE_$pair: .*; using " "$T/bad.err"
done
expect "bad values: the program still runs" 0 "$(cat "$T/bad.rc")"
finish
