"""The edition build: `indikatorer build` for one edition or many (`--years 2015-2024`).

1. The notebooks and what each computed chapter reads are taken from the project
   (`indikatorer.publish.inputs`: declared in `_quarto.yml`, never guessed).
2. Every input is hashed (notebooks, data snapshot, package code and installed versions,
   parameters, the book's static sources, the renderer). An edition whose inputs equal those
   of its last complete build, with its book intact, is left as it is: nothing runs, nothing
   is written.
3. Otherwise, before any kernel starts: the data snapshot is checked file by file against its
   sidecars, the parameters against every notebook's parameters cell and the data, and the
   edition's lock is taken (a second build of the same edition waits).
4. The notebooks whose inputs changed run (`indikatorer.publish.runner`): independent ones in
   parallel up to the core count, each computed chapter as soon as the notebooks it needs are
   done, every notebook in a fresh kernel forked from a pre-warmed process
   (`indikatorer.publish.kernels`), on any `concurrent.futures.Executor` (threads by default,
   or dask). Many editions share one executor and one pre-warmed process; an edition's render
   runs beside the notebooks of the next.
5. A finished edition is swapped in whole (`indikatorer.publish.edition`); a failed one leaves
   the previous edition and build folder as they were and names the notebook and cell.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from indikatorer.core import paths
from indikatorer.core.errors import UserError
from indikatorer.core.hashing import sha256_text
from indikatorer.publish import inputs, kernels, manifest, runner
from indikatorer.publish.edition import BuildError, Edition, EditionResult, edition_key
from indikatorer.core.params import NAMES, EditionParams, check_values

# --- parameter validation -----------------------------------------------------------------------

def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _expected_type(declared: dict) -> type | None:
    """The type of a declared parameter: its annotation if any, else its default's literal type."""
    names = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}
    annotated = (declared.get("inferred_type_name") or "None").split("[")[0].strip().lower()
    if annotated in names:
        return names[annotated]
    try:
        default = ast.literal_eval(declared.get("default", "None"))
    except (ValueError, SyntaxError):
        return None
    if default is None:
        return None
    return type(default)


def _type_ok(value, expected: type) -> bool:
    if expected is int:
        return _is_int(value)
    if expected is float:
        return _is_int(value) or isinstance(value, float)
    if expected in (list, tuple):
        return isinstance(value, (list, tuple))
    return isinstance(value, expected)


