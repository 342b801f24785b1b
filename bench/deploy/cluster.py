"""The benchmark's cluster: network namespaces on this machine, created and removed by us.

One namespace holds a bridge; the image server and every node get their own namespace with one
veth link to that bridge. Every link is shaped in both directions: the host's side (its
upload) by htb at the link rate with a netem delay below it, the bridge's side (the host's
download) by htb at the same rate. Below each htb class, a tail-drop queue of `queue` (packets,
or bytes for a queue sized in time). Addresses: 10.77.0.1 the image server, 10.77.0.i the
i-th of several image servers (i <= MAX_SERVERS), 10.77.0.(10+k) node k.
Nothing is routed out of the namespaces; nothing outside them is touched."""
import os
import re
import shutil
import signal
import subprocess
import time

SUBNET = "10.77.0"
SERVER_IP = SUBNET + ".1"
MAX_SERVERS = 9  # server addresses .1-.9, below the nodes' .11 and up


def server_ip(i):
    """The address of image server i (1-based); server 1 is SERVER_IP."""
    return "%s.%d" % (SUBNET, i)


def node_ip(k):
    return "%s.%d" % (SUBNET, 10 + k)


MTU_FRAME = 1514  # bytes of one full Ethernet frame as the qdisc counts it


def queue_limit(queue, rate_bps):
    """A link direction's queue from --queue: '2000p' (packets) -> ('packets', 2000); '1s' or
    '250ms' (time at the link rate) -> ('bytes', rate x time / 8, at least 4 full frames).
    Raises ValueError naming the bad value."""
    q = queue.strip().lower()
    m = re.fullmatch(r"(\d+)p", q)
    if m and int(m.group(1)) > 0:
        return ("packets", int(m.group(1)))
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", q)
    if m and float(m.group(1)) > 0:
        seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
        return ("bytes", max(4 * MTU_FRAME, int(rate_bps * seconds / 8)))
    raise ValueError("--queue %r: give packets (2000p) or a time at the link rate (1s, 250ms)"
                     % queue)


def sh(*args, check=True):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stdout.strip()))
    return r.stdout


