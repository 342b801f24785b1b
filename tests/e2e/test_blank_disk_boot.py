#!/usr/bin/env python3
"""From a blank disk to a node running the deployed OS (issue 11), as the HOWTO's administrator
racks new machines: QEMU nodes with all-zero disks that try their disk, then the network,
PXE-boot our initrd with BITTORRENT=y and no SI_TARGET, and si_btagent partitions, formats and
mounts their disk from the image's autoinstallscript.conf, installs a real Debian 12 (built once
with mmdebstrap: tests/e2e/make-debian-image), writes fstab and the hostname DHCP gave, installs
GRUB from the image, and reboots. The node must then boot the deployed kernel from its own disk
(no second network boot) and print, from the deployed systemd, a marker with its own hostname.
Checked: each disk's partition table, fstab against the filesystems' UUIDs, the kernel command
line the deployed OS booted with (GRUB's, root=UUID of the node's own root filesystem), and
that the two nodes have different hostnames.

Nodes: one BIOS (SeaBIOS, msdos layout, virtio disk), one UEFI (Debian's OVMF, gpt layout with
an EFI system partition, AHCI disk), and one whose image's layout is larger than its disk: it
must fail with one clear line and exit 12 before a byte of its disk is written. Needs root, QEMU, dnsmasq, pxelinux, syslinux-efi, ovmf,
mmdebstrap and Debian's archive (scripts/setup-deps.sh); skips without them."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pxe_lab  # noqa: E402
from exit_codes import AGENT  # noqa: E402  (tests/tools, on PYTHONPATH)

BOOT_TIMEOUT = 900  # s from power-on to the deployed OS's power-off, both nodes
DISK_MB = 3072

BIOS_LAYOUT = """<config>
  <disk dev="/dev/sda" label_type="msdos" unit_of_measurement="MB">
    <part num="1" size="*" p_type="primary" p_name="-" flags="boot" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda1" mp="/" fs="ext4" options="errors=remount-ro" dump="0" pass="1" />
  <fsinfo line="20" real_dev="proc" mp="/proc" fs="proc" options="defaults" dump="0" pass="0" />
  <bootloader flavor="grub2" install_type="legacy"><target dev="/dev/sda" /></bootloader>
</config>
"""

UEFI_LAYOUT = """<config>
  <disk dev="/dev/sda" label_type="gpt" unit_of_measurement="MiB">
    <part num="1" size="64" p_type="primary" p_name="EFI" flags="esp" />
    <part num="2" size="*" p_type="primary" p_name="root" flags="-" />
  </disk>
  <fsinfo line="10" real_dev="/dev/sda2" mp="/" fs="ext4" options="errors=remount-ro" dump="0" pass="1" />
  <fsinfo line="20" real_dev="/dev/sda1" mp="/boot/efi" fs="vfat" options="umask=0077" dump="0" pass="2" />
  <bootloader flavor="grub2" install_type="efi"><target dev="/dev/sda" /></bootloader>
