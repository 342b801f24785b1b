"""Shared helpers for the integration tests: temporary server trees, configs, free ports,
starting si_btd as a real process, HTTP on loopback, bencode decoding. Stdlib only."""
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

BUILD_DIR = os.environ.get("SI_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.environ.get("SI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SI_BTD = os.path.join(BUILD_DIR, "src", "server", "si_btd")
SI_INSTALLBTIMAGE = os.path.join(BUILD_DIR, "src", "server", "si_installbtimage")


def _ephemeral_low():
    """The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(address="127.0.0.1", count=1):
    """`count` distinct ports that are free for both TCP and UDP on `address` (si_btd's seeder
    and the agents take uTP on the same port), chosen at random below the kernel's ephemeral
    range. A port the kernel hands out for a bind to port 0 is from the same pool it uses for
    the next outgoing connection, so a test running beside this one could take it as a client
    before our server binds it (si_btd then exits 5, and CI once waited 60 s for nothing).
    Raises RuntimeError if no such ports are found."""
    import random
    high = min(_ephemeral_low(), 32768)
    low = max(1024, high - 12768)  # 20000-32767 with Linux's default range
    held = []
    try:
        for _ in range(500):
            if len(held) == 2 * count:
                break
            port = random.randrange(low, high)
            if any(s.getsockname()[1] == port for s in held):
                continue
            pair = []
            try:
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    s = socket.socket(socket.AF_INET, kind)
                    pair.append(s)
                    s.bind((address, port))
            except OSError:
                for s in pair:
                    s.close()
                continue
            held.extend(pair)
        if len(held) < 2 * count:
            raise RuntimeError("no %d free ports on %s in %d-%d" % (count, address, low, high - 1))
        return [s.getsockname()[1] for s in held[::2]]
    finally:
        for s in held:
            s.close()


def free_port(address="127.0.0.1"):
    """One port free for TCP and UDP on `address` (see free_ports)."""
    return free_ports(address, 1)[0]


def bdecode(data):
    """Decodes bencoded bytes; dict keys stay bytes."""
    def dec(i):
        c = data[i:i + 1]
        if c == b"i":
            end = data.index(b"e", i)
            return int(data[i + 1:end]), end + 1
        if c == b"l":
            i, out = i + 1, []
            while data[i:i + 1] != b"e":
                v, i = dec(i)
                out.append(v)
            return out, i + 1
        if c == b"d":
            i, out = i + 1, {}
            while data[i:i + 1] != b"e":
                k, i = dec(i)
                v, i = dec(i)
                out[k] = v
            return out, i + 1
        colon = data.index(b":", i)
        n = int(data[i:colon])
        return data[colon + 1:colon + 1 + n], colon + 1 + n
    value, end = dec(0)
    if end != len(data):
        raise ValueError("trailing bytes after bencoded value")
    return value


def http_get(url, timeout=5):
    """Returns (status, body) without raising on HTTP errors."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def write_file(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def make_image_tree(root, special=True, megabytes=1):
    """A small OS-like tree; with special=True it holds every kind of item packing must keep."""
    os.makedirs(root, exist_ok=True)
    write_file(os.path.join(root, "etc", "passwd"),
               "root:x:0:0:root:/root:/bin/sh\nsvc:x:1234:5678::/srv:/bin/false\n")
    write_file(os.path.join(root, "etc", "group"), "root:x:0:\nsvcgrp:x:5678:\n")
    write_file(os.path.join(root, "etc", "hostname"), "golden\n")
    write_file(os.path.join(root, "etc", "shadow"), "root:*:19000:0:99999:7:::\n", 0o640)
    block = bytes(range(256)) * 4096  # 1 MiB, compressible but not trivially
    rnd = os.urandom(1 << 20)
    for i in range(megabytes):
        write_file(os.path.join(root, "usr", "lib", "data%03d.bin" % i), (block if i % 2 else rnd))
    write_file(os.path.join(root, "usr", "bin", "tool"), b"#!/bin/sh\necho tool\n", 0o755)
    os.symlink("tool", os.path.join(root, "usr", "bin", "tool-link"))
    os.symlink("/nonexistent/target", os.path.join(root, "usr", "bin", "dangling"))
    os.makedirs(os.path.join(root, "empty-dir"))
    if special:
        suid = os.path.join(root, "usr", "bin", "su")
        write_file(suid, b"\x7fELF fake su\n", 0o755)
        os.chmod(suid, 0o4755)
        os.link(os.path.join(root, "usr", "bin", "tool"), os.path.join(root, "usr", "bin", "tool-hard"))
        owned = os.path.join(root, "srv", "owned")
        write_file(owned, "owned by svc\n")
        os.chown(owned, 1234, 5678)
        os.chown(os.path.join(root, "srv"), 1234, 5678)
        os.makedirs(os.path.join(root, "dev"), exist_ok=True)
        os.mknod(os.path.join(root, "dev", "null"), 0o666 | 0o020000, os.makedev(1, 3))
        os.mknod(os.path.join(root, "dev", "sda"), 0o660 | 0o060000, os.makedev(8, 0))
        os.mkfifo(os.path.join(root, "dev", "initctl"), 0o600)
        sparse = os.path.join(root, "var", "lib", "sparse.img")
        os.makedirs(os.path.dirname(sparse), exist_ok=True)
        with open(sparse, "wb") as f:
            f.truncate(64 << 20)
            f.seek(32 << 20)
            f.write(b"middle")
            f.seek((64 << 20) - 4)
            f.write(b"end!")
        ping = os.path.join(root, "usr", "bin", "ping")
        write_file(ping, b"\x7fELF fake ping\n", 0o755)
        # cap_net_raw+ep, as Debian ships ping.
        os.setxattr(ping, "security.capability",
                    bytes.fromhex("0100000200200000000000000000000000000000"))
        os.setxattr(os.path.join(root, "etc", "hostname"), "user.comment", b"golden image")
        subprocess.run(["setfacl", "-m", "u:1234:rx", os.path.join(root, "srv", "owned")], check=True)
    # Fixed mtimes (ns precision) so that a lost nanosecond shows.
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            os.utime(os.path.join(dirpath, name), ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789),
                     follow_symlinks=False)
    os.utime(root, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return root


class ServerTree:
    """A temporary /etc + /var/lib/systemimager for one si_btd, on 127.0.0.1 by default."""

    def __init__(self, address="127.0.0.1", compress="n", update="y", images=("demo",),
                 overrides=(), extra="", ports=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="si-test-")
        self.dir = self.tmp.name
        self.address = address
        # The monitor port is si_btd's listener for the agents' reports (not 8181: tests run side
        # by side). `ports` (tracker, seeder, monitor) for an address of a network namespace,
        # where this process cannot bind to look for free ones.
        self.tracker_port, self.seeder_port, self.monitor_port = ports or free_ports(address, 3)
        for d in ("images", "overrides", "tarballs", "torrents", "etc", "log"):
            os.makedirs(os.path.join(self.dir, d))
        self.bt_conf = os.path.join(self.dir, "etc", "bittorrent.conf")
        self.si_conf = os.path.join(self.dir, "etc", "systemimager.conf")
        self.state = os.path.join(self.dir, "log", "dstate")
        self.log = os.path.join(self.dir, "log", "tracker.log")
        self.pidfile = os.path.join(self.dir, "si_btd.pid")
        self.write_bt_conf(compress=compress, update=update, images=images, overrides=overrides, extra=extra)
        with open(self.si_conf, "w") as f:
            f.write("DEFAULT_IMAGE_DIR = %s/images\nDEFAULT_OVERRIDE_DIR = %s/overrides\n"
                    "AUTOINSTALL_TARBALL_DIR = %s/tarballs\nAUTOINSTALL_TORRENT_DIR = %s/torrents\n"
                    % ((self.dir,) * 4))
        self.procs = []

    def write_bt_conf(self, compress="n", update="y", images=("demo",), overrides=(), extra=""):
        with open(self.bt_conf, "w") as f:
            # BT_MONITOR_PORT last but `extra`: tests name the lines before it by number.
            f.write("BT_TRACKER_PORT=%d\nBT_SEEDER_PORT=%d\nBT_TRACKER_STATE=%s\nBT_TRACKER_LOG=%s\n"
                    "BT_INTERFACE=%s\nBT_COMPRESS=%s\nBT_UPDATE=%s\nBT_IMAGES=%s\nBT_OVERRIDES=%s\n"
                    "BT_MONITOR_PORT=%d\n%s"
                    % (self.tracker_port, self.seeder_port, self.state, self.log, self.address,
                       compress, update, ",".join(images), ",".join(overrides), self.monitor_port,
                       extra))

    def image_dir(self, name):
        return os.path.join(self.dir, "images", name)

    def override_dir(self, name):
        return os.path.join(self.dir, "overrides", name)

    def url(self, path):
        return "http://%s:%d%s" % (self.address, self.tracker_port, path)

    def btd_args(self):
        return [SI_BTD, "--config", self.bt_conf, "--systemimager-conf", self.si_conf,
                "--pidfile", self.pidfile]

    def start(self, foreground=True, **kw):
        args = self.btd_args() + (["--foreground"] if foreground else [])
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
        self.procs.append(p)
        return p

    def status(self, history=False):
        """si_btd's /status.json as a dict (None when it does not answer 200)."""
        import json
        code, body = http_get(self.url("/status.json" + ("?history=1" if history else "")), timeout=5)
        return json.loads(body) if code == 200 else None

    def node(self, key, history=False):
        """The /status.json entry of the node with this key: its MAC (aa:bb:.. or aa.bb..),
        or "ip:<address>" for one that reported no MAC (a loopback agent). None if absent."""
        doc = self.status(history)
        want = key if key.startswith("ip:") else key.lower().replace(".", ":")
        for n in (doc or {}).get("nodes", []):
            if n["key"] == want:
                return n
        return None

    def served(self):
        status, body = http_get(self.url("/torrents/"), timeout=2)
        return body.decode().split() if status == 200 else []

    def wait_served(self, names, timeout=60):
        """Waits until si_btd lists every name under /torrents/. If the si_btd this tree last
        started has exited with an error meanwhile, fails at once with its output."""
        def served_or_died():
            last = self.procs[-1] if self.procs else None
            if last is not None and last.poll() not in (None, 0):
                out = last.communicate()[0] if last.stdout else b""
                raise AssertionError("si_btd exited %d before serving %s:\n%s"
                                     % (last.returncode, names, (out or b"").decode(errors="replace")[-2000:]))
            return set(names) <= set(self.served())
        wait_for(served_or_died, timeout, "si_btd to serve %s" % names)

    def log_text(self):
        with contextlib.suppress(FileNotFoundError), open(self.log) as f:
            return f.read()
        return ""

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(10)
            if p.stdout:
                p.stdout.close()
        with contextlib.suppress(Exception):
            with open(self.pidfile) as f:
                os.kill(int(f.read()), signal.SIGKILL)
        self.tmp.cleanup()


def torrent_info_hash(torrent_bytes):
    """The v1 info-hash (hex) of a .torrent: SHA-1 of the bencoded info dict, as stored."""
    import hashlib
    start = torrent_bytes.index(b"4:infod") + len(b"4:info")
    depth, i = 0, start
    while True:
        c = torrent_bytes[i:i + 1]
        if c in (b"d", b"l"):
            depth, i = depth + 1, i + 1
        elif c == b"i":
            i = torrent_bytes.index(b"e", i) + 1
        elif c == b"e":
            depth, i = depth - 1, i + 1
            if depth == 0:
                return hashlib.sha1(torrent_bytes[start:i]).hexdigest()
        else:
            colon = torrent_bytes.index(b":", i)
            i = colon + 1 + int(torrent_bytes[i:colon])


def aria2_download(torrent_path, out_dir, bind="127.0.0.2", timeout=120):
    """Downloads with Debian's aria2c (a client we did not write), bound to `bind`."""
    return subprocess.run(
        ["aria2c", "--interface=" + bind, "--dir=" + out_dir, "--seed-time=0", "--enable-dht=false",
         "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--file-allocation=none",
         "--console-log-level=warn", "--summary-interval=0", "--bt-stop-timeout=%d" % timeout,
         torrent_path],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 30)


def extract(tarball, dest):
    os.makedirs(dest, exist_ok=True)
    comp = {".gz": ["-z"], ".zst": ["--zstd"]}.get(os.path.splitext(tarball)[1], [])
    subprocess.run(["tar", "--xattrs", "--xattrs-include=*", "--acls", "--numeric-owner", "-xpS"]
                   + comp + ["-f", tarball, "-C", dest], check=True)


def proc_read_bytes(pid):
    """Bytes the process has read through read()/pread() so far (/proc/PID/io rchar)."""
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return -1


SI_BTAGENT = os.path.join(BUILD_DIR, "src", "agent", "si_btagent")


def start_agent(tree_dir, address, cmdline, root=None, staging=None, extra_args=()):
    """Starts si_btagent bound to `address` with `cmdline` as its kernel command line.
    Returns (Popen, root)."""
    node = os.path.join(tree_dir, "node-" + address)
    root = root or os.path.join(node, "a")
    os.makedirs(root, exist_ok=True)
    cmdline_file = os.path.join(node, "cmdline")
    with open(cmdline_file, "w") as f:
        f.write(cmdline + "\n")
    staging = staging or os.path.join(node, "staging")
    args = [SI_BTAGENT, "--cmdline", cmdline_file, "--root", root, "--bind", address,
            "--staging", staging]
    p = subprocess.Popen(args + list(extra_args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p, root


def stop_procs(procs, timeout=10):
    """Kills the processes still running (tests' agents) and closes their pipes."""
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout)
        if p.stdout:
            p.stdout.close()


class MonitorListener:
    """A stand-in for si_monitor: one TCP connection per report, one line of colon-separated
    key=value pairs. Records (monotonic time, fields) of every line, on its own thread."""

    def __init__(self, address="127.0.0.1", port=0):
        import threading
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.events = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                with contextlib.suppress(OSError):
                    while True:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                now = time.monotonic()
                for line in data.decode(errors="replace").splitlines():
                    fields = dict(kv.split("=", 1) for kv in line.split(":") if "=" in kv)
                    with self.lock:
                        self.events.append((now, fields))

    def statuses(self, key, value):
        """Statuses reported by the node whose field `key` (ip, mac) is `value`, in order."""
        with self.lock:
            return [int(f["status"]) for _, f in self.events if f.get(key) == value and "status" in f]

    def first_time(self, key, value, status):
        with self.lock:
            for t, f in self.events:
                if f.get(key) == value and f.get("status") == str(status):
                    return t
        return None

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.sock.close()


def boot_file_header(path):
    """The fields of the '# si_btd: ...' line of a node's pxelinux file (src/server/
    pxe_boot_file.hpp) as a dict: boot, image, host, since, by. {} when it has none."""
    with open(path) as f:
        for line in f.read().splitlines()[:3]:
            if line.startswith("# si_btd: "):
                return dict(w.split("=", 1) for w in line[len("# si_btd: "):].split())
    return {}


# CTest's SKIP_RETURN_CODE for the Python tests (tests/CMakeLists.txt): unittest itself exits 0
# when every test was skipped, which CTest would print as "Passed".
SKIP_EXIT = 77


def main():
    """unittest.main() for a test file run by CTest: exits 77 (skipped) when every test of the
    file was skipped, 1 when one failed, else 0."""
    import sys
    import unittest
    prog = unittest.main(exit=False)
    result = prog.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun == 0:
        print("no test ran (a -k pattern that matches none?)", file=sys.stderr)
        sys.exit(1)
    if result.testsRun > 0 and len(result.skipped) == result.testsRun:
        sys.exit(SKIP_EXIT)
    sys.exit(0)
