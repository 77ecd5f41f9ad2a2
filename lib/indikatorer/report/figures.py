"""House style for the book's figures and tables, and how they are published.

Every notebook calls :func:`setup` first. Figures are drawn with the small helpers here
(:func:`line_chart`, :func:`small_multiples`) and emitted with :func:`publish_figure` in a cell
marked ``#| output: asis``; tables with :func:`publish_table`.

Colours: each group code has ONE fixed colour across the whole book (:data:`GROUP_COLOURS`, from
the Okabe–Ito colour-blind-safe palette, reference groups in neutral greys/black). Other codes
(regions, botid, sex) get a colour from a separate colour-blind-safe palette (Paul Tol's "muted"),
chosen by the code's position in ``data/codes.yml`` — never by plotting order — so a region has the
same colour in every figure.

Outputs go to ``out_dir`` (default ``figures``, relative to the working directory, which the build
sets to the executed notebook's folder so figures land beside it). The Markdown links to
``<last folder name of out_dir>/<label>.png``, i.e. the folder is assumed to sit beside the notebook.
A notebook run by hand from the project's sources (``papermill notebooks/01-arbeid.ipynb out.ipynb``
from the project root) writes into ``build/direct/`` instead, never into the sources
(:func:`output_folder`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from indikatorer.report import fmt, text

from indikatorer.core import paths, vocab
from indikatorer.core.codes import load_codes
from indikatorer.data.snapshot import sha256_file

PAGES_FILE = paths.PUBLISHED_DIR / "pages.csv"

SEED = 20240101
DPI = 150
FIGSIZE = (7.0, 4.2)
FONT = "DejaVu Sans"  # ships with matplotlib: the same glyphs, hence the same PNG bytes, everywhere

# The book's one palette. Ten colours, every pair at least ΔE00 10 apart (CIEDE2000) for normal
# colour vision and for simulated deuteranopia and protanopia (tests/test_palette.py checks it):
# Okabe & Ito's blue, orange, vermillion and sky blue, Paul Tol's rose and indigo, a dark green,
# and three neutrals whose lightness differs enough to be told apart.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "vermillion": "#D55E00",
    "rose": "#CC6677",
    "indigo": "#332288",
    "sky_blue": "#56B4E9",
    "green": "#006633",
    "black": "#000000",
    "dark_grey": "#555555",
    "grey": "#999999",
}
NEUTRALS = {name: PALETTE[name] for name in ("black", "dark_grey", "grey")}

GROUP_COLOURS = {
    "innvandrere": PALETTE["blue"],
    "norskfodte": PALETTE["orange"],
    "innvandrerbakgrunn": PALETTE["rose"],
    "flyktningbakgrunn": PALETTE["vermillion"],
    # reference groups: neutral, so the eye goes to the immigrant groups
    "befolkningen_ellers": NEUTRALS["grey"],
    "befolkningen_uten_innvandrere": NEUTRALS["dark_grey"],
    "hele_befolkningen": NEUTRALS["black"],
}
TOTAL_COLOUR = NEUTRALS["black"]  # the code "alle" (all regions / both sexes / all botid)
# Markers: a second cue beside colour for the groups (WCAG 1.4.1: not by colour alone).
GROUP_MARKERS = {
    "innvandrere": "o", "norskfodte": "s", "innvandrerbakgrunn": "D", "flyktningbakgrunn": "^",
    "befolkningen_ellers": "v", "befolkningen_uten_innvandrere": "P", "hele_befolkningen": "X",
}
OTHER_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "h")

# Colours for codes without a fixed colour (regions, sex, categories of a distribution), in
# order; a chart gives each of its codes a different one (see :func:`chart_colours`).
OTHER_PALETTE = tuple(PALETTE[name] for name in (
    "indigo", "sky_blue", "green", "rose", "vermillion", "orange", "blue", "grey", "dark_grey"))

# Ordered categories (botid, age, years) get colours along one ordered colour map, from dark to
# light, so their order can be read off the colours too; at most MAX_ORDERED of them keep
# every pair ΔE00 ≥ 10 apart in the three visions, also from black and the dark grey (not
# from the mid grey, which meets viridis' greens under deuteranopia).
ORDERED_COLOURMAP = "viridis"
ORDERED_RANGE = (0.0, 0.9)  # viridis' last tenth is a yellow too pale on white
MAX_ORDERED = 6
ORDINAL_KINDS = ("botid", "ages")

# Which codes.yml list labels a tidy column.
KIND_OF_COLUMN = {"group": "groups", "region": "regions", "botid": "botid", "sex": "sex"}

UNIT_AXIS_LABELS = vocab.UNIT_AXIS_LABELS

# Long category labels (e.g. «Asia, Afrika, … (landgruppe 2)») are wrapped at this many characters
# on an axis, so they never squeeze the plot area away.
WRAP_WIDTH = 28
LINE_HEIGHT_IN = 0.16   # one line of 9-point tick or legend text, in inches
LEGEND_ROWS_IN_FIGSIZE = 2  # legend rows FIGSIZE leaves room for; more rows make a figure taller
BREAK_LABEL = "Brudd i serien"

LABEL_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
COLUMN_PATTERN = re.compile(r"[a-z0-9_]+")
SOURCE_KEYS = ("source_kind", "source_table", "source_ref", "source_file", "source_sha256", "retrieved")
MAX_LISTED_PAGES = 3  # more published pages than this are summarised in the source line
STATBANK_URL = "https://www.ssb.no/statbank/table/{table}"
# Quarto's conditional content (quarto.org/docs/authoring/conditional): HTML only / all but HTML.
WEB_ONLY = '{.content-visible when-format="html"}'
PRINT_ONLY = '{.content-hidden when-format="html"}'


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


def ordered_codes(codes: Iterable[str], kind: str | None) -> list[str]:
    """Codes in codes.yml display order, unknown codes after them alphabetically."""
    order = list(labels(kind)) if kind else []
    unique = sorted(set(codes))
    return [c for c in order if c in unique] + [c for c in unique if c not in order]


def _palette_start(code: str, kind: str | None) -> int:
    """Where a code without a fixed colour starts looking in :data:`OTHER_PALETTE`: its place
    in ``data/codes.yml`` (or, for codes not listed, a hash of the code), so the same code
    tends to get the same colour in every figure."""
    for k in [kind] if kind else list(KIND_OF_COLUMN.values()):
        listed = list(labels(k))
        if code in listed:
            return listed.index(code)
    return int.from_bytes(hashlib.sha256(code.encode("utf-8")).digest()[:4], "big")


def colour_for(code: str, kind: str | None = None) -> str:
    """The colour of a code drawn on its own: a group colour, black for ``alle``, else the
    palette colour of its place in ``data/codes.yml`` (see :func:`chart_colours` for a chart
    with several codes, which never repeats a colour)."""
    if code in GROUP_COLOURS:
        return GROUP_COLOURS[code]
    if code == "alle":
        return TOTAL_COLOUR
    return OTHER_PALETTE[_palette_start(code, kind) % len(OTHER_PALETTE)]


def ordered_colours(n: int) -> list[str]:
    """``n`` colours for ordered categories, darkest first (see :data:`ORDERED_COLOURMAP`)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    if not 1 <= n <= MAX_ORDERED:
        raise ValueError(f"{n} ordered categories in one chart: at most {MAX_ORDERED} can be told "
                         "apart by colour; split the chart")
    low, high = ORDERED_RANGE
    cmap = colormaps[ORDERED_COLOURMAP]
    steps = [low] if n == 1 else [low + (high - low) * i / (n - 1) for i in range(n)]
    return [to_hex(cmap(t)).upper() for t in steps]


