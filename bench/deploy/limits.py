"""What this machine's CPU allows one node, per core, on the tarball a run deploys.

A node receives the tarball, checks each piece's SHA-1, decompresses and unpacks it, and sends
pieces to its peers. Each step alone, timed here on the same tarball from the page cache, gives
the most a node could do per core without a network: megabytes of tarball per CPU-second.
A run's own figure is S over a node's CPU-seconds (bench/deploy/run's node CPU column)."""
import hashlib
import os
import resource
import shutil
import subprocess
import time


def _timed(args, **kw):
    """(CPU-seconds of the command and what it waited for, wall seconds)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(args, check=True, **kw)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), t1 - t0


def _sha1_rate(tarball, size_mb):
    """(MB/s per core, CPU-s, wall s) of SHA-1 over the tarball, in this process: Python's
    hashlib is OpenSSL's, the SHA-1 libtorrent uses (with the CPU's SHA extensions where it has
    them; coreutils' sha1sum has none)."""
    c0, t0 = time.process_time(), time.monotonic()
    with open(tarball, "rb") as f:
        hashlib.file_digest(f, "sha1")
    cpu, wall = time.process_time() - c0, time.monotonic() - t0
    return (size_mb / cpu if cpu > 0 else float("nan"), cpu, wall)


def measure(tarball, scratch, tar_flags):
    """[(step, MB of tarball per CPU-second, CPU-s, wall s)] for SHA-1, decompression (when the
    tarball is compressed) and tar -x into `scratch` (created and removed here)."""
    size_mb = os.path.getsize(tarball) / 1e6
    with open(tarball, "rb") as f:  # into the page cache: what a node's pieces are
        while f.read(1 << 22):
            pass
    out = [("SHA-1 (OpenSSL, as libtorrent)",) + _sha1_rate(tarball, size_mb)]
    steps = []
    if tarball.endswith(".tar.zst"):
        steps.append(("zstd -d", ["zstd", "-dcq", tarball]))
    elif tarball.endswith(".tar.gz"):
        steps.append(("gzip -d", ["gzip", "-dc", tarball]))
    for what, args in steps:
        cpu, wall = _timed(args, stdout=subprocess.DEVNULL)
        out.append((what, size_mb / cpu if cpu > 0 else float("nan"), cpu, wall))
    dest = os.path.join(scratch, "limits-tar-x")
    os.makedirs(dest, exist_ok=True)
    try:
        cpu, wall = _timed(["tar", "-x"] + list(tar_flags) + ["-p", "--numeric-owner", "-C",
                                                              dest, "-f", tarball])
        out.append(("tar -x (decompress and write the files)",
                    size_mb / cpu if cpu > 0 else float("nan"), cpu, wall))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    return out


def report(steps, results, S):
    """Markdown lines: the machine's steps, then each run's S over its nodes' median CPU-s."""
    lines = ["| this machine, one core, tarball from the page cache | MB/s per core | CPU-s | "
             "wall s |", "|---|---:|---:|---:|"]
    for what, rate, cpu, wall in steps:
        lines.append("| %s | %.0f | %.2f | %.2f |" % (what, rate, cpu, wall))
    rate_of = {what.split(" ")[0]: rate for what, rate, _, _ in steps}
    sha, tarx = rate_of.get("SHA-1"), rate_of.get("tar")
    per_byte = 1 / sha + 1 / tarx if sha and tarx else None
    if per_byte:
        lines.append("| SHA-1 then tar -x (a node's work without its network) | %.0f | | |"
                     % (1 / per_byte))
    lines += ["", "| run | N | node CPU-s (median) | tarball MB per node CPU-s | of SHA-1 + "
              "tar -x |", "|---|---:|---:|---:|---:|"]
    for r in results:
        c = r.get("node_cpu_s_median")
        if c is None or c != c or c <= 0:
            continue
        rate = S / 1e6 / c
        lines.append("| %s%s | %d | %.2f | %.0f | %s |" % (
            r["transport"], " k=%d" % r["servers"] if r.get("servers", 1) > 1 else "",
            r["nodes"], c, rate, "%d %%" % round(100 * rate * per_byte) if per_byte else "n/a"))
    return "\n".join(lines)
