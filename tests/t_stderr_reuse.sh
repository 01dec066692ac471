# The tracer's lines go to the stderr the program started with: never into
# a file or socket that later took descriptor 2, and a stderr pipe nobody
# reads any more does not kill the program with SIGPIPE.
. "$LT_TESTS/lib.sh"
count=12 size=100

(cd "$T" && traced "$LT_VICTIMS/stderr_reuse" "$T/data.txt" $count $size 2>"$T/err")
expect "exit code" 0 $?
expect "the program's file holds only its own lines" "data 1,data 2" "$(paste -sd, "$T/data.txt")"
expect "the signal snapshot's line went to the original stderr" 1 \
  "$(grep -c "^leaktrace: wrote .*p\.[0-9]*\.0001\.heap\.pb\.gz" "$T/err")"
expect "the exit snapshot's line too" 1 "$(grep -c "^leaktrace: wrote .*p\.[0-9]*\.0002\.heap\.pb\.gz" "$T/err")"
expect "the report names the leak, exact" 1 \
  "$(grep -c "^leaktrace:   $((count * size)) bytes in $count objects allocated from:" "$T/err")"

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
