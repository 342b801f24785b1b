#!/usr/bin/env python3
"""Smoke run of the simulator (sim/run, si_sim: libtorrent on libsimulator with our policies):
two sizes of a small swarm in virtual time, with plots. Checks that every node completes, that
the figures are sane and the tables and plots are written; it asserts no timing. Skips (exit 77)
when si_sim is not built (SI_SIM=AUTO and its libtorrent not cached: see sim/README.md)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import sitest  # noqa: E402

BUILD_DIR = os.environ.get("SI_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.environ.get("SI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SIM = os.path.join(BUILD_DIR, "sim", "si_sim")
RUN = os.path.join(SOURCE_DIR, "sim", "run")


@unittest.skipUnless(os.access(SIM, os.X_OK), "si_sim not built (configure with -DSI_SIM=ON)")
@unittest.skipIf(shutil.which("gnuplot") is None, "gnuplot missing (gnuplot-nox)")
class SimSmoke(unittest.TestCase):
    def test_small_swarms(self):
        out = tempfile.mkdtemp(prefix="si-sim-smoke-")
        self.addCleanup(shutil.rmtree, out, True)
        # 40 pieces of 64 KiB at 20 Mbit/s: S/R about 1 s of virtual time.
        p = subprocess.run([sys.executable, RUN, "--nodes", "3,6", "--pieces", "40",
                            "--piece-size", "64K", "--rate", "20mbit", "--sim", SIM,
                            "--out", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=240)
        self.assertEqual(p.returncode, 0, p.stdout)
        with open(os.path.join(out, "results.json")) as f:
            rows = json.load(f)
        self.assertEqual([r["nodes"] for r in rows], [3, 6])
        for r in rows:
            n = r["nodes"]
            self.assertEqual(r["flag"], "ok", p.stdout)
            self.assertEqual(r["done"], n)
            self.assertEqual(len(r["done_s"]), n)
            self.assertTrue(all(t is not None and t > 0 for t in r["done_s"]), r["done_s"])
            # No node can beat the floor; the server sent at least one copy of the image.
            self.assertGreaterEqual(r["x_floor"], 1.0)
            self.assertLessEqual(r["done_min_s"], r["done_median_s"])
            self.assertLessEqual(r["done_median_s"], r["done_p99_s"])
            self.assertLessEqual(r["done_p99_s"], r["done_max_s"])
            self.assertGreaterEqual(r["server_tx_xS"], 1.0)
            self.assertGreater(r["announces"], n - 1)
            for png in r["plots"]:
                self.assertGreater(os.path.getsize(os.path.join(out, png)), 1000, png)
            with open(os.path.join(out, "samples-sim-n%d.dat" % n)) as f:
                head = f.readline().split()
            self.assertEqual(len(head), 1 + 1 + n + 3)  # '#', t, nodes, sum, server, cpu
        self.assertGreater(os.path.getsize(os.path.join(out, "scaling.png")), 1000)
        with open(os.path.join(out, "results.md")) as f:
            self.assertIn("| N | S | R (nodes / server) | total s | x S/R |", f.read())

    def test_tracker_host_and_report(self):
        """--tracker-rate puts the tracker on a host of its own; --report prints the swarm's
        census and, at the end, what the server sent more than once."""
        out = tempfile.mkdtemp(prefix="si-sim-smoke-")
        self.addCleanup(shutil.rmtree, out, True)
        p = subprocess.run([SIM, "--nodes", "4", "--pieces", "40", "--piece-size", "65536",
                            "--rate", "20000000", "--tracker-rate", "1000000000",
                            "--report", "0.5", "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        with open(os.path.join(out, "result-n4.json")) as f:
            r = json.load(f)
        self.assertEqual(r["done"], 4)
        self.assertEqual(r["tracker_rate_bps"], 1e9)
        self.assertGreater(r["announces"], 3)  # every node and the seeder reached the tracker
        census = [l for l in p.stderr.splitlines() if l.startswith("t=")]
        self.assertTrue(census, p.stderr[-2000:])
        self.assertIn("nodes: done 0/4", census[0])
        uploads = [l for l in p.stderr.splitlines() if l.startswith("server uploads:")]
        self.assertEqual(len(uploads), 1, p.stderr[-2000:])
        # Every one of the 41 pieces (40 + the tail) left the server at least once.
        self.assertIn("never 0", uploads[0])


    def test_short_queues_lose_packets_and_every_node_finishes(self):
        """Queues of 4 packets drop many packets. libsimulator's TCP must resend them (our
        patch simulator-tcp-drops): before it, a drop after close crashed si_sim and the
        drops' bytes stayed counted in flight, so this swarm never finished (exit 3)."""
        out = tempfile.mkdtemp(prefix="si-sim-smoke-")
        self.addCleanup(shutil.rmtree, out, True)
        p = subprocess.run([SIM, "--nodes", "8", "--pieces", "64", "--piece-size", "16384",
                            "--rate", "1000000", "--queue-bytes", "6000", "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        with open(os.path.join(out, "result-n8.json")) as f:
            r = json.load(f)
        self.assertEqual(r["done"], 8)
    def run_sim(self, *args):
        out = tempfile.mkdtemp(prefix="si-sim-smoke-")
        self.addCleanup(shutil.rmtree, out, True)
        p = subprocess.run([SIM, "--nodes", "8", "--pieces", "64", "--piece-size", "16384",
                            "--rate", "1000000", "--out", out, *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        with open(os.path.join(out, "result-n8.json")) as f:
            return json.load(f)

    def test_the_super_seeder_sends_each_piece_about_once(self):
        """A policy's behaviour in virtual time, as libtorrent's own simulation tests do: the
        super-seeder (BEP 16, BT_SUPER_SEED=y) offers each piece to one node and lets the nodes
        trade it, so the server sends about one copy of the image; a plain seeder answers every
        node that asks and sends much more. The simulator is deterministic: the same run twice
        gives the same figures, to the byte. (Bytes, not time, are asserted.)"""
        first = self.run_sim("--super-seed", "y")
        again = self.run_sim("--super-seed", "y")
        self.assertEqual(first, again, "the same simulated swarm ran differently")
        plain = self.run_sim("--super-seed", "n")
        self.assertEqual((first["done"], plain["done"]), (8, 8))
        self.assertLess(first["server_payload_xS"], 1.2, first)
        self.assertGreater(plain["server_payload_xS"], first["server_payload_xS"] + 0.2, plain)


if __name__ == "__main__":
    sitest.main()
