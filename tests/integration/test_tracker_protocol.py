#!/usr/bin/env python3
"""The embedded tracker as a BitTorrent client sees it, against a real si_btd on loopback:
compact (BEP 23) and dict announces, a client never handed its own address, stopped removes,
scrape (BEP 48) counts, unknown info-hashes refused, /torrents/ serving exact bytes, 404/405,
garbage and a 100 KB header survived, SIGTERM saving the state and exiting 0, and repeated
refused or malformed announces logged as one line and a count.
Clients bind 127.0.0.2 / 127.0.0.3 so the tracker sees distinct peer addresses."""
import http.client
import os
import re
import signal
import socket
import struct
import sys
import unittest
import urllib.parse

import sitest  # noqa: E402

TORRENT = "image-demo.tar.torrent"


def request(tree, path, source="127.0.0.2", method="GET"):
    """(status, body) of one HTTP/1.1 request sent from the `source` address."""
    conn = http.client.HTTPConnection(tree.address, tree.tracker_port, timeout=5,
                                      source_address=(source, 0))
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def peer_id(tag):
    return ("-PT0001-" + tag).ljust(20, "x").encode()[:20]


def announce_path(info_hash, pid, port, event=None, left=100, compact=1, extra=None):
    q = {"info_hash": info_hash, "peer_id": pid, "port": port, "uploaded": 0,
         "downloaded": 0, "left": left, "compact": compact}
    if event:
        q["event"] = event
    q.update(extra or {})
    return "/announce?" + urllib.parse.urlencode(q)


def compact_peers(blob):
    """[(ip, port)] of a BEP 23 compact peer string."""
    assert len(blob) % 6 == 0, "compact peers must be 6 bytes each, got %d" % len(blob)
    return [(socket.inet_ntoa(blob[i:i + 4]), struct.unpack("!H", blob[i + 4:i + 6])[0])
            for i in range(0, len(blob), 6)]


def raw_exchange(tree, data, timeout=5):
    """Sends raw bytes, returns what comes back before the server closes ("" on a reset)."""
    out = b""
    with socket.create_connection((tree.address, tree.tracker_port), timeout=timeout,
                                  source_address=("127.0.0.3", 0)) as s:
        try:
            s.sendall(data)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
    return out


class DaemonMixin:
    @classmethod
    def start_daemon(cls):
        cls.t = sitest.ServerTree()
        sitest.make_image_tree(cls.t.image_dir("demo"), special=False)
        cls.proc = cls.t.start()
        try:
            sitest.wait_for(lambda: cls.proc.poll() is not None or TORRENT in cls.t.served(),
                            90, "si_btd to serve " + TORRENT)
            if cls.proc.poll() is not None:
                raise AssertionError("si_btd exited with %s:\n%s"
                                     % (cls.proc.returncode, cls.proc.stdout.read().decode()))
            cls.torrent_path = os.path.join(cls.t.dir, "torrents", TORRENT)
            with open(cls.torrent_path, "rb") as f:
                cls.torrent_bytes = f.read()
            cls.hash_hex = sitest.torrent_info_hash(cls.torrent_bytes)
            cls.info_hash = bytes.fromhex(cls.hash_hex)
        except BaseException:
            cls.t.cleanup()
            raise


