"""The one tidy observations table, built from every source kind, and its data contract.

``load_observations()`` reads the catalogue and, for each indicator, takes its rows from the
published snapshot (``data/published/``, selected by ``series`` and ``where``) and, where a raw
API snapshot exists, from ``data/raw/ssb/`` (mapped through the source's ``columns``). Derived
indicators (``op: gap``) are computed from those rows. ``validate_observations()`` is the
contract: columns, dtypes, known codes, ranges, status rules and unique keys.

The code vocabularies (groups, regions, botid, sex, ages) live in ``data/codes.yml`` and are read
with ``indikatorer.core.codes.load_codes()`` (re-exported here); the figures and text modules use the
same labels and display order.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from indikatorer.core import paths, vocab
from indikatorer.core.codes import Codes, load_codes
from indikatorer.core.codes import clear_cache as _clear_codes_cache
from indikatorer.core.errors import UserError
from indikatorer.data import small_numbers

TIDY_COLUMNS = [
    "indicator", "year", "period", "group", "sex", "age", "geography", "region", "region_label", "botid",
    "other_dim", "other_value", "unit", "value", "decimals", "status", "source_kind", "source_table",
    "source_ref", "source_file", "source_sha256", "retrieved", "released", "note",
]
# Where a row's number comes from: the source kind, table, query or page, snapshot file and its
# sha256, when it was retrieved (ISO time, or "unknown" where no retrieval was recorded) and
# when the source released it (SSB's publication date or `updated` stamp, or "unknown").
SOURCE_COLUMNS = ["source_kind", "source_table", "source_ref", "source_file", "source_sha256",
                  "retrieved", "released"]
UNKNOWN = vocab.UNKNOWN_TIME
# One row per key (ARCHITECTURE.md). `period` is not part of it: a quarterly series must be
# narrowed to one quarter by the catalogue's `where` (e.g. period: "4. kvartal*").
KEY_COLUMNS = ["indicator", "year", "group", "sex", "age", "geography", "region", "botid", "other_dim",
               "other_value"]
STRING_COLUMNS = [c for c in TIDY_COLUMNS if c not in ("year", "value", "decimals")]

STATUSES = vocab.STATUSES
NO_NUMBER_STATUSES = vocab.NO_NUMBER_STATUSES
SOURCE_KINDS = ("ssb_api", "published", "derived")
# Tidy columns that have a vocabulary in codes.yml, and the vocabulary's name: one column for each
# of indikatorer.core.codes.VOCABULARIES (tests/test_codes.py holds them together).
CODED_COLUMNS = {"group": "groups", "sex": "sex", "age": "ages", "region": "regions", "botid": "botid"}
# Defaults for dimensions a source does not break down by.
# `geography`: "0" is Norway, `F03` a county, `K0301` a municipality (data/published/geographies.csv).
NATIONAL = "0"
GEOGRAPHY_PATTERN = r"0|F\d{2}|K\d{4}"
DEFAULTS = {"sex": "alle", "age": "alle", "geography": NATIONAL, "region": "alle", "region_label": "", "botid": "alle",
            "other_dim": "", "other_value": "", "period": "", "note": ""}
MAX_SHOWN_ROWS = 10


class ObservationsError(UserError):
    """The tidy table breaks its contract, or a source cannot be mapped into it."""


# --------------------------------------------------------------------------- building the table


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """An attribute of a catalogue object, or a key of a hand-made dict."""
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


def _matches(frame: pd.DataFrame, filters: Mapping[str, Any], what: str) -> pd.Series:
    """True for the rows whose columns match every entry of ``filters``."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        if column not in frame.columns:
            raise ObservationsError(f"{what!r} names column {column!r}, which the published table does not have")
        patterns = [str(w) for w in (wanted if isinstance(wanted, (list, tuple)) else [wanted])]
        text = frame[column].astype(str)
        mask &= text.map(lambda v: any(fnmatch.fnmatchcase(v, p) for p in patterns))
    return mask


