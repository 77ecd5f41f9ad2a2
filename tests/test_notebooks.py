"""The book's notebooks, executed with papermill on the embedded snapshot, as the build runs them:
each in its own process with its folder as working directory and INDIKATORER_NOTEBOOK set, the
theme notebooks and the summary first, "Slik er tallene laget" last (it reads what they made).

Two papermill processes at a time; the whole module takes well under a minute per notebook."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image
import nbformat
import numpy as np
import pandas as pd
import pytest

from indikatorer.report import chapter, figures

from indikatorer.core import paths
from indikatorer.data.catalogue import load_catalogue
from indikatorer.data.observations import load_observations

THEMES = {"notebooks/01-arbeid.ipynb": "arbeid", "notebooks/02-utdanning.ipynb": "utdanning",
          "notebooks/03-levekar.ipynb": "levekar", "notebooks/04-deltakelse.ipynb": "deltakelse"}
CHAPTERS = ["chapters/02-sammendrag.ipynb", "chapters/90-om-indikatorene.ipynb",
            "chapters/91-slik-er-tallene-laget.ipynb"]
LAST = "chapters/91-slik-er-tallene-laget.ipynb"
WORKERS = 2
# Groups with a colour of their own; the reference groups' greys also appear in axes and labels.
COLOURED_GROUPS = ("innvandrere", "norskfodte", "innvandrerbakgrunn", "flyktningbakgrunn")


def _start(root: Path, rel: str, parameters: dict) -> subprocess.Popen:
    source, output = paths.PROJECT_ROOT / rel, root / rel
    output.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "INDIKATORER_NOTEBOOK": rel, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-m", "papermill", str(source), str(output), "--cwd", str(output.parent),
               "--kernel", "python3", "--no-progress-bar", "-y", json.dumps(parameters)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(jobs: list[tuple[Path, str, dict]]) -> dict[tuple[Path, str], subprocess.CompletedProcess]:
    """Run (root, notebook, parameters) jobs, WORKERS at a time."""
    pending, running, done = list(jobs), {}, {}
    while pending or running:
        while pending and len(running) < WORKERS:
            root, rel, parameters = pending.pop(0)
            running[(root, rel)] = _start(root, rel, parameters)
        for key, proc in list(running.items()):
            if proc.poll() is not None:
                out, err = proc.communicate()
                done[key] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
                del running[key]
        time.sleep(0.2)
    return done


@pytest.fixture(scope="module")
def book(tmp_path_factory, real_edition):
    """The shared real edition (executed as the build runs it), plus extra runs: 01-arbeid with
    breakdowns=["sex"], 91 with a geography the snapshot does not have, and the Oslo edition's
    summary and education chapter (OSLO)."""
    only_sex = tmp_path_factory.mktemp("only_sex")
    bad_region = tmp_path_factory.mktemp("bad_region")
    oslo = tmp_path_factory.mktemp("oslo")
    jobs = [(only_sex, "notebooks/01-arbeid.ipynb", {"breakdowns": ["sex"]}),
            (bad_region, LAST, {"geography": "03"})]
    jobs += [(oslo, rel, OSLO) for rel in ("chapters/02-sammendrag.ipynb", "notebooks/02-utdanning.ipynb")]
    results = _run(jobs)
    for (root, rel), result in results.items():
        if root != bad_region:
            assert result.returncode == 0, f"{rel} failed:\n{result.stderr[-3000:]}"
    return {"edition": real_edition.staging_dir, "only_sex": only_sex, "bad_region": bad_region, "oslo": oslo,
            "results": results}


OSLO = {"geography": "F03", "year": 2019, "first_year": 2009}


def executed(root: Path, rel: str) -> nbformat.NotebookNode:
    return nbformat.read(str(root / rel), as_version=4)


def cell_output(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
                   and o.get("name") == "stdout")


def all_output(nb) -> str:
    return "\n".join(cell_output(c) for c in nb.cells if c.cell_type == "code")


def slug(indicator_id: str) -> str:
    return indicator_id.replace("_", "-")


# --------------------------------------------------------------------------- structure (no kernel)


@pytest.mark.parametrize("rel", [*THEMES, *CHAPTERS])
def test_notebook_is_thin_with_a_literal_parameters_cell_and_one_title(rel):
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    assigned = {}
    for statement in ast.parse(code[0].source).body:
        assert isinstance(statement, ast.Assign), f"{rel}: parameters cell holds only assignments"
        assigned[statement.targets[0].id] = ast.literal_eval(statement.value)
    assert assigned == {"year": 2024, "first_year": 2010, "breakdowns": ["sex", "botid", "region", "reason"],
                        "geography": "0", "window": 10}
    assert code[1].source.startswith("#| echo: false") and "chapter.chapter_params(" in code[1].source
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    titles = [line for c in markdown for line in c.source.splitlines() if re.match(r"# \S", line)]
    assert len(titles) == 1 and markdown[0].source.startswith(titles[0])
    for cell in code[2:]:
        assert cell.source.startswith("#| echo: false\n#| output: asis"), cell.source
        assert len([l for l in cell.source.splitlines() if not l.startswith("#|")]) == 1  # one call


@pytest.mark.parametrize("rel, theme", THEMES.items())
def test_theme_notebook_has_a_section_for_every_catalogue_indicator(rel, theme):
    catalogue = load_catalogue()
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    assert nb.cells[0].source.startswith(f"# {catalogue.themes[theme]}\n")
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    calls = re.findall(r'present_indicator\("(\w+)"', "\n".join(c.source for c in nb.cells))
    indicators = catalogue.by_theme(theme)
    assert headings == [f"## {i.name} {{#sec-{slug(i.id)}}}" for i in indicators]
    assert calls == [i.id for i in indicators]


# --------------------------------------------------------------------------- executed


@pytest.mark.parametrize("rel, theme", THEMES.items())
def test_every_indicator_appears_with_a_figure_or_the_no_data_note(book, rel, theme):
    nb = executed(book["edition"], rel)
    for indicator in load_catalogue().by_theme(theme):
        cell = next(c for c in nb.cells if c.cell_type == "code" and f'"{indicator.id}"' in c.source)
        out = cell_output(cell)
        assert f"{{#fig-{slug(indicator.id)}-" in out or "Ingen tall i denne utgaven" in out, indicator.id
        assert f"Om tallene: {indicator.name}" in out, indicator.id
        has_numbers = load_observations(year_max=2024).query(
            "indicator == @indicator.id and year >= 2010 and geography == '0'")["value"].notna().any()
        assert ("Ingen tall i denne utgaven" in out) == (not has_numbers), indicator.id


def figure_records(root: Path) -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text(encoding="utf-8")))
            for folder in ("notebooks/figures", "chapters/figures") for p in sorted((root / folder).glob("*.json"))]


def test_every_figure_csv_holds_published_numbers_for_its_rows(book):
    """Each plotted number is the value of an observation with the same indicator, year, group,
    age and breakdown codes (a derived gap: its own derived row)."""
    obs = load_observations(year_max=2024)
    records = [(p, r) for p, r in figure_records(book["edition"]) if r["kind"] == "figure"]
    assert len(records) >= 20
    for path, record in records:
        if record["label"].startswith("sysselsatte-andel-sammensetning"):
            continue  # computed contributions, checked against a recomputation in test_composition.py
        csv = pd.read_csv(path.with_suffix(".csv"), dtype=str, keep_default_na=False)
        rows = obs[obs["indicator"].isin(record["indicators"])]
        keys = [c for c in ("year", "group", "sex", "region", "botid", "age", "other_dim", "other_value")
                if c in csv.columns]
        for column in ("sex", "region", "botid"):
            if column not in csv.columns:
                rows = rows[rows[column] == "alle"]
        lookup = rows.assign(year=rows["year"].astype(str))
        plotted = csv[csv["value"] != ""].reset_index(names="_row")
        merged = plotted.merge(lookup, on=keys, how="left", suffixes=("", "_obs"))
        same = np.isclose(merged["value"].astype(float), merged["value_obs"].astype(float))
        found = pd.Series(same).groupby(merged["_row"].to_numpy()).any()
        assert len(found) == len(plotted) and found.all(), \
            f"{path.name}: plotted rows without that observation:\n{plotted[~found.to_numpy()]}"


def test_the_employment_figure_is_exactly_the_selected_series(book):
    obs = load_observations(year_max=2024)
    rows = obs[(obs["indicator"] == "sysselsatte_andel") & (obs["year"] >= 2010)]
    expected = chapter.select_series(rows)[["year", "group", "age", "value"]]
    csv = pd.read_csv(book["edition"] / "notebooks/figures/sysselsatte-andel-grupper.csv", dtype={"age": str})
    pd.testing.assert_frame_equal(
        csv[["year", "group", "age", "value"]].sort_values(["year", "group"]).reset_index(drop=True),
        expected.sort_values(["year", "group"]).reset_index(drop=True), check_dtype=False)
    assert {"innvandrere", "befolkningen_uten_innvandrere"} <= set(csv["group"])
    assert set(csv["age"]) == {"15-74", "20-66"}


def test_each_group_has_the_same_colour_in_every_chapter(book):
    """The PNG of every group chart contains each plotted group's own colour, whichever chapter."""
    checked = set()
    for path, record in figure_records(book["edition"]):
        if record["kind"] != "figure" or not path.stem.endswith(("-grupper", "-landbakgrunn")):
            continue
        csv = pd.read_csv(path.with_suffix(".csv"))
        if "other_value" in csv.columns and not path.stem.endswith("-grupper"):
            continue  # a distribution by region is coloured by category
        pixels = {tuple(p) for p in (matplotlib.image.imread(path.with_suffix(".png"))[..., :3] * 255)
                  .round().astype(int).reshape(-1, 3)}
        for group in set(csv.dropna(subset=["value"])["group"]) & set(COLOURED_GROUPS):
            hex_ = figures.colour_for(group).lstrip("#")
            rgb = tuple(int(hex_[i:i + 2], 16) for i in (0, 2, 4))
            assert rgb in pixels, f"{path.name}: {group} is not drawn in {figures.colour_for(group)}"
            checked.add((group, record["notebook"]))
    notebooks_with_immigrants = {nb for group, nb in checked if group == "innvandrere"}
    assert len(notebooks_with_immigrants) >= 4, checked  # the same colour across chapters


