"""The edition runner: parameters, their validation, papermill runs, and the edition folder.

One build of edition `<year>`:

1. Resolve the edition parameters (`EditionParams`) and check them against every notebook's
   parameters cell with `papermill.inspect_notebook` BEFORE any kernel starts.
2. Stage a copy of the book sources in `build/<year>/` (`_quarto.yml`, `index.qmd`,
   `references.bib`, `chapters/` without notebooks) and execute the notebooks into it with
   papermill: the theme notebooks (`notebooks/*.ipynb`) in parallel, then the computed chapters
   (`chapters/*.ipynb`) one at a time in name order, since each may read what the earlier ones
   made (the summary reads the themes; `91-slik-er-tallene-laget` reads the manifest).
   Each notebook runs in its own worker process, with the output notebook's folder as working
   directory (so `figures/` lands beside it) and these environment variables for the kernel:
   INDIKATORER_NOTEBOOK (the notebook's path inside the build folder, recorded in figure
   provenance), INDIKATORER_BUILD_DIR (the build folder), INDIKATORER_ROOT (the project root).
3. A notebook is skipped when its input hash (notebook source, parameters, the data snapshot,
   the package source, and the hashes of the notebooks before it) equals the one recorded
   beside its executed copy and its outputs are intact; `force` re-runs everything.
4. A failing notebook stops the build with a BuildError naming the notebook and cell; its
   executed (partial) copy stays in `build/<year>/` for inspection.
5. Render into `build/<year>/_render_tmp/`, write `manifest.json` there, then swap it into
   `_book/<year>/` (old edition renamed aside, new renamed in, old removed): a half-built book
   never replaces a good one.
"""

from __future__ import annotations

import ast
import concurrent.futures
import difflib
import glob
import json
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from indikatorer.publish import manifest

from indikatorer.core import paths
from indikatorer.core.errors import UserError
# The one parameters model (also the notebooks'); kept importable as build.EditionParams.
from indikatorer.core.params import EditionParams, check_values
from indikatorer.data.selection import check_geography

KERNEL = "python3"
THEME_DIR = "notebooks"
CHAPTER_DIR = "chapters"
# Copied as they are into the staging project; notebooks are executed into it instead.
STATIC_SOURCES = ("_quarto.yml", "index.qmd", "references.bib", "theme.scss", "typst-show.typ",
                  CHAPTER_DIR)
RENDER_TMP = "_render_tmp"
NOTEBOOK_COPIES = "notatbok"  # downloadable copies of the executed notebooks, beside each chapter


class BuildError(UserError):
    """A notebook failed, or the edition could not be assembled."""


@dataclass
class EditionResult:
    params: EditionParams
    staging_dir: Path
    edition_dir: Path                 # _book/<year> when rendered; else the staging folder
    manifest_path: Path
    ran: list[str] = field(default_factory=list)       # notebooks executed (staging-relative)
    skipped: list[str] = field(default_factory=list)   # notebooks unchanged since the last run
    render_result: object | None = None  # indikatorer.publish.render.RenderResult
    html_index: Path | None = None     # in edition_dir
    pdf: Path | None = None            # in edition_dir


def data_years() -> tuple[int, int]:
    """First and last reference year in the data snapshot."""
    from indikatorer.data.observations import load_observations

    years = load_observations()["year"]
    if years.empty:
        raise UserError("the data snapshot has no observations; cannot choose an edition year")
    return int(years.min()), int(years.max())


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
    import papermill

    notebook_path = Path(notebook_path)
    name = name or notebook_path.name
    try:
        declared = papermill.inspect_notebook(str(notebook_path))
    except Exception as exc:  # papermill raises plain exceptions for unreadable notebooks
        raise UserError(f"{name}: cannot read its parameters: {exc}") from exc
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
        if "geography" in params:
            check_geography(params["geography"])
    except UserError as exc:
        raise UserError(f"{name}: {exc}") from None


# --- notebooks and their input hashes -----------------------------------------------------------

def notebook_stages(project_root: Path) -> list[list[Path]]:
    """Source notebooks in build order: the themes (run in parallel), then each chapter alone."""
    themes = sorted((project_root / THEME_DIR).glob("*.ipynb"))
    chapters = sorted((project_root / CHAPTER_DIR).glob("*.ipynb"))
    stages = [themes] if themes else []
    stages.extend([chapter] for chapter in chapters)
    return stages


