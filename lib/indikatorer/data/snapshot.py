"""The raw store: API responses exactly as received, each with a checksummed sidecar.

Layout: ``data/raw/ssb/<table>/<fetch date YYYY-MM-DD>/data.json``. A fetch that needed several
requests (a query split at the cell limit, or several catalogue queries on one table) adds
``data-2.json``, ``data-3.json`` … in the same folder; each file's sidecar records which query
and which part it is.

Sidecar convention (shared with ``published``): every committed data file F has ``F.meta.json``
beside it with at least ``file`` (F's name) and ``sha256`` (of F's bytes), plus provenance.
``verify_file`` checks one file; ``verify_snapshot`` checks every sidecar under data/.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from indikatorer.core import paths
from indikatorer.core.hashing import sha256_bytes, sha256_file  # noqa: F401 (also used from here)

from indikatorer.data import jsonstat, pxquery, ssb
from indikatorer.core.errors import UserError

ATTRIBUTION = "Kilde: Statistisk sentralbyrå (SSB)"
# SSB's API guide: "API-et benytter Creative Commons-lisensen CC BY 4.0"
# (https://www.ssb.no/api/api-mot-statistikkbanken--brukerveiledning). ssb.no's web content
# is under NLOD (https://www.ssb.no/informasjon/copyright); both ask for attribution to SSB.
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
SIDECAR_SUFFIX = ".meta.json"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATA_FILE = re.compile(r"^data(?:-(\d+))?\.json$")


class SnapshotError(UserError):
    """A snapshot is missing, incomplete or not what its sidecar says."""


class ChecksumError(SnapshotError):
    """A file's bytes no longer match the sha256 recorded in its sidecar."""