def chart_colours(codes: Iterable[str], kind: str | None = None) -> dict[str, str]:
    """``{code: colour}`` for the codes one chart draws, no colour twice.

    Groups keep their fixed colour and ``alle`` is black. Ordered categories (botid, ages)
    get :func:`ordered_colours` in display order. Other codes take the first colour not yet
    used in the chart, looking from their own place in the palette (:func:`colour_for`).
    More codes than colours is an error: such a chart cannot be read by colour.
    """
    codes = list(dict.fromkeys(codes))
    colours: dict[str, str] = {}
    if kind in ORDINAL_KINDS:
        ordinal = [c for c in ordered_codes(codes, kind) if c != "alle"]
        colours.update(zip(ordinal, ordered_colours(len(ordinal))) if ordinal else [])
    for code in codes:
        if code in GROUP_COLOURS:
            colours[code] = GROUP_COLOURS[code]
        elif code == "alle":
            colours[code] = TOTAL_COLOUR
    free = [c for c in OTHER_PALETTE if c not in colours.values()]
    for code in codes:
        if code in colours:
            continue
        if not free:
            raise ValueError(f"{len(codes)} codes in one chart, more than the {len(PALETTE)} "
                             f"colours that can be told apart: {codes}")
        start = _palette_start(code, kind) % len(OTHER_PALETTE)
        preferred = [OTHER_PALETTE[(start + i) % len(OTHER_PALETTE)] for i in range(len(OTHER_PALETTE))]
        colour = next(c for c in preferred if c in free)
        free.remove(colour)
        colours[code] = colour
    return {code: colours[code] for code in codes}