def _select(stages: list[list[Path]], only: list[str] | None) -> set[Path]:
    all_notebooks = [nb for stage in stages for nb in stage]
    if not only:
        return set(all_notebooks)
    stems = {nb.stem: nb for nb in all_notebooks}
    selected = set()
    for stem in only:
        stem = Path(stem).stem
        if stem not in stems:
            close = difflib.get_close_matches(stem, list(stems), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UserError(f"--only {stem}: no such notebook; there are: "
                            f"{', '.join(sorted(stems))}.{hint}")
        selected.add(stems[stem])
    return selected


def _input_hash(source: Path, parameters: dict, data_hashes: dict, code_hash: str,
                upstream: list[str]) -> str:
    payload = {
        "notebook_sha256": manifest.sha256_file(source),
        "parameters": parameters,
        "data_snapshot": data_hashes,
        "package_source_sha256": code_hash,
        "kernel": KERNEL,
        "upstream": upstream,  # input hashes of the notebooks that ran before this one
    }
    return manifest.sha256_text(json.dumps(payload, sort_keys=True))


def _outputs_intact(executed: Path, record: dict) -> bool:
    if not executed.is_file():
        return False
    for rel, sha in record.get("outputs", {}).items():
        path = executed.parent / rel
        if not path.is_file() or manifest.sha256_file(path) != sha:
            return False
    return True


def _remove_outputs(executed: Path) -> None:
    """Remove what an earlier run of this notebook made (so renamed figures leave no strays)."""
    record = manifest.read_record(executed)
    if record:
        for rel in record.get("outputs", {}):
            (executed.parent / rel).unlink(missing_ok=True)
    manifest.record_path(executed).unlink(missing_ok=True)


def _outputs_of(executed: Path, staging: Path, status: str) -> dict[str, str]:
    """Files a run made, relative to the notebook's folder → sha256.

    After a successful run: the figures and tables the notebook shows. After a failed one also
    the figure files whose provenance names this notebook, so the next run removes them.
    """
    figures = executed.parent / manifest.FIGURES_DIRNAME
    labels = set()
    if executed.is_file():
        try:
            labels = {e["label"] for e in manifest.notebook_outputs(executed, staging)}
        except manifest.ManifestError:
            pass  # reported when the manifest is written
    if status != "ok" and figures.is_dir():
        labels |= {p.stem for p in figures.glob("*.json") if _made_by(p, executed, staging)}
    files = sorted(p for label in labels for p in figures.glob(f"{glob.escape(label)}.*"))
    return {p.relative_to(executed.parent).as_posix(): manifest.sha256_file(p) for p in files}


def _made_by(provenance: Path, executed: Path, staging: Path) -> bool:
    try:
        notebook = json.loads(provenance.read_text(encoding="utf-8")).get("notebook")
    except (OSError, json.JSONDecodeError):
        return False
    return notebook == executed.relative_to(staging).as_posix()


def _write_record(executed: Path, staging: Path, *, status: str, input_hash: str | None,
                  source: Path, parameters: dict) -> None:
    record = {
        "notebook": executed.relative_to(staging).as_posix(),
        "status": status,
        "input_hash": input_hash,
        "source_sha256": manifest.sha256_file(source),
        "parameters": parameters,
        "outputs": _outputs_of(executed, staging, status),
    }
    manifest.record_path(executed).write_text(
        json.dumps(record, sort_keys=True, indent=2) + "\n", encoding="utf-8")


# --- running one notebook (in a worker process) -------------------------------------------------

def _execute_notebook(source: str, output: str, parameters: dict, env: dict) -> dict:
    """Run one notebook with papermill. Runs in a fresh worker process (own env and cwd).

    The worker's stdout/stderr (papermill's log, the kernel's stderr) go to `<stem>.log` beside
    the executed notebook, so parallel runs do not interleave on the console.
    """
    os.environ.update(env)
    output_path = Path(output)
    log = open(output_path.with_suffix(".log"), "w", encoding="utf-8")
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    started = time.perf_counter()
    import papermill

    try:
        papermill.execute_notebook(
            source, output, parameters=parameters, kernel_name=KERNEL,
            cwd=str(output_path.parent), progress_bar=False, log_output=False)
    except papermill.PapermillExecutionError as exc:
        return {"ok": False, "seconds": time.perf_counter() - started,
                "source": exc.source, "exec_count": exc.exec_count,
                "ename": exc.ename, "evalue": exc.evalue}
    except Exception as exc:  # kernel died, unreadable notebook …: report, never hide
        return {"ok": False, "seconds": time.perf_counter() - started, "source": None,
                "exec_count": None, "ename": type(exc).__name__, "evalue": str(exc)}
    _strip_run_details(output_path, Path(source), env["INDIKATORER_NOTEBOOK"])
    return {"ok": True, "seconds": time.perf_counter() - started}


_TIMING_KEYS = ("start_time", "end_time", "duration")


def merge_streams(notebook) -> None:
    """Join consecutive stream outputs of the same name (stdout, stderr) in every code cell.

    The kernel sends printed text in chunks whose boundaries depend on timing, so the same
    output can arrive as one stream output or several; merged, the notebook's bytes do not
    depend on that. ``notebook`` is an nbformat node or a plain dict (changed in place); a
    stream's ``text`` may be a string or a list of lines.
    """
    for cell in notebook["cells"]:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        merged: list = []
        for output in outputs:
            previous = merged[-1] if merged else None
            if (output.get("output_type") == "stream" and previous is not None
                    and previous.get("output_type") == "stream"
                    and previous.get("name") == output.get("name")):
                previous["text"] = _joined(previous["text"]) + _joined(output["text"])
            else:
                merged.append(output)
        cell["outputs"] = merged


def _joined(text) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


def _strip_run_details(executed: Path, source: Path, rel: str) -> None:
    """Drop timings, absolute paths and random cell ids that papermill records, and merge
    stream outputs split at timing-dependent points (:func:`merge_streams`), so that the
    executed notebook (published beside its chapter) is byte-identical when the same inputs are
    built again."""
    import nbformat

    source_ids = {json.dumps(c.get("id")) for c in json.loads(source.read_text("utf-8"))["cells"]}
    nb = nbformat.read(executed, as_version=4)
    run = nb.metadata.get("papermill", {})
    for key in _TIMING_KEYS:
        run.pop(key, None)
    run["input_path"] = run["output_path"] = rel
    for index, cell in enumerate(nb.cells):
        if json.dumps(cell.get("id")) not in source_ids:  # made by papermill or nbformat
            cell["id"] = f"build-{index}"
        cell.metadata.pop("execution", None)  # nbclient's per-message timestamps
        # Quarto wraps a cell whose metadata it does not know in a div (jupyter.ts:
        # mdFromCodeCell, needCell): the headings an `output: asis` cell prints would sit
        # inside it, out of the table of contents. papermill's run record is not needed.
        cell.metadata.pop("papermill", None)
        if not cell.metadata.get("tags", True):
            cell.metadata.pop("tags")
    merge_streams(nb)
    nbformat.write(nb, executed)


def _source_cell_index(source_notebook: Path, cell_source: str | None) -> int | None:
    """The failing cell's index in the SOURCE notebook (papermill's index counts its own cells)."""
    if cell_source is None:
        return None
    import nbformat

    nb = nbformat.read(source_notebook, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source == cell_source:
            return index
    return None


def _failure_message(job: dict, outcome: dict) -> str:
    rel, source = job["rel"], job["source"]
    lines = [f"notebook {rel} failed"]
    if outcome.get("source") is not None:
        index = _source_cell_index(source, outcome["source"])
        # The first line of code, not a Quarto option line (`#| echo: false`).
        first_line = next((ln for ln in outcome["source"].splitlines()
                           if ln.strip() and not ln.startswith("#|")), "")
        where = f"cell index {index}" if index is not None else "a cell"
        lines[0] += (f" in {where} of {source.name} (execution count {outcome['exec_count']}): "
                     f"{first_line.strip()}")
    lines.append(f"{outcome['ename']}: {outcome['evalue']}")
    lines.append(f"The executed notebook is kept for inspection: {job['output']}")
    lines.append(f"Kernel log: {job['output'].with_suffix('.log')}")
    return "\n".join(lines)


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f}".replace(".", ",") + " s"


class _Progress:
    def __init__(self, total: int):
        self.total, self.done = total, 0

    def line(self, job: dict, what: str) -> None:
        self.done += 1
        print(f"[{self.done}/{self.total}] {job['source'].stem} … {what}", flush=True)


def _run_stage(jobs_to_run: list[dict], workers: int, staging: Path, progress: _Progress) -> None:
    """Run notebooks in worker processes; on a failure, wait for the running ones, then raise."""
    context = multiprocessing.get_context("forkserver")
    # The fork server imports papermill once; each notebook then gets a fresh fork of it.
    context.set_forkserver_preload(["indikatorer.publish.build", "papermill"])
    failures = []
    with concurrent.futures.ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(jobs_to_run))), mp_context=context,
            max_tasks_per_child=1) as pool:
        futures = {
            pool.submit(_execute_notebook, str(job["source"]), str(job["output"]),
                        job["parameters"], job["env"]): job
            for job in jobs_to_run
        }
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            if future.cancelled():  # never started because another notebook failed
                progress.line(job, "ikke kjørt")
                continue
            try:
                outcome = future.result()
            except Exception as exc:  # the worker process itself died
                outcome = {"ok": False, "seconds": 0.0, "source": None, "exec_count": None,
                           "ename": type(exc).__name__, "evalue": str(exc)}
            status = "ok" if outcome["ok"] else "failed"
            _write_record(job["output"], staging, status=status,
                          input_hash=job["input_hash"] if outcome["ok"] else None,
                          source=job["source"], parameters=job["parameters"])
            if outcome["ok"]:
                progress.line(job, f"ferdig ({_seconds(outcome['seconds'])})")
            else:
                progress.line(job, f"feilet ({_seconds(outcome['seconds'])})")
                failures.append((job, outcome))
                for other in futures:
                    other.cancel()  # not yet started: do not start them
    if failures:
        raise BuildError("\n\n".join(_failure_message(job, outcome) for job, outcome in failures))


