#!/usr/bin/env python3
"""leaktrace benchmark suite (issue 5). Run through bench/run.sh, which builds
first; see bench/README.md for what each workload and column means.

  bench.py --build DIR [--quick] [--rounds N] [--only W,W] [--out FILE] [--json FILE]

Workloads: storm (T=1 and T=2), perl, redis, hold (1M live blocks), then the
snapshot, sampling-accuracy and syscall measurements. Columns: no tracer,
leaktrace exact, leaktrace sampled, heaptrack, and jemalloc without profiling,
with exact profiling and with sampled profiling. Runs are interleaved (one
run of every column, then the next round) and medians are reported.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QUERY = os.path.join(ROOT, "tests", "pprof_query.py")
SAMPLE = 524288
RUN_TIMEOUT = 900

FULL = dict(rounds=7, storm_pairs=1_000_000, depth=20, window=256, leak_count=64,
            leak_size=1024, perl_lines=20000, redis_requests=40000,
            redis_tests="set,get,incr,lpush,lpop,hset", hold_blocks=1_000_000, hold_size=32,
            snap_stacks=100_000, snap_per_stack=10, acc_pairs=100_000, acc_leak_count=16384,
            acc_leak_size=4096, acc_runs=11, strace_pairs=20000, redis_ir_requests=5000)
QUICK = dict(FULL, rounds=3, acc_runs=5, storm_pairs=200_000, perl_lines=4000,
             redis_requests=5000, redis_tests="set,get,lpush")
# Quick mode leaves out what takes longest: jemalloc's exact profiler on the
# bigger workloads (tens of seconds a run) and the service.
QUICK_SKIP = {("perl", "je-prof"), ("hold", "je-prof")}
QUICK_WORKLOADS = ["storm1", "storm2", "cores", "perl", "hold", "snapshot", "accuracy", "syscalls"]
ALL_WORKLOADS = ["storm1", "storm2", "cores", "perl", "redis", "redis_ir", "hold", "snapshot",
                 "accuracy", "syscalls"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- columns

class Column:
    def __init__(self, name, title, baseline, env=None, heaptrack=False, available=True,
                 why=""):
        self.name, self.title, self.baseline = name, title, baseline
        self.env, self.heaptrack = env or {}, heaptrack
        self.available, self.why = available, why

    def prefix(self, tmp):
        """The words put before the program's command line."""
        if self.heaptrack:
            return ["heaptrack", "-o", os.path.join(tmp, "heaptrack")]
        return ["env"] + [f"{k}={v}".replace("{tmp}", tmp) for k, v in self.env.items()]


def find_jemalloc():
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"):
        p = os.path.join(d, "libjemalloc.so.2")
        if os.path.exists(p):
            return p
    return None


def jemalloc_has_prof(lib):
    out = subprocess.run(["env", f"LD_PRELOAD={lib}", "MALLOC_CONF=stats_print:true", "true"],
                         capture_output=True, text=True).stderr
    return "config.prof: true" in out


def columns(lib):
    lt = {"LD_PRELOAD": lib, "LEAKTRACE_OUT": "{tmp}/lt/p", "LEAKTRACE_QUIET": "1"}
    cols = [
        Column("none", "no tracer (glibc)", None),
        Column("lt", "leaktrace exact", "none", lt),
        Column("lt-s", f"leaktrace sampled ({SAMPLE})", "none", dict(lt, LEAKTRACE_SAMPLE=SAMPLE)),
    ]
    ht = shutil.which("heaptrack")
    cols.append(Column("ht", "heaptrack", "none", heaptrack=True, available=bool(ht),
                       why="heaptrack not installed"))
    je = find_jemalloc()
    prof = bool(je) and jemalloc_has_prof(je)
    why = "libjemalloc2 not installed" if not je else "jemalloc built without --enable-prof"
    cols.append(Column("je", "jemalloc, no profiling", None, {"LD_PRELOAD": je or ""},
                       available=bool(je), why=why))
    cols.append(Column("je-prof", "jemalloc prof exact (lg_prof_sample:0)", "je",
                       {"LD_PRELOAD": je or "", "MALLOC_CONF": "prof:true,lg_prof_sample:0"},
                       available=prof, why=why))
    cols.append(Column("je-prof-s", "jemalloc prof sampled (default, 512 KiB)", "je",
                       {"LD_PRELOAD": je or "", "MALLOC_CONF": "prof:true"},
                       available=prof, why=why))
    return cols


# ---------------------------------------------------------------- running

def clean_env():
    env = dict(os.environ)
    for k in list(env):
        if k in ("LD_PRELOAD", "MALLOC_CONF") or k.startswith("LEAKTRACE_"):
            del env[k]
    return env


def timed(cmd, tmp, stdin=None, timeout=RUN_TIMEOUT):
    """Runs cmd under /usr/bin/time; wall seconds, peak RSS (KiB), CPU seconds
    (user + system, the process and every child it waited for), stdout, rc."""
    tfile = os.path.join(tmp, "time.out")
    full = TIME + [tfile] + cmd
    t0 = time.monotonic()
    try:
        p = subprocess.run(full, stdin=stdin, capture_output=True, text=True, timeout=timeout,
                           cwd=tmp, env=clean_env())
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or "", e.stderr or ""
    wall = time.monotonic() - t0
    return dict(read_time(tfile), wall=wall, stdout=out if isinstance(out, str) else "",
                stderr=err if isinstance(err, str) else "", rc=rc)


TIME = ["/usr/bin/time", "-f", "%M %U %S", "-o"]


def read_time(path):
    """Peak RSS (KiB) and CPU seconds from /usr/bin/time's last line."""
    try:
        with open(path) as f:
            rss, user, system = f.read().splitlines()[-1].split()
        return {"rss_kb": int(rss), "cpu": float(user) + float(system)}
    except (OSError, ValueError, IndexError):
        return {"rss_kb": None, "cpu": None}


