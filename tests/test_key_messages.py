"""Key messages and coverage on small hand-made observations: the ranking of
indikatorer.analysis.key_messages, the words of indikatorer.report.key_messages, and the
status, older-numbers note and coverage table of indikatorer.data.coverage and
indikatorer.report.coverage."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from indikatorer.analysis.key_messages import Evidence, Left, rank  # noqa: E402
from indikatorer.analysis.models import standard_models  # noqa: E402
from indikatorer.core.params import EditionParams  # noqa: E402
from indikatorer.data.catalogue import Catalogue, Indicator  # noqa: E402
from indikatorer.data.coverage import Status, coverage, status_of  # noqa: E402
from indikatorer.data.observations import TIDY_COLUMNS  # noqa: E402
from indikatorer.data.selection import select_series  # noqa: E402
from indikatorer.report import coverage as coverage_words  # noqa: E402
from indikatorer.report import style  # noqa: E402
from indikatorer.report.findings import findings  # noqa: E402
from indikatorer.report.indicator import show_indicator  # noqa: E402
from indikatorer.report.key_messages import (development_sentence, key_messages,  # noqa: E402
                                             show_key_messages, theme_conclusion)

PAGE = "https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2021-03-19"
PARAMS = EditionParams.from_cell(2023, 2010, ["sex", "botid", "region", "reason"], "0", 10)


def row(indicator: str, year: int, value: float, group: str = "innvandrere", **changes) -> dict:
    base = {"indicator": indicator, "year": year, "period": str(year), "group": group,
            "sex": "alle", "age": "20-66", "geography": "0", "region": "alle", "region_label": "",
            "botid": "alle", "other_dim": "", "other_value": "", "unit": "prosent", "value": value,
            "decimals": 1, "status": "ok", "source_kind": "published", "source_table": "436217",
            "source_ref": PAGE, "source_file": "data/published/observations.csv",
            "source_sha256": "a" * 64, "retrieved": "unknown", "released": "2021-03-19", "note": ""}
    return {**base, **changes}


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TIDY_COLUMNS).astype({"year": "int64", "value": "float64"})


def indicator(id: str, **changes) -> Indicator:
    fields = dict(id=id, theme="arbeid", name=id.replace("_", " ").capitalize(),
                  subject="andelen i testen", definition="Andel i test.", unit="prosent",
                  population="20–66 år", direction="higher_better",
                  reference_group="befolkningen_uten_innvandrere", frequency="yearly",
                  sources=[{"kind": "ssb_api", "table": "11607", "status": "unconfirmed"}])
    return Indicator(**{**fields, **changes})


def series_rows(ind: str, years, group_value, reference_value=None, **changes) -> list[dict]:
    rows = [row(ind, y, group_value(y), **changes) for y in years]
    if reference_value is not None:
        rows += [row(ind, y, reference_value(y), group="befolkningen_uten_innvandrere", **changes)
                 for y in years]
    return rows


YEARS = range(2011, 2024)
WIGGLE = {y: (1.0 if y % 2 else -1.0) for y in YEARS}   # no trend at all


def chapter_of(pairs: list[tuple[Indicator, list[dict]]]):
    obs = frame([r for _, rows in pairs for r in rows])
    chapter = [select_series(obs, ind) for ind, _ in pairs]
    return chapter, [standard_models(s, window=PARAMS.window) for s in chapter]


@pytest.fixture(autouse=True)
def house_style():
    style.setup()


# --------------------------------------------------------------------------- coverage


def test_status_is_current_from_year_minus_three_older_before_and_none_without_numbers():
    assert status_of(2020, PARAMS) == Status.CURRENT            # 2023 − 3
    assert status_of(2019, PARAMS) == Status.OLDER
    assert status_of(None, PARAMS) == Status.NONE


def test_coverage_names_the_newest_year_in_the_span_and_before_it_and_the_breakdowns_shown():
    ind = indicator("test_andel")
    rows = series_rows("test_andel", [2008, 2012, 2017], lambda y: 60.0)
    rows.append(row("test_andel", 2017, 58.0, sex="kvinner"))
    everything = frame(rows)
    obs = everything[everything["year"] >= PARAMS.first_year]
    seen = coverage(select_series(obs, ind), PARAMS, everything)
    assert (seen.status, seen.newest, seen.newest_published) == (Status.OLDER, 2017, 2017)
    assert seen.breakdowns == ("sex",) and seen.missing_breakdowns == ("botid", "region", "reason")
    only_before = everything[everything["year"] == 2008]
    lacking = coverage(select_series(only_before[only_before["year"] >= 2010], ind), PARAMS, only_before)
    assert (lacking.status, lacking.newest, lacking.newest_published) == (Status.NONE, None, 2008)


def test_refresh_source_follows_the_status_of_the_catalogues_statbank_sources():
    confirmed = indicator("a", sources=[{"kind": "ssb_api", "table": "12424", "status": "confirmed"},
                                        {"kind": "ssb_api", "table": "99999", "status": "unconfirmed"}])
    assert coverage_words.refresh_source(confirmed) == (
        "statistikkbanken, tabell [12424](https://www.ssb.no/statbank/table/12424)")
    unconfirmed = indicator("b", sources=[{"kind": "ssb_api", "table": "13628", "status": "unconfirmed"},
                                          {"kind": "ssb_api", "table": "12971", "status": "unconfirmed"}])
    assert coverage_words.refresh_source(unconfirmed).startswith("trolig statistikkbanken, tabellene [13628]")
    assert coverage_words.refresh_source(unconfirmed).endswith("(spørringen er ikke bekreftet)")
    none = [{"kind": "ssb_api", "table": None, "status": "none", "reason": "Survey only."}]
    assert "utvalgsundersøkelsen" in coverage_words.refresh_source(indicator("c", sources=none, survey=True))
    assert coverage_words.refresh_source(indicator("d", sources=none)) == "ingen tabell i statistikkbanken er funnet"


def test_only_a_section_with_older_numbers_is_marked_and_once(capsys, tmp_path):
    """… and prints only its main chart: its breakdowns are on the web, the PDF says so."""
    for newest, marked in ((2019, True), (2020, False)):
        ind = indicator("test_andel")
        obs = frame(series_rows("test_andel", range(2012, newest + 1), lambda y: 60.0 + y - 2012,
                                lambda y: 70.0)
                    + [row("test_andel", newest, value, sex=sex) for sex, value in (("menn", 64.0), ("kvinner", 60.0))])
        series = select_series(obs, ind)
        models = standard_models(series, window=PARAMS.window)
        show_indicator(series, params=PARAMS, trend=models.trend, gap=models.gap, change=models.change,
                       out_dir=tmp_path / str(newest))
        out = capsys.readouterr().out
        assert out.count("**Eldre tall.**") == int(marked), newest
        if marked:
            assert out.split("\n\n")[1].startswith("**Eldre tall.** De nyeste tallene i datagrunnlaget er fra 2019")
        assert "ikke nyere tall enn" not in out
        web_only, printed = '::: {.content-visible when-format="html"}', '::: {.content-hidden when-format="html"}'
        before_breakdown = out.split("{#fig-test-andel-kjonn ", 1)[0]
        assert (f"{printed}\nTallene etter kjønn står i nettutgaven.\n:::\n\n{web_only}" in before_breakdown) == marked
        assert "{#fig-test-andel-grupper " in out and "{#fig-test-andel-kjonn " in out  # the web keeps both


def test_the_coverage_table_lists_each_indicator_without_numbers_once_with_where_to_get_them(capsys):
    cat = Catalogue(version=1, themes={"arbeid": "Arbeid og sysselsetting"}, indicators=[
        indicator("har_tall"),
        indicator("gamle_tall", name="Gamle tall"),
        indicator("ingen_tall", name="Ingen tall", sources=[{"kind": "ssb_api", "table": "12424",
                                                             "status": "confirmed"}])])
    everything = frame(series_rows("har_tall", [2015, 2022], lambda y: 60.0)
                       + series_rows("gamle_tall", [2005, 2008], lambda y: 60.0))
    obs = everything[everything["year"] >= PARAMS.first_year]
    coverage_words.show_coverage(obs, everything, cat, PARAMS)
    out = capsys.readouterr().out
    assert out.startswith("## Hva utgaven dekker {#sec-dekning}")
    table = [line for line in out.splitlines() if line.startswith("| ")][1:]
    assert [line.split(" | ")[0] for line in table] == ["| Gamle tall", "| Ingen tall"]
    assert table[0].split(" | ")[2] == "2008" and table[1].split(" | ")[2] == "ingen"
    assert "tabell [12424]" in table[1] and "Har tall" not in out
    # Nothing lacking in a national edition: nothing printed.
    coverage_words.show_coverage(obs, everything, Catalogue(1, cat.themes, cat.indicators[:1]), PARAMS)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- ranking


def ranked_chapter():
    """A chapter where every rule of the ranking decides once."""
    gap_narrows = (indicator("gap_narrows"),
                   series_rows("gap_narrows", YEARS, lambda y: 50.0 + (y - 2011), lambda y: 70.0))
    level_rises = (indicator("level_rises"),  # the gap stays: only the level has a direction
                   series_rows("level_rises", YEARS, lambda y: 50.0 + (y - 2011), lambda y: 60.0 + (y - 2011)))
    small_gap = (indicator("small_gap"),
                 series_rows("small_gap", YEARS, lambda y: 60.0 + WIGGLE[y], lambda y: 62.0 + WIGGLE[y]))
    big_gap = (indicator("big_gap"),
               series_rows("big_gap", YEARS, lambda y: 40.0 + WIGGLE[y], lambda y: 70.0 + WIGGLE[y]))
    no_trend = (indicator("no_trend", reference_group=None),
                series_rows("no_trend", YEARS, lambda y: 40.0 + WIGGLE[y]))
    one_level = (indicator("one_level", reference_group=None), series_rows("one_level", [2022], lambda y: 40.0))
    counts = (indicator("counts", unit="personer", direction="neutral", reference_group=None),
              series_rows("counts", YEARS, lambda y: 1000.0 * (y - 2000), unit="personer", decimals=0))
    older = (indicator("older"),
             series_rows("older", range(2008, 2019), lambda y: 50.0 + (y - 2008), lambda y: 70.0))
    told_with_source = (indicator("gap_of_gap_narrows", unit="prosentpoeng", reference_group=
                                  "befolkningen_uten_innvandrere", derived={"from": "gap_narrows", "op": "gap"}),
                        series_rows("gap_of_gap_narrows", YEARS, lambda y: -20.0 + (y - 2011), unit="prosentpoeng"))
    total_only = (indicator("total_only", reference_group="befolkningen_ellers"),
                  series_rows("total_only", YEARS, lambda y: 10.0 + WIGGLE[y], group="hele_befolkningen"))
    distribution = (indicator("distribution", reference_group=None),
                    [row("distribution", 2022, v, other_dim="utdanningsnivå", other_value=level)
                     for level, v in (("grunnskole", 30.0), ("høyere", 70.0))])
    without = (indicator("without"), [])
    return [gap_narrows, level_rises, small_gap, big_gap, no_trend, one_level, counts, older,
            told_with_source, total_only, distribution, without]


def test_developments_are_ranked_by_status_goal_evidence_and_size_of_the_gap():
    chapter, models = chapter_of(ranked_chapter())
    ranked, left = rank(chapter, models, PARAMS)
    assert [d.indicator for d in ranked] == [
        "gap_narrows",     # current; the gap's size has a direction
        "level_rises",     # current; the level has a direction
        "big_gap",         # current; a gap of 30 points without a direction …
        "small_gap",       # … before one of 2
        "no_trend",        # current; a trend without a direction
        "one_level",       # current; one year: the level only
        "counts",          # current, but neutral (a volume): after those that speak to a goal
        "older"]           # older numbers last, whatever they show
    assert [d.evidence for d in ranked[:6]] == [Evidence.GAP_DIRECTION, Evidence.LEVEL_DIRECTION,
                                                Evidence.GAP, Evidence.GAP, Evidence.NO_DIRECTION,
                                                Evidence.LEVEL]
    assert left == {"gap_of_gap_narrows": Left.TOLD_WITH_SOURCE, "total_only": Left.TOTAL_ONLY,
                    "distribution": Left.DISTRIBUTION, "without": Left.NO_NUMBERS}


def test_a_chapter_tells_at_most_five_messages_each_with_its_sections_own_numbers(capsys, tmp_path):
    pairs = ranked_chapter()
    chapter, models = chapter_of(pairs)
    messages = key_messages(chapter, models, PARAMS)
    assert [m.indicator for m in messages] == ["gap_narrows", "level_rises", "big_gap", "small_gap", "no_trend"]
    for message, (series, fitted) in zip(messages, [(chapter[i], models[i]) for i in (0, 1, 3, 2, 4)]):
        show_indicator(series, PARAMS, trend=fitted.trend, gap=fitted.gap, change=fitted.change,
                       out_dir=tmp_path / message.indicator)
        section = capsys.readouterr().out
        assert message.numbers in section  # the same sentence, word for word
        assert message.numbers == findings(series, PARAMS, trend=fitted.trend, gap=fitted.gap,
                                           change=fitted.change).headline[-1]


def sentence_of(indicator_id: str) -> str:
    chapter, models = chapter_of(ranked_chapter())
    ranked, _ = rank(chapter, models, PARAMS)
    dev = next(d for d in ranked if d.indicator == indicator_id)
    return development_sentence(dev, next(s for s in chapter if s.indicator.id == indicator_id))


@pytest.mark.parametrize("indicator_id, words", [
    ("gap_narrows", "Fra 2014 til 2023 økte andelen, og forskjellen ble mindre."),
    ("level_rises", "Fra 2014 til 2023 økte andelen, men forskjellen endret seg ikke klart."),
    ("big_gap", "Fra 2014 til 2023 endret verken andelen eller forskjellen seg klart."),
    ("no_trend", "Fra 2014 til 2023 var det ingen klar utvikling i andelen."),
    ("one_level", "Det er for få år med tall til å beregne en utvikling (tall for 2022)."),
    ("counts", "Fra 2014 til 2023 økte andelen."),
])
def test_the_development_is_told_with_its_period_and_a_direction_only_where_the_ci_allows(indicator_id, words):
    assert sentence_of(indicator_id) == words


def test_a_derived_gap_alone_in_its_chapter_is_told_by_its_size():
    ind = indicator("gap_only", unit="prosentpoeng", derived={"from": "elsewhere", "op": "gap"})
    chapter, models = chapter_of([(ind, series_rows("gap_only", YEARS, lambda y: -20.0 + (y - 2011),
                                                    unit="prosentpoeng"))])
    ranked, _ = rank(chapter, models, PARAMS)
    assert ranked[0].evidence == Evidence.GAP_DIRECTION
    assert development_sentence(ranked[0], chapter[0]) == "Fra 2014 til 2023 ble forskjellen mindre."


def test_overlapping_periods_too_few_for_a_trend_say_so_not_that_years_are_few():
    ind = indicator("fhi", frequency="rolling_three_year", reference_group=None)
    chapter, models = chapter_of([(ind, series_rows("fhi", range(2012, 2024), lambda y: 20.0 + WIGGLE[y]))])
    ranked, _ = rank(chapter, models, PARAMS)
    assert development_sentence(ranked[0], chapter[0]) == (
        "Det er for få perioder uten overlapp til å beregne en utvikling (4; minst 5 trengs).")


def test_the_chapter_block_names_its_goal_and_counts_and_the_summary_repeats_its_first_message(capsys):
    chapter, models = chapter_of(ranked_chapter())
    show_key_messages(chapter, models, PARAMS, theme="arbeid")
    out = capsys.readouterr().out
    assert out.startswith("## Hovedbudskap {#sec-hovedbudskap-arbeid}\n\nIndikatorene i kapitlet "
                          "belyser målet om at innvandrere blir økonomisk selvstendige")
    assert "(@sec-maal)" in out
    items = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(items) == 5 and items[0].startswith("- **[Gap narrows](#sec-gap-narrows)**. ")
    assert ("Av kapitlets 12 indikatorer har 10 tall fra 2020 eller senere, 1 bare eldre tall og "
            "1 ingen tall i 2010–2023. Indikatorene uten tall er listet i @sec-dekning.") in out
    first = key_messages(chapter, models, PARAMS)[0]
    conclusion = theme_conclusion(chapter, models, PARAMS, title="Arbeid og sysselsetting", theme="arbeid")
    assert conclusion.startswith(f"**Arbeid og sysselsetting**. {first.numbers} {first.development}")
    assert conclusion.endswith("Se @sec-hovedbudskap-arbeid.")


def test_an_older_first_message_is_marked_in_the_chapter_and_the_summary():
    chapter, models = chapter_of([(indicator("older"), series_rows(
        "older", range(2008, 2019), lambda y: 50.0 + (y - 2008), lambda y: 70.0))])
    message = key_messages(chapter, models, PARAMS)[0]
    assert message.older and "(eldre tall). " in message.markdown()
    conclusion = theme_conclusion(chapter, models, PARAMS, title="Arbeid", theme="arbeid")
    assert conclusion.startswith("**Arbeid** (eldre tall). ")
    assert not math.isnan(message.about.gap) and message.about.gap_year == 2018


def test_the_introductions_table_of_goals_has_one_row_per_theme_chapter_and_cites_the_documents():
    """The key messages name the goal each theme speaks to (THEME_GOALS) and point to the
    introduction's table (@sec-maal), which must have the same chapters, cited from references.bib."""
    from indikatorer.core import paths
    from indikatorer.data.catalogue import load_catalogue
    from indikatorer.report.key_messages import THEME_GOALS

    intro = (paths.PROJECT_ROOT / "chapters/01-innledning.qmd").read_text(encoding="utf-8")
    section = intro.split("{#sec-maal}", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    themes = {t: title for t, title in load_catalogue().themes.items() if t != "befolkning"}
    assert [r[1] for r in rows] == list(themes.values())
    assert list(THEME_GOALS) == list(themes)
    bib = (paths.PROJECT_ROOT / "references.bib").read_text(encoding="utf-8")
    for key in ("integreringsloven2020", "meldst17-2023", "kd2018integreringsstrategi"):
        assert f"@{key}" in section and f"{{{key}," in bib, key
    # The one quotation is § 1 of the act, word for word as published (norgeslover.no).
    assert ("«at innvandrere tidlig integreres i det norske samfunnet og blir økonomisk selvstendige»"
            in " ".join(section.split()))
