#!/usr/bin/env python3
"""si_btagent is one static binary that does its whole job in an empty chroot holding nothing
but itself, its command line and the target root (as in an initrd without libraries)."""
import os
import shutil
import subprocess
import sys
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402


class AgentStatic(unittest.TestCase):
    def test_file_says_statically_linked_and_small(self):
        out = subprocess.run(["file", "-L", sitest.SI_BTAGENT], stdout=subprocess.PIPE, text=True).stdout
        self.assertIn("statically linked", out)
        size = os.path.getsize(sitest.SI_BTAGENT)
        self.assertLess(size, 16 << 20, "stripped si_btagent is %d bytes (goal <= 16 MB)" % size)

    def test_installs_an_image_from_an_empty_chroot(self):
        t = sitest.ServerTree(compress="y", images=("golden",))
        try:
            src = sitest.make_image_tree(t.image_dir("golden"), special=True, megabytes=4)
            t.start()
            t.wait_served(["image-golden.tar.gz.torrent"])
            chroot = os.path.join(t.dir, "chroot")
            for d in ("a", "staging"):
                os.makedirs(os.path.join(chroot, d))
            shutil.copy2(sitest.SI_BTAGENT, os.path.join(chroot, "si_btagent"))
            with open(os.path.join(chroot, "cmdline"), "w") as f:
                f.write("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden BITTORRENT_TRACKER_PORT=%d "
                        "BITTORRENT_POLLING_TIME=1\n" % t.tracker_port)
            self.assertEqual(sorted(os.listdir(chroot)), ["a", "cmdline", "si_btagent", "staging"])
            r = subprocess.run(["chroot", chroot, "/si_btagent", "--cmdline", "/cmdline", "--root", "/a",
                                "--staging", "/staging", "--bind", "127.0.0.2"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
            out = r.stdout.decode(errors="replace")
            self.assertEqual(r.returncode, 0, out)
            self.assertIn("imaged: golden into /a", out)
            self.assertEqual(tree_compare.compare(src, os.path.join(chroot, "a")), [])
            self.assertEqual(os.listdir(os.path.join(chroot, "staging")), [])
        finally:
            t.cleanup()


if __name__ == "__main__":
    sitest.main()
