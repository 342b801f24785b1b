"""BitTorrent clients we did not write, driven at their default settings: aria2c,
transmission-cli, ctorrent and qbittorrent-nox. Shared by tests/integration/test_interop.py and
bench/interop_bench.py, so that the benchmark measures the clients the way CTest runs them.

Each client is bound to an address of its own (the tracker never hands a peer its own address);
only what it needs to listen, to be driven and to stay off the outside world (no DHT, LPD, UPnP)
is set, nothing about how it trades pieces. Stdlib only."""
import json
import os
import signal
import subprocess
import tempfile
import time

import sitest

CLIENTS = ("aria2c", "transmission-cli", "ctorrent", "qbittorrent-nox")


def wait_for_file(path, proc, timeout, period=0.2):
    """True once `path` exists (the client's sign that it has everything); False on timeout or
    when the client exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        if proc.poll() is not None:
            return os.path.exists(path)
        time.sleep(period)
    return False


def stop(proc):
    """SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def transmission_setup(home, address, settings):
    """A settings.json for transmission-cli under `home`: `settings` plus an address and port
    of its own, no DHT, LPD or port forwarding. Returns (config dir, download dir)."""
    conf, out = os.path.join(home, "conf"), os.path.join(home, "dl")
    os.makedirs(conf)
    os.makedirs(out)
    settings = dict(settings, **{"bind-address-ipv4": address, "dht-enabled": False,
                                 "lpd-enabled": False, "port-forwarding-enabled": False,
                                 "peer-port": sitest.free_port(address)})
    with open(os.path.join(conf, "settings.json"), "w") as f:
        json.dump(settings, f)
    return conf, out


# transmission-cli as SystemImager 4.9's initrd runs it: its defaults, uTP on.
TRANSMISSION_AS_SYSTEMIMAGER = {"utp-enabled": True}


def ctorrent_args(target, done, address, torrent):
    """ctorrent bound to `address`, writing `target`; touches `done` when it has everything and
    then seeds for an hour (until stopped)."""
    return ["ctorrent", "-e", "1", "-i", address, "-p", str(sitest.free_port(address)),
            "-s", target, "-X", "touch " + done, torrent]


class QBittorrent:
    """qbittorrent-nox with its default BitTorrent settings, bound to `address` on `interface`
    (the tracker never hands a peer its own address), driven through its Web API on
    127.0.0.1."""

    def __init__(self, base_dir, address, interface="lo"):
        self.home = tempfile.mkdtemp(dir=base_dir)
        self.downloads = os.path.join(self.home, "dl")
        os.makedirs(self.downloads)
        conf_dir = os.path.join(self.home, "qBittorrent", "config")
        os.makedirs(conf_dir)
        self.web_port = sitest.free_port()
        with open(os.path.join(conf_dir, "qBittorrent.conf"), "w") as f:
            # Where to listen and how to be driven; nothing about how it trades pieces.
            f.write("[LegalNotice]\nAccepted=true\n\n[BitTorrent]\n"
                    "Session\\Interface=%s\nSession\\InterfaceName=%s\n"
                    "Session\\InterfaceAddress=%s\nSession\\Port=%d\n\n[Preferences]\n"
                    "WebUI\\Address=127.0.0.1\nWebUI\\Port=%d\nWebUI\\LocalHostAuth=false\n"
                    % (interface, interface, address, sitest.free_port(address), self.web_port))
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["qbittorrent-nox", "--profile=" + self.home],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=self.home))
        sitest.wait_for(lambda: self.api("/app/version").startswith(b"v"), 30,
                        "qbittorrent-nox's Web API")

    def api(self, path, fields=None, files=None):
        import urllib.request
        url = "http://127.0.0.1:%d/api/v2%s" % (self.web_port, path)
        if fields is None and files is None:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read()
        boundary = "si-test-boundary"
        body = b""
        for k, v in (fields or {}).items():
            body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                     % (boundary, k, v)).encode()
        for k, path_ in (files or {}).items():
            with open(path_, "rb") as f:
                data = f.read()
            body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                     "Content-Type: application/x-bittorrent\r\n\r\n"
                     % (boundary, k, os.path.basename(path_))).encode() + data + b"\r\n"
        body += ("--%s--\r\n" % boundary).encode()
        req = urllib.request.Request(url, data=body, headers={
            "Content-Type": "multipart/form-data; boundary=" + boundary,
            "Referer": "http://127.0.0.1:%d" % self.web_port})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    def add(self, torrent):
        self.api("/torrents/add", fields={"savepath": self.downloads}, files={"torrents": torrent})

    def torrents(self):
        return json.loads(self.api("/torrents/info"))

    def done(self):
        t = self.torrents()
        return len(t) == 1 and t[0]["progress"] >= 1.0

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def close(self):
        stop(self.proc)
        self.log.close()


