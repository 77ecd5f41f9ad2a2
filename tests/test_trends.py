"""Trend models: known answers from seeded simulations and hand-worked arithmetic."""

from __future__ import annotations

import json
import math
import re
import types

import numpy as np
import pandas as pd
import pytest

from indikatorer import cli

from indikatorer.analysis import decomposition, trends
from indikatorer.report import model_details, text
from indikatorer.core.errors import UserError
from indikatorer.data import small_numbers

YEARS = np.arange(2014, 2024)  # ten annual points, the usual window


def linear_series(rng, slope, *, sd=0.5, years=YEARS, level=60.0, shift=None):
    values = level + slope * (years - years[0]) + rng.normal(0, sd, len(years))
    if shift is not None:
        break_year, size = shift
        values = values + np.where(years >= break_year, size, 0.0)
    return values


# --------------------------------------------------------------------------- linear_trend


def test_recovers_known_slope():
    rng = np.random.default_rng(20240101)
    result = trends.linear_trend(YEARS, linear_series(rng, 0.7))
    assert result.fitted
    assert result.slope == pytest.approx(0.7, abs=0.15)
    assert result.ci_low < 0.7 < result.ci_high
    assert result.direction == trends.Direction.RISING
    assert result.n == 10 and result.years_used == (2014, 2023)
    assert result.se > 0 and 0 <= result.p_value < 0.05


def test_ci_covers_true_slope_in_at_least_90_percent_of_simulations():
    rng = np.random.default_rng(7)
    true_slope = -0.4
    covered = 0
    for _ in range(1000):
        result = trends.linear_trend(YEARS, linear_series(rng, true_slope, sd=1.0))
        covered += result.ci_low <= true_slope <= result.ci_high
    # Nominal 95 %; the upper bound catches intervals made uselessly wide.
    assert 0.90 <= covered / 1000 <= 0.985


def test_slope_matches_plain_numpy_least_squares():
    rng = np.random.default_rng(11)
    values = linear_series(rng, 1.3, sd=2.0)
    expected_slope = np.polyfit(YEARS, values, 1)[0]
    assert trends.linear_trend(YEARS, values).slope == pytest.approx(expected_slope, rel=1e-10)


def test_break_gives_two_segments_and_the_level_shift():
    rng = np.random.default_rng(2015)
    years = np.arange(2010, 2024)
    values = linear_series(rng, 0.8, sd=0.3, years=years, shift=(2015, -3.0))
    result = trends.linear_trend(years, values, breaks=[2015])
    assert result.breaks_used == (2015,)
    assert result.segments == ((2010, 2014), (2015, 2023))
    shift, low, high = result.level_shifts[2015]
    assert shift == pytest.approx(-3.0, abs=0.6)
    assert low < shift < high
    assert result.slope == pytest.approx(0.8, abs=0.1)

    fitted = result.fitted_values()
    assert list(fitted.columns) == ["year", "segment", "fit", "ci_low", "ci_high"]
    assert fitted.loc[fitted.year < 2015, "segment"].eq(0).all()
    assert fitted.loc[fitted.year >= 2015, "segment"].eq(1).all()
    assert (fitted.ci_low < fitted.fit).all() and (fitted.fit < fitted.ci_high).all()
    # Not joined: the jump between 2014 and 2015 is one year's slope plus the level shift.
    fit = fitted.set_index("year")["fit"]
    assert fit[2015] - fit[2014] == pytest.approx(result.slope + shift)


def test_breaks_accept_catalogue_objects_and_ignore_breaks_outside_the_window():
    rng = np.random.default_rng(3)
    values = linear_series(rng, 0.5)
    breaks = [types.SimpleNamespace(year=2010, what="før vinduet"), types.SimpleNamespace(year=2018, what="x")]
    assert trends.linear_trend(YEARS, values, breaks=breaks).breaks_used == (2018,)
    assert trends.linear_trend(YEARS, values, breaks=[2018], window=5).breaks_used == ()
    # A break at the first year used has nothing before it to shift from.
    assert trends.linear_trend(YEARS, values, breaks=[2014]).breaks_used == ()


