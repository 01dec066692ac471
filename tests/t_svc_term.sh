# Stopping a service that has no handler of its own (victims/svc_idle.c):
# SIGTERM or SIGINT keeps its default action under the tracer (the process
# dies by the signal, the tracer catches neither) and so there is no exit
# snapshot. The README's recipe (snapshot signal, wait for the file, then
# TERM) keeps a last snapshot, exact.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
source "$LT_TESTS/svc_lib.sh"

n=40 size=2500
v=$LT_VICTIMS/svc_idle

# start NAME: the victim, traced, with SIGINT and SIGTERM at their default
# action (a background job of a script starts with SIGINT ignored)
start() {
  launch "$1" yes LEAKTRACE_OUT="$T/$1" env --default-signal=INT,TERM "$v" $n $size
  pid=$lpid
  until_true 20 grep -q '^ready$' "$T/$1.out"
}

# caught PID SIGNAL: "yes" if PID has a handler for SIGNAL (SigCgt)
caught() {
  local mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status") bit=$(($(kill -l "$2") - 1))
  (((16#$mask >> bit) & 1)) && echo yes || echo no
}

for sig in TERM INT; do
  start "$sig"
  expect "$sig: the tracer handles USR1 (its snapshot signal)" yes "$(caught "$pid" USR1)"
  expect "$sig: nobody handles $sig" no "$(caught "$pid" "$sig")"
  kill -s "$sig" "$pid"
  wait "$tpid"
  rc=$?
  expect "$sig: killed by the signal (exit code 128+$(kill -l "$sig"))" $((128 + $(kill -l "$sig"))) $rc
  expect "$sig: no snapshot files" "" "$(ls "$T" | grep "^$sig\\.[0-9]")"
  expect "$sig: no tracer lines" "" "$(grep '^leaktrace: ' "$T/$sig.err")"
done

# The README's recipe (Behaviour, "Stopping a service"), with the test's prefix.
start recipe
cd "$T" || exit 1
n_before=$(ls recipe.$pid.*.fd.pb.gz 2>/dev/null | wc -l)
kill -USR1 "$pid"
until_true 60 eval '[ "$(ls recipe.$pid.*.fd.pb.gz 2>/dev/null | wc -l)" -gt "$n_before" ]'
kill -TERM "$pid"
wait "$tpid"
rc=$?
expect "recipe: killed by TERM" $((128 + $(kill -l TERM))) $rc
expect "recipe: SEQs (the one asked for)" 1 "$(seqs "$T/recipe" "$pid" | xargs)"
check_site "$(snap "$T/recipe" "$pid" 1)" leak_held $n $((n * size)) $n $((n * size))
finish
