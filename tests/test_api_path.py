"""The live API path end to end, over real HTTP on 127.0.0.1: `indikatorer data fetch` from a
PxWebApi v2 stand-in serving one catalogue table (09817) in SSB's JSON-stat2 shape, with the
values SSB printed for it (data/published/observations.csv) → data/raw/ssb/09817/<date>/ in a
temporary copy of the project → observations (the newer release wins over the printed figure,
and says so) → an edition built from that copy, whose figure data, source line and manifest
come from the API snapshot."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from indikatorer.core import paths
from indikatorer.data import pxquery
from indikatorer.core.codes import load_codes
from indikatorer.data.observations import load_observations
from pxweb_server import Reply, Recorded

pytestmark = pytest.mark.slow

TABLE = "09817"
UPDATED = "2025-03-11T07:00:00Z"  # newer than every printed release of these figures
GROUPS = {"B": ("innvandrere", "Innvandrere"), "C": ("norskfodte", "Norskfødte med innvandrerforeldre")}


def printed_population() -> pd.DataFrame:
    """befolkning_antall as the offline book has it: the figures printed on ssb.no."""
    rows = load_observations(include_api=False)
    rows = rows[(rows["indicator"] == "befolkning_antall") & rows["group"].isin(["innvandrere", "norskfodte"])
                & (rows["sex"] == "alle") & (rows["age"] == "alle") & (rows["botid"] == "alle")
                & (rows["other_dim"] == "") & rows["value"].notna()]
    assert not rows.duplicated(["group", "region", "year"]).any()
    return rows


def ssb_label(region: str) -> str:
    """A label SSB prints for a region code (data/codes.yml `ssb_labels`), as a table would name it."""
    import yaml

    entry = next(e for e in yaml.safe_load((paths.CODES_FILE).read_text(encoding="utf-8"))["regions"]
                 if e["code"] == region)
    label = (entry.get("ssb_labels") or [entry["label"]])[0]
    assert load_codes().code_for("regions", label) == region
    return label


def metadata_09817(printed: pd.DataFrame) -> dict:
    """Metadata shaped like SSB's v2 answer for 09817: the catalogue query's dimensions, the
    regions and years of the printed figures, codes and labels as SSB names them."""
    codes = load_codes()
    regions = [r for r in codes.order("regions") if r in set(printed["region"])]
    label = {r: ssb_label(r) for r in regions}
    years = [str(y) for y in sorted(printed["year"].unique())]
    cat = lambda pairs: {"index": {c: i for i, (c, _) in enumerate(pairs)}, "label": dict(pairs)}  # noqa: E731
    return {
        "version": "2.0", "class": "dataset", "source": "Statistisk sentralbyrå", "updated": UPDATED,
        "label": "09817: Innvandrere og norskfødte med innvandrerforeldre, etter region, innvandringskategori, "
                 "landbakgrunn, statistikkvariabel og år",
        "id": ["Region", "InnvandrKat", "Landbakgrunn", "ContentsCode", "Tid"],
        "size": [1, 2, len(regions), 2, len(years)],
        "role": {"time": ["Tid"], "metric": ["ContentsCode"], "geo": ["Region"]},
        "dimension": {
            "Region": {"label": "region", "extension": {"elimination": True},
                       "category": cat([("0", "Hele landet")])},
            "InnvandrKat": {"label": "innvandringskategori", "extension": {"elimination": True},
                            "category": cat([(c, label) for c, (_, label) in GROUPS.items()])},
            "Landbakgrunn": {"label": "landbakgrunn", "extension": {"elimination": True},
                             "category": cat([(f"L{i:02d}", label[r]) for i, r in enumerate(regions)])},
            "ContentsCode": {"label": "statistikkvariabel", "extension": {"elimination": False},
                             "category": {**cat([("Personer1", "Personer"),
                                                 ("AndelBefolkning", "Andel av befolkningen (prosent)")]),
                                          "unit": {"Personer1": {"base": "personer", "decimals": 0},
                                                   "AndelBefolkning": {"base": "prosent", "decimals": 1}}}},
            "Tid": {"label": "år", "extension": {"elimination": False}, "category": cat([(y, y) for y in years])},
        },
        "value": [],
    }


def data_responder(meta: dict, printed: pd.DataFrame):
    """Answer a data POST as PxWebApi does: the selected cells in row-major order, SSB's `..`
    (with a null value) where the table has no figure."""
    value = {(g, r, str(y)): v for g, r, y, v in printed[["group", "region", "year", "value"]].itertuples(index=False)}
    codes = load_codes()

    def respond(record: Recorded) -> Reply:
        selection = {s["variableCode"]: s["valueCodes"] for s in record.body["selection"]}
        chosen = pxquery.expand_selection(meta, selection)
        ids = [d for d in meta["id"] if d in chosen]
        dims = {d: {"label": meta["dimension"][d]["label"],
                    "category": {"index": {c: i for i, c in enumerate(chosen[d])},
                                 "label": {c: meta["dimension"][d]["category"]["label"][c] for c in chosen[d]},
                                 **({"unit": meta["dimension"][d]["category"]["unit"]} if d == "ContentsCode" else {})}}
                for d in ids}
        values, status = [], {}
        sizes = [len(chosen[d]) for d in ids]
        for flat in range(math.prod(sizes)):
            cell, rest = {}, flat
            for d in reversed(ids):
                cell[d] = chosen[d][rest % len(chosen[d])]
                rest //= len(chosen[d])
            region = codes.code_for("regions", meta["dimension"]["Landbakgrunn"]["category"]["label"][cell["Landbakgrunn"]])
            v = value.get((GROUPS[cell["InnvandrKat"]][0], region, cell["Tid"])) if cell["ContentsCode"] == "Personer1" else None
            values.append(v)
            if v is None:
                status[str(flat)] = ".."
        doc = {"version": "2.0", "class": "dataset", "label": meta["label"], "source": meta["source"],
               "updated": UPDATED, "id": ids, "size": sizes, "dimension": dims, "value": values,
               "status": status, "role": meta["role"], "extension": {"px": {"decimals": 0}}}
        return Reply(200, doc)

    return respond


def project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(paths.PROJECT_ROOT, root, ignore=shutil.ignore_patterns(
        ".venv", "build", "_book", ".git", ".quarto", "__pycache__", ".pytest_cache", "raw"))
    return root


def run(root: Path, *args: str, timeout: float = 1500) -> subprocess.CompletedProcess:
    env = {**os.environ, "INDIKATORER_ROOT": str(root)}
    env.pop("SSB_API_URL", None)
    return subprocess.run([str(Path(sys.executable).with_name("indikatorer")), *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_fetch_to_observations_to_a_built_edition(pxweb, tmp_path):
    printed = printed_population()
    meta = metadata_09817(printed)
    pxweb.route("GET", f"tables/{TABLE}/metadata", Reply(200, meta))
    pxweb.route("POST", f"tables/{TABLE}/data", data_responder(meta, printed))
    root = project_copy(tmp_path)

    # 1. fetch: metadata checked first (the query is unconfirmed), then one data request
    done = run(root, "data", "fetch", "--indicator", "befolkning_antall", "--api-url", pxweb.url)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "unconfirmed query for befolkning_antall fits the table's metadata" in done.stdout
    assert [r.method for r in pxweb.requests] == ["GET", "POST"]
    (folder,) = (root / "data" / "raw" / "ssb" / TABLE).iterdir()
    side = json.loads((folder / "data.json.meta.json").read_text())
    assert side["updated"] == UPDATED and side["query"]["ContentsCode"] == ["Personer1"]
    assert run(root, "data", "verify").returncode == 0

    # 2. observations: the fetched values, each the number SSB printed, replace the printed rows
    shown = run(root, "data", "show", "befolkning_antall", "--format", "csv")
    assert shown.returncode == 0, shown.stderr
    from io import StringIO

    rows = pd.read_csv(StringIO(shown.stdout), dtype=str, keep_default_na=False)
    api = rows[rows["source_kind"] == "ssb_api"]
    newest_years = sorted(printed["year"].unique())[-10:]  # the catalogue asks for top(10)
    served = {load_codes().code_for("regions", lab)
              for lab in meta["dimension"]["Landbakgrunn"]["category"]["label"].values()}
    expected = printed[printed["year"].isin(newest_years) & printed["region"].isin(served)]
    assert len(expected) > 50
    assert len(api[api["status"] == "ok"]) == len(expected)
    merged = api.astype({"year": int}).merge(expected, on=["group", "region", "year"], suffixes=("", "_printed"))
    assert len(merged) == len(expected)
    assert (merged["value"].astype(float) == merged["value_printed"]).all()
    assert (merged["source_file"].str.startswith(f"data/raw/ssb/{TABLE}/{folder.name}/data.json")).all()
    assert merged["note"].str.contains(f"Nyeste utgivelse brukt: statistikkbanken, tabell {TABLE} "
                                       f"\\(oppdatert 2025-03-11\\); også publisert: https://").all()
    # the printed rows for those keys are gone (one value per key), older years stay printed
    published = rows[rows["source_kind"] == "published"].astype({"year": int})
    overlap = published.merge(expected, on=["group", "region", "year", "sex", "age", "botid", "other_dim"])
    assert overlap.empty

    # 3. the chapter that shows the population, built from the copy: figure data, source line and
    # manifest from the snapshot
    year = str(max(newest_years))
    built = run(root, "build", "--year", year, "--no-render", "--only", "02-sammendrag")
    assert built.returncode == 0, built.stderr[-3000:] + built.stdout[-3000:]
    edition = root / "build" / year
    provenance = [json.loads(p.read_text()) for p in edition.rglob("figures/befolkning-antall*.json")]
    assert provenance, sorted(p.name for p in edition.rglob("figures/*.json"))[:20]
    text = json.dumps(provenance, ensure_ascii=False)
    assert f"data/raw/ssb/{TABLE}/{folder.name}/data.json" in text
    # the reader's source line under the figure names the statbank table, not a printed page
    notebook = (edition / "chapters" / "02-sammendrag.ipynb").read_text(encoding="utf-8")
    line = (f"Kilde: SSB, tabell [{TABLE}](https://www.ssb.no/statbank/table/{TABLE}) (statistikkbanken) "
            "[· [Last ned data (CSV)](figures/befolkning-antall-landbakgrunn.csv)")
    assert line in notebook
    # the figure's data file holds the fetched numbers
    csv = pd.read_csv(edition / "chapters" / "figures" / "befolkning-antall-landbakgrunn-tabell.csv")
    numbers = set(csv[["innvandrere", "norskfodte"]].apply(pd.to_numeric, errors="coerce").stack().dropna())
    assert numbers and numbers <= set(pd.to_numeric(api["value"], errors="coerce").dropna())
    manifest = json.loads((edition / "manifest.json").read_text())
    assert f"data/raw/ssb/{TABLE}/{folder.name}/data.json" in json.dumps(manifest)
