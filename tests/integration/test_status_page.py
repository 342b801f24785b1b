#!/usr/bin/env python3
"""The live page in a real browser (Debian's headless Chromium) during a deploy: si_btd, three
si_btagent processes that stay in the swarm seeding after their install, and two SystemImager 4
clients still reporting progress. The page, run with its JavaScript, must list every node with
its state and draw both plots with data; a screenshot is saved into the test's output."""
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

import sitest  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OUTPUT_DIR = os.environ.get("SI_TEST_OUTPUT", os.path.join(sitest.BUILD_DIR, "test-output"))


def chromium(*args, timeout=60):
    """Runs headless Chromium on a throw-away profile; returns stdout."""
    profile = os.path.join(OUTPUT_DIR, "chromium-profile")
    shutil.rmtree(profile, ignore_errors=True)
    cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--user-data-dir=" + profile, "--virtual-time-budget=6000", "--window-size=1500,1100"]
    try:
        r = subprocess.run(cmd + list(args), capture_output=True, timeout=timeout, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return r.stdout.decode(errors="replace")


class StatusPage(unittest.TestCase):
    def setUp(self):
        if CHROMIUM is None:
            self.skipTest("chromium is not installed (scripts/setup-deps.sh installs it)")
        os.makedirs(OUTPUT_DIR, exist_ok=True)
        self.t = sitest.ServerTree(compress="y", images=("golden",), overrides=("site",))
        sitest.make_image_tree(self.t.image_dir("golden"), megabytes=24)
        sitest.write_file(os.path.join(self.t.override_dir("site"), "etc", "hostname"), "node\n")
        self.agents = []
        self.stop = threading.Event()

    def tearDown(self):
        self.stop.set()
        sitest.stop_procs(self.agents)
        self.t.cleanup()

    def si4_client(self, index):
        """A SystemImager 4 client: a report every 0.5 s, its percent climbing slowly."""
        mac = "00.16.3e.00.00.%02x" % index
        percent = 0
        while not self.stop.is_set() and percent < 95:
            line = ("mac=%s:ip=10.9.9.%d:host=legacy%d:os=golden:status=%d:speed=%d\n"
                    % (mac, index, index, percent, 4000 + 900 * index + 37 * percent))
            try:
                with socket.create_connection(("127.0.0.1", self.t.monitor_port), timeout=2) as s:
                    s.sendall(line.encode())
            except OSError:
                pass
            percent += 3
            self.stop.wait(0.5)

    def test_page_shows_the_deploy(self):
        self.t.start()
        self.t.wait_served(["image-golden.tar.gz.torrent", "override-site.tar.gz.torrent"])
        for i in (1, 2):
            threading.Thread(target=self.si4_client, args=(i,), daemon=True).start()
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=golden OVERRIDES=site "
                   "BITTORRENT_TRACKER_PORT=%d BITTORRENT_POLLING_TIME=1 MONITOR_SERVER=127.0.0.1 "
                   "MONITOR_PORT=%d BITTORRENT_SEED_WAIT=y BITTORRENT_UPLOAD_MIN=0 "
                   "BITTORRENT_SEED_MAX=60" % (self.t.tracker_port, self.t.monitor_port))
        addresses = ["127.0.0.%d" % n for n in (2, 3, 4)]
        for a in addresses:
            self.agents.append(sitest.start_agent(self.t.dir, a, cmdline)[0])
        # The deploy is under way: every agent has its install done and still serves its
        # peers; the old clients are part way.
        sitest.wait_for(lambda: all((self.t.node("ip:" + a) or {}).get("phase") in ("imaged", "seeding")
                                    for a in addresses), 120,
                        "the agents imaged and seeding")
        sitest.wait_for(lambda: len(self.t.status(history=True)["nodes"]) == 5, 30, "five nodes")
        # Twelve seconds of reports from the old clients: more than one 10 s bucket of the
        # aggregated plot.
        sitest.wait_for(lambda: self.t.node("00:16:3e:00:00:02")["percent"] >= 72, 60,
                        "the old clients' reports over 12 s")
        self.assertTrue(all(p.poll() is None for p in self.agents), "the agents left the swarm early")

        url = self.t.url("/")
        dom = chromium("--dump-dom", url)
        rows = re.findall(r'<tr class="state-([a-z]+)" data-key="([^"]+)" data-state="[a-z]+">', dom)
        keys = {k: state for state, k in rows}
        for a in addresses:
            self.assertEqual(keys.get("ip:" + a), "done", (a, rows, dom[:2000]))
        self.assertEqual(keys.get("00:16:3e:00:00:01"), "installing", rows)
        self.assertEqual(keys.get("00:16:3e:00:00:02"), "installing", rows)
        self.assertIn('<span data-total="done">done: 3</span>', dom)
        for plot in ("plot-nodes", "plot-total"):
            m = re.search(r'<svg id="%s"[^>]*data-series="(\d+)" data-points="(\d+)"' % plot, dom)
            self.assertIsNotNone(m, "%s was not drawn:\n%s" % (plot, dom[:3000]))
            self.assertGreater(int(m.group(1)), 0, plot)
            self.assertGreater(int(m.group(2)), 1, plot)
        m = re.search(r'<svg id="plot-nodes"[^>]*data-series="(\d+)"', dom)
        self.assertEqual(int(m.group(1)), 5, "one line per node")
        self.assertEqual(dom.count('class="legend-item"'), 5, "a legend entry per node")
        self.assertRegex(dom, r"<path d=\"M[0-9.]+,[0-9.]+ L")  # a line, not a lone point
        self.assertIn("pieces verified", dom)  # the proof, per node
        self.assertNotIn("cannot read the status", dom)

        shot = os.path.join(OUTPUT_DIR, "status-page.png")
        if os.path.exists(shot):
            os.unlink(shot)
        chromium("--screenshot=" + shot, url)
        self.assertTrue(os.path.getsize(shot) > 10000, "no screenshot")
        print("screenshot: %s" % shot, flush=True)

    def test_many_nodes_show_percentiles_and_a_failure_first(self):
        """Past 40 nodes the per-node plot shows the spread (p10, median, p90) instead of a line
        per node, and the table puts a failed node first, before the installing ones."""
        self.t.start()
        self.t.wait_served(["image-golden.tar.gz.torrent"])

        def report(i, percent):
            status = -7 if i == 45 else percent  # node 45 fails: a negative status
            line = ("mac=00.16.3e.00.01.%02x:ip=10.9.8.%d:host=n%02d:os=golden:status=%d:speed=%d"
                    % (i, i, i, status, 2000 + 50 * i))
            if i == 45:  # with its console (MONITOR_CONSOLE=y)
                line += ":error=disks - no disk:log=looking for disks | warning - none found"
            line += "\n"
            with socket.create_connection(("127.0.0.1", self.t.monitor_port), timeout=2) as s:
                s.sendall(line.encode())

        for percent in (10, 20, 30):
            for i in range(1, 46):
                report(i, percent)
            time.sleep(1)
        sitest.wait_for(lambda: len(self.t.status()["nodes"]) == 45, 30, "45 nodes")
        dom = chromium("--dump-dom", self.t.url("/"))
        m = re.search(r'<svg id="plot-nodes"[^>]*data-series="(\d+)"', dom)
        self.assertIsNotNone(m, dom[:3000])
        self.assertEqual(int(m.group(1)), 3, "p10, median and p90, not 45 lines")
        self.assertIn("median of 45 nodes", dom)
        rows = re.findall(r'<tr class="state-([a-z]+)" data-key="([^"]+)"', dom)
        self.assertEqual(len(rows), 45, rows)
        self.assertEqual(rows[0], ("failed", "00:16:3e:00:01:2d"), rows[:3])
        self.assertEqual({state for state, _ in rows[1:]}, {"installing"})
        # The failed node's console, folded under its error, a line per log line.
        self.assertIn('<summary>console</summary><pre>looking for disks\nwarning - none found</pre>',
                      dom)


if __name__ == "__main__":
    sitest.main()
