"""What a chapter selects, fits and shows — indikatorer.data.selection, the models of
indikatorer.analysis.models and the report modules that present them — on small hand-made
observations."""

from __future__ import annotations

import json
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import dataclasses  # noqa: E402

from indikatorer.analysis.trends import Direction, GapChange  # noqa: E402
from indikatorer.analysis.models import fit_trend, gap_trend, latest_change, standard_models  # noqa: E402
from indikatorer.core.errors import UserError  # noqa: E402
from indikatorer.core.params import EditionParams  # noqa: E402
from indikatorer.data import selection  # noqa: E402
from indikatorer.data.catalogue import Break, Catalogue, Indicator  # noqa: E402
from indikatorer.data.observations import TIDY_COLUMNS  # noqa: E402
from indikatorer.data.selection import select_series, series_rows  # noqa: E402
from indikatorer.report import appendix, figures, findings as findings_module, style, summary  # noqa: E402
from indikatorer.report.findings import facet_sentence, findings  # noqa: E402
from indikatorer.report.indicator import show_indicator  # noqa: E402
from indikatorer.report.publishing import publish_table  # noqa: E402
from indikatorer.report.tables import wide_table  # noqa: E402

PAGE = "https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2021-03-19"
PARAMS = EditionParams.from_cell(2023, 2010, ["sex", "botid", "region", "reason"], "0", 10)


def row(**changes) -> dict:
    base = {"indicator": "test_andel", "year": 2020, "period": "2020", "group": "innvandrere",
            "sex": "alle", "age": "20-66", "geography": "0", "region": "alle", "region_label": "", "botid": "alle",
            "other_dim": "", "other_value": "", "unit": "prosent", "value": 65.0, "decimals": 1, "status": "ok",
            "source_kind": "published", "source_table": "436217", "source_ref": PAGE,
            "source_file": "data/published/observations.csv", "source_sha256": "a" * 64,
            "retrieved": "unknown", "released": "2021-03-19", "note": ""}
    return {**base, **changes}


def frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    return out.astype({"year": "int64", "value": "float64"})


def indicator(id="test_andel", **changes) -> Indicator:
    fields = dict(id=id, theme="arbeid", name="Testandel", subject="andelen i testen",
                  definition="Andel i test.", unit="prosent",
                  population="20–66 år", direction="higher_better",
                  reference_group="befolkningen_uten_innvandrere", frequency="yearly",
                  sources=[{"kind": "ssb_api", "table": "11607", "status": "unconfirmed"}], caveats=["Et forbehold."])
    return Indicator(**{**fields, **changes})


def catalogue(*indicators) -> Catalogue:
    return Catalogue(version=1, themes={"arbeid": "Arbeid og sysselsetting", "befolkning": "Befolkning"},
                     indicators=list(indicators))


def employment_rows(missing_year=2016) -> list[dict]:
    """Innvandrere and the reference group 2011–2023: 15–74 år to 2016, 20–66 år from 2017, one
    year missing (a `..` row), plus rows that must never reach the main chart."""
    rows = []
    for year in range(2011, 2024):
        age = "15-74" if year < 2017 else "20-66"
        imm = 60.0 + 0.5 * (year - 2011)
        ref = 70.0 + 0.2 * (year - 2011)
        if year == missing_year:
            rows.append(row(year=year, age=age, value=math.nan, status="missing"))
        else:
            rows.append(row(year=year, age=age, value=imm))
        rows.append(row(year=year, age=age, group="befolkningen_uten_innvandrere", value=ref))
    rows += [
        row(year=2023, age="25-39", value=99.0),                             # a sub-band
        row(year=2023, sex="kvinner", value=64.0),                           # by sex
        row(year=2023, sex="menn", value=72.0),
        row(year=2023, region="afrika", value=52.0),                          # by world region
        row(year=2023, region="norden", value=78.0),
        row(year=2023, region="land:Somalia", value=30.0),                    # a country: never
        row(year=2023, other_dim="bostedskommune", other_value="Oslo", value=55.0),  # a municipality: never
    ]
    return rows


@pytest.fixture(autouse=True)
def house_style():
    style.setup()
    yield
    plt.close("all")


# --------------------------------------------------------------------------- parameters


def test_the_notebooks_parameters_are_the_one_parameters_model():
    params = EditionParams.from_cell(2024, 2010, ["sex"], "0", 8)
    assert params.years == (2010, 2024) and params.breakdowns == ("sex",) and params.window == 8
    assert params.to_dict() == {"year": 2024, "first_year": 2010, "breakdowns": ["sex"],
                                "geography": "0", "window": 8}


@pytest.mark.parametrize("kwargs, message", [
    (dict(first_year=2030), "first_year 2030 is after year 2024"),
    (dict(breakdowns=["sex", "alder"]), "unknown breakdown(s) 'alder'; known: sex, botid, region, reason"),
    (dict(window=1), "window must be at least 2"),
    (dict(geography=3), "geography must be a code in quotes"),
])
def test_the_parameters_cell_refuses_what_no_edition_can_show(kwargs, message):
    args = dict(year=2024, first_year=2010, breakdowns=["sex"], geography="0", window=10) | kwargs
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        EditionParams.from_cell(**args)


def test_a_geography_the_snapshot_does_not_have_is_a_clear_error():
    params = EditionParams.from_cell(2024, 2010, ["sex"], "03", 10)
    with pytest.raises(UserError, match=r"geography '03' is not in the data snapshot \(data/published/geographies.csv lists \d+ codes, e\.g\. "):
        selection.edition_observations(params, frame([row()]))


def test_edition_observations_keeps_the_editions_years():
    obs = frame([row(year=y) for y in (2008, 2010, 2023, 2024)])
    kept = selection.edition_observations(PARAMS, obs)
    assert sorted(kept["year"]) == [2010, 2023]


