"""The book's notebooks, executed with papermill on the embedded snapshot, as the build runs them:
each in its own process with its folder as working directory and INDIKATORER_NOTEBOOK set, the
theme notebooks and the summary first, "Slik er tallene laget" last (it reads what they made).

Two papermill processes at a time; the whole module takes well under a minute per notebook."""

from __future__ import annotations

import ast
import functools
import importlib
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

from indikatorer.report import style
from indikatorer.data.selection import edition_observations, select_series, series_rows

from indikatorer.core import paths
from indikatorer.core.params import EditionParams
from indikatorer.data.catalogue import load_catalogue
from indikatorer.data.observations import load_observations

THEMES = {"notebooks/01-arbeid.ipynb": "arbeid", "notebooks/02-utdanning.ipynb": "utdanning",
          "notebooks/03-levekar.ipynb": "levekar", "notebooks/04-deltakelse.ipynb": "deltakelse"}
CHAPTERS = ["chapters/02-sammendrag.ipynb", "chapters/90-om-indikatorene.ipynb",
            "chapters/91-slik-er-tallene-laget.ipynb"]
LAST = "chapters/91-slik-er-tallene-laget.ipynb"
REFERENCE = "chapters/90-om-indikatorene.ipynb"
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
    breakdowns=["sex"], 90 with a geography the snapshot does not have, and the Oslo edition's
    summary and education chapter (OSLO)."""
    only_sex = tmp_path_factory.mktemp("only_sex")
    bad_region = tmp_path_factory.mktemp("bad_region")
    oslo = tmp_path_factory.mktemp("oslo")
    jobs = [(only_sex, "notebooks/01-arbeid.ipynb", {"breakdowns": ["sex"]}),
            (bad_region, REFERENCE, {"geography": "03"})]
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


PARAMETERS = {"year": 2024, "first_year": 2010, "breakdowns": ["sex", "botid", "region", "reason"],
              "geography": "0", "window": 10}


def options_and_code(source: str) -> tuple[list[str], str]:
    lines = source.splitlines()
    options = [line for line in lines if line.startswith("#|")]
    return options, "\n".join(line for line in lines if not line.startswith("#|"))


@pytest.mark.parametrize("rel", [*THEMES, *CHAPTERS])
def test_notebook_has_a_literal_parameters_cell_one_setup_call_and_one_title(rel):
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    assigned = {}
    for statement in ast.parse(code[0].source).body:
        assert isinstance(statement, ast.Assign), f"{rel}: parameters cell holds only assignments"
        assigned[statement.targets[0].id] = ast.literal_eval(statement.value)
    assert assigned == PARAMETERS
    # The one parameters model, checked in the cell after the parameters (plumbing: no code shown).
    assert code[1].source.startswith("#| echo: false")
    assert "params = EditionParams.from_cell(year, first_year, breakdowns, geography, window)" in code[1].source
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    titles = [line for c in markdown for line in c.source.splitlines() if re.match(r"# \S", line)]
    assert len(titles) == 1 and markdown[0].source.startswith(titles[0])
    for cell in code[2:]:
        options, body = options_and_code(cell.source)
        assert "#| output: asis" in options, cell.source
        if "#| echo: false" not in options:  # shown code: it selects, fits or presents
            assert re.search(r"\bshow_\w+\(", body), cell.source


def literate_cells(rel: str) -> list[tuple[str, list[ast.stmt]]]:
    """(indicator id, statements) of each indicator cell of a theme notebook."""
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "show_indicator(" in cell.source:
            options, body = options_and_code(cell.source)
            match = re.match(r'ind = catalogue\["(\w+)"\]', body)
            assert match, f"{rel}: an indicator cell starts with its catalogue entry:\n{cell.source}"
            assert "#| echo: false" not in options, f"{rel}: {match.group(1)}: its code is shown"
            cells.append((match.group(1), ast.parse(body).body))
    return cells


@functools.cache
def snapshot_distributions() -> frozenset[str]:
    """Indicators whose main series in the snapshot is a distribution over categories (no trend)."""
    obs = edition_observations(EditionParams.from_cell(2024, 2010))
    return frozenset(i.id for i in load_catalogue().indicators
                     if (s := select_series(obs, i)).has_numbers and s.distribution)


@pytest.mark.parametrize("rel", [*THEMES, *CHAPTERS])
def test_every_name_a_notebook_imports_exists_in_the_package(rel):
    """A renamed or moved function breaks the notebooks before any kernel starts a build."""
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for statement in ast.walk(ast.parse(options_and_code(cell.source)[1])):
            if isinstance(statement, ast.ImportFrom) and statement.module.startswith("indikatorer"):
                module = importlib.import_module(statement.module)
                for alias in statement.names:
                    assert hasattr(module, alias.name), f"{rel}: {statement.module}.{alias.name}"


@pytest.mark.parametrize("rel, theme", THEMES.items())
def test_every_catalogue_indicator_has_a_cell_that_selects_fits_and_presents(rel, theme):
    """The literate notebook: per indicator the catalogue entry, the rows (selection), the
    models (with breaks and window) and one call that presents them — in catalogue order, the
    section heading printed by the cell (no hand-written heading that would stay without it)."""
    catalogue = load_catalogue()
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    assert nb.cells[0].source.startswith(f"# {catalogue.themes[theme]}\n")
    indicators = catalogue.by_theme(theme)
    cells = literate_cells(rel)
    assert [i for i, _ in cells] == [i.id for i in indicators]
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("## ")]
    assert not headings, f"{rel}: indicator sections are printed by their cells: {headings}"
    for (indicator_id, statements), indicator in zip(cells, indicators):
        calls = [ast.unparse(s.value.func) if isinstance(s, (ast.Assign, ast.Expr)) and
                 isinstance(s.value, ast.Call) else None for s in statements]
        assert calls[1] == "select_series" and ast.unparse(statements[1]) == "series = select_series(obs, ind)"
        assert calls[-1] == "show_indicator" and calls.count("show_indicator") == 1
        fits = [s for s, c in zip(statements, calls) if c in ("fit_trend", "gap_trend", "latest_change")]
        distribution = indicator.id in snapshot_distributions()
        assert bool(fits) != distribution, indicator_id
        for fit in fits:
            source = ast.unparse(fit)
            if "latest_change" not in source:
                assert "series.breaks" in source and "window=params.window" in source, source
        if indicator.reference_group and not indicator.derived and not distribution:
            assert any("gap_trend" in ast.unparse(f) for f in fits), indicator_id
        shown = ast.unparse(statements[-1])
        for fit in fits:
            assert f"{fit.targets[0].id}={fit.targets[0].id}" in shown  # every model is presented


# --------------------------------------------------------------------------- executed


@pytest.mark.parametrize("rel, theme", THEMES.items())
def test_an_indicator_with_numbers_has_its_section_and_one_without_has_none(book, rel, theme):
    """... and one without numbers is listed once, in the summary, with what a refresh fills."""
    nb = executed(book["edition"], rel)
    summary = all_output(executed(book["edition"], "chapters/02-sammendrag.ipynb"))
    edition = load_observations(year_max=2024).query("year >= 2010")
    for indicator in load_catalogue().by_theme(theme):
        cell = next(c for c in nb.cells if c.cell_type == "code" and f'catalogue["{indicator.id}"]' in c.source)
        out = cell_output(cell)
        has_numbers = edition.query("indicator == @indicator.id and geography == '0'")["value"].notna().any()
        if has_numbers:
            assert out.startswith(f"## {indicator.name} {{#sec-{slug(indicator.id)}}}\n"), indicator.id
            assert f"{{#fig-{slug(indicator.id)}-" in out and f"Om tallene: {indicator.name}" in out
            assert f"- {indicator.name}: " not in summary
        else:
            assert out == "", indicator.id
            assert summary.count(f"- {indicator.name}: tallene ") == 1, indicator.id


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
    expected = series_rows(rows)[["year", "group", "age", "value"]]
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
            hex_ = style.colour_for(group).lstrip("#")
            rgb = tuple(int(hex_[i:i + 2], 16) for i in (0, 2, 4))
            assert rgb in pixels, f"{path.name}: {group} is not drawn in {style.colour_for(group)}"
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
    result = book["results"][(book["bad_region"], REFERENCE)]
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
    # An indicator without numbers for Oslo has no section (the summary lists it once).
    assert "{#sec-barnehage-minoritetsspraklige-andel}" not in text
    assert "- Minoritetsspråklige barn i barnehage" in lack
    # The chart holds Oslo's figures (F03), not the national sums.
    data = pd.read_csv(book["oslo"] / "notebooks/figures/vgo-fullfort-imdi-andel-grupper.csv", dtype=str)
    oslo = load_observations().query("indicator == 'vgo_fullfort_imdi_andel' and geography == 'F03' "
                                     "and sex == 'alle' and year == 2019").set_index("group")["value"]
    shown = data[data["year"] == "2019"].set_index("group")["value"].astype(float)
    assert shown["innvandrere"] == oslo["innvandrere"] == 66.1


def test_labels_are_unique_across_the_book_and_every_figure_is_listed_last(book):
    outputs = {rel: all_output(executed(book["edition"], rel)) for rel in [*THEMES, *CHAPTERS]}
    # A table printed in parts repeats its label in the print-only copy (publishing.publish_table):
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
