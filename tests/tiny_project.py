"""A tiny project for the build tests: fixture notebooks (tests/fixtures/notebooks/) that write a
figure PNG, data CSV and provenance JSON the way indikatorer.report.figures does, in about a
second per kernel, two data files with sidecars, and a minimal book config."""

from __future__ import annotations

import shutil
from pathlib import Path

from indikatorer.data.snapshot import write_with_sidecar
from indikatorer.publish import build

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
DATA_YEARS = (2010, 2020)

QUARTO_YML = """project:
  type: book
book:
  title: "Testbok"
  author: "Test"
  chapters:
    - index.qmd
{chapters}
  appendices:
{appendices}
lang: nb
execute:
  enabled: false
indikatorer:
  needs:
{needs}
"""


def series_csv(offset: float = 0.0) -> str:
    return "year,value\n" + "".join(f"{y},{50 + y % 7 + offset}\n" for y in range(2010, 2021))


def write_data(path: Path, text: str) -> None:
    """A data file and its sidecar (sha256), as the snapshot keeps them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_with_sidecar(path, text.encode("utf-8"), {"source": "test"})


def make_project(root: Path, themes=("01-alfa", "02-beta"), chapters=("90-tillegg",),
                 needs: dict | None = None) -> Path:
    """A project folder with fixture notebooks, two data files and a minimal book config; every
    chapter needs all theme notebooks unless `needs` says otherwise."""
    (root / "notebooks").mkdir(parents=True)
    (root / "chapters").mkdir()
    for stem in themes:
        shutil.copy(FIXTURES / f"{stem}.ipynb", root / "notebooks")
    for stem in chapters:
        shutil.copy(FIXTURES / f"{stem}.ipynb", root / "chapters")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "catalogue.yml").write_text("version: 1\n", encoding="utf-8")
    write_data(root / "data" / "published" / "alfa.csv", series_csv())
    write_data(root / "data" / "raw" / "beta.csv", series_csv(0.5))
    if needs is None:
        needs = {f"chapters/{s}.ipynb": ["notebooks/*.ipynb"] for s in chapters}
    (root / "_quarto.yml").write_text(QUARTO_YML.format(
        chapters="\n".join(f"    - notebooks/{s}.ipynb" for s in themes),
        appendices="\n".join(f"    - chapters/{s}.ipynb" for s in chapters) or "    []",
        needs="\n".join(f"    {k}: {list(v)}" for k, v in needs.items()) or "    {}",
    ), encoding="utf-8")
    (root / "index.qmd").write_text("# Forord {.unnumbered}\n\nEn testbok.\n", encoding="utf-8")
    return root


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def set_data_years(monkeypatch, years=DATA_YEARS) -> None:
    """The tiny project's data cover 2010–2020 (the real snapshot's years are not asked)."""
    monkeypatch.setattr(build, "data_years", lambda *args, **kwargs: years)


def fake_render(project_dir: Path, out_dir: Path):
    """Stands in for indikatorer.publish.render where the render itself is not under test."""
    from types import SimpleNamespace

    out_dir.mkdir(parents=True)
    (out_dir / "index.html").write_text("<html>Testbok</html>\n", encoding="utf-8")
    return SimpleNamespace(renderer="fake", renderer_label="test", out_dir=out_dir,
                           html_index=out_dir / "index.html", pdf=None, versions={"fake": "1.0"})


def snapshot_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (to show that nothing changed)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
