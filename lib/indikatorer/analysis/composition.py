"""The arbeid chapter's analyses: the shift-share (Kitagawa) decomposition of the change in
immigrants' employment rate over world regions, and the employment profile by length of
residence (botid). What the book shows and says of them is :mod:`indikatorer.report.composition`.

Decomposition
-------------
Rates: ``sysselsatte_andel`` for ``innvandrere`` by world region (sex and botid "alle").
Weights: the number of immigrants in each region, in the same age band and year, derived as
*employed persons ÷ employment rate* — exactly the denominator of the published rate, up to the
rounding of the rate to one decimal. Employed persons come from the catalogue's indicator
:data:`WEIGHT_INDICATOR`.

The two years are chosen inside ONE segment of the series — the catalogue's breaks and every
change of age band end a segment — never across one: the newest segment (in the edition's
years) with at least two years where every region has both a rate and a weight; from its
earliest to its newest such year. The regions must be the same in both years and must add up to
all immigrants (the employed persons of the regions sum to the published total), else there is
no decomposition (:class:`Choice` says why). No weight is ever invented.

Per region, the rate (within) part is ``(rate_b − rate_a) · mean share``. The composition part of
a region is centred, ``(share_b − share_a) · (mean rate of the region − mean overall rate)``: the
centred parts add up to the same composition effect (the shares sum to one in both years), and,
unlike the raw ones, can be read one by one.

Botid profile
-------------
Employment by botid for ``innvandrere`` in all years up to the edition's year where SSB
published it, per country background (all immigrants, and countries such as Irak and Syria where
only they were published), age band and set of botid categories: one panel each. A panel draws
the earliest and the newest year of its newest segment (never two years across a break).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence

import numpy as np
import pandas as pd

from indikatorer.analysis.decomposition import Decomposition, botid_profile, decompose_from_observations
from indikatorer.core.codes import load_codes, ordered_codes

INDICATOR = "sysselsatte_andel"
GROUP = "innvandrere"
# The catalogue entry of the weights (employed persons by world region).
WEIGHT_INDICATOR = "sysselsatte_antall"
# The column of derived weights (number of immigrants in the rate's denominator).
WEIGHT_COLUMN = "bosatte_beregnet"
# Relative tolerance when checking that the regions add up to all immigrants.
PARTITION_TOLERANCE = 0.005


class NoDecomposition(str, Enum):
    """Why there is no decomposition in an edition."""

    NO_REGIONAL_RATES = "no_regional_rates"    # no employment rate by world region in the years
    NO_WEIGHTS = "no_weights"                  # rates by region, but not the employed persons
    NO_COMPARABLE_YEARS = "no_comparable_years"  # not two complete years in one segment


def _segment(year: int, breaks: Sequence[int]) -> int:
    return sum(1 for b in breaks if b <= year)


def _base(obs: pd.DataFrame, indicator: str) -> pd.DataFrame:
    return obs[(obs["indicator"] == indicator) & (obs["group"] == GROUP) & (obs["sex"] == "alle")
               & (obs["botid"] == "alle") & (obs["other_dim"] == "")
               & ~obs["region"].str.startswith("land:")]


KEY = ["year", "age", "region"]


def region_table(obs: pd.DataFrame) -> pd.DataFrame:
    """One row per year × age band × region (world regions and ``alle``) where immigrants'
    employment rate is published: ``rate``, ``employed`` (NaN where not published) and the
    derived number of immigrants ``population`` = employed ÷ rate × 100."""
    rates = _base(obs, INDICATOR)[KEY + ["value", "status"]].rename(
        columns={"value": "rate", "status": "rate_status"})
    employed = _base(obs, WEIGHT_INDICATOR)[KEY + ["value"]].rename(columns={"value": "employed"})
    table = rates.merge(employed, on=KEY, how="left")
    usable = table["rate"].notna() & (table["rate"] > 0) & table["employed"].notna()
    table["population"] = (table["employed"] / table["rate"] * 100).where(usable)
    return table.sort_values(KEY).reset_index(drop=True)


@dataclass(frozen=True)
class Choice:
    """The two years decomposed (``year_a`` < ``year_b``), their age band and regions; or, when
    there are none, ``reason`` says what is missing and ``years`` the years the data do have
    (regional rates for NO_WEIGHTS, complete years for NO_COMPARABLE_YEARS); ``span`` the
    edition's years."""

    year_a: int | None = None
    year_b: int | None = None
    age: str | None = None
    regions: tuple[str, ...] = ()
    reason: NoDecomposition | None = None
    years: tuple[int, ...] = ()
    span: tuple[int, int] | None = None
    newest_rate_year: int | None = None  # newest year with the overall rate


