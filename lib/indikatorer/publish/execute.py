"""One notebook task: execute one notebook with papermill in a fresh, pre-warmed kernel.

`run_notebook(job)` is what the runner submits to an executor (a thread or process pool, or a
dask.distributed client): a top-level function of plain data, so it pickles, and it runs the
same on any of them. It works on files only (the staging folder must be visible to the worker
at the same path), so a task that is run again — dask retries a task whose worker was lost —
first removes what an earlier attempt made.

The kernel runs with the notebook's folder as working directory (so `figures/` lands beside
it) and these environment variables: INDIKATORER_NOTEBOOK (the notebook's path inside the
staging folder, recorded in figure provenance), INDIKATORER_BUILD_DIR (the staging folder),
INDIKATORER_ROOT (the project root). Its stdout and stderr go to `<stem>.log` beside the
executed notebook. The executed notebook is cleaned of timings, absolute paths and random cell
ids (byte-identical when the same inputs are built again), and `<stem>.build.json` beside it
records its input hash and the files it made.
"""

from __future__ import annotations

import glob
import json
import time
from pathlib import Path

from indikatorer.publish import kernels, manifest

KERNEL = "python3"
_TIMING_KEYS = ("start_time", "end_time", "duration")


_NOT_STARTED = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


def _kernel_never_started(outcome: dict) -> bool:
    return outcome["source"] is None and any(m in (outcome["evalue"] or "") for m in _NOT_STARTED)


def _execute(job: dict, output: Path, log: Path) -> dict:
    """One papermill run of the job's notebook in a new pre-warmed kernel: its outcome."""
    import papermill

    zygote = kernels.zygote_for(job["project_root"], job["warm"], job["zygote_key"])
    manager = kernels.kernel_manager_class(
        zygote, cwd=str(output.parent), log=str(log),
        env={**kernels.KERNEL_ENV, **job["env"]})
    outcome = {"rel": job["rel"], "ok": True, "source": None, "exec_count": None,
               "ename": None, "evalue": None}
    try:
        papermill.execute_notebook(
            job["source"], str(output), parameters=job["parameters"], kernel_name=KERNEL,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            kernel_manager_class=manager, shutdown_kernel="immediate")
    except papermill.PapermillExecutionError as exc:
        outcome.update(ok=False, source=exc.source, exec_count=exc.exec_count,
                       ename=exc.ename, evalue=exc.evalue)
    except Exception as exc:  # kernel died, unreadable notebook …: report, never hide
        outcome.update(ok=False, ename=type(exc).__name__, evalue=str(exc))
    return outcome


def run_notebook(job: dict) -> dict:
    """Execute `job["source"]` into `job["output"]`; returns the outcome (never raises for a
    failing notebook: the outcome says where and why)."""
    output = Path(job["output"])
    staging = Path(job["staging"])
    output.parent.mkdir(parents=True, exist_ok=True)
    remove_outputs(output, staging)  # an earlier run's (or attempt's) files
    log = output.with_suffix(".log")
    log.write_bytes(b"")
    started = time.perf_counter()
    for attempt in (1, 2):
        outcome = _execute(job, output, log)
        if outcome["ok"] or attempt == 2 or not _kernel_never_started(outcome):
            break
        # A fresh kernel died before it answered (over TCP: a port another process took
        # first; kernels use Unix sockets where they can, see kernels.py). No cell ran, so the
        # notebook is started again in a new kernel; the log keeps what happened.
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"\nindikatorer: the kernel did not start ({outcome['ename']}: "
                     f"{outcome['evalue']}); starting the notebook again in a new kernel\n")
    if outcome["ok"]:
        strip_run_details(output, Path(job["source"]), job["rel"])
    outcome["seconds"] = time.perf_counter() - started
    write_record(output, staging, status="ok" if outcome["ok"] else "failed",
                 input_hash=job["input_hash"] if outcome["ok"] else None,
                 source=Path(job["source"]), parameters=job["parameters"],
                 seconds=outcome["seconds"])
    return outcome


# --- cleaning the executed notebook ---------------------------------------------------------------

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


def strip_run_details(executed: Path, source: Path, rel: str) -> None:
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


# --- what a run made: the build record beside the executed notebook --------------------------------

def outputs_intact(executed: Path, record: dict) -> bool:
    if not executed.is_file():
        return False
    for rel, sha in record.get("outputs", {}).items():
        path = executed.parent / rel
        if not path.is_file() or manifest.sha256_file(path) != sha:
            return False
    return True


def remove_outputs(executed: Path, staging: Path) -> None:
    """Remove what an earlier run of this notebook made: the files its record lists and any
    figure file whose provenance names it (left by a run that was interrupted), so that
    renamed or half-made figures leave no strays."""
    record = manifest.read_record(executed)
    if record:
        for rel in record.get("outputs", {}):
            (executed.parent / rel).unlink(missing_ok=True)
    figures = executed.parent / manifest.FIGURES_DIRNAME
    if figures.is_dir():
        for provenance in figures.glob("*.json"):
            if _made_by(provenance, executed, staging):
                for path in figures.glob(f"{glob.escape(provenance.stem)}.*"):
                    path.unlink(missing_ok=True)
    manifest.record_path(executed).unlink(missing_ok=True)
    executed.unlink(missing_ok=True)


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
        except (manifest.ManifestError, ValueError):
            pass  # reported when the manifest is written
    if status != "ok" and figures.is_dir():
        labels |= {p.stem for p in figures.glob("*.json") if _made_by(p, executed, staging)}
    files = sorted(p for label in labels for p in figures.glob(f"{glob.escape(label)}.*"))
    return {p.relative_to(executed.parent).as_posix(): manifest.sha256_file(p) for p in files}


def _made_by(provenance: Path, executed: Path, staging: Path) -> bool:
    try:
        notebook = json.loads(provenance.read_text(encoding="utf-8")).get("notebook")
    except (OSError, ValueError):
        return False
    return notebook == executed.relative_to(staging).as_posix()


def write_record(executed: Path, staging: Path, *, status: str, input_hash: str | None,
                 source: Path, parameters: dict, seconds: float | None = None) -> None:
    record = {
        "notebook": executed.relative_to(staging).as_posix(),
        "status": status,
        "input_hash": input_hash,
        "source_sha256": manifest.sha256_file(source),
        "parameters": parameters,
        "outputs": _outputs_of(executed, staging, status),
        "seconds": round(seconds, 1) if seconds is not None else None,
    }
    manifest.record_path(executed).write_text(
        json.dumps(record, sort_keys=True, indent=2) + "\n", encoding="utf-8")


# --- the message for a failed notebook --------------------------------------------------------------

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


def failure_message(rel: str, source: Path, output: Path, outcome: dict) -> str:
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
    lines.append(f"The executed notebook is kept for inspection: {output}")
    lines.append(f"Kernel log: {output.with_suffix('.log')}")
    return "\n".join(lines)
