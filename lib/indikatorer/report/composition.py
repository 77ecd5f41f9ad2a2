"""Composition or change within the groups? The shift-share (Kitagawa) decomposition of the
change in immigrants' employment rate over world regions, and the employment profile by length
of residence (botid), as shown in the chapter «Arbeid og sysselsetting».

The computations are :func:`indikatorer.analysis.trends.decompose_from_observations` and
:func:`indikatorer.analysis.trends.botid_profile`; this module chooses the data, draws the figures and
writes the Norwegian text (``#| output: asis`` cells call :func:`present_composition` and
:func:`present_botid_profile`).

Decomposition
-------------
Rates: ``sysselsatte_andel`` for ``innvandrere`` by world region (sex and botid "alle").
Weights: the number of immigrants in each region, in the same age band and year, derived as
*employed persons ÷ employment rate* — exactly the denominator of the published rate, up to the
rounding of the rate to one decimal. Employed persons come from the published series
``employed_persons``, the catalogue's indicator :data:`WEIGHT_INDICATOR`.

The two years are chosen inside ONE segment of the series — the catalogue's breaks and every
change of age band end a segment — never across one: the newest segment (in the edition's
years) with at least two years where every region has both a rate and a weight; from its
earliest to its newest such year. The regions must be the same in both years and must add up to
all immigrants (the employed persons of the regions sum to the published total), else there is
no decomposition. Without two such years the section says so, and what a refresh would fill in;
no weight is ever invented.

Per region, the rate (within) part is ``(rate_b − rate_a) · mean share``. The composition part of
a region is shown centred, ``(share_b − share_a) · (mean rate of the region − mean overall
rate)``: a region that grows and has a rate below the average pulls the overall rate down. The
centred parts add up to the same composition effect (the shares sum to one in both years), and,
unlike the raw ones, can be read one by one.

Botid profile
-------------
Employment by botid for ``innvandrere`` in all years up to the edition's year where SSB
published it (the book's only botid profiles predate the edition window), per country
background (all immigrants, and countries such as Irak and Syria where only they were
published), age band and set of botid categories: one panel each. A panel draws the earliest
and the newest year of its newest segment (never two years across a break), and the reference
group's level the same year where it is published; the table has every year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from indikatorer.report import chapter, figures, fmt, text

from indikatorer.analysis import trends

INDICATOR = "sysselsatte_andel"
GROUP = "innvandrere"
FIGURE_LABEL = "sysselsatte-andel-sammensetning"
BOTID_LABEL = "sysselsatte-andel-botidsprofil"

# The catalogue entry this module proposes for the weights (employed persons by world region).
WEIGHT_INDICATOR = "sysselsatte_antall"
# The column of derived weights (number of immigrants in the rate's denominator).
WEIGHT_COLUMN = "bosatte_beregnet"

# Colours of the two parts (neither is a group colour, so they are never read as one).
WITHIN_COLOUR = figures.PALETTE["green"]
COMPOSITION_COLOUR = figures.PALETTE["rose"]
# Relative tolerance when checking that the regions add up to all immigrants.
PARTITION_TOLERANCE = 0.005

WITHIN_WORD = "endringer innen regionene"
COMPOSITION_WORD = "endret sammensetning"

# Short botid labels for a category axis (the codes.yml labels are for tables and text).
BOTID_TICKS = {"0-3": "Under 4", "4-6": "4–6", "7+": "7 og mer", "0": "Under 1"}


# --------------------------------------------------------------------------- data


def edition_rows(params: chapter.ChapterParams) -> pd.DataFrame:
    """The observations up to the edition's year and of its geography (rates and the employed
    persons behind them)."""
    from indikatorer.data.observations import load_observations

    rows = load_observations(year_max=params.year)
    return rows[rows["geography"].isin(chapter.same_area(params.geography))]


def _base(obs: pd.DataFrame, indicator: str) -> pd.DataFrame:
    return obs[(obs["indicator"] == indicator) & (obs["group"] == GROUP) & (obs["sex"] == "alle")
               & (obs["botid"] == "alle") & (obs["other_dim"] == "")
               & ~obs["region"].str.startswith("land:")]


KEY = ["year", "age", "region"]


def region_table(obs: pd.DataFrame) -> pd.DataFrame:
    """One row per year × age band × region (world regions and ``alle``) where immigrants'
    employment rate is published: ``rate``, ``employed`` (NaN where not published) and the
    derived number of immigrants ``population`` = employed ÷ rate × 100."""
    rates = _base(obs, INDICATOR)[KEY + ["value", "status"]].rename(
        columns={"value": "rate", "status": "rate_status"})
    employed = _base(obs, WEIGHT_INDICATOR)[KEY + ["value"]].rename(columns={"value": "employed"})
    table = rates.merge(employed, on=KEY, how="left")
    usable = table["rate"].notna() & (table["rate"] > 0) & table["employed"].notna()
    table["population"] = (table["employed"] / table["rate"] * 100).where(usable)
    return table.sort_values(KEY).reset_index(drop=True)


def _segment(year: int, breaks: Sequence[int]) -> int:
    return sum(1 for b in breaks if b <= year)


def _break_years(catalogue: Any) -> list[int]:
    return sorted(b.year for b in catalogue.get(INDICATOR).breaks)


@dataclass(frozen=True)
class Choice:
    """The two years decomposed (``year_a`` < ``year_b``), their age band and regions; or, when
    there are none, ``reason`` (Norwegian) says what is missing."""

    year_a: int | None = None
    year_b: int | None = None
    age: str | None = None
    regions: tuple[str, ...] = ()
    reason: str | None = None
    newest_rate_year: int | None = None  # newest year with the overall rate (for the text)


def _complete_years(table: pd.DataFrame) -> dict[tuple[str, int], tuple[str, ...]]:
    """(age, year) → regions, for years where every world region has a rate and a weight and
    the regions add up to all immigrants (where the total is published)."""
    out = {}
    for (age, year), rows in table.groupby(["age", "year"]):
        regions = rows[rows["region"] != "alle"]
        if regions.empty or regions["population"].isna().any():
            continue
        total = rows.loc[rows["region"] == "alle", "employed"]
        if len(total) and total.notna().all():
            if not math.isclose(regions["employed"].sum(), float(total.iloc[0]),
                                rel_tol=PARTITION_TOLERANCE):
                continue
        out[(age, int(year))] = tuple(sorted(regions["region"]))
    return out


def choose_years(obs: pd.DataFrame, breaks: Sequence[int], first_year: int, year: int) -> Choice:
    """The two years to decompose (module doc): in the newest segment with two complete years
    inside ``first_year``–``year``, its earliest and newest complete year (same regions)."""
    table = region_table(obs)
    table = table[(table["year"] >= first_year) & (table["year"] <= year)]
    overall = table[(table["region"] == "alle") & table["rate"].notna()]
    newest_rate_year = int(overall["year"].max()) if not overall.empty else None
    span = fmt.year_range(first_year, year)
    regional = table[(table["region"] != "alle") & table["rate"].notna()]
    if regional.empty:
        return Choice(reason=f"Datagrunnlaget har ikke andelen sysselsatte blant innvandrere etter "
                             f"verdensregion for {span}.", newest_rate_year=newest_rate_year)
    complete = _complete_years(table)
    if not complete:
        years = sorted(set(regional["year"]))
        return Choice(reason=(
            "Datagrunnlaget har andelen sysselsatte blant innvandrere etter verdensregion for "
            f"{text.years_text(years)}, men ikke antall sysselsatte for alle regionene de samme årene, "
            "så antallet innvandrere i hver region – vektene – er ukjent."),
            newest_rate_year=newest_rate_year)
    by_segment: dict[tuple[int, str], list[int]] = {}
    for age, y in complete:
        by_segment.setdefault((_segment(y, breaks), age), []).append(y)
    for (_, age), years in sorted(by_segment.items(), key=lambda item: (-max(item[1]), item[0])):
        years = sorted(years)
        newest = years[-1]
        same = [y for y in years if complete[(age, y)] == complete[(age, newest)]]
        if len(same) >= 2:
            return Choice(year_a=same[0], year_b=newest, age=age, regions=complete[(age, newest)],
                          newest_rate_year=newest_rate_year)
    found = sorted(y for _, y in complete)
    return Choice(reason=(
        "Datagrunnlaget har både andel og antall sysselsatte innvandrere etter verdensregion bare for "
        f"{text.years_text(found)}, og ikke for to år innenfor samme sammenlignbare periode (uten "
        "brudd i serien eller endret aldersgruppe) i utgavens år."),
        newest_rate_year=newest_rate_year)


NUMBER_WORDS = {2: "to", 3: "tre", 4: "fire", 5: "fem", 6: "seks", 7: "sju", 8: "åtte", 9: "ni",
                10: "ti", 11: "elleve", 12: "tolv"}


# --------------------------------------------------------------------------- computation


@dataclass(frozen=True)
class Composition:
    """A decomposition with what the book shows of it. ``by_region``: one row per region with
    share_a/share_b (per cent of immigrants), rate_a/rate_b (per cent), employed_a/employed_b,
    within (the rate part), composition (the centred composition part) and total."""

    choice: Choice
    decomposition: trends.Decomposition
    by_region: pd.DataFrame
    published_a: float | None  # the published overall rate (region "alle"), where there is one
    published_b: float | None
    rows: pd.DataFrame = field(repr=False)  # the observation rows used (for the sources)

    @property
    def total(self) -> float:
        return self.decomposition.total_change

    @property
    def within(self) -> float:
        return self.decomposition.rate_effect

    @property
    def composition(self) -> float:
        return self.decomposition.composition_effect


def centred_contributions(decomposition: trends.Decomposition) -> pd.DataFrame:
    """Per group: ``within`` (the rate effect) and ``composition`` = (share_b − share_a) ×
    (mean rate of the group − mean overall rate). Because the shares sum to one in both years the
    composition column sums to the decomposition's composition effect; ``total`` = within +
    composition, and the totals sum to the total change."""
    frame = decomposition.by_group
    mean_overall = (decomposition.overall_a + decomposition.overall_b) / 2
    mean_rate = (frame["rate_a"] + frame["rate_b"]) / 2
    out = pd.DataFrame({
        "group": frame["group"],
        "within": frame["rate_effect"],
        "composition": (frame["share_b"] - frame["share_a"]) * (mean_rate - mean_overall),
    })
    out["total"] = out["within"] + out["composition"]
    return out


def compute_composition(obs: pd.DataFrame, breaks: Sequence[int], first_year: int, year: int
                        ) -> Composition | Choice:
    """The decomposition for the edition's years, or the :class:`Choice` saying why there is
    none. ``obs``: tidy rows of ``sysselsatte_andel`` and :data:`WEIGHT_INDICATOR`."""
    choice = choose_years(obs, breaks, first_year, year)
    if choice.reason:
        return choice
    table = region_table(obs)
    table = table[table["age"] == choice.age]
    inputs = _base(obs, INDICATOR)
    inputs = inputs[(inputs["age"] == choice.age) & inputs["year"].isin([choice.year_a, choice.year_b])
                    & inputs["region"].isin(choice.regions)]
    weights = table.set_index(["year", "region"])["population"]
    inputs = inputs.assign(**{WEIGHT_COLUMN: [weights.get((y, r), np.nan)
                                              for y, r in zip(inputs["year"], inputs["region"])]})
    decomposition = trends.decompose_from_observations(
        inputs, INDICATOR, choice.year_a, choice.year_b, by="region", group=GROUP,
        weight_indicator=WEIGHT_COLUMN, levels=list(choice.regions))
    parts = centred_contributions(decomposition).rename(columns={"group": "region"})
    frame = decomposition.by_group.rename(columns={"group": "region"})
    employed = table.set_index(["year", "region"])["employed"]
    by_region = pd.DataFrame({
        "region": frame["region"],
        "share_a": frame["share_a"] * 100, "share_b": frame["share_b"] * 100,
        "rate_a": frame["rate_a"], "rate_b": frame["rate_b"],
        "employed_a": [employed.get((choice.year_a, r)) for r in frame["region"]],
        "employed_b": [employed.get((choice.year_b, r)) for r in frame["region"]],
    }).merge(parts, on="region")
    order = figures.ordered_codes(by_region["region"], "regions")
    by_region = by_region.set_index("region").loc[order].reset_index()

    published = table[table["region"] == "alle"].set_index("year")["rate"]
    used = obs[obs["indicator"].isin([INDICATOR, WEIGHT_INDICATOR]) & (obs["group"] == GROUP)
               & (obs["sex"] == "alle") & (obs["botid"] == "alle") & (obs["other_dim"] == "")
               & (obs["age"] == choice.age) & obs["year"].isin([choice.year_a, choice.year_b])
               & obs["region"].isin([*choice.regions, "alle"])]
    return Composition(choice=choice, decomposition=decomposition, by_region=by_region,
                       published_a=_number(published.get(choice.year_a)),
                       published_b=_number(published.get(choice.year_b)), rows=used)


def _number(x) -> float | None:
    return None if x is None or fmt.is_missing(x) else float(x)


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
    return figures.label(code, "regions")


def findings(result: Composition) -> list[str]:
    """The paragraph under the heading: the published levels, the decomposition sentence, the
    direction of each part and the regions that mattered most."""
    c, d = result.choice, result.decomposition
    ages = chapter.age_text(c.age)
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
    return (f"Endringen i andelen sysselsatte blant innvandrere {chapter.age_text(c.age)} fra "
            f"{c.year_a} til {c.year_b}, delt i endringer innen hver verdensregion og endret "
            "sammensetning. Prosentpoeng. «Innen regionen»: endringen i regionens andel sysselsatte "
            "ganget med regionens gjennomsnittlige andel av innvandrerne. «Sammensetning»: "
            "endringen i regionens andel av innvandrerne ganget med hvor mye regionens andel "
            "sysselsatte avviker fra gjennomsnittet; delene summerer seg til linjen «Alle "
            f"regioner». Begge årene er i samme sammenlignbare periode ({c.year_a}–{c.year_b}, "
            f"{chapter.age_text(c.age)}). Dekomponeringen beskriver endringen; den sier ikke "
            "hvorfor sysselsettingen endret seg.")


# --------------------------------------------------------------------------- figures


def figure_data(result: Composition) -> pd.DataFrame:
    """The numbers the decomposition figure draws, one row per region (and ``alle``, the sums)
    and part, with the inputs beside them: the CSV of the figure."""
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
    return long[["region", "part", "year_a", "year_b", "age", "value", "share_a", "share_b",
                 "rate_a", "rate_b", "employed_a", "employed_b"]]


PART_LABELS = {"within": "Endring innen regionen", "composition": "Endret sammensetning"}


def draw_composition(data: pd.DataFrame):
    """Horizontal bars: per region (all regions first) the within and composition parts."""
    import matplotlib.pyplot as plt

    regions = ["alle"] + [r for r in figures.ordered_codes(data["region"], "regions") if r != "alle"]
    names = ["Alle regioner"] + [_region_label(r) for r in regions[1:]]
    height = 0.38
    fig, ax = plt.subplots(layout="constrained",
                           figsize=(figures.FIGSIZE[0], 1.4 + 0.55 * len(regions)))
    for j, (part, colour) in enumerate((("within", WITHIN_COLOUR), ("composition", COMPOSITION_COLOUR))):
        values = data[data["part"] == part].set_index("region")["value"].reindex(regions)
        offsets = np.arange(len(regions)) + (j - 0.5) * height
        ax.barh(offsets, values.to_numpy(), height=height, color=colour, label=PART_LABELS[part])
        for off, val in zip(offsets, values):
            ax.annotate(fmt.number(val, 2, sign=True), xy=(val, off),
                        xytext=(3 if val >= 0 else -3, 0), textcoords="offset points",
                        ha="left" if val >= 0 else "right", va="center", fontsize=8)
    ax.axvline(0, color=figures.NEUTRALS["black"], linewidth=0.8)
    ax.axhline(0.5, color=figures.NEUTRALS["grey"], linewidth=0.6)
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


def _no_composition(choice: Choice) -> str:
    return ('::: {.callout-note title="Dekomponeringen kan ikke beregnes"}\n'
            f"{choice.reason} Uten tall for begge årene kan ikke endringen i andelen sysselsatte "
            "deles i endringer innen regionene og endret sammensetning, og vi regner ikke ut vekter "
            "vi ikke har tall for. " + _refresh_text() + "\n:::")


def _refresh_text() -> str:
    return ("Nyere år kommer med når tallene hentes direkte fra SSBs statistikkbank, fra en tabell "
            "over sysselsatte innvandrere etter verdensregion med både antall og andel "
            "(vedlegget Slik er tallene laget forklarer hvordan tallene hentes).")


@chapter._one_write
def present_composition(params: chapter.ChapterParams, *, observations: pd.DataFrame | None = None,
                        catalogue: Any = None, out_dir: str | Path = "figures") -> None:
    """Print the Markdown of the decomposition (an ``#| output: asis`` cell): the findings, the
    figure :data:`FIGURE_LABEL` and its table; or the visible note saying why there is none.
    Left out (one sentence says so) when ``params.breakdowns`` does not include "region".
    ``observations``: tidy rows including :data:`WEIGHT_INDICATOR` (default: the snapshot up
    to ``params.year``)."""
    if "region" not in params.breakdowns:
        chapter._md(_left_out("landbakgrunn", "dekomponeringen"))
        return
    if catalogue is None:
        from indikatorer.data.catalogue import load_catalogue

        catalogue = load_catalogue()
    obs = edition_rows(params) if observations is None else observations
    obs = obs[obs["year"] <= params.year]
    result = compute_composition(obs, _break_years(catalogue), params.first_year, params.year)
    if isinstance(result, Choice):
        chapter._md(_no_composition(result))
        return
    c = result.choice
    chapter._md(" ".join(findings(result)))
    if result.choice.newest_rate_year and result.choice.newest_rate_year > c.year_b:
        chapter._md(
            f"Datagrunnlaget har tall etter verdensregion bare til {c.year_b}, mens den samlede "
            f"andelen går til {result.choice.newest_rate_year}; nyere år kan derfor ikke "
            f"dekomponeres. {_refresh_text()}")
    data = figure_data(result)
    fig = draw_composition(data)
    alt = " ".join(findings(result)[1:])
    sources = result.rows[list(figures.SOURCE_KEYS)]
    indicators = [INDICATOR, WEIGHT_INDICATOR]
    notes = [("Antall innvandrere i hver region er beregnet som antall sysselsatte delt på andelen "
              "sysselsatte. Andelene er publisert med én desimal, så de beregnede tallene er "
              "omtrentlige; tallene bak figuren har full presisjon.")]
    chapter._end_block(figures.publish_figure(
        fig, label=FIGURE_LABEL, caption=_caption(result), alt=alt, data=data, sources=sources,
        indicators=indicators, notes=notes, out_dir=out_dir))
    table, formats, headers = composition_table(result)
    chapter._end_block(figures.publish_table(
        table, label=f"{FIGURE_LABEL}-tabell",
        caption=(f"Innvandrere {chapter.age_text(c.age)} etter verdensregion, {c.year_a} og "
                 f"{c.year_b}: regionens andel av alle innvandrere («Andel av alle»), andelen "
                 "sysselsatte i regionen («Sysselsatte»), begge i prosent, og regionens bidrag til "
                 "endringen i andelen sysselsatte, i prosentpoeng."),
        sources=sources, formats=formats, headers=headers, indicators=indicators, notes=notes,
        out_dir=out_dir))


# --------------------------------------------------------------------------- botid profile


@dataclass(frozen=True)
class Panel:
    region: str
    age: str
    botid: tuple[str, ...]   # the categories, in order
    shown: tuple[int, ...]   # the years drawn

    @property
    def key(self) -> str:
        return f"{self.region}|{self.age}|{','.join(self.botid)}"


def _botid_order(codes) -> list[str]:
    order = list(figures.labels("botid"))
    return sorted(set(codes), key=lambda c: (order.index(c) if c in order else len(order), c))


def botid_profiles(obs: pd.DataFrame, reference_group: str, breaks: Sequence[int], year: int
                   ) -> tuple[list[Panel], pd.DataFrame]:
    """Every published botid profile of immigrants' employment up to ``year``: panels (country
    background × age band × botid categories; all immigrants first) and one frame with
    ``panel, region, age, year, botid, value, status, reference_value, gap`` from
    :func:`trends.botid_profile` (gap only where the reference group is published for the same
    year and age band)."""
    rows = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == GROUP) & (obs["sex"] == "alle")
               & (obs["other_dim"] == "") & (obs["botid"] != "alle") & (obs["year"] <= year)
               & ((obs["region"] == "alle") | obs["region"].str.startswith("land:"))]
    reference = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == reference_group)
                    & (obs["year"] <= year)]
    panels, frames = [], []
    if rows.empty:
        return panels, pd.DataFrame()
    categories = rows.groupby(["region", "age", "year"])["botid"].agg(lambda s: tuple(_botid_order(s)))
    grouped: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}
    for (region, age, y), codes in categories.items():
        grouped.setdefault((region, age, codes), []).append(int(y))
    ordered = sorted(grouped.items(),
                     key=lambda item: (item[0][0] != "alle", item[0][0], min(item[1]), item[0][1]))
    for (region, age, codes), years in ordered:
        years = sorted(years)
        newest = [y for y in years if _segment(y, breaks) == _segment(years[-1], breaks)]
        panel = Panel(region, age, codes, tuple(sorted({newest[0], newest[-1]})))
        # trends.botid_profile takes the group's total over regions; the panel's country is
        # handed to it as that total (a copy; the reference group keeps region "alle").
        own = rows[(rows["region"] == region) & (rows["age"] == age) & rows["year"].isin(years)
                   & rows["botid"].isin(codes)].assign(region="alle")
        profile = trends.botid_profile(pd.concat([own, reference], ignore_index=True),
                                       reference_group=reference_group, group=GROUP, order=codes)
        # Decimals as SSB printed them (no false precision in the sentences).
        printed = own[["year", "botid", "decimals"]].drop_duplicates(["year", "botid"]) \
            if "decimals" in own.columns else own[["year", "botid"]].assign(decimals=1)
        profile = profile.merge(printed, on=["year", "botid"], how="left")
        frames.append(profile.assign(panel=panel.key, region=region, age=age))
        panels.append(panel)
    profiles = pd.concat(frames, ignore_index=True)
    return panels, profiles[["panel", "region", "age", "year", "botid", "value", "status",
                             "reference_value", "gap", "decimals"]]


def _panel_group(region: str) -> str:
    return "innvandrere" if region == "alle" else f"innvandrere fra {figures.label(region, 'regions')}"


def _panel_title(panel: Panel) -> str:
    who = "Alle innvandrere" if panel.region == "alle" else figures.label(panel.region, "regions")
    return f"{who}, {chapter.age_text(panel.age)}"


def _botid_text(code: str) -> str:
    label = figures.label(code, "botid")
    return label[:1].lower() + label[1:]


def _year_colours(years: Sequence[int]) -> dict[int, str]:
    ordered = sorted(set(years))
    return dict(zip(ordered, figures.ordered_colours(len(ordered))))  # years are ordered


def botid_figure_data(panels: Sequence[Panel], profiles: pd.DataFrame, reference_group: str
                      ) -> pd.DataFrame:
    """The plotted numbers: the profile of each drawn year, and the reference group's level in
    those years where it is published (``botid`` "alle", ``group`` the reference group)."""
    parts = []
    for panel in panels:
        rows = profiles[(profiles["panel"] == panel.key) & profiles["year"].isin(panel.shown)]
        parts.append(pd.DataFrame({
            "panel": panel.key, "year": rows["year"], "group": GROUP, "region": rows["region"],
            "age": rows["age"], "botid": rows["botid"], "value": rows["value"]}))
        ref = rows.dropna(subset=["reference_value"]).drop_duplicates("year")
        parts.append(pd.DataFrame({
            "panel": panel.key, "year": ref["year"], "group": reference_group, "region": "alle",
            "age": ref["age"], "botid": "alle", "value": ref["reference_value"]}))
    return pd.concat(parts, ignore_index=True)


def draw_botid(panels: Sequence[Panel], data: pd.DataFrame, reference_group: str):
    """One panel per profile: a line over the botid categories per drawn year, and the reference
    group's level that year as a dashed line in its own colour."""
    import matplotlib.pyplot as plt

    ncols = min(2, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, sharey=True, squeeze=False, layout="constrained",
                             figsize=(figures.FIGSIZE[0], 2.5 * nrows + 1.0))
    colours = _year_colours([y for p in panels for y in p.shown])
    ref_colour = figures.colour_for(reference_group, "groups")
    ref_name = figures.label(reference_group, "groups")
    for ax, panel in zip(axes.flat, panels):
        rows = data[data["panel"] == panel.key]
        positions = {code: i for i, code in enumerate(panel.botid)}
        for y in panel.shown:
            line = rows[(rows["year"] == y) & (rows["group"] == GROUP)]
            line = line.assign(x=line["botid"].map(positions)).sort_values("x").dropna(subset=["value"])
            ax.plot(line["x"], line["value"], color=colours[y], marker="o", label=str(y))
            ref = rows[(rows["year"] == y) & (rows["group"] == reference_group)]
            if not ref.empty:
                ax.axhline(float(ref["value"].iloc[0]), color=ref_colour, linestyle="--", linewidth=1.2,
                           label=f"{ref_name} (samme år)")
                ax.annotate(str(y), xy=(len(panel.botid) - 1, float(ref["value"].iloc[0])),
                            xytext=(0, 3), textcoords="offset points", ha="right", va="bottom",
                            fontsize=8, color=ref_colour)
        ax.set_xticks(range(len(panel.botid)),
                      [BOTID_TICKS.get(code, code) for code in panel.botid])
        ax.set_xlim(-0.3, len(panel.botid) - 0.7)
        ax.set_xlabel("Botid, år")
        ax.set_title(_panel_title(panel), fontsize=9)
        ax.yaxis.set_major_formatter(fmt.axis_formatter())
        ax.set_ylabel("Prosent")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    for ax in axes[:, 1:].flat:
        ax.set_ylabel("")
    handles: dict = {}
    for ax in axes.flat:
        for handle, name in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(name, handle)
    names = sorted(handles, key=lambda n: (not n.isdigit(), n))
    fig.legend([handles[n] for n in names], names, loc="outside upper center",
               ncol=len(names), frameon=False)
    return fig


