"""The fitted models in words: the method, the coefficients beside a chart (an HTML ``<details>``
block on the web, one line in the PDF), and the words the summary table uses for a direction.

The analysis layer returns enums and numbers (:mod:`indikatorer.analysis.trends`); this module is
the one place that maps them to Norwegian.
"""

from __future__ import annotations

from indikatorer.analysis.trends import Change, ChangeReason, Direction, GapChange, TrendResult
from indikatorer.report import fmt, style, text

DIRECTION_WORDS = {
    Direction.RISING: "stigende",
    Direction.FALLING: "synkende",
    Direction.NO_CLEAR_CHANGE: "ingen klar endring",
    Direction.NOT_FITTED: "ikke beregnet",
}
GAP_WORDS = {
    GapChange.NARROWING: "gapet minker",
    GapChange.WIDENING: "gapet øker",
    GapChange.NO_CLEAR_CHANGE: "ingen klar endring i gapet",
}
SHARES_ONLY = "usikkerheten kan ikke beregnes fordi bare andeler er publisert"
SUMMARY = "Modellene bak figuren"


def method_text(result: TrendResult) -> str:
    """"Lineær trend (OLS) med t-basert 95 prosent konfidensintervall; nivåskift ved brudd i
    2015" (a gap's trend says so first)."""
    words = (f"Lineær trend (OLS) med t-basert {fmt.number(100 * (1 - result.alpha), 0)} prosent "
             "konfidensintervall")
    if result.breaks_used:
        words += "; nivåskift ved brudd i " + ", ".join(map(str, result.breaks_used))
    return ("Gap (gruppe minus referansegruppe). " if result.is_gap else "") + words


def _whose(result: TrendResult) -> str:
    group = text.lower_first(style.label(result.group)) if result.group else "gruppen"
    if result.is_gap:
        return f"Trend i forskjellen {group} minus {text.lower_first(style.label(result.reference))}"
    return f"Trend for {group}"


def _slope_decimals(unit: str) -> tuple[str, int]:
    diff_unit = fmt.difference_unit(unit)
    return diff_unit, (2 if fmt.DECIMALS[diff_unit] > 0 else 0)


def trend_line(result: TrendResult, unit: str) -> str:
    """One fitted (or refused) trend: slope per year with its CI, level shifts at breaks, the
    years and the number of observations."""
    if not result.fitted:
        return f"{_whose(result)}: ikke beregnet ({text.lower_first(text.refusal_text(result)).rstrip('.')})."
    diff_unit, decimals = _slope_decimals(unit)
    level = fmt.number(100 * (1 - result.alpha), 0)
    words = (f"{_whose(result)}, {fmt.year_range(*result.years_used)} (n = {result.n}): "
             f"{fmt.value(result.slope, diff_unit, decimals=decimals, sign=True)} per år "
             f"({level} prosent konfidensintervall {fmt.number(result.ci_low, decimals)} til "
             f"{fmt.number(result.ci_high, decimals)})")
    for year, (estimate, low, high) in sorted(result.level_shifts.items()):
        words += (f"; nivåskift i {year}: {fmt.number(estimate, decimals, sign=True)} "
                  f"({fmt.number(low, decimals)} til {fmt.number(high, decimals)})")
    return words + f". {method_text(result)}."


def change_line(change: Change, unit: str) -> str:
    """The change from the previous observation to the newest, with its uncertainty or why
    there is none."""
    group = text.lower_first(style.label(change.group)) if change.group else "gruppen"
    head = f"Endring for {group} fra {change.from_year} til {change.to_year}"
    if change.change is None:
        return f"{head}: kan ikke beregnes."
    diff_unit = fmt.difference_unit(unit)
    words = f"{head}: {fmt.value(change.change, diff_unit, sign=True)}"
    test = change.uncertainty
    if test is not None:
        words += (f" ({fmt.number(100 * (1 - test.alpha), 0)} prosent konfidensintervall "
                  f"{fmt.number(test.ci_low)} til {fmt.number(test.ci_high)}; Wald-intervall og "
                  "z-test for to uavhengige andeler)")
    elif change.reason is ChangeReason.SHARES_ONLY and unit in ("prosent", "prosentpoeng"):
        words += f"; {SHARES_ONLY}"
    return words + "."


def details_block(lines: list[str]) -> str:
    """The models beside a chart: on the web a ``<details>`` element (not a collapsed callout,
    whose ARIA toggles fail WCAG checks) with one line per model; in the PDF one paragraph."""
    if not lines:
        return ""
    items = "\n".join(f"- {line}" for line in lines)
    return ('::: {.content-visible when-format="html"}\n'
            f'```{{=html}}\n<details class="modeller">\n<summary>{SUMMARY}</summary>\n```\n\n'
            f"{items}\n\n```{{=html}}\n</details>\n```\n:::\n\n"
            '::: {.content-hidden when-format="html"}\n'
            f"[{SUMMARY}: {' '.join(lines)}]{{.modeller}}\n:::")


def model_lines(unit: str, trend: TrendResult | None = None, gap: TrendResult | None = None,
                change: Change | None = None) -> list[str]:
    """The lines of :func:`details_block` for the models a cell fitted."""
    lines = [trend_line(m, unit) for m in (trend, gap) if m is not None and m.n > 0]
    if change is not None:
        lines.append(change_line(change, unit))
    return lines
