#!/usr/bin/env python3
"""BEP 19 web seeds (issue 32): with BT_WEB_SEEDS every .torrent carries a url-list, and si_btd
serves each seeded tarball at /tarballs/<file> with byte ranges.

- si_btd's own HTTP answers ranges as RFC 9110 says (206, 416, HEAD, If-Range, 404).
- The seeder blocked (policy routing in a network namespace of the test's own: nothing leaves
  the seeder's port or address for the nodes but the answers of the HTTP port): an agent still
  installs the image exact from the web seed alone, beside a web seed that answers 404 and one
  that refuses connections; aria2c, a client we did not write, downloads the tarball the same
  way.
- A plain web server without range support (python3 -m http.server) as the only web seed,
  beside the seeder: the install is exact (libtorrent drops a web seed whose answer is not the
  range it asked for, and checks every piece's hash)."""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

import netns  # noqa: E402
import sitest  # noqa: E402
import tree_compare  # noqa: E402

TARBALL = "image-golden.tar.gz"
TORRENT = TARBALL + ".torrent"
SERVER = "127.0.0.1"
PLAIN_WEB = "127.0.0.2"  # python3 -m http.server
NOBODY = "127.0.0.3"     # refuses connections
NODES = "127.0.0.16/28"  # agents and aria2c: 127.0.0.17 ...
IMAGE_MB = 6
# A tarball over libtorrent's 16 MiB web seed request (urlseed_max_request_bytes), so that it
# asks the web server for a part of the file, not the whole.
LARGE_IMAGE_MB = 44


class Namespace:
    """A network namespace with only a loopback, entered by this process (its children
    inherit it); left and deleted by close()."""

    def __init__(self):
        self.name = "si-webseed-%d" % os.getpid()
        self.entered = None
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        try:
            self.entered = netns.EnteredNamespace(self.name)
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
        except Exception:
            self.close()
            raise

    def block_all_but(self, address, port):
        """Nothing from `address` reaches the nodes but what leaves its TCP `port`: the
        seeder can neither answer a node nor connect to one; the HTTP port still answers.
        The local table's rule moves after these (it comes first otherwise)."""
        for i, ports in enumerate(("1-%d" % (port - 1), "%d-65534" % (port + 1))):
            subprocess.run(["ip", "rule", "add", "pref", str(10 + i), "from", address, "to", NODES,
                            "ipproto", "tcp", "sport", ports, "prohibit"],
                           check=True, capture_output=True)
        subprocess.run(["ip", "rule", "del", "pref", "0", "table", "local"], check=True,
                       capture_output=True)
        subprocess.run(["ip", "rule", "add", "pref", "100", "table", "local"], check=True,
                       capture_output=True)

    def close(self):
        if self.entered is not None:
            self.entered.leave()
            self.entered = None
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True)


