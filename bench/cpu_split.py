#!/usr/bin/env python3
"""bench/cpu_split.py: where the CPU of a deployment goes, by component, ours against the
hand-built stack, from one system-wide `perf record -g` around a bench/deploy/run invocation
that runs both transports:

    perf record -a -g -F 199 -o /tmp/deploy.perf -- \\
        bench/deploy/run --nodes 16 --rate 20mbit --size 256M --transports ours,handbuilt
    bench/cpu_split.py /tmp/deploy.perf

Every sample is charged to a side by its process name (ours: si_btd, si_btagent; hand-built:
aria2c, opentracker, tar, zstd, mktorrent) and to a component: a sample in the kernel by what
the kernel was doing for the process (the system call or interrupt work on its call chain:
TCP send or receive, the network's soft interrupts, waking or waiting for another thread,
writing or reading files, page faults, ...), a sample in user space by the function it was in
(SHA-1, zstd, libarchive, libtorrent, memory copies, ...). User-space call chains are not
unwound (Debian's libraries and our build keep no frame pointers), so "user: other" is every
function that fits no named group. The table gives CPU-seconds (samples / frequency) and each
component's share of its side. si_btd's samples before the first si_btagent sample are left out
and reported apart: that is si_btd packing the image and hashing it, which happens before the
runs and which the hand-built stack does not do (it seeds the tarball si_btd packed). Needs
Debian's linux-perf and the binaries' symbols. The network's soft interrupts that the kernel
ran in the idle task or in ksoftirqd belong to no process; they are reported apart, charged to
the side whose processes ran most in the same second (on a busy machine more of that work runs
inside the busy processes, so the table alone favours the stack that leaves the CPU idle)."""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys

OURS = ("si_btd", "si_btagent")
HANDBUILT = ("aria2c", "opentracker", "tar", "zstd", "mktorrent")

# Kernel samples: the first of these found on the call chain (leaf first) names the work.
KERNEL = [
    ("kernel: TCP send", ("tcp_sendmsg",)),
    ("kernel: TCP receive", ("tcp_recvmsg",)),
    ("kernel: network soft interrupts", ("net_rx_action", "net_tx_action", "__napi_poll")),
    ("kernel: waking threads (futex)", ("futex_wake",)),
    ("kernel: waiting for threads (futex)", ("futex_wait",)),
    ("kernel: event loop (epoll)", ("do_epoll_wait", "do_epoll_ctl", "ep_poll")),
    ("kernel: file writes", ("generic_perform_write", "shmem_file_write_iter",
                             "ext4_buffered_write_iter", "do_sys_ftruncate", "vfs_fallocate")),
    ("kernel: file reads", ("filemap_read", "shmem_file_read_iter")),
    ("kernel: page faults (mmap, new memory)", ("handle_mm_fault", "exc_page_fault")),
    ("kernel: files opened, created, closed", ("do_sys_openat2", "do_filp_open", "__fput",
                                               "do_mkdirat", "do_symlinkat", "do_linkat",
                                               "chmod_common", "chown_common", "do_utimes",
                                               "setxattr", "do_renameat2", "do_unlinkat",
                                               "vfs_fstatat", "__do_sys_newfstat")),
    ("kernel: memory maps (mmap, munmap, madvise)", ("__vm_munmap", "do_mmap", "do_madvise",
                                                     "__x64_sys_munmap", "__x64_sys_mmap",
                                                     "__x64_sys_madvise")),
    ("kernel: scheduler", ("schedule",)),
    ("kernel: other system calls", ("entry_SYSCALL_64",)),
    ("kernel: other", ("",)),
]
# User-space samples, by the function the sample is in.
USER = [
    ("user: SHA-1 (piece hashes)", ("sha1", "SHA1", "nettle_sha1")),
    ("user: SHA-256 (install record)", ("sha256", "SHA256")),
    ("user: zstd/gzip decompress", ("ZSTD_", "HUF_", "FSE_", "inflate", "libdeflate", "crc32")),
    ("user: libarchive (tar)", ("archive_",)),
    ("user: memory copies", ("memcpy", "memmove", "memset")),
    ("user: BitTorrent engine (libtorrent + asio; aria2)", ("libtorrent::", "boost::", "aria2::",
                                                            "libaria2")),
    ("user: our code", ("si::",)),
    ("user: malloc", ("malloc", "free", "_int_", "cfree", "tcache")),
    ("user: other", ("",)),
]


