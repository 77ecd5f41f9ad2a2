"""Publishing figures and tables: the files beside the executed notebook (PNG, data CSV,
provenance JSON) and the Markdown a cell prints.

A cell marked ``#| output: asis`` prints its Markdown in ONE write (:func:`emit`): the
``show_*`` functions of the report modules collect the blocks that :func:`publish_figure` and
:func:`publish_table` return and emit them together.

Outputs go to ``out_dir`` (default ``figures``, relative to the working directory, which the build
sets to the executed notebook's folder so figures land beside it). The Markdown links to
``<last folder name of out_dir>/<label>.png``, i.e. the folder is assumed to sit beside the notebook.
A notebook run by hand from the project's sources (``papermill notebooks/01-arbeid.ipynb out.ipynb``
from the project root) writes into ``build/direct/`` instead, never into the sources
(:func:`output_folder`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from indikatorer.core import paths
from indikatorer.core.hashing import sha256_file
from indikatorer.report import fmt
from indikatorer.report.figures import legend_colours
from indikatorer.report.sources import _md_escape, source_line, source_records
from indikatorer.report.style import DPI, KIND_OF_COLUMN, labels

LABEL_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
COLUMN_PATTERN = re.compile(r"[a-z0-9_]+")
# Quarto's conditional content (quarto.org/docs/authoring/conditional): HTML only / all but HTML.
WEB_ONLY = '{.content-visible when-format="html"}'
PRINT_ONLY = '{.content-hidden when-format="html"}'


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


def emit(blocks: Iterable[str]) -> None:
    """Print a cell's Markdown blocks in one write, a blank line after each (a kernel sends
    stdout in chunks whose boundaries depend on timing; one write keeps a rebuilt notebook
    byte-identical)."""
    text = "".join(block.rstrip("\n") + "\n\n" for block in blocks if block and block.strip())
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()


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
    """The execution count of the cell running now, as the executed notebook records it (None
    outside a kernel). IPython counts the cell before running it, so the shell's own counter is
    already the NEXT cell's number; the running cell's result holds its own."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    return getattr(result, "execution_count", None)


def _write_provenance(path: Path, record: dict) -> None:
    record = {**record, "execution_count": _execution_count(),
              "notebook": os.environ.get("INDIKATORER_NOTEBOOK")}
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")


ROW_SOURCE_COLUMNS = ("source_ref", "released")  # per row of a figure's CSV: where it comes from
_JOINED_REFS = re.compile(r" minus | \| ")        # a derived row's inputs (observations.gap_rows)


def sources_by_row(sources, data: pd.DataFrame) -> list[dict]:
    """The source records of a figure (:func:`source_records`), each with ``csv_rows``: the
    CSV rows (0-based, in the file's order) whose number comes from it. A row from one source
    matches its reference and release; a computed row (a gap, a decomposition) names all its
    inputs in ``source_ref`` and belongs to each. A source no row comes from is an error: the
    provenance lists what the figure shows, not what it might have shown."""
    refs = [_JOINED_REFS.split(str(r)) for r in data["source_ref"]]
    released = [str(r) for r in data["released"]]
    out = []
    for record in source_records(sources):
        rows = [i for i, parts in enumerate(refs) if record["source_ref"] in parts
                and (len(parts) > 1 or released[i] == record["released"])]
        if not rows:
            raise ValueError(f"source {record['source_ref']} ({record['released']}) is not the "
                             "source of any row of the figure's data")
        out.append({**record, "csv_rows": rows})
    return out


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _footer(link_dir: str, label_: str, sources, notes, source_text: str | None = None) -> str:
    """The lines under a figure or table: notes, the source line (``source_text`` instead where
    given: a table that refers to its figure's), the links to the data and the notebook."""
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
    source = source_line(sources)  # validates the sources also where another text is shown
    lines.append(f"{source_text or source} [· {' · '.join(links)}]{WEB_ONLY}"
                 f"[ · Data i nettutgaven: `{where}/{label_}.csv`]{PRINT_ONLY}")
    return "\n".join(lines)