def marker_for(code: str, codes: list[str]) -> str:
    """The marker of a code in a chart: a group's own, else one by its place among ``codes``."""
    if code in GROUP_MARKERS:
        return GROUP_MARKERS[code]
    return OTHER_MARKERS[codes.index(code) % len(OTHER_MARKERS)] if code in codes else "o"


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


# Units counted from zero: a count axis that starts above zero makes small differences look big.
COUNT_UNITS = ("personer", "antall")
NO_NUMBERS_TEXT = "Ingen tall å vise"
MAX_DESCRIBED_BARS = 6  # a bar chart's alt text names the first three and last two rows beyond this


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


def _mark_no_numbers(ax) -> None:
    """An axes with nothing to draw says so in the picture too."""
    ax.text(0.5, 0.5, NO_NUMBERS_TEXT, transform=ax.transAxes, ha="center", va="center",
            fontsize=10, color=NEUTRALS["dark_grey"])


def _count_axis_from_zero(ax, unit: str, axis: str = "y") -> None:
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


# ---------------------------------------------------------------------------------------------
# Sources


def _text(v) -> str:
    return "" if v is None or fmt.is_missing(v) else str(v)


def source_records(sources) -> list[dict]:
    """The unique source references (:data:`SOURCE_KEYS`) of observation rows, sorted.

    ``sources``: a DataFrame of observation rows, one mapping, or an iterable of mappings.
    """
    if isinstance(sources, pd.DataFrame):
        rows = sources.to_dict("records")
    elif isinstance(sources, Mapping):
        rows = [sources]
    else:
        rows = list(sources)
    unique = {tuple(_text(r.get(k)) for k in SOURCE_KEYS) for r in rows}
    unique.discard(("",) * len(SOURCE_KEYS))
    if not unique:
        raise ValueError("no sources: every figure and table needs the observation rows it shows")
    return [dict(zip(SOURCE_KEYS, t)) for t in sorted(unique)]


@functools.lru_cache(maxsize=None)
def _page_titles(path: Path) -> dict[str, str]:
    """Page URL → title, from ``data/published/pages.csv`` (empty while that file is absent)."""
    if not path.exists():
        return {}
    pages = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(pages["url"], pages["title"]))


# pages.csv `statistic` of the exports that other publishers made (tools/import_exports.py).
PUBLISHERS = {"imdi": "IMDi", "fhi": "FHI"}


def _page_publishers(path: Path) -> dict[str, str]:
    """Page URL → publisher's short name for the pages not made by SSB (IMDi's and FHI's exports)."""
    if not path.exists():
        return {}
    pages = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "statistic" not in pages.columns:
        return {}
    return {u: PUBLISHERS[s] for u, s in zip(pages["url"], pages["statistic"]) if s in PUBLISHERS}


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


DERIVED_SEPARATOR = " minus "  # how a derived row's source_ref joins its inputs (observations.gap_rows)


def _input_link(ref: str, titles: Mapping[str, str]) -> str:
    """One input of a derived value: a published page by its title, an API query by its table."""
    if ref.startswith("http"):
        return f"[{_md_escape(titles.get(ref) or ref)}]({ref})"
    table = ref.split("?", 1)[0]
    return f"tabell [{table}]({STATBANK_URL.format(table=table)})"


