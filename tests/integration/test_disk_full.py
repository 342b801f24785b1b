#!/usr/bin/env python3
"""Packing onto a full disk (a 1 MiB tmpfs as the tarball directory) fails with exit 6 and a
clear message naming the file, and leaves neither a partial tarball under its final name nor a
temp file; a pair packed earlier stays as it was."""
import os
import subprocess
import sys
import unittest

import sitest  # noqa: E402

EXIT_PACK = 6


class DiskFull(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree()
        self.tarballs = os.path.join(self.t.dir, "tarballs")
        self.mounted = False
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", self.tarballs],
                       check=True)
        self.mounted = True

    def tearDown(self):
        try:
            if self.mounted:
                subprocess.run(["umount", "-l", self.tarballs], check=False)
        finally:
            self.t.cleanup()

    def install(self, *args):
        return subprocess.run([sitest.SI_INSTALLBTIMAGE, "--config", self.t.bt_conf,
                               "--systemimager-conf", self.t.si_conf, "--images", "demo", *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)

    def test_disk_full_fails_cleanly(self):
        image = self.t.image_dir("demo")
        sitest.write_file(os.path.join(image, "etc", "hostname"), "small\n")
        r = self.install("--update")
        self.assertEqual(r.returncode, 0, r.stderr)
        tarball = os.path.join(self.tarballs, "image-demo.tar")
        with open(tarball, "rb") as f:
            old = f.read()
        # Random data does not compress: 3 MiB cannot fit in 1 MiB whatever the compression.
        sitest.write_file(os.path.join(image, "var", "big.bin"), os.urandom(3 << 20))
        for args, suffix in (([], ".tar"), (["--compress"], ".tar.gz"),
                             (["--compress=zstd"], ".tar.zst")):
            with self.subTest(compress=args):
                r = self.install("--update", *args)
                self.assertEqual(r.returncode, EXIT_PACK, r.stdout + r.stderr)
                lines = [line for line in r.stderr.splitlines() if line.startswith("error:")]
                self.assertEqual(len(lines), 1, r.stderr)
                final = os.path.join(self.tarballs, "image-demo" + suffix)
                self.assertIn("pack image demo: write %s: No space left on device" % final,
                              lines[0])
                names = os.listdir(self.tarballs)
                self.assertEqual([n for n in names if ".tmp." in n], [])
                if suffix != ".tar":
                    self.assertNotIn(os.path.basename(final), names)
                torrents = os.listdir(os.path.join(self.t.dir, "torrents"))
                self.assertEqual([n for n in torrents if ".tmp." in n], [])
        # The pair packed before the disk filled up is untouched.
        with open(tarball, "rb") as f:
            self.assertEqual(f.read(), old)


if __name__ == "__main__":
    sitest.main()