def test_edition_observations_keeps_the_editions_area_on_both_levels():
    obs = frame([row(geography="0", value=60.0), row(geography="F03", value=61.0),
                 row(geography="K0301", value=61.5), row(geography="K0301", year=2011, value=59.0),
                 row(geography="F11", value=70.0)])
    oslo = selection.edition_observations(EditionParams.from_cell(2023, 2010, ["sex"], "F03", 10), obs)
    # F03 wins where both levels have the key; K0301 fills a year F03 lacks; nothing else.
    assert sorted(zip(oslo["year"], oslo["geography"], oslo["value"])) == [(2011, "K0301", 59.0),
                                                                          (2020, "F03", 61.0)]
    city = selection.edition_observations(EditionParams.from_cell(2023, 2010, ["sex"], "K0301", 10), obs)
    assert sorted(city["value"]) == [59.0, 61.5]
    assert selection.edition_observations(PARAMS, obs)["value"].tolist() == [60.0]


def test_overlapping_periods_fit_their_trend_on_every_third_period():
    ind = indicator(frequency="rolling_three_year")
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], index=range(2017, 2024))
    assert selection.trend_points(ind, values).index.tolist() == [2017, 2020, 2023]
    assert selection.trend_points(indicator(), values).index.tolist() == list(range(2017, 2024))


# --------------------------------------------------------------------------- series selection


def test_main_series_is_one_row_per_group_and_year_with_the_newest_age_band():
    series = series_rows(frame(employment_rows()))
    assert not series.duplicated(["year", "group"]).any()
    assert set(series["sex"]) == {"alle"} and set(series["region"]) == {"alle"}
    assert set(series["other_dim"]) == {""}
    bands = series.groupby("year")["age"].first()
    assert bands[2016] == "15-74" and bands[2017] == "20-66" and 99.0 not in set(series["value"])
    assert series.loc[(series["year"] == 2016) & (series["group"] == "innvandrere"), "status"].item() == "missing"


def test_breakdowns_keep_their_own_codes_and_never_countries_or_sub_bands():
    rows = frame(employment_rows() + [row(year=2022, sex="menn", age="25-39", value=90.0)])
    by_sex = series_rows(rows, by="sex")
    assert set(zip(by_sex["year"], by_sex["sex"], by_sex["value"])) == {(2023, "kvinner", 64.0), (2023, "menn", 72.0)}
    by_region = series_rows(rows, by="region")
    assert set(by_region["region"]) == {"afrika", "norden"}
    assert series_rows(rows, by="botid").empty


def test_two_part_country_groups_only_in_years_without_finer_regions():
    rows = frame([row(year=2013, region="landgruppe1", value=70.0), row(year=2013, region="landgruppe2", value=55.0),
                  row(year=2020, region="landgruppe1", value=71.0), row(year=2020, region="afrika", value=50.0)])
    chosen = series_rows(rows, by="region")
    assert set(zip(chosen["year"], chosen["region"])) == {(2013, "landgruppe1"), (2013, "landgruppe2"), (2020, "afrika")}


def test_the_2015_election_split_of_landgruppe_1_is_shown_whole_and_never_beside_landgruppe_1():
    # 2015: «Vest-Europa etc», «Østeuropeiske EØS-land» and «Afrika, Asia etc» split all immigrants
    # in three; eu_ost there is a part of that split, not a finer grouping that hides the others.
    rows = frame([row(year=2015, group=g, region=r, value=v)
                  for g in ("innvandrere", "norskfodte")
                  for r, v in (("eu_ost", 37.2), ("landgruppe1_uten_eu_ost", 60.7), ("landgruppe2", 38.6))]
                 + [row(year=2016, region=r, value=50.0)
                    for r in ("landgruppe1", "landgruppe1_uten_eu_ost", "eu_ost", "landgruppe2")]
                 + [row(year=2013, region=r, value=50.0)
                    for r in ("eu_ost", "afrika", "norden", "landgruppe1", "landgruppe2")])
    chosen = series_rows(rows, by="region")
    by_year = chosen.groupby("year")["region"].agg(set).to_dict()
    assert by_year[2015] == {"eu_ost", "landgruppe1_uten_eu_ost", "landgruppe2"}
    assert set(chosen.loc[chosen["year"] == 2015, "group"]) == {"innvandrere", "norskfodte"}
    assert by_year[2016] == {"eu_ost", "landgruppe1_uten_eu_ost", "landgruppe2"}  # no landgruppe 1 twice
    assert by_year[2013] == {"eu_ost", "afrika", "norden"}  # world regions: no two-part grouping


def test_reason_breakdown_is_the_innvandringsgrunn_dimension():
    rows = frame([row(value=60.0), row(other_dim="innvandringsgrunn", other_value="Flukt", value=45.0),
                  row(other_dim="innvandringsgrunn", other_value="Arbeid", value=80.0),
                  row(other_dim="statsborgerskap", other_value="norske statsborgere", value=70.0),
                  row(other_dim="statsborgerskap", other_value="utenlandske statsborgere", value=40.0)])
    by_reason = series_rows(rows, by="reason")
    assert sorted(by_reason["other_value"]) == ["Arbeid", "Flukt"]
    main = series_rows(rows)
    assert main["value"].tolist() == [60.0]  # a split (statsborgerskap) is not the main series


