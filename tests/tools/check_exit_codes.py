#!/usr/bin/env python3
"""Checks that what documents and uses our exit codes follows the C++ tables
(src/server/exit_codes.hpp, src/agent/exit_codes.hpp): each man page's EXIT STATUS lists
exactly the codes its program returns, and the initrd's /init names every failure code of
si_btagent. Prints one line per disagreement and exits 1; 0 when all agree."""
import os
import re
import sys

from exit_codes import AGENT_HEADER, SERVER_HEADER, SOURCE_DIR, read_table  # noqa: E402

# Which codes of which table each program returns (the tables are shared; the programs are not).
PROGRAMS = {
    "si_btagent": (AGENT_HEADER, None),  # all of them
    "si_btd": (SERVER_HEADER, ["ok", "failure", "usage", "config", "address", "bind", "pack",
                               "already_running"]),
    "si_installbtimage": (SERVER_HEADER, ["ok", "failure", "usage", "config", "address", "pack"]),
    "si_btstatus": (SERVER_HEADER, ["ok", "usage", "config", "address", "unreachable",
                                    "not_found"]),
    "si_btreimage": (SERVER_HEADER, ["ok", "failure", "usage", "config", "address", "unreachable",
                                     "incomplete", "interrupted"]),
    "si_btkey": (SERVER_HEADER, ["ok", "failure", "usage"]),
}


def man_exit_codes(page):
    """The codes listed as `.B N` in the EXIT STATUS section of docs/man/<page>.8."""
    codes, inside = [], False
    with open(os.path.join(SOURCE_DIR, "docs", "man", page + ".8")) as f:
        for line in f:
            if line.startswith(".SH"):
                inside = line.strip() == ".SH EXIT STATUS"
            elif inside:
                m = re.match(r"^\.B (\d+)\s*$", line)
                if m:
                    codes.append(int(m.group(1)))
    return codes


def init_agent_codes():
    """The codes the initrd's agent_exit_text() names, and the header it cites."""
    with open(os.path.join(SOURCE_DIR, "initrd", "init")) as f:
        text = f.read()
    m = re.search(r"# What si_btagent's exit codes mean \(([^)]+)\)\.\nagent_exit_text\(\) \{\n"
                  r"    case \"\$1\" in\n(.*?)\n        \*\)", text, re.S)
    if not m:
        return None, []
    return m.group(1), [int(c) for c in re.findall(r"^\s+(\d+)\)", m.group(2), re.M)]


def main():
    problems = []
    for program, (header, names) in PROGRAMS.items():
        table = read_table(header)
        unknown = [n for n in names or [] if n not in table]
        if unknown:
            problems.append("%s: %s names no code %s" % (header, program, ", ".join(unknown)))
            continue
        want = sorted(table[n][0] for n in (names or table))
        got = man_exit_codes(program)
        if sorted(got) != want:
            problems.append("docs/man/%s.8: EXIT STATUS lists %s; %s says %s" % (
                program, got, header, want))
    agent = read_table(AGENT_HEADER)
    cited, named = init_agent_codes()
    # /init handles 0 (installed) and 1-3 (internal error, usage, BITTORRENT=n) itself.
    want = sorted(code for code, _ in agent.values() if code >= 4)
    if cited != AGENT_HEADER:
        problems.append("initrd/init: agent_exit_text() does not cite %s" % AGENT_HEADER)
    elif sorted(named) != want:
        problems.append("initrd/init: agent_exit_text() names %s; %s has %s" % (
            sorted(named), AGENT_HEADER, want))
    for p in problems:
        print(p)
    if not problems:
        print("exit codes: %d agent and %d server codes; %d man pages and initrd/init agree" % (
            len(agent), len(read_table(SERVER_HEADER)), len(PROGRAMS)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
