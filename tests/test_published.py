"""The committed snapshot of figures printed on ssb.no (data/published/) and the tool that made it."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import shutil

import pandas as pd
import pytest

from indikatorer.core import paths
from indikatorer.core.errors import UserError
from indikatorer.core.codes import load_codes
from indikatorer.data.observations import CODED_COLUMNS, KEY_COLUMNS
from indikatorer.data.published import COLUMNS, load_published, parse_printed_value
from indikatorer.data.snapshot import sha256_file, verify_file

PUBLISHED = paths.PUBLISHED_DIR


def _load_tool():
    spec = importlib.util.spec_from_file_location("import_published", paths.PROJECT_ROOT / "tools" / "import_published.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return load_published()


@pytest.fixture(scope="module")
def tool():
    return _load_tool()


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(PUBLISHED / name, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- the snapshot


def test_snapshot_loads_with_tidy_dtypes_and_known_codes(published):
    assert list(published.columns) == COLUMNS + ["decimals", "source_file", "source_sha256", "retrieved"]
    assert published["decimals"].dtype == "int64" and (published["decimals"] >= 0).all()
    assert published["year"].dtype == "int64" and published["value"].dtype == "float64"
    assert len(published) > 5000
    codes = load_codes()
    for column, vocabulary in CODED_COLUMNS.items():
        unknown = {c for c in published[column].unique() if not codes.is_known(vocabulary, c)}
        assert not unknown, f"{column}: {unknown}"
    assert set(published["status"]) <= {"ok", "missing", "not_available", "suppressed", "not_applicable", "nil"}
    assert published.loc[published["status"] == "ok", "value"].notna().all()
    percent = published[published["unit"] == "prosent"]["value"]
    assert percent.dropna().between(0, 100).all() and percent.notna().sum() > 10000
    assert set(published["source_kind"]) == {"published", "derived"}
    derived = published[published["source_kind"] == "derived"]
    assert (derived["geography"] == "0").all() and derived["note"].str.startswith("Avledet:").all()
    assert (published["source_file"] == "data/published/observations.csv").all()
    assert (published["source_sha256"] == sha256_file(PUBLISHED / "observations.csv")).all()
    # The pages' release dates are recorded; when they were read is not (never the release date).
    assert (published["retrieved"] == "unknown").all()
    assert published["released"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_one_row_per_series_period_and_codes(published):
    key = ["series", "period"] + [c for c in KEY_COLUMNS if c != "indicator"]
    assert not published.duplicated(key).any()


def test_no_rows_from_non_ssb_pages(published, tool):
    # SSB's pages, and the exports IMDi and FHI made (each with the address of its origin).
    hosts = published["source_ref"].str.extract(r"^https?://([^/]+)/")[0].str.replace(r"^www\.", "", regex=True)
    assert set(hosts) <= {"ssb.no", "statbank.ssb.no", "github.com"}
    exports = published[hosts == "github.com"]
    assert set(exports["source_table"]) == {e.name for e in tool.exports.EXPORTS}
    assert not published["note"].str.contains("SECONDARY").any()


def test_caution_rows_are_kept_with_their_caveat(published):
    caution = published[published["note"].str.contains("CAUTION")]
    assert len(caution) > 0
    # Table 225176 prints no year; its rows are kept as 2014 with the reason in the note.
    assert (caution["source_ref"].str.contains("/225176/")).any()


# Figures copied by hand from the pages (URL, what was printed) and the codes they map to:
# (url, series, year, group, sex, age, region, botid, other_value, printed value).
PRINTED = [
    ("https://www.ssb.no/a/en/static/innvregsys_en/tab-2006-06-22-04-en.html",  # Africa, less than 4 years
     "employment_rate", 2004, "innvandrere", "alle", "16-74", "afrika", "0-3", "", "29.8"),
    ("https://www.ssb.no/a/kortnavn/innvregsys/tab-2012-06-21-04.html",
     "employment_rate", 2011, "innvandrere", "alle", "15-74", "alle", "alle", "", "62.8"),
    ("https://statbank.ssb.no/288387/sysselsatte-15-74-ar-i-prosent-av-registrert-arskull.menn-og-kvinner-etter-landbakgrunn.4.kvartal-2015",
     "employment_rate", 2015, "innvandrere", "alle", "15-74", "asia_med_tyrkia", "alle", "", "53.0"),
    ("https://www.ssb.no/342044/sysselsatte-20-66-ar-etter-innvandrerkategori-verdensregion-og-alder.4.kvartal",
     "employment_rate", 2017, "norskfodte", "alle", "20-66", "alle", "alle", "", "69.1"),
    ("https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2021-03-19",
     "employment_rate", 2020, "innvandrere", "alle", "20-66", "alle", "alle", "", "65.4"),
    ("https://www.ssb.no/arbeid-og-lonn/sysselsetting/statistikk/sysselsetting-blant-innvandrere-registerbasert/artikler",
     "employment_rate", 2021, "befolkningen_uten_innvandrere", "alle", "20-66", "alle", "alle", "", "79.2"),
    ("https://ssb.no/216038/registered-unemployed-by-region-of-birth-and-time-of-residence-in-norway.absolute-figures-and-in-per-cent-of-persons-in-total-aged-15-74-years-in-each-group",
     "registered_unemployed_persons", 2013, "innvandrere", "alle", "15-74", "alle", "alle", "", "25523"),
    ("https://ssb.no/254616/registrerte-helt-arbeidsledige-etter-kjonn-innvandringsbakgrunn-to-delt-landbakgrunn-og-alder.absolutte-tall-og-i-prosent-av-arbeidsstyrken-i-hver-gruppe",
     "registered_unemployment_rate", 2014, "innvandrere", "alle", "alle", "landgruppe2", "alle", "", "8.3"),
    ("https://www.ssb.no/utdanning/voksenopplaering/statistikk/introduksjonsordningen-for-nyankomne-innvandrere/artikler/flere-i-arbeid-eller-utdanning-etter-endt-introduksjonsprogram",
     "intro_employed_rate", 2020, "innvandrere", "menn", "alle", "alle", "alle", "2020", "59"),
    ("https://www.ssb.no/109876/innvandrere-og-norskf%C3%B8dte-med-innvandrerforeldre-etter-landbakgrunn.1.januar",
     "population_count", 2013, "innvandrere", "alle", "alle", "asia_med_tyrkia", "alle", "", "171919"),
    ("https://www.ssb.no/a/kortnavn/statsborger/tab-2012-05-24-02.html",
     "citizenship_acquisitions", 2006, "nye_norske_statsborgere", "alle", "alle", "alle", "alle", "", "11955"),
    ("https://www.ssb.no/a/kortnavn/vundinnv/arkiv/tab-2006-02-16-04.html",  # continent "Asia", 2005 election
     "election_turnout_national", 2005, "norske_statsborgere_med_innvandrerbakgrunn", "alle", "alle",
     "asia_verdensdel", "alle", "norske statsborgere", "50.3"),
    ("https://www.ssb.no/a/kortnavn/vundkinnv/tab-2012-03-01-10.html",
     "election_turnout_local", 2011, "utenlandske_statsborgere", "alle", "alle", "alle", "alle", "", "31.9"),
    ("https://www.ssb.no/inntekt-og-forbruk/artikler-og-publikasjoner/flere-innvandrerbarnefamilier-med-lavinntekt?tabell=167993",
     "persistent_low_income_share", 2012, "barn_med_innvandrerbakgrunn", "alle", "0-17", "land:Somalia", "3", "", "89.8"),
    ("https://www.ssb.no/bygg-bolig-og-eiendom/bolig-og-boforhold/statistikk/boforhold-registerbasert/artikler/okt-eierandel-blant-innvandrere",
     "home_ownership_share", 2022, "innvandrere", "alle", "alle", "alle", "alle", "personer", "60"),
    ("https://www.ssb.no/utdanning/artikler-og-publikasjoner/hvordan-gar-det-med-innvandrere-og-deres-barn-i-skolen?tabell=313377",
     "kindergarten_minority_language_share_of_children", 2016, "minoritetsspraklige_barn", "alle", "alle", "alle",
     "alle", "offentlige barnehager", "20.2"),
    ("https://www.ssb.no/befolkning/statistikker/flyktninger/aar",
     "refugee_background_count", 2021, "flyktningbakgrunn", "alle", "alle", "alle", "alle", "", "240239"),
    ("https://www.ssb.no/451991/nokkeltall-for-mottakere-av-okonomisk-sosialhjelp.2019",
     "social_assistance_median_amount", 2019, "befolkningen_ellers", "alle", "alle", "alle", "alle", "", "23200"),
    ("https://www.ssb.no/a/kortnavn/utniv/tab-2012-06-19-06.html",
     "education_level_count", 2011, "innvandrere", "alle", "16+", "vest_europa", "alle", "Grunnskolenivå", "7917"),
]


@pytest.mark.parametrize("url, series, year, group, sex, age, region, botid, other_value, printed", PRINTED,
                         ids=[f"{p[1]}-{p[2]}-{p[6]}" for p in PRINTED])
def test_printed_figure_is_reproduced_exactly(published, url, series, year, group, sex, age, region, botid,
                                              other_value, printed):
    rows = published[(published["source_ref"] == url) & (published["series"] == series)
                     & (published["year"] == year) & (published["group"] == group) & (published["sex"] == sex)
                     & (published["age"] == age) & (published["region"] == region)
                     & (published["botid"] == botid) & (published["other_value"] == other_value)]
    assert len(rows) == 1, rows
    assert rows["value"].iloc[0] == float(printed)
    assert rows["status"].iloc[0] == "ok"


def test_the_home_ownership_articles_rest_of_the_population_is_decided_by_its_numbers(published, tool):
    # «den øvrige befolkningen» (2022): 85 % and immigrants' 60 % only average to the whole
    # population's 81.6–81.8 % with norskfødte on the 85 % side, so it is befolkningen
    # eksklusive innvandrere, not the unspecified resten_av_befolkningen.
    page = ("https://www.ssb.no/bygg-bolig-og-eiendom/bolig-og-boforhold/statistikk/boforhold-registerbasert/"
            "artikler/okt-eierandel-blant-innvandrere")
    rest = published[(published["source_ref"] == page) & (published["group_label"] == "befolkningen_ellers")]
    assert set(rest["group"]) == {"befolkningen_uten_innvandrere"} and len(rest) == 2
    code, why = tool.GROUP_OVERRIDES[(page, "befolkningen_ellers")]
    assert code == "befolkningen_uten_innvandrere" and "81.6" in why
    whole = published[(published["series"] == "home_ownership_share") & (published["group"] == "hele_befolkningen")
                      & (published["other_value"] == "personer") & published["year"].isin([2020, 2023])]
    share = 0.15  # immigrants' share of the population, 1 January 2022
    implied = (1 - share) * rest.loc[rest["other_value"] == "personer", "value"].item() + share * 60.0
    assert abs(implied - whole["value"].mean()) < 1.0


def test_the_snapshot_keeps_totals_and_rounded_text_figures_with_what_they_are(published):
    # The catalogue decides what forms an indicator; the snapshot keeps every printed figure,
    # and its period and note say what it is.
    total = published[(published["series"] == "citizenship_acquisitions") & (published["value"] == 224050)]
    assert total[["year", "period"]].values.tolist() == [[2023, "2014 - 2023"]]
    rounded = published[(published["series"] == "refugee_background_count") & (published["year"] == 2023)
                        & (published["region"] == "alle")]
    assert rounded["value"].tolist() == [280000.0] and rounded["note"].str.startswith("Rounded in text").all()


def test_values_are_written_as_printed():
    with open(PUBLISHED / "observations.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    asia_2015 = [r for r in rows if r["source_ref"].startswith("https://statbank.ssb.no/288387/")
                 and r["region"] == "asia_med_tyrkia" and r["sex"] == "alle"]
    assert [r["value"] for r in asia_2015] == ["53.0"]  # the trailing zero SSB printed is kept
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", r["value"]) for r in rows if r["status"] == "ok")


def test_region_label_keeps_the_printed_wording(published):
    row = published[(published["source_ref"] == "https://ssb.no/en/arbeid-og-lonn/statistikker/innvregsys/aar/2020-03-02")
                    & (published["region"] == "vest_europa") & (published["series"] == "employment_rate")]
    assert row["region_label"].tolist() == ["Western Europe except the Nordic Countries and Turkey"]


# --------------------------------------------------------------------------- revisions


def test_newer_release_replaces_the_first_publication(published):
    # 4th quarter 2013, immigrants, all regions: table 164300 (2014) printed 24 887, table 216038 (2015) 25 523.
    kept = published[(published["series"] == "registered_unemployed_persons") & (published["year"] == 2013)
                     & (published["group"] == "innvandrere") & (published["region"] == "alle")
                     & (published["botid"] == "alle")]
    assert kept["value"].tolist() == [25523.0]
    assert kept["source_ref"].str.contains("/216038/").all()
    revisions = _csv("revisions.csv")
    old = revisions[(revisions["series"] == "registered_unemployed_persons") & (revisions["year"] == "2013")
                    & (revisions["group"] == "innvandrere") & (revisions["region"] == "alle")
                    & (revisions["botid"] == "alle")]
    assert old[["value", "kept_value"]].values.tolist() == [["24887", "25523"]]
    assert old["source_ref"].str.contains("/164300/").all()
    assert old["reason"].str.startswith("revised").all()
    assert (old["released"] < old["kept_released"]).all()


def test_final_figure_replaces_preliminary_even_when_worded_differently(published):
    # 2019 introduction cohort: 61 % (ingress of 29 Sept 2021), 62 % in the article of 3 Oct 2022.
    kept = published[(published["series"] == "intro_in_work_or_education_rate") & (published["year"] == 2019)
                     & (published["sex"] == "alle")]
    assert kept["value"].tolist() == [62.0]
    assert kept["released"].tolist() == ["2022-10-03"]
    revisions = _csv("revisions.csv")
    old = revisions[(revisions["series"] == "intro_in_work_or_education_rate") & (revisions["year"] == "2019")]
    assert old[["value", "released", "period", "kept_period"]].values.tolist() == [
        ["61", "2021-09-29", "ett år etter avslutning i 2019", "november 2020 (ett år etter avslutning i 2019)"]]


def test_rounded_repeat_does_not_replace_the_precise_figure(published):
    kept = published[(published["series"] == "election_turnout_local") & (published["year"] == 2011)
                     & (published["group"] == "utenlandske_statsborgere") & (published["sex"] == "alle")
                     & (published["botid"] == "alle")]
    assert kept["value"].tolist() == [31.9]
    revisions = _csv("revisions.csv")
    assert ((revisions["series"] == "election_turnout_local") & (revisions["value"] == "32")
            & (revisions["kept_value"] == "31.9") & revisions["reason"].str.contains("rounded")).sum() == 1


def test_every_rejected_duplicate_points_at_a_kept_row(published):
    revisions = _csv("revisions.csv")
    assert len(revisions) > 0 and revisions["reason"].ne("").all()
    kept_refs = set(published["source_ref"])
    assert set(revisions["kept_source_ref"]) <= kept_refs


# --------------------------------------------------------------------------- pages, sidecars, tampering


def test_every_page_has_a_release_date_and_basis(published):
    pages = _csv("pages.csv")
    assert set(pages["url"]) == set(published["source_ref"])
    assert pages["released"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert pages["released_basis"].str.match(r"page$|url$|list: |estimated: ").all()
    assert published["released"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert pages["rows"].astype(int).sum() == len(published)


@pytest.mark.parametrize("name", ["observations.csv", "pages.csv", "revisions.csv"])
def test_each_file_has_a_matching_sidecar(name):
    meta = verify_file(PUBLISHED / name)
    assert {"file", "sha256", "size", "source", "created_with"} <= set(meta)
    assert meta["file"] == name and meta["size"] == (PUBLISHED / name).stat().st_size
    assert meta["created_with"] == "tools/import_published.py"
    assert "Statistisk sentralbyrå" in meta["attribution"]


def test_tampered_file_fails_the_checksum_naming_the_file(tmp_path):
    copy = tmp_path / "published"
    shutil.copytree(PUBLISHED, copy)
    data = (copy / "observations.csv").read_text(encoding="utf-8")
    (copy / "observations.csv").write_text(data.replace(",65.4,", ",65.5,", 1), encoding="utf-8")
    with pytest.raises(UserError, match=r"observations\.csv.*checksum mismatch"):
        load_published(copy)


def test_missing_sidecar_is_an_error(tmp_path):
    shutil.copy(PUBLISHED / "observations.csv", tmp_path / "observations.csv")
    with pytest.raises(UserError, match="observations.csv"):
        load_published(tmp_path)


# --------------------------------------------------------------------------- SSB's symbols


@pytest.mark.parametrize("printed, expected", [
    ("65.4", ("65.4", "ok")),
    ("53.0", ("53.0", "ok")),
    ("-0.7", ("-0.7", "ok")),
    ("..", ("", "missing")),
    ("...", ("", "not_available")),
    (":", ("", "suppressed")),
    (".", ("", "not_applicable")),
    ("-", ("0", "nil")),
])
def test_printed_symbols_give_a_status_not_a_zero(printed, expected):
    assert parse_printed_value(printed) == expected


@pytest.mark.parametrize("printed", ["65,4", "2 493 510", "", "n/a"])
def test_unconverted_or_unknown_text_is_refused(printed):
    with pytest.raises(ValueError):
        parse_printed_value(printed)


def test_symbols_load_as_missing_values_and_nil_as_zero(tmp_path, tool):
    rows = [dict(zip(COLUMNS, ["s", "2020", "2020", group, "alle", "alle", "0", "alle", "", "alle", "", "",
                               "prosent", *parse_printed_value(symbol), "published", "", "https://www.ssb.no/x",
                               "2021-01-01", "", group, "alle", "alle", "alle", ""]))
            for group, symbol in [("hele_befolkningen", ":"), ("innvandrere", "-"), ("norskfodte", "12.5")]]
    tool.write_outputs(tmp_path, rows, [], [], {})
    frame = load_published(tmp_path)
    assert frame["status"].tolist() == ["suppressed", "nil", "ok"]
    assert math.isnan(frame["value"].iloc[0])
    assert frame["value"].iloc[1:].tolist() == [0.0, 12.5]


# --------------------------------------------------------------------------- the import tool's rules


def _source_row(**changes) -> dict[str, str]:
    row = {"indicator": "employment_rate", "theme": "work", "year": "2020", "period": "4. kvartal 2020",
           "population_group": "innvandrere", "sex": "alle", "age": "20-66", "region_of_origin": "Afrika",
           "botid": "alle", "other_dim": "", "other_value": "", "unit": "prosent", "value": "65.4",
           "source_url": "https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2021-03-19",
           "source_title": "t", "ssb_statistic": "innvregsys", "ssb_table": "436217 (release table)", "note": ""}
    return {**row, **changes}


def test_tool_maps_english_and_norwegian_labels_to_the_same_codes(tool):
    rows, problems = tool.map_rows([
        _source_row(region_of_origin="Vest-Europa utenom Norden", note="printed region label: Western Europe else"),
        _source_row(region_of_origin="Iraq", botid="under 4 år", population_group="befolkningen_eksklusive_innvandrere"),
    ])
    assert problems == []
    assert [(r["region"], r["region_label"]) for r in rows] == [("vest_europa", "Western Europe else"),
                                                              ("land:Irak", "Iraq")]
    assert rows[1]["botid"] == "0-3" and rows[1]["group"] == "befolkningen_uten_innvandrere"
    assert rows[0]["source_table"] == "436217" and rows[0]["released"] == "2021-03-19"


def test_tool_lists_every_label_it_cannot_map(tool):
    rows, problems = tool.map_rows([
        _source_row(region_of_origin="Atlantis"),
        _source_row(population_group="marsboere"),
        _source_row(botid="evig"),
        _source_row(population_group="befolkningen_ellers"),  # ambiguous words: must be decided per page
        _source_row(source_url="https://www.ssb.no/not-in-the-release-table"),
        _source_row(region_of_origin="Asia", note="printed region label: Afrika"),
    ])
    text = "\n".join(problems)
    for expected in ["'Atlantis'", "'marsboere'", "'evig'", "'befolkningen_ellers'", "no release date",
                     "disagrees with region_of_origin 'Asia'"]:
        assert expected in text


def test_tool_keeps_the_newest_release_and_records_the_other(tool):
    older = {**tool.map_rows([_source_row(value="65.0")])[0][0], "released": "2020-03-01", "source_ref": "https://a"}
    newer = {**older, "value": "65.4", "released": "2021-03-19", "source_ref": "https://b"}
    kept, rejected = tool.choose_revisions([older, newer])
    assert [r["value"] for r in kept] == ["65.4"]
    assert [(r["value"], r["kept_value"], r["reason"]) for r in rejected] == [
        ("65.0", "65.4", "revised: superseded by the newer release")]


def test_tool_treats_quarters_and_multi_year_sums_as_different_figures(tool):
    assert tool.period_kind("4. kvartal 2019") != tool.period_kind("1. kvartal 2019")
    assert tool.period_kind("2007 - 2016") != tool.period_kind("2016")
    assert tool.period_kind("1. januar 2015") == tool.period_kind("2015")
    assert tool.period_kind("2018-2020") == tool.period_kind("2020 (treårsperiode)")
    base = tool.map_rows([_source_row()])[0][0]
    q1 = {**base, "period": "1. kvartal 2020", "value": "70.1", "source_ref": "https://q1"}
    kept, rejected = tool.choose_revisions([base, q1])
    assert len(kept) == 2 and rejected == []


def test_tool_output_is_the_committed_snapshot(tmp_path, tool):
    """Re-running the import on the committed rows writes the same bytes (stable order and format)."""
    rows = _csv("observations.csv").to_dict("records")
    tool.write_outputs(tmp_path, rows, [], [], json.loads((PUBLISHED / "observations.csv.meta.json").read_text())
                       ["source_files_sha256"])
    assert sha256_file(tmp_path / "observations.csv") == sha256_file(PUBLISHED / "observations.csv")


# --------------------------------------------------------------------------- decimals as printed


@pytest.mark.parametrize("text, decimals", [("38", 0), ("38.0", 1), ("65.4", 1), ("-0.75", 2), ("2493510", 0)])
def test_printed_decimals_counts_the_digits_after_the_point(text, decimals):
    from indikatorer.data.published import printed_decimals

    assert printed_decimals(text) == decimals


@pytest.mark.parametrize("text", ["", "..", ":", "6,0", "abc"])
def test_printed_decimals_rejects_text_that_is_not_a_number(text):
    from indikatorer.data.published import printed_decimals

    with pytest.raises(ValueError):
        printed_decimals(text)


# Real rows of data/published/observations.csv and the decimals SSB printed them with.
PRINTED = [
    ("election_turnout_local", 2011, "hele_befolkningen", "alle", "alle",
     "https://www.ssb.no/en/valg/artikler-og-publikasjoner/valgdeltakelsen-blant-personer-med-innvandrerbakgrunn",
     66.0, 0),
    ("election_turnout_local", 2007, "norske_statsborgere_med_innvandrerbakgrunn", "afrika", "0-9",
     "https://www.ssb.no/a/kortnavn/vundkinnv/tab-2008-02-28-04.html", 29.7, 1),
    ("employment_rate", 2004, "innvandrere", "asia_med_tyrkia", "4-6",
     "https://www.ssb.no/a/en/static/innvregsys_en/tab-2006-06-22-04-en.html", 49.0, 1),
    ("refugee_background_count", 2016, "flyktningbakgrunn", "alle", "alle",
     "http://ssb.no/befolkning/statistikker/flyktninger", 199393.0, 0),
]


@pytest.mark.parametrize("series, year, group, region, botid, page, value, decimals", PRINTED)
def test_loader_gives_the_decimals_a_value_was_printed_with(published, series, year, group, region,
                                                             botid, page, value, decimals):
    rows = published[(published["series"] == series) & (published["year"] == year)
                     & (published["group"] == group) & (published["region"] == region)
                     & (published["botid"] == botid) & (published["source_ref"] == page)
                     & (published["other_value"].isin(["", "norske statsborgere"]))
                     & (published["value"] == value)]
    assert len(rows) >= 1
    assert rows["decimals"].tolist() == [decimals] * len(rows)


# --------------------------------------------------------------------------- the harvest (tools/harvest)

HARVEST = paths.PROJECT_ROOT / "tools" / "harvest" / "ssb_pages_2026.csv"


def _harvest() -> list[dict[str, str]]:
    with open(HARVEST, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def harvested(tool):
    rows, problems = tool.harvest_source_rows(tool.read_harvest(HARVEST))
    mapped, map_problems = tool.map_rows(rows)
    assert problems == [] and map_problems == []
    return mapped


# Figures read off the stored pages by hand, as printed, and the codes they must land on:
# (url, series, year, group, sex, age, region, botid, other_value, printed figure).
HARVESTED = [
    ("https://www.ssb.no/a/en/static/innvregsys_en/tab-2006-06-22-04-en.html",  # "2004, total 2 274 000 ..."
     "employed_persons", 2004, "hele_befolkningen", "alle", "16-74", "alle", "alle", "", "2 274 000"),
    ("https://www.ssb.no/a/en/static/innvregsys_en/tab-2006-06-22-04-en.html",  # "7 years or more ... 33 302 ..."
     "employed_persons", 2004, "innvandrere", "alle", "16-74", "asia_med_tyrkia", "7+", "", "33 302"),
    ("https://ssb.no/a/static/innvregsys/tab-2009-06-24-05.html",  # "Under 4 år i alt ... 4 349 1 903"
     "employed_persons", 2008, "innvandrere", "alle", "15-74", "afrika", "0-3", "", "4 349"),
    ("https://www.ssb.no/a/kortnavn/innvregsys/tab-2012-06-21-05.html",  # "Under 4 år i alt    100 991 ..."
     "employed_persons", 2011, "innvandrere", "alle", "15-74", "alle", "0-3", "", "100 991"),
    ("https://www.ssb.no/a/kortnavn/innvregsys/tab-2012-06-21-04.html",  # "Fra 6 inntil 7 år   67,4 79,9 80,8 79,6"
     "employment_rate", 2011, "innvandrere", "alle", "15-74", "eu_ost", "6", "", "79,6"),
    ("https://www.ssb.no/a/barnogunge/2011/tabeller/barnehage/bhage0610.html",  # "Heile landet 27 455 48 813 56,2 9,9"
     "kindergarten_minority_language_share_of_immigrant_children", 2010, "minoritetsspraklige_barn", "alle", "0-5",
     "alle", "alle", "", "56,2"),
    ("https://ssb.no/124838/deltakere-i-oppl%C3%A6ring-i-norsk-og-samfunnskunnskap-for-voksne-innvandrere-"
     "etter-innvandringsgrunn-og-kj%C3%B8nn",  # "Flukt14 2198 44959,45 77040,6"
     "norwegian_training_participants", 2011, "innvandrere", "kvinner", "alle", "alle", "alle", "flukt", "5 770"),
    ("http://www.ssb.no/en/utdanning/statistikker/introinnv/aar-tidligere-deltakere/2016-12-19",
     "intro_in_work_or_education_rate", 2014, "innvandrere", "menn", "alle", "alle", "alle", "2014", "66"),
    ("https://www.ssb.no/inntekt-og-forbruk/artikler-og-publikasjoner/lavere-inntekt-blant-innvandrere",
     "median_household_income_relative", 2006, "innvandrere", "alle", "alle", "landgruppe1", "alle", "", "95"),
    ("https://www.ssb.no/sosiale-forhold-og-kriminalitet/artikler-og-publikasjoner/56-prosent-av-"
     "sosialhjelpsutbetalingene-gar-til-innvandrere?fbclid=IwAR3HRmOE4-jOozOX0BfJRzO3R1991Pvj8RVmQkyuICwGsctnZGUJBjo7Eb0",
     "social_assistance_paid_share", 2017, "norskfodte", "alle", "alle", "alle", "alle", "", "1,2"),
]


@pytest.mark.parametrize("url, series, year, group, sex, age, region, botid, other_value, printed", HARVESTED,
                         ids=[f"{h[1]}-{h[2]}-{h[6]}-{h[7]}" for h in HARVESTED])
def test_harvested_figure_is_imported_exactly_as_printed(published, url, series, year, group, sex, age, region,
                                                         botid, other_value, printed):
    rows = published[(published["source_ref"] == url) & (published["series"] == series)
                     & (published["year"] == year) & (published["group"] == group) & (published["sex"] == sex)
                     & (published["age"] == age) & (published["region"] == region)
                     & (published["botid"] == botid) & (published["other_value"] == other_value)]
    assert len(rows) == 1, rows
    assert rows["value"].iloc[0] == float(printed.replace(" ", "").replace(",", "."))
    assert rows["status"].iloc[0] == "ok"
    assert rows["decimals"].iloc[0] == (len(printed.split(",")[1]) if "," in printed else 0)
    source = [h for h in _harvest() if h["source_url"] == url and h["printed_value"] == printed]
    assert source and all(printed in h["printed_text"] for h in source)


def test_every_harvested_figure_is_in_the_snapshot_with_its_page(published, harvested, tool):
    assert len(harvested) == len(_harvest()) > 200
    snapshot = _csv("observations.csv")
    key = tool._PAGE_KEY
    index = {tuple(r[c] for c in key): r for r in snapshot.to_dict("records")}
    for row in harvested:
        kept = index[tuple(row[c] for c in key)]
        assert kept["value"] == row["value"] and kept["status"] == "ok"
        assert kept["released"] == row["released"] and kept["source_kind"] == "published"
    pages = _csv("pages.csv").set_index("url")
    for url in {h["source_url"] for h in _harvest()}:
        dates = {h["released"] for h in _harvest() if h["source_url"] == url}
        assert pages.loc[url, "released"] == max(dates)


def test_reimporting_the_harvest_reproduces_the_committed_bytes(tmp_path, harvested, tool):
    """The committed snapshot less the harvested rows, plus the harvest imported afresh, through the
    tool's revision rules and writer, gives observations.csv byte for byte."""
    key = tool._PAGE_KEY
    fresh = {tuple(r[c] for c in key) for r in harvested}
    rest = [r for r in _csv("observations.csv").to_dict("records") if tuple(r[c] for c in key) not in fresh]
    assert len(rest) + len(harvested) == len(_csv("observations.csv"))
    kept, rejected = tool.choose_revisions(rest + harvested)
    assert rejected == []
    tool.write_outputs(tmp_path, kept, [], [], json.loads((PUBLISHED / "observations.csv.meta.json").read_text())
                       ["source_files_sha256"])
    assert sha256_file(tmp_path / "observations.csv") == sha256_file(PUBLISHED / "observations.csv")


