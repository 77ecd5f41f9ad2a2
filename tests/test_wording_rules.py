"""Issue 10, items 3 and 4: every generated sentence true by construction, and sound statistics.

Each rule has a unit test with the 2024 edition's case as its example (the wording and analysis
layers, and the real data snapshot where the case is in the data), and the end of the file checks
the shared real edition (``real_edition``) for every example string the issue quotes.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from indikatorer.analysis import trends
from indikatorer.analysis.models import fit_trend, latest_change
from indikatorer.core.params import EditionParams
from indikatorer.data import catalogue as catalogue_module
from indikatorer.data.catalogue import load_catalogue
from indikatorer.data.observations import load_observations
from indikatorer.data.published import superseded
from indikatorer.data.revisions import indicator_revisions, superseded_rows
from indikatorer.data.selection import edition_observations, select_series
from indikatorer.report import text
from indikatorer.report.categories import Category, categories_sentence, distribution_sentence
from indikatorer.report.findings import facet_sentence, findings
from indikatorer.report.summary import _gap_change_text
from indikatorer.report.tables import status_note, wide_table

PARAMS = EditionParams.from_cell(2024, 2010, ["sex", "botid", "region", "reason"])


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def obs():
    """The 2024 edition's observations (the committed snapshot)."""
    return edition_observations(PARAMS, load_observations(year_max=2024))


def _series(obs, cat, indicator_id):
    return select_series(obs, cat[indicator_id])


# --------------------------------------------------------------------------- categories


def test_two_categories_are_compared_never_ranked():
    # 3.1, 2015: «høyest blant menn (63,7 prosent) og lavest blant kvinner (56,4 prosent)»
    sentence = categories_sentence("Blant innvandrere", "andelen sysselsatte",
                                   [Category("blant kvinner", 56.4, 1), Category("blant menn", 63.7, 1)],
                                   2015, "prosent", noun="kjønnene")
    assert sentence == ("Blant innvandrere var andelen sysselsatte høyere blant menn (63,7 prosent) enn "
                        "blant kvinner (56,4 prosent) i 2015.")
    assert "høyest" not in sentence and "lavest" not in sentence


def test_three_or_more_are_ranked_saying_among_how_many():
    regions = [Category(f"for {name}", value, 1) for name, value in
               (("Norden", 78.4), ("Afrika", 53.3), ("Asia", 60.1), ("Oseania", 70.0))]
    sentence = categories_sentence("Blant innvandrere", "andelen sysselsatte", regions, 2020, "prosent",
                                   noun="landbakgrunnene")
    assert sentence == ("Blant innvandrere var andelen sysselsatte høyest for Norden (78,4 prosent) og lavest "
                        "for Afrika (53,3 prosent) av de 4 landbakgrunnene med tall for 2020.")


def test_a_ranking_is_never_drawn_from_two_of_eight_regions():
    # 3.5, 2020: only Norden and Vest-Europa have numbers of the 8 regions a figure shows
    two = [Category("for Vest-Europa utenom Norden", 0.3, 1), Category("for Norden", 0.2, 1)]
    sentence = categories_sentence("Blant innvandrere", "andelen deltakere på arbeidsmarkedstiltak", two,
                                   2020, "prosent", noun="landbakgrunnene", shown=8)
    assert "høyest" not in sentence and "lavest" not in sentence
    assert "høyere for Vest-Europa utenom Norden (0,3 prosent) enn for Norden (0,2 prosent) i 2020" in sentence
    assert sentence.endswith("Bare 2 av de 8 landbakgrunnene i figuren har tall for 2020.")


def test_ties_as_printed_are_named_together():
    # 3.4, 2020: Norden and Nord-Amerika og Oseania both 4,9 — not «lavest for» one of them
    regions = [Category("for Afrika", 13.7, 1), Category("for Asia", 10.3, 1),
               Category("for Norden", 4.9, 1), Category("for Nord-Amerika og Oseania", 4.9, 1)]
    sentence = categories_sentence("Blant innvandrere", "andelen", regions, 2020, "prosent", noun="landbakgrunnene")
    assert "lavest for Norden (4,9 prosent, det samme som for Nord-Amerika og Oseania)" in sentence
    same = categories_sentence("", "andelen", [Category("blant menn", 9.04, 1), Category("blant kvinner", 8.96, 1)],
                               2020, "prosent")
    assert same == "Andelen var 9,0 prosent for begge i 2020."


