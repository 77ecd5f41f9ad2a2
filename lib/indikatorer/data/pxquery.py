"""PxWebApi v2 queries: selection expressions, labels resolved to codes, splitting at SSB's
cell limit, and the check that a response answers the query that was sent."""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Mapping, Sequence

from indikatorer.core.errors import UserError
from indikatorer.data.jsonstat import ResponseMismatch, categories, dataset_shape, time_dimension


class QueryError(UserError):
    """A query names a dimension or value the table does not have."""


_EXPRESSION = re.compile(r"^(top|bottom|from|to|range)\((.*)\)$", re.IGNORECASE)


def is_expression(item: str) -> bool:
    """True for a PxWebApi selection expression rather than a single code."""
    return "*" in item or "?" in item or bool(_EXPRESSION.match(item))


def expand_expression(doc: Mapping, dim: str, expression: str) -> list[str]:
    """The codes a selection expression selects, following PxWebApi 2's own rules.

    top(n, offset) takes the first n values, except on the time dimension where it takes the
    newest n; bottom is the opposite. Codes compare case-insensitively, as on the server.
    """
    codes = [code for code, _ in categories(doc, dim)]
    if "*" in expression or "?" in expression:
        pattern = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in expression)
        rx = re.compile(f"^{pattern}$", re.IGNORECASE)
        return [c for c in codes if rx.match(c)]
    m = _EXPRESSION.match(expression)
    if not m:
        raise QueryError(f"{dim}: {expression!r} is not a selection expression")
    func, args = m.group(1).lower(), [a.strip() for a in m.group(2).split(",")]
    if func in ("top", "bottom"):
        if not (1 <= len(args) <= 2 and all(a.isdigit() for a in args)) or int(args[0]) < 1:
            raise QueryError(f"{dim}: malformed expression {expression!r}; use {func}(n) or {func}(n,offset)")
        count, offset = int(args[0]), int(args[1]) if len(args) == 2 else 0
        newest_first = (func == "top") == (dim == time_dimension(doc))
        ordered = codes[::-1] if newest_first else codes
        picked = set(ordered[offset:offset + count])
        return [c for c in codes if c in picked]
    lower = [c.lower() for c in codes]
    expected = 2 if func == "range" else 1
    if len(args) != expected:
        raise QueryError(f"{dim}: malformed expression {expression!r}")
    missing = [a for a in args if a.lower() not in lower]
    if missing:
        raise QueryError(f"{dim}: {expression!r} refers to unknown code(s) {', '.join(missing)}"
                         f"{_suggestions(doc, dim, missing[0])}")
    positions = [lower.index(a.lower()) for a in args]
    if func == "from":
        return codes[positions[0]:]
    if func == "to":
        return codes[:positions[0] + 1]
    first, last = sorted(positions)
    return codes[first:last + 1]


def _suggestions(doc: Mapping, dim: str, wanted: str) -> str:
    """'; close matches: …' from the dimension's codes and labels (case-insensitive)."""
    shown_by_key: dict[str, str] = {}
    for code, label in categories(doc, dim):
        shown = code if code == label else f"{code} ({label})"
        for key in (code, label):
            shown_by_key.setdefault(key.lower(), shown)
    close = difflib.get_close_matches(wanted.lower(), list(shown_by_key), n=5, cutoff=0.5)
    shown = list(dict.fromkeys(shown_by_key[k] for k in close))
    return f"; close matches: {', '.join(shown)}" if shown else "; no close matches"


def _resolve_dimension(doc: Mapping, wanted: str) -> str:
    ids = list(doc["id"])
    if wanted in ids:
        return wanted
    lower = {d.lower(): d for d in ids}
    if wanted.lower() in lower:
        return lower[wanted.lower()]
    close = difflib.get_close_matches(wanted, ids, n=5, cutoff=0.5)
    hint = f"close matches: {', '.join(close)}" if close else f"the table has {', '.join(ids)}"
    raise QueryError(f"unknown dimension {wanted!r}; {hint}")