def percent_as_printed(value, row) -> str:
    """A share with the decimals SSB printed the row's value with (1 where unknown)."""
    decimals = row.get("decimals")
    return fmt.percent(value, 1 if decimals is None or fmt.is_missing(decimals) else int(decimals))


def botid_findings(panels: Sequence[Panel], profiles: pd.DataFrame, reference_group: str) -> list[str]:
    """Per panel: the shortest and the longest botid in the newest drawn year, the change in the
    shortest botid between the drawn years, and the gap of the longest botid to the reference
    group where published."""
    sentences = []
    ref_name = figures.label(reference_group, "groups")
    for panel in panels:
        rows = profiles[profiles["panel"] == panel.key]
        newest = rows[(rows["year"] == panel.shown[-1])].dropna(subset=["value"])
        if newest.empty:
            continue
        first, last = newest.iloc[0], newest.iloc[-1]
        who = _panel_group(panel.region)
        sentences.append(text.sentence(
            f"I {panel.shown[-1]} var andelen sysselsatte blant {who} ({chapter.age_text(panel.age)}) "
            f"{percent_as_printed(first['value'], first)} med botid {_botid_text(first['botid'])} og "
            f"{percent_as_printed(last['value'], last)} med botid {_botid_text(last['botid'])}"))
        if len(panel.shown) == 2:
            old = rows[(rows["year"] == panel.shown[0]) & (rows["botid"] == first["botid"])]
            if not old.empty and not fmt.is_missing(old["value"].iloc[0]):
                before = float(old["value"].iloc[0])
                after = float(first["value"])
                who_botid = f"for dem med botid {_botid_text(first['botid'])}"
                if before == after:
                    words = (f"{who_botid} var andelen den samme i {panel.shown[0]} og "
                            f"{panel.shown[-1]} ({percent_as_printed(after, first)})")
                else:
                    verb = "økte andelen" if after > before else "gikk andelen ned"
                    words = (f"{who_botid} {verb} fra {percent_as_printed(before, old.iloc[0])} i {panel.shown[0]} til "
                            f"{percent_as_printed(after, first)} i {panel.shown[-1]}")
                sentences.append(text.sentence(words))
        if not fmt.is_missing(last["reference_value"]):
            gap = fmt.round_half_up(last["value"], 1) - fmt.round_half_up(last["reference_value"], 1)
            word = "lavere" if gap < 0 else "høyere"
            sentences.append(text.sentence(
                f"Med botid {_botid_text(last['botid'])} var andelen {fmt.pp(abs(float(gap)))} {word} "
                f"enn i {ref_name[:1].lower() + ref_name[1:]} samme år "
                f"({fmt.number(last['value'])} mot {fmt.percent(last['reference_value'])})"))
    return sentences


