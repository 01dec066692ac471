# The exit snapshot comes after the destructors of every library: a block a
# library frees in its destructor (a C++ library's static objects) is not
# live at exit. Before, the snapshot ran in the tracer's own destructor,
# before those of the libraries the program links (initialized before the
# tracer, so finalized after it): victims/exit_dtor_free showed its
# library's 7 blocks live at exit, and the leak report counted them.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=50 s=200 # more than stdout's 4096-byte buffer: first in the report
LEAKTRACE_FD=0 LEAKTRACE_REPORT=1 run_traced dtor "$LT_VICTIMS/exit_dtor_free" $n $s
expect "exit code" 0 "$rc"
read -r _ blocks size <"$T/dtor.out"
f=$(profile $vpid 1)
check_site "$f" dtor_free_alloc $blocks $((blocks * size)) 0 0
check_site "$f" main_leak $n $((n * s)) $n $((n * s))
expect "leak report: main_leak's blocks first" "leaktrace:   $((n * s)) bytes in $n objects allocated from:" \
  "$(grep -m1 'bytes in .* allocated from' "$T/dtor.err")"
expect "leak report: nothing of the library" "" "$(grep dtor_free_alloc "$T/dtor.err")"
finish
