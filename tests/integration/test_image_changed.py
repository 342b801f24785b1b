#!/usr/bin/env python3
"""An image repacked while a node is half-way through it (issue 29): si_btd's tracker then
answers the node's announces that its info-hash is no longer served. The agent must act on
that answer, not wait BITTORRENT_TIMEOUT for pieces no one will send (it used to stall 300 s
and exit 8): by default it installs the new image (BITTORRENT_RESTARTS), and with
BITTORRENT_RESTARTS=0 it stops with exit 13 and a clear line.

To have the node half-way, the test runs in a network namespace of its own whose loopback is
slowed with a token bucket (tc tbf): si_btd and the agent talk at a few Mbit/s there. Needs
root (CAP_NET_ADMIN) and iproute2; skipped otherwise."""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

import netns  # noqa: E402
import sitest  # noqa: E402

from exit_codes import AGENT  # noqa: E402

# The slowed loopback: 24 MiB take about 50 s at this rate, so the repack comes half-way.
RATE = "4mbit"
IMAGE_MB = 24
DISK_TOOLS = ("losetup", "sfdisk", "mkfs.ext4", "blkid")

# A blank disk's layout (SystemImager's autoinstallscript.conf): one root filesystem.
ONE_PARTITION = """<config>
  <disk dev="/dev/sda" label_type="msdos" unit_of_measurement="MB">
    <part num="1" size="*" p_type="primary" p_name="-" flags="boot" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda1" mp="/" fs="ext4" options="defaults" dump="0" pass="1" />
</config>
"""


class SlowLoopbackNamespace:
    """A network namespace with only a slowed loopback, entered by this process (its children
    inherit it); left and deleted by close()."""

    def __init__(self):
        self.name = "si-test-%d" % os.getpid()
        self.entered = None
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        try:
            self.entered = netns.EnteredNamespace(self.name)
            # A bucket holds at least one packet: loopback's 64 KiB MTU brought down to
            # Ethernet's.
            subprocess.run(["ip", "link", "set", "lo", "mtu", "1500", "up"], check=True,
                           capture_output=True)
            subprocess.run(["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", RATE,
                            "burst", "16kb", "latency", "400ms"], check=True, capture_output=True)
        except Exception:
            self.close()
            raise

    def close(self):
        if self.entered is not None:
            self.entered.leave()
            self.entered = None
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True)