def fresh_tmp(base):
    d = tempfile.mkdtemp(prefix="run.", dir=base)
    os.makedirs(os.path.join(d, "lt"), exist_ok=True)
    return d


def heap_profile(tmp):
    """The newest leaktrace heap profile a run left, or None."""
    files = [os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".heap.pb.gz")]
    return max(files, key=os.path.getmtime) if files else None


def query(*args):
    p = subprocess.run(["python3", QUERY] + [str(a) for a in args], capture_output=True,
                       text=True)
    return int(p.stdout.strip()) if p.returncode == 0 and p.stdout.strip() else None


def field(text, name):
    m = re.search(rf"\b{name}=([-\d.]+)", text)
    return float(m.group(1)) if m else None


# ---------------------------------------------------------------- workloads

class Workload:
    """One program measured under every column; subclasses say how to run it."""
    key = title = note = ""

    def __init__(self, cfg, bins):
        self.cfg, self.bins = cfg, bins
        self.count_mallocs = None

    def run(self, col, tmp):
        res = timed(col.prefix(tmp) + self.command(tmp), tmp, stdin=self.stdin())
        res.update(self.parse(res["stdout"]))
        return res

    def stdin(self):
        return None

    def parse(self, out):
        return {}

    def ok(self, res):
        return res["rc"] == 0


class Storm(Workload):
    note = ("loop ms: the allocation loops' wall time measured inside the program (barrier to "
            "last join), so start-up and the exit snapshot are outside it. added ns = (loop - "
            "baseline loop) / N: per malloc+free pair of one thread (the threads run in "
            "parallel). process wall s: the whole run, including the exit snapshot (leaktrace) "
            "and heaptrack_interpret finishing. Peak RSS: /usr/bin/time %M, the largest process "
            "of the run (for heaptrack possibly heaptrack_interpret). added CPU ns: the process's CPU "
            "time over the loops (all threads) per pair; it leaves out heaptrack_interpret, a "
            "separate process, and is steadier than wall time on a loaded machine.")

    def __init__(self, cfg, bins, threads):
        super().__init__(cfg, bins)
        self.threads = threads
        self.key = f"storm{threads}"
        c = cfg
        self.args = [threads, c["storm_pairs"], c["depth"], c["window"], c["leak_count"],
                     c["leak_size"]]
        self.title = (f"storm, T={threads}, N={c['storm_pairs']:,} malloc+free pairs per thread, "
                      f"D={c['depth']}")

    def command(self, tmp):
        return [self.bins["storm"]] + [str(a) for a in self.args]

    def parse(self, out):
        return {"loop_ns": field(out, "loop_ns"), "loop_cpu_ns": field(out, "loop_cpu_ns")}

    def ok(self, res):
        return res["rc"] == 0 and res.get("loop_ns") is not None


class Perl(Workload):
    key, title = "perl", "perl word statistics"
    note = ("wall s: the whole run (start-up, exit snapshot, heaptrack_interpret finishing); "
            "CPU s: user + system time of every process of the run (heaptrack_interpret "
            "included), steadier than wall time on a loaded machine; peak RSS: the largest "
            "process of the run.")

    def __init__(self, cfg, bins, tmpbase):
        super().__init__(cfg, bins)
        self.input = os.path.join(tmpbase, "perl_input.txt")
        with open(self.input, "w") as f:
            subprocess.run(["perl", os.path.join(HERE, "perl_gen.pl"), str(cfg["perl_lines"])],
                           stdout=f, check=True)
        self.title = (f"perl: bench/perl_work.pl over {cfg['perl_lines']:,} generated lines "
                      f"({os.path.getsize(self.input) / 1e6:.1f} MB)")

    def command(self, tmp):
        return ["perl", os.path.join(HERE, "perl_work.pl")]

    def stdin(self):
        return open(self.input)

    def run(self, col, tmp):
        with self.stdin() as f:
            res = timed(col.prefix(tmp) + self.command(tmp), tmp, stdin=f)
        return res


class Hold(Workload):
    key = "hold"
    note = ("RSS before / holding: VmRSS read by the program before and after making the "
            "blocks. Tracer bytes per live block = (RSS holding - the baseline's RSS holding) / "
            "N; growth only = the same with each run's own RSS before subtracted (fixed costs "
            "out). heaptrack keeps its data in heaptrack_interpret, a separate process: see its "
            "peak RSS. jemalloc's exact profiler promotes every sampled block to a page.")

    def __init__(self, cfg, bins):
        super().__init__(cfg, bins)
        self.title = f"{cfg['hold_blocks']:,} live blocks of {cfg['hold_size']} bytes"

    def command(self, tmp):
        return [self.bins["hold"], str(self.cfg["hold_blocks"]), str(self.cfg["hold_size"])]

    def parse(self, out):
        return {"rss_before_kb": field(out, "rss_before_kb"),
                "rss_after_kb": field(out, "rss_after_kb")}

    def ok(self, res):
        return res["rc"] == 0 and res.get("rss_after_kb") is not None