def test_harvested_count_tables_add_up_as_read():
    """The cells of the old tables are separated by spaces that also group thousands; the reading
    kept is the one where the regions add up to the printed total and the botid groups to the
    column totals — checked here on the committed file."""
    rows = [h for h in _harvest() if h["series"] == "employed_persons" and h["population_group"] == "innvandrere"]
    value = {(h["source_url"], h["year"], h["region_of_origin"], h["botid"]): float(
        h["printed_value"].replace(" ", "")) for h in rows}
    tables = {(u, y) for u, y, _, _ in value}
    assert len(tables) == 5
    for url, year in tables:
        cells = {(r, b): v for (u, y, r, b), v in value.items() if (u, y) == (url, year)}
        regions = sorted({r for r, _ in cells} - {"alle"})
        botids = sorted({b for _, b in cells} - {"alle"})
        assert len(regions) == 8 and len(botids) == 3
        for b in botids + ["alle"]:
            assert sum(cells[(r, b)] for r in regions) == cells[("alle", b)], (url, year, b)
        for r in regions + ["alle"]:
            assert sum(cells[(r, b)] for b in botids) == cells[(r, "alle")], (url, year, r)


@pytest.mark.parametrize("printed, value", [("27 455", "27455"), ("56,2", "56.2"), ("2 274 000", "2274000"),
                                            ("1,2", "1.2"), ("66", "66"), ("..", ".."), ("Sixty-six", "Sixty-six")])
