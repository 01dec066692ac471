# Shared helpers of the test scripts (sourced). ctest sets LT_LIB, LT_VICTIMS,
# LT_TESTS; run by hand: LT_LIB=build/libleaktrace.so LT_VICTIMS=build/tests/victims
# LT_TESTS=tests bash tests/t_x.sh
set -u
: "${LT_LIB:?}" "${LT_VICTIMS:?}" "${LT_TESTS:?}"
command -v go >/dev/null || { echo "go tool pprof is required (apt-get install golang-go)"; exit 1; }
T=$(mktemp -d /tmp/leaktrace-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

ok() { echo "PASS $1"; passed=$((passed + 1)); }
ko() { echo "FAIL $1"; failed=$((failed + 1)); }

# expect NAME EXPECTED ACTUAL
expect() {
  if [[ "$2" == "$3" ]]; then ok "$1 = $2"; else ko "$1: expected '$2', got '$3'"; fi
}

# expect_true NAME COMMAND...
expect_true() {
  local name=$1; shift
  if "$@"; then ok "$name"; else ko "$name"; fi
}

# traced COMMAND...: runs under the preload, output prefix $T/p unless set
traced() { LD_PRELOAD=$LT_LIB LEAKTRACE_OUT=${LEAKTRACE_OUT:-$T/p} "$@"; }

query() { python3 "$LT_TESTS/pprof_query.py" "$@"; }
# total PROFILE SAMPLE_TYPE FUNCTION [KEY=VALUE]
total() { query total "$@"; }

# profile PID SEQ [heap|fd]: the snapshot file's path under $T/p
profile() { echo "$T/p.$1.$(printf %04d "$2").${3:-heap}.pb.gz"; }

# free_port: a TCP port nothing listens on at 127.0.0.1 (the kernel's pick)
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for FILE [SECONDS]
wait_for() {
  local i
  for ((i = 0; i < ${2:-10} * 20; i++)); do [[ -e $1 ]] && return 0; sleep 0.05; done
  return 1
}

finish() {
  echo "$passed passed, $failed failed"
  [[ $failed == 0 ]]
  exit $?
}
