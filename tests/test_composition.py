"""The composition decomposition and the botid profile (indikatorer.report.composition): hand-made
observations with known answers, the text, the no-data paths, and (slow) the arbeid chapter
executed with papermill."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest

from indikatorer.analysis import composition as analysis
from indikatorer.analysis.composition import Composition, NoDecomposition
from indikatorer.core.params import EditionParams
from indikatorer.data.observations import load_observations
from indikatorer.report import botid, composition


from indikatorer.analysis import decomposition
from indikatorer.data.observations import TIDY_COLUMNS

REFERENCE = "befolkningen_uten_innvandrere"


def row(indicator, year, value, *, region="alle", age="20-66", group="innvandrere", botid="alle",
        status="ok", page="https://www.ssb.no/test"):
    unit = "personer" if indicator == analysis.WEIGHT_INDICATOR else "prosent"
    return {"indicator": indicator, "year": year, "period": f"4. kvartal {year}", "group": group,
            "sex": "alle", "age": age, "region": region, "region_label": region, "botid": botid,
            "other_dim": "", "other_value": "", "unit": unit,
            "value": np.nan if value is None else float(value), "status": status,
            "source_kind": "published", "source_table": "", "source_ref": f"{page}/{year}",
            "source_file": "data/published/observations.csv", "source_sha256": "0" * 64,
            "retrieved": "unknown", "released": f"{year + 1}-03-01", "note": ""}


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def region_rows(year, populations, rates, *, age="20-66", with_total=True, weights=True):
    """Rates and employed persons for immigrants by region; the total row from the same numbers."""
    out = []
    for region, population in populations.items():
        rate = rates[region]
        out.append(row("sysselsatte_andel", year, rate, region=region, age=age))
        if weights:
            out.append(row(analysis.WEIGHT_INDICATOR, year, population * rate / 100, region=region,
                           age=age))
    if with_total:
        employed = sum(p * rates[r] / 100 for r, p in populations.items())
        total = sum(populations.values())
        out.append(row("sysselsatte_andel", year, round(employed / total * 100, 1), age=age))
        if weights:
            out.append(row(analysis.WEIGHT_INDICATOR, year, employed, age=age))
    return out


# 2017: Afrika 100 persons at 50 %, Norden 100 at 80 %  → 65 %
# 2020: Afrika 300 persons at 60 %, Norden 100 at 80 %  → 65 %
# within:      Afrika (60 − 50) · (0,5 + 0,75)/2 = 6,25; Norden 0
# composition: Afrika (0,75 − 0,5) · (55 − 65) = −2,5; Norden (0,25 − 0,5) · (80 − 65) = −3,75
HAND = frame(region_rows(2017, {"afrika": 100, "norden": 100}, {"afrika": 50, "norden": 80})
             + region_rows(2020, {"afrika": 300, "norden": 100}, {"afrika": 60, "norden": 80}))


def params(year=2024, first_year=2010, breakdowns=("sex", "botid", "region", "reason")):
    return EditionParams.from_cell(year, first_year, list(breakdowns))


def show_composition(obs, params, out_dir, breaks=(2015, 2017)):
    """The arbeid notebook's decomposition cell: fit, then show."""
    composition.show_composition(analysis.compute_composition(obs, list(breaks), params.first_year, params.year),
                                 params, out_dir=out_dir)


def show_botid(obs, params, out_dir, breaks=(2015, 2017)):
    """The arbeid notebook's botid cell: select the profiles, then show them."""
    panels, profiles = analysis.botid_profiles(obs, REFERENCE, list(breaks), params.year)
    botid.show_botid_profile(panels, profiles, obs, params, reference=REFERENCE, out_dir=out_dir)


# --------------------------------------------------------------------------- decomposition


