"""The indicator catalogue: load and validate ``data/catalogue.yml``.

The catalogue is the single source of truth for what the book measures: Norwegian names and
definitions, units, the reference group a gap is measured against, series breaks, caveats and
where each figure comes from (a live statbank table and/or figures printed on ssb.no).
Notebooks, the data layer and the methodology appendix all read it through ``load_catalogue()``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from indikatorer.core import paths, vocab
from indikatorer.core.codes import load_codes
from indikatorer.core.errors import UserError
from indikatorer.data.published import COLUMNS as PUBLISHED_COLUMNS

UNITS = vocab.UNITS
DIRECTIONS = ("higher_better", "lower_better", "neutral")
FREQUENCIES = ("yearly", "every_second_year", "election_years", "survey", "rolling_three_year")
BREAKDOWNS = vocab.CATALOGUE_BREAKDOWNS
SOURCE_KINDS = ("ssb_api", "published")
# How far a statbank source is known (`status` of a `kind: ssb_api` source):
# confirmed   – its table, dimension and value codes were seen in SSB's own responses or in
#               working public queries (the `note` says where);
# unconfirmed – the best reading of the table; on a live fetch the query is first checked
#               against the table's metadata and a mismatch is reported, never sent blind;
# none        – no statbank table carries the indicator (survey-only, discontinued …): `reason`.
API_STATUSES = ("confirmed", "unconfirmed", "none")
DERIVED_OPS = ("gap",)
# Where the count behind a rate comes from (`counts: {indicator, role}`): the numerator is the
# persons with the outcome (group size = numerator ÷ rate × 100), the denominator the group.
COUNT_ROLES = ("numerator", "denominator")
COUNT_UNITS = vocab.COUNT_UNITS
# Tidy columns an API dimension may be mapped to (see the contract in ARCHITECTURE.md).
TIDY_TARGETS = ("group", "sex", "age", "region", "botid", "year", "period", "other_value")

REQUIRED_FIELDS = ("id", "theme", "name", "subject", "definition", "unit", "population",
                   "direction", "reference_group", "frequency")
OPTIONAL_DEFAULTS: dict[str, Any] = {
    "headline": False,
    "survey": False,
    "breakdowns": [],
    "breaks": [],
    "caveats": [],
    "status_note": None,
    "counts": None,
}
KNOWN_FIELDS = set(REQUIRED_FIELDS) | set(OPTIONAL_DEFAULTS) | {"sources", "derived"}


class CatalogueError(UserError):
    """The catalogue file is missing, unreadable or invalid, or an unknown id was asked for."""


@dataclass(frozen=True)
class Break:
    """A series break: figures before ``year`` are not comparable with figures from ``year`` on."""

    year: int
    what: str


@dataclass(frozen=True)
class Indicator:
    id: str
    theme: str
    name: str
    subject: str          # the indicator inside a sentence: "andelen sysselsatte"
    definition: str
    unit: str
    population: str
    direction: str
    reference_group: str | None
    frequency: str
    headline: bool = False
    survey: bool = False
    breakdowns: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    derived: dict | None = None
    breaks: list[Break] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    status_note: str | None = None
    counts: dict | None = None   # {indicator: <count id>, role: numerator | denominator}

    @property
    def is_derived(self) -> bool:
        return self.derived is not None

    @property
    def published_sources(self) -> list[dict]:
        return [s for s in self.sources if s["kind"] == "published"]

    @property
    def statbank_sources(self) -> list[dict]:
        """Every `kind: ssb_api` source, whatever its status."""
        return [s for s in self.sources if s["kind"] == "ssb_api"]

    @property
    def api_sources(self) -> list[dict]:
        """Statbank sources with a table and a query (confirmed or unconfirmed): the ones a live
        fetch uses."""
        return [s for s in self.statbank_sources if s.get("status") in ("confirmed", "unconfirmed")]

    @property
    def unconfirmed_api_sources(self) -> list[dict]:
        return [s for s in self.statbank_sources if s.get("status") == "unconfirmed"]


@dataclass(frozen=True)
class Catalogue:
    version: int
    themes: dict[str, str]
    indicators: list[Indicator]

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        ids = [ind.id for ind in self.indicators]
        close = difflib.get_close_matches(indicator_id, ids, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else f" The catalogue has: {', '.join(ids)}."
        raise CatalogueError(f"unknown indicator '{indicator_id}'.{hint}")

    def __getitem__(self, indicator_id: str) -> Indicator:
        """``catalogue["sysselsatte_andel"]``, as :meth:`get` (an unknown id names the alternatives)."""
        return self.get(indicator_id)

    def by_theme(self, theme: str) -> list[Indicator]:
        if theme not in self.themes:
            raise CatalogueError(
                f"unknown theme '{theme}'; the catalogue has: {', '.join(self.themes)}")
        return [ind for ind in self.indicators if ind.theme == theme]

    def headline(self) -> list[Indicator]:
        return [ind for ind in self.indicators if ind.headline]


def known_group_codes(codes_file: Path | None = None) -> set[str]:
    """The group codes of data/codes.yml (or ``codes_file``); a missing or malformed file is a
    :class:`indikatorer.core.codes.CodesError`."""
    return set(load_codes(codes_file).order("groups"))


# ---------------------------------------------------------------- validation


def validate_catalogue(raw: Any, *, group_codes: Iterable[str] | None = None) -> list[str]:
    """Every problem in a parsed catalogue, each naming the indicator it belongs to. Empty if valid."""
    if not isinstance(raw, dict):
        return ["catalogue: the file must be a mapping with 'version', 'themes' and 'indicators'"]
    errors: list[str] = []
    if not isinstance(raw.get("version"), int):
        errors.append("catalogue: 'version' must be an integer")
    themes = raw.get("themes")
    if not isinstance(themes, dict) or not themes:
        errors.append("catalogue: 'themes' must be a non-empty mapping of code to Norwegian title")
        themes = {}
    indicators = raw.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        errors.append("catalogue: 'indicators' must be a non-empty list")
        return errors

    groups = set(known_group_codes() if group_codes is None else group_codes)
    ids = [ind.get("id") for ind in indicators if isinstance(ind, dict)]
    units = {ind.get("id"): ind.get("unit") for ind in indicators if isinstance(ind, dict)}
    seen: set[str] = set()
    for position, ind in enumerate(indicators, start=1):
        if not isinstance(ind, dict):
            errors.append(f"indicator #{position}: must be a mapping")
            continue
        label = f"indicator '{ind['id']}'" if ind.get("id") else f"indicator #{position} (no id)"
        if ind.get("id") in seen:
            errors.append(f"{label}: duplicate id")
        elif ind.get("id"):
            seen.add(ind["id"])
        errors += [f"{label}: {msg}" for msg in _indicator_problems(ind, themes, groups, ids)]
        errors += [f"{label}: {msg}" for msg in _counts_problems(ind, units)]
    return errors


def _counts_problems(ind: dict, units: dict) -> list[str]:
    """`counts: {indicator: <id>, role: numerator | denominator}` on a rate (unit prosent): the
    count indicator must exist, count persons and not be the rate itself."""
    if ind.get("counts") is None:
        return []
    counts = ind["counts"]
    if not isinstance(counts, dict):
        return ["'counts' must be a mapping {indicator, role}"]
    problems = [f"counts has unknown key '{k}' (known: indicator, role)"
                for k in sorted(set(counts) - {"indicator", "role"})]
    if ind.get("unit") != "prosent":
        problems.append(f"'counts' is for rates (unit prosent), not unit '{ind.get('unit')}'")
    source = counts.get("indicator")
    if source not in units or source == ind.get("id"):
        problems.append(f"counts from unknown indicator '{source}'")
    elif units[source] not in COUNT_UNITS:
        problems.append(f"counts indicator '{source}' has unit '{units[source]}', "
                        f"not a count ({', '.join(COUNT_UNITS)})")
    if counts.get("role") not in COUNT_ROLES:
        problems.append(f"counts role '{counts.get('role')}' is unknown (known: {', '.join(COUNT_ROLES)})")
    return problems


def _indicator_problems(ind: dict, themes: dict, groups: set[str], ids: list) -> list[str]:
    problems = [f"missing required field '{name}'" for name in REQUIRED_FIELDS if name not in ind]
    problems += [f"unknown field '{name}'" for name in sorted(set(ind) - KNOWN_FIELDS)]

    if "id" in ind and not (isinstance(ind["id"], str) and ind["id"].isidentifier()
                            and ind["id"] == ind["id"].lower()):
        problems.append(f"id '{ind['id']}' must be snake_case")
    for name in ("name", "definition", "population"):
        if name in ind and not (isinstance(ind[name], str) and ind[name].strip()):
            problems.append(f"'{name}' must be a non-empty text")
    problems += _subject_problems(ind.get("subject")) if "subject" in ind else []
    if "theme" in ind and ind["theme"] not in themes:
        problems.append(f"unknown theme '{ind['theme']}' (known: {', '.join(themes)})")
    problems += _enum_problem(ind, "unit", UNITS)
    problems += _enum_problem(ind, "direction", DIRECTIONS)
    problems += _enum_problem(ind, "frequency", FREQUENCIES)
    ref = ind.get("reference_group")
    if ref is not None and ref not in groups:
        problems.append(f"reference_group '{ref}' is not a known group code")
    for name in ("headline", "survey"):
        if name in ind and not isinstance(ind[name], bool):
            problems.append(f"'{name}' must be true or false")
    breakdowns = ind.get("breakdowns", [])
    if not isinstance(breakdowns, list):
        problems.append("'breakdowns' must be a list")
    else:
        problems += [f"unknown breakdown '{b}' (known: {', '.join(BREAKDOWNS)})"
                     for b in breakdowns if b not in BREAKDOWNS]
    caveats = ind.get("caveats", [])
    if not (isinstance(caveats, list) and all(isinstance(c, str) and c.strip() for c in caveats)):
        problems.append("'caveats' must be a list of sentences")
    if ind.get("status_note") is not None and not isinstance(ind["status_note"], str):
        problems.append("'status_note' must be a text or null")
    problems += _break_problems(ind.get("breaks", []))

    has_sources, has_derived = "sources" in ind, "derived" in ind
    if has_sources == has_derived:
        problems.append("needs exactly one of 'sources' or 'derived'")
    if has_sources:
        problems += _sources_problems(ind["sources"])
    if has_derived:
        problems += _derived_problems(ind["derived"], ind.get("id"), ids, groups)
    return problems


def _subject_problems(subject: Any) -> list[str]:
    """The sentence subject is a Norwegian noun phrase that stands inside a sentence
    ("Andelen sysselsatte blant innvandrere var …" is written from "andelen sysselsatte")."""
    if not (isinstance(subject, str) and subject.strip()):
        return ["'subject' must be a non-empty text: the indicator inside a sentence, "
                "e.g. 'andelen sysselsatte'"]
    if subject != subject.strip() or not subject[0].islower() or subject.endswith((".", ":", ";")):
        return [f"'subject' {subject!r} must be a lower-case noun phrase without surrounding spaces "
                "or a closing full stop (it stands inside a sentence)"]
    if "«" in subject or "»" in subject:
        return [f"'subject' {subject!r} must be wording, not a quoted name"]
    return []


def _enum_problem(ind: dict, name: str, allowed: tuple[str, ...]) -> list[str]:
    if name in ind and ind[name] not in allowed:
        return [f"unknown {name} '{ind[name]}' (known: {', '.join(allowed)})"]
    return []


def _break_problems(breaks: Any) -> list[str]:
    if not isinstance(breaks, list):
        return ["'breaks' must be a list of {year, what}"]
    problems = []
    for n, brk in enumerate(breaks, start=1):
        if not isinstance(brk, dict):
            problems.append(f"break #{n} must be a mapping with 'year' and 'what'")
            continue
        if not isinstance(brk.get("year"), int) or isinstance(brk.get("year"), bool):
            problems.append(f"break #{n} needs a 'year' (integer)")
        if not (isinstance(brk.get("what"), str) and brk["what"].strip()):
            problems.append(f"break #{n} needs 'what' (a Norwegian sentence)")
    return problems


def _sources_problems(sources: Any) -> list[str]:
    if not isinstance(sources, list) or not sources:
        return ["'sources' must be a non-empty list"]
    problems = []
    for n, src in enumerate(sources, start=1):
        where = f"source #{n}"
        if not isinstance(src, dict):
            problems.append(f"{where} must be a mapping")
            continue
        kind = src.get("kind")
        if kind not in SOURCE_KINDS:
            problems.append(f"{where}: unknown kind '{kind}' (known: {', '.join(SOURCE_KINDS)})")
        elif kind == "ssb_api":
            problems += [f"{where} (ssb_api): {p}" for p in _api_source_problems(src)]
        else:
            problems += [f"{where} (published): {p}" for p in _published_source_problems(src)]
    return problems


def _api_source_problems(src: dict) -> list[str]:
    problems = []
    if "confirmed" in src:
        problems.append("'confirmed' is replaced by 'status' (confirmed | unconfirmed | none)")
    status = src.get("status")
    if status not in API_STATUSES:
        problems.append(f"'status' must be one of {', '.join(API_STATUSES)} (got {status!r})")
    table = src.get("table")
    if table is not None and not (isinstance(table, str) and table.isdigit() and len(table) == 5):
        problems.append(f"table '{table}' must be a five-digit statbank id in quotes")
    if not (isinstance(src.get("note"), str) and src["note"].strip()) and status != "none":
        problems.append("needs a 'note' with the evidence for the table and its codes")
    if status == "none":
        if not (isinstance(src.get("reason"), str) and src["reason"].strip()):
            problems.append("status none needs a 'reason' (survey-only, discontinued, …)")
        if src.get("query"):
            problems.append("status none sends no query; remove 'query' or give the source a status")
    elif status in API_STATUSES:
        if table is None:
            problems.append(f"status {status} needs a statbank 'table'")
        if not src.get("query"):
            problems.append(f"status {status} needs a 'query' (dimension code → value codes)")
        if not src.get("columns"):
            problems.append(f"status {status} needs 'columns' (dimension → tidy column)")
    query = src.get("query", {})
    if not (isinstance(query, dict) and all(isinstance(v, list) for v in query.values())):
        problems.append("'query' must map dimension codes to lists of value codes")
    columns = src.get("columns", {})
    if not isinstance(columns, dict):
        problems.append("'columns' must map dimension codes to tidy columns")
    else:
        problems += [f"column target '{t}' is not a tidy column ({', '.join(TIDY_TARGETS)})"
                     for t in columns.values() if t not in TIDY_TARGETS]
    constants = src.get("constants", {})
    if not (isinstance(constants, dict) and all(isinstance(v, str) for v in constants.values())):
        problems.append("'constants' must map tidy columns to one value each")
    else:
        problems += [f"constant for '{c}', which is not a tidy column ({', '.join(TIDY_TARGETS)})"
                     for c in constants if c not in TIDY_TARGETS]
    return problems


def _published_source_problems(src: dict) -> list[str]:
    problems = []
    if not (src.get("series") or src.get("page")):
        problems.append("names no series (or page)")
    problems += _filter_problems(src.get("where", {}), "where")
    exclude = src.get("exclude", [])
    if not isinstance(exclude, list) or not exclude and "exclude" in src:
        problems.append("'exclude' must be a non-empty list of filters like 'where'")
    else:
        for n, entry in enumerate(exclude, start=1):
            problems += _filter_problems(entry, f"exclude #{n}", empty_ok=False)
    return problems


def _filter_problems(filters: Any, what: str, *, empty_ok: bool = True) -> list[str]:
    """A `where` or `exclude` entry: {column of data/published/observations.csv: value | [values]}."""
    if not isinstance(filters, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))
            for v in filters.values()):
        return [f"'{what}' must map column names to a value or a list of values"]
    if not filters and not empty_ok:
        return [f"'{what}' must name at least one column"]
    return [f"'{what}' names column '{c}', which data/published/observations.csv does not have"
            for c in filters if c not in PUBLISHED_COLUMNS]


def _derived_problems(derived: Any, own_id: Any, ids: list, groups: set[str]) -> list[str]:
    if not isinstance(derived, dict):
        return ["'derived' must be a mapping {from, op}"]
    problems = [f"derived has unknown key '{k}' (known: from, op, groups)"
                for k in sorted(set(derived) - {"from", "op", "groups"})]
    if "groups" in derived:
        chosen = derived["groups"]
        if not (isinstance(chosen, list) and chosen and all(isinstance(g, str) for g in chosen)):
            problems.append("derived 'groups' must be a non-empty list of group codes")
        else:
            problems += [f"derived group '{g}' is not a known group code" for g in chosen if g not in groups]
    if derived.get("op") not in DERIVED_OPS:
        problems.append(f"derived op '{derived.get('op')}' is unknown (known: {', '.join(DERIVED_OPS)})")
    source = derived.get("from")
    if source not in ids or source == own_id:
        problems.append(f"derived from unknown indicator '{source}'")
    return problems


# ---------------------------------------------------------------- loading


def load_catalogue(path: Path = paths.CATALOGUE_FILE) -> Catalogue:
    """Read and validate the catalogue; raise CatalogueError listing every problem found."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"catalogue not found: {path}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path} is not valid YAML: {exc}") from None
    errors = validate_catalogue(raw)
    if errors:
        listing = "\n".join(f"  - {e}" for e in errors)
        raise CatalogueError(f"{path}: {len(errors)} problem(s) in the catalogue:\n{listing}")
    return Catalogue(
        version=raw["version"],
        themes=dict(raw["themes"]),
        indicators=[_indicator_from_raw(ind) for ind in raw["indicators"]],
    )


