#!/usr/bin/env python3
"""Faults and bad input of the kinds a cluster meets (issue 29), against the real programs on
loopback: monitor reports whose bytes are not UTF-8 (si_btd stays up and shows them with
U+FFFD), si_btd's last words in its log when it dies, the order in which the agent makes an
install durable (seen with strace), and a .torrent too large to be one."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

import sitest  # noqa: E402

from exit_codes import AGENT  # noqa: E402

FFFD = "\ufffd"


def send_report(address, port, line):
    """One monitor report, as si_monitor's clients send it: one line per connection."""
    with socket.create_connection((address, port), timeout=5) as s:
        s.sendall(line + b"\n")


class MonitorReportsThatAreNotUtf8(unittest.TestCase):
    """One report with a Latin-1 byte used to kill si_btd about 5 s later (a JSON type error
    when the node table was saved). Every text field gets raw bytes here; si_btd must stay up,
    save its node table, show the text with U+FFFD, and log one line for them all."""

    def setUp(self):
        self.t = sitest.ServerTree(images=())
        self.addCleanup(self.t.cleanup)

    def test_raw_bytes_in_every_field(self):
        p = self.t.start()
        sitest.wait_for(lambda: p.poll() is not None or self.t.status() is not None, 30,
                        "si_btd's status page")
        self.assertIsNone(p.poll())
        bad = b"caf\xe9 donn\xe9es \xff\xfe\xc3"
        fields = [b"ip", b"host", b"cpu", b"kernel", b"os", b"log", b"phase", b"error"]
        # One node per field, then one with all of them, and one with bytes in a key too.
        for n, field in enumerate(fields):
            send_report(self.t.address, self.t.monitor_port,
                        b"mac=52.54.00.00.01.%02x:status=-11:%s=%s" % (n, field, bad))
        send_report(self.t.address, self.t.monitor_port,
                    b"mac=52.54.00.00.01.ff:status=40:" +
                    b":".join(f + b"=" + bad for f in fields) + b":h\xe9st=\xe9")
        nodes_file = self.t.state + ".nodes"

        def saved():
            self.assertIsNone(p.poll(), "si_btd exited")
            with open(nodes_file, "rb") as f:
                return b"mac=52.54.00.00.01.ff" in f.read()  # as the protocol writes it

        def saved_or_missing():
            try:
                return saved()
            except FileNotFoundError:
                return False

        # The node table is written within 5 s of a report (coalesced): that write died.
        sitest.wait_for(saved_or_missing, 60, "the node table saved")
        with open(nodes_file, "rb") as f:
            raw = f.read()
        raw.decode("utf-8")  # valid UTF-8 throughout, or this raises
        self.assertIsNone(p.poll())
        shown = FFFD.join(["caf", " donn", "es ", "", "", ""])
        host = self.t.node("52:54:00:00:01:01")["host"]
        self.assertEqual(host, shown)
        everything = self.t.node("52:54:00:00:01:ff")
        for key in ("host", "cpu", "kernel", "error"):
            self.assertEqual(everything[key], shown, key)
        self.assertEqual(everything["image"], shown)
        status, metrics = sitest.http_get(self.t.url("/metrics"))
        self.assertEqual(status, 200)
        metrics.decode("utf-8")
        # One line in the log for them all (repeated lines are collapsed with a count).
        lines = [line for line in self.t.log_text().splitlines() if "not UTF-8" in line]
        self.assertEqual(len(lines), 1, "\n".join(lines))
        self.assertIn("(shown with U+FFFD in their place)", lines[0])
        p.send_signal(signal.SIGTERM)
        p.wait(60)
        self.assertEqual(p.returncode, 0)
        self.assertIn("si_btd: exiting with code 0", self.t.log_text())


class SiBtdSaysWhyItExits(unittest.TestCase):
    """As a daemon, si_btd's stderr is /dev/null: why it ends must reach its log file."""

    def setUp(self):
        self.t = sitest.ServerTree(images=())
        self.addCleanup(self.t.cleanup)

    def test_a_fatal_signal_is_logged_by_the_daemon(self):
        starter = self.t.start(foreground=False)
        self.assertEqual(starter.wait(60), 0)
        with open(self.t.pidfile) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGSEGV)

        def gone():
            try:
                os.kill(pid, 0)
                return False
            except ProcessLookupError:
                return True

        sitest.wait_for(gone, 30, "si_btd to end")
        self.assertIn("si_btd: exiting: fatal signal SEGV", self.t.log_text())

    def test_sigterm_is_logged_by_the_daemon(self):
        starter = self.t.start(foreground=False)
        self.assertEqual(starter.wait(60), 0)
        with open(self.t.pidfile) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGTERM)
        sitest.wait_for(lambda: "si_btd: exiting with code 0" in self.t.log_text(), 60,
                        "si_btd's last line")
        self.assertIn("SIGTERM: stopping", self.t.log_text())


