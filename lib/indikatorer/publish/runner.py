"""The scheduler: tasks with declared dependencies, run on any `concurrent.futures.Executor`.

A task starts as soon as the tasks it needs are done (a wait-for-first-completed loop over the
executor's futures), at most `capacity` at a time on the executor, first by priority (the
editions in order, the notebooks in build order). Notebook tasks go to the executor — a thread
pool by default, a process pool, or a dask.distributed client (`--executor dask` starts a
LocalCluster, `--scheduler tcp://…` uses an existing cluster): they are the same plain
function calls on all of them. A task marked `local` (an edition's manifest, render and swap)
runs in a small thread pool of this process instead, beside the notebooks of other editions.

A task that fails (or whose worker is lost for good) fails its edition: the edition's tasks
not yet started are dropped, the other editions go on.
"""

from __future__ import annotations

import concurrent.futures
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

EXECUTORS = ("threads", "processes", "dask")


@dataclass(eq=False)
class Task:
    name: str                          # shown in the progress lines
    edition: str                       # the edition (folder name) it belongs to
    func: Callable
    args: tuple = ()
    needs: list["Task"] = field(default_factory=list)
    local: bool = False                # run in this process's own pool, not the executor
    estimate: float | None = None      # seconds (from an earlier run), for the time left
    kind: str = "notebook"             # "notebook" or "edition"
    group: str = ""                    # tasks alike (the same notebook in other editions)


