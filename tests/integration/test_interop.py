#!/usr/bin/env python3
"""BitTorrent clients we did not write download an image from si_btd's tracker and seeder at its
default settings (BT_SUPER_SEED=y: the super-seeder, BEP 16), each alone, and then seed it to a
si_btagent: aria2c, transmission-cli (with uTP off, and on as SystemImager 4.9 runs it),
ctorrent and qbittorrent-nox. The bytes must be the tarball's.

Each client is its own CTest test (integration.interop_<client>, `-k <client>`), so a client
that is not installed shows as skipped on its own. The super-seeder serves our agents only
(transmission-cli 3.00 got 0 bytes in 300 s from it, issue 28): the seeder must seed every other
client normally from its handshake on (server/seed/seeder_policy.hpp: super_seeds_peer) and
say so in its log."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import sitest  # noqa: E402
from foreign_clients import (QBittorrent, TRANSMISSION_AS_SYSTEMIMAGER, ctorrent_args,  # noqa: E402
                             stop, transmission_setup)
from foreign_clients import wait_for_file as wait_for  # noqa: E402

DOWNLOAD_TIMEOUT = 240  # s for a ~9 MiB tarball on loopback; a bound, not a speed assertion


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"


class HiddenServer:
    """Stands between an agent and si_btd so that the agent knows only the other peers: it
    serves si_btd's .torrent files with itself as the announce URL, passes announces on and
    drops si_btd's own seeder from the peers in the replies. Its requests come from
    127.0.0.1, so si_btd's seeder does not connect to the agent either: what the agent gets,
    the foreign seeders sent."""

    def __init__(self, tree):
        import http.server
        import threading
        import urllib.request
        self.port = sitest.free_port()
        upstream = "http://127.0.0.1:%d" % tree.tracker_port
        mine = "http://127.0.0.1:%d/announce" % self.port
        theirs = upstream + "/announce"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with urllib.request.urlopen(upstream + self.path, timeout=10) as r:
                    body = r.read()
                if self.path.startswith("/torrents/") and self.path != "/torrents/":
                    body = body.replace(b"%d:%s" % (len(theirs), theirs.encode()),
                                        b"%d:%s" % (len(mine), mine.encode()))
                elif self.path.startswith("/announce"):
                    reply = sitest.bdecode(body)
                    peers = reply.get(b"peers", b"")
                    if isinstance(peers, bytes):
                        reply[b"peers"] = b"".join(peers[i:i + 6] for i in range(0, len(peers), 6)
                                                   if peers[i:i + 4] != bytes([127, 0, 0, 1]))
                    body = bencode(reply)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Interop(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # si_btd's defaults: nothing about seeding in the configuration.
        cls.t = sitest.ServerTree(compress="zstd", images=("golden",))
        # Large enough to be super-seeded (server/seed/seeder_policy.hpp: at least 32 pieces).
        sitest.make_image_tree(cls.t.image_dir("golden"), special=True, megabytes=16)
        cls.t.start()
        cls.name = "image-golden.tar.zst.torrent"
        cls.t.wait_served([cls.name])
        said = "super-seeding image-golden.tar.zst"
        if said not in cls.t.log_text():
            raise AssertionError("expected '%s' in:\n%s" % (said, cls.t.log_text()[-2000:]))
        cls.tarball = os.path.join(cls.t.dir, "tarballs", cls.name[: -len(".torrent")])
        cls.torrent = os.path.join(cls.t.dir, "torrents", cls.name)

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()

    def agent_gets_pieces_from(self, seeder_ip, agent_ip):
        """Runs si_btagent (on agent_ip) while a foreign client on seeder_ip seeds the image:
        the agent must install it and name seeder_ip as where its pieces came from. The agent
        does not know si_btd's seeder (HiddenServer): on loopback the server would send
        everything before a foreign client unchokes (transmission's choker runs every 10 s), so
        the image comes from the foreign seed alone. Returns the MiB it got from seeder_ip."""
        import re
        hidden = HiddenServer(self.t)
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden BITTORRENT_TRACKER_PORT=%d "
                   "BITTORRENT_POLLING_TIME=1" % hidden.port)
        p, _ = sitest.start_agent(self.t.dir, agent_ip, cmdline)
        try:
            out = p.communicate(timeout=DOWNLOAD_TIMEOUT)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            p.kill()
            out = p.communicate()[0].decode(errors="replace")
            self.fail("the agent did not finish in %d s:\n%s" % (DOWNLOAD_TIMEOUT, out[-3000:]))
        finally:
            hidden.close()
            if p.poll() is None:
                p.kill()
                p.wait(10)
            p.stdout.close()
        self.assertEqual(p.returncode, 0, out[-2000:])
        line = [x for x in out.splitlines() if ": pieces from " in x]
        self.assertTrue(line, out[-2000:])
        # From the foreign seed first and foremost (it is the only peer the agent knows of).
        m = re.search(r": pieces from %s \(([0-9.]+) MiB\)" % re.escape(seeder_ip), line[0])
        self.assertIsNotNone(m, "the agent's pieces did not come from %s: %s" % (seeder_ip, line[0]))
        print("agent %s got %s MiB from %s (%s)" % (agent_ip, m.group(1), seeder_ip, line[0]),
              flush=True)
        return float(m.group(1))

    def print_seeder_said(self):
        """What the seeder decided about its leechers so far, for the log. With our patched
        libtorrent ("pieces on offer at once") a client other than si_btagent is seeded
        normally from its handshake on (server/seed/foreign_client_plugin.hpp): the log must
        say so."""
        log = self.t.log_text()
        said = [x for x in log.splitlines() if "seeding it normally" in x]
        for line in said:
            print("si_btd: " + line, flush=True)
        if "pieces on offer at once" in log:
            self.assertTrue([x for x in said if "is not si_btagent" in x],
                            "si_btd did not say it seeds the foreign client normally:\n" +
                            log[-3000:])

    def check_download(self, args, out_file, done, tool, env=None, then=None):
        print("tarball: %d bytes" % os.path.getsize(self.tarball))
        if shutil.which(tool) is None:
            self.skipTest("needs %s (scripts/setup-deps.sh)" % tool)
        with tempfile.TemporaryFile() as log:
            p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env)
            started = time.monotonic()
            try:
                finished = wait_for(done, p, DOWNLOAD_TIMEOUT)
                print("%s: %.1f s" % (tool, time.monotonic() - started), flush=True)
                if finished and then is not None:
                    then()  # while the client still runs: it seeds now
            finally:
                stop(p)
            log.seek(0)
            out = log.read().decode(errors="replace")[-3000:]
        self.print_seeder_said()
        self.assertTrue(finished, "%s did not finish in %d s:\n%s" % (tool, DOWNLOAD_TIMEOUT, out))
        with open(out_file, "rb") as a, open(self.tarball, "rb") as b:
            self.assertTrue(a.read() == b.read(), "%s: downloaded bytes differ" % tool)

    def test_aria2c_leeches_from_the_super_seeder(self):
        if shutil.which("aria2c") is None:
            self.skipTest("needs aria2c (scripts/setup-deps.sh)")
        out = tempfile.mkdtemp(dir=self.t.dir)
        started = time.monotonic()
        r = sitest.aria2_download(self.torrent, out, bind="127.0.0.9", timeout=DOWNLOAD_TIMEOUT)
        print("aria2c: %.1f s" % (time.monotonic() - started), flush=True)
        self.print_seeder_said()
        self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace")[-3000:])
        with open(os.path.join(out, os.path.basename(self.tarball)), "rb") as a, \
                open(self.tarball, "rb") as b:
            self.assertTrue(a.read() == b.read(), "aria2c: downloaded bytes differ")

    def test_aria2c_seeds_to_an_agent(self):
        """aria2c with its defaults (but no DHT: loopback) downloads, then seeds: an agent gets
        pieces from it."""
        if shutil.which("aria2c") is None:
            self.skipTest("needs aria2c (scripts/setup-deps.sh)")
        out = tempfile.mkdtemp(dir=self.t.dir)
        target = os.path.join(out, os.path.basename(self.tarball))
        # --seed-ratio=0: keep seeding for --seed-time (minutes) whatever it has uploaded; by
        # default aria2c stops at a ratio of 1.0.
        args = ["aria2c", "--interface=127.0.0.10", "--dir=" + out, "--seed-time=10",
                "--seed-ratio=0", "--enable-dht=false", "--console-log-level=warn",
                "--summary-interval=0", self.torrent]
        with open(self.tarball, "rb") as f:
            whole = f.read()

        def seeding():
            # The file's bytes, not aria2's control file: aria2c writes the file before it
            # creates <file>.aria2, so "file there, no .aria2" also holds at the start.
            if p.poll() is not None:
                raise AssertionError("aria2c exited with %d" % p.returncode)
            try:
                with open(target, "rb") as f:
                    return f.read() == whole
            except FileNotFoundError:
                return False
        with tempfile.TemporaryFile() as log:
            p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
            try:
                sitest.wait_for(seeding, DOWNLOAD_TIMEOUT, "aria2c to finish")
                self.agent_gets_pieces_from("127.0.0.10", "127.0.0.13")
            finally:
                stop(p)


    def test_qbittorrent_leeches_then_seeds_to_an_agent(self):
        """qbittorrent-nox downloads the image with its defaults, then, as an extra seeder,
        sends pieces to a si_btagent that installs the image (issue 13: clients that
        SystemImager 4.9 sites already run)."""
        if shutil.which("qbittorrent-nox") is None:
            self.skipTest("needs qbittorrent-nox (scripts/setup-deps.sh)")
        qb = QBittorrent(self.t.dir, "127.0.0.5")
        try:
            started = time.monotonic()
            qb.add(self.torrent)
            target = os.path.join(qb.downloads, os.path.basename(self.tarball))

            def done():
                t = qb.torrents()
                return len(t) == 1 and t[0]["progress"] >= 1.0
            try:
                sitest.wait_for(done, DOWNLOAD_TIMEOUT, "qbittorrent-nox to finish")
            except AssertionError:
                raise AssertionError("qbittorrent-nox: %s\n%s" % (qb.torrents(), qb.output()))
            print("qbittorrent-nox: %.1f s" % (time.monotonic() - started), flush=True)
            self.print_seeder_said()
            with open(target, "rb") as a, open(self.tarball, "rb") as b:
                self.assertTrue(a.read() == b.read(), "qbittorrent-nox: downloaded bytes differ")
            # Now a seed of the swarm: an agent installing the image gets pieces from it too.
            self.agent_gets_pieces_from("127.0.0.5", "127.0.0.12")
            sitest.wait_for(lambda: qb.torrents()[0]["uploaded"] > 0, 20,
                            "qbittorrent-nox to have sent the agent something")
            print("qbittorrent-nox sent %d bytes to the agent" % qb.torrents()[0]["uploaded"])
        finally:
            qb.close()

    def run_transmission_cli(self, address, settings, agent_ip=None):
        """transmission-cli bound to an address of its own (the tracker never hands a peer its
        own address), with `settings` added to its settings.json."""
        home = tempfile.mkdtemp(dir=self.t.dir)
        conf, out = transmission_setup(home, address, settings)
        # The file keeps a .part suffix until every piece is verified.
        target = os.path.join(out, os.path.basename(self.tarball))
        args = ["transmission-cli", "-g", conf, "-w", out, self.torrent]
        # Done, it seeds until stopped: an agent installs the image from it.
        self.check_download(args, target, target, "transmission-cli",
                            env=dict(os.environ, HOME=home),
                            then=agent_ip and (lambda: self.agent_gets_pieces_from(address,
                                                                                   agent_ip)))

    def test_transmission_cli_leeches_then_seeds_to_an_agent(self):
        self.run_transmission_cli("127.0.0.7", {"pex-enabled": False, "utp-enabled": False,
                                                "rename-partial-files": True, "encryption": 0},
                                  "127.0.0.14")

    def test_transmission_cli_with_utp_as_systemimager_4_9_runs_it(self):
        # SystemImager 4.9's initrd runs transmission-cli with its defaults: uTP on. The
        # seeder must answer uTP (or the client waits ~20 s per peer before trying TCP).
        # (Leeching only: its uTP socket is not bound to bind-address-ipv4, so what it sends
        # over uTP comes from 127.0.0.1, the server's address; the TCP run above seeds.)
        self.run_transmission_cli("127.0.0.6", TRANSMISSION_AS_SYSTEMIMAGER)

    def test_ctorrent_leeches_then_seeds_to_an_agent(self):
        out = tempfile.mkdtemp(dir=self.t.dir)
        target = os.path.join(out, os.path.basename(self.tarball))
        done = os.path.join(out, "complete")
        # -e 1: seed an hour after the download (stopped by the test once an agent is done).
        args = ctorrent_args(target, done, "127.0.0.8", self.torrent)
        self.check_download(args, target, done, "ctorrent",
                            then=lambda: self.agent_gets_pieces_from("127.0.0.8", "127.0.0.16"))


if __name__ == "__main__":
    sitest.main()
