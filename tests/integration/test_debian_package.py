#!/usr/bin/env python3
"""The Debian packages (debian/) as an administrator meets them.

1. build: `dpkg-buildpackage -us -uc -b` in a copy of the tree (reusing the static libtorrent
   cache, as scripts/build.sh does), and a look at what the .debs hold;
2. lintian: no errors and no warnings but documented overrides (all tags are listed);
3. piuparts: Debian's install and purge test in a minbase root (its base tarball made by
   mmdebstrap): dependencies resolve, maintainer scripts run, nothing is left after purge;
4. root: piuparts forbids every invoke-rc.d action (its policy-rc.d), so it never sees a daemon
   run or the maintainer scripts stop one. A second minbase root, made a sysvinit server
   (sysvinit-core) with the packages' dependencies installed, and a record of every file in it;
5. install the .debs with apt: nothing is started or enabled; the init script (under both names)
   starts si_btd on a loopback bittorrent.conf with a tiny image, `status` and si_btstatus see
   it, `stop` stops it;
6. upgrade to a repacked higher version with the daemon running: it is stopped cleanly first
   and the administrator's bittorrent.conf is kept (piuparts' upgrade test needs the package
   in the archive);
7. remove with the daemon running: stopped cleanly, configuration kept; purge: the root equals
   the record but for what the administrator made (kept, with the directories holding it).

Needs root, dpkg-buildpackage and debhelper, lintian, piuparts, mmdebstrap, zstd and cpio, and
Debian's archive: skipped (exit 77) with the reason when one is missing. Each stage prints its duration.
Environment: SI_SOURCE_DIR; SI_STATIC_CACHE (default /var/cache/systemimager-bittorrent);
SI_DEB_KEEP=1 keeps the work directory (under /var/tmp) for a look afterwards; SI_DEB_DIR=DIR
takes the .changes and .debs built before in DIR instead of building.
"""
import contextlib
import glob
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import sitest  # noqa: E402

SOURCE_DIR = os.path.abspath(os.environ.get(
    "SI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
WORK_PARENT = "/var/tmp"
WORK_PREFIX = "si-debtest."

SERVER = "systemimager-bittorrent-server"
BOOT = "systemimager-bittorrent-boot"
INIT = "/etc/init.d/systemimager-server-bittorrent"
ALIAS = "/etc/init.d/systemimager-bittorrent"
PIDFILE = "/run/systemimager-server-bittorrent.pid"
LOG = "/var/log/systemimager/bittorrent-tracker.log"
STATE = "/tmp/dstate"  # BT_TRACKER_STATE as shipped: kept, so that purge must clean it
UPGRADE_VERSION = "0.1.0+upgradetest"

MIRROR = "http://deb.debian.org/debian"
SOURCES = [MIRROR + " bookworm main", MIRROR + " bookworm-updates main",
           "http://deb.debian.org/debian-security bookworm-security main"]

# Deadlines (s). A cold static libtorrent adds ~15 min to the build; CI has it cached.
BUILD_TIMEOUT = 2400
LINTIAN_TIMEOUT = 600
PIUPARTS_TIMEOUT = 900
ROOT_TIMEOUT = 900
APT_TIMEOUT = 900
START_TIMEOUT = 120
STOP_TIMEOUT = 60    # the init script waits TERM/30 then KILL/5
LISTED_TIMEOUT = 60  # for the tracker to list the tiny image
CLEAN_STOP = 25      # s: a stop that took longer may have needed SIGKILL

# What the packaging manager and the test itself change in the root: not compared.
SNAPSHOT_SKIP = ("/proc", "/sys", "/dev", "/run", "/var/lib/dpkg", "/var/lib/apt",
                 "/var/cache/apt", "/var/cache/debconf", "/var/cache/ldconfig", "/var/log/apt",
                 "/var/log/dpkg.log", "/var/log/alternatives.log", "/var/tmp/si-debs")

STAGES = []


class Interrupted(Exception):
    """SIGTERM (CTest's timeout, a kill): an error of the test, so that tearDown still cleans up
    (unittest lets KeyboardInterrupt through without it)."""


@contextlib.contextmanager
def stage(name):
    """Prints how long the stage took (also when it fails) and records it for the summary."""
    print("stage %s ..." % name, flush=True)
    start = time.monotonic()
    ok = False
    try:
        yield
        ok = True
    finally:
        took = time.monotonic() - start
        STAGES.append((name, took, ok))
        print("stage %s: %s in %.1f s" % (name, "done" if ok else "FAILED", took), flush=True)


def run(args, log, timeout, env=None, cwd=None):
    """Runs args with stdout+stderr to the file `log` (never a pipe: a daemon started underneath
    may keep it open); returns (exit code, output). A timeout is an AssertionError."""
    with open(log, "w+", encoding="utf-8", errors="replace") as out:
        try:
            proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout, env=env, cwd=cwd,
                                  check=False)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("%s: no end after %d s (log: %s)" % (args[0], timeout, log)) from e
        out.seek(0)
        return proc.returncode, out.read()


def tail(text, lines=40):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rfind(")") + 2:][:1] not in ("Z", "X")


