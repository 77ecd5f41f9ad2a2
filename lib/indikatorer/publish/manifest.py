"""The per-edition manifest (the audit trail), and the tools that read it.

`manifest.json` records, for every figure and table in an edition: its label and caption, the
executed notebook and cell that made it, its indicators and source references, and the sha256
of the figure file and its data CSV; plus the edition parameters, the data snapshot hashes, the
code (git commit, dirty flag, a hash of the package source), package versions and the renderer.
The wall-clock times live only in the top-level `build_info`, so that everything else is
byte-identical when the same inputs are built twice (`verify-edition` relies on that).

An "edition folder" is any folder holding a `manifest.json` with the figure files at the paths
it names: `_book/<year>/` after a rendered build, or the staging folder `build/<year>/` after
`indikatorer build --no-render`.

A figure belongs to the notebook whose cell OUTPUT defines it (`{#fig-<label> …}` or
`{#tbl-<label>}`, printed by `indikatorer.report.publishing.publish_figure` / `publish_table`), and its
files are `figures/<label>.png|.csv|.json` beside that executed notebook.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from indikatorer.core.hashing import sha256_file
from indikatorer.core import paths
from indikatorer.core.errors import UserError

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
FIGURES_DIRNAME = "figures"
# Written by the build beside each executed notebook: its input hash and the files it made.
RECORD_SUFFIX = ".build.json"
# Python distributions whose versions are recorded (pandoc's own version is added separately).
RECORDED_PACKAGES = (
    "pandas", "numpy", "matplotlib", "seaborn", "statsmodels", "papermill", "nbclient",
    "nbformat", "ipykernel", "pypandoc-binary", "typst", "pyyaml",
)
# Data snapshot files that notebooks may read (relative to the project root).
DATA_SNAPSHOT_FILES = ("data/catalogue.yml", "data/codes.yml")
DATA_SNAPSHOT_DIRS = ("data/published", "data/raw")

_LABEL_IN_OUTPUT = re.compile(r"\{#(fig|tbl)-([A-Za-z0-9_-]+)")
_KIND = {"fig": "figure", "tbl": "table"}


class ManifestError(UserError):
    """The executed notebooks and their figure files do not add up to a consistent edition."""


# --- hashes and environment -------------------------------------------------------------------

def data_snapshot_hashes(project_root: Path) -> dict[str, str]:
    """sha256 of every data snapshot file a notebook may read, keyed by project-relative path."""
    project_root = Path(project_root)
    files = [project_root / rel for rel in DATA_SNAPSHOT_FILES]
    for rel in DATA_SNAPSHOT_DIRS:
        files.extend(p for p in (project_root / rel).rglob("*") if p.is_file())
    return {
        p.relative_to(project_root).as_posix(): sha256_file(p)
        for p in sorted(files)
        if p.is_file()
    }


def files_sha256(base: Path, files) -> str:
    """One hash over files (their paths relative to `base` and their contents)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(base).as_posix().encode("utf-8") + b"\0")
        digest.update(sha256_file(path).encode("ascii") + b"\n")
    return digest.hexdigest()


def package_source_sha256() -> str:
    """One hash over the installed `indikatorer` package source (code and resources)."""
    import indikatorer

    package_dir = Path(indikatorer.__file__).resolve().parent
    return files_sha256(package_dir, (
        p for p in package_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}))


def book_sources_sha256(project_root: Path) -> str:
    """One hash over the book's static sources (_quarto.yml, index.qmd, chapters/*.qmd,
    references.bib): they shape the rendered book as much as the code does."""
    project_root = Path(project_root)
    files = [project_root / name for name in ("_quarto.yml", "index.qmd", "references.bib")]
    files += list((project_root / "chapters").glob("*.qmd"))
    return files_sha256(project_root, (p for p in files if p.is_file()))


def git_state(project_root: Path) -> dict:
    """Commit and dirty flag of the project checkout; "unknown" when it is not a git checkout."""
    project_root = Path(project_root).resolve()

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(project_root), *args],
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    # A project folder nested inside some other repository is not "a git checkout" of the project.
    if top is None or Path(top.strip()).resolve() != project_root:
        return {"git_commit": "unknown", "git_dirty": "unknown"}
    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {
        "git_commit": commit.strip() if commit else "unknown",
        "git_dirty": bool(status.strip()) if status is not None else "unknown",
    }


