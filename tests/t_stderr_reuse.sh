# The tracer's lines go to the stderr the program started with: never into
# a file or socket that later took descriptor 2. Once the program has let
# its stderr go, the tracer's copy goes too, half a second later unless the
# process exits first, so that a daemon's caller is not held; a stderr pipe
# nobody reads any more does not kill the program with SIGPIPE.
. "$LT_TESTS/lib.sh"
count=12 size=100

# The program closes stderr and opens a file that gets number 2, takes a
# signal snapshot at once and exits 0.3 s later: every line of the tracer is
# within the grace, on the original stderr.
(cd "$T" && traced "$LT_VICTIMS/stderr_reuse" "$T/data.txt" $count $size 2>"$T/err")
expect "exit code" 0 $?
expect "the program's file holds only its own lines" "data 1,data 2" "$(paste -sd, "$T/data.txt")"
expect "the signal snapshot's line went to the original stderr" 1 \
  "$(grep -c "^leaktrace: wrote .*p\.[0-9]*\.0001\.heap\.pb\.gz" "$T/err")"
expect "the exit snapshot's line too" 1 "$(grep -c "^leaktrace: wrote .*p\.[0-9]*\.0002\.heap\.pb\.gz" "$T/err")"
expect "the report names the leak, exact" 1 \
  "$(grep -c "^leaktrace:   $((count * size)) bytes in $count objects allocated from:" "$T/err")"

# A daemon points 0-2 at /dev/null (itself, or through glibc's daemon(),
# whose dup2 no hook sees): its caller's $(...) ends half a second later
# (the grace in which an exit would still print), not when the daemon exits.
# Before, the tracer's duplicate of stderr held the pipe for the daemon's
# whole life. A daemon that blocks every signal gets no timer tick from the
# tracer (writer processes): the copy goes at once.
for how in detach daemon blocked; do
  waited=$(cd "$T" && python3 - "$LT_LIB" "$LT_VICTIMS/stderr_reuse" "$how" <<'PY'
import os, subprocess, sys, time
env = dict(os.environ, LD_PRELOAD=sys.argv[1], LEAKTRACE_OUT="p3" + sys.argv[3])
t = time.monotonic()
p = subprocess.Popen([sys.argv[2], sys.argv[3], "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
out = p.stdout.read()  # EOF once no process holds the pipe's write end
print("%.1f" % (time.monotonic() - t), len(out))
p.wait()
PY
)
  echo "$how: pipe EOF after (seconds, bytes read): $waited"
  expect_true "$how: the caller's pipe ends while the daemon still runs, with nothing in it ($waited)" \
    python3 -c "import sys; s, n = sys.argv[1].split(); sys.exit(not (float(s) < 2.5 and n == '0'))" "$waited"
  [[ $how == blocked ]] && continue
  for ((i = 0; i < 100; i++)); do ls "$T"/p3$how.*.0001.heap.pb.gz >/dev/null 2>&1 && break; sleep 0.1; done
  expect "$how: the daemon's signal snapshot is written" 1 "$(ls "$T"/p3$how.*.0001.heap.pb.gz 2>/dev/null | wc -l)"
done

# Closing stderr right before exit (tar, xz): the exit lines still appear.
(cd "$T" && LEAKTRACE_OUT=p4 traced "$LT_VICTIMS/stderr_reuse" close-exit $count $size 2>"$T/err4")
expect "fclose(stderr) then exit: exit code" 0 $?
expect "fclose(stderr) then exit: the exit snapshot's line" 1 "$(grep -c '^leaktrace: wrote .*p4\.' "$T/err4")"
expect "fclose(stderr) then exit: the report names the leak, exact" 1 \
  "$(grep -c "^leaktrace:   $((count * size)) bytes in $count objects allocated from:" "$T/err4")"

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
