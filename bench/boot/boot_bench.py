#!/usr/bin/env python3
"""Boot benchmark: time from power-on to "imaged" (status 100 at the monitor) for 1, 3 and 6
QEMU nodes that PXE-boot our kernel + initrd from a boot server in a network namespace and
image their disk over BitTorrent; and the initrd's size. Same lab as the e2e test
(tests/e2e/pxe_lab.py): dnsmasq + pxelinux with etc/pxelinux.cfg/syslinux.cfg, si_btd, QEMU
in software emulation (no KVM), 512 MiB and one vCPU per node.

Each round boots fresh nodes at the same moment and reports, over its nodes, the time from
power-on to the agent's first report (status 0: firmware, PXE, kernel, /init, DHCP, mount),
from there to status 100 (download + streaming unpack), and power-on to imaged; also when
dnsmasq finished sending the node its initrd (its log, whole seconds).

usage: bench/boot/boot_bench.py [--nodes 1,3,6] [--megabytes 48] [--seeder-mbit N] [--agent PATH]
  --seeder-mbit N: cap the seeder's sending at N Mbit/s (tc on the bridge; node-to-node
  traffic is not capped), a server uplink slower than the nodes' sum as in a real cluster
needs root; SI_BUILD_DIR as for the tests (default build/)."""
import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
import pxe_lab  # noqa: E402

ROUND_TIMEOUT = 600


def fmt(values):
    if not values:
        return "-"
    return "%.0f / %.0f / %.0f" % (min(values), statistics.median(values), max(values))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="1,3,6")
    ap.add_argument("--megabytes", type=int, default=48, help="size of the image's data files")
    ap.add_argument("--seeder-mbit", type=int, default=0, help="cap the seeder (0: no cap)")
    ap.add_argument("--agent", default=None)
    args = ap.parse_args()
    missing = pxe_lab.missing_requirements()
    if missing:
        sys.exit("boot_bench: needs " + " ".join(missing))
    pxe_lab.enter_namespaces()

    work = tempfile.mkdtemp(prefix="si-bootbench-")
    lab = None
    try:
        boot = os.path.join(work, "boot")
        t0 = time.monotonic()
        summary = pxe_lab.build_initrd(boot, agent=args.agent)
        build_s = time.monotonic() - t0
        initrd_bytes = os.path.getsize(os.path.join(boot, "initrd.img"))
        kernel_bytes = os.path.getsize(os.path.join(boot, "kernel"))
        lab = pxe_lab.Lab(work, boot)
        lab.start_server(megabytes=args.megabytes, seeder_mbit=args.seeder_mbit or None)
        tarball = [f for f in os.listdir(os.path.join(lab.server.dir, "tarballs")) if f.startswith("image-")][0]
        tar_bytes = os.path.getsize(os.path.join(lab.server.dir, "tarballs", tarball))
        lab.set_pxelinux_config({"IMAGENAME": "golden", "OVERRIDES": "site", "SI_DONE": "poweroff",
                                 "SI_ON_FAIL": "poweroff", "MONITOR_SERVER": pxe_lab.SERVER_IP,
                                 "BITTORRENT_SEED_WAIT": "y"}, extra="console=ttyS0,115200")
        lab.start_dnsmasq()
        rows = []
        for n in [int(x) for x in args.nodes.split(",")]:
            nodes = [lab.add_client(nic="virtio-net-pci", disk="virtio") for _ in range(n)]
            for c in nodes:
                c.start()
            deadline = time.monotonic() + ROUND_TIMEOUT
            while time.monotonic() < deadline and not all(lab.monitor.first_time(c.mac, 100) for c in nodes):
                if all(c.poll() is not None for c in nodes):
                    break
                time.sleep(0.5)
            lab.wait_clients(nodes, 120)
            tftp_s, boot_s, xfer_s, total_s, peer_bytes = [], [], [], [], 0
            for c in nodes:
                t_init, t_done = lab.monitor.first_time(c.mac, 0), lab.monitor.first_time(c.mac, 100)
                t_tftp = lab.tftp_done(c)
                if t_tftp:
                    tftp_s.append(t_tftp - c.started_wall)
                if t_init and t_done:
                    boot_s.append(t_init - c.started)
                    xfer_s.append(t_done - t_init)
                    total_s.append(t_done - c.started)
                m = re.search(r"sent (\d+) bytes to peers", c.serial_text())
                peer_bytes += int(m.group(1)) if m else 0
            rows.append((n, len(total_s), tftp_s, boot_s, xfer_s, total_s, peer_bytes))
            print("%d node(s): %d imaged; power-on->imaged min/median/max %s s" % (n, len(total_s), fmt(total_s)),
                  flush=True)
        print()
        print(summary.strip())
        print("initrd build: %.0f s; initrd.img %.1f MB, kernel %.1f MB; image tarball %s %.1f MB; seeder cap %s"
              % (build_s, initrd_bytes / 1e6, kernel_bytes / 1e6, tarball, tar_bytes / 1e6,
                 "%d Mbit/s" % args.seeder_mbit if args.seeder_mbit else "none"))
        print()
        print("| nodes | imaged | power-on -> initrd loaded (s) | power-on -> agent start (s) "
              "| agent start -> imaged (s) | power-on -> imaged (s) | sent node to node (MB) |")
        print("|---|---|---|---|---|---|---|")
        for n, ok, tf, b, x, t, pb in rows:
            print("| %d | %d | %s | %s | %s | %s | %.1f |" % (n, ok, fmt(tf), fmt(b), fmt(x), fmt(t), pb / 1e6))
        print("(min / median / max over the round's nodes)")
        return 0 if all(r[1] == r[0] for r in rows) else 1
    finally:
        if lab:
            lab.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
