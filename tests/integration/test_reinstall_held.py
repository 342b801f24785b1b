#!/usr/bin/env python3
"""A node whose disk already holds its image downloads nothing: si_btd and si_btagent on
loopback install once into a root, then the agent runs again into the same root (as a node
that PXE-boots again) and finds the install record and a fresh manifest of the root equal to
the recorded one: no announce, no byte from the seeder, the node done on /status.json. A
stale or edited root must not pass: a file's content changed with its size and mtime kept, a
file deleted, a file added, a mode changed, an override's torrent changed each lead to a full
install that ends with the root equal to the image; BITTORRENT_REINSTALL=y forces one. With
blank disks (loop devices, as root) the disks are looked at mounted read-only, and an edited
disk is wiped and installed again."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402

RECORD = ".systemimager-install.record"
HELD = r"(?m)^already installed: "  # the agent's line when the disk holds the image
TORRENTS = ["image-golden.tar.torrent", "override-site.tar.torrent"]


def start_agent(tree_dir, address, cmdline, root, **kw):
    """sitest.start_agent into a root of our own (the node's directory made first)."""
    os.makedirs(os.path.join(tree_dir, "node-" + address), exist_ok=True)
    return sitest.start_agent(tree_dir, address, cmdline, root=root, **kw)


def run(p, timeout=180):
    try:
        return p.communicate(timeout=timeout)[0].decode(errors="replace")
    finally:
        sitest.stop_procs([p])


class HeldOnItsImage(unittest.TestCase):
    """One server for every test; each test installs into a root of its own first."""

    @classmethod
    def setUpClass(cls):
        cls.t = sitest.ServerTree(images=("golden",), overrides=("site",))
        cls.src = sitest.make_image_tree(cls.t.image_dir("golden"), special=True, megabytes=4)
        ovr = cls.t.override_dir("site")
        sitest.write_file(os.path.join(ovr, "etc", "hostname"), "node\n")
        sitest.write_file(os.path.join(ovr, "etc", "site.conf"), "site=1\n", 0o600)
        cls.t.start()
        cls.t.wait_served(TORRENTS)
        cls.next_address = 40

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()

    def setUp(self):
        self.monitor = sitest.MonitorListener()
        self.addCleanup(self.monitor.close)

    def address(self):
        HeldOnItsImage.next_address += 1
        return "127.0.0.%d" % HeldOnItsImage.next_address

    def cmdline(self, monitor_port, extra=""):
        return ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden OVERRIDES=site "
                "BITTORRENT_TRACKER_PORT=%d BITTORRENT_POLLING_TIME=1 MONITOR_SERVER=127.0.0.1 "
                "MONITOR_PORT=%d %s" % (self.t.tracker_port, monitor_port, extra))

    def agent(self, root, extra="", to_server=False):
        """Runs one agent into `root` from a new address; returns (exit code, output, address)."""
        address = self.address()
        port = self.t.monitor_port if to_server else self.monitor.port
        p, _ = start_agent(self.t.dir, address, self.cmdline(port, extra), root)
        out = run(p)
        return p.returncode, out, address

    def installed_root(self):
        root = tempfile.mkdtemp(dir=self.t.dir, prefix="root-")
        rc, out, address = self.agent(root)
        self.assertEqual(rc, 0, out[-3000:])
        self.assertRegex(out, r"install record: .*%s \(\d+ entries" % RECORD)
        self.assertNotRegex(out, HELD)
        self.assertTrue(os.path.isfile(os.path.join(root, RECORD)))
        self.assertEqual(self.diffs(root), [])
        sitest.wait_for(lambda: self.reports(address, "full"), 10, "install=full from " + address)
        return root

    def diffs(self, root):
        """Item by item against the image; the override's files (and so /etc's mtime) are
        checked apart."""
        with open(os.path.join(root, "etc", "site.conf")) as f:
            self.assertEqual(f.read(), "site=1\n")
        with open(os.path.join(root, "etc", "hostname")) as f:
            self.assertEqual(f.read(), "node\n")
        return [d for d in tree_compare.compare(self.src, root, ignore_root_mtime=True)
                if not d.startswith(("etc/hostname:", "etc:", "etc/site.conf:"))]

    def reports(self, address, install):
        """The reports of `address` that carry install=`install`."""
        with self.monitor.lock:
            return [f for _, f in self.monitor.events
                    if f.get("ip") == address and f.get("install") == install]

    def assert_full_install(self, root, reason, extra="", expected_diffs=()):
        rc, out, address = self.agent(root, extra)
        self.assertEqual(rc, 0, out[-3000:])
        self.assertNotRegex(out, HELD)
        if reason:
            self.assertIn("not already installed: " + reason, out)
        self.assertRegex(out, r"imaged: golden \+ 1 override\(s\) into")
        self.assertEqual(self.diffs(root), list(expected_diffs))
        sitest.wait_for(lambda: self.reports(address, "full"), 10, "install=full from " + address)
        return out

    def test_a_node_on_its_image_downloads_nothing(self):
        root = self.installed_root()
        with open(os.path.join(root, RECORD)) as f:
            record = f.read()
        self.assertTrue(record.startswith("# si_btagent install record\nformat 1\nimage golden "))
        before = self.t.status()
        rc, out, address = self.agent(root, to_server=True)
        self.assertEqual(rc, 0, out[-3000:])
        self.assertIn("already installed: %s holds golden + 1 override(s) exactly" % root, out)
        self.assertIn("downloaded 0 bytes", out)
        self.assertNotIn("image-golden.tar ", out)  # no progress line: no download
        print(next(line for line in out.splitlines() if line.startswith("already installed:")))
        # si_btd: the node is done with the proof of its install; the tracker never heard of
        # it and the seeder sent nothing more.
        sitest.wait_for(lambda: (self.t.node("ip:" + address) or {}).get("state") == "done", 10,
                        "the held node done on /status.json")
        node = self.t.node("ip:" + address)
        self.assertTrue(node["proof"]["complete"], node)
        self.assertIsNone(node["tracker"], node)
        after = self.t.status()
        for a, b in zip(before["images"], after["images"]):
            self.assertEqual(a["server_bytes"], b["server_bytes"], a["name"])
        # Nothing on the disk changed, the record included.
        with open(os.path.join(root, RECORD)) as f:
            self.assertEqual(f.read(), record)
        self.assertEqual(self.diffs(root), [])
        # Held once more, to a monitor that shows the fields: the recorded proof, install=held.
        rc, out, address = self.agent(root)
        self.assertEqual(rc, 0, out[-3000:])
        sitest.wait_for(lambda: self.reports(address, "held"), 10, "install=held")
        held = self.reports(address, "held")[-1]
        self.assertEqual(held["status"], "100")
        proof_line = next(line for line in record.splitlines() if line.startswith("proof "))
        self.assertEqual(proof_line, "proof pieces=%s archive=end overrides=%s entries=%s bytes=%s"
                         % (held["pieces"], held["overrides"], held["entries"], held["bytes"]))

    def test_content_changed_with_size_and_mtime_kept(self):
        root = self.installed_root()
        path = os.path.join(root, "etc", "passwd")
        st = os.stat(path)
        with open(path, "r+b") as f:
            data = f.read()
            f.seek(0)
            f.write(data.replace(b"root:x", b"toor:x"))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        self.assertEqual(os.stat(path).st_size, st.st_size)
        self.assert_full_install(root, "differs: /etc/passwd: content")

    def test_a_file_deleted(self):
        root = self.installed_root()
        os.unlink(os.path.join(root, "usr", "bin", "tool-link"))
        self.assert_full_install(root, "differs: /usr/bin/tool-link: missing")

    def test_a_file_added(self):
        root = self.installed_root()
        sitest.write_file(os.path.join(root, "etc", "added"), "x\n")
        # An install into SI_TARGET unpacks over the root as it is: the added file stays (the
        # administrator's mkfs of the target, or blank disks, start from nothing).
        self.assert_full_install(root, "differs: /etc/added: added",
                                 expected_diffs=["etc/added: extra in copy"])

    def test_a_mode_changed(self):
        root = self.installed_root()
        os.chmod(os.path.join(root, "usr", "bin", "tool"), 0o700)
        self.assert_full_install(root, "differs: /usr/bin/tool: mode")

    def test_an_interrupted_install_is_not_held(self):
        root = self.installed_root()
        sitest.write_file(os.path.join(root, ".systemimager-incomplete"), "stopped\n")
        self.assert_full_install(root, "the root carries ")

    def test_a_corrupt_record_is_not_held(self):
        root = self.installed_root()
        with open(os.path.join(root, RECORD), "a") as f:
            f.write("/etc/forged type=f\n")
        self.assert_full_install(root, "install record %s/%s: line " % (root, RECORD))

    def test_reinstall_forces_a_full_install(self):
        root = self.installed_root()
        out = self.assert_full_install(root, None, extra="BITTORRENT_REINSTALL=y")
        self.assertIn("BITTORRENT_REINSTALL=y: installing in full", out)


