# Every function of the malloc family leaks known blocks in its own named
# function; the exit snapshot must show exactly those counts and sizes at
# exactly those functions, and glibc's edge-case semantics must be unchanged.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=25 s=192 len=37 # 2*s is a multiple of aligned_alloc's 128
v=$LT_VICTIMS/heap_alloc

timeout 60 "$v" $n $s $len >"$T/plain.out" 2>"$T/plain.err"
plain_rc=$?
LEAKTRACE_FD=0 run_traced traced "$v" $n $s $len
pid=$vpid
expect "exit code (untraced $plain_rc)" "$plain_rc" "$rc"
expect_true "program output identical to the untraced run" cmp -s "$T/plain.out" "$T/traced.out"
expect "tracer stderr" "leaktrace: wrote $T/p.$pid.0001.heap.pb.gz" "$(cat "$T/traced.err")"
# glibc's answers, as the untraced run printed them too (aligned_alloc's is
# version-dependent: only compared with the untraced run above)
for line in "free(NULL) returned" "calloc overflow: NULL errno=ENOMEM" \
  "reallocarray overflow: NULL errno=ENOMEM" "posix_memalign(align 3): EINVAL, out untouched=yes" \
  "posix_memalign(align 4): EINVAL" "malloc_usable_size >= size: yes" \
  "malloc_usable_size(NULL) = 0" "malloc(huge): NULL errno=ENOMEM" "kept $((11 * n)) blocks"; do
  expect_true "traced output has: $line" grep -qxF "$line" "$T/traced.out"
done

f=$(profile $pid 1)
#          function             alloc_objects alloc_space  inuse_objects inuse_space
check_site "$f" leak_malloc          $n $((n * s))        $n $((n * s))
check_site "$f" leak_calloc          $n $((n * 3 * s))    $n $((n * 3 * s))
check_site "$f" leak_posix_memalign  $n $((n * s))        $n $((n * s))
check_site "$f" leak_aligned_alloc   $n $((n * 2 * s))    $n $((n * 2 * s))
check_site "$f" leak_memalign        $n $((n * s))        $n $((n * s))
check_site "$f" leak_valloc          $n $((n * s))        $n $((n * s))
check_site "$f" leak_pvalloc         $n $((n * s))        $n $((n * s)) # requested, not page-rounded
check_site "$f" leak_reallocarray    $n $((n * 5 * s))    $n $((n * 5 * s))
check_site "$f" leak_realloc_null    $n $((n * s))        $n $((n * s))
check_site "$f" leak_strdup          $n $((n * (len + 1))) $n $((n * (len + 1)))
# realloc chain s -> 2s -> 4s: each step an allocation at its caller, only the last block live
check_site "$f" realloc_first        $n $((n * s))        0 0
check_site "$f" realloc_middle       $n $((n * 2 * s))    0 0
check_site "$f" realloc_final        $n $((n * 4 * s))    $n $((n * 4 * s))
check_site "$f" leak_realloc_chain   $((3 * n)) $((n * 7 * s)) $n $((n * 4 * s))
# realloc(p, 0) frees p
check_site "$f" free_by_realloc0     $n $((n * s))        0 0

# Stacks start at the caller of the interposed function: the named function is
# the innermost frame, except for strdup whose caller is libc's strdup.
for fn in leak_malloc leak_calloc realloc_final leak_pvalloc leak_reallocarray; do
  frames=$(query frames "$f" $fn)
  expect "innermost frame of the $fn stack" "$fn" "${frames%% *}"
done
frames=$(query frames "$f" leak_strdup)
read -r first second _ <<<"$frames"
expect "strdup stack starts in libc's strdup ($first)" strdup "$(grep -o strdup <<<"$first")"
expect "strdup stack: its caller next" leak_strdup "$second"
expect "tracer or hook frames in the profile" "" "$(own_frames "$f")"
finish
