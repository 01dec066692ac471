# The tracer's own threads (snapshot, HTTP endpoint) run 10 nice levels
# below the program (capped at 19), so that writing a profile never takes a
# core from the program's threads for a whole time slice; the program's
# threads keep their priority.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
source "$LT_TESTS/svc_lib.sh"

# nice_of PID NAME: the nice value of PID's thread called NAME (stat field 19)
nice_of() {
  local task
  for task in /proc/"$1"/task/*; do
    if [[ $(cat "$task/comm") == "$2" ]]; then
      sed 's/.*) //' "$task/stat" | awk '{print $17}'
      return
    fi
  done
}

n=3 size=100
for base in 0 5 15; do
  port=$(free_port)
  launch "n$base" yes LEAKTRACE_OUT="$T/n$base" LEAKTRACE_HTTP="127.0.0.1:$port" \
    nice -n "$base" "$LT_VICTIMS/svc_idle" $n $size
  svc_kill+=("$lpid")
  until_true 20 grep -q '^ready$' "$T/n$base.out"
  until_true 20 test -n "$(nice_of "$lpid" leaktrace-http)"
  want=$((base + 10 > 19 ? 19 : base + 10))
  expect "nice $base: the program's thread keeps its priority" "$base" "$(nice_of "$lpid" svc_idle)"
  expect "nice $base: the snapshot thread" "$want" "$(nice_of "$lpid" leaktrace)"
  expect "nice $base: the HTTP endpoint's thread" "$want" "$(nice_of "$lpid" leaktrace-http)"
  # and it still does its work: a snapshot on request, exact
  kill -USR1 "$lpid"
  f=$(profile "$lpid" 1)
  f=${f/\/p./\/n$base.}
  expect_true "nice $base: a snapshot is written" wait_for "$f" 20
  expect "nice $base: inuse_space at leak_held" $((n * size)) "$(total "$f" inuse_space leak_held)"
  kill "$lpid"
  wait "$tpid" 2>/dev/null
done
finish