BOTID_CAUTION = (
    "Hver linje er et tverrsnitt: personer med ulik botid samme år. Forskjellen mellom "
    "botidsgruppene viser derfor ikke hvordan sysselsettingen utvikler seg for de samme personene "
    "etter hvert som botiden øker, for de som har bodd lenge i Norge, kom i andre innvandringskull, "
    "ofte med andre innvandringsgrunner, og noen har flyttet ut igjen. Endringen i en botidsgruppe "
    "fra ett år til et annet gjelder heller ikke de samme personene: særlig i gruppen med kortest "
    "botid speiler den hvem som nylig har kommet.")


def _botid_column(code: str) -> str:
    """A machine column name for a botid code: "0-3" → "botid_0_3", "7+" → "botid_7_og_mer"."""
    return "botid_" + code.replace("+", "_og_mer").replace("-", "_")


def _botid_header(code: str) -> str:
    """The botid label without its explanation: "1 år (fra 1 inntil 2 år)" → "1 år"."""
    return figures.label(code, "botid").split(" (")[0]


def botid_tables(panels: Sequence[Panel], profiles: pd.DataFrame, reference_group: str
                 ) -> list[tuple[pd.DataFrame, dict, dict, str, pd.DataFrame]]:
    """One table per set of botid categories (all published years): a row per country
    background, age band and year, a column per botid category and one with the reference
    group's level the same year (``..`` where not published). Returns (table, formats, headers,
    caption, the profile rows shown) for each."""
    schemes: list[tuple[str, ...]] = []
    for panel in panels:
        if panel.botid not in schemes:
            schemes.append(panel.botid)
    ref_name = figures.label(reference_group, "groups")
    out = []
    for codes in schemes:
        keys = [p.key for p in panels if p.botid == codes]
        titles = {p.key: _panel_title(p) for p in panels}
        rows = profiles[profiles["panel"].isin(keys)]
        wide = rows.pivot(index=["panel", "year"], columns="botid", values="value").reindex(columns=list(codes))
        reference = rows.groupby(["panel", "year"])["reference_value"].first()
        wide = wide.assign(reference_value=reference).reset_index()
        wide["_order"] = wide["panel"].map({k: i for i, k in enumerate(keys)})
        wide = wide.sort_values(["_order", "year"]).reset_index(drop=True)
        table = pd.DataFrame({"gruppe": wide["panel"].map(titles), "year": wide["year"]})
        # Each number with the decimals SSB printed it with ("35" stays 35, not 35,0).
        printed = rows.pivot(index=["panel", "year"], columns="botid", values="decimals") \
            .reindex(columns=list(codes)).reindex(pd.MultiIndex.from_frame(wide[["panel", "year"]])) \
            if "decimals" in rows.columns else None
        formats = {"reference_value": "prosent"}
        for code in codes:
            table[_botid_column(code)] = wide[code].astype(float)
            decimals = None if printed is None else \
                [None if fmt.is_missing(d) else int(d) for d in printed[code]]
            formats[_botid_column(code)] = "prosent" if decimals is None else ("prosent", decimals)
        table["reference_value"] = wide["reference_value"].astype(float)
        headers = {"gruppe": "Landbakgrunn og alder", "year": "År",
                   **{_botid_column(c): _botid_header(c) for c in codes}, "reference_value": ref_name}
        caption = ("Andel sysselsatte blant innvandrere etter botid, alle år med tall i "
                   f"datagrunnlaget. Prosent. Siste kolonne: {ref_name[:1].lower() + ref_name[1:]} "
                   "samme år og i samme aldersgruppe, der SSB har publisert det.")
        explained = [figures.label(c, "botid") for c in codes if " (" in figures.label(c, "botid")]
        if explained:
            caption += f" Botid i hele år: {explained[0]}, og så videre."
        out.append((table, formats, headers, caption, rows))
    return out