</config>
"""


# 10 GB of partitions for the 3 GiB disk of the third node: refused before anything is written.
TOO_BIG_LAYOUT = BIOS_LAYOUT.replace('size="*" p_type="primary" p_name="-" flags="boot"',
                                     'size="10000" p_type="primary" p_name="-" flags="boot"')


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


class BlankDiskBoot(pxe_lab.LabTest):
    @classmethod
    def setUpClass(cls):
        cls.image = pxe_lab.debian_image_or_skip()
        cls.start_lab("si-e2e-blank-")

    def show(self, client, lines=60):
        return super().show(client, lines)

    def disk_facts(self, client, root_part, esp_part=None):
        """(label, [(partition, type)], root UUID, esp UUID, fstab lines) read off the raw disk."""
        table = json.loads(sh("sfdisk", "-J", client.disk))["partitiontable"]
        loop = sh("losetup", "-P", "-r", "-f", "--show", client.disk).strip()
        mnt = os.path.join(self.tmp, client.name + ".mnt")
        os.makedirs(mnt, exist_ok=True)
        try:
            pxe_lab.run("partx", "-a", loop) if not os.path.exists(loop + "p1") else None
            root_uuid = sh("blkid", "-s", "UUID", "-o", "value", "%sp%d" % (loop, root_part)).strip()
            esp_uuid = (sh("blkid", "-s", "UUID", "-o", "value", "%sp%d" % (loop, esp_part)).strip()
                        if esp_part else None)
            sh("mount", "-o", "ro,noload", "%sp%d" % (loop, root_part), mnt)
            try:
                with open(os.path.join(mnt, "etc", "fstab")) as f:
                    fstab = [line.split() for line in f if line.strip() and not line.startswith("#")]
                with open(os.path.join(mnt, "etc", "hostname")) as f:
                    hostname = f.read().strip()
            finally:
                subprocess.run(["umount", mnt])
        finally:
            subprocess.run(["losetup", "-d", loop])
        parts = [(p["node"][len(client.disk):], p["type"]) for p in table["partitions"]]
        return table["label"], parts, root_uuid, esp_uuid, fstab, hostname

    def test_blank_nodes_boot_the_deployed_os(self):
        lab = self.lab
        started = time.monotonic()
        lab.start_image_server({"debian-bios": (self.image, BIOS_LAYOUT),
                                "debian-uefi": (self.image, UEFI_LAYOUT),
                                "debian-toobig": (self.image, TOO_BIG_LAYOUT)})
        print("si_btd packed and serves the images after %.0f s" % (time.monotonic() - started),
              flush=True)
        lab.serve_uefi_boot()
        bios = lab.add_client(nic="virtio-net-pci", disk="virtio", disk_mb=DISK_MB, blank=True,
                              firmware="bios", name="node-bios")
        uefi = lab.add_client(nic="virtio-net-pci", disk="ahci", disk_mb=DISK_MB, blank=True,
                              firmware="uefi", name="node-uefi")
        small = lab.add_client(nic="e1000", disk="virtio", disk_mb=DISK_MB, blank=True,
                               firmware="bios", name="node-small")
        for c, image in ((bios, "debian-bios"), (uefi, "debian-uefi"), (small, "debian-toobig")):
            lab.set_pxelinux_config({"IMAGENAME": image, "SI_DONE": "reboot", "SI_ON_FAIL": "poweroff",
                                     "MONITOR_SERVER": pxe_lab.SERVER_IP,
                                     "MONITOR_PORT": str(pxe_lab.SI_BTD_MONITOR_PORT)},
                                    extra="console=ttyS0,115200", mac=c.mac, drop=("SI_TARGET",))
        lab.start_dnsmasq(hostnames={bios.mac: "node-bios", uefi.mac: "node-uefi",
                                     small.mac: "node-small"})
        for c in (bios, uefi, small):
            c.start()
        late = lab.wait_clients([bios, uefi, small], BOOT_TIMEOUT)
        self.assertEqual(late, [], "still running after %d s: %s\n%s" % (
            BOOT_TIMEOUT, [c.name for c in late], "\n".join(self.show(c) for c in late)))

        hostnames = set()
        for c, root_part, esp_part in ((bios, 1, None), (uefi, 2, 1)):
            text = c.serial_text()
            self.assertTrue("si-init: target: SI_TARGET is not set" in text, self.show(c))
            self.assertTrue("si-init: rebooting" in text, self.show(c))
            self.assertEqual(text.count("si-init: systemimager-bittorrent initrd"), 1,
                             "%s booted the network twice\n%s" % (c.name, self.show(c)))
            m = re.search(r"SI-BOOTED host=(\S+) root=(\S+) cmdline=(.*)", text)
            self.assertIsNotNone(m, "%s never reached the deployed OS\n%s" % (c.name, self.show(c)))
            host, root_dev, cmdline = m.group(1), m.group(2), m.group(3)
            label, parts, root_uuid, esp_uuid, fstab, hostname = self.disk_facts(c, root_part, esp_part)
            # The deployed kernel, from GRUB on the node's own disk, with its own root.
            self.assertIn("BOOT_IMAGE=/boot/vmlinuz-", cmdline)
            self.assertIn("root=UUID=" + root_uuid, cmdline)
            self.assertNotIn("BITTORRENT=y", cmdline)
            self.assertEqual(host, c.name)
            self.assertEqual(hostname, c.name)
            hostnames.add(host)
            if c is bios:
                self.assertEqual((label, parts), ("dos", [("1", "83")]))
                self.assertEqual(fstab, [["UUID=" + root_uuid, "/", "ext4", "errors=remount-ro", "0", "1"],
                                         ["proc", "/proc", "proc", "defaults", "0", "0"]])
            else:
                self.assertEqual((label, parts), ("gpt", [
                    ("1", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"),
                    ("2", "0FC63DAF-8483-4772-8E79-3D69D8477DE4")]))
                self.assertEqual(fstab, [["UUID=" + root_uuid, "/", "ext4", "errors=remount-ro", "0", "1"],
                                         ["UUID=" + esp_uuid, "/boot/efi", "vfat", "umask=0077", "0", "2"]])
            print("%s (%s): booted the deployed OS from its disk %.0f s after power-on (root %s)"
                  % (c.name, c.firmware, c.ended - c.started, root_dev), flush=True)
        self.assertEqual(hostnames, {"node-bios", "node-uefi"})

        # The layout larger than the disk: one clear line, a negative status, power off, and
        # not a byte of the disk written.
        text = small.serial_text()
        self.assertTrue(re.search(
            r"si_btagent: disk layout: disk /dev/sda \(layout line 2\) on /dev/vda \(3\.0 GiB\): "
            r"partition 1 \(layout line 3, 10000 MB\) would end at 9\.3 GiB, past the disk's "
            r"usable end at 3\.0 GiB: nothing written", text), self.show(small))
        self.assertTrue("si-init: FAILED: si_btagent: exit %d (disk preparation failed)" % AGENT.disk
                        in text,
                        self.show(small))
        self.assertTrue("si-init: powering off" in text, self.show(small))
        node = lab.server.node(small.mac, history=True)
        self.assertIsNotNone(node, "node-small is not on si_btd's /status.json")
        self.assertEqual(node["state"], "failed", node)
        self.assertIn(-AGENT.disk, [h[3] for h in node["history"]], node)
        with open(small.disk, "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                self.assertEqual(block.count(0), len(block), "node-small's disk was written")


def build_image():
    """The Debian image, built (or found in the cache) before the lab's namespaces cut the
    network; its path or the error goes to the test through the environment."""
    if os.environ.get("SI_LAB_INSIDE") == "1" or shutil.which("mmdebstrap") is None:
        return
    t0 = time.monotonic()
    made = subprocess.run([os.path.join(pxe_lab.HERE, "make-debian-image")],
                          capture_output=True, text=True)
    if made.returncode == 0:
        os.environ["SI_E2E_DEBIAN_IMAGE"] = made.stdout.strip().splitlines()[-1]
        print("Debian image %s (%.0f s)" % (os.environ["SI_E2E_DEBIAN_IMAGE"],
                                            time.monotonic() - t0), flush=True)
    else:
        os.environ["SI_E2E_IMAGE_ERROR"] = made.stderr[-500:]


if __name__ == "__main__":
    if not pxe_lab.missing_requirements():
        build_image()
        pxe_lab.enter_namespaces()
    pxe_lab.sitest.main()
