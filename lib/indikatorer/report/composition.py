"""Composition or change within the groups? What the chapter «Arbeid og sysselsetting» shows
of the decomposition of the change in immigrants' employment rate over world regions
(:mod:`indikatorer.analysis.composition` computes it; the notebook cell fits it):

    decomposition = compute_composition(observations, breaks, params.first_year, params.year)
    show_composition(decomposition, params)

The findings, the figure :data:`FIGURE_LABEL` and its table; or a visible note saying why there
is no decomposition, and what a refresh would fill in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indikatorer.analysis.composition import (INDICATOR, WEIGHT_INDICATOR, Choice, Composition,
                                              NoDecomposition)
from indikatorer.core.params import EditionParams
from indikatorer.report import fmt, style, text
from indikatorer.report.publishing import emit, publish_figure, publish_table
from indikatorer.report.sources import SOURCE_KEYS
from indikatorer.report.style import FIGSIZE, NEUTRALS, label, ordered_codes

FIGURE_LABEL = "sysselsatte-andel-sammensetning"
# Colours of the two parts (neither is a group colour, so they are never read as one).
WITHIN_COLOUR = style.PALETTE["green"]
COMPOSITION_COLOUR = style.PALETTE["rose"]
WITHIN_WORD = "endringer innen regionene"
COMPOSITION_WORD = "endret sammensetning"


def left_out(breakdown: str, what: str) -> str:
    return (f"Denne utgaven er laget uten inndeling etter {breakdown} (parameteren `breakdowns`), "
            f"så {what} vises ikke.")


NUMBER_WORDS = {2: "to", 3: "tre", 4: "fire", 5: "fem", 6: "seks", 7: "sju", 8: "åtte", 9: "ni",
                10: "ti", 11: "elleve", 12: "tolv"}


# --------------------------------------------------------------------------- text


def decomposition_sentence(total: float, within: float, composition: float, *,
                           within_word: str = WITHIN_WORD,
                           composition_word: str = COMPOSITION_WORD) -> str:
    """"Av endringen på 0,3 prosentpoeng skyldes 0,6 prosentpoeng endringer innen regionene og
    −0,2 prosentpoeng endret sammensetning." Each number is rounded to one decimal on its own;
    when the rounded parts do not add up to the rounded total, a second sentence says so."""
    def pp(x: float) -> str:
        return fmt.pp(x, 1)

    words = (f"Av endringen på {pp(total)} skyldes {pp(within)} {within_word} og "
             f"{pp(composition)} {composition_word}.")
    rounded = [fmt.round_half_up(x, 1) for x in (total, within, composition)]
    if rounded[1] + rounded[2] != rounded[0]:
        words += (" Tallene er avrundet hver for seg og summerer seg derfor ikke nøyaktig; "
                 "uavrundet er summen av delene lik endringen.")
    return words


def _region_label(code: str) -> str:
    return label(code, "regions")


def findings(result: Composition) -> list[str]:
    """The paragraph under the heading: the published levels, the decomposition sentence, the
    direction of each part and the regions that mattered most."""
    c, d = result.choice, result.decomposition
    ages = text.age_text(c.age)
    sentences = []
    if result.published_a is not None and result.published_b is not None:
        sentences.append(
            f"Andelen sysselsatte blant innvandrere {ages} var {fmt.percent(result.published_a)} i "
            f"{c.year_a} og {fmt.percent(result.published_b)} i {c.year_b}.")
    count = NUMBER_WORDS.get(len(c.regions), str(len(c.regions)))
    change = _direction(result.total, f"økte andelen med {fmt.pp(abs(result.total))}",
                        f"gikk andelen ned med {fmt.pp(abs(result.total))}", "var andelen uendret")
    sentences.append(text.sentence(
        f"Regnet ut fra tallene for de {count} verdensregionene, med antall innvandrere i hver "
        f"region som vekt, {change}"))
    if result.published_a is not None and result.published_b is not None:
        published = fmt.round_half_up(result.published_b, 1) - fmt.round_half_up(result.published_a, 1)
        if published != fmt.round_half_up(result.total, 1):
            sentences.append(
                f"De publiserte tallene for alle innvandrere gir {fmt.pp(float(published))}; "
                "forskjellen skyldes at andelene er avrundet til én desimal.")
    sentences.append(decomposition_sentence(result.total, result.within, result.composition))

    parts = result.by_region
    within_word = _direction(result.within, "økte sysselsettingen innen regionene samlet sett",
                             "gikk sysselsettingen ned innen regionene samlet sett",
                             "var sysselsettingen innen regionene samlet sett uendret")
    biggest = parts.loc[parts["within"].abs().idxmax()]
    words = f"Fra {c.year_a} til {c.year_b} {within_word}"
    if fmt.round_half_up(result.within, 1) != 0:
        words += (f"; mest betydde {_region_label(biggest['region'])}, der andelen sysselsatte "
                 f"{_moved(biggest['rate_a'], biggest['rate_b'])} fra "
                 f"{fmt.number(biggest['rate_a'])} til {fmt.percent(biggest['rate_b'])}")
    sentences.append(text.sentence(words))

    if fmt.round_half_up(result.composition, 1) == 0:
        sentences.append("Endringer i hvor innvandrerne kom fra, betydde lite for den samlede andelen.")
    else:
        lower = result.composition < 0
        sentences.append(text.sentence(
            f"Den endrede sammensetningen – relativt flere innvandrere fra regioner med "
            f"{'lavere' if lower else 'høyere'} sysselsetting enn gjennomsnittet – trakk den samlede "
            f"andelen {'ned' if lower else 'opp'}"))
        biggest = parts.loc[parts["composition"].abs().idxmax()]
        mean_overall = (d.overall_a + d.overall_b) / 2
        level = "høy" if (biggest["rate_a"] + biggest["rate_b"]) / 2 > mean_overall else "lav"
        sentences.append(text.sentence(
            f"Mest betydde at {_region_label(biggest['region'])}, med {level} sysselsetting, "
            f"{_moved(biggest['share_a'], biggest['share_b'], 'økte', 'gikk ned')} fra "
            f"{fmt.number(biggest['share_a'])} til {fmt.percent(biggest['share_b'])} av "
            "innvandrerne"))
    return sentences


def _direction(x: float, up: str, down: str, same: str) -> str:
    rounded = fmt.round_half_up(x, 1)
    return up if rounded > 0 else down if rounded < 0 else same


def _moved(a: float, b: float, up: str = "økte", down: str = "gikk ned") -> str:
    return up if b > a else down if b < a else "var uendret"


def _caption(result: Composition) -> str:
    c = result.choice
    return (f"Endringen i andelen sysselsatte blant innvandrere {text.age_text(c.age)} fra "
            f"{c.year_a} til {c.year_b}, delt i endringer innen hver verdensregion og endret "
            "sammensetning. Prosentpoeng. «Innen regionen»: endringen i regionens andel sysselsatte "
            "ganget med regionens gjennomsnittlige andel av innvandrerne. «Sammensetning»: "
            "endringen i regionens andel av innvandrerne ganget med hvor mye regionens andel "
            "sysselsatte avviker fra gjennomsnittet; delene summerer seg til linjen «Alle "
            f"regioner». Begge årene er i samme sammenlignbare periode ({c.year_a}–{c.year_b}, "
            f"{text.age_text(c.age)}). Dekomponeringen beskriver endringen; den sier ikke "
            "hvorfor sysselsettingen endret seg.")


# --------------------------------------------------------------------------- figures


def figure_data(result: Composition) -> pd.DataFrame:
    """The numbers the decomposition figure draws, one row per region (and ``alle``, the sums)
    and part, with the inputs beside them and where they come from: the CSV of the figure."""
    c, parts = result.choice, result.by_region
    total = pd.DataFrame({
        "region": ["alle"], "share_a": [100.0], "share_b": [100.0],
        "rate_a": [result.decomposition.overall_a], "rate_b": [result.decomposition.overall_b],
        "employed_a": [parts["employed_a"].sum()], "employed_b": [parts["employed_b"].sum()],
        "within": [result.within], "composition": [result.composition], "total": [result.total]})
    wide = pd.concat([total, parts], ignore_index=True)
    rows = []
    for part in ("within", "composition"):
        rows.append(wide.assign(part=part, value=wide[part]))
    long = pd.concat(rows, ignore_index=True)
    long = long.assign(year_a=c.year_a, year_b=c.year_b, age=c.age)
    # Per row where its numbers come from: the region's rates and employed persons in both
    # years (all regions' for the sums in the row "alle"), joined by " | ".
    used = result.rows[result.rows["region"] != "alle"]
    refs = {region: " | ".join(sorted(set(rows["source_ref"]))) for region, rows in used.groupby("region")}
    released = {region: max(rows["released"]) for region, rows in used.groupby("region")}
    refs["alle"], released["alle"] = " | ".join(sorted(set(used["source_ref"]))), max(used["released"])
    long = long.assign(source_ref=long["region"].map(refs), released=long["region"].map(released))
    return long[["region", "part", "year_a", "year_b", "age", "value", "share_a", "share_b",
                 "rate_a", "rate_b", "employed_a", "employed_b", "source_ref", "released"]]


PART_LABELS = {"within": "Endring innen regionen", "composition": "Endret sammensetning"}


def draw_composition(data: pd.DataFrame):
    """Horizontal bars: per region (all regions first) the within and composition parts."""
    import matplotlib.pyplot as plt

    regions = ["alle"] + [r for r in ordered_codes(data["region"], "regions") if r != "alle"]
    names = ["Alle regioner"] + [_region_label(r) for r in regions[1:]]
    height = 0.38
    fig, ax = plt.subplots(layout="constrained",
                           figsize=(FIGSIZE[0], 1.4 + 0.55 * len(regions)))
    for j, (part, colour) in enumerate((("within", WITHIN_COLOUR), ("composition", COMPOSITION_COLOUR))):
        values = data[data["part"] == part].set_index("region")["value"].reindex(regions)
        offsets = np.arange(len(regions)) + (j - 0.5) * height
        ax.barh(offsets, values.to_numpy(), height=height, color=colour, label=PART_LABELS[part])
        for off, val in zip(offsets, values):
            ax.annotate(fmt.number(val, 2, sign=True), xy=(val, off),
                        xytext=(3 if val >= 0 else -3, 0), textcoords="offset points",
                        ha="left" if val >= 0 else "right", va="center", fontsize=8)
    ax.axvline(0, color=NEUTRALS["black"], linewidth=0.8)
    ax.axhline(0.5, color=NEUTRALS["grey"], linewidth=0.6)
    ax.set_yticks(np.arange(len(regions)), names)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    low, high = ax.get_xlim()
    pad = 0.25 * (high - low)
    ax.set_xlim(low - pad, high + pad)  # room for the labels at the bar ends
    ax.xaxis.set_major_formatter(fmt.axis_formatter())
    ax.set_xlabel("Bidrag til endringen, prosentpoeng")
    fig.legend(loc="outside upper center", ncol=2, frameon=False)
    return fig


def composition_table(result: Composition) -> tuple[pd.DataFrame, dict, dict]:
    """The table beside the figure: per region (and all regions) the shares, the rates and the
    two parts; with its formats and Norwegian headers."""
    c, parts = result.choice, result.by_region
    total = pd.DataFrame({
        "region": ["alle"], "share_a": [100.0], "share_b": [100.0],
        "rate_a": [result.decomposition.overall_a], "rate_b": [result.decomposition.overall_b],
        "within": [result.within], "composition": [result.composition]})
    table = pd.concat([parts[total.columns], total], ignore_index=True)
    table["region"] = [("Alle regioner" if r == "alle" else _region_label(r)) for r in table["region"]]
    two = lambda v: fmt.number(v, 2, sign=True, placeholder="..")  # noqa: E731
    formats = {"share_a": "prosent", "share_b": "prosent", "rate_a": "prosent", "rate_b": "prosent",
               "within": two, "composition": two}
    headers = {"region": "Landbakgrunn",
               "share_a": f"Andel av alle {c.year_a}", "share_b": f"Andel av alle {c.year_b}",
               "rate_a": f"Sysselsatte {c.year_a}", "rate_b": f"Sysselsatte {c.year_b}",
               "within": "Innen regionen", "composition": "Sammensetning"}
    return table, formats, headers


def _reason_text(choice: Choice) -> str:
    """Why there is no decomposition, in Norwegian (:class:`NoDecomposition`)."""
    if choice.reason is NoDecomposition.NO_REGIONAL_RATES:
        return ("Datagrunnlaget har ikke andelen sysselsatte blant innvandrere etter verdensregion for "
                f"{fmt.year_range(*choice.span)}.")
    if choice.reason is NoDecomposition.NO_WEIGHTS:
        return ("Datagrunnlaget har andelen sysselsatte blant innvandrere etter verdensregion for "
                f"{text.years_text(choice.years)}, men ikke antall sysselsatte for alle regionene de "
                "samme årene, så antallet innvandrere i hver region – vektene – er ukjent.")
    return ("Datagrunnlaget har både andel og antall sysselsatte innvandrere etter verdensregion bare "
            f"for {text.years_text(choice.years)}, og ikke for to år innenfor samme sammenlignbare "
            "periode (uten brudd i serien eller endret aldersgruppe) i utgavens år.")


def _no_composition(choice: Choice) -> str:
    return ('::: {.callout-note title="Dekomponeringen kan ikke beregnes"}\n'
            f"{_reason_text(choice)} Uten tall for begge årene kan ikke endringen i andelen sysselsatte "
            "deles i endringer innen regionene og endret sammensetning, og vi regner ikke ut vekter "
            "vi ikke har tall for. " + _refresh_text() + "\n:::")


def _refresh_text() -> str:
    return ("Nyere år kommer med når tallene hentes direkte fra SSBs statistikkbank, fra en tabell "
            "over sysselsatte innvandrere etter verdensregion med både antall og andel "
            "(vedlegget Slik er tallene laget forklarer hvordan tallene hentes).")


def show_composition(result: Composition | Choice, params: EditionParams, *,
                     out_dir: str | Path = "figures") -> None:
    """Print the decomposition (an ``#| output: asis`` cell): the findings, the figure
    :data:`FIGURE_LABEL` and its table; or the visible note saying why there is none. Left out
    (one sentence says so) when ``params.breakdowns`` does not include "region"."""
    if "region" not in params.breakdowns:
        emit([left_out("landbakgrunn", "dekomponeringen")])
        return
    if isinstance(result, Choice):
        emit([_no_composition(result)])
        return
    c = result.choice
    blocks = [" ".join(findings(result))]
    if c.newest_rate_year and c.newest_rate_year > c.year_b:
        blocks.append(
            f"Datagrunnlaget har tall etter verdensregion bare til {c.year_b}, mens den samlede "
            f"andelen går til {c.newest_rate_year}; nyere år kan derfor ikke "
            f"dekomponeres. {_refresh_text()}")
    data = figure_data(result)
    fig = draw_composition(data)
    alt = " ".join(findings(result)[1:])
    sources = result.rows[list(SOURCE_KEYS)]
    indicators = [INDICATOR, WEIGHT_INDICATOR]
    notes = [("Antall innvandrere i hver region er beregnet som antall sysselsatte delt på andelen "
              "sysselsatte. Andelene er publisert med én desimal, så de beregnede tallene er "
              "omtrentlige; tallene bak figuren har full presisjon.")]
    blocks.append(publish_figure(
        fig, label=FIGURE_LABEL, caption=_caption(result), alt=alt, data=data, sources=sources,
        indicators=indicators, notes=notes, out_dir=out_dir))
    table, formats, headers = composition_table(result)
    blocks.append(publish_table(
        table, label=f"{FIGURE_LABEL}-tabell",
        caption=(f"Innvandrere {text.age_text(c.age)} etter verdensregion, {c.year_a} og "
                 f"{c.year_b}: regionens andel av alle innvandrere («Andel av alle»), andelen "
                 "sysselsatte i regionen («Sysselsatte»), begge i prosent, og regionens bidrag til "
                 "endringen i andelen sysselsatte, i prosentpoeng."),
        sources=sources, formats=formats, headers=headers, indicators=indicators, notes=notes,
        out_dir=out_dir))
    emit(blocks)
