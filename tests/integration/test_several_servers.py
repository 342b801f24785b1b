#!/usr/bin/env python3
"""Several image servers, one swarm (issue 32): two si_btd that packed the same image name each
other's tracker in their .torrents (BT_PEER_SERVERS) and both seed.

- Same image: both give the same info-hash; three agents (IMAGESERVER=a,b in either order)
  download while one server is SIGKILLed mid-deploy, and every root ends equal to the image;
  a fourth agent that starts with its first listed server dead takes the .torrent from the
  next one. To be mid-deploy when the kill comes, this part runs in a network namespace of its
  own whose loopback is slowed with tc (needs root and iproute2; skipped otherwise).
- Different versions under one name: the info-hashes differ, so each node installs the version
  of the server that gave it its .torrent, whole, and the other server's tracker (which tracks
  another info-hash) gives it no peers."""
import os
import re
import shutil
import signal
import subprocess
import threading
import unittest
import urllib.parse

import sitest  # noqa: E402
import tree_compare  # noqa: E402
import test_image_changed  # noqa: E402  (its slowed-loopback namespace)

TORRENT = "image-golden.tar.gz.torrent"
# The slowed loopback carries every byte of both servers and all agents: 12 MiB of image
# (about 7 MiB of tarball) to three nodes at this rate take about 10 s.
RATE = "40mbit"
IMAGE_MB = 12


def two_servers(a_address, b_address):
    """Two ServerTrees naming each other in BT_PEER_SERVERS (image 'golden', gzip)."""
    a = sitest.ServerTree(address=a_address, compress="y", images=("golden",))
    b = sitest.ServerTree(address=b_address, compress="y", images=("golden",))
    a.write_bt_conf(compress="y", images=("golden",),
                    extra="BT_PEER_SERVERS=%s:%d\n" % (b.address, b.tracker_port))
    # The same list on every server works too: a server skips its own entry.
    b.write_bt_conf(compress="y", images=("golden",),
                    extra="BT_PEER_SERVERS=%s:%d,%s:%d\n"
                    % (a.address, a.tracker_port, b.address, b.tracker_port))
    return a, b


def torrent_of(tree):
    status, body = sitest.http_get(tree.url("/torrents/" + TORRENT))
    assert status == 200, status
    return body


def announce_urls(torrent):
    meta = sitest.bdecode(torrent)
    tiers = meta.get(b"announce-list", [])
    return [[u.decode() for u in tier] for tier in tiers]


def image_servers(*trees):
    return ",".join("%s:%d" % (t.address, t.tracker_port) for t in trees)


class Agents:
    """Agents started on one tree's directory, their output read on threads."""

    def __init__(self, tree_dir):
        self.dir = tree_dir
        self.procs = {}
        self.lines = {}
        self.progress = threading.Event()

    def start(self, address, servers, monitors=""):
        p, root = sitest.start_agent(
            self.dir, address,
            "BITTORRENT=y IMAGESERVER=%s IMAGENAME=golden BITTORRENT_POLLING_TIME=1 "
            "BITTORRENT_TIMEOUT=60 BITTORRENT_SERVER_TIMEOUT=60%s"
            % (servers, " MONITOR_SERVER=" + monitors if monitors else ""))
        self.procs[address] = (p, root)
        self.lines[address] = []

        def read():
            for raw in p.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                self.lines[address].append(line)
                m = re.search(r"image-golden\.tar\.gz +(\d+\.\d)%", line)
                if m and float(m.group(1)) >= 15.0:
                    self.progress.set()

        threading.Thread(target=read, daemon=True).start()
        return p

    def output(self, address):
        return "\n".join(self.lines[address])

    def wait_all(self, timeout=240):
        for address, (p, _) in self.procs.items():
            p.wait(timeout)
        return {a: p.returncode for a, (p, _) in self.procs.items()}

    def stop(self):
        sitest.stop_procs([p for p, _ in self.procs.values()])