def test_break_whose_segment_has_no_observations_is_not_used():
    rng = np.random.default_rng(4)
    years = np.arange(2010, 2024)
    values = linear_series(rng, 0.5, years=years)
    values[(years == 2015) | (years == 2016)] = np.nan
    result = trends.linear_trend(years, values, breaks=[2015, 2017])
    assert result.fitted
    assert result.breaks_used == (2017,)


def test_missing_values_are_dropped_not_interpolated():
    rng = np.random.default_rng(5)
    values = linear_series(rng, 0.5)
    with_gap = values.copy()
    with_gap[4] = np.nan
    result = trends.linear_trend(YEARS, with_gap)
    without_year = trends.linear_trend(np.delete(YEARS, 4), np.delete(values, 4))
    assert result.n == 9
    assert result.slope == pytest.approx(without_year.slope, rel=1e-12)
    assert result.ci_low == pytest.approx(without_year.ci_low, rel=1e-12)


def test_window_keeps_the_last_years_ending_at_the_newest_value():
    rng = np.random.default_rng(6)
    values = linear_series(rng, 0.5)
    values[-1] = np.nan  # the newest year is not published yet
    result = trends.linear_trend(YEARS, values, window=5)
    assert result.years_used == (2018, 2022)
    assert result.n == 5


def test_too_short_series_refuses_with_reason():
    result = trends.linear_trend([2020, 2021, 2022, 2023, 2024], [50.0, 51.0, np.nan, 52.0, 53.0])
    assert not result.fitted
    assert (result.n, result.needed) == (4, 5)
    assert text.refusal_text(result) == "For få observasjoner (4) til å beregne trend; minst 5 trengs."
    assert result.direction == trends.Direction.NOT_FITTED
    assert result.slope is None and result.level_shifts == {}
    assert result.fitted_values().empty
    assert json.loads(json.dumps(result.to_dict()))["fitted"] is False


def test_breaks_raise_the_number_of_points_needed():
    # 6 points, two breaks: 4 parameters + 3 = 7 needed.
    years = np.arange(2018, 2024)
    result = trends.linear_trend(years, np.arange(6.0), breaks=[2020, 2022])
    assert not result.fitted
    assert (result.n, result.needed, result.breaks_used) == (6, 7, (2020, 2022))
    assert text.refusal_text(result) == ("For få observasjoner (6) til å beregne trend med brudd i serien "
                                         "(2020, 2022); minst 7 trengs.")


def test_classification_never_claims_a_direction_when_the_ci_includes_zero():
    rng = np.random.default_rng(99)
    seen = set()
    for _ in range(400):
        n = int(rng.integers(5, 15))
        years = np.arange(2024 - n, 2024)
        slope = rng.choice([0.0, 0.1, -0.1, 0.5, -0.5])
        result = trends.linear_trend(years, linear_series(rng, slope, sd=rng.uniform(0.1, 2), years=years))
        seen.add(result.direction)
        if result.ci_low <= 0 <= result.ci_high:
            assert result.direction == trends.Direction.NO_CLEAR_CHANGE
        elif result.ci_low > 0:
            assert result.direction == trends.Direction.RISING
        else:
            assert result.direction == trends.Direction.FALLING
    assert seen == {trends.Direction.RISING, trends.Direction.FALLING, trends.Direction.NO_CLEAR_CHANGE}


def test_constant_series_has_no_direction():
    # Floating-point noise alone gives a "significant" slope of ~1e-15 here without rounding.
    result = trends.linear_trend(YEARS, [65.4] * 10)
    assert result.direction == trends.Direction.NO_CLEAR_CHANGE
    assert result.to_dict()["slope"] == 0.0


def test_to_dict_is_json_and_rounded():
    rng = np.random.default_rng(8)
    result = trends.linear_trend(np.arange(2010, 2024), linear_series(rng, 0.5, years=np.arange(2010, 2024)),
                              breaks=[2016])
    record = json.loads(json.dumps(result.to_dict()))
    assert record["slope"] == round(result.slope, 6)
    assert record["years_used"] == [2010, 2023]
    assert record["segments"] == [[2010, 2015], [2016, 2023]]
    assert set(record["level_shifts"]["2016"]) == {"estimate", "ci_low", "ci_high"}
    assert record["direction"] == result.direction.value == "rising"


