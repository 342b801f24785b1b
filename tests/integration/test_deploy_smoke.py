#!/usr/bin/env python3
"""Smoke run of the deployment benchmark (bench/deploy/run): two nodes, a tiny image, the three
transports. Checks that it runs, cleans up after itself and writes its tables and plots; it
asserts no timing (speed is the benchmark's business, not a test's). Needs root, network
namespaces and the benchmark's tools; skips when they are missing."""
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
RUN = os.path.join(SOURCE_DIR, "bench", "deploy", "run")
TOOLS = ("ip", "tc", "curl", "aria2c", "opentracker", "mktorrent", "gnuplot", "tar", "zstd")
TRANSPORTS = ("ours", "unicast", "handbuilt")


def namespaces():
    """bench/deploy's network namespaces ("sidb<pid>-..."): other tests running beside this
    one make namespaces of their own, which are theirs to remove."""
    out = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.startswith("sidb")}


def deploy_mounts():
    """The mount points of bench/deploy's tmpfs ("si-deploy"), of this run or of another one
    running beside it."""
    with open("/proc/mounts") as f:
        return {line.split()[1] for line in f if line.split()[0] == "si-deploy"}


@unittest.skipUnless(os.geteuid() == 0, "needs root (network namespaces, tc, tmpfs)")
@unittest.skipIf([t for t in TOOLS if shutil.which(t) is None],
                 "missing tools: %s" % " ".join(t for t in TOOLS if shutil.which(t) is None))