def test_an_unknown_category_is_never_ranked_and_the_group_is_not_named_twice(obs, cat):
    # 2 (summary), 2017: «… høyest for Familie (15 974 personer) og lavest for Ukjent (1 person)»
    reasons = _series(obs, cat, "innvandringer_grunn_antall").by("reason")
    sentence = facet_sentence(reasons, "other_value", "innvandrere", 2017, "antallet innvandringer", "personer",
                              noun="innvandringsgrunnene")
    assert "ukjent" not in sentence.lower() and "lavest for ukjent" not in sentence
    assert "av de 5 innvandringsgrunnene med tall for 2017" in sentence
    stock = _series(obs, cat, "innvandrere_grunn_antall").by("reason")
    sentence = facet_sentence(stock, "other_value", "innvandrere", 2021, "antallet innvandrere", "personer")
    assert sentence.startswith("Antallet innvandrere var høyest for ") and "Blant innvandrere" not in sentence


def test_the_categories_of_a_distribution_are_listed_never_ranked(obs, cat):
    # 4.4, 2011: «høyest for universitets- og høgskolenivå, kort … lavest for … lang»
    series = _series(obs, cat, "hoyere_utdanning_andel")
    assert cat["hoyere_utdanning_andel"].measure == "distribution"
    sentence = facet_sentence(series.main, "other_value", "innvandrere", 2011, "andelen med høyere utdanning",
                              "prosent", distribution=series.distribution)
    assert sentence == ("Fordelingen etter utdanningsnivå blant innvandrere i 2011: universitets- og "
                        "høgskolenivå, kort (18,5 prosent) og universitets- og høgskolenivå, lang (10,5 prosent).")
    assert distribution_sentence("", "utdanningsnivå", [], 2011, "prosent") == ""


def test_every_distribution_in_the_catalogue_is_declared(cat, obs):
    """The indicators whose main series is a distribution of one population say so (measure),
    so the wording never ranks their categories; the one whose categories are groups (the test
    result by education) does not."""
    declared = {i.id for i in cat.indicators if i.measure == "distribution"}
    assert declared == {"hoyere_utdanning_andel", "utdanningsniva_fordeling", "utdanningsniva_imdi_fordeling"}
    for indicator_id in declared:
        assert _series(obs, cat, indicator_id).distribution, indicator_id


# --------------------------------------------------------------------------- shares of a total


def test_a_share_of_a_total_is_told_as_such(obs, cat):
    # 5.7, 2019: «Andelen av utbetalt økonomisk sosialhjelp blant innvandrere var 56 prosent»
    indicator = cat["sosialhjelp_utbetalinger_andel"]
    assert indicator.measure == "share_of_total"
    found = findings(_series(obs, cat, indicator.id), PARAMS)
    told = "\n".join(found.sentences)
    assert "56 prosent av utbetalt økonomisk sosialhjelp gikk til innvandrere i 2019." in found.sentences
    assert "blant innvandrere var 56" not in told.lower() and "blant innvandrere" not in told
    assert text.share_subject("utbetalt økonomisk sosialhjelp", "gikk til", "Innvandrere") == \
        "andelen av utbetalt økonomisk sosialhjelp som gikk til innvandrere"


def test_the_catalogue_requires_the_total_of_a_share(cat):
    raw = {"version": 1, "themes": {"levekar": "Levekår"}, "indicators": []}
    base = {"id": "x_andel", "theme": "levekar", "name": "X", "subject": "andelen x", "definition": "X.",
            "unit": "prosent", "population": "Alle", "direction": "neutral", "reference_group": None,
            "frequency": "yearly", "sources": [{"kind": "published", "series": "s"}]}
    problems = lambda **extra: catalogue_module.validate_catalogue(  # noqa: E731
        {**raw, "indicators": [{**base, **extra}]}, group_codes=set())
    assert problems() == []
    assert any("needs 'share_of: {total, verb}'" in p for p in problems(measure="share_of_total"))
    assert problems(measure="share_of_total", share_of={"total": "utbetalt sosialhjelp", "verb": "gikk til"}) == []
    assert any("only for measure share_of_total" in p for p in problems(share_of={"total": "a", "verb": "b"}))
    assert any("unknown measure" in p for p in problems(measure="rank"))