# --- staging, rendering, swapping ---------------------------------------------------------------

def _stage_static_sources(project_root: Path, staging: Path) -> None:
    for name in STATIC_SOURCES:
        source = project_root / name
        if source.is_dir():
            shutil.copytree(source, staging / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        elif source.is_file():
            shutil.copy2(source, staging / name)


def _remove_stale_notebooks(staging: Path, current: set[str]) -> None:
    """Executed notebooks whose source is gone must not end up in the book or the manifest."""
    for folder in (THEME_DIR, CHAPTER_DIR):
        for executed in sorted((staging / folder).glob("*.ipynb")):
            if executed.relative_to(staging).as_posix() not in current:
                _remove_outputs(executed)
                executed.unlink()
                executed.with_suffix(".log").unlink(missing_ok=True)


def colophon_metadata(staging: Path, project_root: Path) -> dict[str, str]:
    """The colophon's facts (chapters/99-kolofon.qmd reads them with `{{< meta … >}}`): the
    web edition's address (Quarto's `book: site-url`; while none is set the colophon says so,
    it never invents one), the git commit of the code and what renders the book."""
    from indikatorer.publish import render

    config = yaml.safe_load((staging / "_quarto.yml").read_text(encoding="utf-8")) or {}
    url = str((config.get("book") or {}).get("site-url") or "").strip()
    address = (f"Nettutgaven ligger på <{url}>. Filene som nevnes i den trykte utgaven, ligger "
               "på denne adressen, i mappene som er oppgitt."
               if url else
               "Nettutgaven har ennå ingen fast adresse. Filene som nevnes i den trykte utgaven "
               "(for eksempel tallene bak hver figur), ligger i nettutgaven i mappene som er oppgitt.")
    git = manifest.git_state(project_root)
    commit = git["git_commit"]
    code = (f"Koden som laget tallene, figurene og teksten, er versjon (git-commit) `{commit}`"
            + (", med endringer som ikke var lagret i git." if git["git_dirty"] is True else ".")
            if commit != "unknown" else
            "Koden som laget boka, var ikke en git-versjon, så versjonen kan ikke oppgis.")
    return {"kolofon-adresse": address, "kolofon-kode": code,
            "kolofon-gjengitt": render.renderer_statement()}


def _write_colophon_metadata(staging: Path, project_root: Path) -> None:
    """Append the colophon's facts to the staged _quarto.yml (top-level keys are metadata of
    every chapter in Quarto, and the preview reads the same file)."""
    config = staging / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    facts = colophon_metadata(staging, project_root)
    clash = [k for k in facts if k in (yaml.safe_load(text) or {})]
    if clash:
        raise BuildError(f"_quarto.yml must not set {', '.join(clash)}: the build writes them")
    config.write_text(text.rstrip("\n") + "\n\n# Written by the build (indikatorer.build.colophon_metadata).\n"
                      + yaml.safe_dump(facts, allow_unicode=True, sort_keys=True, width=1000),
                      encoding="utf-8")


def _render_book(project_dir: Path, out_dir: Path):
    try:
        from indikatorer.publish.render import render_book
    except ImportError as exc:
        raise BuildError(f"the book renderer (indikatorer.publish.render) is not available: {exc}; "
                         "use --no-render to execute the notebooks only") from exc
    return render_book(project_dir, out_dir)


def _copy_figure_files(staging: Path, edition: Path) -> None:
    """The edition carries every figure's PNG, data CSV and provenance at the manifest's paths."""
    for executed in manifest.executed_notebooks(staging):
        for entry in manifest.notebook_outputs(executed, staging):
            for rel in manifest.entry_files(entry):
                target = edition / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(staging / rel, target)


def _swap_into(new_dir: Path, target: Path) -> None:
    """Replace `target` by `new_dir` so that a failure at any step leaves the old edition."""
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.name}.new")
    backup = target.with_name(f".{target.name}.old")
    for leftover in (incoming, backup):
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.move(str(new_dir), str(incoming))  # copies if build/ and _book/ are on other disks
    if target.exists():
        os.rename(target, backup)
    try:
        os.rename(incoming, target)
    except OSError:
        if backup.exists():
            os.rename(backup, target)
        raise
    if backup.exists():
        shutil.rmtree(backup)