def test_a_dimension_alone_in_its_cells_describes_the_rows_and_is_the_main_series():
    # What the catalogue left of a source: persons only, printed as «enhet: personer» in some
    # years and without a unit in others; a survey row for another group.
    rows = frame([row(year=2019, other_dim="enhet", other_value="personer", value=82.1),
                  row(year=2022, value=60.0),
                  row(year=2022, group="hele_befolkningen", other_dim="kilde",
                      other_value="utvalgsundersøkelse", value=81.0)])
    assert selection.qualifier_dimensions(rows) == {"enhet", "kilde"}
    series = series_rows(rows)
    assert sorted(zip(series["year"], series["group"], series["value"])) == [
        (2019, "innvandrere", 82.1), (2022, "hele_befolkningen", 81.0), (2022, "innvandrere", 60.0)]


def test_a_dimension_beside_another_row_of_its_cell_is_a_split_never_the_main_series():
    # A subset printed beside the whole group (2022), or a second measure (households beside
    # persons): neither may stand in for the group, not even in a year without the whole group.
    rows = frame([row(year=2022, value=68.9),
                  row(year=2022, other_dim="avgrensing", other_value="utenom flyktninger", value=70.4),
                  row(year=2023, other_dim="avgrensing", other_value="utenom flyktninger", value=70.8),
                  row(year=2020, group="hele_befolkningen", other_dim="enhet", other_value="personer", value=81.8),
                  row(year=2020, group="hele_befolkningen", other_dim="enhet", other_value="husholdninger",
                      value=76.4)])
    assert selection.qualifier_dimensions(rows) == set()
    series = series_rows(rows)
    assert list(zip(series["year"], series["group"], series["value"])) == [(2022, "innvandrere", 68.9)]


def test_a_municipality_is_not_filtered_here_but_by_the_catalogue():
    # Norway as a whole is the catalogue's choice (exclude: {other_dim: bostedskommune}); the
    # chapter keeps no list of local dimensions. Beside the national row, the municipality is a split.
    rows = frame([row(year=2023, value=66.0), row(year=2023, other_dim="bostedskommune", other_value="Oslo",
                                                  value=55.0)])
    assert series_rows(rows)["value"].tolist() == [66.0]
    assert not hasattr(selection, "LOCAL_DIMENSIONS") and not hasattr(selection, "QUALIFIER_DIMENSIONS")


def test_a_distribution_keeps_its_categories():
    rows = frame([row(year=2011, age="16+", other_dim="utdanningsnivå", other_value=level, value=v)
                  for level, v in (("grunnskolenivå", 35.0), ("videregående skole nivå", 25.0))])
    series = series_rows(rows)
    assert sorted(series["other_value"]) == ["grunnskolenivå", "videregående skole nivå"]
    assert selection.distribution_dimension(series, rows) == "utdanningsnivå"


def test_series_breaks_are_the_declared_ones_plus_unannounced_age_changes():
    series = series_rows(frame(employment_rows()))
    declared = indicator(breaks=[Break(2015, "A-ordningen."), Break(2030, "Utenfor.")])
    found = selection.series_breaks(declared, series)
    assert [b.year for b in found] == [2015, 2017]
    assert found[1].ages == ("15-74", "20-66") and found[1].what is None
    assert found[0].what == "A-ordningen."
    covered = indicator(breaks=[Break(2017, "Ny aldersgruppe.")])
    assert [b.year for b in selection.series_breaks(covered, series)] == [2017]


def test_primary_group_is_the_first_immigrant_group_not_the_reference():
    series = frame([row(group="befolkningen_uten_innvandrere"), row(group="hele_befolkningen"),
                    row(group="norskfodte"), row(group="innvandrere")])
    assert selection.primary_group(series, "befolkningen_uten_innvandrere") == "innvandrere"
    assert selection.primary_group(series[series["group"] != "innvandrere"], None) == "norskfodte"


# --------------------------------------------------------------------------- findings


def told(ind, rows, sizes=None):
    """The findings as a theme chapter tells them: the indicator's series in ``rows`` (a frame),
    the models a cell fits for the group the codes.yml rule picks, and the sentences."""
    series = select_series(rows, ind)
    if sizes is not None:
        series = dataclasses.replace(series, sizes=sizes)
    models = standard_models(series, window=PARAMS.window)
    return findings(series, PARAMS, trend=models.trend, gap=models.gap, change=models.change)


def test_findings_fit_nothing_and_tell_only_the_models_they_are_given():
    ind = indicator(breaks=[Break(2017, "Ny aldersgruppe.")])
    series = select_series(frame(employment_rows()), ind)
    bare = "\n".join(findings(series, PARAMS).sentences)
    assert "var 66,0 prosent i 2023" in bare and "lavere enn i befolkningen" in bare
    assert "per år" not in bare and "Fra 2022 til 2023 økte" not in bare  # no models: none told
    trend = fit_trend(series, "innvandrere", series.breaks, window=PARAMS.window)
    with_trend = findings(series, PARAMS, trend=trend).sentences
    assert any("per år" in s for s in with_trend) and trend.group == "innvandrere"


def test_a_cell_that_names_an_unknown_group_fails_naming_the_indicators_groups():
    ind = indicator()
    series = select_series(frame(employment_rows()), ind)
    with pytest.raises(UserError, match=r"unknown group 'innvandrer' for test_andel; its groups in this "
                                        r"edition: innvandrere, befolkningen_uten_innvandrere"):
        fit_trend(series, "innvandrer", series.breaks, window=10)
    with pytest.raises(UserError, match="unknown group 'ingen'"):
        gap_trend(series, "innvandrere", "ingen", window=10)
    with pytest.raises(UserError, match="unknown breakdown 'alder'; known: sex, botid, region, reason"):
        series.by("alder")


def test_models_of_a_group_without_numbers_are_not_fitted_and_the_text_says_so():
    ind = indicator()
    series = select_series(frame(employment_rows()), ind)
    trend = fit_trend(series, "norskfodte", series.breaks, window=10)
    assert not trend.fitted and trend.n == 0 and latest_change(series, "norskfodte") is None
    found = findings(series, PARAMS, trend=trend)
    assert found.sentences == ["Datagrunnlaget har ingen tall for andelen i testen blant norskfødte med "
                               "innvandrerforeldre i 2010–2023."]


