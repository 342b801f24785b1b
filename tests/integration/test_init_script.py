#!/usr/bin/env python3
"""The LSB init script init.d/systemimager-server-bittorrent, run from the source tree
against the real si_btd on loopback, in a temporary tree (no file outside it is touched).

Environment: SI_BUILD_DIR (si_btd at $SI_BUILD_DIR/src/server/si_btd), SI_SOURCE_DIR.
"""
import os
import sys
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import sitest  # noqa: E402

SOURCE_DIR = os.environ.get(
    "SI_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("SI_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
SCRIPT = os.path.join(SOURCE_DIR, "init.d", "systemimager-server-bittorrent")
SI_BTD = os.path.join(BUILD_DIR, "src", "server", "si_btd")

START_TIMEOUT = 120  # s: the script returns once the tracker is bound; packing is tiny here
STOP_TIMEOUT = 60    # s: the script waits up to TERM/30 then KILL/5
POLL_DEADLINE = 60   # s: for the tracker to list a torrent


def alive(pid):
    """True when pid exists and is not a zombie (nobody may reap a daemon here)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:][:1] not in ("Z", "X")


def wait_until(predicate, deadline_s, step=0.1):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class InitScriptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(SI_BTD, os.X_OK):
            raise AssertionError(f"{SI_BTD} is not built (set SI_BUILD_DIR)")
        if not os.access(SCRIPT, os.X_OK):
            raise AssertionError(f"{SCRIPT} is missing or not executable")

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="si_init_")
        self.tmp = self._tmp.name
        self.started_pids = set()
        t = self.tmp
        self.image_dir = os.path.join(t, "images")
        self.override_dir = os.path.join(t, "overrides")
        self.tarball_dir = os.path.join(t, "tarballs")
        self.torrent_dir = os.path.join(t, "torrents")
        for d in (self.override_dir, self.tarball_dir, self.torrent_dir):
            os.makedirs(d)
        for name in ("demo", "demo2"):
            self.make_image(name)
        self.tracker_port, self.seeder_port, self.monitor_port = sitest.free_ports("127.0.0.1", 3)
        self.state = os.path.join(t, "dstate")
        self.log = os.path.join(t, "log", "bittorrent-tracker.log")
        self.conf = os.path.join(t, "bittorrent.conf")
        self.write_conf()
        self.si_conf = os.path.join(t, "systemimager.conf")
        with open(self.si_conf, "w", encoding="utf-8") as f:
            f.write(f"DEFAULT_IMAGE_DIR = {self.image_dir}\n"
                    f"DEFAULT_OVERRIDE_DIR = {self.override_dir}\n"
                    f"AUTOINSTALL_TARBALL_DIR = {self.tarball_dir}\n"
                    f"AUTOINSTALL_TORRENT_DIR = {self.torrent_dir}\n")
        self.pidfile = os.path.join(t, "run", "si_btd.pid")
        os.makedirs(os.path.dirname(self.pidfile))
        self.defaults = os.path.join(t, "default-systemimager-server-bittorrent")
        with open(self.defaults, "w", encoding="utf-8") as f:
            f.write(f"SI_BTD={SI_BTD}\n"
                    f"SI_BTD_CONFIG={self.conf}\n"
                    f"SI_BTD_SYSTEMIMAGER_CONF={self.si_conf}\n"
                    f"SI_BTD_PIDFILE={self.pidfile}\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SI_BTD")}
        # SYSTEMCTL_SKIP_REDIRECT: never hand the script over to systemctl (init-functions).
        self.env.update(SI_BTD_DEFAULTS=self.defaults, TMPDIR=t, SYSTEMCTL_SKIP_REDIRECT="1")

    def tearDown(self):
        pids = set(self.started_pids) | set(self.daemons())
        pid = self.read_pid()
        if pid:
            pids.add(pid)
        for pid in pids:
            if alive(pid) and self.is_ours(pid):
                os.kill(pid, signal.SIGTERM)
        for pid in pids:
            if not wait_until(lambda p=pid: not alive(p), 10) and self.is_ours(pid):
                os.kill(pid, signal.SIGKILL)
        self._tmp.cleanup()

    # --- helpers -------------------------------------------------------------------------

    def make_image(self, name):
        root = os.path.join(self.image_dir, name)
        os.makedirs(os.path.join(root, "etc"))
        with open(os.path.join(root, "etc", "hostname"), "w", encoding="ascii") as f:
            f.write(name + "\n")
        with open(os.path.join(root, "data.bin"), "wb") as f:
            f.write(bytes(range(256)) * 1024)

    def write_conf(self, images="demo", compress="n"):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("# test configuration\n"
                    f"BT_TRACKER_PORT={self.tracker_port}\n"
                    f"BT_TRACKER_STATE={self.state}\n"
                    f"BT_TRACKER_LOG={self.log}\n"
                    "BT_INTERFACE=127.0.0.1\n"
                    f"BT_SEEDER_PORT={self.seeder_port}\n"
                    f"BT_MONITOR_PORT={self.monitor_port}\n"
                    f"BT_COMPRESS={compress}\n"
                    "BT_UPDATE=n\n"
                    f"BT_IMAGES={images}\n"
                    "BT_OVERRIDES=\n")

    def run_script(self, action, script=SCRIPT, timeout=START_TIMEOUT, env=None):
        args = [script] if action is None else [script, action]
        proc = subprocess.run(args, env=env or self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)
        pid = self.read_pid()
        if pid:
            self.started_pids.add(pid)
        return proc

    def read_pid(self):
        try:
            with open(self.pidfile, encoding="ascii") as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def is_ours(self, pid):
        """pid runs si_btd with this test's bittorrent.conf."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return self.conf.encode() in f.read().split(b"\0")
        except OSError:
            return False

    def daemons(self):
        """Live si_btd processes started with this test's configuration."""
        return [int(d) for d in os.listdir("/proc")
                if d.isdigit() and self.is_ours(int(d)) and alive(int(d))]

    def get(self, path):
        url = f"http://127.0.0.1:{self.tracker_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return reply.status, reply.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, ""
        except (urllib.error.URLError, OSError):
            return None, ""

    def wait_listed(self, torrent):
        """Polls GET /torrents/ until `torrent` is listed; returns the last listing."""
        last = [None, ""]

        def listed():
            last[:] = self.get("/torrents/")
            return last[0] == 200 and torrent in last[1]
        ok = wait_until(listed, POLL_DEADLINE, step=0.2)
        self.assertTrue(ok, f"/torrents/ never listed {torrent}: {last}")
        return last[1]

    def assert_rc(self, proc, rc, what):
        self.assertEqual(proc.returncode, rc,
                         f"{what}: exit {proc.returncode}\nstdout: {proc.stdout}\n"
                         f"stderr: {proc.stderr}")

    # --- tests ---------------------------------------------------------------------------

    def test_lifecycle(self):
        proc = self.run_script("status")
        self.assert_rc(proc, 3, "status before start")
        self.assertIn("not running", proc.stdout + proc.stderr)

        proc = self.run_script("start")
        self.assert_rc(proc, 0, "start")
        self.assertIn("Starting SystemImager's BitTorrent daemon: si_btd", proc.stdout)
        pid = self.read_pid()
        self.assertIsNotNone(pid, "no pidfile after start")
        self.assertTrue(alive(pid), f"pid {pid} from the pidfile is not alive")
        self.assertEqual(self.daemons(), [pid])
        # The script returns once the tracker is bound: it must answer at once.
        status, _ = self.get("/torrents/")
        self.assertEqual(status, 200, "tracker not answering GET /torrents/ after start")
        self.wait_listed("image-demo.tar.torrent")

        proc = self.run_script("start")
        self.assert_rc(proc, 0, "start while running")
        self.assertIn("already running", proc.stdout + proc.stderr)
        self.assertEqual(self.daemons(), [pid], "a second start made a second daemon")

        proc = self.run_script("status")
        self.assert_rc(proc, 0, "status while running")
        self.assertIn("is running", proc.stdout)
        self.assertIn(str(pid), proc.stdout)

        # reload: SIGHUP re-reads bittorrent.conf; a new image is packed and served.
        self.write_conf(images="demo,demo2")
        proc = self.run_script("reload")
        self.assert_rc(proc, 0, "reload")
        self.wait_listed("image-demo2.tar.torrent")
        self.assertTrue(alive(pid), "si_btd died on reload")
        self.assertEqual(self.read_pid(), pid, "pid changed on reload")
        self.assertEqual(self.daemons(), [pid])

        proc = self.run_script("stop", timeout=STOP_TIMEOUT)
        self.assert_rc(proc, 0, "stop")
        self.assertIn("Stopping SystemImager's BitTorrent daemon: si_btd", proc.stdout)
        self.assertFalse(alive(pid), "si_btd still alive after stop")
        self.assertEqual(self.daemons(), [])
        self.assertFalse(os.path.exists(self.pidfile), "pidfile left after stop")
        self.assertTrue(os.path.exists(self.state), "BT_TRACKER_STATE not saved on stop")
        self.assertIsNone(self.get("/torrents/")[0], "tracker still answering after stop")

        proc = self.run_script("status")
        self.assert_rc(proc, 3, "status after stop")
        proc = self.run_script("stop", timeout=STOP_TIMEOUT)
        self.assert_rc(proc, 0, "stop when not running")
        proc = self.run_script("reload")
        self.assert_rc(proc, 7, "reload when not running")

    def test_restart_changes_pid(self):
        self.assert_rc(self.run_script("restart"), 0, "restart when stopped starts")
        first = self.read_pid()
        self.assertTrue(first and alive(first))
        proc = self.run_script("restart", timeout=START_TIMEOUT + STOP_TIMEOUT)
        self.assert_rc(proc, 0, "restart")
        second = self.read_pid()
        self.assertTrue(second and alive(second))
        self.assertNotEqual(first, second)
        self.assertFalse(alive(first))
        self.assertEqual(self.daemons(), [second])
        self.assert_rc(self.run_script("stop", timeout=STOP_TIMEOUT), 0, "stop")

    def test_alias_symlink(self):
        bindir = os.path.join(self.tmp, "init.d")
        os.makedirs(bindir)
        alias = os.path.join(bindir, "systemimager-bittorrent")
        os.symlink(SCRIPT, alias)
        proc = self.run_script("status", script=alias)
        self.assert_rc(proc, 3, "status via systemimager-bittorrent")
        proc = self.run_script("start", script=alias)
        self.assert_rc(proc, 0, "start via systemimager-bittorrent")
        pid = self.read_pid()
        self.assertTrue(pid and alive(pid))
        self.assertEqual(self.get("/torrents/")[0], 200)
        self.assert_rc(self.run_script("status", script=alias), 0, "status via alias")
        proc = self.run_script("stop", script=alias, timeout=STOP_TIMEOUT)
        self.assert_rc(proc, 0, "stop via systemimager-bittorrent")
        self.assertFalse(alive(pid))
        self.assertFalse(os.path.exists(self.pidfile))

    def test_bad_config_fails_with_the_line(self):
        self.write_conf(compress="maybe")
        with open(self.conf, encoding="utf-8") as f:
            line = next(i for i, text in enumerate(f, 1) if text.startswith("BT_COMPRESS="))
        proc = self.run_script("start")
        self.assertNotEqual(proc.returncode, 0, "start with BT_COMPRESS=maybe succeeded")
        self.assert_rc(proc, 6, "start with a bad configuration (LSB: not configured)")
        self.assertIn(f"{self.conf}:{line}: BT_COMPRESS", proc.stdout + proc.stderr)
        self.assertIn("failed", proc.stdout)
        self.assertEqual(self.daemons(), [])
        self.assertFalse(os.path.exists(self.pidfile))
        self.assert_rc(self.run_script("status"), 3, "status after a failed start")

    def test_bad_config_never_stops_or_signals_a_running_daemon(self):
        self.assert_rc(self.run_script("start"), 0, "start")
        pid = self.read_pid()
        self.wait_listed("image-demo.tar.torrent")
        self.write_conf(images="demo,demo2", compress="maybe")
        with open(self.conf, encoding="utf-8") as f:
            line = next(i for i, text in enumerate(f, 1) if text.startswith("BT_COMPRESS="))
        where = f"{self.conf}:{line}: BT_COMPRESS"

        for action in ("restart", "try-restart", "force-reload"):
            proc = self.run_script(action, timeout=START_TIMEOUT + STOP_TIMEOUT)
            self.assert_rc(proc, 6, f"{action} with a bad configuration")
            self.assertIn(where, proc.stderr)
            self.assertIn("not restarted", proc.stdout + proc.stderr)
            self.assertNotIn("Stopping", proc.stdout)
            self.assertTrue(alive(pid), f"{action} stopped the daemon over a bad file")
            self.assertEqual(self.read_pid(), pid)

        proc = self.run_script("reload")
        self.assert_rc(proc, 6, "reload with a bad configuration")
        self.assertIn(where, proc.stderr)
        self.assertIn("not reloaded", proc.stdout + proc.stderr)
        self.assertNotIn("Reloading", proc.stdout, "reload announced for a rejected file")
        self.assertTrue(alive(pid))
        # No SIGHUP went out: the daemon logged no reload and still serves the old list.
        with open(self.log, encoding="utf-8") as f:
            self.assertNotIn("SIGHUP", f.read())
        self.assertNotIn("image-demo2", self.get("/torrents/")[1])

        proc = self.run_script("check")
        self.assert_rc(proc, 6, "check with a bad configuration")
        self.assertIn(where, proc.stderr)

        self.write_conf(images="demo,demo2")
        proc = self.run_script("check")
        self.assert_rc(proc, 0, "check with a good configuration")
        self.assertIn("configuration OK", proc.stdout)
        self.assert_rc(self.run_script("reload"), 0, "reload once fixed")
        self.wait_listed("image-demo2.tar.torrent")
        self.assertEqual(self.read_pid(), pid)
        self.assert_rc(self.run_script("stop", timeout=STOP_TIMEOUT), 0, "stop")

    def test_dead_with_pidfile(self):
        child = subprocess.Popen(["true"])
        child.wait()
        with open(self.pidfile, "w", encoding="ascii") as f:
            f.write(f"{child.pid}\n")
        proc = self.run_script("status")
        self.assert_rc(proc, 1, "status with a stale pidfile")
        self.assertIn("not running", proc.stdout + proc.stderr)
        # start over a stale pidfile works; stop cleans up
        self.assert_rc(self.run_script("start"), 0, "start over a stale pidfile")
        pid = self.read_pid()
        self.assertNotEqual(pid, child.pid)
        self.assertTrue(alive(pid))
        self.assert_rc(self.run_script("stop", timeout=STOP_TIMEOUT), 0, "stop")
        self.assertFalse(os.path.exists(self.pidfile))

    def test_usage(self):
        for action in ("frobnicate", None):
            proc = self.run_script(action)
            self.assert_rc(proc, 2, f"action {action!r}")
            self.assertIn("Usage:", proc.stderr)
            self.assertIn("start|stop|restart|force-reload", proc.stderr)

    def test_without_lsb_init_functions(self):
        env = dict(self.env, SI_INIT_FUNCTIONS=os.path.join(self.tmp, "no-init-functions"))
        proc = self.run_script("status", env=env)
        self.assert_rc(proc, 3, "status with plain echo")
        self.assertIn("SystemImager's BitTorrent daemon (si_btd) is not running.", proc.stdout)
        proc = self.run_script("start", env=env)
        self.assert_rc(proc, 0, "start with plain echo")
        self.assertEqual(proc.stdout.strip(), "Starting SystemImager's BitTorrent daemon: si_btd.")
        proc = self.run_script("stop", env=env, timeout=STOP_TIMEOUT)
        self.assert_rc(proc, 0, "stop with plain echo")
        self.assertEqual(proc.stdout.strip(), "Stopping SystemImager's BitTorrent daemon: si_btd.")

    def test_missing_binary(self):
        with open(self.defaults, "a", encoding="utf-8") as f:
            f.write(f"SI_BTD={self.tmp}/no-such-si_btd\n")
        self.assert_rc(self.run_script("start"), 5, "start without si_btd (LSB 5)")
        self.assert_rc(self.run_script("stop"), 0, "stop without si_btd")


if __name__ == "__main__":
    sitest.main()
