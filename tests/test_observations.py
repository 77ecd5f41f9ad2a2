"""The tidy observations table: building it from the sources, derived gaps, and the contract."""

from __future__ import annotations

import argparse
import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from indikatorer.data import observations, snapshot
from indikatorer.cli import data as cli_data

from indikatorer.core import paths
from indikatorer.data.observations import (
    TIDY_COLUMNS, ObservationsError, gap_rows, load_observations, select_rows, validate_observations,
)

EMPLOYMENT_2021_03_19 = "https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2021-03-19"


def indicator(id, *, unit="prosent", sources=(), derived=None, reference_group="befolkningen_uten_innvandrere"):
    """A catalogue entry with the attributes observations reads (the catalogue module's shape)."""
    return SimpleNamespace(id=id, unit=unit, sources=list(sources), derived=derived, reference_group=reference_group)


def catalogue(*indicators):
    return SimpleNamespace(indicators=list(indicators))


EMPLOYMENT = indicator("sysselsatte_andel", sources=[
    {"kind": "published", "series": "employment_rate", "where": {"period": "4. kvartal*", "age": "20-66"}}])


def tidy_row(**changes) -> dict:
    row = {"indicator": "sysselsatte_andel", "year": 2020, "period": "4. kvartal 2020", "group": "innvandrere",
           "sex": "alle", "age": "20-66", "geography": "0", "region": "alle", "region_label": "alle", "botid": "alle",
           "other_dim": "", "other_value": "", "unit": "prosent", "value": 65.4, "decimals": 1, "status": "ok",
           "source_kind": "published", "source_table": "436217", "source_ref": EMPLOYMENT_2021_03_19,
           "source_file": "data/published/observations.csv", "source_sha256": "abc", "retrieved": "unknown",
           "released": "2021-03-19", "note": ""}
    return {**row, **changes}


def tidy_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    return frame


# --------------------------------------------------------------------------- from the published snapshot


def test_published_rows_become_the_tidy_table():
    table = load_observations(catalogue(EMPLOYMENT), include_api=False)
    assert list(table.columns) == TIDY_COLUMNS
    assert table["year"].dtype == "int64" and table["value"].dtype == "float64"
    assert all(pd.api.types.is_string_dtype(table[c]) for c in TIDY_COLUMNS if c not in ("year", "value", "decimals"))
    assert table["decimals"].dtype == "int64" and set(table["decimals"]) == {1}  # printed "65.4" etc.
    assert set(table["indicator"]) == {"sysselsatte_andel"} and set(table["source_kind"]) == {"published"}
    assert table["period"].str.startswith("4. kvartal").all() and set(table["age"]) == {"20-66"}
    row = table[(table["year"] == 2020) & (table["group"] == "innvandrere") & (table["region"] == "alle")]
    assert row["value"].tolist() == [65.4]
    # Released on the page's date; when it was read was not recorded: "unknown", never the release.
    assert row[["source_ref", "released", "retrieved", "source_file"]].values.tolist() == [
        [EMPLOYMENT_2021_03_19, "2021-03-19", "unknown", "data/published/observations.csv"]]
    assert row["source_sha256"].iloc[0] == snapshot.sha256_file(paths.PUBLISHED_DIR / "observations.csv")


def test_year_max_drops_later_years():
    table = load_observations(catalogue(EMPLOYMENT), year_max=2019, include_api=False)
    assert table["year"].max() == 2019
    assert 2018 in set(table["year"])


def test_where_takes_values_lists_and_patterns():
    frame = pd.DataFrame({"period": ["4. kvartal 2019", "1. kvartal 2019", "2019", "2007 - 2016"]})
    assert select_rows(frame, {"period": "4. kvartal*"})["period"].tolist() == ["4. kvartal 2019"]
    assert select_rows(frame, {"period": ["2019", "1. *"]})["period"].tolist() == ["1. kvartal 2019", "2019"]
    assert select_rows(frame, {"period": "[0-9][0-9][0-9][0-9]"})["period"].tolist() == ["2019"]
    with pytest.raises(ObservationsError, match="'where' names column 'kvartal'"):
        select_rows(frame, {"kvartal": "4"})


def test_exclude_drops_rows_matching_all_entries_of_any_filter():
    frame = pd.DataFrame({"other_dim": ["", "bostedskommune", "enhet", "enhet"],
                          "other_value": ["", "Oslo", "personer", "husholdninger"],
                          "note": ["", "", "Rounded in text: '280 000'", ""]})
    kept = select_rows(frame, {}, [{"other_dim": "bostedskommune"},
                                   {"other_dim": "enhet", "other_value": "husholdninger"},
                                   {"note": "*ounded in text*"}])
    assert kept.index.tolist() == [0]
    # one filter's entries must all match: row 2 is «personer» but has a note, so it stays
    assert select_rows(frame, {"other_dim": "enhet"}, [{"other_value": "personer", "note": ""}]).index.tolist() == [2, 3]
    assert select_rows(frame, {"other_dim": "enhet"}, [{"other_value": "personer"}]).index.tolist() == [3]
    with pytest.raises(ObservationsError, match="'exclude' names column 'kommune'"):
        select_rows(frame, {}, [{"kommune": "Oslo"}])


