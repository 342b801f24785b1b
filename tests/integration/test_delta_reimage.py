#!/usr/bin/env python3
"""Delta reimaging from the swarm (issue 31): si_btd packs a delta-ready image (BT_DELTA=y,
zstd), three agents on loopback install v1, one node's root is then edited by hand (a file's
content changed with its size and mtime kept, a file deleted, a file added, a mode changed),
the image becomes v2 (a file rewritten, one added, one deleted, one renamed, a mode and a small
file changed) and is repacked; the three agents, together, install v2 over their roots. Each
receives fewer bytes than the image, every root ends equal to v2 item by item, and the
override is applied again. aria2c (a client we did not write) then downloads the same v2, and
tar unpacks it into a tree equal to v2. The server runs at its default settings
(BT_SUPER_SEED=y): with our patched libtorrent it super-seeds the delta-ready image, and each
delta node tells it which pieces it wants (the si_wanted message), which its log shows; with
Debian's libtorrent it seeds the image normally (server/seed/seeder_policy.hpp)."""
import os
import re
import shutil
import signal
import sys
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402

IMAGE_TORRENT = "image-golden.tar.zst.torrent"
TORRENTS = [IMAGE_TORRENT, "override-site.tar.zst.torrent"]
DELTA_LINE = r"si_btagent: delta: image-golden\.tar\.zst: received (\d+) bytes of (\d+);"


class DeltaReimage(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree(images=("golden",), overrides=("site",), compress="zstd",
                                   extra="BT_DELTA=y\n")
        self.addCleanup(self.t.cleanup)
        self.src = sitest.make_image_tree(self.t.image_dir("golden"), special=True, megabytes=6)
        sitest.write_file(os.path.join(self.t.override_dir("site"), "etc", "site.conf"),
                          "site=1\n", 0o600)
        self.btd = self.t.start()
        self.t.wait_served(TORRENTS)

    def cmdline(self):
        return ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden OVERRIDES=site "
                "BITTORRENT_TRACKER_PORT=%d BITTORRENT_POLLING_TIME=1" % self.t.tracker_port)

    def run_agents(self, roots):
        """Runs one agent per root at once (they trade pieces); returns their outputs."""
        procs = []
        for i, root in enumerate(roots):
            address = "127.0.0.%d" % (21 + i)
            os.makedirs(os.path.join(self.t.dir, "node-" + address), exist_ok=True)
            procs.append(sitest.start_agent(self.t.dir, address, self.cmdline(), root=root)[0])
        try:
            outs = [p.communicate(timeout=180)[0].decode(errors="replace") for p in procs]
        finally:
            sitest.stop_procs(procs)
        for p, out in zip(procs, outs):
            self.assertEqual(p.returncode, 0, out[-3000:])
        return outs

    def diffs(self, root):
        with open(os.path.join(root, "etc", "site.conf")) as f:
            self.assertEqual(f.read(), "site=1\n")
        return [d for d in tree_compare.compare(self.src, root, ignore_root_mtime=True)
                if not d.startswith(("etc:", "etc/site.conf:"))]

    def info_hash(self):
        code, body = sitest.http_get(self.t.url("/torrents/" + IMAGE_TORRENT))
        return sitest.torrent_info_hash(body) if code == 200 else None

    def check_wanted_told(self):
        """With a super-seeded delta-ready image, every delta node told the seeder which
        pieces it wants, and in the end fewer than all of them."""
        log = self.t.log_text()
        if "seeder: super-seeding image-golden.tar.zst" not in log:
            self.assertRegex(log, r"seeder: seeding image-golden\.tar\.zst \(delta-ready")
            print("libtorrent without our patches: the delta-ready image is seeded normally")
            return
        self.assertIn("a node that holds an earlier version is offered only the pieces", log)
        for i in range(3):
            told = re.findall(r"seeder: image-golden\.tar\.zst: 127\.0\.0\.%d:\d+ wants "
                              r"(\d+) of (\d+) pieces" % (21 + i), log)
            self.assertTrue(told, "node 127.0.0.%d never said what it wants:\n%s"
                            % (21 + i, log[-3000:]))
            wanted, pieces = (int(x) for x in told[-1])
            self.assertLess(wanted, pieces, log[-3000:])

    def test_v1_to_v2_on_three_nodes(self):
        roots = [os.path.join(self.t.dir, "root-%d" % i) for i in range(3)]
        for root in roots:
            os.makedirs(root)
        for out in self.run_agents(roots):
            self.assertNotRegex(out, DELTA_LINE)  # blank roots: full installs
        for root in roots:
            self.assertEqual(self.diffs(root), [])

        # The third node's root is edited by hand.
        edited = roots[2]
        passwd = os.path.join(edited, "etc", "passwd")
        st = os.stat(passwd)
        with open(passwd, "r+b") as f:
            f.write(b"R")  # same size
        os.utime(passwd, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.unlink(os.path.join(edited, "usr", "bin", "tool-link"))
        sitest.write_file(os.path.join(edited, "usr", "local", "extra"), "local\n")
        os.chmod(os.path.join(edited, "etc", "shadow"), 0o644)

        # v2, repacked.
        before = self.info_hash()
        lib = os.path.join(self.src, "usr", "lib")
        sitest.write_file(os.path.join(lib, "data000.bin"), os.urandom(1 << 20))
        sitest.write_file(os.path.join(lib, "new.bin"), os.urandom(512 << 10))
        os.unlink(os.path.join(lib, "data002.bin"))
        os.rename(os.path.join(lib, "data003.bin"), os.path.join(lib, "data003-renamed.bin"))
        os.chmod(os.path.join(self.src, "usr", "bin", "tool"), 0o700)
        sitest.write_file(os.path.join(self.src, "etc", "motd"), "v2\n")
        self.btd.send_signal(signal.SIGHUP)
        sitest.wait_for(lambda: self.info_hash() not in (None, before), 120, "v2 packed")
        self.t.wait_served(TORRENTS)

        outs = self.run_agents(roots)
        for root, out in zip(roots, outs):
            m = re.search(DELTA_LINE, out)
            self.assertIsNotNone(m, out[-3000:])
            received, image = int(m.group(1)), int(m.group(2))
            print("%s: received %d of %d bytes (%.0f %%)"
                  % (os.path.basename(root), received, image, 100.0 * received / image))
            self.assertLess(received, image, out[-3000:])
            self.assertEqual(self.diffs(root), [], out[-3000:])
        self.check_wanted_told()

        # A client we did not write downloads the same delta-ready v2 from the same server: a
        # whole, valid tarball that tar unpacks into v2.
        if shutil.which("aria2c") is None:
            print("aria2c not installed: foreign client check left out")
            return
        code, body = sitest.http_get(self.t.url("/torrents/" + IMAGE_TORRENT))
        self.assertEqual(code, 200)
        torrent = os.path.join(self.t.dir, IMAGE_TORRENT)
        with open(torrent, "wb") as f:
            f.write(body)
        out = os.path.join(self.t.dir, "aria2c")
        r = sitest.aria2_download(torrent, out, bind="127.0.0.31", timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace")[-3000:])
        tree = os.path.join(self.t.dir, "aria2c-tree")
        sitest.extract(os.path.join(out, IMAGE_TORRENT[:-len(".torrent")]), tree)
        self.assertEqual(tree_compare.compare(self.src, tree, ignore_root_mtime=True), [])


if __name__ == "__main__":
    sys.exit(sitest.main())
