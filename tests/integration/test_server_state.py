#!/usr/bin/env python3
"""si_btd's tracker state under an operator's bad day: a second daemon started by mistake
with the same directories never touches the running daemon's state, whatever fails in its
start; a state path that is a FIFO, a directory or a huge file neither blocks the start nor
is reported as saved."""
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import sitest  # noqa: E402

EXIT_ALREADY_RUNNING = 7


class ServerState(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree()
        self.addCleanup(self.t.cleanup)
        sitest.make_image_tree(self.t.image_dir("demo"), special=False)

    def announce(self, port, peer="-XX0001-aaaaaaaaaaaa"):
        with open(os.path.join(self.t.dir, "torrents", "image-demo.tar.torrent"), "rb") as f:
            info_hash = sitest.torrent_info_hash(f.read())
        q = "".join("%%%s" % info_hash[i:i + 2] for i in range(0, 40, 2))
        status, _ = sitest.http_get(self.t.url("/announce?info_hash=%s&peer_id=%s&port=%d"
                                               "&uploaded=0&downloaded=0&left=5" % (q, peer, port)))
        self.assertEqual(status, 200)

    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        return p.communicate(timeout=30)[0].decode(errors="replace")

    def test_a_second_daemon_leaves_the_first_ones_state_alone(self):
        first = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        self.announce(7001)
        self.stop(first)  # the state now holds one peer
        first = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        self.announce(7002, "-XX0001-bbbbbbbbbbbb")
        with open(self.t.state, "rb") as f:
            before = f.read()
        mtime = os.stat(self.t.state).st_mtime_ns
        # The same directories and seeder port, another tracker port and pidfile.
        second_conf = os.path.join(self.t.dir, "etc", "second.conf")
        with open(self.t.bt_conf) as f:
            text = f.read().replace("BT_TRACKER_PORT=%d" % self.t.tracker_port,
                                    "BT_TRACKER_PORT=%d" % sitest.free_port())
        with open(second_conf, "w") as f:
            f.write(text)
        r = subprocess.run([sitest.SI_BTD, "--config", second_conf, "--systemimager-conf",
                            self.t.si_conf, "--pidfile", os.path.join(self.t.dir, "second.pid"),
                            "--foreground"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        out = r.stdout.decode(errors="replace")
        self.assertEqual(r.returncode, EXIT_ALREADY_RUNNING, out)
        self.assertIn("belongs to another running si_btd", out)
        with open(self.t.state, "rb") as f:
            self.assertEqual(f.read(), before, "the running daemon's state was rewritten")
        self.assertEqual(os.stat(self.t.state).st_mtime_ns, mtime)
        self.assertIn("image-demo.tar.torrent", self.t.served())
        # The first daemon still owns its state: it saves both peers when it stops.
        self.stop(first)
        with open(self.t.state, "rb") as f:
            saved = f.read()
        self.assertIn(b"-XX0001-bbbbbbbbbbbb", saved)

    def test_a_fifo_as_state_does_not_block_the_start(self):
        os.mkfifo(self.t.state)
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"], timeout=30)
        out = self.stop(p)
        log = self.t.log_text()
        self.assertIn("is not a regular file; starting with no peers", log)
        self.assertIn("peers not saved", log)
        self.assertNotIn("peers saved", log, out)

    def test_a_directory_as_state_is_never_reported_saved(self):
        os.makedirs(self.t.state)
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        self.stop(p)
        log = self.t.log_text()
        self.assertIn("is not a regular file", log)
        self.assertNotIn("peers saved", log)
        self.assertTrue(os.path.isdir(self.t.state))

    def test_a_huge_state_is_not_restored(self):
        with open(self.t.state, "wb") as f:
            f.write(b"d5:peers" + b"x" * (5 << 20))
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        self.stop(p)
        self.assertIn("-byte limit; starting with no peers", self.t.log_text())


if __name__ == "__main__":
    sitest.main()