def test_unknown_series_or_empty_selection_names_the_indicator():
    typo = indicator("ledighet", sources=[{"kind": "published", "series": "registered_unemployment_rates"}])
    with pytest.raises(ObservationsError, match=r"ledighet: series 'registered_unemployment_rates' is not in"):
        load_observations(catalogue(typo), include_api=False)
    nothing = indicator("ledighet", sources=[{"kind": "published", "series": "registered_unemployment_rate",
                                              "where": {"period": "5. kvartal*"}}])
    with pytest.raises(ObservationsError, match=r"ledighet: no published rows .*5\. kvartal"):
        load_observations(catalogue(nothing), include_api=False)


def test_quarterly_series_without_where_breaks_the_unique_key():
    all_quarters = indicator("ledighet", sources=[{"kind": "published", "series": "registered_unemployment_rate"}])
    with pytest.raises(ObservationsError, match=r"ledighet: \d+ row\(s\) share a key.*narrow the source with 'where'"):
        load_observations(catalogue(all_quarters), include_api=False)


# --------------------------------------------------------------------------- derived gaps


def test_gap_is_group_minus_reference_in_percentage_points():
    base = tidy_frame([
        tidy_row(group="innvandrere", value=65.4),
        tidy_row(group="befolkningen_uten_innvandrere", value=78.1, source_ref="https://ref", released="2021-04-01"),
        tidy_row(group="norskfodte", value=0.0, status="nil"),
        tidy_row(group="hele_befolkningen", value=np.nan, status="suppressed"),
        tidy_row(group="innvandrere", year=2019, value=67.1),  # no reference row that year: no gap
    ])
    gaps = gap_rows(base, "sysselsatte_gap", "befolkningen_uten_innvandrere").set_index("group")
    assert sorted(gaps.index) == ["hele_befolkningen", "innvandrere", "norskfodte"]
    assert gaps.loc["innvandrere", "value"] == pytest.approx(-12.7)
    assert gaps.loc["norskfodte", "value"] == pytest.approx(-78.1)  # nil is a true zero
    assert math.isnan(gaps.loc["hele_befolkningen", "value"])
    assert gaps["status"].to_dict() == {"hele_befolkningen": "suppressed", "innvandrere": "ok", "norskfodte": "ok"}
    assert set(gaps["unit"]) == {"prosentpoeng"} and set(gaps["indicator"]) == {"sysselsatte_gap"}
    assert gaps.loc["innvandrere", "source_ref"] == f"{EMPLOYMENT_2021_03_19} minus https://ref"
    assert gaps.loc["innvandrere", "released"] == "2021-04-01"  # the later of the two inputs
    assert gaps.loc["innvandrere", "retrieved"] == "unknown"


def test_gap_matches_only_the_same_breakdown():
    base = tidy_frame([
        tidy_row(group="innvandrere", sex="menn", value=70.0),
        tidy_row(group="befolkningen_uten_innvandrere", sex="menn", value=80.0),
        tidy_row(group="innvandrere", sex="kvinner", value=60.0),
        tidy_row(group="befolkningen_uten_innvandrere", sex="kvinner", value=76.0),
        tidy_row(group="innvandrere", region="afrika", value=40.0),
    ])
    gaps = gap_rows(base, "g", "befolkningen_uten_innvandrere")
    assert sorted(zip(gaps["sex"], gaps["value"])) == [("kvinner", -16.0), ("menn", -10.0)]


def test_derived_indicator_is_built_and_validated():
    gap = indicator("sysselsatte_gap", unit="prosentpoeng", derived={"from": "sysselsatte_andel", "op": "gap"})
    table = load_observations(catalogue(EMPLOYMENT, gap), include_api=False)
    row = table[(table["indicator"] == "sysselsatte_gap") & (table["year"] == 2020)
                & (table["group"] == "innvandrere") & (table["region"] == "alle")]
    assert row["value"].tolist() == [pytest.approx(65.4 - 78.1)]
    assert row["source_kind"].tolist() == ["derived"] and row["status"].tolist() == ["ok"]
    assert "befolkningen_uten_innvandrere" not in set(table.loc[table["indicator"] == "sysselsatte_gap", "group"])


def test_derived_groups_limit_the_gap_to_those_groups():
    gap = indicator("sysselsatte_gap", unit="prosentpoeng",
                    derived={"from": "sysselsatte_andel", "op": "gap", "groups": ["innvandrere"]})
    table = load_observations(catalogue(EMPLOYMENT, gap), include_api=False)
    gaps = table[table["indicator"] == "sysselsatte_gap"]
    assert set(gaps["group"]) == {"innvandrere"}
    assert len(gaps) > 0 and len(table[(table["indicator"] == "sysselsatte_andel")
                                       & (table["group"] == "hele_befolkningen")]) > 0


