#!/usr/bin/env python3
"""The operator's view, end to end on loopback: si_btd, three si_btagent processes (each on its
own 127.0.0.N), one agent that fails, and one plain sender of SystemImager 4.x monitor lines.
/status.json and /metrics must say who is done (with the proof of a whole install), who failed
and why, who claimed 100 without proof; garbage and floods are dropped without slowing the
daemon; the node table survives a restart."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

import sitest  # noqa: E402
from exit_codes import AGENT, SERVER  # noqa: E402

SI4_MAC = "00.16.3e.0a.0b.0c"


def send_line(port, data, address="127.0.0.1"):
    """One report the way SystemImager 4 clients send it: connect, write, close."""
    with socket.create_connection((address, port), timeout=5) as s:
        s.sendall(data if isinstance(data, bytes) else data.encode())


def si4_line(status, speed=0):
    return ("mac=%s:ip=10.9.9.9:host=legacy4:cpu=Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz:ncpus=16:"
            "kernel=2.6.32-5-amd64:mem=66000000:os=golden:tmpfs=12:time=130:status=%d:speed=%d\n"
            % (SI4_MAC, status, speed))


class OperatorView(unittest.TestCase):
    def setUp(self):
        self.t = sitest.ServerTree(compress="y", images=("golden",), overrides=("site",))
        self.src = sitest.make_image_tree(self.t.image_dir("golden"), megabytes=24)
        sitest.write_file(os.path.join(self.t.override_dir("site"), "etc", "hostname"), "node\n")
        self.agents = []

    def tearDown(self):
        sitest.stop_procs(self.agents)
        self.t.cleanup()

    def cmdline(self, image="golden", console=False):
        return ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=%s OVERRIDES=site "
                "BITTORRENT_TRACKER_PORT=%d BITTORRENT_POLLING_TIME=1 MONITOR_SERVER=127.0.0.1 "
                "MONITOR_PORT=%d%s" % (image, self.t.tracker_port, self.t.monitor_port,
                                       " MONITOR_CONSOLE=y" if console else ""))

    def metrics(self):
        code, body = sitest.http_get(self.t.url("/metrics"))
        self.assertEqual(code, 200)
        return body.decode()

    def by_key(self, doc):
        return {n["key"]: n for n in doc["nodes"]}

    def test_a_deploy_as_the_operator_sees_it(self):
        server = self.t.start()
        self.t.wait_served(["image-golden.tar.gz.torrent", "override-site.tar.gz.torrent"])
        # The old client starts: it is on the page before any agent.
        send_line(self.t.monitor_port, si4_line(0))
        send_line(self.t.monitor_port, si4_line(37, 11800))
        sitest.wait_for(lambda: self.t.node(SI4_MAC) is not None, 10, "the SystemImager 4 node")
        self.assertEqual(self.t.node(SI4_MAC)["state"], "installing")
        self.assertEqual(self.t.node(SI4_MAC)["percent"], 37)

        addresses = ["127.0.0.%d" % n for n in range(2, 5)]
        procs = [sitest.start_agent(self.t.dir, a, self.cmdline())[0] for a in addresses]
        failing = sitest.start_agent(self.t.dir, "127.0.0.9", self.cmdline(image="nosuchimage",
                                                                      console=True))[0]
        self.agents += procs + [failing]

        # While they run, the page shows them (a deploy of 24 MiB on loopback may be quick:
        # any state of theirs will do, as long as each appears).
        sitest.wait_for(lambda: all(("ip:" + a) in self.by_key(self.t.status()) for a in addresses),
                        60, "every agent on /status.json")
        for p in procs:
            out = p.communicate(timeout=240)[0].decode(errors="replace")
            self.assertEqual(p.returncode, 0, out)
        out = failing.communicate(timeout=60)[0].decode(errors="replace")
        self.assertEqual(failing.returncode, AGENT.unknown_image, out)
        # The old client ends by claiming 100: it has no proof to send.
        send_line(self.t.monitor_port, si4_line(100))
        # Garbage, an oversize line and a line with a control byte are dropped and counted.
        send_line(self.t.monitor_port, "GET / HTTP/1.0\r\n\r\n")
        send_line(self.t.monitor_port, "mac=00.16.3e.0a.0b.0d:host=" + "x" * 5000 + "\n")
        send_line(self.t.monitor_port, b"mac=00.16.3e.0a.0b.0e:host=a\x07b:status=5\n")

        def final():
            doc = self.t.status(history=True)
            nodes = self.by_key(doc)
            done = [nodes.get("ip:" + a, {}).get("phase") == "done" for a in addresses]
            return all(done) and "ip:127.0.0.9" in nodes and nodes.get(
                "00:16:3e:0a:0b:0c", {}).get("status") == 100 and doc["server"]["monitor"]["rejected"] >= 3
        sitest.wait_for(final, 20, "the final reports")
        doc = self.t.status(history=True)
        nodes = self.by_key(doc)
        print(json.dumps(doc["summary"]), flush=True)
        for a in addresses:
            n = nodes["ip:" + a]
            self.assertEqual(n["state"], "done", n)
            self.assertEqual(n["image"], "golden")
            self.assertEqual(n["ip"], a)
            proof = n["proof"]
            self.assertTrue(proof["complete"], n)
            self.assertGreater(proof["pieces_total"], 0)
            self.assertEqual(proof["pieces_verified"], proof["pieces_total"])
            self.assertTrue(proof["archive_end"])
            self.assertEqual((proof["overrides_applied"], proof["overrides_fetched"]), (1, 1))
            self.assertGreater(proof["entries"], 0)
            self.assertGreaterEqual(proof["bytes"], 24 * 1024 * 1024)
            statuses = [s[3] for s in n["history"]]
            self.assertEqual(statuses[0], 0, statuses)
            self.assertEqual(statuses[-1], 100, statuses)
            self.assertIsNotNone(n["finished"])
        failed = nodes["ip:127.0.0.9"]
        self.assertEqual(failed["state"], "failed")
        self.assertEqual(failed["status"], -AGENT.unknown_image)
        self.assertIn("nosuchimage", failed["error"])
        # MONITOR_CONSOLE=y: the failure came with the agent's last log lines; the others
        # did not ask for it.
        self.assertRegex(failed["console"], r"installing image nosuchimage from 127\.0\.0\.1")
        for a in addresses:
            self.assertEqual(nodes["ip:" + a]["console"], "")
        old = nodes["00:16:3e:0a:0b:0c"]
        self.assertEqual(old["state"], "unverified", old)
        self.assertEqual(old["cpu"], "Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz")
        self.assertEqual(old["mem_kb"], 66000000)
        self.assertNotIn("00:16:3e:0a:0b:0d", nodes)
        self.assertNotIn("00:16:3e:0a:0b:0e", nodes)
        self.assertEqual(doc["summary"], {"nodes": 5, "done": 3, "installing": 0, "stuck": 0,
                                          "failed": 1, "unverified": 1})
        image = [i for i in doc["images"] if i["name"] == "golden"][0]
        self.assertEqual(image["nodes"]["done"], 3)
        # The server sent at least one whole copy; the nodes downloaded three in all.
        self.assertGreaterEqual(image["server_bytes"], image["size_bytes"] * 0.9)
        self.assertGreater(image["server_bytes"] + image["peer_bytes"], 2 * image["size_bytes"])
        self.assertIsNotNone(image["swarm_ratio"])
        m = self.metrics()
        self.assertIn('si_btd_nodes{image="golden",state="done"} 3\n', m)
        self.assertIn('si_btd_nodes{image="golden",state="failed"} 0\n', m)
        self.assertIn('si_btd_nodes{image="nosuchimage",state="failed"} 1\n', m)
        self.assertIn('si_btd_nodes{image="golden",state="unverified"} 1\n', m)
        self.assertRegex(m, r'si_btd_monitor_reports_total\{result="rejected"\} [3-9]')
        self.assertRegex(m, r"si_btd_announces_total [1-9]")
        self.assertIn('si_btd_packs_total{result="made"} 2\n', m)
        with open(self.t.log) as f:
            log = f.read()
        self.assertIn("monitor report: no mac= field", log)
        self.assertRegex(log, r"at 127\.0\.0\.9 failed, status -6: fetch torrent - image 'nosuchimage'")
        # Each node's end is logged once, though it reports 100 more than once.
        self.assertEqual(len(re.findall(r"at 127\.0\.0\.2 reports status 100 with the proof", log)), 1, log)

        # The console view: the same nodes, the failed one first, from the config's address.
        status_cmd = os.path.join(sitest.BUILD_DIR, "src", "server", "si_btstatus")
        r = subprocess.run([status_cmd, "--config", self.t.bt_conf, "--once"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [line for line in r.stdout.splitlines() if re.search(r"\[[#.]+\] +\d+%", line)]
        self.assertEqual(len(rows), 5, r.stdout)
        self.assertRegex(rows[0], r"ip:127\.0\.0\.9 .* failed .*error -6: fetch torrent - image 'nosuchimage'")
        self.assertEqual(len([x for x in rows if " done " in x and "verified: " in x]), 3, r.stdout)
        self.assertRegex(r.stdout, r"5 of 5 nodes: done 3, installing 0, stuck 0, failed 1, unverified 1")
        closed = sitest.free_port()
        r = subprocess.run([status_cmd, "--url", "http://127.0.0.1:%d" % closed, "--once"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, SERVER.unreachable, r.stderr)
        self.assertIn("Connection refused", r.stderr)

        # A restart keeps what the page knows (saved next to BT_TRACKER_STATE).
        sitest.wait_for(lambda: os.path.exists(self.t.state + ".nodes"), 15, "the node table file")
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        self.t.start()
        sitest.wait_for(lambda: self.t.status() is not None, 30, "si_btd back")
        again = self.by_key(self.t.status())
        self.assertEqual(sorted(again), sorted(nodes))
        self.assertEqual(again["ip:127.0.0.2"]["state"], "done")
        self.assertEqual(again["ip:127.0.0.9"]["state"], "failed")

    def test_b_flood_and_silence_cannot_stop_the_daemon(self):
        self.t.start()
        self.t.wait_served(["image-golden.tar.gz.torrent", "override-site.tar.gz.torrent"])
        # 400 connections that never send a byte: more than the listener keeps open.
        silent = []
        for _ in range(400):
            s = socket.socket()
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", self.t.monitor_port))
                silent.append(s)
            except OSError:
                s.close()
        try:
            started = time.monotonic()
            code, _ = sitest.http_get(self.t.url("/status.json"), timeout=5)
            self.assertEqual(code, 200)
            code, _ = sitest.http_get(self.t.url("/announce?info_hash=x"), timeout=5)
            self.assertEqual(code, 200)
            print("tracker answered during the flood in %.3f s" % (time.monotonic() - started))
            # Once the silent ones are closed (bounded read time), reports get through again.
            sitest.wait_for(lambda: (send_line(self.t.monitor_port,
                                               "mac=02.00.00.00.00.01:os=golden:status=3\n")
                                     or self.t.node("02:00:00:00:00:01") is not None), 30,
                            "a report after the flood")
        finally:
            for s in silent:
                s.close()
        # An endless line is cut at the limit; the daemon stays up.
        with socket.create_connection(("127.0.0.1", self.t.monitor_port), timeout=5) as s:
            try:
                for _ in range(64):
                    s.sendall(b"m" * 1024)
            except OSError:
                pass  # closed by si_btd at the limit
        sitest.wait_for(lambda: self.t.status()["server"]["monitor"]["rejected"] >= 1, 10,
                        "the endless line counted as rejected")

    def test_c_monitor_port_taken_is_a_warning_not_a_failure(self):
        blocker = socket.socket()
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", self.t.monitor_port))
        blocker.listen(1)
        try:
            p = self.t.start()
            self.t.wait_served(["image-golden.tar.gz.torrent", "override-site.tar.gz.torrent"])
            doc = self.t.status()
            self.assertIsNone(doc["server"]["monitor"]["address"])
            with open(self.t.log) as f:
                self.assertRegex(f.read(), r"monitor: bind 127\.0\.0\.1:%d: Address already in use"
                                 % self.t.monitor_port)
            self.assertIsNone(p.poll())
        finally:
            blocker.close()


if __name__ == "__main__":
    sitest.main()
