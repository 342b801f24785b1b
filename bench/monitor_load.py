#!/usr/bin/env python3
"""Capacity of si_btd's monitor listener and status pages: starts si_btd on 127.0.0.1 with a
tiny image, sends NODES x ROUNDS reports in SystemImager's si_monitor protocol (one connection
per report, as nodes send them), then times /status.json (with and without history) and
/metrics, and prints si_btd's resident memory. A deployment of N nodes needs N/10 reports/s
(one per node every 10 s). No rival runs: SystemImager's si_monitor (Perl, XML::Simple) is not
in Debian. Listens on 127.0.0.1 only; si_btd is stopped on exit.

    bench/monitor_load.py [--nodes 1000] [--rounds 10] [--build build]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "tools"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    a = ap.parse_args()
    os.environ["SI_BUILD_DIR"] = os.path.abspath(a.build)
    import sitest
    t = sitest.ServerTree(images=("demo",))
    sitest.write_file(os.path.join(t.image_dir("demo"), "etc", "hostname"), "demo\n")
    proc = t.start()
    try:
        t.wait_served(["image-demo.tar.torrent"])
        started = time.monotonic()
        for r in range(a.rounds):
            for n in range(a.nodes):
                line = ("mac=02.00.00.%02x.%02x.%02x:ip=10.1.%d.%d:host=node%05d:os=demo:status=%d:"
                        "speed=%d:up=300:peers=5\n" % (n >> 16, (n >> 8) & 255, n & 255, n >> 8,
                                                       n & 255, n, min(99, r * 3 + 1), 10000 + n))
                with socket.create_connection(("127.0.0.1", t.monitor_port)) as s:
                    s.sendall(line.encode())
        took = time.monotonic() - started
        sent = a.nodes * a.rounds
        print("reports: %d in %.2f s = %.0f reports/s (%d nodes need %.0f/s)"
              % (sent, took, sent / took, a.nodes, a.nodes / 10))
        sitest.wait_for(lambda: t.status()["server"]["monitor"]["reports"] >= sent, 30,
                        "every report counted")
        for path in ("/status.json", "/status.json?history=1", "/metrics"):
            best = None
            for _ in range(5):
                t0 = time.monotonic()
                with urllib.request.urlopen(t.url(path), timeout=30) as r:
                    body = r.read()
                best = min(best or 1e9, time.monotonic() - t0)
            extra = ""
            if path.startswith("/status.json"):
                extra = ", %d nodes" % len(json.loads(body)["nodes"])
            print("%-24s %8d bytes, best of 5: %.3f s%s" % (path, len(body), best, extra))
        with open("/proc/%d/status" % proc.pid) as f:
            rss = [x for x in f if x.startswith("VmRSS")][0].split()[1]
        print("si_btd resident memory: %d MiB" % (int(rss) // 1024))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        t.cleanup()


if __name__ == "__main__":
    main()