def test_gap_without_reference_group_is_an_error():
    base = indicator("andel", reference_group=None, sources=EMPLOYMENT.sources)
    gap = indicator("gap", unit="prosentpoeng", reference_group=None, derived={"from": "andel", "op": "gap"})
    with pytest.raises(ObservationsError, match="gap: a gap needs a reference_group"):
        load_observations(catalogue(base, gap), include_api=False)


# --------------------------------------------------------------------------- the contract


CATALOGUE = catalogue(indicator("sysselsatte_andel"), indicator("bosatte", unit="personer"))


def test_a_valid_frame_passes():
    validate_observations(tidy_frame([tidy_row(), tidy_row(group="norskfodte", value=0.0, status="nil"),
                                      tidy_row(group="hele_befolkningen", value=np.nan, status="missing")]), CATALOGUE)


@pytest.mark.parametrize("changes, message", [
    ({"indicator": "ukjent"}, "indicator the catalogue does not have"),
    ({"group": "innvandrer"}, r"unknown group code\(s\) \['innvandrer'\]"),
    ({"sex": "begge"}, r"unknown sex code\(s\) \['begge'\]"),
    ({"region": "land:Atlantis"}, r"unknown region code\(s\) \['land:Atlantis'\]"),
    ({"botid": "0-4"}, r"unknown botid code\(s\) \['0-4'\]"),
    ({"age": "20-67"}, r"unknown age code\(s\)"),
    ({"value": 100.5}, "prosent values outside 0–100"),
    ({"value": -0.1}, "prosent values outside 0–100"),
    ({"value": np.nan}, "status ok but no value"),
    ({"status": "suppressed"}, "a number although the status says there is none"),
    ({"status": "missing"}, "a number although the status says there is none"),
    ({"status": "nil", "value": 3.0}, "status nil but a value other than 0"),
    ({"status": ":"}, "a status not in"),
    ({"unit": "personer"}, "unit differs from the catalogue's"),
    ({"source_kind": "manual"}, "source_kind not in"),
    ({"geography": "Oslo"}, r"geography not of the form"),
    ({"geography": "03"}, r"geography not of the form"),
    ({"geography": "K301"}, r"geography not of the form"),
])
def test_each_broken_rule_is_reported_with_the_indicator_and_rows(changes, message):
    frame = tidy_frame([tidy_row(group="norskfodte", value=50.0), tidy_row(**changes)])
    with pytest.raises(ObservationsError, match=message) as err:
        validate_observations(frame, CATALOGUE)
    text = str(err.value)
    assert f"{changes.get('indicator', 'sysselsatte_andel')}: 1 row(s)" in text
    assert EMPLOYMENT_2021_03_19[:40] in text  # the offending row is shown


def test_duplicate_keys_are_reported():
    frame = tidy_frame([tidy_row(), tidy_row(period="2020", value=65.0)])
    with pytest.raises(ObservationsError, match=r"sysselsatte_andel: 2 row\(s\) share a key"):
        validate_observations(frame, CATALOGUE)


@pytest.mark.parametrize("drop, add, message", [
    (["note"], {}, r"missing: \['note'\]"),
    ([], {"comment": "x"}, r"extra: \['comment'\]"),
])
def test_missing_or_extra_columns_are_reported(drop, add, message):
    frame = tidy_frame([tidy_row()]).drop(columns=drop).assign(**add)
    with pytest.raises(ObservationsError, match=f"sysselsatte_andel: columns differ from the contract.*{message}"):
        validate_observations(frame, CATALOGUE)


@pytest.mark.parametrize("column, dtype, message", [
    ("year", "float64", "year is float64, not int64"),
    ("value", "object", "value is object, not float64"),
    ("group", "category", "group is category, not str"),
])
def test_wrong_dtypes_are_reported(column, dtype, message):
    frame = tidy_frame([tidy_row()])
    frame[column] = frame[column].astype(dtype)
    with pytest.raises(ObservationsError, match=f"sysselsatte_andel: wrong dtypes: .*{message}"):
        validate_observations(frame, CATALOGUE)


def test_at_most_ten_offending_rows_are_shown():
    frame = tidy_frame([tidy_row(year=2000 + n, value=120.0) for n in range(15)])
    with pytest.raises(ObservationsError) as err:
        validate_observations(frame, CATALOGUE)
    text = str(err.value)
    assert "sysselsatte_andel: 15 row(s) with prosent values outside 0–100" in text
    assert "2009" in text and "2010" not in text and "… and 5 more row(s)" in text


