"""Norwegian sentences generated from numbers (the findings in the theme chapters).

Every number goes through :mod:`indikatorer.report.fmt`. Wording rules:

- Levels of rates are in ``prosent``; differences of rates (gaps, changes) in ``prosentpoeng``;
  ``prosent`` is used for a difference only in :func:`relative_change_sentence`.
- A direction ("økte", "gikk ned") is claimed only when the 95 % confidence interval excludes
  zero; otherwise the sentence says "ingen klar endring" and gives the interval.
- A change in a gap is told by the gap's size, |gap| (:func:`gap_change_sentence`,
  :func:`gap_trend_sentence`), as the trend's ``size_change`` (:class:`indikatorer.analysis.trends.GapChange`) judges it: a negative gap
  that goes from −10,9 to −11,6 "økte", never "gikk ned".
- A change resting on few persons (``n`` below :data:`THIN_N`) or on a series of only two years
  (``years_in_series``) gets a caution.
- A group takes the preposition :func:`group_phrase` gives it: "blant innvandrere", but
  "i hele befolkningen" (a population is something one is *in*).

Indicator names and group labels may be passed as printed in a heading or in ``data/codes.yml``
("Sysselsettingsandelen", "Innvandrere"): their first letter is lowered inside a sentence unless
the word is an abbreviation ("AKU-ledighet").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from indikatorer.report import fmt
from indikatorer.analysis.trends import Direction, GapChange

# Below 100 persons one person moves a share by more than one percentage point, so a change of
# a few points can be chance alone.
THIN_N = 100
NO_CLEAR_CHANGE = "ingen klar endring"
# A change between the only two years of a series: say so.
FEW_YEARS = 2
# "befolkningen", "hele befolkningen", "resten av befolkningen", "den øvrige befolkningen" … :
# a population one is *in*; every other group is persons one is *among*.
_POPULATION = re.compile(r"^(?:hele |resten av |den øvrige )?befolkningen\b")


def and_join(items: list[str], word: str = "og") -> str:
    """['a', 'b', 'c'] → 'a, b og c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def years_text(years) -> str:
    """2004, 2005, 2009, 2010, 2011 → "2004–2005 og 2009–2011" (runs of years as spans)."""
    runs: list[list[int]] = []
    for y in sorted({int(y) for y in years}):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return and_join([fmt.year_range(run[0], run[-1]) for run in runs])


def lower_first(text: str) -> str:
    """'Innvandrere' → 'innvandrere'; 'AKU-ledighet' and 'EU-land' stay as they are."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def group_phrase(group_label: str) -> str:
    """The group with its preposition, for inside a sentence — the one place that chooses it:
    persons take "blant" ('blant innvandrere', 'blant norske statsborgere uten
    innvandrerbakgrunn', 'blant alle barn'), a population takes "i" ('i hele befolkningen',
    'i befolkningen ellers', 'i befolkningen eksklusive innvandrere')."""
    label = lower_first(group_label)
    return f"i {label}" if _POPULATION.match(label) else f"blant {label}"


def _subject(indicator_name: str, group_label: str | None) -> str:
    """'sysselsettingsandelen blant innvandrere' (lower case, for inside a sentence)."""
    name = lower_first(indicator_name)
    return f"{name} {group_phrase(group_label)}" if group_label else name


def _gap_subject(indicator_name: str, group_label: str | None, reference_label: str | None) -> str:
    """'forskjellen i andel sysselsatte mellom innvandrere og befolkningen eksklusive innvandrere'."""
    name = lower_first(indicator_name)
    if group_label and reference_label:
        return f"{name} mellom {lower_first(group_label)} og {lower_first(reference_label)}"
    return name


def sentence(text: str) -> str:
    """A finished sentence: first letter upper case, a full stop unless it ends with one
    ('bodde det 5 innvandrere i Norge' → 'Bodde det 5 innvandrere i Norge.')."""
    text = _upper_first(text.strip())
    return text if text.endswith((".", "!", "?")) else text + "."


def _ci_text(low: float, high: float, decimals: int, alpha: float = 0.05) -> str:
    level = fmt.number((1 - alpha) * 100, 0)
    return (f"{level} prosent konfidensintervall: {fmt.number(low, decimals)} til "
            f"{fmt.number(high, decimals)}")


def _includes_zero(low, high) -> bool:
    return low <= 0 <= high


def _inverted(period: str, change: float, subject: str) -> str:
    """Verb-second order after the time adverbial: 'fra 2015 til 2023 økte X' / '… gikk X ned'."""
    return f"{period} økte {subject}" if change > 0 else f"{period} gikk {subject} ned"


def _thin_note(n: int | None, years_in_series: int | None = None) -> str:
    """The caution after a change: few persons (``n`` below THIN_N) or a series of two years."""
    notes = ""
    if years_in_series is not None and years_in_series <= FEW_YEARS:
        notes += " Serien har bare to år med tall, så endringen må tolkes med forsiktighet."
    if n is not None and n < THIN_N:
        notes += (f" Tallgrunnlaget er tynt (n = {fmt.integer(n)}), så endringen må tolkes med "
                  "forsiktighet.")
    return notes


def _decimals(decimals, unit: str) -> int:
    """The decimals a value was published with, or the unit's default (``fmt.DECIMALS``)."""
    return fmt.DECIMALS[unit] if decimals is None else int(decimals)