def test_bad_years_are_programming_errors():
    with pytest.raises(ValueError, match="unique"):
        trends.linear_trend([2020, 2020, 2021, 2022, 2023, 2024], np.arange(6.0))
    with pytest.raises(ValueError, match="same length"):
        trends.linear_trend([2020, 2021], [1.0])


# --------------------------------------------------------------------------- gap


def test_gap_trend_is_the_trend_of_the_difference():
    rng = np.random.default_rng(12)
    group, reference = linear_series(rng, 1.0), linear_series(rng, 0.2, level=75)
    reference[3] = np.nan  # no gap that year
    result = trends.linear_gap_trend(YEARS, group, reference)
    direct = trends.linear_trend(YEARS, group - reference)
    assert result.n == 9
    assert result.slope == pytest.approx(direct.slope, rel=1e-12)
    assert result.is_gap and model_details.method_text(result).startswith("Gap")
    assert not direct.is_gap


@pytest.mark.parametrize(
    ("direction", "group_start", "group_slope", "reference", "expected"),
    [
        # Employment (higher is better), group behind: gap −15 rising towards 0 narrows.
        ("higher_better", 60.0, +1.0, 75.0, trends.GapChange.NARROWING),
        ("higher_better", 60.0, -1.0, 75.0, trends.GapChange.WIDENING),
        # Unemployment (lower is better), group above: gap +7 falling towards 0 narrows.
        ("lower_better", 10.0, -0.4, 3.0, trends.GapChange.NARROWING),
        ("lower_better", 10.0, +0.4, 3.0, trends.GapChange.WIDENING),
        # Group ahead on a higher-better indicator: a rising gap is a WIDER gap (|gap| grows).
        ("higher_better", 80.0, +1.0, 75.0, trends.GapChange.WIDENING),
        ("higher_better", 80.0, -0.4, 75.0, trends.GapChange.NARROWING),
        ("neutral", 60.0, +1.0, 75.0, trends.GapChange.NARROWING),
    ],
)
def test_gap_size_change_in_terms_of_its_size(direction, group_start, group_slope, reference, expected):
    """The verdict is read from the fitted gap, whatever the indicator's direction."""
    rng = np.random.default_rng(13)
    group = group_start + group_slope * (YEARS - YEARS[0]) + rng.normal(0, 0.1, len(YEARS))
    result = trends.linear_gap_trend(YEARS, group, np.full(len(YEARS), reference))
    assert direction in trends.DIRECTIONS and result.size_change == expected


def test_gap_size_change_without_a_clear_slope():
    rng = np.random.default_rng(14)
    flat = trends.linear_gap_trend(YEARS, 60 + rng.normal(0, 2, 10), np.full(10, 75.0))
    assert flat.direction == trends.Direction.NO_CLEAR_CHANGE
    assert flat.size_change == trends.GapChange.NO_CLEAR_CHANGE
    short = trends.linear_gap_trend(YEARS[:3], [60.0, 61, 62], [75.0, 75, 75])
    assert not short.fitted and short.size_change == trends.GapChange.NO_CLEAR_CHANGE


def test_gap_size_change_ignores_the_level_shift_at_a_break():
    # The gap jumps from −15 to −5 at a break (a measurement change) and widens by 0.5 a year:
    # the verdict follows the slope, not the jump.
    years = np.arange(2010, 2024)
    rng = np.random.default_rng(15)
    gap = -15 - 0.5 * (years - 2010) + np.where(years >= 2017, 10.0, 0.0) + rng.normal(0, 0.1, len(years))
    result = trends.linear_gap_trend(years, gap, np.zeros(len(years)), breaks=[2017])
    assert result.size_change == trends.GapChange.WIDENING


# --------------------------------------------------------------------------- change


