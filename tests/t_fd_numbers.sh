# The program gets the descriptor numbers it gets untraced, and its
# close-everything loops never break the tracer or the program: the
# tracer's own descriptors (its copy of stderr, libunwind's address-check
# pipe, the HTTP socket) are moved out of its way and kept from its closes,
# with descriptor tracking on or off. Before, with LEAKTRACE_FD=0 the copy of
# stderr took number 3, libunwind's pipe took 3 and 4 whenever its first use
# came inside a hook, and a forked child's close of the HTTP socket closed
# the program's pipe instead. fd_numbers_ctor is the same program linked
# with a library whose constructor allocates before the tracer's constructor
# runs (as libselinux's in ls): libunwind's pipe, opened for that block's
# stack, took 3 and 4, and the program's first open returned 5.
source "$LT_TESTS/lib.sh"

port=$(free_port)
for V in "$LT_VICTIMS/fd_numbers" "$LT_VICTIMS/fd_numbers_ctor"; do
  for redirect in "" "<&-"; do
    plain=$(eval "timeout 20 \"$V\" $redirect")
    echo "untraced ${redirect:-(stdin open)}: $plain"
    expect_true "untraced run finished" grep -q "child status 0" <<<"$plain"
    for fd_setting in 1 0; do
      for http in "" "127.0.0.1:$port"; do
        what="${V##*/} LEAKTRACE_FD=$fd_setting${http:+ LEAKTRACE_HTTP=$http} ${redirect:-(stdin open)}"
        # only the victim traced: timeout would take the HTTP port first
        out=$(cd "$T" && eval "timeout 20 env LD_PRELOAD=\"$LT_LIB\" LEAKTRACE_OUT=p \
          LEAKTRACE_FD=$fd_setting LEAKTRACE_HTTP=$http LEAKTRACE_QUIET=1 \"$V\" $redirect" 2>"$T/err")
        expect "$what: the program's numbers and results" "$plain" "$out"
        expect "$what: no stderr line" "" "$(grep -v '^leaktrace: serving' "$T/err")"
      done
    done
  done
done
finish