class OneServerKilledMidDeploy(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
            self.skipTest("needs root and iproute2 (ip, tc) for a slowed loopback of its own")
        test_image_changed.RATE = RATE
        try:
            self.ns = test_image_changed.SlowLoopbackNamespace()
        except (OSError, subprocess.CalledProcessError) as e:
            self.skipTest("cannot make a network namespace: %s" % e)
        self.addCleanup(self.ns.close)
        self.a, self.b = two_servers("127.0.0.11", "127.0.0.12")
        self.addCleanup(self.a.cleanup)
        self.addCleanup(self.b.cleanup)
        # One tree, copied with every attribute: each server packs its own copy.
        self.src = sitest.make_image_tree(self.a.image_dir("golden"), special=False,
                                          megabytes=IMAGE_MB)
        subprocess.run(["cp", "-a", self.src, self.b.image_dir("golden")], check=True)

    def test_without_a_fault_every_node_finishes_exact(self):
        # Two super-seeders connected to each other used to deadlock on the last piece (each
        # offered it to the other, which never asked for it): every node stopped at 96.9 %.
        self.a.start()
        self.b.start()
        self.a.wait_served([TORRENT], timeout=120)
        self.b.wait_served([TORRENT], timeout=120)
        agents = Agents(self.a.dir)
        self.addCleanup(agents.stop)
        agents.start("127.0.0.21", image_servers(self.a, self.b))
        agents.start("127.0.0.22", image_servers(self.b, self.a))
        agents.start("127.0.0.23", image_servers(self.a, self.b))
        codes = agents.wait_all()
        for address, (p, root) in agents.procs.items():
            self.assertEqual(codes[address], 0, agents.output(address)[-3000:])
            self.assertEqual(tree_compare.compare(self.src, root, ignore_root_mtime=True), [],
                             address)

    def test_every_node_finishes_exact(self):
        a_btd = self.a.start()
        self.b.start()
        self.a.wait_served([TORRENT], timeout=120)
        self.b.wait_served([TORRENT], timeout=120)
        ta, tb = torrent_of(self.a), torrent_of(self.b)
        # The same tarball on both: one info-hash, whatever each .torrent's tracker list says.
        self.assertEqual(sitest.torrent_info_hash(ta), sitest.torrent_info_hash(tb))
        self.assertEqual(announce_urls(ta), [[self.a.url("/announce")], [self.b.url("/announce")]])
        self.assertEqual(announce_urls(tb), [[self.b.url("/announce")], [self.a.url("/announce")]])

        agents = Agents(self.a.dir)
        self.addCleanup(agents.stop)
        monitors = "%s:%d,%s:%d" % (self.a.address, self.a.monitor_port, self.b.address,
                                    self.b.monitor_port)
        agents.start("127.0.0.21", image_servers(self.a, self.b), monitors)
        agents.start("127.0.0.22", image_servers(self.b, self.a), monitors)
        agents.start("127.0.0.23", image_servers(self.a, self.b), monitors)
        self.assertTrue(agents.progress.wait(120), "no agent got 15 % of the way:\n" +
                        agents.output("127.0.0.21"))
        running = [a for a, (p, _) in agents.procs.items() if p.poll() is None]
        a_btd.send_signal(signal.SIGKILL)
        a_btd.wait(10)
        print("server %s killed with %d of 3 agents still downloading" % (self.a.address,
                                                                          len(running)))
        # A node that boots now, its first listed server dead, starts from the next one.
        agents.start("127.0.0.24", image_servers(self.a, self.b), monitors)
        codes = agents.wait_all()
        for address, (p, root) in agents.procs.items():
            out = agents.output(address)
            for line in out.splitlines():
                if re.search(r"from image server|pieces from|download [\d.]+ s", line):
                    print("%s: %s" % (address, line))
            self.assertEqual(codes[address], 0, out)
            self.assertEqual(tree_compare.compare(self.src, root, ignore_root_mtime=True), [],
                             address)
        self.assertIn(TORRENT + " from image server " + image_servers(self.b),
                      agents.output("127.0.0.24"))
        self.assertIn(TORRENT + " from image server " + image_servers(self.a),
                      agents.output("127.0.0.21"))
        # The surviving server heard every node (reports go to every listed server).
        for address in agents.procs:
            sitest.wait_for(lambda: self.b.node("ip:" + address) is not None, 20,
                            "%s on %s's page" % (address, self.b.address))


class TwoVersionsUnderOneName(unittest.TestCase):
    def test_each_node_gets_one_whole_version(self):
        a, b = two_servers("127.0.0.41", "127.0.0.42")
        self.addCleanup(a.cleanup)
        self.addCleanup(b.cleanup)
        src_a = sitest.make_image_tree(a.image_dir("golden"), special=False, megabytes=2)
        src_b = sitest.make_image_tree(b.image_dir("golden"), special=False, megabytes=2)
        sitest.write_file(os.path.join(src_b, "etc", "version"), "b\n")
        a.start()
        b.start()
        a.wait_served([TORRENT])
        b.wait_served([TORRENT])
        self.assertNotEqual(sitest.torrent_info_hash(torrent_of(a)),
                            sitest.torrent_info_hash(torrent_of(b)))
        agents = Agents(a.dir)
        self.addCleanup(agents.stop)
        agents.start("127.0.0.51", image_servers(a, b))
        agents.start("127.0.0.52", image_servers(b, a))
        codes = agents.wait_all(180)
        for address, src in (("127.0.0.51", src_a), ("127.0.0.52", src_b)):
            out = agents.output(address)
            self.assertEqual(codes[address], 0, out)
            root = agents.procs[address][1]
            self.assertEqual(tree_compare.compare(src, root, ignore_root_mtime=True), [], address)
            # Another server's tracker refusing our info-hash is no reason to stop (the agent
            # says so when it hears it before it ends).
            self.assertNotIn("the image changed on the server", out)
        # Each tracker refuses the other's info-hash: it hands out no peers of the other swarm.
        for tracker, other in ((a, b), (b, a)):
            info_hash = bytes.fromhex(sitest.torrent_info_hash(torrent_of(other)))
            status, body = sitest.http_get(tracker.url(
                "/announce?info_hash=%s&peer_id=-SI0000-000000000000&port=6881&uploaded=0"
                "&downloaded=0&left=1&compact=1" % urllib.parse.quote(info_hash, safe="")))
            self.assertIn(b"not served by this tracker", body, (status, body))
            self.assertNotIn(b"5:peers", body)


if __name__ == "__main__":
    sitest.main()
