#!/usr/bin/env python3
"""Reimage, not only image (issue 27): QEMU nodes whose firmware boots the network first, then
the disk, as an HPC cluster's do. si_btd's nodes file lists them; it writes each one's own
pxelinux file (install), switches it to LOCALBOOT once the node reports a verified install, and
si_btreimage later sends one group back to install through a power command (QEMU's monitor over
QMP: tests/e2e/qmp_power.py, as a BMC's power cycle).

  1. Both blank nodes PXE-boot their install entries and install a real Debian 12 (BIOS node A
     with image debian-v1, UEFI node B with debian-uefi), then power off (SI_DONE=poweroff).
     Their files now say local boot.
  2. si_btreimage @g2: node B's disk already holds its image exactly (never booted since): its
     agent downloads nothing and reports install=held; the tracker never sees it.
  3. Both are powered on: each PXE-boots, its file says LOCALBOOT, pxelinux (BIOS) or
     syslinux.efi (UEFI) hands the boot back to the firmware, and the node boots Debian from
     its own disk (the marker line), without a second run of the installer.
  4. si_btreimage --image debian-v2 @g1: node A reimages its disk in place to the changed image
     and boots it; node B is untouched. The server packs its images delta-ready (BT_DELTA=y):
     node A's disks, prepared from the same layout, are not formatted; it downloads only what
     differs from its root (debian-v1, booted once since) and its root then equals debian-v2.

Group g1 is node A alone in CI; SI_E2E_GROUP_NODES=3 adds BIOS nodes node-c and node-d to it,
for the time from si_btreimage to the last node of a 3-node group booting the new image (the
test prints it as MEASURE; about 10 min more than the CI run here).

Needs root, QEMU, dnsmasq, pxelinux, syslinux-efi, ovmf, mmdebstrap and Debian's archive (for
the image, built once and cached); skips without them."""
import os
import re
import subprocess
import sys
import time

import pxe_lab  # noqa: E402
import test_blank_disk_boot as blank  # noqa: E402

INSTALL_TIMEOUT = 900  # s from power-on to the installer's power-off, both nodes at once
BOOT_TIMEOUT = 600  # s from power-on to the deployed OS's power-off
DISK_MB = 3072
SI_BTREIMAGE = os.path.join(pxe_lab.BUILD_DIR, "src", "server", "si_btreimage")
QMP_POWER = os.path.join(pxe_lab.HERE, "qmp_power.py")
# Nodes in group g1, the group step 4 reimages: 1 in CI; SI_E2E_GROUP_NODES=3 measures issue
# 27's figure for a 3-node group (BIOS nodes node-c, node-d... beside node-a), outside CI.
GROUP_NODES = max(1, int(os.environ.get("SI_E2E_GROUP_NODES", "1")))



