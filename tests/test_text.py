"""Generated Norwegian sentences."""

import math
from dataclasses import dataclass

import pytest

from indikatorer.analysis.trends import Direction, GapChange
from indikatorer.report import text

MINUS = "\u2212"


def test_level_sentence():
    assert text.level_sentence(indicator_name="Sysselsettingsandelen", group_label="innvandrere",
                               value=65.4, year=2020, unit="prosent") == (
        "Sysselsettingsandelen blant innvandrere var 65,4 prosent i 2020.")


def test_level_sentence_with_labels_as_printed_in_codes_yml():
    assert text.level_sentence("Antall bosatte", "Norskfødte med innvandrerforeldre", 2493510,
                               2023, unit="personer") == (
        "Antall bosatte blant norskfødte med innvandrerforeldre var 2\u00a0493\u00a0510 personer"
        " i 2023.")


def test_level_sentence_keeps_abbreviations():
    assert text.level_sentence("AKU-ledigheten", "innvandrere", 7.25, 2022).startswith(
        "AKU-ledigheten blant innvandrere var 7,3 prosent")


def test_level_sentence_without_a_number_says_so():
    sentence = text.level_sentence("Sysselsettingsandelen", "innvandrere", math.nan, 2020)
    assert sentence == "Det finnes ikke tall for sysselsettingsandelen blant innvandrere i 2020."
    assert "nan" not in sentence and "0" not in sentence.replace("2020", "")


def test_gap_sentence_is_in_percentage_points():
    assert text.gap_sentence("Sysselsettingsandelen", "innvandrere", "befolkningen ellers",
                             65.4, 73.5, 2020) == (
        "Sysselsettingsandelen blant innvandrere var 8,1 prosentpoeng lavere enn i befolkningen "
        "ellers i 2020 (65,4 mot 73,5 prosent).")
    higher = text.gap_sentence("Andelen", "norskfødte", "Befolkningen ellers", 80.0, 75.0, 2021)
    assert "5,0 prosentpoeng høyere enn i befolkningen ellers" in higher
    assert " prosent lavere" not in higher and " prosent høyere" not in higher


def test_gap_sentence_adds_up_for_the_reader():
    # printed 65,4 and 73,6 → the gap must read 8,2 (not 8,1 from the unrounded 8,12)
    assert "8,2 prosentpoeng lavere" in text.gap_sentence("Andelen", "innvandrere",
                                                          "befolkningen ellers", 65.44, 73.56, 2020)


def test_gap_sentence_equal_and_missing():
    assert "på samme nivå som i befolkningen ellers" in text.gap_sentence(
        "Andelen", "innvandrere", "befolkningen ellers", 70.0, 70.04, 2020)
    assert text.gap_sentence("Andelen", "innvandrere", "befolkningen ellers", 70.0, None, 2020) == (
        "Det finnes ikke tall for å sammenligne andelen blant innvandrere med befolkningen ellers"
        " i 2020.")


def test_gap_sentence_for_amounts_uses_the_unit():
    assert "45\u00a0000 kroner lavere" in text.gap_sentence(
        "Medianinntekten", "innvandrere", "befolkningen ellers", 400000, 445000, 2022, unit="kroner")


def test_relative_change_sentence_uses_prosent():
    assert text.relative_change_sentence("Antallet sysselsatte", "innvandrere", 2015, 2023,
                                         100000, 112300) == (
        "Antallet sysselsatte blant innvandrere økte med 12,3 prosent fra 2015 til 2023, "
        "fra 100\u00a0000 til 112\u00a0300 personer.")
    assert "gikk ned med 10,0 prosent" in text.relative_change_sentence(
        "Antallet", None, 2015, 2023, 200, 180)


def test_relative_change_of_a_rate_is_refused():
    with pytest.raises(ValueError, match="prosentpoeng"):
        text.relative_change_sentence("Andelen", "innvandrere", 2015, 2023, 60.0, 66.0,
                                      unit="prosent")


def test_change_sentence_clear_change_with_ci():
    assert text.change_sentence(2015, 2023, 3.2, ci=(1.1, 5.3),
                                indicator_name="Sysselsettingsandelen",
                                group_label="innvandrere") == (
        "Fra 2015 til 2023 økte sysselsettingsandelen blant innvandrere med 3,2 prosentpoeng "
        "(95 prosent konfidensintervall: 1,1 til 5,3).")
    assert text.change_sentence(2015, 2023, -2.0, indicator_name="Andelen") == (
        "Fra 2015 til 2023 gikk andelen ned med 2,0 prosentpoeng.")