def processes_in(root):
    """Pids of the processes whose root directory is `root` or below it."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                r = os.readlink("/proc/%s/root" % d)
            except OSError:
                continue
            if (r == root or r.startswith(root + "/")) and pid_alive(int(d)):
                pids.append(int(d))
    return pids


def kill_processes_in(root):
    pids = processes_in(root)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 10
    while time.monotonic() < end and any(pid_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if pid_alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def mounts_under(path):
    """Mount points at or below path, deepest first."""
    found = []
    with open("/proc/self/mounts", encoding="utf-8") as f:
        for line in f:
            mnt = line.split()[1].replace("\\040", " ")
            if mnt == path or mnt.startswith(path + "/"):
                found.append(mnt)
    return sorted(set(found), key=len, reverse=True)


def remove_work_dir(work):
    """Kills what runs in a root under work (ours or piuparts'), unmounts everything under work,
    then removes it; a tree that still has a mount is left alone (never rm -rf across a bind
    mount of /dev)."""
    kill_processes_in(work)
    for mnt in mounts_under(work):
        subprocess.run(["umount", "-l", mnt], check=False, stderr=subprocess.DEVNULL)
    if mounts_under(work):
        print("warning: mounts remain under %s; not removing it" % work, file=sys.stderr)
        return
    shutil.rmtree(work, ignore_errors=True)


def clean_stale_work_dirs():
    """Work dirs of earlier runs that were killed (CTest's timeout sends SIGKILL)."""
    for work in glob.glob(os.path.join(WORK_PARENT, WORK_PREFIX + "*")):
        try:
            with open(os.path.join(work, ".owner"), encoding="ascii") as f:
                owner = int(f.read().strip())
        except (OSError, ValueError):
            owner = 0
        if owner and pid_alive(owner):
            continue
        if os.path.exists(os.path.join(work, ".keep")):
            continue
        print("removing the work dir of an earlier run: %s" % work, flush=True)
        remove_work_dir(work)


def copy_tree(src, dst):
    """The files git knows (tracked, and new ones not ignored) as they are in the working tree;
    without git, everything but build output."""
    try:
        names = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others",
                                "--exclude-standard"], capture_output=True, check=True
                               ).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(
            ".git", "build*", "obj-*", "__pycache__"))
        return
    for name in filter(None, names):
        path = os.path.join(src, name)
        if not os.path.lexists(path):
            continue  # deleted in the working tree
        target = os.path.join(dst, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(path):
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target)