class ReimageBoot(pxe_lab.LabTest):
    @classmethod
    def setUpClass(cls):
        cls.image = pxe_lab.debian_image_or_skip()
        cls.start_lab("si-e2e-reimage-")

    def boot_file(self, client):
        return os.path.join(self.lab.tftp, "pxelinux.cfg", pxe_lab.mac_config_name(client.mac))

    def reimage(self, *args):
        t = self.lab.server
        return subprocess.run([SI_BTREIMAGE, "--config", t.bt_conf, "--systemimager-conf", t.si_conf,
                               "--timeout", str(INSTALL_TIMEOUT)] + list(args),
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT + 60)

    def summary_row(self, out, host):
        for line in out.splitlines():
            cols = line.split("\t")
            if len(cols) == 7 and cols[0] == host:
                return cols
        self.fail("no summary row for %s:\n%s" % (host, out))

    def wait_off(self, clients, timeout):
        for c in clients:
            self.assertTrue(c.wait_powered_off(timeout), "%s did not power off\n%s" % (
                c.name, self.show(c)))

    def read_disk_file(self, client, rel, part=1):
        """A file of the node's root filesystem, read from its raw disk (None if absent)."""
        loop = pxe_lab.run("losetup", "-P", "-r", "-f", "--show", client.disk).stdout.decode().strip()
        mnt = os.path.join(self.tmp, client.name + ".mnt")
        os.makedirs(mnt, exist_ok=True)
        try:
            if not os.path.exists("%sp%d" % (loop, part)):
                pxe_lab.run("partx", "-a", loop)
            pxe_lab.run("mount", "-o", "ro,noload", "%sp%d" % (loop, part), mnt)
            try:
                path = os.path.join(mnt, rel)
                if not os.path.exists(path):
                    return None
                with open(path) as f:
                    return f.read()
            finally:
                subprocess.run(["umount", mnt])
        finally:
            subprocess.run(["losetup", "-d", loop])

    def test_network_first_nodes_install_boot_locally_and_reimage_one_group(self):
        lab = self.lab
        v2 = os.path.join(self.tmp, "debian-v2")
        pxe_lab.run("cp", "-al", self.image, v2)
        with open(os.path.join(v2, "etc", "si-image-version"), "w") as f:
            f.write("2\n")
        a_mac, b_mac = "52:54:00:36:00:01", "52:54:00:36:00:02"  # Client index 0 and 1
        extra = [("node-%s" % chr(ord("c") + k), "52:54:00:36:00:%02x" % (k + 3))
                 for k in range(GROUP_NODES - 1)]  # Client index 2, 3, ...
        # The install template every node's entry is made from: power off when done, so that
        # each step below starts its nodes itself.
        lab.set_pxelinux_config({"SI_DONE": "poweroff", "SI_ON_FAIL": "poweroff",
                                 "MONITOR_SERVER": pxe_lab.SERVER_IP,
                                 "MONITOR_PORT": str(pxe_lab.SI_BTD_MONITOR_PORT)},
                                extra="console=ttyS0,115200", drop=("SI_TARGET",))
        started = time.monotonic()
        lab.start_image_server(
            {"debian-v1": (self.image, blank.BIOS_LAYOUT), "debian-v2": (v2, blank.BIOS_LAYOUT),
             "debian-uefi": (self.image, blank.UEFI_LAYOUT)},
            nodes=[("node-a", a_mac, "debian-v1", "g1"), ("node-b", b_mac, "debian-uefi", "g2")]
            + [(name, mac, "debian-v1", "g1") for name, mac in extra],
            power_command="%s %s %s/%%h.qmp" % (sys.executable, QMP_POWER, lab.dir),
            extra="BT_DELTA=y\n")
        print("si_btd packed and serves 3 images after %.0f s" % (time.monotonic() - started),
              flush=True)
        lab.serve_uefi_boot()
        a = lab.add_client(nic="virtio-net-pci", disk="virtio", disk_mb=DISK_MB, blank=True,
                           firmware="bios", name="node-a", network_first=True)
        b = lab.add_client(nic="virtio-net-pci", disk="ahci", disk_mb=DISK_MB, blank=True,
                           firmware="uefi", name="node-b", network_first=True)
        self.assertEqual((a.mac, b.mac), (a_mac, b_mac))
        others = [lab.add_client(nic="virtio-net-pci", disk="virtio", disk_mb=DISK_MB, blank=True,
                                 firmware="bios", name=name, network_first=True)
                  for name, _ in extra]
        self.assertEqual([c.mac for c in others], [mac for _, mac in extra])
        g1 = [a] + others
        everyone = g1 + [b]
        images = {c.name: "debian-v1" for c in g1}
        images[b.name] = "debian-uefi"
        for c, image in ((c, images[c.name]) for c in everyone):
            h = pxe_lab.sitest.boot_file_header(self.boot_file(c))
            self.assertEqual((h.get("boot"), h.get("image"), h.get("host")),
                             ("install", image, c.name), h)
        lab.start_dnsmasq(hostnames={c.mac: c.name for c in everyone})

        # 1. Blank disks, network first: both install from their own entries.
        for c in everyone:
            c.start()
        self.wait_off(everyone, INSTALL_TIMEOUT)
        for c, image in ((c, images[c.name]) for c in everyone):
            text = c.serial_text()
            self.assertIn("si-init: powering off", text, self.show(c))
            self.assertIn("si_btagent: imaged: %s" % image, text, self.show(c))
            h = pxe_lab.sitest.boot_file_header(self.boot_file(c))
            self.assertEqual((h.get("boot"), h.get("image"), h.get("by")), ("local", image, "si_btd"),
                             h)
            node = lab.server.node(c.mac)
            self.assertEqual(node["state"], "done", node)
            self.assertEqual(node["boot"]["state"], "local", node)
        print("1. %d nodes installed from their own install entries after %.0f s"
              % (len(everyone), time.monotonic() - started), flush=True)

        # 2. Node B's disk holds its image exactly: a reimage downloads nothing.
        before = lab.server.status()
        uefi_downloaded = [im for im in before["images"] if im["name"] == "debian-uefi"][0]
        serial_before = len(b.serial_text())
        t0 = time.monotonic()
        p = self.reimage("@g2")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr + self.show(b))
        row = self.summary_row(p.stdout, "node-b")
        self.assertEqual((row[3], row[5]), ("done", "local"), row)
        self.assertIn("already held the image", row[6])
        self.wait_off((b,), BOOT_TIMEOUT)
        text = b.serial_text()[serial_before:]
        self.assertIn("already installed", text, self.show(b))
        self.assertNotIn("si_btagent: imaged:", text)
        after = lab.server.status()
        uefi_after = [im for im in after["images"] if im["name"] == "debian-uefi"][0]
        # The figures the issue asks for, measured, not assumed: what the server's seeder sent
        # of every image meanwhile (node-a is powered off: no peer could have sent any), the
        # tracker's completed count, and the agent's own line.
        sent = {im["name"]: im["server_bytes"] for im in after["images"]}
        sent_before = {im["name"]: im["server_bytes"] for im in before["images"]}
        sent_delta = sum(sent.get(k, 0) - v for k, v in sent_before.items())
        agent_line = re.search(r"si_btagent: already installed: .*", text)
        print("MEASURE held node: %d bytes sent by the server while node-b reinstalled "
              "(debian-uefi %d -> %d), tracker completed %d -> %d; agent: %s"
              % (sent_delta, uefi_downloaded["server_bytes"], uefi_after["server_bytes"],
                 uefi_downloaded["tracker"]["completed"], uefi_after["tracker"]["completed"],
                 agent_line.group(0) if agent_line else "(no line)"), flush=True)
        self.assertEqual(uefi_after["server_bytes"], uefi_downloaded["server_bytes"])
        self.assertEqual(sent_delta, 0)
        self.assertEqual(uefi_after["tracker"]["completed"], uefi_downloaded["tracker"]["completed"])
        self.assertEqual(lab.server.node(b.mac)["install"], "held")
        print("2. node-b already held debian-uefi: switched to local boot %.0f s after "
              "si_btreimage (its row: %s s)" % (time.monotonic() - t0, row[4]), flush=True)

        # 3. Powered on, both boot their own disks because their files say local.
        marks = {c.name: len(c.serial_text()) for c in everyone}
        for c in everyone:
            c.power_cycle()
        self.wait_off(everyone, BOOT_TIMEOUT)
        for c in everyone:
            text = c.serial_text()[marks[c.name]:]
            m = re.search(r"SI-BOOTED host=(\S+) root=(\S+) cmdline=(.*)", text)
            self.assertIsNotNone(m, "%s did not boot its disk\n%s" % (c.name, self.show(c)))
            self.assertEqual(m.group(1), c.name)
            self.assertIn("BOOT_IMAGE=/boot/vmlinuz-", m.group(3))
            self.assertNotIn("systemimager-bittorrent initrd", text, "%s ran the installer" % c.name)
        with open(os.path.join(lab.dir, "dnsmasq.log")) as f:
            log = f.read()
        for c in everyone:
            self.assertGreaterEqual(log.count("pxelinux.cfg/" + pxe_lab.mac_config_name(c.mac)), 2,
                                    "%s did not read its own file at each boot" % c.name)
        self.assertIsNone(self.read_disk_file(a, "etc/si-image-version"))
        print("3. every node booted its disk through LOCALBOOT (BIOS and UEFI)", flush=True)

        # 4. Group g1 (node A, and any others) to the changed image, node B untouched.
        b_file = pxe_lab.sitest.boot_file_header(self.boot_file(b))
        b_serial = b.serial_text()
        serials = {c.name: len(c.serial_text()) for c in g1}
        t0 = time.monotonic()
        p = self.reimage("--image", "debian-v2", "@g1")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr + self.show(a))
        rows = {c.name: self.summary_row(p.stdout, c.name) for c in g1}
        for row in rows.values():
            self.assertEqual((row[2], row[3], row[5]), ("debian-v2", "done", "local"), row)
        self.wait_off(g1, BOOT_TIMEOUT)
        marks = {c.name: len(c.serial_text()) for c in g1}
        for c in g1:
            c.power_cycle()
        self.wait_off(g1, BOOT_TIMEOUT)
        took = time.monotonic() - t0
        for c in g1:
            # Reimaged in place: the disks kept, only what changed downloaded.
            text = c.serial_text()[serials[c.name]:marks[c.name]]
            self.assertIn("reimaging them in place", text, self.show(c))
            self.assertNotIn("mkfs ", text, self.show(c))
            m = re.search(r"si_btagent: delta: image-debian-v2\.tar\.zst: received (\d+) bytes "
                          r"of (\d+);", text)
            self.assertIsNotNone(m, self.show(c))
            received, image = int(m.group(1)), int(m.group(2))
            self.assertLess(received, image // 2, m.group(0))
            print("MEASURE %s delta reimage in place: %s" % (c.name, m.group(0)), flush=True)
        for c in g1:
            self.assertIn("SI-BOOTED host=%s" % c.name, c.serial_text()[marks[c.name]:], self.show(c))
            self.assertEqual(self.read_disk_file(c, "etc/si-image-version"), "2\n")
            self.assertEqual(pxe_lab.sitest.boot_file_header(self.boot_file(c))["image"], "debian-v2")
        self.assertEqual(pxe_lab.sitest.boot_file_header(self.boot_file(b)), b_file)
        self.assertEqual(b.serial_text(), b_serial, "node-b was powered")
        self.assertEqual(b.power_state(), "shutdown")
        print("MEASURE group g1 (%d node(s)): si_btreimage to its last node booting the new "
              "image: %.0f s (si_btreimage's rows: %s s to the verified installs; the rest is "
              "the installers' power-off, the power-on and the boot)"
              % (len(g1), took, "/".join(rows[c.name][4] for c in g1)), flush=True)
        print("4. group g1 reimaged to debian-v2 and booted it %.0f s after si_btreimage started "
              "(install, power-off, power-on, boot); node-b untouched" % took, flush=True)


if __name__ == "__main__":
    if not pxe_lab.missing_requirements():
        blank.build_image()
        pxe_lab.enter_namespaces()
    pxe_lab.sitest.main()
