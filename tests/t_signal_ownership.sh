# The program's own handler for the snapshot signal wins; ours is invisible.
. "$LT_TESTS/lib.sh"
V=$LT_VICTIMS/signal_owner
usr1=$(kill -l USR1)
rounds=3

# sysv_signal and sigset go to the kernel past sigaction (glibc's internal
# one): before, the tracer kept answering for the signal after them.
for mode in sigaction signal sysv_signal sigset; do
  out=$(cd "$T" && traced "$V" "$usr1" "$mode" "$rounds" 2>"$T/err.$mode")
  expect "$mode: program sees the default disposition first" "yes" \
    "$(sed -n 's/^initial disposition default: //p' <<<"$out")"
  expect "$mode: program's handler gets every signal" "$rounds" \
    "$(sed -n 's/^handler calls: //p' <<<"$out")"
  expect "$mode: one notice naming the signal" 1 \
    "$(grep -c 'the program handles USR1 itself: signal snapshots are off' "$T/err.$mode")"
  expect "$mode: the notice says how to choose another" 1 \
    "$(grep -c 'LEAKTRACE_SIGNAL' "$T/err.$mode")"
done

# SIGUSR1 ignored by the process that started the program (trap '' USR1):
# the ignore is the program's, as untraced; one line says snapshots are off.
out=$(cd "$T" && trap '' USR1 && traced "$V" "$usr1" none 2 2>"$T/err.ignored")
expect "inherited ignore: the program sees it" "no" \
  "$(sed -n 's/^initial disposition default: //p' <<<"$out")"
expect "inherited ignore: the program runs to the end" "handler calls: 0" "$(tail -n 1 <<<"$out")"
expect "inherited ignore: one line says so" 1 \
  "$(grep -c 'the program ignores USR1 already: signal snapshots are off' "$T/err.ignored")"
rm -f "$T"/p.*

# signal() as glibc's: SIG_ERR refused with EINVAL, siginterrupt() obeyed,
# for the snapshot signal and for others.
for sig in USR1 USR2; do
  plain=$(timeout 10 "$V" "$(kill -l $sig)" semantics 0)
  expect "untraced, $sig" "signal(SIG_ERR): SIG_ERR, errno EINVAL
read interrupted: yes" "$plain"
  expect "traced, $sig: same answers" "$plain" \
    "$(cd "$T" && LEAKTRACE_QUIET=1 traced timeout 10 "$V" "$(kill -l $sig)" semantics 0)"
done

# No handler of its own: each signal is a snapshot (3 signals + exit), and
# the program keeps running.
rm -f "$T"/p.*
out=$(cd "$T" && LEAKTRACE_QUIET=1 traced "$V" "$usr1" none "$rounds")
expect "no handler: program runs to the end" "handler calls: 0" "$(tail -n 1 <<<"$out")"
count=$(ls "$T"/p.*.heap.pb.gz | wc -l)
expect_true "no handler: at least 2 snapshot files (signals merge; exit adds one)" \
  test "$count" -ge 2
last=$(ls "$T"/p.*.heap.pb.gz | sort | tail -n 1)
expect "no handler: leak_site in the last snapshot" 100 "$(total "$last" inuse_space leak_site)"

# LEAKTRACE_SIGNAL=USR2 while the program owns USR1: snapshots on USR2 work.
rm -f "$T"/p.*
LEAKTRACE_SIGNAL=USR2 LEAKTRACE_AT_EXIT=0 traced "$V" "$(kill -l USR2)" none 1 >/dev/null 2>"$T/err.usr2"
expect "USR2: one snapshot from the signal" 1 "$(ls "$T"/p.*.heap.pb.gz 2>/dev/null | wc -l)"
finish
