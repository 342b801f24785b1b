#!/usr/bin/env python3
"""BitTorrent clients we did not write download an image from si_btd's tracker and seeder:
Debian's aria2c from the super-seeding seeder (BEP 16, BT_SUPER_SEED's default), alone (the
seeder offers a peer two pieces at a time: a lone foreign leecher must still finish), and
transmission-cli (with uTP off, and on as SystemImager 4.9 runs it) and ctorrent from a normal
seeder (BT_SUPER_SEED=n): from a super-seeder
transmission-cli took 33 s to over 4 minutes for 9 MiB, and ctorrent drops the connection
every few pieces ("close: receive" after "choke oscillation"), so docs/server-howto.md sends
their users to BT_SUPER_SEED=n. The bytes must be the tarball's."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import sitest  # noqa: E402

DOWNLOAD_TIMEOUT = 240  # s for a ~9 MiB tarball on loopback; a bound, not a speed assertion


def wait_for(path, proc, timeout):
    """True once `path` exists (the client's sign that it has everything); False on timeout or
    when the client exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        if proc.poll() is not None:
            return os.path.exists(path)
        time.sleep(0.2)
    return False


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Interop(unittest.TestCase):
    super_seed = True

    @classmethod
    def setUpClass(cls):
        cls.t = sitest.ServerTree(compress="zstd", images=("golden",),
                                  extra="" if cls.super_seed else "BT_SUPER_SEED=n\n")
        # Large enough to be super-seeded (server/seeder_policy.hpp: at least 32 pieces).
        sitest.make_image_tree(cls.t.image_dir("golden"), special=True, megabytes=16)
        cls.t.start()
        cls.name = "image-golden.tar.zst.torrent"
        cls.t.wait_served([cls.name])
        said = "%s image-golden.tar.zst" % ("super-seeding" if cls.super_seed else "seeding")
        if said not in cls.t.log_text():
            raise AssertionError("expected '%s' in:\n%s" % (said, cls.t.log_text()[-2000:]))
        cls.tarball = os.path.join(cls.t.dir, "tarballs", cls.name[: -len(".torrent")])
        cls.torrent = os.path.join(cls.t.dir, "torrents", cls.name)

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()

    def check_download(self, args, out_file, done, tool, env=None):
        print("tarball: %d pieces of 256 KiB" % ((os.path.getsize(self.tarball) + 262143) // 262144))
        if shutil.which(tool) is None:
            self.skipTest("needs %s (scripts/setup-deps.sh)" % tool)
        with tempfile.TemporaryFile() as log:
            p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env)
            started = time.monotonic()
            try:
                finished = wait_for(done, p, DOWNLOAD_TIMEOUT)
            finally:
                stop(p)
            print("%s: %.1f s" % (tool, time.monotonic() - started), flush=True)
            log.seek(0)
            out = log.read().decode(errors="replace")[-3000:]
        self.assertTrue(finished, "%s did not finish in %d s:\n%s" % (tool, DOWNLOAD_TIMEOUT, out))
        with open(out_file, "rb") as a, open(self.tarball, "rb") as b:
            self.assertTrue(a.read() == b.read(), "%s: downloaded bytes differ" % tool)

    def test_aria2c_leeches_from_the_super_seeder(self):
        if shutil.which("aria2c") is None:
            self.skipTest("needs aria2c (scripts/setup-deps.sh)")
        out = tempfile.mkdtemp(dir=self.t.dir)
        started = time.monotonic()
        r = sitest.aria2_download(self.torrent, out, bind="127.0.0.9", timeout=DOWNLOAD_TIMEOUT)
        print("aria2c: %.1f s" % (time.monotonic() - started), flush=True)
        self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace")[-3000:])
        with open(os.path.join(out, os.path.basename(self.tarball)), "rb") as a, \
                open(self.tarball, "rb") as b:
            self.assertTrue(a.read() == b.read(), "aria2c: downloaded bytes differ")


class InteropNormalSeeding(Interop):
    super_seed = False

    # aria2c also works with normal seeding (test_seed_download.py).
    test_aria2c_leeches_from_the_super_seeder = None

    def run_transmission_cli(self, address, settings):
        """transmission-cli bound to an address of its own (the tracker never hands a peer its
        own address), with `settings` added to its settings.json."""
        home = tempfile.mkdtemp(dir=self.t.dir)
        conf, out = os.path.join(home, "conf"), os.path.join(home, "dl")
        os.makedirs(conf)
        os.makedirs(out)
        settings = dict(settings, **{"bind-address-ipv4": address, "dht-enabled": False,
                                     "lpd-enabled": False, "port-forwarding-enabled": False,
                                     "peer-port": sitest.free_port(address)})
        with open(os.path.join(conf, "settings.json"), "w") as f:
            json.dump(settings, f)
        # The file keeps a .part suffix until every piece is verified.
        target = os.path.join(out, os.path.basename(self.tarball))
        args = ["transmission-cli", "-g", conf, "-w", out, self.torrent]
        self.check_download(args, target, target, "transmission-cli",
                            env=dict(os.environ, HOME=home))

    def test_transmission_cli_leeches_from_a_normal_seeder(self):
        self.run_transmission_cli("127.0.0.7", {"pex-enabled": False, "utp-enabled": False,
                                                "rename-partial-files": True, "encryption": 0})

    def test_transmission_cli_with_utp_as_systemimager_4_9_runs_it(self):
        # SystemImager 4.9's initrd runs transmission-cli with its defaults: uTP on. The
        # seeder must answer uTP (or the client waits ~20 s per peer before trying TCP).
        self.run_transmission_cli("127.0.0.6", {"utp-enabled": True})

    def test_ctorrent_leeches_from_a_normal_seeder(self):
        out = tempfile.mkdtemp(dir=self.t.dir)
        target = os.path.join(out, os.path.basename(self.tarball))
        done = os.path.join(out, "complete")
        args = ["ctorrent", "-e", "0", "-i", "127.0.0.8", "-p", str(sitest.free_port("127.0.0.8")),
                "-s", target, "-X", "touch " + done, self.torrent]
        self.check_download(args, target, done, "ctorrent")


if __name__ == "__main__":
    sitest.main()