# --------------------------------------------------------------------------- years and units


def test_a_change_in_a_gap_carries_its_unit_and_year():
    # 2 (summary table), 2023: «0,7 større enn i 2022» → «0,7 prosentpoeng større enn i 2022»
    gaps = pd.DataFrame({"gap": [-10.9, -11.6]}, index=[2022, 2023])
    change, words = _gap_change_text(gaps, (), "prosent", {2022: 1, 2023: 1})
    assert words == "0,7 prosentpoeng større enn i 2022" and change == pytest.approx(0.7)


def test_a_gap_between_sources_of_different_precision_takes_the_coarser(obs, cat):
    # 6.1, 2015: innvandrere 40 (printed without decimals) against 63,7 → −24, never −23,7
    sentence = text.gap_sentence("valgdeltakelsen", "Innvandrere", "Norske statsborgere uten innvandrerbakgrunn",
                                 40.0, 63.7, 2015, decimals=0, reference_decimals=1)
    assert "24 prosentpoeng lavere" in sentence and "23,7" not in sentence and "(40 mot 63,7 prosent)" in sentence
    series = _series(obs, cat, "valgdeltakelse_kommunestyre")
    table, formats, _ = wide_table(series.main, "norske_statsborgere_uten_innvandrerbakgrunn", "prosent")
    row = table.index[table["year"] == 2015][0]
    unit, decimals = formats["gap_innvandrere"]
    assert table.loc[row, "gap_innvandrere"] == pytest.approx(-23.7) and decimals[row] == 0


# --------------------------------------------------------------------------- breakdowns the data hold


def test_breakdowns_the_data_hold_are_selected(obs, cat):
    # turnout 2015 by reason; social assistance paid 2023 by country; the 2022 intro cohort
    reasons = _series(obs, cat, "valgdeltakelse_kommunestyre").by("reason").dropna(subset=["value"])
    assert set(reasons["year"]) == {2015} and len(reasons) == 5
    assert set(reasons["other_value"]) == {"Flyktningbakgrunn", "Arbeidsinnvandrere", "Annen familieinnvandring",
                                           "Utdanning", "Uoppgitt og annet"}
    countries = _series(obs, cat, "sosialhjelp_utbetalinger_andel").by("region").dropna(subset=["value"])
    assert countries[["year", "region", "value"]].values.tolist() == [[2023, "land:Ukraina", 16.0]]
    sentence = facet_sentence(countries, "region", "sosialhjelpsmottakere", 2023, "x", "prosent",
                              share_of=cat["sosialhjelp_utbetalinger_andel"].share_of)
    assert sentence == ("16 prosent av utbetalt økonomisk sosialhjelp gikk til sosialhjelpsmottakere med "
                        "landbakgrunn Ukraina i 2023.")
    intro = _series(obs, cat, "intro_arbeid_utdanning_andel")
    assert intro.values("innvandrere")[2022] == 65.0
    assert set(intro.by("sex").query("year == 2022")["value"]) == {59.0, 73.0}


# --------------------------------------------------------------------------- statistics


def test_the_trend_of_sysselsatte_is_fitted_on_2017_2023_only(obs, cat):
    # 3.1: «Fra 2014 til 2023 økte …» when only 2017–2023 can carry a slope
    series = _series(obs, cat, "sysselsatte_andel")
    result = fit_trend(series, "innvandrere", series.breaks, window=PARAMS.window)
    assert result.fitted and result.years_used == (2017, 2023) and result.breaks_used == ()
    assert set(result.left_out) and max(result.left_out) < 2017
    assert result.fitted_values()["year"].min() == 2017
    sentence = text.trend_sentence(result, indicator_name="andelen sysselsatte", group_label="innvandrere")
    assert sentence.startswith("Fra 2017 til 2023 ") and "Fra 2014" not in sentence


