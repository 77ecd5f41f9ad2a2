"""The raw snapshot store: atomic writes, sidecars, checksums verified on read, verify, fetch."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest

from indikatorer.core import paths

from indikatorer.data import snapshot, ssb
from indikatorer.cli import data as cli_data
from indikatorer.core.errors import UserError
from pxweb_server import (FakeClock, Reply, cube_responder, fixture_bytes, sample_metadata,
                          sample_value)

QUERY = {"Landbakgr": ["*"], "ContentsCode": ["SysselsatteProsent"], "Tid": ["*"]}


def client_for(server, **kwargs) -> ssb.SsbClient:
    clock = FakeClock()
    return ssb.SsbClient(server.url, clock=clock, sleep=clock.sleep,
                         throttle=ssb.Throttle(clock=clock, sleep=clock.sleep), **kwargs)


def serve_table(server, data_route=None):
    meta = sample_metadata()
    server.route("GET", "tables/00001/metadata", Reply(200, meta))
    server.route("POST", "tables/00001/data", data_route or cube_responder(meta, sample_value))


class StubCatalogue:
    """The part of catalogue.Catalogue that fetching uses: .indicators, .get(id), and on each
    indicator .id, .sources and .api_sources (ssb_api sources that name a table)."""

    def __init__(self, *sources_by_indicator):
        self.indicators = [
            SimpleNamespace(id=i, sources=s, api_sources=[x for x in s if x["kind"] == "ssb_api" and x.get("table")])
            for i, s in sources_by_indicator]

    def get(self, indicator_id):
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise UserError(f"unknown indicator '{indicator_id}'")


catalogue = StubCatalogue


def api_source(query=QUERY, table="00001", status="confirmed", columns=None):
    return {"kind": "ssb_api", "statistic": "test", "table": table, "query": query, "status": status,
            "columns": columns or {"Tid": "year"}}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_round_trip_keeps_bytes_and_provenance(pxweb, tmp_path):
    serve_table(pxweb)
    client = client_for(pxweb)
    responses = client.fetch_raw("00001", QUERY)
    folder = snapshot.save_snapshot("00001", [(QUERY, responses)], api_url=client.base_url, raw_dir=tmp_path)
    assert folder == tmp_path / "ssb" / "00001" / responses[0].fetched_at[:10]
    stored = folder / "data.json"
    assert stored.read_bytes() == responses[0].content  # exactly as received
    meta = json.loads((folder / "data.json.meta.json").read_text(encoding="utf-8"))
    assert meta["file"] == "data.json"
    assert meta["sha256"] == hashlib.sha256(stored.read_bytes()).hexdigest() and meta["size"] == stored.stat().st_size
    assert meta["updated"] == "2025-03-14T07:00:00Z" and meta["fetched_at"].endswith("Z")
    assert meta["method"] == "POST" and meta["url"].endswith("/tables/00001/data?lang=no&outputFormat=json-stat2")
    assert meta["body"]["selection"][0] == {"variableCode": "Landbakgr", "valueCodes": ["*"]}
    assert meta["attribution"] == "Kilde: Statistisk sentralbyrå (SSB)" and meta["licence"] == "CC BY 4.0"

    df, prov = snapshot.load_raw("00001", raw_dir=tmp_path)
    fetched = client.fetch("00001", QUERY)
    assert df.drop(columns=["source_file", "source_sha256"]).equals(fetched)
    assert set(df.source_sha256) == {meta["sha256"]}
    assert prov["updated"] == meta["updated"] and prov["query"] == QUERY and prov["date"] == folder.name
    assert snapshot.verify_file(stored)["sha256"] == meta["sha256"]


def test_checksum_mismatch_names_the_file(pxweb, tmp_path):
    serve_table(pxweb)
    client = client_for(pxweb)
    folder = snapshot.save_snapshot("00001", [(QUERY, client.fetch_raw("00001", QUERY))],
                                    api_url=client.base_url, raw_dir=tmp_path, fetch_date="2025-01-02")
    data = folder / "data.json"
    data.write_bytes(data.read_bytes().replace(b"2015", b"2051", 1))
    with pytest.raises(snapshot.ChecksumError, match=r"2025-01-02/data.json: checksum mismatch"):
        snapshot.load_raw("00001", raw_dir=tmp_path)
    (problem,) = snapshot.verify_snapshot(tmp_path)
    assert "data.json: checksum mismatch" in problem
    assert issubclass(snapshot.ChecksumError, UserError)


def test_split_fetch_is_stored_in_parts_and_loads_whole(pxweb, tmp_path):
    serve_table(pxweb)
    client = client_for(pxweb, max_cells=12)
    folders = snapshot.fetch_catalogue(catalogue(("a", [api_source()])), client, raw_dir=tmp_path, out=lambda _: None)
    names = sorted(p.name for p in folders[0].iterdir())
    assert names == ["data-2.json", "data-2.json.meta.json", "data-3.json", "data-3.json.meta.json",
                     "data.json", "data.json.meta.json"]
    parts = [json.loads((folders[0] / n).read_text())["part"] for n in ("data.json.meta.json", "data-2.json.meta.json")]
    assert parts == [1, 2]
    df, prov = snapshot.load_raw("00001", raw_dir=tmp_path)
    assert len(df) == 30 and len(prov["files"]) == 3 and df.source_file.nunique() == 3
    assert sorted(zip(df.Landbakgr, df.Tid)) == sorted((r, str(y)) for r in ("000", "EU-EFTA", "AfrikaAsia")
                                                       for y in range(2015, 2025))
    assert all(v == sample_value({"Landbakgr": r, "Tid": t}) for r, t, v in zip(df.Landbakgr, df.Tid, df.value))


@pytest.mark.parametrize("failure", [Reply(500, "Internal Server Error"), Reply(200, b"", drop=True)],
                         ids=["http-500", "connection-dropped"])
def test_failed_fetch_midway_leaves_previous_snapshot_intact(pxweb, tmp_path, failure):
    serve_table(pxweb)
    cat = catalogue(("a", [api_source()]))
    snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lambda _: None)
    before = tree(tmp_path)

    # The next fetch needs three requests; the second one fails.
    good = cube_responder(sample_metadata(), sample_value)
    replies = iter([good, lambda r: failure])
    serve_table(pxweb, data_route=lambda record: next(replies, good)(record))
    posts_before = len(pxweb.hits("POST", "tables/00001/data"))
    with pytest.raises(UserError, match="fetch failed for table.s. 00001; their earlier snapshots are unchanged"):
        snapshot.fetch_catalogue(cat, client_for(pxweb, max_cells=12, max_total_time=0),
                                 raw_dir=tmp_path, out=lambda _: None)
    assert len(pxweb.hits("POST", "tables/00001/data")) - posts_before == 2  # part 1 arrived, part 2 failed
    assert tree(tmp_path) == before  # same files, same bytes, no temporary leftovers
    assert snapshot.verify_snapshot(tmp_path) == []


def test_refetch_on_the_same_day_replaces_the_whole_folder(pxweb, tmp_path):
    serve_table(pxweb)
    cat = catalogue(("a", [api_source()]))
    snapshot.fetch_catalogue(cat, client_for(pxweb, max_cells=12), raw_dir=tmp_path, out=lambda _: None)
    (folder,) = snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lambda _: None)
    assert sorted(p.name for p in folder.iterdir()) == ["data.json", "data.json.meta.json"]  # no stale parts
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no backup or staging folders


def test_two_queries_on_one_table_share_a_folder_and_load_by_query(pxweb, tmp_path):
    serve_table(pxweb)
    women = {**QUERY, "Kjonn": ["Kvinner"]}
    cat = catalogue(("a", [api_source()]), ("b", [api_source(women), {"kind": "published", "series": "x"}]),
                    ("c", [api_source(QUERY)]))
    lines = []
    snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lines.append)
    assert lines[0] == "[1/1] table 00001 (a, b, c): 2 queries"
    assert len(pxweb.hits("POST", "tables/00001/data")) == 2  # the shared query is fetched once
    with pytest.raises(snapshot.SnapshotError, match="holds 2 queries; pass query="):
        snapshot.load_raw("00001", raw_dir=tmp_path)
    df, prov = snapshot.load_raw("00001", raw_dir=tmp_path, query=women)
    assert set(df.Kjonn_label) == {"Kvinner"} and prov["query"]["Kjonn"] == ["Kvinner"]


def test_sources_without_a_confirmed_table_are_reported_not_fetched(pxweb, tmp_path):
    serve_table(pxweb)
    none = {"kind": "ssb_api", "statistic": "x", "table": None, "status": "none", "reason": "survey only"}
    lines = []
    cat = catalogue(("a", [api_source()]), ("b", [none, {"kind": "published", "series": "y"}]))
    snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lines.append)
    assert lines[0] == "skipping b: no statbank table (status none)"
    assert [p.name for p in (tmp_path / "ssb").iterdir()] == ["00001"]
    with pytest.raises(UserError, match="unknown indicator 'c'"):
        snapshot.fetch_catalogue(cat, client_for(pxweb), indicators=["c"], raw_dir=tmp_path)


def test_latest_snapshot_and_dates(pxweb, tmp_path):
    serve_table(pxweb)
    client = client_for(pxweb)
    responses = client.fetch_raw("00001", QUERY)
    for date in ("2024-12-31", "2025-02-01", "2025-01-15"):
        snapshot.save_snapshot("00001", [(QUERY, responses)], api_url=client.base_url, raw_dir=tmp_path, fetch_date=date)
    (tmp_path / "ssb" / "00001" / ".2026-01-01.x.tmp").mkdir()  # an unfinished write is not a snapshot
    assert snapshot.latest_snapshot("00001", raw_dir=tmp_path).name == "2025-02-01"
    assert snapshot.snapshot_dates("00001", raw_dir=tmp_path) == ["2024-12-31", "2025-01-15", "2025-02-01"]
    assert snapshot.load_raw("00001", "2024-12-31", raw_dir=tmp_path)[1]["date"] == "2024-12-31"
    with pytest.raises(snapshot.SnapshotError, match="no snapshot of SSB table 99999.*indikatorer data fetch"):
        snapshot.latest_snapshot("99999", raw_dir=tmp_path)
    with pytest.raises(snapshot.SnapshotError, match="dated 2023-01-01 .stored: 2024-12-31, 2025-01-15, 2025-02-01."):
        snapshot.load_raw("00001", "2023-01-01", raw_dir=tmp_path)


def test_atomic_write_leaves_no_temporary_file_on_failure(tmp_path):
    with pytest.raises(TypeError):
        snapshot.atomic_write_bytes(tmp_path / "x.json", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def make_data_tree(root: Path) -> None:
    """data/ with an API snapshot, a published table, a tampered file, an orphan and a stray temp dir."""
    folder = root / "raw" / "ssb" / "05300" / "2025-01-01"
    folder.mkdir(parents=True)
    snapshot.write_with_sidecar(folder / "data.json", fixture_bytes("ssb-05300-data.json"), {"table": "05300"})
    published = root / "published"
    published.mkdir()
    snapshot.write_with_sidecar(published / "observations.csv", b"indicator,year,value\nx,2024,1.5\n",
                                {"source_kind": "published", "url": "https://www.ssb.no/"})
    snapshot.write_with_sidecar(published / "old.csv", b"a,b\n1,2\n", {})
    (published / "old.csv").write_bytes(b"a,b\n1,3\n")
    (folder.parent / "2025-02-01").mkdir()
    (folder.parent / "2025-02-01" / "data.json").write_bytes(b"{}")
    stray = folder.parent / ".2025-03-01.abc.tmp"
    stray.mkdir()
    snapshot.write_with_sidecar(stray / "data.json", b"{}", {})


def test_verify_over_a_tree(tmp_path):
    make_data_tree(tmp_path)
    results = {p.relative_to(tmp_path).as_posix(): problem for p, problem in snapshot.check_tree(tmp_path)}
    assert set(results) == {"raw/ssb/05300/2025-01-01/data.json", "published/observations.csv",
                            "published/old.csv", "raw/ssb/05300/2025-02-01/data.json"}
    assert results["raw/ssb/05300/2025-01-01/data.json"] is None and results["published/observations.csv"] is None
    assert "old.csv: checksum mismatch" in results["published/old.csv"]
    assert "2025-02-01/data.json: no sidecar data.json.meta.json" in results["raw/ssb/05300/2025-02-01/data.json"]
    assert len(snapshot.verify_snapshot(tmp_path)) == 2


def test_command_verify_prints_each_file_and_fails_on_problems(tmp_path, monkeypatch, capsys):
    make_data_tree(tmp_path)
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    assert cli_data.command_verify(argparse.Namespace()) == 1
    out = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("OK    ") for line in out) == 2
    assert sum(line.startswith("FAIL  ") for line in out) == 2
    assert out[-1] == "2 of 4 files OK"


def test_command_verify_with_nothing_to_verify(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path / "data")
    assert cli_data.command_verify(argparse.Namespace()) == 0
    assert capsys.readouterr().out.startswith("nothing to verify: no files with .meta.json sidecars")


def test_command_fetch_reads_the_catalogue_and_honours_options(pxweb, tmp_path, monkeypatch, capsys):
    serve_table(pxweb)
    fake = types.ModuleType("indikatorer.data.catalogue")
    fake.load_catalogue = lambda: catalogue(("a", [api_source()]), ("b", [api_source(table="99999")]))
    monkeypatch.setitem(sys.modules, "indikatorer.data.catalogue", fake)
    monkeypatch.setattr(paths, "RAW_DIR", tmp_path)
    args = argparse.Namespace(indicator=["a"], api_url=pxweb.url)
    assert cli_data.command_fetch(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[1/1] table 00001 (a): 1 query"
    assert out[1].startswith("[1/1] table 00001: 1 response(s)")
    assert snapshot.latest_snapshot("00001", raw_dir=tmp_path).is_dir()
    assert not (tmp_path / "ssb" / "99999").exists()  # --indicator a only


# --------------------------------------------------------------------------- live path: checks first


def test_dry_run_lists_every_source_with_its_request_and_sends_nothing(pxweb):
    none = {"kind": "ssb_api", "table": None, "status": "none", "reason": "Survey only (LKI 2016)."}
    cat = catalogue(("a", [api_source()]), ("b", [api_source(status="unconfirmed", table="00002")]), ("c", [none]))
    lines = []
    snapshot.dry_run(snapshot.statbank_sources(cat), client_for(pxweb), lines.append)
    assert lines[0] == "confirmed    a: table 00001"
    assert lines[1] == (f"             GET {pxweb.url}/tables/00001/data?lang=no&outputFormat=json-stat2"
                        "&valueCodes[Landbakgr]=*&valueCodes[ContentsCode]=SysselsatteProsent&valueCodes[Tid]=*")
    assert lines[2] == "unconfirmed  b: table 00002"
    assert lines[3] == (f"             first checks the query against GET {pxweb.url}/tables/00002/metadata"
                        "?lang=no&outputFormat=json-stat2")
    assert lines[5] == "none         c: no statbank table; Survey only (LKI 2016)."
    assert lines[-1] == "3 statbank source(s): 1 confirmed, 1 unconfirmed, 1 none; 2 table(s) to fetch; dry run, nothing sent"
    assert pxweb.requests == []


def test_command_fetch_dry_run_on_the_real_catalogue_lists_every_source(capsys):
    from indikatorer.data.catalogue import load_catalogue

    cat = load_catalogue()
    args = argparse.Namespace(indicator=None, api_url="http://127.0.0.1:9/api/pxwebapi/v2", dry_run=True,
                              timeout=None, retries=None)
    assert cli_data.command_fetch(args) == 0  # port 9 (discard): nothing may be sent, or this would fail
    out = capsys.readouterr().out.splitlines()
    statuses = [line.split()[0] for line in out if line[:1] not in (" ",) and not line[0].isdigit()]
    sources = [s for ind in cat.indicators for s in ind.sources if s["kind"] == "ssb_api"]
    assert len(statuses) == len(sources) and set(statuses) <= {"confirmed", "unconfirmed", "none"}
    assert out[-1].startswith(f"{len(sources)} statbank source(s): ")


def test_an_unconfirmed_query_that_does_not_fit_the_metadata_is_reported_and_not_sent(pxweb, tmp_path):
    serve_table(pxweb)
    bad = {"Landbakgr": ["EU_EFTA"], "Kjonn": ["9"], "ContentsCode": ["SysselsatteProsent"], "Tid": ["*"]}
    good_before = snapshot.fetch_catalogue(catalogue(("a", [api_source()])), client_for(pxweb), raw_dir=tmp_path,
                                           out=lambda _: None)
    before = tree(tmp_path)
    lines = []
    cat = catalogue(("a", [api_source()]), ("b", [api_source(bad, status="unconfirmed")]))
    with pytest.raises(UserError, match="fetch failed for table.s. 00001"):
        snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lines.append)
    posts = len(pxweb.hits("POST", "tables/00001/data"))
    assert posts == 1  # only the first, good fetch: the mismatched table sent no data request
    assert "[1/1] table 00001: NOT SENT, the catalogue's query does not fit the table's metadata:" in lines
    assert any(line.startswith("    table 00001, dimension Landbakgr: no code or label 'EU_EFTA'; close matches: EU-EFTA")
               for line in lines)
    assert any(line.startswith("    table 00001, dimension Kjonn: no code or label '9'") for line in lines)
    assert tree(tmp_path) == before and good_before


def test_an_unconfirmed_query_that_fits_is_fetched_and_said_so(pxweb, tmp_path):
    serve_table(pxweb)
    lines = []
    snapshot.fetch_catalogue(catalogue(("b", [api_source(status="unconfirmed")])), client_for(pxweb),
                             raw_dir=tmp_path, out=lines.append)
    assert lines[1].startswith("[1/1] table 00001: unconfirmed query for b fits the table's metadata")
    assert snapshot.latest_snapshot("00001", raw_dir=tmp_path).is_dir()


def test_a_renamed_code_in_the_data_never_replaces_a_good_snapshot(pxweb, tmp_path):
    serve_table(pxweb)
    cat = catalogue(("a", [api_source()]))
    snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lambda _: None)
    before = tree(tmp_path)
    renamed = json.loads(json.dumps(sample_metadata()))
    renamed["dimension"]["Landbakgr"]["category"]["index"] = {"000": 0, "EU-EOS": 1, "AfrikaAsia": 2}
    renamed["dimension"]["Landbakgr"]["category"]["label"] = {"000": "x", "EU-EOS": "y", "AfrikaAsia": "z"}
    pxweb.route("POST", "tables/00001/data", cube_responder(renamed, lambda cell: 1.0))
    lines = []
    with pytest.raises(UserError, match="fetch failed for table.s. 00001"):
        snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lines.append)
    assert "missing EU-EFTA, not asked for EU-EOS" in lines[-1] and lines[-1].endswith("nothing stored")
    assert tree(tmp_path) == before


def test_an_unreachable_api_stops_the_whole_fetch_after_one_retry(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clock = FakeClock()
    client = ssb.SsbClient(f"http://127.0.0.1:{port}/api/pxwebapi/v2", clock=clock, sleep=clock.sleep,
                           throttle=ssb.Throttle(clock=clock, sleep=clock.sleep))
    cat = catalogue(("a", [api_source()]), ("b", [api_source(table="00002")]), ("c", [api_source(table="00003")]))
    lines = []
    with pytest.raises(UserError, match=rf"cannot reach 127.0.0.1:{port}: connection refused.*the fetch stopped "
                                        r"\(not fetched: 00001, 00002, 00003\)"):
        snapshot.fetch_catalogue(cat, client, raw_dir=tmp_path, out=lines.append)
    assert len(clock.sleeps) == 1  # one retry of the first table, no attempt on the other two
    assert not any("00002" in line for line in lines)


def test_command_fetch_passes_timeout_and_retries(pxweb, tmp_path, monkeypatch, capsys):
    pxweb.route("GET", "tables/00001/metadata", Reply(503, "busy"))
    fake = types.ModuleType("indikatorer.data.catalogue")
    fake.load_catalogue = lambda: catalogue(("a", [api_source()]))
    monkeypatch.setitem(sys.modules, "indikatorer.data.catalogue", fake)
    monkeypatch.setattr(paths, "RAW_DIR", tmp_path)
    args = argparse.Namespace(indicator=None, api_url=pxweb.url, timeout=5.0, retries=0, dry_run=False)
    with pytest.raises(UserError, match="fetch failed for table.s. 00001"):
        cli_data.command_fetch(args)
    assert "gave up after 1 attempt(s)" in capsys.readouterr().out
    assert len(pxweb.hits("GET", "tables/00001/metadata")) == 1


@pytest.mark.parametrize("where", ["second data file", "swap"])
def test_a_fetch_interrupted_midway_leaves_the_previous_snapshot_intact(pxweb, tmp_path, monkeypatch, where):
    """KeyboardInterrupt while the new snapshot of the same day is being written or swapped in."""
    serve_table(pxweb)
    cat = catalogue(("a", [api_source()]))
    snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lambda _: None)
    before = tree(tmp_path)
    if where == "second data file":
        real = snapshot.write_with_sidecar
        calls = []

        def interrupted(path, data, meta):
            calls.append(path)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return real(path, data, meta)

        monkeypatch.setattr(snapshot, "write_with_sidecar", interrupted)
    else:
        real_replace = snapshot.os.replace

        def replace(src, dst):
            if ".tmp" in str(src):  # staging → final: the moment between the two renames
                raise KeyboardInterrupt
            return real_replace(src, dst)

        monkeypatch.setattr(snapshot.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        snapshot.fetch_catalogue(cat, client_for(pxweb, max_cells=12), raw_dir=tmp_path, out=lambda _: None)
    monkeypatch.undo()
    assert tree(tmp_path) == before  # same files, same bytes, no staging or backup leftovers
    assert snapshot.verify_snapshot(tmp_path) == []


def test_server_dies_after_the_first_table(pxweb, tmp_path):
    """The first table is stored whole; the fetch stops at the second; its old snapshot stays."""
    meta = sample_metadata()
    for table in ("00001", "00002"):
        pxweb.route("GET", f"tables/{table}/metadata", Reply(200, meta))
        pxweb.route("POST", f"tables/{table}/data", cube_responder(meta, sample_value))
    cat = catalogue(("a", [api_source()]), ("b", [api_source(table="00002")]))
    snapshot.fetch_catalogue(cat, client_for(pxweb), raw_dir=tmp_path, out=lambda _: None, )
    old_second = {k: v for k, v in tree(tmp_path).items() if k.startswith("ssb/00002")}
    for table in ("00001", "00002"):
        for d in (tmp_path / "ssb" / table).iterdir():
            d.rename(d.with_name("2000-01-01"))  # make the stored ones yesterday's

    def die_after_first(record):
        pxweb._httpd.shutdown_requested = True
        return Reply(200, b"", drop=True)

    served = []

    def data_then_die(record):
        served.append(record)
        return cube_responder(meta, sample_value)(record)

    pxweb.route("POST", "tables/00001/data", data_then_die)
    pxweb.route("GET", "tables/00002/metadata", die_after_first)
    old_second = {k.replace(k.split("/")[2], "2000-01-01", 1): v for k, v in old_second.items()}
    with pytest.raises(UserError, match="fetch failed for table.s. 00002"):
        snapshot.fetch_catalogue(cat, client_for(pxweb, retries=1), raw_dir=tmp_path, out=lambda _: None)
    after = tree(tmp_path)
    assert {k: v for k, v in after.items() if k.startswith("ssb/00002")} == old_second
    assert snapshot.snapshot_dates("00001", raw_dir=tmp_path)[-1] != "2000-01-01"  # the first table is new
    assert snapshot.verify_snapshot(tmp_path) == []
