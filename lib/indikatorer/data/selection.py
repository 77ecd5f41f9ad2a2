"""Which rows an edition shows: the edition's observations, an indicator's series, its
breakdowns and its breaks.

Which printed rows form an indicator is the catalogue's choice (``where``/``exclude`` in
data/catalogue.yml, applied when the observations are built). Of those, a series is the rows
with every breakdown at "alle" except the one shown, without an extra dimension (or with one
that only describes the rows, :func:`qualifier_dimensions`), and ONE age band per year — the
band of the newest year where it exists, else the band published for most years. Where the band
changes between two years the change is a series break (:func:`series_breaks`), so lines,
trends and captions never join the two. An indicator published only as a distribution
(utdanningsnivå) keeps its categories.

A notebook cell selects with :func:`select_series` (an :class:`IndicatorSeries`), fits its
models on it (:mod:`indikatorer.analysis.models`) and hands both to the presentation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indikatorer.core.codes import load_codes, ordered_codes
from indikatorer.core.errors import UserError
from indikatorer.core.params import NATIONAL, EditionParams
from indikatorer.core.vocab import EDITION_BREAKDOWNS
from indikatorer.data.observations import COUNT_MATCH, KEY_COLUMNS, SOURCE_COLUMNS, indicator_group_sizes

# breakdown → the tidy column that holds its codes
BREAKDOWN_COLUMN = {"sex": "sex", "botid": "botid", "region": "region", "reason": "other_value"}
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
# Groups that are the "rest of the population" or a total, never the group a finding is about.
COMPARISON_GROUPS = frozenset({
    "befolkningen_ellers", "befolkningen_uten_innvandrere", "hele_befolkningen",
    "resten_av_befolkningen", "norske_statsborgere_uten_innvandrerbakgrunn", "andre_barn",
    "alle_barn", "alle_barn_i_barnehage", "ovrige_bosatte", "ovrige_husholdninger", "i_alt",
    "uoppgitt", "fodt_i_norge_med_norskfodte_foreldre", "ikke_bosatte",
})
# Periods that overlap: trends are fitted on every `step`-th period only (counted back from the
# newest), so that no year counts twice (three-year periods: every third).
TREND_STEP = {"rolling_three_year": 3}


@functools.lru_cache(maxsize=1)
def _geographies() -> pd.DataFrame:
    from indikatorer.data.published import load_geographies

    return load_geographies().set_index("code")


def check_geography(code) -> str:
    """``code`` if the snapshot has numbers for it ("0" = Norway, else a code of
    data/published/geographies.csv); a UserError naming some of the codes otherwise."""
    code = str(code)
    if code != NATIONAL and code not in _geographies().index:
        known = _geographies()
        examples = ", ".join(f"{c} ({label})" for c, label in zip(known.index[:4], known["label"][:4]))
        raise UserError(f"geography {code!r} is not in the data snapshot (data/published/"
                        f"geographies.csv lists {len(known)} codes, e.g. {examples})")
    return code


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


def area_observations(params: EditionParams, observations: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tidy observations of the edition's geography, every year up to ``year`` (the
    decomposition and the botid profiles look before the edition's first year). A regional
    edition takes the rows of its code and of the same area on another level (Oslo: F03 and
    K0301); where both have a row for the same key, the edition's own code is kept. A geography
    the snapshot has no numbers for is a UserError."""
    check_geography(params.geography)
    if observations is None:
        from indikatorer.data.observations import load_observations

        observations = load_observations(year_max=params.year)
    rows = observations[observations["year"] <= params.year]
    codes = same_area(params.geography)
    rows = rows[rows["geography"].isin(codes)]
    if len(codes) > 1:
        key = [c for c in KEY_COLUMNS if c != "geography"]
        rows = (rows.assign(_own=rows["geography"] != params.geography)
                .sort_values("_own", kind="stable").drop_duplicates(key).drop(columns="_own")
                .sort_index())
    return rows


