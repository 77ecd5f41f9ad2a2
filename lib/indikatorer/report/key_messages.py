"""The key messages at the top of each theme chapter, and the summary's one conclusion per
theme, in plain Norwegian (the ranking is :mod:`indikatorer.analysis.key_messages`'; this module
fits nothing).

A key message is one indicator's development: its name (marked where its numbers are older),
the sentence of its section's findings that gives the newest level and the gap to the reference
group — the same sentence, word for word, as in the section below — and one sentence on the
development, from the same models as the section: a direction only where the trend's 95 %
confidence interval excludes zero, with the years the trend was fitted on. The messages describe;
they do not judge policy. The chapter's block names the goal of integration policy its
indicators speak to (the introduction's table, @sec-maal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from indikatorer.analysis.key_messages import (FEWEST, MOST, Development, clear_direction,
                                               clear_gap_change, rank)
from indikatorer.analysis.models import Models
from indikatorer.analysis.trends import Direction, GapChange, TrendResult
from indikatorer.core.params import EditionParams
from indikatorer.data.coverage import STALE_YEARS, Status, coverage
from indikatorer.data.selection import TREND_STEP, IndicatorSeries
from indikatorer.report import text
from indikatorer.report.coverage import COVERAGE_LABEL, counts_sentence
from indikatorer.report.findings import findings
from indikatorer.report.indicator import section_id
from indikatorer.report.publishing import emit

# Theme → the goal of integration policy its indicators speak to, as the introduction's table
# (chapters/01-innledning.qmd, #tbl-maal) names it; paraphrased from integreringsloven § 1 and
# Meld. St. 17 (2023–2024), cited there.
THEME_GOALS = {
    "arbeid": "målet om at innvandrere blir økonomisk selvstendige og får en stabil tilknytning "
              "til arbeidslivet",
    "utdanning": "målet om at innvandrere får gode norskkunnskaper og formelle kvalifikasjoner",
    "levekar": "levekårene og barrierene for deltakelse som stortingsmeldingen om "
               "integreringspolitikken omtaler",
    "deltakelse": "deltakelsen i og tilknytningen til lokalsamfunnet og storsamfunnet som "
                  "stortingsmeldingen om integreringspolitikken omtaler",
}
LEVEL_VERBS = {Direction.RISING: "økte", Direction.FALLING: "gikk ned"}
GAP_VERBS = {GapChange.NARROWING: "ble mindre", GapChange.WIDENING: "ble større"}


SUMMARY_ID = "sec-hovedbudskap"   # the summary's section of conclusions per theme


def key_messages_id(theme: str) -> str:
    return f"sec-hovedbudskap-{theme}"


@dataclass(frozen=True)
class KeyMessage:
    """One key message: the indicator, its ``name`` (as the bold lead), whether its numbers are
    older, the findings' sentence with the newest level and gap (``numbers``, word for word as
    in the section) and the sentence on the development (``development``)."""

    indicator: str
    name: str
    older: bool
    numbers: str
    development: str
    about: Development

    def markdown(self) -> str:
        """The message as a list item of its chapter: the name links to the section below."""
        mark = " (eldre tall)" if self.older else ""
        return f"**[{self.name}](#{section_id(self.indicator)})**{mark}. {self.numbers} {self.development}"


def _period(trend: TrendResult) -> str:
    first, last = trend.years_used
    return f"fra {first} til {last}"


def _level(trend: TrendResult, noun: str) -> str:
    """The level's development after its period (inverted word order): "økte andelen"."""
    if clear_direction(trend):
        return f"{LEVEL_VERBS[trend.direction]} {noun}"
    return f"var det ingen klar utvikling i {noun}"


def _gap(trend: TrendResult, inverted: bool) -> str:
    """The gap's development: "forskjellen ble mindre", after its period "ble forskjellen mindre"."""
    if clear_gap_change(trend):
        verb, rest = GAP_VERBS[trend.size_change].split(" ", 1)
    else:
        verb, rest = "endret", "seg ikke klart"
    return f"{verb} forskjellen {rest}" if inverted else f"forskjellen {verb} {rest}"


def development_sentence(dev: Development, series: IndicatorSeries) -> str:
    """The development of ``dev`` in one sentence, the period first: the level's direction (or
    none) and the gap's, each only from a fitted trend, a direction only where its CI excludes
    zero, with the years the trend was fitted on ("Fra 2014 til 2023 økte andelen, men
    forskjellen endret seg ikke klart."); too few years: says so and which years have numbers."""
    noun = series.indicator.subject.split()[0]   # andelen, antallet, valgdeltakelsen …
    level = dev.trend if not dev.derived and dev.trend is not None and dev.trend.fitted else None
    gap = dev.gap_trend if dev.gap_trend is not None and dev.gap_trend.fitted else None
    if level is None and gap is None:
        return _too_few(series, dev)
    if gap is None:
        return text.sentence(f"{_period(level)} {_level(level, noun)}")
    if level is None:
        return text.sentence(f"{_period(gap)} {_gap(gap, inverted=True)}")
    level_clear, gap_clear = clear_direction(level), clear_gap_change(gap)
    if level.years_used == gap.years_used:
        if not level_clear and not gap_clear:
            return text.sentence(f"{_period(level)} endret verken {noun} eller forskjellen seg klart")
        joint = "og" if level_clear == gap_clear else "men"
        return text.sentence(f"{_period(level)} {_level(level, noun)}, {joint} {_gap(gap, inverted=False)}")
    joint = "og" if level_clear == gap_clear else "men"
    return text.sentence(f"{_period(level)} {_level(level, noun)}, {joint} {_period(gap)} "
                         f"{_gap(gap, inverted=True)}")