def _complete_years(table: pd.DataFrame) -> dict[tuple[str, int], tuple[str, ...]]:
    """(age, year) → regions, for years where every world region has a rate and a weight and
    the regions add up to all immigrants (where the total is published)."""
    out = {}
    for (age, year), rows in table.groupby(["age", "year"]):
        regions = rows[rows["region"] != "alle"]
        if regions.empty or regions["population"].isna().any():
            continue
        total = rows.loc[rows["region"] == "alle", "employed"]
        if len(total) and total.notna().all():
            if not math.isclose(regions["employed"].sum(), float(total.iloc[0]),
                                rel_tol=PARTITION_TOLERANCE):
                continue
        out[(age, int(year))] = tuple(sorted(regions["region"]))
    return out


def choose_years(obs: pd.DataFrame, breaks: Sequence[int], first_year: int, year: int) -> Choice:
    """The two years to decompose (module doc): in the newest segment with two complete years
    inside ``first_year``–``year``, its earliest and newest complete year (same regions)."""
    table = region_table(obs)
    table = table[(table["year"] >= first_year) & (table["year"] <= year)]
    overall = table[(table["region"] == "alle") & table["rate"].notna()]
    newest_rate_year = int(overall["year"].max()) if not overall.empty else None
    span = (first_year, year)
    regional = table[(table["region"] != "alle") & table["rate"].notna()]
    if regional.empty:
        return Choice(reason=NoDecomposition.NO_REGIONAL_RATES, span=span, newest_rate_year=newest_rate_year)
    complete = _complete_years(table)
    if not complete:
        return Choice(reason=NoDecomposition.NO_WEIGHTS, years=tuple(sorted(set(regional["year"]))),
                      span=span, newest_rate_year=newest_rate_year)
    by_segment: dict[tuple[int, str], list[int]] = {}
    for age, y in complete:
        by_segment.setdefault((_segment(y, breaks), age), []).append(y)
    for (_, age), years in sorted(by_segment.items(), key=lambda item: (-max(item[1]), item[0])):
        years = sorted(years)
        newest = years[-1]
        same = [y for y in years if complete[(age, y)] == complete[(age, newest)]]
        if len(same) >= 2:
            return Choice(year_a=same[0], year_b=newest, age=age, regions=complete[(age, newest)],
                          span=span, newest_rate_year=newest_rate_year)
    return Choice(reason=NoDecomposition.NO_COMPARABLE_YEARS, years=tuple(sorted(y for _, y in complete)),
                  span=span, newest_rate_year=newest_rate_year)


@dataclass(frozen=True)
class Composition:
    """A decomposition with what the book shows of it. ``by_region``: one row per region with
    share_a/share_b (per cent of immigrants), rate_a/rate_b (per cent), employed_a/employed_b,
    within (the rate part), composition (the centred composition part) and total."""

    choice: Choice
    decomposition: Decomposition
    by_region: pd.DataFrame
    published_a: float | None  # the published overall rate (region "alle"), where there is one
    published_b: float | None
    rows: pd.DataFrame = field(repr=False)  # the observation rows used (for the sources)

    @property
    def total(self) -> float:
        return self.decomposition.total_change

    @property
    def within(self) -> float:
        return self.decomposition.rate_effect

    @property
    def composition(self) -> float:
        return self.decomposition.composition_effect


def centred_contributions(decomposition: Decomposition) -> pd.DataFrame:
    """Per group: ``within`` (the rate effect) and ``composition`` = (share_b − share_a) ×
    (mean rate of the group − mean overall rate). Because the shares sum to one in both years the
    composition column sums to the decomposition's composition effect; ``total`` = within +
    composition, and the totals sum to the total change."""
    frame = decomposition.by_group
    mean_overall = (decomposition.overall_a + decomposition.overall_b) / 2
    mean_rate = (frame["rate_a"] + frame["rate_b"]) / 2
    out = pd.DataFrame({
        "group": frame["group"],
        "within": frame["rate_effect"],
        "composition": (frame["share_b"] - frame["share_a"]) * (mean_rate - mean_overall),
    })
    out["total"] = out["within"] + out["composition"]
    return out


