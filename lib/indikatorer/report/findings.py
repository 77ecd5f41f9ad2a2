"""Key findings: Norwegian sentences about an indicator's main series, told from the numbers
and from the models the notebook cell fitted (this module fits nothing).

The findings are about the group the models name (``trend.group``), or without models the
first group of codes.yml with a number that is not the reference group or a total
(:func:`indikatorer.data.selection.primary_group`). A derived gap (its values are gaps) is told
by the gap's size, never by its sign. Where the data have only a total (hele befolkningen, alle
barn), the findings first say which group there are no numbers for. Where the group is the
indicator's population (personer som fikk norsk statsborgerskap), the sentences leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass
import pandas as pd

from indikatorer.analysis.trends import Change, GapChange, TrendResult
from indikatorer.core.params import EditionParams
from indikatorer.data.selection import (COMPARISON_GROUPS, IndicatorSeries, break_between,
                                        decimals_by_year, gap_frame, primary_group, reference_group,
                                        values_by_year)
from indikatorer.report import fmt, style, text

THIN_YEARS = 5        # fewer years with numbers in the chapter: say so
# Where the data have only a total, the findings say which group they have no numbers for:
# this one, else innvandrere.
TOTAL_STANDS_FOR = {"alle_barn": "barn_med_innvandrerbakgrunn",
                    "alle_barn_i_barnehage": "minoritetsspraklige_barn"}
SURVEY_CAUTION = ("Tallene bygger på en utvalgsundersøkelse og har utvalgsusikkerhet; små "
                  "forskjeller bør ikke tillegges vekt.")


def group_label(code: str) -> str:
    return style.label(code, "groups")


@dataclass(frozen=True)
class Findings:
    """What the text says about an indicator's main series, and the models behind it."""

    sentences: list[str]
    primary: str | None
    headline: tuple[str, ...] = ()   # the level and the gap: the figure's alt text
    latest_year: int | None = None
    trend: TrendResult | None = None
    gap_trend: TrendResult | None = None
    gap_verdict: GapChange | None = None


def focus_group(series: IndicatorSeries, *models) -> str | None:
    """The group the findings are about: the one the models name, else the codes.yml rule."""
    for model in models:
        if model is not None and model.group:
            return model.group
    return primary_group(series.main, reference_group(series.indicator))


def findings(series: IndicatorSeries, params: EditionParams, *, trend: TrendResult | None = None,
             gap: TrendResult | None = None, change: Change | None = None) -> Findings:
    """Key findings as Norwegian sentences: the newest level, the gap to the reference group,
    the change since the previous observation (``change``), the trend over the window
    (``trend``) and the trend in the gap (``gap``), and a caution where the numbers are few or
    come from a survey. A model not given is not told."""
    indicator, main = series.indicator, series.main
    name, unit = indicator.subject, indicator.unit
    reference = reference_group(indicator)
    primary = focus_group(series, trend, gap, change)
    if primary is None:
        return Findings([], None)
    values = values_by_year(main, primary).dropna()
    if values.empty:  # the models' group has no numbers in this edition
        return Findings([text.sentence(f"Datagrunnlaget har ingen tall for {text.lower_first(name)} "
                                       f"{text.group_phrase(group_label(primary))} i "
                                       f"{fmt.year_range(*params.years)}")], None)
    shown = decimals_by_year(main, primary)  # decimals as published, per year
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
        decimals = decimals_by_year(main, group).get(latest)
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
            other_values = values_by_year(main, other).dropna()
            if latest in other_values.index:
                sentences.append(level(other, other_values[latest]))
    gaps = gap_frame(main, primary, reference)
    gap_text = ""
    if not gaps.empty:
        common = int(gaps.index.max())
        gap_text = text.gap_sentence(name, group_label(primary), group_label(reference),
                                     gaps.loc[common, "group"], gaps.loc[common, "reference"],
                                     common, unit, decimals=shown.get(common),
                                     reference_decimals=decimals_by_year(main, reference).get(common))
        sentences.append(gap_text)

    cautioned = _change_sentences(sentences, series, primary, values, shown, who, change)
    one_year = len(values) == 1  # no development to tell; the caution below says so
    verdict = None
    if indicator.derived and trend is not None:  # the values are gaps already
        verdict = trend.size_change
        if not one_year:
            sentences.append(text.gap_trend_sentence(
                trend, verdict, indicator_name=name, group_label=group_label(primary),
                reference_label=gap_of, unit=unit, side=_gap_side(values, trend)))
    elif trend is not None and not one_year:
        sentences.append(text.trend_sentence(trend, indicator_name=name, group_label=who, unit=unit))
    if gap is not None and not gaps.empty:
        verdict = gap.size_change
        if len(gaps) > 1:
            sentences.append(text.gap_trend_sentence(
                gap, verdict, group_label=group_label(primary), reference_label=group_label(reference),
                unit=unit, side=_gap_side(gaps["gap"], gap)))

    if indicator.survey:
        sentences.append(SURVEY_CAUTION)
    if len(values) < THIN_YEARS and not cautioned:
        sentences.append(text.few_years_sentence(values.index, params.years))
    told = sentences[:2] if primary in COMPARISON_GROUPS else sentences[:1]
    headline = tuple(told) + ((gap_text,) if gap_text else ())
    return Findings(sentences, primary, headline, latest, trend, gap if not gaps.empty else None, verdict)


