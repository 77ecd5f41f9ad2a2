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
    links = sorted({_input_link(i, titles) for i in inputs})  # two queries of one table: once
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
    lines.append(f"{source_line(sources)} [· {' · '.join(links)}]{WEB_ONLY}")
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


# Column widths of tables (see :func:`column_widths`), in characters of body text.
PANDOC_COLUMNS = 72   # pandoc's default --columns: a longer pipe-table line makes widths relative
TABLE_WIDTH = 86      # the PDF's text block (A4, 2,5 cm margins, 10,5 pt) holds about this many
CELL_PADDING = 2      # a cell's inset on both sides, in characters
MAX_HEADER_WORD = 12  # a longer word in a heading is hyphenated rather than widen a number column
MIN_TEXT_WIDTH = 8    # a text column is never squeezed below this (nor below its longest word)
MAX_TEXT_WORD = 12    # … unless that word is longer than this: then it is hyphenated
MIN_SQUEEZED = 5      # the narrowest a text column gets when even the floors do not fit
SHORT_TEXT = 10       # a text column with no longer text ("15–74 år") never wraps, like numbers


def _longest_word(text: str) -> int:
    return max((len(w) for w in str(text).split()), default=0)


def column_widths(headers: list[str], cells: list[list[str]], numeric: list[bool],
                  width: int = TABLE_WIDTH) -> list[int]:
    """Relative widths (characters, padding included) for a table's columns.

    Number columns, and text columns whose longest text is at most :data:`SHORT_TEXT`
    characters ("15–74 år"), are fixed: they get what their longest cell needs and never wrap,
    plus room for their heading's longest word — up to :data:`MAX_HEADER_WORD` characters, less
    when the table would not fit ``width`` (a long heading word is hyphenated before a number
    wraps). Longer text columns share what is left in proportion to their longest text, but
    none gets less than its longest word (up to :data:`MAX_TEXT_WORD`) or
    :data:`MIN_TEXT_WIDTH`.
    """
    n = len(headers)
    longest = [max((len(c) for c in column), default=0) for column in cells]
    fixed = [numeric[i] or longest[i] <= SHORT_TEXT for i in range(n)]
    heading_word = [_longest_word(h) for h in headers]
    floors, wants = [0] * n, [0] * n
    for i in range(n):
        if not fixed[i]:
            word = max([heading_word[i]] + [_longest_word(c) for c in cells[i]])
            floors[i] = min(max(word, MIN_TEXT_WIDTH), MAX_TEXT_WORD)
            wants[i] = max(longest[i], len(headers[i]) // 2, floors[i])
    flexible = [i for i in range(n) if not fixed[i]]
    room = width - CELL_PADDING * n - sum(floors)
    for cap in range(MAX_HEADER_WORD, 0, -1):  # heading words yield first
        for i in range(n):
            if fixed[i]:
                wants[i] = floors[i] = max(longest[i], min(heading_word[i], cap), 1)
        if sum(wants[i] for i in range(n) if fixed[i]) <= room:
            break
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
    rows = list(zip(*cells)) if cells else []

    def line(values) -> str:
        return "| " + " | ".join(str(v).replace("|", "\\|") for v in values) + " |"

    body = [line(headings)] + [line(r) for r in rows]
    separator = _separator(numeric, None)
    if max(len(x) for x in body + [separator]) > PANDOC_COLUMNS:
        separator = _separator(numeric, column_widths(headings, cells, numeric))
    table = [body[0], separator] + body[1:]

    out = output_folder(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"{label}.csv"
    _write_csv(df.reset_index(drop=True), csv)
    _write_provenance(out / f"{label}.json", {
        "kind": "table", "label": label, "caption": _one_line(caption), "alt": "",
        "notes": notes, "indicators": sorted(set(indicators)), "sources": source_records(sources),
        "csv": csv.name, "csv_sha256": sha256_file(csv),
    })
    markdown = "\n".join(table) + f"\n\n: {_one_line(caption)} {{#tbl-{label}}}\n\n{footer}\n"
    print(markdown)
    return markdown
