"""The summary chapter: the population with immigrant background (figures and a few
sentences) and the table of every headline indicator, told from the models the chapter's cell
fitted (:func:`indikatorer.analysis.models.standard_models`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from indikatorer.analysis.models import Models
from indikatorer.analysis.trends import Direction, GapChange, TrendResult
from indikatorer.core.params import EditionParams
from indikatorer.data.selection import (IndicatorSeries, SeriesBreak, break_between, decimals_by_year,
                                        gap_frame, geography_label, reference_group, same_area,
                                        select_series, values_by_year)
from indikatorer.report import fmt, style, text
from indikatorer.report.findings import Findings, findings, group_label
from indikatorer.report.indicator import _breakdown, _groups
from indikatorer.report.model_details import DIRECTION_WORDS, GAP_WORDS
from indikatorer.report.publishing import emit, publish_table


def what_refresh_fills(indicator: Any) -> str:
    tables = [s["table"] for s in indicator.api_sources]
    if tables:
        word = "tabell" if len(tables) == 1 else "tabellene"
        return f"tallene fra statistikkbankens {word} {text.and_join(tables)}"
    return "tallene når en tabell i statistikkbanken er knyttet til indikatoren"


def _gap_change_text(gaps: pd.DataFrame, breaks: Sequence[SeriesBreak], unit: str,
                     decimals: dict[int, int] | None = None) -> tuple[float, str]:
    """The change in the size of the gap since the previous year with both values, as
    (change in |gap|, words); NaN and a reason when it cannot be told. ``decimals``: year →
    the decimals of that year's gap (as published); default the unit's."""
    if len(gaps) < 2:
        return math.nan, "ingen tidligere måling"
    (y0, g0), (y1, g1) = list(gaps["gap"].items())[-2:]
    if break_between(breaks, int(y0), int(y1)):
        return math.nan, "brudd i serien"
    default = fmt.DECIMALS[fmt.difference_unit(unit)]
    d0, d1 = ((decimals or {}).get(int(y), default) for y in (y0, y1))
    decimals = max(d0, d1)
    size_change = float(fmt.round_half_up(abs(g1), d1) - fmt.round_half_up(abs(g0), d0))
    if size_change == 0:
        return 0.0, f"uendret fra {y0}"
    word = "mindre" if size_change < 0 else "større"
    return size_change, f"{fmt.number(abs(size_change), decimals)} {word} enn i {y0}"


# Summary column → the column of headline_summary() holding the decimals it is shown with.
SUMMARY_DECIMALS = {"value": "decimals", "reference_value": "reference_decimals", "gap": "gap_decimals"}


def headline_summary(headline: Sequence[IndicatorSeries], models: Sequence[Models],
                     params: EditionParams) -> pd.DataFrame:
    """One row per headline indicator (``headline``, with the ``models`` fitted on each): the
    newest value for the models' group (innvandrere where published) and for the reference
    group in the same year, the gap, how the gap changed since the previous measurement, and
    the long-run development (the gap's trend verdict, or the level's trend direction where
    there is no reference group) with the years of the trend in ``trend_years``."""
    records = []
    for series, fitted in zip(headline, models, strict=True):
        indicator, main = series.indicator, series.main
        record = {"indicator": indicator.id, "name": indicator.name, "unit": indicator.unit,
                  "group": "", "year": math.nan, "value": math.nan, "reference_group": "",
                  "reference_value": math.nan, "gap": math.nan, "gap_change": math.nan,
                  "last_change": "", "development": "ingen tall i denne utgaven", "trend_years": "",
                  # decimals as published (a gap: the larger of its two values'), for showing only
                  **dict.fromkeys(SUMMARY_DECIMALS.values(), fmt.DECIMALS.get(indicator.unit, 1))}
        if series.has_numbers and not series.distribution:
            found = findings(series, params, trend=fitted.trend, gap=fitted.gap, change=fitted.change)
            reference = reference_group(indicator)
            gaps = gap_frame(main, found.primary, reference)
            year = int(gaps.index.max()) if not gaps.empty else found.latest_year
            own = decimals_by_year(main, found.primary)
            record.update(group=group_label(found.primary), year=year,
                          value=values_by_year(main, found.primary).get(year, math.nan),
                          decimals=own.get(year, record["decimals"]))
            if not gaps.empty:
                ref = decimals_by_year(main, reference)
                gap_decimals = {y: fmt.difference_decimals(own[y], ref[y]) for y in gaps.index}
                change, words = _gap_change_text(gaps, series.breaks, indicator.unit, gap_decimals)
                record.update(reference_group=group_label(reference), reference_decimals=ref[year],
                              gap_decimals=gap_decimals[year],
                              reference_value=gaps.loc[year, "reference"], gap=gaps.loc[year, "gap"],
                              gap_change=change, last_change=words,
                              **_development(found.gap_verdict, found.gap_trend))
            else:
                verdict = found.gap_verdict if indicator.derived else found.trend and found.trend.direction
                record.update(**_development(verdict, found.trend))
        elif series.has_numbers:
            record.update(development="fordeling; se kapitlet")
        records.append(record)
    return pd.DataFrame.from_records(records)


def _development(verdict: Direction | GapChange | None, result: TrendResult | None) -> dict[str, str]:
    """The trend verdict in a few words (for a table cell) and the years it covers."""
    if result is None or not result.fitted:
        return {"development": "for få målinger", "trend_years": ""}
    words = GAP_WORDS[verdict] if isinstance(verdict, GapChange) else DIRECTION_WORDS[verdict]
    return {"development": words, "trend_years": fmt.year_range(*result.years_used)}


def show_summary_table(headline: Sequence[IndicatorSeries], models: Sequence[Models],
                       params: EditionParams, *, out_dir: str | Path = "figures") -> None:
    """Print the summary table of every headline indicator (#tbl-sammendrag)."""
    frame = headline_summary(headline, models, params)
    shown = ["name", "group", "year", "value", "reference_group", "reference_value", "gap",
             "last_change", "development", "unit"]  # the CSV keeps every column of the frame
    number = {c: ("antall", frame[d].astype(int).tolist()) for c, d in SUMMARY_DECIMALS.items()}
    frame = frame.drop(columns=list(SUMMARY_DECIMALS.values()))  # the CSV: values as published
    # Group names in the cells without their explanation in parentheses; it goes in a note.
    label_notes = []
    for column in ("group", "reference_group"):
        for note in (style.split_label(g)[1] for g in frame[column]):
            if note and note not in label_notes:
                label_notes.append(note)
        number[column] = lambda v: style.split_label(v)[0]
    headers = {"name": "Indikator", "group": "Gruppe", "year": "År", "value": "Verdi",
               "reference_group": "Sammenlignet med", "reference_value": "Verdi",
               "gap": "Forskjell", "last_change": "Forskjellen siden forrige måling",
               "development": "Utvikling over tid", "unit": "Enhet"}
    groups = sorted(set(frame["group"]) - {""})
    if len(groups) == 1:  # one group throughout: it heads its values, no column repeats it
        shown.remove("group")
        headers["value"] = style.split_label(groups[0])[0]
    headline_ids = set(frame["indicator"])
    if all(s.main.empty for s in headline):  # a county or municipality without any headline indicator
        emit([f"Datagrunnlaget har ingen tall for hovedindikatorene i "
              f"{geography_label(params.geography)} i {fmt.year_range(*params.years)}."])
        return
    sources = pd.concat([s.sources(s.main) for s in headline if not s.main.empty], ignore_index=True)
    caption = (f"Hovedindikatorene i {params.year}-utgaven: siste år med tall for gruppen og "
               "sammenligningsgruppen, forskjellen mellom dem (prosentpoeng for andeler) og "
               f"utviklingen i forskjellen over inntil {params.window} år.")
    notes = ["«Utvikling over tid» er trenden i forskjellen (gapet minker/øker) der indikatoren har en "
             "sammenligningsgruppe, ellers trenden i nivået; retning oppgis bare når 95 prosent "
             "konfidensintervall ikke omfatter null. Årene trenden bygger på, står i kapitlene og i "
             "datafila.", *label_notes]
    emit([publish_table(
        frame, label="sammendrag", caption=caption, sources=sources, formats=number,
        headers=headers, indicators=sorted(headline_ids), notes=notes, out_dir=out_dir,
        columns=shown)])


def _newest(series: pd.DataFrame, group: str) -> tuple[int, float] | None:
    values = values_by_year(series, group).dropna()
    return (int(values.index.max()), float(values.iloc[-1])) if not values.empty else None



def show_population(obs: pd.DataFrame, catalogue: Any, params: EditionParams, *,
                    out_dir: str | Path = "figures") -> None:
    """Print the section «Befolkningen»: how many immigrants and Norwegian-born to
    immigrant parents live in Norway, by world region; persons with refugee background;
    immigrants and immigrations by reason — each with a figure and a table where the data have
    them. ``obs``: the edition's observations. In a county or municipality edition what the
    area has no numbers for is not noted here (:func:`show_geography_coverage` lists it once)."""
    def main(indicator_id: str) -> pd.DataFrame:
        return select_series(obs, catalogue.get(indicator_id)).main

    sentences, blocks, shown = [], [], []

    def no_data(markdown: str) -> None:
        if not params.regional:
            blocks.append(markdown)

    counts = main("befolkning_antall")
    immigrants, born_here = _newest(counts, "innvandrere"), _newest(counts, "norskfodte")
    if immigrants:
        words = f"Ved inngangen til {immigrants[0]} bodde det {fmt.integer(immigrants[1])} innvandrere i Norge"
        if born_here and born_here[0] == immigrants[0]:
            words += f" og {fmt.integer(born_here[1])} norskfødte med innvandrerforeldre"
        sentences.append(text.sentence(words))
    share = _newest(main("befolkning_andel"), "innvandrerbakgrunn")
    if share:
        sentences.append(f"Innvandrere og norskfødte med innvandrerforeldre utgjorde "
                         f"{fmt.percent(share[1])} av befolkningen i {share[0]}.")
    refugees = select_series(obs, catalogue.get("flyktningbakgrunn_antall"))
    refugee_newest = _newest(refugees.main, "flyktningbakgrunn")
    if refugee_newest:
        year, number = refugee_newest
        when = "Samtidig" if immigrants and immigrants[0] == year else f"Ved inngangen til {year}"
        words = f"{when} hadde {fmt.integer(number)} personer i Norge flyktningbakgrunn"
        refugee_share = values_by_year(main("flyktningbakgrunn_andel"), "flyktningbakgrunn").get(year)
        if refugee_share is not None and not fmt.is_missing(refugee_share):
            words += f", {fmt.percent(refugee_share)} av befolkningen"
        sentences.append(text.sentence(words))
    if sentences:
        blocks.append(" ".join(sentences))
    else:
        no_data(text.no_data_note("befolkningen etter innvandringskategori",
                                  what_refresh_fills(catalogue.get("befolkning_antall")), years=params.years))

    population = select_series(obs, catalogue.get("befolkning_antall"))
    by_region = population.by("region")
    by_region = by_region[by_region["group"].isin(["innvandrere", "norskfodte"])]
    if by_region["value"].notna().any():
        _breakdown(population, by_region, "region", "innvandrere", out_dir, blocks, shown)
    else:
        no_data("Datagrunnlaget har ingen tall for befolkningen etter landbakgrunn i "
                f"{fmt.year_range(*params.years)}.")

    if refugees.has_numbers:
        found = Findings(sentences[-1:], "flyktningbakgrunn", headline=tuple(sentences[-1:]))
        _groups(refugees, found, [], out_dir, blocks, shown)
    else:
        no_data(text.no_data_note(refugees.indicator.name, what_refresh_fills(refugees.indicator),
                                  years=params.years))

    stock = next((i for i in catalogue.indicators if i.id == "innvandrere_grunn_antall"), None)
    if stock is not None:  # a catalogue without immigrants by reason (a test's, or an older one)
        stock_series = select_series(obs, stock)
        by_stock_reason = stock_series.by("reason")
        if by_stock_reason["value"].notna().any():
            blocks.append(f"{stock.name} i {geography_label(params.geography).replace('Hele landet', 'Norge')} "
                          f"({stock.population.lower()}):")
            _breakdown(stock_series, by_stock_reason, "reason", "innvandrere", out_dir, blocks, shown)
        else:
            no_data(text.no_data_note(stock.name.lower(), what_refresh_fills(stock), years=params.years))

    reasons = select_series(obs, catalogue.get("innvandringer_grunn_antall"))
    by_reason = reasons.by("reason")
    if by_reason["value"].notna().any():
        _breakdown(reasons, by_reason, "reason", "innvandrere", out_dir, blocks, shown)
    else:
        no_data(text.no_data_note("innvandringer etter innvandringsgrunn",
                                  what_refresh_fills(reasons.indicator), years=params.years))
    emit(blocks)


def show_geography_coverage(obs: pd.DataFrame, catalogue: Any, params: EditionParams) -> None:
    """Once, which indicators have no numbers in the edition (the chapters show no section for
    them): for the whole country the list and what a refresh from SSB's statbank fills; in a
    county or municipality edition also which have numbers for the area. ``obs``: the edition's
    observations."""
    with_numbers = set(obs.loc[obs["value"].notna(), "indicator"])
    have = [i.name for i in catalogue.indicators if i.id in with_numbers]
    lack = [i for i in catalogue.indicators if i.id not in with_numbers]
    years = fmt.year_range(*params.years)
    if not params.regional:
        if lack:
            lines = [f"Datagrunnlaget har ingen tall i {years} for {len(lack)} av "
                     f"{len(catalogue.indicators)} indikatorer, og kapitlene har ingen avsnitt om "
                     "dem. En oppdatering fra SSBs statistikkbank vil fylle inn:", ""]
            emit(["\n".join(lines + [f"- {i.name}: {what_refresh_fills(i)}" for i in lack])])
        return
    place = geography_label(params.geography)
    codes = text.and_join(list(same_area(params.geography)))
    lines = [f"Denne utgaven gjelder {place} (områdekode {codes}). Datagrunnlaget har tall for "
             f"{place} i {years} for {len(have)} av "
             f"{len(catalogue.indicators)} indikatorer:", ""]
    lines += [f"- {name}" for name in have] or ["- ingen"]
    lines += ["", f"Disse {len(lack)} indikatorene har ingen tall for {place} i datagrunnlaget, og "
                  "kapitlene har ingen avsnitt om dem:", ""]
    lines += [f"- {i.name}" for i in lack]
    emit(["\n".join(lines)])
