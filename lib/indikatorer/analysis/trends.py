"""Trend models: linear trend with level shifts at series breaks, gap trend, change between two
years, the small-number rule, shift-share decomposition and the botid profile.

Pure functions of the tidy observations (no plotting, no file I/O except ``command_trend``).
The Norwegian text below is the methodology as printed in the book ("Slik er tallene laget").

Metode
------
**Trend.** Utviklingen beskrives med en lineær trend, estimert med minste kvadraters metode
(OLS) på årene i vinduet, normalt de siste ti årene. År uten tall utelates; de fylles aldri inn.
Der SSB har markert et brudd i serien, får modellen et nivåskift fra bruddåret: stigningstallet
er felles, men nivået før og etter bruddet estimeres hver for seg, og linjene bindes ikke sammen.
Trenden oppgis i prosentpoeng per år med et 95 prosent konfidensintervall fra t-fordelingen.
Utviklingen kalles stigende eller synkende bare når intervallet ikke omfatter null; ellers står
det «ingen klar endring». Med færre enn fem observasjoner, eller færre enn tre flere enn antall
parametere i modellen, beregnes ingen trend. Vi bruker vanlige standardfeil: i simuleringer med
ti år ga autokorrelasjonsrobuste (HAC) standardfeil for smale intervaller. Samvariasjon mellom
naboår kan likevel gjøre intervallene noe for smale, så svake trender bør leses med forsiktighet.

**Gap.** Gapet er gruppens verdi minus referansegruppens, i prosentpoeng, og får sin egen trend.
Gapet minker når avstanden blir mindre, uansett om gruppen ligger over eller under
referansegruppen.

**Endring mellom to år** oppgis i prosentpoeng. Usikkerheten (95 prosent konfidensintervall og
z-test for to andeler) beregnes bare når antallet personer andelene bygger på, er kjent.

**Små tall.** Andeler som bygger på færre enn 10 personer, vises ikke.

**Dekomponering.** Endringen i en samlet andel mellom to år deles etter Kitagawas metode i en del
som skyldes endring innen gruppene og en del som skyldes endret sammensetning, med gjennomsnittet
av de to årenes vekter. Delene summerer seg nøyaktig til den samlede endringen.

**Botid.** Tall etter botid sammenlignes med referansegruppen år for år. Forskjeller mellom
botidsgrupper samme år blander virkningen av botid med forskjeller mellom innvandringskull.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from indikatorer.core.errors import UserError
from indikatorer.data.small_numbers import MIN_COUNT, is_reportable

# Classification words (Norwegian: they are printed).
RISING = "stigende"
FALLING = "synkende"
NO_CLEAR_CHANGE = "ingen klar endring"
NOT_FITTED = "ikke beregnet"

GAP_NARROWING = "gapet minker"
GAP_WIDENING = "gapet øker"
GAP_NO_CLEAR_CHANGE = "ingen klar endring i gapet"

DIRECTIONS = ("higher_better", "lower_better", "neutral")

# Results are rounded to this many decimals in to_dict(), and the classification looks at the CI
# rounded the same way: a constant series otherwise gets a "significant" slope of 1e-15 from
# floating-point noise.
ROUND_DECIMALS = 6

SHARES_ONLY_REASON = "Usikkerhet kan ikke beregnes fordi bare andeler er publisert."


# --------------------------------------------------------------------------- trend


@dataclass(frozen=True)
class TrendResult:
    """A fitted (or refused) linear trend. Slope and CIs are in the value's unit per year
    (percentage points per year for rates); ``None`` when not fitted."""

    fitted: bool
    slope: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    p_value: float | None
    n: int
    years_used: tuple[int, int] | None
    breaks_used: tuple[int, ...]
    level_shifts: dict[int, tuple[float, float, float]]
    classification: str
    reason: str | None
    method: str
    alpha: float = 0.05
    # The statsmodels results, kept for fitted_values(); not part of the record.
    _ols: Any = field(default=None, repr=False, compare=False)
    _centre: float = field(default=0.0, repr=False, compare=False)

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
        fit, low, high = self._predict(year_arr, segment)
        return pd.DataFrame(
            {"year": year_arr, "segment": segment.astype(int), "fit": fit, "ci_low": low, "ci_high": high}
        )

    def _predict(self, years: np.ndarray, segment: np.ndarray):
        """Mean prediction and its CI for the given years, each on the given segment's line."""
        dummies = [(segment > j).astype(float) for j in range(len(self.breaks_used))]
        exog = np.column_stack([np.ones(len(years)), years - self._centre, *dummies])
        prediction = self._ols.get_prediction(exog)
        ci = prediction.conf_int(alpha=self.alpha)
        return prediction.predicted_mean, ci[:, 0], ci[:, 1]

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
            "years_used": list(self.years_used) if self.years_used else None,
            "segments": [list(s) for s in self.segments],
            "breaks_used": list(self.breaks_used),
            "level_shifts": {
                str(year): {"estimate": _rounded(est), "ci_low": _rounded(lo), "ci_high": _rounded(hi)}
                for year, (est, lo, hi) in sorted(self.level_shifts.items())
            },
            "classification": self.classification,
            "reason": self.reason,
            "method": self.method,
            "alpha": self.alpha,
        }


