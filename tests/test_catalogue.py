"""The indicator catalogue: the real file, every validation rule, and the CLI listing."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
import yaml

from indikatorer.data import catalogue as cat
from indikatorer.data.catalogue import Break, CatalogueError, load_catalogue, validate_catalogue
from indikatorer.cli import main
from indikatorer.core.codes import CodesError, load_codes
from indikatorer.core.errors import UserError

# Ids other modules rely on, with the published series each must read (None: derived or no data).
REQUIRED_IDS = {
    "sysselsatte_andel": ("arbeid", "employment_rate"),
    "sysselsatte_gap": ("arbeid", None),
    "registrerte_ledige_andel": ("arbeid", "registered_unemployment_rate"),
    "tiltaksdeltakere_andel": ("arbeid", "labour_market_scheme_participants_pct_of_population"),
    "utenfor_arbeid_utdanning_unge": ("arbeid", None),
    "utenfor_arbeid_utdanning_voksne": ("arbeid", None),
    # Printed only on IMDi/Udir pages, which the embedded snapshot leaves out: no published source.
    "barnehage_minoritetsspraklige_andel": ("utdanning", None),
    "vgo_fullfort_andel": ("utdanning", None),
    "hoyere_utdanning_andel": ("utdanning", "higher_education_long_share"),
    "intro_arbeid_utdanning_andel": ("utdanning", "intro_in_work_or_education_rate"),
    "norskprove_bestatt_andel": ("utdanning", "norwegian_test_pass_rate"),
    "norskopplaering_deltakere": ("utdanning", "norwegian_training_participants"),
    "vedvarende_lavinntekt_andel": ("levekar", "persistent_low_income_share"),
    "barn_vedvarende_lavinntekt_andel": ("levekar", "persistent_low_income_share"),
    "median_inntekt_relativ": ("levekar", "median_household_income_relative"),
    "eierandel_bolig": ("levekar", "home_ownership_share"),
    "trangbodd_andel": ("levekar", "crowded_housing_share"),
    "sosialhjelp_andel": ("levekar", "social_assistance_share"),
    "valgdeltakelse_kommunestyre": ("deltakelse", "election_turnout_local"),
    "valgdeltakelse_storting": ("deltakelse", "election_turnout_national"),
    "representanter_innvandrerbakgrunn_andel": ("deltakelse", "elected_representatives_share"),
    "statsborgerskap_overganger": ("deltakelse", "citizenship_acquisitions"),
    "tillit_lav_andel": ("deltakelse", "low_interpersonal_trust_share"),
    "tilhorighet_andel": ("deltakelse", None),
    "befolkning_antall": ("befolkning", "population_count"),
    "befolkning_andel": ("befolkning", "population_share"),
    "flyktningbakgrunn_antall": ("befolkning", "refugee_background_count"),
    "flyktningbakgrunn_andel": ("befolkning", "refugee_background_share_of_population"),
    "innvandringer_grunn_antall": ("befolkning", "immigrations_by_reason_count"),
}
HEADLINE_IDS = {
    "sysselsatte_andel", "sysselsatte_gap", "registrerte_ledige_andel",
    "barnehage_minoritetsspraklige_andel", "vgo_fullfort_andel", "hoyere_utdanning_andel",
    "intro_arbeid_utdanning_andel", "vedvarende_lavinntekt_andel", "eierandel_bolig",
    "valgdeltakelse_kommunestyre", "valgdeltakelse_storting",
}


@pytest.fixture(scope="module")
def real():
    return load_catalogue()


# ---------------------------------------------------------------- the real catalogue


def test_real_catalogue_validates_without_problems():
    raw = yaml.safe_load(cat.paths.CATALOGUE_FILE.read_text(encoding="utf-8"))
    assert validate_catalogue(raw) == []


def test_real_catalogue_has_every_required_id_in_its_theme_with_its_series(real):
    for ind_id, (theme, series) in REQUIRED_IDS.items():
        ind = real.get(ind_id)
        assert ind.theme == theme, ind_id
        assert ind.name and ind.definition and ind.population, ind_id
        if series is not None:
            assert series in [s["series"] for s in ind.published_sources], ind_id


OTHER_PUBLISHERS = {"imdi", "fhi"}  # their figures come from exports, not from SSB's statbank


def test_every_source_indicator_offers_a_statbank_source(real):
    for ind in real.indicators:
        if not ind.is_derived and not {s.get("statistic") for s in ind.sources} <= OTHER_PUBLISHERS:
            assert [s for s in ind.sources if s["kind"] == "ssb_api"], ind.id


def test_indicators_of_other_publishers_are_built_from_their_exports_only(real):
    others = [i for i in real.indicators if {s.get("statistic") for s in i.sources} & OTHER_PUBLISHERS]
    assert {i.id for i in others} == {"vgo_fullfort_imdi_andel", "utdanningsniva_imdi_fordeling",
                                      "vedvarende_lavinntekt_fhi_andel", "innvandrere_grunn_antall"}
    for ind in others:
        assert all(s["kind"] == "published" and s["series"].startswith(("imdi_", "fhi_")) for s in ind.sources)


def test_every_statbank_source_has_a_status_with_its_evidence(real):
    statuses = []
    for ind in real.indicators:
        for src in ind.statbank_sources:
            statuses.append(src["status"])
            if src["status"] == "none":
                assert src["reason"].strip() and not src.get("query"), ind.id
            else:
                assert src["table"].isdigit() and len(src["table"]) == 5, ind.id
                assert src["query"] and src["columns"] and src["note"].strip(), ind.id
                assert set(src["columns"]) <= set(src["query"]), f"{ind.id}: a mapped dimension must be selected"
    assert set(statuses) == {"confirmed", "unconfirmed", "none"}


def test_headline_set_is_the_agreed_one(real):
    assert {ind.id for ind in real.headline()} == HEADLINE_IDS


def test_specific_facts_other_modules_rely_on(real):
    gap = real.get("sysselsatte_gap")
    assert gap.derived == {"from": "sysselsatte_andel", "op": "gap", "groups": ["innvandrere", "norskfodte"]}
    assert gap.unit == "prosentpoeng" and gap.sources == []

    employment = real.get("sysselsatte_andel")
    assert employment.reference_group == "befolkningen_uten_innvandrere"
    assert {b.year for b in employment.breaks} >= {2015, 2017}
    assert all(isinstance(b, Break) and b.what for b in employment.breaks)

    unemployment = real.get("registrerte_ledige_andel")
    assert unemployment.direction == "lower_better"
    assert "2020" in unemployment.status_note

    for ind_id in ("valgdeltakelse_kommunestyre", "valgdeltakelse_storting"):
        assert real.get(ind_id).frequency == "election_years"
    for ind_id in ("tillit_lav_andel", "tilhorighet_andel"):
        assert real.get(ind_id).survey is True and real.get(ind_id).frequency == "survey"
    assert real.get("statsborgerskap_overganger").unit == "personer"
    assert "reason" in real.get("innvandringer_grunn_antall").breakdowns
    for ind_id in ("vedvarende_lavinntekt_andel", "trangbodd_andel", "sosialhjelp_andel"):
        assert real.get(ind_id).direction == "lower_better"


def test_children_and_adults_take_disjoint_age_bands_of_the_low_income_series(real):
    def ages(ind_id):
        (src,) = real.get(ind_id).published_sources
        wanted = src["where"]["age"]
        return {wanted} if isinstance(wanted, str) else set(wanted)

    children, adults = ages("barn_vedvarende_lavinntekt_andel"), ages("vedvarende_lavinntekt_andel")
    assert children == {"0-17"} and "18+" in adults
    assert not children & adults


def test_quarterly_and_two_election_series_are_narrowed_to_one_period(real):
    (unemployment,) = real.get("registrerte_ledige_andel").published_sources
    assert unemployment["where"]["period"] == "4. kvartal*"
    local = real.get("valgdeltakelse_kommunestyre").published_sources
    assert local and all(not any(p.startswith("fylkesting") for p in src["where"]["period"])
                         for src in local)


def test_every_indicator_has_a_lower_case_subject_that_is_not_its_heading(real):
    for ind in real.indicators:
        assert ind.subject[0].islower() and "«" not in ind.subject, ind.id
        assert ind.subject != ind.name.lower(), ind.id  # a phrase for a sentence, not the heading
    assert real.get("sysselsatte_andel").subject == "andelen sysselsatte"
    # the one that had no wording of its own («Kommunestyrerepresentanter med innvandrerbakgrunn»)
    assert real.get("representanter_innvandrerbakgrunn_andel").subject == "representasjonen i kommunestyrene"


def test_the_home_ownership_gap_is_measured_against_the_group_the_data_have(real):
    # The 2022 article's «den øvrige befolkningen» was decided as befolkningen eksklusive
    # innvandrere (tools/import_published.py says why); the catalogue compares with that group.
    assert real.get("eierandel_bolig").reference_group == "befolkningen_uten_innvandrere"


def test_the_employment_gap_is_computed_for_the_immigrant_groups_only(real):
    assert real.get("sysselsatte_gap").derived["groups"] == ["innvandrere", "norskfodte"]


def test_by_theme_and_get_errors_name_the_problem(real):
    assert {ind.theme for ind in real.by_theme("levekar")} == {"levekar"}
    with pytest.raises(CatalogueError, match="unknown theme 'sport'"):
        real.by_theme("sport")
    with pytest.raises(CatalogueError, match="Did you mean: sysselsatte_andel"):
        real.get("sysselsate_andel")


# ---------------------------------------------------------------- validation rules

MINIMAL = {
    "version": 1,
    "themes": {"arbeid": "Arbeid og sysselsetting"},
    "indicators": [
        {
            "id": "sysselsatte_andel",
            "theme": "arbeid",
            "name": "Sysselsatte",
            "subject": "andelen sysselsatte",
            "definition": "Andel sysselsatte.",
            "unit": "prosent",
            "population": "20–66 år",
            "direction": "higher_better",
            "reference_group": "befolkningen_uten_innvandrere",
            "frequency": "yearly",
            "sources": [
                {"kind": "ssb_api", "table": "11607", "status": "unconfirmed", "note": "A reading.", "query": {"Tid": ["top(5)"]},
                 "columns": {"Tid": "year"}},
                {"kind": "published", "series": "employment_rate"},
            ],
            "breaks": [{"year": 2015, "what": "A-ordningen."}],
        },
        {
            "id": "sysselsatte_gap",
            "theme": "arbeid",
            "name": "Forskjell",
            "subject": "forskjellen i andel sysselsatte",
            "definition": "Forskjell i prosentpoeng.",
            "unit": "prosentpoeng",
            "population": "20–66 år",
            "direction": "higher_better",
            "reference_group": "befolkningen_uten_innvandrere",
            "frequency": "yearly",
            "derived": {"from": "sysselsatte_andel", "op": "gap"},
        },
    ],
}
GROUPS = {"innvandrere", "befolkningen_uten_innvandrere"}


def problems(mutate) -> list[str]:
    raw = copy.deepcopy(MINIMAL)
    mutate(raw)
    return validate_catalogue(raw, group_codes=GROUPS)


def first(raw):
    return raw["indicators"][0]


def test_minimal_catalogue_is_valid():
    assert validate_catalogue(copy.deepcopy(MINIMAL), group_codes=GROUPS) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda r: first(r).pop("unit"), "missing required field 'unit'"),
        (lambda r: first(r).pop("reference_group"), "missing required field 'reference_group'"),
        (lambda r: first(r).update(theme="sport"), "unknown theme 'sport'"),
        (lambda r: first(r).update(unit="prosenter"), "unknown unit 'prosenter'"),
        (lambda r: first(r).update(direction="up"), "unknown direction 'up'"),
        (lambda r: first(r).update(frequency="monthly"), "unknown frequency 'monthly'"),
        (lambda r: first(r)["sources"][0].pop("table"), "status unconfirmed needs a statbank 'table'"),
        (lambda r: first(r)["sources"][0].update(table="1160"), "five-digit statbank id"),
        (lambda r: first(r)["sources"][1].pop("series"), "names no series"),
        (lambda r: first(r)["sources"][0].update(kind="excel"), "unknown kind 'excel'"),
        (lambda r: first(r)["breaks"][0].pop("year"), "break #1 needs a 'year'"),
        (lambda r: first(r)["breaks"][0].pop("what"), "break #1 needs 'what'"),
        (lambda r: first(r).update(reference_group="resten"),
         "reference_group 'resten' is not a known group code"),
        (lambda r: first(r).update(breakdowns=["kommune"]), "unknown breakdown 'kommune'"),
        (lambda r: first(r).update(headline="yes"), "'headline' must be true or false"),
        (lambda r: first(r).update(derived={"from": "x", "op": "gap"}),
         "needs exactly one of 'sources' or 'derived'"),
        (lambda r: first(r)["sources"][0].update(columns={"Tid": "aar"}),
         "column target 'aar' is not a tidy column"),
        (lambda r: first(r)["sources"][1].update(where={"age": 18}), "'where' must map"),
        (lambda r: first(r)["sources"][1].update(where={"alder": "18+"}),
         "'where' names column 'alder', which data/published/observations.csv does not have"),
        (lambda r: first(r)["sources"][1].update(exclude={"other_dim": "bostedskommune"}),
         "'exclude' must be a non-empty list"),
        (lambda r: first(r)["sources"][1].update(exclude=[{}]), "'exclude #1' must name at least one column"),
        (lambda r: first(r)["sources"][1].update(exclude=[{"kommune": "Oslo"}]),
         "'exclude #1' names column 'kommune'"),
        (lambda r: first(r).pop("subject"), "missing required field 'subject'"),
        (lambda r: first(r).update(subject=""), "'subject' must be a non-empty text"),
        (lambda r: first(r).update(subject="Andelen sysselsatte"), "must be a lower-case noun phrase"),
        (lambda r: first(r).update(subject="andelen sysselsatte."), "must be a lower-case noun phrase"),
        (lambda r: first(r).update(subject="verdien for «Sysselsatte»"), "must be wording, not a quoted name"),
        (lambda r: first(r)["sources"][0].update(constants={"kommune": "0301"}),
         "constant for 'kommune'"),
        (lambda r: first(r).update(colour="red"), "unknown field 'colour'"),
    ],
)
def test_each_problem_is_reported_with_the_indicator_id(mutate, expected):
    found = problems(mutate)
    assert any(expected in p and p.startswith("indicator 'sysselsatte_andel'") for p in found), found


def test_derived_from_unknown_indicator_names_the_derived_indicator():
    found = problems(lambda r: r["indicators"][1]["derived"].update({"from": "nope"}))
    assert any(p.startswith("indicator 'sysselsatte_gap'") and "unknown indicator 'nope'" in p
               for p in found), found


def test_derived_gap_groups_must_be_known_codes():
    assert problems(lambda r: r["indicators"][1]["derived"].update(groups=["innvandrere"])) == []
    found = problems(lambda r: r["indicators"][1]["derived"].update(groups=["innvandrerne"]))
    assert any("sysselsatte_gap" in p and "derived group 'innvandrerne'" in p for p in found), found
    found = problems(lambda r: r["indicators"][1]["derived"].update(groups="innvandrere"))
    assert any("'groups' must be a non-empty list" in p for p in found), found
    found = problems(lambda r: r["indicators"][1]["derived"].update(ref="x"))
    assert any("derived has unknown key 'ref'" in p for p in found), found


def test_unknown_derived_op_is_reported():
    found = problems(lambda r: r["indicators"][1]["derived"].update(op="ratio"))
    assert any("sysselsatte_gap" in p and "derived op 'ratio'" in p for p in found), found


def test_duplicate_id_is_reported():
    found = problems(lambda r: r["indicators"].append(copy.deepcopy(first(r))))
    assert "indicator 'sysselsatte_andel': duplicate id" in found


def test_indicator_without_id_is_named_by_position():
    found = problems(lambda r: r["indicators"][1].pop("id"))
    assert any(p.startswith("indicator #2 (no id): missing required field 'id'") for p in found)


def test_statbank_source_status_rules():
    def source(**fields):
        def change(r):
            src = first(r)["sources"][0]
            for key in ("table", "query", "columns", "note", "reason", "status", "constants"):
                src.pop(key, None)
            src.update(fields)
        return problems(change)

    query, columns = {"Tid": ["top(5)"]}, {"Tid": "year"}
    assert source(table=None, status="none", reason="Survey only.") == []
    assert any("status none needs a 'reason'" in p for p in source(table=None, status="none"))
    assert any("status none sends no query" in p
               for p in source(table=None, status="none", reason="x", query=query))
    assert source(table="11607", status="unconfirmed", note="A reading.", query=query, columns=columns) == []
    assert any("status unconfirmed needs a statbank 'table'" in p
               for p in source(table=None, status="unconfirmed", note="x", query=query, columns=columns))
    assert any("status confirmed needs a 'query'" in p
               for p in source(table="11607", status="confirmed", note="x", columns=columns))
    assert any("needs a 'note' with the evidence" in p
               for p in source(table="11607", status="confirmed", query=query, columns=columns))
    assert any("'status' must be one of confirmed, unconfirmed, none" in p
               for p in source(table="11607", status="maybe", note="x", query=query, columns=columns))
    assert any("'confirmed' is replaced by 'status'" in p
               for p in source(table="11607", confirmed=True, status="confirmed", note="x", query=query,
                               columns=columns))


def test_missing_themes_and_indicators_are_reported():
    assert any("'themes'" in p for p in problems(lambda r: r.pop("themes")))
    assert any("'indicators'" in p for p in problems(lambda r: r.update(indicators=[])))


def test_load_catalogue_lists_every_problem(tmp_path):
    raw = copy.deepcopy(MINIMAL)
    first(raw)["unit"] = "prosenter"
    raw["indicators"][1]["derived"]["from"] = "nope"
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert isinstance(info.value, UserError)
    assert "2 problem(s)" in message
    assert "indicator 'sysselsatte_andel': unknown unit 'prosenter'" in message
    assert "indicator 'sysselsatte_gap': derived from unknown indicator 'nope'" in message


def test_load_catalogue_reports_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(CatalogueError, match="catalogue not found"):
        load_catalogue(tmp_path / "absent.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("indicators: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(bad)


def test_loaded_indicator_has_typed_fields_and_defaults(tmp_path):
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(MINIMAL, allow_unicode=True), encoding="utf-8")
    catalogue = load_catalogue(path)
    ind = catalogue.get("sysselsatte_andel")
    assert ind.breaks == [Break(2015, "A-ordningen.")]
    assert ind.subject == "andelen sysselsatte"
    assert ind.headline is False and ind.survey is False and ind.caveats == []
    assert ind.api_sources[0]["table"] == "11607"
    assert catalogue.get("sysselsatte_gap").is_derived


# ---------------------------------------------------------------- group codes


def test_group_codes_are_the_groups_of_codes_yml():
    groups = cat.known_group_codes()
    assert groups == set(load_codes().order("groups"))
    # the group table of ARCHITECTURE.md, every reference group the catalogue names, and more
    assert {"innvandrere", "norskfodte", "befolkningen_uten_innvandrere", "minoritetsspraklige_barn"} <= groups
    assert {ind.reference_group for ind in load_catalogue().indicators} - {None} <= groups


def test_group_codes_follow_another_codes_file(tmp_path):
    codes = tmp_path / "codes.yml"
    vocab = [{"code": "alle", "label": "Alle"}]
    codes.write_text(yaml.safe_dump({
        "groups": [{"code": "innvandrere", "label": "Innvandrere"},
                   {"code": "minoritetsspraklige_barn", "label": "Minoritetsspråklige barn"}],
        "sex": vocab, "ages": vocab, "regions": vocab, "botid": vocab,
    }, allow_unicode=True), encoding="utf-8")
    assert cat.known_group_codes(codes) == {"innvandrere", "minoritetsspraklige_barn"}


def test_missing_codes_yml_is_an_error_not_a_fallback(tmp_path):
    with pytest.raises(CodesError, match=r"code vocabularies not found: .*absent\.yml"):
        cat.known_group_codes(tmp_path / "absent.yml")


def test_codes_yml_without_groups_list_is_an_error(tmp_path):
    codes = tmp_path / "codes.yml"
    codes.write_text("regions: []\n", encoding="utf-8")
    with pytest.raises(CodesError, match="'groups' must be a list"):
        cat.known_group_codes(codes)


# ---------------------------------------------------------------- CLI


def run_cli(capsys, *argv):
    code = main(["catalogue", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_table_lists_every_indicator_aligned(capsys, real):
    code, out, _ = run_cli(capsys, "--format", "table")
    assert code == 0
    lines = out.splitlines()
    header, rule = lines[0], lines[1]
    assert header.split() == ["id", "theme", "name", "unit", "sources", "breaks"]
    assert set(rule.replace(" ", "")) == {"-"}
    body = lines[2:2 + len(real.indicators)]
    assert [line.split()[0] for line in body] == [ind.id for ind in real.indicators]
    theme_column = header.index("theme")
    assert all(line[theme_column - 2:theme_column] == "  " for line in body)
    assert "api:11607?" in out and "api:-" in out and "api:?" not in out and "gap(sysselsatte_andel)" in out


def test_cli_json_parses_and_carries_the_fields(capsys, real):
    code, out, _ = run_cli(capsys, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [i["id"] for i in data["indicators"]] == [ind.id for ind in real.indicators]
    employment = next(i for i in data["indicators"] if i["id"] == "sysselsatte_andel")
    assert employment["breaks"][0].keys() == {"year", "what"}
    assert data["themes"]["levekar"] == "Levekår"


def test_cli_csv_has_a_header_and_one_row_per_indicator(capsys, real):
    code, out, _ = run_cli(capsys, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(real.indicators)
    assert {"id", "theme", "name", "unit", "sources", "breaks"} <= set(rows[0])
    assert next(r for r in rows if r["id"] == "sysselsatte_andel")["breaks"] == "2005, 2015, 2017"


def test_cli_theme_filter(capsys, real):
    code, out, _ = run_cli(capsys, "--format", "csv", "--theme", "deltakelse")
    assert code == 0
    ids = [r["id"] for r in csv.DictReader(io.StringIO(out))]
    assert ids == [ind.id for ind in real.by_theme("deltakelse")] and ids


def test_cli_unknown_theme_is_a_user_error(capsys):
    code, out, err = run_cli(capsys, "--theme", "sport")
    assert code == 2 and out == ""
    assert "unknown theme 'sport'" in err


# --------------------------------------------------------------------------- counts behind a rate


def with_count_indicator(raw):
    count = copy.deepcopy(first(raw))
    count.update(id="sysselsatte_antall", unit="personer", subject="antallet sysselsatte",
                 reference_group=None)
    raw["indicators"].append(count)
    return raw


def test_counts_names_a_count_indicator_and_its_role():
    valid = lambda r: first(with_count_indicator(r)).update(  # noqa: E731
        counts={"indicator": "sysselsatte_antall", "role": "numerator"})
    assert problems(valid) == []

    def mutated(**counts):
        return lambda r: first(with_count_indicator(r)).update(
            counts={"indicator": "sysselsatte_antall", "role": "numerator", **counts})

    cases = [
        (mutated(indicator="antall_nope"), "counts from unknown indicator 'antall_nope'"),
        (mutated(indicator="sysselsatte_andel"), "counts from unknown indicator 'sysselsatte_andel'"),
        (mutated(role="teller"), "counts role 'teller' is unknown (known: numerator, denominator)"),
        (mutated(kind="x"), "counts has unknown key 'kind'"),
        (lambda r: first(with_count_indicator(r)).update(counts="sysselsatte_antall"),
         "'counts' must be a mapping"),
    ]
    for mutate, expected in cases:
        found = problems(mutate)
        assert any(p.startswith("indicator 'sysselsatte_andel'") and expected in p for p in found), \
            (expected, found)
    # The count must count persons, and only a rate has one.
    found = problems(lambda r: r["indicators"][1].update(
        counts={"indicator": "sysselsatte_andel", "role": "denominator"}))
    assert any(p.startswith("indicator 'sysselsatte_gap'") and "'counts' is for rates" in p for p in found)
    assert any("has unit 'prosent', not a count" in p for p in found), found


def test_real_catalogue_names_the_count_behind_the_employment_rate(real):
    assert real.get("sysselsatte_andel").counts == {"indicator": "sysselsatte_antall", "role": "numerator"}
    with_counts = [ind for ind in real.indicators if ind.counts]
    assert with_counts and all(ind.unit == "prosent" for ind in with_counts)
    assert all(real.get(ind.counts["indicator"]).unit in ("personer", "antall") for ind in with_counts)
