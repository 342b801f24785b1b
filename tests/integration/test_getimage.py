#!/usr/bin/env python3
"""si_getimage against a real root made here: owners, hard links, xattrs (user., trusted.,
security.capability), ACLs, device nodes, a sparse file and symlinks are copied item by item
(tests/tools/tree_compare.py); /proc, /sys, /dev, /run and /tmp keep their directories but
not their contents; an update deletes what the client lost; the host's own files are listed
and, with --clean, cleaned; the golden-client mode (rsync and si_mkdisklayout through the
remote shell) writes the image's disk layout.

Environment: SI_SOURCE_DIR (src/server/scripts/si_getimage and si_mkdisklayout are run from it).
Needs root (owners, device nodes, trusted.* xattrs) and rsync; exits 77 without them.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402

SOURCE_DIR = os.environ.get(
    "SI_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
GETIMAGE = os.path.join(SOURCE_DIR, "src", "server", "scripts", "si_getimage")
MKDISKLAYOUT = os.path.join(SOURCE_DIR, "src", "server", "scripts", "si_mkdisklayout")

# Exit codes of si_getimage(8).
EXISTS = 4
USAGE = 2
LAYOUT_FAILED = 5

# Directories whose contents are never copied (the directories themselves are).
EMPTIED = ("proc", "sys", "dev", "run", "tmp", "var/tmp", "mnt", "media")


def make_golden_root(root):
    """A root tree with every kind of item an image holds, and the host's own files."""
    sitest.make_image_tree(root, special=True)  # dev/null, dev/sda, a FIFO in dev/
    # A device node and a FIFO outside /dev, which must be copied as they are.
    os.makedirs(os.path.join(root, "lib", "udev", "devices"))
    os.mknod(os.path.join(root, "lib", "udev", "devices", "console"), 0o600 | 0o020000,
             os.makedev(5, 1))
    os.mkfifo(os.path.join(root, "lib", "udev", "devices", "fifo"), 0o644)
    # Hard links across directories, a symlink to a directory, an absolute one.
    sitest.write_file(os.path.join(root, "usr", "share", "doc", "a"), "shared\n")
    os.makedirs(os.path.join(root, "usr", "share", "other"))
    os.link(os.path.join(root, "usr", "share", "doc", "a"),
            os.path.join(root, "usr", "share", "other", "a-hard"))
    os.symlink("../share/doc", os.path.join(root, "usr", "lib", "doc-link"))
    os.symlink("/etc/hostname", os.path.join(root, "usr", "lib", "abs-link"))
    os.setxattr(os.path.join(root, "usr", "share", "doc", "a"), "trusted.si", b"root only")
    subprocess.run(["setfacl", "-d", "-m", "g:5678:rwx", os.path.join(root, "srv")], check=True)
    # What the running system has in its pseudo and temporary filesystems.
    for d in EMPTIED:
        sitest.write_file(os.path.join(root, d, "volatile"), "not for the image\n")
    # The golden client's own identity.
    sitest.write_file(os.path.join(root, "etc", "ssh", "ssh_host_ed25519_key"), "PRIVATE\n", 0o600)
    sitest.write_file(os.path.join(root, "etc", "ssh", "ssh_host_ed25519_key.pub"), "PUBLIC\n")
    sitest.write_file(os.path.join(root, "etc", "machine-id"), "0123456789abcdef0123456789abcdef\n",
                      0o444)
    sitest.write_file(os.path.join(root, "etc", "udev", "rules.d", "70-persistent-net.rules"),
                      'SUBSYSTEM=="net", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"\n')
    # Fixed times again: the items added above must compare too.
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), ns=(1_600_000_000_123_456_789,) * 2,
                     follow_symlinks=False)
    os.utime(root, ns=(1_600_000_000_000_000_000,) * 2)


def excluded(rel):
    """True for an item under one of the EMPTIED directories."""
    return any(rel.startswith(d + "/") for d in EMPTIED)


