"""The edition manifest (indikatorer.publish.manifest): contents, determinism, verify-edition and
diff-editions, on the tiny fixture project (tests/tiny_project.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import nbformat
import pytest

from indikatorer import cli

from indikatorer.publish import build, editions, manifest
from indikatorer.cli import editions as cli_editions

from indikatorer.core import paths
from tiny_project import copy_project, set_data_years, write_data

YEAR = 2020


def staging(root: Path) -> Path:
    return root / "build" / str(YEAR)


def figure_folder_files(edition: Path) -> set[str]:
    return {p.relative_to(edition).as_posix()
            for p in edition.glob("*/figures/*") if p.is_file()}


@pytest.fixture(scope="module")
def edition_a(tiny_edition) -> Path:
    """Project with edition 2020 executed (not rendered); its build folder is the edition."""
    return tiny_edition


@pytest.fixture(scope="module")
def edition_b(edition_a, tmp_path_factory) -> Path:
    """Edition A rebuilt after SSB revised one value: alfa 2015 from 56.0 to 57.5."""
    root = copy_project(edition_a, tmp_path_factory.mktemp("b") / "project")
    data = root / "data" / "published" / "alfa.csv"
    text = data.read_text(encoding="utf-8")
    assert "2015,56.0\n" in text
    write_data(data, text.replace("2015,56.0\n", "2015,57.5\n"))
    with pytest.MonkeyPatch.context() as mp:
        set_data_years(mp)
        result = build.build_edition(year=YEAR, project_root=root, render=False)
    assert len(result.ran) == 3  # the data snapshot is an input of every notebook
    return root


def test_the_manifest_describes_every_figure_and_table(edition_a):
    edition = staging(edition_a)
    written = manifest.load_manifest(edition)
    # Every parameter a notebook uses is recorded, the defaults too (window).
    assert written["edition"] == {"year": 2020, "first_year": 2006, "geography": "0", "window": 10,
                                  "breakdowns": ["sex", "botid", "region", "reason"]}
    assert written["code"]["git_commit"] == "unknown"  # the tmp project is no git checkout
    assert written["code"]["git_dirty"] == "unknown"
    assert len(written["code"]["package_source_sha256"]) == 64
    assert {"pandas", "numpy", "matplotlib", "seaborn", "statsmodels", "papermill",
            "pypandoc-binary", "pandoc", "typst"} <= set(written["packages"])
    assert set(written["data_snapshot"]) == {
        "data/catalogue.yml", "data/published/alfa.csv", "data/published/alfa.csv.meta.json",
        "data/raw/beta.csv", "data/raw/beta.csv.meta.json"}
    assert written["renderer"] is None
    assert set(written["build_info"]) == {"started", "finished"}
    assert [n["path"] for n in written["notebooks"]] == [
        "notebooks/01-alfa.ipynb", "notebooks/02-beta.ipynb", "chapters/90-tillegg.ipynb"]

    assert [f["id"] for f in written["figures"]] == ["fig-alfa", "fig-beta"]
    assert [t["id"] for t in written["tables"]] == ["tbl-figurliste"]
    alfa = written["figures"][0]
    assert alfa["caption"] == "Alfa 2006–2020."
    assert alfa["notebook"] == "notebooks/01-alfa.ipynb"
    assert alfa["indicators"] == ["alfa_andel"]
    assert alfa["sources"][0]["source_file"] == "data/published/alfa.csv"
    snapshot = written["data_snapshot"]
    assert alfa["sources"][0]["source_sha256"] == snapshot["data/published/alfa.csv"]
    assert alfa["png_sha256"] == manifest.sha256_file(edition / alfa["png"])
    assert alfa["csv_sha256"] == manifest.sha256_file(edition / alfa["csv"])
    # The cell index points at the executed cell that printed the figure.
    for entry in written["figures"] + written["tables"]:
        nb = nbformat.read(edition / entry["notebook"], as_version=4)
        cell = nb.cells[entry["cell_index"]]
        printed = "".join(o.get("text", "") for o in cell.outputs)
        assert "{#" + entry["id"] in printed
        assert cell.execution_count == entry["execution_count"]


def test_every_figure_file_has_an_entry_and_every_entry_its_files(edition_a):
    edition = staging(edition_a)
    written = manifest.load_manifest(edition)
    listed = {f for e in written["figures"] + written["tables"] for f in manifest.entry_files(e)}
    assert listed == figure_folder_files(edition)
    assert all({"png", "csv", "provenance"} <= set(e) for e in written["figures"])


def test_a_stray_or_missing_figure_file_is_an_error(edition_a, tmp_path):
    root = copy_project(edition_a, tmp_path / "project")
    edition = staging(root)
    stray = edition / "notebooks" / "figures" / "zeta.json"
    stray.write_text("{}\n", encoding="utf-8")
    with pytest.raises(manifest.ManifestError, match="notebooks/figures/zeta.json"):
        manifest.build_manifest(edition, {}, project_root=root)
    stray.unlink()
    (edition / "notebooks" / "figures" / "beta.json").unlink()
    with pytest.raises(manifest.ManifestError,
                       match=r"notebooks/02-beta.ipynb, cell 5: #fig-beta has no provenance"):
        manifest.build_manifest(edition, {}, project_root=root)


def test_two_builds_give_the_same_manifest_and_figures(edition_a, tmp_path, monkeypatch):
    root = copy_project(edition_a, tmp_path / "project")
    set_data_years(monkeypatch)
    result = build.build_edition(year=YEAR, project_root=root, render=False, force=True)
    assert len(result.ran) == 3
    first = manifest.load_manifest(staging(edition_a))
    second = manifest.load_manifest(staging(root))
    assert manifest.dumps(manifest.without_build_info(first)) == manifest.dumps(
        manifest.without_build_info(second))
    assert editions.output_hashes(first) == editions.output_hashes(second)
    # Executed notebooks carry no timings or absolute paths, so they are identical too.
    for nb in ("notebooks/01-alfa.ipynb", "chapters/90-tillegg.ipynb"):
        assert (staging(edition_a) / nb).read_bytes() == (staging(root) / nb).read_bytes()
    text = (staging(root) / manifest.MANIFEST_NAME).read_text(encoding="utf-8")
    assert text.endswith("}\n") and text == manifest.dumps(second)


def test_a_changed_input_changes_exactly_the_outputs_that_use_it(edition_a, edition_b):
    old = manifest.load_manifest(staging(edition_a))
    new = manifest.load_manifest(staging(edition_b))
    changed = {path for path, sha in editions.output_hashes(new).items()
               if editions.output_hashes(old).get(path) != sha}
    assert changed == {"notebooks/figures/alfa.png", "notebooks/figures/alfa.csv",
                       "notebooks/figures/alfa.json"}
    changed_inputs = {p for p in new["data_snapshot"]
                      if new["data_snapshot"][p] != old["data_snapshot"][p]}
    assert changed_inputs == {"data/published/alfa.csv", "data/published/alfa.csv.meta.json"}
    # The manifest says which figure used the changed file.
    users = [f["id"] for f in new["figures"]
             if any(s["source_file"] in changed_inputs for s in f["sources"])]
    assert users == ["fig-alfa"]
    assert new["figures"][0]["sources"][0]["source_sha256"] == new["data_snapshot"][
        "data/published/alfa.csv"]
    assert editions.why_different(old, new).startswith("other inputs")


@pytest.mark.slow  # kernels or a dask cluster
def test_verify_edition_reports_a_tampered_output(edition_a, tmp_path, monkeypatch, capsys):
    root = copy_project(edition_a, tmp_path / "project")
    edition = staging(root)
    tampered = edition / "notebooks" / "figures" / "beta.csv"
    tampered.write_text(tampered.read_text(encoding="utf-8").replace("50.5", "99.9"),
                        encoding="utf-8")
    set_data_years(monkeypatch)
    monkeypatch.setattr(paths, "PROJECT_ROOT", root)
    code = cli_editions.command_verify_edition(argparse.Namespace(edition=str(edition)))
    out = capsys.readouterr().out
    assert code == 1
    assert "1 output(s)" in out  # only the tampered file: the rebuild matched everything else
    assert ("notebooks/figures/beta.csv: changed after the build (does not match its manifest)"
            in out)
    # A file added to the edition after the build is reported too; this rebuild runs on a dask
    # LocalCluster (`verify-edition --executor dask`) and matches everything else as well.
    added = edition / "notebooks" / "figures" / "extra.png"
    added.write_bytes(b"not made by the build")
    differences = editions.verify_edition(edition, project_root=root, executor_name="dask")
    assert sorted(d.path for d in differences) == ["notebooks/figures/beta.csv", "notebooks/figures/extra.png"]
    assert differences[0] == editions.Difference(
        "notebooks/figures/extra.png", "added after the build (not in its manifest)", None,
        manifest.sha256_file(added))
    # --only rebuilds one notebook and compares what it makes; the rest is checked against
    # the manifest (the tampered file is still reported, nothing is "not made by the rebuild").
    args = cli.build_parser().parse_args(["verify-edition", str(edition), "--only", "01-alfa"])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "Bygger notatbøkene 01-alfa i " in out and "2 output(s)" in out
    assert "beta.csv: changed after the build" in out and "extra.png: added after the build" in out
    assert "not made by the rebuild" not in out
    # The rebuild went to a temporary folder: the edition itself was not rebuilt.
    assert "99.9" in tampered.read_text(encoding="utf-8")
    assert not (root / "_book").exists()


def test_compare_editions_says_why_outputs_differ(edition_a, edition_b):
    differences = editions.compare_editions(staging(edition_a), staging(edition_b))
    assert {d.path for d in differences} == {"notebooks/figures/alfa.png",
                                            "notebooks/figures/alfa.csv",
                                            "notebooks/figures/alfa.json"}
    assert {d.reason for d in differences} == {"other inputs (the data snapshot differs)"}


@pytest.mark.parametrize(("change", "reason"), [
    ({}, "non-deterministic output"),
    ({"data_snapshot": {"data/raw/x.csv": "1"}}, "other inputs"),
    ({"code": {"git_commit": "abc"}}, "other code"),
    ({"packages": {"pandas": "0.1"}}, "other code"),
    ({"notebooks": [{"path": "notebooks/01-arbeid.ipynb", "source_sha256": "2"}]},
     "other code"),
])
def test_why_different(change, reason):
    base = {"data_snapshot": {}, "code": {"git_commit": "def"}, "packages": {"pandas": "3"},
            "notebooks": [{"path": "notebooks/01-arbeid.ipynb", "source_sha256": "1"}]}
    assert editions.why_different(base, {**base, **change}).startswith(reason)


def test_diff_editions_reports_a_revised_value(edition_a, edition_b, capsys):
    args = argparse.Namespace(a=str(staging(edition_a)), b=str(staging(edition_b)),
                              format="json")
    assert cli_editions.command_diff_editions(args) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["changed_values"] == [{
        "label": "fig-alfa", "key": {"indicator": "alfa_andel", "year": 2015},
        "column": "value", "a": 56.0, "b": 57.5}]
    assert diff["data_snapshot_changed"] == ["data/published/alfa.csv",
                                             "data/published/alfa.csv.meta.json"]
    assert diff["new_figures"] == diff["dropped_figures"] == diff["new_years"] == []

    args.format = "text"
    assert cli_editions.command_diff_editions(args) == 0
    text = capsys.readouterr().out
    assert "Changed values (same keys): 1" in text
    assert "fig-alfa [indicator=alfa_andel, year=2015] value: 56.0 → 57.5" in text


def test_diff_editions_with_missing_key_cells(tmp_path):
    """Empty key cells (pandas reads them as NaN, and a year column with one as floats) match
    the same empty cells in the other edition; only the value that changed is reported."""
    header = "indicator,year,group,sex,region,value\n"
    a = write_edition(tmp_path / "a", 2020, {"syss": (["s"], header
        + "s,2019,innvandrere,,,60.0\n" + "s,,innvandrere,menn,,61.0\n"
        + "s,2020,,alle,,62.0\n")})
    b = write_edition(tmp_path / "b", 2021, {"syss": (["s"], header
        + "s,2019,innvandrere,,,60.5\n" + "s,,innvandrere,menn,,61.0\n"
        + "s,2020,,alle,,62.0\n" + "s,2021,,alle,,63.0\n")})
    diff = editions.diff_editions(a, b)
    assert diff["changed_values"] == [{
        "label": "fig-syss", "column": "value", "a": 60.0, "b": 60.5,
        "key": {"indicator": "s", "year": 2019, "group": "innvandrere", "sex": None,
                "region": None}}]
    assert diff["rows_added"] == {"fig-syss": 1} and diff["rows_removed"] == {}
    assert type(diff["changed_values"][0]["key"]["year"]) is int
    assert "Changed values (same keys): 1" in editions.format_diff(diff)


def write_edition(folder: Path, year: int, figures: dict[str, tuple[list[str], str]]) -> Path:
    """A hand-made edition folder: manifest + data CSVs (label → (indicators, csv text))."""
    entries = []
    for label, (indicators, csv_text) in figures.items():
        csv = folder / "notebooks" / "figures" / f"{label}.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        csv.write_text(csv_text, encoding="utf-8")
        entries.append({"id": f"fig-{label}", "label": label, "kind": "figure",
                        "indicators": indicators, "csv": csv.relative_to(folder).as_posix(),
                        "csv_sha256": manifest.sha256_file(csv)})
    (folder / manifest.MANIFEST_NAME).write_text(manifest.dumps({
        "edition": {"year": year}, "figures": entries, "tables": [], "data_snapshot": {}}))
    return folder


def test_diff_editions_new_years_rows_and_dropped_indicators(tmp_path):
    a = write_edition(tmp_path / "a", 2022, {
        "syss": (["sysselsatte_andel"], "indicator,year,group,value,status\n"
                 "sysselsatte_andel,2021,innvandrere,64.1,ok\n"
                 "sysselsatte_andel,2022,innvandrere,65.0,ok\n"),
        "ledige": (["registrerte_ledige_andel"], "indicator,year,value\nx,2020,4.0\n"),
    })
    b = write_edition(tmp_path / "b", 2023, {
        "syss": (["sysselsatte_andel"], "indicator,year,group,value,status\n"
                 "sysselsatte_andel,2021,innvandrere,64.1,ok\n"
                 "sysselsatte_andel,2022,innvandrere,,suppressed\n"
                 "sysselsatte_andel,2023,innvandrere,66.2,ok\n"),
        "valg": (["valgdeltakelse_storting"], "indicator,year,value\ny,2021,55.0\n"),
    })
    diff = editions.diff_editions(a, b)
    assert diff["new_years"] == [2023]
    assert diff["new_figures"] == ["fig-valg"] and diff["dropped_figures"] == ["fig-ledige"]
    assert diff["new_indicators"] == ["valgdeltakelse_storting"]
    assert diff["dropped_indicators"] == ["registrerte_ledige_andel"]
    assert diff["rows_added"] == {"fig-syss": 1} and diff["rows_removed"] == {}
    key = {"indicator": "sysselsatte_andel", "year": 2022, "group": "innvandrere"}
    assert diff["changed_values"] == [
        {"label": "fig-syss", "key": key, "column": "value", "a": 65.0, "b": None},
        {"label": "fig-syss", "key": key, "column": "status", "a": "ok", "b": "suppressed"},
    ]