def test_change_sentence_is_cautious_when_the_ci_includes_zero():
    sentence = text.change_sentence(2015, 2023, 0.8, ci=(-1.0, 2.6),
                                    indicator_name="Sysselsettingsandelen",
                                    group_label="innvandrere")
    assert sentence == (
        "Fra 2015 til 2023 var det ingen klar endring i sysselsettingsandelen blant innvandrere: "
        f"endringen var +0,8 prosentpoeng, men usikkerheten er stor (95 prosent "
        f"konfidensintervall: {MINUS}1,0 til 2,6).")
    assert "økte" not in sentence


def test_change_sentence_follows_a_no_clear_change_classification():
    sentence = text.change_sentence(2015, 2023, 1.5, classification=Direction.NO_CLEAR_CHANGE)
    assert "ingen klar endring" in sentence and "økte" not in sentence


def test_change_sentence_rejects_a_contradicting_classification():
    with pytest.raises(ValueError, match="contradicts"):
        text.change_sentence(2015, 2023, -1.5, classification=Direction.RISING)


def test_change_sentence_warns_when_data_are_thin():
    thin = text.change_sentence(2019, 2023, 4.0, ci=(1.0, 7.0), n=45)
    assert thin.endswith("Tallgrunnlaget er tynt (n = 45), så endringen må tolkes med forsiktighet.")
    assert "Tallgrunnlaget" not in text.change_sentence(2019, 2023, 4.0, ci=(1.0, 7.0),
                                                        n=text.THIN_N)


def test_change_sentence_missing_and_unchanged():
    assert "kan ikke beregnes" in text.change_sentence(2015, 2023, math.nan)
    assert text.change_sentence(2015, 2023, 0.02, indicator_name="Andelen") == (
        "Andelen var uendret fra 2015 til 2023.")


TREND_UP = {"fitted": True, "slope": 0.812, "ci_low": 0.5, "ci_high": 1.1,
            "direction": "rising", "years_used": [2014, 2023], "breaks_used": [2015],
            "alpha": 0.05}


def test_trend_sentence_rising_with_break():
    assert text.trend_sentence(TREND_UP, indicator_name="Sysselsettingsandelen",
                               group_label="innvandrere") == (
        "Fra 2014 til 2023 økte sysselsettingsandelen blant innvandrere med i gjennomsnitt 0,81 "
        "prosentpoeng per år (95 prosent konfidensintervall: 0,50 til 1,10). Beregningen tar "
        "hensyn til bruddet i serien i 2015.")


def test_trend_sentence_falling_accepts_an_object_with_to_dict():
    @dataclass(frozen=True)
    class Result:  # the shape of trends.TrendResult
        def to_dict(self):
            return {**TREND_UP, "slope": -0.4, "ci_low": -0.6, "ci_high": -0.2,
                    "direction": "falling", "breaks_used": []}

    assert text.trend_sentence(Result(), indicator_name="Andelen") == (
        "Fra 2014 til 2023 gikk andelen ned med i gjennomsnitt 0,40 prosentpoeng per år "
        "(95 prosent konfidensintervall: −0,60 til −0,20).")


def test_trend_sentence_never_claims_a_direction_when_the_ci_includes_zero():
    # even if a caller passes a contradicting direction, the interval decides
    trend = {**TREND_UP, "slope": 0.2, "ci_low": -0.3, "ci_high": 0.7, "breaks_used": []}
    sentence = text.trend_sentence(trend, indicator_name="Andelen", group_label="innvandrere")
    assert sentence == (
        "Fra 2014 til 2023 var det ingen klar trend i andelen blant innvandrere: den beregnede "
        f"endringen var +0,20 prosentpoeng per år, men konfidensintervallet ({MINUS}0,30 til 0,70)"
        " omfatter null.")