# --- the build ----------------------------------------------------------------------------------

def build_edition(year: int | None = None, overrides: dict | None = None,
                  only: list[str] | None = None, jobs: int = 2, force: bool = False,
                  render: bool = True, project_root: Path | None = None, *,
                  build_dir: Path | None = None, book_dir: Path | None = None) -> EditionResult:
    """Build edition `year` (default: the newest year in the data) into `_book/<year>/`.

    `overrides` are notebook parameters (edition ones — year, first_year, breakdowns, geography, window —
    or any other the notebooks declare). `only` restricts which notebooks run (stems); the
    others keep their earlier executed copies. `build_dir`/`book_dir` default to
    `<project_root>/build` and `<project_root>/_book` (verify-edition builds elsewhere).
    """
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    project_root = Path(project_root or paths.PROJECT_ROOT).resolve()
    build_dir = Path(build_dir or project_root / "build")
    book_dir = Path(book_dir or project_root / "_book")
    if jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {jobs}")
    stages = notebook_stages(project_root)
    if not stages:
        raise UserError(f"no notebooks in {project_root / THEME_DIR} or "
                        f"{project_root / CHAPTER_DIR}")
    selected = _select(stages, only)
    years = data_years()
    params = EditionParams.resolve(year, overrides or {}, years)
    parameters = params.to_dict()
    # Every notebook is checked before any kernel starts.
    notebook_params = {}
    for nb in (nb for stage in stages for nb in stage):
        declared = validate_params(nb, parameters, years,
                                   name=nb.relative_to(project_root).as_posix())
        notebook_params[nb] = parameters if declared else {}

    staging = build_dir / str(params.year)
    for folder in (THEME_DIR, CHAPTER_DIR):
        (staging / folder).mkdir(parents=True, exist_ok=True)
    _stage_static_sources(project_root, staging)
    _write_colophon_metadata(staging, project_root)
    _remove_stale_notebooks(staging, {nb.relative_to(project_root).as_posix()
                                      for stage in stages for nb in stage})
    print(f"Utgave {params.year} ({params.first_year}–{params.year}): {len(selected)} "
          f"notatbøker, {jobs} parallelt, i {staging}", flush=True)
    ran, skipped = _execute_notebooks(stages, selected, notebook_params, project_root, staging,
                                      jobs=jobs, force=force, parameters=parameters,
                                      started=started)
    _publish_notebook_copies(staging, project_root)
    manifest_path = manifest.write_manifest(staging, staging, parameters, None, started,
                                            project_root=project_root)
    result = EditionResult(params=params, staging_dir=staging, edition_dir=staging,
                           manifest_path=manifest_path, ran=ran, skipped=skipped)
    if render:
        _render_edition(result, book_dir / str(params.year), project_root, started)
    return result