def select_rows(frame: pd.DataFrame, where: Mapping[str, Any] | None,
                exclude: Sequence[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Rows whose columns match every ``where`` entry (a value, or a list of values; each value
    may be a shell-style pattern, ``period: "4. kvartal*"``), less the rows that match all
    entries of any filter in ``exclude`` (e.g. ``[{other_dim: bostedskommune}]``)."""
    mask = _matches(frame, where or {}, "where")
    for filters in exclude or []:
        mask &= ~_matches(frame, filters, "exclude")
    return frame[mask]


def _published_rows(indicator_id: str, source: Mapping, published: pd.DataFrame) -> pd.DataFrame:
    """The rows of one `published` source: its series (and/or page), narrowed by `where`."""
    rows = published
    if source.get("series"):
        rows = rows[rows["series"] == source["series"]]
        if rows.empty:
            raise ObservationsError(
                f"{indicator_id}: series {source['series']!r} is not in the published snapshot (figures printed "
                "only on non-SSB pages were not imported; see data/published/README.md)")
    if source.get("page"):
        rows = rows[rows["source_ref"] == source["page"]]
    rows = select_rows(rows, source.get("where"), source.get("exclude"))
    if rows.empty:
        raise ObservationsError(f"{indicator_id}: no published rows for series {source.get('series')!r}"
                                f"{' page ' + repr(source['page']) if source.get('page') else ''}"
                                f" where {source.get('where') or {}}"
                                f"{' exclude ' + repr(source['exclude']) if source.get('exclude') else ''}")
    if source.get("year_offset"):
        rows = rows.assign(year=rows["year"] + int(source["year_offset"]))
    if source.get("dimension"):
        rows = _keep_dimension(indicator_id, rows, source["dimension"], source.get("labels") or {})
    return rows.assign(indicator=indicator_id, _release=rows["released"].astype(str).str[:10])[TIDY_COLUMNS + ["_release"]]


def _keep_dimension(indicator_id: str, rows: pd.DataFrame, dimension: str,
                    labels: Mapping[str, str]) -> pd.DataFrame:
    """Rows printed with a compound dimension («statsborgerskap; innvandringsgrunn» /
    «norske statsborgere; Refugee background») as rows of its part ``dimension`` alone (the
    other parts are fixed by the source's `where`), the value's label through ``labels`` where
    given (the printed label goes into ``note``)."""
    dims = rows["other_dim"].str.split(";").map(lambda parts: [p.strip() for p in parts])
    values = rows["other_value"].str.split(";").map(lambda parts: [p.strip() for p in parts])
    bad = [i for i, (d, v) in enumerate(zip(dims, values)) if dimension not in d or len(d) != len(v)]
    if bad:
        raise ObservationsError(f"{indicator_id}: rows without the dimension {dimension!r} in "
                                f"{sorted(set(rows['other_dim'].iloc[bad]))}")
    printed = [v[d.index(dimension)] for d, v in zip(dims, values)]
    shown = [labels.get(label, label) for label in printed]
    notes = [f"{note} Trykt som «{p}».".strip() if p != s else note
             for note, p, s in zip(rows["note"], printed, shown)]
    return rows.assign(other_dim=dimension, other_value=shown, note=notes)


def _api_rows(indicator: Any, source: Mapping, codes: Codes) -> pd.DataFrame:
    """A raw API snapshot mapped to tidy rows: each mapped dimension's label is looked up in the
    vocabulary of its tidy column; `year` takes the first four digits of the time code."""
    from indikatorer.data import snapshot

    indicator_id = _field(indicator, "id")
    table = str(source["table"])
    raw, provenance = snapshot.load_raw(table, query=source.get("query"))
    columns = source.get("columns") or {}
    out = pd.DataFrame(index=raw.index)
    unmapped: dict[str, set[str]] = {}
    for dim, target in columns.items():
        labels = raw[f"{dim}_label"].astype(str)
        if target == "year":
            out["year"] = raw[dim].astype(str).str[:4].astype("int64")
            out["period"] = labels
        elif target in CODED_COLUMNS:
            vocabulary = CODED_COLUMNS[target]
            mapped = labels.map(lambda lab: codes.code_for(vocabulary, lab))
            unmapped.setdefault(target, set()).update(labels[mapped.isna()])
            out[target] = mapped
            if target == "region":
                out["region_label"] = labels
        elif target == "other_value":
            out["other_dim"] = dim
            out["other_value"] = labels
        else:  # period
            out[target] = labels
    unmapped = {t: labs for t, labs in unmapped.items() if labs}
    if unmapped:
        listing = "; ".join(f"{t}: {', '.join(sorted(labs))}" for t, labs in unmapped.items())
        raise ObservationsError(f"{indicator_id}: table {table} has labels codes.yml does not know ({listing})")
    for column, value in {**DEFAULTS, **(source.get("constants") or {})}.items():
        if column not in out.columns:
            out[column] = value
    for needed in ("year", "group"):
        if needed not in out.columns:
            raise ObservationsError(f"{indicator_id}: table {table} maps no dimension to {needed!r}; "
                                    f"add one to 'columns' or set constants: {{{needed}: …}}")
    query = json.dumps(source.get("query") or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # Decimals as SSB publishes the content (JSON-stat2 metadata), else the unit's default.
    default = vocab.UNIT_DECIMALS.get(_field(indicator, "unit"), 1)
    decimals = raw["decimals"] if "decimals" in raw.columns else pd.Series(np.nan, index=raw.index)
    out = out.assign(decimals=pd.to_numeric(decimals).fillna(default).astype("int64"),
        indicator=indicator_id, unit=_field(indicator, "unit"), value=raw["value"].astype("float64"),
        status=raw["status"].astype(str), source_kind="ssb_api", source_table=table,
        source_ref=f"{table}?{query}", source_file=raw["source_file"].astype(str),
        source_sha256=raw["source_sha256"].astype(str), retrieved=str(provenance.get("fetched_at") or UNKNOWN),
        released=str(provenance.get("updated") or UNKNOWN))
    # The release a value belongs to: SSB's `updated` stamp of the table, else the fetch time.
    out["_release"] = str(provenance.get("updated") or provenance.get("fetched_at") or "")[:10]
    return out[TIDY_COLUMNS + ["_release"]]


def _has_raw_snapshot(table: str, query: Mapping | None = None) -> bool:
    """A raw snapshot of the table exists (and, with ``query``, holds a response to it: a fetch
    limited with --indicator stores only the queries of those indicators)."""
    from indikatorer.data import snapshot

    if not snapshot.snapshot_dates(str(table), paths.RAW_DIR):
        return False
    return query is None or snapshot.holds_query(str(table), query)


def resolve_overlaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Where an API row and a published row share a key, keep the one from the newer release
    (``_release``, ISO date; a tie goes to the statbank table) and record the choice in the kept
    row's ``note``. Keys within one source kind are left alone (the contract reports those)."""
    if "_release" not in frame.columns:
        return frame
    frame = frame.reset_index(drop=True)
    key = frame[KEY_COLUMNS].astype(str).agg("\x1f".join, axis=1)
    mixed = frame.groupby(key)["source_kind"].transform("nunique") > 1
    keep = ~mixed
    notes = frame["note"].astype(str).copy()
    for _, index in frame[mixed].groupby(key[mixed]).groups.items():
        rows = frame.loc[index].assign(_api=lambda r: (r["source_kind"] == "ssb_api").astype(int))
        ordered = rows.sort_values(["_release", "_api"], kind="stable").index
        winner, losers = ordered[-1], ordered[:-1]
        keep[winner] = True
        w = frame.loc[winner]
        used = (f"statistikkbanken, tabell {w['source_table']} (oppdatert {w['_release']})"
                if w["source_kind"] == "ssb_api" else f"{w['source_ref']} (publisert {w['_release']})")
        others = "; ".join(
            f"statistikkbanken, tabell {frame.at[i, 'source_table']} (oppdatert {frame.at[i, '_release']})"
            if frame.at[i, "source_kind"] == "ssb_api" else f"{frame.at[i, 'source_ref']} (publisert {frame.at[i, '_release']})"
            for i in losers)
        choice = f"Nyeste utgivelse brukt: {used}; også publisert: {others}."
        notes[winner] = f"{notes[winner]} {choice}".strip()
    return frame.assign(note=notes)[keep].drop(columns="_release").reset_index(drop=True)


def gap_rows(base: pd.DataFrame, indicator_id: str, reference_group: str) -> pd.DataFrame:
    """Each group's value minus the reference group's, for the same year, sex, age, region,
    botid and extra breakdown. A gap has a number (status ok) only when both inputs have one;
    nil counts as a number (a true zero). Rows without a reference row are left out."""
    match = ["year", "sex", "age", "geography", "region", "botid", "other_dim", "other_value"]
    ref = base[base["group"] == reference_group]
    groups = base[base["group"] != reference_group]
    pairs = groups.merge(ref, on=match, suffixes=("", "_ref"))
    usable = pairs["status"].isin(["ok", "nil"]) & pairs["status_ref"].isin(["ok", "nil"])
    status = np.where(usable, "ok", np.where(pairs["status"].isin(["ok", "nil"]), pairs["status_ref"], pairs["status"]))
    both = lambda col, sep: np.where(pairs[col] == pairs[f"{col}_ref"], pairs[col],  # noqa: E731
                                     pairs[col] + sep + pairs[f"{col}_ref"])
    gaps = pairs[match].assign(
        indicator=indicator_id,
        period=pairs["period"],
        group=pairs["group"],
        region_label=pairs["region_label"],
        unit="prosentpoeng",
        value=np.where(usable, pairs["value"] - pairs["value_ref"], np.nan),
        # a gap is no more precise than its coarser input (40 − 63,7 → −24)
        decimals=np.minimum(pairs["decimals"], pairs["decimals_ref"]),
        status=status,
        source_kind="derived",
        source_table=both("source_table", " | "),
        source_ref=pairs["source_ref"] + " minus " + pairs["source_ref_ref"],
        source_file=both("source_file", " | "),
        source_sha256=both("source_sha256", " | "),
        # the later of the two inputs' times; "unknown" when either is unknown
        retrieved=[max(a, b) for a, b in zip(pairs["retrieved"], pairs["retrieved_ref"])],
        released=[max(a, b) for a, b in zip(pairs["released"], pairs["released_ref"])],
        note=f"Differanse mot {reference_group} i prosentpoeng, regnet ut fra de publiserte tallene.",
    )
    return gaps[TIDY_COLUMNS]


# --------------------------------------------------------------------------- small numbers

# The key a rate and its count share (the indicator aside).
COUNT_MATCH = [c for c in KEY_COLUMNS if c != "indicator"]


def group_sizes(rates: pd.DataFrame, counts: pd.DataFrame, role: str) -> pd.Series:
    """The number of persons each rate row rests on (its group), aligned with ``rates.index``.

    ``counts`` are the rows of the catalogue's ``counts`` indicator; the count for the same key
    (year, group, sex, age, region, botid, other_dim/other_value) is the group itself
    (``role`` denominator) or the persons with the outcome (numerator: group = count ÷ rate × 100,
    rounded to whole persons). NaN where no count is known, the rate has no number, or a
    numerator cannot give the group (a rate of 0)."""
    if role not in ("numerator", "denominator"):
        raise ValueError(f"role must be numerator or denominator, got {role!r}")

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[COUNT_MATCH].copy()
        out["year"] = out["year"].astype("int64")
        for column in COUNT_MATCH[1:]:
            out[column] = out[column].fillna("").astype(str)
        return out

    known = counts[pd.to_numeric(counts["value"], errors="coerce").notna()]
    known = keyed(known).assign(_count=known["value"].astype(float).to_numpy())
    known = known.drop_duplicates(COUNT_MATCH)
    count = keyed(rates).merge(known, on=COUNT_MATCH, how="left")["_count"].to_numpy()
    rate = pd.to_numeric(rates["value"], errors="coerce").to_numpy(dtype=float)
    if role == "denominator":
        size = np.where(np.isnan(rate), np.nan, count)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            size = np.where(rate > 0, np.round(count / rate * 100), np.nan)
    return pd.Series(size, index=rates.index, dtype="float64")


def indicator_group_sizes(observations: pd.DataFrame, indicator: Any) -> pd.DataFrame:
    """The rows of a rate indicator with a known count, with their group size in ``n``
    (KEY_COLUMNS + ``n``); empty when the catalogue names no ``counts`` for it."""
    counts = _field(indicator, "counts")
    rates = observations[observations["indicator"] == _field(indicator, "id")]
    if not counts or rates.empty:
        return pd.DataFrame(columns=KEY_COLUMNS + ["n"])
    n = group_sizes(rates, observations[observations["indicator"] == counts["indicator"]], counts["role"])
    return rates[KEY_COLUMNS].assign(n=n)[n.notna()].reset_index(drop=True)


def apply_small_numbers(by_id: Mapping[str, pd.DataFrame], indicators: Sequence[Any]) -> dict[str, pd.DataFrame]:
    """SSB's rule for small numbers, applied once where the data enter: a rate whose group has
    fewer than ``small_numbers.MIN_COUNT`` persons (known from the catalogue's ``counts``) gets no number,
    status ``suppressed`` and the note ``small_numbers.SMALL_NUMBER_NOTE``. Rates without a known count
    are left as published (SSB has applied its own suppression to what it printed)."""

    out = dict(by_id)
    for ind in indicators:
        counts, ind_id = _field(ind, "counts"), _field(ind, "id")
        if not counts or ind_id not in out or counts.get("indicator") not in out:
            continue
        rates = out[ind_id]
        n = group_sizes(rates, out[counts["indicator"]], counts["role"])
        out[ind_id] = small_numbers.apply_small_number_rule(rates.assign(_n=n), "value", "_n",
                                                     note_col="note").drop(columns="_n")
    return out


def build_observations(catalogue: Any, *, published: pd.DataFrame | None = None,
                       include_api: bool = True, codes: Codes | None = None) -> pd.DataFrame:
    """The tidy table for a catalogue (not cached, not filtered by year, not validated)."""
    from indikatorer.data.published import load_published

    codes = codes or load_codes()
    indicators = list(_field(catalogue, "indicators") or [])
    frames: dict[str, list[pd.DataFrame]] = {}
    for ind in indicators:
        if _field(ind, "derived"):
            continue
        ind_id = _field(ind, "id")
        parts = frames.setdefault(ind_id, [])
        for source in _field(ind, "sources") or []:
            if source.get("kind") == "published":
                if published is None:
                    published = load_published()
                parts.append(_published_rows(ind_id, source, published))
            elif source.get("kind") == "ssb_api" and include_api and source.get("status") != "none" \
                    and source.get("table") and _has_raw_snapshot(source["table"], source.get("query")):
                parts.append(_api_rows(ind, source, codes))
    # One value per key: where a fetched table and a published page both give it, the newer wins.
    by_id = {i: resolve_overlaps(pd.concat(p, ignore_index=True)) for i, p in frames.items() if p}
    by_id = apply_small_numbers(by_id, indicators)  # before the gaps: a suppressed rate has none
    sourced = {_field(ind, "id"): ind for ind in indicators}
    for ind in indicators:
        derived = _field(ind, "derived")
        if not derived:
            continue
        ind_id, base_id = _field(ind, "id"), derived.get("from")
        if derived.get("op") != "gap":
            raise ObservationsError(f"{ind_id}: unknown derived op {derived.get('op')!r}")
        if base_id not in by_id:
            raise ObservationsError(f"{ind_id}: derived from {base_id!r}, which has no rows")
        reference = _field(ind, "reference_group") or _field(sourced.get(base_id), "reference_group")
        if not reference:
            raise ObservationsError(f"{ind_id}: a gap needs a reference_group (on it or on {base_id})")
        base = by_id[base_id]
        if derived.get("groups"):  # the groups a gap is computed for; the catalogue's choice
            base = base[base["group"].isin(set(derived["groups"]) | {reference})]
        by_id[ind_id] = gap_rows(base, ind_id, reference)
    if not by_id:
        return _empty_table()
    table = pd.concat(list(by_id.values()), ignore_index=True)[TIDY_COLUMNS]
    return _with_contract_dtypes(table)


def _empty_table() -> pd.DataFrame:
    return _with_contract_dtypes(pd.DataFrame({c: [] for c in TIDY_COLUMNS}))


def _with_contract_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    if frame["decimals"].notna().all():  # else left as it is, for the contract to name the rows
        frame["decimals"] = frame["decimals"].astype("int64")
    for column in STRING_COLUMNS:
        frame[column] = frame[column].fillna("").astype(str)
    return frame.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)


@functools.lru_cache(maxsize=16)
def _load_default(year_max: int | None, include_api: bool) -> pd.DataFrame:
    from indikatorer.data.catalogue import load_catalogue

    if year_max is not None:  # the whole table is built once per process, whatever the year
        table = _load_default(None, include_api)
        return table[table["year"] <= year_max].reset_index(drop=True)
    catalogue = load_catalogue()
    table = build_observations(catalogue, include_api=include_api)
    validate_observations(table, catalogue)
    return table if year_max is None else table[table["year"] <= year_max].reset_index(drop=True)


def load_observations(catalogue: Any = None, *, year_max: int | None = None,
                      include_api: bool = True) -> pd.DataFrame:
    """The validated tidy table for every indicator of the catalogue.

    ``year_max`` drops later years (an edition's ``year``). With the project's own catalogue
    (``catalogue=None``) the table is cached per process and per arguments; callers get a copy.
    """
    if catalogue is None:
        return _load_default(year_max, include_api).copy()
    table = build_observations(catalogue, include_api=include_api)
    validate_observations(table, catalogue)
    return table if year_max is None else table[table["year"] <= year_max].reset_index(drop=True)


def clear_cache() -> None:
    """Forget cached tables and vocabularies (after the data files changed in this process)."""
    _load_default.cache_clear()
    _clear_codes_cache()


# --------------------------------------------------------------------------- the contract


def _show(rows: pd.DataFrame) -> str:
    shown = rows.head(MAX_SHOWN_ROWS)
    cols = [c for c in ["indicator", "year", "period", "group", "sex", "age", "geography", "region", "botid",
                        "other_value", "unit", "value", "status", "source_ref"] if c in rows.columns]
    text = shown[cols].to_string(index=False, max_colwidth=60)
    more = f"\n  … and {len(rows) - MAX_SHOWN_ROWS} more row(s)" if len(rows) > MAX_SHOWN_ROWS else ""
    return "\n".join("  " + line for line in text.splitlines()) + more


def _problem(rows: pd.DataFrame, what: str) -> str:
    ids = sorted(rows["indicator"].astype(str).unique()) if "indicator" in rows.columns else []
    return f"{', '.join(ids) or '(no indicator)'}: {len(rows)} row(s) {what}\n{_show(rows)}"


def _is_str_column(column: pd.Series) -> bool:
    """Plain text: pandas' str dtype (or object) holding only str, never NaN."""
    return ((isinstance(column.dtype, pd.StringDtype) or column.dtype == object)
            and all(isinstance(v, str) for v in column))


def validate_observations(df: pd.DataFrame, catalogue: Any, *, codes: Codes | None = None) -> None:
    """Check the tidy contract; raise ObservationsError naming the indicator(s) and showing up to
    10 offending rows for every problem found."""
    ids = sorted(df["indicator"].astype(str).unique()) if "indicator" in df.columns else []
    missing = [c for c in TIDY_COLUMNS if c not in df.columns]
    extra = [c for c in df.columns if c not in TIDY_COLUMNS]
    if missing or extra:
        raise ObservationsError(f"{', '.join(ids) or 'observations'}: columns differ from the contract"
                                f" (missing: {missing or 'none'}; extra: {extra or 'none'})")
    problems = []
    wrong = [f"{c} is {df[c].dtype}, not int64" for c in ["year"] if df[c].dtype != "int64"]
    wrong += [f"{c} is {df[c].dtype}, not float64" for c in ["value"] if df[c].dtype != "float64"]
    if df["decimals"].dtype != "int64":
        bad = df[pd.to_numeric(df["decimals"], errors="coerce").isna()]
        wrong.append(f"decimals is {df['decimals'].dtype}, not int64"
                     + (f" ({_problem(bad, 'without decimals')})" if len(bad) else ""))
    wrong += [f"{c} is {df[c].dtype}, not str" for c in STRING_COLUMNS if not _is_str_column(df[c])]
    if wrong:
        raise ObservationsError(f"{', '.join(ids) or 'observations'}: wrong dtypes: {'; '.join(wrong)}")

    codes = codes or load_codes()
    known_ids = {_field(ind, "id") for ind in _field(catalogue, "indicators") or []}
    unknown = df[~df["indicator"].isin(known_ids)]
    if len(unknown):
        problems.append(_problem(unknown, "with an indicator the catalogue does not have"))
    for column, vocabulary in CODED_COLUMNS.items():
        bad = df[~df[column].map(lambda code: codes.is_known(vocabulary, code))]
        if len(bad):
            problems.append(_problem(bad, f"with unknown {column} code(s) {sorted(bad[column].unique())[:10]}"
                                          f" (codes.yml {vocabulary})"))
    units = {_field(ind, "id"): _field(ind, "unit") for ind in _field(catalogue, "indicators") or []}
    mismatch = df[df["indicator"].isin(known_ids) & (df["unit"] != df["indicator"].map(units))]
    if len(mismatch):
        problems.append(_problem(mismatch, "whose unit differs from the catalogue's"))
    geography = df[~df["geography"].str.fullmatch(GEOGRAPHY_PATTERN)]
    if len(geography):
        problems.append(_problem(geography, f"with a geography not of the form {GEOGRAPHY_PATTERN!r} "
                                            "(\"0\" Norway, F03 county, K0301 municipality)"))
    kinds = df[~df["source_kind"].isin(SOURCE_KINDS)]
    if len(kinds):
        problems.append(_problem(kinds, f"with source_kind not in {SOURCE_KINDS}"))
    negative = df[df["decimals"] < 0]
    if len(negative):
        problems.append(_problem(negative, "with negative decimals (the decimals as published)"))
    percent = df[(df["unit"] == "prosent") & ((df["value"] < 0) | (df["value"] > 100))]
    if len(percent):
        problems.append(_problem(percent, "with prosent values outside 0–100"))
    problems += _status_problems(df)
    duplicated = df[df.duplicated(KEY_COLUMNS, keep=False)].sort_values(KEY_COLUMNS)
    if len(duplicated):
        problems.append(_problem(duplicated, "share a key (indicator, year, group, sex, age, geography, region,"
                                             " botid, other_dim, other_value); narrow the source with 'where'"))
    if problems:
        raise ObservationsError("the observations table breaks its contract:\n" + "\n".join(problems))


def _status_problems(df: pd.DataFrame) -> list[str]:
    value = df["value"]
    checks = [
        (~df["status"].isin(STATUSES), f"with a status not in {STATUSES}"),
        ((df["status"] == "ok") & value.isna(), "with status ok but no value"),
        (df["status"].isin(NO_NUMBER_STATUSES) & value.notna(),
         "with a number although the status says there is none (missing/not_available/suppressed/not_applicable)"),
        ((df["status"] == "nil") & (value != 0), "with status nil but a value other than 0"),
    ]
    return [_problem(df[mask], what) for mask, what in checks if mask.any()]


# --------------------------------------------------------------------------- CLI