class DeploySmoke(unittest.TestCase):
    def run_bench(self, args, timeout):
        """Runs bench/deploy/run with `args` into a new results directory; checks that it
        exits 0 and leaves no namespace or tmpfs mount behind. Returns (process, results
        directory, results.json)."""
        out = tempfile.mkdtemp(prefix="si-deploy-smoke-")
        self.addCleanup(shutil.rmtree, out, True)
        before = namespaces()
        mounts_before = deploy_mounts()
        p = subprocess.run([sys.executable, RUN] + args + ["--build-dir", BUILD_DIR, "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        self.assertEqual(p.returncode, 0, p.stdout)
        # Everything it created is gone again.
        self.assertEqual(namespaces() - before, set(), "namespaces left behind")
        self.assertEqual(deploy_mounts() - mounts_before, set(), "tmpfs mounts left behind")
        with open(os.path.join(out, "results.json")) as f:
            return p, out, json.load(f)

    def test_two_nodes_tiny_image(self):
        # Queues sized in time (bfifo); the default, in packets, is pfifo as before.
        p, out, res = self.run_bench(["--nodes", "2", "--size", "4M", "--rate", "100mbit",
                                      "--queue", "100ms", "--timeout", "60", "--limits"], 180)
        # 100 ms at 100 Mbit/s: 1.25 MB in front of each link direction.
        self.assertEqual(res["queue"], {"kind": "bytes", "limit": 1250000, "given": "100ms"})
        # Every host used the congestion control Debian's kernel does, whatever this host's.
        self.assertTrue(res["cc"].startswith("cubic"), res["cc"])
        rows = {r["transport"]: r for r in res["results"]}
        self.assertEqual(set(rows), set(TRANSPORTS))
        for name, r in rows.items():
            self.assertEqual(r["nodes"], 2)
            # A run is a result or flagged, never silently wrong; failures are not expected.
            self.assertIn(r["flag"], ("ok", "CPU-BOUND"), (name, r["failures"], p.stdout))
            self.assertGreater(r["total_s"], 0)
            self.assertLessEqual(r["done_min_s"], r["done_max_s"])
            # Every node received at least the image; the server sent at least one copy.
            self.assertGreaterEqual(r["nodes_rx_bytes"], 2 * res["S_bytes"])
            self.assertGreaterEqual(r["server_tx_xS"], 1.0)
            # A node's download shaper charged at least the tarball (plus every segment's
            # headers), and its link was busy part of the time.
            self.assertGreaterEqual(r["shaped_xS_median"], 1.0, name)
            self.assertGreater(r["shaped_busy_min"], 0, name)
            self.assertLessEqual(r["shaped_busy_min"], 1.05, name)
            # Each node's own CPU group counted its download and unpack.
            self.assertGreater(r["node_cpu_s_median"], 0, name)
            self.assertGreaterEqual(r["node_cpu_s_max"], r["node_cpu_s_median"], name)
            for png in r["plots"]:
                self.assertGreater(os.path.getsize(os.path.join(out, png)), 1000, png)
        with open(os.path.join(out, "results.md")) as f:
            md = f.read()
        self.assertIn("| transport | N | total s | x S/R |", md)
        for name in TRANSPORTS:
            self.assertRegex(md, r"\| %s \| 2 \| " % name)
            for kind in ("rate", "aggregate"):
                self.assertTrue(os.path.exists(os.path.join(out, "%s-%s-n2.png" % (kind, name))))
        # --limits: the machine's own steps on the same tarball, and each run against them.
        self.assertRegex(md, r"\| SHA-1 \(OpenSSL, as libtorrent\) \| [0-9]+ \| ")
        self.assertRegex(md, r"\| tar -x \(decompress and write the files\) \| [0-9]+ \| ")
        for name in TRANSPORTS:
            self.assertRegex(md, r"\| %s \| 2 \| [0-9.]+ \| [0-9]+ \| [0-9]+ %% \|" % name)

    @unittest.skipIf(shutil.which("rsync") is None, "missing tools: rsync")
    def test_delta_from_an_older_version(self):
        """--from v1 --content v2: nodes hold v1 as our agent installed it; ours reimages them
        to v2 (delta-ready image), alone and with one node blank in the same swarm, and rsync
        does it the si_updateclient way. Every root must end equal to v2 item by item (the
        benchmark checks and flags FAILED otherwise); a delta node receives less than the
        image."""
        work = tempfile.mkdtemp(prefix="si-deploy-smoke-trees-")
        self.addCleanup(shutil.rmtree, work, True)
        v1, v2 = os.path.join(work, "v1"), os.path.join(work, "v2")
        sitest.make_image_tree(v1, special=False, megabytes=3)
        subprocess.run(["cp", "-a", v1, v2], check=True)
        sitest.write_file(os.path.join(v2, "usr", "lib", "new.so"), os.urandom(300000).hex(),
                          0o644)
        victims = sorted(os.path.join(d, f) for d, _, fs in os.walk(v2) for f in fs)
        os.unlink(victims[0])
        with open(victims[-1], "ab") as f:
            f.write(b"changed in v2\n")
        p, out, res = self.run_bench(["--nodes", "2", "--rate", "100mbit", "--content", v2,
                                      "--from", v1, "--blank", "0,0.5", "--transports",
                                      "ours,rsync", "--timeout", "90"], 400)
        rows = {(r["transport"], r["blank_nodes"]): r for r in res["results"]}
        self.assertEqual(set(rows), {("ours", 0), ("ours", 1), ("rsync", 0)})
        for key, r in rows.items():
            self.assertIn(r["flag"], ("ok", "CPU-BOUND"), (key, r["failures"], p.stdout))
            self.assertEqual(r["nodes_done"], 2, key)
            self.assertEqual(r["held"], "v1")
            self.assertGreater(r["delta"]["entries"], 0)
        # Our delta nodes received less than the image (payload, from their own logs).
        self.assertLess(rows[("ours", 0)]["agent_payload_max_bytes"], res["S_bytes"])
        with open(os.path.join(out, "results.md")) as f:
            md = f.read()
        self.assertIn("Δ v1 -> image:", md)
        self.assertRegex(md, r"\| ours from v1, 1 blank \| 2 \| 1 \| ")
        self.assertRegex(md, r"\| rsync from v1 \| 2 \| 0 \| ")

    def test_two_servers_and_the_first_killed(self):
        """--servers 1,2 --faults kill-others@0: a run from one server, one from two, and one
        from two whose first (every agent's first choice) is SIGKILLed before the nodes
        start: the agents fail over to the second and every root is whole. The hand-built
        stack runs from one and from two aria2c seeders (faults are ours only)."""
        p, out, res = self.run_bench(["--nodes", "2", "--size", "4M", "--rate", "100mbit",
                                      "--transports", "ours,handbuilt", "--servers", "1,2",
                                      "--faults", "kill-others@0", "--timeout", "90"], 400)
        rows = {(r["transport"], r["servers"], r["fault"]): r for r in res["results"]}
        self.assertEqual(set(rows), {("ours", 1, None), ("ours", 2, None),
                                     ("ours", 2, "kill-others@0"), ("handbuilt", 1, None),
                                     ("handbuilt", 2, None)})
        for key, r in rows.items():
            self.assertIn(r["flag"], ("ok", "CPU-BOUND"), (key, r["failures"], p.stdout))
            self.assertEqual(r["nodes_done"], 2, key)
        # Both of the hand-built stack's seeders announced before its nodes started (the run
        # waits for two seeders in opentracker's scrape) and each ran in its own namespace.
        logs = os.path.join(out, "logs")
        for seeder in ("handbuilt-k2-aria2c-seeder.log", "handbuilt-k2-aria2c-seeder2.log"):
            self.assertTrue(os.path.exists(os.path.join(logs, seeder)), seeder)
        killed = rows[("ours", 2, "kill-others@0")]
        self.assertEqual(killed["fault_at_s"], 0.0)
        # Each agent names the server that served its .torrent: in the faulted run (its logs
        # are its own), the second.
        logs = os.path.join(out, "logs")
        for k in (1, 2):
            with open(os.path.join(logs, "ours-k2-kill-others@0-node%02d.log" % k)) as f:
                log = f.read()
            self.assertRegex(log, r"\.torrent from image server 10\.77\.0\.2:", log[-2000:])
            self.assertNotRegex(log, r"\.torrent from image server 10\.77\.0\.1:")
        with open(os.path.join(out, "results.md")) as f:
            md = f.read()
        self.assertRegex(md, r"\| ours k=2 kill-others@0 \| 2 \| ")
        self.assertRegex(md, r"\| handbuilt k=2 \| 2 \| ")
        self.assertIn("before the nodes started", md)

    def test_bad_fault_is_refused_before_anything_is_made(self):
        before = namespaces()
        p = subprocess.run([sys.executable, RUN, "--nodes", "2", "--servers", "2", "--faults",
                            "explode@0.5", "--build-dir", BUILD_DIR],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("unknown fault 'explode'", p.stdout)
        self.assertEqual(len(p.stdout.strip().splitlines()), 1, p.stdout)
        self.assertEqual(namespaces() - before, set())

    def test_bad_queue_is_refused_before_anything_is_made(self):
        before = namespaces()
        mounts_before = deploy_mounts()
        p = subprocess.run([sys.executable, RUN, "--nodes", "2", "--queue", "lots",
                            "--build-dir", BUILD_DIR],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--queue 'lots'", p.stdout)
        self.assertEqual(len(p.stdout.strip().splitlines()), 1, p.stdout)
        self.assertEqual(namespaces() - before, set())
        self.assertEqual(deploy_mounts() - mounts_before, set())


if __name__ == "__main__":
    sitest.main()