def test_change_test_against_hand_computation():
    # 60 % of 1,000 in year 1, 65 % of 800 in year 2.
    # se = sqrt(0.60·0.40/1000 + 0.65·0.35/800) = sqrt(0.000240 + 0.000284375) = sqrt(0.000524375)
    se = math.sqrt(0.000524375)
    z = 0.05 / se                                    # ≈ 2.1835
    p = math.erfc(z / math.sqrt(2))                  # two-sided normal p-value ≈ 0.0290
    half_width = 1.959963984540054 * se * 100        # in percentage points ≈ 4.488
    result = trends.change_test(60.0, 1000, 65.0, 800)
    assert result.change == pytest.approx(5.0)
    assert result.z == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-6)
    assert result.ci_low == pytest.approx(5.0 - half_width, rel=1e-9)
    assert result.ci_high == pytest.approx(5.0 + half_width, rel=1e-9)


def test_change_test_rejects_shares_outside_percent():
    # Shares are in per cent like the observations; a proportion such as 0.6 cannot be told
    # apart from 0.6 %, so only impossible values are caught.
    with pytest.raises(ValueError, match="per cent"):
        trends.change_test(160.0, 1000, 65.0, 800)
    with pytest.raises(ValueError, match="positive"):
        trends.change_test(60.0, 0, 65.0, 800)


def test_change_without_counts_has_no_uncertainty():
    result = trends.change({2015: 60.0, 2020: 63.5}, 2015, 2020)
    assert result.change == pytest.approx(3.5)
    assert result.uncertainty is None
    assert result.reason is trends.ChangeReason.SHARES_ONLY
    assert "bare andeler er publisert" in model_details.change_line(result, "prosent")  # the report's words
    partial = trends.change({2015: 60.0, 2020: 63.5}, 2015, 2020, counts={2015: 1000})
    assert partial.uncertainty is None and partial.reason is trends.ChangeReason.SHARES_ONLY


def test_change_with_counts_has_the_two_proportion_test():
    result = trends.change(pd.Series({2015: 60.0, 2020: 65.0}), 2015, 2020, counts={2015: 1000, 2020: 800})
    assert result.reason is None
    assert result.uncertainty == trends.change_test(60.0, 1000, 65.0, 800)
    assert json.loads(json.dumps(result.to_dict()))["uncertainty"]["change"] == 5.0


def test_change_refuses_missing_values_and_small_counts():
    missing = trends.change({2015: 60.0, 2020: float("nan")}, 2015, 2020)
    assert missing.change is None and missing.reason is trends.ChangeReason.MISSING_VALUE
    assert missing.missing_years == (2020,)
    small = trends.change({2015: 60.0, 2020: 65.0}, 2015, 2020, counts={2015: 9, 2020: 800})
    assert small.change is None and small.reason is trends.ChangeReason.TOO_FEW_PERSONS
    assert small.fewest == (2015, 9)


# --------------------------------------------------------------------------- small numbers


def test_small_number_rule():
    df = pd.DataFrame({
        "value": [40.0, 50.0, 60.0, 70.0, np.nan],
        "count": [5, 10, np.nan, 9, 3],
        "status": ["ok", "ok", "ok", "ok", "missing"],
    })
    out = small_numbers.apply_small_number_rule(df, "value", "count")
    assert out["value"].isna().tolist() == [True, False, False, True, True]
    assert out["status"].tolist() == ["suppressed", "ok", "ok", "suppressed", "suppressed"]
    assert df["value"].iloc[0] == 40.0  # the input is not modified
    assert small_numbers.MIN_COUNT == 10
    assert small_numbers.is_reportable(10) is True and small_numbers.is_reportable(9) is False
    assert small_numbers.is_reportable(float("nan")) is False
    assert small_numbers.is_reportable(pd.Series([9, 10])).tolist() == [False, True]


def test_small_number_rule_creates_a_status_column():
    out = small_numbers.apply_small_number_rule(pd.DataFrame({"v": [1.0, np.nan, 3.0], "n": [50, 50, 2]}), "v", "n")
    assert out["status"].tolist() == ["ok", "missing", "suppressed"]


