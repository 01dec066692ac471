# Libraries loaded and unloaded while other threads allocate: no deadlock
# (the loader lock against the tracer's), and the leaks of an unloaded
# library keep their names.
. "$LT_TESTS/lib.sh"
. "$LT_TESTS/lib_heap.sh"
plugin=$LT_VICTIMS/libdl_plugin.so
rounds=200 count=3 size=40 threads=3 churn=200000

out=$(cd "$T" && timeout 120 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" LEAKTRACE_REPORT=0 \
  "$LT_VICTIMS/dl_host" "$plugin" $rounds $count $size $threads $churn 2>"$T/err")
expect "no deadlock, exit 0" "0 done" "$? $out"
heap=$(ls "$T"/p.*.heap.pb.gz)
expect "unloaded plugin's leak is named, exact bytes" $((rounds * count * size)) \
  "$(total "$heap" inuse_space plugin_leak_site)"
expect "unloaded plugin's leak, objects" $((rounds * count)) "$(total "$heap" inuse_objects plugin_leak_site)"
expect "the churning threads' leaks" $((threads * churn / 100 * 32)) \
  "$(total "$heap" inuse_space churn_leak_site)"

# The same under the cross-check of the fast unwinder: stacks through a
# library that comes and goes are still libunwind's.
(cd "$T" && timeout 120 env LD_PRELOAD="$LT_LIB" LEAKTRACE_UNWIND_CHECK=1 LEAKTRACE_AT_EXIT=0 \
  LEAKTRACE_REPORT=0 "$LT_VICTIMS/dl_host" "$plugin" 20 $count $size 1 20000 >/dev/null 2>"$T/err2")
expect "unwind check through dlopen/dlclose: no mismatch" 1 "$(grep -c ' 0 mismatches$' "$T/err2")"
# fork while another thread loads and unloads a library: each child
# allocates from code the parent never ran, so the tracer reads new unwind
# rules in a child that may have inherited the loader's locks held. Untraced,
# every child exits; traced, too.
forks=200
want="forks $forks hung 0 failed 0"
expect "fork during dlopen/dlclose, untraced: every child exits" "$want" \
  "$(timeout 300 "$LT_VICTIMS/dl_fork" "$plugin" 2000 $forks $count $size)"
expect "fork during dlopen/dlclose, traced: every child exits" "$want" \
  "$(cd "$T" && timeout 300 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/f" LEAKTRACE_AT_EXIT=0 \
     LEAKTRACE_REPORT=0 "$LT_VICTIMS/dl_fork" "$plugin" 2000 $forks $count $size)"
# Snapshots by signal of a threaded program across a plugin's loads and
# unloads: the tracer's thread writes them in the process and lets go of
# all libdw read after each, keeping the names per address and the
# mappings. The plugin's leaks keep their names in every snapshot, both
# instances' (the second most likely at the first's address), and so do
# the program's own sites after them.
LEAKTRACE_FD=0 steps_start unloads
step "idle-thread"
step "plugin $plugin 3 $size"
expect_true "snapshot 1 after the first unload" snap_signal $vpid 1
step "plugin $plugin 2 $size"
expect_true "snapshot 2 after the second" snap_signal $vpid 2
early=5 early_size=16
step "early $early $early_size"
expect_true "snapshot 3" snap_signal $vpid 3
steps_end
expect "unloads: exit code" 0 "$rc"
check_site "$(profile $vpid 1)" plugin_leak_site 3 $((3 * size)) 3 $((3 * size))
for seq in 2 3; do
  check_site "$(profile $vpid $seq)" plugin_leak_site 5 $((5 * size)) 5 $((5 * size))
done
check_site "$(profile $vpid 3)" leak_early $early $((early * early_size)) $early $((early * early_size))
expect_true "snapshot 3 maps the unloaded plugin, with function names" \
  grep -q "libdl_plugin.so [0-9a-f]* \[FN\]" <<<"$(timeout 60 go tool pprof -raw "$(profile $vpid 3)" 2>/dev/null)"
finish
