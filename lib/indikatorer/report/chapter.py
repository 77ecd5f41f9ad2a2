"""Presentation logic shared by the book's notebooks: what each chapter shows and says.

The notebooks stay thin: a parameters cell, ``params = chapter.chapter_params(...)``, Norwegian
prose, and ``#| output: asis`` cells that call the functions here, which print Markdown:

- :func:`present_indicator` — one catalogue indicator in a theme chapter: key findings generated
  from the numbers, the long series by group with trend and gap, the requested breakdowns, a
  table beside every chart and a methodology callout; a visible note when there are no data.
- :func:`population_context` and :func:`summary_table` — the cross-theme summary chapter.
- :func:`indicator_reference` — appendix "Om indikatorene og dataene" (the catalogue in prose).
- :func:`figures_appendix` — appendix "Slik er tallene laget" (every figure and table of the
  edition with its sources, read from the figures' JSON sidecars).

Series selection (:func:`select_series`): which printed rows form an indicator is the
catalogue's choice (``where``/``exclude`` in data/catalogue.yml); of those, the rows with every
breakdown at "alle" except the one shown, without an extra dimension (or with one that only
describes the rows, :func:`qualifier_dimensions`), and ONE age band per year — the band of the newest year where it
exists, else the band published for most years. Where the band changes between two years the
change is treated as a series break (:func:`series_breaks`), so lines, trends and captions never
join the two. An indicator published only as a distribution (utdanningsnivå) keeps its
categories. Data are patchy: every function copes with a group, year or breakdown missing, and
says so in the text rather than leaving it out silently.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from indikatorer.report import figures, fmt, text

from indikatorer.analysis import trends
from indikatorer.core.errors import UserError
from indikatorer.data.observations import COUNT_MATCH, indicator_group_sizes

BREAKDOWNS = ("sex", "botid", "region", "reason")
NATIONAL = "0"  # hele landet; F03 is a county, K0301 a municipality (data/published/geographies.csv)
DEFAULT_WINDOW = 10

# breakdown → tidy column shown, Norwegian word, and the suffix of its figure label
BREAKDOWN_COLUMN = {"sex": "sex", "botid": "botid", "region": "region", "reason": "other_value"}
BREAKDOWN_WORD = {"sex": "kjønn", "botid": "botid", "region": "landbakgrunn",
                  "reason": "innvandringsgrunn"}
BREAKDOWN_SLUG = {"sex": "kjonn", "botid": "botid", "region": "landbakgrunn",
                  "reason": "innvandringsgrunn"}
REASON_DIMENSIONS = ("innvandringsgrunn",)  # other_dim values that mean "reason for immigration"
# The two-part country groupings («landgruppe 1 og 2») overlap the world regions; they are
# shown only in years without a finer grouping. The election statistics of 2015 split
# landgruppe 1 into «Vest-Europa etc» and «Østeuropeiske EØS-land» (eu_ost): with landgruppe 2
# a three-part grouping of the same kind, in which eu_ost is a part, not a finer grouping.
TWO_PART_REGIONS = ("landgruppe1", "landgruppe2", "landgruppe1_uten_eu_ost")
# A part of a two-part grouping → the codes that complete its split of that grouping.
TWO_PART_SPLITS = {"landgruppe1_uten_eu_ost": ("eu_ost",)}

# Distance between observations, so that a line never bridges a missing observation.
FREQUENCY_STEP = {"yearly": 1, "every_second_year": 2, "election_years": 4, "rolling_three_year": 1}
# Periods that overlap: trends are fitted on every `step`-th period only (counted back from the
# newest), so that no year counts twice (three-year periods: every third).
TREND_STEP = {"rolling_three_year": 3}
MIN_LINE_YEARS = 3    # fewer years with numbers (or a panel with one): bars for the newest year
MAX_LINE_FACETS = 9   # more panels than this: a bar chart of the newest year instead
THIN_YEARS = 5        # fewer years with numbers in the chapter: say so

# Groups that are the "rest of the population" or a total, never the group a finding is about.
COMPARISON_GROUPS = frozenset({
    "befolkningen_ellers", "befolkningen_uten_innvandrere", "hele_befolkningen",
    "resten_av_befolkningen", "norske_statsborgere_uten_innvandrerbakgrunn", "andre_barn",
    "alle_barn", "alle_barn_i_barnehage", "ovrige_bosatte", "ovrige_husholdninger", "i_alt",
    "uoppgitt", "fodt_i_norge_med_norskfodte_foreldre", "ikke_bosatte",
})
# Where the data have only a total, the findings say which group they have no numbers for:
# this one, else innvandrere.
TOTAL_STANDS_FOR = {"alle_barn": "barn_med_innvandrerbakgrunn",
                    "alle_barn_i_barnehage": "minoritetsspraklige_barn"}

# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ChapterParams:
    """A notebook's edition parameters, checked: reference years ``first_year``–``year``, the
    breakdowns to show, the geography ("0" = hele landet, ``F03`` a county, ``K0301`` a
    municipality) and the trend window in years."""

    year: int
    first_year: int
    breakdowns: tuple[str, ...] = BREAKDOWNS
    geography: str = NATIONAL
    window: int = DEFAULT_WINDOW

    @property
    def years(self) -> tuple[int, int]:
        return self.first_year, self.year

    @property
    def regional(self) -> bool:
        """A county or municipality edition (not the whole country)."""
        return self.geography != NATIONAL


def chapter_params(year: int, first_year: int, breakdowns: Iterable[str] = BREAKDOWNS,
                   geography: str = NATIONAL, window: int = DEFAULT_WINDOW) -> ChapterParams:
    """Check the parameters cell's values (the derived-values cell of every notebook calls this).

    Raises UserError for a geography that is not in data/published/geographies.csv,
    first_year after year, an unknown breakdown or a window under 2 years.
    """
    geography = str(geography)
    if geography != NATIONAL and geography not in _geographies().index:
        raise UserError(f"geography {geography!r} is not in the data snapshot "
                        "(data/published/geographies.csv lists the codes)")
    if int(first_year) > int(year):
        raise UserError(f"first_year {first_year} is after year {year}")
    breakdowns = tuple(breakdowns)
    unknown = [b for b in breakdowns if b not in BREAKDOWNS]
    if unknown:
        raise UserError(f"unknown breakdown(s) {', '.join(map(repr, unknown))}; "
                        f"known: {', '.join(BREAKDOWNS)}")
    if int(window) < 2:
        raise UserError(f"window must be at least 2 years, got {window}")
    return ChapterParams(year=int(year), first_year=int(first_year), breakdowns=breakdowns,
                         geography=geography, window=int(window))


@functools.lru_cache(maxsize=1)
def _geographies() -> pd.DataFrame:
    from indikatorer.data.published import load_geographies

    return load_geographies().set_index("code")


def geography_label(code: str) -> str:
    """«Oslo», «Hele landet»: the name of a geography code."""
    return "Hele landet" if code == NATIONAL else str(_geographies().loc[code, "label"])


def same_area(code: str) -> tuple[str, ...]:
    """The code and the codes of the same area on another level (Oslo: F03 and K0301), the
    code itself first."""
    if code == NATIONAL:
        return (NATIONAL,)
    other = _geographies().loc[code, "same_area"]
    return (code, other) if other else (code,)


# --------------------------------------------------------------------------- data selection


def edition_observations(params: ChapterParams, observations: pd.DataFrame | None = None
                         ) -> pd.DataFrame:
    """The tidy observations of the edition's years (``first_year``–``year``) and geography.

    A regional edition takes the rows of its code and of the same area on another level (Oslo:
    F03 and K0301); where both have a row for the same key, the edition's own code is kept."""
    if observations is None:
        from indikatorer.data.observations import load_observations

        observations = load_observations(year_max=params.year)
    years = observations["year"]
    rows = observations[(years >= params.first_year) & (years <= params.year)]
    codes = same_area(params.geography)
    rows = rows[rows["geography"].isin(codes)]
    if len(codes) > 1:
        from indikatorer.data.observations import KEY_COLUMNS

        key = [c for c in KEY_COLUMNS if c != "geography"]
        rows = (rows.assign(_own=rows["geography"] != params.geography)
                .sort_values("_own", kind="stable").drop_duplicates(key).drop(columns="_own")
                .sort_index())
    return rows


def _is_reason(other_dim: pd.Series) -> pd.Series:
    return other_dim.astype(str).str.casefold().isin(REASON_DIMENSIONS)


def qualifier_dimensions(rows: pd.DataFrame) -> set[str]:
    """The extra dimensions of one indicator's rows that only describe them (e.g. «enhet:
    personer», «kilde: utvalgsundersøkelse») rather than split the population: every row with
    such a dimension is the only row of its year × group × sex × age × region × botid — no row
    without it, no second value and no other dimension beside it (the reason for immigration
    aside, a breakdown of its own). Which printed rows belong to the indicator at all (persons
    or households, survey or register, Norway or a municipality) is the catalogue's choice
    (``where``/``exclude``), not decided here."""
    rows = rows[~_is_reason(rows["other_dim"])]
    if rows.empty:
        return set()
    alone = rows.groupby(["year", "group", "sex", "age", "region", "botid"])["year"].transform("size") == 1
    has_dim = rows["other_dim"] != ""
    per_dim = alone[has_dim].groupby(rows.loc[has_dim, "other_dim"]).all()
    return set(per_dim.index[per_dim])


