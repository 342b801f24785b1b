"""A PXE lab in private network and mount namespaces: a bridge, dnsmasq (DHCP + TFTP with
Debian's pxelinux and our example syslinux.cfg), si_btd, a monitor listener, and QEMU clients
that network-boot through iPXE and pxelinux into our kernel + initrd and image a prepared ext4
partition on their own disk. Used by the e2e test and the boot benchmark. Needs root.

Everything lives in namespaces created by `enter_namespaces()` (unshare --net --mount): when
the last process in them ends, the bridge, taps, mounts and their loop devices go with them;
QEMU and the daemons get SIGKILL when the test process dies (PR_SET_PDEATHSIG)."""
import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
import sitest  # noqa: E402

SOURCE_DIR = os.path.abspath(sitest.SOURCE_DIR)
BUILD_DIR = os.path.abspath(sitest.BUILD_DIR)
SERVER_IP = "172.16.36.1"  # the HOWTO's MONITOR_SERVER address
# si_btd's own monitor listener in the lab; the stand-in si_monitor holds the default 8181 and
# still hears nodes while si_btd is stopped.
SI_BTD_MONITOR_PORT = 8182
BRIDGE = "br0"
PXELINUX = "/usr/lib/PXELINUX/pxelinux.0"
LDLINUX = "/usr/lib/syslinux/modules/bios/ldlinux.c32"
# UEFI nodes: Debian's OVMF (package ovmf) and syslinux for EFI (package syslinux-efi).
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
SYSLINUX_EFI = "/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi"
LDLINUX_E64 = "/usr/lib/syslinux/modules/efi64/ldlinux.e64"
# QEMU's default option ROMs for these NICs (package ipxe-qemu); QEMU finds them itself:
# naming them with romfile= made SeaBIOS skip them here.
IPXE_ROMS = {"virtio-net-pci": "/usr/lib/ipxe/qemu/efi-virtio.rom",
             "e1000": "/usr/lib/ipxe/qemu/efi-e1000.rom"}
TARGET_LABEL = "si-root"
PART_OFFSET = 1 << 20
NEEDED = ["qemu-system-x86_64", "dnsmasq", "unshare", "ip", "mke2fs", "cpio", "zstd", "depmod"]


def missing_requirements():
    """What this machine lacks to run the lab, as a list of strings (empty: all there)."""
    out = [p for p in NEEDED if shutil.which(p) is None]
    out += [f for f in [PXELINUX, LDLINUX, "/bin/busybox"] + list(IPXE_ROMS.values())
            if not os.path.exists(f)]
    if os.geteuid() != 0:
        out.append("root")
    return out


def debian_image_or_skip():
    """The Debian image tree the booting tests deploy (tests/e2e/make-debian-image, built before
    the namespaces by test_blank_disk_boot.build_image()); raises SkipTest naming what is missing
    (UEFI firmware and syslinux.efi, disk tools, or the image itself)."""
    missing = [t for t in ("mmdebstrap", "sfdisk", "losetup") if shutil.which(t) is None]
    missing += [p for p in (OVMF_CODE, SYSLINUX_EFI) if not os.path.exists(p)]
    if missing:
        raise unittest.SkipTest("needs: " + " ".join(missing) + " (scripts/setup-deps.sh)")
    image = os.environ.get("SI_E2E_DEBIAN_IMAGE", "")
    if not os.path.isdir(image):
        raise unittest.SkipTest("the Debian image could not be built (is Debian's archive "
                                "reachable?): " + os.environ.get("SI_E2E_IMAGE_ERROR", "?"))
    return image


def enter_namespaces():
    """Re-executes this script in new network + mount namespaces, once; returns in the child.
    The parent waits and exits with the child's code."""
    if os.environ.get("SI_LAB_INSIDE") == "1":
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    env = dict(os.environ, SI_LAB_INSIDE="1")
    p = subprocess.Popen(["unshare", "--net", "--mount", "--propagation", "private", "--",
                          sys.executable] + sys.argv, env=env)
    try:
        sys.exit(p.wait())
    except KeyboardInterrupt:
        p.send_signal(signal.SIGTERM)
        sys.exit(p.wait())


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setpgrp()


