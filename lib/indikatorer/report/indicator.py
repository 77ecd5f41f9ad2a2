"""One indicator in a theme chapter: what a notebook cell shows after it has selected the series
and fitted the models.

    show_indicator(series, params, trend=trend, gap=gap, change=change, intro="…")

prints, in ONE write, the indicator's section: its heading, the cell's introduction, the key
findings, the chart by group with the trend and the models' coefficients beside it, the table,
one chart and table per requested breakdown that has numbers (one sentence names those
without), and the methodology box. An indicator without numbers in the edition's years shows no
section at all.

Labels follow one rule (:func:`figure_label`): ``<indicator id, _ → ->-<part>``, e.g.
``fig-sysselsatte-andel-grupper`` and ``tbl-sysselsatte-andel-grupper-tabell``; the section is
``sec-<indicator id, _ → ->``. Hand-written text may cite a figure with ``@fig-…`` when the
figure exists in every edition (the main chart by group of an indicator with numbers in every
edition's years).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from indikatorer.analysis.trends import Change, TrendResult
from indikatorer.core.params import EditionParams
from indikatorer.data.selection import (BREAKDOWN_COLUMN, TREND_STEP, IndicatorSeries, SeriesBreak,
                                        country_rows, distribution_dimension, primary_group,
                                        reference_group, series_breaks)
from indikatorer.data.coverage import Status, coverage
from indikatorer.report import figures, fmt, style, text
from indikatorer.report.coverage import older_note
from indikatorer.report.findings import Findings, facet_sentence, findings, group_label
from indikatorer.report.model_details import details_block, method_text, model_lines
from indikatorer.report.publishing import (PRINT_ONLY, WEB_ONLY, beside_figure, emit, publish_figure,
                                          publish_table)
from indikatorer.report.tables import facet_table, status_note, wide_table

# breakdown → Norwegian word, and the part of its figure label
BREAKDOWN_WORD = {"sex": "kjønn", "botid": "botid", "region": "landbakgrunn", "reason": "innvandringsgrunn"}
BREAKDOWN_PART = {"sex": "kjonn", "botid": "botid", "region": "landbakgrunn", "reason": "innvandringsgrunn"}
GROUPS_PART, DISTRIBUTION_PART = "grupper", "fordeling"
# breakdown → its categories in the definite plural («… av de 8 landbakgrunnene med tall»)
BREAKDOWN_NOUNS = {"sex": "kjønnene", "botid": "botidsgruppene", "region": "landbakgrunnene",
                   "reason": "innvandringsgrunnene"}


def _share_of(indicator) -> dict | None:
    """The catalogue's ``{total, verb}`` of a share of a total, else None."""
    return indicator.share_of if indicator.measure == "share_of_total" else None


def slug(indicator_id: str) -> str:
    return indicator_id.replace("_", "-")


def figure_label(indicator_id: str, part: str) -> str:
    """The label of an indicator's figure (``fig-`` + it) or table (``tbl-`` + it + ``-tabell``):
    ``figure_label("sysselsatte_andel", "grupper")`` → ``sysselsatte-andel-grupper``."""
    return f"{slug(indicator_id)}-{part}"


def section_id(indicator_id: str) -> str:
    """The heading id of an indicator's section in its theme chapter."""
    return f"sec-{slug(indicator_id)}"


def appendix_id(indicator_id: str) -> str:
    """The heading id of an indicator's entry in the appendix "Om indikatorene og dataene"."""
    return f"sec-om-{slug(indicator_id)}"


def _caption_breaks(breaks: Sequence[SeriesBreak]) -> str:
    if not breaks:
        return ""
    return (f" Stiplet loddrett linje: brudd i serien i {text.and_join([str(b.year) for b in breaks])}; "
            "tallene før og etter kan ikke sammenlignes direkte.")


