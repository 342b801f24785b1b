"""Faults the benchmark injects into a run with several image servers (issue 32's failover
measurements): which servers fail, how, and when.

A fault is written KIND[@P]: P is the share of the deploy done when it strikes, counted as the
bytes all nodes have received over N x S (0 = before the first node starts; default 0.5).

  kill-others  SIGKILL every server but the last        (a crash of all but one)
  down-others  their links down instead                  (a switch port, a cable)
  kill-all     SIGKILL every server: nodes go on with the peers they know, no tracker
  down-all     every server's link down
  kill-first   SIGKILL server 1, the one every agent lists first
  down-first   server 1's link down
"""

KINDS = ("kill-others", "down-others", "kill-all", "down-all", "kill-first", "down-first")
DEFAULT_AT = 0.5


class Fault:
    """One parsed fault: `kind` (one of KINDS), `at` (share of the deploy, 0..1)."""

    def __init__(self, kind, at):
        self.kind, self.at = kind, at

    @property
    def how(self):
        """'kill' or 'down'."""
        return self.kind.split("-", 1)[0]

    def servers(self, k):
        """The 1-based servers it strikes among k; raises ValueError when it needs more
        servers than k (kill-others with one server would leave nothing to measure)."""
        which = self.kind.split("-", 1)[1]
        if which == "others":
            if k < 2:
                raise ValueError("%s needs at least 2 servers" % self.kind)
            return list(range(1, k))
        if which == "all":
            return list(range(1, k + 1))
        return [1]

    def __str__(self):
        return "%s@%g" % (self.kind, self.at)


def parse(spec):
    """'kill-others@0.5' -> Fault; 'none' or '' -> None. Raises ValueError naming the bad part."""
    spec = spec.strip()
    if spec in ("", "none"):
        return None
    kind, sep, at = spec.partition("@")
    if kind not in KINDS:
        raise ValueError("--faults: unknown fault %r (none, %s)" % (kind, ", ".join(KINDS)))
    try:
        share = float(at) if sep else DEFAULT_AT
    except ValueError:
        raise ValueError("--faults: %r: the share after '@' is a number from 0 to 1" % spec)
    if not 0.0 <= share < 1.0:
        raise ValueError("--faults: %r: the share after '@' is from 0 up to (not including) 1"
                         % spec)
    return Fault(kind, share)
