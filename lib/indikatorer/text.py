"""Norwegian sentences generated from numbers (the findings in the theme chapters).

Every number goes through :mod:`indikatorer.fmt`. Wording rules:

- Levels of rates are in ``prosent``; differences of rates (gaps, changes) in ``prosentpoeng``;
  ``prosent`` is used for a difference only in :func:`relative_change_sentence`.
- A direction ("økte", "gikk ned") is claimed only when the 95 % confidence interval excludes
  zero; otherwise the sentence says "ingen klar endring" and gives the interval.
- A change resting on few persons (``n`` below :data:`THIN_N`) gets a caution.

Indicator names and group labels may be passed as printed in a heading or in ``data/codes.yml``
("Sysselsettingsandelen", "Innvandrere"): their first letter is lowered inside a sentence unless
the word is an abbreviation ("AKU-ledighet").
"""

from __future__ import annotations

from collections.abc import Mapping

from indikatorer import fmt

# Below 100 persons one person moves a share by more than one percentage point, so a change of
# a few points can be chance alone.
THIN_N = 100
NO_CLEAR_CHANGE = "ingen klar endring"


def _lower_first(text: str) -> str:
    """'Innvandrere' → 'innvandrere'; 'AKU-ledighet' and 'EU-land' stay as they are."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _subject(indicator_name: str, group_label: str | None) -> str:
    """'sysselsettingsandelen blant innvandrere' (lower case, for inside a sentence)."""
    name = _lower_first(indicator_name)
    return f"{name} blant {_lower_first(group_label)}" if group_label else name


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


def _thin_note(n: int | None) -> str:
    if n is None or n >= THIN_N:
        return ""
    return (f" Tallgrunnlaget er tynt (n = {fmt.integer(n)}), så endringen må tolkes med "
            "forsiktighet.")


def level_sentence(indicator_name: str, group_label: str, value, year: int,
                   unit: str = "prosent") -> str:
    """"Sysselsettingsandelen blant innvandrere var 65,4 prosent i 2020." """
    subject = _subject(indicator_name, group_label)
    if fmt.is_missing(value):
        return sentence(f"Det finnes ikke tall for {subject} i {year}")
    return sentence(f"{subject} var {fmt.value(value, unit)} i {year}")


def gap_sentence(indicator_name: str, group_label: str, reference_label: str, value,
                 reference_value, year: int, unit: str = "prosent") -> str:
    """"Sysselsettingsandelen blant innvandrere var 8,1 prosentpoeng lavere enn i befolkningen
    ellers i 2020 (65,4 mot 73,5 prosent)."

    The gap is the difference of the two values as printed (rounded first), so the sentence adds
    up for the reader. A gap between rates is in prosentpoeng.
    """
    subject = _subject(indicator_name, group_label)
    reference = _lower_first(reference_label)
    if fmt.is_missing(value) or fmt.is_missing(reference_value):
        return sentence(f"Det finnes ikke tall for å sammenligne {subject} med {reference} i {year}")
    decimals = fmt.DECIMALS[unit]
    gap = fmt.round_half_up(value, decimals) - fmt.round_half_up(reference_value, decimals)
    levels = f"{fmt.cell(value, unit)} mot {fmt.value(reference_value, unit)}"
    if gap == 0:
        return sentence(f"{subject} var på samme nivå som i {reference} i {year} ({levels})")
    word = "lavere" if gap < 0 else "høyere"
    size = fmt.value(float(abs(gap)), fmt.difference_unit(unit))
    return sentence(f"{subject} var {size} {word} enn i {reference} i {year} ({levels})")


def relative_change_sentence(indicator_name: str, group_label: str | None, from_year: int,
                             to_year: int, from_value, to_value, unit: str = "personer") -> str:
    """"Antallet sysselsatte blant innvandrere økte med 12,3 prosent fra 2015 til 2023, fra … til …"

    Only for counts and amounts: a change in a rate is told in prosentpoeng (:func:`change_sentence`).
    """
    if unit in ("prosent", "prosentpoeng"):
        raise ValueError(f"a relative change of a {unit} value reads as a change in prosentpoeng;"
                         " use change_sentence")
    subject = _subject(indicator_name, group_label)
    if fmt.is_missing(from_value) or fmt.is_missing(to_value) or float(from_value) == 0:
        return sentence(f"Endringen i {subject} fra {from_year} til {to_year} kan ikke beregnes")
    relative = (float(to_value) / float(from_value) - 1) * 100
    levels = f"fra {fmt.cell(from_value, unit)} til {fmt.value(to_value, unit)}"
    if fmt.round_half_up(relative, 1) == 0:
        return sentence(f"{subject} var uendret fra {from_year} til {to_year} ({levels})")
    word = "økte" if relative > 0 else "gikk ned"
    return sentence(f"{subject} {word} med {fmt.percent(abs(relative))} fra {from_year} til "
                     f"{to_year}, {levels}")


def change_sentence(from_year: int, to_year: int, change_pp, ci: tuple[float, float] | None = None,
                    classification: str | None = None, *, indicator_name: str = "andelen",
                    group_label: str | None = None, n: int | None = None,
                    unit: str = "prosent") -> str:
    """The change between two years, with cautious wording when it is not clear.

    ``change_pp`` is the difference in the unit's difference unit (prosentpoeng for rates).
    The sentence claims a direction only when ``ci`` (95 %) excludes zero and ``classification``
    is not "ingen klar endring"; ``n`` below :data:`THIN_N` adds "Tallgrunnlaget er tynt …".
    """
    subject = _subject(indicator_name, group_label)
    period = f"fra {from_year} til {to_year}"
    if fmt.is_missing(change_pp):
        return sentence(f"Endringen i {subject} {period} kan ikke beregnes fordi tall mangler")
    change = float(change_pp)
    if classification in ("stigende", "synkende") and (classification == "stigende") != (change > 0):
        raise ValueError(f"classification {classification!r} contradicts the change {change}")
    diff_unit = fmt.difference_unit(unit)
    uncertain = classification == NO_CLEAR_CHANGE or (ci is not None and _includes_zero(*ci))
    ci_part = _ci_text(ci[0], ci[1], fmt.DECIMALS[diff_unit]) if ci is not None else ""
    if uncertain:
        text = (f"{period} var det {NO_CLEAR_CHANGE} i {subject}: endringen var "
                f"{fmt.value(change, diff_unit, sign=True)}")
        text += f", men usikkerheten er stor ({ci_part})" if ci_part else ""
    elif fmt.round_half_up(change, fmt.DECIMALS[diff_unit]) == 0:
        text = f"{subject} var uendret {period}"
    else:
        text = f"{_inverted(period, change, subject)} med {fmt.value(abs(change), diff_unit)}"
        text += f" ({ci_part})" if ci_part else ""
    return sentence(text) + _thin_note(n)


def _as_dict(trend) -> dict:
    if isinstance(trend, Mapping):
        return dict(trend)
    if hasattr(trend, "to_dict"):
        return trend.to_dict()
    return dict(vars(trend))


def trend_sentence(trend, *, indicator_name: str, group_label: str | None = None,
                   unit: str = "prosent") -> str:
    """The trend over the years used, from a ``trends.TrendResult`` or its ``to_dict()``
    (slope, ci_low, ci_high, classification, years_used, and optionally fitted, reason,
    breaks_used). A direction is stated only when the interval excludes zero."""
    t = _as_dict(trend)
    subject = _subject(indicator_name, group_label)
    if not t.get("fitted", True) or t.get("classification") == "ikke beregnet":
        reason = t.get("reason") or "for få observasjoner"
        return sentence(f"Trenden for {subject} er ikke beregnet: {_lower_first(str(reason))}")
    first, last = t["years_used"]
    slope, low, high = float(t["slope"]), float(t["ci_low"]), float(t["ci_high"])
    diff_unit = fmt.difference_unit(unit)
    decimals = 2 if fmt.DECIMALS[diff_unit] > 0 else 0  # per-year changes are small
    period = f"fra {first} til {last}"
    if _includes_zero(low, high) or t.get("classification") == NO_CLEAR_CHANGE:
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
    breaks = sorted(int(b) for b in t.get("breaks_used") or ())
    if breaks:
        noun = "bruddet" if len(breaks) == 1 else "bruddene"
        years = " og ".join(str(b) for b in breaks)
        text += f" Beregningen tar hensyn til {noun} i serien i {years}."
    return text


def no_data_note(indicator_name: str, what_refresh_would_fill: str, *,
                 years: tuple[int, int] | None = None) -> str:
    """A visible Markdown callout saying there are no data for the edition's years and what a
    live refresh from SSB (``indikatorer data fetch``) would fill in."""
    span = f" ({fmt.year_range(*years)})" if years else ""
    what = what_refresh_would_fill.strip().rstrip(".")
    return (
        '::: {.callout-note title="Ingen tall i denne utgaven"}\n'
        f"Det finnes ingen tall for {_lower_first(indicator_name)} for årene denne utgaven "
        f"dekker{span}. En oppdatering fra SSBs statistikkbank (`indikatorer data fetch`) vil "
        f"fylle inn {_lower_first(what)}.\n"
        ":::\n"
    )