def test_findings_state_level_gap_change_and_trend_in_norwegian():
    ind = indicator(breaks=[Break(2017, "Ny aldersgruppe.")])
    found = told(ind, frame(employment_rows()))
    text = "\n".join(found.sentences)
    assert "Andelen blant innvandrere" not in text  # a name of its own, not a bare "andelen"
    assert "var 66,0 prosent i 2023" in text
    assert "6,4 prosentpoeng lavere enn i befolkningen eksklusive innvandrere i 2023 (66,0 mot 72,4 prosent)" in text
    assert "Fra 2022 til 2023 økte" in text and "med 0,5 prosentpoeng" in text
    assert found.trend.fitted and found.trend.direction is Direction.RISING
    assert "per år" in text and "Beregningen tar hensyn til bruddet i serien i 2017" in text
    assert found.gap_verdict is GapChange.NARROWING
    assert "ble forskjellen mellom innvandrere og befolkningen eksklusive innvandrere mindre" in text


def test_sentences_name_the_indicator_with_the_catalogues_subject():
    ind = indicator(subject="representasjonen i kommunestyrene", reference_group=None)
    found = told(ind, frame([row(year=2019, value=2.0), row(year=2023, value=3.3)]))
    assert found.sentences[0] == "Representasjonen i kommunestyrene blant innvandrere var 3,3 prosent i 2023."
    assert not any("«" in s or "Verdien for" in s for s in found.sentences)
    assert not hasattr(findings_module, "SENTENCE_SUBJECTS")


def test_findings_are_cautious_with_few_years_a_survey_and_a_break():
    ind = indicator(survey=True, breaks=[Break(2022, "Ny kilde.")])
    found = told(ind, frame([row(year=2021, value=20.0), row(year=2022, value=24.0)]))
    text = "\n".join(found.sentences)
    assert "kan ikke sammenlignes direkte fordi det er brudd i serien i 2022" in text
    assert "Tallgrunnlaget er tynt: det finnes tall for 2 år" in text
    assert "utvalgsundersøkelse" in text
    assert "er ikke beregnet" in text and not found.trend.fitted


def test_findings_for_counts_use_relative_change_not_percentage_points():
    ind = indicator(unit="personer", reference_group=None)
    series = frame([row(year=2022, unit="personer", value=1000.0), row(year=2023, unit="personer", value=1100.0)])
    text = "\n".join(told(ind, series).sentences)
    assert "økte med 10,0 prosent fra 2022 til 2023" in text and "prosentpoeng" not in text


def test_findings_of_a_derived_gap_are_told_by_its_size():
    # A gap that narrows over the years but widened in the newest year, as sysselsatte 2022–2023.
    gap = indicator(id="test_gap", subject="forskjellen i andel sysselsatte", unit="prosentpoeng",
                    derived={"from": "test_andel", "op": "gap"}, sources=[])
    values = [-15.0, -14.5, -14.0, -13.4, -13.0, -12.5, -12.0, -11.5, -10.9, -11.6]
    series = frame([row(indicator="test_gap", year=2014 + i, unit="prosentpoeng", value=v)
                    for i, v in enumerate(values)])
    found = told(gap, series)
    text = "\n".join(found.sentences)
    between = "mellom innvandrere og befolkningen eksklusive innvandrere"
    assert found.sentences[0] == (f"Forskjellen i andel sysselsatte {between} var 11,6 prosentpoeng i 2023 "
                                  "(lavere blant innvandrere).")
    assert f"Fra 2022 til 2023 økte forskjellen i andel sysselsatte {between} fra 10,9 til 11,6 prosentpoeng." in text
    assert found.gap_verdict is GapChange.NARROWING
    assert f"ble forskjellen i andel sysselsatte {between} mindre: den minket med i gjennomsnitt" in text
    assert "gikk" not in text and "\u2212" not in text  # no sign of the gap turned into a word


def test_findings_say_blant_for_a_comparison_group_of_persons():
    ind = indicator(reference_group="norske_statsborgere_uten_innvandrerbakgrunn", frequency="election_years")
    series = frame([row(year=y, value=v) for y, v in ((2015, 40.0), (2023, 38.0))]
                   + [row(year=y, group="norske_statsborgere_uten_innvandrerbakgrunn", value=v)
                      for y, v in ((2015, 63.7), (2023, 69.0))])
    text = "\n".join(told(ind, series).sentences)
    assert "31,0 prosentpoeng lavere enn blant norske statsborgere uten innvandrerbakgrunn i 2023" in text
    assert "enn i norske" not in text


def test_findings_leave_out_a_group_that_is_the_indicators_population():
    ind = indicator(subject="antallet overganger til norsk statsborgerskap", unit="personer",
                    population="Personer som fikk norsk statsborgerskap", reference_group=None)
    series = frame([row(year=y, group="nye_norske_statsborgere", unit="personer", value=v, decimals=0)
                    for y, v in ((2016, 13712.0), (2017, 21648.0), (2018, 10268.0), (2020, 19700.0),
                                 (2021, 41100.0), (2023, 37340.0))])
    found = told(ind, series)
    assert found.sentences[0] == "Antallet overganger til norsk statsborgerskap var 37\u00a0340 personer i 2023."
    assert not any("blant personer som fikk" in s for s in found.sentences)


