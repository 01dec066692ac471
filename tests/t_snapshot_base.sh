# Two snapshots by SIGUSR1 with known growth between them: each snapshot's
# numbers, and `go tool pprof -base first second` shows exactly the growth.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n1=300 s1=100 n2=400 s2=72 n3=250 s3=1000 n4=50
LEAKTRACE_FD=0 steps_start steps
step "early $n1 $s1"
step "temp $n2 $s2"
expect_true "first snapshot on SIGUSR1" snap_signal $vpid 1
step "late $n3 $s3"
step "free-temp"
step "early $n4 $s1"
expect_true "second snapshot on SIGUSR1" snap_signal $vpid 2
steps_end
expect "exit code" 0 "$rc"
expect "files written (SEQs)" "1 2 3" "$(seqs "$T/p" $vpid | xargs)"
expect "tracer stderr" "leaktrace: wrote $(profile $vpid 1)
leaktrace: wrote $(profile $vpid 2)
leaktrace: wrote $(profile $vpid 3)" "$(cat "$T/steps.err")"

f1=$(profile $vpid 1) f2=$(profile $vpid 2)
check_site "$f1" leak_early $n1 $((n1 * s1)) $n1 $((n1 * s1))
check_site "$f1" temp_alloc $n2 $((n2 * s2)) $n2 $((n2 * s2))
check_site "$f1" leak_late 0 0 0 0
check_site "$f2" leak_early $((n1 + n4)) $(((n1 + n4) * s1)) $((n1 + n4)) $(((n1 + n4) * s1))
check_site "$f2" temp_alloc $n2 $((n2 * s2)) 0 0
check_site "$f2" leak_late $n3 $((n3 * s3)) $n3 $((n3 * s3))
# The growth, as go tool pprof -raw -base f1 f2 gives it
echo "--- -base"
check_site "$f1:$f2" leak_early $n4 $((n4 * s1)) $n4 $((n4 * s1))
check_site "$f1:$f2" temp_alloc 0 0 $((-n2)) $((-n2 * s2))
check_site "$f1:$f2" leak_late $n3 $((n3 * s3)) $n3 $((n3 * s3))
growth=$((n4 * s1 - n2 * s2 + n3 * s3))
expect "whole-profile inuse_space growth" $growth "$(query sum "$f1:$f2" inuse_space)"
# and as -top prints it (exact bytes with -unit=B)
top=$(timeout 60 go tool pprof -top -unit=B -base "$f1" "$f2" 2>&1)
echo "$top" | sed -n '1,12p'
expect_true "-top shows the growth" grep -qE "accounting for ${growth}B" <<<"$top"
finish