def test_hand_worked_decomposition_and_parts_add_up_exactly():
    result = analysis.compute_composition(HAND, [2015, 2017], 2010, 2024)
    assert isinstance(result, Composition)
    assert (result.choice.year_a, result.choice.year_b, result.choice.age) == (2017, 2020, "20-66")
    assert result.decomposition.overall_a == pytest.approx(65.0)
    assert result.decomposition.overall_b == pytest.approx(65.0)
    assert result.within == pytest.approx(6.25)
    assert result.composition == pytest.approx(-6.25)
    assert result.within + result.composition == pytest.approx(result.total, abs=1e-12)
    parts = result.by_region.set_index("region")
    assert parts.loc["afrika", "within"] == pytest.approx(6.25)
    assert parts.loc["norden", "within"] == pytest.approx(0.0)
    assert parts.loc["afrika", "composition"] == pytest.approx(-2.5)
    assert parts.loc["norden", "composition"] == pytest.approx(-3.75)
    assert parts["within"].sum() == pytest.approx(result.within, abs=1e-12)
    assert parts["composition"].sum() == pytest.approx(result.composition, abs=1e-12)
    assert parts["total"].sum() == pytest.approx(result.total, abs=1e-12)
    assert parts.loc["afrika", "share_b"] == pytest.approx(75.0)
    assert parts.loc["afrika", "employed_b"] == pytest.approx(180.0)


def test_centred_parts_sum_to_the_composition_effect_for_any_numbers():
    rng = np.random.default_rng(7)
    for _ in range(50):
        k = int(rng.integers(2, 9))
        groups = [f"g{i}" for i in range(k)]
        d = decomposition.decompose_change(dict(zip(groups, rng.uniform(1, 1000, k))),
                                    dict(zip(groups, rng.uniform(10, 90, k))),
                                    dict(zip(groups, rng.uniform(1, 1000, k))),
                                    dict(zip(groups, rng.uniform(10, 90, k))))
        parts = analysis.centred_contributions(d)
        assert parts["composition"].sum() == pytest.approx(d.composition_effect, abs=1e-9)
        assert parts["within"].sum() == pytest.approx(d.rate_effect, abs=1e-9)
        assert parts["total"].sum() == pytest.approx(d.total_change, abs=1e-9)
        assert d.rate_effect + d.composition_effect == pytest.approx(d.total_change, abs=1e-9)


SEGMENTED = frame(
    region_rows(2012, {"afrika": 100, "norden": 100}, {"afrika": 40, "norden": 75}, age="15-74")
    + region_rows(2014, {"afrika": 150, "norden": 100}, {"afrika": 42, "norden": 76}, age="15-74")
    + region_rows(2017, {"afrika": 100, "norden": 100}, {"afrika": 50, "norden": 80})
    + region_rows(2020, {"afrika": 300, "norden": 100}, {"afrika": 60, "norden": 80}))


def test_years_are_chosen_inside_one_segment_never_across_a_break():
    newest = analysis.choose_years(SEGMENTED, [2015, 2017], 2010, 2024)
    assert (newest.year_a, newest.year_b, newest.age) == (2017, 2020, "20-66")
    older = analysis.choose_years(SEGMENTED, [2015, 2017], 2010, 2016)
    assert (older.year_a, older.year_b, older.age) == (2012, 2014, "15-74")
    # 2014 and 2017 only: one year on each side of the breaks, so nothing to decompose.
    across = SEGMENTED[SEGMENTED["year"].isin([2014, 2017])]
    refused = analysis.choose_years(across, [2015, 2017], 2010, 2024)
    assert refused.year_a is None and refused.reason is NoDecomposition.NO_COMPARABLE_YEARS
    assert refused.years == (2014, 2017)
    assert "samme sammenlignbare periode" in composition._reason_text(refused)  # the report's words
    # first_year limits the choice as well.
    late = analysis.choose_years(SEGMENTED, [2015, 2017], 2018, 2024)
    assert late.year_a is None


def test_regions_that_do_not_add_up_to_all_immigrants_are_not_decomposed():
    rows = HAND.copy()
    total = (rows["indicator"] == analysis.WEIGHT_INDICATOR) & (rows["region"] == "alle")
    rows.loc[total & (rows["year"] == 2020), "value"] += 50  # a region is missing from the split
    choice = analysis.choose_years(rows, [2017], 2010, 2024)
    assert choice.year_a is None and choice.reason