def _derived_part(records: list[dict], titles: Mapping[str, str]) -> str | None:
    """``SSB, egne beregninger fra <input> og <input>`` for derived rows (e.g. a gap), whose
    ``source_ref`` names their inputs, joined by :data:`DERIVED_SEPARATOR`."""
    derived = [r for r in records if r["source_kind"] == "derived"]
    if not derived:
        return None
    inputs = set()
    for r in derived:
        refs = [ref.strip() for ref in r["source_ref"].split(DERIVED_SEPARATOR) if ref.strip()]
        if not refs:
            raise ValueError("a derived source row must name its inputs in source_ref")
        inputs.update(refs)
    publishers = _page_publishers(PAGES_FILE)
    other = {publishers[i] for i in inputs if i in publishers}
    links = sorted({_input_link(i, titles) for i in inputs})  # two queries of one table: once
    if other and len(other) == len({publishers.get(i, "SSB") for i in inputs}):
        # a national figure summed from another publisher's regional figures
        return f"egne beregninger fra {text.and_join(sorted(other))}, {text.and_join(links)}"
    if len(links) > MAX_LISTED_PAGES:
        return (f"SSB, egne beregninger fra {len(links)} tabeller"
                " (alle er listet i figurens proveniensfil)")
    return f"SSB, egne beregninger fra {text.and_join(links)}"


def source_line(sources) -> str:
    """The reader's source line, e.g. ``Kilde: SSB, tabell 13215 (statistikkbanken)`` or
    ``Kilde: SSB, <page title> (ssb.no, publisert 2021-03-19)``; table numbers and titles link
    to SSB. More than :data:`MAX_LISTED_PAGES` published pages are summarised as a count and
    a date range (all are listed in the figure's JSON). A derived row (``source_kind`` derived,
    e.g. a gap computed from two rows) is told as ``SSB, egne beregninger fra <its inputs>``."""
    records = source_records(sources)
    parts = []
    api_tables = sorted({r["source_table"] for r in records if r["source_kind"] == "ssb_api"})
    if api_tables:
        links = [f"[{t}]({STATBANK_URL.format(table=t)})" for t in api_tables]
        word = "tabell" if len(links) == 1 else "tabellene"
        parts.append(f"SSB, {word} {text.and_join(links)} (statistikkbanken)")
    pages = {}
    for r in records:
        if r["source_kind"] == "published":
            pages.setdefault(r["source_ref"], r)
        elif r["source_kind"] not in ("ssb_api", "derived"):
            raise ValueError(f"unknown source_kind {r['source_kind']!r} "
                             "(expected ssb_api, published or derived)")
    titles = _page_titles(PAGES_FILE)
    publishers = _page_publishers(PAGES_FILE)
    for url in [u for u in pages if u in publishers]:  # IMDi's and FHI's exports: named by publisher
        r = pages.pop(url)
        parts.append(f"{publishers[url]}, [{_md_escape(titles.get(url) or r['source_table'])}]({url})"
                     f" ({r['retrieved'][:4]})")
    if len(pages) > MAX_LISTED_PAGES:
        dates = sorted(r["retrieved"][:10] for r in pages.values())
        parts.append(f"SSB, {len(pages)} tabeller publisert på ssb.no {dates[0]}–{dates[-1]}"
                     " (alle er listet i figurens proveniensfil)")
    else:
        for url, r in sorted(pages.items(), key=lambda item: (item[1]["retrieved"], item[0])):
            title = _md_escape(titles.get(url) or f"tabell {r['source_table']}")
            shown = f"[{title}]({url})" if url.startswith("http") else title
            parts.append(f"SSB, {shown} (ssb.no, publisert {r['retrieved'][:10]})")
    derived = _derived_part(records, titles)
    if derived:
        parts.append(derived)
    return "Kilde: " + "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Publishing


def _check_label(label_: str) -> None:
    if not isinstance(label_, str) or not LABEL_PATTERN.fullmatch(label_):
        raise ValueError(f"invalid label {label_!r}: use lowercase a-z, 0-9 and single hyphens")


def _check_columns(df: pd.DataFrame) -> None:
    bad = [str(c) for c in df.columns if not COLUMN_PATTERN.fullmatch(str(c))]
    if bad:
        raise ValueError(f"CSV columns must be machine names (a-z, 0-9, _): {bad}")


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8, decimal POINT (for machines; the reader-facing numbers use the comma), floats with
    12 significant digits (exact for published figures; hides binary noise like 0.30000000000000004),
    empty cell for a missing value, '\\n' line ends."""
    df.to_csv(path, index=False, encoding="utf-8", float_format="%.12g", lineterminator="\n")


def _execution_count() -> int | None:
    """The IPython cell number when running in a kernel (papermill), else None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "execution_count", None) if shell is not None else None


