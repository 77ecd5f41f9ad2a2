"""The book's notebooks: their structure (no kernel), and their outputs in the shared real
edition (tests/conftest.py), executed as the build runs them. Other editions and runs by hand
are in test_variants."""

from __future__ import annotations

import ast
import functools
import importlib
import json
import re
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
# Groups with a colour of their own; the reference groups' greys also appear in axes and labels.
COLOURED_GROUPS = ("innvandrere", "norskfodte", "innvandrerbakgrunn", "flyktningbakgrunn")


@pytest.fixture(scope="module")
def book(real_edition):
    """The shared real edition's staging folder (executed as the build runs it)."""
    return {"edition": real_edition.staging_dir}


def executed(root: Path, rel: str) -> nbformat.NotebookNode:
    return nbformat.read(str(root / rel), as_version=4)


def cell_output(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
                   and o.get("name") == "stdout")


def all_output(nb) -> str:
    return "\n".join(cell_output(c) for c in nb.cells if c.cell_type == "code")


def coverage_rows(summary: str) -> list[str]:
    """The indicator names of the summary's coverage table (report.coverage.coverage_table)."""
    if "{#sec-dekning}" not in summary:
        return []
    section = summary.split("{#sec-dekning}", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [line.split(" | ")[0].removeprefix("| ") for line in lines[1:]]


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
        else:
            assert out == "", indicator.id
        # The coverage table lists each indicator without numbers once, and no other.
        assert coverage_rows(summary).count(indicator.name) == int(not has_numbers), indicator.id


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
        rgb = (matplotlib.image.imread(path.with_suffix(".png"))[..., :3] * 255).round().astype(int)
        pixels = set(np.unique((rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]).ravel()).tolist())
        for group in set(csv.dropna(subset=["value"])["group"]) & set(COLOURED_GROUPS):
            hex_ = style.colour_for(group).lstrip("#")
            assert int(hex_, 16) in pixels, f"{path.name}: {group} is not drawn in {style.colour_for(group)}"
            checked.add((group, record["notebook"]))
    notebooks_with_immigrants = {nb for group, nb in checked if group == "innvandrere"}
    assert len(notebooks_with_immigrants) >= 4, checked  # the same colour across chapters


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


def test_summary_concludes_per_theme_tables_every_headline_indicator_and_shows_the_population(book):
    out = all_output(executed(book["edition"], "chapters/02-sammendrag.ipynb"))
    assert "innvandrere i Norge" in out and "#fig-befolkning-antall-landbakgrunn " in out
    assert "flyktningbakgrunn" in out and "#fig-flyktningbakgrunn-antall-grupper " in out
    table = out.split("{#tbl-sammendrag}")[0].rsplit("| Indikator |", 1)[1]
    for indicator in load_catalogue().headline():
        assert f"| {indicator.name} |" in table, indicator.id
    nb = executed(book["edition"], "chapters/02-sammendrag.ipynb")
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert [h.split(" {")[0] for h in headings] == ["## Hovedbudskap per tema", "## Hovedindikatorene",
                                                    "## Befolkningen"]
    assert out.index("**Arbeid og sysselsetting**") < out.index("{#tbl-sammendrag}") \
        < out.index("## Hva utgaven dekker {#sec-dekning}") < out.index("innvandrere i Norge")


def test_indicator_appendix_resolves_every_reference_from_the_themes(book):
    appendix = all_output(executed(book["edition"], "chapters/90-om-indikatorene.ipynb"))
    anchors = set(re.findall(r"\{#(sec-om-[a-z0-9-]+)\}", appendix))
    assert anchors == {f"sec-om-{slug(i.id)}" for i in load_catalogue().indicators}
    for rel in THEMES:
        for ref in re.findall(r"@(sec-om-[a-z0-9-]+)", all_output(executed(book["edition"], rel))):
            assert ref in anchors
    source = "".join(c.source for c in executed(book["edition"], "chapters/90-om-indikatorene.ipynb").cells)
    assert "Kitagawas metode" in source and "Når modellene ikke bør brukes" in source


# --------------------------------------------------------------------------- key messages


def key_message_cell(rel: str) -> str:
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "show_key_messages(" in c.source]
    assert len(cells) == 1, rel
    return cells[0].source


