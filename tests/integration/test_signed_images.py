#!/usr/bin/env python3
"""Nothing unauthenticated reaches a node's disk (issue 33). si_btd signs each .torrent and the
image's disk layout with its key (BT_SIGNING_KEY, made by si_btkey); an agent that trusts that
key (--trusted-keys, where build-initrd --trust-key puts it in the initrd) refuses, with exit
14 and one line, before a byte of its disk changes:
  - a rogue si_btd answering with its own image signed by another key;
  - a replayed .torrent, signed by the right key but for another image name;
  - a layout altered in transit (a proxy between node and server changes one size);
  - a .torrent whose signature was stripped.
Reports to the monitor carry an HMAC under the cluster key (BT_MONITOR_KEY): a forged one
(no HMAC, or a wrong one) is shown as unauthenticated and neither counts the node done nor
switches its boot file, while the same report sealed with the key does. A good signed install
still passes, and minisign itself verifies what si_btd signed (when installed). Needs root
(loop devices) and the disk tools of scripts/setup-deps.sh; skips without them."""
import hashlib
import hmac
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest
import urllib.request

import sitest  # noqa: E402

from exit_codes import AGENT  # noqa: E402

TIMEOUT = 120  # s for a few MiB on loopback; a bound, not a speed assertion
TOOLS = ("losetup", "sfdisk", "mkfs.ext4", "blkid")
SI_BTKEY = os.path.join(sitest.BUILD_DIR, "src", "server", "si_btkey")
UNTRUSTED = AGENT.untrusted

LAYOUT = """<config>
  <disk dev="/dev/sda" label_type="msdos" unit_of_measurement="MB">
    <part num="1" size="*" p_type="primary" p_name="-" flags="boot" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda1" mp="/" fs="ext4" options="defaults" dump="0" pass="1" />
</config>
"""
GHOST_MAC = "52:54:00:5e:00:33"  # listed in nodes.conf; only the test's reports speak for it


