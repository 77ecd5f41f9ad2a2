"""House style and charts: the theme, fixed colours, labels, line charts and small multiples.

Every notebook calls :func:`setup` first. Charts are drawn with the helpers here
(:func:`line_chart`, :func:`small_multiples`, :func:`draw_chart`) and published with
:func:`indikatorer.report.publishing.publish_figure`.

Colours: each group code has ONE fixed colour across the whole book (:data:`GROUP_COLOURS`, from
the Okabe–Ito colour-blind-safe palette, reference groups in neutral greys/black). Other codes
(regions, botid, sex) get a colour from a separate colour-blind-safe palette (Paul Tol's "muted"),
chosen by the code's position in ``data/codes.yml`` — never by plotting order — so a region has the
same colour in every figure.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from indikatorer.report import fmt, text

from indikatorer.core import vocab
from indikatorer.core.codes import load_codes, ordered_codes  # noqa: F401 (ordered_codes: part of the API)

SEED = 20240101
DPI = 150
FIGSIZE = (7.0, 4.2)
FONT = "DejaVu Sans"  # ships with matplotlib: the same glyphs, hence the same PNG bytes, everywhere

# Okabe & Ito (2008), "Color Universal Design": distinguishable with all common colour-vision
# deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
NEUTRALS = {"black": "#000000", "dark_grey": "#555555", "grey": "#8C8C8C"}

GROUP_COLOURS = {
    "innvandrere": OKABE_ITO["blue"],
    "norskfodte": OKABE_ITO["orange"],
    "innvandrerbakgrunn": OKABE_ITO["reddish_purple"],
    "flyktningbakgrunn": OKABE_ITO["vermillion"],
    # reference groups: neutral, so the eye goes to the immigrant groups
    "befolkningen_ellers": NEUTRALS["grey"],
    "befolkningen_uten_innvandrere": NEUTRALS["dark_grey"],
    "hele_befolkningen": NEUTRALS["black"],
}
TOTAL_COLOUR = NEUTRALS["black"]  # the code "alle" (all regions / both sexes / all botid)

# Paul Tol's "muted" qualitative palette (colour-blind safe), for codes without a fixed colour.
OTHER_PALETTE = (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
    "#DDCC77", "#CC6677", "#882255", "#AA4499",
)

# Which codes.yml list labels a tidy column.
KIND_OF_COLUMN = {"group": "groups", "region": "regions", "botid": "botid", "sex": "sex"}

UNIT_AXIS_LABELS = vocab.UNIT_AXIS_LABELS

# Long category labels (e.g. «Asia, Afrika, … (landgruppe 2)») are wrapped at this many characters
# on an axis, so they never squeeze the plot area away.
WRAP_WIDTH = 28
LINE_HEIGHT_IN = 0.16   # one line of 9-point tick or legend text, in inches
LEGEND_ROWS_IN_FIGSIZE = 2  # legend rows FIGSIZE leaves room for; more rows make a figure taller
BREAK_LABEL = "Brudd i serien"



# ---------------------------------------------------------------------------------------------
# Setup


def setup() -> None:
    """The one setup call every notebook makes first: theme, deterministic output, seeds, display.

    Safe to call more than once.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)  # files only; the book shows the saved PNGs
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font=FONT)
    plt.rcParams.update({
        "figure.figsize": FIGSIZE,
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "savefig.bbox": "tight",
        "svg.hashsalt": "indikatorer",  # fixed ids in SVG output
        "svg.fonttype": "path",
        "pdf.fonttype": 42,
        "font.family": FONT,
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "axes.unicode_minus": True,
        "axes.formatter.useoffset": False,
        "lines.linewidth": 2.0,
        "lines.markersize": 5,
    })
    np.random.seed(SEED)  # any stray use of the legacy global RNG is reproducible
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.width", 120)
    pd.set_option("display.precision", 3)


# ---------------------------------------------------------------------------------------------
# Codes, labels and colours


def labels(kind: str) -> dict[str, str]:
    """``{code: label}`` for one vocabulary of ``data/codes.yml`` (``groups``, ``regions``,
    ``botid``, ``sex``, ``ages``), in the file's display order (:func:`indikatorer.core.codes.load_codes`)."""
    return load_codes().labels(kind)