def _change_sentences(sentences: list[str], series: IndicatorSeries, primary: str, values: pd.Series,
                      shown: dict[int, int], who: str | None, change: Change | None) -> bool:
    """The change since the previous observation (appended to ``sentences``); True when it
    already says the series has only two years."""
    indicator = series.indicator
    name, unit = indicator.subject, indicator.unit
    latest = int(values.index.max())
    earlier = values[values.index < latest]
    if earlier.empty:
        return False
    previous = int(earlier.index.max())
    crossing = break_between(series.breaks, previous, latest)
    few = {"years_in_series": len(values)}
    if crossing:
        sentences.append(f"Tallene for {previous} og {latest} kan ikke sammenlignes direkte "
                         f"fordi det er brudd i serien i {crossing.year}.")
        return False
    group = group_label(primary)
    if indicator.derived:
        sentences.append(text.gap_change_sentence(
            previous, latest, values[previous], values[latest], indicator_name=name,
            group_label=group, reference_label=group_label(indicator.reference_group),
            unit=fmt.difference_unit(unit), decimals=(shown.get(previous), shown.get(latest)), **few))
    elif unit in ("prosent", "prosentpoeng"):
        if change is None or (change.from_year, change.to_year) != (previous, latest):
            return False  # the cell fitted no change between these years: none is told
        n = series.fewest_persons(primary, (previous, latest))
        sentences.append(text.change_sentence(previous, latest, change.change, indicator_name=name,
                                              group_label=who, unit=unit, n=n, **few,
                                              decimals=fmt.difference_decimals(shown[previous], shown[latest])))
    else:
        sentences.append(text.relative_change_sentence(name, who, previous, latest, values[previous],
                                                       values[latest], unit,
                                                       decimals=(shown[previous], shown[latest]), **few))
    return len(values) <= text.FEW_YEARS


def _gap_side(gaps: pd.Series, result: TrendResult | None) -> int | None:
    """−1 when the group lies below the reference in every year of the trend, +1 above; None
    when the gap changes sign (or there is no trend)."""
    if result is None or not result.fitted:
        return None
    first, last = result.years_used
    shown = gaps[(gaps.index >= first) & (gaps.index <= last)]
    return -1 if (shown < 0).all() else 1 if (shown > 0).all() else None


def facet_sentence(chart_rows: pd.DataFrame, facet: str, group: str, year: int, name: str,
                   unit: str) -> str:
    """"Blant innvandrere var andelen sysselsatte høyest for Norden (78,2 prosent) og lavest
    for Afrika (49,1 prosent) i 2023." — a breakdown in one year, for one group."""
    rows = chart_rows[(chart_rows["group"] == group) & (chart_rows["year"] == year)]
    rows = rows.dropna(subset=["value"]).sort_values(["value", facet])
    if rows.empty:
        return ""
    kind_of = style.KIND_OF_COLUMN.get(facet)

    def category(code: str) -> str:
        shown = style.split_label(style.label(code, kind_of))[0]  # the table has it in full
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
