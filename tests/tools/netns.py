"""Moving a test process into a network namespace of its own and back.

A test that makes a namespace (`ip netns add NAME`) and enters it runs everything it starts
there too: its si_btd, agents and clients bind addresses and shape links that no other test
sees, and leaving deletes nothing of the host's."""
import ctypes
import os

CLONE_NEWNET = 0x40000000  # <sched.h>


class EnteredNamespace:
    """This process inside the network namespace `name` (made by `ip netns add`), so that the
    processes it starts run there; leave() moves it back to the namespace it came from.
    Raises OSError (errno and "setns") when it cannot enter; it is then where it was."""

    def __init__(self, name):
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._home = os.open("/proc/self/ns/net", os.O_RDONLY)
        try:
            fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
            try:
                if self._libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
            finally:
                os.close(fd)
        except Exception:
            os.close(self._home)
            self._home = None
            raise

    def leave(self):
        """Back to the namespace it came from; safe to call twice."""
        if self._home is not None:
            self._libc.setns(self._home, CLONE_NEWNET)
            os.close(self._home)
            self._home = None
