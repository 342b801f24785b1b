"""The exit codes of our programs, read from the C++ tables that define them
(src/server/exit_codes.hpp for the server's programs, src/agent/exit_codes.hpp for
si_btagent), so that no test keeps a copy of its own.

    from exit_codes import AGENT, SERVER
    self.assertEqual(p.returncode, AGENT.stalled)
"""
import os
import re
import types

SOURCE_DIR = os.environ.get("SI_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")

_ENTRY = re.compile(r"^inline constexpr int (\w+) = (\d+);\s*(?://\s*(.*))?$")


def read_table(header):
    """{name: (code, comment)} from the `inline constexpr int name = N; // comment` lines of
    `header` (a path under the source tree); comment lines that continue one are joined."""
    table = {}
    last = None
    with open(os.path.join(SOURCE_DIR, header)) as f:
        for line in f:
            line = line.strip()
            m = _ENTRY.match(line)
            if m:
                last = m.group(1)
                table[last] = (int(m.group(2)), m.group(3) or "")
            elif last and line.startswith("//") and table[last][1]:
                code, text = table[last]
                table[last] = (code, text + " " + line[2:].strip())
            else:
                last = None
    if not table:
        raise RuntimeError("no exit codes found in " + header)
    return table


def _namespace(header):
    return types.SimpleNamespace(**{k: v[0] for k, v in read_table(header).items()})


AGENT_HEADER = "src/agent/exit_codes.hpp"
SERVER_HEADER = "src/server/exit_codes.hpp"
AGENT = _namespace(AGENT_HEADER)
SERVER = _namespace(SERVER_HEADER)