def run(*args, **kw):
    return subprocess.run(list(args), check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def build_initrd(out_dir, agent=None, compress="zstd"):
    """initrd/build-initrd into out_dir; returns its one-line summary."""
    agent = agent or os.environ.get("SI_E2E_AGENT") or os.path.join(BUILD_DIR, "src", "agent", "si_btagent")
    r = run(os.path.join(SOURCE_DIR, "initrd", "build-initrd"), "--agent", agent, "--out", out_dir,
            "--compress", compress)
    return r.stdout.decode()


class Monitor(sitest.MonitorListener):
    """A stand-in for si_monitor on SERVER_IP:8181; nodes are known by their MAC (aa:bb:..)."""

    def __init__(self, port=8181):
        super().__init__(SERVER_IP, port)

    @staticmethod
    def _dotted(mac):
        return mac.lower().replace(":", ".")

    def statuses(self, mac):
        return super().statuses("mac", self._dotted(mac))

    def first_time(self, mac, status):
        return super().first_time("mac", self._dotted(mac), status)


class Client:
    """One QEMU node: NIC model, disk bus, its own raw disk with an MBR and a prepared ext4
    partition labelled TARGET_LABEL, serial console to a log file."""

    def __init__(self, lab, index, nic="virtio-net-pci", disk="virtio", disk_mb=256, blank=False,
                 firmware="bios", name=None, network_first=False):
        """blank: an all-zero disk (no partition table) that the firmware tries first, then the
        network, as a rack of new machines is set up; after imaging it boots from its disk.
        firmware: "bios" (SeaBIOS) or "uefi" (Debian's OVMF).
        network_first: the firmware tries the network, then the disk (the per-node boot files
        decide), and the node has a power button: QEMU keeps a powered-off machine (QMP on
        self.qmp; tests/e2e/qmp_power.py resets it) instead of exiting."""
        self.lab, self.index, self.nic, self.disk_bus = lab, index, nic, disk
        self.blank, self.firmware = blank, firmware
        self.network_first = network_first
        self.qmp = os.path.join(lab.dir, (name or "node%d" % index) + ".qmp")
        self.mac = "52:54:00:36:00:%02x" % (index + 1)
        self.name = name or "node%d" % index
        self.tap = "tap%d" % index
        self.disk = os.path.join(lab.dir, self.name + ".raw")
        self.serial = os.path.join(lab.dir, self.name + ".serial.log")
        self.proc = None
        self.started = None
        self.ended = None
        if blank:
            with open(self.disk, "wb") as f:
                f.truncate(disk_mb << 20)
        else:
            make_disk(self.disk, disk_mb)
        if firmware == "uefi":
            # The firmware's variables are the node's own (a copy of Debian's empty store).
            self.vars = os.path.join(lab.dir, self.name + ".OVMF_VARS.fd")
            shutil.copy(OVMF_VARS, self.vars)
        run("ip", "tuntap", "add", self.tap, "mode", "tap")
        run("ip", "link", "set", self.tap, "master", BRIDGE, "up")

    def start(self):
        # -nographic: SeaBIOS and iPXE also write to the serial port (the log file).
        # Network only (bootindex + strict), and when PXE fails, reboot and try again as real
        # firmware does: with 6 nodes on 2 cores iPXE's DHCP can time out (the vCPU starves
        # past its deadlines), and the disks' MBR has no boot code to fall back to.
        # A blank node tries its disk first, then the network (bootindex order).
        nic_index, disk_index = (2, 1) if self.blank else (1, None)
        if self.network_first:
            nic_index, disk_index = 1, 2
        # Software emulation (TCG) always: this machine's /dev/kvm (nested) stops iPXE and
        # OVMF with "KVM internal error ... emulation failure".
        machine = "pc" if self.firmware == "bios" else "q35"
        args = ["qemu-system-x86_64", "-machine", machine, "-m", "1024" if self.blank else "512",
                "-smp", "1", "-nographic", "-monitor", "none",
                "-serial", "file:" + self.serial, "-boot", "strict=on,reboot-timeout=1000",
                "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no" % self.tap,
                "-device", "%s,netdev=n0,mac=%s,bootindex=%d" % (self.nic, self.mac, nic_index)]
        if self.firmware == "uefi":
            args += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
                     "-drive", "if=pflash,format=raw,unit=1,file=" + self.vars]
        if self.network_first:
            args += ["-qmp", "unix:%s,server=on,wait=off" % self.qmp, "-no-shutdown"]
        boot = ",bootindex=%d" % disk_index if disk_index else ""
        if self.disk_bus == "ahci":
            args += ["-drive", "file=%s,format=raw,if=none,id=d0" % self.disk,
                     "-device", "ahci,id=ahci0", "-device", "ide-hd,drive=d0,bus=ahci0.0" + boot]
        else:
            args += ["-drive", "file=%s,format=raw,if=none,id=d0" % self.disk,
                     "-device", "virtio-blk-pci,drive=d0" + boot]
        self.started = time.monotonic()
        self.started_wall = time.time()
        with open(self.serial + ".qemu-stderr", "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, preexec_fn=_die_with_parent)

    def poll(self):
        if self.proc is not None and self.proc.poll() is not None and self.ended is None:
            self.ended = time.monotonic()
        return self.proc.poll() if self.proc else None

    def power_state(self):
        """QMP's run state: "running", "shutdown" (powered off), ...; None without an answer."""
        r = subprocess.run([sys.executable, os.path.join(HERE, "qmp_power.py"), self.qmp, "status"],
                           capture_output=True, text=True, timeout=30)
        return r.stdout.strip() if r.returncode == 0 else None

    def power_cycle(self):
        """Presses the power button: reset and run (also from powered off)."""
        run(sys.executable, os.path.join(HERE, "qmp_power.py"), self.qmp, "cycle")

    def wait_powered_off(self, timeout):
        """True once the machine powered itself off (QEMU keeps it: -no-shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.poll() is not None:
                return False
            if self.power_state() == "shutdown":
                return True
            time.sleep(2)
        return False

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def serial_text(self):
        with contextlib.suppress(FileNotFoundError), open(self.serial, "rb") as f:
            return f.read().decode(errors="replace")
        return ""

    @contextlib.contextmanager
    def mounted(self):
        """The target partition, mounted read-only (loop device freed on unmount)."""
        mnt = os.path.join(self.lab.dir, self.name + ".mnt")
        os.makedirs(mnt, exist_ok=True)
        run("mount", "-t", "ext4", "-o", "ro,loop,offset=%d" % PART_OFFSET, self.disk, mnt)
        try:
            yield mnt
        finally:
            subprocess.run(["umount", mnt], check=False)


def make_disk(path, mb):
    """A sparse raw disk: an MBR with one Linux partition from 1 MiB, formatted ext4 as the
    HOWTO's 'prepared partition' (label TARGET_LABEL)."""
    size = mb << 20
    with open(path, "wb") as f:
        f.truncate(size)
        start, count = PART_OFFSET // 512, (size - PART_OFFSET) // 512
        entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", start, count)
        f.seek(446)
        f.write(entry + b"\0" * 48 + b"\x55\xaa")
    run("mke2fs", "-q", "-F", "-t", "ext4", "-L", TARGET_LABEL, "-E", "offset=%d" % PART_OFFSET,
        path, "%dk" % ((size - PART_OFFSET) >> 10))


def pxelinux_config(settings, extra="", drop=()):
    """etc/pxelinux.cfg/syslinux.cfg as shipped, with the APPEND line's variables set to
    `settings` (added when absent), those named in `drop` removed and `extra` appended."""
    with open(os.path.join(SOURCE_DIR, "etc", "pxelinux.cfg", "syslinux.cfg")) as f:
        text = f.read()
    out = []
    for line in text.splitlines():
        if line.startswith("APPEND "):
            tokens = [t for t in line.split()[1:] if t.split("=", 1)[0] not in drop]
            keys = [t.split("=", 1)[0] for t in tokens]
            for k, v in settings.items():
                if k in keys:
                    tokens[keys.index(k)] = "%s=%s" % (k, v)
                else:
                    tokens.append("%s=%s" % (k, v))
            line = "APPEND " + " ".join(tokens) + (" " + extra if extra else "")
        out.append(line)
    return "\n".join(out) + "\n"


def mac_config_name(mac):
    return "01-" + mac.lower().replace(":", "-")


class Lab:
    def __init__(self, work_dir, boot_dir):
        self.dir = work_dir
        self.tftp = os.path.join(work_dir, "tftp")
        self.procs = []
        self.clients = []
        self.server = None
        self.monitor = None
        os.makedirs(os.path.join(self.tftp, "pxelinux.cfg"), exist_ok=True)
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "add", SERVER_IP + "/24", "dev", BRIDGE)
        run("ip", "addr", "add", "fd00:36::1/64", "dev", BRIDGE, "nodad")
        run("ip", "link", "set", BRIDGE, "up")
        for src in (PXELINUX, LDLINUX, os.path.join(boot_dir, "kernel"),
                    os.path.join(boot_dir, "initrd.img"),
                    os.path.join(SOURCE_DIR, "etc", "pxelinux.cfg", "message.txt")):
            shutil.copy(src, self.tftp)
        self.monitor = Monitor()

    def set_pxelinux_config(self, settings, extra="", mac=None, drop=()):
        name = mac_config_name(mac) if mac else "default"
        with open(os.path.join(self.tftp, "pxelinux.cfg", name), "w") as f:
            f.write(pxelinux_config(settings, extra, drop))

    def start_dnsmasq(self, hostnames=None):
        """dnsmasq from etc/dnsmasq/systemimager-bootserver.conf, pointed at the lab;
        `hostnames` (MAC -> name) are handed out with the leases (DHCP option 12)."""
        with open(os.path.join(SOURCE_DIR, "etc", "dnsmasq", "systemimager-bootserver.conf")) as f:
            conf = f.read()
        conf = re.sub(r"(?m)^interface=.*$", "interface=" + BRIDGE, conf)
        conf = re.sub(r"(?m)^tftp-root=.*$", "tftp-root=" + self.tftp, conf)
        conf = re.sub(r"(?m)^dhcp-leasefile=.*$", "dhcp-leasefile=" + os.path.join(self.dir, "leases"), conf)
        # iPXE configures IPv6 beside DHCPv4 and waits ~15 s for a router advertisement before
        # it loads pxelinux: turn on the example's commented router advertisements.
        conf = conf.replace("#enable-ra", "enable-ra")
        conf = re.sub(r"(?m)^#dhcp-range=::,constructor:[^,\s]+", "dhcp-range=::,constructor:" + BRIDGE, conf)
        for mac, host in (hostnames or {}).items():
            conf += "\ndhcp-host=%s,%s\n" % (mac, host)
        path = os.path.join(self.dir, "dnsmasq.conf")
        with open(path, "w") as f:
            f.write(conf)
        p = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--conf-file=" + path, "--user=root",
                              "--pid-file=" + os.path.join(self.dir, "dnsmasq.pid"), "--log-dhcp",
                              "--log-facility=" + os.path.join(self.dir, "dnsmasq.log")],
                             preexec_fn=_die_with_parent)
        self.procs.append(p)

    def start_server(self, images=("golden",), overrides=("site",), megabytes=24, compress="y",
                     seeder_mbit=None):
        """si_btd on SERVER_IP with the packing tests' image (special files) and an override.
        seeder_mbit: cap what the seeder sends (a server uplink slower than the nodes' sum)."""
        t = sitest.ServerTree(address=SERVER_IP, compress=compress, images=images, overrides=overrides)
        t.tracker_port = 6969  # the default the agent uses: nothing on the command line
        t.monitor_port = SI_BTD_MONITOR_PORT  # 8181 is the lab's stand-in si_monitor
        t.write_bt_conf(compress=compress, images=images, overrides=overrides)
        self.server = t
        self.src = sitest.make_image_tree(t.image_dir(images[0]), special=True, megabytes=megabytes)
        ovr = t.override_dir(overrides[0])
        sitest.write_file(os.path.join(ovr, "etc", "hostname"), "node\n")
        sitest.write_file(os.path.join(ovr, "etc", "site.conf"), "site=1\n", 0o600)
        if seeder_mbit:
            self.limit_seeder(t.seeder_port, seeder_mbit)
        with open(os.path.join(self.dir, "si_btd.log"), "wb") as log:
            self.server_proc = subprocess.Popen(t.btd_args() + ["--foreground"], stdout=log,
                                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self.procs.append(self.server_proc)
        t.wait_served(["image-%s.tar.gz.torrent" % images[0], "override-%s.tar.gz.torrent" % overrides[0]],
                      timeout=180)

    def start_image_server(self, images, compress="zstd", nodes=None, power_command=None,
                           extra=""):
        """si_btd on SERVER_IP serving `images` (name -> (tree, autoinstallscript.conf text)):
        each tree hard-linked (copied across filesystems) into the image directory, with the
        layout written into it as SystemImager kept it.
        nodes: per-node network boot, [(hostname, mac, image, group)] written as the nodes
        file, with TFTP_DIR the lab's TFTP root and NET_BOOT_DEFAULT = local; the install
        template is the TFTP root's pxelinux.cfg/default (set_pxelinux_config first).
        power_command: BT_POWER_COMMAND for si_btreimage.
        extra: more bittorrent.conf lines."""
        names = tuple(images)
        t = sitest.ServerTree(address=SERVER_IP, compress=compress, images=names, overrides=())
        t.tracker_port = 6969
        t.monitor_port = SI_BTD_MONITOR_PORT
        extra += 'BT_POWER_COMMAND="%s"\n' % power_command if power_command else ""
        t.write_bt_conf(compress=compress, images=names, overrides=(), extra=extra)
        if nodes:
            with open(os.path.join(t.dir, "etc", "nodes.conf"), "w") as f:
                f.write("".join("%s %s %s %s\n" % n for n in nodes))
            with open(t.si_conf, "a") as f:
                f.write("TFTP_DIR = %s\nNET_BOOT_DEFAULT = local\n" % self.tftp)
        self.server = t
        for name, (tree, layout) in images.items():
            dst = t.image_dir(name)
            shutil.rmtree(dst, ignore_errors=True)
            if subprocess.run(["cp", "-al", tree, dst], capture_output=True).returncode != 0:
                shutil.rmtree(dst, ignore_errors=True)
                run("cp", "-a", tree, dst)
            conf = os.path.join(dst, "etc", "systemimager", "autoinstallscript.conf")
            os.makedirs(os.path.dirname(conf), exist_ok=True)
            with open(conf, "w") as f:
                f.write(layout)
        with open(os.path.join(self.dir, "si_btd.log"), "wb") as log:
            self.server_proc = subprocess.Popen(t.btd_args() + ["--foreground"], stdout=log,
                                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self.procs.append(self.server_proc)
        ext = {"zstd": ".zst", "y": ".gz", "n": ""}[compress]
        t.wait_served(["image-%s.tar%s.torrent" % (n, ext) for n in names], timeout=600)

    def serve_uefi_boot(self):
        """syslinux.efi and its ldlinux.e64 beside pxelinux.0, for UEFI nodes (the example
        dnsmasq configuration hands them out by client architecture)."""
        for src in (SYSLINUX_EFI, LDLINUX_E64):
            shutil.copy(src, self.tftp)

    @staticmethod
    def limit_seeder(port, mbit):
        """Shapes the seeder's traffic (source port) leaving the server through the bridge.
        Node-to-node traffic is bridged between taps and never passes br0's own qdisc."""
        run("tc", "qdisc", "add", "dev", BRIDGE, "root", "handle", "1:", "htb", "default", "10")
        run("tc", "class", "add", "dev", BRIDGE, "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit")
        run("tc", "class", "add", "dev", BRIDGE, "parent", "1:", "classid", "1:20", "htb",
            "rate", "%dmbit" % mbit, "ceil", "%dmbit" % mbit)
        run("tc", "filter", "add", "dev", BRIDGE, "parent", "1:", "protocol", "ip", "u32",
            "match", "ip", "sport", str(port), "0xffff", "flowid", "1:20")

    def stop_server(self):
        if self.server_proc.poll() is None:
            self.server_proc.send_signal(signal.SIGTERM)
            try:
                self.server_proc.wait(20)
            except subprocess.TimeoutExpired:
                self.server_proc.kill()
                self.server_proc.wait(10)

    def add_client(self, **kw):
        c = Client(self, len(self.clients), **kw)
        self.clients.append(c)
        return c

    def tftp_done(self, client, name="initrd.img"):
        """Wall-clock time at which dnsmasq finished sending `name` to this client (dnsmasq's
        log has whole seconds), or None."""
        ip, done = None, None
        year = time.localtime().tm_year
        with contextlib.suppress(FileNotFoundError), open(os.path.join(self.dir, "dnsmasq.log")) as f:
            for line in f:
                m = re.match(r"(\w+ +\d+ [\d:]+) dnsmasq\S*: (.*)$", line.rstrip())
                if not m:
                    continue
                ack = re.search(r"DHCPACK\(\S+\) (\S+) (\S+)", m.group(2))
                if ack and ack.group(2).lower() == client.mac:
                    ip = ack.group(1)
                sent = re.search(r"sent \S*/%s to (\S+)" % re.escape(name), m.group(2))
                if sent and ip and sent.group(1) == ip:
                    t = time.mktime(time.strptime("%d %s" % (year, m.group(1)), "%Y %b %d %H:%M:%S"))
                    if t >= client.started_wall - 1:
                        done = t
        return done

    def wait_clients(self, clients, timeout):
        """Waits until every client's QEMU has exited (poweroff) or the deadline; kills the
        rest. Returns the clients that did not end in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(c.poll() is None for c in clients):
            time.sleep(0.5)
        late = [c for c in clients if c.poll() is None]
        for c in late:
            c.kill()
        return late

    def cleanup(self):
        for c in self.clients:
            c.kill()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        if self.monitor:
            self.monitor.close()
        if self.server:
            self.server.cleanup()


class LabTest(unittest.TestCase):
    """A test class with a lab of its own: start_lab() (from setUpClass) builds the initrd and
    the lab in a fresh directory; tearDownClass stops everything and removes the directory
    (kept with SI_E2E_KEEP=1)."""

    @classmethod
    def start_lab(cls, prefix, extra_missing=()):
        missing = missing_requirements() + list(extra_missing)
        if missing:
            raise unittest.SkipTest("needs: " + " ".join(missing) + " (scripts/setup-deps.sh)")
        cls.tmp = tempfile.mkdtemp(prefix=prefix)
        boot = os.path.join(cls.tmp, "boot")
        t0 = time.monotonic()
        print(build_initrd(boot), end="", flush=True)
        print("initrd built in %.0f s" % (time.monotonic() - t0), flush=True)
        cls.lab = Lab(cls.tmp, boot)

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "lab"):
            cls.lab.cleanup()
        if hasattr(cls, "tmp"):
            if os.environ.get("SI_E2E_KEEP"):
                print("kept", cls.tmp)
            else:
                shutil.rmtree(cls.tmp, ignore_errors=True)

    def show(self, client, lines=40):
        return "%s serial log (last %d lines):\n%s" % (
            client.name, lines, "\n".join(client.serial_text().splitlines()[-lines:]))
