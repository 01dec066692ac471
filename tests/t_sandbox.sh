# A program that confines itself with seccomp (sshd's pre-auth child,
# vsftpd, file(1)): after its filter, a system call outside the filter's
# list kills the whole process. The victim's filter allows memory, futexes,
# signals, reads and writes of what is open, and kills on anything else
# (open, rename, poll, sigaltstack, ...).
# Before, every mode below died of SIGSYS at exit (status 159): the exit
# snapshot opened its file on the confined thread.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
v=$LT_VICTIMS/sandbox

# start MODE: the victim, held at its read of stdin (fd 3 writes it)
start() {
  rm -f "$T/$1.in"
  mkfifo "$T/$1.in"
  exec 3<>"$T/$1.in"
  IN="$T/$1.in" TIMEOUT=30 start_traced "$1" "$v" "$1"
  for ((i = 0; i < 200; i++)); do grep -q sandboxed "$T/$1.out" && return 0; sleep 0.05; done
  echo "no 'sandboxed' line from mode $1"
  return 1
}
# end: lets it exit; sets rc
end() {
  echo x >&3
  exec 3>&-
  wait "$tpid"
  rc=$?
}

expected_out() {
  echo x | "$v" "$1" 2>&1
}

# confined_for_good MODE: the run of MODE ended as untraced, wrote no
# snapshot and said why in one line (the endpoint's aside)
confined_for_good() {
  expect "$1: exit code" 0 "$rc"
  expect "$1: output as untraced" "$(expected_out "$1")" "$(cat "$T/$1.out")"
  expect "$1: no snapshot" "" "$(cd "$T" && ls p.* 2>/dev/null)"
  expect "$1: one line says so" \
    "leaktrace: process $vpid confines itself with seccomp: no snapshot is written from now on (a system call of the tracer's could get it killed)" \
    "$(leaktrace_lines "$T/$1.err" | grep -v 'serving')"
}

# Confining one thread (prctl, syscall(SYS_seccomp), the same with junk in
# the operation's upper half, which the kernel ignores, or with a listener,
# whose success returns a descriptor): the tracer's thread, which no filter
# binds, writes the signal snapshot and the exit snapshot; both hold the
# leaks from before and after the filter, exact.
for mode in prctl libc high listener; do
  start $mode
  snap_signal "$vpid" 1
  expect "$mode: the signal snapshot is written" 0 $?
  end $mode
  expect "$mode: exit code (159: killed by SIGSYS)" 0 "$rc"
  expect "$mode: output as untraced" "$(expected_out $mode)" "$(cat "$T/$mode.out")"
  for seq in 1 2; do
    check_site "$(profile "$vpid" $seq)" before_sandbox 3 3000 3 3000
    check_site "$(profile "$vpid" $seq)" in_sandbox 4 8000 4 8000
  done
  expect "$mode: the snapshot's stack reaches main" "in_sandbox main" \
    "$(query frames "$(profile "$vpid" 2)" in_sandbox | cut -d' ' -f1-2)"
  expect "$mode: one line says so" \
    "leaktrace: process $vpid confines a thread with seccomp: from now on the tracer's own thread writes its snapshots, and processes it forks write none" \
    "$(leaktrace_lines "$T/$mode.err")"
done

# A thread started after the filter is confined from birth: its stack is
# walked without libunwind or pthread_getattr_np (both make system calls).
start thread
end thread
expect "thread: exit code" 0 "$rc"
expect "thread: output as untraced" "$(expected_out thread)" "$(cat "$T/thread.out")"
check_site "$(profile "$vpid" 1)" in_thread 5 15000 5 15000
expect "thread: the confined thread's stack" "in_thread start_thread" \
  "$(query frames "$(profile "$vpid" 1)" in_thread | cut -d' ' -f1-2)"

# A child forked after the filter is confined too, and writes nothing; the
# parent's exit snapshot is still written.
rm -f "$T"/p.*
start fork
end fork
expect "fork: exit code" 0 "$rc"
expect "fork: output as untraced" "$(expected_out fork)" "$(cat "$T/fork.out")"
expect "fork: only the parent's snapshot" "$(basename "$(profile "$vpid" 1)")" \
  "$(cd "$T" && ls p.*.heap.pb.gz)"
check_site "$(profile "$vpid" 1)" in_sandbox 4 8000 4 8000

# A child that execs after the filter: the new program inherits it, and
# runs untraced (the library left LD_PRELOAD): the tracer's start-up would
# have read files the filter forbids.
rm -f "$T"/p.*
start exec
end exec
expect "exec: exit code" 0 "$rc"
expect "exec: output as untraced (the exec'd program said hello)" "$(expected_out exec)" \
  "$(cat "$T/exec.out")"
expect "exec: only the parent's snapshot" "$(basename "$(profile "$vpid" 1)")" \
  "$(cd "$T" && ls p.*.heap.pb.gz)"

# Strict mode (only read, write, exit and sigreturn left; the program ends
# by SYS_exit): the hooks pass straight through from then on, and the
# tracer's threads stop first, or the process would outlive its last thread.
rm -f "$T"/p.*
start strict
end strict
confined_for_good strict

# Every thread confined (SECCOMP_FILTER_FLAG_TSYNC), the tracer's too, with
# the HTTP endpoint on: its thread is stopped before the filter (it polls
# every 200 ms), the signal is taken and ignored, and nothing is written.
rm -f "$T"/p.*
LEAKTRACE_HTTP=127.0.0.1:$(free_port) start tsync
kill -USR1 "$vpid"
sleep 0.6
end tsync
confined_for_good tsync
finish
