"""Charts in the house style (:mod:`indikatorer.report.style`): lines and small multiples that
never bridge a missing year or a break, trend bands, and an indicator's chart (:func:`draw_chart`)
with exactly the rows it draws. Each figure carries its description (:mod:`chart_text`); it is
published with :func:`indikatorer.report.publishing.publish_figure`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from indikatorer.core.vocab import COUNT_UNITS
from indikatorer.report import fmt, text
from indikatorer.report.chart_text import (_break_year, _describe_bars, _describe_lines, _panel_pattern,
                                          _value_text)
from indikatorer.report.style import (FIGSIZE, KIND_OF_COLUMN, NEUTRALS, ORDINAL_KINDS, UNIT_AXIS_LABELS,
                                      chart_colours, colour_for, label, marker_for, ordered_codes)

WRAP_WIDTH = 28
LINE_HEIGHT_IN = 0.16   # one line of 9-point tick or legend text, in inches
LEGEND_ROWS_IN_FIGSIZE = 2  # legend rows FIGSIZE leaves room for; more rows make a figure taller
BREAK_LABEL = "Brudd i serien"


# ---------------------------------------------------------------------------------------------
# Plot helpers


def split_segments(years, values, *, breaks=(), step: int = 1) -> list[tuple[list, list]]:
    """Split a series into the runs that may be joined by a line.

    Points with a missing value are dropped; a new run starts where consecutive years are more
    than ``step`` apart (a missing year is a gap, never bridged) or where a declared break year
    ``b`` lies between them (``y0 < b <= y1``: the new series starts in ``b``).
    ``step`` is the expected distance between observations (2 for every second year).
    """
    points = sorted((int(y), float(v)) for y, v in zip(years, values) if not fmt.is_missing(v))
    break_years = sorted(_break_year(b) for b in breaks)
    runs: list[tuple[list, list]] = []
    previous = None
    for year, val in points:
        new_run = (
            previous is None
            or year - previous > step
            or any(previous < b <= year for b in break_years)
        )
        if new_run:
            runs.append(([], []))
        runs[-1][0].append(year)
        runs[-1][1].append(val)
        previous = year
    return runs


def _check_unique(df: pd.DataFrame, keys: list[str]) -> None:
    """One value per point: duplicates (e.g. both sexes left in) would draw a zigzag or hide bars."""
    dupes = df[df.duplicated(keys, keep=False)]
    if not dupes.empty:
        raise ValueError(f"more than one row per {keys}; filter the other breakdowns first:\n"
                         f"{dupes.head(10).to_string()}")


def _draw_lines(ax, df: pd.DataFrame, *, x: str, y: str, hue: str, breaks, step: int,
                colours: Mapping[str, str] | None = None) -> None:
    """One line per ``hue`` code (colours: :func:`chart_colours` of the whole chart), with the
    code's marker; a code with no number draws nothing here (see :func:`empty_codes`)."""
    _check_unique(df, [hue, x])
    kind = KIND_OF_COLUMN.get(hue)
    codes = ordered_codes(df[hue].astype(str), kind)
    colours = colours or chart_colours(codes, kind)
    for code in codes:
        rows = df[df[hue].astype(str) == code]
        for i, (xs, ys) in enumerate(split_segments(rows[x], rows[y], breaks=breaks, step=step)):
            ax.plot(xs, ys, color=colours[code], marker=marker_for(code, codes),
                    label=label(code, kind) if i == 0 else "_nolegend_")


def wrap_label(text: str, width: int = WRAP_WIDTH) -> str:
    """A long label broken into lines of at most ``width`` characters (words are never split)."""
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def break_label(breaks) -> str:
    """The legend entry of the break markers: ``Brudd i serien: 2015 og 2017``."""
    return f"{BREAK_LABEL}: {text.and_join([str(y) for y in sorted({_break_year(b) for b in breaks})])}"


