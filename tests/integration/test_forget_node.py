#!/usr/bin/env python3
"""Forgetting a node: `si_btstatus --forget NODE` on the image server drops a node from si_btd's
table, its page and its saved state; the same request from another host is refused (403) and
changes nothing. Runs in two network namespaces the test makes: the server's (si_btd on a veth
address, si_btstatus beside it) and a node's (10.77.x.2), joined by a veth pair."""
import os
import shutil
import socket
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

import netns  # noqa: E402
import sitest  # noqa: E402
from exit_codes import SERVER  # noqa: E402

SI_BTSTATUS = os.path.join(sitest.BUILD_DIR, "src", "server", "si_btstatus")


def ip(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + ["ip"] + list(args)
    subprocess.run(cmd, check=True, capture_output=True)


class TwoNamespaces:
    """The server's namespace (this process enters it, so si_btd and si_btstatus run there) and
    a node's, joined by a veth pair: server 10.77.N.1, node 10.77.N.2."""

    def __init__(self):
        tag = os.getpid() % 200 + 20
        self.server_ns = "si-fgs-%d" % os.getpid()
        self.node_ns = "si-fgn-%d" % os.getpid()
        self.server_ip = "10.77.%d.1" % tag
        self.node_ip = "10.77.%d.2" % tag
        self.entered = None
        made = []
        try:
            for ns in (self.server_ns, self.node_ns):
                subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
                made.append(ns)
            ip("link", "add", "fg0", "type", "veth", "peer", "name", "fg1", ns=self.server_ns)
            ip("link", "set", "fg1", "netns", self.node_ns, ns=self.server_ns)
            ip("addr", "add", self.server_ip + "/24", "dev", "fg0", ns=self.server_ns)
            ip("addr", "add", self.node_ip + "/24", "dev", "fg1", ns=self.node_ns)
            for ns, dev in ((self.server_ns, "fg0"), (self.node_ns, "fg1")):
                ip("link", "set", "lo", "up", ns=ns)
                ip("link", "set", dev, "up", ns=ns)
            self.entered = netns.EnteredNamespace(self.server_ns)
        except Exception:
            self.made = made
            self.close()
            raise
        self.made = made

    def close(self):
        if self.entered is not None:
            self.entered.leave()
            self.entered = None
        for ns in getattr(self, "made", []):
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True)


def send_report(port, address, line):
    with socket.create_connection((address, port), timeout=5) as s:
        s.sendall(line.encode())


class ForgetNode(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0 or shutil.which("ip") is None:
            self.skipTest("needs root and iproute2 (ip) for network namespaces of its own")
        try:
            self.ns = TwoNamespaces()
        except (OSError, subprocess.CalledProcessError) as e:
            self.skipTest("cannot make network namespaces: %s" % e)
        self.addCleanup(self.ns.close)
        self.t = sitest.ServerTree(address=self.ns.server_ip, images=("golden",))
        self.addCleanup(self.t.cleanup)
        sitest.make_image_tree(self.t.image_dir("golden"), special=False, megabytes=2)

    def btstatus(self, *args):
        p = subprocess.run([SI_BTSTATUS, "--url", self.t.url("")] + list(args),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def report(self, mac, host, status):
        send_report(self.t.monitor_port, self.ns.server_ip,
                    "mac=%s:host=%s:os=golden:status=%d\n" % (mac, host, status))

    def keys(self):
        return sorted(n["key"] for n in self.t.status()["nodes"])

    def test_forget_from_the_server_only(self):
        self.t.start()
        self.t.wait_served(["image-golden.tar.torrent"])
        self.report("52.54.00.77.00.01", "n1", 40)
        self.report("52.54.00.77.00.02", "n2", 100)
        self.report("52.54.00.77.00.03", "n3", -1)
        sitest.wait_for(lambda: len(self.keys()) == 3, 20, "three nodes in /status.json")

        # From the node's namespace: refused, nothing forgotten.
        probe = ("import urllib.request, urllib.error, sys\n"
                 "req = urllib.request.Request(%r, data=b'', method='POST')\n"
                 "try:\n"
                 "    urllib.request.urlopen(req, timeout=5)\n"
                 "    print(200)\n"
                 "except urllib.error.HTTPError as e:\n"
                 "    print(e.code, e.read().decode().strip())\n"
                 % self.t.url("/nodes/forget?node=n1"))
        p = subprocess.run(["ip", "netns", "exec", self.ns.node_ns, sys.executable, "-c", probe],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        print("POST from %s: %s" % (self.ns.node_ip, p.stdout.strip()))
        self.assertTrue(p.stdout.startswith("403 "), p.stdout)
        self.assertIn("only from the image server itself", p.stdout)
        self.assertEqual(len(self.keys()), 3)
        self.assertIn("refused a command from " + self.ns.node_ip, self.t.log_text())

        # From the server (si_btstatus connects to BT_INTERFACE's address): by hostname.
        code, out, err = self.btstatus("--forget", "n1")
        self.assertEqual(code, SERVER.ok, err)
        self.assertEqual(out, "forgot 52:54:00:77:00:01\n")
        self.assertEqual(self.keys(), ["52:54:00:77:00:02", "52:54:00:77:00:03"])
        self.assertIn("monitor: forgot node 52:54:00:77:00:01 (asked by %s)" % self.ns.server_ip,
                      self.t.log_text())
        # By MAC, in pxelinux's spelling.
        code, out, err = self.btstatus("--forget", "52-54-00-77-00-03")
        self.assertEqual(code, SERVER.ok, err)
        self.assertEqual(self.keys(), ["52:54:00:77:00:02"])
        # Nothing by that name (any more): one line, its own exit code.
        code, out, err = self.btstatus("--forget", "n1")
        self.assertEqual(code, SERVER.not_found)
        self.assertEqual(out, "")
        self.assertEqual(err, "si_btstatus: no node known as 'n1'\n")
        code, out, err = self.btstatus("--forget", "")
        self.assertEqual(code, SERVER.usage)

        # The saved table no longer holds them: a restart brings back only n2.
        btd = self.t.procs[-1]
        btd.terminate()
        btd.wait(30)
        self.t.start()
        self.t.wait_served(["image-golden.tar.torrent"])
        self.assertEqual(self.keys(), ["52:54:00:77:00:02"])
        # A forgotten node that reports again is back, as a new record.
        self.report("52.54.00.77.00.01", "n1", 10)
        sitest.wait_for(lambda: "52:54:00:77:00:01" in self.keys(), 20, "n1 back after a report")


if __name__ == "__main__":
    unittest.main()