class ImageRepackedMidway(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
            self.skipTest("needs root and iproute2 (ip, tc) for a slowed loopback of its own")
        try:
            self.ns = SlowLoopbackNamespace()
        except (OSError, subprocess.CalledProcessError) as e:
            self.skipTest("cannot make a network namespace: %s" % e)
        self.addCleanup(self.ns.close)
        self.t = sitest.ServerTree(images=("golden",))
        self.addCleanup(self.t.cleanup)
        sitest.make_image_tree(self.t.image_dir("golden"), special=False, megabytes=IMAGE_MB)

    def start_and_repack_halfway(self, more_cmdline="", **agent_kw):
        """Starts an agent (`agent_kw` go to sitest.start_agent), repacks the image (a new
        file, SIGHUP) when the node has a quarter of it, and waits for the repacked image to be
        seeded. Returns (Popen, root, lines, reader thread, the time of the repack)."""
        btd = self.t.start()
        self.t.wait_served(["image-golden.tar.torrent"], timeout=120)
        p, root = sitest.start_agent(
            self.t.dir, "127.0.0.2",
            "BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden BITTORRENT_TRACKER_PORT=%d "
            "BITTORRENT_POLLING_TIME=1 BITTORRENT_TIMEOUT=600 MONITOR_PORT=%d %s"
            % (self.t.tracker_port, self.t.monitor_port, more_cmdline), **agent_kw)
        self.addCleanup(sitest.stop_procs, [p])
        lines = []
        halfway = threading.Event()

        def read():
            for raw in p.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                lines.append(line)
                m = re.search(r"image-golden\.tar +(\d+\.\d)%", line)
                if m and float(m.group(1)) >= 25.0:
                    halfway.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        self.assertTrue(halfway.wait(180), "the agent did not get a quarter of the way:\n" +
                        "\n".join(lines[-20:]))
        self.assertIsNone(p.poll(), "\n".join(lines))
        # The image changes and is repacked (SIGHUP), while the node is half-way through it.
        sitest.write_file(os.path.join(self.t.image_dir("golden"), "etc", "changed"), "new\n")
        btd.send_signal(signal.SIGHUP)
        sitest.wait_for(lambda: "seeding image-golden.tar" in self.t.log_text().split("SIGHUP")[-1],
                        120, "the repacked image seeded")
        return p, root, lines, reader, time.monotonic()

    def test_the_agent_stops_at_the_trackers_answer(self):
        p, root, lines, reader, repacked = self.start_and_repack_halfway("BITTORRENT_RESTARTS=0")
        p.wait(200)
        reader.join(10)
        took = time.monotonic() - repacked
        out = "\n".join(lines)
        print("the agent ended %.1f s after the repack (exit %d; announce interval 30 s)"
              % (took, p.returncode))
        self.assertEqual(p.returncode, AGENT.image_changed, out)
        self.assertIn("the image changed on the server while installing", out)
        self.assertIn("not served by this tracker", out)
        # Well before BITTORRENT_TIMEOUT (600 s here, 300 s by default): the tracker's answer
        # came at the next announce.
        self.assertLess(took, 120, out)
        self.assertTrue(os.path.exists(os.path.join(root, ".systemimager-incomplete")))

    def test_the_agent_installs_the_new_image(self):
        p, root, lines, reader, repacked = self.start_and_repack_halfway()
        p.wait(400)
        reader.join(10)
        out = "\n".join(lines)
        print("the agent ended %.1f s after the repack (exit %d)"
              % (time.monotonic() - repacked, p.returncode))
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("the image changed on the server while installing", out)
        self.assertIn("starting again (restart 1 of 3, BITTORRENT_RESTARTS)", out)
        # The root holds the new image, whole: its new file, no incomplete mark, and a record
        # of the info-hash the server serves now.
        with open(os.path.join(root, "etc", "changed")) as f:
            self.assertEqual(f.read(), "new\n")
        self.assertFalse(os.path.exists(os.path.join(root, ".systemimager-incomplete")), out)
        code, body = sitest.http_get(self.t.url("/torrents/image-golden.tar.torrent"))
        self.assertEqual(code, 200)
        served = sitest.torrent_info_hash(body)
        with open(os.path.join(root, ".systemimager-install.record")) as f:
            self.assertIn("image golden %s" % served, f.read())

    def test_blank_disks_are_prepared_again_for_the_new_image(self):
        """With --prepare-disks the agent has the disk partitioned, formatted and mounted when
        the image changes: the restart unmounts it and prepares it again, as a reboot would."""
        missing = [t for t in DISK_TOOLS if shutil.which(t) is None]
        if missing:
            self.skipTest("needs " + " ".join(missing) + " for a loop device standing for a disk")
        sitest.write_file(os.path.join(self.t.image_dir("golden"), "etc", "systemimager",
                                       "autoinstallscript.conf"), ONE_PARTITION)
        disk_file = os.path.join(self.t.dir, "disk.raw")
        with open(disk_file, "wb") as f:
            f.truncate(128 << 20)
        probe = subprocess.run(["losetup", "-P", "-f", "--show", disk_file],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            self.skipTest("no free loop device here: " + probe.stderr.strip())
        dev = probe.stdout.strip()
        self.addCleanup(subprocess.run, ["losetup", "-d", dev], capture_output=True)
        self.addCleanup(subprocess.run, ["umount", "-R", dev + "p1"], capture_output=True)
        os.makedirs(os.path.join(self.t.dir, "node-127.0.0.2"), exist_ok=True)
        p, root, lines, reader, _ = self.start_and_repack_halfway(
            "SI_DISK_MAP=/dev/sda=%s SI_DISK_WAIT=0" % dev,
            root=os.path.join(self.t.dir, "a"), staging=os.path.join(self.t.dir, "staging"),
            extra_args=("--prepare-disks",))
        p.wait(400)
        reader.join(10)
        out = "\n".join(lines)
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("starting again (restart 1 of 3, BITTORRENT_RESTARTS)", out)
        with open("/proc/self/mounts") as f:
            self.assertNotIn(dev + "p1", f.read(), "the agent left the root mounted")
        mnt = os.path.join(self.t.dir, "check")
        os.makedirs(mnt)
        deadline = time.monotonic() + 20
        while subprocess.run(["mount", "-o", "ro", dev + "p1", mnt]).returncode != 0:
            self.assertLess(time.monotonic(), deadline, "cannot mount %sp1 to check it" % dev)
            time.sleep(0.5)  # the kernel may finish the agent's last unmount a moment later
        try:
            with open(os.path.join(mnt, "etc", "changed")) as f:
                self.assertEqual(f.read(), "new\n")
            self.assertFalse(os.path.exists(os.path.join(mnt, ".systemimager-incomplete")))
        finally:
            subprocess.run(["umount", mnt])


if __name__ == "__main__":
    sitest.main()
