#!/usr/bin/env python3
"""si_btd's tracker state under an operator's bad day: a second daemon started by mistake
with the same directories never touches the running daemon's state, whatever fails in its
start; a state path that is a FIFO, a directory or a huge file neither blocks the start nor
is reported as saved."""
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import unittest

import sitest  # noqa: E402

EXIT_ALREADY_RUNNING = 7



def damage_in_place(path, offset):
    """Flips 64 bytes of `path` at `offset`, keeping its size and mtime (bit rot: nothing a
    size-and-mtime check or BT_UPDATE would notice)."""
    st = os.stat(path)
    with open(path, "r+b") as f:
        f.seek(offset)
        chunk = f.read(64)
        f.seek(offset)
        f.write(bytes(b ^ 0xFF for b in chunk))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

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

    def test_a_crash_loses_no_announced_peer(self):
        # Killed before its first periodic save (60 s): what was announced is on disk anyway.
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        self.announce(7003, "-XX0001-cccccccccccc")

        def saved():
            with open(self.t.state, "rb") as f:
                return b"-XX0001-cccccccccccc" in f.read()
        sitest.wait_for(lambda: os.path.exists(self.t.state) and saved(), 10,
                        "the announced peer in the saved state")
        p.kill()
        p.wait(10)
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        # A node announcing now is handed the peer announced before the crash.
        with open(os.path.join(self.t.dir, "torrents", "image-demo.tar.torrent"), "rb") as f:
            info_hash = sitest.torrent_info_hash(f.read())
        q = "".join("%%%s" % info_hash[i:i + 2] for i in range(0, 40, 2))
        status, body = sitest.http_get(self.t.url(
            "/announce?info_hash=%s&peer_id=-XX0001-dddddddddddd&port=7004&uploaded=0"
            "&downloaded=0&left=5&compact=0" % q))
        self.assertEqual(status, 200)
        self.assertIn(b"-XX0001-cccccccccccc", body)
        self.stop(p)

    def test_the_state_and_the_node_table_are_root_only(self):
        # Addresses, MACs, host names and errors of the nodes: 0600, as the tarballs.
        p = self.t.start()
        self.t.wait_served(["image-demo.tar.torrent"])
        self.announce(7005, "-XX0001-eeeeeeeeeeee")
        with socket.create_connection(("127.0.0.1", self.t.monitor_port), timeout=5) as s:
            s.sendall(b"mac=52:54:00:00:00:77:host=node77:status=10\n")
        nodes = self.t.state + ".nodes"
        sitest.wait_for(lambda: os.path.exists(self.t.state) and os.path.exists(nodes), 30,
                        "the state and the node table on disk")
        for path in (self.t.state, self.t.state + ".lock", nodes):
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
        self.stop(p)
        self.assertEqual(stat.S_IMODE(os.stat(self.t.state).st_mode), 0o600)

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