@pytest.mark.parametrize("total, missing, shown, where", [
    ("hele_befolkningen", "innvandrere", "hele befolkningen", "i hele befolkningen"),
    ("alle_barn", "barn med innvandrerbakgrunn", "alle barn", "blant alle barn"),
])
def test_findings_say_plainly_when_the_data_have_only_a_total(total, missing, shown, where):
    ind = indicator(reference_group="befolkningen_ellers")
    series = frame([row(year=y, group=total, value=10.0 - 0.1 * i)
                    for i, y in enumerate((2016, 2018, 2019, 2020, 2022, 2023))])
    found = told(ind, series)
    assert found.sentences[0] == (f"Datagrunnlaget har ingen tall for andelen i testen blant {missing} samlet i "
                                  f"2010–2023; hovedfunnene gjelder {shown}.")
    assert found.sentences[1] == f"Andelen i testen {where} var 9,5 prosent i 2023."
    assert found.headline[:2] == tuple(found.sentences[:2])  # the alt text says it too


def test_findings_resting_on_one_or_two_years_are_cautious():
    ind = indicator(frequency="election_years", reference_group=None)
    two = told(ind, frame([row(year=2015, value=40.0), row(year=2023, value=38.0)]))
    change = next(s for s in two.sentences if s.startswith("Fra 2015 til 2023"))
    assert change.endswith("Serien har bare to år med tall, så endringen må tolkes med forsiktighet.")
    one = told(ind, frame([row(year=2016, value=22.0)]))
    assert one.sentences[-1] == ("Tallgrunnlaget er tynt: det finnes tall for bare ett år (2016) i perioden "
                                 "2010–2023, så utviklingen over tid kan ikke beskrives.")
    assert not any("Trenden" in s for s in one.sentences)


def test_facet_sentence_takes_the_groups_preposition_and_a_short_region_label():
    rows = frame([row(year=2015, group="hele_befolkningen", region=r, value=v)
                  for r, v in (("landgruppe1_uten_eu_ost", 60.7), ("eu_ost", 37.2))])
    sentence = facet_sentence(rows, "region", "hele_befolkningen", 2015, "andelen", "prosent")
    assert sentence == ("I hele befolkningen var andelen høyest for Vest-Europa, Nord-Amerika, Australia og "
                        "New Zealand (60,7 prosent) og lavest for EU-land i Øst-Europa (37,2 prosent) i 2015.")


# --------------------------------------------------------------------------- charts and tables


def drawn_points(fig) -> set[tuple[str, int, float]]:
    """(colour, year, value) of every marker on every axes."""
    points = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_marker() not in (None, "None", ""):
                colour = to_hex(line.get_color()).upper()
                points |= {(colour, int(x), round(float(y), 9)) for x, y in zip(line.get_xdata(), line.get_ydata())}
    return points


def test_line_chart_draws_exactly_its_data_in_the_group_colours_and_never_bridges_a_gap():
    series = series_rows(frame(employment_rows()))
    chart = figures.draw_chart(series, unit="prosent", breaks=[selection.SeriesBreak(2017, what="x")])
    assert chart.kind == "line"
    expected = {(style.colour_for(g).upper(), int(y), round(v, 9))
                for g, y, v in chart.data.dropna(subset=["value"])[["group", "year", "value"]].itertuples(index=False)}
    assert drawn_points(chart.fig) == expected
    for line in chart.fig.axes[0].get_lines():
        years = [int(x) for x in line.get_xdata()]
        if line.get_marker() not in (None, "None", "") and len(years) > 1:
            assert all(b - a == 1 for a, b in zip(years, years[1:])), years  # no line over 2016
            assert not (min(years) < 2017 <= max(years)), years               # nor over the break


def test_sparse_breakdowns_become_bars_for_the_newest_year_with_exactly_those_numbers():
    rows = frame(employment_rows() + [row(year=2021, region="afrika", value=51.0)])
    by_region = series_rows(rows, by="region")
    chart = figures.draw_chart(by_region, unit="prosent", facet="region")
    assert chart.kind == "bar" and chart.year == 2023
    assert set(chart.data["year"]) == {2023}
    bars = sorted(round(p.get_width(), 9) for p in chart.fig.axes[0].patches)
    assert bars == sorted(chart.data["value"].tolist())
    colours = {to_hex(p.get_facecolor()).upper() for p in chart.fig.axes[0].patches}
    assert colours == {style.colour_for("innvandrere").upper()}


def test_wide_table_has_a_column_per_group_and_the_gap_in_percentage_points():
    series = series_rows(frame(employment_rows()))
    table, formats, headers = wide_table(series, "befolkningen_uten_innvandrere", "prosent")
    row_2023 = table[table["year"] == 2023].iloc[0]
    assert row_2023["gap_innvandrere"] == pytest.approx(66.0 - 72.4)
    assert formats["gap_innvandrere"][0] == "prosentpoeng" and headers["age"] == "Alder"
    assert math.isnan(table.loc[table["year"] == 2016, "innvandrere"].item())
    # A short heading; what the gap means and its unit go in the note under the table.
    assert headers["gap_innvandrere"] == (
        "Forskjell, innvandrere",
        "Forskjell: gruppens verdi minus verdien for befolkningen eksklusive innvandrere, i prosentpoeng.")


def test_table_headings_are_short_with_the_full_group_name_in_a_note(tmp_path):
    rows = [row(year=y, group=g, value=v + y - 2020) for y in (2020, 2021)
            for g, v in (("innvandrere", 60.0), ("befolkningen_ellers", 75.0))]
    table, formats, headers = wide_table(series_rows(frame(rows)), "befolkningen_ellers", "prosent")
    assert headers["befolkningen_ellers"] == (
        "Befolkningen ellers", "Befolkningen ellers: uten innvandrere og norskfødte med innvandrerforeldre.")
    assert headers["gap_innvandrere"][1].startswith("Forskjell: gruppens verdi minus verdien for befolkningen ellers,")
    md = publish_table(table, label="t", caption="T.", sources=frame(rows), formats=formats,
                               headers=headers, out_dir=tmp_path)
    assert md.splitlines()[1] == "| År | Innvandrere | Befolkningen ellers | Forskjell, innvandrere |"
    assert "Merknad: Befolkningen ellers: uten innvandrere og norskfødte med innvandrerforeldre. Forskjell:" in md