def label(code: str, kind: str | None = "groups") -> str:
    """The Norwegian label of a code; ``land:<Navn>`` gives ``<Navn>``; unknown codes, and any
    code when ``kind`` is None (a column without a vocabulary), show as-is."""
    known = labels(kind) if kind else {}
    if code in known:
        return known[code]
    return code.split(":", 1)[1] if code.startswith("land:") else code


def colour_for(code: str, kind: str | None = None) -> str:
    """The fixed colour of a code: a group colour, black for ``alle``, else a palette colour keyed
    by the code's position in ``data/codes.yml`` (or, for codes not listed, by a hash of the code)."""
    if code in GROUP_COLOURS:
        return GROUP_COLOURS[code]
    if code == "alle":
        return TOTAL_COLOUR
    for k in [kind] if kind else list(KIND_OF_COLUMN.values()):
        listed = list(labels(k))
        if code in listed:
            return OTHER_PALETTE[listed.index(code) % len(OTHER_PALETTE)]
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return OTHER_PALETTE[int.from_bytes(digest[:4], "big") % len(OTHER_PALETTE)]


# ---------------------------------------------------------------------------------------------
# Plot helpers


def _break_year(brk) -> int:
    """A break as a catalogue ``Break`` (``.year``), a dict (``["year"]``) or a plain year."""
    if isinstance(brk, Mapping):
        return int(brk["year"])
    return int(getattr(brk, "year", brk))


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