def test_every_published_series_passes_the_contract():
    """Each series of the snapshot as an indicator of its own, narrowed to one kind of period
    where it holds several (quarters, multi-year sums): the whole table validates."""
    from indikatorer.data.published import load_published

    published = load_published()
    key = [c for c in observations.KEY_COLUMNS if c != "indicator"]
    inds = []
    for series, rows in published.groupby("series"):
        for where in [{}] + [{"period": f"{q}. kvartal*"} for q in (4, 3, 2, 1)] + [{"period": "[0-9]" * 4}]:
            chosen = select_rows(rows, where)
            if len(chosen) and not chosen.duplicated(key).any():
                break
        else:
            pytest.fail(f"{series}: no single kind of period")
        inds.append(indicator(f"i_{series}", unit=rows["unit"].iloc[0],
                              sources=[{"kind": "published", "series": series, "where": where}]))
    table = load_observations(catalogue(*inds), include_api=False)
    assert table["indicator"].nunique() == published["series"].nunique() > 90


# --------------------------------------------------------------------------- from a raw API snapshot


def _jsonstat() -> bytes:
    doc = {
        "version": "2.0", "class": "dataset", "label": "Sysselsatte", "updated": "2024-03-05T08:00:00Z",
        "id": ["InnvandrKat", "Kjonn", "Tid"], "size": [2, 2, 2],
        "dimension": {
            "InnvandrKat": {"category": {"index": {"B": 0, "C": 1},
                                         "label": {"B": "Innvandrere", "C": "Befolkningen eksklusive innvandrere"}}},
            "Kjonn": {"category": {"index": {"0": 0, "1": 1}, "label": {"0": "Begge kjønn", "1": "Menn"}}},
            "Tid": {"category": {"index": {"2022K4": 0, "2023K4": 1}, "label": {"2022K4": "2022K4", "2023K4": "2023K4"}}},
        },
        "value": [68.9, 68.2, 72.0, None, 79.8, 79.8, 0, 81.0],
        "status": {"3": ":", "6": "-"},
    }
    return json.dumps(doc).encode("utf-8")


API_SOURCE = {"kind": "ssb_api", "table": "12345", "query": {"Tid": ["top(2)"]},
              "columns": {"InnvandrKat": "group", "Kjonn": "sex", "Tid": "year"}}