def test_printed_numbers_lose_only_their_thousands_spaces_and_decimal_comma(tool, printed, value):
    assert tool.printed_to_value(printed) == value


def test_the_harvest_refuses_figures_it_cannot_stand_behind(tool):
    good = _harvest()[0]
    rows, problems = tool.harvest_source_rows([
        {**good, "printed_value": "2 274 001"},                        # not in the printed text
        {**good, "source_url": "https://www.imdi.no/tall"},            # not SSB's page
        {**good, "released": "", "released_basis": ""},                # no date
    ])
    assert len(problems) == 3
    assert "not in its printed text" in problems[0] and "not a page on ssb.no" in problems[1]
    assert "no release date" in problems[2]
    words, _ = tool.harvest_source_rows([{**good, "printed_value": "total", "printed_text": "2004, total"}])
    assert tool.map_rows(words)[1] and "not a number" in tool.map_rows(words)[1][0]
    mapped = tool.map_rows(tool.harvest_source_rows([good])[0])[0]
    assert "already in the reference data" in tool.harvest_problems(mapped, mapped)[0]
    assert "harvested twice" in tool.harvest_problems(mapped + mapped, [])[0]
    late = [{**mapped[0], "released": "2007-01-01"}]
    assert "RELEASED says 2006-06-22" in tool.harvest_problems(late, [])[0]