def validate_params(notebook_path: Path, params: dict, years: tuple[int, int] | None = None,
                    *, name: str | None = None) -> dict:
    """Check the parameters for one notebook before any kernel starts; returns what it declares.

    Raises UserError naming the notebook for: a name its parameters cell does not declare, a
    value of another type than the declared default, a year outside the data, first_year after
    year, an unknown breakdown. A notebook without a parameters cell gets no parameters.
    """
    notebook_path = Path(notebook_path)
    name = name or notebook_path.name
    declared = inputs.parameters_cell(notebook_path)
    if not declared:
        return {}
    for key, value in params.items():
        if key not in declared:
            close = difflib.get_close_matches(key, list(declared), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UserError(f"{name} has no parameter {key!r}; its parameters are: "
                            f"{', '.join(sorted(declared))}.{hint}")
        expected = _expected_type(declared[key])
        if expected is not None and not _type_ok(value, expected):
            raise UserError(f"{name}: parameter {key!r} must be {expected.__name__} like its "
                            f"default {declared[key]['default']}, got {value!r} "
                            f"({type(value).__name__})")
    _check_values(name, params, years)
    return declared


def _check_values(name: str, params: dict, years: tuple[int, int] | None) -> None:
    """The values that need no more than the data's years (the geography is checked once
    per edition, by `check_geography`, when the edition is to be built)."""
    year = params.get("year")
    if _is_int(year):
        if years is None:
            years = data_years()
        first, last = years
        if not first <= year <= last:
            raise UserError(f"{name}: year {year} is outside the data, which cover "
                            f"{first}–{last}")
    try:
        check_values(params)
    except UserError as exc:
        raise UserError(f"{name}: {exc}") from None


def check_geography(name: str, geography) -> None:
    """The data layer's check that the snapshot has numbers for the edition's geography."""
    from indikatorer.data.selection import check_geography as check

    try:
        check(geography)
    except UserError as exc:
        raise UserError(f"{name}: {exc}") from None


# --- the data's years and the --years argument ----------------------------------------------------

def data_years(root: Path | None = None, cache_dir: Path | None = None,
               key: str | None = None) -> tuple[int, int]:
    """First and last reference year in the data snapshot (cached by the data's hash)."""
    root = Path(root or paths.PROJECT_ROOT)
    if key is None:
        key = inputs.data_sha256(manifest.data_snapshot_hashes(root))
    return inputs.data_years(root, Path(cache_dir or root / "build" / ".cache"), key)


_YEARS = re.compile(r"^\s*(\d{4})\s*(?:(?:-|–|\.\.)\s*(\d{4}))?\s*$")


def parse_years(spec: str) -> list[int]:
    """`2015-2024`, `2020`, `2015,2018,2020-2022` → the years, in order, each once."""
    years: list[int] = []
    for part in str(spec).split(","):
        match = _YEARS.match(part)
        if not match:
            raise UserError(f"--years {spec!r}: expected a year or a range like 2015-2024, "
                            f"got {part.strip()!r}")
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise UserError(f"--years {spec!r}: the range {first}-{last} is reversed; "
                            f"write {last}-{first}")
        years.extend(y for y in range(first, last + 1) if y not in years)
    return years


def check_years(years: list[int], data_range: tuple[int, int], flag: str = "--years") -> None:
    first, last = data_range
    outside = [y for y in years if not first <= y <= last]
    if outside:
        raise UserError(f"{flag}: {', '.join(map(str, outside))} outside the data "
                        f"({first}–{last}); nothing was built")


# --- the build --------------------------------------------------------------------------------------

@dataclass
class BuildSummary:
    results: list[EditionResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[EditionResult]:
        return [r for r in self.results if r.status == "failed"]


def build_edition(year: int | None = None, overrides: dict | None = None,
                  only: list[str] | None = None, jobs: int | None = None, force: bool = False,
                  render: bool = True, project_root: Path | None = None, *,
                  build_dir: Path | None = None, book_dir: Path | None = None,
                  executor=None, executor_name: str = "threads",
                  scheduler: str | None = None) -> EditionResult:
    """Build one edition (default: the newest year in the data) into `_book/<key>/`; raises
    BuildError when a notebook fails. See `build_editions` for the arguments."""
    summary = build_editions([year], overrides, only=only, jobs=jobs, force=force,
                             render=render, project_root=project_root, build_dir=build_dir,
                             book_dir=book_dir, executor=executor,
                             executor_name=executor_name, scheduler=scheduler)
    result = summary.results[0]
    if result.status == "failed":
        raise BuildError(result.error)
    return result


def build_editions(years: list[int | None], overrides: dict | None = None, *,
                   only: list[str] | None = None, jobs: int | None = None, force: bool = False,
                   render: bool = True, project_root: Path | None = None,
                   build_dir: Path | None = None, book_dir: Path | None = None,
                   executor=None, executor_name: str = "threads", scheduler: str | None = None,
                   stream=None) -> BuildSummary:
    """Build the editions for `years` (None: the newest year in the data), each into its own
    `_book/<key>/`, sharing one executor and one pre-warmed kernel process.

    `overrides` are notebook parameters (edition ones — first_year, breakdowns, geography — or
    any other the notebooks declare); `only` restricts which notebooks run (stems); `jobs`
    notebooks run at once (default: the core count); `executor` is any
    concurrent.futures.Executor (else `executor_name`: threads, processes or dask, or a dask
    `scheduler` address). Bad input raises UserError before anything runs; a failing edition
    is reported in the summary and stops no other.
    """
    clock = datetime.now(timezone.utc)
    started = clock.isoformat(timespec="seconds")
    stream = stream or sys.stdout

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    root = Path(project_root or paths.PROJECT_ROOT).resolve()
    build_dir = Path(build_dir or root / "build")
    book_dir = Path(book_dir or root / "_book")
    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {jobs}")
    plan = inputs.load_plan(root)
    selected = inputs.select(plan, only)
    data_hashes = manifest.data_snapshot_hashes(root)
    data_hash = inputs.data_sha256(data_hashes)
    code_hash = inputs.code_sha256()
    cache_key = sha256_text(data_hash + code_hash)
    data_range = data_years(root, build_dir / ".cache", cache_key)
    check_years([y for y in years if y is not None], data_range,
                "--years" if len(years) > 1 else "--year")
    declared = {nb.rel: inputs.parameters_cell(nb.source) for nb in plan.notebooks}
    editions: dict[str, Edition] = {}
    for year in years:
        params = EditionParams.resolve(year, overrides or {}, data_range)
        parameters = params.to_dict()
        for nb in plan.notebooks:  # every notebook is checked before any kernel starts
            validate_params(nb.source, parameters, data_range, name=nb.rel)
        standard = EditionParams.resolve(params.year, {}, data_range).to_dict()
        key = edition_key(params.year, _effective(parameters, declared),
                          _effective(standard, declared))
        editions.setdefault(key, Edition(
            plan, params, key, {nb.rel: parameters if declared[nb.rel] else {}
                                for nb in plan.notebooks},
            build_dir=build_dir, book_dir=book_dir, render=render))
    static_hash = inputs.static_sources_sha256(root)
    renderer = inputs.renderer_identity() if render else None
    git = manifest.git_state(root)  # the colophon prints the commit
    for edition in editions.values():
        edition.set_hashes(inputs.notebook_hashes(
            plan, edition.parameters, data_hash, code_hash,
            edition.recorded_hashes() if only else None, selected if only else None),
            static_hash, renderer, git)
    likely = [e for e in editions.values()
              if force or only or e.state().get("edition_hash") != e.edition_hash]
    summary = BuildSummary()
    locked: list[Edition] = []
    try:
        if likely and executor is None and executor_name == "threads" and not scheduler:
            # The kernels' parent process warms up (imports, data) while the checks run.
            kernels.zygote_for(str(root), list(plan.warm), data_hash + code_hash)
        for edition in likely:  # (the data's geographies: not needed when nothing changed)
            check_geography(f"edition {edition.key}", edition.params.geography)
        for edition in sorted(editions.values(), key=lambda e: e.key):
            edition.lock(say)
            locked.append(edition)
        todo = []
        for edition in editions.values():
            if not force and not only and edition.up_to_date():
                say(f"Utgave {edition.key}: uendret siden forrige bygg, ingenting å gjøre "
                    f"({edition.result.edition_dir})")
            else:
                todo.append(edition)
        if todo:
            inputs.verify_data(root)  # every data file and sidecar, before any kernel starts
            _run(todo, plan, selected, force, jobs, executor, executor_name, scheduler,
                 started, say, stream, data_hash + code_hash)
    finally:
        for edition in locked:
            edition.unlock()
        kernels.stop_all()
    summary.results = [e.result for e in editions.values()]
    summary.seconds = (datetime.now(timezone.utc) - clock).total_seconds()
    return summary


def _effective(parameters: dict, declared: dict[str, dict]) -> dict:
    """The parameters with those equal to the notebooks' own defaults left out (so that
    `-p window=10`, the notebooks' default, is the standard edition)."""
    defaults = {}
    for cell in declared.values():
        for name, info in cell.items():
            try:
                defaults.setdefault(name, ast.literal_eval(info["default"]))
            except (ValueError, SyntaxError):
                pass
    edition_names = set(NAMES)
    return {k: v for k, v in parameters.items()
            if k in edition_names or k not in defaults or defaults[k] != v}


def _run(todo: list[Edition], plan, selected, force, jobs, executor, executor_name, scheduler,
         started: str, say, stream, zygote_key: str) -> None:
    from indikatorer.publish.execute import failure_message, run_notebook

    env = dict(kernels.KERNEL_ENV)
    with runner.ExecutorChoice(executor_name, jobs, scheduler, executor) as choice:
        progress = runner.Progress(choice.capacity, stream)
        tasks: list[runner.Task] = []
        unchanged: list[str] = []
        for edition in todo:
            jobs_to_run, skipped = edition.prepare(selected, force, env)
            params = edition.params
            say(f"Utgave {edition.key} ({params.first_year}–{params.year}): "
                f"{len(jobs_to_run)} notatbøker kjøres, {len(skipped)} uendret, "
                f"i {edition.work} ({choice.label}, {choice.capacity} om gangen)")
            label = f"{edition.key} " if len(todo) > 1 else ""
            unchanged += [f"{label}{Path(rel).stem}" for rel in skipped]
            by_rel: dict[str, runner.Task] = {}
            for job in jobs_to_run:
                job.update(warm=list(plan.warm), zygote_key=zygote_key)
                nb = plan.get(job["rel"])
                by_rel[nb.rel] = runner.Task(
                    f"{label}{nb.stem}", edition.key, run_notebook, (job,),
                    needs=[by_rel[d] for d in nb.needs if d in by_rel],
                    estimate=job.pop("estimate"), group=nb.rel)
            tasks.extend(by_rel.values())
            tasks.append(runner.Task(f"utgave {edition.key}", edition.key, edition.finish,
                                     (started, _render_book), needs=list(by_rel.values()),
                                     local=True, kind="edition",
                                     estimate=None if edition.render else 1.0))
        for task in tasks:
            progress.add(task)
        progress.skipped(unchanged, "uendret, hoppet over")
        by_key = {e.key: e for e in todo}
        jobs_of = {id(t): t.args[0] for t in tasks if t.kind == "notebook"}

        def on_done(task, result, error) -> bool:
            edition = by_key[task.edition]
            if task.kind == "edition":
                if error is not None:
                    edition.result.status, edition.result.error = "failed", _message(error)
                    progress.done(task, f"feilet: {edition.result.error.splitlines()[0]}")
                    return False
                progress.done(task, f"ferdig → {edition.result.edition_dir}")
                return True
            job = jobs_of[id(task)]
            if error is None and result["ok"]:
                edition.result.ran.append(job["rel"])
                progress.done(task, f"ferdig ({runner.seconds_text(result['seconds'])})")
                return True
            outcome = result or {"ename": type(error).__name__, "evalue": str(error)}
            message = failure_message(job["rel"], Path(job["source"]), Path(job["output"]),
                                      outcome)
            edition.result.status = "failed"
            edition.result.error = "\n\n".join(filter(None, [edition.result.error, message]))
            progress.done(task, f"feilet ({outcome.get('ename')})")
            return False

        runner.run(tasks, choice.executor, choice.capacity, on_done, progress,
                   local_workers=max(1, choice.capacity // 2))


def _message(error: BaseException) -> str:
    return str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"


def _render_book(project_dir: Path, out_dir: Path):
    try:
        from indikatorer.publish.render import render_book
    except ImportError as exc:
        raise BuildError(f"the book renderer (indikatorer.publish.render) is not available: {exc}; "
                         "use --no-render to execute the notebooks only") from exc
    return render_book(project_dir, out_dir)
