#!/usr/bin/env python3
"""BT_UPDATE=n reuses a pair that still matches its image tree without reading or hashing it;
a stale or inconsistent pair is never seeded: si_btd repacks it."""
import os
import signal
import sys
import tempfile
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402

TARBALL = "image-demo.tar.gz"
TORRENT = TARBALL + ".torrent"


class BtUpdate(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree(compress="y", update="y")
        self.src = sitest.make_image_tree(self.t.image_dir("demo"), special=True, megabytes=24)
        self.tarball = os.path.join(self.t.dir, "tarballs", TARBALL)
        self.torrent = os.path.join(self.t.dir, "torrents", TORRENT)

    def tearDown(self):
        self.t.cleanup()

    def run_once(self, check=None):
        """Starts si_btd, waits until it serves, runs check(pid), stops it with SIGTERM."""
        p = self.t.start()
        self.t.wait_served([TORRENT])
        result = check(p.pid) if check else None
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=30)[0].decode()
        self.assertEqual(p.returncode, 0, out)
        return result, out

    def info_hash(self):
        with open(self.torrent, "rb") as f:
            return sitest.torrent_info_hash(f.read())

    def download_and_compare(self):
        client = tempfile.mkdtemp(dir=self.t.dir)
        with open(os.path.join(client, TORRENT), "wb") as f:
            f.write(sitest.http_get(self.t.url("/torrents/" + TORRENT))[1])
        r = sitest.aria2_download(os.path.join(client, TORRENT), client)
        self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace"))
        root = tempfile.mkdtemp(dir=self.t.dir)
        sitest.extract(os.path.join(client, TARBALL), root)
        self.assertEqual(tree_compare.compare(self.src, root, ignore_root_mtime=True), [])

    def test_unchanged_tree_is_reused_without_rehashing(self):
        self.run_once()
        before = os.stat(self.tarball)
        hash_before = self.info_hash()
        self.t.write_bt_conf(compress="y", update="n")

        def while_serving(pid):
            return sitest.proc_read_bytes(pid)
        read_bytes, out = self.run_once(while_serving)
        after = os.stat(self.tarball)
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        self.assertEqual(self.info_hash(), hash_before)
        # Packing reads the whole tree (24+ MiB); reuse reads none of it and hashes nothing.
        self.assertLess(read_bytes, 4 << 20, "si_btd read %d bytes while reusing" % read_bytes)
        self.assertIn("reused", self.t.log_text())

        # Reused in seed mode, it still serves correct bytes.
        self.t.write_bt_conf(compress="y", update="n")
        p = self.t.start()
        try:
            self.t.wait_served([TORRENT])
            self.download_and_compare()
        finally:
            p.terminate()
            p.communicate(timeout=30)

    def test_changed_tree_is_repacked_not_seeded_stale(self):
        self.run_once()
        hash_before = self.info_hash()
        with open(os.path.join(self.src, "etc", "hostname"), "a") as f:
            f.write("changed\n")
        self.t.write_bt_conf(compress="y", update="n")
        p = self.t.start()
        try:
            self.t.wait_served([TORRENT])
            self.assertNotEqual(self.info_hash(), hash_before)
            self.download_and_compare()
        finally:
            p.terminate()
            p.communicate(timeout=30)

    def test_inconsistent_pair_is_repacked(self):
        self.run_once()
        hash_before = self.info_hash()
        # Damage the tarball behind the record's back (same size, other bytes).
        with open(self.tarball, "r+b") as f:
            f.seek(100)
            f.write(b"garbage!")
        self.t.write_bt_conf(compress="y", update="n")
        p = self.t.start()
        try:
            self.t.wait_served([TORRENT])
            sitest.wait_for(lambda: "packed" in self.t.log_text().split("starting")[-1], 60,
                            "the repack")
            self.assertEqual(self.info_hash(), hash_before)  # same tree, same bytes again
            self.download_and_compare()
        finally:
            p.terminate()
            p.communicate(timeout=30)


if __name__ == "__main__":
    sitest.main()