def _write_provenance(path: Path, record: dict) -> None:
    record = {**record, "execution_count": _execution_count(),
              "notebook": os.environ.get("INDIKATORER_NOTEBOOK")}
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _footer(link_dir: str, label_: str, sources, notes) -> str:
    lines = []
    if notes:
        lines.append("Merknad: " + " ".join(_one_line(n) for n in notes))
        lines.append("")
    links = [f"[Last ned data (CSV)]({link_dir}/{label_}.csv)"]
    notebook = os.environ.get("INDIKATORER_NOTEBOOK")
    if notebook:
        # The executed notebook is published beside its chapter (see _quarto.yml resources):
        # the code that made the figure, one click from it.
        name = Path(notebook).name
        links.append(f'[Notatboken som laget figuren](notatbok/{name}){{download="{name}"}}')
    # The local links work only on the web (a standalone PDF has no figures/ beside it): a
    # Quarto span shows them in the HTML only; the source line, with absolute URLs, stays.
    # Print names where the data file lives in the web edition (the colophon gives its address).
    folder = Path(notebook).parent.as_posix() if notebook else ""
    where = f"{folder}/{link_dir}" if folder not in ("", ".") else link_dir
    lines.append(f"{source_line(sources)} [· {' · '.join(links)}]{WEB_ONLY}"
                 f"[ · Data i nettutgaven: `{where}/{label_}.csv`]{PRINT_ONLY}")
    return "\n".join(lines)


def output_folder(out_dir: str | os.PathLike = "figures") -> Path:
    """Where figure and table files go: ``out_dir`` as given, except that a relative one in
    the project's source tree (a notebook run by hand, not by the build, which sets
    INDIKATORER_BUILD_DIR and runs each notebook in its build folder) is moved to
    ``build/direct/<the same path from the project root>``."""
    out = Path(out_dir)
    if out.is_absolute() or os.environ.get("INDIKATORER_BUILD_DIR"):
        return out
    root = paths.PROJECT_ROOT.resolve()
    try:
        inside = Path.cwd().resolve().relative_to(root)
    except ValueError:
        return out  # not in the project
    if inside.parts[:1] in (("build",), ("_book",)):
        return out
    return paths.BUILD_DIR / "direct" / inside / out


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