def default_jobs() -> int:
    """Notebooks in parallel by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def seconds_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}".replace(".", ",") + " s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest} s"


class Progress:
    """One display for the whole build: editions and notebooks done, and the time left."""

    def __init__(self, capacity: int, stream=None):
        self.capacity = max(1, capacity)
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.notebooks_total = self.notebooks_done = 0
        self.editions_total = self.editions_done = 0
        self.remaining: dict[int, Task] = {}  # tasks not yet done
        self.learned: dict[str, list[float]] = {}  # group → seconds taken in this run

    def add(self, task: Task) -> None:
        if id(task) in self.remaining:
            return
        if task.kind == "notebook":
            self.notebooks_total += 1
        else:
            self.editions_total += 1
        self.remaining[id(task)] = task

    def learn(self, task: Task, seconds: float) -> None:
        self.learned.setdefault(task.group or task.kind, []).append(seconds)

    def skipped(self, names: list[str], what: str) -> None:
        """Notebooks done without running (unchanged)."""
        self.notebooks_total += len(names)
        for name in names:
            self.notebooks_done += 1
            self.line(name, what)

    def done(self, task: Task, what: str) -> None:
        self.remaining.pop(id(task), None)
        if task.kind == "notebook":
            self.notebooks_done += 1
        else:
            self.editions_done += 1
        self.line(task.name, what)

    def _estimate(self, task: Task) -> float:
        """An earlier run's time, else this run's for the same notebook, else 5 s (10 s for
        an edition's render)."""
        if task.estimate is not None:
            return task.estimate
        seen = self.learned.get(task.group or task.kind)
        if seen:
            return sum(seen) / len(seen)
        return 5.0 if task.kind == "notebook" else 10.0

    def time_left(self) -> float:
        return sum(self._estimate(t) for t in self.remaining.values()) / self.capacity

    def line(self, name: str, what: str) -> None:
        parts = []
        if self.editions_total > 1:
            parts.append(f"utgaver {self.editions_done}/{self.editions_total}")
        parts.append(f"notatbøker {self.notebooks_done}/{self.notebooks_total}")
        if self.remaining:
            parts.append(f"ca. {seconds_text(self.time_left())} igjen")
        print(f"[{' · '.join(parts)}] {name} … {what}", file=self.stream, flush=True)


def run(tasks: list[Task], executor: concurrent.futures.Executor, capacity: int,
        on_done: Callable[[Task, object, BaseException | None], bool],
        progress: Progress, local_workers: int = 1) -> set[str]:
    """Run `tasks` (each after the ones it needs); returns the editions that failed.

    `on_done(task, result, error)` is called in this thread for every finished task and says
    whether it succeeded; a failure drops the edition's tasks that have not started.
    """
    for task in tasks:
        progress.add(task)
    pending = list(tasks)  # in priority order
    finished: set[int] = set()
    failed: set[str] = set()
    in_flight: dict[concurrent.futures.Future, Task] = {}
    started_at: dict[int, float] = {}
    on_executor = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, local_workers),
                                               thread_name_prefix="edition") as local:
        while pending or in_flight:
            for task in [t for t in pending if t.edition in failed]:
                pending.remove(task)
                progress.done(task, "ikke kjørt (utgaven feilet)")
            for task in list(pending):
                if not all(id(n) in finished for n in task.needs):
                    continue
                if task.local:
                    future = local.submit(task.func, *task.args)
                elif on_executor < capacity:
                    future = executor.submit(task.func, *task.args)
                    on_executor += 1
                else:
                    continue
                pending.remove(task)
                in_flight[future] = task
                started_at[id(task)] = time.perf_counter()
            if not in_flight:
                if pending:  # cannot happen with an acyclic plan; never hang on it
                    raise RuntimeError("tasks wait for each other: "
                                       + ", ".join(t.name for t in pending))
                break
            done, _ = concurrent.futures.wait(list(in_flight),
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                task = in_flight.pop(future)
                progress.learn(task, time.perf_counter() - started_at.pop(id(task)))
                if not task.local:
                    on_executor -= 1
                try:
                    result, error = future.result(), None
                except BaseException as exc:  # a worker lost for good, a bug in a task
                    result, error = None, exc
                ok = on_done(task, result, error)
                finished.add(id(task))
                if not ok:
                    failed.add(task.edition)
    return failed


# --- executors --------------------------------------------------------------------------------------

class ExecutorChoice:
    """An executor for the notebook tasks and how many tasks it runs at once; a context
    manager that shuts down what it started (an executor passed in is left running)."""

    def __init__(self, name: str = "threads", jobs: int | None = None,
                 scheduler: str | None = None, executor: concurrent.futures.Executor | None = None,
                 capacity: int | None = None):
        self.name, self.jobs, self.scheduler = name, jobs or default_jobs(), scheduler
        self.executor, self.capacity = executor, capacity
        self._owned: list = []
        self.label = "given executor" if executor is not None else name

    def __enter__(self):
        if self.executor is not None:
            self.capacity = self.capacity or self.jobs
            return self
        if self.scheduler or self.name == "dask":
            self._start_dask()
        elif self.name == "processes":
            import multiprocessing

            # Workers from a clean server process, not forks of this (threaded) one.
            self.executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context("forkserver"))
            self._owned.append(self.executor)
            self.capacity = self.jobs
        elif self.name == "threads":
            self.executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.jobs, thread_name_prefix="notebook")
            self._owned.append(self.executor)
            self.capacity = self.jobs
        else:
            from indikatorer.core.errors import UserError

            raise UserError(f"--executor {self.name!r}: choose one of {', '.join(EXECUTORS)}")
        return self

    def _start_dask(self) -> None:
        from indikatorer.core.errors import UserError

        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise UserError("--executor dask needs dask.distributed (pip install distributed)") from exc
        if self.scheduler:
            try:
                client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise UserError(f"cannot reach the dask scheduler {self.scheduler}: {exc}") from exc
            self.label = f"dask {self.scheduler}"
        else:
            cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            self._owned.append(cluster)
            client = Client(cluster)
            self.label = f"dask LocalCluster ({self.jobs} workers)"
        self._owned.insert(0, client)
        self.executor = client.get_executor(pure=False)
        self.capacity = max(1, sum(client.nthreads().values()))

    def __exit__(self, *exc) -> None:
        for thing in self._owned:
            if isinstance(thing, concurrent.futures.Executor):
                thing.shutdown(wait=True, cancel_futures=True)
            else:
                thing.close()