def test_trend_sentence_not_fitted_gives_the_reason():
    trend = {"fitted": False, "slope": None, "ci_low": None, "ci_high": None, "n": 4, "needed": 5,
             "min_points": 5, "direction": "not_fitted", "years_used": [2020, 2023], "breaks_used": []}
    assert text.trend_sentence(trend, indicator_name="Andelen", group_label="innvandrere") == (
        "Trenden for andelen blant innvandrere er ikke beregnet: for få observasjoner (4) til å "
        "beregne trend; minst 5 trengs.")


def test_trend_sentence_for_amounts_is_in_the_unit_per_year():
    trend = {**TREND_UP, "slope": 5123.4, "ci_low": 3000.0, "ci_high": 7000.0, "breaks_used": []}
    assert "5\u00a0123 kroner per år" in text.trend_sentence(trend, indicator_name="Medianinntekten",
                                                             unit="kroner")


def test_no_data_note_is_a_visible_callout():
    note = text.no_data_note("Sysselsettingsandelen",
                             "tallene for 2024 fra statistikkbanktabell 13215", years=(2010, 2024))
    lines = note.strip().split("\n")
    assert lines[0].startswith("::: {.callout-note")
    assert lines[-1] == ":::"
    assert "Det finnes ingen tall for sysselsettingsandelen" in note
    assert "(2010–2024)" in note
    assert "vil fylle inn tallene for 2024 fra statistikkbanktabell 13215." in note


def test_sentence_is_public_and_finishes_a_sentence():
    assert text.sentence("  bodde det 5 innvandrere i Norge ") == "Bodde det 5 innvandrere i Norge."
    assert text.sentence("Økte den?") == "Økte den?"
    assert not hasattr(text, "_sentence")  # one name, no private alias


def test_a_single_person_is_singular_in_sentences():
    assert text.level_sentence("Antallet", "innvandrere", 1, 2020, unit="personer") == (
        "Antallet blant innvandrere var 1 person i 2020.")


# --------------------------------------------------------------------------- prepositions


@pytest.mark.parametrize("label, phrase", [
    ("Innvandrere", "blant innvandrere"),
    ("Norske statsborgere uten innvandrerbakgrunn", "blant norske statsborgere uten innvandrerbakgrunn"),
    ("Alle barn", "blant alle barn"),
    ("Personer med flyktningbakgrunn", "blant personer med flyktningbakgrunn"),
    ("Hele befolkningen", "i hele befolkningen"),
    ("Befolkningen ellers (uten innvandrere og norskfødte med innvandrerforeldre)",
     "i befolkningen ellers (uten innvandrere og norskfødte med innvandrerforeldre)"),
    ("Befolkningen eksklusive innvandrere", "i befolkningen eksklusive innvandrere"),
    ("Resten av befolkningen (avgrensning ikke oppgitt)", "i resten av befolkningen (avgrensning ikke oppgitt)"),
])
def test_group_phrase_is_blant_for_persons_and_i_for_a_population(label, phrase):
    assert text.group_phrase(label) == phrase


def test_every_sentence_takes_the_preposition_of_its_group():
    gap = text.gap_sentence("Valgdeltakelsen", "Innvandrere", "Norske statsborgere uten innvandrerbakgrunn",
                            38.0, 69.0, 2023)
    assert gap == ("Valgdeltakelsen blant innvandrere var 31,0 prosentpoeng lavere enn blant norske "
                   "statsborgere uten innvandrerbakgrunn i 2023 (38,0 mot 69,0 prosent).")
    assert "enn blant norske" in text.gap_sentence("Andelen", "Innvandrere", "Norske statsborgere", 1.0,
                                                   2.0, 2023)
    assert "på samme nivå som blant andre barn" in text.gap_sentence(
        "Andelen", "Barn med innvandrerbakgrunn", "Andre barn", 10.0, 10.0, 2022)
    assert "enn i hele befolkningen" in text.gap_sentence("Andelen", "Innvandrere", "Hele befolkningen",
                                                          22.0, 6.0, 2016)
    assert text.level_sentence("Andelen som bor trangt", "Hele befolkningen", 9.7, 2023) == (
        "Andelen som bor trangt i hele befolkningen var 9,7 prosent i 2023.")
    assert "i hele befolkningen var uendret" in text.change_sentence(
        2022, 2023, 0.0, indicator_name="Andelen som bor trangt", group_label="Hele befolkningen")
    assert "blant hele" not in text.trend_sentence(TREND_UP, indicator_name="Andelen",
                                                   group_label="Hele befolkningen")


