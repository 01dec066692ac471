# Another allocator in LD_PRELOAD with libleaktrace.so (jemalloc, tcmalloc,
# glibc's libc_malloc_debug), in either order.
# After libleaktrace.so: the program's calls reach the tracer, which passes
# them on to the allocator: exact numbers at the leak sites, and the program
# runs as it does with the allocator alone.
# Before it: the program's malloc and free are the allocator's, which the
# tracer never sees: one warning line says so and what to do (before: no
# word, and an empty profile). The program runs as with the allocator alone;
# operator new and delete, which still reach the tracer where the allocator
# lacks them (libc_malloc_debug), pair with the allocator's malloc and free
# (before: new took glibc's malloc, delete the allocator's free:
# free(): invalid pointer, status 134, under MALLOC_CHECK_=3).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

lib_dir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# gperftools' full libtcmalloc.so.4 unwinds its own allocations with
# libunwind: before libleaktrace.so it hung at start-up (libunwind's pipe2,
# under libunwind's lock, reached the tracer's hook, whose start-up and
# capture asked libunwind again).
allocators=( # FILE PACKAGE
  "libjemalloc.so.2 libjemalloc2"
  "libtcmalloc_minimal.so.4 libtcmalloc-minimal4"
  "libtcmalloc.so.4 libgoogle-perftools4"
  "libc_malloc_debug.so.0 libc6"
)
export MALLOC_CHECK_=3 # libc_malloc_debug checks every free; the others ignore it
n=20 s=192 len=37 # heap_alloc (see t_heap_alloc)
rounds=40         # heap_new_pairs
c_victim=("$LT_VICTIMS/heap_alloc" $n $s $len)
cxx_victim=("$LT_VICTIMS/heap_new_pairs" $rounds)

# alone NAME ALLOCATOR COMMAND...: the reference run, the allocator preloaded
# alone; $T/NAME.plain.out/.err, plain_rc
alone() {
  local name=$1 alloc=$2
  shift 2
  LD_PRELOAD=$alloc timeout 60 "$@" </dev/null >"$T/$name.plain.out" 2>"$T/$name.plain.err"
  plain_rc=$?
}

# as_alone NAME: the traced run NAME ended and printed as the reference did
as_alone() {
  expect "$1: exit status (alone: $plain_rc)" "$plain_rc" "$rc"
  expect_true "$1: stdout as alone" cmp -s "$T/$1.plain.out" "$T/$1.out"
  grep -v '^leaktrace: ' "$T/$1.err" >"$T/$1.err.program"
  expect_true "$1: stderr as alone, the tracer's lines aside" cmp -s "$T/$1.plain.err" "$T/$1.err.program"
}

# n_sum EXPR: the sum of EXPR over heap_new_pairs' block sizes (n, one a round)
n_sum() {
  local i n total=0
  for ((i = 0; i < rounds; i++)); do
    n=$((24 + i % 7 * 40))
    total=$((total + $1))
  done
  echo $total
}

# after ALLOCATOR: LD_PRELOAD=libleaktrace.so:ALLOCATOR
after() {
  local alloc=$1 f
  alone c_after "$alloc" "${c_victim[@]}"
  LT_LIB=$LT_LIB:$alloc LEAKTRACE_FD=0 run_traced c_after "${c_victim[@]}"
  as_alone c_after
  expect "c_after: the tracer's lines" "" "$(leaktrace_lines "$T/c_after.err")"
  f=$(profile $vpid 1)
  #          function             alloc_objects alloc_space  inuse_objects inuse_space
  check_site "$f" leak_malloc          $n $((n * s))        $n $((n * s))
  check_site "$f" leak_calloc          $n $((n * 3 * s))    $n $((n * 3 * s))
  check_site "$f" leak_memalign        $n $((n * s))        $n $((n * s))
  check_site "$f" leak_strdup          $n $((n * (len + 1))) $n $((n * (len + 1)))
  check_site "$f" realloc_middle       $n $((n * 2 * s))    0 0

  alone cxx_after "$alloc" "${cxx_victim[@]}"
  LT_LIB=$LT_LIB:$alloc LEAKTRACE_FD=0 run_traced cxx_after "${cxx_victim[@]}"
  as_alone cxx_after
  f=$(profile $vpid 1)
  local r=$rounds
  check_site "$f" leak_objects   $r $((r * 48))   $r $((r * 48))
  check_site "$f" leak_aligned   $r $((r * 128))  $r $((r * 128))
  check_site "$f" leak_c_blocks  $r $((r * 1000)) $r $((r * 1000))
  # every new form released by a delete form: counted, none left in use
  check_site "$f" plain_pairs    $((8 * r)) $(($(n_sum '7 * n') + 48 * r)) 0 0
  check_site "$f" aligned_pairs  $((8 * r)) $(($(n_sum '6 * n') + 384 * r)) 0 0
  # malloc, new, aligned new, aligned_alloc, new and its realloc to 2n
  check_site "$f" crossing_pairs $((6 * r)) "$(n_sum '6 * n + (n + 63) / 64 * 64')" 0 0
}

# before ALLOCATOR: LD_PRELOAD=ALLOCATOR:libleaktrace.so
before() {
  local alloc=$1 i bad=()
  local ours=${LT_LIB##*/}
  local warning="leaktrace: malloc and free come from $alloc, which is loaded before $ours: the heap is not traced; put $ours first in LD_PRELOAD"
  alone c_before "$alloc" "${c_victim[@]}"
  LT_LIB=$alloc:$LT_LIB LEAKTRACE_FD=0 run_traced c_before "${c_victim[@]}"
  as_alone c_before
  expect "c_before: the tracer's lines" "$warning" "$(leaktrace_lines "$T/c_before.err")"
  expect "c_before: the heap is not traced, as the line says (leak_malloc)" "0 0 0 0" \
    "$(query values "$(profile $vpid 1)" leak_malloc)"

  alone cxx_before "$alloc" "${cxx_victim[@]}"
  for i in 1 2 3 4 5; do
    LT_LIB=$alloc:$LT_LIB LEAKTRACE_FD=0 run_traced cxx_before "${cxx_victim[@]}"
    [[ $rc == "$plain_rc" ]] && cmp -s "$T/cxx_before.plain.out" "$T/cxx_before.out" &&
      [[ $(leaktrace_lines "$T/cxx_before.err") == "$warning" ]] ||
      bad+=("run $i: status $rc, $(head -c 200 "$T/cxx_before.err" | tr '\n' ' ')")
  done
  expect "cxx_before: runs (of 5) whose status, stdout or tracer lines differ from alone ($plain_rc, $(cat "$T/cxx_before.plain.out"))" \
    "" "${bad[*]}"
}

for entry in "${allocators[@]}"; do
  read -r file package <<<"$entry"
  alloc=$lib_dir/$file
  if [[ ! -e $alloc ]]; then
    echo "SKIP $file: not installed (apt-get install $package)"
    continue
  fi
  echo "--- LD_PRELOAD=libleaktrace.so:$file"
  after "$alloc"
  echo "--- LD_PRELOAD=$file:libleaktrace.so"
  before "$alloc"
done
finish
