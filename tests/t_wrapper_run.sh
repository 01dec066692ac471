#!/usr/bin/env bash
# scripts/leaktrace finds the library (checkout, installed layout, through a
# symlink, LEAKTRACE_LIB), prepends it to LD_PRELOAD, and execs the command:
# exit code, arguments and output unchanged.
source "$LT_TESTS/lib.sh"
V=$LT_VICTIMS/wrapper_env
unset LEAKTRACE_OUT LEAKTRACE_SIGNAL LEAKTRACE_AT_EXIT LEAKTRACE_INTERVAL LEAKTRACE_DEPTH \
  LEAKTRACE_SAMPLE LEAKTRACE_FD LEAKTRACE_HTTP LEAKTRACE_QUIET LEAKTRACE_REPORT LEAKTRACE_LIB LD_PRELOAD

# Two private trees, so that what the wrapper finds is known exactly.
mkdir -p "$T/checkout/scripts" "$T/checkout/build" "$T/installed/bin" "$T/installed/lib" "$T/links"
cp "$LT_ROOT/scripts/leaktrace" "$T/checkout/scripts/"
cp "$LT_LIB" "$T/checkout/build/libleaktrace.so"
cp "$LT_ROOT/scripts/leaktrace" "$T/installed/bin/"
cp "$LT_LIB" "$T/installed/lib/libleaktrace.so"
ln -s "$T/installed/bin/leaktrace" "$T/links/leaktrace"

# traced_by NAME WRAPPER [OPTIONS --] COUNT SIZE [EXIT]: the victim's output in $T/NAME.out
traced_by() {
  local name=$1 w=$2; shift 2
  timeout 30 "$w" --out "$T/$name" --no-fd "$@" >"$T/$name.out" 2>"$T/$name.err"
}
preload() { sed -n 's/^LD_PRELOAD=//p' "$T/$1.out"; }
pid() { sed -n 's/^PID=//p' "$T/$1.out"; }
leaked() { total "$T/$1.$(pid "$1").0001.heap.pb.gz" inuse_space leak_inner; }

count=3 size=2000
traced_by checkout "$T/checkout/scripts/leaktrace" "$V" $count $size
expect "checkout layout: ../build/libleaktrace.so" "$T/checkout/build/libleaktrace.so" "$(preload checkout)"
expect "checkout layout: leaked bytes" $((count * size)) "$(leaked checkout)"

traced_by installed "$T/installed/bin/leaktrace" "$V" $count $size
expect "installed layout: ../lib/libleaktrace.so" "$T/installed/lib/libleaktrace.so" "$(preload installed)"
expect "installed layout: leaked bytes" $((count * size)) "$(leaked installed)"

traced_by symlink "$T/links/leaktrace" "$V" $count $size
expect "wrapper run through a symlink: its target's ../lib" "$T/installed/lib/libleaktrace.so" \
  "$(preload symlink)"

# LEAKTRACE_LIB wins over the library next to the wrapper.
mkdir -p "$T/elsewhere"
cp "$LT_LIB" "$T/elsewhere/libleaktrace-copy.so"
LEAKTRACE_LIB=$T/elsewhere/libleaktrace-copy.so traced_by override "$T/checkout/scripts/leaktrace" \
  "$V" $count $size
expect "LEAKTRACE_LIB override" "$T/elsewhere/libleaktrace-copy.so" "$(preload override)"
expect "LEAKTRACE_LIB override: leaked bytes" $((count * size)) "$(leaked override)"

# A tree without the library: a clear error, not a silent untraced run.
mkdir -p "$T/empty/scripts"
cp "$LT_ROOT/scripts/leaktrace" "$T/empty/scripts/"
err=$(timeout 10 "$T/empty/scripts/leaktrace" "$V" 1 1 2>&1 >/dev/null)
expect "no library: exit code" 125 $?
expect_true "no library: says so ($err)" grep -q "libleaktrace.so not found" <<<"$err"

# An existing LD_PRELOAD is kept, after ours (libc is always there to preload).
other=$(readlink -f "$(ldd "$V" | awk '/libc\.so/ {print $3}')")
LD_PRELOAD=$other traced_by prepend "$T/installed/bin/leaktrace" "$V" $count $size
expect "LD_PRELOAD prepended" "$T/installed/lib/libleaktrace.so:$other" "$(preload prepend)"
expect "LD_PRELOAD prepended: leaked bytes" $((count * size)) "$(leaked prepend)"

# Exit codes pass through.
W=$T/installed/bin/leaktrace
for code in 0 1 7 255; do
  timeout 30 "$W" --quiet --out "$T/exit" "$V" 1 10 $code >/dev/null
  expect "exit code $code passes through" $code $?
done
{ timeout 30 "$W" --quiet --out "$T/sig" -- bash -c 'kill -TERM $$'; rc=$?; } 2>/dev/null
expect "death by SIGTERM passes through" $((128 + 15)) $rc
timeout 30 "$W" --quiet -- "$T/no-such-command" 2>/dev/null
expect "command not found" 127 $?
err=$(timeout 30 "$W" --quiet -- no-such-command-$$ 2>&1)
expect "command not found in PATH: status" 127 $?
expect "command not found in PATH: the line" "leaktrace: no-such-command-$$: command not found" "$err"
# A static program ignores LD_PRELOAD: the wrapper says so, then runs it.
if printf 'int main(void) { return 3; }\n' | cc -static -x c -o "$T/static" - 2>/dev/null; then
  err=$(timeout 30 "$W" --quiet -- "$T/static" 2>&1)
  expect "static program: its status" 3 $?
  expect "static program: the line" "leaktrace: $T/static is statically linked: the library cannot be loaded into it (no profiles; the snapshot signal would end it)" "$err"
else
  echo "SKIP static program: no static libc to link one"
fi
touch "$T/not-executable"
timeout 30 "$W" --quiet -- "$T/not-executable" 2>/dev/null
expect "command not executable" 126 $?

# Arguments (spaces, empty, option-like) and stdin/stdout are untouched.
out=$(printf 'in put\n' | timeout 30 "$W" --quiet --out "$T/args" -- bash -c \
  'read -r line; printf "[%s]" "$@" "$line"' zero "a b" "" --out -- "*")
expect "arguments and stdin pass through" '[a b][][--out][--][*][in put]' "$out"
out=$(cd "$T" && timeout 30 "$W" --quiet --out "$T/args2" printf '%s|' -n --no-fd)
expect "options end at the first non-option word" '-n|--no-fd|' "$out"
finish
