#!/usr/bin/env python3
"""End to end, as the HOWTO says: a boot server (dnsmasq DHCP + TFTP, Debian's pxelinux.0, the
example syslinux.cfg with BITTORRENT=y), si_btd with an image and an override, and three QEMU
nodes (virtio and e1000 NICs, virtio and AHCI disks) that network-boot through iPXE and pxelinux
into our kernel + initrd and image their prepared ext4 partition. Then each disk is checked item
by item, every node must have reported 100 to the monitor, and the nodes must have sent pieces to
each other. A last node boots with the image server stopped: it must fail with one clear line,
report a negative status and power off in bounded time. A node booted without BITTORRENT=y
must name the transport SystemImager would have used.

Runs in its own network + mount namespaces (pxe_lab.enter_namespaces); needs root, QEMU,
dnsmasq, pxelinux, busybox-static and a kernel in /lib/modules (scripts/setup-deps.sh)."""
import os
import re
import subprocess
import sys

import pxe_lab  # noqa: E402
import tree_compare  # noqa: E402  (tests/tools, on PYTHONPATH)
import sitest  # noqa: E402  (tests/tools, likewise)

BOOT_TIMEOUT = 270  # s for the three nodes, from power-on to power-off, in software emulation
FAIL_TIMEOUT = 120  # s for the node facing a stopped server
from exit_codes import AGENT  # noqa: E402  (tests/tools, likewise)
SEEDER_MBIT = 40


