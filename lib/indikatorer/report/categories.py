"""Sentences about the categories of a breakdown in one year — country background, length of
residence, sex, reason for immigration, the levels of a distribution — and the rules that keep
them true:

- One category with a number is told; two are compared («høyere blant menn (63,7 prosent) enn
  blant kvinner (56,4 prosent)»), never called «høyest» and «lavest»; only three or more are
  ranked, and the ranking says among how many («… av de 8 landbakgrunnene med tall for 2020»).
- Categories the figure shows but without a number that year are counted in the sentence, so a
  ranking is never read as one over all the categories shown («Bare 2 av de 8 … har tall»).
- Categories tied at the top or the bottom (as printed) are named together.
- A category that is no group («uoppgitt», «ukjent») is never ranked or compared
  (:func:`is_unspecified`); the table beside the sentence shows it.
- The categories of a distribution (education levels that split one population) are listed in
  their order with their shares, never ranked: they are parts of one whole, not groups.

Every number goes through :mod:`indikatorer.report.fmt` with the decimals it was published with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from indikatorer.report import fmt, text

MIN_RANKED = text.MIN_RANKED
_UNSPECIFIED = re.compile(r"^(uoppgitt|ukjent)\b", re.IGNORECASE)


def is_unspecified(label: str) -> bool:
    """«Uoppgitt og annet», «Ukjent»: a category that is not a group of persons."""
    return bool(_UNSPECIFIED.match(label.strip()))


@dataclass(frozen=True)
class Category:
    """One category with a number: ``phrase`` is how it stands in a sentence, with its
    preposition («blant menn», «for Norden», «ved botid 5 år»); ``label`` without it."""

    phrase: str
    value: float
    decimals: int | None = None
    label: str = ""


def _shown(c: Category, unit: str) -> str:
    return fmt.value(c.value, unit, decimals=c.decimals)


def _printed(c: Category, unit: str):
    return fmt.round_half_up(c.value, fmt.DECIMALS[unit] if c.decimals is None else int(c.decimals))


def _head(who: str, name: str) -> str:
    return f"{who} var {name}" if who else f"{name} var"


def categories_sentence(who: str, name: str, categories: Sequence[Category], year: int,
                        unit: str, *, noun: str = "kategoriene", shown: int | None = None) -> str:
    """The categories with a number in ``year`` (module rules). ``who``: the group with its
    preposition («blant innvandrere»), or "" when ``name`` already says whose numbers they are;
    ``noun``: the categories in the definite plural («landbakgrunnene»); ``shown``: how many
    categories the figure shows (default: those with a number)."""
    if not categories:
        return ""
    n = len(categories)
    shown = max(shown or n, n)
    head = _head(who, name)
    if n == 1:
        (only,) = categories
        words = f"{head} {_shown(only, unit)} {only.phrase} i {year}"
    else:
        ordered = sorted(categories, key=lambda c: _printed(c, unit), reverse=True)
        top, bottom = _printed(ordered[0], unit), _printed(ordered[-1], unit)
        highs = [c for c in ordered if _printed(c, unit) == top]
        lows = [c for c in ordered if _printed(c, unit) == bottom]

        def tied(cs: list[Category]) -> str:  # «for Norden (4,9 prosent, det samme som for Afrika)»
            same = f", det samme som {text.and_join([c.phrase for c in cs[1:]])}" if len(cs) > 1 else ""
            return f"{cs[0].phrase} ({_shown(cs[0], unit)}{same})"
        if top == bottom:
            every = "begge" if n == 2 else f"alle de {n} {noun} med tall"
            words = f"{head} {_shown(ordered[0], unit)} for {every} i {year}"
        elif n < MIN_RANKED:  # two: compared, never ranked
            words = (f"{head} høyere {ordered[0].phrase} ({_shown(ordered[0], unit)}) enn "
                     f"{ordered[1].phrase} ({_shown(ordered[1], unit)}) i {year}")
        else:
            words = f"{head} høyest {tied(highs)} og lavest {tied(lows)} av de {n} {noun} med tall for {year}"
    sentence = text.sentence(words)
    if shown > n:
        count = "én" if n == 1 else str(n)
        sentence += f" Bare {count} av de {shown} {noun} i figuren har tall for {year}."
    return sentence


def distribution_sentence(who: str, dimension: str, categories: Sequence[Category], year: int,
                          unit: str) -> str:
    """The shares of a distribution in one year, listed in the given order: «Fordelingen etter
    utdanningsnivå blant innvandrere i 2011: ingen utdanning (1,7 prosent), grunnskolenivå (24,0
    prosent) og …» — never «høyest for … lavest for …»."""
    if not categories:
        return ""
    parts = [f"{text.lower_first(c.label or c.phrase)} ({_shown(c, unit)})" for c in categories]
    where = f" {who}" if who else ""
    return text.sentence(f"Fordelingen etter {dimension}{where} i {year}: {text.and_join(parts)}")
