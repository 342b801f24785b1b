#!/usr/bin/env python3
"""initrd/build-initrd run by a user who is not root (as dpkg-buildpackage runs it under
Rules-Requires-Root: no): the initrd still holds /dev/console and /dev/null as the right
character devices, in one archive that cpio -t lists whole, and the build as root gives the
same bytes.

Environment: SI_SOURCE_DIR. Needs root (to switch to nobody), a kernel under /lib/modules with
its /boot/vmlinuz, busybox-static, cpio, kmod and setpriv; exits 77 without them. The static
busybox stands in for the agent (build-initrd only copies it).
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import sitest  # noqa: E402

SOURCE_DIR = os.environ.get(
    "SI_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_INITRD = os.path.join(SOURCE_DIR, "initrd", "build-initrd")


def kernel_version():
    for kver in sorted(os.listdir("/lib/modules")) if os.path.isdir("/lib/modules") else []:
        if os.access("/boot/vmlinuz-" + kver, os.R_OK) and \
                os.path.exists(os.path.join("/lib/modules", kver, "modules.dep")):
            return kver
    return None


class BuildInitrd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root to run the build as nobody")
        for tool in ("cpio", "depmod", "setpriv", "gzip"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(tool + " is not installed")
        if not os.path.exists("/bin/busybox"):
            raise unittest.SkipTest("busybox-static is not installed")
        cls.kver = kernel_version()
        if cls.kver is None:
            raise unittest.SkipTest("no kernel with modules and /boot/vmlinuz here")

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="si_initrd_")
        self.tmp = self._tmp.name
        os.chmod(self.tmp, 0o1777)  # nobody makes its work directory here

    def tearDown(self):
        self._tmp.cleanup()

    def build(self, out, user):
        os.makedirs(out)
        cmd = [BUILD_INITRD, "--kernel-version", self.kver, "--agent", "/bin/busybox",
               "--out", out, "--compress", "gzip"]
        env = dict(os.environ, TMPDIR=self.tmp)
        if user != "root":
            os.chown(out, 65534, 65534)
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600,
                              check=False)
        self.assertEqual(proc.returncode, 0, "build-initrd as %s: %s%s"
                         % (user, proc.stdout, proc.stderr))
        with open(os.path.join(out, "initrd.img"), "rb") as f:
            return f.read()

    def listing(self, image):
        unpacked = subprocess.run(["gzip", "-dc"], input=image, capture_output=True,
                                  check=True).stdout
        return subprocess.run(["cpio", "-itv", "--quiet"], input=unpacked, capture_output=True,
                              check=True).stdout.decode()

    def test_device_nodes_without_root(self):
        image = self.build(os.path.join(self.tmp, "nobody"), "nobody")
        lines = self.listing(image).splitlines()
        by_name = {line.split()[-1]: line for line in lines}
        for name, mode, dev in (("dev/console", "crw-------", "5,   1"),
                                ("dev/null", "crw-rw-rw-", "1,   3")):
            self.assertIn(name, by_name, "the initrd lacks " + name)
            self.assertTrue(by_name[name].startswith(mode), by_name[name])
            self.assertIn(dev, by_name[name])
            self.assertIn(" root ", by_name[name])
        # One archive: what comes before the device nodes is listed too.
        for member in ("init", "sbin/si_btagent", "bin/busybox", "etc/si/kernel-version"):
            self.assertIn(member, by_name, "the initrd lacks " + member)
        self.assertEqual(glob.glob(os.path.join(self.tmp, "build-initrd.*")), [],
                         "build-initrd left its work directory")
        # Built as root, the archive is the same.
        self.assertEqual(self.build(os.path.join(self.tmp, "root"), "root"), image,
                         "the initrd differs between a build as root and one as nobody")

    def test_trusted_keys_and_the_monitor_key_go_in(self):
        si_btkey = os.path.join(sitest.BUILD_DIR, "src", "server", "si_btkey")
        if not os.access(si_btkey, os.X_OK):
            self.skipTest("si_btkey is not built")
        keys = os.path.join(self.tmp, "keys")
        os.makedirs(keys)
        for args in (["signing", "--key", os.path.join(keys, "old.key")],
                     ["signing", "--key", os.path.join(keys, "new.key")],
                     ["monitor", "--key", os.path.join(keys, "monitor.key")]):
            subprocess.run([si_btkey] + args, check=True, capture_output=True)
        out = os.path.join(self.tmp, "keyed")
        os.makedirs(out)
        base = [BUILD_INITRD, "--kernel-version", self.kver, "--agent", "/bin/busybox",
                "--out", out, "--compress", "gzip"]
        # A file that is not a public key is refused with one line, before anything is built.
        bad = subprocess.run(base + ["--trust-key", os.path.join(keys, "old.key")],
                             capture_output=True, text=True, env=dict(os.environ, TMPDIR=self.tmp))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("not a minisign public key", bad.stderr)
        proc = subprocess.run(base + ["--trust-key", os.path.join(keys, "old.pub"),
                                      "--trust-key", os.path.join(keys, "new.pub"),
                                      "--monitor-key", os.path.join(keys, "monitor.key")],
                              capture_output=True, text=True, env=dict(os.environ, TMPDIR=self.tmp),
                              timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        with open(os.path.join(out, "initrd.img"), "rb") as f:
            by_name = {line.split()[-1]: line for line in self.listing(f.read()).splitlines()}
        for name, mode in (("etc/si/trusted-keys/old.pub", "-rw-r--r--"),
                           ("etc/si/trusted-keys/new.pub", "-rw-r--r--"),
                           ("etc/si/monitor.key", "-rw-------")):
            self.assertIn(name, by_name, "the initrd lacks " + name)
            self.assertTrue(by_name[name].startswith(mode), by_name[name])


if __name__ == "__main__":
    sitest.main()
