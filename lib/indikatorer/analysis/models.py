"""The models a notebook cell fits on an indicator's series (:class:`IndicatorSeries`), before
it hands them to the presentation:

    series = select_series(obs, ind)
    trend = fit_trend(series, "innvandrere", series.breaks, window=params.window)
    gap = gap_trend(series, "innvandrere", ind.reference_group, series.breaks, window=params.window)
    change = latest_change(series, "innvandrere")

Each names its group, so the presentation tells whose numbers they are; a group without numbers
in the edition gives a model that is not fitted (``n`` = 0), never an error. An unknown group
code is a UserError naming the indicator's groups.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from indikatorer.analysis.trends import Change, TrendResult, change, linear_gap_trend, linear_trend
from indikatorer.data.selection import (IndicatorSeries, gap_frame, primary_group, reference_group,
                                        trend_points)


def fit_trend(series: IndicatorSeries, group: str, breaks=(), *, window: int | None) -> TrendResult:
    """The linear trend of ``group``'s values in the main series over the last ``window`` years,
    with a level shift at each break (:func:`indikatorer.analysis.trends.linear_trend`); for
    overlapping periods only those that share no year (:func:`trend_points`)."""
    values = trend_points(series.indicator, series.values(group).dropna())
    result = linear_trend(values.index, values.to_numpy(), breaks=breaks, window=window)
    return replace(result, group=group)


def gap_trend(series: IndicatorSeries, group: str, reference: str, breaks=(), *,
              window: int | None) -> TrendResult:
    """The trend of the gap ``group − reference`` over the years where both have a number."""
    series.check_group(reference)
    gaps = gap_frame(series.main, series.check_group(group), reference)
    gaps = gaps.loc[trend_points(series.indicator, gaps["gap"]).index]
    result = linear_gap_trend(gaps.index, gaps["group"], gaps["reference"], reference=reference,
                              breaks=breaks, window=window)
    return replace(result, group=group)


def latest_change(series: IndicatorSeries, group: str) -> Change | None:
    """The change in ``group``'s value from its previous observation to its newest (None with
    fewer than two years with a number). Without the number of persons behind each share there
    is no uncertainty (the published series hold shares only)."""
    values = series.values(group).dropna()
    if len(values) < 2:
        return None
    latest, previous = int(values.index[-1]), int(values.index[-2])
    return replace(change(values.to_dict(), previous, latest), group=group)


@dataclass(frozen=True)
class Models:
    """The models of one indicator, as :func:`standard_models` fits them."""

    group: str | None
    trend: TrendResult | None = None
    gap: TrendResult | None = None
    change: Change | None = None


def standard_models(series: IndicatorSeries, *, window: int | None) -> Models:
    """The models the theme chapters fit, for the group the codes.yml rule picks
    (:func:`indikatorer.data.selection.primary_group`): trend, gap trend against the indicator's
    reference group (none for a derived gap, whose values are gaps) and the latest change — for
    the summary table, which shows every headline indicator. A distribution gets none."""
    reference = reference_group(series.indicator)
    group = primary_group(series.main, reference)
    if group is None or series.distribution:
        return Models(group)
    gap = None
    if reference is not None and not gap_frame(series.main, group, reference).empty:
        gap = gap_trend(series, group, reference, series.breaks, window=window)
    return Models(group, fit_trend(series, group, series.breaks, window=window), gap,
                  latest_change(series, group))