def _mark_breaks(ax, breaks) -> None:
    """A dashed vertical line half a year before each break; ONE legend entry names them all
    (labels beside the lines would collide when breaks are close or panels narrow)."""
    for i, year in enumerate(sorted({_break_year(b) for b in breaks})):
        ax.axvline(year - 0.5, color=NEUTRALS["dark_grey"], linestyle="--", linewidth=1,
                   label=break_label(breaks) if i == 0 else "_nolegend_")


def add_trend(ax, trend: pd.DataFrame, colour: str = NEUTRALS["dark_grey"]) -> None:
    """Overlay a fitted trend: per segment a dotted line (``fit``) and a shaded band
    (``ci_low``–``ci_high``). Columns: year, segment, fit, ci_low, ci_high (trends.fitted_values)."""
    for _, part in trend.sort_values(["segment", "year"]).groupby("segment", sort=True):
        ax.plot(part["year"], part["fit"], color=colour, linestyle=":", linewidth=1.0, alpha=0.8,
                marker=None, label="_nolegend_")
        ax.fill_between(part["year"], part["ci_low"], part["ci_high"], color=colour, alpha=0.15,
                        linewidth=0)


def _check_unit(unit: str) -> None:
    if unit not in UNIT_AXIS_LABELS:
        raise ValueError(f"unknown unit {unit!r}; known: {', '.join(UNIT_AXIS_LABELS)}")


def _style_year_axes(ax, unit: str, *, max_year_ticks: int | None = None) -> None:
    ax.yaxis.set_major_formatter(fmt.axis_formatter())
    ax.set_ylabel(UNIT_AXIS_LABELS[unit])
    ax.set_xlabel("")
    fmt.int_year_axis(ax, max_ticks=max_year_ticks)


def _legend_columns(names: list[str]) -> int:
    return 1 if max(len(n) for n in names) > 35 else min(len(names), 3)