class GetImage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (owners, device nodes, trusted.* xattrs)")
        if shutil.which("rsync") is None:
            raise unittest.SkipTest("rsync is not installed")

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="si_getimage_")
        self.tmp = self._tmp.name
        self.golden = os.path.join(self.tmp, "golden")
        make_golden_root(self.golden)
        self.images = os.path.join(self.tmp, "images")
        self.si_conf = os.path.join(self.tmp, "systemimager.conf")
        with open(self.si_conf, "w", encoding="utf-8") as f:
            f.write("# as SystemImager writes it\ndefault_image_dir = %s   # moved\n" % self.images)
        self.image = os.path.join(self.images, "gold")

    def tearDown(self):
        self._tmp.cleanup()

    def getimage(self, *args):
        proc = subprocess.run(["sh", GETIMAGE, "--systemimager-conf", self.si_conf, *args],
                              capture_output=True, text=True, timeout=120, check=False)
        return proc

    def assert_rc(self, proc, rc):
        self.assertEqual(proc.returncode, rc, "exit %d\nstdout: %s\nstderr: %s"
                         % (proc.returncode, proc.stdout, proc.stderr))

    def assert_same_but_excluded(self, ignore=()):
        diffs = tree_compare.compare(self.golden, self.image)
        rest = []
        for d in diffs:
            rel, _, what = d.partition(": ")
            if what == "missing in copy" and excluded(rel):
                continue
            if rel in ignore:
                continue
            rest.append(d)
        self.assertEqual(rest, [], "the image differs from the golden root")
        for d in EMPTIED:
            self.assertTrue(os.path.isdir(os.path.join(self.image, d)), d + "/ not kept")
            self.assertEqual(os.listdir(os.path.join(self.image, d)), [], d + "/ not emptied")

    def test_local_copy_is_item_by_item_identical(self):
        proc = self.getimage("--source", self.golden, "--image", "gold")
        self.assert_rc(proc, 0)
        self.assert_same_but_excluded()
        # Spot checks of what the comparison covers, so that a weaker tree_compare shows.
        st = os.lstat(os.path.join(self.image, "lib", "udev", "devices", "console"))
        self.assertEqual((os.major(st.st_rdev), os.minor(st.st_rdev)), (5, 1))
        self.assertEqual(os.getxattr(os.path.join(self.image, "usr", "share", "doc", "a"),
                                     "trusted.si"), b"root only")
        sparse = os.lstat(os.path.join(self.image, "var", "lib", "sparse.img"))
        self.assertLess(sparse.st_blocks * 512, 1 << 20, "the sparse file became dense")
        self.assertEqual(os.lstat(os.path.join(self.image, "srv", "owned")).st_uid, 1234)
        # No disk layout in the local mode unless asked; the host's files are listed, not cleaned.
        self.assertIn("no disk layout", proc.stdout)
        self.assertFalse(os.path.exists(
            os.path.join(self.image, "etc", "systemimager", "autoinstallscript.conf")))
        for path in ("etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub",
                     "etc/machine-id", "etc/udev/rules.d/70-persistent-net.rules"):
            self.assertIn("  " + path + " ", proc.stdout)
            self.assertTrue(os.path.exists(os.path.join(self.image, path)))
        self.assertIn("--clean", proc.stdout)

    def test_an_existing_image_needs_update_which_follows_the_client(self):
        self.assert_rc(self.getimage("--source", self.golden, "--image", "gold"), 0)
        proc = self.getimage("--source", self.golden, "--image", "gold")
        self.assert_rc(proc, EXISTS)
        self.assertIn("--update", proc.stderr)
        os.unlink(os.path.join(self.golden, "usr", "bin", "tool-link"))
        sitest.write_file(os.path.join(self.golden, "etc", "new.conf"), "new\n")
        os.utime(os.path.join(self.golden, "etc", "new.conf"), ns=(1_600_000_000_123_456_789,) * 2)
        os.utime(os.path.join(self.golden, "etc"), ns=(1_600_000_000_123_456_789,) * 2)
        os.utime(os.path.join(self.golden, "usr", "bin"), ns=(1_600_000_000_123_456_789,) * 2)
        self.assert_rc(self.getimage("--source", self.golden, "--image", "gold", "--update"), 0)
        self.assertFalse(os.path.lexists(os.path.join(self.image, "usr", "bin", "tool-link")))
        self.assert_same_but_excluded()

    def test_clean_removes_the_hosts_own_files(self):
        proc = self.getimage("--source", self.golden, "--image", "gold", "--clean")
        self.assert_rc(proc, 0)
        for gone in ("etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub",
                     "etc/udev/rules.d/70-persistent-net.rules"):
            self.assertFalse(os.path.exists(os.path.join(self.image, gone)), gone)
            self.assertIn("cleaned: " + gone, proc.stdout)
        machine_id = os.path.join(self.image, "etc", "machine-id")
        self.assertEqual(os.path.getsize(machine_id), 0)
        self.assert_same_but_excluded(ignore=(
            "etc", "etc/ssh", "etc/udev/rules.d", "etc/machine-id", "etc/ssh/ssh_host_ed25519_key",
            "etc/ssh/ssh_host_ed25519_key.pub", "etc/udev/rules.d/70-persistent-net.rules"))

    def test_bad_usage(self):
        for args in ((), ("--image", "gold"), ("--source", self.golden),
                     ("--source", self.golden, "--image", "../x"),
                     ("--source", self.golden, "--golden-client", "h", "--image", "gold"),
                     ("--frobnicate",)):
            proc = self.getimage(*args)
            self.assert_rc(proc, USAGE)
            self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
            self.assertTrue(proc.stderr.startswith("si_getimage: "), proc.stderr)
        self.assertFalse(os.path.exists(self.images), "bad usage made the image directory")

    def fake_rsh(self):
        """A remote shell that runs the command here, as ssh runs it on the golden client."""
        path = os.path.join(self.tmp, "fake-ssh")
        with open(path, "w", encoding="utf-8") as f:
            f.write('#!/bin/sh\n# fake-ssh HOST COMMAND...\nshift\nexec sh -c "$*"\n')
        os.chmod(path, 0o755)
        return path

    def make_disk(self):
        """A disk image with a GPT (sfdisk reads a file as it reads a disk) and an fstab."""
        disk = os.path.join(self.tmp, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(64 << 20)
        subprocess.run(["sfdisk", "-q", disk], input="label: gpt\n,16M,U\n,\n", text=True,
                       check=True, capture_output=True)
        fstab = os.path.join(self.tmp, "fstab")
        with open(fstab, "w", encoding="utf-8") as f:
            f.write("/dev/vda2 / ext4 errors=remount-ro 0 1\n/dev/vda1 /boot/efi vfat umask=0077 0 1\n")
        return disk, fstab

    def test_golden_client_mode_writes_the_disk_layout(self):
        if shutil.which("sfdisk") is None:
            self.skipTest("sfdisk is not installed")
        disk, fstab = self.make_disk()
        proc = self.getimage("--golden-client", "golden.example", "--rsh", self.fake_rsh(),
                             "--golden-root", self.golden, "--image", "gold",
                             "--mkdisklayout", MKDISKLAYOUT, "--layout-args",
                             "--disk %s --fstab %s --bootloader efi" % (disk, fstab))
        self.assert_rc(proc, 0)
        layout = os.path.join(self.image, "etc", "systemimager", "autoinstallscript.conf")
        with open(layout, encoding="utf-8") as f:
            text = f.read()
        self.assertIn('<disk dev="%s" label_type="gpt"' % disk, text)
        self.assertIn('mp="/boot/efi" fs="vfat"', text)
        self.assertIn('install_type="efi"', text)
        self.assertIn("disk layout written", proc.stdout)
        self.assert_same_but_excluded(ignore=("etc", "etc/systemimager",
                                              "etc/systemimager/autoinstallscript.conf"))
        # An update keeps the layout (the client has none of its own) and writes it again.
        proc = self.getimage("--golden-client", "golden.example", "--rsh", self.fake_rsh(),
                             "--golden-root", self.golden, "--image", "gold", "--update",
                             "--mkdisklayout", MKDISKLAYOUT, "--no-layout")
        self.assert_rc(proc, 0)
        self.assertTrue(os.path.exists(layout), "an update deleted the image's layout")

    def test_a_failed_layout_is_its_own_exit_code(self):
        proc = self.getimage("--golden-client", "golden.example", "--rsh", self.fake_rsh(),
                             "--golden-root", self.golden, "--image", "gold",
                             "--mkdisklayout", MKDISKLAYOUT, "--layout-args",
                             "--fstab %s/no-such-fstab" % self.tmp)
        self.assert_rc(proc, LAYOUT_FAILED)
        self.assertIn("si_mkdisklayout failed on golden.example", proc.stderr)
        self.assertFalse(os.path.exists(
            os.path.join(self.image, "etc", "systemimager", "autoinstallscript.conf")))
        # The copy itself is whole.
        self.assert_same_but_excluded(ignore=("etc", "etc/systemimager"))


if __name__ == "__main__":
    sitest.main()
