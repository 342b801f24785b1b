#!/usr/bin/env python3
"""Per-node network boot (issue 27): si_btd gives every node of the nodes file an install entry
(pxelinux.cfg/01-<mac> under TFTP_DIR), switches a node to local boot when its real agent
reports a verified install of that image, and switches nothing for a node that is not listed
or for a report without the proof; a node added to the nodes file gets its install entry on
SIGHUP; si_btreimage sends a node back to install, powers it through BT_POWER_COMMAND and waits
for its verified install, leaving the other nodes alone, and Ctrl-C leaves every node in the
boot state its summary states.

Each node is a real si_btagent in a network namespace of its own (bench/deploy/cluster.py),
so each reports its own MAC, as nodes on a real network do. The "power cycle" is a command
template that starts the node's agent again, as a BMC's reset would boot it into the installer.
Needs root and network namespaces; skips without them."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
import sitest  # noqa: E402
from exit_codes import SERVER  # noqa: E402

sys.path.insert(0, os.path.join(sitest.SOURCE_DIR, "bench", "deploy"))
import cluster as netns_cluster  # noqa: E402

SERVER_IP = netns_cluster.SERVER_IP
MACS = ["52:54:00:5e:00:%02x" % k for k in (1, 2, 3)]
SI_BTREIMAGE = os.path.join(sitest.BUILD_DIR, "src", "server", "si_btreimage")
WAIT = 90  # s, a bound for each install of the 1 MiB image on these links


def boot_file(tftp, mac):
    return os.path.join(tftp, "pxelinux.cfg", "01-" + mac.replace(":", "-"))



@unittest.skipUnless(os.geteuid() == 0, "needs root (network namespaces)")
@unittest.skipIf(shutil.which("ip") is None or shutil.which("curl") is None, "needs ip and curl")
class Netboot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = netns_cluster.Cluster(3, "1gbit", "0.1ms", ("packets", 2000),
                                            prefix="sinb%d" % os.getpid())
        try:
            cls.cluster.create()
        except Exception as e:  # noqa: BLE001 (a kernel without veth or netns)
            cls.cluster.destroy()
            raise unittest.SkipTest("network namespaces: %s" % e)
        for ns, mac in zip(cls.cluster.node_ns, MACS):
            sitest_run(["ip", "-n", ns, "link", "set", "eth0", "address", mac])
        cls.tmp = tempfile.mkdtemp(prefix="si-netboot-")
        t = cls.t = sitest.ServerTree(images=("demo",), overrides=("site",))
        t.address, t.tracker_port, t.seeder_port, t.monitor_port = SERVER_IP, 6969, 6881, 8181
        cls.tftp = os.path.join(cls.tmp, "tftp")
        os.makedirs(os.path.join(cls.tftp, "pxelinux.cfg"))
        shutil.copy(os.path.join(sitest.SOURCE_DIR, "etc", "pxelinux.cfg", "syslinux.cfg"),
                    os.path.join(cls.tftp, "pxelinux.cfg", "default"))
        with open(t.si_conf, "a") as f:
            f.write("TFTP_DIR = %s\nNET_BOOT_DEFAULT = local\n" % cls.tftp)
        cls.nodes_conf = os.path.join(t.dir, "etc", "nodes.conf")
        with open(cls.nodes_conf, "w") as f:
            f.write("# hostname MAC image group overrides\n"
                    "node1 %s demo rack1 site\n"
                    "node2 %s demo rack1 site\n"
                    "ghost 52:54:00:5e:00:09 demo rack2 site\n" % (MACS[0], MACS[1].upper()))
        # The "power cycle": boots the node (its namespace) into the installer again.
        cls.power_log = os.path.join(cls.tmp, "power.log")
        t.write_bt_conf(images=("demo",), overrides=("site",),
                        extra="BT_POWER_COMMAND=\"%s %s %%h %%m\"\n"
                        % (sys.executable, os.path.join(cls.tmp, "power.py")))
        with open(os.path.join(cls.tmp, "power.py"), "w") as f:
            f.write("import subprocess, sys\n"
                    "host, mac = sys.argv[1], sys.argv[2]\n"
                    "open(%r, 'a').write(host + ' ' + mac + '\\n')\n"
                    "args = %r[host]\n"
                    "subprocess.Popen(args, stdout=open(%r + '.' + host + '.log', 'ab'),\n"
                    "                 stderr=subprocess.STDOUT, start_new_session=True)\n"
                    % (cls.power_log, {h: cls.agent_args(k) for k, h in ((0, "node1"), (1, "node2"))},
                       cls.power_log))
        sitest.make_image_tree(t.image_dir("demo"), special=True, megabytes=1)
        sitest.write_file(os.path.join(t.override_dir("site"), "etc", "site.conf"), "site=1\n")
        cls.btd_log = open(os.path.join(cls.tmp, "si_btd.log"), "wb")
        cls.btd = subprocess.Popen(cls.cluster.exec_args(cls.cluster.srv, t.btd_args() + ["--foreground"]),
                                   stdout=cls.btd_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            doc = cls.status()
            if doc and all(im["seeding"] for im in doc["images"]) and len(doc["images"]) == 2:
                break
            if cls.btd.poll() is not None:
                raise AssertionError("si_btd exited %d:\n%s" % (cls.btd.returncode, cls.log()))
            time.sleep(0.3)
        else:
            raise AssertionError("si_btd did not serve the image:\n" + cls.log())

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "btd", None) and cls.btd.poll() is None:
            cls.btd.send_signal(signal.SIGTERM)
            try:
                cls.btd.wait(20)
            except subprocess.TimeoutExpired:
                cls.btd.kill()
        cls.cluster.destroy()
        if hasattr(cls, "t"):
            cls.t.cleanup()
        if hasattr(cls, "tmp"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def log(cls):
        with open(os.path.join(cls.tmp, "si_btd.log"), errors="replace") as f:
            return f.read()[-4000:]

    @classmethod
    def status(cls):
        r = subprocess.run(cls.cluster.exec_args(cls.cluster.srv, [
            "curl", "-s", "-m", "5", "http://%s:6969/status.json" % SERVER_IP]),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            return json.loads(r.stdout) if r.returncode == 0 else None
        except ValueError:
            return None

    @classmethod
    def agent_args(cls, k):
        """si_btagent of node k+1 in its namespace, into its own root."""
        node = os.path.join(cls.tmp, "node%d" % (k + 1))
        os.makedirs(os.path.join(node, "a"), exist_ok=True)
        cmdline = os.path.join(node, "cmdline")
        with open(cmdline, "w") as f:
            f.write("BITTORRENT=y IMAGESERVER=%s IMAGENAME=demo OVERRIDES=site MONITOR_SERVER=%s "
                    "BITTORRENT_POLLING_TIME=1\n" % (SERVER_IP, SERVER_IP))
        return cls.cluster.exec_args(cls.cluster.node_ns[k], [
            sitest.SI_BTAGENT, "--cmdline", cmdline, "--root", os.path.join(node, "a"),
            "--bind", netns_cluster.node_ip(k + 1), "--staging", os.path.join(node, "staging")])

    def install(self, k):
        p = subprocess.run(self.agent_args(k), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=WAIT)
        self.assertEqual(p.returncode, 0, p.stdout.decode(errors="replace"))
        return p.stdout.decode(errors="replace")

    def node(self, mac):
        for n in (self.status() or {}).get("nodes", []):
            if n["mac"] == mac:
                return n
        return None

    def wait_boot(self, mac, mode, since=0):
        path = boot_file(self.tftp, mac)
        sitest.wait_for(lambda: os.path.exists(path) and sitest.boot_file_header(path).get("boot") == mode
                        and int(sitest.boot_file_header(path).get("since", 0)) >= since, 30,
                        "%s to say boot=%s" % (path, mode))
        return sitest.boot_file_header(path)

    def reimage(self, *args, timeout=WAIT + 30):
        return subprocess.run(self.cluster.exec_args(self.cluster.srv, [
            SI_BTREIMAGE, "--config", self.t.bt_conf, "--systemimager-conf", self.t.si_conf,
            "--interval", "0.5"] + list(args)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=timeout)

    def report(self, line):
        """One si_monitor line sent from the third node's namespace (a node not listed)."""
        subprocess.run(self.cluster.exec_args(self.cluster.node_ns[2], [
            sys.executable, "-c",
            "import socket,sys; s=socket.create_connection((sys.argv[1], 8181), 5); "
            "s.sendall(sys.argv[2].encode() + b'\\n'); s.close()", SERVER_IP, line]), check=True)

    def test_1_listed_nodes_get_install_entries_at_start(self):
        for mac, host in ((MACS[0], "node1"), (MACS[1], "node2"), ("52:54:00:5e:00:09", "ghost")):
            h = sitest.boot_file_header(boot_file(self.tftp, mac))
            self.assertEqual((h.get("boot"), h.get("image"), h.get("host"), h.get("by")),
                             ("install", "demo", host, "si_btd"), h)
            with open(boot_file(self.tftp, mac)) as f:
                append = [ln for ln in f if ln.startswith("APPEND ")]
            self.assertEqual(len(append), 1)
            self.assertIn(" IMAGENAME=demo ", append[0] + " ")
            self.assertIn(" HOSTNAME=%s" % host, append[0])
            self.assertIn(" OVERRIDES=site", append[0])
            self.assertIn(" BITTORRENT=y ", append[0])
        self.assertFalse(os.path.exists(boot_file(self.tftp, MACS[2])), "an unlisted node got a file")
        doc = self.status()
        inv = {v["mac"]: v for v in doc["inventory"]}
        self.assertEqual(set(inv), {MACS[0], MACS[1], "52:54:00:5e:00:09"})
        self.assertEqual(inv[MACS[0]]["state"], "install")
        self.assertEqual(inv[MACS[0]]["target"], "demo")
        self.assertEqual(inv[MACS[0]]["group"], "rack1")

    def test_2_a_verified_install_switches_to_local_and_an_unlisted_one_nothing(self):
        for k in (0, 1, 2):
            self.install(k)
        for mac in MACS[:2]:
            h = self.wait_boot(mac, "local")
            self.assertEqual((h["image"], h["by"]), ("demo", "si_btd"))
            with open(boot_file(self.tftp, mac)) as f:
                self.assertIn("LOCALBOOT 0", f.read())
        sitest.wait_for(lambda: self.node(MACS[2]) and self.node(MACS[2])["state"] == "done", 20,
                        "node 3 to be done")
        self.assertFalse(os.path.exists(boot_file(self.tftp, MACS[2])))
        n1, n3 = self.node(MACS[0]), self.node(MACS[2])
        self.assertEqual(n1["boot"]["state"], "local")
        self.assertTrue(n1["boot"]["listed"])
        self.assertEqual(n3["boot"], {"listed": False})
        self.assertRegex(self.log(), r"netboot: node1 \(%s\) installed demo \(verified\): "
                                     r"switched to local boot" % MACS[0])
        self.assertRegex(self.log(), r"netboot: \S* ?\(%s\): not in the nodes file" % MACS[2])

    def test_3_reports_without_proof_or_of_another_image_switch_nothing(self):
        ghost = "52:54:00:5e:00:09"
        before = sitest.boot_file_header(boot_file(self.tftp, ghost))
        self.report("mac=52.54.00.5e.00.09:host=ghost:os=demo:status=0")
        self.report("mac=52.54.00.5e.00.09:host=ghost:os=demo:status=100")
        self.report("mac=52.54.00.5e.00.09:host=ghost:os=other:status=100:pieces=3/3:"
                    "archive=end:overrides=1/1:entries=9:bytes=9")
        sitest.wait_for(lambda: "its boot file installs 'demo'" in self.log(), 20,
                        "si_btd to log the refused switch")
        self.assertIn("ghost (%s): reported imaged without the proof" % ghost, self.log())
        self.assertEqual(sitest.boot_file_header(boot_file(self.tftp, ghost)), before)

    def test_4_si_btreimage_reinstalls_one_node_and_leaves_the_other(self):
        other = sitest.boot_file_header(boot_file(self.tftp, MACS[1]))
        marked = int(time.time())
        p = self.reimage("--timeout", str(WAIT), "node1")
        self.assertEqual(p.returncode, 0, p.stdout + self.log())
        self.assertIn("si_btreimage: node1 (%s): boot file set to install demo" % MACS[0], p.stdout)
        rows = [ln.split("\t") for ln in p.stdout.splitlines() if ln.count("\t") == 6]
        self.assertEqual(rows[0][0], "# host")
        self.assertEqual(rows[1][:4], ["node1", MACS[0], "demo", "done"])
        self.assertEqual(rows[1][5], "local")
        # Its root is as its install left it: it held the image and downloaded nothing.
        self.assertEqual(rows[1][6], "its disk already held the image: nothing downloaded")
        self.assertEqual(self.node(MACS[0])["install"], "held")
        with open(self.power_log) as f:
            self.assertEqual(f.read().split(), ["node1", MACS[0]])
        # An edited root is not the image: the next reimage installs in full.
        with open(os.path.join(self.tmp, "node1", "a", "etc", "site.conf"), "a") as f:
            f.write("edited\n")
        p = self.reimage("--timeout", str(WAIT), "node1")
        self.assertEqual(p.returncode, 0, p.stdout + self.log())
        row = [ln.split("\t") for ln in p.stdout.splitlines() if ln.startswith("node1\t")][0]
        self.assertEqual((row[3], row[5], row[6]), ("done", "local", "verified install"), row)
        self.assertEqual(self.node(MACS[0])["install"], "full")
        with open(os.path.join(self.tmp, "node1", "a", "etc", "site.conf")) as f:
            self.assertEqual(f.read(), "site=1\n")
        h = sitest.boot_file_header(boot_file(self.tftp, MACS[0]))
        self.assertEqual(h["boot"], "local")
        self.assertGreaterEqual(int(h["since"]), marked)
        self.assertEqual(sitest.boot_file_header(boot_file(self.tftp, MACS[1])), other, "node2 was touched")
        self.assertGreaterEqual(self.node(MACS[0])["started"], marked)

    def test_5_dry_run_bad_names_and_a_failing_power_command(self):
        before = {m: sitest.boot_file_header(boot_file(self.tftp, m)) for m in MACS[:2]}
        p = self.reimage("--dry-run", "@rack1")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("batch 1: node1", p.stdout)
        self.assertIn("batch 1: node2", p.stdout)
        self.assertIn("power: %s" % sys.executable, p.stdout)
        p = self.reimage("--dry-run", "--batch", "1", "all")
        self.assertIn("batch 3: ghost", p.stdout)
        self.assertEqual({m: sitest.boot_file_header(boot_file(self.tftp, m)) for m in MACS[:2]}, before)
        p = self.reimage("nodeX")
        self.assertEqual(p.returncode, SERVER.usage, p.stdout)
        self.assertIn("'nodeX' is not a hostname, MAC or @group listed in", p.stdout)
        p = self.reimage("--power-command", "reboot %x", "node2")
        self.assertEqual(p.returncode, SERVER.config, p.stdout)
        self.assertIn("unknown placeholder %x", p.stdout)
        p = self.reimage("--power-command", "echo no BMC answers >&2; exit 3", "node2")
        self.assertEqual(p.returncode, SERVER.incomplete, p.stdout)
        self.assertRegex(p.stdout, r"node2: failed: power command exited 3: no BMC answers; "
                                   r"boot file put back as it was")
        self.assertEqual({m: sitest.boot_file_header(boot_file(self.tftp, m)) for m in MACS[:2]}, before)

    def test_6_a_bad_nodes_file_on_sighup_keeps_the_nodes_listed_before(self):
        with open(self.nodes_conf) as f:
            good = f.read()
        try:
            with open(self.nodes_conf, "a") as f:
                f.write("node9 not-a-mac demo\n")
            self.btd_signal(signal.SIGHUP)
            sitest.wait_for(lambda: "keeping the nodes listed before" in self.log(), 20,
                            "si_btd to refuse the nodes file")
            self.assertRegex(self.log(), r"nodes\.conf:5: MAC 'not-a-mac' is not six hex pairs")
            self.assertEqual(len(self.status()["inventory"]), 3)
        finally:
            with open(self.nodes_conf, "w") as f:
                f.write(good)

    def test_7_a_node_added_on_sighup_gets_its_install_entry(self):
        new_mac = "52:54:00:5e:00:0a"
        with open(self.nodes_conf) as f:
            good = f.read()
        try:
            with open(self.nodes_conf, "a") as f:
                f.write("node10 %s demo rack2 site\n" % new_mac)
            self.btd_signal(signal.SIGHUP)
            sitest.wait_for(lambda: os.path.exists(boot_file(self.tftp, new_mac)), 20,
                            "si_btd to write the new node's boot file")
            h = sitest.boot_file_header(boot_file(self.tftp, new_mac))
            self.assertEqual((h.get("boot"), h.get("image"), h.get("host"), h.get("by")),
                             ("install", "demo", "node10", "si_btd"), h)
            sitest.wait_for(lambda: len((self.status() or {}).get("inventory", [])) == 4, 20,
                            "the new node in status.json's inventory")
            inv = {v["mac"]: v for v in self.status()["inventory"]}
            self.assertEqual((inv[new_mac]["hostname"], inv[new_mac]["target"],
                              inv[new_mac]["state"], inv[new_mac]["seen"]),
                             ("node10", "demo", "install", False))
        finally:
            with open(self.nodes_conf, "w") as f:
                f.write(good)
            self.btd_signal(signal.SIGHUP)
            sitest.wait_for(lambda: len((self.status() or {}).get("inventory", [])) == 3, 20,
                            "the nodes file as it was")

    def test_8_ctrl_c_leaves_every_node_in_a_stated_boot_state(self):
        """si_btreimage interrupted while a node installs: no further node is marked, the
        marked one keeps its install entry until si_btd sees its verified install, the node
        not yet started keeps its file, and the summary says which is which."""
        before = sitest.boot_file_header(boot_file(self.tftp, MACS[0]))
        self.assertEqual(before.get("boot"), "local", before)
        self.assertEqual(sitest.boot_file_header(boot_file(self.tftp, MACS[1])).get("boot"), "local")
        # One node per batch and no power command: node2 is marked and waits for an install
        # that only this test starts; node1 comes in the second batch.
        p = subprocess.Popen(self.cluster.exec_args(self.cluster.srv, [
            SI_BTREIMAGE, "--config", self.t.bt_conf, "--systemimager-conf", self.t.si_conf,
            "--interval", "0.5", "--batch", "1", "--no-power", "--timeout", "600",
            "node2", "node1"]), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        watchdog = threading.Timer(60, p.kill)
        watchdog.start()
        try:
            lines = []
            for line in p.stdout:
                lines.append(line)
                if "boot file set to install" in line:
                    break
            marked = sitest.boot_file_header(boot_file(self.tftp, MACS[1]))
            time.sleep(1)  # a round or two of reading si_btd's status
            p.send_signal(signal.SIGINT)
            out = "".join(lines) + p.communicate(timeout=30)[0]
        finally:
            watchdog.cancel()
        self.assertEqual(p.returncode, SERVER.interrupted, out)
        self.assertIn("si_btreimage: node2 (%s): boot file set to install demo" % MACS[1], out)
        self.assertEqual((marked.get("boot"), marked.get("by")), ("install", "si_btreimage"), marked)
        self.assertRegex(out, r"2 node\(s\) in \d+ s: 0 done, 0 failed, 0 timed out, 0 skipped, "
                              r"1 still installing, 1 not started \(interrupted\)")
        self.assertIn("nodes still installing keep their install entry", out)
        rows = {ln.split("\t")[0]: ln.split("\t") for ln in out.splitlines() if ln.count("\t") == 6}
        self.assertEqual((rows["node2"][3], rows["node2"][5]), ("installing", "install"), rows)
        self.assertEqual((rows["node1"][3], rows["node1"][5]), ("pending", "local"), rows)
        # The files are as the summary says: node1's untouched, node2's the install entry.
        self.assertEqual(sitest.boot_file_header(boot_file(self.tftp, MACS[0])), before)
        self.assertEqual(sitest.boot_file_header(boot_file(self.tftp, MACS[1])), marked)
        # node2 boots the installer at its next network boot; its verified install (held: its
        # root is as installed) switches it to local boot.
        self.install(1)
        h = self.wait_boot(MACS[1], "local", since=int(marked["since"]))
        self.assertEqual((h["image"], h["by"]), ("demo", "si_btd"))

    def test_9_reinstall_puts_the_flag_on_the_install_entry_until_local_boot(self):
        p = self.reimage("--dry-run", "--reinstall", "node2")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("to install demo in full (BITTORRENT_REINSTALL=y)", p.stdout)
        p = self.reimage("--reinstall", "--no-power", "--no-wait", "node2")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("node2 (%s): boot file set to install demo in full" % MACS[1], p.stdout)
        marked = sitest.boot_file_header(boot_file(self.tftp, MACS[1]))
        with open(boot_file(self.tftp, MACS[1])) as f:
            append = [ln for ln in f if ln.startswith("APPEND ")]
        self.assertEqual(len(append), 1)
        self.assertIn(" BITTORRENT_REINSTALL=y", append[0])
        self.assertIn(" IMAGENAME=demo ", append[0] + " ")
        # Its verified install switches it to local boot: the flag goes with the entry.
        self.install(1)
        self.wait_boot(MACS[1], "local", since=int(marked["since"]))
        with open(boot_file(self.tftp, MACS[1])) as f:
            self.assertNotIn("BITTORRENT_REINSTALL", f.read())

    def btd_signal(self, sig):
        with open(self.t.pidfile) as f:
            os.kill(int(f.read()), sig)


def sitest_run(args):
    subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    sitest.main()
