"""The ways of getting the image onto every node, each run on the same cluster and image:

- ours:      si_btd on the server, si_btagent on every node (streaming unpack into its root);
- unicast:   an HTTP server on the image server, every node pipes the tarball into tar at once;
- handbuilt: Debian's opentracker (whitelist mode) + aria2c seeding on the server and
             downloading on every node, tar -x from aria2c's download-complete hook;
- rsync:     (delta runs, nodes that hold an older version) an rsync daemon on the server and
             rsync --delete on every node, as SystemImager's si_updateclient does.

Each class has prepare() (server side, before the clock starts), start_node(k) (returns the
node's process), and finish() (server side, after the last node); a node is done when its
image is unpacked in its root, as stamped by Node."""
import os
import re
import signal
import subprocess
import threading
import time
import sys
import urllib.parse

from cluster import SERVER_IP, node_ip, server_ip

# The test suite's helpers (tests/tools): one .torrent reader for tests and benchmarks.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "tools"))
from sitest import torrent_info_hash  # noqa: E402

TRACKER_PORT = 6969   # si_btd's tracker (and /torrents/)
SEEDER_PORT = 6881
HTTP_PORT = 8080      # unicast
OT_PORT = 6970        # opentracker
ARIA2_PORT = 6882
RSYNC_PORT = 873     # rsync (delta runs)
# The agent's closing line per tarball (si_btagent_main.cpp).
TAIL_RE = re.compile(r"entries unpacked; download ([0-9.]+) s, last file ([0-9.]+) s after")
TWICE_RE = re.compile(r": ([0-9.]+) MiB received twice")
# How long a server part may take to come up before the run is called failed.
SERVER_START_DEADLINE_S = 60


def node_group(k):
    """The name of node k's CPU group under the benchmark's cgroup."""
    return "node%03d" % k


def tar_flags(tarball):
    if tarball.endswith(".tar.zst"):
        return ["--zstd"]
    if tarball.endswith(".tar.gz"):
        return ["-z"]
    return []


class Node:
    """One node's process; `done` is the wall time its image was unpacked, `failed` a reason."""

    def __init__(self, k, proc, log_path, done_regex=None, marker=None, busy_mark=None):
        self.k, self.proc, self.log_path = k, proc, log_path
        # While this file exists the node is still finishing its install (our agent's
        # .systemimager-incomplete): it is done (timed) but not settled, so it is not stopped
        # half-way through its last writes.
        self.busy_mark = busy_mark
        self.done = None
        self.failed = None
        self.done_regex = re.compile(done_regex) if done_regex else None
        self.marker = marker
        self._reader = None
        if proc.stdout is not None:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def _read(self):
        with open(self.log_path, "w") as log:
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace")
                log.write("%.3f %s" % (time.time(), line))
                if self.done_regex and self.done is None and self.done_regex.search(line):
                    self.done = time.time()

    def poll(self):
        """Updates done/failed; True when settled."""
        if self.done is None and self.marker and os.path.exists(self.marker):
            try:
                with open(self.marker) as f:
                    self.done = float(f.read().strip())
            except ValueError:
                pass  # being written
        rc = self.proc.poll()
        if self.done is None and rc is not None:
            if self._reader:
                self._reader.join(2)
            if rc == 0 and self.done_regex is None and self.marker is None:
                self.done = time.time()
            elif self.done is None:
                self.failed = "exit %d (see %s)" % (rc, self.log_path)
        if self.failed is not None:
            return True
        if self.done is None:
            return False
        return rc is not None or self.busy_mark is None or not os.path.exists(self.busy_mark)

    def stop(self):
        stop_process(self.proc)
        if self._reader:
            self._reader.join(5)