def _draw_lines(ax, df: pd.DataFrame, *, x: str, y: str, hue: str, breaks, step: int) -> None:
    _check_unique(df, [hue, x])
    kind = KIND_OF_COLUMN.get(hue)
    for code in ordered_codes(df[hue].astype(str), kind):
        rows = df[df[hue].astype(str) == code]
        colour = colour_for(code, kind)
        for i, (xs, ys) in enumerate(split_segments(rows[x], rows[y], breaks=breaks, step=step)):
            ax.plot(xs, ys, color=colour, marker="o",
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


def line_chart(df: pd.DataFrame, x: str = "year", y: str = "value", hue: str = "group", *,
               breaks=(), title: str | None = None, unit: str = "prosent",
               trend: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None, step: int = 1):
    """Lines with markers, one per ``hue`` code in its fixed colour, returning the Figure.

    A line never bridges a missing year (see :func:`split_segments`) nor a declared break
    (drawn as a dashed vertical marker). ``trend`` is one fitted-values frame (drawn in the colour
    of the only group, or grey) or ``{code: frame}``.
    """
    import matplotlib.pyplot as plt

    _check_unit(unit)
    fig, ax = plt.subplots(layout="constrained")
    _draw_lines(ax, df, x=x, y=y, hue=hue, breaks=breaks, step=step)
    if trend is not None:
        kind = KIND_OF_COLUMN.get(hue)
        if isinstance(trend, pd.DataFrame):
            codes = df[hue].astype(str).unique()
            add_trend(ax, trend, colour_for(codes[0], kind) if len(codes) == 1 else NEUTRALS["dark_grey"])
        else:
            for code, frame in sorted(trend.items()):
                add_trend(ax, frame, colour_for(code, kind))
    _mark_breaks(ax, breaks)
    _style_year_axes(ax, unit)
    if title:
        ax.set_title(title)
    _grow_for_legend(fig, _legend(fig, _handles([ax])))
    return fig


def small_multiples(df: pd.DataFrame, facet: str = "region", *, x: str = "year", y: str = "value",
                    hue: str = "group", kind: str = "line", unit: str = "prosent", breaks=(),
                    year: int | None = None, col_wrap: int = 3, title: str | None = None,
                    step: int = 1):
    """A breakdown (``facet`` = region, botid, sex …) with the same colours as everywhere else.

    ``kind="line"``: one panel per facet code, lines as in :func:`line_chart`, shared y-axis.
    ``kind="bar"``: grouped horizontal bars for one ``year`` (default: the newest), one row per
    facet code, one bar per ``hue`` code, value printed at the bar end; a missing value gets
    ``..`` instead of a bar, so it is never read as zero.

    Long labels (panel titles, category names) are wrapped (:func:`wrap_label`) and the figure
    grows with the number of panels or categories, their label lines and the legend rows.
    """
    import matplotlib.pyplot as plt

    _check_unit(unit)
    facet_kind = KIND_OF_COLUMN.get(facet)
    hue_kind = KIND_OF_COLUMN.get(hue)
    facets = ordered_codes(df[facet].astype(str), facet_kind)
    hues = ordered_codes(df[hue].astype(str), hue_kind)

    if kind == "line":
        ncols = min(col_wrap, len(facets))
        nrows = -(-len(facets) // ncols)
        titles = [wrap_label(label(code, facet_kind), WRAP_WIDTH * 3 // ncols) for code in facets]
        title_lines = max(t.count("\n") for t in titles)  # beyond the first line
        fig, axes = plt.subplots(nrows, ncols, sharey=True, squeeze=False, layout="constrained",
                                 figsize=(FIGSIZE[0],
                                          (2.2 + title_lines * LINE_HEIGHT_IN) * nrows + 0.8))
        for ax, code, panel_title in zip(axes.flat, facets, titles):
            _draw_lines(ax, df[df[facet].astype(str) == code], x=x, y=y, hue=hue, breaks=breaks,
                        step=step)
            _mark_breaks(ax, breaks)
            _style_year_axes(ax, unit, max_year_ticks=4)
            ax.set_title(panel_title, fontsize=9)
        for ax in list(axes.flat)[len(facets):]:
            ax.set_visible(False)
        for ax in axes[:, 1:].flat:
            ax.set_ylabel("")
        _grow_for_legend(fig, _legend(fig, _handles(axes.flat)) + 1)  # 0.8 in: one row
    elif kind == "bar":
        year = int(df[x].max()) if year is None else int(year)
        data = df[df[x] == year]
        _check_unique(data, [facet, hue])
        bar_height = 0.8 / max(len(hues), 1)
        ticks = [wrap_label(label(f, facet_kind)) for f in facets]
        # Each category needs room for its bars and for every line of its label.
        rows_height = sum(max(0.3 * max(len(hues), 1), (t.count("\n") + 1) * LINE_HEIGHT_IN + 0.1)
                          for t in ticks)
        fig, ax = plt.subplots(layout="constrained", figsize=(FIGSIZE[0], 1.2 + rows_height))
        default = fmt.DECIMALS.get(unit, 1)  # a value's own decimals (column `decimals`) win
        for j, code in enumerate(hues):
            offsets = np.arange(len(facets)) + (j - (len(hues) - 1) / 2) * bar_height
            rows = data[data[hue].astype(str) == code]
            by_facet = dict(zip(rows[facet].astype(str), rows[y]))
            values = [by_facet.get(f, np.nan) for f in facets]
            shown = dict(zip(rows[facet].astype(str), rows["decimals"])) if "decimals" in rows else {}
            decimals = [int(shown[f]) if not fmt.is_missing(shown.get(f)) else default for f in facets]
            ax.barh(offsets, np.nan_to_num(values, nan=0.0), height=bar_height,
                    color=colour_for(code, hue_kind), label=label(code, hue_kind))
            for off, val, dec in zip(offsets, values, decimals):
                text = ".." if fmt.is_missing(val) else fmt.number(val, dec)
                ax.annotate(text, xy=(0 if fmt.is_missing(val) else val, off), xytext=(3, 0),
                            textcoords="offset points", va="center", fontsize=8)
        ax.set_yticks(np.arange(len(facets)), ticks)
        ax.invert_yaxis()  # first code on top
        ax.xaxis.set_major_formatter(fmt.axis_formatter())
        ax.set_xlabel(f"{UNIT_AXIS_LABELS[unit]}, {year}")
        ax.grid(axis="y", visible=False)
        _grow_for_legend(fig, _legend(fig, _handles([ax])) + 1)  # 1.2 in: one row
    else:
        raise ValueError(f"kind must be 'line' or 'bar', not {kind!r}")
    if title:
        fig.suptitle(title)
    return fig


def split_label(text: str) -> tuple[str, str | None]:
    """A label with a closing explanation in parentheses, split for a table heading or cell:
    ``"Befolkningen ellers (uten innvandrere …)"`` → ``("Befolkningen ellers",
    "Befolkningen ellers: uten innvandrere ….")``; a label without one → ``(text, None)``."""
    match = re.fullmatch(r"(.+?)\s+\(([^()]+)\)", str(text).strip())
    if not match:
        return str(text), None
    short, explanation = match.groups()
    return short, f"{short}: {explanation.rstrip('.')}."


def header_label(code: str, kind: str | None = "groups") -> str | tuple[str, str]:
    """A code's label as a table heading for :func:`publish_table`: the label, or — where it
    ends with an explanation in parentheses — ``(short heading, note under the table)``."""
    short, note = split_label(label(code, kind))
    return (short, note) if note else short


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
