#!/usr/bin/env python3
"""What si_btd's background check of its seeded tarballs (BT_SCRUB_RATE) costs.

1. Flat out, per tarball: scrub_check reads and hashes every piece once with the daemon's own
   check_piece(), from the page cache (warm, as while seeding) and from the disk (cold).
2. In the daemon: si_btd seeding the tarball, idle, for --window seconds at each of --rates
   (MiB/s; 0 is the check off): its CPU seconds over the window, from /proc.

    bench/scrub_bench.py [--build build] [--image-mib 128] [--window 60] [--rates 0,16,64]

Listens on 127.0.0.1 only; si_btd is stopped on exit, also on failure.
"""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "tools"))


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--image-mib", type=int, default=128)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--rates", default="0,16,64")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["SI_BUILD_DIR"] = build
    import sitest
    check = os.path.join(build, "bench", "scrub_check")
    t = sitest.ServerTree(images=("scrub",))
    procs = []
    try:
        rng = random.Random(15)
        per_file = 4 << 20
        for i in range(max(1, (a.image_mib << 20) // per_file)):
            sitest.write_file(os.path.join(t.image_dir("scrub"), "usr", "f%03d" % i),
                              rng.randbytes(per_file))
        torrent = os.path.join(t.dir, "torrents", "image-scrub.tar.torrent")
        tarball = os.path.join(t.dir, "tarballs", "image-scrub.tar")
        rows = []
        for n, rate in enumerate(int(r) for r in a.rates.split(",")):
            # The first start packs; the others reuse the pair (BT_UPDATE=n, no re-hash).
            t.write_bt_conf(update="y" if n == 0 else "n", images=("scrub",),
                            extra="BT_SCRUB_RATE=%d\n" % rate)
            btd = t.start()
            procs.append(btd)
            threading.Thread(target=lambda p=btd: [None for _ in p.stdout], daemon=True).start()
            t.wait_served(["image-scrub.tar.torrent"], timeout=600)
            time.sleep(2)
            c0 = cpu_s(btd.pid)
            time.sleep(a.window)
            c1 = cpu_s(btd.pid)
            rows.append((rate, c1 - c0))
            btd.send_signal(signal.SIGTERM)
            btd.wait(60)
            if n == 0:
                results = []
                for mode in ("warm", "warm", "warm", "cold"):
                    out = subprocess.run([check, torrent, tarball] + (["--cold"] if mode == "cold" else []),
                                         stdout=subprocess.PIPE, check=True).stdout.decode()
                    print(out.strip().splitlines()[0])
                    m = re.search(r"^RESULT (.*)$", out, re.M)
                    results.append((mode, dict(kv.split("=") for kv in m.group(1).split())))
        size_mib = os.path.getsize(tarball) / (1 << 20)
        print("\n## Flat out, one %.0f MiB tarball (scrub_check)" % size_mib)
        print("| page cache | wall s | CPU s | MB/s | CPU s per GB |")
        print("|---|---|---|---|---|")
        for mode, r in results:
            print("| %s | %s | %s | %s | %s |" % (mode, r["wall_s"], r["cpu_s"], r["mb_per_s"],
                                                 r["cpu_s_per_gb"]))
        print("\n## si_btd seeding it, idle, %d s" % a.window)
        print("| BT_SCRUB_RATE MiB/s | si_btd CPU s | % of one core | one round of the tarball |")
        print("|---|---|---|---|")
        for rate, cpu in rows:
            rnd = "%.0f s" % (size_mib / rate) if rate > 0 else "-"
            print("| %d | %.2f | %.1f | %s |" % (rate, cpu, 100 * cpu / a.window, rnd))
    finally:
        sitest.stop_procs(procs)
        t.cleanup()


if __name__ == "__main__":
    main()
