"""Norwegian number formatting: decimal comma, grouped thousands, prosent vs prosentpoeng.

Every number that reaches a reader (sentences, tables, axis ticks) goes through this module, so
the conventions live in one place:

- Decimal comma: ``65,4``.
- Thousands are grouped with U+00A0 NO-BREAK SPACE (``"2\u00a0493\u00a0510"``): it looks like the
  space SSB prints, and a line is never broken inside a number. Years are not grouped.
- Negative numbers use U+2212 MINUS SIGN (``"−3,2"``), the typographic minus.
- Rounding is half away from zero on the decimal digits as written (``0.05`` → ``"0,1"``,
  ``2.675`` → ``"2,68"``), not on the binary float (which would give ``"0,0"`` and ``"2,67"``).
- Missing values (NaN/None) become a placeholder, by default ``"–"`` (EN DASH), never ``"nan"``
  or ``"0"``. SSB's own symbols for a value's status are in :data:`STATUS_SYMBOLS`.
- No false precision: a value is shown with the decimals it was published with (the tidy
  table's ``decimals``; ``decimals=`` on every function), so SSB's printed "38" stays "38" and
  "68,2" stays "68,2". :data:`DECIMALS` is only the default for a number without that
  information. A difference of two published values has the fewer of their decimals
  (:func:`difference_decimals`: 38 and 68,2 differ by 30, not 30,2; 38 and 69 by 31); model output
  (trend slopes, confidence limits, relative changes) keeps its own documented precision.
- Rates are in ``prosent``; differences between rates are in ``prosentpoeng``; ``prosent`` is used
  for a difference only when it is a relative change.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from indikatorer.core import vocab

if TYPE_CHECKING:  # matplotlib is imported only by the axis helpers, so text-only users stay light
    from matplotlib.axes import Axes
    from matplotlib.ticker import Formatter

NBSP = "\u00a0"
MINUS = "\u2212"
PLACEHOLDER = "–"  # U+2013 EN DASH: no number to show

# The unit vocabulary and SSB's symbols are declared once, in core.vocab.
DECIMALS = vocab.UNIT_DECIMALS
UNIT_WORDS = vocab.UNIT_WORDS
SINGULAR_WORDS = vocab.SINGULAR_WORDS
STATUS_SYMBOLS = vocab.SYMBOL_BY_STATUS


def is_missing(x) -> bool:
    """True for None and NaN (the values that must never print as a number)."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def round_half_up(x: float, decimals: int = 1) -> Decimal:
    """Round half away from zero on the shortest decimal form of ``x`` (``repr``), not the float.

    ``Decimal(repr(0.05))`` is exactly 0.05, so 0.05 rounds to 0.1 as a reader expects.
    """
    exponent = Decimal(1).scaleb(-int(decimals))
    return Decimal(repr(float(x))).quantize(exponent, rounding=ROUND_HALF_UP)


def _group_thousands(digits: str) -> str:
    """'2493510' → '2 493 510' with no-break spaces."""
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NBSP.join(groups)


def number(x, decimals: int = 1, *, sign: bool = False, placeholder: str = PLACEHOLDER) -> str:
    """A number with decimal comma and grouped thousands: ``number(65.4)`` → ``"65,4"``.

    ``sign=True`` prefixes positives with ``+`` (negatives always get U+2212; zero gets no sign).
    """
    if is_missing(x):
        return placeholder
    if math.isinf(float(x)):
        raise ValueError(f"cannot format an infinite number ({x!r})")
    rounded = round_half_up(x, decimals)
    if rounded == 0:
        rounded = abs(rounded)  # never print "−0,0"
    text = f"{abs(rounded):.{int(decimals)}f}"
    whole, _, fraction = text.partition(".")
    body = _group_thousands(whole) + ("," + fraction if fraction else "")
    if rounded < 0:
        return MINUS + body
    if sign and rounded > 0:
        return "+" + body
    return body


def integer(x, *, sign: bool = False, placeholder: str = PLACEHOLDER) -> str:
    """A whole number with grouped thousands: ``integer(2493510)`` → ``"2\u00a0493\u00a0510"``."""
    return number(x, 0, sign=sign, placeholder=placeholder)


def percent(x, decimals: int = 1, *, sign: bool = False, placeholder: str = PLACEHOLDER) -> str:
    """A rate or a relative change: ``percent(65.4)`` → ``"65,4 prosent"``."""
    if is_missing(x):
        return placeholder
    return f"{number(x, decimals, sign=sign)} prosent"