def level_sentence(indicator_name: str, group_label: str, value, year: int,
                   unit: str = "prosent", *, decimals: int | None = None) -> str:
    """"Sysselsettingsandelen blant innvandrere var 65,4 prosent i 2020." ``decimals``: as
    published (SSB's printed "38" stays "38"); default the unit's."""
    subject = _subject(indicator_name, group_label)
    if fmt.is_missing(value):
        return sentence(f"Det finnes ikke tall for {subject} i {year}")
    return sentence(f"{subject} var {fmt.value(value, unit, decimals=decimals)} i {year}")


def gap_sentence(indicator_name: str, group_label: str, reference_label: str, value,
                 reference_value, year: int, unit: str = "prosent", *,
                 decimals: int | None = None, reference_decimals: int | None = None) -> str:
    """"Sysselsettingsandelen blant innvandrere var 8,1 prosentpoeng lavere enn i befolkningen
    ellers i 2020 (65,4 mot 73,5 prosent)."

    The gap is the difference of the two values as printed (rounded first), so the sentence adds
    up for the reader. A gap between rates is in prosentpoeng. Each value is shown with the
    decimals it was published with; the gap with the larger of the two (38 and 69 → 31).
    """
    subject = _subject(indicator_name, group_label)
    reference = lower_first(reference_label)
    if fmt.is_missing(value) or fmt.is_missing(reference_value):
        return sentence(f"Det finnes ikke tall for å sammenligne {subject} med {reference} i {year}")
    reference = group_phrase(reference_label)
    own, ref = _decimals(decimals, unit), _decimals(reference_decimals, unit)
    gap = fmt.round_half_up(value, own) - fmt.round_half_up(reference_value, ref)
    levels = f"{fmt.cell(value, unit, decimals=own)} mot {fmt.value(reference_value, unit, decimals=ref)}"
    if gap == 0:
        return sentence(f"{subject} var på samme nivå som {reference} i {year} ({levels})")
    word = "lavere" if gap < 0 else "høyere"
    size = fmt.value(float(abs(gap)), fmt.difference_unit(unit), decimals=max(own, ref))
    return sentence(f"{subject} var {size} {word} enn {reference} i {year} ({levels})")


