#!/usr/bin/env python3
"""Runs one libFuzzer target of tests/fuzz/ for a bounded time: builds the fuzz project with
clang (once per build tree, under a lock, so the targets may run side by side), copies the
seed corpus (tests/fuzz/corpus/<target>/) to a scratch corpus, and fuzzes.

usage: run_fuzz.py TARGET [SECONDS]    (SI_FUZZ_SECONDS overrides SECONDS; default 30)

Exits 0 when the target ran its time without a finding, 1 on a finding (the input that
triggered it is kept under $SI_TEST_OUTPUT/fuzz/<target>/ and named in the output), and 77
(skipped) where clang or its libFuzzer runtime is missing (Debian: clang, libclang-rt-14-dev;
scripts/setup-deps.sh installs them)."""
import fcntl
import glob
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("SI_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
OUTPUT = os.environ.get("SI_TEST_OUTPUT", os.path.join(BUILD_DIR, "test-output"))


def find_clang():
    """clang++ and whether its libFuzzer runtime is there, or None."""
    for name in ("clang++", "clang++-16", "clang++-15", "clang++-14"):
        path = shutil.which(name)
        if not path:
            continue
        try:
            runtime = subprocess.run([path, "--print-file-name=libclang_rt.fuzzer-x86_64.a"],
                                     capture_output=True, text=True, timeout=30).stdout.strip()
            resource = subprocess.run([path, "--print-resource-dir"], capture_output=True,
                                      text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        candidates = [runtime] + glob.glob(os.path.join(resource, "lib", "*", "libclang_rt.fuzzer*.a"))
        if any(os.path.isabs(c) and os.path.exists(c) for c in candidates):
            return path
    return None


def build(clang):
    """Configures and builds the fuzz project in <build>/fuzz; returns its directory or None."""
    out = os.path.join(BUILD_DIR, "fuzz")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        env = dict(os.environ, CCACHE_DISABLE="1")
        cmds = []
        if not os.path.exists(os.path.join(out, "CMakeCache.txt")):
            gen = ["-G", "Ninja"] if shutil.which("ninja") else []
            cmds.append(["cmake", "-S", HERE, "-B", out, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                         "-DCMAKE_CXX_COMPILER=" + clang] + gen)
        cmds.append(["cmake", "--build", out, "-j", "2"])
        for cmd in cmds:
            r = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if r.returncode != 0:
                sys.stdout.write(r.stdout[-4000:] + r.stderr[-4000:])
                print("run_fuzz: building the fuzz targets failed: " + " ".join(cmd))
                return None
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    target = sys.argv[1]
    seconds = int(os.environ.get("SI_FUZZ_SECONDS", sys.argv[2] if len(sys.argv) > 2 else "30"))
    clang = find_clang()
    if clang is None:
        print("run_fuzz: skipped: no clang++ with libFuzzer (Debian: clang libclang-rt-14-dev)")
        return SKIP
    out = build(clang)
    if out is None:
        return 1
    binary = os.path.join(out, target)
    seeds = os.path.join(HERE, "corpus", target)
    findings = os.path.join(OUTPUT, "fuzz", target)
    os.makedirs(findings, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="si_fuzz_") as scratch:
        corpus = os.path.join(scratch, "corpus")
        shutil.copytree(seeds, corpus) if os.path.isdir(seeds) else os.makedirs(corpus)
        cmd = [binary, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
               "-max_len=65536", "-print_final_stats=1",
               "-artifact_prefix=" + findings + "/", corpus]
        print("run_fuzz: " + " ".join(cmd), flush=True)
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace")
        lines = r.stdout.splitlines()
        # The summary, not the whole run (libFuzzer prints a line per new input).
        for line in lines:
            if (line.startswith("stat::") or "ERROR" in line or "SUMMARY" in line or
                    "Test unit written" in line or line.startswith("#") and "DONE" in line or
                    "INFO: seed corpus" in line):
                print(line)
        if r.returncode != 0:
            print("\n".join(lines[-60:]))
            print("run_fuzz: %s: a finding (exit %d); inputs kept in %s" % (target, r.returncode,
                                                                              findings))
            return 1
    print("run_fuzz: %s: no finding in %d s" % (target, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