def _execute_notebooks(stages, selected, notebook_params, project_root: Path, staging: Path, *,
                       jobs: int, force: bool, parameters: dict, started: str):
    """Run the stages in order, skipping unchanged notebooks; returns (ran, skipped)."""
    data_hashes = manifest.data_snapshot_hashes(project_root)
    code_hash = manifest.package_source_sha256()
    base_env = {
        "INDIKATORER_ROOT": str(project_root),
        "INDIKATORER_BUILD_DIR": str(staging.resolve()),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
    }
    progress = _Progress(len(selected))
    ran, skipped, upstream = [], [], []
    for stage_index, stage in enumerate(stages):
        to_run = []
        for nb in stage:
            rel = nb.relative_to(project_root).as_posix()
            output = staging / rel
            record = manifest.read_record(output) or {}
            input_hash = _input_hash(nb, notebook_params[nb], data_hashes, code_hash,
                                     list(upstream))
            if nb not in selected:  # left as it is; later notebooks depend on what it was
                upstream.append(record.get("input_hash") or "not built")
                continue
            upstream.append(input_hash)
            if (not force and record.get("status") == "ok"
                    and record.get("input_hash") == input_hash
                    and _outputs_intact(output, record)):
                skipped.append(rel)
                progress.line({"source": nb}, "uendret, hoppet over")
                continue
            _remove_outputs(output)
            to_run.append({"source": nb, "output": output, "rel": rel,
                           "parameters": notebook_params[nb], "input_hash": input_hash,
                           "env": {**base_env, "INDIKATORER_NOTEBOOK": rel}})
        if not to_run:
            continue
        if stage_index > 0:
            # Computed chapters read what was made before them (91 reads the manifest).
            manifest.write_manifest(staging, staging, parameters, None, started,
                                    project_root=project_root)
        _run_stage(to_run, jobs, staging, progress)
        ran.extend(job["rel"] for job in to_run)
    return ran, skipped


