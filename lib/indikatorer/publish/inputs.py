"""What an edition is made from, and the hashes that decide what must be redone.

The notebooks are the theme notebooks (`notebooks/*.ipynb`) and the computed chapters
(`chapters/*.ipynb`). Every notebook reads the data snapshot and the package; what else it
reads is DECLARED in `_quarto.yml` under `indikatorer: needs:` — the notebooks whose results
it reads (it starts when they are done, and reruns when they change) and other project files.
A theme notebook reads nothing else unless declared; every computed chapter must be declared
(an empty list if it reads only the data), so that no dependency is ever guessed.
The pre-warmed kernel process (`indikatorer.publish.kernels`) imports, once, every module the
notebooks' code cells import, and calls what `indikatorer: warm:` lists (`module:function`).

A notebook's input hash covers its source, its parameters, the data snapshot, the package
source with the Python version and every installed distribution's version, the kernel, the
files it declares and the input hashes of the notebooks it needs. The edition's hash covers
those of all its notebooks, the parameters, the book's static sources (`_quarto.yml`,
`index.qmd`, `references.bib`, `chapters/` but its notebooks) and the renderer: when it
equals the hash recorded at the last successful build and the book is intact, there is
nothing to do. Nothing here imports pandas, papermill or nbformat, so that finding out that
nothing changed is quick.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from indikatorer.core.errors import UserError
from indikatorer.core.hashing import sha256_file, sha256_text
from indikatorer.publish import manifest

THEME_DIR = "notebooks"
CHAPTER_DIR = "chapters"
KERNEL = "python3"
# Copied as they are into the staging project; notebooks are executed into it instead.
STATIC_SOURCES = ("_quarto.yml", "index.qmd", "references.bib", "theme.scss", "typst-show.typ",
                  CHAPTER_DIR)
CONFIG_KEY = "indikatorer"  # the build's own section of _quarto.yml (Quarto ignores it)


@dataclass(frozen=True)
class Notebook:
    rel: str                       # path in the project and in the staging folder
    source: Path
    needs: tuple[str, ...] = ()    # notebooks (rel) whose results it reads
    files: tuple[str, ...] = ()    # other project files it reads (rel)

    @property
    def stem(self) -> str:
        return self.source.stem


@dataclass(frozen=True)
class Plan:
    root: Path
    notebooks: tuple[Notebook, ...]   # themes, then chapters, each by name
    warm: tuple[str, ...] = ()

    def get(self, rel: str) -> Notebook:
        return next(nb for nb in self.notebooks if nb.rel == rel)


def _config(root: Path) -> dict:
    path = root / "_quarto.yml"
    if not path.is_file():
        return {}
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"_quarto.yml is not valid YAML: {exc}") from exc
    section = config.get(CONFIG_KEY) or {}
    if not isinstance(section, dict):
        raise UserError(f"_quarto.yml: {CONFIG_KEY}: must be a mapping")
    return section


def load_plan(root: Path) -> Plan:
    """The notebooks in build order with their declared inputs; raises UserError for an
    undeclared computed chapter, a declaration that matches nothing, or a cycle."""
    root = Path(root)
    sources = (sorted((root / THEME_DIR).glob("*.ipynb"))
               + sorted((root / CHAPTER_DIR).glob("*.ipynb")))
    rels = [p.relative_to(root).as_posix() for p in sources]
    if not rels:
        raise UserError(f"no notebooks in {root / THEME_DIR} or {root / CHAPTER_DIR}")
    section = _config(root)
    declared = section.get("needs") or {}
    if not isinstance(declared, dict):
        raise UserError(f"_quarto.yml: {CONFIG_KEY}: needs: must map a notebook to a list")
    unknown = sorted(set(declared) - set(rels))
    if unknown:
        raise UserError(f"_quarto.yml: {CONFIG_KEY}: needs: names no notebook: "
                        f"{', '.join(unknown)}; the notebooks are: {', '.join(rels)}")
    notebooks = []
    for source, rel in zip(sources, rels):
        if rel not in declared and rel.startswith(CHAPTER_DIR + "/"):
            raise UserError(f"{rel}: what this computed chapter reads is not declared; add it "
                            f"under `{CONFIG_KEY}: needs:` in _quarto.yml (an empty list if "
                            "it reads only the data)")
        needs, files = [], []
        for pattern in declared.get(rel) or []:
            matched = [r for r in rels if fnmatch.fnmatchcase(r, str(pattern)) and r != rel]
            if matched:
                needs.extend(m for m in matched if m not in needs)
            elif sorted(root.glob(str(pattern))):
                files.extend(p.relative_to(root).as_posix() for p in sorted(root.glob(str(pattern)))
                             if p.is_file())
            else:
                raise UserError(f"_quarto.yml: {CONFIG_KEY}: needs: {rel} needs {pattern!r}, "
                                "which matches no notebook or file")
        notebooks.append(Notebook(rel, source, tuple(needs), tuple(files)))
    declared_warm = [str(w) for w in section.get("warm") or []]
    for target in declared_warm:
        if not _module_exists(target.partition(":")[0]):
            raise UserError(f"_quarto.yml: {CONFIG_KEY}: warm: {target!r} names no module")
    warm = sorted({m for nb in notebooks for m in imported_modules(nb.source)})
    plan = Plan(root, tuple(notebooks), tuple(warm + [w for w in declared_warm if w not in warm]))
    _check_acyclic(plan)
    return plan


def imported_modules(path: Path) -> list[str]:
    """The modules a notebook's code cells import (what its kernel will import first)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        try:
            tree = ast.parse(text)
        except SyntaxError:  # IPython magics: not Python, nothing to learn here
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
            elif isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
    return found