def _too_few(series: IndicatorSeries, dev: Development) -> str:
    """Why no development is told: too few years with numbers (which), or for overlapping
    periods too few that do not overlap."""
    trend = dev.trend
    if series.indicator.frequency in TREND_STEP and trend is not None:
        return text.sentence(f"Det er for få perioder uten overlapp til å beregne en utvikling "
                             f"({trend.n}; minst {trend.needed} trengs)")
    years = series.values(dev.group).dropna().index
    return text.sentence(f"Det er for få år med tall til å beregne en utvikling (tall for "
                         f"{text.years_text(years)})")


def key_message(dev: Development, series: IndicatorSeries, params: EditionParams) -> KeyMessage:
    """The key message of one ranked development (:class:`KeyMessage`)."""
    m = dev.models
    found = findings(series, params, trend=m.trend, gap=m.gap, change=m.change)
    return KeyMessage(dev.indicator, series.indicator.name, dev.status == Status.OLDER,
                      found.headline[-1], development_sentence(dev, series), dev)


def key_messages(chapter: Sequence[IndicatorSeries], models: Sequence[Models],
                 params: EditionParams) -> list[KeyMessage]:
    """The chapter's key messages: the first :data:`MOST` ranked developments."""
    ranked, _ = rank(chapter, models, params)
    by_id = {s.indicator.id: s for s in chapter}
    return [key_message(dev, by_id[dev.indicator], params) for dev in ranked[:MOST]]


def show_key_messages(chapter: Sequence[IndicatorSeries], models: Sequence[Models],
                      params: EditionParams, *, theme: str) -> None:
    """Print the chapter's key messages (module doc) under the heading «Hovedbudskap»: the goal
    the chapter speaks to, how the messages are ordered, the messages, and how many of the
    chapter's indicators have current, older or no numbers."""
    messages = key_messages(chapter, models, params)
    seen = [coverage(s, params) for s in chapter]
    intro = (f"Indikatorene i kapitlet belyser {THEME_GOALS[theme]} (@sec-maal). Funnene er "
             f"ordnet etter hva tallene kan bære (@{SUMMARY_ID}); en retning er oppgitt bare der "
             "95 prosent konfidensintervall for trenden ikke omfatter null.")
    blocks = [f"## Hovedbudskap {{#{key_messages_id(theme)}}}", intro]
    if messages:
        blocks.append("\n".join(f"- {m.markdown()}" for m in messages))
    if len(messages) < FEWEST:
        blocks.append("Datagrunnlaget gir ikke grunnlag for flere hovedbudskap i denne utgaven.")
    tail = counts_sentence(seen, params)
    if any(c.status == Status.NONE for c in seen):
        tail += f" Indikatorene uten tall er listet i @{COVERAGE_LABEL}."
    blocks.append(tail)
    emit(blocks)


def order_text(params: EditionParams) -> str:
    """How the key messages are ordered and what they are — said once, in the summary."""
    return (f"Funnene er ordnet etter hva tallene kan bære: tall fra {params.year - STALE_YEARS} "
            "eller senere før eldre tall, indikatorer der høyere eller lavere verdier er bedre før "
            "dem som viser et omfang, en utvikling med klar retning før en uten, og store "
            "forskjeller før små. En retning («økte», «ble mindre») er oppgitt bare der 95 prosent "
            "konfidensintervall for trenden ikke omfatter null. Funnene beskriver utviklingen; de "
            "sier ikke hva den skyldes, og de vurderer ikke politikken.")


def theme_conclusion(chapter: Sequence[IndicatorSeries], models: Sequence[Models],
                     params: EditionParams, *, title: str, theme: str) -> str:
    """The summary's conclusion for one theme: its first key message (the same words as the
    chapter's) and how many of its indicators have current, older or no numbers."""
    messages = key_messages(chapter, models, params)
    seen = [coverage(s, params) for s in chapter]
    lead = messages[0] if messages else None
    body = (f"{lead.numbers} {lead.development}" if lead else
            "Datagrunnlaget gir ikke grunnlag for et hovedbudskap i denne utgaven.")
    mark = " (eldre tall)" if lead and lead.older else ""
    return (f"**{title}**{mark}. {body} {counts_sentence(seen, params)} "
            f"Se @{key_messages_id(theme)}.")


def show_theme_conclusions(themes: Mapping[str, tuple[Sequence[IndicatorSeries], Sequence[Models]]],
                           catalogue: Any, params: EditionParams) -> None:
    """Print how the key messages are ordered (:func:`order_text`), then one conclusion per
    theme (:func:`theme_conclusion`), in the catalogue's order."""
    emit([order_text(params)]
         + [theme_conclusion(chapter, models, params, title=catalogue.themes[theme], theme=theme)
            for theme, (chapter, models) in themes.items()])
