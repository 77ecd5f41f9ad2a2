"""Trend models: a linear trend with level shifts at series breaks, the trend of a gap, and the
change between two years.

Pure functions of numbers (no data selection, no plotting, no words): results are typed objects
and enums; :mod:`indikatorer.report` tells them in Norwegian. The methodology as printed in the
book is in the appendix «Om indikatorene og dataene» (chapters/90-om-indikatorene.ipynb).

- **Trend**: OLS of value on year over the window (normally the last ten years); years without a
  number are left out, never filled in. A declared break gives a level shift from its year (a
  common slope, separate levels; lines never joined across it). The slope's CI is t-based; a
  direction (:class:`Direction`) only when the CI excludes zero. No trend with fewer than five
  observations or fewer than three more than the model's parameters.
- **Gap**: group minus reference, with its own trend; whether the gap narrows
  (:class:`GapChange`) is judged on its size, whichever side the group is on.
- **Change between two years**: in the value's unit; a Wald CI and z-test for two proportions
  only when the number of persons behind each share is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from indikatorer.data.small_numbers import is_reportable


class Direction(str, Enum):
    """The direction of a fitted trend: a direction only when the slope's CI excludes zero."""

    RISING = "rising"
    FALLING = "falling"
    NO_CLEAR_CHANGE = "no_clear_change"
    NOT_FITTED = "not_fitted"


class GapChange(str, Enum):
    """How the size of a gap (|group − reference|) developed over a fitted trend's window."""

    NARROWING = "narrowing"
    WIDENING = "widening"
    NO_CLEAR_CHANGE = "no_clear_change"


class ChangeReason(str, Enum):
    """Why a change between two years has no number or no uncertainty."""

    MISSING_VALUE = "missing_value"        # a year has no number (``missing_years``)
    TOO_FEW_PERSONS = "too_few_persons"    # a share rests on fewer than MIN_COUNT persons
    SHARES_ONLY = "shares_only"            # only shares are published: no uncertainty


DIRECTIONS = ("higher_better", "lower_better", "neutral")  # the catalogue's `direction`
MIN_POINTS = 5
# Results are rounded to this many decimals in to_dict(), and the classification looks at the CI
# rounded the same way: a constant series otherwise gets a "significant" slope of 1e-15 from
# floating-point noise.
ROUND_DECIMALS = 6


# --------------------------------------------------------------------------- trend


@dataclass(frozen=True)
class TrendResult:
    """A fitted (or refused) linear trend. Slope and CIs are in the value's unit per year
    (percentage points per year for rates); ``None`` when not fitted. ``needed``: the
    observations the model needs (``min_points``, more with breaks). ``group`` and
    ``reference`` say whose series it is (set by :mod:`indikatorer.analysis.models`; a
    reference means the trend is of the gap group − reference). ``size_change``: whether the
    fitted line is closer to zero at the end of the window (read for gaps)."""

    fitted: bool
    slope: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    p_value: float | None
    n: int
    needed: int
    min_points: int
    years_used: tuple[int, int] | None
    breaks_used: tuple[int, ...]
    level_shifts: dict[int, tuple[float, float, float]]
    direction: Direction
    size_change: GapChange = GapChange.NO_CLEAR_CHANGE
    alpha: float = 0.05
    group: str | None = None
    reference: str | None = None
    # The statsmodels results, kept for fitted_values(); not part of the record.
    _ols: Any = field(default=None, repr=False, compare=False)
    _centre: float = field(default=0.0, repr=False, compare=False)

    @property
    def is_gap(self) -> bool:
        return self.reference is not None

    @property
    def segments(self) -> tuple[tuple[int, int], ...]:
        """(first, last) year of each segment between breaks, as covered by the window."""
        if self.years_used is None:
            return ()
        first, last = self.years_used
        starts = [first, *self.breaks_used]
        ends = [b - 1 for b in self.breaks_used] + [last]
        return tuple(zip(starts, ends))

    def fitted_values(self, years: Iterable[int] | None = None) -> pd.DataFrame:
        """The trend line with its confidence band, one row per year: ``year, segment, fit,
        ci_low, ci_high``. ``segment`` is 0 before the first break, 1 after it, and so on, so a
        plot draws each segment separately and never joins them across a break. Default years:
        every year from the first to the last year used. Empty frame when not fitted."""
        columns = ["year", "segment", "fit", "ci_low", "ci_high"]
        if not self.fitted:
            return pd.DataFrame(columns=columns)
        if years is None:
            years = range(self.years_used[0], self.years_used[1] + 1)
        year_arr = np.array(sorted({int(y) for y in years}), dtype=int)
        segment = np.searchsorted(np.array(self.breaks_used, dtype=int), year_arr, side="right")
        fit, low, high = _predict(self._ols, self._centre, len(self.breaks_used), year_arr, segment,
                                  self.alpha)
        return pd.DataFrame(
            {"year": year_arr, "segment": segment.astype(int), "fit": fit, "ci_low": low, "ci_high": high}
        )

    def to_dict(self) -> dict:
        """JSON-serialisable record; floats rounded to 6 decimals so output is stable."""
        return {
            "fitted": self.fitted,
            "slope": _rounded(self.slope),
            "ci_low": _rounded(self.ci_low),
            "ci_high": _rounded(self.ci_high),
            "se": _rounded(self.se),
            "p_value": _rounded(self.p_value),
            "n": self.n,
            "needed": self.needed,
            "min_points": self.min_points,
            "years_used": list(self.years_used) if self.years_used else None,
            "segments": [list(s) for s in self.segments],
            "breaks_used": list(self.breaks_used),
            "level_shifts": {
                str(year): {"estimate": _rounded(est), "ci_low": _rounded(lo), "ci_high": _rounded(hi)}
                for year, (est, lo, hi) in sorted(self.level_shifts.items())
            },
            "direction": self.direction.value,
            "size_change": self.size_change.value,
            "alpha": self.alpha,
            "group": self.group,
            "reference": self.reference,
        }


