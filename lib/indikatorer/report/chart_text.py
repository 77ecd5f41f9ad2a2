"""What a chart shows, in words: its alt text and the notes its caption needs
(:class:`ChartDescription`, which :mod:`indikatorer.report.figures` attaches to every figure
as ``fig.description`` and :func:`indikatorer.report.publishing.publish_figure` reads)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indikatorer.report import fmt, text
from indikatorer.report.style import KIND_OF_COLUMN, ORDINAL_KINDS, UNIT_AXIS_LABELS, label, ordered_codes

MAX_DESCRIBED_BARS = 6  # a bar chart's alt text names the first three and last two rows beyond this


def _break_year(brk) -> int:
    """A break as a catalogue ``Break`` (``.year``), a dict (``["year"]``) or a plain year."""
    if isinstance(brk, dict):
        return int(brk["year"])
    return int(getattr(brk, "year", brk))


@dataclass
class ChartDescription:
    """What a chart shows, for its alt text and caption (see :func:`publish_figure`).

    ``kind`` is the chart type in Norwegian; ``series`` the labels of the codes drawn with
    numbers; ``empty`` those asked for but with no number (only missing values), ``single`` those
    with one point only ({label: year}); ``panels`` the panel titles of small multiples;
    ``pattern`` one sentence per drawn code on what the numbers do.
    """

    kind: str
    unit: str
    years: tuple[int, int] | None
    series: list[str]
    empty: list[str] = field(default_factory=list)
    single: dict[str, int] = field(default_factory=dict)
    panels: list[str] = field(default_factory=list)
    pattern: list[str] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)

    def notes(self) -> list[str]:
        """Sentences a reader must be told beside the picture: what is asked for but not drawn."""
        out = []
        if not self.series:
            out.append("Figuren har ingen tall å vise, bare manglende verdier.")
        if self.empty:
            out.append(text.sentence(f"Ingen tall for {text.and_join([text.lower_first(e) for e in self.empty])} "
                                     "(bare manglende verdier), så de er ikke tegnet"))
        if self.single:
            parts = [f"{text.lower_first(name)} ({year})" for name, year in self.single.items()]
            out.append(text.sentence(f"Bare ett tall for {text.and_join(parts)}, vist som et enkelt punkt"))
        return out

    def alt_text(self) -> str:
        """Chart type, unit, what is compared, period, panels, then the pattern."""
        what = UNIT_AXIS_LABELS[self.unit].lower()
        series = text.and_join([text.lower_first(s) for s in self.series]) if self.series else "ingen grupper"
        period = f", {fmt.year_range(*self.years)}" if self.years else ""
        parts = [f"{self.kind}, {what}, for {series}{period}"]
        if self.panels:
            parts.append(f"Ett panel for hver av {text.and_join(self.panels)}")
        if self.breaks:
            parts.append(f"Brudd i serien markert ved {text.and_join([str(b) for b in self.breaks])}")
        parts += self.pattern
        parts += self.notes()
        return " ".join(text.sentence(p) for p in parts)


def _value_text(value: float, decimals, unit: str) -> str:
    default = fmt.DECIMALS.get(unit, 1)
    return fmt.number(value, default if fmt.is_missing(decimals) else int(decimals))


def _series_pattern(rows: pd.DataFrame, name: str, x: str, y: str, unit: str) -> str | None:
    """``Innvandrere: fra 62,8 i 2011 til 68,2 i 2023, lavest 60,3 i 2015, høyest 69,1 i 2021``."""
    shown = rows.dropna(subset=[y]).sort_values(x).reset_index(drop=True)
    if shown.empty:
        return None
    dec = shown["decimals"] if "decimals" in shown else pd.Series([np.nan] * len(shown), index=shown.index)
    first, last = shown.iloc[0], shown.iloc[-1]
    if len(shown) == 1:
        return f"{name}: {_value_text(first[y], dec.iloc[0], unit)} i {int(first[x])}"
    words = (f"{name}: fra {_value_text(first[y], dec.iloc[0], unit)} i {int(first[x])} "
             f"til {_value_text(last[y], dec.iloc[-1], unit)} i {int(last[x])}")
    low, high = shown[y].idxmin(), shown[y].idxmax()
    if len(shown) > 2 and shown.loc[low, x] not in (first[x], last[x]):
        words += f", lavest {_value_text(shown.loc[low, y], dec.loc[low], unit)} i {int(shown.loc[low, x])}"
    if len(shown) > 2 and shown.loc[high, x] not in (first[x], last[x]):
        words += f", høyest {_value_text(shown.loc[high, y], dec.loc[high], unit)} i {int(shown.loc[high, x])}"
    return words


def _describe_lines(df: pd.DataFrame, *, x: str, y: str, hue: str, unit: str, breaks,
                    kind: str, panels: list[str] | None = None) -> ChartDescription:
    hue_kind = KIND_OF_COLUMN.get(hue)
    codes = ordered_codes(df[hue].astype(str), hue_kind)
    with_numbers = df.dropna(subset=[y])
    years = (int(with_numbers[x].min()), int(with_numbers[x].max())) if not with_numbers.empty else None
    series, empty, single, pattern = [], [], {}, []
    for code in codes:
        name = label(code, hue_kind)
        rows = with_numbers[with_numbers[hue].astype(str) == code]
        if rows.empty:
            empty.append(name)
            continue
        series.append(name)
        if not panels:
            if rows[x].nunique() == 1:
                single[name] = int(rows[x].iloc[0])
            pattern.append(_series_pattern(rows, name, x, y, unit))
    return ChartDescription(kind=kind, unit=unit, years=years, series=series, empty=empty,
                            single=single, panels=panels or [], pattern=[p for p in pattern if p],
                            breaks=sorted({_break_year(b) for b in breaks}))


def _panel_pattern(df, facet, facet_kind, hue, hue_kind, x, y, unit) -> list[str]:
    """Small multiples: for the first drawn code, the highest and lowest panel in the newest year."""
    shown = df.dropna(subset=[y])
    if shown.empty:
        return []
    code = ordered_codes(shown[hue].astype(str), hue_kind)[0]
    rows = shown[shown[hue].astype(str) == code]
    newest = rows[rows[x] == rows[x].max()].reset_index(drop=True)
    if len(newest) < 2:
        return []
    high, low = newest.loc[newest[y].idxmax()], newest.loc[newest[y].idxmin()]
    dec = newest["decimals"] if "decimals" in newest else pd.Series(np.nan, index=newest.index)
    return [f"{label(code, hue_kind)} i {int(newest[x].iloc[0])}: høyest for "
            f"{label(str(high[facet]), facet_kind)} ({_value_text(high[y], dec.loc[high.name], unit)}), "
            f"lavest for {label(str(low[facet]), facet_kind)} ({_value_text(low[y], dec.loc[low.name], unit)})"]


def _describe_bars(data, facets, facet, facet_kind, hues, hue, hue_kind, y, unit, year
                   ) -> ChartDescription:
    with_numbers = data.dropna(subset=[y])
    series = [label(h, hue_kind) for h in hues if h in set(with_numbers[hue].astype(str))]
    empty = [label(h, hue_kind) for h in hues if h not in set(with_numbers[hue].astype(str))]
    empty += [label(f, facet_kind) for f in facets
              if f not in set(with_numbers[facet].astype(str))]
    rows = [label(f, facet_kind) for f in facets]
    order = ("i fast rekkefølge" if facet_kind in ORDINAL_KINDS
             else "sortert etter verdi for " + text.lower_first(series[0]) if series else "")
    pattern = []
    if series:
        first = next(h for h in hues if label(h, hue_kind) == series[0])
        own = with_numbers[with_numbers[hue].astype(str) == first].reset_index(drop=True)
        dec = own["decimals"] if "decimals" in own else pd.Series(np.nan, index=own.index)
        parts = [f"{label(str(r[facet]), facet_kind)} {_value_text(r[y], dec.loc[i], unit)}"
                 for f in facets for i, r in own[own[facet].astype(str) == f].iterrows()]
        if len(parts) > MAX_DESCRIBED_BARS:  # the table beside the chart has every number
            parts = parts[:3] + ["…"] + parts[-2:]
        pattern.append(f"{series[0]}: {'; '.join(parts)}")
    return ChartDescription(
        kind=f"Liggende stolpediagram med én rad for hver av {len(rows)} kategorier ({order})",
        unit=unit, years=(year, year), series=series, empty=empty, pattern=pattern)