def snapshot(root):
    """{path: (kind, mode, uid, gid, content)} for everything in root outside SNAPSHOT_SKIP;
    content is a SHA-256 for regular files and the target for links."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = "/" + os.path.relpath(dirpath, root) if dirpath != root else ""
        dirnames[:] = [d for d in dirnames if (rel_dir + "/" + d) not in SNAPSHOT_SKIP]
        for name in dirnames + filenames:
            rel = rel_dir + "/" + name
            if rel in SNAPSHOT_SKIP:
                continue
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                content = h.hexdigest()
            else:
                content = ""
            result[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid,
                           st.st_gid, content)
    return result


def archive_reachable():
    try:
        with urllib.request.urlopen(MIRROR + "/dists/bookworm/InRelease", timeout=15) as r:
            return r.status == 200, ""
    except (urllib.error.URLError, OSError) as e:
        return False, str(e)


def repack(deb, version, out_dir, work):
    """A copy of deb with another Version (for the upgrade), as dpkg-deb -R/-b make it."""
    name = os.path.basename(deb).split("_")[0]
    tree = tempfile.mkdtemp(dir=work)
    subprocess.run(["dpkg-deb", "-R", deb, tree], check=True)
    control = os.path.join(tree, "DEBIAN", "control")
    with open(control, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"^Version: .*$", "Version: " + version, text, count=1, flags=re.M)
    with open(control, "w", encoding="utf-8") as f:
        f.write(text)
    out = os.path.join(out_dir, "%s_%s_amd64.deb" % (name, version))
    subprocess.run(["dpkg-deb", "-Zgzip", "-z1", "-b", tree, out], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(tree)
    return out


class DebianPackageTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (dpkg-buildpackage's initrd, chroot, mounts)")
        tools = ["dpkg-buildpackage", "dpkg-checkbuilddeps", "dh", "lintian", "piuparts",
                 "mmdebstrap", "chroot", "mount", "zstd", "cpio", "file"]
        missing = [t for t in tools if not shutil.which(t)]
        if missing:
            self.skipTest("missing tools: %s (scripts/setup-deps.sh installs them)"
                          % " ".join(missing))
        ok, why = archive_reachable()
        if not ok:
            self.skipTest("Debian's archive is not reachable (%s): no clean root can be made" % why)
        clean_stale_work_dirs()
        self.work = tempfile.mkdtemp(prefix=WORK_PREFIX, dir=WORK_PARENT)
        with open(os.path.join(self.work, ".owner"), "w", encoding="ascii") as f:
            f.write("%d\n" % os.getpid())
        self.root = os.path.join(self.work, "root")
        self.logs = os.path.join(self.work, "logs")
        os.makedirs(self.logs)
        # CTest's timeout and ^C: through the cleanup, not around it.
        self.old_term = signal.signal(signal.SIGTERM, self._on_signal)
        print("work dir: %s" % self.work, flush=True)

    def tearDown(self):
        signal.signal(signal.SIGTERM, self.old_term)
        if os.environ.get("SI_DEB_KEEP") == "1":
            kill_processes_in(self.work)
            for mnt in mounts_under(self.work):
                subprocess.run(["umount", "-l", mnt], check=False)
            open(os.path.join(self.work, ".keep"), "w").close()
            print("kept %s (logs in %s)" % (self.work, self.logs))
        else:
            remove_work_dir(self.work)
        print("stages: " + ", ".join("%s %.0f s%s" % (n, t, "" if ok else " (failed)")
                                     for n, t, ok in STAGES), flush=True)

    @staticmethod
    def _on_signal(signum, _frame):
        raise Interrupted("signal %d" % signum)

    # --- helpers --------------------------------------------------------------------------

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def chroot(self, name, *cmd, timeout=APT_TIMEOUT, rc=0):
        """Runs cmd in the root as an administrator's shell would; checks its exit code
        (rc=None: any) and returns (code, output)."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
               "DEBIAN_FRONTEND": "noninteractive"}
        start = time.monotonic()
        code, out = run(["chroot", self.root] + list(cmd), self.log(name), timeout, env=env)
        self.last_took = time.monotonic() - start
        if rc is not None:
            self.assertEqual(code, rc, "%s: exit %d, expected %d:\n%s"
                             % (" ".join(cmd), code, rc, tail(out)))
        return code, out

    def in_root(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def read(self, path):
        with open(self.in_root(path), encoding="utf-8", errors="replace") as f:
            return f.read()

    def write(self, path, text):
        sitest.write_file(self.in_root(path), text)

    def daemon_pid(self):
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(self.read(PIDFILE).split()[0])
        return None

    def daemons(self):
        """si_btd processes running in the root."""
        found = []
        for pid in processes_in(self.root):
            with contextlib.suppress(OSError):
                if os.path.basename(os.readlink("/proc/%d/exe" % pid)).startswith("si_btd"):
                    found.append(pid)
        return found

    def listed(self):
        try:
            status, body = sitest.http_get("http://127.0.0.1:%d/torrents/" % self.tracker_port,
                                           timeout=2)
        except (urllib.error.URLError, OSError):
            return ""
        return body.decode(errors="replace") if status == 200 else ""

    def start_daemon(self, name):
        _, out = self.chroot(name, INIT, "start", timeout=START_TIMEOUT)
        self.assertIn("Starting SystemImager's BitTorrent daemon: si_btd", out)
        pid = self.daemon_pid()
        self.assertTrue(pid and pid_alive(pid), "no live si_btd behind %s after start" % PIDFILE)
        self.assertEqual(self.daemons(), [pid])
        sitest.wait_for(lambda: "image-tiny.tar.gz.torrent" in self.listed(), LISTED_TIMEOUT,
                        "the tracker to list image-tiny.tar.gz.torrent")
        return pid

    def assert_stopped_cleanly(self, pid, took, what):
        self.assertFalse(pid_alive(pid), "%s: si_btd (pid %d) still runs" % (what, pid))
        self.assertEqual(self.daemons(), [], "%s: an si_btd still runs in the root" % what)
        self.assertLess(took, CLEAN_STOP, "%s took %.0f s: SIGTERM was not enough" % (what, took))
        lines = self.read(LOG).rstrip().splitlines()
        # A clean stop: "stopped", then si_btd's last words with its exit code.
        self.assertTrue(len(lines) >= 2 and lines[-2].endswith(" stopped")
                        and lines[-1].endswith("si_btd: exiting with code 0"),
                        "%s: the log does not end with si_btd's clean 'stopped' and exit 0:\n%s"
                        % (what, "\n".join(lines[-5:])))
        self.assertFalse(os.path.exists(self.in_root(PIDFILE)), "%s: pidfile left" % what)
        self.assertTrue(os.path.exists(self.in_root(STATE)), "%s: tracker state not saved" % what)

    # --- stages ---------------------------------------------------------------------------

    def build(self):
        prebuilt = os.environ.get("SI_DEB_DIR")
        if prebuilt:  # packages built before: only lint, install and run them
            print("using the packages in %s (SI_DEB_DIR)" % prebuilt)
            return self.find_packages(prebuilt)
        src = os.path.join(self.work, "src")
        copy_tree(SOURCE_DIR, src)
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck terse parallel=%d" % os.cpu_count(),
                   DEB_BUILD_PROFILES="nocheck")
        code, out = run(["dpkg-checkbuilddeps", "-P", "nocheck"], self.log("checkbuilddeps"), 60,
                        env=env, cwd=src)
        if code != 0:
            self.skipTest("build dependencies missing (scripts/setup-deps.sh): " + out.strip())
        # Unit tests: the project's own CI runs them (scripts/test.sh); nocheck saves their build.
        code, out = run(["nice", "-n", "10", "dpkg-buildpackage", "-us", "-uc", "-b"],
                        self.log("dpkg-buildpackage"), BUILD_TIMEOUT, env=env, cwd=src)
        self.assertEqual(code, 0, "dpkg-buildpackage failed:\n" + tail(out))
        self.find_packages(self.work)

    def find_packages(self, where):
        self.changes = glob.glob(os.path.join(where, "*.changes"))[0]
        self.debs = {}
        for pkg in (SERVER, BOOT):
            found = glob.glob(os.path.join(where, pkg + "_*.deb"))
            self.assertEqual(len(found), 1, "%s: %s" % (pkg, found))
            self.debs[pkg] = found[0]

    def check_deb_contents(self):
        x = os.path.join(self.work, "x")
        for pkg, deb in self.debs.items():
            os.makedirs(os.path.join(x, pkg))
            subprocess.run(["dpkg-deb", "-x", deb, os.path.join(x, pkg)], check=True)
            subprocess.run(["dpkg-deb", "-e", deb, os.path.join(x, pkg, "DEBIAN")], check=True)
        srv, boot = os.path.join(x, SERVER), os.path.join(x, BOOT)
        for path in ("usr/sbin/si_btd", "usr/sbin/si_installbtimage", "usr/sbin/si_btstatus",
                     "usr/sbin/si_getimage", "usr/sbin/si_mkdisklayout",
                     "usr/share/man/man8/si_getimage.8.gz", INIT.lstrip("/"),
                     "lib/systemd/system/systemimager-server-bittorrent.service",
                     "usr/share/man/man8/si_btd.8.gz", "usr/share/man/man5/bittorrent.conf.5.gz",
                     "var/log/systemimager", "var/lib/systemimager/tarballs"):
            self.assertTrue(os.path.lexists(os.path.join(srv, path)),
                            "%s lacks %s" % (SERVER, path))
        self.assertEqual(os.readlink(os.path.join(srv, ALIAS.lstrip("/"))),
                         "systemimager-server-bittorrent")
        with open(os.path.join(srv, "DEBIAN", "conffiles"), encoding="utf-8") as f:
            conffiles = f.read().split()
        for conf in ("/etc/systemimager/bittorrent.conf", "/etc/systemimager/systemimager.conf",
                     INIT):
            self.assertIn(conf, conffiles)
        agent = os.path.join(boot, "usr/sbin/si_btagent")
        kind = subprocess.run(["file", "-L", agent], capture_output=True, text=True).stdout
        self.assertIn("statically linked", kind)
        bootdir = os.path.join(boot, "usr/lib/systemimager-bittorrent/boot")
        self.assertGreater(os.path.getsize(os.path.join(bootdir, "kernel")), 1 << 20)
        listing = subprocess.run("zstd -dc '%s' | cpio -it --quiet"
                                 % os.path.join(bootdir, "initrd.img"),
                                 shell=True, capture_output=True, text=True, check=True).stdout
        for member in ("init", "sbin/si_btagent", "bin/busybox", "dev/console", "dev/null"):
            self.assertIn(member, listing.split(), "initrd.img lacks " + member)
        for example in ("pxelinux.cfg/syslinux.cfg", "dnsmasq/systemimager-bootserver.conf"):
            self.assertTrue(os.path.exists(os.path.join(
                boot, "usr/share/doc", BOOT, "examples", example)), example)
        for deb in self.debs.values():
            using = subprocess.run(["dpkg-deb", "-f", deb, "Built-Using"], capture_output=True,
                                   text=True, check=True).stdout
            self.assertIn("libtorrent-rasterbar (= ", using)

    def lintian(self):
        # The verdict: exit 0 under --fail-on error,warning (overridden tags do not count: each
        # override in debian/*.lintian-overrides says why)...
        code, out = run(["lintian", "--fail-on", "error,warning", self.changes], self.log("lintian"),
                        LINTIAN_TIMEOUT)
        # ...and the listing, with every tag and override (there, overridden errors count as
        # failures, so its exit code is not the verdict).
        _, listing = run(["lintian", "--tag-display-limit", "0", "--display-info",
                          "--show-overrides", self.changes], self.log("lintian-all"),
                         LINTIAN_TIMEOUT)
        tags = [line for line in listing.splitlines() if re.match(r"^[EWIXPO]: ", line)]
        print("lintian: %d tags (O: overridden; the reasons are in debian/*.lintian-overrides)"
              % len(tags))
        for line in tags:
            print("  " + line)
        errors = [line for line in out.splitlines() if line.startswith(("E: ", "W: "))]
        self.assertEqual(errors, [], "lintian errors or warnings without a documented override")
        self.assertEqual(code, 0, "lintian --fail-on error,warning: exit %d:\n%s" % (code,
                                                                                   tail(out)))

    def skip_if_offline(self, code, out, what):
        """A failure to reach the archive midway is a skip, like its absence at the start."""
        if code != 0 and re.search(r"Could not resolve|Temporary failure|Failed to fetch|"
                                   r"Network is unreachable|Connection timed out", out):
            self.skipTest("%s could not reach Debian's archive:\n%s" % (what, tail(out, 10)))

    def mmdebstrap(self, target, name):
        """A Debian 12 minbase root (a directory, or a tarball for a TARGET ending in .tar.gz)."""
        args = ["mmdebstrap", "--variant=minbase", "--quiet", "bookworm", target]
        code, out = run(args + ["deb " + s for s in SOURCES], self.log(name), ROOT_TIMEOUT)
        self.skip_if_offline(code, out, "mmdebstrap")
        self.assertEqual(code, 0, "mmdebstrap failed:\n" + tail(out))

    def piuparts(self):
        base = os.path.join(self.work, "piuparts-base.tar.gz")
        self.mmdebstrap(base, "piuparts-base")
        tmp = os.path.join(self.work, "piuparts-tmp")
        os.makedirs(tmp)
        # --keep-sources-list: the base's bookworm, -updates and -security, as in our own root.
        code, out = run(["piuparts", "--basetgz", base, "--distribution", "bookworm",
                         "--keep-sources-list", "--tmpdir", tmp, "--no-upgrade-test"]
                        + list(self.debs.values()), self.log("piuparts"), PIUPARTS_TIMEOUT)
        self.skip_if_offline(code, out, "piuparts")
        self.assertEqual(code, 0, "piuparts failed:\n" + tail(out, 60))
        self.assertIn("PASS: All tests.", out)
        print("piuparts: " + "; ".join(re.findall(r"INFO: (PASS: [^\n]*)", out)))

    def make_root(self):
        self.mmdebstrap(self.root, "mmdebstrap")
        for src, dst, how in ((self.root, self.root, "--bind"), ("/dev", self.root + "/dev",
                                                                  "--rbind")):
            subprocess.run(["mount", how, src, dst], check=True)
            subprocess.run(["mount", "--make-rslave", dst], check=True)
        subprocess.run(["mount", "-t", "proc", "proc", self.root + "/proc"], check=True)
        # A /run of its own: no /run/systemd/system, so the init script is not handed to systemctl.
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", self.root + "/run"],
                       check=True)
        shutil.copy("/etc/resolv.conf", self.in_root("/etc/resolv.conf"))
        code, out = self.chroot("apt-update", "apt-get", "update", "-q", rc=None)
        self.skip_if_offline(code, out, "apt-get update")
        self.assertEqual(code, 0, "apt-get update failed:\n" + tail(out))
        # The packages' dependencies come before the baseline, as piuparts does. So does an init
        # system: in a root without /sbin/init (minbase has none) and without a policy-rc.d,
        # invoke-rc.d blocks every action, as it must in a build chroot, and the maintainer
        # scripts' stop of a running daemon could not be seen. sysvinit-core makes the root a
        # sysvinit server whose runlevel is unknown (invoke-rc.d then stops but never starts).
        deps = ["sysvinit-core"]
        for deb in self.debs.values():
            for field in ("Pre-Depends", "Depends"):
                value = subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True,
                                       text=True, check=True).stdout.strip()
                if value:
                    deps.append(value)
        self.chroot("apt-deps", "apt-get", "satisfy", "-y", "--no-install-recommends",
                    ", ".join(deps))
        debdir = self.in_root("/var/tmp/si-debs")
        os.makedirs(debdir)
        os.chmod(debdir, 0o755)
        self.new_debs = []
        for deb in self.debs.values():
            shutil.copy(deb, debdir)
            self.new_debs.append("/var/tmp/si-debs/" + os.path.basename(deb))
        self.upgrade_debs = ["/var/tmp/si-debs/" + os.path.basename(
            repack(deb, UPGRADE_VERSION, debdir, self.work)) for deb in self.debs.values()]
        for name in os.listdir(debdir):
            os.chmod(os.path.join(debdir, name), 0o644)
        self.baseline = snapshot(self.root)

    def install_and_run(self):
        _, out = self.chroot("install", "apt-get", "install", "-y", "--no-install-recommends",
                             *self.new_debs)
        for pkg in (SERVER, BOOT):
            _, status = self.chroot("status-" + pkg, "dpkg-query", "-W", "-f", "${Status}", pkg)
            self.assertEqual(status.strip(), "install ok installed", pkg)
        # Nothing started, nothing enabled.
        self.assertEqual(self.daemons(), [], "installing started si_btd")
        rc_links = glob.glob(self.in_root("/etc/rc?.d/S*systemimager*"))
        self.assertEqual(rc_links, [], "installing enabled the init script")
        wants = glob.glob(self.in_root("/etc/systemd/system/*.wants/systemimager*"))
        self.assertEqual(wants, [], "installing enabled the systemd unit")
        self.assertEqual(os.readlink(self.in_root(ALIAS)), "systemimager-server-bittorrent")
        _, conffiles = self.chroot("conffiles", "dpkg-query", "-W", "-f", "${Conffiles}", SERVER)
        for conf in ("/etc/systemimager/bittorrent.conf", "/etc/systemimager/systemimager.conf",
                     INIT):
            self.assertIn(conf + " ", conffiles)

        # The administrator's part: a loopback configuration (the other keys as shipped), a tiny
        # image, and files of their own beside the package's.
        ports = set()
        while len(ports) < 3:
            ports.add(sitest.free_port())
        self.tracker_port, seeder_port, monitor_port = sorted(ports)
        conf = self.read("/etc/systemimager/bittorrent.conf")
        for old, new in (("BT_TRACKER_PORT=6969", "BT_TRACKER_PORT=%d" % self.tracker_port),
                         ("BT_INTERFACE=eth0", "BT_INTERFACE=127.0.0.1"),
                         ("#BT_SEEDER_PORT=6881", "BT_SEEDER_PORT=%d" % seeder_port),
                         ("#BT_MONITOR_PORT=8181", "BT_MONITOR_PORT=%d" % monitor_port),
                         ("\nBT_IMAGES=\n", "\nBT_IMAGES=tiny\n")):
            self.assertIn(old, conf)
            conf = conf.replace(old, new)
        self.assertIn("BT_TRACKER_STATE=%s\n" % STATE, conf)
        self.assertIn("BT_TRACKER_LOG=%s\n" % LOG, conf)
        self.write("/etc/systemimager/bittorrent.conf", conf)
        self.conf = conf
        sitest.make_image_tree(self.in_root("/var/lib/systemimager/images/tiny"), special=False)
        self.admin_files = {
            "/etc/default/systemimager-server-bittorrent": "# this site's settings\nSI_BTD_OPTS=\n",
            "/etc/systemimager/site-notes": "kept by purge\n",
            "/var/log/systemimager/site-notes": "kept by purge\n",
        }
        for path, text in self.admin_files.items():
            self.write(path, text)

        _, out = self.chroot("check", "si_btd", "--check")
        self.assertIn("configuration OK", out)
        code, out = self.chroot("status-before", INIT, "status", rc=3)
        self.assertIn("not running", out)
        pid = self.start_daemon("start")
        _, out = self.chroot("status", INIT, "status", rc=0)
        self.assertIn("is running (pid %d)" % pid, out)
        self.chroot("status-alias", ALIAS, "status", rc=0)
        _, out = self.chroot("si_btstatus", "si_btstatus", "--once", "--no-color")
        self.assertIn("tiny", out, "si_btstatus does not show the image")
        self.chroot("stop", INIT, "stop", timeout=STOP_TIMEOUT)
        self.assert_stopped_cleanly(pid, self.last_took, "stop")
        self.chroot("status-after", INIT, "status", rc=3)
        # The other name starts and stops the same daemon.
        pid = self.start_daemon("start-alias")
        self.chroot("stop-alias", ALIAS, "stop", timeout=STOP_TIMEOUT)
        self.assert_stopped_cleanly(pid, self.last_took, "stop via " + ALIAS)

    def upgrade(self):
        pid = self.start_daemon("start-before-upgrade")
        _, out = self.chroot("upgrade", "apt-get", "install", "-y", "--no-install-recommends",
                             *self.upgrade_debs)
        _, version = self.chroot("version", "dpkg-query", "-W", "-f", "${Version}", SERVER)
        self.assertEqual(version.strip(), UPGRADE_VERSION)
        # Stopped before the binary was replaced, not started again (not enabled).
        self.assertFalse(pid_alive(pid), "the old si_btd survived the upgrade")
        self.assertEqual(self.daemons(), [], "an si_btd runs after the upgrade of a disabled one")
        self.assert_stopped_cleanly(pid, 0, "the upgrade's stop")
        self.assertEqual(self.read("/etc/systemimager/bittorrent.conf"), self.conf,
                         "the upgrade changed the administrator's bittorrent.conf")
        leftovers = glob.glob(self.in_root("/etc/systemimager/*.dpkg-*"))
        self.assertEqual(leftovers, [], "conffile copies after the upgrade")
        self.assertNotIn("Configuration file", out, "the upgrade asked about a conffile")

    def remove_and_purge(self):
        pid = self.start_daemon("start-before-remove")
        self.chroot("remove", "apt-get", "remove", "-y", SERVER, BOOT)
        self.assert_stopped_cleanly(pid, self.last_took, "apt-get remove")
        _, status = self.chroot("status-removed", "dpkg-query", "-W", "-f", "${Status}", SERVER)
        self.assertEqual(status.strip(), "deinstall ok config-files")
        self.assertTrue(os.path.exists(self.in_root("/etc/systemimager/bittorrent.conf")),
                        "remove deleted the configuration")
        self.assertFalse(os.path.exists(self.in_root("/usr/sbin/si_btd")))

        # The tracker state where the server HOWTO recommends it, as si_btd leaves it: purged too.
        for name in ("bttracker.state", "bttracker.state.lock", "bttracker.state.nodes"):
            self.write("/var/lib/systemimager/" + name, "state\n")
        self.chroot("purge", "apt-get", "purge", "-y", SERVER, BOOT)
        for pkg in (SERVER, BOOT):
            code, _ = self.chroot("status-purged-" + pkg, "dpkg-query", "-W", pkg, rc=None)
            self.assertNotEqual(code, 0, "%s is still known to dpkg after purge" % pkg)
        self.assertEqual(processes_in(self.root), [], "processes left in the root")

        # The administrator's files, and the directories holding them, stay.
        kept = set()
        for path, text in self.admin_files.items():
            self.assertEqual(self.read(path), text, "purge changed " + path)
        image = "/var/lib/systemimager/images/tiny"
        for dirpath, dirnames, filenames in os.walk(self.in_root(image)):
            for name in dirnames + filenames:
                kept.add("/" + os.path.relpath(os.path.join(dirpath, name), self.root))
        self.assertGreater(len(kept), 3, "purge removed the image")
        for path in list(kept) + list(self.admin_files) + [image]:
            while path != "/":
                kept.add(path)
                path = os.path.dirname(path)

        after = snapshot(self.root)
        added = sorted(set(after) - set(self.baseline) - kept)
        removed = sorted(set(self.baseline) - set(after))
        changed = sorted(p for p in set(after) & set(self.baseline)
                         if after[p] != self.baseline[p] and p not in kept)
        self.assertEqual((added, removed, changed), ([], [], []),
                         "the purged root differs from the baseline (added, removed, changed)")

    def test_packages(self):
        with stage("build"):
            self.build()
            self.check_deb_contents()
        with stage("lintian"):
            self.lintian()
        with stage("piuparts"):
            self.piuparts()
        with stage("root"):
            self.make_root()
        with stage("install-run"):
            self.install_and_run()
        with stage("upgrade"):
            self.upgrade()
        with stage("remove-purge"):
            self.remove_and_purge()


if __name__ == "__main__":
    sitest.main()