def edition_observations(params: EditionParams, observations: pd.DataFrame | None = None
                         ) -> pd.DataFrame:
    """The tidy observations of the edition's years (``first_year``–``year``) and geography
    (:func:`area_observations`)."""
    rows = area_observations(params, observations)
    return rows[rows["year"] >= params.first_year]


def _is_reason(other_dim: pd.Series) -> pd.Series:
    return other_dim.astype(str).str.casefold().isin(REASON_DIMENSIONS)


def qualifier_dimensions(rows: pd.DataFrame) -> set[str]:
    """The extra dimensions of one indicator's rows that only describe them (e.g. «enhet:
    personer», «kilde: utvalgsundersøkelse») rather than split the population: every row with
    such a dimension is the only row of its year × group × sex × age × region × botid — no row
    without it, no second value and no other dimension beside it (the reason for immigration
    aside, a breakdown of its own)."""
    rows = rows[~_is_reason(rows["other_dim"])]
    if rows.empty:
        return set()
    alone = rows.groupby(["year", "group", "sex", "age", "region", "botid"])["year"].transform("size") == 1
    has_dim = rows["other_dim"] != ""
    per_dim = alone[has_dim].groupby(rows.loc[has_dim, "other_dim"]).all()
    return set(per_dim.index[per_dim])


