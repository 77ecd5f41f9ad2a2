"""One edition's folders, its state, and the steps that never leave anything half-written.

An edition is identified by its folder name (its *key*): `<year>` for the standard parameters,
`<year>-<short hash of the parameters>` for a variant, so a variant never lands on the
standard edition. Its folders:

- `build/<key>/`       the last complete build: executed notebooks, figures, build records,
                       `manifest.json` and `edition.build.json` (the edition's input hash);
- `build/<key>.work/`  a build in progress: a copy of `build/<key>/` that notebooks run in.
                       It replaces `build/<key>/` only when the whole edition succeeded; after
                       a failure or an interruption it stays, with the failed notebook and its
                       log for inspection, and the next build goes on from it;
- `_book/<key>/`       the rendered edition, swapped in whole (old one renamed aside, new one
                       renamed in, old one removed);
- `build/.locks/<key>.lock`  held while the edition is built: a second build of the same
                       edition waits for the first (and says so), never interleaves with it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from indikatorer.core.errors import UserError
from indikatorer.core.hashing import sha256_file, sha256_text
from indikatorer.publish import execute, inputs, manifest

STATE_FILE = "edition.build.json"
RENDER_TMP = "_render_tmp"
NOTEBOOK_COPIES = "notatbok"  # downloadable copies of the executed notebooks, beside each chapter


class BuildError(UserError):
    """A notebook failed, or the edition could not be assembled."""


@dataclass
class EditionResult:
    params: object                    # EditionParams
    staging_dir: Path
    edition_dir: Path                 # _book/<key> when rendered; else the staging folder
    manifest_path: Path
    key: str = ""
    status: str = "built"             # built | unchanged | failed
    error: str | None = None
    ran: list[str] = field(default_factory=list)       # notebooks executed (staging-relative)
    skipped: list[str] = field(default_factory=list)   # notebooks unchanged since the last run
    render_result: object | None = None  # indikatorer.publish.render.RenderResult
    html_index: Path | None = None     # in edition_dir
    pdf: Path | None = None            # in edition_dir


def edition_key(year: int, parameters: dict, standard: dict) -> str:
    """`<year>` when the parameters are the standard edition's, else `<year>-<hash>`."""
    if parameters == standard:
        return str(year)
    return f"{year}-{sha256_text(json.dumps(parameters, sort_keys=True))[:8]}"


