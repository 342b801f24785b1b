#!/usr/bin/env python3
"""si_btd refuses bad configurations with one clear line and a documented exit code, and
accepts what the HOWTO used to warn about (spaces in lists) with a warning."""
import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import sitest  # noqa: E402

from exit_codes import SERVER  # noqa: E402


class ConfigErrors(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree()
        sitest.make_image_tree(self.t.image_dir("demo"), special=False)

    def tearDown(self):
        self.t.cleanup()

    def run_btd(self, *extra, timeout=20):
        return subprocess.run(self.t.btd_args() + ["--foreground", *extra], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, text=True)

    def assert_one_line_error(self, result, code, *needles):
        self.assertEqual(result.returncode, code, result.stdout)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, result.stdout)
        for n in needles:
            self.assertIn(n, lines[0])

    def test_bad_compress_value_names_file_line_and_key(self):
        self.t.write_bt_conf(compress="maybe")
        r = self.run_btd()
        self.assert_one_line_error(r, SERVER.config, self.t.bt_conf + ":6: BT_COMPRESS: 'maybe'",
                                   "y, n, zstd")

    def test_bad_update_and_port_values(self):
        self.t.write_bt_conf(update="perhaps")
        self.assert_one_line_error(self.run_btd(), SERVER.config, "BT_UPDATE: 'perhaps'")
        self.t.write_bt_conf(extra="BT_TRACKER_PORT=sixtynine\n")
        with open(self.t.bt_conf) as f:
            line = f.read().splitlines().index("BT_TRACKER_PORT=sixtynine") + 1
        self.assert_one_line_error(self.run_btd(), SERVER.config,
                                   ":%d: BT_TRACKER_PORT: 'sixtynine'" % line, "not a port number")

    def test_missing_config_file(self):
        os.unlink(self.t.bt_conf)
        self.assert_one_line_error(self.run_btd(), SERVER.config, self.t.bt_conf,
                                   "No such file or directory")

    def test_missing_required_key(self):
        with open(self.t.bt_conf) as f:
            text = f.read()
        with open(self.t.bt_conf, "w") as f:
            f.write("\n".join(l for l in text.splitlines() if not l.startswith("BT_TRACKER_LOG")))
        self.assert_one_line_error(self.run_btd(), SERVER.config, "BT_TRACKER_LOG not specified!")

    def test_unknown_interface(self):
        self.t.write_bt_conf(extra="BT_INTERFACE=nosuch0\n")
        self.assert_one_line_error(self.run_btd(), SERVER.address, "BT_INTERFACE",
                                   "interface nosuch0 not found")

    def test_interface_without_ipv4_address(self):
        ns = "si-noaddr-%d" % os.getpid()
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            subprocess.run(["ip", "-n", ns, "link", "add", "veth-si0", "type", "veth", "peer", "name",
                            "veth-si1"], check=True)
            self.t.write_bt_conf(extra="BT_INTERFACE=veth-si0\n")
            r = subprocess.run(["ip", "netns", "exec", ns] + self.t.btd_args() + ["--foreground"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20)
            self.assert_one_line_error(r, SERVER.address, "interface veth-si0 has no IPv4 address")
        finally:
            subprocess.run(["ip", "netns", "del", ns])

    def test_tracker_port_in_use(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", self.t.tracker_port))
            s.listen()
            r = self.run_btd()
        self.assertEqual(r.returncode, SERVER.bind, r.stdout)
        self.assertIn("tracker: bind 127.0.0.1:%d: Address already in use" % self.t.tracker_port, r.stdout)
        self.assertFalse(os.path.exists(self.t.pidfile))

    def test_seeder_port_in_use(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", self.t.seeder_port))
            s.listen()
            r = self.run_btd()
        self.assertEqual(r.returncode, SERVER.bind, r.stdout)
        self.assertIn("seeder: listen 127.0.0.1:%d" % self.t.seeder_port, r.stdout)

    def test_background_start_reports_errors_and_success(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", self.t.tracker_port))
            s.listen()
            r = subprocess.run(self.t.btd_args(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=20)
        self.assertEqual(r.returncode, SERVER.bind, r.stdout)
        self.assertIn("Address already in use", r.stdout)
        r = subprocess.run(self.t.btd_args(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stdout)
        with open(self.t.pidfile) as f:
            pid = int(f.read())
        os.kill(pid, 0)
        # The tracker answers as soon as the parent has returned.
        status, _ = sitest.http_get(self.t.url("/torrents/"))
        self.assertEqual(status, 200)
        again = subprocess.run(self.t.btd_args(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=20)
        self.assertEqual(again.returncode, SERVER.already_running, again.stdout)
        self.assertIn("already running (pid %d" % pid, again.stdout)
        os.kill(pid, 15)
        sitest.wait_for(lambda: not os.path.exists(self.t.pidfile), 20, "the pidfile to go")

    def test_spaces_unknown_keys_and_missing_images_are_warnings(self):
        sitest.make_image_tree(self.t.image_dir("second"), special=False)
        os.makedirs(self.t.image_dir("empty"))
        self.t.write_bt_conf(images=("demo", " second", "empty", "missing"),
                             extra="BT_IMAGE=typo\n")
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent", "image-second.tar.torrent"])
        p.terminate()
        out = p.communicate(timeout=30)[0].decode()
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("unknown key BT_IMAGE (ignored)", out)
        self.assertIn("BT_IMAGES: spaces in the list", out)
        log = self.t.log_text()
        for name in ("empty", "missing"):
            self.assertRegex(log, r"warning: image %s: .*skipped" % name)
        self.assertFalse(os.path.exists(os.path.join(self.t.dir, "tarballs", "image-missing.tar")))


if __name__ == "__main__":
    sitest.main()