def _module_exists(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _check_acyclic(plan: Plan) -> None:
    state: dict[str, str] = {}

    def visit(rel: str, path: list[str]) -> None:
        if state.get(rel) == "done":
            return
        if state.get(rel) == "visiting":
            raise UserError("_quarto.yml: the notebooks' declared needs form a cycle: "
                            + " → ".join(path + [rel]))
        state[rel] = "visiting"
        for dep in plan.get(rel).needs:
            visit(dep, path + [rel])
        state[rel] = "done"

    for nb in plan.notebooks:
        visit(nb.rel, [])


def select(plan: Plan, only: list[str] | None) -> set[str]:
    """The notebooks (rel) that `--only STEM` names; all of them without --only."""
    if not only:
        return {nb.rel for nb in plan.notebooks}
    import difflib

    stems = {nb.stem: nb.rel for nb in plan.notebooks}
    chosen = set()
    for stem in only:
        stem = Path(stem).stem
        if stem not in stems:
            close = difflib.get_close_matches(stem, list(stems), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UserError(f"--only {stem}: no such notebook; there are: "
                            f"{', '.join(sorted(stems))}.{hint}")
        chosen.add(stems[stem])
    return chosen


# --- parameters cells -----------------------------------------------------------------------------

def parameters_cell(path: Path) -> dict[str, dict]:
    """The names a notebook's `parameters` cell assigns → {"default": source text,
    "inferred_type_name": annotation or "None"} (what papermill's inspect_notebook gives)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{Path(path).name}: cannot read the notebook: {exc}") from exc
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            try:
                tree = ast.parse(text)
            except SyntaxError as exc:
                raise UserError(f"{Path(path).name}: its parameters cell is not valid Python: "
                                f"{exc}") from exc
            declared = {}
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    name, annotation = node.targets[0].id, "None"
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                        and node.value is not None:
                    name, annotation = node.target.id, ast.get_source_segment(text, node.annotation)
                else:
                    continue
                declared[name] = {"name": name, "default": ast.get_source_segment(text, node.value),
                                  "inferred_type_name": annotation}
            return declared
    return {}


# --- hashes ---------------------------------------------------------------------------------------

def installed_versions() -> list[str]:
    """`name==version` of every distribution installed for this Python (read from the
    `.dist-info` folder names: no package metadata is parsed), and the Python version."""
    found = {f"python=={'.'.join(map(str, sys.version_info[:3]))}"}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                found.add(name[: -len(".dist-info")].replace("-", "==", 1).lower())
    return sorted(found)


def code_sha256() -> str:
    """The package source (code and renderer resources) and the installed versions."""
    return sha256_text(json.dumps({"package_source_sha256": manifest.package_source_sha256(),
                                   "installed": installed_versions()}, sort_keys=True))


def data_sha256(data_hashes: dict[str, str]) -> str:
    return sha256_text(json.dumps(data_hashes, sort_keys=True))


def static_sources_sha256(root: Path) -> str:
    """The files the build copies into the staging project as they are (not the notebooks)."""
    files = []
    for name in STATIC_SOURCES:
        path = Path(root) / name
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and p.suffix != ".ipynb"
                         and ".ipynb_checkpoints" not in p.parts)
        elif path.is_file():
            files.append(path)
    return manifest.files_sha256(Path(root), files)


def renderer_identity() -> dict:
    """Which renderer a build would use and its version (the preview's pandoc and typst are
    Python distributions, so their versions are in `installed_versions`)."""
    quarto = shutil.which("quarto")
    identity = {"renderer": "quarto" if quarto else "pandoc+typst",
                "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH")}
    if quarto:
        done = subprocess.run([quarto, "--version"], capture_output=True, text=True)
        identity["quarto"] = f"{quarto} {done.stdout.strip()}"
    return identity


def notebook_hashes(plan: Plan, parameters: dict[str, dict], data_hash: str, code_hash: str,
                    recorded: dict[str, str | None] | None = None,
                    selected: set[str] | None = None) -> dict[str, str]:
    """Input hash of every notebook (see the module docstring), in build order.

    A notebook outside `selected` (--only) stays as it was built: its recorded hash (from
    `recorded`) stands for it in the hashes of the notebooks that need it.
    """
    hashes: dict[str, str] = {}
    for nb in plan.notebooks:
        if selected is not None and nb.rel not in selected:
            hashes[nb.rel] = (recorded or {}).get(nb.rel) or "not built"
            continue
        payload = {
            "notebook_sha256": sha256_file(nb.source),
            "parameters": parameters[nb.rel],
            "data_snapshot": data_hash,
            "code": code_hash,
            "kernel": KERNEL,
            "needs": {rel: hashes[rel] for rel in nb.needs},
            "files": {rel: sha256_file(plan.root / rel) for rel in nb.files},
        }
        hashes[nb.rel] = sha256_text(json.dumps(payload, sort_keys=True))
    return hashes


def edition_sha256(parameters: dict, hashes: dict[str, str], static_hash: str,
                   book: dict) -> str:
    """`book`: what else the rendered book shows (the renderer, the git commit)."""
    return sha256_text(json.dumps({"parameters": parameters, "notebooks": hashes,
                                   "static_sources": static_hash, "book": book},
                                  sort_keys=True))


# --- the data snapshot, checked before anything runs -----------------------------------------

def verify_data(root: Path) -> None:
    """Every data file with a sidecar matches its sha256 and every file under data/raw/ has a
    sidecar; raises UserError naming the first bad file (the build stops before any kernel)."""
    from indikatorer.data import snapshot

    data_dir = Path(root) / "data"
    problems = [problem for _, problem in snapshot.check_tree(data_dir) if problem]
    raw = data_dir / "raw"
    if raw.is_dir():
        for path in sorted(raw.rglob("*")):
            if (path.is_file() and not path.name.endswith(snapshot.SIDECAR_SUFFIX)
                    and path.suffix != ".md" and not snapshot.sidecar_path(path).exists()
                    and not any(part.startswith(".") for part in path.relative_to(data_dir).parts)):
                problem = f"{snapshot.display_path(path)}: no sidecar {snapshot.sidecar_path(path).name}"
                if problem not in problems:
                    problems.append(problem)
    if problems:
        more = f" (and {len(problems) - 1} more; see `indikatorer data verify`)" if len(problems) > 1 else ""
        raise UserError(f"the data snapshot failed its checks, nothing was built: {problems[0]}{more}")


def data_years(root: Path, cache_dir: Path, key: str) -> tuple[int, int]:
    """First and last reference year in the data snapshot, cached under `cache_dir` by `key`
    (a hash of the data and the code that reads it)."""
    cache = Path(cache_dir) / "data-years.json"
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return int(cached["first"]), int(cached["last"])
    except (OSError, ValueError, KeyError):
        pass
    from indikatorer.data.observations import load_observations

    years = load_observations()["year"]
    if years.empty:
        raise UserError("the data snapshot has no observations; cannot choose an edition year")
    first, last = int(years.min()), int(years.max())
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"key": key, "first": first, "last": last}), encoding="utf-8")
    os.replace(tmp, cache)
    return first, last