def test_only_the_requested_breakdowns_are_drawn(book):
    out = all_output(executed(book["only_sex"], "notebooks/01-arbeid.ipynb"))
    assert "#fig-sysselsatte-andel-kjonn " in out
    for other in ("botid", "landbakgrunn", "innvandringsgrunn"):
        assert f"-{other} " not in out and f"-{other}-tabell" not in out
    pngs = {p.stem for p in (book["only_sex"] / "notebooks/figures").glob("*.png")}
    assert pngs and all(p.endswith(("-grupper", "-kjonn")) for p in pngs), pngs


def test_a_geography_not_in_the_snapshot_is_a_clear_error(book):
    result = book["results"][(book["bad_region"], LAST)]
    assert result.returncode != 0
    assert "geography '03' is not in the data snapshot" in result.stderr


def test_the_oslo_edition_shows_what_exists_there_and_lists_the_rest_once(book):
    summary = all_output(executed(book["oslo"], "chapters/02-sammendrag.ipynb"))
    assert summary.count("Denne utgaven gjelder Oslo (områdekode F03 og K0301)") == 1
    have, _, lack = summary.partition("har ingen tall for Oslo i datagrunnlaget")
    assert "- Fullført videregående opplæring (IMDis fylkestall)" in have
    assert "- Innvandrere etter innvandringsgrunn" in have
    assert "- Sysselsatte\n" in lack and "Fullført videregående opplæring (IMDis" not in lack
    assert "Ingen tall i denne utgaven" not in summary  # no repeated no-data callouts
    education = executed(book["oslo"], "notebooks/02-utdanning.ipynb")
    text = all_output(education)
    assert "{#fig-vgo-fullfort-imdi-andel-grupper" in text and "Ingen tall i denne utgaven" not in text
    assert "Datagrunnlaget har ingen tall for andelen som går i barnehage i Oslo" in text
    # The chart holds Oslo's figures (F03), not the national sums.
    data = pd.read_csv(book["oslo"] / "notebooks/figures/vgo-fullfort-imdi-andel-grupper.csv", dtype=str)
    oslo = load_observations().query("indicator == 'vgo_fullfort_imdi_andel' and geography == 'F03' "
                                     "and sex == 'alle' and year == 2019").set_index("group")["value"]
    shown = data[data["year"] == "2019"].set_index("group")["value"].astype(float)
    assert shown["innvandrere"] == oslo["innvandrere"] == 66.1


