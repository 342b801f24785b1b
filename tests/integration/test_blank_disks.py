#!/usr/bin/env python3
"""A node with a blank disk (issue 11): si_btagent --prepare-disks reads the image's disk layout
from si_btd (/layouts/<image>), partitions the disk (here a loop device standing for the layout's
/dev/sda, SI_DISK_MAP), makes the filesystems, mounts them under the root, installs the image
into them, and writes /etc/fstab (by UUID) and the hostname. Checked as an administrator would:
the partition table sfdisk reads back, each filesystem's type, the image's files on the right
filesystem, fstab's UUIDs against blkid's, and a layout larger than the disk refused with exit
12 before a byte of the disk changed. Needs root, losetup, sfdisk, mkfs.ext4, mkfs.fat and
mkswap (scripts/setup-deps.sh); skips without them."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402

from exit_codes import AGENT  # noqa: E402
TIMEOUT = 120  # s for a few MiB on loopback; a bound, not a speed assertion
TOOLS = ("losetup", "sfdisk", "mkfs.ext4", "mkfs.fat", "mkswap", "blkid")

# SystemImager 4.1's usual msdos layout: /boot, swap, / in a logical partition.
MSDOS = """<config>
  <disk dev="/dev/sda" label_type="msdos" unit_of_measurement="MB">
    <part num="1" size="40" p_type="primary" p_name="-" flags="boot" />
    <part num="2" size="16" p_type="primary" p_name="-" flags="-" />
    <part num="3" size="*" p_type="extended" p_name="-" flags="-" />
    <part num="5" size="*" p_type="logical" p_name="-" flags="-" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda5" mount_dev="LABEL=root" mp="/" fs="ext4" options="errors=remount-ro" dump="0" pass="1" />
  <fsinfo line="20" real_dev="/dev/sda1" mp="/boot" fs="ext4" options="defaults" dump="0" pass="2" />
  <fsinfo line="30" real_dev="/dev/sda2" mp="swap" fs="swap" options="sw" dump="0" pass="0" />
  <fsinfo line="40" real_dev="proc" mp="/proc" fs="proc" options="defaults" dump="0" pass="0" />
</config>
"""

# GPT with an EFI system partition, sizes in MiB.
GPT = """<config>
  <disk dev="/dev/sda" label_type="gpt" unit_of_measurement="MiB">
    <part num="1" size="34" p_type="primary" p_name="EFI" flags="esp" />
    <part num="2" size="*" p_type="primary" p_name="root" flags="-" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda2" mp="/" fs="ext4" options="defaults" dump="0" pass="1" />
  <fsinfo line="20" real_dev="/dev/sda1" mp="/boot/efi" fs="vfat" options="umask=0077" dump="0" pass="2" />
</config>
"""

# GPT for a BIOS node: GRUB's BIOS boot partition and one root filesystem.
GPT_BIOS = """<config>
  <disk dev="/dev/sda" label_type="gpt" unit_of_measurement="MiB">
    <part num="1" size="1" p_type="primary" p_name="bios" flags="bios_grub" />
    <part num="2" size="*" p_type="primary" p_name="root" flags="-" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda2" mp="/" fs="ext4" options="defaults" dump="0" pass="1" />
</config>
"""

# The same, with /boot kept (format="no"): a reinstall leaves its files.
MSDOS_KEEP = MSDOS.replace('mp="/boot" fs="ext4"', 'mp="/boot" fs="ext4" format="no"')

# 300 MB of partitions for a 128 MiB disk.
TOO_BIG = MSDOS.replace('size="40"', 'size="300"')


def sh(*args, **kw):
    """Runs a command; a failure raises with the command's own error text."""
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def mount(*args):
    """mount(8) with `args`, waiting up to 20 s while the device is still busy: the kernel may
    finish the agent's last unmount of it (its superblock still writable) a moment after the
    agent has exited, and a read-only mount of it fails with EBUSY until then."""
    deadline = time.monotonic() + 20
    while True:
        r = subprocess.run(("mount",) + args, capture_output=True, text=True)
        if r.returncode == 0:
            return
        if "busy" not in r.stderr or time.monotonic() > deadline:
            raise AssertionError("mount %s: exit %d: %s"
                                 % (" ".join(args), r.returncode, r.stderr.strip()))
        time.sleep(0.2)