def _indicator_from_raw(ind: dict) -> Indicator:
    values = {**OPTIONAL_DEFAULTS, **ind}
    return Indicator(
        id=values["id"],
        theme=values["theme"],
        name=values["name"].strip(),
        subject=values["subject"],
        definition=values["definition"].strip(),
        unit=values["unit"],
        population=values["population"],
        direction=values["direction"],
        reference_group=values["reference_group"],
        frequency=values["frequency"],
        headline=values["headline"],
        survey=values["survey"],
        breakdowns=list(values["breakdowns"]),
        sources=[dict(s) for s in values.get("sources", [])],
        derived=dict(values["derived"]) if values.get("derived") else None,
        breaks=[Break(year=b["year"], what=b["what"].strip()) for b in values["breaks"]],
        caveats=[c.strip() for c in values["caveats"]],
        status_note=values["status_note"],
        counts=dict(values["counts"]) if values.get("counts") else None,
    )


# ---------------------------------------------------------------- CLI


def describe_sources(ind: Indicator) -> str:
    """Short text for listings: 'api:11607, pub:employment_rate'; '?' marks an unconfirmed query,
    'api:-' a statbank source with status none."""
    if ind.derived:
        return f"{ind.derived['op']}({ind.derived['from']})"
    parts = []
    for src in ind.sources:
        if src["kind"] == "ssb_api":
            if src.get("status") == "none":
                parts.append("api:-")
            else:
                parts.append(f"api:{src['table']}{'?' if src.get('status') == 'unconfirmed' else ''}")
        else:
            parts.append(f"pub:{src.get('series') or src.get('page')}")
    return ", ".join(parts)