@pytest.fixture
def raw_store(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RAW_DIR", tmp_path / "raw")
    folder = tmp_path / "raw" / "ssb" / "12345" / "2024-05-01"
    folder.mkdir(parents=True)
    meta = {"source_kind": "ssb_api", "table": "12345", "query": snapshot.normalise_query(API_SOURCE["query"]),
            "fetched_at": "2024-05-01T10:00:00+00:00", "updated": "2024-03-05T08:00:00Z"}
    return snapshot.write_with_sidecar(folder / "data.json", _jsonstat(), meta)


def test_raw_api_snapshot_is_mapped_through_columns(raw_store):
    api = indicator("sysselsatte_api", sources=[API_SOURCE])
    table = load_observations(catalogue(api))
    assert len(table) == 8 and list(table.columns) == TIDY_COLUMNS
    assert set(table["group"]) == {"innvandrere", "befolkningen_uten_innvandrere"}
    assert set(table["sex"]) == {"alle", "menn"} and set(table["year"]) == {2022, 2023}
    assert set(table["region"]) == {"alle"} and set(table["botid"]) == {"alle"}
    cell = table.set_index(["group", "sex", "year"])
    assert cell.loc[("innvandrere", "alle", 2022), "value"] == 68.9
    assert cell.loc[("innvandrere", "alle", 2022), "period"] == "2022K4"
    assert cell.loc[("innvandrere", "menn", 2023), "status"] == "suppressed"
    assert math.isnan(cell.loc[("innvandrere", "menn", 2023), "value"])
    assert cell.loc[("befolkningen_uten_innvandrere", "menn", 2022), ["value", "status"]].tolist() == [0.0, "nil"]
    assert set(table["source_kind"]) == {"ssb_api"} and set(table["source_table"]) == {"12345"}
    assert table["source_ref"].iloc[0] == '12345?{"Tid":["top(2)"]}'
    assert set(table["source_sha256"]) == {raw_store["sha256"]}
    assert table["source_file"].str.endswith("12345/2024-05-01/data.json").all()
    assert set(table["retrieved"]) == {"2024-05-01T10:00:00+00:00"}  # when it was fetched
    assert set(table["released"]) == {"2024-03-05T08:00:00Z"}  # SSB's `updated` stamp


def test_api_rows_are_skipped_when_asked(raw_store):
    api = indicator("sysselsatte_api", sources=[API_SOURCE])
    assert load_observations(catalogue(api), include_api=False).empty


def test_unknown_api_label_is_an_error(raw_store):
    source = {**API_SOURCE, "columns": {"InnvandrKat": "region", "Kjonn": "sex", "Tid": "year"},
              "constants": {"group": "innvandrere"}}
    with pytest.raises(ObservationsError, match="sysselsatte_api: table 12345 has labels codes.yml does not know"
                                                 r" \(region: Befolkningen eksklusive innvandrere, Innvandrere\)"):
        load_observations(catalogue(indicator("sysselsatte_api", sources=[source])))


# --------------------------------------------------------------------------- vocabularies, cache, CLI


def test_observations_reads_codes_through_the_codes_module():
    """observations re-exports the one reader of codes.yml (older callers import it from here)."""
    from indikatorer.core import codes

    assert observations.load_codes is codes.load_codes and observations.Codes is codes.Codes


def test_the_default_table_is_cached_and_callers_get_copies(monkeypatch):
    import indikatorer.data.catalogue

    calls = []
    real_build = observations.build_observations

    def counting_build(cat, **kwargs):
        calls.append(kwargs)
        return real_build(cat, **kwargs)

    monkeypatch.setattr(indikatorer.data.catalogue, "load_catalogue", lambda: catalogue(EMPLOYMENT))
    monkeypatch.setattr(observations, "build_observations", counting_build)
    observations.clear_cache()
    try:
        first = load_observations(include_api=False)
        first.loc[:, "value"] = -1.0
        second = load_observations(include_api=False)
        assert len(calls) == 1
        assert (second["value"] >= 0).all()
        earlier = load_observations(year_max=2019, include_api=False)
        assert len(calls) == 1  # the whole table is built once; a year_max filters it
        assert earlier["year"].max() <= 2019
        assert earlier.equals(second[second["year"] <= 2019].reset_index(drop=True))
        load_observations(include_api=True)
        assert len(calls) == 2  # other sources, other table
    finally:
        observations.clear_cache()


def test_show_prints_one_indicators_rows(monkeypatch, capsys):
    import indikatorer.data.catalogue

    cat = catalogue(EMPLOYMENT)
    cat.get = lambda ind_id: next(i for i in cat.indicators if i.id == ind_id)
    monkeypatch.setattr(indikatorer.data.catalogue, "load_catalogue", lambda: cat)
    observations.clear_cache()
    try:
        assert cli_data.command_show(argparse.Namespace(indicator="sysselsatte_andel", format="csv")) == 0
    finally:
        observations.clear_cache()
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ",".join(TIDY_COLUMNS)
    assert "sysselsatte_andel,2020,4. kvartal 2020,innvandrere,alle,20-66,0,alle," in out
    assert ",65.4,1,ok,published," in out


# --------------------------------------------------------------------------- the real catalogue's rows


@pytest.fixture(scope="module")
def real_table() -> pd.DataFrame:
    return load_observations(include_api=False)


def _of(table: pd.DataFrame, indicator_id: str, **codes) -> pd.DataFrame:
    rows = table[table["indicator"] == indicator_id]
    for column, value in {"sex": "alle", "region": "alle", "botid": "alle", **codes}.items():
        rows = rows[rows[column] == value]
    return rows


def test_the_book_shows_norway_as_a_whole(real_table):
    # The catalogue leaves out municipalities and counties (e.g. Oslo, Sandefjord); no chapter
    # code stands in for that choice.
    assert not real_table["other_dim"].isin(["bostedskommune", "bostedsfylke"]).any()


def test_multi_year_totals_never_read_as_one_year(real_table):
    # e.g. 224 050 acquisitions of citizenship printed for "2014 - 2023", kept in the snapshot
    # with year 2023; the three-year windows of persistent low income are one year's figure.
    ranges = real_table["period"].str.extract(r"^(\d{4})\s*-\s*(\d{4})$").dropna().astype(int)
    assert ((ranges[1] - ranges[0]) == 2).all(), real_table.loc[ranges.index, ["indicator", "period"]]
    citizenship = _of(real_table, "statsborgerskap_overganger", other_dim="")
    assert citizenship.set_index("year")["value"].to_dict()[2023] == 37340.0
    assert 224050.0 not in set(real_table["value"])


def test_coarsely_rounded_text_figures_stay_out_of_the_refugee_and_child_series(real_table):
    refugees = _of(real_table, "flyktningbakgrunn_antall", other_dim="")
    assert sorted(refugees["year"]) == [2016, 2018, 2019, 2020, 2021, 2024]  # 2023 (280 000) is a gap
    assert 280000.0 not in set(refugees["value"])
    children = _of(real_table, "barn_vedvarende_lavinntekt_andel", group="alle_barn")
    assert 2015 not in set(children["year"]) and 2022 in set(children["year"])
    for indicator_id in ("flyktningbakgrunn_antall", "barn_vedvarende_lavinntekt_andel"):
        notes = real_table.loc[real_table["indicator"] == indicator_id, "note"]
        assert not notes.str.contains("ounded in text").any(), indicator_id


def test_local_election_turnout_is_one_population_per_group(real_table):
    rows = _of(real_table, "valgdeltakelse_kommunestyre")
    # all eligible voters (norske and utenlandske statsborgere together) are not in the series
    assert not rows["group"].isin(["hele_befolkningen", "befolkningen_uten_innvandrere"]).any()
    immigrants = rows[rows["group"].isin(["innvandrere", "norskfodte",
                                          "norske_statsborgere_uten_innvandrerbakgrunn"])]
    totals = immigrants[immigrants["other_dim"] != "innvandringsgrunn"]
    assert set(zip(totals["other_dim"], totals["other_value"])) == {("statsborgerskap", "norske statsborgere")}
    # 2015 by reason: the Norwegian citizens' part of the printed «statsborgerskap;
    # innvandringsgrunn», in Norwegian, the printed English label kept in the note
    reasons = immigrants[immigrants["other_dim"] == "innvandringsgrunn"]
    assert set(reasons["year"]) == {2015} and set(reasons["group"]) == {"innvandrere"}
    assert reasons.set_index("other_value")["value"].to_dict() == {
        "Flyktningbakgrunn": 36.0, "Arbeidsinnvandrere": 45.0, "Annen familieinnvandring": 35.0,
        "Utdanning": 46.0, "Uoppgitt og annet": 49.0}
    assert reasons.set_index("other_value").loc["Flyktningbakgrunn", "note"].endswith("Trykt som «Refugee background».")
    assert (rows.loc[rows["group"] == "utenlandske_statsborgere", "other_dim"] == "").all()
    newest = rows[rows["year"] == 2023].set_index("group")["value"].to_dict()
    assert newest == {"innvandrere": 38.0, "norskfodte": 36.0, "norske_statsborgere_uten_innvandrerbakgrunn": 69.0,
                      "utenlandske_statsborgere": 25.0}
    assert totals.loc[(totals["group"] == "innvandrere") & (totals["year"] == 2015), "value"].tolist() == [40.0]


def test_home_ownership_is_persons_with_a_reference_group_in_the_same_year(real_table):
    rows = _of(real_table, "eierandel_bolig")
    assert set(zip(rows["other_dim"], rows["other_value"])) == {("enhet", "personer")}  # no households, no survey
    in_2022 = rows[rows["year"] == 2022].set_index("group")["value"].to_dict()
    assert in_2022 == {"innvandrere": 60.0, "befolkningen_uten_innvandrere": 85.0}


def test_introduction_programme_years_are_cohorts_only(real_table):
    rows = real_table[real_table["indicator"] == "intro_arbeid_utdanning_andel"]
    cohorts = rows[rows["other_dim"] == "avslutningsår (kohort)"]
    assert (cohorts["other_value"] == cohorts["year"].astype(str)).all()
    # SSB's status tables of 2017 and 2023 print the status year: their figures are the cohorts
    # that left in 2016 and 2022 (the 2024 edition said «ingen tall» for the 2022 cohort)
    status = rows[rows["other_dim"] != "avslutningsår (kohort)"]
    assert set(status["other_dim"]) == {"status ett år etter endt introduksjonsprogram"}
    assert set(status["year"]) == {2016, 2022}
    assert status["period"].str.startswith(("november 2017", "november 2023")).all()
    assert sorted(_of(real_table, "intro_arbeid_utdanning_andel")["year"]) == [
        2011, 2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022]
    in_2022 = _of(real_table, "intro_arbeid_utdanning_andel").set_index("year")["value"][2022]
    assert in_2022 == 65.0


def test_norwegian_training_keeps_the_later_years_of_the_ordinary_scheme(real_table):
    rows = _of(real_table, "norskopplaering_deltakere", age="alle")
    rows = rows[~rows["other_dim"].isin(["innvandringsgrunn"])]
    assert rows.set_index("year")["value"].to_dict() == {
        2011: 37261.0, 2012: 36912.0, 2013: 38691.0, 2018: 40342.0, 2019: 33846.0, 2020: 26123.0, 2021: 22199.0,
        2022: 28379.0}
    assert not real_table["other_value"].eq("norskopplæring for asylsøkere").any()


def test_subsets_and_other_measures_printed_beside_a_group_are_left_out(real_table):
    employment = real_table[real_table["indicator"] == "sysselsatte_andel"]
    assert (employment["other_dim"] == "").all()  # not «innvandrere utenom krigsflyktninger fra Ukraina»
    representatives = real_table[real_table["indicator"] == "representanter_innvandrerbakgrunn_andel"]
    assert representatives.set_index("year")["value"].to_dict() == {2007: 2.0, 2023: 3.3}
    completion = _of(real_table, "vgo_fullfort_normert_tid_andel", group="innvandrere")
    assert completion.set_index("year")["value"].to_dict() == {2006: 37.0, 2014: 45.2}
    gaps = real_table[real_table["indicator"] == "sysselsatte_gap"]
    assert set(gaps["group"]) == {"innvandrere", "norskfodte"}


# --------------------------------------------------------------------------- small numbers


def published_pair(rate_rows, count_rows, count_series="employed_persons"):
    """A published snapshot with employment rates and a count series, built on a real row so the
    columns follow the published table."""
    from indikatorer.data.published import load_published

    template = load_published().query("series == 'employment_rate'").iloc[0].to_dict()
    base = {**template, "sex": "alle", "age": "20-66", "region": "alle", "botid": "alle",
            "other_dim": "", "other_value": "", "status": "ok", "note": ""}
    rows = [{**base, "series": "employment_rate", "unit": "prosent", **r} for r in rate_rows]
    rows += [{**base, "series": count_series, "unit": "personer", **r} for r in count_rows]
    return pd.DataFrame(rows)


def counted(role="numerator"):
    rate = indicator("sysselsatte_andel", sources=[{"kind": "published", "series": "employment_rate"}])
    rate.counts = {"indicator": "sysselsatte_antall", "role": role}
    count = indicator("sysselsatte_antall", unit="personer", reference_group=None,
                      sources=[{"kind": "published", "series": "employed_persons"}])
    return rate, count


def test_a_rate_resting_on_fewer_than_ten_persons_is_suppressed_and_ten_is_kept():
    rate, count = counted("numerator")
    published = published_pair(
        # 4 of 9 persons (44,4 %) and 5 of 10 persons (50,0 %); norskfodte have no count.
        [{"year": 2020, "group": "innvandrere", "value": 44.4, "note": "Fotnote."},
         {"year": 2021, "group": "innvandrere", "value": 50.0},
         {"year": 2020, "group": "norskfodte", "value": 3.0}],
        [{"year": 2020, "group": "innvandrere", "value": 4.0},
         {"year": 2021, "group": "innvandrere", "value": 5.0}])
    table = observations.build_observations(catalogue(rate, count), published=published, include_api=False)
    rates = table[table["indicator"] == "sysselsatte_andel"].set_index(["group", "year"])
    small = rates.loc[("innvandrere", 2020)]
    assert math.isnan(small["value"]) and small["status"] == "suppressed"
    assert small["note"] == "Færre enn 10 personer (SSBs regel for små tall). Fotnote."
    kept = rates.loc[("innvandrere", 2021)]
    assert kept["value"] == 50.0 and kept["status"] == "ok" and kept["note"] == ""
    untouched = rates.loc[("norskfodte", 2020)]  # no count: as published, even if small
    assert untouched["value"] == 3.0 and untouched["status"] == "ok"
    counts = table[table["indicator"] == "sysselsatte_antall"]
    assert sorted(counts["value"]) == [4.0, 5.0]  # counts themselves are shown as published
    validate_observations(table, catalogue(rate, count))
    sizes = observations.indicator_group_sizes(table, rate)
    assert sorted(sizes["n"]) == [10.0]  # a suppressed rate no longer gives a group size


def test_a_denominator_count_is_the_group_itself_and_a_gap_follows_the_suppressed_rate():
    rate, count = counted("denominator")
    gap = indicator("sysselsatte_gap", unit="prosentpoeng", derived={"from": "sysselsatte_andel", "op": "gap"})
    reference = "befolkningen_uten_innvandrere"
    published = published_pair(
        [{"year": 2020, "group": "innvandrere", "value": 60.0},
         {"year": 2021, "group": "innvandrere", "value": 70.0},
         {"year": 2020, "group": reference, "value": 75.0},
         {"year": 2021, "group": reference, "value": 76.0}],
        [{"year": 2020, "group": "innvandrere", "value": 9.0},
         {"year": 2021, "group": "innvandrere", "value": 10.0}])
    table = observations.build_observations(catalogue(rate, count, gap), published=published, include_api=False)
    rates = table[table["indicator"] == "sysselsatte_andel"].set_index(["group", "year"])
    assert rates.loc[("innvandrere", 2020), "status"] == "suppressed"
    assert math.isnan(rates.loc[("innvandrere", 2020), "value"])
    assert rates.loc[("innvandrere", 2021), "value"] == 70.0
    gaps = table[table["indicator"] == "sysselsatte_gap"].set_index("year")
    assert gaps.loc[2020, "status"] == "suppressed" and math.isnan(gaps.loc[2020, "value"])
    assert gaps.loc[2021, "value"] == pytest.approx(-6.0)


def test_group_sizes_need_a_count_for_the_same_key_and_a_rate_above_zero():
    rates = tidy_frame([tidy_row(value=50.0), tidy_row(value=0.0, year=2021), tidy_row(value=40.0, sex="menn")])
    counts = tidy_frame([tidy_row(value=20.0, unit="personer"), tidy_row(value=0.0, year=2021, unit="personer")])
    sizes = observations.group_sizes(rates, counts, "numerator")
    assert sizes.iloc[0] == 40.0 and math.isnan(sizes.iloc[1]) and math.isnan(sizes.iloc[2])
    assert list(observations.group_sizes(rates, counts, "denominator").fillna(-1)) == [20.0, 0.0, -1]
    with pytest.raises(ValueError):
        observations.group_sizes(rates, counts, "teller")


def test_real_rates_are_suppressed_only_where_the_printed_counts_give_under_ten_persons(real_table):
    from indikatorer.data.catalogue import load_catalogue
    from indikatorer.data.published import load_published

    published = load_published()
    rule = real_table["note"].str.startswith("Færre enn 10 personer")
    assert (real_table.loc[rule, "status"] == "suppressed").all() and real_table.loc[rule, "value"].isna().all()
    expected = set()
    for ind in load_catalogue().indicators:
        if not ind.counts:
            continue
        rates = real_table[real_table["indicator"] == ind.id]
        counts = real_table[real_table["indicator"] == ind.counts["indicator"]]
        sizes = observations.indicator_group_sizes(real_table, ind)
        assert len(sizes) > 0 and (sizes["n"] >= 10).all(), ind.id
        # Recompute from the printed figures, before the rule: which rates rest on under 10 persons.
        printed = published[published["series"].isin([s["series"] for s in ind.published_sources])]
        key = observations.COUNT_MATCH
        merged = printed[key + ["value"]].merge(counts[key + ["value"]], on=key, suffixes=("", "_n"))
        size = merged["value_n"] / merged["value"] * 100 if ind.counts["role"] == "numerator" else merged["value_n"]
        expected |= {(ind.id, *k) for k in merged.loc[size.round() < 10, key].itertuples(index=False)}
        assert len(rates)
    found = {tuple(r) for r in real_table.loc[rule, ["indicator", *observations.COUNT_MATCH]].itertuples(index=False)}
    assert found == expected == set()  # the snapshot's smallest employment group has 230 persons


def test_a_derived_gap_has_the_fewest_decimals_of_its_inputs():
    # 38 (printed without decimals) against 68,2: the gap is −30, not the false precision −30,2
    base = tidy_frame([tidy_row(group="innvandrere", value=38.0, decimals=0),
                       tidy_row(group="befolkningen_uten_innvandrere", value=69.0, decimals=0),
                       tidy_row(group="innvandrere", year=2021, value=38.0, decimals=0),
                       tidy_row(group="befolkningen_uten_innvandrere", year=2021, value=68.2, decimals=1)])
    gaps = gap_rows(base, "sysselsatte_andel_gap", "befolkningen_uten_innvandrere")
    assert gaps.set_index("year")["decimals"].to_dict() == {2020: 0, 2021: 0}
    assert gaps.set_index("year")["value"].round(6).to_dict() == {2020: -31.0, 2021: -30.2}  # the value unrounded


@pytest.mark.parametrize("decimals", [-1, np.nan])
def test_validation_rejects_negative_or_missing_decimals(decimals):
    frame = tidy_frame([tidy_row(decimals=decimals)])
    with pytest.raises(ObservationsError, match="decimals"):
        validate_observations(frame, catalogue(EMPLOYMENT))


# --------------------------------------------------------------------------- geography


def test_the_same_key_in_two_geographies_is_two_rows_not_a_duplicate():
    frame = tidy_frame([tidy_row(), tidy_row(geography="F03", value=60.1), tidy_row(geography="K0301", value=60.1)])
    validate_observations(frame, CATALOGUE)
    with pytest.raises(ObservationsError, match="share a key"):
        validate_observations(tidy_frame([tidy_row(geography="F03"), tidy_row(geography="F03", value=1.0)]),
                              CATALOGUE)


def test_every_row_of_the_project_table_has_a_geography_and_existing_rows_are_national():
    table = load_observations()
    assert table["geography"].str.fullmatch(r"0|F\d{2}|K\d{4}").all()
    ssb = table[table["source_ref"].str.contains(r"ssb\.no/", regex=True)]
    assert len(ssb) > 1000 and (ssb["geography"] == "0").all()
    oslo = table[table["geography"].isin(["F03", "K0301"])]
    assert {"vgo_fullfort_imdi_andel", "utdanningsniva_imdi_fordeling", "innvandrere_grunn_antall"} <= set(oslo["indicator"])


def test_national_sums_of_regions_are_marked_derived_and_say_so():
    table = load_observations()
    derived = table[(table["source_kind"] == "derived") & (table["indicator"] == "vgo_fullfort_imdi_andel")]
    assert len(derived) > 0 and (derived["geography"] == "0").all()
    assert derived["note"].str.startswith("Avledet: summen over").all()
    # A gap between two groups in the same county compares rows of that county only.
    gap = gap_rows(table[table["indicator"] == "vgo_fullfort_imdi_andel"], "x", "befolkningen_ellers")
    oslo = gap[(gap["geography"] == "F03") & (gap["year"] == 2019) & (gap["group"] == "innvandrere")
               & (gap["sex"] == "alle")]
    rates = table[(table["indicator"] == "vgo_fullfort_imdi_andel") & (table["geography"] == "F03")
                  & (table["year"] == 2019) & (table["sex"] == "alle")].set_index("group")["value"]
    assert oslo["value"].tolist() == [pytest.approx(rates["innvandrere"] - rates["befolkningen_ellers"])]
