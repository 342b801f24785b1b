#!/usr/bin/env python3
"""Blank-disk boot benchmark (issue 11): power-on -> "booted into the deployed OS" for 1 and 3
QEMU nodes with blank disks, beside power-on -> "imaged", with the share each phase takes.
Same lab as tests/e2e/test_blank_disk_boot.py: the real Debian 12 image
(tests/e2e/make-debian-image), its msdos layout with GRUB for BIOS, SeaBIOS nodes trying their
disk then the network, QEMU in software emulation (no KVM: see pxe_lab.Client.start), 1 GiB
and one vCPU per node.

Phases, from the stand-in si_monitor's reports (phase field, BITTORRENT_POLLING_TIME=1) and
the marker the deployed OS prints on its serial console:
  firmware + PXE + initrd  power-on -> the agent's first report (phase start)
  partition + mkfs         phase partition -> the first download report
  download + unpack        first download report -> phase bootloader
  bootloader               phase bootloader -> /init's status 104 (rebooting)
  reboot + OS boot         status 104 -> "SI-BOOTED" on the serial console
(the torrent fetch, between start and partition, is in none of them; the table says how much
of the whole the five cover).

usage: bench/boot/blank_boot_bench.py [--nodes 1,3] [--seeder-mbit N]
needs root, mmdebstrap and Debian's archive (for the image, once), QEMU, dnsmasq, pxelinux."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

E2E = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e")
sys.path.insert(0, E2E)
import pxe_lab  # noqa: E402
import test_blank_disk_boot as blank  # noqa: E402

ROUND_TIMEOUT = 1200
PHASES = ("firmware + PXE + initrd", "partition + mkfs", "download + unpack", "bootloader",
          "reboot + OS boot")


def fmt(values):
    if not values:
        return "-"
    return "%.0f / %.0f / %.0f" % (min(values), statistics.median(values), max(values))


def first(events, mac, pred):
    dotted = mac.lower().replace(":", ".")
    for t, f in events:
        if f.get("mac") == dotted and pred(f):
            return t
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="1,3")
    ap.add_argument("--seeder-mbit", type=int, default=0, help="cap the seeder (0: no cap)")
    args = ap.parse_args()
    missing = pxe_lab.missing_requirements()
    if missing:
        sys.exit("blank_boot_bench: needs " + " ".join(missing))
    blank.build_image()
    image = os.environ.get("SI_E2E_DEBIAN_IMAGE")
    if not image:
        sys.exit("blank_boot_bench: the Debian image could not be built: " +
                 os.environ.get("SI_E2E_IMAGE_ERROR", "?"))
    pxe_lab.enter_namespaces()

    counts = [int(x) for x in args.nodes.split(",")]
    work = tempfile.mkdtemp(prefix="si-blankbench-")
    lab = None
    try:
        boot = os.path.join(work, "boot")
        pxe_lab.build_initrd(boot)
        lab = pxe_lab.Lab(work, boot)
        t0 = time.monotonic()
        lab.start_image_server({"debian": (image, blank.BIOS_LAYOUT)})
        pack_s = time.monotonic() - t0
        if args.seeder_mbit:
            lab.limit_seeder(lab.server.seeder_port, args.seeder_mbit)
        tarball = [f for f in os.listdir(os.path.join(lab.server.dir, "tarballs"))
                   if f.startswith("image-") and not f.endswith(".record")][0]
        tar_bytes = os.path.getsize(os.path.join(lab.server.dir, "tarballs", tarball))
        lab.set_pxelinux_config({"IMAGENAME": "debian", "SI_DONE": "reboot", "SI_ON_FAIL": "poweroff",
                                 "MONITOR_SERVER": pxe_lab.SERVER_IP, "BITTORRENT_POLLING_TIME": "1"},
                                extra="console=ttyS0,115200", drop=("SI_TARGET",))
        macs = ["52:54:00:36:00:%02x" % (i + 1) for i in range(sum(counts))]
        lab.start_dnsmasq(hostnames={m: "node%d" % i for i, m in enumerate(macs)})
        rows = []
        for n in counts:
            nodes = [lab.add_client(nic="virtio-net-pci", disk="virtio", disk_mb=3072, blank=True)
                     for _ in range(n)]
            for c in nodes:
                c.start()
            booted = {}
            deadline = time.monotonic() + ROUND_TIMEOUT
            while time.monotonic() < deadline and len(booted) < n:
                for c in nodes:
                    if c.name not in booted and "SI-BOOTED" in c.serial_text():
                        booted[c.name] = time.monotonic()
                if all(c.poll() is not None for c in nodes):
                    break
                time.sleep(0.5)
            lab.wait_clients(nodes, 60)
            with lab.monitor.lock:
                events = list(lab.monitor.events)
            phases = {p: [] for p in PHASES}
            imaged, total, covered = [], [], []
            for c in nodes:
                t = {
                    "start": first(events, c.mac, lambda f: f.get("phase") == "start"),
                    "partition": first(events, c.mac, lambda f: f.get("phase") == "partition"),
                    "download": first(events, c.mac, lambda f: f.get("phase") == "download"),
                    "bootloader": first(events, c.mac, lambda f: f.get("phase") == "bootloader"),
                    "imaged": first(events, c.mac, lambda f: f.get("status") == "100"),
                    "reboot": first(events, c.mac, lambda f: f.get("status") == "104"),
                    "booted": booted.get(c.name),
                }
                if None in t.values():
                    print("%s: missing %s" % (c.name, [k for k, v in t.items() if v is None]),
                          flush=True)
                    continue
                spans = [t["start"] - c.started, t["download"] - t["partition"],
                         t["bootloader"] - t["download"], t["reboot"] - t["bootloader"],
                         t["booted"] - t["reboot"]]
                for p, s in zip(PHASES, spans):
                    phases[p].append(s)
                imaged.append(t["imaged"] - c.started)
                total.append(t["booted"] - c.started)
                covered.append(sum(spans) / (t["booted"] - c.started))
            rows.append((n, len(total), phases, imaged, total, covered))
            print("%d node(s): %d booted the deployed OS; power-on -> booted %s s" % (n, len(total), fmt(total)),
                  flush=True)
        print()
        print("image: Debian 12 tree %s, tarball %s %.0f MB, packed in %.0f s; seeder cap %s"
              % (image, tarball, tar_bytes / 1e6, pack_s,
                 "%d Mbit/s" % args.seeder_mbit if args.seeder_mbit else "none"))
        print()
        print("| nodes | booted | power-on -> imaged (s) | power-on -> booted (s) | " +
              " | ".join("%s (s, share)" % p for p in PHASES) + " | phases cover |")
        print("|---" * (5 + len(PHASES)) + "|")
        for n, ok, phases, imaged, total, covered in rows:
            med_total = statistics.median(total) if total else 0
            cells = ["%s (%.0f %%)" % (fmt(phases[p]), 100 * statistics.median(phases[p]) / med_total)
                     if phases[p] and med_total else "-" for p in PHASES]
            print("| %d | %d | %s | %s | %s | %s |" % (n, ok, fmt(imaged), fmt(total), " | ".join(cells),
                                                  "%.0f %%" % (100 * statistics.median(covered)) if covered else "-"))
        print("(min / median / max over the round's nodes; share: median phase / median power-on -> booted)")
        return 0 if all(r[1] == r[0] for r in rows) else 1
    finally:
        if lab:
            lab.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