def publish_figure(fig, *, label: str, caption: str, alt: str, data: pd.DataFrame, sources,
                   indicators: Iterable[str], notes: Iterable[str] = (),
                   out_dir: str | os.PathLike = "figures") -> str:
    """Save the figure and the numbers it draws, record provenance, close it, print and return
    the Markdown for an ``#| output: asis`` cell.

    Writes ``<out_dir>/<label>.png`` (fixed dpi, no software/date metadata: identical bytes for
    the same figure), ``<out_dir>/<label>.csv`` (``data`` — exactly the plotted rows, with machine
    column names and a ``value`` column — sorted by its other columns, see :func:`_write_csv`) and
    ``<out_dir>/<label>.json`` (label, caption, alt, notes, indicators, sources, file names and
    sha256, the kernel's execution_count and ``$INDIKATORER_NOTEBOOK``).
    """
    import matplotlib.pyplot as plt

    _check_label(label)
    if not _one_line(caption) or not _one_line(alt):
        raise ValueError(f"figure {label!r} needs a caption and an alt text")
    description = getattr(fig, "description", None)
    if description is not None:
        # What the chart is (type, unit, groups, period, panels, the pattern) before what it
        # shows; what was asked for but not drawn goes in the caption too.
        alt = f"{description.alt_text()} {_one_line(alt)}"
        missing_notes = [n for n in description.notes() if n not in caption]
        caption = " ".join([_one_line(caption)] + missing_notes)
    colours = legend_colours(fig)
    if "value" not in data.columns:
        raise ValueError("data must have a 'value' column holding the plotted numbers")
    _check_columns(data)
    notes = [_one_line(n) for n in notes]
    footer = _footer(Path(out_dir).name, label, sources, notes)  # validates sources before writing

    out = output_folder(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png, csv = out / f"{label}.png", out / f"{label}.csv"
    fig.savefig(png, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    keys = [c for c in data.columns if c != "value"]
    ordered = data.sort_values(keys, kind="mergesort") if keys else data
    _write_csv(ordered.reset_index(drop=True), csv)
    _write_provenance(out / f"{label}.json", {
        "kind": "figure", "label": label, "caption": _one_line(caption), "alt": _one_line(alt),
        "notes": notes, "indicators": sorted(set(indicators)), "sources": source_records(sources),
        "png": png.name, "png_sha256": sha256_file(png), "csv": csv.name, "csv_sha256": sha256_file(csv),
        "colours": colours,
    })

    alt_attr = _one_line(alt).replace("\\", "\\\\").replace('"', '\\"')
    link_dir = out.name
    markdown = (f"![{_md_escape(_one_line(caption))}]({link_dir}/{label}.png)"
                f'{{#fig-{label} fig-alt="{alt_attr}"}}\n\n{footer}\n')
    print(markdown)
    return markdown


def _default_header(column: str) -> str:
    if column == "year":
        return "År"
    if column == "value":
        return "Verdi"
    for kind in KIND_OF_COLUMN.values():
        if column in labels(kind):
            return labels(kind)[column]
    return column


def _cell_formatter(column: str, series: pd.Series, spec) -> Callable[[object], str]:
    if callable(spec):
        return spec
    if isinstance(spec, str):
        return lambda v: fmt.cell(v, spec, placeholder="..")
    if isinstance(spec, tuple):  # (unit, decimals per row as published): see publish_table
        unit, decimals = spec
        if len(decimals) != len(series):
            raise ValueError(f"column {column!r}: {len(decimals)} decimals for {len(series)} rows")
        shown = iter(decimals)
        return lambda v: fmt.cell(v, unit, decimals=next(shown), placeholder="..")
    if column == "year":
        return lambda v: ".." if fmt.is_missing(v) else str(int(v))
    if pd.api.types.is_integer_dtype(series):
        return lambda v: fmt.integer(v, placeholder="..")
    if pd.api.types.is_float_dtype(series):
        return lambda v: fmt.number(v, 1, placeholder="..")
    return lambda v: "" if v is None or fmt.is_missing(v) else str(v)


# Column widths of tables (see :func:`column_widths`), in characters of table text.
PANDOC_COLUMNS = 72   # pandoc's default --columns: a longer pipe-table line makes widths relative
TABLE_WIDTH = 96      # the PDF's text block (A4, 2,5 cm margins) holds about this many in 9 pt
CELL_PADDING = 2      # a cell's inset on both sides, in characters
MIN_TEXT_WIDTH = 8    # a text column is never squeezed below this (nor below its longest word)
MAX_TEXT_WORD = 12    # … unless that word is longer than this: then it is hyphenated
MIN_SQUEEZED = 5      # the narrowest a text column gets when even the floors do not fit
SHORT_TEXT = 10       # a text column with no longer text ("15–74 år") never wraps, like numbers


def _longest_word(text: str) -> int:
    return max((len(w) for w in str(text).split()), default=0)


def _column_floors(headers: list[str], cells: list[list[str]], numeric: list[bool]
                   ) -> tuple[list[bool], list[int], list[int]]:
    """(fixed, floor, want) per column, without padding: see :func:`column_widths`."""
    n = len(headers)
    longest = [max((len(c) for c in column), default=0) for column in cells]
    fixed = [numeric[i] or longest[i] <= SHORT_TEXT for i in range(n)]
    heading_word = [_longest_word(h) for h in headers]
    floors, wants = [0] * n, [0] * n
    for i in range(n):
        if fixed[i]:
            floors[i] = wants[i] = max(longest[i], heading_word[i], 1)
        else:
            word = max([_longest_word(c) for c in cells[i]], default=0)
            floors[i] = max(heading_word[i], min(max(word, MIN_TEXT_WIDTH), MAX_TEXT_WORD))
            wants[i] = max(longest[i], len(headers[i]) // 2, floors[i])
    return fixed, floors, wants


def min_table_width(headers: list[str], cells: list[list[str]], numeric: list[bool]) -> int:
    """The narrowest a table can be set (characters, padding included) without breaking a
    number, a short text or a word of a heading."""
    _, floors, _ = _column_floors(headers, cells, numeric)
    return sum(floors) + CELL_PADDING * len(headers)


def column_widths(headers: list[str], cells: list[list[str]], numeric: list[bool],
                  width: int = TABLE_WIDTH) -> list[int]:
    """Relative widths (characters, padding included) for a table's columns.

    Number columns, and text columns whose longest text is at most :data:`SHORT_TEXT`
    characters ("15–74 år"), are fixed: they get what their longest cell or their heading's
    longest word needs, so a number never wraps and a heading is never hyphenated. Longer
    text columns share what is left in proportion to their longest text, but none gets less
    than its heading's longest word, its own longest word (up to :data:`MAX_TEXT_WORD`) or
    :data:`MIN_TEXT_WIDTH`. A table whose floors do not fit ``width`` is split for print
    (:func:`split_columns`); if even one part cannot fit, text columns are squeezed.
    """
    n = len(headers)
    fixed, floors, wants = _column_floors(headers, cells, numeric)
    flexible = [i for i in range(n) if not fixed[i]]
    if sum(wants) + CELL_PADDING * n <= width:
        return [w + CELL_PADDING for w in wants]
    # Too wide: fixed columns keep their width, text columns shrink towards their floors —
    # below them where even the floors do not fit (the widths are relative: a sum above
    # ``width`` would squeeze the numbers too).
    widths = list(wants)
    free = width - CELL_PADDING * n - sum(wants[i] for i in range(n) if fixed[i])
    if flexible and free < sum(floors[i] for i in flexible):
        total = sum(floors[i] for i in flexible)
        for i in flexible:
            widths[i] = max(MIN_SQUEEZED, int(max(free, 0) * floors[i] / total))
        return [w + CELL_PADDING for w in widths]
    while flexible:
        total = sum(wants[i] for i in flexible)
        share = {i: max(free, 0) * wants[i] / total for i in flexible}
        pinned = [i for i in flexible if share[i] < floors[i]]
        if not pinned:
            for i in flexible:
                widths[i] = max(floors[i], int(share[i]))
            break
        for i in pinned:
            widths[i] = floors[i]
            free -= floors[i]
            flexible.remove(i)
    return [w + CELL_PADDING for w in widths]


def split_columns(headers: list[str], cells: list[list[str]], numeric: list[bool],
                  width: int = TABLE_WIDTH) -> list[list[int]]:
    """The columns of each printed part of a table too wide for ``width`` without breaking a
    heading word or a number: the leading key columns (text, and the year) start every part;
    the other columns fill the parts in order. One part when the table fits."""
    n = len(headers)
    keys = []
    for i in range(n):
        if numeric[i] and headers[i] != "År":
            break
        keys.append(i)
    if min_table_width(headers, cells, numeric) <= width or len(keys) == n:
        return [list(range(n))]

    def fits(columns: list[int]) -> bool:
        return min_table_width([headers[i] for i in columns], [cells[i] for i in columns],
                               [numeric[i] for i in columns]) <= width

    parts: list[list[int]] = [list(keys)]
    for i in range(len(keys), n):
        if len(parts[-1]) > len(keys) and not fits(parts[-1] + [i]):
            parts.append(list(keys))
        parts[-1].append(i)
    return parts


def _separator(numeric: list[bool], widths: list[int] | None) -> str:
    """The pipe table's header separator; with ``widths`` its dash counts carry them."""
    if widths is None:
        return "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"
    return "|" + "|".join(("-" * (max(w, 3) - 1) + ":") if n else (":" + "-" * (max(w, 3) - 1))
                          for n, w in zip(numeric, widths)) + "|"


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


def scroll_block(markdown: str, name: str) -> str:
    """Markdown (a table) in a block that scrolls sideways by itself where the screen is too
    narrow (CSS ``.table-scroll`` in the preview's and the Quarto theme's stylesheets), so the
    page never does; reachable by keyboard (``tabindex``) and named for screen readers
    (``role="region"`` with the first sentence of ``name``)."""
    first = _one_line(name).split(". ")[0].rstrip(".")
    words = first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + " …"
    label_ = ("Tabell: " + words).replace("\\", "").replace('"', "'")
    return f'::: {{.table-scroll tabindex="0" role="region" aria-label="{label_}"}}\n{markdown}\n:::'


def publish_table(df: pd.DataFrame, *, label: str, caption: str, sources,
                  out_dir: str | os.PathLike = "figures",
                  formats: Mapping[str, str | Callable] | None = None,
                  headers: Mapping[str, str | tuple[str, str]] | None = None,
                  indicators: Iterable[str] = (), notes: Iterable[str] = (),
                  columns: Iterable[str] | None = None) -> str:
    """A Markdown pipe table (Norwegian numbers, numeric columns right-aligned) with caption
    ``: <caption> {#tbl-<label>}``, source line and data link; writes ``<label>.csv`` (``df`` as
    given, every column, decimal point) and ``<label>.json`` beside it. Prints and returns the
    Markdown.

    ``formats``: per column a catalogue unit (``"prosent"`` …, no unit word in cells), a pair
    (unit, the decimals of each row as published; ``None`` for the unit's default) or a
    function value → text. Defaults: ``year`` as is, integers grouped, floats with one decimal.
    A missing value shows as ``..``. ``headers``: column → Norwegian heading (default: the code's
    label, ``År``, or the column name), or ``(heading, note)``: a short heading whose full
    meaning goes in the note under the table (see :func:`header_label`). ``columns``: the
    columns shown, in order (default: all; the CSV keeps every column).

    A table too wide for one line of Markdown gets relative column widths
    (:func:`column_widths`) in its separator line's dash counts, which pandoc and Quarto turn
    into column widths in HTML and PDF; a narrow one is left to size itself.
    """
    _check_label(label)
    _check_columns(df)
    formats, headers = dict(formats or {}), dict(headers or {})
    shown = [str(c) for c in df.columns] if columns is None else [str(c) for c in columns]
    unknown = [c for c in shown if c not in df.columns]
    if unknown:
        raise ValueError(f"columns not in the table: {unknown}")
    headings, notes = [], [_one_line(n) for n in notes]
    for c in shown:
        heading = headers.get(c, _default_header(c))
        if isinstance(heading, tuple):
            heading, note = heading
            if note and _one_line(note) not in notes:
                notes.append(_one_line(note))
        headings.append(str(heading))
    footer = _footer(Path(out_dir).name, label, sources, notes)

    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in shown]
    cells = [list(map(_cell_formatter(c, df[c], formats.get(c)), df[c])) for c in shown]

    def line(values) -> str:
        return "| " + " | ".join(str(v).replace("|", "\\|") for v in values) + " |"

    def pipe_table(columns: list[int]) -> str:
        heads, nums = [headings[i] for i in columns], [numeric[i] for i in columns]
        body = [line(heads)] + [line(row) for row in zip(*(cells[i] for i in columns))]
        separator = _separator(nums, None)
        if max(len(x) for x in body + [separator]) > PANDOC_COLUMNS:
            separator = _separator(nums, column_widths(heads, [cells[i] for i in columns], nums))
        return "\n".join([body[0], separator] + body[1:])

    caption_line = f": {_one_line(caption)} {{#tbl-{label}}}"
    whole = scroll_block(f"{pipe_table(list(range(len(shown))))}\n\n{caption_line}", caption)
    parts = split_columns(headings, cells, numeric)
    if len(parts) == 1:
        tables = whole
    else:
        # Print cannot scroll: a table too wide for the page without hyphenated headings or
        # wrapped numbers is printed in parts, the key columns repeated in each.
        printed = [f"{pipe_table(parts[0])}\n\n: {_one_line(caption)} Del 1 av {len(parts)}. "
                   f"{{#tbl-{label}}}"]
        printed += [f"{pipe_table(part)}\n\n: Fortsettelse av @tbl-{label}, del {k} av {len(parts)}."
                    for k, part in enumerate(parts[1:], start=2)]
        tables = (f"::: {WEB_ONLY}\n{whole}\n:::\n\n::: {PRINT_ONLY}\n"
                  + "\n\n".join(printed) + "\n:::")

    out = output_folder(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"{label}.csv"
    _write_csv(df.reset_index(drop=True), csv)
    _write_provenance(out / f"{label}.json", {
        "kind": "table", "label": label, "caption": _one_line(caption), "alt": "",
        "notes": notes, "indicators": sorted(set(indicators)), "sources": source_records(sources),
        "csv": csv.name, "csv_sha256": sha256_file(csv),
    })
    markdown = f"{tables}\n\n{footer}\n"
    print(markdown)
    return markdown
