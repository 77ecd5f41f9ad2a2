"""Generated Norwegian sentences."""

import math
from dataclasses import dataclass

import pytest

from indikatorer import text

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
    sentence = text.change_sentence(2015, 2023, 1.5, classification="ingen klar endring")
    assert "ingen klar endring" in sentence and "økte" not in sentence


def test_change_sentence_rejects_a_contradicting_classification():
    with pytest.raises(ValueError, match="contradicts"):
        text.change_sentence(2015, 2023, -1.5, classification="stigende")


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
            "classification": "stigende", "years_used": [2014, 2023], "breaks_used": [2015],
            "reason": None, "alpha": 0.05}


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
                    "classification": "synkende", "breaks_used": []}

    assert text.trend_sentence(Result(), indicator_name="Andelen") == (
        "Fra 2014 til 2023 gikk andelen ned med i gjennomsnitt 0,40 prosentpoeng per år "
        "(95 prosent konfidensintervall: −0,60 til −0,20).")


def test_trend_sentence_never_claims_a_direction_when_the_ci_includes_zero():
    # even if a caller passes a contradicting classification, the interval decides
    trend = {**TREND_UP, "slope": 0.2, "ci_low": -0.3, "ci_high": 0.7, "breaks_used": []}
    sentence = text.trend_sentence(trend, indicator_name="Andelen", group_label="innvandrere")
    assert sentence == (
        "Fra 2014 til 2023 var det ingen klar trend i andelen blant innvandrere: den beregnede "
        f"endringen var +0,20 prosentpoeng per år, men konfidensintervallet ({MINUS}0,30 til 0,70)"
        " omfatter null.")


def test_trend_sentence_not_fitted_gives_the_reason():
    trend = {"fitted": False, "slope": None, "ci_low": None, "ci_high": None,
             "classification": "ikke beregnet", "years_used": [2020, 2023], "breaks_used": [],
             "reason": "For få observasjoner (4) til å beregne trend; minst 5 trengs."}
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
