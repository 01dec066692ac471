# Helpers of the descriptor tests (sourced after lib.sh).

# victim_pid OUTFILE: the pid an fd victim printed ("pid N", its first line)
victim_pid() { sed -n 's/^pid \([0-9]*\)$/\1/p' "$1" | head -n 1; }

# fd_values PROFILE FUNCTION[:KIND]...: one line "ALLOC INUSE" per argument,
# alloc_fds and inuse_fds summed over the samples holding FUNCTION (with
# label kind=KIND if given). The profile is read once, by go tool pprof.
fd_values() {
  python3 - "$LT_TESTS" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from pprof_query import Raw

raw = Raw(sys.argv[2])
alloc, inuse = raw.column("alloc_fds"), raw.column("inuse_fds")
for query in sys.argv[3:]:
    fn, _, kind = query.partition(":")
    hits = [s for s in raw.samples
            if fn in raw.stack(s) and (not kind or s["labels"].get("kind") == kind)]
    print(sum(s["values"][alloc] for s in hits), sum(s["values"][inuse] for s in hits))
PY
}

# check_fds PROFILE ROWS: ROWS holds lines "FUNCTION KIND ALLOC INUSE" (KIND
# "-" for any); each is compared with the profile.
check_fds() {
  local profile=$1 rows=$2 fn kind a i args=() want=() got line
  while read -r fn kind a i; do
    [[ -z $fn ]] && continue
    [[ $kind == - ]] && args+=("$fn") || args+=("$fn:$kind")
    want+=("$a $i")
  done <<<"$rows"
  mapfile -t got < <(fd_values "$profile" "${args[@]}")
  for ((line = 0; line < ${#args[@]}; line++)); do
    expect "${args[line]} alloc_fds inuse_fds" "${want[line]}" "${got[line]:-none}"
  done
}

# tracer_mapping PROFILE: mapping lines of the profile naming libleaktrace
# (a frame of the tracer's in some stack); none expected.
tracer_mapping() {
  timeout 60 go tool pprof -raw "$1" | sed -n '/^Mappings/,$p' | grep libleaktrace || true
}