# --------------------------------------------------------------------------- a whole indicator


def present(capsys, tmp_path, ind, rows, params=PARAMS, intro=""):
    """A theme notebook's indicator cell: select, fit (for the group the codes.yml rule
    picks), show; returns what the cell printed."""
    series = select_series(selection.edition_observations(params, frame(rows)), ind)
    models = standard_models(series, window=params.window)
    show_indicator(series, params, trend=models.trend, gap=models.gap, change=models.change,
                   intro=intro, out_dir=tmp_path / "figures")
    return capsys.readouterr().out


def test_an_indicator_cell_prints_its_section_findings_figures_models_tables_and_method(capsys, tmp_path):
    ind = indicator(breaks=[Break(2017, "SSB bruker 20–66 år fra 2017.")])
    out = present(capsys, tmp_path, ind, employment_rows(), intro="Hvorfor  indikatoren\ner med.")
    assert out.startswith("## Testandel {#sec-test-andel}\n\nHvorfor indikatoren er med.\n\n")
    assert "**Hovedfunn**" in out
    assert "{#fig-test-andel-grupper " in out and "{#tbl-test-andel-grupper-tabell}" in out
    assert "{#fig-test-andel-kjonn " in out and "{#fig-test-andel-landbakgrunn " in out
    assert "brudd i serien i 2017" in out                      # the break is named in the caption
    alt = out.split('fig-alt="', 1)[1].split('"}', 1)[0]         # alt text states the finding,
    assert alt.startswith("Linjediagram, prosent, for innvandrere og befolkningen eksklusive innvandrere, 2011–2023.")
    assert "Andelen i testen blant innvandrere var 66,0 prosent i 2023." in alt  # in the catalogue's words
    assert "etter botid eller innvandringsgrunn i 2010–2023." in out  # one sentence for the missing ones
    assert '::: {.callout-note title="Om tallene: Testandel"}' in out  # never folded
    assert "SSB bruker 20–66 år fra 2017." in out and "@sec-om-test-andel" in out
    record = json.loads((tmp_path / "figures" / "test-andel-grupper.json").read_text(encoding="utf-8"))
    assert record["indicators"] == ["test_andel"] and record["sources"][0]["source_ref"] == PAGE
    # The models beside the chart: an HTML <details> block (no callout) and one line in the PDF,
    # between the figure and its table.
    models = out.split("{#fig-test-andel-grupper ", 1)[1].split("{#tbl-test-andel-grupper-tabell}", 1)[0]
    assert '::: {.content-visible when-format="html"}\n```{=html}\n<details class="modeller">' in models
    assert "callout" not in models
    assert "- Trend for innvandrere, 2014–2023 (n = 9): +0,50 prosentpoeng per år" in models
    assert "nivåskift i 2017:" in models
    assert "- Trend i forskjellen innvandrere minus befolkningen eksklusive innvandrere, 2014–2023" in models
    assert "- Endring for innvandrere fra 2022 til 2023: +0,5 prosentpoeng" in models
    pdf_line = models.split('::: {.content-hidden when-format="html"}\n', 1)[1].split("\n:::", 1)[0]
    assert pdf_line.startswith("[Modellene bak figuren: Trend for innvandrere") and "\n" not in pdf_line


def test_an_indicator_without_numbers_in_the_edition_shows_no_section(capsys, tmp_path):
    ind = indicator(id="tom_andel", name="Tom indikator", sources=[{"kind": "ssb_api", "table": "12424"}])
    out = present(capsys, tmp_path, ind, [row(indicator="tom_andel", year=2005)], intro="Tekst.")
    assert out == "" and not (tmp_path / "figures").exists()


def test_figure_csv_holds_the_selected_observations(capsys, tmp_path):
    ind = indicator()
    rows = employment_rows()
    present(capsys, tmp_path, ind, rows)
    csv = pd.read_csv(tmp_path / "figures" / "test-andel-grupper.csv", dtype={"age": str})
    expected = series_rows(frame(rows))
    merged = csv.merge(expected, on=["year", "group", "age"], suffixes=("", "_obs"), validate="one_to_one")
    assert len(merged) == len(csv) == len(expected)
    assert ((merged["value"] == merged["value_obs"]) | (merged["value"].isna() & merged["value_obs"].isna())).all()


def test_only_the_requested_breakdowns_are_shown(capsys, tmp_path):
    params = EditionParams.from_cell(2023, 2010, ["sex"])
    out = present(capsys, tmp_path, indicator(), employment_rows(), params=params)
    assert "#fig-test-andel-kjonn" in out
    assert "landbakgrunn" not in out.split("callout-note")[0]
    assert not (tmp_path / "figures" / "test-andel-landbakgrunn.png").exists()