def caption_ages(series: pd.DataFrame) -> str:
    shown = series.dropna(subset=["value"])
    bands = shown.groupby("age")["year"].agg(["min", "max"]).sort_values("min")
    if bands.empty or list(bands.index) == ["alle"]:
        return ""
    if len(bands) == 1:
        return f" Alder: {text.age_text(bands.index[0])}."
    parts = [f"{text.age_text(age)} ({fmt.year_range(r['min'], r['max'])})" for age, r in bands.iterrows()]
    return f" Alder: {text.and_join(parts)}."


def groups_text(data: pd.DataFrame) -> str:
    return text.and_join([text.lower_first(group_label(g))
                          for g in style.ordered_codes(data.dropna(subset=["value"])["group"], "groups")])


def drawn_rows(rows: pd.DataFrame, chart: figures.Chart) -> pd.DataFrame:
    """The rows a chart draws (a bar chart: its one year) — whose sources its caption names."""
    return rows if chart.year is None else rows[rows["year"] == chart.year]


def _csv(data: pd.DataFrame) -> pd.DataFrame:
    """A chart's rows as its CSV holds them: the values as published, without ``decimals``
    (which only says how many decimals to show)."""
    return data.drop(columns=["decimals"], errors="ignore")


def method_callout(series: IndicatorSeries, shown: pd.DataFrame, params: EditionParams,
                   trend: TrendResult | None = None, breakdowns: Sequence[str] = ()) -> str:
    """The methodology note under an indicator: definition, population, the ``breakdowns``
    shown, breaks, caveats, the trend model, and where the sources are (under the figures, and
    in the appendix entry it refers to). ``shown``: the rows shown in the section."""
    indicator = series.indicator
    # Not collapsible: Quarto's folded callouts carry data-bs-* toggles that axe-core flags.
    lines = [f'::: {{.callout-note title="Om tallene: {indicator.name}"}}',
             f"**Definisjon.** {indicator.definition}", "",
             f"**Populasjon.** {indicator.population}."]
    if indicator.reference_group:
        lines += ["", f"**Sammenlignes med.** {group_label(indicator.reference_group)}."]
    if breakdowns:
        words = text.and_join([BREAKDOWN_WORD[b] for b in breakdowns])
        lines += ["", f"**Fordelinger.** Tallene er vist etter {words}."]
    if indicator.derived:
        lines += ["", f"**Beregning.** Gruppens verdi minus referansegruppens verdi, i prosentpoeng, "
                      f"regnet ut fra de publiserte tallene for indikatoren «{indicator.derived['from']}»."]
    if indicator.breaks:
        lines += ["", "**Brudd i serien.** " + " ".join(f"{b.year}: {b.what}" for b in indicator.breaks)]
    if indicator.caveats:
        lines += ["", "**Forbehold.** " + " ".join(indicator.caveats)]
    if indicator.survey:
        lines += ["", "**Utvalgsundersøkelse.** Tallene har utvalgsusikkerhet."]
    if trend is not None and trend.fitted:
        lines += ["", f"**Trend.** {method_text(trend)}. Beregnet for årene "
                      f"{fmt.year_range(*trend.years_used)} (vindu på inntil {params.window} år)."
                      + (f" Periodene overlapper, så trenden bygger bare på hver "
                         f"{TREND_STEP[indicator.frequency]}. periode, regnet bakover fra den nyeste, "
                         "slik at ingen år telles to ganger." if indicator.frequency in TREND_STEP else "")]
    sources = series.sources(shown) if not shown.empty else shown
    if not indicator.derived and not shown.empty and (sources["source_kind"] == "derived").any():
        lines += ["", "**Avledede tall.** Tallene for hele landet er summert av oss over fylkene eller "
                      "kommunene; kilden publiserer dem ikke. Metoden står i vedlegget «Slik er tallene laget»."]
    # Each source is named once per section: under the figures (the tables beside them refer
    # to them); the appendix entry lists them all.
    lines += ["", f"Kildene står under figurene. Mer om indikatoren og kildene i "
                  f"@{appendix_id(indicator.id)}.", ":::"]
    return "\n".join(lines)