def display_path(path: Path) -> str:
    """The path relative to the project root when it is inside it (as the tidy table stores it)."""
    try:
        return Path(path).resolve().relative_to(paths.PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- files + sidecars


def sidecar_path(path: Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and os.replace: readers never see half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_with_sidecar(path: Path, data: bytes, meta: Mapping[str, Any]) -> dict:
    """Write F and F.meta.json (``file``, ``sha256``, ``size`` first, then ``meta``)."""
    path = Path(path)
    record = {"file": path.name, "sha256": sha256_bytes(data), "size": len(data), **meta}
    atomic_write_bytes(path, data)
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(sidecar_path(path), text.encode("utf-8"))
    return record


def _read_sidecar(path: Path) -> dict:
    side = sidecar_path(path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{display_path(path)}: no sidecar {side.name}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{display_path(side)}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or not meta.get("sha256"):
        raise SnapshotError(f"{display_path(side)}: no sha256 recorded")
    if meta.get("file") != path.name:
        raise SnapshotError(f"{display_path(side)}: describes {meta.get('file')!r}, not {path.name!r}")
    return meta


def _check_digest(path: Path, digest: str, meta: Mapping) -> None:
    if digest != meta["sha256"]:
        raise ChecksumError(
            f"{display_path(path)}: checksum mismatch, sha256 is {digest} but "
            f"{sidecar_path(path).name} records {meta['sha256']}; the file changed after it was written"
        )


def verify_file(path: Path) -> dict:
    """Check F against F.meta.json and return the sidecar; raises naming the file."""
    path = Path(path)
    meta = _read_sidecar(path)
    if not path.is_file():
        raise SnapshotError(f"{display_path(path)}: file missing (its sidecar exists)")
    _check_digest(path, sha256_file(path), meta)
    return meta


def read_verified(path: Path) -> tuple[bytes, dict]:
    """F's bytes and sidecar, after checking the bytes read against the recorded sha256."""
    path = Path(path)
    meta = _read_sidecar(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{display_path(path)}: file missing (its sidecar exists)") from None
    _check_digest(path, sha256_bytes(data), meta)
    return data, meta


# --------------------------------------------------------------------------- the SSB store


def normalise_query(query: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """A catalogue query with every value a list of strings (YAML may give 2020 or a scalar)."""
    normal = {}
    for dim, values in (query or {}).items():
        values = values if isinstance(values, (list, tuple)) else [values]
        normal[str(dim)] = [str(v) for v in values]
    return normal


def _query_key(query: Mapping[str, Any] | None) -> str:
    return json.dumps(normalise_query(query), sort_keys=True, ensure_ascii=False)


def _table_dir(table: str, raw_dir: Path | None) -> Path:
    return Path(raw_dir or paths.RAW_DIR) / "ssb" / str(table)


def save_snapshot(table: str, fetches: Sequence[tuple[Mapping[str, Any], Sequence[ssb.RawResponse]]], *,
                  api_url: str, raw_dir: Path | None = None, fetch_date: str | None = None) -> Path:
    """Store one table's responses as ``<raw>/ssb/<table>/<date>/`` and return that folder.

    ``fetches`` pairs each catalogue query with its responses (several if split). The date is
    the UTC date of the first response unless ``fetch_date`` is given. The folder is built
    under a temporary name and swapped in whole, so an existing snapshot of the same date is
    replaced only by a complete one; other dates are never touched. Callers fetch everything
    first, so a failed fetch writes nothing.
    """
    responses = [r for _, rs in fetches for r in rs]
    if not responses:
        raise SnapshotError(f"table {table}: nothing to store")
    date = fetch_date or responses[0].fetched_at[:10]
    if not _DATE.match(date):
        raise SnapshotError(f"fetch date {date!r} is not YYYY-MM-DD")
    parent = _table_dir(table, raw_dir)
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / date
    staging = Path(tempfile.mkdtemp(prefix=f".{date}.", suffix=".tmp", dir=parent))
    try:
        number = 0
        for query, parts in fetches:
            for part, raw in enumerate(parts, start=1):
                number += 1
                doc = jsonstat.load_json(raw.content, source=f"table {table} response")
                write_with_sidecar(staging / ("data.json" if number == 1 else f"data-{number}.json"), raw.content, {
                    "source_kind": "ssb_api",
                    "table": str(table),
                    "label": doc.get("label"),
                    "updated": doc.get("updated"),
                    "fetched_at": raw.fetched_at,
                    "method": raw.method,
                    "url": raw.url,
                    "body": raw.body,
                    "query": normalise_query(query),
                    "part": part,
                    "parts": len(parts),
                    "api": api_url,
                    "attribution": ATTRIBUTION,
                    "licence": LICENCE,
                    "licence_url": LICENCE_URL,
                })
        if final.exists():
            old = parent / f".{date}.old-{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            try:
                os.replace(staging, final)
            except BaseException:  # interrupted between the two renames: put the old one back
                os.replace(old, final)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return final


def snapshot_dates(table: str, raw_dir: Path | None = None) -> list[str]:
    """The fetch dates stored for a table, oldest first."""
    folder = _table_dir(table, raw_dir)
    if not folder.is_dir():
        return []
    return sorted(d.name for d in folder.iterdir() if d.is_dir() and _DATE.match(d.name))


def latest_snapshot(table: str, raw_dir: Path | None = None) -> Path:
    """The newest snapshot folder of a table."""
    dates = snapshot_dates(table, raw_dir)
    if not dates:
        raise SnapshotError(f"no snapshot of SSB table {table} under {display_path(_table_dir(table, raw_dir))}; "
                            "run `indikatorer data fetch`")
    return _table_dir(table, raw_dir) / dates[-1]


def holds_query(table: str, query: Mapping[str, Any], date: str | None = None,
                raw_dir: Path | None = None) -> bool:
    """Whether the latest (or ``date``'s) snapshot of a table holds a response to ``query``
    (read from the sidecars; the data files are verified when they are loaded)."""
    folder = _table_dir(table, raw_dir) / date if date else latest_snapshot(table, raw_dir)
    wanted = _query_key(query)
    return any(_query_key(_read_sidecar(path).get("query")) == wanted for path in _data_files(folder))


def _data_files(folder: Path) -> list[Path]:
    found = [(int(m.group(1) or 1), p) for p in folder.iterdir() if (m := _DATA_FILE.match(p.name))]
    return [p for _, p in sorted(found)]


def load_raw(table: str, date: str | None = None, *, query: Mapping[str, Any] | None = None,
             raw_dir: Path | None = None) -> tuple[pd.DataFrame, dict]:
    """The latest (or ``date``'s) snapshot of a table as a tidy DataFrame, checksums verified.

    Columns are those of ``jsonstat.parse_jsonstat`` plus ``source_file`` (relative to the project
    root) and ``source_sha256`` of the response each row came from. When the snapshot holds
    several catalogue queries for the table, pass ``query`` to pick one.
    """
    folder = _table_dir(table, raw_dir) / date if date else latest_snapshot(table, raw_dir)
    if not folder.is_dir():
        dates = ", ".join(snapshot_dates(table, raw_dir)) or "none"
        raise SnapshotError(f"no snapshot of SSB table {table} dated {date} (stored: {dates})")
    groups: dict[str, list[tuple[Path, bytes, dict]]] = {}
    for path in _data_files(folder):
        data, meta = read_verified(path)
        groups.setdefault(_query_key(meta.get("query")), []).append((path, data, meta))
    if not groups:
        raise SnapshotError(f"{display_path(folder)}: no data files")
    if query is not None:
        key = _query_key(query)
        if key not in groups:
            raise SnapshotError(f"{display_path(folder)}: no response for query {key}; stored: {', '.join(groups)}")
    elif len(groups) == 1:
        key = next(iter(groups))
    else:
        raise SnapshotError(f"{display_path(folder)} holds {len(groups)} queries; pass query= one of: "
                            + "; ".join(groups))
    parts = groups[key]
    frames = []
    for path, data, meta in parts:
        frame = jsonstat.parse_jsonstat(data, source=display_path(path))
        frame["source_file"] = display_path(path)
        frame["source_sha256"] = meta["sha256"]
        frames.append(frame)
    first = parts[0][2]
    provenance = {
        "table": str(table),
        "date": folder.name,
        "folder": display_path(folder),
        "query": first.get("query"),
        "files": [display_path(p) for p, _, _ in parts],
        "sha256": [m["sha256"] for _, _, m in parts],
        "urls": [m.get("url") for _, _, m in parts],
        "bodies": [m.get("body") for _, _, m in parts],
        "fetched_at": first.get("fetched_at"),
        "updated": first.get("updated"),
        "label": first.get("label"),
        "attribution": first.get("attribution", ATTRIBUTION),
        "licence": first.get("licence", LICENCE),
        "licence_url": first.get("licence_url", LICENCE_URL),
    }
    return pd.concat(frames, ignore_index=True), provenance


# --------------------------------------------------------------------------- verify


def _hidden(path: Path, root: Path) -> bool:
    """Inside a dot-folder or a dot-file (temporary files and folders of unfinished writes)."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def check_tree(data_dir: Path | None = None) -> list[tuple[Path, str | None]]:
    """(file, problem or None) for every file with a sidecar under data_dir, and every
    file in the SSB raw store that lacks one."""
    root = Path(data_dir or paths.DATA_DIR)
    if not root.is_dir():
        return []
    results: list[tuple[Path, str | None]] = []
    for side in sorted(root.rglob(f"*{SIDECAR_SUFFIX}")):
        if _hidden(side, root):
            continue
        path = side.with_name(side.name[: -len(SIDECAR_SUFFIX)])
        try:
            verify_file(path)
            results.append((path, None))
        except SnapshotError as exc:
            results.append((path, str(exc)))
    store = root / "raw" / "ssb"
    if store.is_dir():
        for path in sorted(store.rglob("*")):
            if (path.is_file() and not _hidden(path, root) and not path.name.endswith(SIDECAR_SUFFIX)
                    and not sidecar_path(path).exists()):
                results.append((path, f"{display_path(path)}: no sidecar {sidecar_path(path).name}"))
    return results


def verify_snapshot(data_dir: Path | None = None) -> list[str]:
    """Every problem found under data/ (empty when all files match their sidecars)."""
    return [problem for _, problem in check_tree(data_dir) if problem]


# --------------------------------------------------------------------------- fetch


def statbank_sources(catalogue: Any, only: Iterable[str] | None = None) -> list[dict]:
    """Every `kind: ssb_api` source of the catalogue (or of the indicators ``only``), in catalogue
    order: indicator, status, table, query (normalised), columns, note and reason."""
    indicators = [catalogue.get(i) for i in only] if only else list(catalogue.indicators)
    entries = []
    for ind in indicators:
        for source in ind.sources:
            if source.get("kind") != "ssb_api":
                continue
            entries.append({"indicator": ind.id, "status": source.get("status", "confirmed"),
                            "table": str(source["table"]) if source.get("table") else None,
                            "query": normalise_query(source.get("query")),
                            "columns": dict(source.get("columns") or {}),
                            "note": source.get("note"), "reason": source.get("reason")})
    return entries


def _by_table(entries: list[dict]) -> dict[str, dict[str, dict]]:
    """table → query key → {query, columns, statuses, indicators} for the fetchable sources."""
    tables: dict[str, dict[str, dict]] = {}
    for e in entries:
        if e["status"] == "none" or not e["table"]:
            continue
        item = tables.setdefault(e["table"], {}).setdefault(
            _query_key(e["query"]), {"query": e["query"], "columns": {}, "statuses": set(), "indicators": []})
        item["columns"].update(e["columns"])
        item["statuses"].add(e["status"])
        item["indicators"].append(e["indicator"])
    return tables


def dry_run(entries: list[dict], client: ssb.SsbClient, out: Callable[[str], None] = print) -> None:
    """Print every statbank source as confirmed / unconfirmed / none with the request it would
    send (the GET form of the data query; the client POSTs the same selection). Sends nothing."""
    for e in entries:
        if e["status"] == "none" or not e["table"]:
            out(f"none         {e['indicator']}: no statbank table; {e['reason'] or e['note'] or ''}".rstrip())
            continue
        out(f"{e['status']:<12} {e['indicator']}: table {e['table']}")
        if e["status"] == "unconfirmed":
            out(f"             first checks the query against GET {client._url(e['table'], 'metadata')}")
        out(f"             GET {client.get_url(e['table'], e['query'])}")
    counts = collections.Counter("none" if e["status"] == "none" or not e["table"] else e["status"]
                                 for e in entries)
    tables = _by_table(entries)
    out(f"{len(entries)} statbank source(s): {counts['confirmed']} confirmed, {counts['unconfirmed']} "
        f"unconfirmed, {counts['none']} none; {len(tables)} table(s) to fetch; dry run, nothing sent")


def fetch_catalogue(catalogue: Any, client: ssb.SsbClient, *, indicators: Iterable[str] | None = None,
                    raw_dir: Path | None = None, out: Callable[[str], None] = print) -> list[Path]:
    """Fetch every ``ssb_api`` source of the catalogue (or of ``indicators``), one snapshot folder
    per table. Each table's queries are first checked against its metadata; a query that does
    not fit is reported (table, dimension, codes) and not sent. Every response is checked
    against its query before anything is stored. A table that fails keeps its previous
    snapshots and the others go on, except when the API cannot be reached: then the whole
    fetch stops at once."""
    entries = statbank_sources(catalogue, indicators)
    skipped = [e["indicator"] for e in entries if e["status"] == "none" or not e["table"]]
    if skipped:
        out(f"skipping {', '.join(dict.fromkeys(skipped))}: no statbank table (status none)")
    tables = _by_table(entries)
    if not tables:
        out("nothing to fetch: no ssb_api sources with a table in the selection")
        return []
    folders, failed = [], []
    for n, (table, queries) in enumerate(tables.items(), start=1):
        ids = sorted({i for item in queries.values() for i in item["indicators"]})
        tag = f"[{n}/{len(tables)}] table {table}"
        out(f"{tag} ({', '.join(ids)}): {len(queries)} quer{'y' if len(queries) == 1 else 'ies'}")
        try:
            meta = client.metadata(table)
            problems = [p for item in queries.values()
                        for p in pxquery.query_problems(table, meta, item["query"], item["columns"])]
            if problems:
                out(f"{tag}: NOT SENT, the catalogue's query does not fit the table's metadata:")
                for problem in problems:
                    out(f"    {problem}")
                failed.append(table)
                continue
            for item in queries.values():
                if "unconfirmed" in item["statuses"]:
                    out(f"{tag}: unconfirmed query for {', '.join(item['indicators'])} fits the table's "
                        "metadata; check the values, then set status: confirmed in data/catalogue.yml")
            fetches = [(item["query"], client.fetch_raw(table, item["query"])) for item in queries.values()]
            folder = save_snapshot(table, fetches, api_url=client.base_url, raw_dir=raw_dir)
        except ssb.SsbUnreachable as exc:
            rest = list(tables)[n:]
            out(f"{tag}: FAILED: {exc}")
            raise UserError(f"{exc}; the fetch stopped (not fetched: {', '.join([table] + rest)}); "
                            "earlier snapshots are unchanged") from exc
        except UserError as exc:
            out(f"{tag}: FAILED: {exc}")
            failed.append(table)
            continue
        size = sum(len(r.content) for _, rs in fetches for r in rs)
        count = sum(len(rs) for _, rs in fetches)
        out(f"{tag}: {count} response(s), {size:,} bytes → {display_path(folder)}")
        folders.append(folder)
    if failed:
        raise UserError(f"fetch failed for table(s) {', '.join(failed)}; their earlier snapshots are unchanged")
    return folders