@chapter._one_write
def present_botid_profile(params: chapter.ChapterParams, *, observations: pd.DataFrame | None = None,
                          catalogue: Any = None, out_dir: str | Path = "figures") -> None:
    """Print the Markdown of the botid profile (an ``#| output: asis`` cell): findings, the
    figure :data:`BOTID_LABEL` with what can and cannot be concluded, and the table of every
    published year; or a note when there are no botid figures up to ``params.year``. Left out
    (one sentence says so) when ``params.breakdowns`` does not include "botid"."""
    if "botid" not in params.breakdowns:
        chapter._md(_left_out("botid", "sysselsettingen etter botid"))
        return
    if catalogue is None:
        from indikatorer.data.catalogue import load_catalogue

        catalogue = load_catalogue()
    if observations is None:
        observations = edition_rows(params)
    indicator = catalogue.get(INDICATOR)
    reference = indicator.reference_group
    panels, profiles = botid_profiles(observations, reference, _break_years(catalogue), params.year)
    if not panels:
        chapter._md(f"Datagrunnlaget har ingen tall for andelen sysselsatte blant innvandrere etter "
                    f"botid til og med {params.year}.")
        return
    years = sorted(set(profiles["year"]))
    before = [y for y in years if y < params.first_year]
    intro = (f"Datagrunnlaget har andelen sysselsatte blant innvandrere etter botid for "
             f"{text.years_text(years)}.")
    if before:
        intro += (f" Tallene for {text.years_text(before)} er fra før utgavens første år "
                  f"({params.first_year}), men tas med fordi det finnes få år med tall etter botid.")
    chapter._md(intro + " " + " ".join(botid_findings(panels, profiles, reference)))
    data = botid_figure_data(panels, profiles, reference)
    fig = draw_botid(panels, data, reference)
    shown = sorted({y for p in panels for y in p.shown})
    ref_name = figures.label(reference, "groups")
    caption = (f"Andel sysselsatte blant innvandrere etter botid, {text.years_text(shown)}. Prosent. "
               "Ett panel per landbakgrunn, aldersgruppe og inndeling i botid slik SSB publiserte "
               "dem; i hvert panel det første og det siste året innenfor samme sammenlignbare "
               f"periode. Stiplet linje: {ref_name[:1].lower() + ref_name[1:]} samme år og i samme "
               f"aldersgruppe, der SSB har publisert det. {BOTID_CAUTION}")
    finding_text = " ".join(botid_findings(panels, profiles, reference))
    in_figure = profiles.merge(data[["year", "region", "age", "botid"]].drop_duplicates(),
                               on=["year", "region", "age", "botid"])
    sources_rows = _profile_sources(observations, profiles, reference)
    chapter._end_block(figures.publish_figure(
        fig, label=BOTID_LABEL, caption=caption, alt=finding_text or caption,
        data=data,
        sources=sources_rows, indicators=[INDICATOR], out_dir=out_dir,
        notes=_missing_note(in_figure)))
    for i, (table, formats, headers, caption, rows) in enumerate(botid_tables(panels, profiles, reference)):
        chapter._end_block(figures.publish_table(
            table, label=f"{BOTID_LABEL}-tabell" + (f"-{i + 1}" if i else ""), caption=caption,
            sources=_profile_sources(observations, rows, reference), formats=formats,
            headers=headers, indicators=[INDICATOR], notes=_missing_note(rows), out_dir=out_dir))


