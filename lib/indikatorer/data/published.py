"""The committed snapshot of figures printed on ssb.no (``data/published/``).

``observations.csv`` holds one row per printed value with the page it was printed on; it was
made once by ``tools/import_published.py`` (see ``data/published/README.md``) and is read here,
its sha256 checked against the sidecar on every read. ``observations.load_observations()``
selects each indicator's rows from it.

Every row gets ``decimals``: the number of decimals the value was printed with ("38" → 0,
"38.0" and "65.4" → 1), so the book never shows more precision than the source. A cell without
a number (an SSB symbol) takes the most decimals printed in its series on the same page, or,
where that page prints no number of the series, the unit's default (``core.vocab.UNIT_DECIMALS``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from indikatorer.core import paths
from indikatorer.core.errors import UserError
from indikatorer.data.snapshot import display_path, read_verified
from indikatorer.core.vocab import STATUS_BY_SYMBOL, UNIT_DECIMALS

OBSERVATIONS_FILE = "observations.csv"
PAGES_FILE = "pages.csv"
REVISIONS_FILE = "revisions.csv"

# Columns of data/published/observations.csv. The tidy contract's source_kind, source_file,
# source_sha256 and retrieved are added on reading (a file cannot hold its own checksum), and
# `indicator` is set by observations from the catalogue's `series`.
COLUMNS = [
    "series", "year", "period", "group", "sex", "age", "region", "region_label", "botid",
    "other_dim", "other_value", "unit", "value", "status", "source_table", "source_ref",
    "released", "note", "group_label", "sex_label", "age_label", "botid_label",
]

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
    column_max = decimals.groupby([frame["series"], frame["source_ref"]]).transform("max")
    defaults = frame["unit"].map(lambda unit: UNIT_DECIMALS.get(unit, 1))
    return decimals.fillna(column_max).fillna(defaults).astype("int64")


def load_published(path: Path = paths.PUBLISHED_DIR) -> pd.DataFrame:
    """The published rows with tidy columns (plus ``series``, ``released`` and the printed
    labels); ``decimals`` as printed. The file's sha256 is checked against its sidecar first; a mismatch raises a
    UserError naming the file."""
    file = Path(path) / OBSERVATIONS_FILE
    if not file.exists():
        raise PublishedError(f"published snapshot not found: {display_path(file)}")
    data, meta = read_verified(file)
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    if list(frame.columns) != COLUMNS:
        raise PublishedError(f"{display_path(file)}: columns {list(frame.columns)} differ from {COLUMNS}")
    frame["year"] = frame["year"].astype("int64")
    frame["decimals"] = _decimals(frame)
    frame["value"] = pd.to_numeric(frame["value"].replace("", None), errors="raise").astype("float64")
    return frame.assign(
        source_kind="published",
        source_file=display_path(file),
        source_sha256=meta["sha256"],
        retrieved=frame["released"],
    )
