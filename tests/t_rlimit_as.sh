# A process that lowers its RLIMIT_AS after start-up, below or near the
# address space the tracer reserved for its tables. Before, the exit
# snapshot crashed it inside libdw, out of memory (SIGSEGV at 400 MB and
# below, 5 of 5); now it gets an unsymbolized profile or an error line.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=6 s=700 v=$LT_VICTIMS/rlimit_as
for mb in 100 400; do
  rm -f "$T"/p.*
  LEAKTRACE_FD=0 run_traced as$mb "$v" $mb $n $s
  expect "$mb MB: exit code (139: crashed)" 0 "$rc"
  expect "$mb MB: output" done "$(cat "$T/as$mb.out")"
  if [[ -e $(profile $vpid 1) ]]; then
    check_site "$(profile $vpid 1)" leak_after_limit $n $((n * s)) $n $((n * s))
  else
    expect "$mb MB: no profile, and a line says why" 1 \
      "$(grep -c "^leaktrace: snapshot 0001 of process $vpid not written: out of memory while building $(profile $vpid 1)$" "$T/as$mb.err")"
  fi
done
# With room to spare, the profile is whole.
rm -f "$T"/p.*
LEAKTRACE_FD=0 run_traced as2000 "$v" 2000 $n $s
expect "2000 MB: exit code" 0 "$rc"
check_site "$(profile $vpid 1)" leak_after_limit $n $((n * s)) $n $((n * s))
finish