def relative_change_sentence(indicator_name: str, group_label: str | None, from_year: int,
                             to_year: int, from_value, to_value, unit: str = "personer", *,
                             years_in_series: int | None = None,
                             decimals: tuple[int | None, int | None] = (None, None)) -> str:
    """"Antallet sysselsatte blant innvandrere økte med 12,3 prosent fra 2015 til 2023, fra … til …"

    Only for counts and amounts: a change in a rate is told in prosentpoeng (:func:`change_sentence`).
    ``years_in_series`` of two or fewer adds "Serien har bare to år …".
    """
    if unit in ("prosent", "prosentpoeng"):
        raise ValueError(f"a relative change of a {unit} value reads as a change in prosentpoeng;"
                         " use change_sentence")
    subject = _subject(indicator_name, group_label)
    if fmt.is_missing(from_value) or fmt.is_missing(to_value) or float(from_value) == 0:
        return sentence(f"Endringen i {subject} fra {from_year} til {to_year} kan ikke beregnes")
    relative = (float(to_value) / float(from_value) - 1) * 100
    levels = (f"fra {fmt.cell(from_value, unit, decimals=decimals[0])} til "
              f"{fmt.value(to_value, unit, decimals=decimals[1])}")  # as published
    if fmt.round_half_up(relative, 1) == 0:
        text = sentence(f"{subject} var uendret fra {from_year} til {to_year} ({levels})")
    else:
        word = "økte" if relative > 0 else "gikk ned"
        text = sentence(f"{subject} {word} med {fmt.percent(abs(relative))} fra {from_year} til "
                        f"{to_year}, {levels}")
    return text + _thin_note(None, years_in_series)


def change_sentence(from_year: int, to_year: int, change_pp, ci: tuple[float, float] | None = None,
                    classification: Direction | None = None, *, indicator_name: str = "andelen",
                    group_label: str | None = None, n: int | None = None,
                    unit: str = "prosent", years_in_series: int | None = None,
                    decimals: int | None = None) -> str:
    """The change between two years, with cautious wording when it is not clear.

    ``change_pp`` is the difference in the unit's difference unit (prosentpoeng for rates).
    The sentence claims a direction only when ``ci`` (95 %) excludes zero and ``classification``
    is not NO_CLEAR_CHANGE; ``n`` below :data:`THIN_N` adds "Tallgrunnlaget er tynt …", and
    ``years_in_series`` of two or fewer "Serien har bare to år …". ``decimals``: those of the
    change (the larger of the two published values'); the confidence limits keep the unit's.
    """
    subject = _subject(indicator_name, group_label)
    period = f"fra {from_year} til {to_year}"
    if fmt.is_missing(change_pp):
        return sentence(f"Endringen i {subject} {period} kan ikke beregnes fordi tall mangler")
    change = float(change_pp)
    if classification in (Direction.RISING, Direction.FALLING) and (classification == Direction.RISING) != (change > 0):
        raise ValueError(f"classification {classification!r} contradicts the change {change}")
    diff_unit = fmt.difference_unit(unit)
    uncertain = classification == Direction.NO_CLEAR_CHANGE or (ci is not None and _includes_zero(*ci))
    ci_part = _ci_text(ci[0], ci[1], fmt.DECIMALS[diff_unit]) if ci is not None else ""
    if uncertain:
        text = (f"{period} var det {NO_CLEAR_CHANGE} i {subject}: endringen var "
                f"{fmt.value(change, diff_unit, decimals=decimals, sign=True)}")
        text += f", men usikkerheten er stor ({ci_part})" if ci_part else ""
    elif fmt.round_half_up(change, _decimals(decimals, diff_unit)) == 0:
        text = f"{subject} var uendret {period}"
    else:
        text = f"{_inverted(period, change, subject)} med {fmt.value(abs(change), diff_unit, decimals=decimals)}"
        text += f" ({ci_part})" if ci_part else ""
    return sentence(text) + _thin_note(n, years_in_series)


def _as_dict(trend) -> dict:
    if isinstance(trend, Mapping):
        return dict(trend)
    if hasattr(trend, "to_dict"):
        return trend.to_dict()
    return dict(vars(trend))


