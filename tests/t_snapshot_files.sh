# Snapshot files: an unwritable output directory (missing, read-only) gives
# an error line naming the lost SEQ and leaves the program's output and exit
# code alone; a symlink at the target name is refused and its target never
# created or written; files have mode 0600 whatever the umask.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=10 s=64 code=7 v=$LT_VICTIMS/heap_steps
printf 'inner %d %d\nexit %d\n' $n $s $code >"$T/cmds"
timeout 30 "$v" <"$T/cmds" >"$T/plain.out" 2>/dev/null
expect "untraced exit code" $code $?

# names_seq FILE PID SEQ: an error line of FILE names snapshot SEQ of PID
names_seq() {
  leaktrace_lines "$1" | grep -qE "\.$2\.$(printf %04d "$3")\.|snapshot $(printf %04d "$3") of process $2"
}

echo "--- LEAKTRACE_OUT=/nonexistent/dir/p"
LEAKTRACE_OUT=/nonexistent/dir/p LEAKTRACE_FD=0 IN=$T/cmds run_traced missing "$v"
expect "exit code" $code "$rc"
expect_true "program output unchanged" cmp -s "$T/plain.out" "$T/missing.out"
expect_true "error line naming SEQ 0001" names_seq "$T/missing.err" $vpid 1
expect "'wrote' lines" 0 "$(grep -c '^leaktrace: wrote' "$T/missing.err")"
# said at start-up (most runs snapshot only at exit), then one line for
# the lost snapshot (it was three: each file's, then the snapshot's)
expect "the lines" "leaktrace: LEAKTRACE_OUT=/nonexistent/dir/p: /nonexistent/dir: No such file or directory; snapshots cannot be written there
leaktrace: snapshot 0001 of process $vpid not written: cannot create /nonexistent/dir/p.$vpid.0001.heap.pb.gz.tmp: No such file or directory" \
  "$(leaktrace_lines "$T/missing.err")"
cat "$T/missing.err"

echo "--- LEAKTRACE_OUT naming a directory (out/, .): files named leaktrace.* inside it"
mkdir "$T/outdir" "$T/cwd"
LEAKTRACE_OUT=$T/outdir/ LEAKTRACE_FD=0 IN=$T/cmds run_traced slash "$v"
expect "out/: the files" "leaktrace.$vpid.0001.heap.pb.gz" "$(ls -A "$T/outdir")"
(cd "$T/cwd" && LEAKTRACE_OUT=. LEAKTRACE_FD=0 IN=$T/cmds run_traced dot "$v")
expect ".: the files" "leaktrace.$(cat "$T/dot.pid").0001.heap.pb.gz" "$(ls -A "$T/cwd")"

echo "--- read-only output directory"
mkdir -m 0555 "$T/ro"
chmod 0755 "$T" # the unprivileged victim reaches $T/ro
as_user=()
if [[ $(id -u) == 0 ]]; then
  # root writes anywhere: run the victim as nobody
  if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    as_user=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
  fi
fi
if [[ $(id -u) == 0 && ${#as_user[@]} == 0 ]]; then
  echo "SKIP read-only directory: running as root without setpriv or user nobody"
else
  # setpriv itself runs under the preload (start_traced execs it): with the
  # tracer's snapshot thread it aborts in glibc's setxid broadcast (its
  # capset/PR_SET_KEEPCAPS are per thread), so no signal: no thread.
  LEAKTRACE_SIGNAL=none LEAKTRACE_OUT=$T/ro/p LEAKTRACE_FD=0 IN=$T/cmds run_traced ro "${as_user[@]}" "$v"
  expect "exit code" $code "$rc"
  expect_true "program output unchanged" cmp -s "$T/plain.out" "$T/ro.out"
  expect_true "error line naming SEQ 0001" names_seq "$T/ro.err" $vpid 1
  expect "files in the read-only directory" "" "$(ls -A "$T/ro")"
  cat "$T/ro.err"
fi

echo "--- a symlink at the target name"
echo keep >"$T/existing"
LEAKTRACE_FD=0 steps_start links
ln -s "$T/target" "$(profile $vpid 1)"   # to a name that does not exist
ln -s "$T/existing" "$(profile $vpid 2)" # to a file that does
step "inner $n $s"
for seq in 1 2; do
  kill -USR1 $vpid
  for ((i = 0; i < 200; i++)); do names_seq "$T/links.err" $vpid $seq && break; sleep 0.05; done
  expect_true "snapshot $seq refused with an error line naming it" names_seq "$T/links.err" $vpid $seq
done
expect_true "signal snapshot 3 written" snap_signal $vpid 3
steps_end
expect "exit code" 0 "$rc"
expect_true "the link's target was not created" [ ! -e "$T/target" ]
expect "the existing target's content" keep "$(cat "$T/existing")"
expect_true "the links are still links" [ -L "$(profile $vpid 1)" -a -L "$(profile $vpid 2)" ]
expect "'wrote' lines (signal 3, exit 4)" "leaktrace: wrote $(profile $vpid 3)
leaktrace: wrote $(profile $vpid 4)" "$(grep '^leaktrace: wrote' "$T/links.err")"
check_site "$(profile $vpid 4)" leak_inner $n $((n * s)) $n $((n * s))
cat "$T/links.err"

echo "--- mode 0600 whatever the umask"
for mask in 000 022 077; do
  (umask $mask && LEAKTRACE_OUT=$T/m$mask IN=$T/cmds run_traced umask$mask "$v")
  for f in "$T/m$mask".*.pb.gz; do
    expect "umask $mask: mode of ${f##*/}" 600 "$(stat -c %a "$f")"
  done
done
expect "temporary files left" "" "$(ls "$T" | grep '\.tmp$')"
echo "--- exec keeps the PID: the new image's snapshots follow the old image's"
# Before, the new image started again at SEQ 0001 and renamed over the
# snapshot taken before the exec.
LEAKTRACE_FD=0 steps_start execd
step "early 3 100"
expect_true "snapshot on SIGUSR1 before the exec" snap_signal $vpid 1
step "exec"
step "late 5 40"
steps_end
expect "exit code" 0 "$rc"
expect "SEQs" "1 2" "$(seqs "$T/p" $vpid | xargs)"
check_site "$(profile $vpid 1)" leak_early 3 300 3 300
expect "no leak_late before the exec" "0 0 0 0" "$(query values "$(profile $vpid 1)" leak_late)"
check_site "$(profile $vpid 2)" leak_late 5 200 5 200
finish
