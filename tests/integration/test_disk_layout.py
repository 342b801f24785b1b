#!/usr/bin/env python3
"""si_btd reads each image's disk layout (etc/systemimager/autoinstallscript.conf, SystemImager
4.0/4.1's XML) when it packs the image, and serves it at /layouts/<image> for blank nodes: a good
one as the initrd's line format, a bad one not at all, with its file and line in the log and on
/status.json, the image itself still seeded; an image without one has none."""
import os
import sys
import unittest

import sitest  # noqa: E402
from exit_codes import SERVER  # noqa: E402

GOOD = """<config>
  <disk dev="/dev/sda" label_type="gpt" unit_of_measurement="MB">
    <part num="1" size="1" p_type="primary" p_name="bios" flags="bios_grub" />
    <part num="2" size="*" p_type="primary" p_name="root" flags="-" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda2" mp="/" fs="ext4" options="errors=remount-ro" dump="0" pass="1" />
  <bootloader flavor="grub2" install_type="legacy"><target dev="/dev/sda"/></bootloader>
</config>
"""

# A logical partition with no extended one, on line 4.
BAD = """<config>
  <disk dev="/dev/sda" label_type="msdos" unit_of_measurement="MB">
    <part num="1" size="100" p_type="primary" />
    <part num="5" size="*" p_type="logical" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda1" mp="/" fs="ext4" />
</config>
"""


class DiskLayouts(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree(images=("golden", "broken", "plain"))
        for name, layout in (("golden", GOOD), ("broken", BAD), ("plain", None)):
            root = self.t.image_dir(name)
            sitest.write_file(os.path.join(root, "etc", "hostname"), name + "\n")
            if layout:
                sitest.write_file(os.path.join(root, "etc", "systemimager", "autoinstallscript.conf"),
                                  layout)

    def tearDown(self):
        self.t.cleanup()

    def test_layouts_served_refused_and_absent(self):
        self.t.start()
        self.t.wait_served(["image-golden.tar.torrent", "image-broken.tar.torrent",
                            "image-plain.tar.torrent"])
        code, body = sitest.http_get(self.t.url("/layouts/golden"))
        self.assertEqual(code, 200, body)
        self.assertEqual(body.decode(), "# si disk layout 1\n"
                                        "disk /dev/sda gpt MB\n"
                                        "part /dev/sda 1 primary 1 bios_grub bios -\n"
                                        "part /dev/sda 2 primary * - root -\n"
                                        "fs /dev/sda2 - / ext4 errors=remount-ro 0 1 format\n"
                                        "bootloader grub2 legacy /dev/sda\n")
        for name in ("broken", "plain", "nosuch", "../golden"):
            code, body = sitest.http_get(self.t.url("/layouts/" + name))
            self.assertEqual(code, 404, name)
        conf = os.path.join(self.t.image_dir("broken"), "etc", "systemimager", "autoinstallscript.conf")
        log = self.t.log_text()
        self.assertIn("image broken: disk layout not served: %s:4: <part num=\"5\">: a logical "
                      "partition before any extended one" % conf, log)
        self.assertIn("image golden: disk layout of 1 disk(s), 1 filesystem(s) served at "
                      "/layouts/golden", log)
        images = {i["name"]: i for i in self.t.status()["images"]}
        self.assertEqual(images["golden"]["layout"], "served")
        self.assertEqual(images["plain"]["layout"], "none")
        self.assertIn(":4: <part num=\"5\">", images["broken"]["layout"])
        self.assertTrue(images["broken"]["seeding"])

    def test_si_installbtimage_names_a_bad_layout(self):
        import subprocess
        base = [sitest.SI_INSTALLBTIMAGE, "--config", self.t.bt_conf, "--systemimager-conf",
                self.t.si_conf, "--quiet"]
        ok = subprocess.run(base + ["--images", "golden,plain"], capture_output=True, text=True,
                            timeout=60)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = subprocess.run(base + ["--images", "broken"], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(bad.returncode, SERVER.config, bad.stderr)
        self.assertRegex(bad.stderr, r"image broken: disk layout: .*/broken/etc/systemimager/"
                                     r"autoinstallscript\.conf:4: <part num=\"5\">")
        # The tarball itself was made: only the layout is refused.
        self.assertTrue(os.path.exists(os.path.join(self.t.dir, "tarballs", "image-broken.tar")))


if __name__ == "__main__":
    sitest.main()