def _slope_parts(t: dict, unit: str):
    """Slope, CI limits, the difference unit, the decimals and "fra A til B" of a fitted trend.
    Per-year changes are small, so slopes keep two decimals where the unit has any."""
    first, last = t["years_used"]
    diff_unit = fmt.difference_unit(unit)
    decimals = 2 if fmt.DECIMALS[diff_unit] > 0 else 0
    return (float(t["slope"]), float(t["ci_low"]), float(t["ci_high"]), diff_unit, decimals,
            f"fra {first} til {last}")


def _not_fitted(t: dict) -> bool:
    return not t.get("fitted", True) or t.get("direction") == Direction.NOT_FITTED


def refusal_text(t) -> str:
    """Why a trend was not fitted: "For få observasjoner (4) til å beregne trend; minst 5
    trengs." (with the breaks named where they raise the number needed). ``t``: a
    ``trends.TrendResult`` or its ``to_dict()``."""
    t = _as_dict(t)
    needed, min_points = int(t.get("needed") or 5), int(t.get("min_points") or 5)
    words = f"For få observasjoner ({t.get('n', 0)}) til å beregne trend"
    if needed > min_points:
        words += " med brudd i serien (" + ", ".join(map(str, t.get("breaks_used") or ())) + ")"
    return f"{words}; minst {needed} trengs."


def trend_sentence(trend, *, indicator_name: str, group_label: str | None = None,
                   unit: str = "prosent") -> str:
    """The trend over the years used, from a ``trends.TrendResult`` or its ``to_dict()``
    (slope, ci_low, ci_high, direction, years_used, and optionally fitted, n, needed,
    breaks_used). A direction is stated only when the interval excludes zero."""
    t = _as_dict(trend)
    subject = _subject(indicator_name, group_label)
    if _not_fitted(t):
        return sentence(f"Trenden for {subject} er ikke beregnet: {lower_first(refusal_text(t))}")
    slope, low, high, diff_unit, decimals, period = _slope_parts(t, unit)
    if _includes_zero(low, high) or t.get("direction") == Direction.NO_CLEAR_CHANGE:
        text = sentence(
            f"{period} var det ingen klar trend i {subject}: den beregnede endringen var "
            f"{fmt.value(slope, diff_unit, decimals=decimals, sign=True)} per år, men "
            f"konfidensintervallet ({fmt.number(low, decimals)} til {fmt.number(high, decimals)}) "
            "omfatter null")
    else:
        text = sentence(
            f"{_inverted(period, slope, subject)} med i gjennomsnitt "
            f"{fmt.value(abs(slope), diff_unit, decimals=decimals)} per år "
            f"({_ci_text(low, high, decimals, float(t.get('alpha') or 0.05))})")
    return text + _breaks_note(t)


def _breaks_note(t: dict) -> str:
    """" Beregningen tar hensyn til bruddet i serien i 2015." for a trend fitted across breaks."""
    breaks = sorted(int(b) for b in t.get("breaks_used") or ())
    if not breaks:
        return ""
    noun = "bruddet" if len(breaks) == 1 else "bruddene"
    years = " og ".join(str(b) for b in breaks)
    return f" Beregningen tar hensyn til {noun} i serien i {years}."


def gap_level_sentence(indicator_name: str, group_label: str, reference_label: str, gap,
                       year: int, unit: str = "prosentpoeng", *, decimals: int | None = None) -> str:
    """A gap given as a number of its own (a derived gap indicator), told by its size and side:
    "Forskjellen i andel sysselsatte mellom innvandrere og befolkningen eksklusive innvandrere
    var 11,6 prosentpoeng i 2023 (lavere blant innvandrere)." ``unit`` is the gap's unit."""
    subject = _gap_subject(indicator_name, group_label, reference_label)
    if fmt.is_missing(gap):
        return sentence(f"Det finnes ikke tall for {subject} i {year}")
    rounded = fmt.round_half_up(gap, _decimals(decimals, unit))
    size = fmt.value(float(abs(rounded)), unit, decimals=_decimals(decimals, unit))
    if rounded == 0:
        return sentence(f"{subject} var {size} i {year} (samme nivå)")
    side = "lavere" if rounded < 0 else "høyere"
    return sentence(f"{subject} var {size} i {year} ({side} {group_phrase(group_label)})")


