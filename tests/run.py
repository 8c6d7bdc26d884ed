#!/usr/bin/python3
"""run.py: runs every test suite of parley and ends with one line,
"N passed, N failed", that sums them all.

Suites, each against the plain build and the ASan+UBSan build:
  unit     the cmocka programs build*/tests/test_*
  http     pytest tests/http: every case against parleyd and against
           parley.fcgi behind a real nginx (and CGI mode)
  browser  node --test tests/browser: the browser client (www/) in headless
           chromium, against parleyd and against nginx + parley.fcgi
           (the plain build only: it tests the client, not the C)
  fuzz     each libFuzzer harness of build-fuzz/ (make fuzz-build) over its
           seeds and FUZZ_SMOKE_SECONDS (4) of fuzzing; once, not per build;
           skipped (counted as nothing) when clang built no harness

Usage: tests/run.py [SUITE...]   (default: all; e.g. "http" or "unit")
Environment: PARLEY_SUITES_BUILDS="build build-san" picks the builds.
"""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "out")


def run_unit(build):
    """Runs each cmocka program; returns (passed, failed)."""
    passed = failed = 0
    tdir = os.path.join(ROOT, build, "tests")
    progs = sorted(p for p in os.listdir(tdir) if p.startswith("test_")) \
        if os.path.isdir(tdir) else []
    if not progs:
        print(f"unit[{build}]: no test programs in {tdir}")
        return 0, 1
    for prog in progs:
        proc = subprocess.run([os.path.join(tdir, prog)], cwd=ROOT,
                              capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        p = re.search(r"\[  PASSED  \] (\d+) test", out)
        f = re.search(r"\[  FAILED  \] (\d+) test", out)
        np, nf = (int(p.group(1)) if p else 0), (int(f.group(1)) if f else 0)
        if proc.returncode != 0 and nf == 0:
            nf = 1  # crashed or a sanitizer stopped it
        if nf:
            sys.stdout.write(out)
        print(f"unit[{build}] {prog}: {np} passed, {nf} failed")
        passed += np
        failed += nf
    return passed, failed


def run_http(build):
    """Runs pytest on tests/http against the binaries of build."""
    os.makedirs(OUT, exist_ok=True)
    xml = os.path.join(OUT, f"http-{build}.xml")
    env = dict(os.environ, PARLEY_BUILD=os.path.join(ROOT, build))
    if build.endswith("san"):
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=86"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    proc = subprocess.run(
        ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--junitxml={xml}", os.path.join(ROOT, "tests", "http")],
        cwd=ROOT, env=env)
    try:
        suite = ET.parse(xml).getroot()
        if suite.tag == "testsuites":
            suite = suite[0]
        total = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
    except (OSError, ET.ParseError):
        return 0, 1
    if proc.returncode not in (0, 1) and bad == 0:
        bad = 1  # pytest itself failed (no tests collected, crash)
    print(f"http[{build}]: {total - bad - skipped} passed, {bad} failed")
    return total - bad - skipped, bad


def run_browser(build):
    """Runs node's test runner on tests/browser against build; parses the
    TAP summary ("# pass N", "# fail N")."""
    if os.path.basename(build) != "build":
        return None  # the client's tests need no sanitizer build
    bdir = os.path.join(ROOT, "tests", "browser")
    if not os.path.isdir(os.path.join(bdir, "node_modules", "playwright-core")):
        print("browser: tests/browser/node_modules is missing: run "
              "tests/deps.sh test (npm ci in tests/browser)")
        return 0, 1
    os.makedirs(OUT, exist_ok=True)
    env = dict(os.environ, PARLEY_BUILD=os.path.join(ROOT, build))
    log = os.path.join(OUT, "browser.tap")
    proc = subprocess.run(
        ["node", "--test", "--test-reporter=tap", "--test-concurrency=1",
         os.path.join(bdir, "client.test.js")],
        cwd=ROOT, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    with open(log, "w") as f:
        f.write(out)
    p = re.search(r"^# pass (\d+)$", out, re.M)
    f = re.search(r"^# fail (\d+)$", out, re.M)
    s = re.search(r"^# skipped (\d+)$", out, re.M)
    d = re.search(r"^# duration_ms ([\d.]+)$", out, re.M)
    np, nf = (int(p.group(1)) if p else 0), (int(f.group(1)) if f else 0)
    if proc.returncode != 0 and nf == 0:
        nf = 1  # the runner itself failed
    if nf:
        sys.stdout.write(out[-20000:])
    skipped = f", {s.group(1)} pending" if s and int(s.group(1)) else ""
    took = f" in {float(d.group(1)) / 1000:.0f} s" if d else ""
    print(f"browser[{build}]: {np} passed, {nf} failed{skipped}{took}"
          f" (TAP in {os.path.relpath(log, ROOT)})")
    return np, nf


def run_fuzz(build):
    """Smoke run of each fuzz harness: its seeds, then a few seconds of
    fuzzing from them into a scratch corpus. Runs once (for the first
    build), since the harnesses have their own sanitizer build."""
    import shutil
    import tempfile
    if build != os.environ.get("PARLEY_SUITES_BUILDS", "build").split()[0]:
        return 0, 0
    fdir = os.path.join(ROOT, "build-fuzz")
    progs = sorted(p for p in os.listdir(fdir) if p.startswith("fuzz_")
                   and os.access(os.path.join(fdir, p), os.X_OK)) \
        if os.path.isdir(fdir) else []
    if not progs:
        print("fuzz: no harnesses in build-fuzz/ (make fuzz-build): skipped")
        return 0, 0
    os.makedirs(OUT, exist_ok=True)
    secs = os.environ.get("FUZZ_SMOKE_SECONDS", "4")
    passed = failed = 0
    for prog in progs:
        name = prog[len("fuzz_"):]
        corpus = tempfile.mkdtemp(prefix="parley-fuzz-")
        log = os.path.join(OUT, f"fuzz-smoke-{name}.log")
        try:
            with open(log, "w") as f:
                proc = subprocess.run(
                    [os.path.join(fdir, prog), f"-max_total_time={secs}",
                     "-print_final_stats=1", "-rss_limit_mb=2048",
                     "-timeout=10", f"-artifact_prefix={OUT}/",
                     corpus, os.path.join(ROOT, "tests", "fuzz", "seeds",
                                          name)],
                    cwd=ROOT, stdout=f, stderr=subprocess.STDOUT,
                    timeout=int(secs) + 120)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = -1
        finally:
            shutil.rmtree(corpus, ignore_errors=True)
        with open(log, errors="replace") as f:
            text = f.read()
        m = re.search(r"stat::number_of_executed_units: (\d+)", text)
        runs = m.group(1) if m else "?"
        if rc == 0:
            passed += 1
        else:
            failed += 1
            sys.stdout.write(text[-3000:])
        print(f"fuzz {prog}: {runs} runs, {'ok' if rc == 0 else 'FAILED'}"
              f" (log {log})")
    return passed, failed


SUITES = {"unit": run_unit, "http": run_http, "browser": run_browser,
          "fuzz": run_fuzz}


def main():
    wanted = sys.argv[1:] or list(SUITES)
    builds = os.environ.get("PARLEY_SUITES_BUILDS", "build build-san").split()
    passed = failed = 0
    for name in wanted:
        for build in builds:
            r = SUITES[name](build)
            if r is None:
                continue  # this suite does not run on this build
            p, f = r
            passed += p
            failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
