"""JSON-stat2 → tidy DataFrame: the format of SSB's PxWebApi v2 responses.

One row per cell in the dataset's (row-major) order, a code and a label column per dimension,
``value`` and ``status`` (SSB's symbols → :data:`indikatorer.core.vocab.STATUS_BY_SYMBOL`), and
``decimals`` where the response says how many SSB publishes. Malformed input is always a
:class:`JsonStatError` naming its source.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from indikatorer.core import vocab
from indikatorer.core.errors import UserError

STATUS_BY_SYMBOL = vocab.STATUS_BY_SYMBOL


class JsonStatError(UserError):
    """A response is not the JSON-stat2 dataset it should be."""


class ResponseMismatch(JsonStatError):
    """A response is a well-formed dataset but not the answer to the query that was sent."""


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


def dataset_shape(doc: Mapping, source: str) -> tuple[list[str], list[int]]:
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
    ids, sizes = dataset_shape(doc, source)
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