def select_series(rows: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """One indicator's rows for a chart: one row per group × year (× ``by`` code).

    ``by`` is None (the groups' totals) or a breakdown (sex, botid, region, reason). Every other
    breakdown is "alle"; the region breakdown shows world regions (the two-part «landgrupper»
    only in years without a finer grouping, never ``land:`` countries); the reason breakdown is the
    ``innvandringsgrunn`` dimension. Otherwise rows have no extra dimension or only a qualifier
    (:func:`qualifier_dimensions`; a row without one is preferred) — except where an indicator
    has no such rows but a distribution (e.g. utdanningsnivå): then that dimension is kept and
    ``other_value`` is part of the key. One age band per year (module doc); a breakdown uses
    only the age bands of the groups' totals, so a sub-band is never shown as the whole.
    """
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS} or None, got {by!r}")
    out = rows
    for dim in ("sex", "region", "botid"):
        out = out[out[dim] != "alle"] if by == dim else out[out[dim] == "alle"]
    if by == "region":
        out = _world_regions(out)
    key = ["year", "group"] + ([BREAKDOWN_COLUMN[by]] if by else [])
    main = select_series(rows) if by is not None else None
    if by == "reason":
        out = out[_is_reason(out["other_dim"])]
    else:
        qualifiers = qualifier_dimensions(rows)
        measured = out[(out["other_dim"] == "") | out["other_dim"].isin(qualifiers)]
        if measured.empty and by is None:
            measured = _distribution(out, qualifiers)
            key.append("other_value")
        elif measured.empty and distribution_dimension(main, rows):
            measured = out[out["other_dim"] == distribution_dimension(main, rows)]
            key.append("other_value")
        out = measured
    if main is not None and main["value"].notna().any():
        out = out[out["age"].isin(set(main.loc[main["value"].notna(), "age"]))]
    out = _one_age_per_year(out)
    # A qualifier row is alone in its cell (qualifier_dimensions), so each key has one row; should
    # two ever meet, the one without an extra dimension is kept, the same one in every build.
    preference = (out["other_dim"] != "").astype(int)
    out = (out.assign(_pref=preference).sort_values(key + ["_pref", "other_dim", "other_value"])
           .drop_duplicates(key).drop(columns="_pref"))
    return out.sort_values(key).reset_index(drop=True)