class OverrideChanged(unittest.TestCase):
    """A new override on the server (a new info-hash) is installed in full."""

    def test_an_override_changed_on_the_server(self):
        t = sitest.ServerTree(images=("golden",), overrides=("site",))
        self.addCleanup(t.cleanup)
        src = sitest.make_image_tree(t.image_dir("golden"), special=False, megabytes=2)
        ovr = t.override_dir("site")
        sitest.write_file(os.path.join(ovr, "etc", "site.conf"), "site=1\n")
        t.start()
        t.wait_served(TORRENTS)
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden OVERRIDES=site "
                   "BITTORRENT_TRACKER_PORT=%d BITTORRENT_POLLING_TIME=1" % t.tracker_port)
        root = os.path.join(t.dir, "root")
        for address in ("127.0.0.61", "127.0.0.62"):
            p, _ = start_agent(t.dir, address, cmdline, root)
            out = run(p)
            self.assertEqual(p.returncode, 0, out[-3000:])
        self.assertRegex(out, HELD)
        # The override changes; si_btd packs it again at its next start.
        sitest.write_file(os.path.join(ovr, "etc", "site.conf"), "site=22\n")
        t.procs[-1].send_signal(signal.SIGTERM)
        t.procs[-1].communicate(timeout=30)
        t.start()
        t.wait_served(TORRENTS)
        p, _ = start_agent(t.dir, "127.0.0.63", cmdline, root)
        out = run(p)
        self.assertEqual(p.returncode, 0, out[-3000:])
        self.assertIn("not already installed: override site changed (info-hash ", out)
        self.assertNotRegex(out, HELD)
        with open(os.path.join(root, "etc", "site.conf")) as f:
            self.assertEqual(f.read(), "site=22\n")
        diffs = [d for d in tree_compare.compare(src, root, ignore_root_mtime=True)
                 if not d.startswith(("etc:", "etc/site.conf:"))]
        self.assertEqual(diffs, [])