def test_decomposition_sentence_states_the_parts_and_says_when_rounding_hides_the_sum():
    text = composition.decomposition_sentence(1.0, 0.7, 0.3)
    assert text == ("Av endringen på 1,0 prosentpoeng skyldes 0,7 prosentpoeng endringer innen "
                    "regionene og 0,3 prosentpoeng endret sammensetning.")
    rounded = composition.decomposition_sentence(0.347, 0.563, -0.216)
    assert rounded.startswith("Av endringen på 0,3 prosentpoeng skyldes 0,6 prosentpoeng endringer "
                              "innen regionene og \u22120,2 prosentpoeng endret sammensetning.")
    assert "avrundet hver for seg" in rounded


def test_present_composition_prints_text_figure_and_table_with_the_plotted_numbers(tmp_path, capsys):
    show_composition(HAND, params(), tmp_path / "figures")
    out = capsys.readouterr().out
    assert "Av endringen på 0,0 prosentpoeng skyldes 6,3 prosentpoeng endringer innen regionene og " \
           "\u22126,3 prosentpoeng endret sammensetning." in out
    assert "{#fig-sysselsatte-andel-sammensetning " in out
    assert "{#tbl-sysselsatte-andel-sammensetning-tabell}" in out
    assert "relativt flere innvandrere fra regioner med lavere sysselsetting" in out
    csv = pd.read_csv(tmp_path / "figures" / "sysselsatte-andel-sammensetning.csv")
    values = csv.set_index(["region", "part"])["value"]
    assert values[("afrika", "within")] == pytest.approx(6.25)
    assert values[("norden", "composition")] == pytest.approx(-3.75)
    assert values[("alle", "within")] == pytest.approx(6.25)
    assert values[("alle", "composition")] == pytest.approx(-6.25)
    regions = csv[csv["region"] != "alle"]
    for part in ("within", "composition"):
        assert regions.loc[regions["part"] == part, "value"].sum() == \
            pytest.approx(values[("alle", part)], abs=1e-12)
    assert set(csv["year_a"]) == {2017} and set(csv["year_b"]) == {2020}
    provenance = json.loads((tmp_path / "figures" / "sysselsatte-andel-sammensetning.json").read_text())
    assert provenance["indicators"] == sorted(["sysselsatte_andel", analysis.WEIGHT_INDICATOR])
    assert {s["source_ref"] for s in provenance["sources"]} == {"https://www.ssb.no/test/2017",
                                                               "https://www.ssb.no/test/2020"}
    # Per row: the rates and employed persons of its region in both years (all regions' for "alle").
    assert set(csv["source_ref"]) == {"https://www.ssb.no/test/2017 | https://www.ssb.no/test/2020"}
    assert set(csv["released"]) == {"2021-03-01"}
    assert all(s["csv_rows"] == list(range(len(csv))) for s in provenance["sources"])


def test_without_weights_the_section_says_so_and_draws_nothing(tmp_path, capsys):
    rates_only = HAND[HAND["indicator"] == "sysselsatte_andel"]
    show_composition(rates_only, params(), tmp_path / "figures")
    out = capsys.readouterr().out
    assert "Dekomponeringen kan ikke beregnes" in out
    assert "vektene" in out and "statistikkbank" in out
    assert "indikatorer data fetch" not in out and "catalogue.yml" not in out  # no developer words
    assert "{#fig-" not in out
    assert not (tmp_path / "figures").exists()


def test_without_region_rates_the_section_says_so(tmp_path, capsys):
    totals_only = HAND[HAND["region"] == "alle"]
    show_composition(totals_only, params(), tmp_path / "figures")
    out = capsys.readouterr().out
    assert "Dekomponeringen kan ikke beregnes" in out and "etter verdensregion for 2010–2024" in out


def test_the_breakdowns_parameter_leaves_the_sections_out(tmp_path, capsys):
    only_sex = params(breakdowns=["sex"])
    show_composition(HAND, only_sex, tmp_path / "figures")
    show_botid(botid_obs(), only_sex, tmp_path / "figures")
    out = capsys.readouterr().out
    assert "uten inndeling etter landbakgrunn" in out and "uten inndeling etter botid" in out
    assert "{#fig-" not in out and not (tmp_path / "figures").exists()


