"""Decomposition of a change in an overall rate (Kitagawa), and a group's outcome by length of
residence (botid) beside the reference group's.

Pure functions of numbers and tidy observations; results are typed objects without words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Sequence

import pandas as pd

from indikatorer.analysis.trends import _rounded
from indikatorer.core.errors import UserError
from indikatorer.data.selection import trend_rows


# --------------------------------------------------------------------------- decomposition


@dataclass(frozen=True)
class Decomposition:
    """Kitagawa decomposition of ``overall_b − overall_a`` into a within-group (rate) part and a
    composition (mix) part. ``by_group`` has one row per group: group, share_a, share_b,
    rate_a, rate_b, rate_effect, composition_effect, total."""

    overall_a: float
    overall_b: float
    total_change: float
    rate_effect: float
    composition_effect: float
    by_group: pd.DataFrame = field(compare=False)
    weights: str = ""                # the indicator (or column) the weights come from
    weight_age: str | None = None   # the age band of the weights, where they are an indicator's

    def to_dict(self) -> dict:
        rows = self.by_group.to_dict(orient="records")
        return {
            "overall_a": _rounded(self.overall_a), "overall_b": _rounded(self.overall_b),
            "total_change": _rounded(self.total_change), "rate_effect": _rounded(self.rate_effect),
            "composition_effect": _rounded(self.composition_effect),
            "by_group": [{k: (v if isinstance(v, str) else _rounded(v)) for k, v in r.items()} for r in rows],
            "weights": self.weights, "weight_age": self.weight_age,
        }


def decompose_change(shares_a, rates_a, shares_b, rates_b) -> Decomposition:
    """Shift-share decomposition of the change in an overall rate between year A and year B.

    Inputs are mappings (dict or Series) group → number. Shares may be population counts or
    shares; each year is normalised to sum to 1, so they must cover the whole population.
    Overall rate = Σ share·rate. With midpoint (symmetric) weights, per group:

        rate effect        = (rate_b − rate_a) · (share_a + share_b) / 2
        composition effect = (share_b − share_a) · (rate_a + rate_b) / 2

    and the two add up exactly to share_b·rate_b − share_a·rate_a. A group present in only one
    year, or a missing value, is an error (UserError naming the groups): merge such groups into a
    common one before decomposing, since a rate for a group that does not exist is undefined.

    Read the per-group composition terms with care: they scale with the group's rate level (a
    group that grows adds its whole rate), and only their sum is the composition effect.
    """
    inputs = {"shares_a": _as_series(shares_a, "shares_a"), "rates_a": _as_series(rates_a, "rates_a"),
              "shares_b": _as_series(shares_b, "shares_b"), "rates_b": _as_series(rates_b, "rates_b")}
    groups = sorted(set().union(*(series.index for series in inputs.values())))
    lacking = {g: [name for name, series in inputs.items() if g not in series.index] for g in groups}
    lacking = {g: names for g, names in lacking.items() if names}
    if lacking:
        raise UserError(
            "Decomposition needs the same groups in both years; "
            + "; ".join(f"{g!r} missing from {', '.join(names)}" for g, names in lacking.items())
            + ". Merge such groups into a common one or drop them first."
        )
    frame = pd.DataFrame({"share_a": inputs["shares_a"], "share_b": inputs["shares_b"],
                          "rate_a": inputs["rates_a"], "rate_b": inputs["rates_b"]}).loc[groups]
    bad = frame.index[frame.isna().any(axis=1)].tolist()
    if bad:
        raise UserError(f"Decomposition has missing shares or rates for groups: {bad}")
    if (frame[["share_a", "share_b"]] < 0).any().any():
        raise UserError("Decomposition shares must not be negative")
    for col in ("share_a", "share_b"):
        total = frame[col].sum()
        if total <= 0:
            raise UserError(f"Decomposition shares ({col}) sum to zero")
        frame[col] = frame[col] / total

    frame["rate_effect"] = (frame.rate_b - frame.rate_a) * (frame.share_a + frame.share_b) / 2
    frame["composition_effect"] = (frame.share_b - frame.share_a) * (frame.rate_a + frame.rate_b) / 2
    frame["total"] = frame.rate_effect + frame.composition_effect
    overall_a = math.fsum(frame.share_a * frame.rate_a)
    overall_b = math.fsum(frame.share_b * frame.rate_b)
    by_group = frame.rename_axis("group").reset_index()
    return Decomposition(
        overall_a=overall_a, overall_b=overall_b, total_change=overall_b - overall_a,
        rate_effect=math.fsum(frame.rate_effect), composition_effect=math.fsum(frame.composition_effect),
        by_group=by_group,
    )


def _as_series(x, name: str) -> pd.Series:
    series = x if isinstance(x, pd.Series) else pd.Series(dict(x))
    if series.index.has_duplicates:
        raise UserError(f"{name} has duplicate groups: {sorted(series.index[series.index.duplicated()])}")
    return pd.to_numeric(series, errors="coerce").astype(float)


def decompose_from_observations(
    obs: pd.DataFrame,
    indicator: str,
    year_a: int,
    year_b: int,
    *,
    by: str = "region",
    group: str = "innvandrere",
    weight_indicator: str = "befolkning_antall",
    levels: Sequence[str] | None = None,
) -> Decomposition:
    """Decompose the change in ``indicator`` for ``group`` between two years over the levels of
    ``by`` ("region", "botid" or "sex").

    Rates: the indicator's rows for the group with ``by`` != "alle" (other breakdowns "alle",
    newest consistent age band). Weights: ``weight_indicator`` is either a column of ``obs``
    (a count on the same rows) or an indicator id whose values for the same group, levels and
    years are population counts, preferably on the rate's age band, else its own newest band
    (only relative sizes matter; ``weight_age`` says which band). ``levels`` are the codes that
    partition the group; by default every code present except "alle" (and, for region,
    ``land:`` country codes, which overlap the world regions). Missing weights or rates raise
    UserError naming what is missing.
    """
    if by not in ("region", "botid", "sex"):
        raise ValueError(f"by must be 'region', 'botid' or 'sex', got {by!r}")
    rate_rows, age = trend_rows(obs, indicator, group, by=by)
    if rate_rows.empty:
        raise UserError(f"No rows for {indicator} / {group} broken down by {by}")

    weight_age = None
    if weight_indicator in obs.columns:
        weight_rows = rate_rows.assign(value=pd.to_numeric(rate_rows[weight_indicator], errors="coerce"))
    else:
        weight_rows, weight_age = trend_rows(obs, weight_indicator, group, by=by, age=age)
        if weight_rows.empty:
            weight_rows, weight_age = trend_rows(obs, weight_indicator, group, by=by)
        if weight_rows.empty:
            raise UserError(
                f"Cannot weight the decomposition: no {weight_indicator} rows for {group} by {by} "
                f"(and no column {weight_indicator!r} in the observations)."
            )

    if levels is None:
        codes = set(rate_rows[by])
        if by == "region":
            codes = {c for c in codes if not c.startswith("land:")}
        levels = sorted(codes)
    tables = {}
    for label, rows in (("rates", rate_rows), ("weights", weight_rows)):
        for year in (year_a, year_b):
            series = rows[rows["year"] == year].set_index(by)["value"]
            series = series[series.index.isin(levels)]
            missing = sorted(set(levels) - set(series.dropna().index))
            if missing:
                name = indicator if label == "rates" else weight_indicator
                raise UserError(f"Missing {label} ({name}) for {group}, {year}, {by}: {missing}")
            tables[label, year] = series
    result = decompose_change(tables["weights", year_a], tables["rates", year_a],
                              tables["weights", year_b], tables["rates", year_b])
    return replace(result, weights=weight_indicator, weight_age=weight_age)


# --------------------------------------------------------------------------- botid


def botid_profile(
    df: pd.DataFrame,
    *,
    reference_group: str,
    group: str = "innvandrere",
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Outcome by length of residence for one indicator's observations.

    Returns ``year, botid, value, status, reference_value, gap`` (gap = value − the reference
    group's overall value the same year), one row per year and botid code, ordered by year and
    then by ``order`` (codes not in it after, by their first number; default: by first number,
    so "0-3" < "4-6" < "7+"). Only sex/region "alle" and no other breakdown; the newest
    consistent age band.
    """
    indicators = df["indicator"].unique()
    if len(indicators) != 1:
        raise ValueError(f"botid_profile needs one indicator's rows, got {sorted(indicators)}")
    indicator = indicators[0]
    rows, age = trend_rows(df, indicator, group, by="botid")
    if rows.empty:
        raise UserError(f"No botid breakdown for {indicator} / {group}")
    reference, _ = trend_rows(df, indicator, reference_group, age=age)
    reference = reference[["year", "value"]].rename(columns={"value": "reference_value"})
    out = rows[["year", "botid", "value", "status"]].merge(reference, on="year", how="left")
    out["gap"] = out["value"] - out["reference_value"]

    rank = {code: i for i, code in enumerate(order or ())}
    out["_order"] = [
        (rank.get(code, len(rank)), _first_number(code), code) for code in out["botid"]
    ]
    return out.sort_values(["year", "_order"]).drop(columns="_order").reset_index(drop=True)


def _first_number(code: str) -> float:
    match = re.search(r"\d+", code)
    return float(match.group()) if match else math.inf


