# A program that dup2s onto a number of the tracer's (here its copy of
# stderr) owns that number from then on: its close of it closes it, with
# descriptor tracking on or off. Before, with LEAKTRACE_FD=0 nothing took
# the tracer's mark off the number: the program's close was refused (its
# pipe never saw EOF), and the tracer would close the program's descriptor
# as its own.
source "$LT_TESTS/lib.sh"
V=$LT_VICTIMS/fd_takeover

plain=$(ulimit -n 64; "$V" 2>"$T/err")
expect "untraced" "dup2 onto the copy: read -> EOF" "$plain"
for fd_setting in 1 0; do
  out=$(ulimit -n 64; LEAKTRACE_FD=$fd_setting LEAKTRACE_REPORT=0 traced "$V" 2>"$T/err")
  expect "LEAKTRACE_FD=$fd_setting: exit code" 0 $?
  expect "LEAKTRACE_FD=$fd_setting" "$plain" "$out"
done
finish
