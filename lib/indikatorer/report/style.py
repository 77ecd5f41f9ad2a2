"""The book's house style: the plotting theme, the one palette, a fixed colour per group, labels.

Every notebook calls :func:`setup` first. Each group code has ONE fixed colour across the whole
book (:data:`GROUP_COLOURS`); other codes get colours from :data:`OTHER_PALETTE` (never two
alike in a chart: :func:`chart_colours`), ordered categories from one ordered colour map. Labels
and display order come from ``data/codes.yml``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from indikatorer.core import vocab
from indikatorer.core.codes import load_codes, ordered_codes

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
