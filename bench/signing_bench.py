#!/usr/bin/env python3
"""The cost of signed installs (issue 33, goal: at most 1 % more install time). One si_btd on
127.0.0.1 serves one image, with BT_SIGNING_KEY and BT_MONITOR_KEY; agents install it into
fresh roots, one at a time, alternating between
  signed:   --trusted-keys (the server's key) and --monitor-key: every .torrent and its
            signature checked before the install, each report sealed with its HMAC;
  unsigned: an empty --trusted-keys directory and no monitor key (an initrd without keys).
Prints each run's wall time (agent start to exit), the medians and their ratio, all from the
same invocation; and, as the end-to-end times of a loaded machine vary more than the cost
looked for, the agent's own measure of what signing adds: the time of each check (the
signature's GET, BLAKE2b of the .torrent, two Ed25519 verifications), summed per signed
install, as a share of that install's time. The server's own cost (one signature per
.torrent at pack time) is not in the install time.
usage: bench/signing_bench.py [--mib 64] [--runs 5]   (root not needed; after scripts/build.sh)
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "tools"))
import sitest  # noqa: E402

SI_BTKEY = os.path.join(sitest.BUILD_DIR, "src", "server", "si_btkey")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=64, help="image size in MiB (default 64)")
    ap.add_argument("--runs", type=int, default=5, help="installs of each kind (default 5)")
    args = ap.parse_args()
    keys = tempfile.mkdtemp(prefix="si-signing-bench-")
    t = None
    try:
        subprocess.run([SI_BTKEY, "signing", "--key", os.path.join(keys, "s.key")], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([SI_BTKEY, "monitor", "--key", os.path.join(keys, "m.key")], check=True,
                       stdout=subprocess.DEVNULL)
        trusted = os.path.join(keys, "trusted")
        empty = os.path.join(keys, "empty")
        os.makedirs(trusted)
        os.makedirs(empty)
        shutil.copy(os.path.join(keys, "s.pub"), trusted)
        t = sitest.ServerTree(images=("bench",), extra="BT_SIGNING_KEY=%s\nBT_MONITOR_KEY=%s\n"
                              % (os.path.join(keys, "s.key"), os.path.join(keys, "m.key")))
        sitest.make_image_tree(t.image_dir("bench"), special=False, megabytes=args.mib)
        t.start()
        t.wait_served(["image-bench.tar.torrent"], timeout=600)
        sig = os.path.join(t.dir, "torrents", "image-bench.tar.torrent.minisig")
        if not os.path.exists(sig):
            raise SystemExit("si_btd did not sign the torrent:\n" + t.log_text()[-2000:])
        times = {"signed": [], "unsigned": []}
        check_shares = []
        n = 0
        for i in range(args.runs):
            for kind in ("unsigned", "signed") if i % 2 == 0 else ("signed", "unsigned"):
                n += 1
                address = "127.0.0.%d" % (10 + n)
                extra = (["--trusted-keys", trusted, "--monitor-key", os.path.join(keys, "m.key")]
                         if kind == "signed" else ["--trusted-keys", empty])
                cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=bench "
                           "BITTORRENT_TRACKER_PORT=%d BITTORRENT_POLLING_TIME=1 "
                           "MONITOR_SERVER=127.0.0.1 MONITOR_PORT=%d"
                           % (t.tracker_port, t.monitor_port))
                start = time.monotonic()
                p, root = sitest.start_agent(t.dir, address, cmdline, extra_args=extra)
                out = p.communicate(timeout=600)[0].decode(errors="replace")
                took = time.monotonic() - start
                if p.returncode != 0:
                    raise SystemExit("%s install failed (exit %d):\n%s"
                                     % (kind, p.returncode, out[-3000:]))
                if kind == "signed" and "signed: image 'bench'" not in out:
                    raise SystemExit("the signed install did not check the signature:\n" + out)
                times[kind].append(took)
                checks = [float(m) for m in re.findall(r"; checked in ([0-9.]+) ms", out)]
                note = ""
                if kind == "signed":
                    check_shares.append(sum(checks) / 1000 / took)
                    note = "  (%d check(s): %.2f ms, %.4f %% of the install)" % (
                        len(checks), sum(checks), 100 * check_shares[-1])
                print("run %2d %-8s %.3f s%s" % (n, kind, took, note), flush=True)
                shutil.rmtree(os.path.dirname(root), ignore_errors=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        print("image %d MiB, %d installs of each kind" % (args.mib, args.runs))
        for k in ("unsigned", "signed"):
            print("%-8s median %.3f s (min %.3f, max %.3f)"
                  % (k, med[k], min(times[k]), max(times[k])))
        print("signed / unsigned: %.4f (%+.2f %%)"
              % (med["signed"] / med["unsigned"], 100 * (med["signed"] / med["unsigned"] - 1)))
        print("signature checks: median %.4f %% of a signed install's time (max %.4f %%)"
              % (100 * statistics.median(check_shares), 100 * max(check_shares)))
    finally:
        if t is not None:
            t.cleanup()
        shutil.rmtree(keys, ignore_errors=True)


if __name__ == "__main__":
    main()
