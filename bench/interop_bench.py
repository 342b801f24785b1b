#!/usr/bin/env python3
"""bench/interop_bench.py: foreign BitTorrent clients against si_btd at its defaults.

si_btd runs at its default settings (BT_SUPER_SEED=y) in one network namespace; each client
(aria2c, transmission-cli, ctorrent, qbittorrent-nox, driven as the CTest interop tests drive
them: tests/tools/foreign_clients.py) downloads the image alone from another, over one veth
link shaped to --rate both ways. Clients take turns run by run; si_btd is restarted for every
run (the image is packed once). Per run: seconds from starting the client until it has every
piece, whether the file is the tarball byte for byte, and the tarball's bits over the link's
rate x seconds (its share of the link). Prints a markdown table with issue 28's goals:
every client finishes, byte-identical, in at most 1.5 x aria2c's median time in every run; a
lone leecher gets at least 90 % of its link.

  bench/interop_bench.py [--rate 100mbit] [--size 93M] [--runs 10]
                         [--clients aria2c,transmission-cli,ctorrent,qbittorrent-nox]
                         [--out DIR] [--build-dir DIR] [--timeout S] [--seeder aria2c]

--seeder aria2c seeds the same tarball and .torrent with aria2c and Debian's opentracker
instead of si_btd: what a client takes from a seeder that is not ours.

Needs root, iproute2, tc and the clients. Everything runs in namespaces it creates
(sidb<pid>-*, bench/deploy/cluster.py), killed and removed on exit, error or signal; a run
that takes longer than --timeout is stopped and counted as not complete. Runs where our
processes were short of CPU are flagged CPU-BOUND (as bench/deploy/run does).
See docs/performance.md, "Do BitTorrent clients we did not write get the image?"."""
import argparse
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "deploy"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "tools"))
import cluster as cl  # noqa: E402
import sampler as sm  # noqa: E402
import foreign_clients as fc  # noqa: E402
import sitest  # noqa: E402

IMAGE = "golden"
TORRENT = "image-%s.tar.zst.torrent" % IMAGE
PORTS = (6969, 6881, 8181)  # si_btd's own defaults: the namespace is ours alone
# As bench/deploy/run: CPU-BOUND when our processes waited for a CPU more than STALL_SHARE of
# the run or used more than OWN_CORES_SHARE of all cores; without cgroup v2 PSI, when the
# machine was busier than MACHINE_BUSY_FALLBACK.
STALL_SHARE = 0.20
OWN_CORES_SHARE = 0.80
MACHINE_BUSY_FALLBACK = 0.85
# Issue 28's goals.
GOAL_X_ARIA2 = 1.5
GOAL_LINK_SHARE = 0.90
# Received bytes on the client's link that mark the first piece data (handshakes, the
# .torrent and the announce are far less).
FIRST_BYTES = 256 << 10


class Stop(Exception):
    pass


def on_signal(signum, _frame):
    raise Stop("signal %d" % signum)


def parse_size(s):
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    s = s.strip().lower().removesuffix("ib").removesuffix("b")
    return int(float(s[:-1]) * units[s[-1]]) if s[-1:] in units else int(s)


