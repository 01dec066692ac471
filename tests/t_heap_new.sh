# C++: new, new[], nothrow, aligned new and sized/aligned delete, each counted
# exactly once at the caller of operator new; new's semantics unchanged.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=30 s=200 obj=48 aligned=128 # obj, aligned: sizeof(Obj), sizeof(Aligned) (the victim checks)
for name in heap_new heap_new_static; do
  v=$LT_VICTIMS/$name
  echo "--- $name"

  timeout 60 "$v" $n $s $obj $aligned >"$T/$name.plain.out" 2>"$T/$name.plain.err"
  plain_rc=$?
  LEAKTRACE_FD=0 run_traced $name "$v" $n $s $obj $aligned
  expect "exit code (untraced $plain_rc)" "$plain_rc" "$rc"
  expect_true "program output identical to the untraced run" cmp -s "$T/$name.plain.out" "$T/$name.out"
  expect "tracer stderr" "leaktrace: wrote $T/p.$vpid.0001.heap.pb.gz" "$(cat "$T/$name.err")"
  for line in "new char[huge]: std::bad_alloc" "operator new(huge): std::bad_alloc" \
    "aligned operator new(huge): std::bad_alloc, new-handler called 1 time(s)" \
    "new (nothrow) char[huge]: nullptr" "kept $((6 * n)) blocks"; do
    expect_true "traced output has: $line" grep -qxF "$line" "$T/$name.out"
  done

  f=$(profile $vpid 1)
  #          function             alloc_objects alloc_space          inuse_objects inuse_space
  check_site "$f" leak_new            $n $((n * obj))              $n $((n * obj))
  check_site "$f" leak_new_array      $n $((n * s))                $n $((n * s))
  check_site "$f" leak_nothrow        $((2 * n)) $((n * (obj + s))) $((2 * n)) $((n * (obj + s)))
  check_site "$f" leak_aligned_new    $n $((n * aligned))          $n $((n * aligned))
  check_site "$f" leak_aligned_array  $n $((n * 2 * aligned))      $n $((n * 2 * aligned))
  check_site "$f" churn_sized_delete  $((2 * n)) $((n * (obj + aligned))) 0 0
  check_site "$f" churn_array_delete  $n $((n * s))                0 0

  # The stack starts at the caller of operator new; with a static libstdc++
  # operator new is the program's own code, so it may come first (pprof_query
  # shows a name's first word: "operator").
  for fn in leak_new leak_new_array leak_nothrow leak_aligned_new leak_aligned_array; do
    frames=$(query frames "$f" $fn)
    [[ $v == *_static ]] && frames=$(sed -E 's/^(operator )+//' <<<"$frames")
    expect "$name: innermost frame of the $fn stack" "$fn" "${frames%% *}"
  done
  [[ $v == *_static ]] || expect "tracer, hook or operator new frames" "" "$(own_frames "$f")"
done
echo "--- heap_new_replaced: the program replaces operator new(size_t) and delete(void *)"
# libstdc++'s other forms forward to the replacements, traced as untraced;
# before, new[] bypassed the program's operator new and the sized delete
# freed its header-offset pointer (free(): invalid pointer, abort).
leaks=5 v=$LT_VICTIMS/heap_new_replaced
timeout 60 "$v" $leaks >"$T/repl.plain.out" 2>&1
expect "untraced exit code" 0 $?
LEAKTRACE_FD=0 LEAKTRACE_REPORT=0 run_traced repl "$v" $leaks
expect "exit code" 0 "$rc"
expect "program output identical to the untraced run" "$(cat "$T/repl.plain.out")" "$(cat "$T/repl.out")"
expect_true "every form reached the replacement" grep -qx "end: news=$((4 + leaks)) deletes=4" "$T/repl.out"
# the replacement mallocs 32 + 16 bytes an object, at leak_replaced's call
check_site "$(profile $vpid 1)" leak_replaced $leaks $((leaks * 48)) $leaks $((leaks * 48))
finish