def compute_composition(obs: pd.DataFrame, breaks: Sequence[int], first_year: int, year: int
                        ) -> Composition | Choice:
    """The decomposition for the edition's years, or the :class:`Choice` saying why there is
    none. ``obs``: tidy rows of ``sysselsatte_andel`` and :data:`WEIGHT_INDICATOR`."""
    choice = choose_years(obs, breaks, first_year, year)
    if choice.reason:
        return choice
    table = region_table(obs)
    table = table[table["age"] == choice.age]
    inputs = _base(obs, INDICATOR)
    inputs = inputs[(inputs["age"] == choice.age) & inputs["year"].isin([choice.year_a, choice.year_b])
                    & inputs["region"].isin(choice.regions)]
    weights = table.set_index(["year", "region"])["population"]
    inputs = inputs.assign(**{WEIGHT_COLUMN: [weights.get((y, r), np.nan)
                                              for y, r in zip(inputs["year"], inputs["region"])]})
    decomposition = decompose_from_observations(
        inputs, INDICATOR, choice.year_a, choice.year_b, by="region", group=GROUP,
        weight_indicator=WEIGHT_COLUMN, levels=list(choice.regions))
    parts = centred_contributions(decomposition).rename(columns={"group": "region"})
    frame = decomposition.by_group.rename(columns={"group": "region"})
    employed = table.set_index(["year", "region"])["employed"]
    by_region = pd.DataFrame({
        "region": frame["region"],
        "share_a": frame["share_a"] * 100, "share_b": frame["share_b"] * 100,
        "rate_a": frame["rate_a"], "rate_b": frame["rate_b"],
        "employed_a": [employed.get((choice.year_a, r)) for r in frame["region"]],
        "employed_b": [employed.get((choice.year_b, r)) for r in frame["region"]],
    }).merge(parts, on="region")
    order = ordered_codes(by_region["region"], "regions")
    by_region = by_region.set_index("region").loc[order].reset_index()

    published = table[table["region"] == "alle"].set_index("year")["rate"]
    used = obs[obs["indicator"].isin([INDICATOR, WEIGHT_INDICATOR]) & (obs["group"] == GROUP)
               & (obs["sex"] == "alle") & (obs["botid"] == "alle") & (obs["other_dim"] == "")
               & (obs["age"] == choice.age) & obs["year"].isin([choice.year_a, choice.year_b])
               & obs["region"].isin([*choice.regions, "alle"])]
    return Composition(choice=choice, decomposition=decomposition, by_region=by_region,
                       published_a=_number(published.get(choice.year_a)),
                       published_b=_number(published.get(choice.year_b)), rows=used)


def _number(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


@dataclass(frozen=True)
class Panel:
    region: str
    age: str
    botid: tuple[str, ...]   # the categories, in order
    shown: tuple[int, ...]   # the years drawn

    @property
    def key(self) -> str:
        return f"{self.region}|{self.age}|{','.join(self.botid)}"


def _botid_order(codes) -> list[str]:
    order = load_codes().order("botid")
    return sorted(set(codes), key=lambda c: (order.index(c) if c in order else len(order), c))


def botid_profiles(obs: pd.DataFrame, reference_group: str, breaks: Sequence[int], year: int
                   ) -> tuple[list[Panel], pd.DataFrame]:
    """Every published botid profile of immigrants' employment up to ``year``: panels (country
    background × age band × botid categories; all immigrants first) and one frame with
    ``panel, region, age, year, botid, value, status, reference_value, gap`` from
    :func:`botid_profile` (gap only where the reference group is published for the same
    year and age band)."""
    rows = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == GROUP) & (obs["sex"] == "alle")
               & (obs["other_dim"] == "") & (obs["botid"] != "alle") & (obs["year"] <= year)
               & ((obs["region"] == "alle") | obs["region"].str.startswith("land:"))]
    reference = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == reference_group)
                    & (obs["year"] <= year)]
    panels, frames = [], []
    if rows.empty:
        return panels, pd.DataFrame()
    categories = rows.groupby(["region", "age", "year"])["botid"].agg(lambda s: tuple(_botid_order(s)))
    grouped: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}
    for (region, age, y), codes in categories.items():
        grouped.setdefault((region, age, codes), []).append(int(y))
    ordered = sorted(grouped.items(),
                     key=lambda item: (item[0][0] != "alle", item[0][0], min(item[1]), item[0][1]))
    for (region, age, codes), years in ordered:
        years = sorted(years)
        newest = [y for y in years if _segment(y, breaks) == _segment(years[-1], breaks)]
        panel = Panel(region, age, codes, tuple(sorted({newest[0], newest[-1]})))
        # botid_profile takes the group's total over regions; the panel's country is
        # handed to it as that total (a copy; the reference group keeps region "alle").
        own = rows[(rows["region"] == region) & (rows["age"] == age) & rows["year"].isin(years)
                   & rows["botid"].isin(codes)].assign(region="alle")
        profile = botid_profile(pd.concat([own, reference], ignore_index=True),
                                       reference_group=reference_group, group=GROUP, order=codes)
        # Decimals as SSB printed them (no false precision in the sentences).
        printed = own[["year", "botid", "decimals"]].drop_duplicates(["year", "botid"]) \
            if "decimals" in own.columns else own[["year", "botid"]].assign(decimals=1)
        profile = profile.merge(printed, on=["year", "botid"], how="left")
        frames.append(profile.assign(panel=panel.key, region=region, age=age))
        panels.append(panel)
    profiles = pd.concat(frames, ignore_index=True)
    return panels, profiles[["panel", "region", "age", "year", "botid", "value", "status",
                             "reference_value", "gap", "decimals"]]
