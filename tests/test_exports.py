"""The regional exports (IMDi, FHI) in the snapshot and the tool that imports them
(tools/import_exports.py, called by tools/import_published.py)."""

from __future__ import annotations

import csv
import importlib.util
import sys

import pandas as pd
import pytest

from indikatorer.core import paths
from indikatorer.data.published import COLUMNS, load_geographies, load_published
from indikatorer.data.snapshot import verify_file


@pytest.fixture(scope="module")
def ex():
    sys.path.insert(0, str(paths.PROJECT_ROOT / "tools"))
    spec = importlib.util.spec_from_file_location("import_exports", paths.PROJECT_ROOT / "tools" / "import_exports.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return load_published()


def _export(ex, **changes):
    base = ex.EXPORT_BY_NAME["imdi2022_videregaende_fullfort_fylker_2009-2019.csv"]
    from dataclasses import replace
    return replace(base, **changes)


# --------------------------------------------------------------------------- IMDi's wide format

# Latin-1 bytes in IMDi's layout: dimensions in the header lines, in an order of their own.
WIDE = ("Region;Navn;Kjønn: Alle;Kjønn: Alle;Kjønn: Kvinner;Kjønn: Kvinner\r\n"
        ";;Enhet: Personer;Enhet: Prosent;Enhet: Personer;Enhet: Prosent\r\n"
        ";;Bakgrunn: Innvandrere;Bakgrunn: Innvandrere;Bakgrunn: Innvandrere;Bakgrunn: Innvandrere\r\n"
        ";;År: 2019;År: 2019;År: 2019;År: 2019\r\n"
        "F03;Oslo;1200;64.5;:;:\r\n"
        "F20;Finnmark;;;.;.\r\n").encode("cp1252")


def test_the_wide_format_is_read_from_its_header_lines(ex):
    cells = ex.parse_wide(WIDE)
    assert len(cells) == 8
    first = cells[0]
    assert first == {"Kjønn": "Alle", "Enhet": "Personer", "Bakgrunn": "Innvandrere", "År": "2019",
                     "Region": "F03", "Navn": "Oslo", "value": "1200"}


def test_suppressed_cells_get_a_status_and_empty_cells_no_row(ex):
    rows, skipped = ex.imdi_rows(_export(ex), ex.parse_wide(WIDE))
    by = {(r["geography"], r["sex"], r["unit"]): (r["value"], r["status"]) for r in rows}
    assert by[("F03", "alle", "personer")] == ("1200", "ok")
    assert by[("F03", "alle", "prosent")] == ("64.5", "ok")
    assert by[("F03", "kvinner", "personer")] == ("", "suppressed")
    assert by[("F20", "kvinner", "prosent")] == ("", "not_applicable")
    assert ("F20", "alle", "personer") not in by  # empty: no figure for that region, no row
    assert skipped["empty cell (no figure for that region and year)"] == 2
    assert {r["group"] for r in rows} == {"innvandrere"} and {r["source_kind"] for r in rows} == {"published"}


def test_a_file_that_is_not_an_export_or_has_a_short_row_is_refused(ex):
    with pytest.raises(ValueError, match="Region;Navn"):
        ex.parse_wide("a;b\r\n1;2\r\n".encode("cp1252"))
    with pytest.raises(ValueError, match="cells"):
        ex.parse_wide(WIDE.replace(b"F20;Finnmark;;;.;.", b"F20;Finnmark;;"))


def test_labels_give_the_years_a_changed_region_existed(ex):
    assert ex.split_validity("Moss (t.o.m. 2019)") == ("Moss", None, 2019)
    assert ex.split_validity("Sandefjord (f.o.m. 2017)") == ("Sandefjord", 2017, None)
    assert ex.split_validity("Oslo") == ("Oslo", None, None)
    cells = [{"Region": "K0104", "Navn": "Moss (t.o.m. 2019)"}]
    rows = [{"geography": "K0104", "year": "2020"}]
    assert ex.check_validity(rows, cells) == ["K0104 has a figure for 2020 outside its years (None–2019)"]


# --------------------------------------------------------------------------- national sums


def _county_rows(ex, year, persons, shares, statuses=None):
    rows = []
    for n, code in enumerate(ex.counties_of(year)):
        status = (statuses or {}).get(code, "ok")
        for unit, value in (("personer", persons[n]), ("prosent", shares[n])):
            rows.append({"series": f"s_{unit}", "year": str(year), "period": str(year), "group": "innvandrere",
                         "sex": "alle", "age": "alle", "geography": code, "geography_label": code,
                         "region": "alle", "region_label": "", "botid": "alle", "other_dim": "", "other_value": "",
                         "unit": unit, "value": "" if status != "ok" else value, "status": status,
                         "source_kind": "published", "source_table": "t", "source_ref": "https://x",
                         "released": "2022-01-01", "note": ""})
    return rows


def test_national_sum_adds_persons_and_divides_by_the_implied_denominators(ex):
    n = len(ex.counties_of(2019))
    persons = ["50"] * (n - 1) + ["30"]
    shares = ["50.0"] * (n - 1) + ["75.0"]  # denominators 100 … 100 and 40
    out, left = ex.national_sums(_county_rows(ex, 2019, persons, shares), _export(ex))
    assert left == []
    by_unit = {r["unit"]: r for r in out}
    assert by_unit["personer"]["value"] == str(50 * (n - 1) + 30)
    expected = (50 * (n - 1) + 30) / (100 * (n - 1) + 40) * 100
    assert float(by_unit["prosent"]["value"]) == pytest.approx(round(expected, 1))
    assert all(r["geography"] == "0" and r["source_kind"] == "derived" for r in out)
    assert by_unit["prosent"]["note"].startswith(f"Avledet: summen over {n} fylker")


def test_no_national_sum_where_a_region_is_suppressed_or_the_county_set_is_wrong(ex):
    n = len(ex.counties_of(2014))
    rows = _county_rows(ex, 2014, ["10"] * n, ["50.0"] * n, statuses={"F20": "suppressed"})
    out, left = ex.national_sums(rows, _export(ex))
    assert out == [] and "1 region(s) without a number" in left[0]
    # 2018 uses Trøndelag (F50), not Sør- and Nord-Trøndelag: the 2017 set is not a partition.
    rows = _county_rows(ex, 2017, ["10"] * n, ["50.0"] * n)
    for r in rows:
        r["year"] = "2018"
    out, left = ex.national_sums(rows, _export(ex))
    assert out == [] and "not the county set of 2018" in left[0]


def test_a_declared_denominator_is_used_instead_of_implied_ones(ex):
    n = len(ex.counties_of(2019))
    level = _county_rows(ex, 2019, ["0"] * n, ["0.0"] * n)  # 0 %: implies no denominator
    total = _county_rows(ex, 2019, ["10"] * n, ["100.0"] * n)
    for r in level:
        r["other_dim"], r["other_value"] = "utdanningsnivå", "ingen"
    out, left = ex.national_sums(level + total, _export(ex, denominator={"other_dim": "", "other_value": ""}))
    share = [r for r in out if r["unit"] == "prosent" and r["other_value"] == "ingen"]
    assert [r["value"] for r in share] == ["0.0"] and left == []
    out, left = ex.national_sums(level + total, _export(ex))
    assert not [r for r in out if r["unit"] == "prosent" and r["other_value"] == "ingen"]
    assert any("per cent is 0" in reason for reason in left)


# --------------------------------------------------------------------------- FHI


def test_fhi_rows_take_the_period_end_as_year_and_coded_geographies(ex):
    export = ex.EXPORT_BY_NAME["andel_innvandrere_i_lavinntekt_fhi.csv"]
    data = ("Geografi,År,Alder,Innvandringskategori,Lavinntektsgrense,Andel\n"
            "Hele landet,2004-2006,25 år +,Innvandrere,EU 60,21.3217349172738\n"
            "Midt-Telemark,2019-2021,25 år +,Øvrig befolkning,EU 60,7.5\n").encode()
    rows = ex.fhi_rows(export, data)
    assert [(r["year"], r["period"], r["geography"], r["group"], r["age"], r["value"]) for r in rows] == [
        ("2006", "2004-2006", "0", "innvandrere", "25+", "21.3217349172738"),
        ("2021", "2019-2021", "K4020", "befolkningen_uten_innvandrere", "25+", "7.5")]
    with pytest.raises(SystemExit, match="Atlantis"):
        ex.fhi_rows(export, data.replace(b"Midt-Telemark", b"Atlantis"))


# --------------------------------------------------------------------------- the committed snapshot


@pytest.mark.parametrize("name", ["imdi2022_videregaende_fullfort_fylker_2009-2019.csv",
                                  "imdi2022_utdanningsniva_fylker_2009-2020.csv",
                                  "imdi2022_utdanningsniva_allekommuner_2011-2020.csv",
                                  "imdi2022_befolkning_innvandringsgrunn_allekommuner_2006-2021.csv",
                                  "andel_innvandrere_i_lavinntekt_fhi.csv"])
def test_raw_copies_match_their_sidecars_and_the_declared_origin(ex, name):
    export = ex.EXPORT_BY_NAME[name]
    meta = verify_file(paths.DATA_DIR / "raw" / export.publisher / name)
    assert meta["sha256"].startswith(export.sha256)
    assert meta["origin"]["commit"] == export.origin_commit and meta["origin"]["url"] == export.origin_url
    assert meta["reference_copy"].endswith(name)


def test_importing_the_raw_copies_gives_the_committed_rows(ex, published):
    """The regional rows of observations.csv are what the tool makes of data/raw (no reference
    folder needed), value for value."""
    export = ex.EXPORT_BY_NAME["imdi2022_videregaende_fullfort_fylker_2009-2019.csv"]
    data, _ = ex.read_raw(paths.DATA_DIR / "raw", export)
    rows, _ = ex.imdi_rows(export, ex.parse_wide(data))
    sums, _ = ex.national_sums(rows, export)
    made = pd.DataFrame(rows + sums, columns=COLUMNS).astype(str)
    with open(paths.PUBLISHED_DIR / "observations.csv", encoding="utf-8", newline="") as fh:
        committed = pd.DataFrame([r for r in csv.DictReader(fh) if r["source_table"] == export.name])
    key = ["series", "year", "group", "sex", "geography", "unit"]
    merged = made.merge(committed, on=key, suffixes=("_made", "_committed"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["value_made"] == merged["value_committed"]).all()
    assert (merged["status_made"] == merged["status_committed"]).all()


def test_the_readme_checks_hold_for_the_derived_national_figures(published):
    vgo = published[(published["series"] == "imdi_upper_secondary_completed_share") & (published["year"] == 2019)
                    & (published["sex"] == "alle") & (published["geography"] == "0")].set_index("group")["value"]
    assert vgo[["innvandrere", "befolkningen_uten_innvandrere", "hele_befolkningen"]].tolist() == [64.5, 79.4, 78.2]
    immigrants = published[(published["series"] == "imdi_immigrants_by_reason_persons") & (published["year"] == 2021)
                           & (published["sex"] == "alle") & (published["geography"] == "0")
                           & (published["other_dim"] == "")]
    assert immigrants["value"].tolist() == [800106.0]  # README: SSB's published total is 800 094


def test_oslo_is_one_area_on_two_levels_and_every_code_is_labelled(published):
    geographies = load_geographies().set_index("code")
    assert geographies.loc["F03", "same_area"] == "K0301" and geographies.loc["K0301", "same_area"] == "F03"
    assert geographies.loc["K0301", "label"] == "Oslo" and geographies.loc["0", "label"] == "Hele landet"
    assert set(published["geography"]) == set(geographies.index)
    # The two files IMDi made for Oslo agree where both have a figure.
    edu = published[published["series"] == "imdi_education_level_share"]
    county = edu[edu["geography"] == "F03"].set_index(["year", "group", "sex", "other_value"])["value"]
    city = edu[edu["geography"] == "K0301"].set_index(["year", "group", "sex", "other_value"])["value"]
    common = county.index.intersection(city.index)
    assert len(common) > 100 and (county[common] == city[common]).all()


def test_printed_changes_are_new_and_the_levels_are_not_duplicated(published):
    change = published[(published["series"] == "employment_rate_change") & (published["year"] == 2020)
                       & (published["group"] == "innvandrere") & (published["region"] == "alle")]
    assert change["value"].tolist() == [-1.9] and change["unit"].tolist() == ["prosentpoeng"]
    assert change["source_ref"].str.endswith("/innvregsys/aar/2021-03-19").all()
    levels = published[(published["series"] == "employment_rate") & (published["year"] == 2020)
                       & (published["group"] == "innvandrere") & (published["region"] == "alle")
                       & (published["age"] == "20-66")]
    assert levels["value"].tolist() == [65.4]