def gap_change_sentence(from_year: int, to_year: int, from_gap, to_gap, *,
                        indicator_name: str = "forskjellen", group_label: str | None = None,
                        reference_label: str | None = None, unit: str = "prosentpoeng",
                        years_in_series: int | None = None,
                        decimals: tuple[int | None, int | None] = (None, None)) -> str:
    """The change in a gap between two years, told by its size |gap| as printed (rounded), never
    by the sign of the difference: from −10,9 to −11,6 the gap "økte fra 10,9 til 11,6
    prosentpoeng"; from −11,6 to −10,9 it "ble mindre". A gap that changes side "snudde".
    ``unit`` is the gap's unit (prosentpoeng for rates); ``decimals`` those each gap was
    published (or computed) with."""
    subject = _gap_subject(indicator_name, group_label, reference_label)
    period = f"fra {from_year} til {to_year}"
    if fmt.is_missing(from_gap) or fmt.is_missing(to_gap):
        return sentence(f"Endringen i {subject} {period} kan ikke beregnes fordi tall mangler")
    d0, d1 = _decimals(decimals[0], unit), _decimals(decimals[1], unit)
    g0, g1 = fmt.round_half_up(from_gap, d0), fmt.round_half_up(to_gap, d1)
    s0, s1 = fmt.number(abs(g0), d0), fmt.value(float(abs(g1)), unit, decimals=d1)
    if g0 * g1 < 0:
        who = f" {group_phrase(group_label)}" if group_label else ""
        words = ("lavere", "høyere") if g0 < 0 else ("høyere", "lavere")
        text = (f"{period} snudde {subject}, fra {fmt.value(float(abs(g0)), unit, decimals=d0)} {words[0]} til "
                f"{s1} {words[1]}{who}")
    elif abs(g1) == abs(g0):
        text = f"{subject} var uendret {period} ({s1})"
    elif abs(g1) > abs(g0):
        text = f"{period} økte {subject} fra {s0} til {s1}"
    else:
        text = f"{period} ble {subject} mindre, fra {s0} til {s1}"
    return sentence(text) + _thin_note(None, years_in_series)


def gap_trend_sentence(trend, verdict: GapChange, *, indicator_name: str = "forskjellen",
                       group_label: str | None = None, reference_label: str | None = None,
                       unit: str = "prosent", side: int | None = None) -> str:
    """The trend in a gap, in words from ``verdict`` (the trend's ``size_change``, which judges
    narrowing on |gap|) and numbers on the same scale: ``side`` (−1 when the group
    lies below the reference in every year of the trend, +1 above) turns the slope of
    group − reference into the change in the gap's size per year. Without a ``side`` (the gap
    changes sign) the slope is given as the change in group − reference. ``unit`` is the
    indicator's unit; the gap is in its difference unit."""
    t = _as_dict(trend)
    subject = _gap_subject(indicator_name, group_label, reference_label)
    if _not_fitted(t):
        return sentence(f"Utviklingen i {subject} er ikke beregnet: {lower_first(refusal_text(t))}")
    slope, low, high, diff_unit, decimals, period = _slope_parts(t, unit)
    alpha = float(t.get("alpha") or 0.05)
    if side in (-1, 1):
        slope, low, high = side * slope, *sorted((side * low, side * high))
    clear = verdict in (GapChange.NARROWING, GapChange.WIDENING)
    if clear and side in (-1, 1) and (slope < 0) != (verdict == GapChange.NARROWING):
        side = None  # the fitted line crosses zero: its slope is no change in size
        slope, low, high = float(t["slope"]), float(t["ci_low"]), float(t["ci_high"])
    if clear:
        word = "mindre" if verdict == GapChange.NARROWING else "større"
        head = f"{period} ble {subject} {word}"
        if side in (-1, 1):
            verb = "minket" if verdict == GapChange.NARROWING else "økte"
            # the interval of the decrease (or increase) itself, both ends positive
            ends = (-high, -low) if slope < 0 else (low, high)
            return sentence(f"{head}: den {verb} med i gjennomsnitt "
                            f"{fmt.value(abs(slope), diff_unit, decimals=decimals)} per år "
                            f"({_ci_text(*ends, decimals, alpha)})") + _breaks_note(t)
        return sentence(f"{head} (endring i gruppens verdi minus sammenligningsgruppens: "
                        f"{fmt.value(slope, diff_unit, decimals=decimals, sign=True)} per år, "
                        f"{_ci_text(low, high, decimals, alpha)})") + _breaks_note(t)
    what = "størrelsen på forskjellen" if side in (-1, 1) else \
        "gruppens verdi minus sammenligningsgruppens"
    return sentence(f"{period} var det {NO_CLEAR_CHANGE} i {subject}: den beregnede endringen i "
                    f"{what} var {fmt.value(slope, diff_unit, decimals=decimals, sign=True)} per år, "
                    f"men konfidensintervallet ({fmt.number(low, decimals)} til "
                    f"{fmt.number(high, decimals)}) omfatter null") + _breaks_note(t)


