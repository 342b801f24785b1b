"""The image the benchmark deploys: a generated tree of real-looking files, or a copy of a
directory. The generated tree is the same for the same size and seed."""
import os
import random
import shutil
import subprocess

# Share of the bytes by kind: text compresses 3-5x, binaries about 2x, compressed data not at
# all (packages, images, firmware) -- roughly what an OS image holds.
KINDS = (("text", 0.45), ("binary", 0.40), ("compressed", 0.15))
DIRS = ("usr/bin", "usr/sbin", "usr/lib/x86_64-linux-gnu", "usr/lib/python3/dist-packages",
        "usr/share/doc", "usr/share/locale", "usr/share/man/man1", "etc", "var/lib/dpkg/info",
        "opt/site/data", "lib/firmware", "usr/include")


def _corpus(rng, size):
    syllables = ["ab", "er", "ion", "ing", "con", "de", "ex", "pre", "the", "and", "sys", "lib",
                 "conf", "net", "dev", "al", "ic", "ou", "st", "tr", "ke", "ma", "po", "ly"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(3000)]
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
        if rng.random() < 0.1:
            line = "%s=%d # %s" % (rng.choice(words).upper(), rng.randint(0, 99999), line)
        out.append(line)
        n += len(line) + 1
    return ("\n".join(out) + "\n").encode()[:size]


def _binary(rng, size, corpus):
    chunks, n = [], 0
    while n < size:
        r = rng.random()
        if r < 0.45:
            c = rng.randbytes(4096)
        elif r < 0.65:
            c = bytes(4096)
        else:
            off = rng.randrange(len(corpus) - 4096)
            c = corpus[off:off + 4096]
        chunks.append(c)
        n += 4096
    return b"".join(chunks)[:size]


def generate(root, total_bytes, seed=1):
    """Writes about `total_bytes` of files under `root`; returns (files, bytes)."""
    rng = random.Random(seed)
    corpus = _corpus(rng, 8 << 20)
    os.makedirs(root, exist_ok=True)
    files = written = 0
    while written < total_bytes:
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        # Log-normal sizes, median ~24 KiB, a few of several MiB.
        size = int(min(8 << 20, max(64, rng.lognormvariate(10, 2))))
        size = min(size, total_bytes - written) or 1
        d = os.path.join(root, rng.choice(DIRS), "pkg%03d" % rng.randrange(200))
        os.makedirs(d, exist_ok=True)
        if kind == "text":
            off = rng.randrange(max(1, len(corpus) - size))
            data = corpus[off:off + size]
            if len(data) < size:
                data = (data * (size // max(1, len(data)) + 1))[:size]
        elif kind == "binary":
            data = _binary(rng, size, corpus)
        else:
            data = rng.randbytes(size)
        path = os.path.join(d, "f%06d.%s" % (files, {"text": "txt", "binary": "so",
                                                     "compressed": "gz"}[kind]))
        with open(path, "wb") as f:
            f.write(data)
        if kind == "binary" and rng.random() < 0.3:
            os.chmod(path, 0o755)
        files += 1
        written += size
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    os.symlink("usr/bin", os.path.join(root, "bin"))
    return files, written


def copy_tree(src, root):
    """A copy of an existing directory (owners, modes, links, xattrs kept)."""
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    subprocess.run(["cp", "-a", src.rstrip("/") + "/.", root + "/"], check=True)


# What si_btagent leaves at the top of a root it installed (src/agent/install_record.hpp): not
# part of the image, and not counted as its bytes.
INSTALL_RECORD = ".systemimager-install.record"


def tree_bytes(root):
    """Bytes of the regular files under `root` (st_size), the install record left out."""
    total = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            if name == INSTALL_RECORD and dirpath == root:
                continue
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total