@pytest.mark.parametrize("rel, theme", THEMES.items())
def test_the_key_message_cell_comes_first_and_ranks_every_indicator_of_its_chapter(rel, theme):
    """Its code shows which indicators (all of the theme's, by id) and which models it ranks."""
    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "show_key_messages(" in code[2].source  # right after the parameters and the plumbing
    options, body = options_and_code(key_message_cell(rel))
    assert "#| echo: false" not in options  # its code is shown (folded on the web)
    listed = re.findall(r'"(\w+)"', body.split("for i in (", 1)[1].split(")]", 1)[0])
    assert listed == [i.id for i in load_catalogue().by_theme(theme)]
    assert "models = [standard_models(series, window=params.window) for series in chapter]" in body
    assert f'show_key_messages(chapter, models, params, theme="{theme}")' in body


def _same(a, b) -> bool:
    """Two fitted models (or None) are the same: equal records (NaN equal to NaN)."""
    if a is None or b is None:
        return a is b
    return repr(a.to_dict() if hasattr(a, "to_dict") else a) == repr(b.to_dict() if hasattr(b, "to_dict") else b)


@pytest.mark.parametrize("rel, theme", THEMES.items())
def test_the_key_messages_rank_the_models_each_indicator_cell_fits(rel, theme):
    """The key-message cell fits the chapter's models once, with standard_models; each
    indicator's cell below fits its own. Run every indicator cell's code with show_indicator
    recording what it is given: the group, trend, gap and change are the same models."""
    from indikatorer.analysis.models import fit_trend, gap_trend, latest_change, standard_models
    from indikatorer.data.selection import gap_frame, reference_group

    params = EditionParams.from_cell(**PARAMETERS)
    obs = edition_observations(params)
    catalogue = load_catalogue()
    given = {}

    def record(series, params, *, intro, **models):
        given[series.indicator.id] = models

    nb = nbformat.read(str(paths.PROJECT_ROOT / rel), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "show_indicator(" in cell.source:
            exec(options_and_code(cell.source)[1], {
                "catalogue": catalogue, "obs": obs, "params": params, "select_series": select_series,
                "fit_trend": fit_trend, "gap_trend": gap_trend, "latest_change": latest_change,
                "show_indicator": record})
    for ind in catalogue.by_theme(theme):
        series = select_series(obs, ind)
        standard, cell = standard_models(series, window=params.window), given[ind.id]
        if not series.has_numbers:  # no section and not ranked: neither fits anything
            assert standard.group is None and all(m is None or not m.fitted for m in cell.values()), ind.id
            continue
        for name in ("trend", "gap", "change"):
            mine, theirs = cell.get(name), getattr(standard, name)
            if name == "gap" and theirs is None and mine is not None:
                # a gap model on years where the reference has no number: nothing to tell
                assert not mine.fitted and gap_frame(series.main, mine.group, reference_group(ind)).empty
                continue
            assert _same(mine, theirs), (ind.id, name, mine, theirs)
            if mine is not None:
                assert mine.group == standard.group, (ind.id, name)


BULLET = re.compile(r"^- \*\*\[(?P<name>[^]]+)\]\(#sec-(?P<slug>[a-z0-9-]+)\)\*\*(?P<older> \(eldre tall\))?\. "
                    r"(?P<rest>.*)$", re.M)
DEVELOPMENT = re.compile(r" (?P<sentence>(?:Fra (?P<first>\d{4}) til (?P<last>\d{4}) |Det er for få ).*)$")


def key_messages_of(out: str) -> list[dict]:
    """The key messages printed by a theme notebook's first cell, each split into the numbers
    sentence (findings' words) and the development sentence."""
    messages = []
    for match in BULLET.finditer(out):
        rest = match["rest"]
        development = DEVELOPMENT.search(rest)
        assert development, rest
        messages.append({**match.groupdict(), "numbers": rest[:development.start()],
                         "development": development["sentence"], "first": development["first"],
                         "last": development["last"]})
    return messages


def section_outputs(nb) -> dict[str, str]:
    """Indicator id → what its cell printed."""
    out = {}
    for cell in nb.cells:
        match = re.match(r'ind = catalogue\["(\w+)"\]', options_and_code(cell.source)[1]) \
            if cell.cell_type == "code" else None
        if match and "show_indicator(" in cell.source:
            out[match.group(1)] = cell_output(cell)
    return out


@pytest.mark.parametrize("rel", THEMES)
def test_key_messages_agree_with_the_sections_below_same_numbers_same_directions(book, rel):
    nb = executed(book["edition"], rel)
    first = next(cell_output(c) for c in nb.cells if c.cell_type == "code" and "show_key_messages(" in c.source)
    messages = key_messages_of(first)
    assert 3 <= len(messages) <= 5, first
    sections = section_outputs(nb)
    for message in messages:
        indicator_id = message["slug"].replace("-", "_")
        section = " ".join(sections[indicator_id].split())
        assert " ".join(message["numbers"].split()) in section, message  # the section's own sentence
        words, period = message["development"], f"Fra {message['first']} til {message['last']}"
        if words.startswith("Det er for få"):
            assert "er ikke beregnet" in section or "Tallgrunnlaget er tynt" in section, message
            continue
        level, _, gap = words.partition(", ")
        if re.search(r" (økte|gikk ned) \w+$", level.removesuffix(".")):
            verb = "økte" if " økte " in level else "gikk ned"
            assert f"{period} {verb} " in section and "konfidensintervall" in section, message
        elif "ingen klar utvikling" in level or "endret verken" in level:
            assert f"{period} var det ingen klar trend" in section, message
        if "forskjellen ble mindre" in words or "ble forskjellen mindre" in words:
            assert re.search(rf"{period} ble (forskjellen|.*) mindre", section), message
        elif "forskjellen ble større" in words or "ble forskjellen større" in words:
            assert re.search(rf"{period} ble (forskjellen|.*) større", section), message
        elif "forskjellen endret seg ikke klart" in words or "endret verken" in words:
            assert f"{period} var det ingen klar endring i forskjellen" in section, message


def test_the_summary_concludes_each_theme_with_the_first_key_message_of_its_chapter(book):
    summary = all_output(executed(book["edition"], "chapters/02-sammendrag.ipynb"))
    catalogue = load_catalogue()
    for rel, theme in THEMES.items():
        nb = executed(book["edition"], rel)
        first = next(cell_output(c) for c in nb.cells if c.cell_type == "code" and "show_key_messages(" in c.source)
        lead = key_messages_of(first)[0]
        title = catalogue.themes[theme]
        conclusion = next(p.strip() for p in summary.split("\n\n") if p.strip().startswith(f"**{title}**"))
        older = " (eldre tall)" if lead["older"] else ""
        assert conclusion.startswith(f"**{title}**{older}. {lead['numbers']} {lead['development']} ")
        assert conclusion.endswith(f"Se @sec-hovedbudskap-{theme}.")


def test_older_numbers_are_marked_in_the_chapter_and_the_summary_table_and_no_figures_said_once(book):
    """Stale: the newest number older than year − 3 — marked once under the section's heading
    and as «eldre tall» in the summary table. «No figures» is said at most once per indicator."""
    from indikatorer.analysis.models import standard_models
    from indikatorer.data.coverage import Status, coverage
    from indikatorer.data.selection import COMPARISON_GROUPS

    params = EditionParams.from_cell(**PARAMETERS)
    obs = edition_observations(params)
    summary = pd.read_csv(book["edition"] / "chapters/figures/sammendrag.csv", dtype=str, keep_default_na=False)
    status_words = dict(zip(summary["indicator"], summary["status"]))
    said = 0
    for rel, theme in THEMES.items():
        sections = section_outputs(executed(book["edition"], rel))
        for ind in load_catalogue().by_theme(theme):
            seen = coverage(select_series(obs, ind), params)
            out = sections[ind.id]
            assert out.count("**Eldre tall.**") == int(seen.status == Status.OLDER), ind.id
            if ind.id in status_words:
                expected = {Status.CURRENT: "oppdatert", Status.OLDER: "eldre tall", Status.NONE: "ingen tall"}
                assert status_words[ind.id] == expected[seen.status], ind.id
            shown = re.sub(r'fig-alt="(?:[^"\\]|\\.)*"', "", out)  # the text, not the alt text repeating it
            lacking = len(re.findall(r"Datagrunnlaget har (?:ingen|ikke nyere) tall|Ingen tall i denne utgaven",
                                     shown))
            # Said once where the data have only a total (the findings are about it), else never:
            # not per breakdown, not «no newer figures than» (the level names its year).
            total_only = standard_models(select_series(obs, ind), window=params.window).group in COMPARISON_GROUPS
            assert lacking == int(total_only), (ind.id, lacking)
            said += lacking
    assert said == 2, said