class LoopDisk:
    """A sparse file attached as a loop device with partition scanning; detached on close."""

    def __init__(self, directory, mib):
        self.file = os.path.join(directory, "disk.raw")
        with open(self.file, "wb") as f:
            f.truncate(mib << 20)
        self.dev = sh("losetup", "-P", "-f", "--show", self.file).strip()

    def close(self):
        subprocess.run(["umount", "-R", self.dev], capture_output=True)
        subprocess.run(["losetup", "-d", self.dev], capture_output=True)


class BlankDisks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (loop devices)")
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            raise unittest.SkipTest("needs " + " ".join(missing) + " (scripts/setup-deps.sh)")
        probe = subprocess.run(["losetup", "-f"], capture_output=True)
        if probe.returncode != 0:
            raise unittest.SkipTest("no free loop device here")
        names = ("msdos", "gpt", "gptbios", "toobig", "msdoskeep")
        cls.t = sitest.ServerTree(images=names)
        for name, layout in zip(names, (MSDOS, GPT, GPT_BIOS, TOO_BIG, MSDOS_KEEP)):
            root = cls.t.image_dir(name)
            sitest.make_image_tree(root, special=False, megabytes=2)
            sitest.write_file(os.path.join(root, "boot", "vmlinuz-test"), b"kernel\n" * 1000)
            sitest.write_file(os.path.join(root, "etc", "hosts"),
                              "127.0.0.1\tlocalhost\n127.0.1.1\tgolden\n")
            sitest.write_file(os.path.join(root, "etc", "systemimager", "autoinstallscript.conf"),
                              layout)
        cls.t.start()
        cls.t.wait_served(["image-%s.tar.torrent" % n for n in names])

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "t"):
            cls.t.cleanup()

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.t.dir)
        self.disk = LoopDisk(self.dir, 128)
        self.addCleanup(self.disk.close)

    def install(self, image, address, extra=""):
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=%s BITTORRENT_TRACKER_PORT=%d "
                   "BITTORRENT_POLLING_TIME=1 SI_DISK_MAP=/dev/sda=%s SI_DISK_WAIT=0 %s"
                   % (image, self.t.tracker_port, self.disk.dev, extra))
        root = os.path.join(self.dir, "a")
        os.makedirs(os.path.join(self.t.dir, "node-" + address), exist_ok=True)
        p, _ = sitest.start_agent(self.t.dir, address, cmdline, root=root,
                                  staging=os.path.join(self.dir, "staging"),
                                  extra_args=("--prepare-disks",))
        try:
            out = p.communicate(timeout=TIMEOUT)[0].decode(errors="replace")
        finally:
            sitest.stop_procs([p])
        return p.returncode, out, root

    def partitions(self):
        table = json.loads(sh("sfdisk", "-J", self.disk.dev))["partitiontable"]
        return table["label"], [(p["node"], p["type"]) for p in table["partitions"]]

    def blkid(self, dev, tag):
        return sh("blkid", "-s", tag, "-o", "value", dev).strip()

    def test_msdos_layout_partitioned_formatted_and_installed(self):
        rc, out, root = self.install("msdos", "127.0.0.21", "HOSTNAME=node-21")
        self.assertEqual(rc, 0, out[-3000:])
        with open("/proc/self/mounts") as f:
            self.assertNotIn(self.disk.dev + "p5", f.read(), "the agent left the root mounted")
        d = self.disk.dev
        label, parts = self.partitions()
        self.assertEqual(label, "dos")
        self.assertEqual(parts, [(d + "p1", "83"), (d + "p2", "82"), (d + "p3", "5"),
                                 (d + "p5", "83")])
        self.assertEqual(self.blkid(d + "p5", "TYPE"), "ext4")
        self.assertEqual(self.blkid(d + "p5", "LABEL"), "root")
        self.assertEqual(self.blkid(d + "p1", "TYPE"), "ext4")
        self.assertEqual(self.blkid(d + "p2", "TYPE"), "swap")
        mnt = os.path.join(self.dir, "check")
        os.makedirs(mnt)
        mount("-o", "ro", d + "p5", mnt)
        try:
            mount("-o", "ro", d + "p1", os.path.join(mnt, "boot"))
            try:
                # The whole image, /boot's files on their own filesystem; fstab, hostname and
                # hosts are what the agent writes, compared apart.
                src = self.t.image_dir("msdos")
                diffs = [x for x in tree_compare.compare(src, mnt, ignore_root_mtime=True)
                         if not x.startswith(("etc/fstab", "etc/hostname", "etc/hosts", "etc:",
                                              "lost+found", "boot:", "boot/lost+found"))]
                self.assertEqual(diffs, [])
                with open(os.path.join(mnt, "etc", "fstab")) as f:
                    fstab = [line.split() for line in f if not line.startswith("#")]
                with open(os.path.join(mnt, "etc", "hostname")) as f:
                    hostname = f.read()
                with open(os.path.join(mnt, "etc", "hosts")) as f:
                    hosts = f.read()
            finally:
                sh("umount", os.path.join(mnt, "boot"))
            boot_only = os.listdir(mnt + "/boot")
        finally:
            sh("umount", mnt)
        self.assertEqual(boot_only, [], "/boot's files were written onto the root filesystem")
        self.assertEqual(fstab, [
            ["UUID=" + self.blkid(d + "p5", "UUID"), "/", "ext4", "errors=remount-ro", "0", "1"],
            ["UUID=" + self.blkid(d + "p1", "UUID"), "/boot", "ext4", "defaults", "0", "2"],
            ["UUID=" + self.blkid(d + "p2", "UUID"), "swap", "swap", "sw", "0", "0"],
            ["proc", "/proc", "proc", "defaults", "0", "0"]])
        self.assertEqual(hostname, "node-21\n")
        self.assertIn("127.0.1.1\tnode-21\n", hosts)
        self.assertNotIn("golden", hosts)
        self.assertIn("wiped", out)

    def test_a_kept_filesystem_survives_a_reinstall(self):
        rc, out, root = self.install("msdos", "127.0.0.26")
        self.assertEqual(rc, 0, out[-3000:])
        mnt = os.path.join(self.dir, "boot")
        os.makedirs(mnt)
        mount(self.disk.dev + "p1", mnt)
        try:
            sitest.write_file(os.path.join(mnt, "keep-me"), "node data\n")
        finally:
            sh("umount", mnt)
        rc, out, root = self.install("msdoskeep", "127.0.0.26")
        self.assertEqual(rc, 0, out[-3000:])
        self.assertIn('filesystems marked format="no" are kept', out)
        mount("-o", "ro", self.disk.dev + "p1", mnt)
        try:
            with open(os.path.join(mnt, "keep-me")) as f:
                self.assertEqual(f.read(), "node data\n")
            self.assertTrue(os.path.exists(os.path.join(mnt, "vmlinuz-test")))
        finally:
            sh("umount", mnt)

    def test_gpt_layout_with_an_efi_system_partition(self):
        with open("/proc/filesystems") as f:
            if "vfat" not in f.read():
                self.skipTest("this kernel has no vfat (the initrd loads it; this host cannot)")
        rc, out, root = self.install("gpt", "127.0.0.22")
        self.assertEqual(rc, 0, out[-3000:])
        d = self.disk.dev
        label, parts = self.partitions()
        self.assertEqual(label, "gpt")
        self.assertEqual(parts, [(d + "p1", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"),
                                 (d + "p2", "0FC63DAF-8483-4772-8E79-3D69D8477DE4")])
        self.assertEqual(self.blkid(d + "p1", "TYPE"), "vfat")
        self.assertEqual(self.blkid(d + "p2", "TYPE"), "ext4")
        self.assertIn("the layout names no bootloader", out)

    def test_gpt_layout_for_a_bios_node(self):
        rc, out, root = self.install("gptbios", "127.0.0.24")
        self.assertEqual(rc, 0, out[-3000:])
        d = self.disk.dev
        label, parts = self.partitions()
        self.assertEqual(label, "gpt")
        self.assertEqual(parts, [(d + "p1", "21686148-6449-6E6F-744E-656564454649"),
                                 (d + "p2", "0FC63DAF-8483-4772-8E79-3D69D8477DE4")])
        self.assertEqual(self.blkid(d + "p2", "TYPE"), "ext4")
        # The disk's usable end: the last partition ends 34 sectors before the disk does.
        table = json.loads(sh("sfdisk", "-J", d))["partitiontable"]["partitions"]
        self.assertEqual(table[1]["start"] + table[1]["size"], (128 << 20) // 512 - 33)

    def test_si_mkdisklayout_round_trip(self):
        """A golden client's disk (msdos: /boot, swap, / in a logical partition; fstab by UUID
        and LABEL) described by si_mkdisklayout, served by si_btd and installed on a blank disk:
        the same partitions, types and sizes (the last one takes the rest), the same fstab."""
        golden = LoopDisk(self.dir, 256)
        self.addCleanup(golden.close)
        g = golden.dev
        sh("sfdisk", "-q", g, input="label: dos\n\n"
           "%sp1 : start=2048, size=81920, type=83, bootable\n"
           "%sp2 : start=83968, size=32768, type=82\n"
           "%sp3 : start=116736, type=5\n"
           "%sp5 : start=118784, type=83\n" % (g, g, g, g))
        subprocess.run(["partx", "-a", g], capture_output=True)
        sitest.wait_for(lambda: os.path.exists(g + "p5"), 10, g + "p5")
        sh("mkfs.ext4", "-q", "-L", "groot", g + "p5")
        sh("mkfs.ext4", "-q", g + "p1")
        sh("mkswap", "-q", g + "p2")
        fstab = os.path.join(self.dir, "fstab")
        with open(fstab, "w") as f:
            f.write("# the golden client's\nLABEL=groot / ext4 errors=remount-ro 0 1\n"
                    "UUID=%s /boot ext4 defaults 0 2\nUUID=%s none swap sw 0 0\n"
                    "proc /proc proc defaults 0 0\n"
                    % (self.blkid(g + "p1", "UUID"), self.blkid(g + "p2", "UUID")))
        xml = sh(os.path.join(sitest.SOURCE_DIR, "src", "server", "scripts", "si_mkdisklayout"),
                 "--fstab", fstab, "--bootloader", "none")
        t = sitest.ServerTree(images=("made",))
        self.addCleanup(t.cleanup)
        root = t.image_dir("made")
        sitest.make_image_tree(root, special=False, megabytes=1)
        sitest.write_file(os.path.join(root, "etc", "systemimager", "autoinstallscript.conf"), xml)
        t.start()
        t.wait_served(["image-made.tar.torrent"])
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=made BITTORRENT_TRACKER_PORT=%d "
                   "SI_DISK_MAP=%s=%s SI_DISK_WAIT=0" % (t.tracker_port, g, self.disk.dev))
        os.makedirs(os.path.join(t.dir, "node-127.0.0.25"), exist_ok=True)
        p, _ = sitest.start_agent(t.dir, "127.0.0.25", cmdline, root=os.path.join(self.dir, "a"),
                                  staging=os.path.join(self.dir, "staging"),
                                  extra_args=("--prepare-disks",))
        try:
            out = p.communicate(timeout=TIMEOUT)[0].decode(errors="replace")
        finally:
            sitest.stop_procs([p])
        self.assertEqual(p.returncode, 0, xml + out[-3000:])
        made = json.loads(sh("sfdisk", "-J", self.disk.dev))["partitiontable"]["partitions"]
        self.assertEqual([(x["type"], x["size"]) for x in made[:2]], [("83", 81920), ("82", 32768)])
        self.assertEqual([x["type"] for x in made], ["83", "82", "5", "83"])
        self.assertTrue(made[0].get("bootable"), made)
        self.assertEqual(self.blkid(self.disk.dev + "p5", "LABEL"), "groot")
        self.assertIn("wrote %s/etc/fstab from the layout (4 lines, by UUID)"
                      % os.path.join(self.dir, "a"), out)

    def test_a_layout_larger_than_the_disk_writes_nothing(self):
        pattern = os.urandom(1 << 20)
        with open(self.disk.file, "r+b") as f:
            f.write(pattern)
        rc, out, root = self.install("toobig", "127.0.0.23")
        self.assertEqual(rc, AGENT.disk, out[-3000:])
        self.assertIn("si_btagent: disk layout: disk /dev/sda (layout line 2) on %s (128 MiB): "
                      "partition 1 (layout line 3, 300 MB) would end at 287 MiB, past the disk's "
                      "usable end at 128 MiB: nothing written" % self.disk.dev, out)
        with open(self.disk.file, "rb") as f:
            self.assertEqual(f.read(1 << 20), pattern, "the disk changed")
        self.assertFalse(os.path.exists(os.path.join(root, ".systemimager-incomplete")))


if __name__ == "__main__":
    sitest.main()
