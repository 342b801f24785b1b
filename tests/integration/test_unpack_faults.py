#!/usr/bin/env python3
"""Whatever stops an install half-way (the target root fills up, the staging area fills up,
the download stalls on a piece nobody can send), the agent exits with the documented code and
a line naming the cause, every file in the root is either exact or clearly not final (never
the image's size and mtime with other bytes, as a size-and-mtime check such as rsync's would
take for complete), and the root carries the incomplete mark. A rerun into the same root
completes it and removes the mark."""
import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402
from test_agent_swarm import FakeImageServer  # noqa: E402

from exit_codes import AGENT  # noqa: E402
MARK = ".systemimager-incomplete"


def make_big_files(root, count=8, size=1_500_000):
    """Incompressible files large enough to span several pieces each."""
    rng = random.Random(15)
    for i in range(count):
        sitest.write_file(os.path.join(root, "usr", "lib", "f%02d" % i), rng.randbytes(size))
    sitest.write_file(os.path.join(root, "etc", "hostname"), "golden\n")
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), ns=(1_500_000_000 * 10**9,) * 2)


def mount_tmpfs(test, path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path], check=True)
    test.addCleanup(subprocess.run, ["umount", "-l", path], check=False)


@unittest.skipUnless(os.geteuid() == 0, "needs root (tmpfs mounts, owners)")
class UnpackFaults(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree(images=("golden",))
        self.addCleanup(self.t.cleanup)
        self.image = self.t.image_dir("golden")
        make_big_files(self.image)
        self.agents = []

    def tearDown(self):
        sitest.stop_procs(self.agents)

    def cmdline(self, extra=""):
        return ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden BITTORRENT_TRACKER_PORT=%d "
                "BITTORRENT_POLLING_TIME=1 %s" % (self.t.tracker_port, extra))

    def run_agent(self, address, root=None, staging=None, extra=""):
        p, root = sitest.start_agent(self.t.dir, address, self.cmdline(extra), root=root,
                                     staging=staging)
        self.agents.append(p)
        out = p.communicate(timeout=180)[0].decode(errors="replace")
        return p.returncode, out, root

    def assert_nothing_looks_final_but_is_not(self, root):
        """Every regular file in `root` with the image's size and mtime has the image's bytes."""
        checked = 0
        for dirpath, _, filenames in os.walk(root):
            for name in filenames:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if rel == MARK:
                    continue
                ref = os.path.join(self.image, rel)
                self.assertTrue(os.path.lexists(ref), "not in the image: " + rel)
                st, ref_st = os.lstat(path), os.lstat(ref)
                if st.st_size == ref_st.st_size and st.st_mtime_ns == ref_st.st_mtime_ns:
                    with open(path, "rb") as a, open(ref, "rb") as b:
                        self.assertTrue(a.read() == b.read(),
                                        "%s has the image's size and mtime but other bytes" % rel)
                    checked += 1
        return checked

    def assert_marked(self, root):
        with open(os.path.join(root, MARK)) as f:
            self.assertIn("image golden", f.read())

    def start_server(self):
        self.t.start()
        self.t.wait_served(["image-golden.tar.torrent"])

    def test_target_root_full(self):
        self.start_server()
        root = os.path.join(self.t.dir, "node-127.0.0.31", "a")
        mount_tmpfs(self, root, "5M")  # 12 MB image
        rc, out, _ = self.run_agent("127.0.0.31", root=root)
        self.assertEqual(rc, AGENT.no_space, out)
        self.assertRegex(out, r"si_btagent: install image-golden\.tar: unpack: \./usr/lib/f\d\d: "
                              r"write: No space left on device")
        self.assert_marked(root)
        self.assert_nothing_looks_final_but_is_not(root)

    def serve_with_aria2c(self, corrupt_middle_piece=False, limit="0"):
        """si_btd packs; then aria2c seeds that tarball (its middle piece corrupted, or its
        upload limited, when asked) and a fake tracker on the image server's port hands the agent
        only that seeder. Returns the piece length and the number of pieces."""
        self.start_server()
        torrent_path = os.path.join(self.t.dir, "torrents", "image-golden.tar.torrent")
        with open(torrent_path, "rb") as f:
            torrent = f.read()
        piece = sitest.bdecode(torrent)[b"info"][b"piece length"]
        with open(os.path.join(self.t.dir, "tarballs", "image-golden.tar"), "rb") as f:
            data = bytearray(f.read())
        for p in self.t.procs:
            p.terminate()
            p.wait(30)
        if corrupt_middle_piece:
            data[len(data) // piece // 2 * piece + 100] ^= 0xFF
        seed_dir = os.path.join(self.t.dir, "seeder")
        os.makedirs(seed_dir)
        with open(os.path.join(seed_dir, "image-golden.tar"), "wb") as f:
            f.write(data)
        port = sitest.free_port("127.0.0.40")
        seeder = subprocess.Popen(
            ["aria2c", "--interface=127.0.0.40", "--listen-port=%d" % port, "--dir=" + seed_dir,
             "--seed-ratio=0.0", "--bt-seed-unverified=true", "--check-integrity=false",
             "--max-upload-limit=" + limit, "--enable-dht=false", "--bt-enable-lpd=false",
             "--enable-peer-exchange=false", "--bt-tracker=", "--bt-exclude-tracker=*",
             "--console-log-level=error", "--summary-interval=0", torrent_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(seeder.wait, 10)
        self.addCleanup(seeder.kill)
        peers = socket.inet_aton("127.0.0.40") + port.to_bytes(2, "big")
        fake = FakeImageServer("127.0.0.1", self.t.tracker_port,
                               {"image-golden.tar.torrent": torrent},
                               announce=b"d8:intervali30e5:peers6:%se" % peers)
        self.addCleanup(fake.close)

        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.40", port)) == 0
        sitest.wait_for(listening, 30, "aria2c to listen")
        return piece, (len(data) + piece - 1) // piece

    @unittest.skipIf(shutil.which("aria2c") is None, "needs aria2c (scripts/setup-deps.sh)")
    def test_staging_full_mid_download(self):
        self.serve_with_aria2c(limit="2M")  # a few seconds for 12 MB
        staging = os.path.join(self.t.dir, "node-127.0.0.32", "staging")
        mount_tmpfs(self, staging, "14M")  # room for the tarball when the agent checks
        p, root = sitest.start_agent(self.t.dir, "127.0.0.32", self.cmdline("BITTORRENT_TIMEOUT=10"),
                                     staging=staging)
        self.agents.append(p)
        lines = []
        for raw in p.stdout:
            lines.append(raw.decode(errors="replace"))
            if re.search(r"image-golden\.tar +[1-9]\d?\.\d%", lines[-1]):
                # Mid-download: something else takes the staging area's room.
                with open(os.path.join(staging, "filler"), "wb") as f:
                    with contextlib.suppress(OSError):
                        f.write(b"x" * (14 << 20))
                break
        out = "".join(lines) + p.communicate(timeout=120)[0].decode(errors="replace")
        self.assertEqual(p.returncode, AGENT.no_space, out)
        self.assertIn("No space left on device", out)
        self.assert_marked(root)
        self.assert_nothing_looks_final_but_is_not(root)
        # The same node with room completes the image into the same root.
        os.remove(os.path.join(staging, "filler"))
        rc, out, root = self.run_agent("127.0.0.32", root=root, staging=staging)
        self.assertEqual(rc, 0, out)
        self.assertFalse(os.path.lexists(os.path.join(root, MARK)))
        self.assertEqual(tree_compare.compare(self.image, root), [])

    @unittest.skipIf(shutil.which("aria2c") is None, "needs aria2c (scripts/setup-deps.sh)")
    def test_stall_on_a_piece_nobody_can_send(self):
        # The only seeder has one piece in the middle of the tarball (inside a file) corrupt:
        # the unpack stops inside that file and the download stalls.
        self.serve_with_aria2c(corrupt_middle_piece=True)
        # Long enough that a slow start of aria2c on a loaded machine is not the stall.
        rc, out, root = self.run_agent("127.0.0.33", extra="BITTORRENT_TIMEOUT=20")
        self.assertEqual(rc, AGENT.stalled, out)
        self.assertIn("no download progress on image-golden.tar for 20 s", out)
        self.assert_marked(root)
        complete = self.assert_nothing_looks_final_but_is_not(root)
        unpacked = [float(m) for m in re.findall(r"unpacked (\d+\.\d)%", out)]
        if not unpacked or max(unpacked) == 0.0:
            # Nothing reached the unpacker before the stall (the seeder sent nothing): the
            # mid-file stop this test is about did not happen.
            self.skipTest("no byte was unpacked before the stall: scenario not reached")
        self.assertGreater(complete, 0, "bytes were unpacked but no whole file is left:\n" +
                           out[-2500:])


if __name__ == "__main__":
    sitest.main()
