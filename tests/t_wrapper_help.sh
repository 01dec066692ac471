#!/usr/bin/env bash
# scripts/leaktrace --help names every option with the variable it sets;
# usage errors exit 125 without running the command.
source "$LT_TESTS/lib.sh"
W=$LT_ROOT/scripts/leaktrace

help=$(timeout 10 "$W" --help); rc=$?
expect "--help exit code" 0 "$rc"
expect_true "-h prints the same help" test "$help" == "$(timeout 10 "$W" -h)"
# Each option next to its variable, on one line, as INTERFACE.md maps them.
while read -r option var; do
  expect_true "help: $option sets $var" grep -qE -- "^ *$option( |=).*$var" <<<"$help"
done <<'MAP'
--out LEAKTRACE_OUT=
--signal LEAKTRACE_SIGNAL=
--sample LEAKTRACE_SAMPLE=
--depth LEAKTRACE_DEPTH=
--interval LEAKTRACE_INTERVAL=
--no-fd LEAKTRACE_FD=0
--no-exit-dump LEAKTRACE_AT_EXIT=0
--no-report LEAKTRACE_REPORT=0
--http LEAKTRACE_HTTP=
--quiet LEAKTRACE_QUIET=1
MAP
expect_true "help mentions LEAKTRACE_LIB" grep -q LEAKTRACE_LIB <<<"$help"

# Usage errors: exit 125, a message, and the command is not run.
usage_error() {
  local name=$1 err rc; shift
  rm -f "$T/ran"
  err=$(LEAKTRACE_LIB=${LIB:-$LT_LIB} timeout 10 "$W" "$@" 2>&1 >/dev/null)
  rc=$?
  expect "$name: exit code" 125 "$rc"
  expect_true "$name: explains on stderr" grep -q "^leaktrace: " <<<"$err"
  expect_true "$name: the command did not run" test ! -e "$T/ran"
}
usage_error "unknown option" --bogus touch "$T/ran"
usage_error "unknown short option" -x touch "$T/ran"
usage_error "unknown option=value" --bogus=1 touch "$T/ran"
usage_error "--out without its value" --out
usage_error "--depth without its value" --quiet --depth
usage_error "no command" --quiet
usage_error "no command after --" --no-fd --
LIB=$T/no-such.so usage_error "LEAKTRACE_LIB names no file" --quiet touch "$T/ran"
finish