def parse_rate(s):
    """tc rate syntax (100mbit, 1gbit, 500kbit) -> bits/s."""
    s = s.lower()
    for suffix, mult in (("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1)):
        if s.endswith(suffix):
            return float(s[:-len(suffix)]) * mult
    raise SystemExit("--rate %r: use tc syntax, e.g. 100mbit" % s)


def make_image(root, size):
    """`size` bytes of random data in files of at most 1 MiB: the tarball is about as big
    whatever BT_COMPRESS does."""
    os.makedirs(os.path.join(root, "usr", "lib"), exist_ok=True)
    sitest.write_file(os.path.join(root, "etc", "hostname"), "golden\n")
    left, i = size, 0
    while left > 0:
        n = min(left, 1 << 20)
        sitest.write_file(os.path.join(root, "usr", "lib", "data%04d.bin" % i), os.urandom(n))
        left -= n
        i += 1


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Seeder:
    """si_btd in the server namespace, its tree in a temporary directory."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.tree = sitest.ServerTree(address=cl.SERVER_IP, compress="zstd", images=(IMAGE,),
                                      ports=PORTS)
        self.proc = None
        self.log_offset = 0

    def start(self, timeout=300):
        """Starts si_btd and waits until it super-seeds the image (its log says so)."""
        with open(os.path.join(self.tree.dir, "log", "si_btd.out"), "ab") as out:
            self.proc = subprocess.Popen(
                self.cluster.exec_args(self.cluster.srv, self.tree.btd_args() + ["--foreground"]),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        said = "super-seeding image-%s" % IMAGE
        deadline = time.monotonic() + timeout
        while said not in self.tree.log_text()[self.log_offset:]:
            if self.proc.poll() is not None:
                raise RuntimeError("si_btd exited %d: %s" % (self.proc.returncode,
                                                             self.tree.log_text()[-2000:]))
            if time.monotonic() > deadline:
                raise RuntimeError("si_btd did not say '%s' in %d s" % (said, timeout))
            time.sleep(0.1)

    def stop(self):
        """Stops si_btd and forgets the peers its tracker saved: every run starts afresh."""
        if self.proc is not None:
            fc.stop(self.proc)
            self.proc = None
        if os.path.exists(self.tree.state):
            os.unlink(self.tree.state)
        self.log_offset = len(self.tree.log_text())

    def said_since(self, offset, words):
        return [line for line in self.tree.log_text()[offset:].splitlines()
                if any(w in line for w in words)]


class Aria2Seeder:
    """--seeder aria2c: the same tarball and .torrent seeded by aria2c, with Debian's
    opentracker at the torrent's announce address (si_btd's tracker port): the rival seeder,
    to tell a client's own start-up from what si_btd does."""

    def __init__(self, seeder, torrent, tarball):
        self.cluster = seeder.cluster
        self.tree = seeder.tree  # for log_text() and the work directory
        self.torrent, self.tarball = torrent, tarball
        self.dir = tempfile.mkdtemp(prefix="aria2-seeder-", dir=seeder.tree.dir)
        os.chmod(self.dir, 0o755)  # opentracker chroots here and drops to nobody
        with open(torrent, "rb") as f:
            self.info_hash = sitest.torrent_info_hash(f.read())
        with open(os.path.join(self.dir, "whitelist"), "w") as f:
            f.write(self.info_hash + "\n")
        os.chmod(os.path.join(self.dir, "whitelist"), 0o644)
        self.procs = []
        self.proc = None

    def start(self, timeout=60):
        log = open(os.path.join(self.dir, "seeder.log"), "ab")
        self.procs = [
            subprocess.Popen(self.cluster.exec_args(self.cluster.srv, [
                "opentracker", "-i", cl.SERVER_IP, "-p", str(PORTS[0]), "-P", str(PORTS[0]),
                "-d", self.dir, "-w", "whitelist"]), cwd=self.dir, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL),
            subprocess.Popen(self.cluster.exec_args(self.cluster.srv, [
                "aria2c", "--dir=" + os.path.dirname(self.tarball), "--seed-ratio=0.0",
                "--bt-seed-unverified=true", "--check-integrity=false", "--enable-dht=false",
                "--interface=" + cl.SERVER_IP, "--listen-port=%d" % PORTS[1],
                "--console-log-level=warn", "--summary-interval=0", self.torrent]),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)]
        log.close()
        q = "".join("%%%02X" % b for b in bytes.fromhex(self.info_hash))
        url = "http://%s:%d/scrape?info_hash=%s" % (cl.SERVER_IP, PORTS[0], q)
        deadline = time.monotonic() + timeout
        while True:
            r = subprocess.run(self.cluster.exec_args(self.cluster.srv, [
                "curl", "-s", "--max-time", "2", url]), capture_output=True)
            if b"8:completei1" in r.stdout:
                return
            if any(p.poll() is not None for p in self.procs) or time.monotonic() > deadline:
                raise RuntimeError("aria2c + opentracker did not start seeding: " +
                                   open(os.path.join(self.dir, "seeder.log")).read()[-2000:])
            time.sleep(0.2)

    def stop(self):
        for p in self.procs:
            fc.stop(p)
        self.procs = []

    def said_since(self, offset, words):
        return []


def client_run(a):
    """--one: inside the client's namespace, one download; prints the result as JSON."""
    r = fc.download(a.one, a.torrent, a.work, a.address, "eth0", a.timeout)
    print(json.dumps(r))
    return 0


def run_one(ctx, client, k):
    """One download by `client` with si_btd just started; returns the run's row."""
    background = sm.background_cpu(1.0)
    load = os.getloadavg()[0]
    ctx.seeder.start()
    offset = len(ctx.seeder.tree.log_text())
    work = tempfile.mkdtemp(dir=ctx.work, prefix="run-")
    rx = []  # (time, bytes the client's link delivered)
    row = {"client": client, "run": k, "load1": load, "background": background}
    p = dump = None
    if ctx.pcap:
        pcap = os.path.join(ctx.out, "%s-%d.pcap" % (client, k))
        dump = subprocess.Popen(ctx.cluster.exec_args(ctx.cluster.node_ns[0], [
            "tcpdump", "-i", "eth0", "-s", "128", "-U", "-w", pcap]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        time.sleep(1.0)  # until it listens
    try:
        g0, c0, t0 = ctx.cgroup.read(), sm.cpu_jiffies(), time.time()
        p = subprocess.Popen(
            ctx.cluster.exec_args(ctx.cluster.node_ns[0], [
                sys.executable, os.path.abspath(__file__), "--one", client, "--torrent",
                ctx.torrent, "--work", work, "--address", cl.node_ip(1),
                "--timeout", str(ctx.timeout)]),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # Bounded: the client is stopped after --timeout; its start and stop take seconds.
        deadline = time.monotonic() + ctx.timeout + 90
        while p.poll() is None:
            rx.append((time.time(), ctx.cluster.counters(ctx.cluster.br)["n1"][1]))
            if time.monotonic() > deadline:
                cl.kill_namespace_processes(ctx.cluster.node_ns[0])
                break
            time.sleep(0.1)
        out = p.communicate()[0].decode(errors="replace")
        g1, c1, t1 = ctx.cgroup.read(), sm.cpu_jiffies(), time.time()
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(10)
        if dump is not None:
            fc.stop(dump)
        ctx.seeder.stop()
    if dump is not None:
        row["packets"] = pcap_counts(pcap)
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        r = {"started": None, "finished": None, "log": out[-3000:]}
    row["seconds"] = (r["finished"] - r["started"]) if r.get("finished") else None
    row["identical"] = bool(r.get("finished")) and os.path.exists(r["path"]) and \
        sha256(r["path"]) == ctx.tarball_sha256
    if row["seconds"]:
        row["share"] = ctx.S * 8 / (ctx.rate_bps * row["seconds"])
        first = next((t for t, b in rx if b - rx[0][1] >= FIRST_BYTES), None)
        row["to_first_bytes"] = (first - r["started"]) if first else None
    row["rx_bytes"] = rx[-1][1] - rx[0][1] if rx else 0
    row["normally"] = ctx.seeder.said_since(offset, ("seeding it normally",))
    stall = own = None
    if g0 and g1 and t1 > t0:
        own = (g1[0] - g0[0]) / 1e6 / (t1 - t0)
        stall = (g1[1] - g0[1]) / 1e6 / (t1 - t0)
    busy = (c1[0] - c0[0]) / (c1[1] - c0[1]) if c1[1] > c0[1] else 0.0
    row.update(stall=stall, own_cores=own, machine_busy=busy)
    row["cpu_bound"] = (busy >= MACHINE_BUSY_FALLBACK if stall is None else
                        stall >= STALL_SHARE or own >= OWN_CORES_SHARE * os.cpu_count())
    if not row["identical"]:
        row["log"] = r.get("log", "")[-2000:]
        with open(os.path.join(ctx.out, "failed-%s-%d.log" % (client, k)), "w") as f:
            f.write("%s\n\nsi_btd:\n%s\n" % (r.get("log", ""),
                                             ctx.seeder.tree.log_text()[offset:][-20000:]))
    shutil.rmtree(work, ignore_errors=True)
    return row


def pcap_counts(pcap):
    """{what: packets} of a client's capture: TCP and uTP (UDP) to and from the seeder's port,
    TCP to the tracker, and resets."""
    filters = {"tcp seeder": "tcp port %d" % PORTS[1], "utp seeder": "udp port %d" % PORTS[1],
               "tracker": "tcp port %d" % PORTS[0],
               "tcp resets": "tcp[tcpflags] & tcp-rst != 0",
               "tcp syn": "tcp[tcpflags] & tcp-syn != 0"}
    out = {}
    for what, f in filters.items():
        r = subprocess.run(["tcpdump", "-n", "-r", pcap, f], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=120)
        out[what] = len(r.stdout.splitlines())
    return out


def pct(v):
    return "n/a" if v is None else "%d %%" % round(100 * v)


def table(rows, clients, runs):
    """The markdown table: one line per client."""
    aria = [r["seconds"] for r in rows if r["client"] == "aria2c" and r["identical"]]
    aria_median = statistics.median(aria) if aria else None
    lines = ["| client | complete, byte-identical | median s | min s | max s | "
             "median x aria2c | runs <= %.1f x aria2c | median link share | min link share | "
             "median s to first data | CPU-BOUND runs | goal: <= %.1f x aria2c, %d of %d | "
             "goal: >= %d %% of link |" % (GOAL_X_ARIA2, GOAL_X_ARIA2, runs, runs,
                                           round(100 * GOAL_LINK_SHARE)),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for c in clients:
        mine = [r for r in rows if r["client"] == c]
        ok = [r for r in mine if r["identical"]]
        secs = sorted(r["seconds"] for r in ok)
        shares = sorted(r["share"] for r in ok)
        firsts = [r["to_first_bytes"] for r in ok if r.get("to_first_bytes") is not None]
        within = [s for s in secs if aria_median and s <= GOAL_X_ARIA2 * aria_median]
        med = statistics.median(secs) if secs else None
        g1 = len(within) == runs and len(ok) == runs
        g2 = bool(shares) and statistics.median(shares) >= GOAL_LINK_SHARE and len(ok) == runs
        lines.append("| %s | %d of %d | %s | %s | %s | %s | %d of %d | %s | %s | %s | %d | %s | %s |"
                     % (c, len(ok), len(mine), fmt(med), fmt(secs[0] if secs else None),
                        fmt(secs[-1] if secs else None),
                        fmt(med / aria_median if med and aria_median else None, "%.2f"),
                        len(within), len(mine),
                        pct(statistics.median(shares) if shares else None),
                        pct(shares[0] if shares else None),
                        fmt(statistics.median(firsts) if firsts else None),
                        sum(1 for r in mine if r["cpu_bound"]),
                        "PASS" if g1 else "MISSED", "PASS" if g2 else "MISSED"))
    return "\n".join(lines)


def fmt(v, spec="%.1f"):
    return "n/a" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", default="100mbit", help="the link's rate both ways, tc syntax")
    ap.add_argument("--delay", default="0.1ms", help="one-way delay on each host's upload")
    ap.add_argument("--size", default="93M", help="bytes of random data in the image")
    ap.add_argument("--runs", type=int, default=10, help="downloads per client")
    ap.add_argument("--clients", default=",".join(fc.CLIENTS))
    ap.add_argument("--out", help="results directory (default /tmp/si-interop-bench-<time>)")
    ap.add_argument("--build-dir", default=os.environ.get("SI_BUILD_DIR",
                                                          os.path.join(HERE, "..", "build")))
    ap.add_argument("--timeout", type=int,
                    help="seconds a download may take (default 4 x S/R + 60)")
    ap.add_argument("--pcap", action="store_true",
                    help="capture each run's packet headers on the client's link (tcpdump) "
                    "into the results directory and count them by kind")
    ap.add_argument("--seeder", choices=("si_btd", "aria2c"), default="si_btd",
                    help="who seeds: si_btd at its defaults, or aria2c with opentracker (the "
                    "same tarball and .torrent), to tell a client's own start-up from ours")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--torrent", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--address", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        return client_run(a)

    if os.geteuid() != 0:
        raise SystemExit("interop bench: needs root (network namespaces, tc)")
    clients = [c.strip() for c in a.clients.split(",") if c.strip()]
    for c in clients:
        if c not in fc.CLIENTS:
            raise SystemExit("--clients: unknown %r (%s)" % (c, ", ".join(fc.CLIENTS)))
    missing = [t for t in ["ip", "tc"] + clients if shutil.which(t) is None]
    if missing:
        raise SystemExit("interop bench: missing tools: %s" % " ".join(missing))
    if a.runs < 1:
        raise SystemExit("--runs: at least 1")
    sitest.SI_BTD = os.path.abspath(os.path.join(a.build_dir, "src", "server", "si_btd"))
    if not os.access(sitest.SI_BTD, os.X_OK):
        raise SystemExit("interop bench: %s not built (scripts/build.sh)" % sitest.SI_BTD)

    if a.pcap and shutil.which("tcpdump") is None:
        raise SystemExit("interop bench: --pcap needs tcpdump")
    ctx = argparse.Namespace(rate_bps=parse_rate(a.rate), pcap=a.pcap)
    ctx.out = os.path.abspath(a.out or "/tmp/si-interop-bench-%s" % time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(ctx.out, exist_ok=True)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    ctx.cgroup = sm.CpuGroup("si-interop-%d" % os.getpid())
    cluster = seeder = None
    rows = []
    rc = 0
    try:
        cluster = cl.Cluster(1, a.rate, a.delay, cl.queue_limit("2000p", ctx.rate_bps))
        ctx.cluster = cluster
        cluster.create()
        seeder = Seeder(cluster)
        ctx.seeder = seeder
        ctx.work = seeder.tree.dir
        make_image(seeder.tree.image_dir(IMAGE), parse_size(a.size))
        t = time.monotonic()
        seeder.start()  # packs (BT_UPDATE=y), then seeds
        pack_s = time.monotonic() - t
        seeder.stop()
        seeder.tree.write_bt_conf(compress="zstd", update="n", images=(IMAGE,))
        ctx.torrent = os.path.join(seeder.tree.dir, "torrents", TORRENT)
        tarball = os.path.join(seeder.tree.dir, "tarballs", TORRENT[: -len(".torrent")])
        ctx.S = os.path.getsize(tarball)
        ctx.tarball_sha256 = sha256(tarball)
        floor = ctx.S * 8 / ctx.rate_bps
        ctx.timeout = a.timeout or int(4 * floor + 60)
        with open(ctx.torrent, "rb") as f:
            piece = sitest.bdecode(f.read())[b"info"][b"piece length"]
        if a.seeder == "aria2c":
            for tool in ("aria2c", "opentracker", "curl"):
                if shutil.which(tool) is None:
                    raise RuntimeError("--seeder aria2c needs %s" % tool)
            ctx.seeder = Aria2Seeder(seeder, ctx.torrent, tarball)
        versions = {c: client_version(c) for c in clients}
        head = ("link: %s both ways, %s one-way delay on each upload, 2000-packet queues "
                "(ping RTT %.3f ms)\ntarball: %.1f MiB (%d KiB pieces, packed in %.1f s); "
                "floor S/R = %.1f s; every download bounded to %d s\n"
                "seeder: %s, restarted for every run\n"
                "clients: %s\nmachine: %d CPUs, load average %s at the start\n" % (
                    a.rate, a.delay, cluster.ping_rtt_ms(), ctx.S / 2**20, piece >> 10, pack_s,
                    floor, ctx.timeout,
                    "si_btd at its defaults (BT_SUPER_SEED=y)" if a.seeder == "si_btd" else
                    "aria2c with opentracker (--seeder aria2c)", "; ".join("%s %s" % kv for kv in versions.items()),
                    os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
        print(head, flush=True)
        for k in range(1, a.runs + 1):
            for c in clients:
                row = run_one(ctx, c, k)
                rows.append(row)
                print("run %d %-16s %s s, %s, link share %s, to first data %s s, load %.1f, "
                      "stall %s%s%s" % (
                          k, c, fmt(row["seconds"]), "identical" if row["identical"] else
                          "NOT COMPLETE/IDENTICAL", pct(row.get("share")),
                          fmt(row.get("to_first_bytes")), row["load1"], pct(row["stall"]),
                          " CPU-BOUND" if row["cpu_bound"] else "",
                          "".join("\n    si_btd: " + x for x in row["normally"])), flush=True)
                if "packets" in row:
                    print("    packets: %s" % row["packets"], flush=True)
            # After every round: a run stopped early keeps the rounds it finished.
            summary = write_results(ctx, head, rows, clients, k, a.rate)
        print("\n" + summary + "\nresults in " + ctx.out, flush=True)
        rc = 0 if all(r["identical"] for r in rows) else 1
    except Stop as e:
        print("interop bench: stopped by %s; cleaning up" % e, file=sys.stderr)
        rc = 130
    except (RuntimeError, OSError, subprocess.CalledProcessError, AssertionError) as e:
        print("interop bench: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        if seeder:
            if seeder.proc is not None and seeder.proc.poll() is None:
                seeder.proc.kill()
                seeder.proc.wait(10)
            if os.path.exists(seeder.tree.log):
                shutil.copy(seeder.tree.log, os.path.join(ctx.out, "si_btd.log"))
        if cluster:
            cluster.destroy()
        if seeder:
            seeder.tree.cleanup()
        ctx.cgroup.remove()
    return rc


def write_results(ctx, head, rows, clients, rounds, rate):
    """results.md (the table after `rounds` rounds) and results.json; returns the summary."""
    loads = [r["load1"] for r in rows]
    stalls = [r["stall"] for r in rows if r["stall"] is not None]
    summary = (head + "\n" + table(rows, clients, rounds) + "\n\nload average (1 min) "
               "before the runs: median %.1f, max %.1f; our CPU stall median %s, max %s; "
               "%d of %d runs CPU-BOUND\n" % (
                   statistics.median(loads), max(loads),
                   pct(statistics.median(stalls) if stalls else None),
                   pct(max(stalls) if stalls else None),
                   sum(1 for r in rows if r["cpu_bound"]), len(rows)))
    with open(os.path.join(ctx.out, "results.md"), "w") as f:
        f.write(summary)
    with open(os.path.join(ctx.out, "results.json"), "w") as f:
        json.dump({"rate": rate, "S_bytes": ctx.S, "runs": rows}, f, indent=1)
    return summary


def client_version(c):
    args = {"qbittorrent-nox": ["qbittorrent-nox", "--version"],
            "ctorrent": ["dpkg-query", "-W", "-f", "${Version}", "ctorrent"]}.get(c, [c, "--version"])
    try:
        out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10,
                             env=dict(os.environ, HOME="/tmp")).stdout.decode(errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    words = out.strip().splitlines()[0].split() if out.strip() else ["?"]
    return next((w for w in words if w[:1].isdigit() or w[:2] == "v4"), words[-1])


if __name__ == "__main__":
    sys.exit(main())
