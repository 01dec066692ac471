# Real programs under the preload, descriptor tracking on: the output of
# each, descriptor numbers included, is what it is untraced, and every fd
# profile they leave is readable by go tool pprof.
source "$LT_TESTS/lib.sh"

py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
cat >"$T/fds.py" <<'PY'
import os, select, socket, subprocess, sys, tempfile, threading
out = []
fd = os.open("/dev/null", os.O_RDONLY); out.append(("open", fd))
r, w = os.pipe(); out.append(("pipe", r, w))
a, b = socket.socketpair(); out.append(("socketpair", a.fileno(), b.fileno()))
d = os.dup(fd); out.append(("dup", d))
os.dup2(fd, 40); out.append(("dup2", 40))
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(8)
port = srv.getsockname()[1]
def serve():
    for _ in range(50):
        c, _ = srv.accept(); c.sendall(c.recv(100)); c.close()
t = threading.Thread(target=serve); t.start()
for i in range(50):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"x%d" % i)
    assert s.recv(100) == b"x%d" % i; s.close()
t.join()
with tempfile.TemporaryFile() as f: out.append(("tmpfile", f.fileno()))
p = subprocess.run(["sh", "-c", "exec 3>&1; echo child >&3"], capture_output=True, text=True)
out.append(("subprocess", p.stdout.strip()))
ep = select.epoll(); out.append(("epoll", ep.fileno())); ep.close()
for x in (fd, r, w, d, 40): os.close(x)
a.close(); b.close(); srv.close()
out.append(("after", os.open("/dev/null", os.O_RDONLY)))
print(out)
PY
mkdir -p "$T/tree/a/b" && seq 1000 >"$T/tree/a/b/numbers" && echo x >"$T/tree/a/x"

# NAME COMMAND: runs COMMAND (a shell line) plain and traced, compares
run_both() {
  local name=$1 cmd=$2
  timeout 60 bash -c "$cmd" >"$T/$name.plain" 2>&1
  local plain_rc=$?
  mkdir "$T/$name.out"
  LEAKTRACE_QUIET=1 LEAKTRACE_REPORT=0 LEAKTRACE_OUT="$T/$name.out/p" LD_PRELOAD="$LT_LIB" \
    timeout 60 bash -c "$cmd" >"$T/$name.traced" 2>&1
  expect "$name: exit code" $plain_rc $?
  expect_true "$name: output as untraced ($(head -c 200 "$T/$name.traced"))" \
    cmp -s "$T/$name.plain" "$T/$name.traced"
  local f bad=0 count=0
  for f in "$T/$name.out"/*.fd.pb.gz; do
    count=$((count + 1))
    timeout 60 go tool pprof -raw "$f" >/dev/null 2>&1 || bad=$((bad + 1))
  done
  expect "$name: unreadable fd profiles of $count" 0 $bad
}

run_both python "$py $T/fds.py"
run_both tar "tar -C $T/tree -cf - . | tar -tvf - | awk '{print \$3, \$6}' | sort"
run_both sort "seq 200000 | sort -S 64k -T $T -r | md5sum" # spills to mkstemp files
run_both find "find $T/tree -type f | sort; find $T/tree -name numbers -exec wc -l {} +"
run_both redirections "exec 3>$T/r.txt 4<&0; echo a >&3; exec 3>&-; cat $T/r.txt; ls $T/tree | while read x; do echo \$x; done"
finish