def request(url, headers=None, method="GET"):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def sha1_file(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class WebSeed(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0 or shutil.which("ip") is None:
            self.skipTest("needs root and iproute2 for a network namespace of its own")
        try:
            self.ns = Namespace()
        except (OSError, subprocess.CalledProcessError) as e:
            self.skipTest("cannot make a network namespace: %s" % e)
        self.addCleanup(self.ns.close)
        self.tree = sitest.ServerTree(address=SERVER, compress="y", images=("golden",))
        self.addCleanup(self.tree.cleanup)
        self.src = sitest.make_image_tree(
            self.tree.image_dir("golden"), special=False,
            megabytes=LARGE_IMAGE_MB if "without_ranges" in self.id() else IMAGE_MB)
        self.procs = []
        self.addCleanup(lambda: sitest.stop_procs(self.procs))

    def start_server(self, web_seeds):
        self.tree.write_bt_conf(compress="y", images=("golden",),
                                extra="BT_WEB_SEEDS=\"%s\"\n" % " ".join(web_seeds))
        self.procs.append(self.tree.start())
        self.tree.wait_served([TORRENT], timeout=120)
        self.tarball = os.path.join(self.tree.dir, "tarballs", TARBALL)
        status, _, torrent = request(self.tree.url("/torrents/" + TORRENT))
        self.assertEqual(status, 200)
        return torrent

    def install(self, address):
        p, root = sitest.start_agent(
            self.tree.dir, address,
            "BITTORRENT=y IMAGESERVER=%s:%d IMAGENAME=golden BITTORRENT_POLLING_TIME=1 "
            "BITTORRENT_TIMEOUT=60 BITTORRENT_SERVER_TIMEOUT=60"
            % (self.tree.address, self.tree.tracker_port))
        self.procs.append(p)
        out, _ = p.communicate(timeout=240)
        out = out.decode(errors="replace")
        for line in out.splitlines():
            if re.search(r"pieces from|download [\d.]+ s|received twice", line):
                print("%s: %s" % (address, line))
        self.assertEqual(p.returncode, 0, out[-3000:])
        self.assertEqual(tree_compare.compare(self.src, root, ignore_root_mtime=True), [])
        return out

    def test_ranges_as_rfc_9110_says(self):
        self.start_server(["self"])
        url = self.tree.url("/tarballs/" + TARBALL)
        size = os.path.getsize(self.tarball)
        with open(self.tarball, "rb") as f:
            data = f.read()
        status, headers, body = request(url, {"Range": "bytes=100-1123"})
        self.assertEqual((status, headers["Content-Range"], body),
                         (206, "bytes 100-1123/%d" % size, data[100:1124]))
        self.assertEqual(headers["Accept-Ranges"], "bytes")
        status, headers, body = request(url, {"Range": "bytes=-10"})
        self.assertEqual((status, body), (206, data[-10:]))
        status, headers, body = request(url, {"Range": "bytes=%d-" % size})
        self.assertEqual((status, headers["Content-Range"]), (416, "bytes */%d" % size))
        status, headers, body = request(url, method="HEAD")
        self.assertEqual((status, int(headers["Content-Length"]), body), (200, size, b""))
        etag = headers["ETag"]
        status, _, body = request(url, {"Range": "bytes=0-9", "If-Range": etag})
        self.assertEqual((status, body), (206, data[:10]))
        status, _, body = request(url, {"Range": "bytes=0-9", "If-Range": "\"other\""})
        self.assertEqual((status, len(body)), (200, size))
        self.assertEqual(request(self.tree.url("/tarballs/image-other.tar.gz"))[0], 404)
        self.assertEqual(request(self.tree.url("/tarballs/..%2Fetc%2Fbittorrent.conf"))[0], 404)
        # The .torrent names si_btd's own /tarballs/ (BEP 19: a directory, the name appended).
        torrent = sitest.bdecode(request(self.tree.url("/torrents/" + TORRENT))[2])
        self.assertEqual(torrent[b"url-list"], self.tree.url("/tarballs/").encode())

    def test_a_node_installs_from_the_web_seed_alone(self):
        refused = sitest.free_port(NOBODY)
        torrent = self.start_server(["self", self.tree.url("/missing/"),
                                     "http://%s:%d/" % (NOBODY, refused)])
        meta = sitest.bdecode(torrent)
        self.assertEqual(len(meta[b"url-list"]), 3)
        self.ns.block_all_but(SERVER, self.tree.tracker_port)
        out = self.install("127.0.0.17")
        # Every byte came over the HTTP port: the seeder could not reach the node.
        self.assertRegex(out, r"pieces from 127\.0\.0\.1 \(")
        # aria2c, a foreign client, reads the url-list too.
        torrent_path = os.path.join(self.tree.dir, "aria2.torrent")
        with open(torrent_path, "wb") as f:
            f.write(torrent)
        out_dir = os.path.join(self.tree.dir, "aria2")
        r = sitest.aria2_download(torrent_path, out_dir, bind="127.0.0.18", timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace")[-3000:])
        self.assertEqual(sha1_file(os.path.join(out_dir, TARBALL)), sha1_file(self.tarball))
        btd = self.tree.procs[-1]
        btd.terminate()
        btd.wait(30)
        log = self.tree.log_text()
        m = re.search(r"web seed: (\d+) bytes of tarballs sent", log)
        print("tarball %d bytes; si_btd's web seed sent %s" % (os.path.getsize(self.tarball),
                                                              m.group(1) if m else "?"))

    def test_a_web_server_without_ranges_corrupts_nothing(self):
        port = sitest.free_port(PLAIN_WEB)
        plain = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", PLAIN_WEB, str(port), "--directory",
             os.path.join(self.tree.dir, "tarballs")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(plain)
        self.start_server(["http://%s:%d/" % (PLAIN_WEB, port)])
        # It answers a range with the whole file, as Python's server does.
        status, _, body = request("http://%s:%d/%s" % (PLAIN_WEB, port, TARBALL),
                                  {"Range": "bytes=0-9"})
        self.assertEqual((status, len(body)), (200, os.path.getsize(self.tarball)))
        self.assertGreater(os.path.getsize(self.tarball), 16 << 20)
        out = self.install("127.0.0.19")
        # Every answer it gave was the whole file, not the range asked for: none was taken.
        self.assertNotRegex(out, r"pieces from.*127\.0\.0\.2")


if __name__ == "__main__":
    sitest.main()