class Edition:
    def __init__(self, plan: inputs.Plan, params, key: str, parameters: dict[str, dict], *,
                 build_dir: Path, book_dir: Path, render: bool):
        self.plan, self.params, self.key = plan, params, key
        self.parameters = parameters          # notebook rel → the parameters it gets
        self.render = render
        self.staging = build_dir / key
        self.work = build_dir / f"{key}.work"
        self.book = book_dir / key
        self.lock_file = build_dir / ".locks" / f"{key}.lock"
        self.hashes: dict[str, str] = {}
        self.edition_hash = ""
        self.result = EditionResult(params=params, staging_dir=self.staging,
                                    edition_dir=self.book if render else self.staging,
                                    manifest_path=(self.book if render else self.staging)
                                    / manifest.MANIFEST_NAME, key=key)
        self._lock_fd: int | None = None

    # --- the lock ---------------------------------------------------------------------------------

    def lock(self, say=print) -> None:
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            say(f"Utgave {self.key} bygges allerede (prosess {holder}); venter til den er ferdig …")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # --- is there anything to do? ------------------------------------------------------------------

    def set_hashes(self, hashes: dict[str, str], static_hash: str, renderer: dict | None,
                   git: dict) -> None:
        """`git`: the commit (and dirty flag) the colophon prints and the manifest records."""
        self.hashes = hashes
        self.edition_hash = inputs.edition_sha256(
            self.params.to_dict(), hashes, static_hash,
            {"renderer": renderer if self.render else None, "git": git})

    def state(self) -> dict:
        try:
            return json.loads((self.staging / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def up_to_date(self) -> bool:
        """Same inputs as the last complete build, and its edition exactly as that build left
        it (nothing changed, nothing added)."""
        state = self.state()
        if not self.edition_hash or state.get("edition_hash") != self.edition_hash:
            return False
        folder = self.result.edition_dir
        manifest_file = folder / manifest.MANIFEST_NAME
        if not manifest_file.is_file() or sha256_file(manifest_file) != state.get("manifest_sha256"):
            return False
        if self.render and not _files_intact(folder, json.loads(manifest_file.read_text("utf-8"))):
            return False
        if self.render:
            self.result.html_index = folder / "index.html"
            pdfs = sorted(folder.glob("*.pdf"))
            self.result.pdf = pdfs[0] if pdfs else None
        self.result.status = "unchanged"
        self.result.skipped = [nb.rel for nb in self.plan.notebooks]
        return True

    # --- the work folder ----------------------------------------------------------------------------

    def prepare(self, selected: set[str], force: bool, env: dict) -> tuple[list[dict], list[str]]:
        """Make the work folder ready; returns the notebook jobs to run and the notebooks
        that are unchanged (rel)."""
        if not self.work.exists():
            if self.staging.exists():
                shutil.copytree(self.staging, self.work, symlinks=True,
                                ignore=shutil.ignore_patterns(RENDER_TMP))
            else:
                self.work.mkdir(parents=True)
        (self.work / STATE_FILE).unlink(missing_ok=True)
        for folder in (inputs.THEME_DIR, inputs.CHAPTER_DIR):
            (self.work / folder).mkdir(parents=True, exist_ok=True)
        _stage_static_sources(self.plan.root, self.work)
        write_colophon_metadata(self.work, self.plan.root)
        current = {nb.rel for nb in self.plan.notebooks}
        for folder in (inputs.THEME_DIR, inputs.CHAPTER_DIR):
            for executed in sorted((self.work / folder).glob("*.ipynb")):
                if executed.relative_to(self.work).as_posix() not in current:
                    execute.remove_outputs(executed, self.work)
                    executed.with_suffix(".log").unlink(missing_ok=True)
        _remove_unclaimed_figures(self.work)
        jobs, skipped = [], []
        for nb in self.plan.notebooks:
            if nb.rel not in selected:
                continue
            output = self.work / nb.rel
            record = manifest.read_record(output) or {}
            if (not force and record.get("status") == "ok"
                    and record.get("input_hash") == self.hashes[nb.rel]
                    and execute.outputs_intact(output, record)):
                skipped.append(nb.rel)
                continue
            jobs.append({
                "rel": nb.rel, "source": str(nb.source), "output": str(output),
                "staging": str(self.work), "parameters": self.parameters[nb.rel],
                "input_hash": self.hashes[nb.rel], "project_root": str(self.plan.root),
                "estimate": record.get("seconds"),
                "env": {**env, "INDIKATORER_ROOT": str(self.plan.root),
                        "INDIKATORER_BUILD_DIR": str(self.work), "INDIKATORER_NOTEBOOK": nb.rel},
            })
        self.result.skipped = skipped
        return jobs, skipped

    def recorded_hashes(self) -> dict[str, str | None]:
        folder = self.work if self.work.exists() else self.staging
        return {nb.rel: (manifest.read_record(folder / nb.rel) or {}).get("input_hash")
                for nb in self.plan.notebooks}

    # --- the finished edition -------------------------------------------------------------------------

    def finish(self, started: str, render_book) -> EditionResult:
        """Manifest, downloadable notebook copies, the render, then the swaps (book first,
        then the build folder); the state written last says the edition is complete."""
        work = self.work
        not_built = [nb.rel for nb in self.plan.notebooks
                     if (manifest.read_record(work / nb.rel) or {}).get("status") != "ok"]
        if not_built and self.render:
            raise BuildError(f"cannot render the book: not executed for {self.params.year}: "
                             f"{', '.join(not_built)} (build them first, e.g. without --only)")
        _publish_notebook_copies(work, self.plan)
        parameters = self.params.to_dict()
        manifest.write_manifest(work, work, parameters, None, started,
                                project_root=self.plan.root)
        result = self.result
        manifest_file = work / manifest.MANIFEST_NAME
        if self.render:
            render_tmp = work / RENDER_TMP
            if render_tmp.exists():
                shutil.rmtree(render_tmp)
            render_result = render_book(work, render_tmp)
            _copy_figure_files(work, render_tmp)
            manifest.write_manifest(render_tmp, work, parameters, render_result, started,
                                    project_root=self.plan.root)
            manifest_file = self.book / manifest.MANIFEST_NAME
            manifest_sha = sha256_file(render_tmp / manifest.MANIFEST_NAME)
            swap_into(render_tmp, self.book)

            def moved(path):  # where a file the renderer wrote into _render_tmp is after the swap
                if not path:
                    return None
                return self.book / Path(path).resolve().relative_to(render_tmp.resolve())

            result.render_result = render_result
            result.html_index, result.pdf = moved(render_result.html_index), moved(render_result.pdf)
        else:
            manifest_sha = sha256_file(manifest_file)
        state = {"edition": self.key, "edition_hash": self.edition_hash if not not_built else None,
                 "manifest_sha256": manifest_sha,
                 "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        _write_atomic(work / STATE_FILE, json.dumps(state, indent=2, sort_keys=True) + "\n")
        swap_into(work, self.staging)
        result.manifest_path = result.edition_dir / manifest.MANIFEST_NAME
        return result


# --- helpers -----------------------------------------------------------------------------------------

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


def write_colophon_metadata(staging: Path, project_root: Path) -> None:
    """Append the colophon's facts to the staged _quarto.yml (top-level keys are metadata of
    every chapter in Quarto, and the preview reads the same file)."""
    config = staging / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    facts = colophon_metadata(staging, project_root)
    clash = [k for k in facts if k in (yaml.safe_load(text) or {})]
    if clash:
        raise BuildError(f"_quarto.yml must not set {', '.join(clash)}: the build writes them")
    config.write_text(text.rstrip("\n") + "\n\n# Written by the build (indikatorer.publish.edition.colophon_metadata).\n"
                      + yaml.safe_dump(facts, allow_unicode=True, sort_keys=True, width=1000),
                      encoding="utf-8")



def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _files_intact(folder: Path, written: dict) -> bool:
    """Every file the manifest vouches for is there with its hash, and nothing else is."""
    expected = dict(written.get("files", {}))
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and p.name != manifest.MANIFEST_NAME}
    if on_disk != set(expected):
        return False
    return all(sha256_file(folder / rel) == sha for rel, sha in expected.items())


def _stage_static_sources(project_root: Path, staging: Path) -> None:
    for name in inputs.STATIC_SOURCES:
        source = project_root / name
        if source.is_dir():
            shutil.copytree(source, staging / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        elif source.is_file():
            shutil.copy2(source, staging / name)


def _remove_unclaimed_figures(work: Path) -> None:
    """Figure files no successful build record claims (left by an interrupted run)."""
    for folder in (inputs.THEME_DIR, inputs.CHAPTER_DIR):
        figures = work / folder / manifest.FIGURES_DIRNAME
        if not figures.is_dir():
            continue
        claimed = set()
        for executed in (work / folder).glob("*.ipynb"):
            record = manifest.read_record(executed) or {}
            if record.get("status") == "ok":
                claimed |= {(work / folder / rel).resolve() for rel in record.get("outputs", {})}
        for path in figures.iterdir():
            if path.is_file() and path.resolve() not in claimed:
                path.unlink()


def _copy_figure_files(staging: Path, edition: Path) -> None:
    """The edition carries every figure's PNG, data CSV and provenance at the manifest's paths."""
    for executed in manifest.executed_notebooks(staging):
        for entry in manifest.notebook_outputs(executed, staging):
            for rel in manifest.entry_files(entry):
                target = edition / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(staging / rel, target)


def _publish_notebook_copies(staging: Path, plan: inputs.Plan) -> None:
    """Copy each executed notebook to `<its folder>/notatbok/<name>.ipynb` for download.

    Quarto rewrites a link to a chapter's own `.ipynb` into the chapter's HTML page, so the
    figures link to this copy instead (not a book chapter, so Quarto keeps the link and copies
    the file as a resource; see _quarto.yml)."""
    for folder in sorted({Path(nb.rel).parent for nb in plan.notebooks}):
        target = staging / folder / NOTEBOOK_COPIES
        if target.exists():
            shutil.rmtree(target)  # no stale copy of a notebook that is gone
        target.mkdir(parents=True)
        for executed in sorted((staging / folder).glob("*.ipynb")):
            shutil.copyfile(executed, target / executed.name)


def swap_into(new_dir: Path, target: Path) -> None:
    """Replace `target` by `new_dir` so that a failure at any step leaves the old one."""
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