# --------------------------------------------------------------------------- gaps told by their size

GAP_NAME = "Forskjellen i andel sysselsatte"
BETWEEN = "mellom innvandrere og befolkningen eksklusive innvandrere"


def gap_change(g0, g1, **kwargs):
    return text.gap_change_sentence(2022, 2023, g0, g1, indicator_name=GAP_NAME, group_label="Innvandrere",
                                    reference_label="Befolkningen eksklusive innvandrere", **kwargs)


def test_a_negative_gap_that_widens_is_said_to_grow_never_to_go_down():
    # sysselsatte, innvandrere vs befolkningen eksklusive innvandrere: −10,9 (2022) → −11,6 (2023)
    sentence = gap_change(-10.9, -11.6)
    assert sentence == (f"Fra 2022 til 2023 økte forskjellen i andel sysselsatte {BETWEEN} fra 10,9 til "
                        "11,6 prosentpoeng.")
    assert "gikk" not in sentence and "ned" not in sentence and MINUS not in sentence


def test_a_gap_that_narrows_is_said_to_become_smaller_on_either_side():
    assert gap_change(-11.6, -10.9) == (f"Fra 2022 til 2023 ble forskjellen i andel sysselsatte {BETWEEN} "
                                        "mindre, fra 11,6 til 10,9 prosentpoeng.")
    assert "ble forskjellen" in gap_change(6.0, 5.2) and "mindre, fra 6,0 til 5,2" in gap_change(6.0, 5.2)
    assert "økte forskjellen" in gap_change(5.2, 6.0)


@pytest.mark.parametrize("g0, g1", [(a, b) for a in (-12.0, -3.04, -0.4, 2.5, 9.96)
                                    for b in (-11.96, -3.0, -0.5, 2.51, 10.0) if a * b > 0])
def test_the_word_for_a_change_in_a_gap_follows_its_size(g0, g1):
    sentence = gap_change(g0, g1)
    size0, size1 = abs(round(g0, 1)), abs(round(g1, 1))
    if size1 > size0:
        assert " økte " in sentence and "mindre" not in sentence
    elif size1 < size0:
        assert "mindre" in sentence and "økte" not in sentence
    else:
        assert "uendret" in sentence


def test_a_gap_that_changes_side_is_said_to_turn():
    assert gap_change(-1.0, 2.0) == (f"Fra 2022 til 2023 snudde forskjellen i andel sysselsatte {BETWEEN}, "
                                     "fra 1,0 prosentpoeng lavere til 2,0 prosentpoeng høyere blant innvandrere.")
    assert gap_change(-11.6, -11.64) == (f"Forskjellen i andel sysselsatte {BETWEEN} var uendret fra 2022 "
                                         "til 2023 (11,6 prosentpoeng).")
    assert "kan ikke beregnes" in gap_change(-11.6, math.nan)


def test_a_gap_as_a_number_of_its_own_gives_size_and_side():
    assert text.gap_level_sentence(GAP_NAME, "Innvandrere", "Befolkningen eksklusive innvandrere", -11.6,
                                   2023) == (f"Forskjellen i andel sysselsatte {BETWEEN} var 11,6 "
                                             "prosentpoeng i 2023 (lavere blant innvandrere).")
    assert "(høyere i hele befolkningen)" in text.gap_level_sentence("Forskjellen", "Hele befolkningen",
                                                                      "Andre", 2.0, 2023)


def _gap_result(gaps):
    from indikatorer.analysis import trends

    years = list(range(2014, 2014 + len(gaps)))
    reference = [70.0] * len(gaps)
    result = trends.linear_gap_trend(years, [r + g for r, g in zip(reference, gaps)], reference)
    return result, result.size_change


