"""The appendices: «Om indikatorene og dataene» (the catalogue in prose, with what this edition
has) and «Slik er tallene laget» (every figure and table of the edition with its sources, read
from the provenance files beside the executed notebooks)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from indikatorer.core.params import EditionParams
from indikatorer.core.vocab import UNKNOWN_TIME
from indikatorer.data.selection import select_series
from indikatorer.report import fmt, style, text
from indikatorer.report.findings import group_label
from indikatorer.report.indicator import appendix_id
from indikatorer.report.publishing import PRINT_ONLY, WEB_ONLY, emit, scroll_block
from indikatorer.report.sources import SOURCE_KEYS, STATBANK_URL, source_line


DIRECTION_WORDS = {"higher_better": "Høyere verdi er bedre", "lower_better": "Lavere verdi er bedre",
                   "neutral": "Ingen retning er bedre enn en annen"}
FREQUENCY_WORDS = {"yearly": "Årlig", "every_second_year": "Annethvert år",
                   "rolling_three_year": "Årlig, for overlappende treårsperioder",
                   "election_years": "Valgår", "survey": "Utvalgsundersøkelse, med ujevne mellomrom"}


def _api_source_text(source: dict) -> str:
    table = source.get("table")
    if source.get("status") == "none" or not table:
        return "Statistikkbanken: ingen tabell med indikatoren"
    text_ = f"Statistikkbanken, tabell [{table}]({STATBANK_URL.format(table=table)})"
    return text_ + ("" if source.get("status") == "confirmed" else " (spørringen ikke bekreftet)")


def _published_pages_text(rows: pd.DataFrame) -> list[str]:
    published = rows[rows["source_kind"] == "published"]
    pages = []
    for _, record in published[list(SOURCE_KEYS)].drop_duplicates("source_ref").iterrows():
        pages.append(source_line([record.to_dict()]).removeprefix("Kilde: "))
    return sorted(pages)


def indicator_entry(indicator: Any, rows: pd.DataFrame, sources: pd.DataFrame,
                    params: EditionParams) -> str:
    """One indicator in the appendix: definition, population, unit, direction, reference group,
    frequency, sources (statbank tables and the published pages used: ``sources``, the source
    columns of ``rows``), the years with numbers in this edition, breaks, caveats and status."""
    lines = [f"### {indicator.name} {{#{appendix_id(indicator.id)}}}", "",
             f"**Definisjon.** {indicator.definition}", "",
             f"- **Enhet:** {indicator.unit}; **populasjon:** {indicator.population}",
             f"- **Retning:** {DIRECTION_WORDS[indicator.direction]}",
             f"- **Sammenlignes med:** "
             f"{group_label(indicator.reference_group) if indicator.reference_group else 'ingen sammenligningsgruppe'}",
             f"- **Hyppighet:** {FREQUENCY_WORDS[indicator.frequency]}"
             + ("; utvalgsundersøkelse" if indicator.survey and indicator.frequency != "survey" else "")]
    if indicator.derived:
        lines.append(f"- **Beregnet fra:** «{indicator.derived['from']}», gruppens verdi minus "
                     "sammenligningsgruppens (prosentpoeng)")
    for source in indicator.statbank_sources:
        lines.append(f"- **Kilde (direkte fra SSB):** {_api_source_text(source)}")
    pages = _published_pages_text(sources) if not rows.empty else []
    if pages:
        lines.append("- **Publiserte tall brukt i denne utgaven:** " + "; ".join(pages))
    with_numbers = rows[rows["value"].notna()]
    if with_numbers.empty:
        lines.append(f"- **Tall i denne utgaven:** ingen for {fmt.year_range(*params.years)}")
    else:
        groups = text.and_join([text.lower_first(group_label(g))
                            for g in style.ordered_codes(with_numbers["group"], "groups")])
        lines.append(f"- **Tall i denne utgaven:** {text.years_text(with_numbers['year'])} ({groups})")
    for brk in indicator.breaks:
        lines.append(f"- **Brudd i serien {brk.year}:** {brk.what}")
    for caveat in indicator.caveats:
        lines.append(f"- **Forbehold:** {caveat}")
    if indicator.status_note:
        lines.append(f"- **Status:** {indicator.status_note}")
    return "\n".join(lines)


def show_indicator_reference(obs: pd.DataFrame, catalogue: Any, params: EditionParams) -> None:
    """Print every catalogue indicator, theme by theme, for the appendix «Om indikatorene og
    dataene»; each entry has the heading id :func:`indikatorer.report.indicator.appendix_id`.
    ``obs``: the edition's observations."""
    blocks = []
    for theme, title in catalogue.themes.items():
        indicators = catalogue.by_theme(theme)
        if not indicators:
            continue
        blocks.append(f"## {title}")
        for indicator in indicators:
            series = select_series(obs, indicator)
            blocks.append(indicator_entry(indicator, series.rows, series.sources(series.rows), params))
    emit(blocks)


# --------------------------------------------------------------------------- appendix: figures


def figure_records(chapter_dir: str | Path = ".") -> list[dict]:
    """The provenance records (JSON sidecars) of every figure and table of the edition: those
    beside the theme notebooks (``../notebooks/figures``) and beside the chapters
    (``figures``), relative to the executed chapter's folder."""
    chapter_dir = Path(chapter_dir).resolve()
    records = []
    for folder in (chapter_dir.parent / "notebooks" / "figures", chapter_dir / "figures"):
        for path in sorted(folder.glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("kind") in ("figure", "table"):
                record["_dir"] = os.path.relpath(folder, chapter_dir).replace(os.sep, "/")
                record["_web"] = os.path.relpath(folder, chapter_dir.parent).replace(os.sep, "/")
                records.append(record)
    return records


def _executed(notebook: str, base: Path) -> dict | None:
    path = base / notebook
    return json.loads(path.read_text(encoding="utf-8")) if notebook and path.exists() else None


def _chapter_title(nb: dict | None, notebook: str) -> str:
    """The H1 of an executed notebook (its first Markdown line starting with '# ')."""
    for cell in (nb or {}).get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].split("{")[0].strip()
    return notebook or "Ukjent kapittel"


