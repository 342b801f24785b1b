#!/usr/bin/env python3
"""si_btd packs and seeds; a BitTorrent client we did not write (Debian's aria2c) downloads
each tarball over our tracker and seeder; the bytes and the unpacked tree are what the
administrator put in the image, item by item."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import sitest  # noqa: E402
import tree_compare  # noqa: E402


class SeedDownload(unittest.TestCase):
    def download_and_check(self, compress, suffix):
        t = sitest.ServerTree(compress=compress, images=("golden",), overrides=("site",))
        try:
            src = sitest.make_image_tree(t.image_dir("golden"), special=True, megabytes=6)
            ovr = t.override_dir("site")
            sitest.write_file(os.path.join(ovr, "etc", "hostname"), "node\n")
            t.start()
            names = ["image-golden%s.torrent" % suffix, "override-site%s.torrent" % suffix]
            t.wait_served(names)
            client = tempfile.mkdtemp(dir=t.dir)
            for i, name in enumerate(names):
                status, body = sitest.http_get(t.url("/torrents/" + name))
                self.assertEqual(status, 200)
                with open(os.path.join(t.dir, "torrents", name), "rb") as f:
                    self.assertEqual(body, f.read(), "served .torrent differs from the file")
                path = os.path.join(client, name)
                with open(path, "wb") as f:
                    f.write(body)
                r = sitest.aria2_download(path, client, bind="127.0.0.%d" % (2 + i), timeout=90)
                self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace"))
                tarball = name[: -len(".torrent")]
                with open(os.path.join(client, tarball), "rb") as a, \
                        open(os.path.join(t.dir, "tarballs", tarball), "rb") as b:
                    self.assertTrue(a.read() == b.read(), "downloaded bytes differ from the tarball")
            root = os.path.join(t.dir, "node-root")
            sitest.extract(os.path.join(client, "image-golden" + suffix), root)
            self.assertEqual(tree_compare.compare(src, root), [])
            sitest.extract(os.path.join(client, "override-site" + suffix), root)
            with open(os.path.join(root, "etc", "hostname")) as f:
                self.assertEqual(f.read(), "node\n")
            # The tracker saw the client complete.
            status, body = sitest.http_get(t.url("/scrape"))
            self.assertEqual(status, 200)
            files = sitest.bdecode(body)[b"files"]
            ih = bytes.fromhex(sitest.torrent_info_hash(
                open(os.path.join(t.dir, "torrents", names[0]), "rb").read()))
            self.assertIn(ih, files)
            self.assertGreaterEqual(files[ih][b"downloaded"], 1)
            self.assertIn("completed", t.log_text())
        finally:
            t.cleanup()

    def test_gzip(self):
        self.download_and_check("y", ".tar.gz")

    def test_zstd(self):
        self.download_and_check("zstd", ".tar.zst")

    def test_plain(self):
        self.download_and_check("n", ".tar")

    def test_torrent_is_what_the_howto_describes(self):
        t = sitest.ServerTree(compress="y")
        try:
            sitest.make_image_tree(t.image_dir("demo"), special=False, megabytes=3)
            t.start()
            t.wait_served(["image-demo.tar.gz.torrent"])
            with open(os.path.join(t.dir, "torrents", "image-demo.tar.gz.torrent"), "rb") as f:
                meta = sitest.bdecode(f.read())
            self.assertEqual(meta[b"announce"], t.url("/announce").encode())
            info = meta[b"info"]
            self.assertEqual(info[b"name"], b"image-demo.tar.gz")
            size = os.path.getsize(os.path.join(t.dir, "tarballs", "image-demo.tar.gz"))
            self.assertEqual(info[b"length"], size)
            self.assertNotIn(b"meta version", info)  # v1 only
            self.assertEqual(len(info[b"pieces"]), 20 * -(-size // info[b"piece length"]))
            mode = os.stat(os.path.join(t.dir, "tarballs", "image-demo.tar.gz")).st_mode & 0o777
            self.assertEqual(mode, 0o600)
            subprocess.run(["gzip", "-t", os.path.join(t.dir, "tarballs", "image-demo.tar.gz")], check=True)
        finally:
            t.cleanup()

    def test_a_peer_stalled_in_its_handshake_stops_nothing(self):
        """A peer that sends its handshake up to the info-hash and then nothing (a slow or
        broken client, or a port scan) is in its handshake with our super-seeder. The
        seeder once offered such a peer pieces in a loop that never ended, and si_btd
        stopped answering anyone. Now its page answers and a client downloads the image."""
        t = sitest.ServerTree(images=("golden",))
        try:
            sitest.make_image_tree(t.image_dir("golden"), special=False, megabytes=2)
            t.start()
            name = "image-golden.tar.torrent"
            t.wait_served([name])
            with open(os.path.join(t.dir, "torrents", name), "rb") as f:
                torrent = f.read()
            info_hash = bytes.fromhex(sitest.torrent_info_hash(torrent))

            def answers():
                try:
                    return t.status() is not None
                except OSError:  # a time-out: si_btd accepts but does not answer
                    return False

            stalled = []
            for source in ("127.0.0.5", "127.0.0.6"):
                s = socket.create_connection((t.address, t.seeder_port), timeout=5,
                                             source_address=(source, 0))
                s.sendall(b"\x13BitTorrent protocol" + bytes(8) + info_hash)  # no peer id
                stalled.append(s)
            try:
                # Past the seeder's next ticks, where a new peer is offered its pieces.
                sitest.wait_for(answers, 10, "si_btd's status page")
                time.sleep(3)
                self.assertTrue(answers(), "si_btd stopped answering its status page")
                client = tempfile.mkdtemp(dir=t.dir)
                path = os.path.join(client, name)
                with open(path, "wb") as f:
                    f.write(torrent)
                r = sitest.aria2_download(path, client, bind="127.0.0.2", timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace"))
                with open(os.path.join(client, "image-golden.tar"), "rb") as a, \
                        open(os.path.join(t.dir, "tarballs", "image-golden.tar"), "rb") as b:
                    self.assertTrue(a.read() == b.read(), "downloaded bytes differ from the tarball")
                self.assertTrue(answers(), "si_btd stopped answering its status page")
            finally:
                for s in stalled:
                    s.close()
        finally:
            t.cleanup()


if __name__ == "__main__":
    sitest.main()