def side_of(comm):
    for c in OURS:
        if comm.startswith(c[:15]):
            return "ours"
    for c in HANDBUILT:
        if comm == c or comm.startswith(c + "-"):
            return "hand-built"
    return None


def classify(frames):
    """frames: [(symbol, dso)], leaf first."""
    if not frames:
        return "user: other"
    leaf_sym, leaf_dso = frames[0]
    if "kernel" not in leaf_dso and leaf_sym == "[unknown]":
        # A binary without symbols: Debian's zstd, aria2's library.
        leaf_sym = leaf_dso.rsplit("/", 1)[-1]
        if leaf_sym == "zstd":
            return "user: zstd/gzip decompress"
    if "kernel" not in leaf_dso:
        for name, keys in USER:
            if any(k in leaf_sym for k in keys):
                return name
    chain = [s for s, d in frames if "kernel" in d]
    for name, keys in KERNEL:
        for s in chain:
            if any(k and k in s for k in keys):
                return name
    return "kernel: other"


SAMPLE_TIME = re.compile(r" ([0-9]+\.[0-9]+): ")


class DebugSymbols:
    """Function names from a stripped binary's `<binary>.debug` (the static agent's build
    keeps one beside it). perf resolves such a binary's samples against that file wrongly: the
    names it prints for si_btagent are off by a section's offset, so they are looked up here
    from `nm` instead. perf script gives such a sample's address as an offset in the file;
    the binary's LOAD segments turn it into the address nm lists."""

    def __init__(self, perf_data):
        self.tables = {}
        # The build-ids perf recorded: a binary rebuilt since is not the one sampled.
        out = subprocess.run(["perf", "buildid-list", "-i", perf_data], capture_output=True,
                             text=True, errors="replace")
        self.recorded = dict(reversed(l.split(None, 1)) for l in out.stdout.splitlines()
                             if len(l.split(None, 1)) == 2)

    def name(self, dso, file_offset):
        if dso not in self.tables:
            table = None
            if self.recorded.get(dso) == self.build_id(dso + ".debug"):
                table = self.load(dso + ".debug")
            elif os.path.isfile(dso + ".debug"):
                print("cpu_split: %s.debug is not the build perf sampled (rebuilt since?): "
                      "its samples keep perf's names" % dso, file=sys.stderr)
            self.tables[dso] = table, self.segments(dso)
        table, segments = self.tables[dso]
        if table is None:
            return None
        for offset, size, vaddr in segments:
            if offset <= file_offset < offset + size:
                i = bisect.bisect_right(table[0], file_offset - offset + vaddr) - 1
                return table[1][i] if i >= 0 else None
        return None

    @staticmethod
    def build_id(path):
        if not os.path.isfile(path):
            return None
        out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True,
                             errors="replace")
        m = re.search(r"Build ID: ([0-9a-f]+)", out.stdout)
        return m.group(1) if m else None

    @staticmethod
    def segments(path):
        out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True,
                             errors="replace")
        rows = []
        for line in out.stdout.splitlines():
            f = line.split()
            if len(f) >= 6 and f[0] == "LOAD":
                rows.append((int(f[1], 16), int(f[4], 16), int(f[2], 16)))
        return rows

    @staticmethod
    def load(path):
        if not os.path.isfile(path):
            return None
        out = subprocess.run(["nm", "-C", "--defined-only", path], capture_output=True,
                             text=True, errors="replace")
        rows = []
        for line in out.stdout.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] in "tTwW":
                rows.append((int(parts[0], 16), parts[2]))
        rows.sort()
        return ([a for a, _ in rows], [n for _, n in rows]) if rows else None