def show_indicator(series: IndicatorSeries, params: EditionParams, *, trend: TrendResult | None = None,
                   gap: TrendResult | None = None, change: Change | None = None, intro: str = "",
                   out_dir: str | Path = "figures") -> None:
    """Print one indicator's section (module doc) for an ``#| output: asis`` cell; nothing when
    the series has no numbers in the edition's years. ``trend``, ``gap`` and ``change`` are the
    models the cell fitted (:mod:`indikatorer.analysis.models`); the text tells them, the chart
    draws the trend, and their coefficients stand beside the chart."""
    emit(indicator_blocks(series, params, trend=trend, gap=gap, change=change, intro=intro,
                          out_dir=out_dir))


def indicator_blocks(series: IndicatorSeries, params: EditionParams, *, trend=None, gap=None,
                     change=None, intro: str = "", out_dir: str | Path = "figures") -> list[str]:
    """The Markdown blocks of :func:`show_indicator` (writing the figures' files)."""
    indicator = series.indicator
    if not series.has_numbers:
        return []
    for breakdown in params.breakdowns:  # a bad breakdown fails before any figure is written
        BREAKDOWN_COLUMN[breakdown]
    blocks = [f"## {indicator.name} {{#{section_id(indicator.id)}}}"]
    seen = coverage(series, params)
    older = older_note(seen, indicator, params)
    if older:
        blocks.append(older)
    blocks.append(" ".join(intro.split()))
    if indicator.status_note:
        blocks.append('::: {.callout-warning title="Avsluttet eller endret statistikk"}\n'
                      f"{indicator.status_note}\n:::")
    shown: list[pd.DataFrame] = []
    if series.distribution:
        primary = _distribution(series, out_dir, blocks, shown)
        found = Findings([], primary)
    else:
        found = findings(series, params, trend=trend, gap=gap, change=change)
        blocks.append("**Hovedfunn**\n\n" + "\n".join(f"- {s}" for s in found.sentences))
        _groups(series, found, model_lines(indicator.unit, trend, gap, change), out_dir, blocks, shown)
    # A breakdown without numbers is not shown and not mentioned (no «no figures» per
    # breakdown): the method box names those shown. One the data hold but the book does not
    # draw (single countries, no world regions) is said, once.
    by, held, parts = [], [], []
    for breakdown in params.breakdowns:
        by_rows = series.by(breakdown)
        if by_rows["value"].notna().any():
            _breakdown(series, by_rows, breakdown, found.primary, out_dir, parts, shown)
            by.append(breakdown)
        elif breakdown == "region" and not country_rows(series.rows).empty:
            held.append(_countries_not_drawn(series, country_rows(series.rows)))
    if parts and seen.status == Status.OLDER:
        # Older numbers: the printed book shows the main chart; the breakdowns are on the web.
        words = text.and_join([BREAKDOWN_WORD[b] for b in by])
        parts = [f"::: {PRINT_ONLY}\nTallene etter {words} står i nettutgaven.\n:::",
                 f"::: {WEB_ONLY}", *parts, ":::"]
    blocks += parts + held
    blocks.append(method_callout(series, pd.concat(shown), params, found.trend, by))
    return blocks


def _countries_not_drawn(series: IndicatorSeries, countries: pd.DataFrame) -> str:
    """The breakdown by country background the data hold but the book does not draw: figures for
    more single countries than a chart can show, and none by world region."""
    per_year = countries.groupby("year")["region"].nunique()
    counts = text.and_join([f"{n} land i {y}" for y, n in per_year.items()])
    return (f"Datagrunnlaget har tall for {series.indicator.subject} etter enkeltland ({counts}), men "
            "ikke etter verdensregion; så mange land vises ikke her.")