def _resolve_item(doc: Mapping, dim: str, item: str) -> str:
    cats = categories(doc, dim)
    for match in (lambda c, lab: c == item, lambda c, lab: c.lower() == item.lower(),
                  lambda c, lab: lab == item, lambda c, lab: lab.lower() == item.lower()):
        found = [c for c, lab in cats if match(c, lab)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise QueryError(f"{dim}: {item!r} is ambiguous, it matches codes {', '.join(found)}")
    if is_expression(item):
        if not expand_expression(doc, dim, item):
            raise QueryError(f"{dim}: expression {item!r} selects no values")
        return item
    raise QueryError(f"{dim}: no code or label {item!r}{_suggestions(doc, dim, item)}")


def resolve_query(metadata: Mapping, query: Mapping[str, Sequence[Any] | Any]) -> dict[str, list[str]]:
    """Map a catalogue query (codes, labels or expressions) to the table's codes.

    Expressions stay as written. Raises QueryError naming close matches when a dimension or
    value is unknown (SSB renames codes), and when a dimension that cannot be eliminated is
    left out.
    """
    resolved: dict[str, list[str]] = {}
    for wanted, items in query.items():
        dim = _resolve_dimension(metadata, str(wanted))
        if isinstance(items, (str, int)):
            items = [items]
        if not items:
            raise QueryError(f"{dim}: no values selected")
        resolved[dim] = list(dict.fromkeys(_resolve_item(metadata, dim, str(i)) for i in items))
    for dim in metadata["id"]:
        elimination = ((metadata["dimension"][dim].get("extension") or {}).get("elimination"))
        if dim not in resolved and elimination is False:
            codes = ", ".join(c for c, _ in categories(metadata, dim)[:8])
            raise QueryError(f"{dim} must be selected (it cannot be eliminated); values include {codes}")
    return resolved


def expand_selection(metadata: Mapping, selection: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Every selected dimension as explicit codes, in the table's order."""
    expanded = {}
    for dim, items in selection.items():
        chosen: set[str] = set()
        for item in items:
            chosen.update(expand_expression(metadata, dim, item) if is_expression(item) else [item])
        expanded[dim] = [c for c, _ in categories(metadata, dim) if c in chosen]
    return expanded


def cell_count(metadata: Mapping, selection: Mapping[str, Sequence[str]]) -> int:
    """Cells a selection returns; dimensions left out are eliminated (count once)."""
    return math.prod(len(codes) for codes in expand_selection(metadata, selection).values())


def split_selection(metadata: Mapping, selection: Mapping[str, list[str]], max_cells: int) -> list[dict[str, list[str]]]:
    """One or more selections, each within max_cells, together covering ``selection``.

    Splits along the dimension with most selected values (that one becomes explicit codes;
    the others keep their expressions), recursing if one value of it is still too much.
    """
    expanded = expand_selection(metadata, selection)
    cells = math.prod(len(c) for c in expanded.values())
    if cells <= max_cells:
        return [dict(selection)]
    dim = max(expanded, key=lambda d: len(expanded[d]))
    codes = expanded[dim]
    if len(codes) == 1:
        raise QueryError(f"cannot split the query below {max_cells} cells")
    per_value = cells // len(codes)
    step = max(1, max_cells // per_value)
    parts = []
    for start in range(0, len(codes), step):
        part = {**selection, dim: codes[start:start + step]}
        parts.extend(split_selection(metadata, part, max_cells))
    return parts


def selection_body(selection: Mapping[str, Sequence[str]]) -> dict:
    """The PxWebApi v2 POST body for a selection."""
    return {"selection": [{"variableCode": dim, "valueCodes": list(codes)} for dim, codes in selection.items()]}


def _listed(codes: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f" … ({len(codes)} in all)" if len(codes) > limit else "")


def query_problems(table: str, metadata: Mapping, query: Mapping[str, Sequence[Any] | Any],
                   columns: Mapping[str, str] | None = None) -> list[str]:
    """Every way a catalogue query (and its ``columns`` mapping) does not fit the table's
    metadata, each naming the table, the dimension and the codes; empty when it fits."""
    problems = []
    fitting: dict[str, Any] = {}
    for wanted, items in query.items():
        try:
            dim = _resolve_dimension(metadata, str(wanted))
        except QueryError as exc:
            problems.append(f"table {table}: {exc}")
            continue
        items = [items] if isinstance(items, (str, int)) else list(items)
        bad = []
        for item in items:
            try:
                _resolve_item(metadata, dim, str(item))
            except QueryError as exc:
                bad.append(str(exc).removeprefix(f"{dim}: "))
        if bad:
            problems.append(f"table {table}, dimension {dim}: " + "; ".join(bad))
        else:
            fitting[dim] = items
    if not problems:
        try:
            resolve_query(metadata, fitting)
        except QueryError as exc:
            problems.append(f"table {table}: {exc}")
    for dim in columns or {}:
        if dim not in metadata["id"]:
            problems.append(f"table {table}: 'columns' maps dimension {dim!r}, which the table does not "
                            f"have (it has {', '.join(metadata['id'])})")
    return problems


def check_response(table: str, metadata: Mapping, selection: Mapping[str, Sequence[str]], doc: Mapping,
                   *, source: str) -> None:
    """Raise ResponseMismatch unless ``doc`` answers ``selection``: every selected dimension with
    exactly the selected codes, no other dimension with more than one category, and as many
    cells as asked for. A code renamed between the metadata and the data is caught here."""
    expected = expand_selection(metadata, selection)
    ids, sizes = dataset_shape(doc, source)
    problems = []
    for dim, codes in expected.items():
        if dim not in ids:
            problems.append(f"dimension {dim} is missing")
            continue
        got = [code for code, _ in categories(doc, dim)]
        missing = [c for c in codes if c not in got]
        extra = [c for c in got if c not in codes]
        if missing or extra or len(got) != len(codes):
            what = [f"asked for {len(codes)} code(s), got {len(got)}"]
            what += [f"missing {_listed(missing)}"] if missing else []
            what += [f"not asked for {_listed(extra)}"] if extra else []
            problems.append(f"dimension {dim}: " + ", ".join(what))
    for dim, size in zip(ids, sizes):
        if dim not in expected and size != 1:
            problems.append(f"dimension {dim} was not selected but has {size} categories")
    asked, got = math.prod(len(c) for c in expected.values()), math.prod(sizes)
    if asked != got:
        problems.append(f"{got} cells for a query of {asked}")
    if problems:
        raise ResponseMismatch(f"table {table}: the answer does not match the query ({source}): "
                               + "; ".join(problems) + "; nothing stored")