def total_only_sentence(indicator_name: str, missing_label: str, total_label: str,
                        years: tuple[int, int]) -> str:
    """Where the data have only a total: "Datagrunnlaget har ingen tall for andelen som bor
    trangt blant innvandrere samlet i 2010–2024; hovedfunnene gjelder hele befolkningen." """
    return sentence(f"Datagrunnlaget har ingen tall for {lower_first(indicator_name)} "
                    f"{group_phrase(missing_label)} samlet i {fmt.year_range(*years)}; "
                    f"hovedfunnene gjelder {lower_first(total_label)}")


def few_years_sentence(years_with_numbers: Iterable[int], edition_years: tuple[int, int]) -> str:
    """The caution for a series with few years in the edition: "Tallgrunnlaget er tynt: det
    finnes tall for 3 år i perioden 2010–2024, så utviklingen må tolkes med forsiktighet."; for
    one year, that no development can be told."""
    years = sorted({int(y) for y in years_with_numbers})
    span = fmt.year_range(*edition_years)
    if len(years) == 1:
        return (f"Tallgrunnlaget er tynt: det finnes tall for bare ett år ({years[0]}) i perioden "
                f"{span}, så utviklingen over tid kan ikke beskrives.")
    return (f"Tallgrunnlaget er tynt: det finnes tall for {len(years)} år i perioden {span}, så "
            "utviklingen må tolkes med forsiktighet.")


def no_data_note(indicator_name: str, what_refresh_would_fill: str, *,
                 years: tuple[int, int] | None = None) -> str:
    """A visible Markdown callout saying there are no data for the edition's years and what a
    refresh from SSB's statbank would fill in (in the reader's words: the command that does
    it, ``indikatorer data fetch``, belongs in the audit appendix and the README)."""
    span = f" ({fmt.year_range(*years)})" if years else ""
    what = what_refresh_would_fill.strip().rstrip(".")
    return (
        '::: {.callout-note title="Ingen tall i denne utgaven"}\n'
        f"Det finnes ingen tall for {lower_first(indicator_name)} for årene denne utgaven "
        f"dekker{span}. En oppdatering fra SSBs statistikkbank vil fylle inn {lower_first(what)}.\n"
        ":::\n"
    )


def age_text(age: str) -> str:
    """"20-66" → "20–66 år"; "16+" → "16 år og over"; "alle" → "alle aldre"."""
    if age == "alle":
        return "alle aldre"
    if age.endswith("+"):
        return f"{age[:-1]} år og over"
    return age.replace("-", "–") + " år"


UNIT_CAPTIONS = {"prosent": "Prosent", "prosentpoeng": "Prosentpoeng", "personer": "Antall personer",
                 "kroner": "Kroner", "antall": "Antall", "forholdstall": "Forholdstall", "år": "År"}