def test_derived_gap_cites_the_rows_it_was_computed_from(capsys, tmp_path):
    gap = indicator(id="test_gap", name="Forskjell", unit="prosentpoeng", derived={"from": "test_andel", "op": "gap"},
                    sources=[])
    base = employment_rows()
    gaps = [row(indicator="test_gap", year=r["year"], age=r["age"], unit="prosentpoeng", value=-8.0 - 0.1 * i,
                source_kind="derived", source_ref=f"{PAGE} minus {PAGE}")
            for i, r in enumerate(base[:10:2])]
    out = present(capsys, tmp_path, gap, base + gaps)
    record = json.loads((tmp_path / "figures" / "test-gap-grupper.json").read_text(encoding="utf-8"))
    assert {s["source_kind"] for s in record["sources"]} == {"published"}
    assert "Beregning." in out
    # The CSV names, per row, the rows the gap was computed from, and the JSON which rows each
    # input gave.
    csv = pd.read_csv(tmp_path / "figures" / "test-gap-grupper.csv", dtype=str, keep_default_na=False)
    assert set(csv["source_ref"]) == {f"{PAGE} minus {PAGE}"} and set(csv["released"]) == {"2021-03-19"}
    assert record["sources"][0]["csv_rows"] == list(range(len(csv)))


# --------------------------------------------------------------------------- summary and appendices


def population_rows() -> list[dict]:
    rows = [row(indicator="befolkning_antall", year=2024, unit="personer", age="alle", group=g, value=v)
            for g, v in (("innvandrere", 931000.0), ("norskfodte", 221500.0))]
    rows += [row(indicator="befolkning_antall", year=2024, unit="personer", age="alle", group="innvandrere",
                 region=r, value=v) for r, v in (("afrika", 100000.0), ("norden", 70000.0))]
    rows += [row(indicator="befolkning_andel", year=2024, age="alle", group="innvandrerbakgrunn", value=21.0)]
    rows += [row(indicator="flyktningbakgrunn_antall", year=y, unit="personer", age="alle",
                 group="flyktningbakgrunn", value=v) for y, v in ((2022, 260000.0), (2023, 280000.0), (2024, 315182.0))]
    rows += [row(indicator="innvandringer_grunn_antall", year=2023, unit="personer", age="alle",
                 other_dim="innvandringsgrunn", other_value=r, value=v) for r, v in (("Flukt", 30000.0), ("Arbeid", 20000.0))]
    return rows


def population_catalogue() -> Catalogue:
    def pop(id, unit="personer"):
        return indicator(id=id, theme="befolkning", name=id, unit=unit, reference_group=None, direction="neutral")
    return catalogue(pop("befolkning_antall"), pop("befolkning_andel", "prosent"), pop("flyktningbakgrunn_antall"),
                     pop("flyktningbakgrunn_andel", "prosent"), pop("innvandringer_grunn_antall"))


def test_population_context_counts_groups_regions_refugees_and_reasons(capsys, tmp_path):
    params = EditionParams.from_cell(2024, 2010, ["sex", "botid", "region", "reason"])
    summary.show_population(frame(population_rows()), population_catalogue(), params,
                            out_dir=tmp_path / "figures")
    out = capsys.readouterr().out
    assert "931\u00a0000 innvandrere i Norge og 221\u00a0500 norskfødte med innvandrerforeldre" in out
    assert "norskfødte med innvandrerforeldre utgjorde 21,0 prosent av befolkningen i 2024" in out
    assert "Samtidig hadde 315\u00a0182 personer i Norge flyktningbakgrunn" in out
    for label in ("befolkning-antall-landbakgrunn", "flyktningbakgrunn-antall-grupper",
                  "innvandringer-grunn-antall-innvandringsgrunn"):
        assert f"#fig-{label} " in out and (tmp_path / "figures" / f"{label}.csv").exists()


def headline(cat, obs):
    """The summary chapter's cell: the headline indicators' series and the models fitted on each."""
    series = [select_series(obs, ind) for ind in cat.headline()]
    return series, [standard_models(s, window=PARAMS.window) for s in series]


def test_headline_summary_has_level_reference_gap_and_direction():
    cat = catalogue(indicator(headline=True, breaks=[Break(2017, "Ny aldersgruppe.")]),
                    indicator(id="tom_andel", headline=True))
    table = summary.headline_summary(*headline(cat, frame(employment_rows())), PARAMS)
    first = table.iloc[0]
    assert (first["year"], first["value"], first["reference_value"]) == (2023, 66.0, pytest.approx(72.4))
    assert first["gap"] == pytest.approx(-6.4)
    assert first["last_change"] == "0,3 mindre enn i 2022" and first["development"].startswith("gapet minker")
    assert table.iloc[1]["development"] == "ingen tall i denne utgaven"


def test_summary_table_is_narrow_enough_to_read_in_the_pdf(capsys, tmp_path):
    cat = catalogue(indicator(headline=True, breaks=[Break(2017, "Ny aldersgruppe.")]),
                    indicator(id="tom_andel", name="Tom", headline=True))
    summary.show_summary_table(*headline(cat, frame(employment_rows())), PARAMS, out_dir=tmp_path)
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("| Indikator |"))
    cells = [c.strip() for c in lines[header].strip("|").split("|")]
    # One group throughout: it heads its values instead of filling a column of its own.
    assert cells == ["Indikator", "År", "Innvandrere", "Sammenlignet med", "Verdi", "Forskjell",
                     "Forskjellen siden forrige måling", "Utvikling over tid", "Enhet"]
    first = [c.strip() for c in lines[header + 2].strip("|").split("|")]
    assert first[:3] == ["Testandel", "2023", "66,0"]
    assert first[7].startswith("gapet minker") and "(" not in first[7]  # no years in the cell
    # Relative column widths in the separator's dashes: the text columns are wider than «År».
    dashes = [len(c) for c in lines[header + 1].strip("|").split("|")]
    assert dashes[0] > dashes[1] and dashes[6] > dashes[1]
    data = pd.read_csv(tmp_path / "sammendrag.csv", dtype=str, keep_default_na=False)
    assert list(data["indicator"]) == ["test_andel", "tom_andel"]  # the CSV keeps every column
    assert re.fullmatch(r"\d{4}–\d{4}", data.loc[0, "trend_years"])
    assert data.loc[0, "trend_years"] not in lines[header + 2]  # in the data file, not the cell