class BitRotOnTheServer(unittest.TestCase):
    """A tarball damaged on the server's disk after packing (bytes flipped in place, size and
    mtime kept): si_btd notices at the first damaged piece it would send, says so in one
    line, stops seeding it, packs it again from the image tree and seeds that; the node
    finishes with the exact image."""

    def test_a_damaged_tarball_is_repacked_and_the_node_finishes(self):
        import random
        import tree_compare
        t = sitest.ServerTree(images=("golden",))
        self.addCleanup(t.cleanup)
        rng = random.Random(2)
        image = t.image_dir("golden")
        for i in range(6):
            sitest.write_file(os.path.join(image, "usr", "f%d" % i), rng.randbytes(2_000_000))
        p = t.start()
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.addCleanup(p.stdout.close)
        t.wait_served(["image-golden.tar.torrent"])
        tarball = os.path.join(t.dir, "tarballs", "image-golden.tar")
        damage_in_place(tarball, os.path.getsize(tarball) // 2)
        agent, root = sitest.start_agent(
            t.dir, "127.0.0.15",
            "BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden BITTORRENT_TRACKER_PORT=%d "
            "BITTORRENT_POLLING_TIME=1 BITTORRENT_TIMEOUT=60" % t.tracker_port)
        out = agent.communicate(timeout=180)[0].decode(errors="replace")
        agent.stdout.close()
        log = t.log_text()
        self.assertEqual(agent.returncode, 0, out + log[-3000:])
        self.assertIn("image-golden.tar: a piece read from disk does not match its hash", log)
        self.assertIn("repacking it from", log)
        self.assertEqual(tree_compare.compare(image, root, ignore_root_mtime=True), [])


class BitRotAfterTheFirstSend(unittest.TestCase):
    """A tarball damaged on the server after every piece of it was sent once (libtorrent's
    seed mode checks a piece only at its first send, then never again): si_btd's background
    check (BT_SCRUB_RATE) finds the damaged piece, says so in one line, repacks the image from
    its tree and seeds it again, and a second node installs the exact tree."""

    def test_damage_after_a_first_install_is_found_and_the_next_node_is_exact(self):
        import random
        import tree_compare
        # Seeded normally: super-seeding leaves about 1 single-node install in 10 without its
        # last pieces on this branch (a stall of its own, seen with the check off too).
        t = sitest.ServerTree(images=("golden",), extra="BT_SCRUB_RATE=64\nBT_SUPER_SEED=n\n")
        self.addCleanup(t.cleanup)
        rng = random.Random(3)
        image = t.image_dir("golden")
        for i in range(6):
            sitest.write_file(os.path.join(image, "usr", "f%d" % i), rng.randbytes(2_000_000))
        p = t.start()
        t.wait_served(["image-golden.tar.torrent"])
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden "
                   "BITTORRENT_TRACKER_PORT=%d BITTORRENT_POLLING_TIME=1 BITTORRENT_TIMEOUT=60"
                   % t.tracker_port)
        procs = []
        self.addCleanup(sitest.stop_procs, procs)
        first, first_root = sitest.start_agent(t.dir, "127.0.0.16", cmdline)
        procs.append(first)
        out = first.communicate(timeout=180)[0].decode(errors="replace")
        self.assertEqual(first.returncode, 0, out + t.log_text()[-3000:])
        self.assertEqual(tree_compare.compare(image, first_root, ignore_root_mtime=True), [])
        # Every piece has left the server once: libtorrent will not look at them again.
        tarball = os.path.join(t.dir, "tarballs", "image-golden.tar")
        damage_in_place(tarball, os.path.getsize(tarball) // 3)
        # The server must find it on its own, with no node asking (the check re-reads this
        # 11 MiB tarball in well under a second at 64 MiB/s). A node that meets the damaged piece
        # before the repack is banned from the server and gets it back after 5 s; that path
        # still stalls a node now and then (about 1 run in 4 here) and is an open bug, so the
        # second node starts once the server has said what it found.
        sitest.wait_for(lambda: "does not match its hash" in t.log_text(), 60,
                        "si_btd to find the damaged piece")
        second, second_root = sitest.start_agent(t.dir, "127.0.0.17", cmdline)
        procs.append(second)
        out = second.communicate(timeout=180)[0].decode(errors="replace")
        log = t.log_text()
        self.assertEqual(second.returncode, 0, out + log[-3000:])
        self.assertEqual(tree_compare.compare(image, second_root, ignore_root_mtime=True), [])
        lines = [line for line in log.splitlines()
                 if "image-golden.tar: a piece read from disk does not match its hash" in line]
        self.assertEqual(len(lines), 1, log[-3000:])
        self.assertIn("found by the background check", lines[0])
        self.assertIn("repacking it from", lines[0])
        self.assertIsNone(p.poll(), "si_btd exited")


class ServerBackWithinTheTimeout(unittest.TestCase):
    """Nodes that lost their image server while it was down keep asking on a short schedule:
    one back well within BITTORRENT_TIMEOUT never fails them (libtorrent's default back-off
    would next ask 50 s after the start, past this test's 45 s limit)."""

    def test_an_agent_finds_a_server_that_comes_back(self):
        from test_agent_swarm import FakeImageServer
        t = sitest.ServerTree(images=("golden",))
        self.addCleanup(t.cleanup)
        sitest.make_image_tree(t.image_dir("golden"), special=False, megabytes=4)
        p = t.start()
        t.wait_served(["image-golden.tar.torrent"])
        with open(os.path.join(t.dir, "torrents", "image-golden.tar.torrent"), "rb") as f:
            torrent = f.read()
        p.terminate()
        p.wait(30)
        # Down, except for the .torrent (as if si_btd died right after the node fetched it).
        fake = FakeImageServer("127.0.0.1", t.tracker_port, {"image-golden.tar.torrent": torrent})
        agent, root = sitest.start_agent(
            t.dir, "127.0.0.14",
            "BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden BITTORRENT_TRACKER_PORT=%d "
            "BITTORRENT_POLLING_TIME=1 BITTORRENT_TIMEOUT=45" % t.tracker_port)
        self.addCleanup(agent.stdout.close)
        self.addCleanup(lambda: agent.poll() is None and agent.kill())
        lines = []
        for raw in agent.stdout:
            lines.append(raw.decode(errors="replace"))
            if "downloading image-golden.tar" in lines[-1]:
                break
        fake.close()
        time.sleep(30)  # the server is down for 30 s of the node's 45 s
        t.start()
        out = "".join(lines) + agent.communicate(timeout=120)[0].decode(errors="replace")
        self.assertEqual(agent.returncode, 0, out)
        self.assertIn("imaged: golden", out)
        self.assertFalse(os.path.exists(os.path.join(root, ".systemimager-incomplete")))


if __name__ == "__main__":
    sitest.main()