class Cluster:
    """`nodes` node namespaces plus `servers` image server namespaces (1..MAX_SERVERS) and the
    bridge, links at `rate` (tc syntax, e.g. 100mbit) with `delay` (e.g. 0.1ms) one way on each
    host's egress; `queue` is queue_limit()'s (kind, limit) for every link direction. `cc`: the
    TCP congestion control every host's namespace uses (e.g. cubic, Debian's kernel default), or
    "host" for whatever this machine's kernel gives new namespaces."""

    def __init__(self, nodes, rate, delay, queue, prefix=None, servers=1, cc="cubic"):
        if not 1 <= servers <= MAX_SERVERS:
            raise ValueError("--servers: 1 to %d image servers, not %d" % (MAX_SERVERS, servers))
        self.nodes = nodes
        self.rate = rate
        self.delay = delay
        self.queue = queue
        self.prefix = prefix or "sidb%d" % os.getpid()
        self.br = self.prefix + "-br"
        self.srv = self.prefix + "-srv"
        # Server i's namespace and its bridge port; server 1 keeps the one-server names.
        self.srv_ns = [self.srv] + ["%s-srv%d" % (self.prefix, i) for i in range(2, servers + 1)]
        self.srv_ports = ["srv"] + ["srv%d" % i for i in range(2, servers + 1)]
        self.node_ns = ["%s-n%d" % (self.prefix, k) for k in range(1, nodes + 1)]
        self.netem = True  # False when the kernel has no sch_netem: no delay is added
        self.cc = cc
        self.sleepers = {}  # namespace -> Popen of a process whose /proc/PID/net shows that ns
        self.created = []

    # ---- life cycle -------------------------------------------------------------------------
    def create(self):
        self._raise_neighbour_limits()
        sh("ip", "netns", "add", self.br)
        self.created.append(self.br)
        sh("ip", "-n", self.br, "link", "add", "br0", "type", "bridge")
        # No STP, no forwarding delay: ports forward at once.
        sh("ip", "-n", self.br, "link", "set", "br0", "type", "bridge", "stp_state", "0",
           "forward_delay", "0")
        sh("ip", "-n", self.br, "link", "set", "br0", "up")
        sh("ip", "-n", self.br, "link", "set", "lo", "up")
        for i, (ns, port) in enumerate(zip(self.srv_ns, self.srv_ports), start=1):
            self._host(ns, port, server_ip(i))
        for k, ns in enumerate(self.node_ns, start=1):
            self._host(ns, "n%d" % k, node_ip(k))
        for ns in [self.br] + self.srv_ns + self.node_ns:
            self.sleepers[ns] = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "1000000"],
                                                 stdin=subprocess.DEVNULL)

    def _host(self, ns, port, ip):
        sh("ip", "netns", "add", ns)
        self.created.append(ns)
        sh("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
           "netns", self.br)
        sh("ip", "-n", self.br, "link", "set", port, "master", "br0", "up")
        sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        if self.cc != "host":
            self._set_congestion_control(ns)
        # Upload: rate + one-way delay. Download (the bridge port's egress): rate.
        self._shape(ns, "eth0", with_delay=True)
        self._shape(self.br, port, with_delay=False)

    def _set_congestion_control(self, ns):
        """Every TCP connection the host in `ns` opens uses self.cc. Raises RuntimeError
        naming the algorithm and those this kernel has, when it has no such algorithm."""
        try:
            sh(*self.exec_args(ns, ["sh", "-c", 'echo "$1" > '
                                    "/proc/sys/net/ipv4/tcp_congestion_control", "sh", self.cc]))
        except RuntimeError:
            with open("/proc/sys/net/ipv4/tcp_available_congestion_control") as f:
                have = f.read().strip()
            raise RuntimeError("--cc %s: this kernel has no such TCP congestion control "
                               "(it has: %s)" % (self.cc, have)) from None

    def _shape(self, ns, dev, with_delay):
        sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "handle", "1:",
           "htb", "default", "1")
        sh("ip", "netns", "exec", ns, "tc", "class", "add", "dev", dev, "parent", "1:",
           "classid", "1:1", "htb", "rate", self.rate, "ceil", self.rate)
        add_leaf = ["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "parent", "1:1",
                    "handle", "10:"]
        kind, limit = self.queue
        if with_delay and self.netem:
            # netem counts its limit in packets only.
            packets = limit if kind == "packets" else max(1, limit // MTU_FRAME)
            try:
                sh(*add_leaf, "netem", "delay", self.delay, "limit", str(packets))
                return
            except RuntimeError as e:
                if "unknown" not in str(e):
                    raise
                self.netem = False  # e.g. CONFIG_NET_SCH_NETEM off: say so in the report
        if kind == "packets":
            sh(*add_leaf, "pfifo", "limit", str(limit))
        else:
            sh(*add_leaf, "bfifo", "limit", str(limit))

    def _raise_neighbour_limits(self):
        """The kernel's ARP table is shared by all namespaces and every host talks to every
        other: (N + 1)^2 entries. Above the default gc_thresh3 (1024, about 31 nodes) the
        kernel logs 'neighbor table overflow' and connections fail (seen at 64 nodes: half
        the nodes never reached a peer). Raised for the run, restored by destroy()."""
        need = 2 * (self.nodes + 1) ** 2
        self.saved_sysctls = {}
        for i, key in enumerate(("gc_thresh1", "gc_thresh2", "gc_thresh3")):
            path = "/proc/sys/net/ipv4/neigh/default/" + key
            with open(path) as f:
                old = int(f.read())
            want = need * (i + 1) // 3 if i < 2 else need
            if old < want:
                self.saved_sysctls[path] = old
                with open(path, "w") as f:
                    f.write(str(want))

    def destroy(self):
        """Kills whatever still runs in our namespaces, then deletes them. Safe to call twice."""
        for p in self.sleepers.values():
            if p.poll() is None:
                p.kill()
                p.wait(5)
        self.sleepers = {}
        for ns in self.created:
            kill_namespace_processes(ns)
        for ns in reversed(self.created):
            sh("ip", "netns", "del", ns, check=False)
        self.created = []
        for path, old in getattr(self, "saved_sysctls", {}).items():
            with open(path, "w") as f:
                f.write(str(old))
        self.saved_sysctls = {}

    # ---- running and counting ---------------------------------------------------------------
    def exec_args(self, ns, args):
        return ["ip", "netns", "exec", ns] + list(args)

    def ping_rtt_ms(self):
        """Average RTT node 1 -> server, as the links really are (a check of the shaping);
        NaN without ping (iputils-ping)."""
        if shutil.which("ping") is None:
            return float("nan")
        out = sh(*self.exec_args(self.node_ns[0], ["ping", "-c", "5", "-i", "0.2", "-q",
                                                    SERVER_IP]), check=False)
        for line in out.splitlines():
            if "min/avg/max" in line:
                return float(line.split("=")[1].split("/")[1])
        return float("nan")

    def set_server_link(self, i, up):
        """Takes image server i's link down (up=False) or brings it back: its address stays, so
        its route returns with the link."""
        sh("ip", "-n", self.srv_ns[i - 1], "link", "set", "eth0", "up" if up else "down")

    def shaped_bytes(self):
        """{bridge port: bytes its shaper sent} (node k's download is port 'nk'), as htb
        counts them: every TCP segment with its headers, also where the kernel carries several
        segments in one packet, which the interface counters (counters()) count once."""
        out, dev = {}, None
        for line in sh(*self.exec_args(self.br, ["tc", "-s", "qdisc", "show"])).splitlines():
            m = re.match(r"qdisc htb 1: dev (\S+) root", line)
            if m:
                dev = m.group(1)
                continue
            m = re.match(r"\s*Sent (\d+) bytes", line)
            if m and dev:
                out[dev] = int(m.group(1))
                dev = None
        return out

    def counters(self, ns):
        """{ifname: (rx_bytes, tx_bytes)} in namespace `ns`, read without starting a process."""
        out = {}
        with open("/proc/%d/net/dev" % self.sleepers[ns].pid) as f:
            for line in f.readlines()[2:]:
                name, rest = line.split(":", 1)
                v = rest.split()
                out[name.strip()] = (int(v[0]), int(v[8]))
        return out


def kill_namespace_processes(ns):
    """SIGKILLs every process in `ns` (a namespace this benchmark created), bounded in time."""
    for _ in range(20):
        pids = [int(p) for p in sh("ip", "netns", "pids", ns, check=False).split() if p.isdigit()]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def leftover_namespaces():
    """Namespaces of earlier runs of this benchmark that were not removed (crash, SIGKILL)."""
    out = sh("ip", "netns", "list", check=False)
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    left = []
    for n in names:
        m = re.match(r"sidb(\d+)-", n)
        if m and not os.path.exists("/proc/" + m.group(1)):
            left.append(n)
    return left
