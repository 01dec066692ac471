# A signal handler on an 8 KiB alternate stack allocates and opens files:
# traced, it runs as untraced (before, libunwind's walk and the loader's lazy
# binding each overflowed such a stack: SIGSEGV), and its allocations are
# counted exactly, at least at the handler's frame.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=20 s=72 v=$LT_VICTIMS/sig_altstack
timeout 30 "$v" $n $s >"$T/plain.out" 2>&1
expect "untraced exit code" 0 $?
for sample in 0 1; do
  LEAKTRACE_SAMPLE=$sample LEAKTRACE_REPORT=0 run_traced alt$sample "$v" $n $s
  expect "LEAKTRACE_SAMPLE=$sample: exit code" 0 "$rc"
  expect "LEAKTRACE_SAMPLE=$sample: output as untraced" "$(cat "$T/plain.out")" "$(cat "$T/alt$sample.out")"
  f=$(profile $vpid 1)
  check_site "$f" leak_in_handler $n $((n * s)) $n $((n * s))
  check_site "$f" leak_after $n $((n * s)) $n $((n * s))
  expect "LEAKTRACE_SAMPLE=$sample: on the thread's own stack, whole stacks" "leak_after main" \
    "$(query frames "$f" leak_after | cut -d' ' -f1-2)"
done
finish
