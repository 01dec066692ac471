# A snapshot decoded by protoc with tests/profile.proto (independently of go
# tool pprof): the wire format is a valid perftools.profiles.Profile, with
# Go's heap sample types, consistent ids, mappings with path and build id,
# and the leak's exact values at a location whose function is the leaker.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
command -v protoc >/dev/null || { echo "SKIP: protoc missing (apt-get install protobuf-compiler)"; exit 0; }

n=17 s=333
printf 'inner %d %d\n' $n $s >"$T/cmds"
LEAKTRACE_FD=0 IN=$T/cmds run_traced steps "$LT_VICTIMS/heap_steps"
expect "exit code" 0 "$rc"
f=$(profile $vpid 1)
expect_true "gzip stream valid" gzip -t "$f"
gzip -dc "$f" | protoc --decode perftools.profiles.Profile --proto_path="$LT_TESTS" profile.proto \
  >"$T/decoded.txt" 2>"$T/protoc.err"
expect "protoc --decode exit code ($(head -c 300 "$T/protoc.err"))" 0 "${PIPESTATUS[1]}"

build_id=$(readelf -n "$LT_VICTIMS/heap_steps" | awk '/Build ID/ {print $3}')
python3 - "$T/decoded.txt" "$LT_VICTIMS/heap_steps" $n $s "$build_id" <<'PY' >"$T/checks.txt"
import sys

def parse(lines):
    """protoc's text format -> dict of field -> list of values (messages are dicts)."""
    msg = {}
    for line in lines:
        line = line.strip()
        if line == "}":
            return msg
        if line.endswith("{"):
            msg.setdefault(line[:-1].strip(), []).append(parse(lines))
        elif line:
            key, _, val = line.partition(": ")
            msg.setdefault(key, []).append(val[1:-1] if val.startswith('"') else int(val) if val.lstrip("-").isdigit() else val)
    return msg

p = parse(iter(open(sys.argv[1]).read().splitlines()))
exe, n, s = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
strings = [x.encode().decode("unicode_escape") for x in p.get("string_table", [])]
one = lambda m, k: m.get(k, [0])[0]
st = lambda i: strings[i]
def check(name, want, got):
    print(("PASS" if want == got else "FAIL") + f" {name}: expected {want!r}, got {got!r}")

check("string_table[0]", "", strings[0] if strings else None)
check("sample_type", [("alloc_objects", "count"), ("alloc_space", "bytes"),
                      ("inuse_objects", "count"), ("inuse_space", "bytes")],
      [(st(one(t, "type")), st(one(t, "unit"))) for t in p.get("sample_type", [])])
check("default_sample_type", "inuse_space", st(one(p, "default_sample_type")))
pt = one(p, "period_type")
check("period_type", ("space", "bytes"), (st(one(pt, "type")), st(one(pt, "unit"))) if pt else None)
check("time_nanos set", True, one(p, "time_nanos") > 0)

maps = {one(m, "id"): m for m in p.get("mapping", [])}
locs = {one(l, "id"): l for l in p.get("location", [])}
funcs = {one(f, "id"): f for f in p.get("function", [])}
check("mapping ids unique and nonzero", len(p.get("mapping", [])), len([i for i in maps if i]))
check("location ids unique and nonzero", len(p.get("location", [])), len([i for i in locs if i]))
check("function ids unique and nonzero", len(p.get("function", [])), len([i for i in funcs if i]))
first = p["mapping"][0] if p.get("mapping") else {}
check("mapping[0] is the main program", exe, st(one(first, "filename")))
check("its build id (readelf -n)", sys.argv[5], st(one(first, "build_id")))
check("every mapping has a path and a build id", [],
      [one(m, "id") for m in maps.values() if not st(one(m, "filename")) or not st(one(m, "build_id"))])
bad = [i for i, l in locs.items() if one(l, "mapping_id") not in maps
       or not one(maps[one(l, "mapping_id")], "memory_start") <= one(l, "address")
       < one(maps[one(l, "mapping_id")], "memory_limit")]
check("every location in its mapping's range", [], bad)
check("every line names a known function", [],
      [i for i, l in locs.items() for ln in l.get("line", []) if one(ln, "function_id") not in funcs])
check("every sample: known locations, 4 values", [],
      [k for k, smp in enumerate(p.get("sample", [])) if len(smp.get("value", [])) != 4
       or any(i not in locs for i in smp.get("location_id", []))])

def name(loc_id):  # the outermost (non-inlined) function of a location
    lines = locs[loc_id].get("line", [])
    return st(one(funcs[one(lines[-1], "function_id")], "name")) if lines else ""
leak = [smp["value"] for smp in p.get("sample", []) if name(smp["location_id"][0]) == "leak_inner"]
check("samples starting in leak_inner", 1, len(leak))
check("leak_inner values", [n, n * s, n, n * s], leak[0] if leak else None)
check("no tracer function in the profile", [],
      [st(one(f, "name")) for f in funcs.values() if st(one(f, "name")).startswith("lt_")])
PY
cat "$T/checks.txt"
passed=$((passed + $(grep -c ^PASS "$T/checks.txt")))
failed=$((failed + $(grep -c ^FAIL "$T/checks.txt")))
expect_true "the checks ran" grep -q "leak_inner values" "$T/checks.txt"
finish