def _left_out(breakdown: str, what: str) -> str:
    return (f"Denne utgaven er laget uten inndeling etter {breakdown} (parameteren `breakdowns`), "
            f"så {what} vises ikke.")


def _missing_note(rows: pd.DataFrame) -> list[str]:
    if rows["status"].isin(["ok", "nil"]).all():
        return []
    return ["Tall som ikke er publisert, er hull i linjene og vises som «..» i tabellen."]


def _profile_sources(obs: pd.DataFrame, profiles: pd.DataFrame, reference_group: str) -> pd.DataFrame:
    """The source columns of the profile rows and of the reference rows beside them."""
    own = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == GROUP) & (obs["sex"] == "alle")
              & (obs["other_dim"] == "")]
    own = own.merge(profiles[["year", "region", "age", "botid"]].drop_duplicates(),
                    on=["year", "region", "age", "botid"])
    ref_keys = profiles.dropna(subset=["reference_value"])[["year", "age"]].drop_duplicates()
    ref = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == reference_group)
              & (obs["sex"] == "alle") & (obs["region"] == "alle") & (obs["botid"] == "alle")
              & (obs["other_dim"] == "")].merge(ref_keys, on=["year", "age"])
    return pd.concat([own, ref], ignore_index=True)[list(figures.SOURCE_KEYS)]
