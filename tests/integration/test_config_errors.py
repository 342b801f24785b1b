#!/usr/bin/env python3
"""si_btd refuses bad configurations with one clear line and a documented exit code, and
accepts what the HOWTO used to warn about (spaces in lists) with a warning."""
import os
import socket
import subprocess
import sys
import unittest

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


class ConfigCheck(unittest.TestCase):
    """si_btd --check reads both files as a start would, binds and writes nothing, and exits
    with the code the start would have."""

    def setUp(self):
        self.t = sitest.ServerTree()
        sitest.make_image_tree(self.t.image_dir("demo"), special=False)

    def tearDown(self):
        self.t.cleanup()

    def check(self):
        return subprocess.run(self.t.btd_args() + ["--check"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=20, text=True)

    def test_a_good_configuration_is_ok_and_nothing_is_made(self):
        os.rmdir(os.path.join(self.t.dir, "log"))  # holds BT_TRACKER_LOG and the state
        # The ports are not bound: one in use does not matter.
        with socket.socket() as s:
            s.bind(("127.0.0.1", self.t.tracker_port))
            s.listen()
            r = self.check()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)
        self.assertEqual(r.stderr, "")
        self.assertFalse(os.path.exists(os.path.join(self.t.dir, "log")), "the check made a file")
        self.assertFalse(os.path.exists(self.t.pidfile))
        self.assertEqual(os.listdir(os.path.join(self.t.dir, "tarballs")), [], "the check packed")

    def test_a_bad_value_is_the_starts_own_line_and_code(self):
        self.t.write_bt_conf(compress="maybe")
        r = self.check()
        self.assertEqual(r.returncode, SERVER.config, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.splitlines(),
                         ["si_btd: %s:6: BT_COMPRESS: 'maybe' is not one of y, n, zstd"
                          % self.t.bt_conf])
        start = subprocess.run(self.t.btd_args() + ["--foreground"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=20, text=True)
        self.assertEqual(start.returncode, r.returncode)
        self.assertEqual(start.stdout, r.stderr, "the check and the start disagree")

    def test_every_later_problem_gets_its_line(self):
        self.t.write_bt_conf(extra="BT_SEEDER_PORT=%d\nBT_TRACKER_LOG=%s\nBT_IMAGES=demo,gone\n"
                             % (self.t.tracker_port, os.path.join(self.t.dir, "images")))
        r = self.check()
        self.assertEqual(r.returncode, SERVER.config, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 3, r.stderr)
        self.assertIn("warning: image gone: ", lines[0])
        self.assertIn("BT_SEEDER_PORT: port %d is also BT_TRACKER_PORT" % self.t.tracker_port,
                      lines[1])
        self.assertIn("BT_TRACKER_LOG: %s is not a regular file"
                      % os.path.join(self.t.dir, "images"), lines[2])

    def test_both_files_are_checked(self):
        self.t.write_bt_conf(update="perhaps")
        os.unlink(self.t.si_conf)
        os.makedirs(self.t.si_conf)  # a directory cannot be read
        r = self.check()
        self.assertEqual(r.returncode, SERVER.config, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 2, r.stderr)
        self.assertIn("BT_UPDATE: 'perhaps'", lines[0])
        self.assertIn(self.t.si_conf, lines[1])

    def test_an_unknown_interface_is_the_address_code(self):
        self.t.write_bt_conf(extra="BT_INTERFACE=nosuch0\n")
        r = self.check()
        self.assertEqual(r.returncode, SERVER.address, r.stderr)
        self.assertIn("interface nosuch0 not found", r.stderr)

    def test_a_running_daemon_does_not_fail_the_check(self):
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        r = self.check()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)
        self.assertIsNone(p.poll(), "the check stopped the daemon")


class SystemdReadiness(unittest.TestCase):
    """Type=notify: READY=1 reaches $NOTIFY_SOCKET once si_btd serves, never for a bad start."""

    def setUp(self):
        self.t = sitest.ServerTree()
        sitest.make_image_tree(self.t.image_dir("demo"), special=False)
        self.sock_path = os.path.join(self.t.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(60)

    def tearDown(self):
        self.sock.close()
        self.t.cleanup()

    def test_ready_once_serving(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
        p = subprocess.Popen(self.t.btd_args() + ["--foreground"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
        try:
            message = self.sock.recv(256).decode()
            self.assertIn("READY=1", message.splitlines())
            self.assertIn("MAINPID=%d" % p.pid, message.splitlines())
            # Ready means serving: the tracker answers and the pidfile is there.
            status, _ = sitest.http_get(self.t.url("/torrents/"))
            self.assertEqual(status, 200)
            self.assertTrue(os.path.exists(self.t.pidfile))
        finally:
            p.terminate()
            p.wait(timeout=30)

    def test_no_ready_for_a_bad_configuration(self):
        self.t.write_bt_conf(compress="maybe")
        env = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
        r = subprocess.run(self.t.btd_args() + ["--foreground"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, timeout=20, text=True)
        self.assertEqual(r.returncode, SERVER.config, r.stdout)
        self.sock.setblocking(False)
        with self.assertRaises(BlockingIOError):
            self.sock.recv(256)


if __name__ == "__main__":
    sitest.main()
