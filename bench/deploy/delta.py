"""Delta reimaging in the deployment benchmark (issue 31; bench/deploy/run --from): what the
nodes hold before a run, and what changed between that and the image they are reimaged to.

A node "holds" an older version when our agent installed it: the benchmark packs each older
version in turn, installs it once on node 1 with si_btagent (install record and all), keeps that
root, and before every run copies it into the root of each node that is not to start blank.
What changed (Δ) is measured independently of our agent: every entry of the new tree whose
type, content, link target or device the old root does not hold, archived as its own tar.zst
(zstd -3), as bench/delta_bench.sh does."""
import os
import stat
import subprocess

import content
from tree_compare import file_sha256  # tests/tools, on the path from bench/deploy/run


def _what(path, st):
    """What an entry holds, metadata aside: its type and content, target or device."""
    if stat.S_ISREG(st.st_mode):
        return ("f", st.st_size, file_sha256(path))
    if stat.S_ISLNK(st.st_mode):
        return ("l", os.readlink(path))
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return ("dev", stat.S_IFMT(st.st_mode), st.st_rdev)
    return (stat.S_IFMT(st.st_mode),)


def changed_entries(new, old):
    """Tar paths ("./usr/bin/x") of the entries of `new` that `old` does not hold (absent, or
    another type, content, target or device), in walk order; the install record at the top
    of `old` is not part of it."""
    out = []
    for dirpath, dirnames, filenames in os.walk(new):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, new)
        for name in sorted(dirnames + filenames):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            a = os.path.join(new, rel)
            b = os.path.join(old, rel)
            sa = os.lstat(a)
            try:
                sb = os.lstat(b)
            except FileNotFoundError:
                out.append("./" + rel)
                continue
            if stat.S_ISDIR(sa.st_mode):
                if not stat.S_ISDIR(sb.st_mode):
                    out.append("./" + rel)
                continue
            if (stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode) or
                    (stat.S_ISREG(sa.st_mode) and sa.st_size != sb.st_size) or
                    _what(a, sa) != _what(b, sb)):
                out.append("./" + rel)
    return out


def removed_entries(new, old):
    """Paths of `old` (install record left out) that `new` no longer has."""
    out = 0
    for dirpath, dirnames, filenames in os.walk(old):
        rel_dir = os.path.relpath(dirpath, old)
        for name in dirnames + filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel == content.INSTALL_RECORD:
                continue
            if not os.path.lexists(os.path.join(new, rel)):
                out += 1
    return out


def delta_size(new, paths, scratch):
    """(raw tar bytes, tar.zst bytes at zstd -3) of exactly `paths` of `new`."""
    if not paths:
        return 0, 0
    listing = os.path.join(scratch, "delta.list")
    with open(listing, "w") as f:
        f.write("\n".join(paths) + "\n")
    tar = ["tar", "-C", new, "--no-recursion", "--numeric-owner", "--xattrs", "--acls", "-cf",
           "-", "-T", listing]
    raw = subprocess.run(tar, stdout=subprocess.PIPE, check=True).stdout
    packed = subprocess.run(["zstd", "-3", "-q", "-c"], input=raw, stdout=subprocess.PIPE,
                            check=True).stdout
    os.unlink(listing)
    return len(raw), len(packed)


def describe(new, old, scratch):
    """Δ from `old` to `new`: {"entries", "changed_bytes" (their file bytes), "removed",
    "tar_bytes", "zst_bytes"}."""
    paths = changed_entries(new, old)
    file_bytes = 0
    for p in paths:
        st = os.lstat(os.path.join(new, p))
        if stat.S_ISREG(st.st_mode):
            file_bytes += st.st_size
    raw, packed = delta_size(new, paths, scratch)
    return {"entries": len(paths), "changed_bytes": file_bytes,
            "removed": removed_entries(new, old), "tar_bytes": raw, "zst_bytes": packed}


def fill_roots(held_root, nodes_dir, nodes):
    """Copies `held_root` (owners, modes, links, xattrs, the install record) into the root of
    each node k in `nodes` (nodes_dir/k/root)."""
    for k in nodes:
        root = os.path.join(nodes_dir, str(k), "root")
        os.makedirs(root, exist_ok=True)
        subprocess.run(["cp", "-a", held_root.rstrip("/") + "/.", root + "/"], check=True)