def series_rows(rows: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """One indicator's rows for a chart: one row per group × year (× ``by`` code).

    ``by`` is None (the groups' totals) or a breakdown (sex, botid, region, reason). Every other
    breakdown is "alle"; the region breakdown shows world regions (the two-part «landgrupper»
    only in years without a finer grouping, never ``land:`` countries); the reason breakdown is the
    ``innvandringsgrunn`` dimension. Otherwise rows have no extra dimension or only a qualifier
    (a row without one is preferred) — except where an indicator has no such rows but a
    distribution (e.g. utdanningsnivå): then that dimension is kept and ``other_value`` is part
    of the key. One age band per year (module doc); a breakdown uses only the age bands of the
    groups' totals, so a sub-band is never shown as the whole.
    """
    if by is not None and by not in EDITION_BREAKDOWNS:
        raise UserError(f"unknown breakdown {by!r}; known: {', '.join(EDITION_BREAKDOWNS)}")
    out = rows
    for dim in ("sex", "region", "botid"):
        out = out[out[dim] != "alle"] if by == dim else out[out[dim] == "alle"]
    if by == "region":
        out = _world_regions(out)
    key = ["year", "group"] + ([BREAKDOWN_COLUMN[by]] if by else [])
    main = series_rows(rows) if by is not None else None
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
    # A qualifier row is alone in its cell, so each key has one row; should two ever meet, the
    # one without an extra dimension is kept, the same one in every build.
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


def distribution_dimension(series: pd.DataFrame, rows: pd.DataFrame) -> str | None:
    """The extra dimension a series is split by (see :func:`series_rows`), or None."""
    dims = set(series["other_dim"]) - {""} - qualifier_dimensions(rows)
    dims = {d for d in dims if d.casefold() not in REASON_DIMENSIONS}
    return sorted(dims)[0] if dims else None


@dataclass(frozen=True)
class SeriesBreak:
    """Figures before ``year`` cannot be compared with figures from ``year`` on: a break the
    catalogue declares (``what`` says why), or a change of age band (``ages``: from, to)."""

    year: int
    what: str | None = None
    ages: tuple[str, str] | None = None


def series_breaks(indicator: Any, series: pd.DataFrame) -> list[SeriesBreak]:
    """The catalogue's breaks inside the years shown, plus every year where the age band of
    ``series`` changes (a new series, even when the catalogue does not say so)."""
    shown = series[series["value"].notna()]
    if shown.empty:
        return []
    first, last = int(shown["year"].min()), int(shown["year"].max())
    found = {b.year: SeriesBreak(b.year, what=b.what) for b in indicator.breaks if first < b.year <= last}
    band_by_year = shown.groupby("year")["age"].first().sort_index()
    previous = None
    for year, band in band_by_year.items():
        year = int(year)
        if previous is not None and band != previous[1] \
                and not any(previous[0] < b <= year for b in found):
            found[year] = SeriesBreak(year, ages=(previous[1], band))
        previous = (year, band)
    return [found[year] for year in sorted(found)]


def break_between(breaks, first: int, last: int) -> SeriesBreak | None:
    """The first break after ``first`` up to and including ``last``: the two cannot be compared."""
    return next((b for b in breaks if first < b.year <= last), None)


def reference_group(indicator: Any) -> str | None:
    """The group gaps are measured against; None for a derived gap (its values are gaps)."""
    return None if indicator.derived else indicator.reference_group


def primary_group(series: pd.DataFrame, reference: str | None = None) -> str | None:
    """The first group in codes.yml order that has a number and is neither ``reference`` nor a
    population total (innvandrere where published)."""
    with_numbers = series[series["value"].notna()]
    groups = set(with_numbers["group"]) - {reference}
    candidates = [g for g in groups if g not in COMPARISON_GROUPS] or sorted(groups)
    ordered = ordered_codes(candidates, "groups")
    return ordered[0] if ordered else None


def values_by_year(series: pd.DataFrame, group: str) -> pd.Series:
    rows = series[series["group"] == group]
    return rows.set_index("year")["value"].sort_index()


def decimals_by_year(series: pd.DataFrame, group: str) -> dict[int, int]:
    """Year → the decimals ``group``'s value was published with (the tidy ``decimals``)."""
    rows = series[series["group"] == group]
    return {int(y): int(d) for y, d in zip(rows["year"], rows["decimals"])}


def trend_points(indicator: Any, values: pd.Series) -> pd.Series:
    """The observations a trend is fitted on (``values`` indexed by year): all of them, or for
    overlapping periods (:data:`TREND_STEP`) every n-th counted back from the newest, so that the
    periods used do not share a year."""
    step = TREND_STEP.get(indicator.frequency)
    if not step or values.empty:
        return values
    newest = int(max(values.index))
    return values[[(newest - int(y)) % step == 0 for y in values.index]]


def gap_frame(series: pd.DataFrame, group: str, reference: str | None) -> pd.DataFrame:
    """Years where both the group and the reference group have a number: columns ``group``,
    ``reference`` and ``gap`` (group minus reference), indexed by year."""
    values = values_by_year(series, group).dropna().rename("group")
    if reference is None:
        return pd.DataFrame(columns=["group", "reference", "gap"], dtype=float)
    ref = values_by_year(series, reference).dropna().rename("reference")
    both = pd.concat([values, ref], axis=1).dropna()
    return both.assign(gap=both["group"] - both["reference"])


def source_rows(indicator: Any, rows: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """The source columns of the rows shown, one per row: the rows themselves, or for a derived
    gap the rows it is computed from (the groups shown and the reference group, for the same
    years and breakdowns)."""
    if not indicator.derived:
        return rows[SOURCE_COLUMNS]
    match = ["year", "sex", "age", "geography", "region", "botid", "other_dim", "other_value"]
    base = observations[observations["indicator"] == indicator.derived["from"]]
    base = base[base["group"].isin(set(rows["group"]) | {indicator.reference_group})]
    return base.merge(rows[match].drop_duplicates(), on=match)[SOURCE_COLUMNS]


def trend_rows(obs: pd.DataFrame, indicator: str, group: str, *, by: str | None = None,
               age: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """The rows of one group's series for a command-line trend or a decomposition: sex, region
    and botid "alle" except the ``by`` dimension (which must not be "alle"), no other
    breakdown, and one age band: ``age`` if given, else the newest consistent band (of the bands
    in the newest year, the one with the most years). Returns the rows sorted by year and the
    age band."""
    rows = obs[(obs["indicator"] == indicator) & (obs["group"] == group) & (obs["other_dim"] == "")]
    for dim in ("sex", "region", "botid"):
        rows = rows[rows[dim] != "alle"] if dim == by else rows[rows[dim] == "alle"]
    if rows.empty:
        return rows, age
    if age is None:
        newest = rows[rows["year"] == rows["year"].max()]
        years_per_band = rows.groupby("age")["year"].nunique()
        age = min(newest["age"].unique(), key=lambda band: (-years_per_band[band], band))
    rows = rows[rows["age"] == age]
    return rows.sort_values("year"), age


# --------------------------------------------------------------------------- one indicator


@dataclass(frozen=True, eq=False)
class IndicatorSeries:
    """One indicator's numbers in an edition, as a notebook cell selects them.

    ``rows``: every row of the indicator in the edition's observations; ``main``: its main series
    (:func:`series_rows`, one row per group and year, or per category of a distribution);
    ``breaks``: the catalogue's breaks in the years shown and the changes of age band;
    ``inputs``: for a derived gap, the rows it is computed from (its sources); ``sizes``: the
    number of persons behind each rate where the catalogue names a count."""

    indicator: Any
    rows: pd.DataFrame
    main: pd.DataFrame
    breaks: tuple[SeriesBreak, ...]
    inputs: pd.DataFrame
    sizes: pd.DataFrame

    @property
    def has_numbers(self) -> bool:
        return bool(self.main["value"].notna().any())

    @property
    def distribution(self) -> str | None:
        """The extra dimension the main series is a distribution over (utdanningsnivå), or None."""
        return distribution_dimension(self.main, self.rows)

    @property
    def step(self) -> int:
        """Expected distance in years between observations (a survey: the smallest seen)."""
        if self.indicator.frequency in FREQUENCY_STEP:
            return FREQUENCY_STEP[self.indicator.frequency]
        distinct = sorted(set(int(y) for y in self.main["year"]))
        gaps = [b - a for a, b in zip(distinct, distinct[1:])]
        return min(gaps) if gaps else 1

    def by(self, breakdown: str) -> pd.DataFrame:
        """The series broken down by ``breakdown`` (sex, botid, region, reason)."""
        return series_rows(self.rows, by=breakdown)

    def check_group(self, group: str) -> str:
        """``group`` if it is a group code of codes.yml, else a UserError naming the indicator's
        groups (a known group without numbers in this edition is no error: its models are
        not fitted and the text says so)."""
        if not load_codes().is_known("groups", group):
            have = ordered_codes(self.rows["group"], "groups")
            raise UserError(f"unknown group {group!r} for {self.indicator.id}; its groups in this "
                            f"edition: {', '.join(have) or 'none'}")
        return group

    def values(self, group: str) -> pd.Series:
        """Year → the group's value in the main series (NaN where not published)."""
        return values_by_year(self.main, self.check_group(group))

    def sources(self, shown: pd.DataFrame) -> pd.DataFrame:
        """The source columns of the rows ``shown`` (one per row; a derived gap's inputs)."""
        return source_rows(self.indicator, shown, self.inputs)

    def fewest_persons(self, group: str, years) -> int | None:
        """The smallest group size behind ``group``'s values in ``years`` (None unless known
        for every one of them)."""
        if self.sizes.empty:
            return None
        rows = self.main[(self.main["group"] == group) & self.main["year"].isin(list(years))]
        known = rows[COUNT_MATCH].merge(self.sizes[COUNT_MATCH + ["n"]], on=COUNT_MATCH)["n"].dropna()
        return int(known.min()) if len(known) == len(set(years)) else None


def select_series(obs: pd.DataFrame, indicator: Any) -> IndicatorSeries:
    """``indicator``'s rows of ``obs`` (the edition's observations) and its main series, breaks,
    inputs and group sizes (:class:`IndicatorSeries`)."""
    rows = obs[obs["indicator"] == indicator.id]
    main = series_rows(rows)
    inputs = obs[obs["indicator"] == indicator.derived["from"]] if indicator.derived else obs.iloc[:0]
    return IndicatorSeries(indicator=indicator, rows=rows, main=main,
                           breaks=tuple(series_breaks(indicator, main)), inputs=inputs,
                           sizes=indicator_group_sizes(obs, indicator))
