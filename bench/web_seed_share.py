#!/usr/bin/env python3
"""What a web seed adds (issue 32, BEP 19): one si_btd with BT_WEB_SEEDS=self and N agents on a
loopback slowed with tc in a network namespace of the script's own; prints the tarball's size,
the payload the seeder sent (/metrics' si_btd_image_server_bytes_total), the bytes si_btd's own
/tarballs/ sent (its log at stop), and each agent's result. Also the same run without a web
seed when --compare is given. Needs root and iproute2.

    sudo python3 bench/web_seed_share.py --nodes 4 --megabytes 24 --rate 40mbit [--compare]
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))

TORRENT = "image-golden.tar.gz.torrent"


def metric(text, name):
    m = re.search(r"^%s\{[^}]*\} ([0-9.e+]+)$" % re.escape(name), text, re.M)
    return int(float(m.group(1))) if m else 0


def run(nodes, megabytes, web_seed, build):
    import sitest
    import tree_compare
    tree = sitest.ServerTree(address="127.0.0.1", compress="y", images=("golden",))
    try:
        src = sitest.make_image_tree(tree.image_dir("golden"), special=False, megabytes=megabytes)
        tree.write_bt_conf(compress="y", images=("golden",),
                           extra="BT_WEB_SEEDS=self\n" if web_seed else "")
        btd = tree.start()
        tree.wait_served([TORRENT], timeout=300)
        tarball = os.path.join(tree.dir, "tarballs", "image-golden.tar.gz")
        start = time.monotonic()
        procs = []
        for i in range(nodes):
            address = "127.0.0.%d" % (20 + i)
            procs.append(sitest.start_agent(
                tree.dir, address,
                "BITTORRENT=y IMAGESERVER=127.0.0.1:%d IMAGENAME=golden BITTORRENT_POLLING_TIME=1 "
                "BITTORRENT_TIMEOUT=120 BITTORRENT_SERVER_TIMEOUT=60" % tree.tracker_port))
        results = []
        for p, root in procs:
            out, _ = p.communicate(timeout=900)
            exact = tree_compare.compare(src, root, ignore_root_mtime=True) == []
            results.append((p.returncode, exact, time.monotonic() - start))
        _, body = sitest.http_get(tree.url("/metrics"))
        seeder = metric(body.decode(), "si_btd_image_server_bytes_total")
        btd.terminate()
        btd.wait(60)
        m = re.search(r"web seed: (\d+) bytes of tarballs sent", tree.log_text())
        web = int(m.group(1)) if m else 0
        return os.path.getsize(tarball), seeder, web, results
    finally:
        tree.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--megabytes", type=int, default=24)
    ap.add_argument("--rate", default="40mbit")
    ap.add_argument("--compare", action="store_true", help="also run without a web seed")
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    a = ap.parse_args()
    os.environ.setdefault("SI_BUILD_DIR", os.path.abspath(a.build))
    import test_image_changed
    test_image_changed.RATE = a.rate
    ns = test_image_changed.SlowLoopbackNamespace()
    try:
        for web_seed in ([True, False] if a.compare else [True]):
            size, seeder, web, results = run(a.nodes, a.megabytes, web_seed, a.build)
            last = max(t for _, _, t in results)
            print("web seed %-3s nodes %d tarball %.1f MiB: seeder sent %.1f MiB (%.2f x), "
                  "web seed sent %.1f MiB (%.2f x); exact %d/%d; last node done at %.1f s"
                  % ("on" if web_seed else "off", a.nodes, size / 2**20, seeder / 2**20,
                     seeder / size, web / 2**20, web / size,
                     sum(1 for rc, ok, _ in results if rc == 0 and ok), len(results), last))
    finally:
        ns.close()


if __name__ == "__main__":
    main()