def pp(x, decimals: int = 1, *, sign: bool = False, placeholder: str = PLACEHOLDER) -> str:
    """A difference between rates: ``pp(3.2)`` → ``"3,2 prosentpoeng"``, ``sign=True`` → ``"+3,2 …"``."""
    if is_missing(x):
        return placeholder
    return f"{number(x, decimals, sign=sign)} prosentpoeng"


def value(x, unit: str, *, decimals: int | None = None, sign: bool = False,
          placeholder: str = PLACEHOLDER) -> str:
    """A number with its unit word, for running text: ``value(65.4, "prosent")`` → ``"65,4 prosent"``.

    ``unit`` is one of the catalogue units (:data:`DECIMALS`); ``antall`` and ``forholdstall``
    carry no unit word. A number printed as exactly one takes the singular («1 person»,
    :data:`SINGULAR_WORDS`); «1,0» keeps the plural, as a measured amount does.
    """
    if unit not in DECIMALS:
        raise ValueError(f"unknown unit {unit!r}; known: {', '.join(DECIMALS)}")
    if is_missing(x):
        return placeholder
    text = number(x, DECIMALS[unit] if decimals is None else decimals, sign=sign)
    word = UNIT_WORDS[unit]
    if text.lstrip("+" + MINUS) == "1":
        word = SINGULAR_WORDS.get(unit, word)
    return f"{text} {word}" if word else text


def cell(x, unit: str, *, decimals: int | None = None, placeholder: str = PLACEHOLDER) -> str:
    """A number for a table cell: like :func:`value` but without the unit word (it is in the header)."""
    if unit not in DECIMALS:
        raise ValueError(f"unknown unit {unit!r}; known: {', '.join(DECIMALS)}")
    return number(x, DECIMALS[unit] if decimals is None else decimals, placeholder=placeholder)


def difference_decimals(*decimals) -> int:
    """The decimals of a difference (or any sum) of published values: the fewest of its inputs'
    — a difference is no more precise than its coarser input (40 − 63,7 is shown as −24, not
    −23,7: the 40 may be anything from 39,5 to 40,5). ``difference_decimals(0, 1)`` → 0.
    Raises ValueError for none, a negative or a missing one."""
    if not decimals:
        raise ValueError("difference_decimals needs the decimals of at least one value")
    if any(is_missing(d) or float(d) < 0 or float(d) != int(float(d)) for d in decimals):
        raise ValueError(f"decimals must be non-negative whole numbers, not {decimals!r}")
    return min(int(float(d)) for d in decimals)


def difference_unit(unit: str) -> str:
    """The unit of a difference of two values: rates differ in prosentpoeng, others in their unit."""
    return "prosentpoeng" if unit == "prosent" else unit


def status_symbol(status: str) -> str:
    """SSB's table symbol for a status (``"missing"`` → ``".."``); ``""`` for ``ok``."""
    if status == "ok":
        return ""
    if status not in STATUS_SYMBOLS:
        raise ValueError(f"unknown status {status!r}; known: ok, {', '.join(STATUS_SYMBOLS)}")
    return STATUS_SYMBOLS[status]


def year_range(first: int, last: int) -> str:
    """``year_range(2015, 2023)`` → ``"2015–2023"`` (EN DASH); one year when they are equal."""
    first, last = int(first), int(last)
    return str(first) if first == last else f"{first}–{last}"


def axis_formatter(decimals: int | None = None) -> Formatter:
    """A matplotlib tick formatter with decimal comma, grouped thousands and U+2212 minus.

    With ``decimals=None`` all ticks of an axis share the fewest decimals that show every tick
    exactly (50, 52,5, 55 → "50,0", "52,5", "55,0"), so a tick is never rounded to a wrong label.
    """
    from matplotlib.ticker import Formatter

    class NorwegianTicks(Formatter):
        def __init__(self):
            self.decimals = 0 if decimals is None else decimals

        def set_locs(self, locs):
            super().set_locs(locs)
            if decimals is None:
                self.decimals = next(
                    (d for d in range(4) if all(abs(round(v, d) - v) < 1e-9 for v in locs)), 3)

        def __call__(self, x, pos=None):
            return number(x, self.decimals)

    return NorwegianTicks()


def int_year_axis(ax: Axes, axis: str = "x", *, max_ticks: int | None = None) -> None:
    """Ticks on whole years only, printed without grouping, so a year never shows as 2017.5.

    ``max_ticks`` thins the ticks for narrow panels.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    nbins = "auto" if max_ticks is None else max(max_ticks - 1, 1)
    target.set_major_locator(MaxNLocator(nbins=nbins, integer=True))
    target.set_major_formatter(
        FuncFormatter(lambda x, _pos: str(int(round(x))) if abs(x - round(x)) < 1e-9 else "")
    )