def btkey(*args):
    r = subprocess.run([SI_BTKEY] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("si_btkey %s: exit %d: %s" % (args, r.returncode, r.stderr))
    return r.stdout


class Proxy:
    """An HTTP server on loopback standing between the node and si_btd: it forwards each GET
    and lets a test replace the answer of given paths (bytes, or None for 404)."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.replace = {}
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path in proxy.replace:
                    body, status = proxy.replace[self.path], 200
                else:
                    status, body = sitest.http_get(proxy.upstream + self.path, timeout=10)
                if body is None:
                    status, body = 404, b"not found\n"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class LoopDisk:
    """A file attached as a loop device, its first MiB random (so a write shows)."""

    def __init__(self, directory, mib=48):
        self.file = os.path.join(directory, "disk.raw")
        with open(self.file, "wb") as f:
            f.write(os.urandom(1 << 20))
            f.truncate(mib << 20)
        r = subprocess.run(["losetup", "-P", "-f", "--show", self.file], capture_output=True,
                           text=True, check=True)
        self.dev = r.stdout.strip()

    def first_mib(self):
        with open(self.dev, "rb") as f:
            return hashlib.sha256(f.read(1 << 20)).hexdigest()

    def close(self):
        subprocess.run(["umount", "-R", self.dev], capture_output=True)
        subprocess.run(["losetup", "-d", self.dev], capture_output=True)


class SignedImages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (loop devices)")
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            raise unittest.SkipTest("needs " + " ".join(missing) + " (scripts/setup-deps.sh)")
        if subprocess.run(["losetup", "-f"], capture_output=True).returncode != 0:
            raise unittest.SkipTest("no free loop device here")
        cls.keys = tempfile.mkdtemp(prefix="si-keys-")
        for name in ("server", "rogue"):
            btkey("signing", "--key", os.path.join(cls.keys, name + ".key"))
        btkey("monitor", "--key", os.path.join(cls.keys, "monitor.key"))
        with open(os.path.join(cls.keys, "monitor.key")) as f:
            cls.monitor_key = bytes.fromhex(f.read().strip())
        # The initrd's view: only the server's public key.
        cls.trusted = os.path.join(cls.keys, "trusted")
        os.makedirs(cls.trusted)
        shutil.copy(os.path.join(cls.keys, "server.pub"), cls.trusted)

        cls.t = sitest.ServerTree(images=("demo", "other"), extra=(
            "BT_SIGNING_KEY=%s\nBT_MONITOR_KEY=%s\n"
            % (os.path.join(cls.keys, "server.key"), os.path.join(cls.keys, "monitor.key"))))
        cls.rogue = sitest.ServerTree(images=("demo",), extra=(
            "BT_SIGNING_KEY=%s\n" % os.path.join(cls.keys, "rogue.key")))
        # Per-node boot for the forged-report test: the ghost node is listed, to install demo.
        cls.tftp = os.path.join(cls.t.dir, "tftp")
        os.makedirs(os.path.join(cls.tftp, "pxelinux.cfg"))
        shutil.copy(os.path.join(sitest.SOURCE_DIR, "etc", "pxelinux.cfg", "syslinux.cfg"),
                    os.path.join(cls.tftp, "pxelinux.cfg", "default"))
        with open(cls.t.si_conf, "a") as f:
            f.write("TFTP_DIR = %s\nNET_BOOT_DEFAULT = local\n" % cls.tftp)
        with open(os.path.join(cls.t.dir, "etc", "nodes.conf"), "w") as f:
            f.write("ghost %s demo rack1\n" % GHOST_MAC)
        for tree, names in ((cls.t, ("demo", "other")), (cls.rogue, ("demo",))):
            for name in names:
                root = tree.image_dir(name)
                sitest.make_image_tree(root, special=False, megabytes=1)
                sitest.write_file(os.path.join(root, "etc", "systemimager",
                                               "autoinstallscript.conf"), LAYOUT)
            tree.start()
        cls.t.wait_served(["image-demo.tar.torrent", "image-other.tar.torrent"])
        cls.rogue.wait_served(["image-demo.tar.torrent"])

    @classmethod
    def tearDownClass(cls):
        for tree in ("t", "rogue"):
            if hasattr(cls, tree):
                getattr(cls, tree).cleanup()
        if hasattr(cls, "keys"):
            shutil.rmtree(cls.keys, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.t.dir)
        self.disk = LoopDisk(self.dir)
        self.addCleanup(self.disk.close)

    def install(self, address, port=None):
        """si_btagent --prepare-disks of image demo from `port` (default: si_btd's), trusting
        the server's key and reporting with the cluster key. Returns (exit code, output)."""
        cmdline = ("BITTORRENT=y IMAGESERVER=127.0.0.1 IMAGENAME=demo BITTORRENT_TRACKER_PORT=%d "
                   "BITTORRENT_POLLING_TIME=1 SI_DISK_MAP=/dev/sda=%s SI_DISK_WAIT=0 "
                   "MONITOR_SERVER=127.0.0.1 MONITOR_PORT=%d"
                   % (port or self.t.tracker_port, self.disk.dev, self.t.monitor_port))
        os.makedirs(os.path.join(self.t.dir, "node-" + address), exist_ok=True)
        p, _ = sitest.start_agent(self.t.dir, address, cmdline, root=os.path.join(self.dir, "a"),
                                  staging=os.path.join(self.dir, "staging"),
                                  extra_args=("--prepare-disks", "--trusted-keys", self.trusted,
                                              "--monitor-key",
                                              os.path.join(self.keys, "monitor.key")))
        try:
            out = p.communicate(timeout=TIMEOUT)[0].decode(errors="replace")
        finally:
            sitest.stop_procs([p])
        return p.returncode, out

    def assert_refused(self, address, port, why):
        before = self.disk.first_mib()
        rc, out = self.install(address, port)
        self.assertEqual(rc, UNTRUSTED, out[-3000:])
        refusal = [line for line in out.splitlines()
                   if line.startswith(("si_btagent: fetch torrent: ", "si_btagent: layout: "))]
        self.assertEqual(len(refusal), 1, out[-3000:])
        self.assertIn(why, refusal[0])
        self.assertEqual(self.disk.first_mib(), before, "the disk was written")
        self.assertFalse(os.listdir(os.path.join(self.dir, "a")), "the root was written")
        # The monitor heard the refusal, authenticated.
        sitest.wait_for(lambda: (self.t.node("ip:" + address) or {}).get("state") == "failed",
                        20, "the refusal to reach the monitor")
        n = self.t.node("ip:" + address)
        self.assertEqual(n["status"], -UNTRUSTED)
        self.assertEqual(n["auth"], "ok")
        self.assertIn(".minisig", n["error"])
        return refusal[0]

    def proxy(self):
        p = Proxy(self.t.url(""))
        self.addCleanup(p.close)
        return p

    def served(self, path):
        status, body = sitest.http_get(self.t.url(path), timeout=5)
        self.assertEqual(status, 200, path)
        return body

    def test_1_rogue_server_with_another_key_is_refused(self):
        self.assert_refused("127.0.0.61", self.rogue.tracker_port, "which is not trusted here")

    def test_2_replayed_torrent_of_another_image_is_refused(self):
        p = self.proxy()
        p.replace["/torrents/image-demo.tar.torrent"] = self.served("/torrents/image-other.tar.torrent")
        p.replace["/torrents/image-demo.tar.torrent.minisig"] = self.served(
            "/torrents/image-other.tar.torrent.minisig")
        line = self.assert_refused("127.0.0.62", p.port, "signed for image 'other', not for image "
                                                         "'demo'")
        self.assertIn("replayed", line)

    def test_3_layout_altered_in_transit_is_refused(self):
        p = self.proxy()
        layout = self.served("/layouts/demo")
        self.assertIn(b" primary * boot ", layout)  # si disk layout 1: the partition's size
        p.replace["/layouts/demo"] = layout.replace(b" primary * boot ", b" primary 20 boot ", 1)
        self.assert_refused("127.0.0.63", p.port, "does not match the file")

    def test_4_unsigned_torrent_is_refused(self):
        p = self.proxy()
        p.replace["/torrents/image-demo.tar.torrent.minisig"] = None
        self.assert_refused("127.0.0.64", p.port, "is not signed (HTTP 404)")

    def report(self, line):
        with socket.create_connection(("127.0.0.1", self.t.monitor_port), 5) as s:
            s.sendall(line.encode() + b"\n")

    def test_5_forged_report_neither_counts_done_nor_switches_boot(self):
        boot = os.path.join(self.tftp, "pxelinux.cfg", "01-" + GHOST_MAC.replace(":", "-"))
        sitest.wait_for(lambda: os.path.exists(boot), 20, "the ghost's boot file")
        self.assertEqual(sitest.boot_file_header(boot)["boot"], "install")
        done = ("mac=52.54.00.5e.00.33:host=ghost:os=demo:status=%d:pieces=3/3:archive=end:"
                "overrides=0/0:entries=9:bytes=9")
        self.report(done % 0)
        self.report(done % 100)
        sitest.wait_for(lambda: (self.t.node(GHOST_MAC) or {}).get("status") == 100, 20,
                        "the forged report to be shown")
        n = self.t.node(GHOST_MAC)
        self.assertEqual((n["auth"], n["state"]), ("none", "unverified"))
        self.assertFalse(n["proof"]["complete"])
        # A wrong HMAC is no better.
        self.report(done % 100 + ":hmac=" + "0" * 64)
        sitest.wait_for(lambda: (self.t.node(GHOST_MAC) or {}).get("auth") == "bad", 20,
                        "the bad HMAC to be shown")
        self.assertEqual(sitest.boot_file_header(boot)["boot"], "install")
        # The same report sealed with the cluster key switches it: the refusal above was the
        # HMAC's doing, not another rule's.
        # Sealed as /init seals its own reports (si_btagent --seal-report).
        line = done % 100
        sealed = subprocess.run([sitest.SI_BTAGENT, "--seal-report", "--monitor-key",
                                 os.path.join(self.keys, "monitor.key")], input=line + "\n",
                                capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(sealed, line + ":hmac=" + hmac.new(self.monitor_key, line.encode(),
                                                            hashlib.sha256).hexdigest())
        self.report(sealed)
        sitest.wait_for(lambda: sitest.boot_file_header(boot).get("boot") == "local", 20,
                        "the authenticated report to switch the ghost to local boot")
        self.assertEqual((self.t.node(GHOST_MAC)["auth"], self.t.node(GHOST_MAC)["state"]),
                         ("ok", "done"))
        # Once a node authenticates, an unauthenticated report for it is dropped.
        self.report(done % -5)
        self.report("mac=52.54.00.12.34.56:os=demo:status=0")  # a later report, to wait on
        sitest.wait_for(lambda: self.t.node("52:54:00:12:34:56") is not None, 20, "a later report")
        self.assertEqual(self.t.node(GHOST_MAC)["state"], "done")
        self.assertIn("whose earlier reports were authenticated", self.t.log_text())

    def test_6_good_signed_install_passes(self):
        rc, out = self.install("127.0.0.66")
        self.assertEqual(rc, 0, out[-3000:])
        self.assertIn("signed: image 'demo'", out)
        self.assertIn("signed: layout 'demo'", out)
        self.assertNotIn("UNVERIFIED", out)
        sitest.wait_for(lambda: (self.t.node("ip:127.0.0.66") or {}).get("phase") == "done", 20,
                        "the install's last report")
        n = self.t.node("ip:127.0.0.66")
        self.assertEqual((n["state"], n["auth"]), ("done", "ok"))

    @unittest.skipIf(shutil.which("minisign") is None, "minisign is not installed")
    def test_7_minisign_verifies_what_si_btd_signed(self):
        torrent = os.path.join(self.t.dir, "torrents", "image-demo.tar.torrent")
        r = subprocess.run(["minisign", "-V", "-p", os.path.join(self.keys, "server.pub"),
                            "-m", torrent], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("kind=image name=demo file=image-demo.tar.torrent info_hash=", r.stdout)


if __name__ == "__main__":
    sitest.main()
