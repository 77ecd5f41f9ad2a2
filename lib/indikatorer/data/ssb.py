"""SSB's PxWebApi v2 client and the JSON-stat2 → tidy DataFrame parser.

API: https://data.ssb.no/api/pxwebapi/v2 (OpenAPI spec: PxTools/PxApiSpecs, PxAPI-2.yml).

* Metadata: ``GET /tables/{id}/metadata?lang=no&outputFormat=json-stat2``.
* Data: ``POST /tables/{id}/data?lang=no&outputFormat=json-stat2`` with the body
  ``{"selection": [{"variableCode": "Tid", "valueCodes": ["top(5)"]}, ...]}``.
  We use POST rather than GET with ``valueCodes[...]``: after splitting a large query the
  code lists are long, and a body has no URL-length limit and no comma escaping. The spec
  documents the same selection for both.

Limits (SSB's user guide, https://www.ssb.no/api/api-mot-statistikkbanken--brukerveiledning:
"Grensene per uttrekk er 800.000 dataceller, og antall spørringer er for tiden 30 per minutt.
Grensen er per ip-adresse"; also https://data.ssb.no/api/pxwebapi/v2/config): at most
800,000 cells per request and 30 requests per 60 seconds per IP address. We throttle to that,
split larger queries, and retry 429/5xx within a bounded time.

Query values may be codes, labels (resolved against the table's metadata) or PxWebApi
selection expressions (``*``, ``?``, ``top(n[,offset])``, ``bottom(n[,offset])``,
``from(c)``, ``to(c)``, ``range(a,b)``), which are sent through unchanged unless the query has
to be split.
"""

from __future__ import annotations

import collections
import difflib
import email.utils
import json
import math
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import requests

from indikatorer.core import vocab
from indikatorer.core.errors import UserError

DEFAULT_BASE_URL = "https://data.ssb.no/api/pxwebapi/v2"
# SSB's documented limits (see module docstring for the source).
MAX_CELLS = 800_000
MAX_CALLS = 30
TIME_WINDOW = 60.0

STATUS_BY_SYMBOL = vocab.STATUS_BY_SYMBOL  # SSB's symbols → our statuses (core.vocab)


class SsbApiError(UserError):
    """The API could not be reached or answered with an error."""


class SsbUnreachable(SsbApiError):
    """The API's host refused the connection, is unknown, or stays silent: every further request
    would fail the same way, so the whole fetch stops."""


class JsonStatError(UserError):
    """A response is not the JSON-stat2 dataset it should be."""


class QueryError(UserError):
    """A query names a dimension or value the table does not have."""


class ResponseMismatch(JsonStatError):
    """A response is a well-formed dataset but not the answer to the query that was sent."""


# --------------------------------------------------------------------------- JSON-stat2


