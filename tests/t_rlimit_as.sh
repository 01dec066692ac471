# A process that lowers its RLIMIT_AS after start-up, below or near the
# address space the tracer reserved for its tables. Before, the exit
# snapshot crashed it inside libdw, out of memory (SIGSEGV at 400 MB and
# below, 5 of 5); now it gets a profile (unsymbolized when libdw had no
# room: its numbers are whole all the same) or an error line.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

# sample_values PROFILE: each sample's four values, one sample a line
sample_values() {
  timeout 60 go tool pprof -raw "$1" 2>/dev/null |
    awk '/^Samples:/ { on = 1; next } /^Locations/ { on = 0 } on && /:/ { sub(/:.*/, ""); $1 = $1; print }'
}

n=6 s=700 v=$LT_VICTIMS/rlimit_as
for mb in 100 400; do
  rm -f "$T"/p.*
  LEAKTRACE_FD=0 run_traced as$mb "$v" $mb $n $s
  expect "$mb MB: exit code (139: crashed)" 0 "$rc"
  expect "$mb MB: output" done "$(cat "$T/as$mb.out")"
  p=$(profile $vpid 1)
  if [[ ! -e $p ]]; then
    expect "$mb MB: no profile, and a line says why" 1 \
      "$(grep -c "^leaktrace: snapshot 0001 of process $vpid not written: out of memory while building $p$" "$T/as$mb.err")"
  elif [[ $(query values "$p" leak_after_limit) == "0 0 0 0" ]]; then # no names
    expect "$mb MB: unsymbolized, the leak's sample whole" 1 \
      "$(sample_values "$p" | grep -cx "$n $((n * s)) $n $((n * s))")"
  else
    check_site "$p" leak_after_limit $n $((n * s)) $n $((n * s))
  fi
done
# With room to spare, the profile is whole.
rm -f "$T"/p.*
LEAKTRACE_FD=0 run_traced as2000 "$v" 2000 $n $s
expect "2000 MB: exit code" 0 "$rc"
check_site "$(profile $vpid 1)" leak_after_limit $n $((n * s)) $n $((n * s))
finish