def package_versions() -> dict[str, str]:
    versions = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        import pypandoc

        versions["pandoc"] = pypandoc.get_pandoc_version()
    except (ImportError, OSError, RuntimeError):
        versions["pandoc"] = "not installed"
    return versions


# --- figures and tables made by the executed notebooks ------------------------------------------

def read_record(executed_notebook: Path) -> dict | None:
    record = record_path(executed_notebook)
    if not record.is_file():
        return None
    return json.loads(record.read_text(encoding="utf-8"))


def record_path(executed_notebook: Path) -> Path:
    return executed_notebook.with_name(executed_notebook.stem + RECORD_SUFFIX)


def _output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        for mime in ("text/markdown", "text/plain"):
            data = output.get("data", {}).get(mime)
            if data:
                parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


def notebook_outputs(executed_notebook: Path, staging_dir: Path) -> list[dict]:
    """The figures and tables an executed notebook shows, with their files and hashes.

    Found by their Quarto ids in the cell outputs; each needs its provenance file
    `figures/<label>.json` beside the notebook (a missing one is an error).
    """
    import nbformat  # lazily: the build decides what to do without it

    executed_notebook = Path(executed_notebook)
    nb = nbformat.read(executed_notebook, as_version=4)
    figures_dir = executed_notebook.parent / FIGURES_DIRNAME
    notebook_rel = executed_notebook.relative_to(staging_dir).as_posix()
    entries = []
    seen = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for prefix, label in _LABEL_IN_OUTPUT.findall(_output_text(cell)):
            if (prefix, label) in seen:
                continue
            seen.add((prefix, label))
            provenance_file = figures_dir / f"{label}.json"
            if not provenance_file.is_file():
                raise ManifestError(
                    f"{notebook_rel}, cell {index}: #{prefix}-{label} has no provenance file "
                    f"{provenance_file.relative_to(staging_dir).as_posix()} "
                    "(figures and tables are made by indikatorer.report.publishing.publish_figure "
                    "and publish_table)")
            provenance = json.loads(provenance_file.read_text(encoding="utf-8"))
            entry = {
                "id": f"{prefix}-{label}",
                "label": label,
                "kind": _KIND[prefix],
                "caption": provenance.get("caption", ""),
                "alt": provenance.get("alt", ""),
                "notebook": notebook_rel,
                "cell_index": index,
                "execution_count": cell.get("execution_count"),
                "indicators": list(provenance.get("indicators", [])),
                "sources": list(provenance.get("sources", [])),
                "provenance": provenance_file.relative_to(staging_dir).as_posix(),
                "provenance_sha256": sha256_file(provenance_file),
            }
            for suffix in ("png", "csv"):
                path = figures_dir / f"{label}.{suffix}"
                if path.is_file():
                    entry[suffix] = path.relative_to(staging_dir).as_posix()
                    entry[f"{suffix}_sha256"] = sha256_file(path)
            entries.append(entry)
    return entries


def entry_files(entry: dict) -> list[str]:
    """The files of one figure/table entry, relative to the edition folder."""
    return [entry[key] for key in ("png", "csv", "provenance") if key in entry]


def collect_outputs(staging_dir: Path, executed_notebooks: list[Path]) -> list[dict]:
    """Figure/table entries of the given executed notebooks, checked both ways.

    Every entry has its files, labels are unique across the book, and every provenance file in
    a `figures/` folder belongs to an entry (a stray one means a stale or foreign output).
    """
    staging_dir = Path(staging_dir)
    entries = []
    for notebook in executed_notebooks:
        entries.extend(notebook_outputs(notebook, staging_dir))
    by_label: dict[str, str] = {}
    for entry in entries:
        if entry["label"] in by_label:
            raise ManifestError(
                f"label {entry['label']!r} is made twice: by {by_label[entry['label']]} "
                f"and by {entry['notebook']} (labels must be unique across the book)")
        by_label[entry["label"]] = entry["notebook"]
    claimed = {f for entry in entries for f in entry_files(entry)}
    folders = {Path(nb).parent / FIGURES_DIRNAME for nb in executed_notebooks}
    strays = sorted(
        p.relative_to(staging_dir).as_posix()
        for folder in folders if folder.is_dir()
        for p in folder.iterdir()
        if p.is_file() and p.relative_to(staging_dir).as_posix() not in claimed
    )
    if strays:
        raise ManifestError(
            "files in figures/ that no executed notebook shows: " + ", ".join(strays))
    return entries