def test_small_number_rule_notes_why_a_value_is_gone():
    df = pd.DataFrame({"v": [30.0, 40.0], "n": [9, 10], "note": ["Fra tabell 2.", ""]})
    out = small_numbers.apply_small_number_rule(df, "v", "n", note_col="note")
    assert out["note"].tolist() == ["Færre enn 10 personer (SSBs regel for små tall). Fra tabell 2.", ""]
    assert math.isnan(out["v"].iloc[0]) and out["v"].iloc[1] == 40.0


# --------------------------------------------------------------------------- decomposition


def test_decomposition_hand_worked_example():
    # Populations 100/300 in year A → shares 0.25/0.75; 200/200 in year B → 0.50/0.50.
    # Rates A: 50, 70; rates B: 55, 72.
    # Overall A = 0.25·50 + 0.75·70 = 12.5 + 52.5 = 65.0; overall B = 0.5·55 + 0.5·72 = 63.5.
    # Rate effect = (55−50)·(0.25+0.50)/2 + (72−70)·(0.75+0.50)/2 = 1.875 + 1.25 = 3.125
    # Composition = (0.50−0.25)·(50+55)/2 + (0.50−0.75)·(70+72)/2 = 13.125 − 17.75 = −4.625
    # Total = 3.125 − 4.625 = −1.5 = 63.5 − 65.0
    result = decomposition.decompose_change({"a": 100, "b": 300}, {"a": 50, "b": 70},
                                     {"a": 200, "b": 200}, {"a": 55, "b": 72})
    assert result.overall_a == pytest.approx(65.0) and result.overall_b == pytest.approx(63.5)
    assert result.total_change == pytest.approx(-1.5)
    assert result.rate_effect == pytest.approx(3.125)
    assert result.composition_effect == pytest.approx(-4.625)
    rows = result.by_group.set_index("group")
    assert rows.loc["a", "rate_effect"] == pytest.approx(1.875)
    assert rows.loc["b", "composition_effect"] == pytest.approx(-17.75)
    assert rows["total"].sum() == pytest.approx(-1.5)
    # Shares instead of counts give the same answer.
    as_shares = decomposition.decompose_change({"a": 0.25, "b": 0.75}, {"a": 50, "b": 70},
                                        {"a": 0.5, "b": 0.5}, {"a": 55, "b": 72})
    assert as_shares.rate_effect == pytest.approx(result.rate_effect, abs=1e-12)


def test_decomposition_parts_sum_exactly_to_the_total():
    rng = np.random.default_rng(21)
    for _ in range(200):
        groups = [f"g{i}" for i in range(int(rng.integers(2, 9)))]
        def draw(low, high):
            return dict(zip(groups, rng.uniform(low, high, len(groups))))
        result = decomposition.decompose_change(draw(10, 5000), draw(20, 90), draw(10, 5000), draw(20, 90))
        direct = sum(result.by_group.share_b * result.by_group.rate_b) - sum(
            result.by_group.share_a * result.by_group.rate_a)
        assert abs(result.rate_effect + result.composition_effect - result.total_change) < 1e-12
        assert abs(result.total_change - direct) < 1e-12
        assert abs(result.by_group["total"].sum() - result.total_change) < 1e-12


def test_decomposition_rejects_groups_in_only_one_year():
    with pytest.raises(UserError, match="'c' missing from shares_a, rates_a"):
        decomposition.decompose_change({"a": 1, "b": 1}, {"a": 50, "b": 60}, {"a": 1, "b": 1, "c": 1},
                                {"a": 50, "b": 60, "c": 70})
    with pytest.raises(UserError, match="missing shares or rates.*'b'"):
        decomposition.decompose_change({"a": 1, "b": 1}, {"a": 50, "b": np.nan}, {"a": 1, "b": 1}, {"a": 50, "b": 60})


