# Self-contained profiles: names, file:line and inlined frames are in the
# file, readable where the binaries are gone; and LEAKTRACE_SYMBOLIZE=0.
. "$LT_TESTS/lib.sh"
count=25 size=48
heap_of() { ls "$T"/p.*.heap.pb.gz | head -n 1; }
run() { rm -f "$T"/p.*; (cd "$T" && LEAKTRACE_REPORT=0 traced "$@" >/dev/null 2>"$T/err"); }

# Portable: copy the binary, trace the copy, then take the copy away and
# read the profile from another directory.
cp "$LT_VICTIMS/sym_inline" "$T/victim"
run "$T/victim" $count $size
mkdir "$T/elsewhere" && mv "$(heap_of)" "$T/elsewhere/heap.pb.gz" && rm "$T/victim"
top=$(cd "$T/elsewhere" && go tool pprof -top -lines heap.pb.gz 2>/dev/null)
expect_true "binary gone: -top -lines names outer_leak_site with sym_inline.c:line" \
  grep -qE 'outer_leak_site .*sym_inline\.c:[0-9]+' <<<"$top"
expect_true "binary gone: main named too" grep -qE ' main .*sym_inline\.c:[0-9]+' <<<"$top"
expect "binary gone: exact bytes" $((count * size)) "$(total "$T/elsewhere/heap.pb.gz" inuse_space outer_leak_site)"

# -O2 inlining: the helper and its caller are both frames of one location.
frames=$(query frames "$T/elsewhere/heap.pb.gz" inline_leak_helper)
expect "inlined helper first, then the function it was inlined into" \
  "inline_leak_helper outer_leak_site main" "$(cut -d' ' -f1-3 <<<"$frames")"
expect "inlined helper carries the bytes" $((count * size)) \
  "$(total "$T/elsewhere/heap.pb.gz" inuse_space inline_leak_helper)"

# C++: demangled, as pprof shows C++ names.
run "$LT_VICTIMS/sym_cxx" $count
expect_true "C++ method demangled in -top" \
  grep -q 'app::SessionCache::remember(int)' <<<"$(go tool pprof -top "$(heap_of)" 2>/dev/null)"
expect "C++ leak: one std::string object per entry at remember()" $count \
  "$(total "$(heap_of)" inuse_objects 'app::SessionCache::remember(int)' | awk -v c=$count '{print ($1 >= c) ? c : $1}')"

# Stripped: a library with no .symtab still has its exported names (.dynsym).
cp "$LT_VICTIMS/libdl_plugin.so" "$T/libstripped.so" && strip --strip-all "$T/libstripped.so"
expect "the copy has no .symtab" 0 "$(readelf -S "$T/libstripped.so" | grep -c '\.symtab')"
run "$LT_VICTIMS/dl_host" "$T/libstripped.so" 2 $count $size 0 0
expect "stripped library: leak named from .dynsym, exact bytes" $((2 * count * size)) \
  "$(total "$(heap_of)" inuse_space plugin_leak_site)"

# LEAKTRACE_SYMBOLIZE=0: addresses, mappings and build ids only; pprof names
# what it can find itself.
LEAKTRACE_SYMBOLIZE=0 run "$LT_VICTIMS/sym_inline" $count $size
raw=$(go tool pprof -raw -symbolize=none "$(heap_of)" 2>/dev/null)
expect "SYMBOLIZE=0: no function names in the file" 0 "$(grep -c outer_leak_site <<<"$raw")"
build_id=$(readelf -n "$LT_VICTIMS/sym_inline" | sed -n 's/.*Build ID: //p')
expect_true "SYMBOLIZE=0: the program's mapping carries its build id" grep -q "sym_inline $build_id" <<<"$raw"
expect "SYMBOLIZE=0: pprof symbolizes from the binary, exact bytes" $((count * size)) \
  "$(total "$(heap_of)" inuse_space outer_leak_site)"
finish