def _world_regions(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows[~rows["region"].str.startswith("land:")]
    region, year = rows["region"], rows["year"]
    grouping = region.isin(TWO_PART_REGIONS)
    for part, completing in TWO_PART_SPLITS.items():
        split_year = (region == part).groupby(year).transform("any")
        grouping |= split_year & region.isin(completing)
    finer = (~grouping).groupby(year).transform("any")
    keep = ~grouping | ~finer
    # landgruppe 1 beside its own split would show the same persons twice
    split_year = region.isin(TWO_PART_SPLITS).groupby(year).transform("any")
    return rows[keep & ~((region == "landgruppe1") & split_year)]


def _distribution(rows: pd.DataFrame, qualifiers: set[str]) -> pd.DataFrame:
    """The rows of the most common extra dimension that splits the population (not the reason
    for immigration)."""
    split = rows[(rows["other_dim"] != "") & ~rows["other_dim"].isin(qualifiers)
                 & ~_is_reason(rows["other_dim"])]
    if split.empty:
        return split
    counts = split["other_dim"].value_counts()
    dominant = sorted(counts.index[counts == counts.max()])[0]
    return split[split["other_dim"] == dominant]


def _one_age_per_year(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty or rows["age"].nunique() == 1:
        return rows
    with_numbers = rows[rows["value"].notna()]
    basis = with_numbers if not with_numbers.empty else rows
    years_per_band = basis.groupby("age")["year"].nunique()
    newest = set(basis.loc[basis["year"] == basis["year"].max(), "age"])
    ranking = sorted(years_per_band.index,
                     key=lambda band: (band not in newest, -years_per_band[band], band))
    rank = rows["age"].map({band: i for i, band in enumerate(ranking)}).fillna(len(ranking))
    # Prefer a band with numbers in that year over a better-ranked band without.
    key = rank + np.where(rows["value"].isna(), len(ranking) + 1, 0)
    best = key.groupby(rows["year"]).transform("min")
    band_of_year = rows["age"].where(key == best).groupby(rows["year"]).transform("first")
    return rows[rows["age"] == band_of_year]


def age_text(age: str) -> str:
    """"20-66" → "20–66 år"; "16+" → "16 år og over"; "alle" → "alle aldre"."""
    if age == "alle":
        return "alle aldre"
    if age.endswith("+"):
        return f"{age[:-1]} år og over"
    return age.replace("-", "–") + " år"


@dataclass(frozen=True)
class SeriesBreak:
    year: int
    what: str


def series_breaks(indicator: Any, series: pd.DataFrame) -> list[SeriesBreak]:
    """The catalogue's breaks inside the years shown, plus every year where the age band of
    ``series`` changes (a new series, even when the catalogue does not say so)."""
    shown = series[series["value"].notna()]
    if shown.empty:
        return []
    first, last = int(shown["year"].min()), int(shown["year"].max())
    found = {b.year: b.what for b in indicator.breaks if first < b.year <= last}
    band_by_year = shown.groupby("year")["age"].first().sort_index()
    previous = None
    for year, band in band_by_year.items():
        year = int(year)
        if previous is not None and band != previous[1] \
                and not any(previous[0] < b <= year for b in found):
            found[year] = (f"Aldersgruppen endres fra {age_text(previous[1])} til "
                           f"{age_text(band)}; tallene kan ikke sammenlignes direkte.")
        previous = (year, band)
    return [SeriesBreak(year, what) for year, what in sorted(found.items())]


def reference_group(indicator: Any) -> str | None:
    """The group gaps are measured against; None for a derived gap (its values are gaps)."""
    return None if indicator.derived else indicator.reference_group


def primary_group(series: pd.DataFrame, reference: str | None = None) -> str | None:
    """The group the findings are about: the first group in codes.yml order that has a number
    and is neither the reference group nor a population total (innvandrere where published)."""
    with_numbers = series[series["value"].notna()]
    groups = set(with_numbers["group"]) - {reference}
    candidates = [g for g in groups if g not in COMPARISON_GROUPS] or sorted(groups)
    ordered = figures.ordered_codes(candidates, "groups")
    return ordered[0] if ordered else None


def _values_by_year(series: pd.DataFrame, group: str) -> pd.Series:
    rows = series[series["group"] == group]
    return rows.set_index("year")["value"].sort_index()


def _decimals_by_year(series: pd.DataFrame, group: str) -> dict[int, int]:
    """Year → the decimals ``group``'s value was published with (the tidy ``decimals``)."""
    rows = series[series["group"] == group]
    return {int(y): int(d) for y, d in zip(rows["year"], rows["decimals"])}


def trend_points(indicator: Any, values: pd.Series) -> pd.Series:
    """The observations a trend is fitted on (``values`` indexed by year): all of them, or for
    overlapping periods (``TREND_STEP``) every n-th counted back from the newest, so that the
    periods used do not share a year."""
    step = TREND_STEP.get(indicator.frequency)
    if not step or values.empty:
        return values
    newest = int(max(values.index))
    return values[[(newest - int(y)) % step == 0 for y in values.index]]


def _step(indicator: Any, years: Sequence[int]) -> int:
    """Expected distance between observations (a survey: the smallest distance seen)."""
    if indicator.frequency in FREQUENCY_STEP:
        return FREQUENCY_STEP[indicator.frequency]
    distinct = sorted(set(int(y) for y in years))
    gaps = [b - a for a, b in zip(distinct, distinct[1:])]
    return min(gaps) if gaps else 1


# --------------------------------------------------------------------------- wording


def subject(indicator: Any) -> str:
    """The indicator as the subject of a sentence, e.g. "andelen sysselsatte" (the catalogue's
    ``subject``; its ``name`` is a heading)."""
    return indicator.subject


def group_label(code: str) -> str:
    return figures.label(code, "groups")


def _unit_caption(unit: str) -> str:
    return {"prosent": "Prosent", "prosentpoeng": "Prosentpoeng", "personer": "Antall personer",
            "kroner": "Kroner", "antall": "Antall", "forholdstall": "Forholdstall",
            "år": "År"}[unit]


def _slug(indicator_id: str) -> str:
    return indicator_id.replace("_", "-")


def section_id(indicator_id: str) -> str:
    """The heading id of an indicator's entry in the appendix "Om indikatorene og dataene"."""
    return f"sec-om-{_slug(indicator_id)}"


def distribution_dimension(series: pd.DataFrame, rows: pd.DataFrame) -> str | None:
    """The extra dimension a series is split by (see :func:`select_series`), or None."""
    dims = set(series["other_dim"]) - {""} - qualifier_dimensions(rows)
    dims = {d for d in dims if d.casefold() not in REASON_DIMENSIONS}
    return sorted(dims)[0] if dims else None


# --------------------------------------------------------------------------- charts


@dataclass
class Chart:
    """A figure and exactly the rows it draws (written as the CSV beside the PNG)."""

    fig: Any
    data: pd.DataFrame
    kind: str          # "line" or "bar"
    year: int | None   # the one year a bar chart shows


def chart_data(series: pd.DataFrame, facet: str | None = None, *, bar_year: int | None = None
               ) -> pd.DataFrame:
    """The rows a chart draws, as its CSV holds them: year, group, the facet column, age, the
    extra dimension where there is one, value and status. A bar chart draws one year only, so
    its data hold only that year."""
    columns = ["year", "group"] + ([facet] if facet else []) + ["age"]
    if series["other_dim"].ne("").any():
        columns += [c for c in ("other_dim", "other_value") if c != facet]
    data = series[columns + ["value", "decimals", "status"]]
    if bar_year is not None:
        data = data[data["year"] == bar_year]
    return data.reset_index(drop=True)


def draw_chart(series: pd.DataFrame, *, unit: str, breaks: Sequence[SeriesBreak] = (),
               facet: str | None = None, step: int = 1, hue: str = "group",
               trend: dict[str, pd.DataFrame] | None = None) -> Chart:
    """Lines by ``hue`` (the groups) over the years, one panel per ``facet`` code when given,
    or — when fewer than MIN_LINE_YEARS years have numbers, or more than MAX_LINE_FACETS
    panels — grouped bars for the newest year with numbers. Colours come from
    :func:`figures.colour_for`, one per group across the whole book."""
    with_numbers = series[series["value"].notna()]
    # Years with numbers per panel: lines need a series in every panel, not single points.
    years = with_numbers.groupby(facet)["year"].nunique() if facet else \
        pd.Series([with_numbers["year"].nunique()])
    if years.max() >= MIN_LINE_YEARS and years.min() >= 2 and len(years) <= MAX_LINE_FACETS:
        data = chart_data(series, facet)
        if facet:
            fig = figures.small_multiples(data, facet=facet, hue=hue, kind="line", unit=unit,
                                          breaks=breaks, step=step)
        else:
            fig = figures.line_chart(data, hue=hue, unit=unit, breaks=breaks, step=step,
                                     trend=trend)
        return Chart(fig, data, "line", None)
    year = int(with_numbers["year"].max())
    data = chart_data(series, facet, bar_year=year)
    fig = figures.small_multiples(data, facet=facet or hue, hue=hue, kind="bar",
                                  unit=unit, year=year)
    return Chart(fig, data, "bar", year)


def _csv(data: pd.DataFrame) -> pd.DataFrame:
    """A chart's rows as its CSV holds them: the values as published, without ``decimals``
    (which only says how many decimals to show)."""
    return data.drop(columns=["decimals"], errors="ignore")


def _sources(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[list(figures.SOURCE_KEYS)]


def source_rows(indicator: Any, rows: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """The source columns of the rows a chart's numbers come from: the rows themselves, or for
    a derived gap the rows of the indicator it is computed from (the groups shown and the
    reference group, for the same years and breakdowns)."""
    if not indicator.derived:
        return _sources(rows)
    match = ["year", "sex", "age", "geography", "region", "botid", "other_dim", "other_value"]
    base = observations[observations["indicator"] == indicator.derived["from"]]
    base = base[base["group"].isin(set(rows["group"]) | {indicator.reference_group})]
    return _sources(base.merge(rows[match].drop_duplicates(), on=match))


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Findings:
    """What the text says about an indicator's main series, and the models behind it."""

    sentences: list[str]
    primary: str | None
    headline: tuple[str, ...] = ()   # the level and the gap: the figure's alt text
    latest_year: int | None = None
    trend: trends.TrendResult | None = None
    gap_trend: trends.TrendResult | None = None
    gap_verdict: str | None = None


def gap_frame(series: pd.DataFrame, group: str, reference: str | None) -> pd.DataFrame:
    """Years where both the group and the reference group have a number: columns ``group``,
    ``reference`` and ``gap`` (group minus reference), indexed by year."""
    values = _values_by_year(series, group).dropna().rename("group")
    if reference is None:
        return pd.DataFrame(columns=["group", "reference", "gap"], dtype=float)
    ref = _values_by_year(series, reference).dropna().rename("reference")
    both = pd.concat([values, ref], axis=1).dropna()
    return both.assign(gap=both["group"] - both["reference"])


def _break_between(breaks: Sequence[SeriesBreak], y0: int, y1: int) -> SeriesBreak | None:
    return next((b for b in breaks if y0 < b.year <= y1), None)


def _gap_side(gaps: pd.Series, result: trends.TrendResult | None) -> int | None:
    """−1 when the group lies below the reference in every year of the trend, +1 above; None
    when the gap changes sign (or there is no trend)."""
    if result is None or not result.fitted:
        return None
    first, last = result.years_used
    shown = gaps[(gaps.index >= first) & (gaps.index <= last)]
    return -1 if (shown < 0).all() else 1 if (shown > 0).all() else None


def _fewest_persons(series: pd.DataFrame, sizes: pd.DataFrame | None, group: str,
                    years: Sequence[int]) -> int | None:
    """The smallest group size behind ``group``'s values in ``years`` (None unless known for all):
    ``sizes`` is :func:`indikatorer.data.observations.indicator_group_sizes` (key columns + ``n``)."""
    if sizes is None or sizes.empty:
        return None
    rows = series[(series["group"] == group) & series["year"].isin(list(years))]
    known = rows[COUNT_MATCH].merge(sizes[COUNT_MATCH + ["n"]], on=COUNT_MATCH)["n"].dropna()
    return int(known.min()) if len(known) == len(set(years)) else None


def findings(indicator: Any, series: pd.DataFrame, params: ChapterParams,
             breaks: Sequence[SeriesBreak] = (), sizes: pd.DataFrame | None = None) -> Findings:
    """Key findings as Norwegian sentences, generated from the main series (one row per group
    and year): the newest level, the gap to the reference group, the change since the previous
    observation, the trend over the window and the trend in the gap, and a caution where the
    numbers are few or come from a survey.

    A derived gap (its values are gaps) is told by the gap's size, never by its sign. Where the
    data have only a total (hele befolkningen, alle barn), the findings say first that there are
    no numbers for the group the indicator is about. Where the group is the indicator's
    population (personer som fikk norsk statsborgerskap), the sentences leave it out."""
    name, unit = subject(indicator), indicator.unit
    reference = reference_group(indicator)
    primary = primary_group(series, reference)
    if primary is None:
        return Findings([], None)
    values = _values_by_year(series, primary).dropna()
    shown = _decimals_by_year(series, primary)  # decimals as published, per year
    latest = int(values.index.max())
    sentences = []
    if primary in COMPARISON_GROUPS:  # only a total: say what is missing before telling it
        sentences.append(text.total_only_sentence(
            name, group_label(TOTAL_STANDS_FOR.get(primary, "innvandrere")), group_label(primary),
            params.years))
    who = None if group_label(primary).casefold() == indicator.population.casefold() \
        else group_label(primary)
    gap_of = indicator.reference_group and group_label(indicator.reference_group)

    def level(group: str, value) -> str:
        decimals = _decimals_by_year(series, group).get(latest)
        if indicator.derived:
            return text.gap_level_sentence(name, group_label(group), gap_of, value, latest, unit,
                                           decimals=decimals)
        return text.level_sentence(name, who if group == primary else group_label(group), value,
                                   latest, unit, decimals=decimals)

    sentences.append(level(primary, values[latest]))
    if latest < params.year:
        sentences.append(f"Datagrunnlaget har ikke nyere tall enn for {latest}.")
    for other in ("norskfodte", "innvandrerbakgrunn"):
        if other not in (primary, reference):
            other_values = _values_by_year(series, other).dropna()
            if latest in other_values.index:
                sentences.append(level(other, other_values[latest]))
    gaps = gap_frame(series, primary, reference)
    gap_text = ""
    if not gaps.empty:
        common = int(gaps.index.max())
        gap_text = text.gap_sentence(name, group_label(primary), group_label(reference),
                                     gaps.loc[common, "group"], gaps.loc[common, "reference"],
                                     common, unit, decimals=shown.get(common),
                                     reference_decimals=_decimals_by_year(series, reference).get(common))
        sentences.append(gap_text)

    earlier = values[values.index < latest]
    cautioned = False  # the change sentence already says the series has only two years
    if not earlier.empty:
        previous = int(earlier.index.max())
        crossing = _break_between(breaks, previous, latest)
        few = {"years_in_series": len(values)}
        cautioned = len(values) <= text.FEW_YEARS and not crossing
        if crossing:
            sentences.append(f"Tallene for {previous} og {latest} kan ikke sammenlignes direkte "
                             f"fordi det er brudd i serien i {crossing.year}.")
        elif indicator.derived:
            sentences.append(text.gap_change_sentence(
                previous, latest, values[previous], values[latest], indicator_name=name,
                group_label=group_label(primary), reference_label=gap_of,
                unit=fmt.difference_unit(unit), decimals=(shown.get(previous), shown.get(latest)),
                **few))
        elif unit in ("prosent", "prosentpoeng"):
            change = trends.change(values.to_dict(), previous, latest)
            n = _fewest_persons(series, sizes, primary, (previous, latest))
            sentences.append(text.change_sentence(previous, latest, change.change, indicator_name=name,
                                                  group_label=who, unit=unit, n=n, **few,
                                                  decimals=fmt.difference_decimals(shown[previous], shown[latest])))
        else:
            sentences.append(text.relative_change_sentence(name, who, previous, latest,
                                                           values[previous], values[latest], unit,
                                                           decimals=(shown[previous], shown[latest]), **few))

    break_years = [b.year for b in breaks]
    fit = trend_points(indicator, values)
    trend = trends.fit_trend(fit.index, fit.to_numpy(), breaks=break_years, window=params.window)
    one_year = len(values) == 1  # no development to tell; the caution below says so
    gap_result, verdict = None, None
    if indicator.derived:  # the values are gaps already
        verdict = trends.describe_gap(trend, indicator.direction)
        if not one_year:
            sentences.append(text.gap_trend_sentence(
                trend, verdict, indicator_name=name, group_label=group_label(primary),
                reference_label=gap_of, unit=unit, side=_gap_side(values, trend)))
    elif not one_year:
        sentences.append(text.trend_sentence(trend, indicator_name=name, group_label=who, unit=unit))
    if not gaps.empty:
        gaps_fit = gaps.loc[trend_points(indicator, gaps["gap"]).index]
        gap_result = trends.gap_trend(gaps_fit.index, gaps_fit["group"], gaps_fit["reference"],
                                      breaks=break_years, window=params.window)
        verdict = trends.describe_gap(gap_result, indicator.direction)
        if len(gaps) > 1:
            sentences.append(text.gap_trend_sentence(
                gap_result, verdict, group_label=group_label(primary),
                reference_label=group_label(reference), unit=unit,
                side=_gap_side(gaps["gap"], gap_result)))

    if indicator.survey:
        sentences.append("Tallene bygger på en utvalgsundersøkelse og har utvalgsusikkerhet; små "
                         "forskjeller bør ikke tillegges vekt.")
    if len(values) < THIN_YEARS and not cautioned:
        sentences.append(text.few_years_sentence(values.index, params.years))
    told = sentences[:2] if primary in COMPARISON_GROUPS else sentences[:1]
    headline = tuple(told) + ((gap_text,) if gap_text else ())
    return Findings(sentences, primary, headline, latest, trend, gap_result, verdict)


def facet_sentence(chart_rows: pd.DataFrame, facet: str, group: str, year: int, name: str,
                   unit: str) -> str:
    """"Blant innvandrere var andelen sysselsatte høyest for Norden (78,2 prosent) og lavest
    for Afrika (49,1 prosent) i 2023." — a breakdown in one year, for one group."""
    rows = chart_rows[(chart_rows["group"] == group) & (chart_rows["year"] == year)]
    rows = rows.dropna(subset=["value"]).sort_values(["value", facet])
    if rows.empty:
        return ""
    kind_of = figures.KIND_OF_COLUMN.get(facet)

    def category(code: str) -> str:
        shown = figures.split_label(figures.label(code, kind_of))[0]  # the table has it in full
        if facet == "sex":
            return f"blant {text.lower_first(shown)}"
        return f"ved botid {text.lower_first(shown)}" if facet == "botid" else f"for {shown}"

    who = text.group_phrase(group_label(group))
    low, high = rows.iloc[0], rows.iloc[-1]
    if len(rows) == 1 or high["value"] == low["value"]:
        return text.sentence(f"{who} var {name} {fmt.value(high['value'], unit, decimals=high['decimals'])} "
                              f"{category(high[facet])} i {year}")
    return text.sentence(
        f"{who} var {name} høyest {category(high[facet])} "
        f"({fmt.value(high['value'], unit, decimals=high['decimals'])}) "
        f"og lavest {category(low[facet])} ({fmt.value(low['value'], unit, decimals=low['decimals'])}) i {year}")


# --------------------------------------------------------------------------- tables


def wide_table(series: pd.DataFrame, reference: str | None, unit: str
               ) -> tuple[pd.DataFrame, dict, dict]:
    """The main series as a table: one row per year, one column per group (codes.yml order),
    an ``age`` column when the band changes, and ``gap_<group>`` = group minus reference in the
    difference unit (prosentpoeng for rates). Returns (frame, formats, headers) for
    :func:`figures.publish_table`."""
    groups = figures.ordered_codes(series["group"], "groups")
    table = (series.pivot_table(index="year", columns="group", values="value", aggfunc="first",
                                dropna=False)
             .reindex(index=sorted(series["year"].unique()), columns=groups))
    shown = (series.groupby(["year", "group"])["decimals"].first().unstack()
             .reindex(index=table.index, columns=groups))  # decimals as published, per cell
    as_published = lambda g: [None if pd.isna(d) else int(d) for d in shown[g]]  # noqa: E731
    formats = {g: (unit, as_published(g)) for g in groups}
    # Short headings; a label's explanation in parentheses goes in the note under the table.
    headers = {"year": "År", **{g: figures.header_label(g, "groups") for g in groups}}
    if reference in table.columns:
        diff_unit = fmt.difference_unit(unit)
        meaning = (f"Forskjell: gruppens verdi minus verdien for "
                   f"{text.lower_first(figures.split_label(group_label(reference))[0])}"
                   + (f", i {diff_unit}." if diff_unit != unit else "."))
        for g in groups:
            if g != reference and g not in COMPARISON_GROUPS:
                table[f"gap_{g}"] = table[g] - table[reference]
                formats[f"gap_{g}"] = (diff_unit, [None if pd.isna(a) or pd.isna(b) else int(max(a, b))
                                                   for a, b in zip(shown[g], shown[reference])])
                short = text.lower_first(figures.split_label(group_label(g))[0])
                headers[f"gap_{g}"] = (f"Forskjell, {short}", meaning)
    table = table.rename_axis(columns=None).reset_index()
    ages = series.groupby("year")["age"].first()
    if ages.nunique() > 1:
        table.insert(1, "age", table["year"].map(ages).map(age_text))
        headers["age"] = "Alder"
    return table, formats, headers


def facet_table(chart_rows: pd.DataFrame, facet: str, year: int, unit: str,
                heading: str, hue: str = "group") -> tuple[pd.DataFrame, dict, dict]:
    """A breakdown in one year as a table: one row per category, one column per group (or per
    ``hue`` code). Columns with codes that are not machine names are numbered (``kolonne_1``)."""
    kind_of = figures.KIND_OF_COLUMN.get(facet)
    rows = chart_rows[chart_rows["year"] == year]
    codes = figures.ordered_codes(rows[facet].astype(str), kind_of)
    columns = figures.ordered_codes(rows[hue].astype(str), figures.KIND_OF_COLUMN.get(hue))
    table = (rows.pivot_table(index=facet, columns=hue, values="value", aggfunc="first",
                              dropna=False)
             .reindex(index=codes, columns=columns).rename_axis(columns=None))
    table.index = [figures.label(c, kind_of) for c in table.index]
    if hue == "group":
        names = {c: c for c in columns}
        headers = {c: figures.header_label(c, "groups") for c in columns}
    else:
        names = {c: f"kolonne_{i}" for i, c in enumerate(columns, start=1)}
        headers = {names[c]: figures.label(c, figures.KIND_OF_COLUMN.get(hue)) for c in columns}
    shown = (rows.groupby([facet, hue])["decimals"].first().unstack()
             .reindex(index=codes, columns=columns))  # decimals as published, per cell
    table = table.rename(columns=names).rename_axis("kategori").reset_index()
    headers["kategori"] = heading[:1].upper() + heading[1:]
    return table, {names[c]: (unit, [None if pd.isna(d) else int(d) for d in shown[c]])
                   for c in columns}, headers


def _status_note(rows: pd.DataFrame) -> list[str]:
    statuses = sorted(set(rows["status"]) - {"ok", "nil"})
    if not statuses:
        return []
    words = {"missing": "mangler", "not_available": "er ikke tilgjengelig",
             "suppressed": "er skjermet", "not_applicable": "er logisk umulig"}
    listed = text.and_join([f"«{fmt.status_symbol(s)}» = tallet {words[s]}" for s in statuses])
    return ["Tall som ikke er publisert, vises som «..» i tabellen og som hull i figuren "
            f"(SSBs symboler i kildene: {listed})."]


# --------------------------------------------------------------------------- one indicator


def _one_write(function):
    """Print what ``function`` prints in ONE write, then any warnings it raised.

    A kernel sends stdout in chunks whose boundaries depend on timing; printed bit by bit, an
    executed notebook would differ from one build to the next. Warnings (e.g. a crowded figure
    layout) are re-issued after the Markdown, so they still reach the build log.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        buffer = io.StringIO()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            with contextlib.redirect_stdout(buffer):
                result = function(*args, **kwargs)
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        return result
    return wrapper


def _md(markdown: str) -> None:
    """Print one block of an ``#| output: asis`` cell, followed by a blank line."""
    if markdown:
        print(markdown + "\n")


def _end_block(_markdown: str) -> None:
    """The blank line after Markdown that figures.publish_* has printed itself."""
    print()


def _caption_breaks(breaks: Sequence[SeriesBreak]) -> str:
    if not breaks:
        return ""
    return (f" Stiplet loddrett linje: brudd i serien i {text.and_join([str(b.year) for b in breaks])}; "
            "tallene før og etter kan ikke sammenlignes direkte.")


def _caption_ages(series: pd.DataFrame) -> str:
    shown = series.dropna(subset=["value"])
    bands = shown.groupby("age")["year"].agg(["min", "max"]).sort_values("min")
    if bands.empty or list(bands.index) == ["alle"]:
        return ""
    if len(bands) == 1:
        return f" Alder: {age_text(bands.index[0])}."
    parts = [f"{age_text(age)} ({fmt.year_range(r['min'], r['max'])})" for age, r in bands.iterrows()]
    return f" Alder: {text.and_join(parts)}."


def _groups_text(data: pd.DataFrame) -> str:
    return text.and_join([text.lower_first(group_label(g))
                      for g in figures.ordered_codes(data.dropna(subset=["value"])["group"], "groups")])


def _what_refresh_fills(indicator: Any) -> str:
    tables = [s["table"] for s in indicator.api_sources]
    if tables:
        word = "tabell" if len(tables) == 1 else "tabellene"
        return f"tallene fra statistikkbankens {word} {text.and_join(tables)}"
    return "tallene når en tabell i statistikkbanken er knyttet til indikatoren"


def method_callout(indicator: Any, sources: pd.DataFrame, params: ChapterParams,
                   trend: trends.TrendResult | None = None) -> str:
    """The methodology note under an indicator: definition, population, source (``sources``:
    the source columns of the rows shown), breaks, caveats, the trend model, and a reference to
    the appendix entry."""
    # Not collapsible: Quarto's folded callouts carry data-bs-* toggles that axe-core flags.
    lines = [f'::: {{.callout-note title="Om tallene: {indicator.name}"}}',
             f"**Definisjon.** {indicator.definition}", "",
             f"**Populasjon.** {indicator.population}."]
    if indicator.reference_group:
        lines += ["", f"**Sammenlignes med.** {group_label(indicator.reference_group)}."]
    if not sources.empty:
        lines += ["", f"**Kilde.** {figures.source_line(sources).removeprefix('Kilde: ')}."]
    if indicator.derived:
        lines += ["", f"**Beregning.** Gruppens verdi minus referansegruppens verdi, i prosentpoeng, "
                      f"regnet ut fra de publiserte tallene for indikatoren «{indicator.derived['from']}»."]
    if indicator.breaks:
        lines += ["", "**Brudd i serien.** " + " ".join(f"{b.year}: {b.what}" for b in indicator.breaks)]
    if indicator.caveats:
        lines += ["", "**Forbehold.** " + " ".join(indicator.caveats)]
    if indicator.survey:
        lines += ["", "**Utvalgsundersøkelse.** Tallene har utvalgsusikkerhet."]
    if trend is not None and trend.fitted:
        lines += ["", f"**Trend.** {trend.method}. Beregnet for årene "
                      f"{fmt.year_range(*trend.years_used)} (vindu på inntil {params.window} år)."
                      + (f" Periodene overlapper, så trenden bygger bare på hver "
                         f"{TREND_STEP[indicator.frequency]}. periode, regnet bakover fra den nyeste, "
                         "slik at ingen år telles to ganger." if indicator.frequency in TREND_STEP else "")]
    if not indicator.derived and "source_kind" in sources.columns and (sources["source_kind"] == "derived").any():
        lines += ["", "**Avledede tall.** Tallene for hele landet er summert av oss over fylkene eller "
                      "kommunene; kilden publiserer dem ikke. Metoden står i vedlegget «Slik er tallene laget»."]
    lines += ["", f"Mer om indikatoren i @{section_id(indicator.id)}.", ":::"]
    return "\n".join(lines)


@_one_write
def present_indicator(indicator_id: str, params: ChapterParams, *,
                      observations: pd.DataFrame | None = None, catalogue: Any = None,
                      out_dir: str | Path = "figures") -> None:
    """Print the Markdown for one indicator in a theme chapter (an
    ``#| output: asis`` cell).

    Key findings; the main chart by group with trend and the table beside it; one chart and
    table per requested breakdown that has data, and one sentence naming those without; the
    methodology callout. Without numbers for the edition's years: the visible no-data note.
    Figure labels start with the indicator id, hyphenated (``sysselsatte-andel-grupper``).
    """
    if catalogue is None:
        from indikatorer.data.catalogue import load_catalogue

        catalogue = load_catalogue()
    indicator = catalogue.get(indicator_id)
    edition = edition_observations(params, observations)
    rows = edition[edition["indicator"] == indicator_id]

    def sources_of(shown: pd.DataFrame) -> pd.DataFrame:
        return source_rows(indicator, shown, edition)

    if indicator.status_note:
        _md('::: {.callout-warning title="Avsluttet eller endret statistikk"}\n'
            f"{indicator.status_note}\n:::")

    series = select_series(rows)
    if not series["value"].notna().any() and params.regional:
        _md(f"Datagrunnlaget har ingen tall for {subject(indicator)} i "
            f"{geography_label(params.geography)} i {fmt.year_range(*params.years)}; "
            "indikatorene uten tall for området er listet i sammendraget.")
        return
    if not series["value"].notna().any():
        _md(text.no_data_note(indicator.name, _what_refresh_fills(indicator), years=params.years))
        _md(method_callout(indicator, sources_of(rows), params))
        return

    slug = _slug(indicator_id)
    breaks = series_breaks(indicator, series)
    step = _step(indicator, series["year"])
    dimension = distribution_dimension(series, rows)
    if dimension:
        primary = _present_distribution(indicator, series, dimension, breaks, step, out_dir, slug,
                                        sources_of)
        found = Findings([], primary)
    else:
        found = findings(indicator, series, params, breaks, indicator_group_sizes(edition, indicator))
        _md("**Hovedfunn**\n\n" + "\n".join(f"- {s}" for s in found.sentences))
        _present_groups(indicator, series, breaks, step, out_dir, slug, found, sources_of)

    missing = []
    for breakdown in params.breakdowns:
        by_rows = select_series(rows, by=breakdown)
        if by_rows["value"].notna().any():
            _present_breakdown(indicator, by_rows, breakdown, step, out_dir, slug,
                               found.primary, sources_of, rows)
        else:
            missing.append(BREAKDOWN_WORD[breakdown])
    if missing:
        _md(f"Datagrunnlaget har ingen tall for {subject(indicator)} etter "
            f"{text.and_join(missing, 'eller')} i {fmt.year_range(*params.years)}.")
    _md(method_callout(indicator, sources_of(rows), params, found.trend))


def _present_groups(indicator, series, breaks, step, out_dir, slug, found: Findings,
                    sources_of) -> None:
    """The main chart (groups over the years, trend for the primary group) and its table."""
    unit = indicator.unit
    trend_lines = None
    if found.trend is not None and found.trend.fitted:
        trend_lines = {found.primary: found.trend.fitted_values()}
    chart = draw_chart(series, unit=unit, breaks=breaks, step=step, trend=trend_lines)
    shown = chart.data.dropna(subset=["value"])
    when = f"i {chart.year}" if chart.kind == "bar" else \
        f"{fmt.year_range(shown['year'].min(), shown['year'].max())}"
    caption = (f"{indicator.name}. {_unit_caption(unit)}, {_groups_text(chart.data)}, {when}."
               f"{_caption_ages(series)}")
    if chart.kind == "line":
        caption += _caption_breaks(breaks)
        if trend_lines:
            caption += (" Prikket linje og skygge: lineær trend for "
                        f"{text.lower_first(group_label(found.primary))} med 95 prosent konfidensintervall.")
    alt = " ".join(found.headline) or caption
    _end_block(figures.publish_figure(
        chart.fig, label=f"{slug}-grupper", caption=caption, alt=alt, data=_csv(chart.data),
        sources=sources_of(series), indicators=[indicator.id], notes=_status_note(series),
        out_dir=out_dir))
    table, formats, headers = wide_table(series, reference_group(indicator), unit)
    _end_block(figures.publish_table(
        table, label=f"{slug}-grupper-tabell",
        caption=f"{indicator.name}. {_unit_caption(unit)}, etter gruppe og år.{_caption_ages(series)}",
        sources=sources_of(series), formats=formats, headers=headers, indicators=[indicator.id],
        notes=_status_note(series), out_dir=out_dir))


def _present_distribution(indicator, series, dimension, breaks, step, out_dir,
                          slug, sources_of) -> str | None:
    """An indicator whose numbers are a distribution over an extra dimension (utdanningsnivå …):
    one panel or bar per category, and the table of the newest year. Returns the primary group."""
    unit = indicator.unit
    chart = draw_chart(series, unit=unit, breaks=breaks, step=step, facet="other_value")
    shown = chart.data.dropna(subset=["value"])
    year = chart.year or int(shown["year"].max())
    primary = primary_group(series, reference_group(indicator))
    sentence = facet_sentence(chart.data, "other_value", primary, year, subject(indicator), unit) \
        if primary else ""
    _md(sentence)
    when = f"i {year}" if chart.kind == "bar" else fmt.year_range(shown["year"].min(), year)
    by_dimension = "" if dimension.casefold() in indicator.name.casefold() else f" etter {dimension}"
    caption = (f"{indicator.name}{by_dimension}. {_unit_caption(unit)}, {_groups_text(chart.data)},"
               f" {when}.{_caption_ages(series)}{_caption_breaks(breaks if chart.kind == 'line' else ())}")
    _end_block(figures.publish_figure(
        chart.fig, label=f"{slug}-fordeling", caption=caption, alt=sentence or caption,
        data=_csv(chart.data), sources=sources_of(series), indicators=[indicator.id],
        notes=_status_note(series), out_dir=out_dir))
    in_year = series[series["year"] == year]
    table, formats, headers = facet_table(chart_data(in_year, "other_value"), "other_value", year,
                                          unit, dimension)
    _end_block(figures.publish_table(
        table, label=f"{slug}-fordeling-tabell",
        caption=f"{indicator.name}{by_dimension}, {year}. {_unit_caption(unit)}.",
        sources=sources_of(in_year), formats=formats, headers=headers, indicators=[indicator.id],
        notes=_status_note(in_year), out_dir=out_dir))
    return primary


def _present_breakdown(indicator, by_rows, breakdown, step, out_dir, slug,
                       primary: str | None, sources_of, rows: pd.DataFrame) -> None:
    """One breakdown: small multiples (or grouped bars), a sentence on the highest and lowest
    category, and the table of the newest year. Where the indicator is a distribution (e.g.
    utdanningsnivå) the lines or bars are its categories, for one group."""
    unit, facet, word = indicator.unit, BREAKDOWN_COLUMN[breakdown], BREAKDOWN_WORD[breakdown]
    with_numbers = by_rows.dropna(subset=["value"])
    year = int(with_numbers["year"].max())
    if primary not in set(with_numbers.loc[with_numbers["year"] == year, "group"]):
        primary = primary_group(with_numbers[with_numbers["year"] == year], reference_group(indicator))
    hue, name = "group", subject(indicator)
    if distribution_dimension(by_rows, rows):
        by_rows = by_rows[by_rows["group"] == primary]
        hue = "other_value"
        means = by_rows.groupby("other_value")["value"].mean()
        name = f"{name} ({means.idxmax()})"
    breaks = series_breaks(indicator, by_rows)
    chart = draw_chart(by_rows, unit=unit, breaks=breaks, step=step, facet=facet, hue=hue)
    shown = chart.data.dropna(subset=["value"])
    year = chart.year or int(shown["year"].max())
    sentence_rows = chart.data if hue == "group" else \
        chart.data[chart.data["other_value"] == means.idxmax()]
    sentence = facet_sentence(sentence_rows, facet, primary, year, name, unit) if primary else ""
    _md(sentence)
    when = f"i {year}" if chart.kind == "bar" else fmt.year_range(shown["year"].min(), year)
    by_word = "" if word in indicator.name.casefold() else f" etter {word}"
    caption = (f"{indicator.name}{by_word}. {_unit_caption(unit)}, {_groups_text(chart.data)}, "
               f"{when}.{_caption_ages(chart.data)}{_caption_breaks(breaks if chart.kind == 'line' else ())}")
    if breakdown == "botid":
        caption += (" Forskjeller mellom botidsgrupper samme år blander virkningen av botid med "
                    "forskjeller mellom innvandringskull.")
    label = f"{slug}-{BREAKDOWN_SLUG[breakdown]}"
    _end_block(figures.publish_figure(
        chart.fig, label=label, caption=caption, alt=sentence or caption, data=_csv(chart.data),
        sources=sources_of(by_rows), indicators=[indicator.id], notes=_status_note(by_rows),
        out_dir=out_dir))
    in_year = by_rows[by_rows["year"] == year]
    table, formats, headers = facet_table(chart_data(in_year, facet), facet, year, unit, word, hue)
    _end_block(figures.publish_table(
        table, label=f"{label}-tabell",
        caption=f"{indicator.name}{by_word}, {year}. {_unit_caption(unit)}.{_caption_ages(in_year)}",
        sources=sources_of(in_year), formats=formats, headers=headers, indicators=[indicator.id],
        notes=_status_note(in_year), out_dir=out_dir))


# --------------------------------------------------------------------------- summary chapter


def _catalogue(catalogue: Any):
    if catalogue is not None:
        return catalogue
    from indikatorer.data.catalogue import load_catalogue

    return load_catalogue()


def _gap_change_text(gaps: pd.DataFrame, breaks: Sequence[SeriesBreak], unit: str,
                     decimals: dict[int, int] | None = None) -> tuple[float, str]:
    """The change in the size of the gap since the previous year with both values, as
    (change in |gap|, words); NaN and a reason when it cannot be told. ``decimals``: year →
    the decimals of that year's gap (as published); default the unit's."""
    if len(gaps) < 2:
        return math.nan, "ingen tidligere måling"
    (y0, g0), (y1, g1) = list(gaps["gap"].items())[-2:]
    if _break_between(breaks, int(y0), int(y1)):
        return math.nan, "brudd i serien"
    default = fmt.DECIMALS[fmt.difference_unit(unit)]
    d0, d1 = ((decimals or {}).get(int(y), default) for y in (y0, y1))
    decimals = max(d0, d1)
    size_change = float(fmt.round_half_up(abs(g1), d1) - fmt.round_half_up(abs(g0), d0))
    if size_change == 0:
        return 0.0, f"uendret fra {y0}"
    word = "mindre" if size_change < 0 else "større"
    return size_change, f"{fmt.number(abs(size_change), decimals)} {word} enn i {y0}"


# Summary column → the column of headline_summary() holding the decimals it is shown with.
SUMMARY_DECIMALS = {"value": "decimals", "reference_value": "reference_decimals", "gap": "gap_decimals"}


def headline_summary(params: ChapterParams, *, observations: pd.DataFrame | None = None,
                     catalogue: Any = None) -> pd.DataFrame:
    """One row per headline indicator: the newest value for the primary group (innvandrere
    where published) and for the reference group in the same year, the gap, how the gap changed
    since the previous measurement, and the long-run development (the gap's trend verdict, or
    the level's trend classification where there is no reference group) with the years of the
    trend in ``trend_years``."""
    catalogue = _catalogue(catalogue)
    edition = edition_observations(params, observations)
    records = []
    for indicator in catalogue.headline():
        rows = edition[edition["indicator"] == indicator.id]
        series = select_series(rows)
        record = {"indicator": indicator.id, "name": indicator.name, "unit": indicator.unit,
                  "group": "", "year": math.nan, "value": math.nan, "reference_group": "",
                  "reference_value": math.nan, "gap": math.nan, "gap_change": math.nan,
                  "last_change": "", "development": "ingen tall i denne utgaven", "trend_years": "",
                  # decimals as published (a gap: the larger of its two values'), for showing only
                  **dict.fromkeys(SUMMARY_DECIMALS.values(), fmt.DECIMALS.get(indicator.unit, 1))}
        if series["value"].notna().any() and not distribution_dimension(series, rows):
            breaks = series_breaks(indicator, series)
            found = findings(indicator, series, params, breaks, indicator_group_sizes(edition, indicator))
            reference = reference_group(indicator)
            gaps = gap_frame(series, found.primary, reference)
            year = int(gaps.index.max()) if not gaps.empty else found.latest_year
            own = _decimals_by_year(series, found.primary)
            record.update(group=group_label(found.primary), year=year,
                          value=_values_by_year(series, found.primary).get(year, math.nan),
                          decimals=own.get(year, record["decimals"]))
            if not gaps.empty:
                ref = _decimals_by_year(series, reference)
                gap_decimals = {y: fmt.difference_decimals(own[y], ref[y]) for y in gaps.index}
                change, words = _gap_change_text(gaps, breaks, indicator.unit, gap_decimals)
                record.update(reference_group=group_label(reference), reference_decimals=ref[year],
                              gap_decimals=gap_decimals[year],
                              reference_value=gaps.loc[year, "reference"], gap=gaps.loc[year, "gap"],
                              gap_change=change, last_change=words,
                              **_development(found.gap_verdict, found.gap_trend))
            else:
                record.update(**_development(
                    found.gap_verdict if indicator.derived else found.trend.classification, found.trend))
        elif series["value"].notna().any():
            record.update(development="fordeling; se kapitlet")
        records.append(record)
    return pd.DataFrame.from_records(records)


def _development(verdict: str | None, result: trends.TrendResult | None) -> dict[str, str]:
    """The trend verdict in a few words (for a table cell) and the years it covers."""
    if result is None or not result.fitted:
        return {"development": "for få målinger", "trend_years": ""}
    return {"development": verdict, "trend_years": fmt.year_range(*result.years_used)}


@_one_write
def summary_table(params: ChapterParams, *, observations: pd.DataFrame | None = None,
                  catalogue: Any = None, out_dir: str | Path = "figures") -> None:
    """Print the summary table of every headline indicator (#tbl-sammendrag)."""
    catalogue = _catalogue(catalogue)
    edition = edition_observations(params, observations)
    frame = headline_summary(params, observations=edition, catalogue=catalogue)
    shown = ["name", "group", "year", "value", "reference_group", "reference_value", "gap",
             "last_change", "development", "unit"]  # the CSV keeps every column of the frame
    number = {c: ("antall", frame[d].astype(int).tolist()) for c, d in SUMMARY_DECIMALS.items()}
    frame = frame.drop(columns=list(SUMMARY_DECIMALS.values()))  # the CSV: values as published
    # Group names in the cells without their explanation in parentheses; it goes in a note.
    label_notes = []
    for column in ("group", "reference_group"):
        for note in (figures.split_label(g)[1] for g in frame[column]):
            if note and note not in label_notes:
                label_notes.append(note)
        number[column] = lambda v: figures.split_label(v)[0]
    headers = {"name": "Indikator", "group": "Gruppe", "year": "År", "value": "Verdi",
               "reference_group": "Sammenlignet med", "reference_value": "Verdi",
               "gap": "Forskjell", "last_change": "Forskjellen siden forrige måling",
               "development": "Utvikling over tid", "unit": "Enhet"}
    groups = sorted(set(frame["group"]) - {""})
    if len(groups) == 1:  # one group throughout: it heads its values, no column repeats it
        shown.remove("group")
        headers["value"] = figures.split_label(groups[0])[0]
    headline_ids = set(frame["indicator"])
    sources = source_rows_for_indicators(catalogue, edition, headline_ids)
    if sources.empty:  # a county or municipality without any headline indicator
        _md(f"Datagrunnlaget har ingen tall for hovedindikatorene i "
            f"{geography_label(params.geography)} i {fmt.year_range(*params.years)}.")
        return
    caption = (f"Hovedindikatorene i {params.year}-utgaven: siste år med tall for gruppen og "
               "sammenligningsgruppen, forskjellen mellom dem (prosentpoeng for andeler) og "
               f"utviklingen i forskjellen over inntil {params.window} år.")
    notes = ["«Utvikling over tid» er trenden i forskjellen (gapet minker/øker) der indikatoren har en "
             "sammenligningsgruppe, ellers trenden i nivået; retning oppgis bare når 95 prosent "
             "konfidensintervall ikke omfatter null. Årene trenden bygger på, står i kapitlene og i "
             "datafila.", *label_notes]
    figures.publish_table(
        frame, label="sammendrag", caption=caption, sources=sources, formats=number,
        headers=headers, indicators=sorted(headline_ids), notes=notes, out_dir=out_dir,
        columns=shown)
    print()


def source_rows_for_indicators(catalogue: Any, edition: pd.DataFrame, ids: Iterable[str]) -> pd.DataFrame:
    """Source columns of every row of these indicators (derived ones through their base)."""
    ids = set(ids)
    parts = []
    for indicator in catalogue.indicators:
        if indicator.id in ids:
            rows = edition[edition["indicator"] == indicator.id]
            if not rows.empty:
                parts.append(source_rows(indicator, rows, edition))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=figures.SOURCE_KEYS)


def _newest(series: pd.DataFrame, group: str) -> tuple[int, float] | None:
    values = _values_by_year(series, group).dropna()
    return (int(values.index.max()), float(values.iloc[-1])) if not values.empty else None


def _no_data(params: ChapterParams, markdown: str) -> None:
    """A no-data note, except in a county or municipality edition, whose summary lists once what
    the area has no numbers for (:func:`geography_coverage`)."""
    if not params.regional:
        _md(markdown)


@_one_write
def population_context(params: ChapterParams, *, observations: pd.DataFrame | None = None,
                       catalogue: Any = None, out_dir: str | Path = "figures") -> None:
    """Print the section «Befolkningen»: how many immigrants and Norwegian-born to
    immigrant parents live in Norway, by world region; persons with refugee background; and
    immigrations by reason — each with a figure and a table where the data have them."""
    catalogue = _catalogue(catalogue)
    edition = edition_observations(params, observations)

    def rows_of(indicator_id: str) -> pd.DataFrame:
        return edition[edition["indicator"] == indicator_id]

    counts = select_series(rows_of("befolkning_antall"))
    sentences = []
    immigrants, born_here = _newest(counts, "innvandrere"), _newest(counts, "norskfodte")
    if immigrants:
        text_ = f"Ved inngangen til {immigrants[0]} bodde det {fmt.integer(immigrants[1])} innvandrere i Norge"
        if born_here and born_here[0] == immigrants[0]:
            text_ += f" og {fmt.integer(born_here[1])} norskfødte med innvandrerforeldre"
        sentences.append(text.sentence(text_))
    share = _newest(select_series(rows_of("befolkning_andel")), "innvandrerbakgrunn")
    if share:
        sentences.append(f"Innvandrere og norskfødte med innvandrerforeldre utgjorde "
                         f"{fmt.percent(share[1])} av befolkningen i {share[0]}.")
    refugees = select_series(rows_of("flyktningbakgrunn_antall"))
    refugee_newest = _newest(refugees, "flyktningbakgrunn")
    if refugee_newest:
        year, number = refugee_newest
        when = "Samtidig" if immigrants and immigrants[0] == year else f"Ved inngangen til {year}"
        text_ = f"{when} hadde {fmt.integer(number)} personer i Norge flyktningbakgrunn"
        refugee_share = _values_by_year(select_series(rows_of("flyktningbakgrunn_andel")),
                                        "flyktningbakgrunn").get(year)
        if refugee_share is not None and not fmt.is_missing(refugee_share):
            text_ += f", {fmt.percent(refugee_share)} av befolkningen"
        sentences.append(text.sentence(text_))
    if sentences:
        _md(" ".join(sentences))
    else:
        _no_data(params, text.no_data_note("befolkningen etter innvandringskategori",
                                 _what_refresh_fills(catalogue.get("befolkning_antall")),
                                 years=params.years))

    def sources_of_for(indicator):
        return lambda shown: source_rows(indicator, shown, edition)

    region_indicator = catalogue.get("befolkning_antall")
    by_region = select_series(rows_of("befolkning_antall"), by="region")
    by_region = by_region[by_region["group"].isin(["innvandrere", "norskfodte"])]
    if by_region["value"].notna().any():
        _present_breakdown(region_indicator, by_region, "region", 1, out_dir,
                           _slug(region_indicator.id), "innvandrere", sources_of_for(region_indicator),
                           rows_of("befolkning_antall"))
    else:
        _no_data(params, "Datagrunnlaget har ingen tall for befolkningen etter landbakgrunn i "
               f"{fmt.year_range(*params.years)}.")

    refugee_indicator = catalogue.get("flyktningbakgrunn_antall")
    if refugees["value"].notna().any():
        found = Findings(sentences[-1:], "flyktningbakgrunn", headline=tuple(sentences[-1:]))
        _present_groups(refugee_indicator, refugees, series_breaks(refugee_indicator, refugees),
                        _step(refugee_indicator, refugees["year"]), out_dir, _slug(refugee_indicator.id),
                        found, sources_of_for(refugee_indicator))
    else:
        _no_data(params, text.no_data_note(refugee_indicator.name, _what_refresh_fills(refugee_indicator),
                                 years=params.years))

    stock_indicator = next((i for i in catalogue.indicators if i.id == "innvandrere_grunn_antall"), None)
    by_stock_reason = select_series(rows_of("innvandrere_grunn_antall"), by="reason")
    if stock_indicator is None:
        pass  # a catalogue without immigrants by reason (a test's, or an older one)
    elif by_stock_reason["value"].notna().any():
        _md(f"{stock_indicator.name} i {geography_label(params.geography).replace('Hele landet', 'Norge')} "
            f"({stock_indicator.population.lower()}):")
        _present_breakdown(stock_indicator, by_stock_reason, "reason", 1, out_dir,
                           _slug(stock_indicator.id), "innvandrere", sources_of_for(stock_indicator),
                           rows_of(stock_indicator.id))
    else:
        _no_data(params, text.no_data_note(stock_indicator.name.lower(), _what_refresh_fills(stock_indicator),
                              years=params.years))

    reason_indicator = catalogue.get("innvandringer_grunn_antall")
    by_reason = select_series(rows_of(reason_indicator.id), by="reason")
    if by_reason["value"].notna().any():
        _present_breakdown(reason_indicator, by_reason, "reason", 1, out_dir,
                           _slug(reason_indicator.id), "innvandrere", sources_of_for(reason_indicator),
                           rows_of(reason_indicator.id))
    else:
        _no_data(params, text.no_data_note("innvandringer etter innvandringsgrunn",
                                 _what_refresh_fills(reason_indicator), years=params.years))


@_one_write
def geography_coverage(params: ChapterParams, *, observations: pd.DataFrame | None = None,
                       catalogue: Any = None) -> None:
    """In a county or municipality edition: once, which indicators have numbers for the area in
    the edition's years and which have none (the chapters then say only that and point here).
    Prints nothing for the whole country."""
    if not params.regional:
        return
    catalogue = _catalogue(catalogue)
    edition = edition_observations(params, observations)
    with_numbers = set(edition.loc[edition["value"].notna(), "indicator"])
    have = [i.name for i in catalogue.indicators if i.id in with_numbers]
    lack = [i.name for i in catalogue.indicators if i.id not in with_numbers]
    place = geography_label(params.geography)
    codes = text.and_join(list(same_area(params.geography)))
    lines = [f"Denne utgaven gjelder {place} (områdekode {codes}). Datagrunnlaget har tall for "
             f"{place} i {fmt.year_range(*params.years)} for {len(have)} av "
             f"{len(catalogue.indicators)} indikatorer:", ""]
    lines += [f"- {name}" for name in have] or ["- ingen"]
    lines += ["", f"Disse {len(lack)} indikatorene har ingen tall for {place} i datagrunnlaget; "
                  "kapitlene nevner dem bare med én setning:", ""]
    lines += [f"- {name}" for name in lack]
    _md("\n".join(lines))


# --------------------------------------------------------------------------- appendix: indicators


DIRECTION_WORDS = {"higher_better": "Høyere verdi er bedre", "lower_better": "Lavere verdi er bedre",
                   "neutral": "Ingen retning er bedre enn en annen"}
FREQUENCY_WORDS = {"yearly": "Årlig", "every_second_year": "Annethvert år",
                   "rolling_three_year": "Årlig, for overlappende treårsperioder",
                   "election_years": "Valgår", "survey": "Utvalgsundersøkelse, med ujevne mellomrom"}


def _api_source_text(source: dict) -> str:
    table = source.get("table")
    if source.get("status") == "none" or not table:
        return "Statistikkbanken: ingen tabell med indikatoren"
    text_ = f"Statistikkbanken, tabell [{table}]({figures.STATBANK_URL.format(table=table)})"
    return text_ + ("" if source.get("status") == "confirmed" else " (spørringen ikke bekreftet)")


def _published_pages_text(rows: pd.DataFrame) -> list[str]:
    published = rows[rows["source_kind"] == "published"]
    pages = []
    for _, record in published[list(figures.SOURCE_KEYS)].drop_duplicates("source_ref").iterrows():
        pages.append(figures.source_line([record.to_dict()]).removeprefix("Kilde: "))
    return sorted(pages)


def indicator_entry(indicator: Any, rows: pd.DataFrame, edition: pd.DataFrame,
                    params: ChapterParams) -> str:
    """One indicator in the appendix: definition, population, unit, direction, reference group,
    frequency, sources (statbank tables and the published pages used), the years with numbers
    in this edition, breaks, caveats and status."""
    lines = [f"### {indicator.name} {{#{section_id(indicator.id)}}}", "",
             f"**Definisjon.** {indicator.definition}", "",
             f"- **Enhet:** {indicator.unit}; **populasjon:** {indicator.population}",
             f"- **Retning:** {DIRECTION_WORDS[indicator.direction]}",
             f"- **Sammenlignes med:** "
             f"{group_label(indicator.reference_group) if indicator.reference_group else 'ingen sammenligningsgruppe'}",
             f"- **Hyppighet:** {FREQUENCY_WORDS[indicator.frequency]}"
             + ("; utvalgsundersøkelse" if indicator.survey and indicator.frequency != "survey" else "")]
    if indicator.derived:
        lines.append(f"- **Beregnet fra:** «{indicator.derived['from']}», gruppens verdi minus "
                     "sammenligningsgruppens (prosentpoeng)")
    for source in indicator.statbank_sources:
        lines.append(f"- **Kilde (direkte fra SSB):** {_api_source_text(source)}")
    pages = _published_pages_text(source_rows(indicator, rows, edition)) if not rows.empty else []
    if pages:
        lines.append("- **Publiserte tall brukt i denne utgaven:** " + "; ".join(pages))
    with_numbers = rows[rows["value"].notna()]
    if with_numbers.empty:
        lines.append(f"- **Tall i denne utgaven:** ingen for {fmt.year_range(*params.years)}")
    else:
        groups = text.and_join([text.lower_first(group_label(g))
                            for g in figures.ordered_codes(with_numbers["group"], "groups")])
        lines.append(f"- **Tall i denne utgaven:** {text.years_text(with_numbers['year'])} ({groups})")
    for brk in indicator.breaks:
        lines.append(f"- **Brudd i serien {brk.year}:** {brk.what}")
    for caveat in indicator.caveats:
        lines.append(f"- **Forbehold:** {caveat}")
    if indicator.status_note:
        lines.append(f"- **Status:** {indicator.status_note}")
    return "\n".join(lines)


@_one_write
def indicator_reference(params: ChapterParams, *, observations: pd.DataFrame | None = None,
                        catalogue: Any = None) -> None:
    """Print every catalogue indicator, theme by theme, for the appendix «Om
    indikatorene og dataene»; each entry has the heading id :func:`section_id`."""
    catalogue = _catalogue(catalogue)
    edition = edition_observations(params, observations)
    for theme, title in catalogue.themes.items():
        indicators = catalogue.by_theme(theme)
        if not indicators:
            continue
        _md(f"## {title}")
        for indicator in indicators:
            _md(indicator_entry(indicator, edition[edition["indicator"] == indicator.id],
                                   edition, params))


# --------------------------------------------------------------------------- appendix: figures


def figure_records(chapter_dir: str | Path = ".") -> list[dict]:
    """The provenance records (JSON sidecars) of every figure and table of the edition: those
    beside the theme notebooks (``../notebooks/figures``) and beside the chapters
    (``figures``), relative to the executed chapter's folder."""
    chapter_dir = Path(chapter_dir).resolve()
    records = []
    for folder in (chapter_dir.parent / "notebooks" / "figures", chapter_dir / "figures"):
        for path in sorted(folder.glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("kind") in ("figure", "table"):
                record["_dir"] = os.path.relpath(folder, chapter_dir).replace(os.sep, "/")
                record["_web"] = os.path.relpath(folder, chapter_dir.parent).replace(os.sep, "/")
                records.append(record)
    return records


def _executed(notebook: str, base: Path) -> dict | None:
    path = base / notebook
    return json.loads(path.read_text(encoding="utf-8")) if notebook and path.exists() else None


def _chapter_title(nb: dict | None, notebook: str) -> str:
    """The H1 of an executed notebook (its first Markdown line starting with '# ')."""
    for cell in (nb or {}).get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].split("{")[0].strip()
    return notebook or "Ukjent kapittel"


def _appearance(nb: dict | None) -> dict[str, int]:
    """``fig-…``/``tbl-…`` label → its place in the executed notebook's output."""
    outputs = "".join("".join(o.get("text", "")) for cell in (nb or {}).get("cells", [])
                      for o in cell.get("outputs", []))
    found = re.findall(r"\{#((?:fig|tbl)-[a-z0-9-]+)", outputs)
    return {label: i for i, label in reversed(list(enumerate(found)))}


def _book_order(base: Path) -> list[str]:
    """The chapter files in the order of the book (``_quarto.yml`` beside the chapters)."""
    import yaml

    config = base / "_quarto.yml"
    if not config.exists():
        return []
    book = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("book", {})
    return [c for c in (book.get("chapters") or []) + (book.get("appendices") or []) if isinstance(c, str)]


def _reference(record: dict) -> str:
    return f"@{'fig' if record['kind'] == 'figure' else 'tbl'}-{record['label']}"


@_one_write
def figures_appendix(chapter_dir: str | Path = ".") -> None:
    """Print the appendix «Slik er tallene laget»: per chapter, every figure and table with its
    indicators, sources and data file; then every published page and statbank table the
    numbers come from, with the figures and tables that use it; then the data files with their
    sha256. ``chapter_dir`` is the executed chapter's folder (the build runs it there)."""
    chapter_dir = Path(chapter_dir).resolve()
    base = chapter_dir.parent
    records = figure_records(chapter_dir)
    if not records:
        _md("Ingen figurer eller tabeller er laget i denne utgaven ennå.")
        return
    by_notebook: dict[str, list[dict]] = {}
    for record in records:
        by_notebook.setdefault(record.get("notebook") or "", []).append(record)
    order = _book_order(base)
    for notebook in sorted(by_notebook, key=lambda n: (order.index(n) if n in order else len(order), n)):
        nb = _executed(notebook, base)
        place = _appearance(nb)
        _md(f"## {_chapter_title(nb, notebook)}")
        lines = ["| Figur/tabell | Indikatorer | Kilde | Data |", "|:---|:---|:---|:---|"]
        for record in sorted(by_notebook[notebook],
                             key=lambda r: (place.get(_reference(r)[1:], len(place)), r["label"])):
            indicators = ", ".join(f"`{i}`" for i in record.get("indicators", []))
            source = figures.source_line(record["sources"]).removeprefix("Kilde: ")
            # A link on the web; in the PDF where the file lives in the web edition (a relative
            # link would lead nowhere; the colophon gives the edition's address).
            data = (f"[[{record['csv']}]({record['_dir']}/{record['csv']})]{figures.WEB_ONLY}"
                    f"[`{record['_web']}/{record['csv']}`]{figures.PRINT_ONLY}")
            cells = [_reference(record), indicators, source, data]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        _md(figures.scroll_block("\n".join(lines), f"Figurer og tabeller i {_chapter_title(nb, notebook)}"))

    used_by: dict[tuple, tuple[dict, list[str]]] = {}
    files: dict[tuple[str, str], set[str]] = {}
    for record in records:
        for source in record["sources"]:
            key = (source["source_kind"], source["source_table"] if source["source_kind"] == "ssb_api"
                   else source["source_ref"])
            refs = used_by.setdefault(key, (source, []))[1]
            if _reference(record) not in refs:
                refs.append(_reference(record))
            for path, digest in zip(source["source_file"].split(" | "), source["source_sha256"].split(" | ")):
                files.setdefault((path, digest), set()).add(source["retrieved"][:10])
    lines = ["## Kildene {#sec-kildene}", "",
             "Hver side på ssb.no og hver tabell i statistikkbanken som tallene er hentet fra, med "
             "figurene og tabellene som bruker den.", "", "| Kilde | Brukt i |", "|:---|:---|"]
    for _, (source, refs) in sorted(used_by.items(), key=lambda item: (item[1][0]["retrieved"], item[0])):
        cells = [figures.source_line([source]).removeprefix("Kilde: "), ", ".join(refs)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    _md("\n".join(lines[:4]) + "\n" + figures.scroll_block("\n".join(lines[4:]), "Kildene"))
    lines = ["## Datagrunnlaget", "",
             "Alle figurene og tabellene bygger på disse filene i datagrunnlaget. Sjekksummen "
             "(sha256) kontrolleres hver gang en fil leses (`indikatorer data verify`).", "",
             "| Fil | sha256 | Publisert/hentet |", "|:---|:---|:---|"]
    for (path, digest), dates in sorted(files.items()):
        span = sorted(dates)
        when = span[0] if len(span) == 1 else f"{span[0]} – {span[-1]}"
        lines.append(f"| `{path}` | `{digest}` | {when} |")
    _md("\n".join(lines[:4]) + "\n" + figures.scroll_block("\n".join(lines[4:]), "Filene i datagrunnlaget"))
