"""The project's fixed vocabularies, declared once: units, SSB's status symbols, breakdowns.

Labels and codes of groups, regions, ages and botid live in ``data/codes.yml`` (read by
:mod:`indikatorer.core.codes`); what is declared here is what the code itself relies on.
"""

from __future__ import annotations

# Catalogue units → the decimals a number gets when its source printed none (a value's own
# `decimals` always wins), the word after the number, and the axis label.
UNIT_DECIMALS = {
    "prosent": 1,
    "prosentpoeng": 1,
    "personer": 0,
    "kroner": 0,
    "antall": 0,
    "forholdstall": 2,
    "år": 1,
}
UNITS = tuple(UNIT_DECIMALS)
UNIT_WORDS = {
    "prosent": "prosent",
    "prosentpoeng": "prosentpoeng",
    "personer": "personer",
    "kroner": "kroner",
    "antall": "",
    "forholdstall": "",
    "år": "år",
}
UNIT_AXIS_LABELS = {
    "prosent": "Prosent",
    "prosentpoeng": "Prosentpoeng",
    "personer": "Personer",
    "kroner": "Kroner",
    "antall": "Antall",
    "forholdstall": "Forholdstall",
    "år": "År",
}
# The unit word after exactly one («1 person»). Units not listed read the same in the singular.
SINGULAR_WORDS = {"personer": "person"}
# Units that count persons or things (modelled on the log scale, never below zero).
COUNT_UNITS = ("personer", "antall")

# SSB's special symbols → the status vocabulary of the tidy table. All but "-" mean "no number";
# "-" is SSB's nil, a true zero.
STATUS_BY_SYMBOL = {
    "..": "missing",
    "...": "not_available",
    ":": "suppressed",
    ".": "not_applicable",
    "-": "nil",
}
SYMBOL_BY_STATUS = {status: symbol for symbol, status in STATUS_BY_SYMBOL.items()}
STATUSES = ("ok", *STATUS_BY_SYMBOL.values())
NO_NUMBER_STATUSES = tuple(s for s in STATUS_BY_SYMBOL.values() if s != "nil")

# The breakdowns an edition may show (parameter `breakdowns`): sex, length of residence,
# country background (tidy column `region`) and reason for immigration.
EDITION_BREAKDOWNS = ("sex", "botid", "region", "reason")
# The breakdowns a catalogue entry may declare its data have.
CATALOGUE_BREAKDOWNS = ("group", "sex", "age", *EDITION_BREAKDOWNS[1:])

# A retrieval or release time that was not recorded (tidy columns `retrieved`, `released`).
UNKNOWN_TIME = "unknown"
