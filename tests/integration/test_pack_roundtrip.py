#!/usr/bin/env python3
"""si_installbtimage packs a tree holding every kind of item an image has; GNU tar and bsdtar
extract each tarball (plain, gzip, zstd) to a tree identical to the source; the bytes and the
info-hash do not change from one run to the next; a matching pair is reused; an unreadable file
fails the pack naming it (exit 6) while the other images are still packed."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

import sitest  # noqa: E402
import tree_compare  # noqa: E402

EXIT_USAGE, EXIT_PACK = 2, 6
VARIANTS = {"plain": ([], ".tar"), "gzip": (["--compress"], ".tar.gz"),
            "zstd": (["--compress=zstd"], ".tar.zst")}


class PackRoundTrip(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree()
        self.src = sitest.make_image_tree(self.t.image_dir("demo"), special=True, megabytes=3)
        self.scratch = tempfile.TemporaryDirectory(prefix="si-extract-")

    def tearDown(self):
        self.scratch.cleanup()
        self.t.cleanup()

    def install(self, *args, user=None):
        cmd = [sitest.SI_INSTALLBTIMAGE, "--config", self.t.bt_conf,
               "--systemimager-conf", self.t.si_conf, *args]
        if user:
            cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)

    def paths(self, suffix, name="demo"):
        tarball = os.path.join(self.t.dir, "tarballs", "image-%s%s" % (name, suffix))
        return tarball, os.path.join(self.t.dir, "torrents", os.path.basename(tarball) + ".torrent")

    def fresh_dir(self, name):
        d = os.path.join(self.scratch.name, name)
        os.makedirs(d)
        return d

    def assert_same_tree(self, dest, ignore_root_mtime=False):
        diffs = tree_compare.compare(self.src, dest, ignore_root_mtime)
        self.assertEqual(diffs, [], "\n".join(diffs))
        sparse = os.lstat(os.path.join(dest, "var", "lib", "sparse.img"))
        self.assertLess(sparse.st_blocks * 512, 1 << 20, "sparse file became dense")
        ping = os.path.join(dest, "usr", "bin", "ping")
        self.assertEqual(os.getxattr(ping, "security.capability"),
                         bytes.fromhex("0100000200200000000000000000000000000000"))
        owned = os.path.join(dest, "srv", "owned")
        self.assertIn("system.posix_acl_access", os.listxattr(owned))
        self.assertEqual(os.getxattr(owned, "system.posix_acl_access"),
                         os.getxattr(os.path.join(self.src, "srv", "owned"),
                                     "system.posix_acl_access"))

    def test_every_variant_extracts_identically_with_gnu_tar_and_bsdtar(self):
        for variant, (args, suffix) in VARIANTS.items():
            with self.subTest(variant=variant):
                r = self.install("--images", "demo", *args)
                self.assertEqual(r.returncode, 0, r.stderr)
                tarball, torrent = self.paths(suffix)
                self.assertIn("image demo: packed " + tarball, r.stdout)
                with open(torrent, "rb") as f:
                    info_hash = sitest.torrent_info_hash(f.read())
                self.assertIn("info-hash " + info_hash, r.stdout)
                self.assertEqual(stat.S_IMODE(os.stat(tarball).st_mode), 0o600)
                gnu = self.fresh_dir(variant + "-gnu")
                sitest.extract(tarball, gnu)
                self.assert_same_tree(gnu)
                if shutil.which("bsdtar"):
                    bsd = self.fresh_dir(variant + "-bsd")
                    subprocess.run(["bsdtar", "-xpf", tarball, "-C", bsd, "--numeric-owner",
                                    "--xattrs", "--acls"], check=True)
                    # bsdtar (libarchive) restores the mode and owner of "./" but not its
                    # mtime; GNU tar above shows the tarball holds it.
                    self.assert_same_tree(bsd, ignore_root_mtime=True)
                leftovers = [n for n in os.listdir(os.path.dirname(tarball)) if ".tmp." in n]
                self.assertEqual(leftovers, [])

    def test_same_bytes_and_info_hash_every_run_and_reuse_without_update(self):
        for variant, (args, suffix) in VARIANTS.items():
            with self.subTest(variant=variant):
                tarball, torrent = self.paths(suffix)
                runs = []
                for _ in range(2):
                    r = self.install("--images", "demo", "--update", *args)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    with open(tarball, "rb") as a, open(torrent, "rb") as b:
                        runs.append((a.read(), b.read()))
                self.assertEqual(runs[0][0], runs[1][0], "tarball bytes changed between runs")
                self.assertEqual(runs[0][1], runs[1][1], "torrent bytes changed between runs")
                before = os.stat(tarball)
                r = self.install("--images", "demo", *args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("image demo: reused " + tarball, r.stdout)
                after = os.stat(tarball)
                self.assertEqual((before.st_ino, before.st_mtime_ns),
                                 (after.st_ino, after.st_mtime_ns))

    def test_unreadable_file_names_it_and_other_images_still_pack(self):
        # Run as nobody so root's DAC override cannot hide the failure: etc/shadow is 0640 root.
        sitest.make_image_tree(self.t.image_dir("other"), special=False)
        shutil.rmtree(os.path.join(self.t.image_dir("other"), "etc"))
        for dirpath, dirnames, _ in os.walk(self.t.dir):
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)
        os.chmod(self.t.dir, 0o755)
        for d in ("tarballs", "torrents"):
            os.chmod(os.path.join(self.t.dir, d), 0o777)
        r = self.install("--images", "demo,other", "--compress", user=65534)
        self.assertEqual(r.returncode, EXIT_PACK, r.stdout + r.stderr)
        shadow = os.path.join(self.src, "etc", "shadow")
        self.assertIn("error: pack image demo: open %s: Permission denied" % shadow, r.stderr)
        demo, _ = self.paths(".tar.gz")
        other, other_torrent = self.paths(".tar.gz", "other")
        self.assertFalse(os.path.exists(demo))
        self.assertTrue(os.path.exists(other) and os.path.exists(other_torrent), r.stderr)
        leftovers = [n for n in os.listdir(os.path.dirname(demo)) if ".tmp." in n]
        self.assertEqual(leftovers, [])

    def test_config_files_as_administrators_write_them(self):
        # systemimager.conf as SystemImager's Perl tools (AppConfig) read it: names in any
        # case, a comment after the value; bittorrent.conf saved by an editor that starts it
        # with a UTF-8 byte-order mark.
        moved = os.path.join(self.t.dir, "moved-tarballs")
        os.makedirs(moved)
        with open(self.t.si_conf, "w") as f:
            f.write("default_image_dir = %s/images    # moved in 2024\n"
                    "Autoinstall_Tarball_Dir %s\t# the big disk\n"
                    "AUTOINSTALL_TORRENT_DIR = \"%s/torrents\"\n" % (self.t.dir, moved, self.t.dir))
        with open(self.t.bt_conf, "rb") as f:
            conf = f.read()
        with open(self.t.bt_conf, "wb") as f:
            f.write(b"\xef\xbb\xbf# SystemImager BitTorrent configuration\n" + conf)
        r = self.install("--images", "demo")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("bittorrent.conf:1: UTF-8 byte-order mark at the start (ignored)", r.stderr)
        self.assertTrue(os.path.exists(os.path.join(moved, "image-demo.tar")), r.stdout + r.stderr)
        self.assertTrue(os.path.exists(self.paths(".tar")[1]))

    def test_missing_image_fails_and_images_is_required(self):
        r = self.install("--images", "demo,absent")
        self.assertEqual(r.returncode, EXIT_PACK, r.stderr)
        self.assertIn("error: image absent: nothing packed: %s does not exist"
                      % os.path.join(self.t.dir, "images", "absent"), r.stderr)
        self.assertTrue(os.path.exists(self.paths(".tar")[0]), "demo is still packed")
        r = self.install("--overrides", "demo")
        self.assertEqual(r.returncode, EXIT_USAGE, r.stderr)
        self.assertIn("--images is required", r.stderr)


if __name__ == "__main__":
    sitest.main()
