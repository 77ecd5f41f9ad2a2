"""PxWebApi v2 client and JSON-stat2 parser: hand-made documents shaped like SSB's, real SSB
responses, and real HTTP against a local stand-in server (tests/pxweb_server.py)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import numpy as np
import pandas as pd
import pytest

from indikatorer.data import jsonstat, pxquery, ssb
from indikatorer.core.errors import UserError
from pxweb_server import (FakeClock, Reply, cube_responder, fixture_bytes, sample_metadata,
                          sample_value)


def dataset(ids, categories, values, status=None, role=None):
    """A JSON-stat2 dataset from {dim: [(code, label), ...]} in order."""
    doc = {"version": "2.0", "class": "dataset", "label": "test", "updated": "2025-01-01T00:00:00Z",
           "id": ids, "size": [len(categories[d]) for d in ids],
           "dimension": {d: {"label": d.lower(), "category": {"index": {c: i for i, (c, _) in enumerate(categories[d])},
                                                              "label": dict(categories[d])}} for d in ids},
           "value": values, "role": role or {"time": ["Tid"], "metric": ["ContentsCode"]}}
    if status is not None:
        doc["status"] = status
    return doc


def client_for(server, clock=None, **kwargs) -> ssb.SsbClient:
    clock = clock or FakeClock()
    kwargs.setdefault("throttle", ssb.Throttle(clock=clock, sleep=clock.sleep))
    return ssb.SsbClient(server.url, clock=clock, sleep=clock.sleep, **kwargs)


# --------------------------------------------------------------------------- parsing


def test_parse_is_row_major_with_code_and_label_columns():
    doc = dataset(["Kjonn", "ContentsCode", "Tid"],
                  {"Kjonn": [("1", "Menn"), ("2", "Kvinner")],
                   "ContentsCode": [("Andel", "Andel (prosent)")],
                   "Tid": [("2022", "2022"), ("2023", "2023"), ("2024", "2024")]},
                  [1, 2, 3, 4, 5, 6])
    df = jsonstat.parse_jsonstat(doc)
    assert list(df.columns) == ["Kjonn", "Kjonn_label", "ContentsCode", "ContentsCode_label",
                                "Tid", "Tid_label", "value", "status"]
    assert df["Kjonn"].tolist() == ["1"] * 3 + ["2"] * 3
    assert df["Tid"].tolist() == ["2022", "2023", "2024"] * 2
    row = df[(df.Kjonn == "2") & (df.Tid == "2023")].iloc[0]
    assert (row.Kjonn_label, row.ContentsCode_label, row.value, row.status) == ("Kvinner", "Andel (prosent)", 5.0, "ok")
    assert df["value"].dtype == np.float64


@pytest.mark.parametrize("index", [{"0": 0, "1": 2, "2": 1}, ["0", "2", "1"]], ids=["object", "list"])
def test_category_order_follows_index_positions_not_key_order(index):
    doc = dataset(["Kjonn"], {"Kjonn": [("0", "Begge kjønn"), ("1", "Menn"), ("2", "Kvinner")]}, [10, 20, 30])
    doc["dimension"]["Kjonn"]["category"]["index"] = index
    df = jsonstat.parse_jsonstat(doc)
    assert df["Kjonn"].tolist() == ["0", "2", "1"]
    assert dict(zip(df.Kjonn_label, df.value)) == {"Begge kjønn": 10, "Kvinner": 20, "Menn": 30}


def test_real_05810_metadata_sex_order_is_0_2_1():
    meta = json.loads(fixture_bytes("ssb-05810-metadata.json"))
    assert jsonstat.categories(meta, "Kjonn") == [("0", "Both sexes"), ("2", "Females"), ("1", "Males")]
    assert jsonstat.categories(meta, "Alder")[-1] == ("80+", "80 years or older")
    assert jsonstat.time_dimension(meta) == "Tid"


STATUS_CASES = {  # symbol: (status, value)
    "..": ("missing", None), "...": ("not_available", None), ":": ("suppressed", None),
    ".": ("not_applicable", None), "-": ("nil", 0.0),
}


@pytest.mark.parametrize("form", ["object", "list"])
def test_status_symbols_as_object_or_list(form):
    years = [(str(y), str(y)) for y in range(2018, 2025)]
    values = [None, None, None, None, None, 12.5, None]  # SSB sends null beside the symbols
    symbols = ["..", "...", ":", ".", "-", None, None]
    status = ({str(i): s for i, s in enumerate(symbols) if s} if form == "object" else symbols)
    df = jsonstat.parse_jsonstat(dataset(["Tid"], {"Tid": years}, values, status=status))
    assert df["status"].tolist() == ["missing", "not_available", "suppressed", "not_applicable", "nil", "ok", "missing"]
    assert df["value"].isna().tolist() == [True, True, True, True, False, False, True]
    assert df["value"].iloc[4] == 0.0 and df["value"].iloc[5] == 12.5


def test_symbol_wins_over_a_number_sent_with_it():
    # A suppressed cell must never surface as a number, even if the API also sent one.
    df = jsonstat.parse_jsonstat(dataset(["Tid"], {"Tid": [("2023", "2023"), ("2024", "2024")]}, [0, 7], status={"0": ":"}))
    assert df["status"].tolist() == ["suppressed", "ok"]
    assert math.isnan(df["value"].iloc[0]) and df["value"].iloc[1] == 7


def test_real_05300_data():
    df = jsonstat.parse_jsonstat(fixture_bytes("ssb-05300-data.json"))
    assert len(df) == 6 * 8 * 1 * 9
    assert df["status"].value_counts().to_dict() == {"ok": 404, "not_applicable": 20, "missing": 8}
    first = df.iloc[0]
    assert (first.Avstand1_label, first.Kulturtilbud, first.Tid, first.value) == ("Under 1 km", "01", "1991", 16.0)
    # flat index 71 = Avstand1 01, Kulturtilbud 08 (Bokhandel), Tid 2021 has status "."
    cell = df[(df.Avstand1 == "01") & (df.Kulturtilbud == "08") & (df.Tid == "2021")].iloc[0]
    assert cell.Kulturtilbud_label == "Bokhandel" and cell.status == "not_applicable" and math.isnan(cell.value)
    # flat index 360 = Avstand1 06 (50 km eller over), Kulturtilbud 01, Tid 1991 has ".."
    cell = df.iloc[360]
    assert (cell.Avstand1, cell.Kulturtilbud, cell.Tid, cell.status) == ("06", "01", "1991", "missing")


def test_real_13615_v2_data():
    df = jsonstat.parse_jsonstat(fixture_bytes("ssb-13615-data-v2beta.json"))
    assert len(df) == 100
    assert (df.status == "not_applicable").sum() == 30 and df.loc[df.status == "not_applicable", "value"].isna().all()
    heating = df[(df.Produkter == "04+05") & (df.NACE == "50")]
    assert heating["Produkter_label"].unique().tolist() == ["Lett fyringsolje og fyringsparafin"]
    # real zeros without a symbol stay zeros with status ok
    zeros = df[df.value == 0]
    assert len(zeros) == 3 and (zeros.status == "ok").all()


def test_value_length_must_match_product_of_sizes():
    with pytest.raises(jsonstat.JsonStatError, match=r"value has 0 entries but size 3 × 7 × 1 × 49 = 1029"):
        jsonstat.parse_jsonstat(fixture_bytes("ssb-05810-metadata.json"))


def test_truncated_and_malformed_documents_raise_clearly():
    body = fixture_bytes("ssb-05300-data.json")
    with pytest.raises(jsonstat.JsonStatError, match="not valid JSON .truncated or malformed."):
        jsonstat.parse_jsonstat(body[: len(body) // 2])
    with pytest.raises(jsonstat.JsonStatError, match="not a JSON-stat2 dataset"):
        jsonstat.parse_jsonstat(b'{"class": "dataset", "value": []}')
    with pytest.raises(jsonstat.JsonStatError, match="class is 'collection'"):
        jsonstat.parse_jsonstat(b'{"class": "collection", "link": {}}')
    doc = dataset(["Tid"], {"Tid": [("2024", "2024")]}, [1.0])
    doc["dimension"]["Tid"]["category"]["index"] = {"2024": 3}
    with pytest.raises(jsonstat.JsonStatError, match="positions are not 0..0"):
        jsonstat.parse_jsonstat(doc)
    assert issubclass(jsonstat.JsonStatError, UserError)


# --------------------------------------------------------------------------- queries


def test_labels_and_codes_resolve_to_codes_and_expressions_pass_through():
    meta = sample_metadata()
    resolved = pxquery.resolve_query(meta, {"kjonn": ["Kvinner", "menn"], "Landbakgr": "EU/EFTA-land",
                                        "ContentsCode": ["sysselsatteprosent"], "Tid": ["top(3)", 2015]})
    assert resolved == {"Kjonn": ["2", "1"], "Landbakgr": ["EU-EFTA"],
                        "ContentsCode": ["SysselsatteProsent"], "Tid": ["top(3)", "2015"]}


def test_renamed_code_lists_close_matches():
    with pytest.raises(pxquery.QueryError) as err:
        pxquery.resolve_query(sample_metadata(), {"Landbakgr": ["EU_EFTA"], "ContentsCode": ["SysselsatteProsent"],
                                              "Tid": ["2024"]})
    assert "Landbakgr: no code or label 'EU_EFTA'" in str(err.value)
    assert "close matches: EU-EFTA (EU/EFTA-land)" in str(err.value)


def test_unknown_dimension_and_missing_mandatory_dimension():
    meta = sample_metadata()
    with pytest.raises(pxquery.QueryError, match="unknown dimension 'Landbakgrunn'; close matches: Landbakgr"):
        pxquery.resolve_query(meta, {"Landbakgrunn": ["000"], "ContentsCode": ["SysselsatteProsent"], "Tid": ["*"]})
    with pytest.raises(pxquery.QueryError, match="Tid must be selected .it cannot be eliminated."):
        pxquery.resolve_query(meta, {"ContentsCode": ["SysselsatteProsent"]})
    with pytest.raises(pxquery.QueryError, match="expression '19\\*' selects no values"):
        pxquery.resolve_query(meta, {"ContentsCode": ["SysselsatteProsent"], "Tid": ["19*"]})


def test_selection_expressions_follow_pxwebapi_rules():
    meta = sample_metadata()
    expand = lambda dim, e: pxquery.expand_expression(meta, dim, e)  # noqa: E731
    assert expand("Tid", "top(2)") == ["2023", "2024"]  # time: newest
    assert expand("Tid", "top(2,1)") == ["2022", "2023"]
    assert expand("Tid", "bottom(2)") == ["2015", "2016"]
    assert expand("Kjonn", "top(2)") == ["0", "2"]  # other dimensions: first, in index order
    assert expand("Kjonn", "bottom(1)") == ["1"]
    assert expand("Tid", "from(2022)") == ["2022", "2023", "2024"]
    assert expand("Tid", "to(2016)") == ["2015", "2016"]
    assert expand("Tid", "range(2019,2017)") == ["2017", "2018", "2019"]
    assert expand("Tid", "202?") == ["2020", "2021", "2022", "2023", "2024"]
    assert expand("Landbakgr", "*A*") == ["EU-EFTA", "AfrikaAsia"]  # case-insensitive, as on the server
    assert expand("Landbakgr", "*sia") == ["AfrikaAsia"]
    with pytest.raises(pxquery.QueryError, match=r"unknown code\(s\) 2o22; close matches: 2022"):
        expand("Tid", "from(2o22)")


def test_split_selection_stays_under_the_cell_limit_along_the_largest_dimension():
    meta = sample_metadata()
    selection = {"Landbakgr": ["*"], "ContentsCode": ["SysselsatteProsent"], "Tid": ["*"]}
    assert pxquery.cell_count(meta, selection) == 30
    parts = pxquery.split_selection(meta, selection, max_cells=8)
    assert [p["Tid"] for p in parts] == [["2015", "2016"], ["2017", "2018"], ["2019", "2020"],
                                         ["2021", "2022"], ["2023", "2024"]]
    assert all(p["Landbakgr"] == ["*"] for p in parts)  # the other dimensions keep their expressions
    assert all(pxquery.cell_count(meta, p) <= 8 for p in parts)
    assert pxquery.split_selection(meta, selection, max_cells=30) == [selection]
    # one value of the largest dimension is still too much: split the next one as well
    parts = pxquery.split_selection(meta, selection, max_cells=2)
    assert all(pxquery.cell_count(meta, p) <= 2 for p in parts) and sum(pxquery.cell_count(meta, p) for p in parts) == 30


# --------------------------------------------------------------------------- HTTP client

QUERY = {"Landbakgr": ["*"], "Kjonn": ["Kvinner"], "ContentsCode": ["SysselsatteProsent"], "Tid": ["*"]}


def test_fetch_success_posts_resolved_selection(pxweb):
    meta = sample_metadata()
    pxweb.route("GET", "tables/00001/metadata", Reply(200, meta))
    pxweb.route("POST", "tables/00001/data", cube_responder(meta, sample_value))
    df = client_for(pxweb).fetch("00001", QUERY)
    (post,) = pxweb.hits("POST", "tables/00001/data")
    assert post.body == {"selection": [
        {"variableCode": "Landbakgr", "valueCodes": ["*"]}, {"variableCode": "Kjonn", "valueCodes": ["2"]},
        {"variableCode": "ContentsCode", "valueCodes": ["SysselsatteProsent"]}, {"variableCode": "Tid", "valueCodes": ["*"]}]}
    assert post.query == {"lang": ["no"], "outputFormat": ["json-stat2"]}
    assert post.headers["User-Agent"].startswith("indikatorer/")
    assert len(df) == 30 and set(df.Kjonn_label) == {"Kvinner"}
    row = df[(df.Landbakgr == "AfrikaAsia") & (df.Tid == "2020")].iloc[0]
    assert row.value == pytest.approx(2020.22)


def test_query_split_into_several_requests_concatenates(pxweb):
    meta = sample_metadata()
    pxweb.route("GET", "tables/00001/metadata", Reply(200, meta))
    pxweb.route("POST", "tables/00001/data", cube_responder(meta, sample_value))
    whole = client_for(pxweb).fetch("00001", QUERY)
    split = client_for(pxweb, max_cells=8).fetch("00001", QUERY)
    posts = pxweb.hits("POST", "tables/00001/data")
    assert len(posts) == 1 + 5  # one whole, then 30 cells in parts of at most 8
    assert [p.body["selection"][3]["valueCodes"] for p in posts[1:]][0] == ["2015", "2016"]
    key = ["Landbakgr", "Tid"]
    pd.testing.assert_frame_equal(split.sort_values(key).reset_index(drop=True),
                                  whole.sort_values(key).reset_index(drop=True))


def test_429_then_success_honours_retry_after(pxweb):
    meta = sample_metadata()
    pxweb.route("GET", "tables/00001/metadata",
                Reply(429, {"title": "Too many requests", "status": 429}, headers={"Retry-After": "7"}),
                Reply(200, meta))
    clock = FakeClock()
    client = client_for(pxweb, clock=clock)
    assert client.metadata("00001")["id"] == meta["id"]
    assert len(pxweb.hits("GET", "tables/00001/metadata")) == 2
    assert clock.sleeps == [7.0]


def test_5xx_retried_with_backoff_until_the_time_bound(pxweb):
    pxweb.route("GET", "tables/00001/metadata", Reply(503, "Service Unavailable"))
    clock = FakeClock()
    client = client_for(pxweb, clock=clock, backoff=0.5, retries=10, max_total_time=5)
    with pytest.raises(ssb.SsbApiError, match=r"gave up after 4 attempt\(s\).*limit 10 retries, 5 s.*last: HTTP 503"):
        client.metadata("00001")
    assert clock.sleeps == [0.5, 1.0, 2.0]  # the next wait (4 s) would pass the 5 s bound
    assert len(pxweb.hits("GET", "tables/00001/metadata")) == 4


def test_client_errors_are_not_retried(pxweb):
    pxweb.route("POST", "tables/00001/data", Reply(403, {"title": "Forbidden", "detail": "Too many cells selected"}))
    client = client_for(pxweb)
    with pytest.raises(ssb.SsbApiError, match=r"HTTP 403 \(too many cells\?\): Forbidden; Too many cells selected"):
        client.request("POST", f"{pxweb.url}/tables/00001/data", {"selection": []})
    assert len(pxweb.requests) == 1


def test_silent_server_is_unreachable_after_one_retry(pxweb):
    pxweb.route("GET", "tables/00001/metadata", Reply(200, sample_metadata(), delay=1.0))
    client = client_for(pxweb, timeout=0.2, retries=5)
    host = pxweb.url.split("/")[2]
    with pytest.raises(ssb.SsbUnreachable, match=rf"cannot reach {host}: no answer within 0.2 s \(2 attempt\(s\)"):
        client.metadata("00001")
    assert len(pxweb.hits("GET", "tables/00001/metadata")) == 2  # one retry, not five


def test_truncated_body_is_detected(pxweb):
    body = fixture_bytes("ssb-05300-data.json")
    pxweb.route("POST", "tables/05300/data", Reply(200, body, truncate=len(body) // 2))
    client = client_for(pxweb, max_total_time=0)
    with pytest.raises(ssb.SsbApiError, match="body cut short"):
        client.request("POST", f"{pxweb.url}/tables/05300/data", {"selection": []})


def test_malformed_json_response(pxweb):
    pxweb.route("GET", "tables/00001/metadata", Reply(200, b'{"class": "dataset", "id": ["Tid"'))
    with pytest.raises(jsonstat.JsonStatError, match="metadata for table 00001: not valid JSON"):
        client_for(pxweb).metadata("00001")


def test_renamed_code_fails_before_any_data_request(pxweb):
    pxweb.route("GET", "tables/00001/metadata", Reply(200, sample_metadata()))
    with pytest.raises(pxquery.QueryError, match="close matches: EU-EFTA"):
        client_for(pxweb).fetch("00001", {**QUERY, "Landbakgr": ["EU-EØS"]})
    assert pxweb.hits("POST", "tables/00001/data") == []


def test_label_resolution_against_real_05810_metadata(pxweb):
    pxweb.route("GET", "tables/05810/metadata", Reply(200, fixture_bytes("ssb-05810-metadata.json")))
    client = client_for(pxweb)
    (selection,) = client.plan("05810", {"Kjonn": ["Females"], "Alder": ["80 years or older"],
                                         "ContentsCode": ["Persons"], "Tid": ["top(2)"]})
    assert selection == {"Kjonn": ["2"], "Alder": ["80+"], "ContentsCode": ["Personer"], "Tid": ["top(2)"]}
    with pytest.raises(pxquery.QueryError, match=r"Alder: no code or label '16-45'; close matches: 16-44"):
        client.plan("05810", {"Alder": ["16-45"], "ContentsCode": ["Personer"], "Tid": ["2025"]})


# --------------------------------------------------------------------------- politeness


def test_throttle_allows_max_calls_per_window():
    clock = FakeClock(start=0.0)
    throttle = ssb.Throttle(max_calls=3, period=60.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        throttle.wait()
        clock.now += 1.0
    assert clock.sleeps == []
    throttle.wait()  # 4th call at t=3 waits until the first (t=0) leaves the window
    assert clock.sleeps == [57.0]
    clock.now = 200.0
    throttle.wait()  # an old window does not make anyone wait
    assert clock.sleeps == [57.0]


def test_every_request_goes_through_the_throttle(pxweb):
    pxweb.route("GET", "tables/00001/metadata", Reply(503, "busy"), Reply(200, sample_metadata()))
    pxweb.route("POST", "tables/00001/data", cube_responder(sample_metadata(), sample_value))
    clock = FakeClock(start=0.0)
    throttle = ssb.Throttle(max_calls=2, period=60.0, clock=clock, sleep=clock.sleep)
    client = client_for(pxweb, clock=clock, throttle=throttle, backoff=1.0)
    client.fetch("00001", QUERY)  # 503, retry after 1 s, metadata, data: 3 calls
    assert clock.sleeps == [1.0, 60.0 - 1.0]


def test_retry_after_as_http_date():
    now = datetime(2025, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
    assert ssb._retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert ssb._retry_after("12", now) == 12.0
    assert ssb._retry_after("soon", now) is None


def test_base_url_argument_then_environment_then_default(monkeypatch):
    monkeypatch.setenv("SSB_API_URL", "http://example.test/api/v2/")
    assert ssb.SsbClient().base_url == "http://example.test/api/v2"
    assert ssb.SsbClient("http://other.test/v2").base_url == "http://other.test/v2"
    monkeypatch.delenv("SSB_API_URL")
    assert ssb.SsbClient().base_url == "https://data.ssb.no/api/pxwebapi/v2"


# --------------------------------------------------------------------------- never store a wrong answer


def test_nil_keeps_a_number_sent_with_it():
    years = [(str(y), str(y)) for y in range(2021, 2025)]
    doc = dataset(["Tid"], {"Tid": years}, [None, 0, 12.5, 3], status={"0": "-", "1": "-", "2": "-"})
    df = jsonstat.parse_jsonstat(doc)
    assert df["status"].tolist() == ["nil", "nil", "ok", "ok"]
    assert df["value"].tolist() == [0.0, 0.0, 12.5, 3.0]  # "-" never overwrites 12.5


@pytest.mark.parametrize("field, bad, message", [
    ("value", {"x": 1.0}, r"value key 'x' is not a cell index \(0\.\.1\)"),
    ("value", {"-1": 1.0}, r"value key '-1' is not a cell index"),
    ("value", {"1.0": 1.0}, r"value key '1\.0' is not a cell index"),
    ("value", {"7": 1.0}, r"value index 7 outside 0\.\.1"),
    ("value", {"0": "12,5"}, r"value\['0'\] is '12,5', not a number or null"),
    ("value", [1.0, "x"], r"value\[1\] is 'x', not a number or null"),
    ("value", [1.0, True], r"value\[1\] is True, not a number"),
    ("status", {"a": ".."}, r"status key 'a' is not a cell index"),
    ("status", {"9": ".."}, r"status index 9 outside 0\.\.1"),
    ("status", {"0": "?"}, r"unknown status symbol\(s\) '\?'"),
    ("status", {"0": ["."]}, r"malformed JSON-stat2 \(TypeError"),
    ("dimension", [], r"malformed JSON-stat2|has no category"),
    ("size", [2, "x"], r"malformed JSON-stat2|sizes|categories but size"),
], ids=lambda v: str(v)[:20])
def test_malformed_jsonstat_is_always_our_own_error_naming_the_table(field, bad, message):
    doc = dataset(["Tid"], {"Tid": [("2023", "2023"), ("2024", "2024")]}, [1.0, 2.0])
    doc[field] = bad
    with pytest.raises(jsonstat.JsonStatError, match=message) as err:
        jsonstat.parse_jsonstat(json.dumps(doc).encode(), source="table 00001 data")
    assert str(err.value).startswith("table 00001 data: ")
    assert isinstance(err.value, UserError)


TWELVE = {"Landbakgr": ["000", "EU-EFTA"], "Kjonn": ["1", "2"], "ContentsCode": ["SysselsatteProsent"],
          "Tid": ["2022", "2023", "2024"]}


def test_an_answer_with_more_cells_than_asked_is_refused(pxweb):
    """The 12-cell query that got a 432-cell answer: a server that ignores the selection."""
    meta = sample_metadata()
    big = json.loads(json.dumps(meta))  # every region, both sexes + total, 3 contents, 24 years
    years = [str(y) for y in range(2001, 2025)]
    big["dimension"]["Tid"]["category"] = {"index": years, "label": {y: y for y in years}}
    big["dimension"]["Kjonn"]["category"] = {"index": ["0", "1"], "label": {"0": "Begge kjønn", "1": "Menn"}}
    big["dimension"]["ContentsCode"]["category"] = {
        "index": ["A", "B", "SysselsatteProsent"],
        "label": {"A": "a", "B": "b", "SysselsatteProsent": "Sysselsatte i prosent av befolkningen"}}
    big["size"] = [3, 2, 3, 24]
    big["value"] = [1.0] * 432
    pxweb.route("GET", "tables/00001/metadata", Reply(200, meta))
    pxweb.route("POST", "tables/00001/data", Reply(200, big))
    client = client_for(pxweb)
    assert pxquery.cell_count(meta, pxquery.resolve_query(meta, TWELVE)) == 12
    with pytest.raises(jsonstat.ResponseMismatch) as err:
        client.fetch_raw("00001", TWELVE)
    text = str(err.value)
    assert text.startswith("table 00001: the answer does not match the query")
    assert "432 cells for a query of 12" in text
    assert "dimension Landbakgr: asked for 2 code(s), got 3, not asked for AfrikaAsia" in text
    assert "dimension Kjonn: asked for 2 code(s), got 2, missing 2, not asked for 0" in text
    assert "dimension Tid: asked for 3 code(s), got 24" in text
    assert text.endswith("nothing stored")


def test_a_code_renamed_between_metadata_and_data_is_refused(pxweb):
    meta = sample_metadata()
    renamed = json.loads(json.dumps(meta))
    cat = renamed["dimension"]["Landbakgr"]["category"]
    cat["index"] = {"000": 0, "EU-EOS": 1, "AfrikaAsia": 2}
    cat["label"] = {"000": "Hele verden", "EU-EOS": "EU/EØS-land", "AfrikaAsia": "Afrika, Asia mv."}
    pxweb.route("GET", "tables/00001/metadata", Reply(200, meta))
    pxweb.route("POST", "tables/00001/data", cube_responder(renamed, lambda cell: 1.0))
    with pytest.raises(jsonstat.ResponseMismatch, match=r"table 00001: .*dimension Landbakgr: asked for 3 code\(s\), "
                                                  r"got 3, missing EU-EFTA, not asked for EU-EOS"):
        client_for(pxweb).fetch_raw("00001", {"Landbakgr": ["*"], "ContentsCode": ["SysselsatteProsent"],
                                              "Tid": ["2024"]})


def test_a_missing_dimension_and_an_unasked_one_are_named():
    meta = sample_metadata()
    selection = {"Kjonn": ["1"], "ContentsCode": ["SysselsatteProsent"], "Tid": ["2024"]}
    doc = dataset(["Landbakgr", "ContentsCode", "Tid"],
                  {"Landbakgr": [("000", "Hele verden"), ("EU-EFTA", "EU/EFTA-land")],
                   "ContentsCode": [("SysselsatteProsent", "x")], "Tid": [("2024", "2024")]}, [1.0, 2.0])
    with pytest.raises(jsonstat.ResponseMismatch) as err:
        pxquery.check_response("00001", meta, selection, doc, source="test")
    assert "dimension Kjonn is missing" in str(err.value)
    assert "dimension Landbakgr was not selected but has 2 categories" in str(err.value)
    # an eliminated dimension answered with one category (its elimination value) is fine
    doc = dataset(["Landbakgr", "Kjonn", "ContentsCode", "Tid"],
                  {"Landbakgr": [("000", "Hele verden")], "Kjonn": [("1", "Menn")],
                   "ContentsCode": [("SysselsatteProsent", "x")], "Tid": [("2024", "2024")]}, [1.0])
    pxquery.check_response("00001", meta, selection, doc, source="test")


def test_query_problems_name_table_dimension_and_codes():
    meta = sample_metadata()
    problems = pxquery.query_problems("00001", meta, {"Landbakgr": ["EU_EFTA", "000", "Asia"], "Kjonn": ["9"],
                                                 "Alder": ["15-74"], "ContentsCode": ["SysselsatteProsent"],
                                                 "Tid": ["top(5)"]},
                                  columns={"Landbakgrunn": "group", "Tid": "year"})
    assert problems[0].startswith("table 00001, dimension Landbakgr: no code or label 'EU_EFTA'; close matches: EU-EFTA")
    assert "no code or label 'Asia'" in problems[0]
    assert problems[1].startswith("table 00001, dimension Kjonn: no code or label '9'")
    assert problems[2].startswith("table 00001: unknown dimension 'Alder'")
    assert problems[3].startswith("table 00001: 'columns' maps dimension 'Landbakgrunn', which the table does not have")
    assert len(problems) == 4
    assert pxquery.query_problems("00001", meta, {"ContentsCode": ["SysselsatteProsent"], "Tid": ["top(5)"]}) == []


def test_refused_connection_is_unreachable_after_one_retry():
    import socket

    with socket.socket() as sock:  # a port on 127.0.0.1 that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clock = FakeClock()
    client = ssb.SsbClient(f"http://127.0.0.1:{port}/api/pxwebapi/v2", clock=clock, sleep=clock.sleep,
                           throttle=ssb.Throttle(clock=clock, sleep=clock.sleep), retries=5)
    with pytest.raises(ssb.SsbUnreachable, match=rf"cannot reach 127.0.0.1:{port}: connection refused or host "
                                                 r"unknown \(2 attempt\(s\)"):
        client.metadata("00001")
    assert clock.sleeps == [1.0]  # one retry after the first backoff


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/json"])
def test_html_page_in_place_of_json_is_named_and_retried_like_a_503(pxweb, content_type):
    page = ("<!DOCTYPE html>\n<html><head><title>Statistikkbanken er utilgjengelig</title></head>"
            "<body>Vedlikehold</body></html>")
    pxweb.route("GET", "tables/00001/metadata", Reply(200, page, headers={"Content-Type": content_type}),
                Reply(200, sample_metadata()))
    clock = FakeClock()
    client = client_for(pxweb, clock=clock)
    assert client.metadata("00001")["id"][0] == "Landbakgr"
    assert clock.sleeps == [1.0] and len(pxweb.hits("GET", "tables/00001/metadata")) == 2
    pxweb.route("GET", "tables/00002/metadata", Reply(200, page, headers={"Content-Type": content_type}))
    with pytest.raises(ssb.SsbApiError, match=r"gave up after 3 attempt\(s\).*last: HTTP 200, an HTML page "
                                              r"\(«Statistikkbanken er utilgjengelig»\) instead of JSON"):
        client_for(pxweb, retries=2).metadata("00002")


def test_retries_option_bounds_the_attempts(pxweb):
    pxweb.route("GET", "tables/00001/metadata", Reply(503, "busy"))
    clock = FakeClock()
    with pytest.raises(ssb.SsbApiError, match=r"gave up after 1 attempt\(s\)"):
        client_for(pxweb, clock=clock, retries=0).metadata("00001")
    assert clock.sleeps == []
    with pytest.raises(ssb.SsbApiError, match="timeout must be above 0 s"):
        ssb.SsbClient("http://127.0.0.1:9/v2", timeout=0)


def test_get_url_shows_the_selection_as_pxwebapi_valuecodes():
    client = ssb.SsbClient("https://data.ssb.no/api/pxwebapi/v2")
    url = client.get_url("11607", {"Region": ["0"], "Kjonn": ["1", "2"], "Tid": ["top(5)"]})
    assert url == ("https://data.ssb.no/api/pxwebapi/v2/tables/11607/data?lang=no&outputFormat=json-stat2"
                   "&valueCodes[Region]=0&valueCodes[Kjonn]=1,2&valueCodes[Tid]=top(5)")