@pytest.mark.parametrize("gaps, side, verdict, words", [
    ([-15.0, -14.4, -14.1, -13.4, -13.0, -12.6, -11.9], -1, GapChange.NARROWING, ("mindre", "minket")),
    ([-10.0, -10.6, -10.9, -11.6, -12.0, -12.4, -13.1], -1, GapChange.WIDENING, ("større", "økte")),
    ([4.0, 4.6, 4.9, 5.6, 6.0, 6.4, 7.1], 1, GapChange.WIDENING, ("større", "økte")),
    ([7.1, 6.4, 6.0, 5.6, 4.9, 4.6, 4.0], 1, GapChange.NARROWING, ("mindre", "minket")),
])
def test_gap_trend_words_and_numbers_agree_with_the_size_change(gaps, side, verdict, words):
    result, described = _gap_result(gaps)
    assert described == verdict
    sentence = text.gap_trend_sentence(result, described, group_label="Innvandrere",
                                       reference_label="Befolkningen eksklusive innvandrere", side=side)
    assert f"ble forskjellen {BETWEEN} {words[0]}: den {words[1]} med i gjennomsnitt" in sentence
    assert MINUS not in sentence  # the size of the change and its interval are both positive
    other = {"mindre": "større", "større": "mindre"}[words[0]]
    assert other not in sentence


def test_gap_trend_without_a_clear_change_gives_the_change_in_size():
    trend = {"fitted": True, "slope": 0.15, "ci_low": -0.42, "ci_high": 0.73,
             "direction": "no_clear_change", "years_used": [2014, 2023], "breaks_used": [2015, 2017]}
    sentence = text.gap_trend_sentence(trend, GapChange.NO_CLEAR_CHANGE, indicator_name=GAP_NAME,
                                       group_label="Innvandrere",
                                       reference_label="Befolkningen eksklusive innvandrere", side=-1)
    assert sentence == (f"Fra 2014 til 2023 var det ingen klar endring i forskjellen i andel sysselsatte "
                        f"{BETWEEN}: den beregnede endringen i størrelsen på forskjellen var {MINUS}0,15 "
                        f"prosentpoeng per år, men konfidensintervallet ({MINUS}0,73 til 0,42) omfatter "
                        "null. Beregningen tar hensyn til bruddene i serien i 2015 og 2017.")
    crossing = text.gap_trend_sentence(trend, GapChange.NO_CLEAR_CHANGE, side=None)
    assert "gruppens verdi minus sammenligningsgruppens var +0,15" in crossing
    not_fitted = {"fitted": False, "n": 2, "needed": 5, "min_points": 5}
    assert text.gap_trend_sentence(not_fitted, GapChange.NO_CLEAR_CHANGE, group_label="Innvandrere",
                                   reference_label="Hele befolkningen") == (
        "Utviklingen i forskjellen mellom innvandrere og hele befolkningen er ikke beregnet: for få "
        "observasjoner (2) til å beregne trend; minst 5 trengs.")


# --------------------------------------------------------------------------- thin data


def test_a_change_over_the_only_two_years_of_a_series_is_cautious():
    note = "Serien har bare to år med tall, så endringen må tolkes med forsiktighet."
    assert text.change_sentence(2015, 2023, -2.0, indicator_name="Valgdeltakelsen", group_label="innvandrere",
                                years_in_series=2) == (
        f"Fra 2015 til 2023 gikk valgdeltakelsen blant innvandrere ned med 2,0 prosentpoeng. {note}")
    assert note not in text.change_sentence(2015, 2023, -2.0, years_in_series=3)
    assert text.relative_change_sentence("Antallet", None, 2021, 2023, 100, 90,
                                         years_in_series=2).endswith(note)
    assert gap_change(-10.9, -11.6, years_in_series=2).endswith(note)
    both = text.change_sentence(2015, 2023, 4.0, ci=(1.0, 7.0), n=45, years_in_series=2)
    assert note in both and "(n = 45)" in both


def test_few_years_sentence():
    assert text.few_years_sentence([2016], (2010, 2024)) == (
        "Tallgrunnlaget er tynt: det finnes tall for bare ett år (2016) i perioden 2010–2024, så "
        "utviklingen over tid kan ikke beskrives.")
    assert text.few_years_sentence([2013, 2017, 2021], (2010, 2024)) == (
        "Tallgrunnlaget er tynt: det finnes tall for 3 år i perioden 2010–2024, så utviklingen må "
        "tolkes med forsiktighet.")


def test_total_only_sentence_says_which_group_has_no_numbers():
    assert text.total_only_sentence("andelen som bor trangt", "Innvandrere", "Hele befolkningen",
                                    (2010, 2024)) == (
        "Datagrunnlaget har ingen tall for andelen som bor trangt blant innvandrere samlet i "
        "2010–2024; hovedfunnene gjelder hele befolkningen.")