def publish_figure(fig, *, label: str, caption: str, alt: str, data: pd.DataFrame, sources,
                   indicators: Iterable[str], notes: Iterable[str] = (),
                   out_dir: str | os.PathLike = "figures") -> str:
    """Save the figure and the numbers it draws, record provenance, close it, and return the
    Markdown for an ``#| output: asis`` cell (the caller emits it with the cell's other blocks).

    Writes ``<out_dir>/<label>.png`` (fixed dpi, no software/date metadata: identical bytes for
    the same figure), ``<out_dir>/<label>.csv`` (``data`` — exactly the plotted rows, with machine
    column names, a ``value`` column and per row ``source_ref`` and ``released`` — sorted by its
    other columns, see :func:`_write_csv`) and ``<out_dir>/<label>.json`` (label, caption, alt,
    notes, indicators, sources with the CSV rows each one gave (:func:`sources_by_row`), file
    names and sha256, the legend's colours, the cell's execution_count and
    ``$INDIKATORER_NOTEBOOK``).
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
    if not set(ROW_SOURCE_COLUMNS) <= set(data.columns):
        raise ValueError(f"data must say per row where its number comes from: columns {ROW_SOURCE_COLUMNS}")
    _check_columns(data)
    notes = [_one_line(n) for n in notes]
    footer = _footer(Path(out_dir).name, label, sources, notes)  # validates sources before writing

    out = output_folder(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png, csv = out / f"{label}.png", out / f"{label}.csv"
    fig.savefig(png, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    keys = [c for c in data.columns if c != "value"]
    ordered = (data.sort_values(keys, kind="mergesort") if keys else data).reset_index(drop=True)
    _write_csv(ordered, csv)
    _write_provenance(out / f"{label}.json", {
        "kind": "figure", "label": label, "caption": _one_line(caption), "alt": _one_line(alt),
        "notes": notes, "indicators": sorted(set(indicators)), "sources": sources_by_row(sources, ordered),
        "png": png.name, "png_sha256": sha256_file(png), "csv": csv.name, "csv_sha256": sha256_file(csv),
        "colours": colours,
    })

    alt_attr = _one_line(alt).replace("\\", "\\\\").replace('"', '\\"')
    link_dir = out.name
    markdown = (f"![{_md_escape(_one_line(caption))}]({link_dir}/{label}.png)"
                f'{{#fig-{label} fig-alt="{alt_attr}"}}\n\n{footer}\n')
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


def scroll_block(markdown: str, name: str) -> str:
    """Markdown (a table) in a block that scrolls sideways by itself where the screen is too
    narrow (CSS ``.table-scroll`` in the preview's and the Quarto theme's stylesheets), so the
    page never does; reachable by keyboard (``tabindex``) and named for screen readers
    (``role="region"`` with the first sentence of ``name``)."""
    first = _one_line(name).split(". ")[0].rstrip(".")
    words = first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + " …"
    label_ = ("Tabell: " + words).replace("\\", "").replace('"', "'")
    return f'::: {{.table-scroll tabindex="0" role="region" aria-label="{label_}"}}\n{markdown}\n:::'


def beside_figure(label_: str) -> dict:
    """The :func:`publish_table` options of a table beside its figure ``fig-<label_>``: on the
    web only (the PDF has the figure, whose source line names where its data file lives) and
    its source line referring to the figure's, so that each source is said once."""
    return {"source_text": f"Kilde: som for @fig-{label_}.", "printed": False}


def publish_table(df: pd.DataFrame, *, label: str, caption: str, sources,
                  out_dir: str | os.PathLike = "figures",
                  formats: Mapping[str, str | Callable] | None = None,
                  headers: Mapping[str, str | tuple[str, str]] | None = None,
                  indicators: Iterable[str] = (), notes: Iterable[str] = (),
                  columns: Iterable[str] | None = None, source_text: str | None = None,
                  printed: bool = True) -> str:
    """A Markdown pipe table (Norwegian numbers, numeric columns right-aligned) with caption
    ``: <caption> {#tbl-<label>}``, source line and data link; writes ``<label>.csv`` (``df`` as
    given, every column, decimal point) and ``<label>.json`` beside it. Returns the Markdown.

    ``formats``: per column a catalogue unit (``"prosent"`` …, no unit word in cells), a pair
    (unit, the decimals of each row as published; ``None`` for the unit's default) or a
    function value → text. Defaults: ``year`` as is, integers grouped, floats with one decimal.
    A missing value shows as ``..``. ``headers``: column → Norwegian heading (default: the code's
    label, ``År``, or the column name), or ``(heading, note)``: a short heading whose full
    meaning goes in the note under the table (see :func:`header_label`). ``columns``: the
    columns shown, in order (default: all; the CSV keeps every column).

    ``source_text``: the visible source line instead of the sources' own (the table beside a
    figure refers to the figure's: each source is said once per section); the provenance file
    lists the sources all the same. ``printed=False``: the table is on the web only (the PDF
    shows the figure, whose source line says where its data file lives).

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
    footer = _footer(Path(out_dir).name, label, sources, notes, source_text)

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
    if not printed:
        tables = whole
    elif len(parts) == 1:
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
    if not printed:
        return f"::: {WEB_ONLY}\n{tables}\n\n{footer}\n:::\n"
    return f"{tables}\n\n{footer}\n"