def download(client, torrent, work_dir, address, interface, timeout, period=0.05):
    """Downloads `torrent` with `client` (one of CLIENTS) at its defaults, bound to `address`
    on `interface`, into a new directory under `work_dir`; stops the client once it has every
    piece. Returns a dict: started/finished (time.time() of starting the client, or adding the
    torrent for qbittorrent-nox, and of seeing it complete; finished None if it did not within
    `timeout` s), path (the downloaded file), log (the client's last output)."""
    name = os.path.basename(torrent)[: -len(".torrent")]
    home = tempfile.mkdtemp(dir=work_dir, prefix=client + "-")
    env = dict(os.environ, HOME=home)
    r = {"client": client, "started": None, "finished": None, "log": ""}
    if client == "qbittorrent-nox":
        qb = QBittorrent(home, address, interface)
        try:
            r["path"] = os.path.join(qb.downloads, name)
            r["started"] = time.time()
            qb.add(torrent)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    if qb.done():
                        r["finished"] = time.time()
                        break
                except OSError as e:  # urllib's errors are OSErrors
                    if qb.proc.poll() is not None:
                        r["log"] = "qbittorrent-nox exited with %d (%s)\n" % (qb.proc.returncode, e)
                        break
                time.sleep(period)
            if r["finished"] is None:
                try:
                    r["log"] += "%s\n" % qb.torrents()
                except OSError as e:
                    r["log"] += "Web API: %s\n" % e
                r["log"] += qb.output()
        finally:
            qb.close()
        return r
    if client == "aria2c":
        out = os.path.join(home, "dl")
        args = ["aria2c", "--interface=" + address, "--dir=" + out, "--seed-time=0",
                "--enable-dht=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                "--file-allocation=none", "--console-log-level=warn", "--summary-interval=0",
                "--bt-stop-timeout=%d" % timeout, torrent]
        r["path"] = done = os.path.join(out, name)
    elif client == "transmission-cli":
        conf, out = transmission_setup(home, address, TRANSMISSION_AS_SYSTEMIMAGER)
        # The file keeps a .part suffix until every piece is verified.
        r["path"] = done = os.path.join(out, name)
        args = ["transmission-cli", "-g", conf, "-w", out, torrent]
    elif client == "ctorrent":
        r["path"] = os.path.join(home, name)
        done = os.path.join(home, "complete")
        args = ctorrent_args(r["path"], done, address, torrent)
    else:
        raise ValueError("unknown client %r (%s)" % (client, ", ".join(CLIENTS)))
    with tempfile.TemporaryFile() as log:
        r["started"] = time.time()
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env)
        try:
            if client == "aria2c":
                # Done when it exits 0 (--seed-time=0); the file is there from the start.
                try:
                    p.wait(timeout)
                    if p.returncode == 0:
                        r["finished"] = time.time()
                except subprocess.TimeoutExpired:
                    pass
            elif wait_for_file(done, p, timeout, period):
                r["finished"] = time.time()
        finally:
            stop(p)
        log.seek(0)
        r["log"] = log.read().decode(errors="replace")[-3000:]
    return r
