#!/usr/bin/env python3
"""An announce storm against a real si_btd, and nodes installing past dead peers (issue 15,
part 5), on 127.0.0.1 only.

1. The storm: tracker_load with --announcers keep-alive connections for --duration seconds,
   cycling through --dead peers (127.0.0.2:10000+i, nothing listens there), while a booting
   node's `GET /torrents/` runs once a second (a new connection each, 10 s timeout). Prints
   the announces/s, their p50/p99, how many GETs failed and their latency, si_btd's RSS.
2. Nodes past dead peers: rounds of 3 si_btagent installing the image at once (each on its own
   127.0.0.N, each into a new root) with --dead more peers in the tracker, each of its own
   address (127.0.1.1, ...; nothing listens), (a) announced again just before each round (fresh: the tracker cannot tell them from live ones) and (b) silent
   for more than 75 s (stale: replies hand out live peers first). Prints each round's slowest
   agent.

    bench/storm_bench.py [--build build] [--announcers 2000] [--duration 20] [--dead 512]
                         [--runs 5] [--image-mib 32] [--timeout 300] [--super-seed y|n]

Every process it starts is killed on exit, also on failure.
"""
import argparse
import http.client
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "tools"))

# The tracker's "live" window (peer_store.hpp: peer_live_within) and some slack.
STALE_AFTER_S = 80


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"VmRSS:\s+(\d+)", f.read())
    return int(m.group(1)) if m else -1


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Prober(threading.Thread):
    """A booting node's GET /torrents/ once a second until stopped."""

    def __init__(self, host, port):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.results = []  # (ok, seconds)
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            t0 = time.monotonic()
            ok = False
            try:
                c = http.client.HTTPConnection(self.host, self.port, timeout=10)
                c.request("GET", "/torrents/")
                r = c.getresponse()
                ok = r.status == 200 and b".torrent" in r.read()
                c.close()
            except (OSError, http.client.HTTPException):
                ok = False
            took = time.monotonic() - t0
            self.results.append((ok, took))
            self.done.wait(max(0.0, 1.0 - took))


