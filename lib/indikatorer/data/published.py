"""The committed snapshot of figures printed on ssb.no (``data/published/``).

``observations.csv`` holds one row per printed value with the page it was printed on; it was
made once by ``tools/import_published.py`` (see ``data/published/README.md``) and is read here,
its sha256 checked against the sidecar on every read. ``observations.load_observations()``
selects each indicator's rows from it.

Every row gets ``decimals``: the number of decimals the value was printed with ("38" → 0,
"38.0" and "65.4" → 1), so the book never shows more precision than the source. A cell without
a number (an SSB symbol) takes the most decimals printed in its series on the same page, or,
where that page prints no number of the series, the unit's default (``core.vocab.UNIT_DECIMALS``).
A value delivered unrounded (more than four decimals: FHI's statistics bank) is shown with the
unit's default too.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from indikatorer.core import paths
from indikatorer.core.errors import UserError
from indikatorer.data.snapshot import display_path, read_verified
from indikatorer.core.vocab import STATUS_BY_SYMBOL, UNIT_DECIMALS, UNKNOWN_TIME

OBSERVATIONS_FILE = "observations.csv"
PAGES_FILE = "pages.csv"
REVISIONS_FILE = "revisions.csv"

# Columns of data/published/observations.csv. The tidy contract's source_file, source_sha256
# and retrieved (unknown: not recorded) are added on reading (a file cannot hold its own
# checksum), and `indicator` is set by observations from the catalogue's `series`. `geography`
# is "0" (Norway), a county (`F03`) or a municipality (`K0301`); geographies.csv labels every code.
COLUMNS = [
    "series", "year", "period", "group", "sex", "age", "geography", "region", "region_label", "botid",
    "other_dim", "other_value", "unit", "value", "status", "source_kind", "source_table", "source_ref",
    "released", "note", "group_label", "sex_label", "age_label", "botid_label", "geography_label",
]
GEOGRAPHIES_FILE = "geographies.csv"
GEOGRAPHY_COLUMNS = ["code", "label", "level", "from_year", "to_year", "same_area", "boundaries"]
# source_kind in the file: a printed figure, or one derived by the import (a national sum of
# regions, say so in `note`). The tidy contract's source_file, source_sha256 and retrieved are
# added on reading.
FILE_SOURCE_KINDS = ("published", "derived")

UNROUNDED_DECIMALS = 4
# The import's mark in `note` on a figure SSB is known to have corrected later, where the snapshot
# holds only the earlier version (tools/harvest/known_revisions.csv): what SSB corrected, where it
# says so, follows the mark.
SUPERSEDED_MARK = "SUPERSEDED:"
# A printed number after Norwegian formats were converted: 65.4, 2493510, -0.7.
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class PublishedError(UserError):
    """The published snapshot is missing or not in the expected shape."""


def parse_printed_value(text: str) -> tuple[str, str]:
    """A printed cell as (value text, status), keeping the number exactly as printed.

    SSB's symbols ``..`` ``...`` ``:`` ``.`` mean no number (value ""), ``-`` is a true nil
    (value "0"). Anything else must be a number; raises ValueError otherwise.
    """
    text = text.strip()
    if text in STATUS_BY_SYMBOL:
        status = STATUS_BY_SYMBOL[text]
        return ("0" if status == "nil" else ""), status
    if not _NUMBER.match(text):
        raise ValueError(f"not a number or an SSB symbol: {text!r}")
    return text, "ok"


def printed_decimals(text: str) -> int:
    """The decimals of a number as printed: ``"38"`` → 0, ``"38.0"`` → 1, ``"-0.75"`` → 2.
    Raises ValueError for text that is not a number (an SSB symbol or an empty cell)."""
    text = str(text).strip()
    if not _NUMBER.match(text):
        raise ValueError(f"not a printed number: {text!r}")
    return len(text.partition(".")[2])


def _decimals(frame: pd.DataFrame) -> pd.Series:
    """Per row the decimals as printed (see the module docstring); ``frame`` holds the value text."""
    printed = frame["value"].where(frame["status"] == "ok")
    decimals = printed.map(lambda t: printed_decimals(t) if isinstance(t, str) and t else None)
    defaults = frame["unit"].map(lambda unit: UNIT_DECIMALS.get(unit, 1))
    # More than UNROUNDED_DECIMALS decimals is a machine delivery, not a printed figure (FHI's
    # statistics bank gives 21.3217349172738): shown with the unit's default.
    decimals = decimals.where(~(decimals > UNROUNDED_DECIMALS), defaults)
    column_max = decimals.groupby([frame["series"], frame["source_ref"]]).transform("max")
    return decimals.fillna(column_max).fillna(defaults).astype("int64")


def superseded(notes: pd.Series) -> pd.Series:
    """Per row, what SSB corrected later (the text after :data:`SUPERSEDED_MARK` in ``note``,
    Norwegian, with its source), or "" where the figure is the newest version known."""
    notes = notes.fillna("").astype(str)
    return notes.str.partition(SUPERSEDED_MARK)[2].str.strip()


def load_revisions(path: Path = paths.PUBLISHED_DIR) -> pd.DataFrame:
    """``revisions.csv``: every printed figure the snapshot does not use because another
    printing of it was kept (a newer release, a more precise one), with the kept value and the
    reason; checked against its sidecar. ``year`` as integer, values as printed (text)."""
    file = Path(path) / REVISIONS_FILE
    data, _ = read_verified(file)
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.assign(year=frame["year"].astype("int64"))


def load_published(path: Path = paths.PUBLISHED_DIR) -> pd.DataFrame:
    """The published rows with tidy columns (plus ``series``, ``released`` and the printed
    labels); ``decimals`` as printed. The file's sha256 is checked against its sidecar first; a mismatch raises a
    UserError naming the file."""
    file = Path(path) / OBSERVATIONS_FILE
    frame, meta = _read_csv(file, COLUMNS, "published snapshot")
    frame["year"] = frame["year"].astype("int64")
    frame["decimals"] = _decimals(frame)
    frame["value"] = pd.to_numeric(frame["value"].replace("", None), errors="raise").astype("float64")
    kinds = set(frame["source_kind"]) - set(FILE_SOURCE_KINDS)
    if kinds:
        raise PublishedError(f"{display_path(file)}: source_kind {sorted(kinds)} not in {FILE_SOURCE_KINDS}")
    return frame.assign(
        source_file=display_path(file),
        source_sha256=meta["sha256"],
        retrieved=UNKNOWN_TIME,  # the import recorded the pages' release dates, not when they were read
    )


def load_geographies(path: Path = paths.PUBLISHED_DIR) -> pd.DataFrame:
    """The geography codes of the snapshot (``geographies.csv``, checked against its sidecar):
    code, label, level (land, fylke, kommune), the years a changed region existed, the code of
    the same area on another level (Oslo: F03 and K0301) and the boundary set."""
    frame, _ = _read_csv(Path(path) / GEOGRAPHIES_FILE, GEOGRAPHY_COLUMNS, "geography list")
    return frame


def _read_csv(file: Path, columns: list[str], what: str) -> tuple[pd.DataFrame, dict]:
    """A snapshot CSV as text columns, checked against its sidecar and its expected columns."""
    if not file.exists():
        raise PublishedError(f"{what} not found: {display_path(file)}")
    data, meta = read_verified(file)
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    if list(frame.columns) != columns:
        raise PublishedError(f"{display_path(file)}: columns {list(frame.columns)} differ from {columns}")
    return frame, meta