def _appearance(nb: dict | None) -> dict[str, int]:
    """``fig-…``/``tbl-…`` label → its place in the executed notebook's output."""
    outputs = "".join("".join(o.get("text", "")) for cell in (nb or {}).get("cells", [])
                      for o in cell.get("outputs", []))
    found = re.findall(r"\{#((?:fig|tbl)-[a-z0-9-]+)", outputs)
    return {label: i for i, label in reversed(list(enumerate(found)))}


def _book_order(base: Path) -> list[str]:
    """The chapter files in the order of the book (``_quarto.yml`` beside the chapters)."""
    import yaml

    config = base / "_quarto.yml"
    if not config.exists():
        return []
    book = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("book", {})
    return [c for c in (book.get("chapters") or []) + (book.get("appendices") or []) if isinstance(c, str)]


def _reference(record: dict) -> str:
    return f"@{'fig' if record['kind'] == 'figure' else 'tbl'}-{record['label']}"


def show_figures_appendix(chapter_dir: str | Path = ".") -> None:
    """Print the appendix «Slik er tallene laget»: per chapter, every figure and table with its
    indicators, sources and data file; then every published page and statbank table the
    numbers come from, with the figures and tables that use it; then the data files with their
    sha256. ``chapter_dir`` is the executed chapter's folder (the build runs it there)."""
    chapter_dir = Path(chapter_dir).resolve()
    base = chapter_dir.parent
    records = figure_records(chapter_dir)
    if not records:
        emit(["Ingen figurer eller tabeller er laget i denne utgaven ennå."])
        return
    blocks = []
    by_notebook: dict[str, list[dict]] = {}
    for record in records:
        by_notebook.setdefault(record.get("notebook") or "", []).append(record)
    order = _book_order(base)
    for notebook in sorted(by_notebook, key=lambda n: (order.index(n) if n in order else len(order), n)):
        nb = _executed(notebook, base)
        place = _appearance(nb)
        blocks.append(f"## {_chapter_title(nb, notebook)}")
        lines = ["| Figur/tabell | Indikatorer | Kilde | Data |", "|:---|:---|:---|:---|"]
        for record in sorted(by_notebook[notebook],
                             key=lambda r: (place.get(_reference(r)[1:], len(place)), r["label"])):
            indicators = ", ".join(f"`{i}`" for i in record.get("indicators", []))
            source = source_line(record["sources"]).removeprefix("Kilde: ")
            # A link on the web; in the PDF where the file lives in the web edition (a relative
            # link would lead nowhere; the colophon gives the edition's address).
            data = (f"[[{record['csv']}]({record['_dir']}/{record['csv']})]{WEB_ONLY}"
                    f"[`{record['_web']}/{record['csv']}`]{PRINT_ONLY}")
            cells = [_reference(record), indicators, source, data]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        blocks.append(scroll_block("\n".join(lines), f"Figurer og tabeller i {_chapter_title(nb, notebook)}"))

    used_by: dict[tuple, tuple[dict, list[str]]] = {}
    files: dict[tuple[str, str], set[str]] = {}
    for record in records:
        for source in record["sources"]:
            key = (source["source_kind"], source["source_table"] if source["source_kind"] == "ssb_api"
                   else source["source_ref"])
            refs = used_by.setdefault(key, (source, []))[1]
            if _reference(record) not in refs:
                refs.append(_reference(record))
            for path, digest in zip(source["source_file"].split(" | "), source["source_sha256"].split(" | ")):
                seen = files.setdefault((path, digest), (set(), set()))
                seen[0].add(source["released"][:10])
                seen[1].add(source["retrieved"][:10])
    lines = ["## Kildene {#sec-kildene}", "",
             "Hver side på ssb.no og hver tabell i statistikkbanken som tallene er hentet fra, med "
             "figurene og tabellene som bruker den.", "", "| Kilde | Brukt i |", "|:---|:---|"]
    for _, (source, refs) in sorted(used_by.items(), key=lambda item: (item[1][0]["released"], item[0])):
        cells = [source_line([source]).removeprefix("Kilde: "), ", ".join(refs)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    blocks.append("\n".join(lines[:4]) + "\n" + scroll_block("\n".join(lines[4:]), "Kildene"))
    lines = ["## Datagrunnlaget", "",
             "Alle figurene og tabellene bygger på disse filene i datagrunnlaget. Sjekksummen "
             "(sha256) kontrolleres hver gang en fil leses (`indikatorer data verify`).", "",
             "| Fil | sha256 | Publisert | Hentet |", "|:---|:---|:---|:---|"]
    for (path, digest), (released, retrieved) in sorted(files.items()):
        lines.append(f"| `{path}` | `{digest}` | {_span(released)} | {_span(retrieved)} |")
    blocks.append("\n".join(lines[:4]) + "\n" + scroll_block("\n".join(lines[4:]), "Filene i datagrunnlaget"))
    emit(blocks)


def _span(dates: set[str]) -> str:
    """"2021-03-19", "2012-06-21 – 2024-07-01", or "ukjent" where no time was recorded."""
    known = sorted(d for d in dates if d and d != UNKNOWN_TIME)
    if not known:
        return "ukjent"
    return known[0] if len(known) == 1 else f"{known[0]} – {known[-1]}"