def fit_trend(
    years: Sequence[int],
    values: Sequence[float],
    *,
    breaks: Iterable = (),
    window: int | None = None,
    min_points: int = 5,
    alpha: float = 0.05,
) -> TrendResult:
    """OLS of value on year, with a level shift at each declared break inside the window.

    - ``years``/``values``: one value per year; NaN values are dropped, never interpolated.
    - ``breaks``: break years (ints, or catalogue ``Break`` objects with ``.year``). A break at
      year B means values from B on are not comparable with earlier ones: the model gets a dummy
      ``year >= B`` (common slope, shifted level). A break is used when there are observations
      both before it and in its own segment (a segment with no observations has no level to
      estimate; the jump is then carried by the next break).
    - ``window``: keep the last ``window`` calendar years, ending at the newest year with a value.
    - Refuses (``fitted=False`` with a Norwegian ``reason``) when fewer than
      ``max(min_points, parameters + 3)`` values remain.

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
    n_params = 2 + len(breaks_used)
    needed = max(min_points, n_params + 3)
    method = _method_text(breaks_used, alpha)
    if n < needed:
        reason = f"For få observasjoner ({n}) til å beregne trend"
        if needed > min_points:
            reason += " med brudd i serien (" + ", ".join(map(str, breaks_used)) + ")"
        reason += f"; minst {needed} trengs."
        return TrendResult(
            fitted=False, slope=None, ci_low=None, ci_high=None, se=None, p_value=None, n=n,
            years_used=years_used, breaks_used=breaks_used, level_shifts={},
            classification=NOT_FITTED, reason=reason, method=method, alpha=alpha,
        )

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
    return TrendResult(
        fitted=True, slope=slope, ci_low=ci_low, ci_high=ci_high, se=float(ols.bse[1]),
        p_value=float(ols.pvalues[1]), n=n, years_used=years_used, breaks_used=breaks_used,
        level_shifts=level_shifts, classification=classify(ci_low, ci_high), reason=None,
        method=method, alpha=alpha, _ols=ols, _centre=centre,
    )


def classify(ci_low: float, ci_high: float) -> str:
    """A direction only when the CI (rounded to ROUND_DECIMALS) excludes zero."""
    low, high = round(ci_low, ROUND_DECIMALS), round(ci_high, ROUND_DECIMALS)
    if low > 0:
        return RISING
    if high < 0:
        return FALLING
    return NO_CLEAR_CHANGE


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


def _method_text(breaks_used: tuple[int, ...], alpha: float) -> str:
    text = f"Lineær trend (OLS) med t-basert {100 * (1 - alpha):g} prosent konfidensintervall"
    if breaks_used:
        text += "; nivåskift ved brudd i " + ", ".join(map(str, breaks_used))
    return text


def _rounded(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), ROUND_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


# --------------------------------------------------------------------------- gap


def gap_trend(years, group_values, reference_values, **kwargs) -> TrendResult:
    """Trend of the gap ``group − reference`` (percentage points for rates). A year where either
    value is missing has no gap and is dropped. Keyword arguments go to :func:`fit_trend`."""
    gap = np.asarray(group_values, dtype=float) - np.asarray(reference_values, dtype=float)
    result = fit_trend(years, gap, **kwargs)
    return replace(result, method="Gap (gruppe minus referansegruppe). " + result.method)


def describe_gap(result: TrendResult, direction: str) -> str:
    """"gapet minker" / "gapet øker" / "ingen klar endring i gapet" for a :func:`gap_trend` result.

    Narrowing is defined on the size of the gap, |group − reference|: the gap narrows when the
    trend line (drawn on the newest segment, so a level shift at a break does not count) is closer
    to zero at the end of the window than at its start. No verdict unless the slope's CI excludes
    zero. So for a higher-better indicator a negative gap rising towards 0 narrows, but a positive
    gap (the group ahead) that rises widens. ``direction`` is validated but cannot change the
    verdict: which side of the reference the group is on is read from the fitted gap itself,
    never assumed from the direction.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if not result.fitted or result.classification == NO_CLEAR_CHANGE:
        return GAP_NO_CLEAR_CHANGE
    first, last = result.years_used
    newest_segment = len(result.breaks_used)
    fit, _, _ = result._predict(np.array([first, last]), np.array([newest_segment] * 2))
    size_start, size_end = abs(fit[0]), abs(fit[1])
    if size_end < size_start:
        return GAP_NARROWING
    if size_end > size_start:
        return GAP_WIDENING
    return GAP_NO_CLEAR_CHANGE


# --------------------------------------------------------------------------- change