def _predict(ols, centre: float, n_breaks: int, years: np.ndarray, segment: np.ndarray, alpha: float):
    """Mean prediction and its CI for the given years, each on the given segment's line."""
    dummies = [(segment > j).astype(float) for j in range(n_breaks)]
    exog = np.column_stack([np.ones(len(years)), years - centre, *dummies])
    prediction = ols.get_prediction(exog)
    ci = prediction.conf_int(alpha=alpha)
    return prediction.predicted_mean, ci[:, 0], ci[:, 1]


def linear_trend(
    years: Sequence[int],
    values: Sequence[float],
    *,
    breaks: Iterable = (),
    window: int | None = None,
    min_points: int = MIN_POINTS,
    alpha: float = 0.05,
) -> TrendResult:
    """OLS of value on year, with a level shift at each declared break inside the window.

    - ``years``/``values``: one value per year; NaN values are dropped, never interpolated.
    - ``breaks``: break years (ints, or objects with ``.year``). A break at year B means values
      from B on are not comparable with earlier ones: the model gets a dummy ``year >= B``
      (common slope, shifted level). A break is used when there are observations both before
      it and in its own segment (a segment with no observations has no level to estimate; the
      jump is then carried by the next break).
    - ``window``: keep the last ``window`` calendar years, ending at the newest year with a value.
    - Refuses (``fitted=False``) when fewer than ``max(min_points, parameters + 3)`` values remain.

    Standard errors: plain OLS with t-based intervals. With ~10 annual points a simulation
    (2,000 series of 10 points, true slope 0.5) gave 95 % CI coverage of 95.7 % for OLS-t under
    independent noise against 88.3 % for HAC Newey–West (maxlags=1, small-sample correction,
    t-based); under AR(1) noise with rho = 0.3 / 0.6 OLS-t covered 88 % / 73 % and HAC 81 % / 69 %.
    HAC never helps at this length, so we use OLS-t and say in the methodology that positive
    autocorrelation can make the intervals somewhat narrow.
    """
    year_arr = np.asarray(years, dtype=float)
    value_arr = np.asarray(values, dtype=float)
    if year_arr.ndim != 1 or year_arr.shape != value_arr.shape:
        raise ValueError("years and values must be one-dimensional and of the same length")
    if np.isnan(year_arr).any() or np.any(year_arr != np.round(year_arr)):
        raise ValueError(f"years must be whole numbers, got {year_arr.tolist()}")
    if len(np.unique(year_arr)) != len(year_arr):
        raise ValueError(f"years must be unique, got {sorted(year_arr.astype(int).tolist())}")
    if np.isinf(value_arr).any():
        raise ValueError("values must be finite or NaN")
    if window is not None and window < 2:
        raise ValueError(f"window must be at least 2 years, got {window}")

    keep = ~np.isnan(value_arr)
    order = np.argsort(year_arr[keep])
    obs_years = year_arr[keep][order].astype(int)
    obs_values = value_arr[keep][order]
    if window is not None and len(obs_years):
        in_window = obs_years >= obs_years[-1] - window + 1
        obs_years, obs_values = obs_years[in_window], obs_values[in_window]

    n = len(obs_years)
    years_used = (int(obs_years[0]), int(obs_years[-1])) if n else None
    breaks_used = _breaks_in_window(obs_years, breaks)
    needed = max(min_points, 2 + len(breaks_used) + 3)
    common = dict(n=n, needed=needed, min_points=min_points, years_used=years_used,
                  breaks_used=breaks_used, alpha=alpha)
    if n < needed:
        return TrendResult(fitted=False, slope=None, ci_low=None, ci_high=None, se=None, p_value=None,
                           level_shifts={}, direction=Direction.NOT_FITTED, **common)

    centre = float(obs_years.mean())
    dummies = [(obs_years >= b).astype(float) for b in breaks_used]
    exog = np.column_stack([np.ones(n), obs_years - centre, *dummies])
    ols = sm.OLS(obs_values, exog).fit()
    conf_int = ols.conf_int(alpha=alpha)
    slope, ci_low, ci_high = float(ols.params[1]), float(conf_int[1, 0]), float(conf_int[1, 1])
    level_shifts = {
        b: (float(ols.params[2 + j]), float(conf_int[2 + j, 0]), float(conf_int[2 + j, 1]))
        for j, b in enumerate(breaks_used)
    }
    direction = classify(ci_low, ci_high)
    return TrendResult(
        fitted=True, slope=slope, ci_low=ci_low, ci_high=ci_high, se=float(ols.bse[1]),
        p_value=float(ols.pvalues[1]), level_shifts=level_shifts, direction=direction,
        size_change=_size_change(ols, centre, years_used, len(breaks_used), direction, alpha),
        _ols=ols, _centre=centre, **common,
    )


