"""The edition runner (indikatorer.publish.build) on a tiny project built in a temporary folder.

The fixture notebooks (tests/fixtures/notebooks/) write a figure PNG, data CSV and provenance
JSON the way indikatorer.report.figures does, but in about a second per kernel.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from indikatorer.publish import build, manifest

from indikatorer import cli

from indikatorer.core import paths
from indikatorer.core.errors import UserError
from indikatorer.core.params import EditionParams, parse_param_args

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
"""


def series_csv(offset: float = 0.0) -> str:
    return "year,value\n" + "".join(f"{y},{50 + y % 7 + offset}\n" for y in range(2010, 2021))


def make_project(root: Path, themes=("01-alfa", "02-beta"), chapters=("90-tillegg",)) -> Path:
    """A project folder with fixture notebooks, two data files and a minimal book config."""
    (root / "notebooks").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "data" / "published").mkdir(parents=True)
    (root / "data" / "raw").mkdir()
    for stem in themes:
        shutil.copy(FIXTURES / f"{stem}.ipynb", root / "notebooks")
    for stem in chapters:
        shutil.copy(FIXTURES / f"{stem}.ipynb", root / "chapters")
    (root / "data" / "catalogue.yml").write_text("version: 1\n", encoding="utf-8")
    (root / "data" / "published" / "alfa.csv").write_text(series_csv(), encoding="utf-8")
    (root / "data" / "raw" / "beta.csv").write_text(series_csv(0.5), encoding="utf-8")
    (root / "_quarto.yml").write_text(QUARTO_YML.format(
        chapters="\n".join(f"    - notebooks/{s}.ipynb" for s in themes),
        appendices="\n".join(f"    - chapters/{s}.ipynb" for s in chapters) or "    []",
    ), encoding="utf-8")
    (root / "index.qmd").write_text("# Forord {.unnumbered}\n\nEn testbok.\n", encoding="utf-8")
    return root


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def set_data_years(monkeypatch, years=DATA_YEARS) -> None:
    monkeypatch.setattr(build, "data_years", lambda: years)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A project whose edition 2020 has been executed once (not rendered)."""
    root = make_project(tmp_path_factory.mktemp("built") / "project")
    with pytest.MonkeyPatch.context() as mp:
        set_data_years(mp)
        build.build_edition(year=2020, project_root=root, render=False)
    return root


# --- parameters -------------------------------------------------------------------------------

def test_edition_defaults_come_from_the_data():
    params = build.EditionParams.resolve(None, {}, (2009, 2023))
    assert params.to_dict() == {"year": 2023, "first_year": 2009, "window": 10,
                                "breakdowns": ["sex", "botid", "region", "reason"], "geography": "0"}
    assert build.EditionParams is EditionParams  # one parameters model: the build's is core's
    params = build.EditionParams.resolve(2020, {"first_year": 2012, "scale": 2}, (2009, 2023))
    assert params.to_dict()["first_year"] == 2012 and params.to_dict()["scale"] == 2
    with pytest.raises(UserError, match="year given twice"):
        build.EditionParams.resolve(2020, {"year": 2019}, (2009, 2023))


def test_param_arguments_are_yaml_but_geography_stays_a_code():
    assert parse_param_args(["first_year=2012", "breakdowns=[sex, botid]", "geography=0301"]) == {
        "first_year": 2012, "breakdowns": ["sex", "botid"], "geography": "0301"}
    with pytest.raises(UserError, match="NAME=VALUE"):
        parse_param_args(["first_year"])


@pytest.mark.parametrize(("year", "overrides", "expected"), [
    (2020, {"yeer": 2019}, ["notebooks/01-alfa.ipynb", "no parameter 'yeer'",
                            "breakdowns, first_year, geography, window, year", "Did you mean 'year'?"]),
    (2020, {"first_year": "2010"}, ["notebooks/01-alfa.ipynb", "'first_year' must be int",
                                    "'2010' (str)"]),
    (2020, {"breakdowns": "sex"}, ["'breakdowns' must be list"]),
    (2030, {}, ["notebooks/01-alfa.ipynb", "year 2030 is outside the data", "2010–2020"]),
    (2020, {"first_year": 2021}, ["first_year 2021 is after year 2020"]),
    (2020, {"breakdowns": ["sex", "alder"]}, ["unknown breakdown(s) 'alder'",
                                              "sex, botid, region, reason"]),
    (2020, {"geography": "F99"}, ["notebooks/01-alfa.ipynb", "geography 'F99' is not in the data snapshot",
                                  "data/published/geographies.csv"]),
    (2020, {"region": "0"}, ["no parameter 'region'"]),
])
def test_bad_parameters_stop_the_build_before_any_kernel_starts(
        tmp_path, monkeypatch, year, overrides, expected):
    root = make_project(tmp_path / "project")
    set_data_years(monkeypatch)
    with pytest.raises(UserError) as caught:
        build.build_edition(year=year, overrides=overrides, project_root=root, render=False)
    for fragment in expected:
        assert fragment in str(caught.value)
    assert not (root / "build").exists()  # nothing staged, so no notebook was executed
    assert not list(root.rglob("*.build.json"))


def test_only_names_an_existing_notebook(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    set_data_years(monkeypatch)
    with pytest.raises(UserError, match="no such notebook.*Did you mean '01-alfa'"):
        build.build_edition(year=2020, only=["01-alpha"], project_root=root, render=False)


def test_validate_params_reads_the_parameters_cell():
    declared = build.validate_params(FIXTURES / "01-alfa.ipynb", {"year": 2015}, (2010, 2020))
    assert set(declared) == {"year", "first_year", "breakdowns", "geography", "window"}
    with pytest.raises(UserError, match="01-alfa.ipynb: parameter 'geography' must be str"):
        build.validate_params(FIXTURES / "01-alfa.ipynb", {"geography": 0}, (2010, 2020))
    with pytest.raises(UserError, match="01-alfa.ipynb: window must be at least 2 years"):
        build.validate_params(FIXTURES / "01-alfa.ipynb", {"window": 1}, (2010, 2020))


# --- running --------------------------------------------------------------------------------------

def test_a_failing_notebook_stops_the_build_and_keeps_the_old_book(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project", themes=("01-alfa", "99-feiler"), chapters=())
    old_book = root / "_book" / "2020"
    old_book.mkdir(parents=True)
    (old_book / "marker.txt").write_text("the previous edition", encoding="utf-8")
    set_data_years(monkeypatch)

    with pytest.raises(build.BuildError) as caught:
        build.build_edition(year=2020, project_root=root, render=True)
    message = str(caught.value)
    executed = root / "build" / "2020" / "notebooks" / "99-feiler.ipynb"
    assert "notebook notebooks/99-feiler.ipynb failed in cell index 4 of 99-feiler.ipynb" in message
    assert "share = 1 / 0  # deliberate failure" in message
    assert "ZeroDivisionError: division by zero" in message
    assert str(executed) in message
    # The partial notebook is kept, with the error in it; the good edition is untouched.
    outputs = [o for c in nbformat.read(executed, as_version=4).cells
               for o in c.get("outputs", [])]
    assert any(o.get("ename") == "ZeroDivisionError" for o in outputs)
    assert (old_book / "marker.txt").read_text(encoding="utf-8") == "the previous edition"
    assert sorted(p.name for p in (root / "_book").iterdir()) == ["2020"]
    record = manifest.read_record(executed)
    assert record["status"] == "failed" and record["input_hash"] is None
    assert "figures/gamma.png" in record["outputs"]  # made before the failure

    # Fixed (the notebook now makes another figure): the half-made one does not linger.
    shutil.copy(FIXTURES / "02-beta.ipynb", root / "notebooks" / "99-feiler.ipynb")
    result = build.build_edition(year=2020, project_root=root, render=False)
    assert result.ran == ["notebooks/99-feiler.ipynb"]
    assert result.skipped == ["notebooks/01-alfa.ipynb"]
    figures = root / "build" / "2020" / "notebooks" / "figures"
    assert not list(figures.glob("gamma.*"))
    assert sorted(p.name for p in figures.iterdir()) == [
        "alfa.csv", "alfa.json", "alfa.png", "beta.csv", "beta.json", "beta.png"]


def test_unchanged_notebooks_are_skipped_and_a_changed_one_reruns_with_its_dependants(
        built, tmp_path, monkeypatch):
    root = copy_project(built, tmp_path / "project")
    set_data_years(monkeypatch)
    again = build.build_edition(year=2020, project_root=root, render=False)
    assert again.ran == []
    assert again.skipped == ["notebooks/01-alfa.ipynb", "notebooks/02-beta.ipynb",
                             "chapters/90-tillegg.ipynb"]

    source = root / "notebooks" / "02-beta.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Ny tekst."))
    nbformat.write(nb, source)
    alfa_before = (root / "build/2020/notebooks/01-alfa.ipynb").read_bytes()
    third = build.build_edition(year=2020, project_root=root, render=False)
    # The summary-like chapter reads what the themes made, so it reruns too; 01-alfa does not.
    assert third.ran == ["notebooks/02-beta.ipynb", "chapters/90-tillegg.ipynb"]
    assert third.skipped == ["notebooks/01-alfa.ipynb"]
    assert (root / "build/2020/notebooks/01-alfa.ipynb").read_bytes() == alfa_before
    executed = nbformat.read(root / "build/2020/notebooks/02-beta.ipynb", as_version=4)
    assert executed.cells[-1].source == "Ny tekst."


def test_kernels_get_the_notebook_path_and_the_parameters(built):
    staging = built / "build" / "2020"
    provenance = json.loads((staging / "notebooks/figures/beta.json").read_text())
    assert provenance["notebook"] == "notebooks/02-beta.ipynb"  # INDIKATORER_NOTEBOOK
    assert provenance["caption"] == "Beta 2006–2020."  # first_year = year - 14
    executed = nbformat.read(staging / "notebooks/02-beta.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "year = 2020" in injected[0].source
    # The computed chapter ran after the themes and saw both their figures.
    listing = (staging / "chapters/figures/figurliste.csv").read_text().splitlines()
    assert listing == ["label,notebook", "alfa,notebooks/01-alfa.ipynb",
                       "beta,notebooks/02-beta.ipynb"]


def test_only_runs_the_named_notebooks_and_a_partial_book_is_not_rendered(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    set_data_years(monkeypatch)
    monkeypatch.setattr(build, "_render_book", fake_render)
    with pytest.raises(build.BuildError, match="cannot render the book: not executed for 2020: "
                       "notebooks/02-beta.ipynb, chapters/90-tillegg.ipynb"):
        build.build_edition(year=2020, only=["01-alfa"], project_root=root)
    executed = sorted(p.relative_to(root / "build" / "2020").as_posix()
                      for p in (root / "build" / "2020").rglob("*.ipynb"))
    # The executed notebook and its downloadable copy (build._publish_notebook_copies).
    assert executed == ["notebooks/01-alfa.ipynb", "notebooks/notatbok/01-alfa.ipynb"]
    assert not (root / "_book").exists()


# --- rendering and the swap into _book/<year> ---------------------------------------------------

def fake_render(project_dir: Path, out_dir: Path):
    """Stands in for indikatorer.publish.render in the swap tests (the real one is tested below)."""
    from types import SimpleNamespace

    out_dir.mkdir(parents=True)
    (out_dir / "index.html").write_text("<html>Testbok</html>\n", encoding="utf-8")
    return SimpleNamespace(renderer="fake", renderer_label="test", out_dir=out_dir,
                           html_index=out_dir / "index.html", pdf=None, versions={"fake": "1.0"})


def test_a_rendered_edition_replaces_the_old_one_in_one_step(built, tmp_path, monkeypatch):
    root = copy_project(built, tmp_path / "project")
    old_book = root / "_book" / "2020"
    old_book.mkdir(parents=True)
    (old_book / "marker.txt").write_text("old", encoding="utf-8")
    set_data_years(monkeypatch)

    def broken_render(project_dir, out_dir):
        fake_render(project_dir, out_dir)
        raise UserError("the renderer failed half-way")

    monkeypatch.setattr(build, "_render_book", broken_render)
    with pytest.raises(UserError, match="half-way"):
        build.build_edition(year=2020, project_root=root)
    assert sorted(p.name for p in old_book.iterdir()) == ["marker.txt"]

    monkeypatch.setattr(build, "_render_book", fake_render)
    result = build.build_edition(year=2020, project_root=root)
    assert result.edition_dir == old_book
    assert not (old_book / "marker.txt").exists()
    assert sorted(p.name for p in (root / "_book").iterdir()) == ["2020"]  # no backup left
    assert not (root / "build" / "2020" / build.RENDER_TMP).exists()
    written = manifest.load_manifest(old_book)
    assert written["renderer"] == {"renderer": "fake", "renderer_label": "test",
                                   "html_index": "index.html", "pdf": None, "versions": {"fake": "1.0"}}
    # The edition carries every figure's files at the paths the manifest names.
    for entry in written["figures"] + written["tables"]:
        for rel in manifest.entry_files(entry):
            assert manifest.sha256_file(old_book / rel) == written["files"][rel]
    assert "index.html" in written["files"]


def test_cli_build_prints_what_it_did(built, tmp_path, monkeypatch, capsys):
    root = copy_project(built, tmp_path / "project")
    set_data_years(monkeypatch)
    monkeypatch.setattr(paths, "PROJECT_ROOT", root)
    assert cli.main(["build", "--year", "2020", "--no-render", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "[1/3] 01-alfa … uendret, hoppet over" in out
    assert f"Manifest: {root / 'build' / '2020' / 'manifest.json'}" in out

    assert cli.main(["build", "--year", "2020", "-p", "frist_year=2012"]) == 2
    assert "Did you mean 'first_year'?" in capsys.readouterr().err


def test_build_with_the_real_renderer(built, tmp_path, monkeypatch, capsys):
    if not (Path(build.__file__).parent / "render.py").is_file():
        pytest.skip("indikatorer/render.py is not there yet: the real render cannot be tested")
    root = copy_project(built, tmp_path / "project")
    set_data_years(monkeypatch)
    monkeypatch.setattr(paths, "PROJECT_ROOT", root)
    assert cli.main(["build", "--year", "2020"]) == 0
    out = capsys.readouterr().out
    edition = root / "_book" / "2020"
    written = manifest.load_manifest(edition)
    assert f"Gjengitt med: {written['renderer']['renderer_label']}" in out
    html = edition / written["renderer"]["html_index"]
    assert f"HTML: {html}" in out
    assert html.is_file() and "alfa.png" in html.read_text(encoding="utf-8")
    if written["renderer"]["pdf"]:
        assert (edition / written["renderer"]["pdf"]).is_file()
    assert set(written["files"]) >= {"notebooks/figures/alfa.png", "notebooks/figures/beta.csv"}


# --- cleaning executed notebooks ----------------------------------------------------------------

def stream(name: str, text) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def test_consecutive_streams_are_merged_so_chunking_does_not_change_the_notebook(tmp_path):
    """The kernel splits printed output at timing-dependent points; merged, two runs that
    were chunked differently give the same bytes."""
    figure = {"output_type": "display_data", "data": {"text/plain": "<Figure>"}, "metadata": {}}

    def notebook(outputs) -> dict:
        return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Tittel"},
            {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 1, "source": "x",
             "outputs": outputs}]}

    one_chunk = notebook([stream("stdout", "![fig](a.png)\n\nKilde: SSB\n"), stream("stderr", "advarsel\n"),
                          figure, stream("stdout", "slutt\n")])
    three_chunks = notebook([stream("stdout", "![fig](a.png)\n"), stream("stdout", ["\n", "Kilde: "]),
                             stream("stdout", "SSB\n"), stream("stderr", "adv"), stream("stderr", "arsel\n"),
                             figure, stream("stdout", "slutt\n")])
    for nb in (one_chunk, three_chunks):
        build.merge_streams(nb)
    assert three_chunks == one_chunk
    outputs = three_chunks["cells"][1]["outputs"]
    assert [(o["output_type"], o.get("name")) for o in outputs] == [
        ("stream", "stdout"), ("stream", "stderr"), ("display_data", None), ("stream", "stdout")]
    assert outputs[0]["text"] == "![fig](a.png)\n\nKilde: SSB\n"
    assert "outputs" not in three_chunks["cells"][0]  # markdown cells untouched
    files = []
    for i, nb in enumerate((one_chunk, notebook([stream("stdout", "![fig](a.png)\n"),
                                                 stream("stdout", "\nKilde: SSB\n"), stream("stderr", "advarsel\n"),
                                                 figure, stream("stdout", "slutt\n")]))):
        path = tmp_path / f"{i}.ipynb"
        node = nbformat.from_dict(nb)
        build.merge_streams(node)
        nbformat.write(node, path)
        files.append(path.read_bytes())
    assert files[0] == files[1]


def test_cleaning_an_executed_notebook_merges_its_streams(tmp_path):
    source = tmp_path / "source.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('a'); print('b')")]
    nbformat.write(nb, source)
    executed = tmp_path / "executed.ipynb"
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                           nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    nb.metadata["papermill"] = {"input_path": "/abs/source.ipynb", "duration": 1.5}
    nbformat.write(nb, executed)
    build._strip_run_details(executed, source, "notebooks/x.ipynb")
    cleaned = nbformat.read(executed, as_version=4)
    assert [o["text"] for o in cleaned.cells[0].outputs] == ["a\nb\n"]
    assert "duration" not in cleaned.metadata["papermill"]


def test_executed_notebooks_get_fresh_download_copies(tmp_path, monkeypatch):
    """Figures link to notatbok/<stem>.ipynb (Quarto rewrites links to a chapter's own source);
    the copies are the executed notebooks, and a copy of a notebook that is gone is removed."""
    root = make_project(tmp_path / "project")
    set_data_years(monkeypatch)
    stale = root / "build" / "2020" / "notebooks" / "notatbok" / "00-gone.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    build.build_edition(year=2020, render=False, project_root=root)
    staging = root / "build" / "2020"
    copies = sorted(p.name for p in (staging / "notebooks" / "notatbok").iterdir())
    assert copies == sorted(p.name for p in (staging / "notebooks").glob("*.ipynb"))
    for name in copies:
        assert (staging / "notebooks" / "notatbok" / name).read_bytes() == \
            (staging / "notebooks" / name).read_bytes()
    assert not stale.exists()
