# The tracer's lines go to the stderr the program started with while the
# program keeps it: never into a file or socket that later took descriptor
# 2, and the caller's pipe is not held open once the program let it go. A
# stderr pipe nobody reads any more does not kill the program with SIGPIPE.
. "$LT_TESTS/lib.sh"
count=12 size=100

(cd "$T" && traced "$LT_VICTIMS/stderr_reuse" "$T/data.txt" $count $size 2>"$T/err")
expect "exit code" 0 $?
expect "the program's file holds only its own lines" "data 1,data 2" "$(paste -sd, "$T/data.txt")"
expect "no line of the tracer after the program closed its stderr" "" "$(cat "$T/err")"
expect "the signal and exit snapshots are written all the same" "0001 0002" \
  "$(ls "$T"/p.*.heap.pb.gz | sed -n 's/.*\.\([0-9]*\)\.heap\.pb\.gz$/\1/p' | xargs)"
last=$(ls "$T"/p.*.0002.heap.pb.gz)
expect "the exit snapshot holds the leak, exact" $((count * size)) "$(total "$last" inuse_space leak_site)"

# A daemon points 0-2 at /dev/null: its caller's $(...) ends then, not when
# the daemon exits (before, the tracer's duplicate of stderr held the pipe
# for the daemon's whole life).
waited=$(cd "$T" && python3 - "$LT_LIB" "$LT_VICTIMS/stderr_reuse" <<'PY'
import os, subprocess, sys, time
env = dict(os.environ, LD_PRELOAD=sys.argv[1], LEAKTRACE_OUT="p3")
t = time.monotonic()
p = subprocess.Popen([sys.argv[2], "detach", "3"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
p.stdout.read()  # EOF once no process holds the pipe's write end
print("%.1f" % (time.monotonic() - t), "running" if p.poll() is None else "exited")
p.wait()
PY
)
echo "pipe EOF after: $waited"
expect_true "the caller's pipe ends while the daemon still runs ($waited)" \
  python3 -c "import sys; s, state = sys.argv[1].split(); sys.exit(not (float(s) < 2.5 and state == 'running'))" "$waited"
expect "the daemon's signal snapshot is written" 1 "$(ls "$T"/p3.*.0001.heap.pb.gz 2>/dev/null | wc -l)"

# stderr a pipe whose reader is gone: the tracer's writes fail quietly.
status=$(cd "$T" && python3 - "$LT_LIB" "$LT_VICTIMS/http_grow" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
env = dict(os.environ, LD_PRELOAD=sys.argv[1], LEAKTRACE_OUT="p2")
p = subprocess.run([sys.argv[2], "5", "100", "0", "0"], stdout=subprocess.DEVNULL, stderr=w, env=env)
print(p.returncode)
PY
)
expect "stderr pipe closed: the program's exit status is unchanged" 0 "$status"
expect "stderr pipe closed: the exit snapshot is still written" 1 "$(ls "$T"/p2.*.heap.pb.gz 2>/dev/null | wc -l)"
finish
