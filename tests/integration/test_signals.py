#!/usr/bin/env python3
"""SIGHUP adds and drops images without a restart; a bad config on SIGHUP keeps the running
one; SIGTERM stops cleanly (exit 0, stopped announces, state saved, pidfile removed) and the
tracker state survives a restart."""
import os
import signal
import sys
import time
import unittest
import urllib.parse

import sitest  # noqa: E402


def announce(t, info_hash_hex, peer_id, port, event="started", left=100):
    q = urllib.parse.urlencode({
        "info_hash": bytes.fromhex(info_hash_hex), "peer_id": peer_id, "port": port,
        "uploaded": 0, "downloaded": 0, "left": left, "compact": 1, "event": event})
    status, body = sitest.http_get(t.url("/announce?" + q))
    return sitest.bdecode(body)


def scrape_counts(t, info_hash_hex):
    q = urllib.parse.urlencode({"info_hash": bytes.fromhex(info_hash_hex)})
    files = sitest.bdecode(sitest.http_get(t.url("/scrape?" + q))[1]).get(b"files", {})
    entry = files.get(bytes.fromhex(info_hash_hex))
    return None if entry is None else (entry[b"complete"], entry[b"incomplete"])


class Signals(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree(images=("a",))
        for name in ("a", "b"):
            sitest.make_image_tree(self.t.image_dir(name), special=False)

    def tearDown(self):
        self.t.cleanup()

    def hash_of(self, torrent):
        with open(os.path.join(self.t.dir, "torrents", torrent), "rb") as f:
            return sitest.torrent_info_hash(f.read())

    def test_sighup_adds_and_drops_images(self):
        p = self.t.start()
        self.t.wait_served(["image-a.tar.torrent"])
        hash_a = self.hash_of("image-a.tar.torrent")
        self.t.write_bt_conf(images=("a", "b"))
        p.send_signal(signal.SIGHUP)
        self.t.wait_served(["image-a.tar.torrent", "image-b.tar.torrent"])
        self.t.write_bt_conf(images=("b",))
        p.send_signal(signal.SIGHUP)
        sitest.wait_for(lambda: self.t.served() == ["image-b.tar.torrent"], 30, "image a dropped")
        reply = announce(self.t, hash_a, b"-XX0001-aaaaaaaaaaaa", 7000)
        self.assertIn(b"failure reason", reply)
        # A config that no longer parses is refused; the daemon keeps serving what it had.
        self.t.write_bt_conf(images=("b",), compress="bogus")
        p.send_signal(signal.SIGHUP)
        sitest.wait_for(lambda: "keeping the running configuration" in self.t.log_text(), 20,
                        "the reload error")
        self.assertIsNone(p.poll())
        self.assertEqual(self.t.served(), ["image-b.tar.torrent"])
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0)

    def test_sigterm_saves_state_which_survives_restart(self):
        p = self.t.start()
        self.t.wait_served(["image-a.tar.torrent"])
        ih = self.hash_of("image-a.tar.torrent")
        # The seeder announces itself to our own tracker.
        sitest.wait_for(lambda: scrape_counts(self.t, ih) == (1, 0), 30, "the seeder's announce")
        reply = announce(self.t, ih, b"-XX0001-bbbbbbbbbbbb", 7001)
        self.assertNotIn(b"failure reason", reply)
        self.assertEqual(scrape_counts(self.t, ih), (1, 1))
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=30)[0].decode()
        self.assertEqual(p.returncode, 0, out)
        self.assertFalse(os.path.exists(self.t.pidfile), "pidfile left behind")
        self.assertTrue(os.path.exists(self.t.state), "tracker state not saved")
        log = self.t.log_text()
        self.assertIn("SIGTERM: stopping", log)
        self.assertRegex(log, r"127\.0\.0\.1:%d stopped" % self.t.seeder_port)
        # Restarted, the tracker still knows the client that never said stopped; the seeder
        # that did is gone until it announces again.
        self.t.write_bt_conf(images=("a",), update="n")
        p = self.t.start()
        self.t.wait_served(["image-a.tar.torrent"])
        counts = scrape_counts(self.t, ih)
        self.assertIsNotNone(counts)
        self.assertEqual(counts[1], 1, "the leecher was not restored from the state file")
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(30), 0)


    def test_sigterm_during_packing_stops_at_once_and_leaves_nothing_half_written(self):
        big = self.t.image_dir("big")
        os.makedirs(big)
        for i in range(24):  # 384 MiB that do not compress: several seconds of packing
            with open(os.path.join(big, "blob%02d" % i), "wb") as f:
                f.write(os.urandom(16 << 20))
        self.t.write_bt_conf(images=("big",), compress="y")
        p = self.t.start()
        sitest.wait_for(lambda: any(".tmp" in n for n in os.listdir(os.path.join(self.t.dir, "tarballs"))),
                        30, "packing to start")
        start = time.monotonic()
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=30)[0].decode()
        self.assertEqual(p.returncode, 0, out)
        self.assertLess(time.monotonic() - start, 10, "si_btd did not stop while packing")
        self.assertIn("cancelled", self.t.log_text())
        self.assertEqual(os.listdir(os.path.join(self.t.dir, "tarballs")), [])
        self.assertEqual(os.listdir(os.path.join(self.t.dir, "torrents")), [])

if __name__ == "__main__":
    sitest.main()
