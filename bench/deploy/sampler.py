"""Samples, every `period` seconds, the byte counters of every link (read in the bridge's
namespace: a port's tx is its host's rx) and of the server's own veth, and the machine's CPU
use from /proc/stat. One thread; reading /proc costs no process start."""
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
        # (time, cpu_busy, cpu_total, {node k: rx}, server tx (its veth), server tx (bridge port),
        #  {node k: tx})
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def sample(self):
        br = self.cluster.counters(self.cluster.br)
        srv = self.cluster.counters(self.cluster.srv)
        rx = {k: br["n%d" % k][1] for k in range(1, self.cluster.nodes + 1)}
        tx = {k: br["n%d" % k][0] for k in range(1, self.cluster.nodes + 1)}
        busy, total = cpu_jiffies()
        return (time.time(), busy, total, rx, srv["eth0"][1], br["srv"][0], tx)

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


def background_cpu(seconds=2.0):
    """The machine's CPU use while the benchmark does nothing: the other users' load."""
    b0, t0 = cpu_jiffies()
    time.sleep(seconds)
    b1, t1 = cpu_jiffies()
    return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
