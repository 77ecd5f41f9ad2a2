"""SSB's small-number rule, applied where data enter: no share is shown when the count it is
based on is under ten persons."""

from __future__ import annotations

import numpy as np
import pandas as pd

# SSB's small-number rule: no share is shown when the count it is based on is under 10.
MIN_COUNT = 10
SMALL_NUMBER_NOTE = f"Færre enn {MIN_COUNT} personer (SSBs regel for små tall)"


def is_reportable(count):
    """True where a share based on ``count`` persons may be shown (count >= MIN_COUNT).
    Works on a scalar (returns bool) or a Series/array (returns the same shape). An unknown
    count (NaN/None) is not known to be reportable: False."""
    if isinstance(count, pd.Series):
        return pd.to_numeric(count, errors="coerce") >= MIN_COUNT
    arr = np.asarray(count, dtype=float)
    result = arr >= MIN_COUNT
    return bool(result) if result.ndim == 0 else result


def apply_small_number_rule(
    df: pd.DataFrame, value_col: str, count_col: str, status_col: str = "status",
    note_col: str | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` where rows whose count is under MIN_COUNT have ``value_col`` NaN and
    ``status_col`` "suppressed" (SSB's ``:``), and ``note_col`` (if given) SMALL_NUMBER_NOTE.
    Rows with an unknown count are left as they are (the source's own suppression applies). A
    missing status column is created ("ok", or "missing" where the value is already NaN)."""
    out = df.copy()
    counts = pd.to_numeric(out[count_col], errors="coerce")
    too_small = counts.notna() & ~is_reportable(counts)
    if status_col not in out.columns:
        out[status_col] = np.where(out[value_col].isna(), "missing", "ok")
    out[value_col] = out[value_col].astype(float).mask(too_small)
    out.loc[too_small, status_col] = "suppressed"
    if note_col is not None:  # the rule's note first, then any note the source carried
        if note_col not in out.columns:
            out[note_col] = ""
        carried = out.loc[too_small, note_col].fillna("").astype(str)
        out.loc[too_small, note_col] = [SMALL_NUMBER_NOTE + (f". {c}" if c else "") for c in carried]
    return out