def classify(ci_low: float, ci_high: float) -> Direction:
    """A direction only when the CI (rounded to ROUND_DECIMALS) excludes zero."""
    low, high = round(ci_low, ROUND_DECIMALS), round(ci_high, ROUND_DECIMALS)
    if low > 0:
        return Direction.RISING
    if high < 0:
        return Direction.FALLING
    return Direction.NO_CLEAR_CHANGE


def _size_change(ols, centre: float, years_used: tuple[int, int], n_breaks: int,
                 direction: Direction, alpha: float) -> GapChange:
    """Narrowing when the fitted line (on the newest segment, so a level shift at a break does
    not count) is closer to zero at the end of the window than at its start; no verdict unless
    the slope's CI excludes zero. So a negative gap rising towards 0 narrows, but a positive
    gap (the group ahead) that rises widens: the side is read from the fitted gap itself."""
    if direction is not Direction.RISING and direction is not Direction.FALLING:
        return GapChange.NO_CLEAR_CHANGE
    first, last = years_used
    fit, _, _ = _predict(ols, centre, n_breaks, np.array([first, last]), np.array([n_breaks] * 2), alpha)
    size_start, size_end = abs(fit[0]), abs(fit[1])
    if size_end < size_start:
        return GapChange.NARROWING
    if size_end > size_start:
        return GapChange.WIDENING
    return GapChange.NO_CLEAR_CHANGE


def _breaks_in_window(obs_years: np.ndarray, breaks: Iterable) -> tuple[int, ...]:
    if len(obs_years) == 0:
        return ()
    first, last = obs_years[0], obs_years[-1]
    candidates = sorted({int(getattr(b, "year", b)) for b in breaks})
    candidates = [b for b in candidates if first < b <= last]
    used = []
    for i, b in enumerate(candidates):
        next_break = candidates[i + 1] if i + 1 < len(candidates) else math.inf
        if np.any((obs_years >= b) & (obs_years < next_break)):
            used.append(b)
    return tuple(used)


def _rounded(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), ROUND_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def linear_gap_trend(years, group_values, reference_values, *, reference: str = "reference",
                     **kwargs) -> TrendResult:
    """Trend of the gap ``group − reference`` (percentage points for rates). A year where either
    value is missing has no gap and is dropped. Keyword arguments go to :func:`linear_trend`;
    ``reference`` names the reference group in the result (which marks it as a gap trend)."""
    gap = np.asarray(group_values, dtype=float) - np.asarray(reference_values, dtype=float)
    return replace(linear_trend(years, gap, **kwargs), reference=reference)


