"""Property-based tests (hypothesis): laws that must hold for every input, not just the examples.

- JSON-stat2 parsing: one row per cell (the product of the sizes), in row-major order, and the
  sparse form of `value`/`status` gives the same table as the dense form.
- Norwegian number formatting: the text read back is within half a unit of the last decimal of
  the number, and never "−0".
- The Kitagawa decomposition: the within-group and composition parts add up to the total change.
- Query splitting at SSB's cell limit: every part within the limit, together exactly the query.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from indikatorer.analysis import decomposition
from indikatorer.data import jsonstat, pxquery
from indikatorer.report import fmt

SYMBOLS = [None, "..", "...", ":", ".", "-"]

# --------------------------------------------------------------------------- JSON-stat2


@st.composite
def datasets(draw):
    """A JSON-stat2 dataset of 1–3 dimensions with 1–4 categories each, values and statuses."""
    ndims = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 4)) for _ in range(ndims)]
    ids = [f"D{i}" for i in range(ndims)]
    n = math.prod(sizes)
    numbers = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3)))
    values = draw(st.lists(numbers, min_size=n, max_size=n))
    statuses = draw(st.lists(st.sampled_from(SYMBOLS), min_size=n, max_size=n))
    dimension = {
        dim: {"label": dim, "category": {
            "index": {f"{dim}c{j}": j for j in range(size)},
            "label": {f"{dim}c{j}": f"Kategori {j}" for j in range(size)}}}
        for dim, size in zip(ids, sizes)
    }
    return {"class": "dataset", "version": "2.0", "id": ids, "size": sizes,
            "dimension": dimension, "value": values, "status": statuses}


def sparse(doc: dict) -> dict:
    """The same dataset with `value` and `status` as objects keyed by flat index (nulls left out)."""
    return {**doc,
            "value": {str(i): v for i, v in enumerate(doc["value"]) if v is not None},
            "status": {str(i): s for i, s in enumerate(doc["status"]) if s is not None}}


@settings(max_examples=150, deadline=None)
@given(datasets())
def test_jsonstat_has_one_row_per_cell_in_row_major_order(doc):
    frame = jsonstat.parse_jsonstat(doc)
    assert len(frame) == math.prod(doc["size"])
    # Row-major: the last dimension varies fastest, as itertools.product orders them.
    expected = list(itertools.product(*[[f"{d}c{j}" for j in range(s)]
                                        for d, s in zip(doc["id"], doc["size"])]))
    assert list(frame[doc["id"]].itertuples(index=False, name=None)) == expected


@settings(max_examples=150, deadline=None)
@given(datasets())
def test_jsonstat_sparse_equals_dense(doc):
    pd.testing.assert_frame_equal(jsonstat.parse_jsonstat(sparse(doc)), jsonstat.parse_jsonstat(doc))


@settings(max_examples=150, deadline=None)
@given(datasets())
def test_jsonstat_symbols_mean_no_number_and_nil_is_zero(doc):
    frame = jsonstat.parse_jsonstat(doc)
    for (value, symbol), (_, row) in zip(zip(doc["value"], doc["status"]), frame.iterrows()):
        if symbol in ("..", "...", ":", "."):
            assert math.isnan(row["value"]) and row["status"] != "ok"
        elif symbol is None and value is not None:
            assert row["value"] == value and row["status"] == "ok"


# --------------------------------------------------------------------------- number formats


def read_back(text: str) -> Decimal:
    return Decimal(text.replace(fmt.NBSP, "").replace(" ", "").replace("\u202f", "")
                   .replace(fmt.MINUS, "-").replace("+", "").replace(",", "."))


@settings(max_examples=500, deadline=None)
@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 3), st.booleans())
def test_number_round_trips_within_half_a_unit_and_is_never_minus_zero(x, decimals, sign):
    text = fmt.number(x, decimals, sign=sign)
    assert abs(read_back(text) - Decimal(repr(x))) <= Decimal(5) / Decimal(10) ** (decimals + 1)
    assert not text.startswith(fmt.MINUS + "0") or any(c in "123456789" for c in text)
    assert "." not in text  # decimal comma, never a point
    if sign and read_back(text) > 0:
        assert text.startswith("+")


# --------------------------------------------------------------------------- decomposition


@st.composite
def two_years(draw):
    groups = [f"g{i}" for i in range(draw(st.integers(1, 6)))]
    share = st.floats(0.01, 1e5, allow_nan=False)
    rate = st.floats(0, 100, allow_nan=False)
    return tuple({g: draw(strategy) for g in groups} for strategy in (share, rate, share, rate))


@settings(max_examples=300, deadline=None)
@given(two_years())
def test_decomposition_parts_sum_to_the_total(inputs):
    result = decomposition.decompose_change(*inputs)
    scale = max(1.0, abs(result.overall_a), abs(result.overall_b))
    assert math.isclose(result.rate_effect + result.composition_effect, result.total_change,
                        rel_tol=0, abs_tol=1e-9 * scale)
    per_group = result.by_group
    assert ((per_group.rate_effect + per_group.composition_effect - per_group.total).abs()
            <= 1e-12 * scale).all()


# --------------------------------------------------------------------------- query splitting


@st.composite
def selections(draw):
    ndims = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 12)) for _ in range(ndims)]
    metadata = {"id": [f"D{i}" for i in range(ndims)], "size": sizes, "dimension": {
        f"D{i}": {"category": {"index": {f"c{j}": j for j in range(s)},
                               "label": {f"c{j}": f"c{j}" for j in range(s)}}}
        for i, s in enumerate(sizes)}}
    selection = {f"D{i}": [f"c{j}" for j in sorted(draw(st.sets(st.integers(0, s - 1), min_size=1)))]
                 for i, s in enumerate(sizes)}
    largest_dim = max(len(v) for v in selection.values())
    cells = math.prod(len(v) for v in selection.values())
    max_cells = draw(st.integers(max(1, cells // largest_dim), max(1, cells)))
    return metadata, selection, max_cells


@settings(max_examples=300, deadline=None)
@given(selections())
def test_split_selection_covers_the_query_exactly_within_the_limit(case):
    metadata, selection, max_cells = case
    parts = pxquery.split_selection(metadata, selection, max_cells)
    cells = []
    for part in parts:
        assert math.prod(len(v) for v in part.values()) <= max_cells
        cells += list(itertools.product(*(part[d] for d in selection)))
    assert sorted(cells) == sorted(itertools.product(*selection.values()))
    assert len(cells) == len(set(cells))  # no cell fetched twice