class TrackerProtocol(DaemonMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_daemon()

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()  # kills si_btd if it is still running

    def announce(self, source, pid, port, **kw):
        status, body = request(self.t, announce_path(self.info_hash, pid, port, **kw), source)
        self.assertEqual(status, 200, body)
        reply = sitest.bdecode(body)
        self.assertNotIn(b"failure reason", reply, reply.get(b"failure reason"))
        return reply

    def scrape(self):
        status, body = request(self.t, "/scrape?" + urllib.parse.urlencode(
            {"info_hash": self.info_hash}))
        self.assertEqual(status, 200)
        return sitest.bdecode(body)[b"files"][self.info_hash]

    def test_compact_and_dict_announces_never_return_the_requester(self):
        a = self.announce("127.0.0.2", peer_id("a"), 41001, event="started")
        self.assertEqual(a[b"interval"], 30)
        self.assertIn(b"min interval", a)
        self.assertNotIn(("127.0.0.2", 41001), compact_peers(a[b"peers"]))
        b = self.announce("127.0.0.3", peer_id("b"), 41002, event="started")
        peers_b = compact_peers(b[b"peers"])
        self.assertIn(("127.0.0.2", 41001), peers_b)
        self.assertNotIn(("127.0.0.3", 41002), peers_b)
        # The `ip` parameter is ignored: the address is the connection's.
        d = self.announce("127.0.0.2", peer_id("a"), 41001, compact=0,
                          extra={"ip": "192.0.2.77"})
        listed = {(p[b"ip"].decode(), p[b"port"]): p.get(b"peer id") for p in d[b"peers"]}
        self.assertEqual(listed.get(("127.0.0.3", 41002)), peer_id("b"))
        self.assertNotIn(("127.0.0.2", 41001), listed)
        self.assertNotIn(peer_id("a"), listed.values())
        self.assertFalse(any(ip == "192.0.2.77" for ip, _ in listed))
        # no_peer_id leaves the ids out.
        bare = self.announce("127.0.0.2", peer_id("a"), 41001, compact=0,
                             extra={"no_peer_id": 1})
        self.assertTrue(bare[b"peers"])
        self.assertTrue(all(b"peer id" not in p for p in bare[b"peers"]))

    def test_numwant_limits_the_list(self):
        for i in range(5):
            self.announce("127.0.0.2", peer_id("n%d" % i), 42000 + i)
        r = self.announce("127.0.0.3", peer_id("nq"), 42100, extra={"numwant": 2})
        self.assertEqual(len(compact_peers(r[b"peers"])), 2)
        r0 = self.announce("127.0.0.3", peer_id("nq"), 42100, extra={"numwant": 0})
        self.assertEqual(r0[b"peers"], b"")

    def test_stopped_removes_the_peer(self):
        self.announce("127.0.0.2", peer_id("s"), 43001, event="started")
        seen = self.announce("127.0.0.3", peer_id("s-watch"), 43002)
        self.assertIn(("127.0.0.2", 43001), compact_peers(seen[b"peers"]))
        self.announce("127.0.0.2", peer_id("s"), 43001, event="stopped")
        after = self.announce("127.0.0.3", peer_id("s-watch"), 43002)
        self.assertNotIn(("127.0.0.2", 43001), compact_peers(after[b"peers"]))

    def test_scrape_counts_follow_announces(self):
        before = self.scrape()
        self.announce("127.0.0.2", peer_id("c"), 44001, event="started", left=500)
        mid = self.scrape()
        self.assertEqual(mid[b"incomplete"], before[b"incomplete"] + 1)
        self.assertEqual(mid[b"complete"], before[b"complete"])
        self.announce("127.0.0.2", peer_id("c"), 44001, event="completed", left=0)
        done = self.scrape()
        self.assertEqual(done[b"complete"], before[b"complete"] + 1)
        self.assertEqual(done[b"incomplete"], before[b"incomplete"])
        self.assertEqual(done[b"downloaded"], before[b"downloaded"] + 1)
        # A scrape without info_hash lists every served torrent.
        status, body = request(self.t, "/scrape")
        self.assertIn(self.info_hash, sitest.bdecode(body)[b"files"])

    def test_unknown_info_hash_gets_a_failure_reason(self):
        other = bytes(range(20))
        status, body = request(self.t, announce_path(other, peer_id("u"), 45001))
        self.assertEqual(status, 200)
        self.assertEqual(sitest.bdecode(body)[b"failure reason"].decode(),
                         "unknown info_hash %s: not served by this tracker" % other.hex())
        status, body = request(self.t, "/scrape?" + urllib.parse.urlencode({"info_hash": other}))
        self.assertEqual(sitest.bdecode(body)[b"files"], {})

    def test_malformed_announces_get_a_failure_reason(self):
        for path, reason in [
                ("/announce", b"missing info_hash"),
                ("/announce?info_hash=%zz", b"bad percent-encoding in info_hash"),
                (announce_path(self.info_hash, peer_id("m"), 0), b"port out of range: 0"),
                (announce_path(self.info_hash, peer_id("m"), 1, event="resumed"),
                 b"unknown event: resumed")]:
            status, body = request(self.t, path)
            self.assertEqual(status, 200, path)
            self.assertEqual(sitest.bdecode(body)[b"failure reason"], reason, path)

    def test_the_forms_opentracker_takes_are_answered(self):
        # BEP 21's event=paused, a trailing slash, an absolute-form target (RFC 7230 5.3.2).
        base = "http://%s:%d" % (self.t.address, self.t.tracker_port)
        for path in [announce_path(self.info_hash, peer_id("p"), 6881, event="paused"),
                     announce_path(self.info_hash, peer_id("q"), 6882).replace(
                         "/announce?", "/announce/?"),
                     base + announce_path(self.info_hash, peer_id("r"), 6883)]:
            status, body = request(self.t, path)
            self.assertEqual(status, 200, path)
            reply = sitest.bdecode(body)
            self.assertNotIn(b"failure reason", reply, path)
            self.assertIn(b"interval", reply, path)

    def test_torrent_file_is_served_byte_for_byte(self):
        status, body = request(self.t, "/torrents/")
        self.assertEqual(status, 200)
        self.assertIn(TORRENT, body.decode().splitlines())
        status, body = request(self.t, "/torrents/" + TORRENT)
        self.assertEqual(status, 200)
        self.assertEqual(body, self.torrent_bytes)

    def test_not_found_and_method_not_allowed(self):
        for path in ["/nope", "/index.htm", "/status.json/", "/www/app.js", "/announce.php",
                     "/torrents/missing.torrent",
                     "/torrents/../etc/bittorrent.conf", "/torrents/%2e%2e/etc/bittorrent.conf",
                     "/torrents/%2e%2e%2fetc%2fbittorrent.conf", "/torrents/..%2F..%2Fetc%2Fpasswd"]:
            status, body = request(self.t, path)
            self.assertEqual(status, 404, path)
            self.assertNotIn(b"BT_TRACKER", body)
        for method in ["POST", "PUT", "DELETE"]:
            for path in ["/announce", "/", "/status.json", "/metrics"]:
                status, _ = request(self.t, path, method=method)
                self.assertEqual(status, 405, (method, path))
        # The one command path (si_btstatus --forget) answers a POST; from loopback it is
        # taken, and a node nobody knows is 404 (tests/integration/test_forget_node.py).
        status, body = request(self.t, "/nodes/forget?node=nobody", method="POST")
        self.assertEqual(status, 404, body)
        status, _ = request(self.t, "/nodes/forget?node=nobody", method="PUT")
        self.assertEqual(status, 405)
        # "/" is the operator's page now (status_pages.hpp), read-only.
        status, body = request(self.t, "/")
        self.assertEqual(status, 200)
        self.assertIn(b"<title>si_btd: swarm status</title>", body)

    def test_garbage_and_huge_headers_do_not_kill_it(self):
        raw_exchange(self.t, os.urandom(4096))
        raw_exchange(self.t, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 500)
        reply = raw_exchange(self.t, b"GET /announce HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                             b"a" * (100 * 1024) + b"\r\n\r\n")
        self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 431"), reply[:80])
        # An idle connection that never sends is not a problem for others either.
        idle = socket.create_connection((self.t.address, self.t.tracker_port), timeout=5)
        try:
            self.assertIsNone(self.proc.poll(), "si_btd died")
            status, body = request(self.t, "/torrents/")
            self.assertEqual(status, 200)
            self.assertIn(TORRENT, body.decode())
            self.announce("127.0.0.3", peer_id("g"), 46001)
        finally:
            idle.close()


class TrackerStopsCleanly(DaemonMixin, unittest.TestCase):
    def setUp(self):
        self.start_daemon()

    def tearDown(self):
        self.t.cleanup()

    def test_sigterm_exits_zero_and_saves_the_state(self):
        pid = peer_id("term")
        status, body = request(self.t, announce_path(self.info_hash, pid, 47001, event="started"))
        self.assertEqual(status, 200)
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=60)
        except Exception:
            self.proc.kill()
            raise
        self.assertEqual(self.proc.returncode, 0, out.decode(errors="replace"))
        self.assertTrue(os.path.exists(self.t.state), "no tracker state at " + self.t.state)
        with open(self.t.state, "rb") as f:
            state = f.read()
        # Bencoded and holding the peer that announced (peers expire after 20 minutes).
        self.assertIsInstance(sitest.bdecode(state), dict)
        self.assertIn(pid, state)
        self.assertIn(self.info_hash, state)


class RepeatedLinesCollapse(DaemonMixin, unittest.TestCase):
    """1,000 nodes announcing an old torrent wrote a 148-byte warning each time, 425 MB a day
    (issue 29): the real daemon now writes a kind's first line, counts the rest, and tells
    the count (at the latest when it stops)."""
    REPEATS = 200

    def setUp(self):
        self.start_daemon()

    def tearDown(self):
        self.t.cleanup()

    def test_refused_and_bad_announces_are_one_line_and_a_count(self):
        old = bytes(range(20))  # a torrent this tracker does not serve
        for k in range(self.REPEATS):
            status, body = request(self.t, announce_path(old, peer_id("old%d" % k), 40000 + k))
            self.assertEqual(status, 200)
            self.assertIn(b"failure reason", sitest.bdecode(body))
            status, _ = request(self.t, announce_path(self.info_hash, peer_id("bad%d" % k), 0))
            self.assertEqual(status, 200)
        self.assertIsNone(self.proc.poll(), "si_btd exited")
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=60)
        except Exception:
            self.proc.kill()
            raise
        self.assertEqual(self.proc.returncode, 0)
        log = self.t.log_text()
        refused = [ln for ln in log.splitlines() if "not served by this tracker" in ln]
        bad = [ln for ln in log.splitlines() if "bad announce from" in ln]
        for lines in (refused, bad):
            # The first line, then one a minute at most (here: at the stop) with the count of
            # those not written: every announce is accounted for, in a few lines.
            self.assertNotIn("more like it", lines[0])
            told = [re.search(r"\(and (\d+) more like it in the last \d+ s\)$", ln) for ln in lines]
            self.assertTrue(all(told[1:]), "\n".join(lines))
            self.assertEqual(sum(1 + (int(m.group(1)) if m else 0) for m in told), self.REPEATS,
                             "\n".join(lines))
            self.assertLessEqual(len(lines), 4, "\n".join(lines))
        self.assertIn("si_btd: exiting with code 0", log)
        print("%d refused and %d bad announces: %d log lines, %d bytes"
              % (self.REPEATS, self.REPEATS, len(refused) + len(bad),
                 sum(len(ln) + 1 for ln in refused + bad)))


if __name__ == "__main__":
    sitest.main()