def test_citizenship_counts_are_modelled_on_the_log_scale(obs, cat):
    # 6.x: the band of the citizenship trend went down to −10 000 persons
    series = _series(obs, cat, "statsborgerskap_overganger")
    group = series.main["group"].iloc[0]
    result = fit_trend(series, group, series.breaks, window=PARAMS.window)
    assert result.scale == "log" and result.fitted
    band = result.fitted_values()
    assert (band["ci_low"] > 0).all()
    sentence = text.trend_sentence(result, indicator_name="antallet overganger", unit="personer")
    assert re.search(r"[+−]\d+,\d prosent per år", sentence) and "personer per år" not in sentence


def test_the_change_test_is_given_where_counts_allow_and_said_impossible_where_not(cat):
    # sysselsatte_andel has the persons (from sysselsatte_antall) to 2020: the 2020 edition's
    # change 2019→2020 gets its interval; the 2024 edition's 2022→2023 cannot
    params_2020 = EditionParams.from_cell(2020, 2006, ["sex"])
    obs_2020 = edition_observations(params_2020, load_observations(year_max=2020))
    with_counts = latest_change(select_series(obs_2020, cat["sysselsatte_andel"]), "innvandrere")
    assert (with_counts.from_year, with_counts.to_year) == (2019, 2020)
    test = with_counts.uncertainty
    assert test is not None and test.ci_low < with_counts.change < test.ci_high
    sentences = findings(select_series(obs_2020, cat["sysselsatte_andel"]), params_2020, change=with_counts).sentences
    told = next(s for s in sentences if s.startswith("Fra 2019 til 2020"))
    assert "konfidensintervall" in told and text.NO_UNCERTAINTY not in told
    obs_2024 = edition_observations(PARAMS, load_observations(year_max=2024))
    without = latest_change(select_series(obs_2024, cat["sysselsatte_andel"]), "innvandrere")
    assert without.uncertainty is None and without.reason is trends.ChangeReason.SHARES_ONLY
    told = next(s for s in findings(select_series(obs_2024, cat["sysselsatte_andel"]), PARAMS,
                                    change=without).sentences if s.startswith("Fra 2022 til 2023"))
    assert told.endswith(text.NO_UNCERTAINTY) and "Usikkerheten i endringen kan ikke beregnes" in told


def test_a_change_test_from_counts_matches_the_two_proportion_formula():
    change = trends.change({2019: 65.0, 2020: 66.0}, 2019, 2020, {2019: 40000, 2020: 42000})
    p1, p2 = 0.65, 0.66
    se = np.sqrt(p1 * (1 - p1) / 40000 + p2 * (1 - p2) / 42000)
    assert change.uncertainty.ci_low == pytest.approx(100 * (0.01 - 1.959964 * se), abs=1e-4)


# --------------------------------------------------------------------------- vintages


def test_citizenship_2017_2018_are_flagged_as_superseded(obs, cat):
    series = _series(obs, cat, "statsborgerskap_overganger")
    flagged = series.main[superseded(series.main["note"]) != ""]
    assert sorted(flagged["year"]) == [2017, 2018]
    assert superseded(flagged["note"]).str.contains("1. februar 2024").all()
    table, formats, _ = wide_table(series.main, None, "personer")
    column = series.main["group"].iloc[0]
    cells = [formats[column](v) for v in table[column]]
    assert "21\u00a0648*" in cells and "10\u00a0268*" in cells and "13\u00a0712" in cells
    assert status_note(series.main, marked=True)[0].startswith("* Tallene for 2017–2018 er første publisering: SSB rettet")
    rows = superseded_rows(obs)
    assert set(rows["indicator"]) == {"statsborgerskap_overganger"}


def test_revised_printings_are_matched_to_their_indicators(cat):
    revised = indicator_revisions(cat)
    intro = revised[revised["indicator"] == "intro_arbeid_utdanning_andel"].iloc[0]
    assert (intro["year"], intro["value"], intro["kept_value"]) == (2019, "61", "62")
    assert intro["released"] < intro["kept_released"]
    # every one is a changed value, used in the book in its newest printing
    assert (revised["value"] != revised["kept_value"]).all()


