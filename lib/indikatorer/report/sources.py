"""Where a figure's or table's numbers come from, as the reader sees it: the source line under
every figure and table, and the source records of the provenance files.

A source is one page on ssb.no at one release, one statbank table, or a computation from
them (a derived gap): :func:`source_records` lists them, and :func:`source_line` counts and
names the same records, so caption, method box and provenance file agree.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from indikatorer.core import paths
from indikatorer.data.observations import SOURCE_COLUMNS
from indikatorer.report import fmt, text

PAGES_FILE = paths.PUBLISHED_DIR / "pages.csv"
SOURCE_KEYS = tuple(SOURCE_COLUMNS)
MAX_LISTED_PAGES = 3  # more published pages than this are summarised in the source line
STATBANK_URL = "https://www.ssb.no/statbank/table/{table}"


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
    to SSB. A published page counts once per release, as :func:`source_records` lists it; more
    than :data:`MAX_LISTED_PAGES` are summarised as a count and a date range of their releases
    (all are listed in the figure's JSON). Pages of other publishers (IMDi's and FHI's exports)
    are named by their publisher. A derived row (``source_kind`` derived,
    e.g. a gap computed from two rows) is told as ``SSB, egne beregninger fra <its inputs>``."""
    records = source_records(sources)
    parts = []
    api_tables = sorted({r["source_table"] for r in records if r["source_kind"] == "ssb_api"})
    if api_tables:
        links = [f"[{t}]({STATBANK_URL.format(table=t)})" for t in api_tables]
        word = "tabell" if len(links) == 1 else "tabellene"
        parts.append(f"SSB, {word} {text.and_join(links)} (statistikkbanken)")
    pages = {}  # one page at one release: counted as the provenance file lists it
    for r in records:
        if r["source_kind"] == "published":
            pages.setdefault((r["source_ref"], r["released"]), r)
        elif r["source_kind"] not in ("ssb_api", "derived"):
            raise ValueError(f"unknown source_kind {r['source_kind']!r} "
                             "(expected ssb_api, published or derived)")
    titles = _page_titles(PAGES_FILE)
    publishers = _page_publishers(PAGES_FILE)
    for url, released in [k for k in pages if k[0] in publishers]:  # IMDi's and FHI's exports
        r = pages.pop((url, released))
        parts.append(f"{publishers[url]}, [{_md_escape(titles.get(url) or r['source_table'])}]({url})"
                     f" ({released[:4]})")
    if len(pages) > MAX_LISTED_PAGES:
        dates = sorted(released[:10] for _, released in pages)
        parts.append(f"SSB, {len(pages)} tabeller publisert på ssb.no {dates[0]}–{dates[-1]}"
                     " (alle er listet i figurens proveniensfil)")
    else:
        for (url, released), r in sorted(pages.items(), key=lambda item: (item[0][1], item[0][0])):
            title = _md_escape(titles.get(url) or f"tabell {r['source_table']}")
            shown = f"[{title}]({url})" if url.startswith("http") else title
            parts.append(f"SSB, {shown} (ssb.no, publisert {released[:10]})")
    derived = _derived_part(records, titles)
    if derived:
        parts.append(derived)
    return "Kilde: " + "; ".join(parts)
