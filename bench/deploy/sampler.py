"""Samples, every `period` seconds, the byte counters of every link (read in the bridge's
namespace: a port's tx is its host's rx) and of the server's own veth, and the machine's CPU
use from /proc/stat. One thread; reading /proc costs no process start."""
import os
import threading
import time


def cpu_jiffies():
    """(busy, total) jiffies of all CPUs since boot; iowait counts as idle."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


class Sampler:
    def __init__(self, cluster, period=0.5):
        self.cluster = cluster
        self.period = period
        # (time, cpu_busy, cpu_total, {node k: rx}, servers' tx (their veths), servers' tx
        #  (bridge ports), {node k: tx})
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def sample(self):
        br = self.cluster.counters(self.cluster.br)
        # Every image server's veth, summed: with several servers, what all of them sent.
        srv_tx = sum(self.cluster.counters(ns).get("eth0", (0, 0))[1]
                     for ns in self.cluster.srv_ns)
        rx = {k: br["n%d" % k][1] for k in range(1, self.cluster.nodes + 1)}
        tx = {k: br["n%d" % k][0] for k in range(1, self.cluster.nodes + 1)}
        busy, total = cpu_jiffies()
        return (time.time(), busy, total, rx, srv_tx, sum(br[p][0] for p in self.cluster.srv_ports),
                tx)

    def start(self):
        self.samples = [self.sample()]
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        next_t = time.monotonic() + self.period
        while not self._stop.wait(max(0.0, next_t - time.monotonic())):
            self.samples.append(self.sample())
            next_t += self.period

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self.samples.append(self.sample())
        return self.samples


def cpu_busy_between(a, b):
    """Busy fraction of the machine between two samples."""
    dt = b[2] - a[2]
    return (b[1] - a[1]) / dt if dt > 0 else 0.0


class CpuGroup:
    """A cgroup v2 group holding the benchmark and all it starts, for two numbers /proc/stat
    cannot give on a shared machine: the CPU time our processes used (cpu.stat), and how long
    they waited for a CPU while runnable (cpu.pressure "some": pressure stall information).
    Other users' niced compiles keep the machine busy without slowing us; stalls say when we
    were really short of CPU. Unavailable (None readings) without cgroup v2 and PSI."""

    ROOTS = ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")

    def __init__(self, name):
        self.path = None
        self.origin = None
        self.root = next((r for r in self.ROOTS
                          if os.path.exists(os.path.join(r, "cgroup.controllers"))), None)
        if self.root is None:
            return
        try:
            with open("/proc/self/cgroup") as f:
                v2 = [l.strip().split(":", 2)[2] for l in f if l.startswith("0::")]
            self.origin = os.path.join(self.root, v2[0].lstrip("/")) if v2 else self.root
            path = os.path.join(self.root, name)
            os.mkdir(path)
            self.path = path
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            if self.read() is None:
                raise OSError("no cpu.stat/cpu.pressure")
        except OSError:
            self.remove()

    def read(self):
        """(cpu usage µs, CPU stall µs) of the group so far, or None."""
        if not self.path:
            return None
        try:
            with open(os.path.join(self.path, "cpu.stat")) as f:
                usage = int(f.readline().split()[1])
            with open(os.path.join(self.path, "cpu.pressure")) as f:
                some = int(f.readline().rsplit("total=", 1)[1])
            return usage, some
        except (OSError, IndexError, ValueError):
            return None

    def child_usage_s(self, name, pid=None):
        """CPU-seconds of the subgroup `name` so far, first moving `pid` into it (made when
        missing): one node's process and all it starts later, counted apart from the rest of
        the group; None without cgroup v2. The subgroups go with remove()."""
        if not self.path:
            return None
        path = os.path.join(self.path, name)
        try:
            os.makedirs(path, exist_ok=True)
            if pid is not None:
                with open(os.path.join(path, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
            with open(os.path.join(path, "cpu.stat")) as f:
                return int(f.readline().split()[1]) / 1e6
        except (OSError, IndexError, ValueError):
            return None

    def remove_children(self):
        """Removes the empty subgroups of child_usage_s (their processes are gone)."""
        if not self.path:
            return
        for name in os.listdir(self.path):
            sub = os.path.join(self.path, name)
            if os.path.isdir(sub):
                try:
                    os.rmdir(sub)
                except OSError:
                    pass

    def remove(self):
        """Moves us back where we came from and removes the group (our children are gone)."""
        if not self.path:
            return
        self.remove_children()
        try:
            with open(os.path.join(self.origin, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            os.rmdir(self.path)
        except OSError:
            pass
        self.path = None


def background_cpu(seconds=2.0):
    """The machine's CPU use while the benchmark does nothing: the other users' load."""
    b0, t0 = cpu_jiffies()
    time.sleep(seconds)
    b1, t1 = cpu_jiffies()
    return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
