"""Norwegian number formatting."""

import math

import numpy as np
import pytest

from indikatorer.report import fmt

NBSP = "\u00a0"
MINUS = "\u2212"


@pytest.mark.parametrize("x, decimals, expected", [
    (65.4, 1, "65,4"),
    (0.05, 1, "0,1"),          # half away from zero on the decimal digits, not the binary float
    (0.15, 1, "0,2"),
    (2.675, 2, "2,68"),        # the float is 2.67499999…; a reader expects 2,68
    (1.005, 2, "1,01"),
    (-0.05, 1, f"{MINUS}0,1"),
    (-3.24, 1, f"{MINUS}3,2"),
    (-0.04, 1, "0,0"),         # never "−0,0"
    (1234.5, 1, f"1{NBSP}234,5"),
    (12345678.25, 1, f"12{NBSP}345{NBSP}678,3"),
    (999.96, 1, f"1{NBSP}000,0"),
    (70, 1, "70,0"),
    (np.float64(65.4), 1, "65,4"),
    (np.int64(12), 0, "12"),
])
def test_number(x, decimals, expected):
    assert fmt.number(x, decimals) == expected


@pytest.mark.parametrize("missing", [math.nan, None, np.nan, float("nan")])
def test_missing_values_are_never_nan_or_zero(missing):
    assert fmt.number(missing) == "–"
    assert fmt.integer(missing) == "–"
    assert fmt.percent(missing) == "–"
    assert fmt.pp(missing) == "–"
    assert fmt.value(missing, "personer") == "–"
    assert fmt.number(missing, placeholder="..") == ".."


def test_infinity_is_an_error_not_a_number():
    with pytest.raises(ValueError, match="infinite"):
        fmt.number(math.inf)


def test_integer_groups_thousands_with_no_break_space():
    assert fmt.integer(2493510) == "2\u00a0493\u00a0510"
    assert fmt.integer(999) == "999"
    assert fmt.integer(1000) == "1\u00a0000"
    assert fmt.integer(-12500) == f"{MINUS}12\u00a0500"
    assert fmt.integer(2.5) == "3"


def test_percent_and_percentage_points_are_different_words():
    assert fmt.percent(65.4) == "65,4 prosent"
    assert fmt.pp(3.2) == "3,2 prosentpoeng"
    assert fmt.pp(3.2, sign=True) == "+3,2 prosentpoeng"
    assert fmt.pp(-3.2, sign=True) == f"{MINUS}3,2 prosentpoeng"
    assert fmt.pp(-3.2) == f"{MINUS}3,2 prosentpoeng"
    assert fmt.pp(0.0, sign=True) == "0,0 prosentpoeng"  # no sign on zero
    assert fmt.difference_unit("prosent") == "prosentpoeng"
    assert fmt.difference_unit("kroner") == "kroner"


@pytest.mark.parametrize("unit, x, expected", [
    ("prosent", 65.43, "65,4 prosent"),
    ("prosentpoeng", -8.06, f"{MINUS}8,1 prosentpoeng"),
    ("personer", 2493510, "2\u00a0493\u00a0510 personer"),
    ("kroner", 512345.6, "512\u00a0346 kroner"),
    ("antall", 1234, "1\u00a0234"),
    ("forholdstall", 1.234, "1,23"),
    ("år", 7.25, "7,3 år"),
])
def test_value_dispatches_on_catalogue_units(unit, x, expected):
    assert fmt.value(x, unit) == expected


def test_value_of_exactly_one_person_is_singular():
    assert fmt.value(1, "personer") == "1 person"
    assert fmt.value(1.2, "personer") == "1 person"  # as printed: rounded to one
    assert fmt.value(-1, "personer", sign=True) == f"{MINUS}1 person"
    assert fmt.value(1, "personer", sign=True) == "+1 person"
    assert fmt.value(1, "personer", decimals=1) == "1,0 personer"
    assert fmt.value(2, "personer") == "2 personer"
    assert fmt.value(0, "personer") == "0 personer"
    assert fmt.value(1001, "personer") == "1\u00a0001 personer"
    # Units that read the same in the singular.
    assert fmt.value(1, "prosent", decimals=0) == "1 prosent"
    assert fmt.value(1, "prosentpoeng", decimals=0) == "1 prosentpoeng"
    assert fmt.value(1, "år", decimals=0) == "1 år"


def test_value_rejects_unknown_unit():
    with pytest.raises(ValueError, match="unknown unit"):
        fmt.value(1.0, "meter")


def test_cell_has_no_unit_word():
    assert fmt.cell(65.43, "prosent") == "65,4"
    assert fmt.cell(2493510, "personer") == "2\u00a0493\u00a0510"


def test_status_symbols_are_ssbs():
    assert fmt.status_symbol("missing") == ".."
    assert fmt.status_symbol("not_available") == "..."
    assert fmt.status_symbol("suppressed") == ":"
    assert fmt.status_symbol("not_applicable") == "."
    assert fmt.status_symbol("nil") == "-"
    assert fmt.status_symbol("ok") == ""
    with pytest.raises(ValueError):
        fmt.status_symbol("weird")


def test_year_range():
    assert fmt.year_range(2015, 2023) == "2015–2023"
    assert fmt.year_range(2020, 2020) == "2020"


def test_axis_formatter_uses_decimal_comma_and_minus():
    one = fmt.axis_formatter(1)
    assert one(65.4) == "65,4"
    assert one(-2.5) == f"{MINUS}2,5"
    assert fmt.axis_formatter(0)(2500000) == "2\u00a0500\u00a0000"


def test_axis_formatter_picks_decimals_that_show_every_tick_exactly():
    auto = fmt.axis_formatter()
    assert auto.format_ticks([50, 52.5, 55]) == ["50,0", "52,5", "55,0"]
    assert auto.format_ticks([0, 20, 40]) == ["0", "20", "40"]
    assert auto.format_ticks([0.25, 0.5]) == ["0,25", "0,50"]


def _visible_year_labels(ax) -> list[str]:
    low, high = ax.get_xlim()
    return [t.get_text() for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]


def test_int_year_axis_never_shows_half_years():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([2017, 2018, 2019], [1, 2, 3])
    fig.canvas.draw()
    assert "2017.50" in _visible_year_labels(ax)  # what matplotlib does on its own
    fmt.int_year_axis(ax)
    fig.canvas.draw()
    labels = _visible_year_labels(ax)
    plt.close(fig)
    assert labels == ["2017", "2018", "2019"]


def test_a_value_keeps_the_decimals_it_was_printed_with():
    assert fmt.value(38.0, "prosent", decimals=0) == "38 prosent"
    assert fmt.cell(38.0, "prosent", decimals=0) == "38"
    assert fmt.value(68.2, "prosent", decimals=1) == "68,2 prosent"
    assert fmt.value(69.0 - 38.0, "prosentpoeng", decimals=fmt.difference_decimals(0, 0)) == "31 prosentpoeng"


def test_difference_decimals_takes_the_coarser_and_rejects_bad_input():
    # 2024 edition, valgdeltakelse 2015: innvandrere 40 (printed without decimals) against
    # 63,7 from another table — the gap is −24, not the false precision −23,7.
    assert fmt.difference_decimals(0, 1) == 0
    assert fmt.number(40.0 - 63.7, fmt.difference_decimals(0, 1)) == "−24"
    assert fmt.difference_decimals(1, 1) == 1
    for bad in ((), (-1,), (float("nan"),)):
        with pytest.raises(ValueError):
            fmt.difference_decimals(*bad)
