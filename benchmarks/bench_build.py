"""Benchmark the edition build against the naive way, in one run.

    .venv/bin/python benchmarks/bench_build.py [--years 2015-2024]

Everything runs on a copy of the project's sources in a temporary folder (the project's own
build/ and _book/ are not touched), each step as a fresh `python` process, as a user would
run it:

- naive (the baseline): papermill on one notebook after another, each a new process with its
  own kernel, then one render of the book;
- cold edition: `build_edition` into empty build and book folders;
- warm: the same again, nothing changed (nothing runs, nothing is written);
- one change: a theme notebook edited (a sentence added), the edition built again;
- ten editions: `build_editions` for the ten years into empty folders, against ten times the
  naive edition measured here;
- peak memory: the largest total resident memory (proportional set size, so that pages the
  kernels share with the process they were forked from count once) of each step's process
  tree, sampled every 0.2 s.

Prints a table (seconds, ratio to the baseline and to the target) and one JSON line. Timings
depend on the machine and its load: run it on a quiet machine; tests never assert timings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
from indikatorer.publish import inputs  # noqa: E402

SOURCES = ("notebooks", "data", *inputs.STATIC_SOURCES)
CHANGED_NOTEBOOK = "notebooks/03-levekar.ipynb"
TARGETS = {"cold": 0.5, "warm_s": 1.0, "ten": 0.45}

NAIVE = r"""
import json, os, shutil, subprocess, sys
from pathlib import Path
from indikatorer.publish import edition, inputs, render
root, staging, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
staging.mkdir(parents=True)
plan = inputs.load_plan(root)
for name in inputs.STATIC_SOURCES:
    source = root / name
    if source.is_dir():
        shutil.copytree(source, staging / name, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.ipynb"))
    elif source.is_file():
        shutil.copy2(source, staging / name)
edition.write_colophon_metadata(staging, root)  # what the colophon chapter prints
for nb in plan.notebooks:  # one after another, each a papermill process with its own kernel
    output = staging / nb.rel
    output.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "INDIKATORER_NOTEBOOK": nb.rel, "INDIKATORER_BUILD_DIR": str(staging),
           "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-m", "papermill", str(nb.source), str(output), "--cwd",
                    str(output.parent), "--no-progress-bar"], env=env, check=True,
                   capture_output=True)
for folder in ("notebooks", "chapters"):  # the downloadable copies the figures link to
    (staging / folder / "notatbok").mkdir(exist_ok=True)
    for executed in (staging / folder).glob("*.ipynb"):
        shutil.copyfile(executed, staging / folder / "notatbok" / executed.name)
render.render_book(staging, out)
"""

BUILD = r"""
import sys
from pathlib import Path
from indikatorer.publish import build
root, build_dir, book_dir, years = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
summary = build.build_editions(build.parse_years(years) if years != "-" else [None],
                               project_root=root, build_dir=build_dir, book_dir=book_dir)
failed = [r.key for r in summary.failed]
if failed:
    sys.exit("failed: " + ", ".join(failed) + "\n" + "\n".join(r.error for r in summary.failed))