def test_the_import_marks_declared_corrections_and_refuses_one_that_matches_nothing():
    import importlib.util
    from indikatorer.core import paths

    spec = importlib.util.spec_from_file_location("import_published", paths.PROJECT_ROOT / "tools" / "import_published.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    kept = [{"series": "citizenship_acquisitions", "year": "2018", "released": "2019-03-26", "note": ""},
            {"series": "citizenship_acquisitions", "year": "2023", "released": "2024-05-02", "note": ""},
            {"series": "citizenship_acquisitions", "year": "2019", "released": "2024-05-02", "note": ""}]
    known = tool.read_known_revisions(tool.KNOWN_REVISIONS_FILE)
    assert tool.mark_superseded(kept, known) == []
    assert kept[0]["note"].startswith("SUPERSEDED: SSB rettet tallene for 2017, 2018 og 2019")
    assert kept[1]["note"] == "" and kept[2]["note"] == ""  # another year; a printing after the correction
    assert tool.mark_superseded([], known) == [
        "known revision citizenship_acquisitions 2017 2018 2019: no figure to mark"]


# --------------------------------------------------------------------------- the real edition


def _outputs(edition) -> dict[str, str]:
    """Every executed notebook's Markdown output, by notebook."""
    found = {}
    for nb in sorted(list(edition.staging_dir.glob("notebooks/*.ipynb")) +
                     list(edition.staging_dir.glob("chapters/*.ipynb"))):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        parts = []
        for cell in cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    parts.append("".join(output["text"]))
                elif "data" in output:
                    parts.append("".join(output["data"].get("text/markdown", "")))
        found[nb.name] = "\n".join(parts)
    return found


@pytest.mark.parametrize("wrong", [
    "høyest for universitets- og høgskolenivå",                 # 4.4: a distribution ranked
    "høyest blant menn", "høyest blant kvinner",                # two categories «høyest/lavest»
    "lavest blant menn", "lavest blant kvinner",
    "høyest for Kvinner", "høyest for Menn",                    # … and in a chart's alt text
    "høyest for Vest-Europa utenom Norden (0,3 prosent) og lavest for Norden",  # 3.5: 2 of 8 regions
    "var 56 prosent blant innvandrere",                         # 5.7: a share of a total
    "blant innvandrere var 56 prosent",
    "Samtidig hadde",                                           # 2.1: a count beside a share of another year
    "0,7 større enn i 2022",                                    # a change without its unit
    "−23,7",                                                    # 6.1: false precision
    "Fra 2014 til 2023 økte andelen sysselsatte",               # a slope over a one-point segment
    "personer per år (95 prosent konfidensintervall: −",        # a count's band below zero
    "og lavest for ukjent",                                     # «ukjent» ranked as a group
    "Blant innvandrere var antallet innvandrere",
])
def test_the_2024_edition_has_none_of_the_issues_examples(real_edition, wrong):
    hits = [name for name, out in _outputs(real_edition).items() if wrong in out]
    assert not hits, f"{wrong!r} in {hits}"


def test_the_2024_edition_shows_what_the_data_hold_and_flags_what_ssb_corrected(real_edition):
    out = _outputs(real_edition)
    deltakelse, levekar, utdanning = out["04-deltakelse.ipynb"], out["03-levekar.ipynb"], out["02-utdanning.ipynb"]
    assert "{#fig-valgdeltakelse-kommunestyre-innvandringsgrunn " in deltakelse
    assert "valgdeltakelsen ved kommunestyrevalg etter innvandringsgrunn" not in deltakelse
    assert "16 prosent av utbetalt økonomisk sosialhjelp gikk til sosialhjelpsmottakere med landbakgrunn Ukraina i 2023." in levekar
    assert "blant innvandrere var 65 prosent i 2022." in utdanning
    assert "| 2017 | 21\u00a0648* |" in deltakelse and "SSBs første publisering og er senere rettet" in deltakelse
    audit = out["91-slik-er-tallene-laget.ipynb"]
    assert "## Reviderte tall {#sec-reviderte-tall}" in audit and "| 10\u00a0268 |" in audit
    summary = out["02-sammendrag.ipynb"]
    assert "0,7 prosentpoeng større enn i 2022" in summary
    assert "Fra 2017 til 2023 økte andelen sysselsatte blant innvandrere" in out["01-arbeid.ipynb"]
    assert text.NO_UNCERTAINTY in out["01-arbeid.ipynb"]