def _publish_notebook_copies(staging: Path, project_root: Path) -> None:
    """Copy each executed notebook to `<its folder>/notatbok/<name>.ipynb` for download.

    Quarto rewrites a link to a chapter's own `.ipynb` into the chapter's HTML page, so the
    figures link to this copy instead (not a book chapter, so Quarto keeps the link and copies
    the file as a resource; see _quarto.yml)."""
    folders = {nb.parent.relative_to(project_root) for stage in notebook_stages(project_root)
               for nb in stage}
    for folder in sorted(folders):
        target = staging / folder / NOTEBOOK_COPIES
        if target.exists():
            shutil.rmtree(target)  # no stale copy of a notebook that is gone
        target.mkdir(parents=True)
        for executed in sorted((staging / folder).glob("*.ipynb")):
            shutil.copyfile(executed, target / executed.name)


def _render_edition(result: EditionResult, edition_dir: Path, project_root: Path,
                    started: str) -> None:
    """Render into build/<year>/_render_tmp, write its manifest, swap it into _book/<year>."""
    staging = result.staging_dir
    not_built = [nb.relative_to(project_root).as_posix()
                 for stage in notebook_stages(project_root) for nb in stage
                 if (manifest.read_record(staging / nb.relative_to(project_root)) or {})
                 .get("status") != "ok"]
    if not_built:
        raise BuildError(f"cannot render the book: not executed for {result.params.year}: "
                         f"{', '.join(not_built)} (build them first, e.g. without --only)")
    render_tmp = staging / RENDER_TMP
    if render_tmp.exists():
        shutil.rmtree(render_tmp)
    render_result = _render_book(staging, render_tmp)
    _copy_figure_files(staging, render_tmp)
    manifest.write_manifest(render_tmp, staging, result.params.to_dict(), render_result,
                            started, project_root=project_root)
    _swap_into(render_tmp, edition_dir)

    def moved(path):  # where a file the renderer wrote into _render_tmp is after the swap
        if not path:
            return None
        return edition_dir / Path(path).resolve().relative_to(render_tmp.resolve())

    result.edition_dir = edition_dir
    result.manifest_path = edition_dir / manifest.MANIFEST_NAME
    result.render_result = render_result
    result.html_index = moved(render_result.html_index)
    result.pdf = moved(render_result.pdf)