def executed_notebooks(staging_dir: Path) -> list[Path]:
    """Executed notebooks with a successful build record, in build order (themes, chapters)."""
    staging_dir = Path(staging_dir)
    found = []
    for folder in ("notebooks", "chapters"):
        for nb in sorted((staging_dir / folder).glob("*.ipynb")):
            record = read_record(nb)
            if record and record.get("status") == "ok":
                found.append(nb)
    return found


# --- the manifest -------------------------------------------------------------------------------

def build_manifest(staging_dir: Path, params: dict, render_result=None, *,
                   project_root: Path | None = None, edition_dir: Path | None = None) -> dict:
    """The manifest without `build_info` (everything in it is a function of the inputs)."""
    staging_dir = Path(staging_dir)
    project_root = Path(project_root or paths.PROJECT_ROOT)
    notebooks = executed_notebooks(staging_dir)
    entries = collect_outputs(staging_dir, notebooks)
    notebook_info = []
    for nb in notebooks:
        record = read_record(nb)
        notebook_info.append({
            "path": nb.relative_to(staging_dir).as_posix(),
            "source_sha256": record["source_sha256"],
            "input_hash": record["input_hash"],
            "parameters": record["parameters"],
        })
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "edition": dict(params),
        "code": {**git_state(project_root), "package_source_sha256": package_source_sha256(),
                 "book_sources_sha256": book_sources_sha256(project_root)},
        "packages": package_versions(),
        "data_snapshot": data_snapshot_hashes(project_root),
        "notebooks": notebook_info,
        "figures": [e for e in entries if e["kind"] == "figure"],
        "tables": [e for e in entries if e["kind"] == "table"],
        "renderer": None,
    }
    if render_result is not None:
        out_dir = Path(edition_dir or render_result.out_dir)

        def rel(path):
            return Path(path).resolve().relative_to(out_dir.resolve()).as_posix() if path else None

        manifest["renderer"] = {
            "renderer": render_result.renderer,
            "renderer_label": render_result.renderer_label,
            # the programs that made the files (the typst compiler the PDF names as its creator)
            "versions": dict(getattr(render_result, "versions", None) or {}),
            "html_index": rel(render_result.html_index),
            "pdf": rel(render_result.pdf),
        }
        # Every file of the rendered edition, so that verify-edition can check all of them.
        manifest["files"] = {
            p.relative_to(out_dir).as_posix(): sha256_file(p)
            for p in sorted(out_dir.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME
        }
    return manifest


def dumps(manifest: dict) -> str:
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_manifest(edition_dir: Path, staging_dir: Path, params: dict, render_result,
                   build_started: str, *, project_root: Path | None = None) -> Path:
    """Write `<edition_dir>/manifest.json`; returns its path.

    `params` is the edition's parameter dict; `render_result` the renderer's RenderResult (None
    for an unrendered build, where the edition folder is the staging folder).
    """
    from datetime import datetime, timezone

    edition_dir = Path(edition_dir)
    manifest = build_manifest(staging_dir, params, render_result,
                              project_root=project_root, edition_dir=edition_dir)
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest["build_info"] = {"started": build_started, "finished": finished}
    target = edition_dir / MANIFEST_NAME
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(dumps(manifest), encoding="utf-8")
    os.replace(tmp, target)
    return target


def load_manifest(edition_dir: Path) -> dict:
    path = Path(edition_dir) / MANIFEST_NAME
    if not path.is_file():
        raise UserError(f"{edition_dir} is not an edition folder: {MANIFEST_NAME} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc}") from exc


def without_build_info(manifest: dict) -> dict:
    return {k: v for k, v in manifest.items() if k != "build_info"}


# --- verify-edition -----------------------------------------------------------------------------