def test_newer_years_without_regions_are_named():
    rows = pd.concat([HAND, frame([row("sysselsatte_andel", 2023, 68.2)])], ignore_index=True)
    choice = analysis.choose_years(rows, [2017], 2010, 2024)
    assert (choice.year_b, choice.newest_rate_year) == (2020, 2023)


def test_the_snapshot_decomposes_within_the_newest_segment():
    """On the embedded data: 2017–2020, 20–66 år (the world regions end in 2020), and the
    recomputed levels agree with SSB's published totals to the rounding of the region rates."""
    obs = load_observations(year_max=2024)
    result = analysis.compute_composition(obs, [2005, 2015, 2017], 2010, 2024)
    assert isinstance(result, Composition), getattr(result, "reason", None)
    assert (result.choice.year_a, result.choice.year_b, result.choice.age) == (2017, 2020, "20-66")
    assert len(result.choice.regions) == 8
    assert result.decomposition.overall_a == pytest.approx(result.published_a, abs=0.05)
    assert result.decomposition.overall_b == pytest.approx(result.published_b, abs=0.05)
    assert result.within + result.composition == pytest.approx(result.total, abs=1e-12)


# --------------------------------------------------------------------------- botid profile


def botid_obs():
    rows = []
    for year, values in {2004: (46.2, 58.2, 60.3), 2005: (47.6, 59.0, 61.0)}.items():
        for code, value in zip(("0-3", "4-6", "7+"), values):
            rows.append(row("sysselsatte_andel", year, value, age="16-74", botid=code))
    for year, values in {2009: (25, 41, 47), 2012: (30, 41, None), 2014: (35, 40, 46)}.items():
        for code, value in zip(("0-3", "4-6", "7+"), values):
            rows.append(row("sysselsatte_andel", year, value, age="15-74", botid=code,
                            region="land:Irak", status="ok" if value is not None else "missing"))
    rows.append(row("sysselsatte_andel", 2014, 69.4, age="15-74", group=REFERENCE))
    rows.append(row("sysselsatte_andel", 2012, 69.7, age="15-74", group=REFERENCE))
    return frame(rows)


def test_botid_profiles_draw_two_years_of_one_segment_with_the_reference_gap():
    panels, profiles = analysis.botid_profiles(botid_obs(), REFERENCE, [2005, 2015, 2017], 2024)
    assert [(p.region, p.age, p.shown) for p in panels] == [
        ("alle", "16-74", (2005,)),          # 2004 is before the 2005 break: not drawn beside 2005
        ("land:Irak", "15-74", (2009, 2014))]
    assert panels[1].botid == ("0-3", "4-6", "7+")
    irak = profiles[profiles["region"] == "land:Irak"].set_index(["year", "botid"])
    assert irak.loc[(2014, "7+"), "gap"] == pytest.approx(46 - 69.4)
    assert np.isnan(irak.loc[(2009, "7+"), "gap"])            # no reference published in 2009
    assert np.isnan(irak.loc[(2012, "7+"), "value"])          # a gap stays a gap
    assert set(profiles["year"]) == {2004, 2005, 2009, 2012, 2014}


def test_present_botid_profile_csv_holds_the_plotted_observations(tmp_path, capsys):
    obs = botid_obs()
    show_botid(obs, params(), tmp_path / "figures", breaks=(2005, 2015, 2017))
    out = capsys.readouterr().out
    assert "{#fig-sysselsatte-andel-botidsprofil " in out
    assert "{#tbl-sysselsatte-andel-botidsprofil-tabell}" in out
    assert "tverrsnitt" in out and "innvandringskull" in out
    assert "Med botid 7 år og mer var andelen 23,4 prosentpoeng lavere enn i befolkningen " \
           "eksklusive innvandrere samme år (46,0 mot 69,4 prosent)." in out
    assert "økte andelen fra 25,0 prosent i 2009 til 35,0 prosent i 2014" in out
    csv = pd.read_csv(tmp_path / "figures" / "sysselsatte-andel-botidsprofil.csv", dtype={"age": str})
    keys = ["year", "group", "region", "age", "botid"]
    merged = csv.merge(obs[keys + ["value"]], on=keys, how="left", suffixes=("", "_obs"))
    assert len(merged) == len(csv) and np.allclose(merged["value"], merged["value_obs"], equal_nan=True)
    assert set(csv["year"]) == {2005, 2009, 2014}
    assert ((csv["group"] == REFERENCE) & (csv["year"] == 2014)).sum() == 1
    table = pd.read_csv(tmp_path / "figures" / "sysselsatte-andel-botidsprofil-tabell.csv")
    assert list(table["year"]) == [2004, 2005, 2009, 2012, 2014]
    assert list(table.columns) == ["gruppe", "year", "botid_0_3", "botid_4_6", "botid_7_og_mer",
                                   "reference_value"]
    assert "| Irak, 15–74 år | 2012 | 30,0 | 41,0 | .. | 69,7 |" in out   # a gap stays a gap
    assert "| Irak, 15–74 år | 2009 | 25,0 | 41,0 | 47,0 | .. |" in out


