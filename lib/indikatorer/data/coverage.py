"""How far an edition's data cover an indicator: whether its main series has a number in the
edition's span (``first_year`` … ``year``), how new the newest is, and which of the edition's
breakdowns have numbers.

An indicator's status (:class:`Status`):

- ``current``: its newest number is from ``year − STALE_YEARS`` or later;
- ``older``: it has numbers in the span, but the newest is older than that (the chapter marks
  the section and the summary table says so);
- ``none``: no number in the span — the chapter has no section for it, and the summary lists it
  once, with the newest year the snapshot holds before the span and what a refresh fills.

Numbers and enums only; the words are :mod:`indikatorer.report.coverage`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pandas as pd

from indikatorer.core.params import EditionParams
from indikatorer.data.selection import IndicatorSeries

# Newest number older than year − STALE_YEARS: «eldre tall».
STALE_YEARS = 3


class Status(str, Enum):
    CURRENT = "current"
    OLDER = "older"
    NONE = "none"


@dataclass(frozen=True)
class Coverage:
    """One indicator in one edition. ``newest``: the newest year of the main series in the span
    (None: no number there); ``newest_published``: the newest year with a number anywhere in the
    snapshot up to the edition's year, also before its span (None: none at all); ``breakdowns``
    and ``missing_breakdowns``: the edition's breakdowns with and without numbers."""

    indicator: str
    status: Status
    newest: int | None
    newest_published: int | None
    breakdowns: tuple[str, ...] = ()
    missing_breakdowns: tuple[str, ...] = ()


def status_of(newest: int | None, params: EditionParams) -> Status:
    """``current`` from ``year − STALE_YEARS`` on, ``older`` before, ``none`` without a number."""
    if newest is None:
        return Status.NONE
    return Status.CURRENT if newest >= params.year - STALE_YEARS else Status.OLDER


def newest_year(series: IndicatorSeries) -> int | None:
    """The newest year with a number in the main series (the year the findings tell)."""
    years = series.main.loc[series.main["value"].notna(), "year"]
    return int(years.max()) if not years.empty else None


def coverage(series: IndicatorSeries, params: EditionParams,
             observations: pd.DataFrame | None = None) -> Coverage:
    """The coverage of ``series`` (selected from the edition's observations). ``observations``:
    the area's observations of every year up to the edition's
    (:func:`indikatorer.data.selection.area_observations`), for the newest number before the
    span; without them, the span's."""
    indicator = series.indicator
    newest = newest_year(series)
    rows = series.rows if observations is None else \
        observations[observations["indicator"] == indicator.id]
    published = rows.loc[rows["value"].notna() & (rows["year"] <= params.year), "year"]
    have, missing = [], []
    for breakdown in params.breakdowns:
        shown = newest is not None and series.by(breakdown)["value"].notna().any()
        (have if shown else missing).append(breakdown)
    return Coverage(indicator.id, status_of(newest, params), newest,
                    int(published.max()) if not published.empty else None,
                    tuple(have), tuple(missing))