def load_json(content: bytes | str, *, source: str = "response") -> dict:
    """Decode a JSON document; a truncated or malformed body raises JsonStatError."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonStatError(f"{source}: not UTF-8 text ({exc})") from exc
    try:
        doc = json.loads(content)
    except json.JSONDecodeError as exc:
        raise JsonStatError(
            f"{source}: not valid JSON (truncated or malformed): {exc.msg} "
            f"(character {exc.pos} of {len(content)})"
        ) from exc
    if not isinstance(doc, dict):
        raise JsonStatError(f"{source}: expected a JSON object, got {type(doc).__name__}")
    return doc


def categories(doc: Mapping, dim: str) -> list[tuple[str, str]]:
    """(code, label) of a dimension's categories in the order given by ``category.index``.

    The index may be a list of codes or an object code → position; positions, not key order,
    define the order (SSB's 05810 has {"0": 0, "1": 2, "2": 1}: order 0, 2, 1).
    """
    try:
        category = doc["dimension"][dim]["category"]
    except (KeyError, TypeError) as exc:
        raise JsonStatError(f"dimension {dim!r} has no category") from exc
    labels = category.get("label") or {}
    index = category.get("index")
    if index is None:
        # JSON-stat allows omitting the index when there is a single category.
        if len(labels) != 1:
            raise JsonStatError(f"dimension {dim!r}: no category.index and {len(labels)} labels")
        codes = list(labels)
    elif isinstance(index, list):
        codes = [str(c) for c in index]
    elif isinstance(index, dict):
        positions = sorted(index.values()) if all(isinstance(p, int) for p in index.values()) else None
        if positions != list(range(len(index))):
            raise JsonStatError(f"dimension {dim!r}: category.index positions are not 0..{len(index) - 1}")
        codes = sorted(index, key=index.__getitem__)
    else:
        raise JsonStatError(f"dimension {dim!r}: category.index is {type(index).__name__}")
    return [(code, str(labels.get(code, code))) for code in codes]


def time_dimension(doc: Mapping) -> str | None:
    """The dataset's time dimension (``role.time``), falling back on SSB's ``Tid``."""
    times = (doc.get("role") or {}).get("time") or []
    if times:
        return times[0]
    return "Tid" if "Tid" in doc.get("id", []) else None


def _dataset_shape(doc: Mapping, source: str) -> tuple[list[str], list[int]]:
    if doc.get("class", "dataset") != "dataset":
        raise JsonStatError(f"{source}: JSON-stat class is {doc.get('class')!r}, expected 'dataset'")
    ids, sizes = doc.get("id"), doc.get("size")
    if not isinstance(ids, list) or not isinstance(sizes, list) or "dimension" not in doc:
        raise JsonStatError(f"{source}: not a JSON-stat2 dataset (needs id, size and dimension)")
    if len(ids) != len(sizes):
        raise JsonStatError(f"{source}: {len(ids)} dimension ids but {len(sizes)} sizes")
    for dim, size in zip(ids, sizes):
        if dim in ("value", "status") or dim.endswith("_label"):
            raise JsonStatError(f"{source}: dimension id {dim!r} clashes with our column names")
        n = len(categories(doc, dim))
        if n != size:
            raise JsonStatError(f"{source}: dimension {dim!r} has {n} categories but size {size}")
    return ids, sizes


def _flat_index(key: Any, n: int, what: str, source: str) -> int:
    """A key of a sparse ``value`` or ``status`` object: a cell's flat index as a decimal string."""
    text = str(key)
    if not (text.isascii() and text.isdigit()):
        raise JsonStatError(f"{source}: {what} key {key!r} is not a cell index (0..{n - 1})")
    i = int(text)
    if not 0 <= i < n:
        raise JsonStatError(f"{source}: {what} index {key} outside 0..{n - 1}")
    return i


def _number(v: Any, where: str, source: str) -> float:
    if v is None:
        return np.nan
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise JsonStatError(f"{source}: {where} is {v!r}, not a number or null")
    return float(v)


def _values(doc: Mapping, n: int, sizes: list[int], source: str) -> np.ndarray:
    raw = doc.get("value")
    if isinstance(raw, dict):  # sparse form: flat index → value
        values = np.full(n, np.nan)
        for key, v in raw.items():
            i = _flat_index(key, n, "value", source)
            values[i] = _number(v, f"value[{key!r}]", source)
        return values
    if not isinstance(raw, list):
        raise JsonStatError(f"{source}: 'value' is missing or not a list")
    if len(raw) != n:
        shape = " × ".join(str(s) for s in sizes)
        raise JsonStatError(f"{source}: value has {len(raw)} entries but size {shape} = {n}")
    return np.array([_number(v, f"value[{i}]", source) for i, v in enumerate(raw)], dtype=float)


def _symbols(doc: Mapping, n: int, source: str) -> pd.Series:
    raw = doc.get("status")
    symbols = pd.Series([None] * n, dtype=object)
    if raw is None:
        return symbols
    if isinstance(raw, str):  # one status for every cell
        symbols[:] = raw
    elif isinstance(raw, list):
        if len(raw) == 1:
            symbols[:] = raw[0]
        elif len(raw) == n:
            symbols[:] = raw
        else:
            raise JsonStatError(f"{source}: status has {len(raw)} entries but value has {n}")
    elif isinstance(raw, dict):
        for key, symbol in raw.items():
            symbols[_flat_index(key, n, "status", source)] = symbol
    else:
        raise JsonStatError(f"{source}: status is {type(raw).__name__}")
    unknown = sorted({repr(v) for v in symbols.dropna() if v not in STATUS_BY_SYMBOL})
    if unknown:
        raise JsonStatError(f"{source}: unknown status symbol(s) {', '.join(unknown)} "
                            f"(SSB's are {' '.join(STATUS_BY_SYMBOL)})")
    return symbols


def _decimals(doc: Mapping, ids: list[str], frame: pd.DataFrame) -> np.ndarray | None:
    """Per cell the decimals SSB publishes, from the content dimension's ``unit`` (JSON-stat2)
    or the table's ``extension.px.decimals``; None when the response says nothing about it."""
    table = ((doc.get("extension") or {}).get("px") or {}).get("decimals")
    table = float(table) if isinstance(table, (int, float)) and not isinstance(table, bool) else np.nan
    for dim in ids:
        units = ((doc["dimension"][dim].get("category") or {}).get("unit")) or {}
        per_code = {code: u.get("decimals") for code, u in units.items() if isinstance(u, Mapping)}
        per_code = {c: float(d) for c, d in per_code.items()
                    if isinstance(d, (int, float)) and not isinstance(d, bool)}
        if per_code:
            return frame[dim].map(per_code).fillna(table).to_numpy(dtype="float64")
    return None if math.isnan(table) else np.full(len(frame), table)


def parse_jsonstat(doc: Mapping | bytes | str, *, source: str = "response") -> pd.DataFrame:
    """See :func:`_parse_jsonstat`; any malformed part of the document is a JsonStatError naming
    ``source``, never a bare TypeError or ValueError."""
    try:
        return _parse_jsonstat(doc, source=source)
    except JsonStatError as exc:
        if str(exc).startswith(f"{source}: "):
            raise
        raise JsonStatError(f"{source}: {exc}") from exc
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise JsonStatError(f"{source}: malformed JSON-stat2 ({type(exc).__name__}: {exc})") from exc


def _parse_jsonstat(doc: Mapping | bytes | str, *, source: str = "response") -> pd.DataFrame:
    """A JSON-stat2 dataset as a tidy DataFrame, one row per cell in the dataset's order.

    Columns: for every dimension ``<dim>`` (code) and ``<dim>_label``, then ``value`` (float)
    and ``status``. SSB's symbols ``..`` ``...`` ``:`` ``.`` give NaN with status missing /
    not_available / suppressed / not_applicable; ``-`` is a true nil (0.0, status nil) when the
    cell has no number, and never overwrites a number sent with it (that cell is ``ok``).
    A cell with no value and no symbol is ``missing``; every other cell is ``ok``.

    Where the response says how many decimals SSB publishes (per content,
    ``dimension.<metric>.category.unit.<code>.decimals``, else the table's
    ``extension.px.decimals``), a ``decimals`` column (float, NaN where unknown) follows ``value``.
    """
    if not isinstance(doc, Mapping):
        doc = load_json(doc, source=source)
    ids, sizes = _dataset_shape(doc, source)
    n = math.prod(sizes)
    values = _values(doc, n, sizes, source)
    symbols = _symbols(doc, n, source)

    columns: dict[str, Any] = {}
    for i, (dim, size) in enumerate(zip(ids, sizes)):
        cats = categories(doc, dim)
        # Row-major order: the last dimension varies fastest.
        stride = math.prod(sizes[i + 1:])
        positions = (np.arange(n) // stride) % size if n else np.zeros(0, dtype=int)
        columns[dim] = np.array([c for c, _ in cats], dtype=object)[positions]
        columns[f"{dim}_label"] = np.array([lab for _, lab in cats], dtype=object)[positions]

    status = symbols.map(STATUS_BY_SYMBOL).to_numpy(dtype=object)
    no_symbol = pd.isna(status)
    status[no_symbol] = np.where(np.isnan(values[no_symbol]), "missing", "ok")
    values[np.isin(status, ["missing", "not_available", "suppressed", "not_applicable"])] = np.nan
    # "-" is a true zero where no number is given; a number sent with it stands (never 0 over it).
    nil = status == "nil"
    status[nil & ~np.isnan(values) & (values != 0)] = "ok"
    values[nil & np.isnan(values)] = 0.0

    frame = pd.DataFrame(columns)
    frame["value"] = values
    decimals = _decimals(doc, ids, frame)
    if decimals is not None:
        frame["decimals"] = decimals
    frame["status"] = status
    for col in frame.columns.drop(["value", "decimals"], errors="ignore"):
        frame[col] = frame[col].astype(str)
    return frame


# --------------------------------------------------------------------------- queries

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
    ids, sizes = _dataset_shape(doc, source)
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


# --------------------------------------------------------------------------- HTTP client


class Throttle:
    """At most ``max_calls`` calls in any ``period`` seconds (a sliding window)."""

    def __init__(self, max_calls: int = MAX_CALLS, period: float = TIME_WINDOW,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.max_calls, self.period = max_calls, period
        self.clock, self.sleep = clock, sleep
        self.calls: collections.deque[float] = collections.deque()

    def wait(self) -> None:
        """Block until one more call fits in the window, then record it."""
        now = self.clock()
        while self.calls and now - self.calls[0] >= self.period:
            self.calls.popleft()
        if len(self.calls) >= self.max_calls:
            self.sleep(self.period - (now - self.calls[0]))
            self.calls.popleft()
            now = self.clock()
        self.calls.append(now)


@dataclass(frozen=True)
class RawResponse:
    """One API response exactly as received, with the request that produced it."""

    url: str
    method: str
    body: dict | None
    content: bytes
    fetched_at: str  # ISO 8601, UTC


def _user_agent() -> str:
    try:
        from importlib.metadata import version

        v = version("indikatorer")
    except Exception:  # not installed (e.g. running from a source tree)
        v = "dev"
    return f"indikatorer/{v} (Indikatorer for integrering; python-requests/{requests.__version__})"


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _html_page(resp: requests.Response) -> str | None:
    """'an HTML page («title»)' when the body is a web page (e.g. a maintenance notice), else None."""
    content_type = resp.headers.get("Content-Type", "").lower()
    start = resp.content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if "html" not in content_type and not start.startswith((b"<!doctype html", b"<html")):
        return None
    title = _HTML_TITLE.search(resp.content[:65536])
    text = " ".join(title.group(1).decode("utf-8", "replace").split()) if title else ""
    return f"an HTML page{f' («{text[:80]}»)' if text else ''} instead of JSON"


def _problem(resp: requests.Response) -> str:
    """The title/detail of an RFC 7807 problem body, or the start of the body."""
    html = _html_page(resp)
    if html:
        return html
    try:
        doc = resp.json()
        return "; ".join(str(doc[k]) for k in ("title", "detail") if doc.get(k)) or resp.text[:200]
    except (ValueError, TypeError, AttributeError):
        return resp.text[:200]


def _cannot_connect(exc: BaseException) -> bool:
    """True when no connection was made at all: refused, unknown host, or connect timeout."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, (requests.ConnectTimeout, NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)):
            return True
        if isinstance(e, BaseException):
            stack += [getattr(e, "reason", None), e.__cause__, e.__context__, *e.args]
    return False


class SsbClient:
    """PxWebApi v2 client: throttled, retrying, splitting large queries.

    base_url: constructor argument, else $SSB_API_URL, else SSB's.
    timeout: seconds per request. retries: further attempts of a request after 429, 5xx, an
    HTML page in place of JSON or a connection dropped midway, within ``max_total_time``
    seconds since its first attempt. A host that cannot be reached (refused, unknown, or no
    answer within ``timeout``) gets one retry, then SsbUnreachable stops the whole fetch.
    """

    def __init__(self, base_url: str | None = None, *, lang: str = "no", timeout: float = 30.0,
                 retries: int = 5, max_total_time: float = 120.0, backoff: float = 1.0,
                 max_cells: int = MAX_CELLS, throttle: Throttle | None = None,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if timeout <= 0 or retries < 0:
            raise SsbApiError(f"timeout must be above 0 s and retries at least 0 (got {timeout:g}, {retries})")
        self.base_url = (base_url or os.environ.get("SSB_API_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.lang, self.timeout, self.retries, self.max_total_time = lang, timeout, retries, max_total_time
        self.backoff, self.max_cells = backoff, max_cells
        self.clock, self.sleep = clock, sleep
        self.throttle = throttle or Throttle(clock=clock, sleep=sleep)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = _user_agent()
        self._metadata: dict[str, dict] = {}

    def _url(self, table: str, endpoint: str) -> str:
        return f"{self.base_url}/tables/{table}/{endpoint}?lang={self.lang}&outputFormat=json-stat2"

    def data_url(self, table: str) -> str:
        """Where data POSTs for ``table`` go."""
        return self._url(table, "data")

    def get_url(self, table: str, selection: Mapping[str, Sequence[str]]) -> str:
        """The GET form of a data request (PxWebApi 2's ``valueCodes[dim]=a,b``), for people to
        read and try; the client itself POSTs the same selection."""
        from urllib.parse import quote

        params = "".join(f"&valueCodes[{quote(str(dim))}]={','.join(quote(str(c), safe='()*?') for c in codes)}"
                         for dim, codes in selection.items())
        return self._url(table, "data") + params

    def request(self, method: str, url: str, body: dict | None = None) -> RawResponse:
        """One API call with throttling and retries (see the class docstring)."""
        start = self.clock()
        attempt = 0
        host = urlsplit(url).netloc or url
        while True:
            self.throttle.wait()
            retry_after = None
            unreachable = False
            try:
                resp = self.session.request(method, url, json=body, timeout=self.timeout)
            except requests.Timeout as exc:
                unreachable = True
                failure = (f"no connection within {self.timeout:g} s" if _cannot_connect(exc)
                           else f"no answer within {self.timeout:g} s")
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                if _cannot_connect(exc):
                    unreachable = True
                    failure = "connection refused or host unknown"
                else:
                    failure = f"connection dropped or body cut short ({type(exc).__name__})"
            except requests.RequestException as exc:  # e.g. a malformed --api-url: retrying cannot help
                raise SsbApiError(f"{method} {url}: {exc}") from exc
            else:
                html = _html_page(resp)
                if resp.status_code == 200 and not html:
                    fetched_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    return RawResponse(url, method, body, resp.content, fetched_at)
                if resp.status_code != 429 and resp.status_code < 500 and not (resp.status_code == 200 and html):
                    hint = " (too many cells?)" if resp.status_code == 403 else ""
                    raise SsbApiError(f"{method} {url}: HTTP {resp.status_code}{hint}: {_problem(resp)}")
                failure = f"HTTP {resp.status_code}" + (f", {html}" if html else "")
                retry_after = _retry_after(resp.headers.get("Retry-After"), datetime.now(timezone.utc))
            delay = retry_after if retry_after is not None else self.backoff * 2 ** attempt
            elapsed = self.clock() - start
            allowed = min(self.retries, 1) if unreachable else self.retries
            if attempt >= allowed or elapsed + delay > self.max_total_time:
                if unreachable:
                    raise SsbUnreachable(f"cannot reach {host}: {failure} ({attempt + 1} attempt(s); "
                                         f"{method} {url})")
                raise SsbApiError(f"{method} {url}: gave up after {attempt + 1} attempt(s) in "
                                  f"{elapsed:.0f} s (limit {self.retries} retries, {self.max_total_time:g} s); "
                                  f"last: {failure}")
            self.sleep(delay)
            attempt += 1

    def metadata(self, table: str) -> dict:
        """The table's JSON-stat2 metadata (cached per client)."""
        if table not in self._metadata:
            raw = self.request("GET", self._url(table, "metadata"))
            source = f"metadata for table {table}"
            doc = load_json(raw.content, source=source)
            try:
                _dataset_shape(doc, source)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise JsonStatError(f"{source}: malformed JSON-stat2 ({type(exc).__name__}: {exc})") from exc
            self._metadata[table] = doc
        return self._metadata[table]

    def plan(self, table: str, query: Mapping[str, Any]) -> list[dict[str, list[str]]]:
        """The selections (one per request) that fetch ``query`` within the cell limit."""
        meta = self.metadata(table)
        return split_selection(meta, resolve_query(meta, query), self.max_cells)

    def _fetch(self, table: str, query: Mapping[str, Any]) -> list[tuple[RawResponse, pd.DataFrame]]:
        parts = []
        meta = self.metadata(table)
        for selection in self.plan(table, query):
            raw = self.request("POST", self._url(table, "data"), selection_body(selection))
            source = f"table {table} data from {raw.url}"
            doc = load_json(raw.content, source=source)
            frame = parse_jsonstat(doc, source=source)  # well-formed first, then the right answer
            check_response(table, meta, selection, doc, source=source)
            parts.append((raw, frame))
        return parts

    def fetch_raw(self, table: str, query: Mapping[str, Any]) -> list[RawResponse]:
        """Every response for ``query``, each checked to be a well-formed JSON-stat2 dataset that
        answers the selection sent (dimensions, codes, number of cells)."""
        return [raw for raw, _ in self._fetch(table, query)]

    def fetch(self, table: str, query: Mapping[str, Any]) -> pd.DataFrame:
        """The query's data as one tidy DataFrame (see parse_jsonstat)."""
        return pd.concat([frame for _, frame in self._fetch(table, query)], ignore_index=True)