@dataclass(frozen=True)
class ChangeTest:
    """Change between two shares in percentage points (second minus first), Wald 95 % CI and
    the matching z-test."""

    change: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    method: str

    def to_dict(self) -> dict:
        return {
            "change": _rounded(self.change), "ci_low": _rounded(self.ci_low),
            "ci_high": _rounded(self.ci_high), "z": _rounded(self.z),
            "p_value": _rounded(self.p_value), "method": self.method,
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
    return ChangeTest(
        change=(p2 - p1), ci_low=100 * float(low), ci_high=100 * float(high),
        z=float(test.statistic), p_value=float(test.pvalue),
        method=f"Wald-intervall og z-test for to uavhengige andeler ({100 * (1 - alpha):g} prosent)",
    )


@dataclass(frozen=True)
class Change:
    """Change from one year to another in the value's unit (pp for shares)."""

    from_year: int
    to_year: int
    from_value: float | None
    to_value: float | None
    change: float | None
    uncertainty: ChangeTest | None
    reason: str | None

    def to_dict(self) -> dict:
        return {
            "from_year": self.from_year, "to_year": self.to_year,
            "from_value": _rounded(self.from_value), "to_value": _rounded(self.to_value),
            "change": _rounded(self.change),
            "uncertainty": self.uncertainty.to_dict() if self.uncertainty else None,
            "reason": self.reason,
        }


def change(
    values_by_year: Mapping[int, float],
    from_year: int,
    to_year: int,
    counts: Mapping[int, float] | None = None,
) -> Change:
    """Change between two years; a CI and test only when ``counts`` (the number of persons each
    share is based on) are known for both years. A missing value or a count under MIN_COUNT gives
    ``change=None`` with a Norwegian ``reason``; missing counts give ``uncertainty=None`` with
    :data:`SHARES_ONLY_REASON`."""
    values = {int(y): v for y, v in dict(values_by_year).items()}
    a, b = _number_or_none(values.get(from_year)), _number_or_none(values.get(to_year))
    missing = [str(y) for y, v in ((from_year, a), (to_year, b)) if v is None]
    if missing:
        return Change(from_year, to_year, a, b, None, None, "Mangler tall for " + " og ".join(missing) + ".")

    known = {int(y): n for y, n in dict(counts or {}).items()}
    n_a, n_b = _number_or_none(known.get(from_year)), _number_or_none(known.get(to_year))
    for year, n in ((from_year, n_a), (to_year, n_b)):
        if n is not None and not is_reportable(n):
            reason = (f"Tallgrunnlaget i {year} er for lite ({n:g} personer); "
                      f"andeler vises ikke når de bygger på færre enn {MIN_COUNT} personer.")
            return Change(from_year, to_year, a, b, None, None, reason)
    if n_a is None or n_b is None:
        return Change(from_year, to_year, a, b, b - a, None, SHARES_ONLY_REASON)
    return Change(from_year, to_year, a, b, b - a, change_test(a, n_a, b, n_b), None)


def _number_or_none(x) -> float | None:
    if x is None or pd.isna(x):
        return None
    return float(x)


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
    note: str = ""

    def to_dict(self) -> dict:
        rows = self.by_group.to_dict(orient="records")
        return {
            "overall_a": _rounded(self.overall_a), "overall_b": _rounded(self.overall_b),
            "total_change": _rounded(self.total_change), "rate_effect": _rounded(self.rate_effect),
            "composition_effect": _rounded(self.composition_effect),
            "by_group": [{k: (v if isinstance(v, str) else _rounded(v)) for k, v in r.items()} for r in rows],
            "note": self.note,
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
    (only relative sizes matter; the ``note`` says which band). ``levels`` are the codes that
    partition the group; by default every code present except "alle" (and, for region,
    ``land:`` country codes, which overlap the world regions). Missing weights or rates raise
    UserError naming what is missing.
    """
    if by not in ("region", "botid", "sex"):
        raise ValueError(f"by must be 'region', 'botid' or 'sex', got {by!r}")
    rate_rows, age = trend_rows(obs, indicator, group, by=by)
    if rate_rows.empty:
        raise UserError(f"No rows for {indicator} / {group} broken down by {by}")

    if weight_indicator in obs.columns:
        weight_rows = rate_rows.assign(value=pd.to_numeric(rate_rows[weight_indicator], errors="coerce"))
        note = f"Vekter: {weight_indicator} (antall) for samme rader."
    else:
        weight_rows, weight_age = trend_rows(obs, weight_indicator, group, by=by, age=age)
        if weight_rows.empty:
            weight_rows, weight_age = trend_rows(obs, weight_indicator, group, by=by)
        if weight_rows.empty:
            raise UserError(
                f"Cannot weight the decomposition: no {weight_indicator} rows for {group} by {by} "
                f"(and no column {weight_indicator!r} in the observations)."
            )
        note = f"Vekter: {weight_indicator}, alder {weight_age}."

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
    return replace(result, note=note)


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


# --------------------------------------------------------------------------- selection


def trend_rows(
    obs: pd.DataFrame, indicator: str, group: str, *, by: str | None = None, age: str | None = None
) -> tuple[pd.DataFrame, str | None]:
    """The rows of one series: sex/region/botid "alle" except the ``by`` dimension (which must
    not be "alle"), no other breakdown, and one age band: ``age`` if given, else the newest
    consistent band (of the bands in the newest year, the one with the most years). Returns the
    rows sorted by year and the age band."""
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


# --------------------------------------------------------------------------- CLI