class InstallDurability(unittest.TestCase):
    """The root's incomplete mark goes only once the install is durable: syncfs of the root's
    filesystem, then the unlink of the mark, then fsync of the root directory; only then is
    "imaged" reported. Observed with strace on a real install, not read from the code."""

    def setUp(self):
        if shutil.which("strace") is None:
            self.skipTest("needs strace")
        self.t = sitest.ServerTree(images=("golden",))
        self.addCleanup(self.t.cleanup)
        sitest.make_image_tree(self.t.image_dir("golden"), special=False, megabytes=2)
        self.monitor = sitest.MonitorListener()
        self.addCleanup(self.monitor.close)

    def test_data_then_mark_then_directory_then_imaged(self):
        self.t.start()
        self.t.wait_served(["image-golden.tar.torrent"])
        trace = os.path.join(self.t.dir, "agent.strace")
        node = os.path.join(self.t.dir, "node")
        root = os.path.join(node, "a")
        os.makedirs(root)
        cmdline = os.path.join(node, "cmdline")
        with open(cmdline, "w") as f:
            f.write("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden BITTORRENT_TRACKER_PORT=%d "
                    "BITTORRENT_POLLING_TIME=1 MONITOR_SERVER=127.0.0.1 MONITOR_PORT=%d\n"
                    % (self.t.tracker_port, self.monitor.port))
        p = subprocess.run(
            ["strace", "-f", "-y", "-qq", "-o", trace, "-e",
             "trace=syncfs,sync,fsync,fdatasync,unlink,unlinkat,connect",
             sitest.SI_BTAGENT, "--cmdline", cmdline, "--root", root, "--bind", "127.0.0.2",
             "--staging", os.path.join(node, "staging")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        out = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertFalse(os.path.exists(os.path.join(root, ".systemimager-incomplete")))
        with open(trace) as f:
            lines = [line.rstrip("\n") for line in f]
        real_root = os.path.realpath(root)

        def first(pattern, after=-1):
            for i, line in enumerate(lines):
                if i > after and re.search(pattern, line):
                    return i
            self.fail("no %r after line %d in the trace:\n%s" % (pattern, after, "\n".join(lines[-40:])))

        unlink = first(r"unlink(at)?\(.*\.systemimager-incomplete\"")
        synced = [i for i, line in enumerate(lines[:unlink])
                  if re.search(r"syncfs\(\d+<%s>\)\s+= 0" % re.escape(real_root), line)]
        self.assertTrue(synced, "no syncfs of the root before the mark's unlink:\n" +
                        "\n".join(lines[max(0, unlink - 20):unlink + 1]))
        fsync_dir = first(r"fsync\(\d+<%s>\)\s+= 0" % re.escape(real_root), unlink)
        # The reports go out one connection each, in order: the first with status 100 is
        # the one whose connect() comes after the directory's fsync.
        connects = [i for i, line in enumerate(lines)
                    if re.search(r"connect\(.*sin_port=htons\(%d\)" % self.monitor.port, line)]
        sitest.wait_for(lambda: 100 in self.monitor.statuses("ip", "127.0.0.2"), 10,
                        "the imaged report at the monitor")
        statuses = self.monitor.statuses("ip", "127.0.0.2")
        imaged = statuses.index(100)
        self.assertGreaterEqual(len(connects), imaged + 1, statuses)
        self.assertGreater(connects[imaged], fsync_dir,
                           "the imaged report went out before the root's fsync")
        self.assertLess(max(connects[:imaged] or [0]), unlink,
                        "a report before imaged came after the mark went")
        print("durability order: syncfs at trace line %d, unlink %d, fsync %d, imaged report %d"
              % (synced[-1], unlink, fsync_dir, connects[imaged]))


class OversizedTorrent(unittest.TestCase):
    """A 50 MB answer for a .torrent is not one of ours: exit 7 at once, not exit 5 after
    fetching it again and again."""

    def test_refused_at_once_with_bad_torrent(self):
        import http.server
        big = b"d8:announce" + b"x" * (50 * 1024 * 1024)
        served = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                served.append(self.path)
                body = (b"image-golden.tar.torrent\n" if self.path == "/torrents/" else big)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the agent hung up, as it should

            def log_message(self, *args):
                pass

        port = sitest.free_port()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        tmp = os.path.join("/tmp", "si-test-big-%d" % os.getpid())
        self.addCleanup(shutil.rmtree, tmp, True)
        try:
            start = time.monotonic()
            p, _ = sitest.start_agent(tmp, "127.0.0.2",
                                      "BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden "
                                      "BITTORRENT_TRACKER_PORT=%d BITTORRENT_SERVER_TIMEOUT=120"
                                      % port)
            out = p.communicate(timeout=150)[0].decode(errors="replace")
            took = time.monotonic() - start
        finally:
            server.shutdown()
            server.server_close()
        print("oversized .torrent: exit %d after %.1f s, %d request(s)"
              % (p.returncode, took, len(served)))
        self.assertEqual(p.returncode, AGENT.bad_torrent, out)
        self.assertIn("body over", out)
        # Asked once: no retry brings a smaller answer.
        self.assertEqual(served.count("/torrents/image-golden.tar.torrent"), 1, served)


if __name__ == "__main__":
    sitest.main()