def test_labels_are_unique_across_the_book_and_every_figure_is_listed_last(book):
    outputs = {rel: all_output(executed(book["edition"], rel)) for rel in [*THEMES, *CHAPTERS]}
    # A table printed in parts repeats its label in the print-only copy (figures.publish_table):
    # once per format, as Quarto sees it (test_quarto_compat checks that per format).
    web = {rel: re.sub(r'::: \{\.content-hidden when-format="html"\}\n.*?\n:::\n', "", out, flags=re.DOTALL)
           for rel, out in outputs.items()}
    ids = [i for rel, out in web.items() if rel != LAST for i in re.findall(r"\{#((?:fig|tbl)-[a-z0-9-]+)", out)]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    appendix = outputs[LAST]
    for label in ids:
        assert f"@{label} " in appendix, f"{label} missing from 'Slik er tallene laget'"
    assert "## Datagrunnlaget" in appendix and "data/published/observations.csv" in appendix


def test_summary_starts_with_the_population_and_tables_every_headline_indicator(book):
    out = all_output(executed(book["edition"], "chapters/02-sammendrag.ipynb"))
    assert "innvandrere i Norge" in out and "#fig-befolkning-antall-landbakgrunn " in out
    assert "flyktningbakgrunn" in out and "#fig-flyktningbakgrunn-antall-grupper " in out
    table = out.split("{#tbl-sammendrag}")[0].rsplit("| Indikator |", 1)[1]
    for indicator in load_catalogue().headline():
        assert f"| {indicator.name} |" in table, indicator.id
    nb = executed(book["edition"], "chapters/02-sammendrag.ipynb")
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert headings[0].startswith("## Befolkningen")


def test_indicator_appendix_resolves_every_reference_from_the_themes(book):
    appendix = all_output(executed(book["edition"], "chapters/90-om-indikatorene.ipynb"))
    anchors = set(re.findall(r"\{#(sec-om-[a-z0-9-]+)\}", appendix))
    assert anchors == {f"sec-om-{slug(i.id)}" for i in load_catalogue().indicators}
    for rel in THEMES:
        for ref in re.findall(r"@(sec-om-[a-z0-9-]+)", all_output(executed(book["edition"], rel))):
            assert ref in anchors
    source = "".join(c.source for c in executed(book["edition"], "chapters/90-om-indikatorene.ipynb").cells)
    assert "Kitagawas metode" in source and "Når modellene ikke bør brukes" in source
