# Every entry point that makes a descriptor leaks N of them from its own named
# function; every release path opens and closes M; THREADS threads churn and
# leak at once. The exit snapshot's fd profile must hold exactly those counts,
# at those functions, with the kind the call implies.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

n=4 m=7 threads=4
# The victim keeps about 70 * n descriptors open at the end.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
(($(ulimit -n) < 80 * n)) && n=$(($(ulimit -n) / 80))
v=$LT_VICTIMS/fd_entry
mkdir "$T/run"
LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" \
  "$v" "$T/run" $n $m $threads >"$T/out" 2>"$T/err"
expect "exit code" 0 $?
expect_true "victim finished" grep -qx done "$T/out"
pid=$(victim_pid "$T/out")
f=$(profile $pid 1 fd)
expect_true "exit snapshot wrote $f" test -f "$f"

# function, kind, descriptors made per call (n calls each)
leaks="
leak_open file 1
leak_open64 file 1
leak_openat file 1
leak_openat64 file 1
leak_open_2 file 1
leak_open64_2 file 1
leak_openat_2 file 1
leak_openat64_2 file 1
leak_open_creat file 1
leak_creat file 1
leak_creat64 file 1
leak_open_dir dir 1
leak_open_dir_probe dir 1
leak_open_fifo pipe 1
leak_open_socket socket 1
leak_mkstemp file 1
leak_mkostemp file 1
leak_mkstemps file 1
leak_mkostemps file 1
leak_posix_openpt file 1
leak_shm_open file 1
leak_memfd_create memfd 1
leak_socket socket 1
leak_socketpair socket 2
leak_accept socket 1
leak_accept4 socket 1
leak_pipe pipe 2
leak_pipe2 pipe 2
leak_openpty file 2
leak_epoll_create epoll 1
leak_epoll_create1 epoll 1
leak_eventfd eventfd 1
leak_timerfd_create timerfd 1
leak_signalfd signalfd 1
leak_inotify_init inotify 1
leak_inotify_init1 inotify 1
leak_pidfd_open other 1
leak_dup eventfd 1
leak_dup2 eventfd 1
leak_dup3 eventfd 1
leak_fcntl_dupfd eventfd 1
leak_fcntl_dupfd_cloexec eventfd 1
leak_fcntl64_dupfd eventfd 1
leak_fopen file 1
leak_fopen64 file 1
leak_fopen_fifo pipe 1
leak_tmpfile file 1
leak_tmpfile64 file 1
leak_popen pipe 1
leak_opendir dir 1
leak_fdopen file 1
leak_fdopendir dir 1
leak_recvmsg eventfd 1
leak_recvmmsg eventfd 1
leak_fanotify_init other 1"

rows="" expected_inuse=0
while read -r fn kind per; do
  [[ -z $fn ]] && continue
  if grep -q "^skip $fn:" "$T/out"; then
    echo "SKIP $fn ($(grep "^skip $fn:" "$T/out"))"
    continue
  fi
  rows+="$fn $kind $((n * per)) $((n * per))"$'\n'
  rows+="$fn - $((n * per)) $((n * per))"$'\n' # no descriptor of another kind there
  expected_inuse=$((expected_inuse + n * per))
done <<<"$leaks"

# freopen: the fopen'ed descriptor is released, freopen's kept (both at the function)
rows+="leak_freopen file $((2 * n)) $n
leak_freopen64 file $((2 * n)) $n
"
expected_inuse=$((expected_inuse + 2 * n))

# release paths: descriptors made per round, none left open
rows+="churn_close - $m 0
churn_fclose - $m 0
churn_pclose - $m 0
churn_closedir - $m 0
churn_fdopen - $m 0
churn_fdopendir - $m 0
churn_freopen - $((2 * m)) 0
churn_dup2_over - $((3 * m)) 0
churn_dup3_over - $((3 * m)) 0
churn_pipe2 - $((2 * m)) 0
churn_socketpair - $((2 * m)) 0
churn_close_range - $m 0
churn_closefrom - $m 0
thread_churn - $((threads * m * 3)) 0
thread_leak eventfd $((threads * n)) $((threads * n))
"
expected_inuse=$((expected_inuse + threads * n))
check_fds "$f" "$rows"

# setup(): a bound unix socket, the listener and 2n clients, the eventfd,
# the SCM_RIGHTS socketpair. Nothing else is open in the profile: not the
# tracer's descriptors, not the inherited 0-2.
setup_fds=$((1 + 1 + 2 * n + 1 + 2))
check_fds "$f" "setup - $setup_fds $setup_fds"
expect "inuse_fds over the whole profile" $((expected_inuse + setup_fds)) "$(query sum "$f" inuse_fds)"

# Stacks start at the caller of the interposed call.
for fn in leak_open leak_fopen leak_opendir leak_popen leak_accept4 leak_recvmsg leak_fcntl_dupfd; do
  frames=$(query frames "$f" $fn)
  expect "innermost frame of the $fn stack" "$fn" "${frames%% *}"
done
expect "tracer frames in the fd profile" "" "$(tracer_mapping "$f")"
expect "tracer frames in the heap profile" "" "$(tracer_mapping "$(profile $pid 1)")"
finish
