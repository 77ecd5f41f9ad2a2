"""Which developments a theme chapter's key messages tell, in which order — ranked by what the
data can support, from the models the chapter fitted on each indicator
(:func:`indikatorer.analysis.models.standard_models`; this module fits nothing).

The order (:meth:`Development.rank_key`), each step breaking the ties of the one before:

1. indicators with current numbers (:class:`indikatorer.data.coverage.Status`) before those
   with older numbers only;
2. indicators where a higher or a lower value is better (the catalogue's ``direction``) before
   neutral ones (counts of participants, new citizens …): those speak to the goals of
   integration policy, these to volumes;
3. the evidence (:class:`Evidence`): a trend in the size of the gap to the reference group whose
   95 % confidence interval excludes zero; a trend in the level whose interval excludes zero; a
   gap measured in the newest year, without a clear trend; a trend whose interval includes
   zero; the newest level only;
4. the size of the newest gap, largest first, where gaps are in percentage points (shares,
   rates); other units are not compared;
5. the catalogue's order.

Not ranked (:class:`Left`): an indicator without numbers in the edition (the summary lists it),
a distribution over categories (no trend is fitted on it), one whose numbers are a total of the
whole population only (they say nothing about immigrants), and a derived gap whose source
indicator is in the same chapter (its message tells that gap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Sequence

from indikatorer.analysis.models import Models
from indikatorer.analysis.trends import Direction, GapChange, TrendResult
from indikatorer.core.params import EditionParams
from indikatorer.data.coverage import Status, coverage
from indikatorer.data.selection import COMPARISON_GROUPS, IndicatorSeries, gap_frame, reference_group

MOST, FEWEST = 5, 3         # key messages per chapter: at most 5 (fewer only where fewer are ranked)
COMPARABLE_GAP_UNITS = ("prosent", "prosentpoeng")   # gaps in percentage points


class Evidence(IntEnum):
    """What the numbers of one indicator can support, strongest first."""

    GAP_DIRECTION = 0     # the gap's size has a trend with a direction (CI excludes zero)
    LEVEL_DIRECTION = 1   # the level has a trend with a direction
    GAP = 2               # a gap measured in the newest year; no direction
    NO_DIRECTION = 3      # a trend was fitted; its CI includes zero
    LEVEL = 4             # the newest level only: too few years for a trend


class Left(str, Enum):
    """Why an indicator is not among the ranked developments."""

    NO_NUMBERS = "no_numbers"
    DISTRIBUTION = "distribution"
    TOTAL_ONLY = "total_only"
    TOLD_WITH_SOURCE = "told_with_source"


def clear_direction(trend: TrendResult | None) -> bool:
    """A fitted trend of a level whose CI excludes zero."""
    return trend is not None and trend.fitted and trend.direction in (Direction.RISING, Direction.FALLING)


def clear_gap_change(trend: TrendResult | None) -> bool:
    """A fitted trend whose verdict on the gap's size is a direction (narrowing, widening)."""
    return trend is not None and trend.fitted and trend.size_change in (GapChange.NARROWING,
                                                                       GapChange.WIDENING)


@dataclass(frozen=True)
class Development:
    """One indicator's development as its models tell it: ``group`` is the models' group,
    ``newest`` the newest year of its main series, ``gap`` the newest gap (group − reference;
    for a derived gap its own value) in ``gap_year``, and the models ``trend`` (of the level; of
    the gap for a derived gap), ``gap_trend`` and ``models`` as fitted."""

    indicator: str
    group: str
    status: Status
    newest: int
    evidence: Evidence
    gap: float | None
    gap_year: int | None
    gaps_comparable: bool
    derived: bool
    neutral: bool
    models: Models
    order: int = 0

    @property
    def trend(self) -> TrendResult | None:
        return self.models.trend

    @property
    def gap_trend(self) -> TrendResult | None:
        """The trend of the gap: the gap model, or for a derived gap (values are gaps) its trend."""
        return self.models.trend if self.derived else self.models.gap

    def rank_key(self) -> tuple:
        size = -abs(self.gap) if self.gap is not None and self.gaps_comparable else 0.0
        return (self.status != Status.CURRENT, self.neutral, int(self.evidence), size, self.order)


def evidence(models: Models, derived: bool, has_gap: bool) -> Evidence:
    """The strongest statement the models support (:class:`Evidence`)."""
    if derived:
        if clear_gap_change(models.trend):
            return Evidence.GAP_DIRECTION
        return Evidence.GAP
    if clear_gap_change(models.gap):
        return Evidence.GAP_DIRECTION
    if clear_direction(models.trend):
        return Evidence.LEVEL_DIRECTION
    if has_gap:
        return Evidence.GAP
    if models.trend is not None and models.trend.fitted:
        return Evidence.NO_DIRECTION
    return Evidence.LEVEL


def development(series: IndicatorSeries, models: Models, params: EditionParams, *,
                chapter_ids: Sequence[str] = (), order: int = 0) -> Development | Left:
    """``series``' development from its ``models``, or why it is not ranked (:class:`Left`).
    ``chapter_ids``: the indicators of the same chapter (a derived gap whose source is among
    them is told with it)."""
    indicator = series.indicator
    seen = coverage(series, params)
    if seen.status == Status.NONE or models.group is None:
        return Left.NO_NUMBERS
    if series.distribution:
        return Left.DISTRIBUTION
    if models.group in COMPARISON_GROUPS:
        return Left.TOTAL_ONLY
    derived = indicator.derived is not None
    if derived and indicator.derived["from"] in chapter_ids:
        return Left.TOLD_WITH_SOURCE
    gap = gap_year = None
    if derived:
        values = series.values(models.group).dropna()
        gap_year = int(values.index.max())
        gap = float(values[gap_year])
    else:
        gaps = gap_frame(series.main, models.group, reference_group(indicator))
        if not gaps.empty:
            gap_year = int(gaps.index.max())
            gap = float(gaps.loc[gap_year, "gap"])
    if gap is not None and math.isnan(gap):
        gap = None
    unit = "prosentpoeng" if derived else indicator.unit
    return Development(indicator.id, models.group, seen.status, seen.newest,
                       evidence(models, derived, gap is not None), gap, gap_year,
                       unit in COMPARABLE_GAP_UNITS, derived, indicator.direction == "neutral",
                       models, order)


def rank(chapter: Sequence[IndicatorSeries], models: Sequence[Models], params: EditionParams
         ) -> tuple[list[Development], dict[str, Left]]:
    """The chapter's developments in the order of the module doc, and the indicators left out
    with the reason. The key messages are the first :data:`MOST` of the ranked."""
    ids = [s.indicator.id for s in chapter]
    ranked, left = [], {}
    for order, (series, fitted) in enumerate(zip(chapter, models, strict=True)):
        found = development(series, fitted, params, chapter_ids=ids, order=order)
        if isinstance(found, Left):
            left[series.indicator.id] = found
        else:
            ranked.append(found)
    return sorted(ranked, key=Development.rank_key), left