def test_indicator_reference_lists_every_indicator_with_its_anchor_and_sources(capsys):
    cat = catalogue(indicator(breaks=[Break(2015, "A-ordningen.")]), indicator(id="tom_andel", name="Tom"))
    appendix.show_indicator_reference(frame(employment_rows()), cat, PARAMS)
    out = capsys.readouterr().out
    assert "## Arbeid og sysselsetting" in out
    assert "### Testandel {#sec-om-test-andel}" in out and "### Tom {#sec-om-tom-andel}" in out
    assert "[11607](https://www.ssb.no/statbank/table/11607)" in out
    assert "**Brudd i serien 2015:** A-ordningen." in out and "Et forbehold." in out
    assert "ingen for 2010–2023" in out and "**Tall i denne utgaven:** 2011–2023 (innvandrere og befolkningen" in out


def test_figures_appendix_lists_every_figure_and_table_with_sources(capsys, tmp_path, monkeypatch):
    build = tmp_path / "build"
    (build / "chapters").mkdir(parents=True)
    monkeypatch.setenv("INDIKATORER_NOTEBOOK", "notebooks/01-arbeid.ipynb")
    printed = present(capsys, build / "notebooks", indicator(), employment_rows(),
                      params=EditionParams.from_cell(2023, 2010, ["sex"]))
    nb = {"cells": [{"cell_type": "markdown", "source": "# Arbeid og sysselsetting\n\nTekst."},
                    {"cell_type": "code", "source": "", "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": printed}]}]}
    (build / "notebooks" / "01-arbeid.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    monkeypatch.chdir(build / "chapters")  # as the build runs it: the chapter's folder, "."
    appendix.show_figures_appendix(".")
    out = capsys.readouterr().out
    assert "## Arbeid og sysselsetting" in out
    in_chapter = re.findall(r"\{#((?:fig|tbl)-[a-z0-9-]+)", printed)
    assert len(in_chapter) == 4
    listed = re.findall(r"^\| @((?:fig|tbl)-[a-z0-9-]+) ", out, flags=re.M)
    assert listed == in_chapter  # in the order of the chapter
    for label in in_chapter:
        assert f"(../notebooks/figures/{label[4:]}.csv)" in out
    sources = out.split("## Kildene")[1].split("## Datagrunnlaget")[0]
    assert PAGE in sources and all(f"@{label}" in sources for label in in_chapter)
    assert "`data/published/observations.csv` | `" + "a" * 64 + "` | 2021-03-19 | ukjent |" in out


def test_a_cell_prints_its_markdown_in_one_write(tmp_path, monkeypatch):
    """Printed bit by bit, the kernel would split the output at timing-dependent places and a
    rebuilt notebook would differ."""
    class Recorder:
        def __init__(self):
            self.writes = []

        def write(self, text):
            if text:
                self.writes.append(text)
            return len(text)

        def flush(self):
            pass

    recorder = Recorder()
    monkeypatch.setattr("sys.stdout", recorder)
    series = select_series(frame(employment_rows()), indicator())
    models = standard_models(series, window=10)
    show_indicator(series, PARAMS, trend=models.trend, gap=models.gap, change=models.change, out_dir=tmp_path)
    assert len(recorder.writes) == 1 and "#fig-test-andel-grupper" in recorder.writes[0]


def test_a_change_resting_on_few_persons_says_the_numbers_are_thin():
    ind = indicator(reference_group=None)
    series = frame([row(year=2021, value=40.0), row(year=2022, value=42.0), row(year=2023, value=45.0)])
    sizes = series[["indicator", "year", "group", "sex", "age", "geography", "region", "botid", "other_dim",
                    "other_value"]]
    thin = told(ind, series, sizes=sizes.assign(n=[400.0, 80.0, 60.0]))
    assert any("Tallgrunnlaget er tynt (n = 60)" in s for s in thin.sentences), thin.sentences
    ample = told(ind, series, sizes=sizes.assign(n=[400.0, 300.0, 250.0]))
    unknown = told(ind, series, sizes=sizes.iloc[:2].assign(n=[5.0, 5.0]))
    for found in (ample, unknown, told(ind, series)):
        assert not any("Tallgrunnlaget er tynt (n =" in s for s in found.sentences), found.sentences


def test_numbers_keep_the_decimals_they_were_printed_with(tmp_path):
    tmp_dir = tmp_path
    """SSB printed "38" (whole number) for the group and "69" for the reference: no "38,0"."""
    ind = indicator()
    series = series_rows(frame(
        [row(year=2019, value=36.0, decimals=0), row(year=2023, value=38.0, decimals=0),
         row(year=2019, group="befolkningen_uten_innvandrere", value=68.2, decimals=1),
         row(year=2023, group="befolkningen_uten_innvandrere", value=69.0, decimals=0)]))
    text = "\n".join(told(ind, series).sentences)
    assert "var 38 prosent i 2023" in text and "38,0" not in text
    assert "31 prosentpoeng lavere" in text and "(38 mot 69 prosent)" in text
    table, formats, headers = wide_table(series, "befolkningen_uten_innvandrere", "prosent")
    md = publish_table(table, label="t", caption="T.", sources=series, formats=formats,
                               headers=headers, out_dir=tmp_dir)
    line_2019 = next(line for line in md.splitlines() if line.startswith("| 2019"))
    line_2023 = next(line for line in md.splitlines() if line.startswith("| 2023"))
    assert "| 36 " in line_2019 and "| 68,2 " in line_2019 and "32,2" in line_2019
    assert "| 38 " in line_2023 and "| 69 " in line_2023 and "31" in line_2023 and "31,0" not in line_2023