class HeldOnBlankDisks(unittest.TestCase):
    """--prepare-disks: the layout's filesystems are mounted read-only to look; a held disk is
    left as it is, an edited one is wiped and installed again."""

    def test_held_then_edited(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (loop devices)")
        import test_blank_disks as blank
        missing = [t for t in blank.TOOLS if shutil.which(t) is None]
        if missing:
            self.skipTest("needs " + " ".join(missing))
        if subprocess.run(["losetup", "-f"], capture_output=True).returncode != 0:
            self.skipTest("no free loop device here")
        t = sitest.ServerTree(images=("msdos",))
        self.addCleanup(t.cleanup)
        src = sitest.make_image_tree(t.image_dir("msdos"), special=False, megabytes=2)
        sitest.write_file(os.path.join(src, "boot", "vmlinuz-test"), b"kernel\n" * 1000)
        sitest.write_file(os.path.join(src, "etc", "systemimager", "autoinstallscript.conf"),
                          blank.MSDOS)
        t.start()
        t.wait_served(["image-msdos.tar.torrent"])
        work = tempfile.mkdtemp(dir=t.dir)
        disk = blank.LoopDisk(work, 128)
        self.addCleanup(disk.close)
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=msdos BITTORRENT_TRACKER_PORT=%d "
                   "BITTORRENT_POLLING_TIME=1 SI_DISK_MAP=/dev/sda=%s SI_DISK_WAIT=0 "
                   "HOSTNAME=node-71" % (t.tracker_port, disk.dev))
        root = os.path.join(work, "a")

        def install(address):
            p, _ = start_agent(t.dir, address, cmdline, root,
                               staging=os.path.join(work, "staging"),
                               extra_args=("--prepare-disks",))
            out = run(p, 240)
            self.assertEqual(p.returncode, 0, out[-3000:])
            with open("/proc/self/mounts") as f:
                self.assertNotIn(disk.dev, f.read(), "the agent left a filesystem mounted")
            return out

        def uuid():
            return blank.sh("blkid", "-s", "UUID", "-o", "value", disk.dev + "p5").strip()

        out = install("127.0.0.71")
        self.assertIn("not already installed: ", out)
        first_uuid = uuid()
        out = install("127.0.0.72")
        self.assertRegex(out, HELD)
        self.assertNotIn("wiped", out)
        self.assertEqual(uuid(), first_uuid, "a held disk was formatted again")
        # The node's own change on /boot (another filesystem of the layout): installed again.
        mnt = os.path.join(work, "boot")
        os.makedirs(mnt)
        blank.mount(disk.dev + "p1", mnt)
        try:
            sitest.write_file(os.path.join(mnt, "added"), "x\n")
        finally:
            blank.sh("umount", mnt)
        out = install("127.0.0.73")
        self.assertIn("not already installed: differs: /boot/added: added", out)
        self.assertIn("wiped", out)
        self.assertNotEqual(uuid(), first_uuid)
        mnt = os.path.join(work, "check")
        os.makedirs(mnt)
        blank.mount("-o", "ro", disk.dev + "p5", mnt)
        try:
            blank.mount("-o", "ro", disk.dev + "p1", os.path.join(mnt, "boot"))
            try:
                diffs = [x for x in tree_compare.compare(src, mnt, ignore_root_mtime=True)
                         if not x.startswith(("etc/fstab", "etc/hostname", "etc/hosts", "etc:",
                                              "lost+found", "boot:", "boot/lost+found"))]
            finally:
                blank.sh("umount", os.path.join(mnt, "boot"))
        finally:
            blank.sh("umount", mnt)
        self.assertEqual(diffs, [])


if __name__ == "__main__":
    sitest.main()
