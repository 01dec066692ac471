# A signal handler of the program opens and closes a descriptor while its
# thread is often inside the tracer's hooks (malloc/free bookkeeping). Those
# calls are the program's: each descriptor really closed, none moved away or
# protected as the tracer's, none left counted in the fd profile.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

ms=700
LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" \
  "$LT_VICTIMS/fd_signal" $ms >"$T/out" 2>"$T/err"
expect "exit code" 0 $?
pid=$(victim_pid "$T/out")
read -r _ opens _ still _ moved < <(grep '^opens ' "$T/out")
expect_true "the handler ran often ($opens opens)" test "${opens:-0}" -ge 100
expect "descriptors the handler closed that are still open" 0 "$still"
expect "descriptors of the handler's moved to the tracer's range" 0 "$moved"
f=$(profile "$pid" 1 fd)
expect "inuse_fds at the handler" 0 "$(query total "$f" inuse_fds handler_open_close)"
expect "inuse_fds over the whole profile" 0 "$(query sum "$f" inuse_fds)"
finish