def obs_rows(rows):
    """A tidy frame with the contract's key columns; rows are dicts overriding the defaults."""
    defaults = {"indicator": "sysselsatte_andel", "year": 2020, "group": "innvandrere", "sex": "alle",
                "age": "20-66", "region": "alle", "botid": "alle", "other_dim": "", "other_value": "",
                "value": np.nan, "status": "ok", "unit": "prosent"}
    return pd.DataFrame([{**defaults, **row} for row in rows])


def region_obs():
    rates = {2015: {"norden": 80.0, "afrika": 45.0}, 2020: {"norden": 82.0, "afrika": 50.0}}
    people = {2015: {"norden": 300.0, "afrika": 100.0}, 2020: {"norden": 300.0, "afrika": 300.0}}
    rows = []
    for year in (2015, 2020):
        for region in ("norden", "afrika"):
            rows.append({"year": year, "region": region, "value": rates[year][region]})
            rows.append({"indicator": "befolkning_antall", "age": "alle", "unit": "personer",
                         "year": year, "region": region, "value": people[year][region]})
        rows.append({"year": year, "region": "land:Somalia", "value": 30.0})      # overlaps afrika
        rows.append({"year": year, "region": "afrika", "sex": "menn", "value": 99.0})
    return obs_rows(rows), rates, people


def test_decompose_from_observations_uses_population_weights():
    obs, rates, people = region_obs()
    result = decomposition.decompose_from_observations(obs, "sysselsatte_andel", 2015, 2020)
    expected = decomposition.decompose_change(people[2015], rates[2015], people[2020], rates[2020])
    assert sorted(result.by_group["group"]) == ["afrika", "norden"]
    assert result.rate_effect == pytest.approx(expected.rate_effect, abs=1e-12)
    assert result.composition_effect == pytest.approx(expected.composition_effect, abs=1e-12)
    assert (result.weights, result.weight_age) == ("befolkning_antall", "alle")


def test_decompose_from_observations_with_a_counts_column():
    obs, rates, people = region_obs()
    obs["personer"] = [people.get(y, {}).get(r, np.nan) for y, r in zip(obs["year"], obs["region"])]
    result = decomposition.decompose_from_observations(obs, "sysselsatte_andel", 2015, 2020, weight_indicator="personer")
    expected = decomposition.decompose_change(people[2015], rates[2015], people[2020], rates[2020])
    assert result.total_change == pytest.approx(expected.total_change, abs=1e-12)


def test_decompose_from_observations_says_what_is_missing():
    obs, _, _ = region_obs()
    no_weights = obs[obs.indicator != "befolkning_antall"]
    with pytest.raises(UserError, match="befolkning_antall"):
        decomposition.decompose_from_observations(no_weights, "sysselsatte_andel", 2015, 2020)
    gap = obs[~((obs.indicator == "befolkning_antall") & (obs.year == 2020) & (obs.region == "afrika"))]
    with pytest.raises(UserError, match=r"Missing weights \(befolkning_antall\).*2020.*afrika"):
        decomposition.decompose_from_observations(gap, "sysselsatte_andel", 2015, 2020)


# --------------------------------------------------------------------------- botid


