# vfork children run in the parent's memory: what they close, dup2 over or
# open before exec/_exit must leave the parent's records alone.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_fd.sh"

p=5 rounds=20
LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/p" \
  "$LT_VICTIMS/fd_vfork" $p $rounds >"$T/out" 2>"$T/err"
expect "exit code" 0 $?
expect "children" "children $rounds ok" "$(grep '^children' "$T/out")"
f=$(profile "$(victim_pid "$T/out")" 1 fd)
check_fds "$f" "parent_leak file $p $p
child_open - 0 0"
expect "inuse_fds over the whole profile" $p "$(query sum "$f" inuse_fds)"
expect "alloc_fds over the whole profile" $p "$(query sum "$f" alloc_fds)"

# Python's subprocess vforks (3.10+) and closes every descriptor in the
# child: the parent's profile is the same with or without a subprocess.
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
cat >"$T/leak.py" <<'PY'
import os, subprocess, sys
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(int(sys.argv[1]))]
if sys.argv[2] == "spawn":
    for _ in range(5):
        subprocess.run(["true"], check=True)
PY
for run in alone spawn; do
  mkdir "$T/$run"
  LEAKTRACE_REPORT=0 timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/$run/p" \
    "$py" "$T/leak.py" $p $run >/dev/null 2>"$T/$run.err"
  expect "python $run: exit code" 0 $?
done
alone=$(query sum "$(ls "$T"/alone/p.*.fd.pb.gz)" inuse_fds)
expect_true "python: at least the $p leaked descriptors open ($alone)" test "$alone" -ge $p
# the parent is the process whose profile has alloc_fds (its children exec'd)
for f in "$T"/spawn/p.*.fd.pb.gz; do
  (($(query sum "$f" alloc_fds) > 0)) && spawn=$(query sum "$f" inuse_fds)
done
expect "python: inuse_fds after 5 subprocesses as without" "$alone" "${spawn:-none}"

# A vfork child that calls exit() (not _exit): it runs in its parent's
# memory, and wrote the parent's tables as its own exit snapshot, under its
# pid. Now it writes none, and one line says why (its exit also uses up the
# parent's exit handlers, as untraced it uses up the program's).
mkdir "$T/vfexit"
out=$(timeout 60 env LD_PRELOAD="$LT_LIB" LEAKTRACE_OUT="$T/vfexit/p" LEAKTRACE_REPORT=0 \
  "$LT_VICTIMS/vfork_exit" 3 100 2>"$T/vfexit.err")
expect "vfork child's exit(): exit code" 0 $?
child=$(sed -n 's/^child \([0-9]*\) exit 0$/\1/p' <<<"$out")
expect_true "vfork child's exit(): the child ended with 0 ($out)" test -n "$child"
expect "vfork child's exit(): no snapshot under the child's pid" "" \
  "$(ls "$T/vfexit" | grep "^p\.$child\." || true)"
expect_true "vfork child's exit(): one line says why" \
  grep -q "process $child, a vfork child, calls exit(): no exit snapshot" "$T/vfexit.err"
finish
