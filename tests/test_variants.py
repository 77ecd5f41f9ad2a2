"""Editions other than the standard one, each built as the build builds it (no render) or run
by hand with papermill: the Oslo edition (geography F03, 2019), the participation chapter with
breakdowns=["sex"], and a geography the snapshot does not have.

These builds do not read the shared real edition, so under pytest-xdist they run on the
worker that is not building it (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from indikatorer.core import paths
from indikatorer.data.observations import load_observations
from indikatorer.publish import build, render
from test_notebooks import REFERENCE, all_output, coverage_rows, executed

pytestmark = pytest.mark.slow

OSLO = {"geography": "F03", "first_year": 2009}


@pytest.fixture(scope="module")
def oslo(tmp_path_factory):
    """The Oslo edition of 2019, every notebook executed (not rendered): its staging folder."""
    root = tmp_path_factory.mktemp("oslo")
    result = build.build_edition(year=2019, overrides=OSLO, render=False,
                                 build_dir=root / "build", book_dir=root / "_book")
    return result.staging_dir


@pytest.fixture(scope="module")
def only_sex(tmp_path_factory):
    """The participation chapter (its election turnout has every breakdown) of the newest
    edition with breakdowns=["sex"]: its staging folder."""
    root = tmp_path_factory.mktemp("only_sex")
    result = build.build_edition(overrides={"breakdowns": ["sex"]}, only=["04-deltakelse"], render=False,
                                 build_dir=root / "build", book_dir=root / "_book")
    return result.staging_dir


def test_only_the_requested_breakdowns_are_drawn(only_sex):
    out = all_output(executed(only_sex, "notebooks/04-deltakelse.ipynb"))
    assert "#fig-valgdeltakelse-kommunestyre-kjonn " in out
    for other in ("botid", "landbakgrunn", "innvandringsgrunn"):
        assert f"-{other} " not in out and f"-{other}-tabell" not in out
    pngs = {p.stem for p in (only_sex / "notebooks/figures").glob("*.png")}
    assert pngs and all(p.endswith(("-grupper", "-kjonn")) for p in pngs), pngs


def test_a_geography_not_in_the_snapshot_is_a_clear_error(tmp_path):
    """Run by hand (papermill -p geography 03): the notebook stops with the one-line error."""
    env = {**os.environ, "INDIKATORER_NOTEBOOK": REFERENCE, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(paths.PROJECT_ROOT / REFERENCE), str(tmp_path / "out.ipynb"),
         "--cwd", str(tmp_path), "--no-progress-bar", "-y", json.dumps({"geography": "03"})],
        env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "geography '03' is not in the data snapshot" in done.stderr


def test_the_oslo_edition_shows_what_exists_there_and_lists_the_rest_once(oslo):
    summary = all_output(executed(oslo, "chapters/02-sammendrag.ipynb"))
    assert summary.count("Denne utgaven gjelder Oslo (områdekode F03 og K0301)") == 1
    have = summary.split("{#sec-dekning}", 1)[1].split("| Indikator |", 1)[0]
    lack = coverage_rows(summary)
    assert "- Fullført videregående opplæring (IMDis fylkestall)" in have
    assert "- Innvandrere etter innvandringsgrunn" in have
    assert "Sysselsatte" in lack and "Fullført videregående opplæring (IMDis fylkestall)" not in lack
    assert len(lack) == len(set(lack))  # each once
    assert "Ingen tall i denne utgaven" not in summary  # no repeated no-data callouts
    education = executed(oslo, "notebooks/02-utdanning.ipynb")
    text = all_output(education)
    assert "{#fig-vgo-fullfort-imdi-andel-grupper" in text and "Ingen tall i denne utgaven" not in text
    # An indicator without numbers for Oslo has no section (the summary lists it once).
    assert "{#sec-barnehage-minoritetsspraklige-andel}" not in text
    assert "Minoritetsspråklige barn i barnehage" in lack
    # The chart holds Oslo's figures (F03), not the national sums.
    data = pd.read_csv(oslo / "notebooks/figures/vgo-fullfort-imdi-andel-grupper.csv", dtype=str)
    shown_oslo = load_observations().query("indicator == 'vgo_fullfort_imdi_andel' and geography == 'F03' "
                                           "and sex == 'alle' and year == 2019").set_index("group")["value"]
    shown = data[data["year"] == "2019"].set_index("group")["value"].astype(float)
    assert shown["innvandrere"] == shown_oslo["innvandrere"] == 66.1


def hand_written_citations() -> set[str]:
    """The figures the narrative (the notebooks' markdown cells) cites with @fig-…."""
    cited = set()
    for source in sorted(paths.PROJECT_ROOT.glob("*/*.ipynb")):
        nb = nbformat.read(source, as_version=4)
        cited |= {m for c in nb.cells if c.cell_type == "markdown"
                  for m in re.findall(r"@(fig-[a-z0-9-]+)", c.source)}
    return cited


def test_a_second_edition_resolves_every_reference_and_has_every_cited_figure(oslo):
    """Figure labels follow one rule from the indicator id (fig-<id, _ → ->-<part>), so the text
    may cite a figure — one that exists in every edition. The Oslo edition (another year and a
    county: it lacks employment altogether) resolves every reference through the preview's
    check, and has every figure the narrative cites; test_book checks the same of the real
    edition."""
    render.check_references(oslo)
    assert_cited_figures_exist(oslo)


def assert_cited_figures_exist(staging) -> None:
    outputs = "".join(o.get("text", "") for nb in sorted(staging.glob("*/*.ipynb"))
                      for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    for ref in hand_written_citations():
        assert "{#" + ref + " " in outputs, f"{ref} is cited but missing from {staging}"