def test_botid_profile_orders_by_botid_and_gives_the_gap():
    rows = []
    for year, values in {2022: {"7+": 70.0, "0-3": 40.0, "4-6": 60.0}, 2023: {"4-6": 62.0, "0-3": 42.0, "7+": 71.0}}.items():
        for code, value in values.items():
            rows.append({"year": year, "botid": code, "value": value})
        rows.append({"year": year, "group": "befolkningen_uten_innvandrere", "value": 78.0 + year - 2022})
        rows.append({"year": year, "value": 66.0})  # the group's overall value is not a botid row
    profile = decomposition.botid_profile(obs_rows(rows), reference_group="befolkningen_uten_innvandrere")
    assert list(profile.columns) == ["year", "botid", "value", "status", "reference_value", "gap"]
    assert profile["botid"].tolist() == ["0-3", "4-6", "7+"] * 2
    first = profile[profile.year == 2022].set_index("botid")
    assert first.loc["0-3", "gap"] == pytest.approx(40.0 - 78.0)
    assert profile[profile.year == 2023].set_index("botid").loc["7+", "gap"] == pytest.approx(71.0 - 79.0)
    ordered = decomposition.botid_profile(obs_rows(rows), reference_group="befolkningen_uten_innvandrere",
                                   order=["7+", "4-6", "0-3"])
    assert ordered["botid"].tolist()[:3] == ["7+", "4-6", "0-3"]


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def fake_data(monkeypatch):
    """Stand-ins for the observations and catalogue loaders (other modules own the real ones)."""
    rng = np.random.default_rng(31)
    rows = []
    for year in range(2010, 2017):  # the old age band, ends in 2016
        rows.append({"year": year, "age": "15-74", "value": 40.0})
    for year in range(2016, 2024):  # the newest band: slope 0.5, level shift +2 from 2019
        value = 60 + 0.5 * (year - 2016) + (2.0 if year >= 2019 else 0.0) + rng.normal(0, 0.05)
        rows.append({"year": year, "value": value})
        rows.append({"year": year, "sex": "menn", "value": 99.0})
        rows.append({"year": year, "region": "afrika", "value": 10.0})
        rows.append({"year": year, "group": "norskfodte", "value": 70.0})
    obs = obs_rows(rows)
    calls = {}

    def load_observations(catalogue=None, *, year_max=None, include_api=True):
        calls["year_max"] = year_max
        return obs if year_max is None else obs[obs.year <= year_max]

    breaks = [types.SimpleNamespace(year=2015, what="Overgang til a-ordningen."),
              types.SimpleNamespace(year=2019, what="Ny kilde.")]
    indicator = types.SimpleNamespace(id="sysselsatte_andel", name="Sysselsatte", breaks=breaks,
                                      direction="higher_better", unit="prosent")
    catalogue = types.SimpleNamespace(get=lambda id_: indicator)
    monkeypatch.setattr("indikatorer.data.observations.load_observations", load_observations)
    monkeypatch.setattr("indikatorer.data.catalogue.load_catalogue", lambda: catalogue)
    return calls


def test_cli_trend_json(fake_data, capsys):
    code = cli.main(["trend", "--indicator", "sysselsatte_andel", "--group", "innvandrere", "--format", "json"])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["age"] == "20-66"                      # newest consistent age band only
    assert record["years_used"] == [2016, 2023]
    assert record["breaks_used"] == [2019]               # 2015 is before the window
    assert record["slope"] == pytest.approx(0.5, abs=0.05)
    assert record["level_shifts"]["2019"]["estimate"] == pytest.approx(2.0, abs=0.2)
    assert record["slope_unit"] == "prosentpoeng per år"
    assert record["direction"] == "rising" and record["group"] is None


def test_cli_trend_text_with_window_and_year(fake_data, capsys):
    code = cli.main(["trend", "--indicator", "sysselsatte_andel", "--group", "innvandrere",
                     "--year", "2022", "--window", "6"])
    assert code == 0
    assert fake_data["year_max"] == 2022
    out = capsys.readouterr().out
    assert "2017–2022" in out
    assert re.search(r"Trend: \+0,\d\d prosentpoeng per år \(95 prosent konfidensintervall 0,\d\d til 0,\d\d\): stigende", out)
    assert re.search(r"Nivåskift ved brudd i 2019: \+[12],\d\d prosentpoeng \(95 prosent konfidensintervall", out)
    assert "Ny kilde." in out


def test_cli_trend_unknown_indicator_or_group_lists_the_available(fake_data, capsys):
    assert cli.main(["trend", "--indicator", "nope", "--group", "innvandrere"]) == 2
    assert "available: sysselsatte_andel" in capsys.readouterr().err
    assert cli.main(["trend", "--indicator", "sysselsatte_andel", "--group", "nope"]) == 2
    assert "available: innvandrere, norskfodte" in capsys.readouterr().err


def test_cli_trend_too_short_says_why(fake_data, capsys):
    code = cli.main(["trend", "--indicator", "sysselsatte_andel", "--group", "innvandrere", "--year", "2019"])
    assert code == 0
    assert "For få observasjoner (4) til å beregne trend" in capsys.readouterr().out
