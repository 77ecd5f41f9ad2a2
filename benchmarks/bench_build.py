"""Benchmark the edition build: speed and memory, reported as ratios within one run.

    .venv/bin/python benchmarks/bench_build.py [--year YYYY]

Measures, each in a fresh temporary build folder (the project's build/ and _book/ are not
touched): loading the tidy table; executing all notebooks with one worker and with two; a
rebuild where nothing changed (every notebook skipped); rendering. Peak memory is the largest
resident set of this process and of its finished children (the notebook workers and kernels).
Timings vary with the machine and its load, so nothing here is asserted; the ratios are what
to compare between commits.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import tempfile
import time
from pathlib import Path

from indikatorer.publish import build

from indikatorer.data import observations


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory (MiB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def timed(label: str, func, results: dict) -> object:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        value = func()
    results[label] = time.perf_counter() - start
    print(f"{label:<44} {results[label]:8.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=None)
    args = parser.parse_args()
    results: dict[str, float] = {}

    observations.clear_cache()
    timed("load_observations (cold)", observations.load_observations, results)
    timed("load_observations (cached)", observations.load_observations, results)

    with tempfile.TemporaryDirectory(prefix="indikatorer-bench-") as tmp:
        tmp = Path(tmp)

        def run(name: str, jobs: int, *, force: bool, render: bool):
            return build.build_edition(year=args.year, jobs=jobs, force=force, render=render,
                                       build_dir=tmp / name / "build", book_dir=tmp / name / "_book")

        timed("notebooks, 1 worker", lambda: run("a", 1, force=True, render=False), results)
        timed("notebooks, 2 workers", lambda: run("b", 2, force=True, render=False), results)
        timed("rebuild, nothing changed (all skipped)", lambda: run("b", 2, force=False, render=False), results)
        timed("full build incl. render, 2 workers", lambda: run("c", 2, force=True, render=True), results)

    own, children = peak_rss_mib()
    one, two = results["notebooks, 1 worker"], results["notebooks, 2 workers"]
    print()
    print(f"speed-up of 2 workers over 1:          {one / two:5.2f}x")
    print(f"skipped rebuild / full notebook run:   {results['rebuild, nothing changed (all skipped)'] / two:5.3f}")
    print(f"render share of a full build:          "
          f"{1 - two / results['full build incl. render, 2 workers']:5.2f}")
    print(f"cached / cold load_observations:       "
          f"{results['load_observations (cached)'] / results['load_observations (cold)']:5.3f}")
    print(f"peak memory: this process {own:.0f} MiB, largest child {children:.0f} MiB")


if __name__ == "__main__":
    main()
