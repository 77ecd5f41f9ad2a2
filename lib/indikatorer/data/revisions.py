"""One vintage per value, and the others on record.

Where SSB printed the same figure more than once, the import kept one printing — the newest
release (``data/published/README.md``) — and wrote the others to ``revisions.csv``. This module
gives those of them that belong to an indicator (through the catalogue's own selection of its
published rows), and the figures the import marked as superseded: SSB corrected them later, but
the snapshot holds only the earlier version (``SUPERSEDED`` in ``note``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from indikatorer.data.observations import select_rows
from indikatorer.data.published import load_revisions, superseded

COLUMNS = ["indicator", "year", "period", "group", "sex", "age", "geography", "region", "botid",
           "other_dim", "other_value", "unit", "value", "released", "source_ref", "kept_value",
           "kept_released", "kept_source_ref", "reason"]
REVISED = "revised"  # the start of revisions.csv's reason where the value changed
# The printed figure's identity: revisions.csv names the printing kept by these columns.
_KEY = ["series", "year", "group", "sex", "age", "geography", "region", "botid", "other_dim",
        "other_value", "unit"]


def indicator_revisions(catalogue: Any, revisions: pd.DataFrame | None = None,
                        published: pd.DataFrame | None = None, *, changed_only: bool = True) -> pd.DataFrame:
    """The printings in ``revisions.csv`` not used for an indicator's values: each is matched to
    the printing kept for it (in ``observations.csv``), and belongs to the indicators whose
    published sources select that printing (``series``, ``where``, ``exclude``; ``year_offset``
    applied). ``changed_only``: only those whose value differs from the printing used (a
    revision, not a repeat). Columns: COLUMNS (``value``, ``released``, ``source_ref`` of the
    printing not used; ``kept_*`` of the one used)."""
    from indikatorer.data.published import load_published

    revisions = load_revisions() if revisions is None else revisions
    published = load_published() if published is None else published
    if changed_only:
        revisions = revisions[revisions["reason"].str.startswith(REVISED)]
    old = revisions.rename(columns={c: f"old_{c}" for c in ("period", "value", "status", "source_kind",
                                                             "released", "source_ref")})
    kept = published.assign(_value=published["value"].map(lambda v: "" if pd.isna(v) else f"{v:g}"))
    both = old.merge(kept, left_on=_KEY + ["kept_period", "kept_source_ref"],
                     right_on=_KEY + ["period", "source_ref"], how="inner")
    parts = []
    for indicator in catalogue.indicators:
        for source in indicator.published_sources:
            rows = both[both["series"] == source.get("series")]
            if rows.empty:
                continue
            rows = select_rows(rows, source.get("where"), source.get("exclude"))
            if source.get("year_offset"):
                rows = rows.assign(year=rows["year"] + int(source["year_offset"]))
            parts.append(rows.assign(indicator=indicator.id))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    found = pd.concat(parts, ignore_index=True).rename(columns={
        "old_period": "_p", "period": "kept_period_", "old_value": "_v", "old_released": "_r",
        "old_source_ref": "_s"})
    found = found.drop(columns=["value", "released", "source_ref"]).rename(columns={
        "_p": "period", "_v": "value", "_r": "released", "_s": "source_ref"})
    return (found[COLUMNS].drop_duplicates().sort_values(["indicator", "year", "group", "region"])
            .reset_index(drop=True))


def superseded_rows(observations: pd.DataFrame) -> pd.DataFrame:
    """The observations SSB has corrected since the version the snapshot holds, with what was
    corrected (``corrected``, Norwegian, with its source)."""
    what = superseded(observations["note"])
    return observations[what != ""].assign(corrected=what[what != ""])