# --------------------------------------------------------------------------- change


@dataclass(frozen=True)
class ChangeTest:
    """Change between two shares in percentage points (second minus first), Wald CI and the
    matching z-test (two independent proportions)."""

    change: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    alpha: float = 0.05

    def to_dict(self) -> dict:
        return {
            "change": _rounded(self.change), "ci_low": _rounded(self.ci_low),
            "ci_high": _rounded(self.ci_high), "z": _rounded(self.z),
            "p_value": _rounded(self.p_value), "alpha": self.alpha,
        }


def change_test(p1: float, n1: float, p2: float, n2: float, *, alpha: float = 0.05) -> ChangeTest:
    """Two independent proportions: ``p1``, ``p2`` in per cent (0–100, as in the observations),
    ``n1``, ``n2`` the number of persons each share is based on. Change = p2 − p1 in pp.

    The CI and the test are both Wald (unpooled variance p(1−p)/n per year), so the CI excludes
    zero exactly when p < alpha; the text never contradicts itself.
    """
    for p in (p1, p2):
        if not 0 <= p <= 100:
            raise ValueError(f"shares must be in per cent (0–100), got {p}")
    for n in (n1, n2):
        if not n > 0:
            raise ValueError(f"counts must be positive, got {n}")
    # statsmodels compares its first sample minus its second: pass the later year first.
    args = (p2 / 100 * n2, n2, p1 / 100 * n1, n1)
    low, high = confint_proportions_2indep(*args, method="wald", compare="diff", alpha=alpha)
    test = test_proportions_2indep(*args, method="wald", compare="diff")
    return ChangeTest(change=(p2 - p1), ci_low=100 * float(low), ci_high=100 * float(high),
                      z=float(test.statistic), p_value=float(test.pvalue), alpha=alpha)


@dataclass(frozen=True)
class Change:
    """Change from one year to another in the value's unit (pp for shares). ``reason`` says why
    there is no number (``change`` None) or no uncertainty; ``missing_years`` the years without
    a number, ``fewest`` (year, persons) the year whose share rests on too few persons."""

    from_year: int
    to_year: int
    from_value: float | None
    to_value: float | None
    change: float | None
    uncertainty: ChangeTest | None
    reason: ChangeReason | None
    missing_years: tuple[int, ...] = ()
    fewest: tuple[int, float] | None = None
    group: str | None = None

    def to_dict(self) -> dict:
        return {
            "from_year": self.from_year, "to_year": self.to_year,
            "from_value": _rounded(self.from_value), "to_value": _rounded(self.to_value),
            "change": _rounded(self.change),
            "uncertainty": self.uncertainty.to_dict() if self.uncertainty else None,
            "reason": self.reason.value if self.reason else None,
            "missing_years": list(self.missing_years),
            "fewest": list(self.fewest) if self.fewest else None,
            "group": self.group,
        }


def change(
    values_by_year: Mapping[int, float],
    from_year: int,
    to_year: int,
    counts: Mapping[int, float] | None = None,
) -> Change:
    """Change between two years; a CI and test only when ``counts`` (the number of persons each
    share is based on) are known for both years. A missing value or a count under MIN_COUNT gives
    ``change=None`` and the reason; missing counts give ``uncertainty=None`` (SHARES_ONLY)."""
    values = {int(y): v for y, v in dict(values_by_year).items()}
    a, b = _number_or_none(values.get(from_year)), _number_or_none(values.get(to_year))
    missing = tuple(y for y, v in ((from_year, a), (to_year, b)) if v is None)
    if missing:
        return Change(from_year, to_year, a, b, None, None, ChangeReason.MISSING_VALUE, missing_years=missing)

    known = {int(y): n for y, n in dict(counts or {}).items()}
    n_a, n_b = _number_or_none(known.get(from_year)), _number_or_none(known.get(to_year))
    for year, n in ((from_year, n_a), (to_year, n_b)):
        if n is not None and not is_reportable(n):
            return Change(from_year, to_year, a, b, None, None, ChangeReason.TOO_FEW_PERSONS,
                          fewest=(year, n))
    if n_a is None or n_b is None:
        return Change(from_year, to_year, a, b, b - a, None, ChangeReason.SHARES_ONLY)
    return Change(from_year, to_year, a, b, b - a, change_test(a, n_a, b, n_b), None)


def _number_or_none(x) -> float | None:
    if x is None or pd.isna(x):
        return None
    return float(x)

