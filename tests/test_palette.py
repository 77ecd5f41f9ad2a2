"""The book's colours can be told apart: every pair a chart can show together differs by
CIEDE2000 ≥ 10, with normal colour vision and with simulated deuteranopia and protanopia.

The colour math (tests/colour_math.py) is checked first against published reference values,
so a wrong formula cannot make the palette look better than it is. The charts of a real
edition are checked in tests/test_book.py with the same helper.
"""

from __future__ import annotations

import pytest

from colour_math import VISIONS, ciede2000, closest_pairs, difference, lab, simulate, hex_to_rgb
from indikatorer.report import style

MINIMUM = 10.0

# Sharma, Wu & Dalal (2005), Table 1: pairs 1, 7, 17, 18, 19, 20, 25 and 34.
SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize("first,second,expected", SHARMA_PAIRS)
def test_ciede2000_matches_sharmas_test_data(first, second, expected):
    assert ciede2000(first, second) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(second, first) == pytest.approx(expected, abs=1e-4)


def test_lab_of_known_colours():
    assert lab("#FFFFFF") == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert lab("#000000") == pytest.approx((0.0, 0.0, 0.0), abs=0.01)
    assert lab("#FF0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.05)


def test_simulation_keeps_greys_and_merges_red_and_green():
    for grey in ("#000000", "#777777", "#FFFFFF"):
        for vision in VISIONS:
            assert lab(grey, vision) == pytest.approx(lab(grey), abs=0.5)
    # the classic confusion: a red and a green of similar lightness
    red, green = "#CC3333", "#669900"
    assert difference(red, green) > 30
    for vision in ("deuteranopia", "protanopia"):
        assert difference(red, green, vision) < difference(red, green) / 2
    assert simulate(hex_to_rgb("#0000FF"), "protanopia")[2] > 0.9  # blue stays blue


def test_the_palette_is_distinguishable_in_all_three_visions():
    colours = dict(style.PALETTE)
    assert len(set(colours.values())) == len(colours)
    assert not closest_pairs(colours, MINIMUM)


def test_group_colours_come_from_the_palette():
    assert set(style.GROUP_COLOURS.values()) <= set(style.PALETTE.values())
    assert set(style.OTHER_PALETTE) <= set(style.PALETTE.values())


@pytest.mark.parametrize("n", range(2, style.MAX_ORDERED + 1))
def test_ordered_colours_are_distinguishable_and_dark_to_light(n):
    colours = style.ordered_colours(n)
    named = {f"step {i}": c for i, c in enumerate(colours)}
    assert not closest_pairs(named, MINIMUM)
    lightness = [lab(c)[0] for c in colours]
    assert lightness == sorted(lightness), "ordered categories go from dark to light"
    # and beside black (the total, "alle") and the dark grey of the reference line in the
    # botid profiles (a mid grey would meet viridis' greens under deuteranopia)
    for colour in colours:
        for neutral in (style.NEUTRALS["black"], style.NEUTRALS["dark_grey"]):
            for vision in VISIONS:
                assert difference(colour, neutral, vision) >= MINIMUM


def test_any_chart_of_groups_keeps_its_colours_apart():
    """The groups SSB's tables show together, with regions and the total, as one chart would."""
    codes = list(style.GROUP_COLOURS) + ["norden", "afrika"]
    colours = style.chart_colours(codes, "groups")
    assert not closest_pairs(colours, MINIMUM)