def process_cpu(pid):
    """User + system seconds of a running process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis(Workload):
    key = "redis"
    note = ("Debian's redis-server is linked with libjemalloc.so.2, so every column runs on "
            "jemalloc (its LD_PRELOAD is a no-op here); leaktrace and heaptrack interpose malloc "
            "in front of it. requests/s: all tests' requests over the sum of their times "
            "(redis-benchmark --csv); redis-benchmark runs untraced on the other core. Server CPU per "
            "request: the server process's user + system time while redis-benchmark ran "
            "(/proc/PID/stat; heaptrack_interpret, a separate process, not included) / "
            "requests; steadier than requests/s on a loaded machine.")

    def __init__(self, cfg, bins):
        super().__init__(cfg, bins)
        self.tests = cfg["redis_tests"].split(",")
        self.title = (f"redis-server under redis-benchmark on 127.0.0.1 (50 clients, "
                      f"{cfg['redis_requests']:,} requests each of {cfg['redis_tests']}, "
                      f"64-byte values, 100k random keys)")

    def run(self, col, tmp):
        port = free_port()
        tfile = os.path.join(tmp, "time.out")
        server = TIME + [tfile] + col.prefix(tmp) + [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--logfile", os.path.join(tmp, "r.log"),
            "--dir", tmp]
        with open(os.path.join(tmp, "server.out"), "w") as so:
            proc = subprocess.Popen(server, stdout=so, stderr=subprocess.STDOUT, cwd=tmp,
                                    env=clean_env())
        res = {"rc": None, "rps": None, "wall": None, "rss_kb": None, "cpu": None, "stdout": ""}
        try:
            cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                r = subprocess.run(cli + ["ping"], capture_output=True, text=True, timeout=10)
                if r.stdout.strip() == "PONG":
                    break
                time.sleep(0.1)
            else:
                res["rc"] = "server did not start"
                return res
            info = subprocess.run(cli + ["info", "server"], capture_output=True, text=True,
                                  timeout=10).stdout
            pid = int(re.search(r"process_id:(\d+)", info).group(1))
            cpu0 = process_cpu(pid)
            t0 = time.monotonic()
            b = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c",
                                "50", "-n", str(self.cfg["redis_requests"]), "-r", "100000",
                                "-d", "64", "-t", ",".join(self.tests), "-q", "--csv"],
                               capture_output=True, text=True, timeout=RUN_TIMEOUT)
            res["wall"] = time.monotonic() - t0
            cpu1 = process_cpu(pid)
            res["cpu_us_per_request"] = (cpu1 - cpu0) * 1e6 / (len(self.tests) *
                                                               self.cfg["redis_requests"])
            res["stdout"] = b.stdout
            rates = [float(r) for r in re.findall(r'^"[A-Z_ ()0-9]+","([\d.]+)"', b.stdout,
                                                   re.M)]
            if b.returncode == 0 and len(rates) == len(self.tests) and all(rates):
                n = self.cfg["redis_requests"]
                res["rps"] = len(rates) * n / sum(n / r for r in rates)
            subprocess.run(cli + ["shutdown", "nosave"], capture_output=True, timeout=30)
            proc.wait(timeout=300)
            res["rc"] = proc.returncode
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        res.update(read_time(tfile))
        return res

    def ok(self, res):
        return res["rc"] == 0 and res.get("rps") is not None


# ---------------------------------------------------------------- the matrix

def run_matrix(work, cols, rounds, tmpbase, skip=()):
    """rounds x columns, interleaved; returns {column: [result, ...]}."""
    results = {c.name: [] for c in cols}
    for r in range(rounds):
        for c in cols:
            if not c.available or (work.key, c.name) in skip:
                continue
            tmp = fresh_tmp(tmpbase)
            res = work.run(c, tmp)
            good = work.ok(res)
            if not good:
                log(f"  {work.key}/{c.name} round {r + 1}: FAILED rc={res['rc']} "
                    f"{(res.get('stderr') or '')[-300:]}")
            elif c.name == "lt" and r == 0:
                prof = heap_profile(os.path.join(tmp, "lt"))
                work.count_mallocs = query("sum", prof, "alloc_objects") if prof else None
            res["ok"] = good
            res.pop("stderr", None)
            res["stdout"] = res["stdout"][-2000:]
            results[c.name].append(res)
            shutil.rmtree(tmp, ignore_errors=True)
        done = {k: len(v) for k, v in results.items()}
        log(f"  {work.key}: round {r + 1}/{rounds} done {done}")
    return results


def med(results, name, key):
    return median([r.get(key) for r in results.get(name, []) if r.get("ok")])


def paired_median(results, name, base, key, f):
    """Median over rounds of f(run, baseline run of the same round)."""
    xs = [f(a[key], b[key]) for a, b in zip(results.get(name, []), results.get(base, []))
          if a.get("ok") and b.get("ok") and a.get(key) is not None and b.get(key)]
    return median(xs)


def fmt(x, spec="{:.2f}", none="n/a"):
    return none if x is None else spec.format(x)


def mb(kb):
    return None if kb is None else kb / 1024


def ratio(a, b):
    return a / b if a is not None and b else None


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def unavailable(c, results, work_key, skip):
    if not c.available:
        return c.why
    if (work_key, c.name) in skip:
        return "skipped (--quick)"
    if not any(r.get("ok") for r in results.get(c.name, [])):
        return "failed"
    return None


def report(work, cols, res, skip, head, row):
    """One table row per column: row(value, base, paired) gives the cells after
    the title and the column's summary entry; value(key) and base(key) are
    medians over the rounds, paired(key[, f]) the median of per-round
    f(value, baseline value), a / b by default."""
    rows, summary = [], {}
    for c in cols:
        why = unavailable(c, res, work.key, skip)
        if why:
            rows.append([c.title, why] + [""] * (len(head) - 2))
            continue
        value = lambda key: med(res, c.name, key)
        base = lambda key: med(res, c.baseline, key) if c.baseline else None
        paired = (lambda key, f=lambda a, b: a / b:
                  paired_median(res, c.name, c.baseline, key, f) if c.baseline else None)
        cells, summary[c.name] = row(value, base, paired)
        rows.append([c.title] + cells)
    return table(head, rows), summary


def rss_cells(value, base):
    rss, brss = value("rss_kb"), base("rss_kb")
    added = mb(rss - brss) if rss is not None and brss is not None else None
    return ([fmt(mb(rss), "{:.1f}"), fmt(added, "{:+.1f}", "-"),
             fmt(ratio(rss, brss), "{:.2f}x", "-")], ratio(rss, brss))


RSS_HEAD = ["peak RSS MB", "RSS added MB", "RSS ratio"]


def report_storm(work, cols, res, skip):
    n = work.cfg["storm_pairs"]

    def row(value, base, paired):
        loop = value("loop_ns")
        loop_ratio = paired("loop_ns")
        added = paired("loop_ns", lambda a, b: (a - b) / n)
        added_cpu = paired("loop_cpu_ns", lambda a, b: (a - b) / (n * work.threads))
        rss, rss_ratio = rss_cells(value, base)
        return ([fmt(loop / 1e6, "{:.0f}"), fmt(loop_ratio, "{:.2f}x", "-"),
                 fmt(added, "{:.0f}", "-"), fmt(added_cpu, "{:.0f}", "-"),
                 fmt(value("wall"))] + rss,
                {"loop_ms": loop / 1e6, "ratio": loop_ratio, "added_ns": added,
                 "added_cpu_ns": added_cpu, "rss_ratio": rss_ratio})
    head = ["column", "loop ms", "ratio", "added ns per malloc+free",
            "added CPU ns per malloc+free", "process wall s"]
    return report(work, cols, res, skip, head + RSS_HEAD, row)


def report_wall(work, cols, res, skip):
    def row(value, base, paired):
        wall, cpu = value("wall"), value("cpu")
        wall_ratio, cpu_ratio = paired("wall"), paired("cpu")
        rss, rss_ratio = rss_cells(value, base)
        return ([fmt(wall), fmt(wall_ratio, "{:.2f}x", "-"), fmt(cpu),
                 fmt(cpu_ratio, "{:.2f}x", "-")] + rss,
                {"wall": wall, "ratio": wall_ratio, "cpu_ratio": cpu_ratio,
                 "rss_ratio": rss_ratio})
    head = ["column", "wall s", "ratio", "CPU s", "CPU ratio"]
    return report(work, cols, res, skip, head + RSS_HEAD, row)


def report_redis(work, cols, res, skip):
    def row(value, base, paired):
        rps, cpu = value("rps"), value("cpu_us_per_request")
        rps_ratio, cpu_ratio = paired("rps"), paired("cpu_us_per_request")
        return ([fmt(rps, "{:,.0f}"), fmt(rps_ratio, "{:.1%}", "-"), fmt(cpu, "{:.1f}"),
                 fmt(cpu_ratio, "{:.2f}x", "-"), fmt(mb(value("rss_kb")), "{:.1f}")],
                {"rps": rps, "ratio": rps_ratio, "cpu_ratio": cpu_ratio})
    head = ["column", "requests/s", "of baseline", "server CPU us per request", "CPU ratio",
            "server peak RSS MB"]
    return report(work, cols, res, skip, head, row)


def report_hold(work, cols, res, skip):
    n = work.cfg["hold_blocks"]

    def row(value, base, paired):
        after, before = value("rss_after_kb"), value("rss_before_kb")
        per = marginal = None
        if base("rss_after_kb") is not None:
            per = (after - base("rss_after_kb")) * 1024 / n
            marginal = ((after - before) - (base("rss_after_kb") - base("rss_before_kb"))) * 1024 / n
        return ([fmt(mb(before), "{:.1f}"), fmt(mb(after), "{:.1f}"), fmt(per, "{:.1f}", "-"),
                 fmt(marginal, "{:.1f}", "-"), fmt(mb(value("rss_kb")), "{:.1f}")],
                {"bytes_per_block": per, "marginal": marginal})
    head = ["column", "RSS before MB", "RSS holding MB", "tracer bytes per live block",
            "same, growth only", "peak RSS MB (all processes)"]
    return report(work, cols, res, skip, head, row)


# ---------------------------------------------------------------- extra measurements

SNAP_FIELDS = ("heap_ms", "fd_ms", "max_gap_us", "quiet_max_gap_us", "rate_pct", "vcsw", "ivcsw",
               "pause_us")
SOLO_FIELDS = ("heap_ms", "fd_ms", "pause_us")


def snapshot_run(cfg, bins, lib, tmpbase, solo):
    tmp = fresh_tmp(tmpbase)
    prefix = os.path.join(tmp, "lt", "snap")
    cmd = ["env", f"LD_PRELOAD={lib}", f"LEAKTRACE_OUT={prefix}", "LEAKTRACE_QUIET=1",
           "LEAKTRACE_AT_EXIT=0", bins["snapstacks"], prefix, str(cfg["snap_stacks"]),
           str(cfg["snap_per_stack"])] + (["10", "solo"] if solo else [])
    res = timed(cmd, tmp)
    one = {k: field(res["stdout"], k) for k in SNAP_FIELDS}
    one["ok"] = res["rc"] == 0 and one["heap_ms"] is not None
    prof = heap_profile(os.path.join(tmp, "lt"))
    if one["ok"] and prof:
        one["profile_stacks_blocks"] = query("sum", prof, "inuse_objects")
        one["profile_bytes"] = os.path.getsize(prof)
    if not one["ok"]:
        log(f"  snapshot{' solo' if solo else ''}: FAILED rc={res['rc']} {res['stderr'][-300:]}")
    shutil.rmtree(tmp, ignore_errors=True)
    return one


def measure_snapshot(cfg, bins, lib, tmpbase):
    """The snapshot of a program with an allocating thread (the snapshot
    thread writes it), and of the same program single-threaded ("solo": a
    writer process does, the handler's clone pausing the program)."""
    runs, solo_runs = [], []
    for r in range(cfg["rounds"]):
        runs.append(snapshot_run(cfg, bins, lib, tmpbase, False))
        solo_runs.append(snapshot_run(cfg, bins, lib, tmpbase, True))
    log("  snapshot: done")
    good = [x for x in runs if x["ok"]]
    summary = {k: median([x[k] for x in good]) for k in SNAP_FIELDS}
    first = good[0] if good else {}
    solo_good = [x for x in solo_runs if x["ok"]]
    solo = {k: median([x[k] for x in solo_good]) for k in SOLO_FIELDS}
    solo_first = solo_good[0] if solo_good else {}
    summary["solo"] = solo
    text = table(["measure", "median"], [
        ["SIGUSR1 to heap profile renamed into place, ms", fmt(summary["heap_ms"], "{:.0f}")],
        ["SIGUSR1 to fd profile in place (both files), ms", fmt(summary["fd_ms"], "{:.0f}")],
        ["longest malloc+free of an allocating thread during the snapshot, us",
         fmt(summary["max_gap_us"], "{:.0f}")],
        ["same over the 300 ms before the signal (machine noise), us",
         fmt(summary["quiet_max_gap_us"], "{:.0f}")],
        ["its malloc+free rate during the snapshot, % of the rate before",
         fmt(summary["rate_pct"], "{:.0f}")],
        ["its voluntary context switches during the snapshot (it blocked, e.g. on a lock)",
         fmt(summary["vcsw"], "{:.0f}")],
        ["its involuntary context switches during the snapshot (preempted: 2 cores, 3 threads)",
         fmt(summary["ivcsw"], "{:.0f}")],
        ["inuse_objects in the profile (go tool pprof)",
         fmt(first.get("profile_stacks_blocks"), "{:,}")],
        ["heap profile size, bytes", fmt(first.get("profile_bytes"), "{:,}")],
        ["the signal's handler on the program's thread (it wakes the snapshot thread), us",
         fmt(summary["pause_us"], "{:.0f}")],
        ["single-threaded (solo): SIGUSR1 to heap profile in place (a writer process), ms",
         fmt(solo["heap_ms"], "{:.0f}")],
        ["single-threaded (solo): the handler's pause of the program (the clone), us",
         fmt(solo["pause_us"], "{:.0f}")],
        ["single-threaded (solo): inuse_objects in the profile (go tool pprof)",
         fmt(solo_first.get("profile_stacks_blocks"), "{:,}")],
    ])
    return text, summary, runs + [dict(x, solo=True) for x in solo_runs]


def measure_accuracy(cfg, bins, lib, tmpbase):
    c = cfg
    count, size = c["acc_leak_count"], c["acc_leak_size"]
    exact_value = count * size
    cmd_args = [bins["storm"], "1", str(c["acc_pairs"]), str(c["depth"]), str(c["window"]),
                str(count), str(size)]
    values = {"lt": [], "lt-s": []}
    for r in range(c["acc_runs"]):
        for name, extra in (("lt", []), ("lt-s", [f"LEAKTRACE_SAMPLE={SAMPLE}"])):
            if name == "lt" and r > 0:
                continue
            tmp = fresh_tmp(tmpbase)
            prefix = os.path.join(tmp, "lt", "acc")
            res = timed(["env", f"LD_PRELOAD={lib}", f"LEAKTRACE_OUT={prefix}",
                         "LEAKTRACE_QUIET=1"] + extra + cmd_args, tmp)
            prof = heap_profile(os.path.join(tmp, "lt"))
            v = query("total", prof, "inuse_space", "storm_leak") if res["rc"] == 0 and prof else None
            values[name].append(v)
            shutil.rmtree(tmp, ignore_errors=True)
    log("  accuracy: done")
    est = [v for v in values["lt-s"] if v is not None]
    med_est = median(est)
    errs = [abs(v - exact_value) / exact_value for v in est]
    summary = {"exact_value": exact_value, "lt_exact": values["lt"][0] if values["lt"] else None,
               "median_estimate": med_est,
               "median_error": abs(med_est - exact_value) / exact_value if med_est else None,
               "median_abs_error": median(errs), "estimates": est}
    text = table(["measure", "value"], [
        ["leak made (storm_leak: L x S bytes)", f"{count:,} x {size:,} = {exact_value:,}"],
        ["leaktrace exact, inuse_space at storm_leak", fmt(summary["lt_exact"], "{:,}")],
        [f"leaktrace sampled, estimates over {len(est)} runs",
         ", ".join(f"{v:,}" for v in est) or "n/a"],
        ["median estimate, its error", f"{fmt(med_est, '{:,.0f}')}, "
                                        f"{fmt(summary['median_error'], '{:.1%}')}"],
        ["median of the per-run errors", fmt(summary["median_abs_error"], "{:.1%}")],
    ])
    return text, summary


def measure_cores(cfg, bins, lib, tmpbase):
    """What a second busy core costs the tracer's added time on this machine,
    apart from anything the tracer shares between threads: the storm T=1
    alone, then two copies of it at once (separate processes: no table,
    lock or cache line of the tracer's in common), untraced and exact, each
    round in that order."""
    n = cfg["storm_pairs"]
    cmd = [bins["storm"], "1", str(n), str(cfg["depth"]), str(cfg["window"]),
           str(cfg["leak_count"]), str(cfg["leak_size"])]
    alone, together = [], []

    def loops(traced, copies):
        procs = []
        for _ in range(copies):
            tmp = fresh_tmp(tmpbase)
            env = (["env", f"LD_PRELOAD={lib}", f"LEAKTRACE_OUT={os.path.join(tmp, 'lt', 'c')}",
                    "LEAKTRACE_QUIET=1"] if traced else [])
            procs.append((tmp, subprocess.Popen(env + cmd, stdout=subprocess.PIPE, text=True,
                                                cwd=tmp, env=clean_env())))
        out = []
        for tmp, p in procs:
            text, _ = p.communicate(timeout=RUN_TIMEOUT)
            out.append(field(text, "loop_ns") if p.returncode == 0 else None)
            shutil.rmtree(tmp, ignore_errors=True)
        return None if None in out else sum(out) / len(out)

    for _ in range(cfg["rounds"]):
        base1, lt1 = loops(False, 1), loops(True, 1)
        base2, lt2 = loops(False, 2), loops(True, 2)
        if None not in (base1, lt1):
            alone.append((lt1 - base1) / n)
        if None not in (base2, lt2):
            together.append((lt2 - base2) / n)
    log("  cores: done")
    a, t = median(alone), median(together)
    summary = {"alone_ns": a, "together_ns": t, "ratio": t / a if a and t is not None else None}
    text = table(["storm T=1, leaktrace exact", "added ns per malloc+free"], [
        ["one process", fmt(a, "{:.0f}")],
        ["two processes at once (each; they share no memory)", fmt(t, "{:.0f}")],
        ["ratio: what a second busy core costs the tracer's work here",
         fmt(summary["ratio"], "{:.2f}x")]])
    return text, summary


def strace_counts(cmd, tmp):
    out = os.path.join(tmp, "strace.out")
    subprocess.run(["strace", "-c", "-f", "-o", out] + cmd, capture_output=True, cwd=tmp,
                   timeout=RUN_TIMEOUT, env=clean_env())
    counts = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                counts[m.group(2)] = int(m.group(1))
    return counts


def measure_syscalls(cfg, bins, lib, tmpbase):
    threads, n = 2, cfg["strace_pairs"]
    if not shutil.which("strace"):
        return "strace not installed", {}
    base_args = lambda pairs: [bins["storm"], str(threads), str(pairs), str(cfg["depth"])]
    rows, summary = [], {}
    for name, env in (("lt", []), ("lt-s", [f"LEAKTRACE_SAMPLE={SAMPLE}"])):
        tmp = fresh_tmp(tmpbase)
        pre = ["env", f"LD_PRELOAD={lib}", f"LEAKTRACE_OUT={os.path.join(tmp, 'lt', 's')}",
               "LEAKTRACE_QUIET=1"] + env
        small = strace_counts(pre + base_args(n), tmp)
        big = strace_counts(pre + base_args(2 * n), tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        extra_mallocs = threads * n
        growth = {k: big.get(k, 0) - small.get(k, 0) for k in set(big) | set(small)}
        # Per-call system calls would grow by about one per malloc; start-up,
        # the exit snapshot and futex wake-ups of the threads do not.
        growing = {k: v for k, v in growth.items() if v > extra_mallocs // 100}
        per = sum(growth.values()) / extra_mallocs
        summary[name] = {"per_malloc": per, "growing": growing,
                         "total_small": sum(small.values())}
        rows.append([f"leaktrace {'exact' if name == 'lt' else 'sampled'}",
                     f"{sum(small.values()):,}", f"{sum(big.values()):,}", f"{per:.4f}",
                     ", ".join(f"{k} +{v:,}" for k, v in sorted(growing.items())) or "none"])
    tmp = fresh_tmp(tmpbase)
    plain = strace_counts(base_args(n), tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    rows.append(["no tracer", f"{sum(plain.values()):,}", "", "", ""])
    log("  syscalls: done")
    head = [f"storm T={threads} D={cfg['depth']} under strace -c -f",
            f"syscalls, N={n:,}", f"syscalls, N={2 * n:,}", "extra syscalls per malloc",
            "syscalls that grow with N"]
    return table(head, rows), summary


def measure_redis_instructions(cfg, lib):
    """bench/redis_instructions.sh: redis-server's instructions under callgrind, a
    steadier companion to the throughput, which this machine's load moves (the ratio
    repeats to about 2%, the instructions added a request to about 15%)."""
    script = os.path.join(HERE, "redis_instructions.sh")
    r = subprocess.run([script, "-n", str(cfg["redis_ir_requests"]), lib], capture_output=True,
                       text=True, timeout=3 * RUN_TIMEOUT)
    rows = {}
    for line in r.stdout.splitlines():
        m = re.match(r"(untraced|.* exact)\s+(\d+)\s+(\S+)\s+(\S+)$", line)
        if m:
            rows["none" if m.group(1) == "untraced" else "lt"] = (int(m.group(2)), m.group(3),
                                                                   m.group(4))
    if r.returncode != 0 or set(rows) != {"none", "lt"}:
        why = (r.stderr.strip().splitlines() or ["no output"])[-1]
        log(f"  redis_ir: n/a ({why})")
        return f"n/a: {why}", {}
    total = 2 * 6 * cfg["redis_ir_requests"]
    head = [f"redis-server, {total:,} requests from one client, no exit snapshot",
            "instructions", "ratio", "instructions added a request"]
    text = table(head, [["no tracer", f"{rows['none'][0]:,}", "-", "-"],
                        ["leaktrace exact", f"{rows['lt'][0]:,}", rows["lt"][1],
                         f"{int(rows['lt'][2]):,}"]])
    log("  redis_ir: done")
    return text, {"ratio": float(rows["lt"][1].rstrip("x")), "added": int(rows["lt"][2])}


# ---------------------------------------------------------------- summary

def targets(s):
    """Issue 5's targets against the measured figures."""
    rows = []

    def add(what, value, ok):
        rows.append([what, value, "n/a" if ok is None else ("yes" if ok else "**no**")])

    st1, st2 = s.get("storm1", {}), s.get("storm2", {})
    lt2, ht2 = st2.get("lt", {}), st2.get("ht", {})
    if lt2.get("added_ns") is not None and ht2.get("added_ns"):
        add("storm T=2 D=20: leaktrace added ns <= 1/3 of heaptrack's",
            f"{lt2['added_ns']:.0f} ns vs {ht2['added_ns']:.0f} ns "
            f"({lt2['added_ns'] / ht2['added_ns']:.2f} of it)",
            lt2["added_ns"] <= ht2["added_ns"] / 3)
    lt1 = st1.get("lt", {})
    if lt1.get("added_ns") and lt2.get("added_ns") is not None:
        r = lt2["added_ns"] / lt1["added_ns"]
        # Context: what a second thread costs the untraced loop itself on this
        # machine (another job on the shared cores takes the second one), and the
        # CPU-time view.
        cpu1, cpu2 = lt1.get("added_cpu_ns"), lt2.get("added_cpu_ns")
        n1, n2 = st1.get("none", {}).get("loop_ms"), st2.get("none", {}).get("loop_ms")
        extra = []
        if cpu1 and cpu2 is not None:
            extra.append(f"CPU time: {cpu2:.0f} / {cpu1:.0f} ns = {cpu2 / cpu1:.2f}x")
        if n1 and n2:
            extra.append(f"the untraced loop itself: {n2 / n1:.2f}x slower a thread with 2")
        cores = s.get("cores", {}).get("ratio")
        if cores:
            extra.append(f"two separate single-threaded processes at once: {cores:.2f}x "
                         "their added cost alone")
        add("storm: 2-thread added cost <= 1.1x the 1-thread one",
            f"{lt2['added_ns']:.0f} / {lt1['added_ns']:.0f} ns = {r:.2f}x"
            + (f" ({'; '.join(extra)})" if extra else ""), r <= 1.1)
    p = s.get("perl", {})
    if p.get("lt", {}).get("ratio"):
        add("perl: leaktrace exact <= 1.5x untraced wall",
            f"{p['lt']['ratio']:.2f}x (CPU time: {fmt(p['lt']['cpu_ratio'])}x)",
            p["lt"]["ratio"] <= 1.5)
    rd, ir = s.get("redis", {}), s.get("redis_ir", {})
    if rd.get("lt", {}).get("ratio"):
        steady = (f"; callgrind: {ir['ratio']:.2f}x the instructions, {ir['added']:,} added a "
                  "request" if ir else "")
        add("redis: leaktrace exact throughput >= 97% of untraced",
            f"{rd['lt']['ratio']:.1%} (server CPU per request: {fmt(rd['lt']['cpu_ratio'])}x"
            f"{steady})", rd["lt"]["ratio"] >= 0.97)
    for key, label in (("storm1", "storm T=1"), ("storm2", "storm T=2")):
        v = s.get(key, {}).get("lt-s", {}).get("ratio")
        if v:
            add(f"{label}: sampled <= 1.10x", f"{v:.2f}x", v <= 1.10)
    if p.get("lt-s", {}).get("ratio"):
        add("perl: sampled <= 1.03x",
            f"{p['lt-s']['ratio']:.2f}x (CPU time: {fmt(p['lt-s']['cpu_ratio'])}x)",
            p["lt-s"]["ratio"] <= 1.03)
    a = s.get("accuracy", {})
    if a.get("median_error") is not None:
        add("sampled inuse_space at the leak site within 10% of exact (median over runs)",
            f"{a['median_error']:.1%}", a["median_error"] <= 0.10)
    h = s.get("hold", {}).get("lt", {})
    if h.get("bytes_per_block") is not None:
        add("1M live blocks: <= 32 bytes of tracer memory per live block",
            f"{h['bytes_per_block']:.1f} B (growth only: {h['marginal']:.1f} B)",
            h["bytes_per_block"] <= 32)
    for key, label in (("storm1", "storm T=1"), ("storm2", "storm T=2")):
        v = s.get(key, {}).get("lt", {}).get("rss_ratio")
        if v:
            add(f"{label}: peak RSS <= 1.2x untraced", f"{v:.2f}x", v <= 1.2)
    sn = s.get("snapshot", {})
    if sn.get("heap_ms") is not None:
        add("snapshot of 100k stacks / 1M live blocks < 1 s", f"{sn['heap_ms']:.0f} ms",
            sn["heap_ms"] < 1000)
        add("allocating threads not paused more than a few ms by it (never blocked; longest "
            "malloc+free while it ran)",
            f"{sn['vcsw']:.0f} blocking waits; longest {sn['max_gap_us'] / 1000:.1f} ms (quiet "
            f"before: {sn['quiet_max_gap_us'] / 1000:.1f} ms)",
            sn["vcsw"] == 0 and sn["max_gap_us"] <= max(5000, 2 * sn["quiet_max_gap_us"]))
    solo = sn.get("solo", {})
    if solo.get("heap_ms") is not None:
        add("the same program single-threaded (a writer process): snapshot < 1 s, the "
            "program paused a few ms at most (the handler's clone)",
            f"{solo['heap_ms']:.0f} ms; paused {solo['pause_us'] / 1000:.1f} ms",
            solo["heap_ms"] < 1000 and solo["pause_us"] <= 5000)
    sc = s.get("syscalls", {}).get("lt", {})
    if sc:
        add("a malloc under the tracer makes no system call",
            f"{sc['per_malloc']:.4f} per malloc", sc["per_malloc"] < 0.01)
    return table(["target (issue 5)", "measured", "met"], rows)


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        mem = f"{int(f.readline().split()[1]) / 1048576:.0f} GiB"
    load = open("/proc/loadavg").read().split()[:3]
    return (f"nproc {os.cpu_count()}, {cpu}, {mem} RAM, Linux {platform.release()}, "
            f"load average at start {' '.join(load)}")


def versions():
    out = []
    try:
        v = subprocess.run(["heaptrack", "--version"], capture_output=True, text=True).stdout
        out.append(v.strip().splitlines()[0])
    except (OSError, IndexError):
        pass
    je = find_jemalloc()
    if je:
        st = subprocess.run(["env", f"LD_PRELOAD={je}", "MALLOC_CONF=stats_print:true", "true"],
                            capture_output=True, text=True).stderr
        m = re.search(r"Version: \"?([^\s\"]+)", st)
        out.append(f"jemalloc {m.group(1) if m else '?'} ({je}, config.prof: "
                   f"{'true' if 'config.prof: true' in st else 'false'})")
    try:
        v = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
        out.append(v.split(" sha=")[0].strip())
    except OSError:
        pass
    v = subprocess.run(["perl", "-e", "print $^V"], capture_output=True, text=True).stdout
    out.append(f"perl {v}")
    return ", ".join(out)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--only", help="comma-separated: " + ",".join(ALL_WORKLOADS))
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--json")
    ap.add_argument("--cmdline", default="bench/run.sh")
    args = ap.parse_args()

    cfg = dict(QUICK if args.quick else FULL)
    if args.rounds:
        cfg["rounds"] = args.rounds
    skip = QUICK_SKIP if args.quick else set()
    wanted = args.only.split(",") if args.only else (QUICK_WORKLOADS if args.quick
                                                       else ALL_WORKLOADS)
    build = os.path.abspath(args.build)
    lib = os.path.join(build, "libleaktrace.so")
    bins = {b: os.path.join(build, "bench", b) for b in ("storm", "hold", "snapstacks")}
    for p in [lib] + list(bins.values()):
        if not os.path.exists(p):
            sys.exit(f"missing {p}: run bench/run.sh, which builds it")
    if "redis" in wanted and not (shutil.which("redis-server") and shutil.which("redis-benchmark")):
        log("redis-server/redis-benchmark not installed: the service workload is skipped")
        wanted.remove("redis")
    if "redis_ir" in wanted and not (shutil.which("redis-server") and shutil.which("valgrind")):
        log("redis-server or valgrind not installed: redis-server's instruction count is skipped")
        wanted.remove("redis_ir")

    started = datetime.datetime.now().astimezone()
    t_start = time.monotonic()
    header = [
        "# leaktrace benchmark results", "",
        f"- command: `{args.cmdline}`",
        f"- date: {started.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {machine()}",
        f"- tools: {versions()}",
        f"- leaktrace: {lib} (git {git_head()})",
        f"- {cfg['rounds']} interleaved rounds (each round runs every column once, in the "
        "order of the tables); every figure is the median over the rounds; ratios are "
        "against the column's own allocator without a profiler (glibc for leaktrace and "
        "heaptrack, jemalloc for jemalloc's profiler). Ratios and added costs are "
        "paired: each run against the baseline run of its own round, then the median "
        "of those (this machine's speed drifts by up to 1.5x over tens of seconds, "
        "which a ratio of two medians would take for the tracer's cost).",
    ]
    tmpbase = tempfile.mkdtemp(prefix="leaktrace-bench.")
    summary, sections, raw = {}, [], {}
    try:
        cols = columns(lib)
        for c in cols:
            if not c.available:
                log(f"column {c.name}: n/a ({c.why})")
        works = []
        for key in wanted:
            if key in ("storm1", "storm2"):
                works.append((Storm(cfg, bins, int(key[-1])), report_storm))
            elif key == "perl":
                works.append((Perl(cfg, bins, tmpbase), report_wall))
            elif key == "redis":
                works.append((Redis(cfg, bins), report_redis))
            elif key == "hold":
                works.append((Hold(cfg, bins), report_hold))
        for work, report in works:
            log(f"{work.key}: {work.title}")
            res = run_matrix(work, cols, cfg["rounds"], tmpbase, skip)
            raw[work.key] = res
            text, summary[work.key] = report(work, cols, res, skip)
            note = "\n" + work.note
            if work.count_mallocs:
                note += (f" Allocations counted by leaktrace exact (alloc_objects, whole run): "
                         f"{work.count_mallocs:,}.")
            sections.append(f"## {work.title}\n\n{text}\n{note}\n")
        if "cores" in wanted:
            log("cores")
            text, summary["cores"] = measure_cores(cfg, bins, lib, tmpbase)
            sections.append("## A second busy core: the storm T=1 alone and two copies at once "
                            f"({cfg['rounds']} rounds)\n\n{text}\n\nThe two copies are "
                            "separate processes, so nothing of the tracer's is shared between "
                            "them: their slowdown is the machine's (cores sharing a cache, "
                            "memory bandwidth or, on a virtual machine, a physical core). The "
                            "2-thread target is read against it.\n")
        if "redis_ir" in wanted:
            log("redis_ir")
            text, summary["redis_ir"] = measure_redis_instructions(cfg, lib)
            sections.append("## redis-server's instructions (bench/redis_instructions.sh: "
                            "callgrind, N then 2N requests of each of set, get, incr, lpush, "
                            "lpop, hset; the added instructions a request are the second N's, "
                            "so start-up cancels out)\n\n" f"{text}\n")
        if "snapshot" in wanted:
            log("snapshot")
            text, summary["snapshot"], raw["snapshot"] = measure_snapshot(cfg, bins, lib, tmpbase)
            sections.append(f"## Snapshot: {cfg['snap_stacks']:,} distinct stacks, "
                            f"{cfg['snap_stacks'] * cfg['snap_per_stack']:,} live blocks "
                            f"(bench/snapstacks.c, leaktrace exact)\n\n{text}\n")
        if "accuracy" in wanted:
            log("accuracy")
            text, summary["accuracy"] = measure_accuracy(cfg, bins, lib, tmpbase)
            sections.append(f"## Sampling accuracy (LEAKTRACE_SAMPLE={SAMPLE}; storm T=1 "
                            f"N={cfg['acc_pairs']:,} with a large leak)\n\n{text}\n")
        if "syscalls" in wanted:
            log("syscalls")
            text, summary["syscalls"] = measure_syscalls(cfg, bins, lib, tmpbase)
            sections.append("## System calls per malloc (strace -c -f; the difference between "
                            "N and 2N pairs, so start-up and snapshot cancel out)\n\n"
                            f"{text}\n")
    finally:
        shutil.rmtree(tmpbase, ignore_errors=True)

    elapsed = time.monotonic() - t_start
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    doc = "\n".join(header) + (f"\n- suite run time: {elapsed / 60:.1f} min; load average at the "
                               f"end {load}\n\n")
    doc += "## Targets\n\n" + targets(summary) + "\n\n" + "\n".join(sections)
    print(doc)
    with open(args.out, "w") as f:
        f.write(doc)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": cfg, "summary": summary, "runs": raw}, f, indent=1,
                      default=str)
    log(f"wrote {args.out}" + (f" and {args.json}" if args.json else ""))


def git_head():
    p = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    return (p.stdout.strip() or "?") + (" + uncommitted src changes" if dirty else "")


if __name__ == "__main__":
    main()
