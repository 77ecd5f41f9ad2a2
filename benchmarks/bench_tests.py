"""The test suite's time against one cold edition build, in one run.

    .venv/bin/python benchmarks/bench_tests.py

Issue 9 bounds `make test` at 5 × one cold edition build on the same machine. This measures
both, as a user would run them, each as a fresh process:

- cold edition: `build_edition` on the embedded snapshot into empty build and book folders
  (every notebook executed, the book rendered), on a copy of the project's sources in a
  temporary folder — measured before and after the tests, and the mean taken;
- the tests: `make test` in the project (the README's command, browser tests included where
  Chromium and axe-core are installed).

Prints the seconds, the ratio and the target, and one JSON line. Timings depend on the machine
and its load: run it on a quiet machine; tests never assert timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import BUILD, ROOT, project_copy, timed  # noqa: E402

TARGET = 5.0  # make test ≤ 5 × one cold edition build


def run_tests() -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0:
        sys.exit(f"make test failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    print(f"  {'make test':<34} {seconds:8.1f} s   ({last.strip('= ')})", flush=True)
    return seconds, last


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="indikatorer-bench-tests-") as tmp:
        tmp = Path(tmp)
        project, env = project_copy(tmp)
        before, _, _ = timed("cold edition (before)", BUILD, project, tmp / "b1", tmp / "k1", "-", env=env)
        tests_s, summary = run_tests()
        after, _, _ = timed("cold edition (after)", BUILD, project, tmp / "b2", tmp / "k2", "-", env=env)
    cold_s = (before + after) / 2
    ratio = tests_s / cold_s
    print()
    print(f"make test: {tests_s:.1f} s = {ratio:.2f} × one cold edition ({cold_s:.1f} s); "
          f"target ≤ {TARGET:g} × ({ratio / TARGET:.2f} of it)")
    print(json.dumps({"cold_s": round(cold_s, 2), "cold_before_s": round(before, 2),
                      "cold_after_s": round(after, 2), "tests_s": round(tests_s, 2),
                      "tests_vs_cold": round(ratio, 3), "target": TARGET,
                      "tests": summary.strip("= "), "cores": os.cpu_count()}, sort_keys=True))


if __name__ == "__main__":
    main()