class PxeBoot(pxe_lab.LabTest):
    @classmethod
    def setUpClass(cls):
        cls.start_lab("si-e2e-")

    def test_1_nodes_image_over_pxe_and_share(self):
        lab = self.lab
        # The server's uplink is the bottleneck, as in a cluster: its seeder sends 40 Mbit/s
        # (5 MB/s, ~5 s for the 25 MB image alone) while nodes trade among themselves unshaped;
        # unshaped, the local seeder serves each node in moments and nobody needs a peer.
        lab.start_server(seeder_mbit=SEEDER_MBIT)
        # The shipped example, with this lab's image, override and a serial console.
        # Reports go to si_btd's own monitor: the operator's view must show each node done.
        lab.set_pxelinux_config({"IMAGENAME": "golden", "OVERRIDES": "site", "SI_DONE": "poweroff",
                                 "SI_ON_FAIL": "poweroff", "MONITOR_SERVER": pxe_lab.SERVER_IP,
                                 "MONITOR_PORT": str(pxe_lab.SI_BTD_MONITOR_PORT),
                                 "BITTORRENT_SEED_WAIT": "y", "BITTORRENT_POLLING_TIME": "2"},
                                extra="console=ttyS0,115200")
        lab.start_dnsmasq()
        nodes = [lab.add_client(nic="virtio-net-pci", disk="virtio"),
                 lab.add_client(nic="e1000", disk="virtio"),
                 lab.add_client(nic="virtio-net-pci", disk="ahci")]
        for c in nodes:
            c.start()
        late = lab.wait_clients(nodes, BOOT_TIMEOUT)
        self.assertEqual(late, [], "still running after %d s: %s\n%s" % (
            BOOT_TIMEOUT, [c.name for c in late], "\n".join(self.show(c) for c in late)))
        sent = 0
        for c in nodes:
            text = c.serial_text()
            self.assertIn("si-init: network: ", text, self.show(c))
            self.assertRegex(text, r"si-init: transport: BitTorrent from 172\.16\.36\.1 \(DHCP next-server\)",
                             self.show(c))
            m = re.search(r"imaged: golden \+ 1 override\(s\) into /a; sent (\d+) bytes to peers", text)
            self.assertIsNotNone(m, self.show(c))
            sent += int(m.group(1))
            self.assertIn("si-init: powering off", text, self.show(c))
            node = lab.server.node(c.mac, history=True)
            self.assertIsNotNone(node, "%s is not on si_btd's /status.json" % c.name)
            statuses = [s[3] for s in node["history"]]
            self.assertIn(100, statuses, "%s reported %s" % (c.name, statuses))
            self.assertIn(105, statuses, "%s reported %s" % (c.name, statuses))
            self.assertFalse([s for s in statuses if s < 0], "%s reported %s" % (c.name, statuses))
            self.assertEqual(node["state"], "done", node)
            self.assertTrue(node["proof"]["complete"], node)
            self.assertEqual(node["proof"]["overrides_applied"], 1, node)
            self.assertEqual(node["image"], "golden", node)
            with c.mounted() as root:
                with open(os.path.join(root, "etc", "hostname")) as f:
                    self.assertEqual(f.read(), "node\n")
                st = os.stat(os.path.join(root, "etc", "site.conf"))
                self.assertEqual(st.st_mode & 0o777, 0o600)
                diffs = [d for d in tree_compare.compare(lab.src, root, ignore_root_mtime=True)
                         if not d.startswith(("etc/hostname:", "etc:", "etc/site.conf:", "lost+found"))]
                self.assertEqual(diffs, [], c.name)
            print("%s (%s, %s disk): imaged and powered off %.0f s after power-on, sent %s bytes"
                  % (c.name, c.nic, c.disk_bus, c.ended - c.started, m.group(1)), flush=True)
        self.assertGreater(sent, 0, "the nodes sent no piece to one another")

    def test_2_server_stopped_node_fails_clearly(self):
        lab = self.lab
        if lab.server is None:
            lab.start_server()
            lab.start_dnsmasq()
        lab.stop_server()
        node = lab.add_client(nic="virtio-net-pci", disk="virtio")
        lab.set_pxelinux_config({"IMAGENAME": "golden", "SI_DONE": "poweroff", "SI_ON_FAIL": "poweroff",
                                 "MONITOR_SERVER": pxe_lab.SERVER_IP, "BITTORRENT_SERVER_TIMEOUT": "10"},
                                extra="console=ttyS0,115200", mac=node.mac)
        node.start()
        late = lab.wait_clients([node], FAIL_TIMEOUT)
        self.assertEqual(late, [], "a node facing a stopped server hung:\n" + self.show(node))
        text = node.serial_text()
        self.assertRegex(text, r"si_btagent: .*image server 172\.16\.36\.1:6969 unreachable", self.show(node))
        self.assertIn("si-init: FAILED: si_btagent: exit 5 (image server unreachable)", text, self.show(node))
        self.assertIn("si-init: powering off", text, self.show(node))
        self.assertIn(-AGENT.unreachable, lab.monitor.statuses(node.mac))
        self.assertNotIn(100, lab.monitor.statuses(node.mac))
        print("%s: failed as expected and powered off %.0f s after power-on"
              % (node.name, node.ended - node.started), flush=True)

    def test_3_without_bittorrent_names_the_other_transport(self):
        # Direct kernel boot with QEMU's own DHCP (its next-server is 10.0.2.2): no PXE needed.
        boot = os.path.join(self.tmp, "boot")
        log = os.path.join(self.tmp, "nobt.serial.log")
        args = ["qemu-system-x86_64", "-machine", "pc", "-m", "512", "-nographic", "-monitor", "none",
                "-no-reboot", "-serial", "file:" + log, "-kernel", os.path.join(boot, "kernel"),
                "-initrd", os.path.join(boot, "initrd.img"), "-nic", "user,model=virtio-net-pci",
                "-append", "console=ttyS0,115200 IMAGENAME=golden SI_ON_FAIL=poweroff"]
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, preexec_fn=pxe_lab._die_with_parent)
        try:
            p.wait(FAIL_TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        with open(log, "rb") as f:
            text = f.read().decode(errors="replace")
        self.assertIn("si-init: BITTORRENT=y is not on the kernel command line: SystemImager would hand over "
                      "to rsync (rsync://10.0.2.2/golden/)", text, text[-3000:])
        self.assertIn("si-init: powering off", text, text[-3000:])


if __name__ == "__main__":
    if not pxe_lab.missing_requirements():
        pxe_lab.enter_namespaces()
    sitest.main()