def test_botid_profile_without_data_says_so(capsys, tmp_path):
    show_botid(HAND, params(), tmp_path / "figures")
    assert "ingen tall for andelen sysselsatte blant innvandrere etter botid" in capsys.readouterr().out


# --------------------------------------------------------------------------- the chapter (slow)


@pytest.mark.slow
def test_arbeid_chapter_executed_with_papermill_shows_the_decomposition(real_edition):
    rel = "notebooks/01-arbeid.ipynb"
    output = real_edition.staging_dir / rel
    nb = nbformat.read(str(output), as_version=4)
    out = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                    for o in c.get("outputs", []) if o.get("name") == "stdout")
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert any(h.startswith("### Sammensetning eller utvikling innen gruppene?") for h in headings)
    assert "{#fig-sysselsatte-andel-sammensetning " in out and "Av endringen på " in out
    assert "{#fig-sysselsatte-andel-botidsprofil " in out and "tverrsnitt" in out

    figures_dir = output.parent / "figures"
    csv = pd.read_csv(figures_dir / "sysselsatte-andel-sammensetning.csv", dtype={"age": str})
    expected = analysis.compute_composition(load_observations(year_max=2024), [2005, 2015, 2017], 2010, 2024)
    values = csv.set_index(["region", "part"])["value"]
    for region, parts in expected.by_region.set_index("region").iterrows():
        assert values[(region, "within")] == pytest.approx(parts["within"], abs=1e-9)
        assert values[(region, "composition")] == pytest.approx(parts["composition"], abs=1e-9)
    assert values[("alle", "within")] + values[("alle", "composition")] == \
        pytest.approx(expected.total, abs=1e-9)

    obs = load_observations(year_max=2024)
    botid_csv = pd.read_csv(figures_dir / "sysselsatte-andel-botidsprofil.csv", dtype={"age": str})
    keys = ["year", "group", "region", "age", "botid"]
    rows = obs[(obs["indicator"] == "sysselsatte_andel") & (obs["sex"] == "alle") & (obs["other_dim"] == "")]
    merged = botid_csv.merge(rows[keys + ["value", "source_ref", "released"]], on=keys, how="left",
                             suffixes=("", "_obs"))
    assert len(merged) == len(botid_csv) and (merged["source_ref"] == merged["source_ref_obs"]).all()
    assert (merged["released"] == merged["released_obs"]).all() and np.allclose(merged["value"], merged["value_obs"])


def test_botid_table_shows_each_number_with_the_decimals_ssb_printed(tmp_path, capsys):
    """SSB printed Irak's shares as whole numbers ("35"): the table must not say "35,0"."""
    obs = botid_obs()
    irak = (obs["region"] == "land:Irak") & (obs["group"] == "innvandrere")
    obs.loc[irak, "decimals"] = 0
    show_botid(obs, params(), tmp_path / "figures", breaks=(2005, 2015, 2017))
    out = capsys.readouterr().out
    assert "| Irak, 15–74 år | 2009 | 25 | 41 | 47 | .. |" in out
    assert "| Irak, 15–74 år | 2014 | 35 | 40 | 46 | 69,4 |" in out   # the reference keeps its 1