def load(tool, port, info_hash, connections, duration, peers):
    # From 127.0.0.2: the storm's peers must not share the seeder's address. Our agents keep
    # one peer entry per address (allow_multiple_connections_per_ip off) and each tracker peer
    # at an address sets its port: dead peers at 127.0.0.1 kept overwriting the seeder's port,
    # and agents waited whole announce intervals for it (the 31-212 s).
    out = subprocess.run(
        [tool, "--host", "127.0.0.1", "--port", str(port), "--info-hash", info_hash,
         "--connections", str(connections), "--duration", str(duration), "--peers", str(peers),
         "--numwant", "50", "--bind", "127.0.0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=duration + 120).stdout.decode()
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        raise RuntimeError("tracker_load printed no RESULT:\n" + out)
    return dict(kv.split("=") for kv in m.group(1).split()), out


def dead_address(i):
    return "127.0.%d.%d" % (1 + i // 250, 1 + i % 250)


def inject_dead(port, info_hash, n):
    """n peers that announce once, each from its own address, where nothing listens; a
    quarter of them as seeds (as tracker_load's)."""
    q = "".join("%%%s" % info_hash[i:i + 2] for i in range(0, 40, 2))
    for i in range(n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                       source_address=(dead_address(i), 0))
        c.request("GET", "/announce?info_hash=%s&peer_id=-DD0001-%012d&port=6999&uploaded=0"
                  "&downloaded=0&left=%d&event=started" % (q, i, 0 if i % 4 == 0 else 1000))
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 200:
            raise RuntimeError("announce of dead peer %d: HTTP %d" % (i, r.status))


def install_round(sitest, t, first_octet, timeout):
    """Three agents at once; returns their wall times (None for a failure) and outputs."""
    cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=storm BITTORRENT_TRACKER_PORT=%d "
               "BITTORRENT_POLLING_TIME=1 BITTORRENT_TIMEOUT=%d" % (t.tracker_port, timeout))
    agents = []
    t0 = time.monotonic()
    for i in range(3):
        addr = "127.0.0.%d" % (first_octet + i)
        shutil.rmtree(os.path.join(t.dir, "node-" + addr), ignore_errors=True)
        agents.append(sitest.start_agent(t.dir, addr, cmdline))
    times, outs = [], []
    try:
        for p, root in agents:
            out = p.communicate(timeout=timeout + 60)[0].decode(errors="replace")
            times.append(time.monotonic() - t0 if p.returncode == 0 else None)
            outs.append(out)
    finally:
        sitest.stop_procs([p for p, _ in agents])
        for p, root in agents:
            shutil.rmtree(os.path.dirname(root), ignore_errors=True)
    return times, outs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--announcers", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--dead", type=int, default=512)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--image-mib", type=int, default=32)
    ap.add_argument("--timeout", type=int, default=300, help="the agents' BITTORRENT_TIMEOUT")
    ap.add_argument("--super-seed", default="y", choices=("y", "n"), help="BT_SUPER_SEED")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["SI_BUILD_DIR"] = build
    import sitest
    tool = os.path.join(build, "bench", "tracker_load")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, a.announcers * 2 + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # for tracker_load, inherited

    t = sitest.ServerTree(images=("storm",), extra="BT_SUPER_SEED=%s\n" % a.super_seed)
    procs = []
    try:
        rng = random.Random(15)
        image = t.image_dir("storm")
        per_file = 4 << 20
        for i in range(max(1, (a.image_mib << 20) // per_file)):
            sitest.write_file(os.path.join(image, "usr", "lib", "f%03d" % i), rng.randbytes(per_file))
        btd = t.start()
        procs.append(btd)
        # Its log also goes to the file; drain the pipe so that it never blocks.
        threading.Thread(target=lambda: [None for _ in btd.stdout], daemon=True).start()
        t.wait_served(["image-storm.tar.torrent"], timeout=300)
        with open(os.path.join(t.dir, "torrents", "image-storm.tar.torrent"), "rb") as f:
            info_hash = sitest.torrent_info_hash(f.read())
        rss0 = rss_kib(btd.pid)

        # 1. The storm, with a booting node asking for the torrents every second.
        prober = Prober("127.0.0.1", t.tracker_port)
        cpu0 = cpu_s(btd.pid)
        prober.start()
        storm, storm_out = load(tool, t.tracker_port, info_hash, a.announcers, a.duration, a.dead)
        prober.done.set()
        prober.join(15)
        cpu1 = cpu_s(btd.pid)
        rss1 = rss_kib(btd.pid)
        time.sleep(10)
        rss2 = rss_kib(btd.pid)
        gets = prober.results
        failed = sum(1 for ok, _ in gets if not ok)
        lat = sorted(s for ok, s in gets if ok)
        print(storm_out.strip())
        print("\n## The storm: %d announcers (keep-alive), %d s, %d distinct dead peers"
              % (a.announcers, a.duration, a.dead))
        print("| announces/s | p50 ms | p99 ms | transport errors | GET /torrents/ failed "
              "| GET ok: median / max s | si_btd CPU s | RSS before / after / +10 s MiB |")
        print("|---|---|---|---|---|---|---|---|")
        print("| %s | %s | %s | %s | %d of %d | %s | %.1f | %.1f / %.1f / %.1f |" % (
            storm["rate"], storm["p50_ms"], storm["p99_ms"], storm["errors"], failed, len(gets),
            "%.3f / %.3f" % (statistics.median(lat), lat[-1]) if lat else "-", cpu1 - cpu0,
            rss0 / 1024, rss1 / 1024, rss2 / 1024))
        sys.stdout.flush()

        # 2. Three agents with the dead peers in the tracker.
        # Dead peers of their own addresses (127.0.1.1...), not the storm's one address.
        inject_dead(t.tracker_port, info_hash, a.dead)
        rows = []
        octet = 20
        for phase in ("fresh", "stale"):
            if phase == "stale":
                time.sleep(STALE_AFTER_S)
            for run in range(a.runs):
                if phase == "fresh":  # every dead peer announced just now
                    inject_dead(t.tracker_port, info_hash, a.dead)
                times, outs = install_round(sitest, t, octet, a.timeout)
                octet += 3
                ok = [x for x in times if x is not None]
                slowest = max(ok) if len(ok) == 3 else None
                rows.append((phase, run + 1, times, slowest))
                print("%s run %d: %s" % (phase, run + 1, ", ".join(
                    "%.1f s" % x if x is not None else "FAILED" for x in times)))
                for x, out in zip(times, outs):
                    if x is None:
                        print(out[-2000:])
                sys.stdout.flush()
        print("\n## 3 agents, %d MiB image, %d dead peers in the tracker" % (a.image_mib, a.dead))
        print("| dead peers | runs | slowest agent per run, s | worst | runs over 10 s |")
        print("|---|---|---|---|---|")
        for phase in ("fresh", "stale"):
            mine = [r for r in rows if r[0] == phase]
            slow = [r[3] for r in mine]
            shown = ", ".join("%.1f" % x if x is not None else "failed" for x in slow)
            worst = max((x for x in slow if x is not None), default=float("nan"))
            over = sum(1 for x in slow if x is None or x > 10)
            label = ("announced just before (fresh)" if phase == "fresh"
                     else "silent > %d s (stale)" % STALE_AFTER_S)
            print("| %s | %d | %s | %.1f | %d |" % (label, len(mine), shown, worst, over))
        print("\nsi_btd RSS at the end: %.1f MiB" % (rss_kib(btd.pid) / 1024))
    finally:
        sitest.stop_procs(procs)
        t.cleanup()


if __name__ == "__main__":
    main()
