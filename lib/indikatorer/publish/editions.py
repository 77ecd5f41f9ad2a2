"""Editions compared: `verify-edition` (rebuild and compare every hash) and `diff-editions`
(revised values, new years, new indicators between two built editions)."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from indikatorer.core.hashing import sha256_file
from indikatorer.publish import build
from indikatorer.publish.edition import NOTEBOOK_COPIES
from indikatorer.publish.manifest import FIGURES_DIRNAME, MANIFEST_NAME, load_manifest


@dataclass(frozen=True)
class Difference:
    path: str
    reason: str
    expected: str | None = None
    found: str | None = None


def output_hashes(manifest: dict) -> dict[str, str]:
    """Every output file the manifest vouches for → its sha256."""
    hashes = dict(manifest.get("files", {}))
    for entry in manifest.get("figures", []) + manifest.get("tables", []):
        for key in ("png", "csv", "provenance"):
            if key in entry:
                hashes[entry[key]] = entry[f"{key}_sha256"]
    return hashes


def why_different(old: dict, new: dict) -> str:
    """Why two builds of the same parameters may differ, as far as the manifests can tell."""
    if old.get("data_snapshot") != new.get("data_snapshot"):
        return "other inputs (the data snapshot differs)"

    def notebook_sources(m):
        return {n["path"]: n["source_sha256"] for n in m.get("notebooks", [])}

    if (old.get("code") != new.get("code") or old.get("packages") != new.get("packages")
            or notebook_sources(old) != notebook_sources(new)):
        return ("other code (git commit, package source, book sources, package versions or "
                "notebook sources differ)")
    return "non-deterministic output"


def compare_editions(edition_dir: Path, rebuilt_dir: Path,
                     notebooks: set[str] | None = None) -> list[Difference]:
    """Outputs of an edition that do not match its own manifest or a rebuild of it. When the
    rebuild ran only `notebooks` (staging-relative paths), only their outputs are compared with
    it; every output is still checked against the manifest."""
    edition_dir, rebuilt_dir = Path(edition_dir), Path(rebuilt_dir)
    old, new = load_manifest(edition_dir), load_manifest(rebuilt_dir)
    recorded_hashes = output_hashes(old)
    if notebooks is None:
        compared, rebuilt_hashes = set(recorded_hashes), output_hashes(new)
    else:
        compared = set(_outputs_of(old, notebooks))
        # (the executed notebooks only where the edition offers them: a rendered one)
        rebuilt_hashes = _outputs_of(new, notebooks, rebuilt_dir if "files" in old else None)
    cause = why_different(old, new)
    differences = []
    for path in sorted(_files_in(edition_dir, old) - set(recorded_hashes)):
        differences.append(Difference(path, "added after the build (not in its manifest)",
                                      None, sha256_file(edition_dir / path)))
    for path in sorted(set(recorded_hashes) | set(rebuilt_hashes)):
        recorded, rebuilt = recorded_hashes.get(path), rebuilt_hashes.get(path)
        if recorded is None:
            differences.append(Difference(path, "only in the rebuild: " + cause, None, rebuilt))
            continue
        on_disk = edition_dir / path
        actual = sha256_file(on_disk) if on_disk.is_file() else None
        if actual != recorded:
            what = "missing from the edition" if actual is None else "changed after the build"
            differences.append(Difference(path, f"{what} (does not match its manifest)",
                                          recorded, actual))
        elif path not in compared:
            continue  # not rebuilt: matching its manifest is all there is to check
        elif rebuilt is None:
            differences.append(Difference(path, "not made by the rebuild: " + cause,
                                          recorded, None))
        elif rebuilt != recorded:
            differences.append(Difference(path, cause, recorded, rebuilt))
    return differences


def _outputs_of(manifest: dict, notebooks: set[str], staging: Path | None = None) -> dict[str, str]:
    """What these notebooks made → sha256: their figures and tables as the manifest records
    them, and each executed notebook as a rendered edition offers it for download (`notatbok/`):
    read from a `staging` folder, else as the manifest records it."""
    mine = {kind: [e for e in manifest.get(kind, []) if e.get("notebook") in notebooks]
            for kind in ("figures", "tables")}
    hashes = output_hashes(mine)
    for rel in notebooks:
        copy = (Path(rel).parent / NOTEBOOK_COPIES / Path(rel).name).as_posix()
        if staging is None and copy in manifest.get("files", {}):
            hashes[copy] = manifest["files"][copy]
        elif staging is not None and (staging / rel).is_file():
            hashes[copy] = sha256_file(staging / rel)
    return hashes


def _files_in(edition_dir: Path, manifest: dict) -> set[str]:
    """The files an edition folder holds that its manifest should account for: all of them in
    a rendered edition (the manifest lists every file), the figure folders' in an unrendered
    one (whose staging folder also holds notebooks, logs and build records)."""
    if "files" in manifest:
        files = (p for p in edition_dir.rglob("*") if p.name != MANIFEST_NAME)
    else:
        files = edition_dir.glob(f"*/{FIGURES_DIRNAME}/*")
    return {p.relative_to(edition_dir).as_posix() for p in files if p.is_file()}


def verify_edition(edition_dir: Path, *, project_root: Path | None = None,
                   work_dir: Path | None = None, executor_name: str = "threads",
                   scheduler: str | None = None, only: list[str] | None = None) -> list[Difference]:
    """Rebuild an edition with the parameters in its manifest (in a temporary folder, never over
    `_book/<year>`, on the executor named) and return every output whose sha256 differs and
    every file added to the edition after it was built.

    `only` (notebook stems) rebuilds just those notebooks, unrendered, and compares what they
    make — their figures and tables and the executed notebook — instead of every output: a
    quicker check of one chapter. The edition's own files are still checked against its
    manifest, all of them."""
    edition_dir = Path(edition_dir)
    manifest = load_manifest(edition_dir)
    params = dict(manifest["edition"])
    year = params.pop("year")
    with tempfile.TemporaryDirectory(prefix="indikatorer-verify-", dir=work_dir) as tmp:
        tmp = Path(tmp)
        result = build.build_edition(
            year=year, overrides=params, only=only, force=True,
            render=manifest.get("renderer") is not None and not only,
            project_root=project_root, build_dir=tmp / "build", book_dir=tmp / "_book",
            executor_name=executor_name, scheduler=scheduler)
        return compare_editions(edition_dir, result.edition_dir,
                                notebooks=set(result.ran) if only else None)


# --- diff-editions ------------------------------------------------------------------------------

def _read_data_csv(path: Path):
    import pandas as pd

    return pd.read_csv(path, keep_default_na=True)


def _plain(value):
    """A CSV cell as a JSON-friendly value (NaN → None, numpy scalars → Python)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _key_value(value):
    """A key cell as a plain value: None for an empty cell (pandas reads it as NaN), 2015 for
    2015.0 (a column with an empty cell is read as floats)."""
    value = _plain(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _key_text(value) -> str:
    """A key cell as text, so that the same row matches in A and B."""
    value = _key_value(value)
    return "" if value is None else str(value)


# Columns that identify a row of a figure's data CSV (the tidy contract's keys); every other
# shared column (value, status, fit, ci_low …) is a value that may be revised.
KEY_COLUMNS = ("indicator", "year", "period", "group", "sex", "age", "geography", "region", "botid",
               "other_dim", "other_value", "segment", "series", "unit")


def _compare_data(label: str, a, b) -> tuple[list[dict], int, int, set]:
    """Changed values for the same keys in two versions of one figure's data CSV.

    Returns (changes, rows only in b, rows only in a, years only in b).
    """
    shared = [c for c in a.columns if c in b.columns]
    key_cols = [c for c in shared if c in KEY_COLUMNS]
    value_cols = [c for c in shared if c not in KEY_COLUMNS]
    new_years = set()
    if "year" in shared:
        new_years = set(b["year"].dropna().astype(int)) - set(a["year"].dropna().astype(int))
    if not key_cols:
        return [], 0, 0, new_years

    def keyed(df):
        keys = df[key_cols].apply(lambda column: column.map(_key_text)).agg("\x1f".join, axis=1)
        return df.assign(_key=keys).drop_duplicates("_key")

    merged = keyed(a).merge(keyed(b), on="_key", how="outer", suffixes=("_a", "_b"), indicator=True)
    changes = []
    for _, row in merged[merged["_merge"] == "both"].iterrows():
        for col in value_cols:
            old, new = _plain(row[f"{col}_a"]), _plain(row[f"{col}_b"])
            if old != new:
                key = {c: _key_value(row[f"{c}_a"]) for c in key_cols}
                changes.append({"label": label, "key": key, "column": col, "a": old, "b": new})
    only_b = int((merged["_merge"] == "right_only").sum())
    only_a = int((merged["_merge"] == "left_only").sum())
    return changes, only_b, only_a, new_years


def diff_editions(a_dir: Path, b_dir: Path) -> dict:
    """What changed from edition A to edition B: figures, indicators, years and data values."""
    a_dir, b_dir = Path(a_dir), Path(b_dir)
    a, b = load_manifest(a_dir), load_manifest(b_dir)
    a_entries = {e["id"]: e for e in a.get("figures", []) + a.get("tables", [])}
    b_entries = {e["id"]: e for e in b.get("figures", []) + b.get("tables", [])}
    a_indicators = {i for e in a_entries.values() for i in e.get("indicators", [])}
    b_indicators = {i for e in b_entries.values() for i in e.get("indicators", [])}
    changed, rows_added, rows_removed, new_years = [], {}, {}, set()
    for entry_id in sorted(set(a_entries) & set(b_entries)):
        ea, eb = a_entries[entry_id], b_entries[entry_id]
        if "csv" not in ea or "csv" not in eb:
            continue
        if ea.get("csv_sha256") == eb.get("csv_sha256"):
            continue
        changes, only_b, only_a, years = _compare_data(
            entry_id, _read_data_csv(a_dir / ea["csv"]), _read_data_csv(b_dir / eb["csv"]))
        changed.extend(changes)
        if only_b:
            rows_added[entry_id] = only_b
        if only_a:
            rows_removed[entry_id] = only_a
        new_years |= years
    a_year, b_year = a["edition"].get("year"), b["edition"].get("year")
    if isinstance(a_year, int) and isinstance(b_year, int):
        new_years |= set(range(a_year + 1, b_year + 1))
    return {
        "a": {"path": str(a_dir), "edition": a["edition"]},
        "b": {"path": str(b_dir), "edition": b["edition"]},
        "new_figures": sorted(set(b_entries) - set(a_entries)),
        "dropped_figures": sorted(set(a_entries) - set(b_entries)),
        "new_indicators": sorted(b_indicators - a_indicators),
        "dropped_indicators": sorted(a_indicators - b_indicators),
        "new_years": sorted(int(y) for y in new_years),
        "changed_values": changed,
        "rows_added": rows_added,
        "rows_removed": rows_removed,
        "data_snapshot_changed": sorted(
            path for path in set(a.get("data_snapshot", {})) | set(b.get("data_snapshot", {}))
            if a.get("data_snapshot", {}).get(path) != b.get("data_snapshot", {}).get(path)),
    }


def format_diff(diff: dict) -> str:
    lines = [f"Edition A: {diff['a']['path']} (year {diff['a']['edition'].get('year')})",
             f"Edition B: {diff['b']['path']} (year {diff['b']['edition'].get('year')})"]

    def listing(title, items):
        lines.append(f"{title}: {', '.join(map(str, items)) if items else 'none'}")

    listing("New years", diff["new_years"])
    listing("New figures/tables", diff["new_figures"])
    listing("Dropped figures/tables", diff["dropped_figures"])
    listing("New indicators", diff["new_indicators"])
    listing("Dropped indicators", diff["dropped_indicators"])
    listing("Data snapshot files changed", diff["data_snapshot_changed"])
    for title, key in (("Rows added", "rows_added"), ("Rows removed", "rows_removed")):
        counts = diff[key]
        listing(title, [f"{k} ({n})" for k, n in sorted(counts.items())])
    lines.append(f"Changed values (same keys): {len(diff['changed_values'])}")
    for c in diff["changed_values"]:
        key = ", ".join(f"{k}={v}" for k, v in c["key"].items())
        lines.append(f"  {c['label']} [{key}] {c['column']}: {c['a']} → {c['b']}")
    return "\n".join(lines) + "\n"