def _groups(series: IndicatorSeries, found: Findings, models: list[str], out_dir, blocks: list[str],
            shown: list[pd.DataFrame]) -> None:
    """The main chart (groups over the years, trend for the findings' group), the models beside
    it, and its table."""
    indicator, main, unit = series.indicator, series.main, series.indicator.unit
    trend_lines = None
    if found.trend is not None and found.trend.fitted:
        trend_lines = {found.primary: found.trend.fitted_values()}
    chart = figures.draw_chart(main, unit=unit, breaks=series.breaks, step=series.step, trend=trend_lines)
    drawn = chart.data.dropna(subset=["value"])
    when = f"i {chart.year}" if chart.kind == "bar" else \
        f"{fmt.year_range(drawn['year'].min(), drawn['year'].max())}"
    caption = (f"{indicator.name}. {text.UNIT_CAPTIONS[unit]}, {groups_text(chart.data)}, {when}."
               f"{caption_ages(main)}")
    if chart.kind == "line":
        caption += _caption_breaks(series.breaks)
        if trend_lines:
            kind = "trend beregnet som vekst i prosent per år" if found.trend.scale == "log" else "lineær trend"
            caption += (f" Prikket linje og skygge: {kind} for "
                        f"{text.lower_first(group_label(found.primary))} med 95 prosent konfidensintervall"
                        f" ({fmt.year_range(*found.trend.years_used)}).")
    label = figure_label(indicator.id, GROUPS_PART)
    blocks.append(publish_figure(
        chart.fig, label=label, caption=caption, alt=" ".join(found.headline) or caption,
        data=_csv(chart.data), sources=series.sources(drawn_rows(main, chart)), indicators=[indicator.id],
        notes=status_note(main), out_dir=out_dir))
    blocks.append(details_block(models))
    table, formats, headers = wide_table(main, reference_group(indicator), unit)
    blocks.append(publish_table(
        table, label=f"{label}-tabell",
        caption=f"{indicator.name}. {text.UNIT_CAPTIONS[unit]}, etter gruppe og år.{caption_ages(main)}",
        sources=series.sources(main), formats=formats, headers=headers, indicators=[indicator.id],
        notes=status_note(main, marked=True), out_dir=out_dir,
        **beside_figure(label)))
    shown.append(main)


def _distribution(series: IndicatorSeries, out_dir, blocks: list[str], shown: list[pd.DataFrame]) -> str | None:
    """An indicator whose numbers are a distribution over an extra dimension (utdanningsnivå …):
    one panel or bar per category, and the table of the newest year. Returns the primary group."""
    indicator, main, unit, dimension = series.indicator, series.main, series.indicator.unit, series.distribution
    chart = figures.draw_chart(main, unit=unit, breaks=series.breaks, step=series.step, facet="other_value")
    drawn = chart.data.dropna(subset=["value"])
    year = chart.year or int(drawn["year"].max())
    primary = primary_group(main, reference_group(indicator))
    sentence = facet_sentence(chart.data, "other_value", primary, year, indicator.subject, unit,
                              distribution=dimension if indicator.measure == "distribution" else None,
                              share_of=_share_of(indicator)) if primary else ""
    blocks.append(sentence)
    when = f"i {year}" if chart.kind == "bar" else fmt.year_range(drawn["year"].min(), year)
    by_dimension = "" if dimension.casefold() in indicator.name.casefold() else f" etter {dimension}"
    caption = (f"{indicator.name}{by_dimension}. {text.UNIT_CAPTIONS[unit]}, {groups_text(chart.data)},"
               f" {when}.{caption_ages(main)}{_caption_breaks(series.breaks if chart.kind == 'line' else ())}")
    in_year = main[main["year"] == year]
    blocks += _figure_and_table(
        series, chart, main, figure_label(indicator.id, DISTRIBUTION_PART), caption, sentence or caption,
        facet_table(figures.chart_data(in_year, "other_value"), "other_value", year, unit, dimension),
        f"{indicator.name}{by_dimension}, {year}. {text.UNIT_CAPTIONS[unit]}.", in_year, out_dir)
    shown.append(main)
    return primary


