"""The edition parameters: one model for the build and for the notebooks.

Every notebook's ``parameters`` cell holds the same literals (``year``, ``first_year``,
``breakdowns``, ``geography``, ``window``); the cell after it turns them into an
:class:`EditionParams` with :meth:`EditionParams.from_cell`, which checks them. The build
(``indikatorer build``) resolves the same model from the command line with
:meth:`EditionParams.resolve` and passes :meth:`EditionParams.to_dict` to papermill and to the
manifest, so every parameter a notebook uses is recorded.

``geography`` is where the numbers are for ("0" = Norway); it is not the tidy table's column
``region``, which is the country background of a row. Whether the snapshot has numbers for a
geography is the data layer's question (:func:`indikatorer.data.selection.edition_observations`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from indikatorer.core.errors import UserError
from indikatorer.core.vocab import EDITION_BREAKDOWNS

NATIONAL = "0"          # the geography code of Norway as a whole
DEFAULT_SPAN = 14       # first_year = year - 14: fifteen reference years, the newest included
DEFAULT_WINDOW = 10     # years in a trend's window
# The parameters every notebook declares, in the order of its parameters cell.
NAMES = ("year", "first_year", "breakdowns", "geography", "window")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class EditionParams:
    """An edition's parameters, checked: reference years ``first_year``–``year``, the breakdowns
    to show, the geography ("0" = Norway) and the trend window in years. ``extra`` holds further
    notebook parameters given on the command line (name, value), passed on unchecked here (the
    build checks them against each notebook's parameters cell). :meth:`from_cell` checks the
    values (:func:`check_values`); the build checks what it resolved against every notebook."""

    year: int
    first_year: int
    breakdowns: tuple[str, ...] = EDITION_BREAKDOWNS
    geography: str = NATIONAL
    window: int = DEFAULT_WINDOW
    extra: tuple[tuple[str, object], ...] = field(default=())

    @property
    def years(self) -> tuple[int, int]:
        return self.first_year, self.year

    @property
    def regional(self) -> bool:
        """A county or municipality edition (not the whole country)."""
        return self.geography != NATIONAL

    @classmethod
    def from_cell(cls, year, first_year, breakdowns=EDITION_BREAKDOWNS, geography=NATIONAL,
                  window=DEFAULT_WINDOW) -> EditionParams:
        """The parameters cell's literals, checked (the cell after it in every notebook)."""
        values = {"year": year, "first_year": first_year, "breakdowns": breakdowns,
                  "geography": geography, "window": window}
        check_values(values)
        return cls(**{**values, "breakdowns": tuple(breakdowns)})

    def to_dict(self) -> dict:
        """What papermill passes to each notebook and the manifest records: every parameter."""
        breakdowns = self.breakdowns  # as given where it is no list (the build names the error)
        if isinstance(breakdowns, (list, tuple)):
            breakdowns = list(breakdowns)
        return {"year": self.year, "first_year": self.first_year, "breakdowns": breakdowns,
                "geography": self.geography, "window": self.window, **dict(self.extra)}

    @classmethod
    def resolve(cls, year: int | None, overrides: dict, data_year_range: tuple[int, int]) -> EditionParams:
        """The build's parameters: ``year`` (default: the newest year in the data), the
        ``-p NAME=VALUE`` overrides, defaults for the rest (first_year = year − 14)."""
        overrides = dict(overrides)
        if year is not None and "year" in overrides and overrides["year"] != year:
            raise UserError(f"year given twice with different values: {year} and {overrides['year']!r}")
        year = overrides.pop("year", year)
        if year is None:
            year = data_year_range[1]
        if not _is_int(year):
            raise UserError(f"year must be an integer, got {year!r}")
        known = {name: overrides.pop(name) for name in NAMES[1:] if name in overrides}
        known.setdefault("first_year", year - DEFAULT_SPAN)
        if isinstance(known.get("breakdowns"), list):
            known["breakdowns"] = tuple(known["breakdowns"])
        # Checked by the build against each notebook's parameters cell (types first, then
        # check_values), so that a message names the notebook.
        return cls(year=year, **known, extra=tuple(sorted(overrides.items())))


def check_values(values: dict) -> None:
    """The edition parameters' values that need no data: first_year not after year, known
    breakdowns, a geography code in quotes, a window of at least two years. Names not given are
    not checked; a value of the wrong type is named."""
    for name in ("year", "first_year", "window"):
        if name in values and not _is_int(values[name]):
            raise UserError(f"{name} must be an integer, got {values[name]!r}")
    if "year" in values and "first_year" in values and values["first_year"] > values["year"]:
        raise UserError(f"first_year {values['first_year']} is after year {values['year']}")
    breakdowns = values.get("breakdowns", ())
    if isinstance(breakdowns, str) or not isinstance(breakdowns, (list, tuple)):
        raise UserError(f"breakdowns must be a list, got {breakdowns!r}")
    unknown = [b for b in breakdowns if b not in EDITION_BREAKDOWNS]
    if unknown:
        raise UserError(f"unknown breakdown(s) {', '.join(map(repr, unknown))}; "
                        f"known: {', '.join(EDITION_BREAKDOWNS)}")
    if "geography" in values and (not isinstance(values["geography"], str) or not values["geography"]):
        raise UserError(f"geography must be a code in quotes (\"0\" = Norway), got {values['geography']!r}")
    if "window" in values and values["window"] < 2:
        raise UserError(f"window must be at least 2 years, got {values['window']}")


def parse_param_args(items: list[str] | None) -> dict:
    """``-p NAME=VALUE`` arguments → {name: value}; values are YAML (2012, [sex, botid], text).

    ``geography`` is a code, so it is kept as the text given ("0", "03"), never read as a number.
    """
    overrides = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UserError(f"--param expects NAME=VALUE, got {item!r}")
        if name == "geography":
            overrides[name] = text.strip()
            continue
        try:
            overrides[name] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UserError(f"--param {name}: {text!r} is not a valid value: {exc}") from exc
    return overrides
