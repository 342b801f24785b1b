#!/usr/bin/env python3
"""Paths as long as an image's filesystem holds them (issue 13): a file 4,070 bytes deep in the
image is past PATH_MAX once the server's image directory is put in front, and again once the
node's root is. `cd image && tar -c .` packs it (SystemImager 4's way); si_btd must pack it too,
and si_btagent must put it, its symlink, modes and times into the node's root."""
import os
import stat
import sys
import unittest

import sitest  # noqa: E402

# 39 directories of 100 bytes and a last one: a 4,070-byte path to the file.
COMPONENTS = ["d%02d" % i + "x" * 97 for i in range(39)] + ["last" + "y" * 118]
MTIME_NS = 1_600_000_000_123_456_789


def make_deep(root):
    """Creates the deep directories, a file, a symlink and a mode-0600 file at the bottom
    (with dir_fd: the path is too long for path-based calls). Returns its path under root."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in COMPONENTS:
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        f = os.open("data.bin", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, bytes(range(256)) * 64)
        os.close(f)
        f = os.open("secret", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
        os.write(f, b"deep secret\n")
        os.close(f)
        os.symlink("data.bin", "link", dir_fd=fd)
        for name in ("data.bin", "secret"):
            os.utime(name, ns=(MTIME_NS, MTIME_NS), dir_fd=fd)
    finally:
        os.close(fd)
    return "/".join(COMPONENTS) + "/data.bin"


def read_deep(root):
    """{name: (mode, size, mtime_ns, content or link target)} of the bottom directory."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in COMPONENTS:
            nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
        out = {}
        for name in sorted(os.listdir(fd)):
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                body = os.readlink(name, dir_fd=fd)
            else:
                f = os.open(name, os.O_RDONLY, dir_fd=fd)
                body = os.read(f, 1 << 20)
                os.close(f)
            out[name] = (stat.S_IMODE(st.st_mode), stat.S_IFMT(st.st_mode), st.st_size,
                         None if stat.S_ISLNK(st.st_mode) else st.st_mtime_ns, body)
        return out
    finally:
        os.close(fd)


class LongPaths(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree(compress="y", images=("deep",))
        image = self.t.image_dir("deep")
        os.makedirs(os.path.join(image, "etc"))
        sitest.write_file(os.path.join(image, "etc", "hostname"), "deep\n")
        self.rel = make_deep(image)
        self.agents = []

    def tearDown(self):
        sitest.stop_procs(self.agents)
        self.t.cleanup()

    def test_packed_served_and_unpacked(self):
        image = self.t.image_dir("deep")
        self.assertEqual(len(self.rel), 4070)
        self.assertGreaterEqual(len(image) + 1 + len(self.rel), 4096, "not past PATH_MAX")
        self.t.start()
        self.t.wait_served(["image-deep.tar.gz.torrent"], timeout=60)
        self.assertNotIn("error", self.t.log_text())
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=deep BITTORRENT_TRACKER_PORT=%d"
                   % self.t.tracker_port)
        p, root = sitest.start_agent(self.t.dir, "127.0.0.2", cmdline)
        self.agents.append(p)
        out = p.communicate(timeout=120)[0].decode(errors="replace")
        self.assertEqual(p.returncode, 0, out[-2000:])
        self.assertGreaterEqual(len(os.path.abspath(root)) + 1 + len(self.rel), 4096)
        want = read_deep(image)
        got = read_deep(root)
        self.assertEqual(got, want)
        self.assertEqual(got["secret"][0], 0o600)
        self.assertEqual(got["link"][4], "data.bin")
        with open(os.path.join(root, "etc", "hostname")) as f:
            self.assertEqual(f.read(), "deep\n")


if __name__ == "__main__":
    sitest.main()