print("RESULT " + " ".join(f"{r.key}:{r.status}" for r in summary.results))
"""


class PeakMemory:
    """The largest total PSS (MiB) of a process and its descendants while it runs."""

    def __init__(self, proc: subprocess.Popen):
        self.peak = 0.0
        self._proc = psutil.Process(proc.pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                family = [self._proc, *self._proc.children(recursive=True)]
            except psutil.Error:
                family = []
            for process in family:
                total += _pss(process)
            self.peak = max(self.peak, total / 2**20)
            self._stop.wait(0.25)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _pss(process: psutil.Process) -> int:
    """Proportional set size in bytes (Linux's smaps_rollup: cheap to read), else the RSS."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def timed(label: str, script: str, *args, env: dict) -> tuple[float, float, str]:
    """Run `script` in a fresh Python process; (seconds, peak MiB, its stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(proc)
    out, err = proc.communicate()
    seconds, peak = time.perf_counter() - started, memory.stop()
    if proc.returncode != 0:
        sys.exit(f"{label} failed:\n{err[-3000:]}")
    print(f"  {label:<34} {seconds:8.1f} s   peak {peak:6.0f} MiB", flush=True)
    return seconds, peak, out


def results(out: str) -> list[str]:
    """`key:status` of each edition, from the step's last line."""
    line = next(ln for ln in reversed(out.splitlines()) if ln.startswith("RESULT "))
    return line.split()[1:]


def copy_sources(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in SOURCES:
        source = ROOT / name
        if not source.exists():
            continue
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(
                ".ipynb_checkpoints", "notatbok", "figures"))
        else:
            shutil.copy2(source, target / name)
    return target


def project_copy(tmp: Path) -> tuple[Path, dict]:
    """A copy of the project's sources in `tmp`, and the environment that points the build at
    it; says where it is and how busy the machine is."""
    project = copy_sources(tmp / "project")
    print(f"Project copy: {project}; {os.cpu_count()} cores; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return project, {**os.environ, "INDIKATORER_ROOT": str(project)}


def edit_notebook(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "id": "benchmark-edit", "metadata": {},
                        "source": "Endret for målingen."})
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2015-2024", help="the ten editions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="indikatorer-bench-") as tmp:
        tmp = Path(tmp)
        project, env = project_copy(tmp)
        naive_s, naive_mib, _ = timed("naive edition (baseline)", NAIVE, project,
                                      tmp / "naive", tmp / "naive-book", env=env)
        one = (project, tmp / "build", tmp / "book", "-")
        cold_s, cold_mib, _ = timed("cold edition", BUILD, *one, env=env)
        warm_s, _, warm_out = timed("warm, nothing changed", BUILD, *one, env=env)
        if not all(r.endswith(":unchanged") for r in results(warm_out)):
            sys.exit(f"the warm rebuild did something: {results(warm_out)}")
        edit_notebook(project / CHANGED_NOTEBOOK)
        one_change_s, _, _ = timed(f"one notebook changed ({Path(CHANGED_NOTEBOOK).stem})",
                                   BUILD, *one, env=env)
        ten_s, ten_mib, ten_out = timed(f"ten editions ({args.years})", BUILD, project,
                                        tmp / "ten", tmp / "ten-book", args.years, env=env)
        editions = len(results(ten_out))
    ten_naive_s = editions * naive_s
    peak = max(cold_mib, ten_mib)
    figures = {
        "cold_s": round(cold_s, 2), "naive_s": round(naive_s, 2),
        "cold_vs_naive": round(cold_s / naive_s, 3), "warm_s": round(warm_s, 2),
        "one_change_s": round(one_change_s, 2), "one_change_vs_naive": round(one_change_s / naive_s, 3),
        "ten_editions_s": round(ten_s, 2), "ten_naive_s": round(ten_naive_s, 2),
        "ten_vs_naive": round(ten_s / ten_naive_s, 3), "editions": editions,
        "peak_mib": round(peak), "naive_peak_mib": round(naive_mib),
        "cores": os.cpu_count(),
    }
    rows = [
        ("naive edition (baseline)", naive_s, 1.0, "", ""),
        ("cold edition", cold_s, cold_s / naive_s, f"≤ {TARGETS['cold']} × naive",
         cold_s / naive_s / TARGETS["cold"]),
        ("warm, nothing changed", warm_s, warm_s / naive_s, f"≤ {TARGETS['warm_s']:g} s",
         warm_s / TARGETS["warm_s"]),
        ("one notebook changed", one_change_s, one_change_s / naive_s,
         f"≤ {TARGETS['cold']} × naive (as cold)", one_change_s / naive_s / TARGETS["cold"]),
        (f"{editions} editions (vs {editions} × naive)", ten_s, ten_s / ten_naive_s,
         f"≤ {TARGETS['ten']} × {editions} naive", ten_s / ten_naive_s / TARGETS["ten"]),
    ]
    print()
    print(f"{'':<34} {'seconds':>8} {'× baseline':>11}  {'target':<28} {'× target':>8}")
    for label, seconds, ratio, target, of_target in rows:
        share = f"{of_target:8.2f}" if target else ""
        print(f"{label:<34} {seconds:8.1f} {ratio:11.3f}  {target:<28} {share}")
    print(f"{'peak memory (MiB, PSS)':<34} {peak:8.0f} {peak / naive_mib:11.2f}  "
          f"{'none given (× naive peak)':<28}")
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
