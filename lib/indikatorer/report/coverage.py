"""What an edition has for each indicator, in the reader's words (the numbers are
:mod:`indikatorer.data.coverage`'s): the status word of the summary table, the note that marks a
section resting on older numbers, where a refresh from SSB's statbank would get numbers, and the
coverage table — the one place that lists the indicators without numbers in the edition's
span (the chapters have no section for them)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from indikatorer.core.params import EditionParams
from indikatorer.data.coverage import STALE_YEARS, Coverage, Status, coverage
from indikatorer.data.selection import IndicatorSeries, geography_label, same_area, select_series
from indikatorer.report import fmt, text
from indikatorer.report.publishing import emit, scroll_block
from indikatorer.report.sources import STATBANK_URL

STATUS_WORDS = {Status.CURRENT: "oppdatert", Status.OLDER: "eldre tall", Status.NONE: "ingen tall"}
# The section of the summary that holds the coverage table. The table has a caption but no
# tbl- label: it lists catalogue entries, not numbers, so it has no data file or provenance.
COVERAGE_LABEL = "sec-dekning"


def _tables(tables: Sequence[str]) -> str:
    links = [f"[{t}]({STATBANK_URL.format(table=t)})" for t in tables]
    return f"{'tabell' if len(links) == 1 else 'tabellene'} {text.and_join(links)}"


def refresh_source(indicator: Any) -> str:
    """Where a refresh from SSB's statbank would get the indicator's numbers, from the status of
    its statbank sources in the catalogue: the confirmed tables; else the tables read from their
    titles, said to be unconfirmed; else that no table is known (a survey: published in reports)."""
    confirmed = [s["table"] for s in indicator.statbank_sources if s.get("status") == "confirmed"]
    unconfirmed = [s["table"] for s in indicator.statbank_sources if s.get("status") == "unconfirmed"]
    if confirmed:
        return f"statistikkbanken, {_tables(confirmed)}"
    if unconfirmed:
        return f"trolig statistikkbanken, {_tables(unconfirmed)} (spørringen er ikke bekreftet)"
    if indicator.survey:
        return "ingen tabell i statistikkbanken; utvalgsundersøkelsen publiseres i rapporter"
    return "ingen tabell i statistikkbanken er funnet"


def older_note(seen: Coverage, indicator: Any, params: EditionParams) -> str:
    """The line under the heading of a section whose newest number is older than
    ``year − STALE_YEARS``; empty for a current one."""
    if seen.status != Status.OLDER:
        return ""
    return (f"**Eldre tall.** De nyeste tallene i datagrunnlaget er fra {seen.newest}, mens utgaven "
            f"går til {params.year}. Nyere tall: {refresh_source(indicator)}.")


def counts_sentence(coverages: Sequence[Coverage], params: EditionParams) -> str:
    """How many of ``coverages`` are current, older and without numbers, in one sentence:
    "Av kapitlets 7 indikatorer har 3 tall fra 2021 eller senere, 2 bare eldre tall og 2 ingen
    tall i 2010–2024."""
    counts = {status: sum(c.status == status for c in coverages) for status in Status}
    parts = [f"{counts[Status.CURRENT]} tall fra {params.year - STALE_YEARS} eller senere"]
    if counts[Status.OLDER]:
        parts.append(f"{counts[Status.OLDER]} bare eldre tall")
    if counts[Status.NONE]:
        parts.append(f"{counts[Status.NONE]} ingen tall i {fmt.year_range(*params.years)}")
    return f"Av kapitlets {len(coverages)} indikatorer har {text.and_join(parts)}."


def coverage_rows(catalogue: Any, obs: pd.DataFrame, observations: pd.DataFrame,
                  params: EditionParams) -> list[tuple[Any, Coverage]]:
    """Every catalogue indicator with its coverage: ``obs`` the edition's observations,
    ``observations`` the area's of every year up to the edition's."""
    return [(ind, coverage(select_series(obs, ind), params, observations)) for ind in catalogue.indicators]


def coverage_table(rows: Sequence[tuple[Any, Coverage]], catalogue: Any, params: EditionParams) -> str:
    """The Markdown table of the indicators without numbers in the span: the
    chapter, the newest year the snapshot holds, and where a refresh gets numbers. Empty when
    every indicator has numbers."""
    lacking = [(ind, c) for ind, c in rows if c.status == Status.NONE]
    if not lacking:
        return ""
    place = "" if not params.regional else f" for {geography_label(params.geography)}"
    lines = ["| Indikator | Kapittel | Nyeste tall i datagrunnlaget | Nyere tall kan hentes fra |",
             "|:---|:---|:---|:---|"]
    for ind, c in lacking:
        newest = str(c.newest_published) if c.newest_published else "ingen"
        cells = [ind.name, catalogue.themes[ind.theme], newest, refresh_source(ind)]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    caption = (f"Indikatorer uten tall{place} i {fmt.year_range(*params.years)}: kapitlene har ingen "
               "avsnitt om dem. Tabellen viser året for de nyeste tallene datagrunnlaget har for "
               "indikatoren, og hvor en oppdatering fra SSB kan hente tall.")
    return scroll_block("\n".join(lines) + f"\n\n: {caption}", caption)


def show_coverage(obs: pd.DataFrame, observations: pd.DataFrame, catalogue: Any,
                  params: EditionParams) -> None:
    """Print, once, which indicators the edition has no numbers for (the coverage table); in a
    county or municipality edition first the area and the indicators it has numbers for."""
    rows = coverage_rows(catalogue, obs, observations, params)
    table = coverage_table(rows, catalogue, params)
    if not params.regional and not table:
        return
    blocks = [f"## Hva utgaven dekker {{#{COVERAGE_LABEL}}}"]
    if params.regional:
        place = geography_label(params.geography)
        have = [ind.name for ind, c in rows if c.status != Status.NONE]
        lines = [f"Denne utgaven gjelder {place} (områdekode {text.and_join(list(same_area(params.geography)))}). "
                 f"Datagrunnlaget har tall for {place} i {fmt.year_range(*params.years)} for "
                 f"{len(have)} av {len(rows)} indikatorer:", ""]
        blocks.append("\n".join(lines + ([f"- {name}" for name in have] or ["- ingen"])))
    if table:
        blocks.append(table)
    emit(blocks)


def chapter_coverage(chapter: Sequence[IndicatorSeries], params: EditionParams) -> list[Coverage]:
    """The coverage of a chapter's series (selected from the edition's observations)."""
    return [coverage(series, params) for series in chapter]
