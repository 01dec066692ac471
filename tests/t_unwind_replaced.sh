# A library replaced on disk while the program runs (what a package upgrade
# does under a running service): the file at its path is another build, whose
# unwind rules and names are not the loaded code's. The fast walk must notice
# (the build ids differ), say so in one line, and leave that library's frames
# to libunwind, which reads the loaded rules: stacks stay exact. The
# symbolizer must not name them from the wrong file.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

n=40 s=3000
cp "$LT_VICTIMS/libupgrade_a.so" "$T/libupgrade.so"
mkfifo "$T/in"
exec 3<>"$T/in"
LEAKTRACE_UNWIND_CHECK=1 IN="$T/in" start_traced host "$LT_VICTIMS/upgrade_host" \
  "$T/libupgrade.so" $n $s
for ((i = 0; i < 200; i++)); do grep -q loaded "$T/host.out" && break; sleep 0.05; done
expect "plugin loaded" loaded "$(head -n 1 "$T/host.out")"
# Replaced as package managers do: a new file renamed over the old name.
cp "$LT_VICTIMS/libupgrade_b.so" "$T/libupgrade.so.new"
mv "$T/libupgrade.so.new" "$T/libupgrade.so"
echo go >&3
wait "$tpid"
expect "exit code" 0 $?
exec 3>&-
expect "program output" "leaked $n blocks of $s bytes" "$(tail -n 1 "$T/host.out")"
expect "one line says the library changed" 1 \
  "$(grep -c "libupgrade.so changed on disk since it was loaded: its frames are unwound by libunwind" "$T/host.err")"
check=$(grep 'unwind check:' "$T/host.err" | tail -n 1)
expect "no stack differs from libunwind's ($check)" 0 "$(sed -n 's/.* \([0-9]*\) mismatches$/\1/p' <<<"$check")"
# Names: the file at the path is the new build, whose names at the old
# addresses are other functions'; the tracer names none from it, and the
# profile's mapping keeps the loaded build's id (for pprof to find that
# build elsewhere), not the file's.
f=$(profile "$vpid" 1)
expect "no name from the new build at the old addresses" 0 \
  "$(total "$f" inuse_space upgrade_new_feature)"
build_id() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
mapping=$(go tool pprof -raw "$f" 2>/dev/null | sed -n '/^Mappings/,$p' | grep ' [^ ]*/libupgrade.so ')
expect "the plugin's mapping has the loaded build's id" "$(build_id "$LT_VICTIMS/libupgrade_a.so")" \
  "$(awk '{print $4}' <<<"$mapping")"
finish
