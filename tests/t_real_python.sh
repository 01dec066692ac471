# python3 doing real work (dicts, sorting, json, regex, hashing, zlib,
# threads, classes) under the preload: same output and exit code, readable
# exit snapshot.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
py=$(python_bin)
[[ -n $py ]] || { echo "SKIP: python3 not installed"; exit 0; }
cat >"$T/work.py" <<'PY'
import collections, hashlib, json, re, sys, threading, zlib

words = ["w%05d" % ((i * 7919) % 100003) for i in range(200000)]
counts = collections.Counter(w[:4] for w in words)
print("distinct prefixes", len(counts), "top", counts.most_common(3))
table = {w: i for i, w in enumerate(words)}
print("table", len(table), sum(table.values()) % 1000003)
doc = json.dumps({"items": [{"id": i, "name": w, "tags": [w[:2], w[-2:]]} for i, w in enumerate(words[:50000])]})
back = json.loads(doc)
print("json", len(doc), len(back["items"]), back["items"][12345]["name"])
text = " ".join(words[:100000])
print("regex", len(re.findall(r"w0+(\d)\d*7\b", text)))
print("sha256", hashlib.sha256(text.encode()).hexdigest())
z = zlib.compress(text.encode() * 3, 6)
print("zlib", len(z), len(zlib.decompress(z)))

class Node:
    def __init__(self, value, nxt):
        self.value, self.next = value, nxt

head = None
for i in range(100000):
    head = Node(i, head)
total = 0
while head:
    total += head.value
    head = head.next
print("list", total)

results = [0, 0]
def work(k):
    results[k] = sum(len(str(x * x)) for x in range(k, 300000, 2))
threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("threads", results)
print("sorted", sorted(words, key=lambda w: (w[::-1], w))[:3])
sys.stderr.write("python done\n")
sys.exit(0)
PY
real_check python "$py" "$T/work.py"
finish