def stop_process(p, grace=3.0):
    """SIGTERM, then SIGKILL after `grace` seconds; always reaps."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
    if p.stdout:
        p.stdout.close()


class Transport:
    name = "?"

    def __init__(self, ctx, env=None):
        self.ctx = ctx          # run.Context: cluster, paths, build dir, image facts
        self.server_procs = []
        self.env = dict(os.environ, **(env or {}))

    def spawn_server(self, args, log_name, cwd=None, server=1):
        """Starts `args` in image server `server`'s namespace (1-based), logging to log_name."""
        log = open(os.path.join(self.ctx.log_dir, log_name), "w")
        ns = self.ctx.cluster.srv_ns[server - 1]
        p = subprocess.Popen(self.ctx.cluster.exec_args(ns, args), stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd,
                             env=self.env)
        log.close()
        self.server_procs.append(p)
        return p

    def server_get(self, url, server=1):
        """GET from inside a server's namespace (the cluster is not reachable from here)."""
        r = subprocess.run(self.ctx.cluster.exec_args(self.ctx.cluster.srv_ns[server - 1],
                                                      ["curl", "-sf", "--max-time", "2", url]),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return r.stdout if r.returncode == 0 else None

    def wait_server(self, predicate, what):
        deadline = time.monotonic() + SERVER_START_DEADLINE_S
        while time.monotonic() < deadline:
            if predicate():
                return
            for p in self.server_procs:
                if p.poll() is not None:
                    raise RuntimeError("%s: server process exited %d while waiting for %s (logs: %s)"
                                       % (self.name, p.returncode, what, self.ctx.log_dir))
            time.sleep(0.2)
        raise RuntimeError("%s: timed out after %d s waiting for %s" %
                           (self.name, SERVER_START_DEADLINE_S, what))

    def servers(self):
        """How many image servers this run has (the context's `servers`, default 1)."""
        return getattr(self.ctx, "servers", 1)

    def node_dirs(self, k):
        base = os.path.join(self.ctx.nodes_dir, str(k))
        root, staging = os.path.join(base, "root"), os.path.join(base, "staging")
        os.makedirs(root, exist_ok=True)
        os.makedirs(staging, exist_ok=True)
        return base, root, staging

    def node_log(self, k):
        return os.path.join(self.ctx.log_dir, "%s-node%02d.log" % (self.name, k))

    def popen_node(self, k, args, pipe=True):
        """Starts node k's process in its namespace and in its own CPU group (node_cpu_s)."""
        c = self.ctx.cluster
        if pipe:
            p = subprocess.Popen(c.exec_args(c.node_ns[k - 1], args), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env=self.env)
        else:
            log = open(self.node_log(k), "w")
            p = subprocess.Popen(c.exec_args(c.node_ns[k - 1], args), stdout=log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
            log.close()
        self.ctx.cgroup.child_usage_s(node_group(k), p.pid)
        return p

    def node_cpu_s(self, k):
        """CPU-seconds node k's process and everything it started (tar) have used so far."""
        return self.ctx.cgroup.child_usage_s(node_group(k))

    def unpack_tail(self, node):
        """(download s, last piece -> last file s) of a node whose log says so, else None."""
        return None

    def received_twice(self, node):
        """Piece bytes the node received although it had them, if its log says so, else None."""
        return None

    def finish(self):
        for p in reversed(self.server_procs):
            stop_process(p)
        self.server_procs = []


class Ours(Transport):
    name = "ours"

    def seed_conf(self):
        """The seeding run's bittorrent.conf: the bench's, plus a variant's BT_* variables
        (ours+BT_SUPER_SEED=n), which si_btd reads from its configuration, not its
        environment."""
        extra = {k: v for k, v in self.env.items() if k.startswith("BT_") and k not in os.environ}
        if not extra:
            return self.ctx.bt_conf_seed
        path = "%s-%s.conf" % (self.ctx.bt_conf_seed[:-len(".conf")],
                               "-".join("%s=%s" % kv for kv in sorted(extra.items())))
        with open(self.ctx.bt_conf_seed) as f, open(path, "w") as out:
            out.write(f.read() + "".join("%s=%s\n" % kv for kv in sorted(extra.items())))
        return path

    def server_confs(self, i):
        """(bittorrent.conf, systemimager.conf) of image server i. One server seeds the packed
        pair in place. With several, each gets a directory of its own that holds hard links to
        the same tarball and .torrent (the shared storage the server HOWTO allows: the same
        tarball gives the same info-hash) and names the other servers in BT_PEER_SERVERS, so
        every .torrent lists every server's tracker."""
        k = self.servers()
        if k == 1:
            return self.seed_conf(), self.ctx.si_conf
        base = os.path.join(self.ctx.work, "servers", "k%d-s%d" % (k, i))
        if not os.path.isdir(base):
            for d in ("tarballs", "torrents", "overrides"):
                src, dst = os.path.join(self.ctx.server_dir, d), os.path.join(base, d)
                os.makedirs(dst)
                for f in os.listdir(src):
                    if os.path.isfile(os.path.join(src, f)):
                        os.link(os.path.join(src, f), os.path.join(dst, f))
        si_conf = os.path.join(base, "systemimager.conf")
        with open(si_conf, "w") as f:
            f.write("DEFAULT_IMAGE_DIR = %s/images\nDEFAULT_OVERRIDE_DIR = %s/overrides\n"
                    "AUTOINSTALL_TARBALL_DIR = %s/tarballs\nAUTOINSTALL_TORRENT_DIR = %s/torrents\n"
                    % (self.ctx.server_dir, base, base, base))
        peers = ",".join("%s:%d" % (server_ip(j), TRACKER_PORT) for j in range(1, k + 1)
                         if j != i)
        lines = []
        with open(self.seed_conf()) as f:
            for line in f:
                key = line.split("=", 1)[0]
                if key == "BT_INTERFACE":
                    line = "BT_INTERFACE=%s\n" % server_ip(i)
                elif key == "BT_TRACKER_STATE":
                    line = "BT_TRACKER_STATE=%s/dstate\n" % base
                elif key == "BT_TRACKER_LOG":
                    line = "BT_TRACKER_LOG=%s/si_btd%d-tracker.log\n" % (self.ctx.log_dir, i)
                elif key == "BT_PEER_SERVERS":
                    continue
                lines.append(line)
        conf = os.path.join(base, "bittorrent.conf")
        with open(conf, "w") as f:
            f.write("".join(lines) + "BT_PEER_SERVERS=%s\n" % peers)
        return conf, si_conf

    def prepare(self):
        # self.seeders[i - 1]: image server i's si_btd (`ip netns exec` execs it: its pid).
        self.seeders = []
        for i in range(1, self.servers() + 1):
            conf, si_conf = self.server_confs(i)
            suffix = "" if i == 1 else str(i)
            self.seeders.append(self.spawn_server(
                [self.ctx.si_btd, "--config", conf, "--systemimager-conf", si_conf,
                 "--foreground", "--pidfile", os.path.join(self.ctx.work, "si_btd%s.pid" % suffix)],
                "%s-si_btd%s.log" % (self.name, suffix), server=i))
        for i in range(1, self.servers() + 1):
            url = "http://%s:%d/torrents/" % (server_ip(i), TRACKER_PORT)
            self.wait_server(lambda: (self.server_get(url, server=i) or b"").find(
                self.ctx.torrent_name.encode()) >= 0,
                "si_btd %s to serve %s" % (server_ip(i), self.ctx.torrent_name))

    def kill_server(self, i):
        """SIGKILLs image server i's si_btd, as a crash would."""
        p = self.seeders[i - 1]
        if p.poll() is None:
            p.kill()
            p.wait(10)

    def start_node(self, k):
        base, root, staging = self.node_dirs(k)
        cmdline = os.path.join(base, "cmdline")
        with open(cmdline, "w") as f:
            f.write("BITTORRENT=y IMAGESERVER=%s IMAGENAME=%s BITTORRENT_TRACKER_PORT=%d "
                    "BITTORRENT_POLLING_TIME=1 BITTORRENT_SEED_WAIT=y BITTORRENT_UPLOAD_MIN=50 "
                    "BITTORRENT_SEED_MAX=%d BITTORRENT_TIMEOUT=60 %s\n"
                    % (",".join(server_ip(i) for i in range(1, self.servers() + 1)),
                       self.ctx.image_name, TRACKER_PORT, self.ctx.timeout_s,
                       self.ctx.agent_cmdline))
        p = self.popen_node(k, [self.ctx.si_btagent, "--cmdline", cmdline, "--root", root,
                                "--staging", staging, "--bind", node_ip(k)])
        # A node that holds an older version (delta runs) is done once its delta is applied.
        held = k in getattr(self.ctx, "held_nodes", ())
        return Node(k, p, self.node_log(k),
                    done_regex=r"si_btagent: delta: " if held else r"entries unpacked; download",
                    busy_mark=os.path.join(root, ".systemimager-incomplete"))

    @staticmethod
    def agent_log(node):
        """The agent's log so far, or "" when it cannot be read."""
        try:
            with open(node.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def unpack_tail(self, node):
        m = TAIL_RE.search(self.agent_log(node))
        return (float(m.group(1)), float(m.group(2))) if m else None

    def received_twice(self, node):
        found = TWICE_RE.findall(self.agent_log(node))
        return sum(float(x) for x in found) * 2**20 if found else None


class Unicast(Transport):
    name = "unicast"

    def prepare(self):
        self.spawn_server(["python3", "-m", "http.server", "--bind", SERVER_IP,
                           "--directory", self.ctx.tarball_dir, str(HTTP_PORT)], "unicast-http.log")
        self.url = "http://%s:%d/%s" % (SERVER_IP, HTTP_PORT, os.path.basename(self.ctx.tarball))
        self.wait_server(lambda: self.server_get("http://%s:%d/" % (SERVER_IP, HTTP_PORT))
                         is not None, "the HTTP server")

    def start_node(self, k):
        _, root, _ = self.node_dirs(k)
        script = ("curl -sSf --max-time %d '%s' | tar -x %s -p --numeric-owner -C '%s' -f -"
                  % (self.ctx.timeout_s, self.url, " ".join(tar_flags(self.ctx.tarball)), root))
        p = self.popen_node(k, ["bash", "-o", "pipefail", "-c", script])
        return Node(k, p, self.node_log(k))


class Handbuilt(Transport):
    """What an administrator would script without us: opentracker + aria2c, defaults kept
    except what makes no sense on an isolated LAN (DHT)."""
    name = "handbuilt"

    def prepare(self):
        ctx = self.ctx
        self.dir = os.path.join(ctx.work, "handbuilt")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)  # opentracker chroots here and drops to nobody
        self.torrent = os.path.join(self.dir, os.path.basename(ctx.tarball) + ".torrent")
        if not os.path.exists(self.torrent):
            # Same piece size as ours: the comparison is about the transport, not the pieces.
            subprocess.run(["mktorrent", "-a", "http://%s:%d/announce" % (SERVER_IP, OT_PORT),
                            "-l", str(ctx.piece_size.bit_length() - 1), "-o", self.torrent,
                            ctx.tarball], check=True, stdout=subprocess.DEVNULL)
            with open(self.torrent, "rb") as f:
                self.info_hash = torrent_info_hash(f.read())
            with open(os.path.join(self.dir, "whitelist"), "w") as f:
                f.write(self.info_hash + "\n")
            os.chmod(os.path.join(self.dir, "whitelist"), 0o644)
        else:
            with open(self.torrent, "rb") as f:
                self.info_hash = torrent_info_hash(f.read())
        self.spawn_server(["opentracker", "-i", SERVER_IP, "-p", str(OT_PORT), "-P", str(OT_PORT),
                           "-d", self.dir, "-w", "whitelist"], self.name + "-opentracker.log",
                          cwd=self.dir)
        q = urllib.parse.quote(bytes.fromhex(self.info_hash), safe="")
        url = "http://%s:%d/scrape?info_hash=%s" % (SERVER_IP, OT_PORT, q)
        # The seeders start once opentracker answers, so that no first announce of theirs can
        # come before it listens (on a loaded machine a run once timed out waiting for its
        # second seeder to be counted).
        self.wait_server(lambda: self.server_get(url) is not None, "opentracker to answer")
        # With k image servers (--servers), an aria2c seeder on each, all announcing to the
        # first one's opentracker: what an administrator would do with k machines.
        k = self.servers()
        for i in range(1, k + 1):
            self.spawn_server(["aria2c", "--dir=" + ctx.tarball_dir, "--seed-ratio=0.0",
                               "--bt-seed-unverified=true", "--check-integrity=false",
                               "--enable-dht=false", "--interface=" + server_ip(i),
                               "--listen-port=%d" % ARIA2_PORT, "--console-log-level=warn",
                               "--summary-interval=0", self.torrent],
                              "%s-aria2c-seeder%s.log" % (self.name, "" if i == 1 else i),
                              server=i)

        def seeders():
            m = re.search(rb"8:completei([0-9]+)e", self.server_get(url) or b"")
            return int(m.group(1)) if m else 0
        self.wait_server(lambda: seeders() >= k,
                         "%d aria2c seeder(s) to announce to opentracker" % k)

    def start_node(self, k):
        base, root, staging = self.node_dirs(k)
        marker = os.path.join(base, "handbuilt.done")
        hook = os.path.join(base, "on-complete.sh")
        with open(hook, "w") as f:
            f.write("#!/bin/sh\n# aria2c calls this with GID, number of files, path; it keeps "
                    "seeding meanwhile.\ntar -x %s -p --numeric-owner -C '%s' -f \"$3\" && "
                    "date +%%s.%%N > '%s.tmp' && mv '%s.tmp' '%s'\n"
                    % (" ".join(tar_flags(self.ctx.tarball)), root, marker, marker, marker))
        os.chmod(hook, 0o755)
        p = self.popen_node(k, ["aria2c", "--dir=" + staging, "--seed-ratio=0.0",
                                "--enable-dht=false", "--file-allocation=none",
                                "--interface=" + node_ip(k), "--listen-port=%d" % ARIA2_PORT,
                                "--on-bt-download-complete=" + hook, "--console-log-level=warn",
                                "--summary-interval=0", self.torrent], pipe=False)
        return Node(k, p, self.node_log(k), marker=marker)


class Rsync(Transport):
    """What reimages a node that holds an older version today: SystemImager's si_updateclient
    way, an rsync daemon on the image server serving the image's tree read-only, and every node
    at once running rsync from it into its root. Flags: archive with hard links, ACLs, xattrs
    and numeric owners, --delete (the root must end equal to the image), and -z (compression
    negotiated, zstd with rsync 3.2), which favours rsync on these links."""
    name = "rsync"
    ARGS = ["-aHAX", "--numeric-ids", "--delete", "-z"]

    def prepare(self):
        d = os.path.join(self.ctx.work, "rsync")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "rsyncd.conf")
        with open(conf, "w") as f:
            f.write("uid = 0\ngid = 0\nuse chroot = yes\nnumeric ids = yes\nread only = yes\n"
                    "max connections = 0\npid file = %s/rsyncd.pid\n[image]\npath = %s\n"
                    % (d, self.ctx.image_dir))
        self.spawn_server(["rsync", "--daemon", "--no-detach", "--address=" + SERVER_IP,
                           "--port=%d" % RSYNC_PORT, "--config=" + conf,
                           "--log-file=" + os.path.join(self.ctx.log_dir, "rsyncd.log")],
                          "rsync-daemon.log")
        url = "rsync://%s:%d/" % (SERVER_IP, RSYNC_PORT)

        def listed():
            r = subprocess.run(self.ctx.cluster.exec_args(self.ctx.cluster.srv_ns[0], [
                "rsync", "--contimeout=2", url]), stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL)
            return r.returncode == 0 and b"image" in r.stdout
        self.wait_server(listed, "the rsync daemon")

    def start_node(self, k):
        _, root, _ = self.node_dirs(k)
        p = self.popen_node(k, ["rsync"] + self.ARGS + [
            "--timeout=%d" % self.ctx.timeout_s,
            "rsync://%s:%d/image/" % (SERVER_IP, RSYNC_PORT), root + "/"], pipe=False)
        return Node(k, p, self.node_log(k))


TRANSPORTS = {"ours": Ours, "unicast": Unicast, "handbuilt": Handbuilt, "rsync": Rsync}


def split_variant(name):
    """'ours+A=1+B=2' -> ('ours', {'A': '1', 'B': '2'}): a transport run with extra
    environment variables for every process it starts."""
    base, *assignments = name.split("+")
    env = {}
    for a in assignments:
        key, sep, value = a.partition("=")
        if not sep or not key:
            raise SystemExit("--transports: %r: expected NAME=VALUE after '+'" % a)
        env[key] = value
    return base, env


def torrent_piece_length(data):
    m = re.search(rb"12:piece lengthi(\d+)e", data)
    return int(m.group(1)) if m else 0