def _breakdown(series: IndicatorSeries, by_rows: pd.DataFrame, breakdown: str, primary: str | None,
               out_dir, blocks: list[str], shown: list[pd.DataFrame]) -> None:
    """One breakdown: small multiples (or grouped bars), a sentence on the highest and lowest
    category, and the table of the newest year. Where the indicator is a distribution (e.g.
    utdanningsnivå) the lines or bars are its categories, for one group."""
    indicator = series.indicator
    unit, facet, word = indicator.unit, BREAKDOWN_COLUMN[breakdown], BREAKDOWN_WORD[breakdown]
    with_numbers = by_rows.dropna(subset=["value"])
    year = int(with_numbers["year"].max())
    if primary not in set(with_numbers.loc[with_numbers["year"] == year, "group"]):
        primary = primary_group(with_numbers[with_numbers["year"] == year], reference_group(indicator))
    hue, name = "group", indicator.subject
    if distribution_dimension(by_rows, series.rows):
        by_rows = by_rows[by_rows["group"] == primary]
        hue = "other_value"
        means = by_rows.groupby("other_value")["value"].mean()
        name = f"{name} ({means.idxmax()})"
    breaks = series_breaks(indicator, by_rows)
    chart = figures.draw_chart(by_rows, unit=unit, breaks=breaks, step=series.step, facet=facet, hue=hue)
    drawn = chart.data.dropna(subset=["value"])
    year = chart.year or int(drawn["year"].max())
    sentence_rows = chart.data if hue == "group" else chart.data[chart.data["other_value"] == means.idxmax()]
    sentence = facet_sentence(sentence_rows, facet, primary, year, name, unit,
                              noun=BREAKDOWN_NOUNS.get(breakdown), share_of=_share_of(indicator)) if primary else ""
    blocks.append(sentence)
    when = f"i {year}" if chart.kind == "bar" else fmt.year_range(drawn["year"].min(), year)
    by_word = "" if word in indicator.name.casefold() else f" etter {word}"
    caption = (f"{indicator.name}{by_word}. {text.UNIT_CAPTIONS[unit]}, {groups_text(chart.data)}, "
               f"{when}.{caption_ages(chart.data)}{_caption_breaks(breaks if chart.kind == 'line' else ())}")
    if breakdown == "botid":
        caption += (" Forskjeller mellom botidsgrupper samme år blander virkningen av botid med "
                    "forskjeller mellom innvandringskull.")
    in_year = by_rows[by_rows["year"] == year]
    blocks += _figure_and_table(
        series, chart, by_rows, figure_label(indicator.id, BREAKDOWN_PART[breakdown]), caption,
        sentence or caption, facet_table(figures.chart_data(in_year, facet), facet, year, unit, word, hue),
        f"{indicator.name}{by_word}, {year}. {text.UNIT_CAPTIONS[unit]}.{caption_ages(in_year)}",
        in_year, out_dir)
    shown.append(by_rows)


def _figure_and_table(series: IndicatorSeries, chart, rows: pd.DataFrame, label: str, caption: str,
                      alt: str, table_parts: tuple, table_caption: str, in_year: pd.DataFrame,
                      out_dir) -> list[str]:
    """The chart drawn from ``rows`` as a figure, and beside it the table of its newest year
    (``in_year``; ``table_parts``: the table, its formats and headers), each with its sources."""
    indicator_ids = [series.indicator.id]
    table, formats, headers = table_parts
    return [publish_figure(chart.fig, label=label, caption=caption, alt=alt, data=_csv(chart.data),
                           sources=series.sources(drawn_rows(rows, chart)), indicators=indicator_ids,
                           notes=status_note(rows), out_dir=out_dir),
            publish_table(table, label=f"{label}-tabell", caption=table_caption,
                          sources=series.sources(in_year), formats=formats, headers=headers,
                          indicators=indicator_ids, notes=status_note(in_year), out_dir=out_dir,
                          **beside_figure(label))]
