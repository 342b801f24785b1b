#!/usr/bin/env python3
"""A QEMU node's power button for the end-to-end tests, as a BMC gives one: resets the
machine through QEMU's monitor protocol (QMP) on a unix socket and lets it run, whether it was
running or powered off (QEMU started with -no-shutdown keeps a powered-off machine).
Used as si_btreimage's BT_POWER_COMMAND: qmp_power.py <socket> [cycle|status].
Exit 0 on success; 1 with one line on stderr when the socket does not answer."""
import json
import socket
import sys


def qmp(path, *commands, timeout=10):
    """Runs each command (a dict) after the capabilities handshake; returns their replies."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    f = s.makefile("rwb")

    def reply():
        while True:
            msg = json.loads(f.readline())
            if "return" in msg or "error" in msg:
                return msg

    json.loads(f.readline())  # the greeting
    out = []
    for cmd in [{"execute": "qmp_capabilities"}] + list(commands):
        f.write(json.dumps(cmd).encode() + b"\n")
        f.flush()
        out.append(reply())
    s.close()
    return out[1:]


def main():
    if len(sys.argv) < 2:
        print("usage: qmp_power.py SOCKET [cycle|status]", file=sys.stderr)
        return 2
    what = sys.argv[2] if len(sys.argv) > 2 else "cycle"
    try:
        if what == "status":
            print(qmp(sys.argv[1], {"execute": "query-status"})[0]["return"]["status"])
        else:
            qmp(sys.argv[1], {"execute": "system_reset"}, {"execute": "cont"})
    except (OSError, ValueError, KeyError) as e:
        print("qmp_power: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