def samples_of(perf_data):
    """Yields (comm, time s, [(symbol, dso)]) per sample of `perf script`'s default output."""
    p = subprocess.Popen(["perf", "script", "-i", perf_data], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, errors="replace")
    debug = DebugSymbols(perf_data)
    comm, when, frames = None, 0.0, []
    for line in p.stdout:
        if not line.strip():
            if comm is not None:
                yield comm, when, frames
            comm, frames = None, []
        elif not line.startswith((" ", "\t")):
            comm = line.split(None, 1)[0] if line.strip() else None
            # a comm with spaces is rare for these processes; perf pads names on the left
            comm = line[:16].strip() or comm
            m = SAMPLE_TIME.search(line)
            when = float(m.group(1)) if m else 0.0
            frames = []
        else:
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                rest = parts[1]
                sym, _, dso = rest.rpartition(" (")
                dso = dso.rstrip(")")
                sym = sym.split("+0x")[0]
                if dso.startswith("/") and "kernel" not in dso:
                    try:
                        sym = debug.name(dso, int(parts[0], 16)) or sym
                    except ValueError:
                        pass
                frames.append((sym, dso))
    if comm is not None:
        yield comm, when, frames
    if p.wait() != 0:
        sys.exit("cpu_split: perf script failed on " + perf_data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("perf_data")
    ap.add_argument("--freq", type=float, default=199.0,
                    help="the sampling frequency given to perf record -F (Hz)")
    args = ap.parse_args()
    counts = collections.Counter()
    procs = collections.Counter()
    chains = 0
    first_agent = None  # when the first node started: si_btd packed the image before that
    packing = 0
    # The network's soft interrupts that ran in the idle task or ksoftirqd belong to no process:
    # counted per second, and charged below to the side whose processes ran most that second.
    stray_net = collections.Counter()
    per_second = collections.defaultdict(collections.Counter)
    for comm, when, frames in samples_of(args.perf_data):
        name = comm.split()[0] if comm else ""
        side = side_of(name)
        if side is None:
            if name.startswith(("swapper", "ksoftirqd")) and any(
                    k in s for s, _ in frames for k in KERNEL[2][1]):
                stray_net[int(when)] += 1
            continue
        per_second[int(when)][side] += 1
        if name.startswith("si_btagent") and first_agent is None:
            first_agent = when
        if name == "si_btd" and first_agent is None:
            packing += 1
            continue
        counts[(side, classify(frames))] += 1
        procs[(side, name)] += 1
        chains += len(frames) > 1
    if not counts:
        sys.exit("cpu_split: no samples of ours or the hand-built stack in " + args.perf_data)
    if chains == 0:
        print("cpu_split: no call chains (record with perf record -g): kernel work is "
              "charged by its leaf function only", file=sys.stderr)
    totals = {s: sum(v for (side, _), v in counts.items() if side == s)
              for s in ("ours", "hand-built")}
    print("| component | ours CPU-s | ours share | hand-built CPU-s | hand-built share |")
    print("|---|---:|---:|---:|---:|")
    for name in [n for n, _ in KERNEL] + [n for n, _ in USER]:
        o, h = counts[("ours", name)], counts[("hand-built", name)]
        if o + h == 0:
            continue
        print("| %s | %.1f | %.0f %% | %.1f | %.0f %% |" % (
            name, o / args.freq, 100.0 * o / max(1, totals["ours"]), h / args.freq,
            100.0 * h / max(1, totals["hand-built"])))
    print("| **all** | **%.1f** | | **%.1f** | |" % (totals["ours"] / args.freq,
                                                   totals["hand-built"] / args.freq))
    print()
    print("processes: " + ", ".join("%s %s %.1f s" % (s, c, v / args.freq)
                                    for (s, c), v in sorted(procs.items())))
    print("left out: si_btd before the first node (packing and hashing the image) %.1f s"
          % (packing / args.freq))
    charged = collections.Counter()
    for second, n in stray_net.items():
        sides = per_second.get(second)
        if sides:
            charged[max(sides, key=sides.get)] += n
        else:
            charged["neither"] += n
    print("left out: the network's soft interrupts in the idle task and ksoftirqd, by whose "
          "processes ran most in that second: ours %.1f s, hand-built %.1f s, neither %.1f s"
          % (charged["ours"] / args.freq, charged["hand-built"] / args.freq,
             charged["neither"] / args.freq))


if __name__ == "__main__":
    main()