def _legend(fig, handles_by_name: dict) -> int:
    """One legend above the plot area (constrained layout keeps it clear of axes and labels).
    Returns its number of rows."""
    if not handles_by_name:
        return 0
    names = list(handles_by_name)
    ncol = _legend_columns(names)
    fig.legend(list(handles_by_name.values()), names, loc="outside upper center", ncol=ncol,
               frameon=False)
    return -(-len(names) // ncol)


def _grow_for_legend(fig, rows: int) -> None:
    """Make the figure taller by the legend rows beyond what its size already allows for, so a
    long legend never squeezes the plot."""
    extra = rows - LEGEND_ROWS_IN_FIGSIZE
    if extra > 0:
        width, height = fig.get_size_inches()
        fig.set_size_inches(width, height + extra * 1.4 * LINE_HEIGHT_IN)


def _handles(axes) -> dict:
    seen: dict = {}
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(name, handle)
    return seen


NO_NUMBERS_TEXT = "Ingen tall å vise"


def _mark_no_numbers(ax) -> None:
    """An axes with nothing to draw says so in the picture too."""
    ax.text(0.5, 0.5, NO_NUMBERS_TEXT, transform=ax.transAxes, ha="center", va="center",
            fontsize=10, color=NEUTRALS["dark_grey"])


def _count_axis_from_zero(ax, unit: str, axis: str = "y") -> None:
    """A count axis (units counted from zero) starts at zero: above it, small differences look big."""
    if unit in COUNT_UNITS:
        low, high = ax.get_ylim() if axis == "y" else ax.get_xlim()
        if low > 0:
            (ax.set_ylim if axis == "y" else ax.set_xlim)(0, high)


def line_chart(df: pd.DataFrame, x: str = "year", y: str = "value", hue: str = "group", *,
               breaks=(), title: str | None = None, unit: str = "prosent",
               trend: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None, step: int = 1):
    """Lines with markers, one per ``hue`` code in its fixed colour, returning the Figure.

    A line never bridges a missing year (see :func:`split_segments`) nor a declared break
    (drawn as a dashed vertical marker). ``trend`` is one fitted-values frame (drawn in the colour
    of the only group, or grey) or ``{code: frame}``. A count axis (:data:`COUNT_UNITS`) starts
    at zero. The figure carries its :class:`ChartDescription` (``fig.description``): codes with
    no number or a single point are named there, and an axes with no number says so.
    """
    import matplotlib.pyplot as plt

    _check_unit(unit)
    fig, ax = plt.subplots(layout="constrained")
    kind = KIND_OF_COLUMN.get(hue)
    codes = ordered_codes(df[hue].astype(str), kind)
    colours = chart_colours(codes, kind)
    _draw_lines(ax, df, x=x, y=y, hue=hue, breaks=breaks, step=step, colours=colours)
    if trend is not None:
        if isinstance(trend, pd.DataFrame):
            add_trend(ax, trend, colours[codes[0]] if len(codes) == 1 else NEUTRALS["dark_grey"])
        else:
            for code, frame in sorted(trend.items()):
                add_trend(ax, frame, colours.get(code, colour_for(code, kind)))
    _mark_breaks(ax, breaks)
    _style_year_axes(ax, unit)
    description = _describe_lines(df, x=x, y=y, hue=hue, unit=unit, breaks=breaks, kind="Linjediagram")
    if not description.series:
        _mark_no_numbers(ax)
    _count_axis_from_zero(ax, unit)
    if title:
        ax.set_title(title)
    _grow_for_legend(fig, _legend(fig, _handles([ax])))
    fig.description = description
    return fig


def _bar_order(data: pd.DataFrame, facets: list[str], facet: str, facet_kind: str | None,
               hues: list[str], hue: str, y: str) -> list[str]:
    """The rows of a bar chart: ordered categories (botid, ages) in their order; others sorted
    by the first drawn code's value, largest first, rows without a number last; the total
    (``alle``) stays on top."""
    if facet_kind in ORDINAL_KINDS or not hues:
        return facets
    first = next((h for h in hues if data.loc[data[hue].astype(str) == h, y].notna().any()), None)
    if first is None:
        return facets
    values = dict(zip(data.loc[data[hue].astype(str) == first, facet].astype(str),
                      data.loc[data[hue].astype(str) == first, y]))
    total = [f for f in facets if f == "alle"]
    rest = [f for f in facets if f != "alle"]
    rest.sort(key=lambda f: (fmt.is_missing(values.get(f)), -(values.get(f) or 0)
                             if not fmt.is_missing(values.get(f)) else 0))
    return total + rest


def small_multiples(df: pd.DataFrame, facet: str = "region", *, x: str = "year", y: str = "value",
                    hue: str = "group", kind: str = "line", unit: str = "prosent", breaks=(),
                    year: int | None = None, col_wrap: int = 3, title: str | None = None,
                    step: int = 1):
    """A breakdown (``facet`` = region, botid, sex …) with the same colours as everywhere else.

    ``kind="line"``: one panel per facet code, lines as in :func:`line_chart`, shared y-axis.
    ``kind="bar"``: grouped horizontal bars for one ``year`` (default: the newest), one row per
    facet code — sorted by value (:func:`_bar_order`) unless the codes are ordered categories —,
    one bar per ``hue`` code, value printed at the bar end with its published decimals; a
    missing value gets ``..`` instead of a bar, so it is never read as zero.

    Long labels (panel titles, category names) are wrapped (:func:`wrap_label`) and the figure
    grows with the number of panels or categories, their label lines and the legend rows.
    The figure carries its :class:`ChartDescription` (``fig.description``).
    """
    import matplotlib.pyplot as plt

    _check_unit(unit)
    facet_kind = KIND_OF_COLUMN.get(facet)
    hue_kind = KIND_OF_COLUMN.get(hue)
    facets = ordered_codes(df[facet].astype(str), facet_kind)
    hues = ordered_codes(df[hue].astype(str), hue_kind)
    colours = chart_colours(hues, hue_kind)
    panel_labels = [label(code, facet_kind) for code in facets]

    if kind == "line":
        ncols = min(col_wrap, len(facets))
        nrows = -(-len(facets) // ncols)
        titles = [wrap_label(name, WRAP_WIDTH * 3 // ncols) for name in panel_labels]
        title_lines = max(t.count("\n") for t in titles)  # beyond the first line
        fig, axes = plt.subplots(nrows, ncols, sharey=True, squeeze=False, layout="constrained",
                                 figsize=(FIGSIZE[0],
                                          (2.2 + title_lines * LINE_HEIGHT_IN) * nrows + 0.8))
        empty_panels = []
        for ax, code, panel_title, name in zip(axes.flat, facets, titles, panel_labels):
            rows = df[df[facet].astype(str) == code]
            _draw_lines(ax, rows, x=x, y=y, hue=hue, breaks=breaks, step=step, colours=colours)
            if not rows[y].notna().any():
                _mark_no_numbers(ax)
                empty_panels.append(name)
            _mark_breaks(ax, breaks)
            _style_year_axes(ax, unit, max_year_ticks=4)
            ax.set_title(panel_title, fontsize=9)
        for ax in list(axes.flat)[len(facets):]:
            ax.set_visible(False)
        for ax in axes[:, 1:].flat:
            ax.set_ylabel("")
        _count_axis_from_zero(axes.flat[0], unit)
        _grow_for_legend(fig, _legend(fig, _handles(axes.flat)) + 1)  # 0.8 in: one row
        description = _describe_lines(df, x=x, y=y, hue=hue, unit=unit, breaks=breaks,
                                      kind="Små linjediagrammer", panels=panel_labels)
        description.empty += [f"panelet {name}" for name in empty_panels]
        description.pattern = _panel_pattern(df, facet, facet_kind, hue, hue_kind, x, y, unit)
    elif kind == "bar":
        year = int(df[x].max()) if year is None else int(year)
        data = df[df[x] == year]
        _check_unique(data, [facet, hue])
        facets = _bar_order(data, facets, facet, facet_kind, hues, hue, y)
        bar_height = 0.8 / max(len(hues), 1)
        ticks = [wrap_label(label(f, facet_kind)) for f in facets]
        # Each category needs room for its bars and for every line of its label.
        rows_height = sum(max(0.3 * max(len(hues), 1), (t.count("\n") + 1) * LINE_HEIGHT_IN + 0.1)
                          for t in ticks)
        fig, ax = plt.subplots(layout="constrained", figsize=(FIGSIZE[0], 1.2 + rows_height))
        for j, code in enumerate(hues):
            offsets = np.arange(len(facets)) + (j - (len(hues) - 1) / 2) * bar_height
            rows = data[data[hue].astype(str) == code]
            by_facet = dict(zip(rows[facet].astype(str), rows[y]))
            values = [by_facet.get(f, np.nan) for f in facets]
            shown = dict(zip(rows[facet].astype(str), rows["decimals"])) if "decimals" in rows else {}
            ax.barh(offsets, np.nan_to_num(values, nan=0.0), height=bar_height,
                    color=colours[code], label=label(code, hue_kind))
            for off, val, f in zip(offsets, values, facets):
                shown_text = ".." if fmt.is_missing(val) else _value_text(val, shown.get(f), unit)
                ax.annotate(shown_text, xy=(0 if fmt.is_missing(val) else val, off), xytext=(3, 0),
                            textcoords="offset points", va="center", fontsize=8)
        ax.set_yticks(np.arange(len(facets)), ticks)
        ax.invert_yaxis()  # first code on top
        ax.xaxis.set_major_formatter(fmt.axis_formatter())
        ax.set_xlabel(f"{UNIT_AXIS_LABELS[unit]}, {year}")
        ax.grid(axis="y", visible=False)
        if not data[y].notna().any():
            _mark_no_numbers(ax)
        _grow_for_legend(fig, _legend(fig, _handles([ax])) + 1)  # 1.2 in: one row
        description = _describe_bars(data, facets, facet, facet_kind, hues, hue, hue_kind, y,
                                     unit, year)
    else:
        raise ValueError(f"kind must be 'line' or 'bar', not {kind!r}")
    if title:
        fig.suptitle(title)
    fig.description = description
    return fig


def legend_colours(fig) -> dict[str, str]:
    """``{legend entry: colour}`` of what a figure tells apart by colour: its lines with markers
    and its bars (not the break marker, a dashed line named by its form)."""
    from matplotlib.colors import to_hex
    from matplotlib.lines import Line2D

    found: dict[str, str] = {}
    for ax in fig.axes:
        for artist in ax.get_lines():
            name = str(artist.get_label() or "")
            if not name or name.startswith("_"):
                continue
            if isinstance(artist, Line2D) and artist.get_marker() not in (None, "None", "", " "):
                found.setdefault(name, to_hex(artist.get_color()).upper())
            elif isinstance(artist, Line2D) and artist.get_linestyle() == "--" \
                    and not name.startswith(BREAK_LABEL):
                found.setdefault(name, to_hex(artist.get_color()).upper())
        for container in ax.containers:
            name = str(container.get_label() or "")
            if name and not name.startswith("_") and container.patches:
                found.setdefault(name, to_hex(container.patches[0].get_facecolor()).upper())
    return found


# ---------------------------------------------------------------------------------------------
# An indicator's charts

MIN_LINE_YEARS = 3    # fewer years with numbers (or a panel with one): bars for the newest year
MAX_LINE_FACETS = 9   # more panels than this: a bar chart of the newest year instead


@dataclass
class Chart:
    """A figure and exactly the rows it draws (written as the CSV beside the PNG)."""

    fig: Any
    data: pd.DataFrame
    kind: str          # "line" or "bar"
    year: int | None   # the one year a bar chart shows


def chart_data(series: pd.DataFrame, facet: str | None = None, *, bar_year: int | None = None
               ) -> pd.DataFrame:
    """The rows a chart draws, as its CSV holds them: year, group, the facet column, age, the
    extra dimension where there is one, value, decimals, status, and where each number comes
    from (``source_ref``, ``released``). A bar chart draws one year only, so its data hold only
    that year."""
    columns = ["year", "group"] + ([facet] if facet else []) + ["age"]
    if series["other_dim"].ne("").any():
        columns += [c for c in ("other_dim", "other_value") if c != facet]
    data = series[columns + ["value", "decimals", "status", "source_ref", "released"]]
    if bar_year is not None:
        data = data[data["year"] == bar_year]
    return data.reset_index(drop=True)


def draw_chart(series: pd.DataFrame, *, unit: str, breaks: Sequence = (), facet: str | None = None,
               step: int = 1, hue: str = "group", trend: dict[str, pd.DataFrame] | None = None) -> Chart:
    """Lines by ``hue`` (the groups) over the years, one panel per ``facet`` code when given,
    or — when fewer than MIN_LINE_YEARS years have numbers, or more than MAX_LINE_FACETS
    panels — grouped bars for the newest year with numbers. Colours come from
    :func:`colour_for`, one per group across the whole book."""
    with_numbers = series[series["value"].notna()]
    # Years with numbers per panel: lines need a series in every panel, not single points.
    years = with_numbers.groupby(facet)["year"].nunique() if facet else \
        pd.Series([with_numbers["year"].nunique()])
    if years.max() >= MIN_LINE_YEARS and years.min() >= 2 and len(years) <= MAX_LINE_FACETS:
        data = chart_data(series, facet)
        if facet:
            fig = small_multiples(data, facet=facet, hue=hue, kind="line", unit=unit, breaks=breaks,
                                  step=step)
        else:
            fig = line_chart(data, hue=hue, unit=unit, breaks=breaks, step=step, trend=trend)
        return Chart(fig, data, "line", None)
    year = int(with_numbers["year"].max())
    data = chart_data(series, facet, bar_year=year)
    fig = small_multiples(data, facet=facet or hue, hue=hue, kind="bar", unit=unit, year=year)
    return Chart(fig, data, "bar", year)
