#!/usr/bin/env python3
"""Compares two directory trees item by item the way an administrator would check an
imaged node: type, content, owner, mode (incl. setuid), mtime (ns), symlink targets,
hardlink groups, device numbers, xattrs (incl. security.capability and POSIX ACLs) and
sparseness. The install record si_btagent leaves at the top of the copy is not an
extra item. Prints one line per difference; exit 0 when equal, 1 otherwise.

usage: tree_compare.py SOURCE COPY [--ignore-root-mtime]
"""
import hashlib
import os
import stat
import sys


def _xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    out = {}
    for n in sorted(names):
        try:
            out[n] = os.getxattr(path, n, follow_symlinks=False)
        except OSError as e:
            out[n] = "<%s>" % e.strerror
    return out


def file_sha256(path):
    """The SHA-256 (hex) of a regular file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def walk(top):
    """Yields relative paths ('.' first), sorted, without following symlinks."""
    yield "."
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel = os.path.relpath(dirpath, top)
        for name in sorted(dirnames + filenames):
            yield os.path.normpath(os.path.join(rel, name))


# What si_btagent leaves at the top of a root it installed (src/agent/install_record.hpp): not a
# part of the image, so not an extra item of the copy.
INSTALL_RECORD = ".systemimager-install.record"


def compare(src, dst, ignore_root_mtime=False):
    diffs = []
    src_items = list(walk(src))
    dst_items = set(walk(dst))
    if INSTALL_RECORD not in src_items:
        dst_items.discard(INSTALL_RECORD)
    inode_groups_src, inode_groups_dst = {}, {}
    for rel in src_items:
        a = os.path.join(src, rel)
        b = os.path.join(dst, rel)
        if rel not in dst_items:
            diffs.append("%s: missing in copy" % rel)
            continue
        sa, sb = os.lstat(a), os.lstat(b)
        if stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode):
            diffs.append("%s: type %o != %o" % (rel, stat.S_IFMT(sa.st_mode), stat.S_IFMT(sb.st_mode)))
            continue
        if stat.S_IMODE(sa.st_mode) != stat.S_IMODE(sb.st_mode):
            diffs.append("%s: mode %04o != %04o" % (rel, stat.S_IMODE(sa.st_mode), stat.S_IMODE(sb.st_mode)))
        if (sa.st_uid, sa.st_gid) != (sb.st_uid, sb.st_gid):
            diffs.append("%s: owner %d:%d != %d:%d" % (rel, sa.st_uid, sa.st_gid, sb.st_uid, sb.st_gid))
        skip_mtime = stat.S_ISLNK(sa.st_mode) or (rel == "." and ignore_root_mtime)
        if not skip_mtime and sa.st_mtime_ns != sb.st_mtime_ns:
            diffs.append("%s: mtime %d != %d" % (rel, sa.st_mtime_ns, sb.st_mtime_ns))
        if stat.S_ISLNK(sa.st_mode):
            if os.readlink(a) != os.readlink(b):
                diffs.append("%s: link %r != %r" % (rel, os.readlink(a), os.readlink(b)))
        elif stat.S_ISREG(sa.st_mode):
            if sa.st_size != sb.st_size:
                diffs.append("%s: size %d != %d" % (rel, sa.st_size, sb.st_size))
            elif file_sha256(a) != file_sha256(b):
                diffs.append("%s: content differs" % rel)
            # A sparse source must stay sparse (allow a little slack for fs block sizes).
            if sa.st_blocks * 512 < sa.st_size // 2 and sb.st_blocks > sa.st_blocks * 4 + 64:
                diffs.append("%s: sparse file became dense (%d -> %d blocks)" % (rel, sa.st_blocks, sb.st_blocks))
            if sa.st_nlink > 1:
                inode_groups_src.setdefault(sa.st_ino, []).append(rel)
                inode_groups_dst.setdefault(sb.st_ino, []).append(rel)
        elif stat.S_ISCHR(sa.st_mode) or stat.S_ISBLK(sa.st_mode):
            if sa.st_rdev != sb.st_rdev:
                diffs.append("%s: device %d:%d != %d:%d" % (rel, os.major(sa.st_rdev), os.minor(sa.st_rdev),
                                                            os.major(sb.st_rdev), os.minor(sb.st_rdev)))
        xa, xb = _xattrs(a), _xattrs(b)
        if xa != xb:
            diffs.append("%s: xattrs %r != %r" % (rel, sorted(xa), sorted(xb)))
    for rel in sorted(dst_items - set(src_items)):
        diffs.append("%s: extra in copy" % rel)
    groups_src = sorted(sorted(g) for g in inode_groups_src.values())
    groups_dst = sorted(sorted(g) for g in inode_groups_dst.values())
    if groups_src != groups_dst:
        diffs.append("hardlink groups differ: %r != %r" % (groups_src, groups_dst))
    return diffs


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    diffs = compare(args[0], args[1], "--ignore-root-mtime" in argv)
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
