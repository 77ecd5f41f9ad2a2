"""data/codes.yml and its one reader, indikatorer.core.codes.load_codes."""

from __future__ import annotations

import pytest
import yaml

from indikatorer.data import catalogue, observations

from indikatorer.core import codes, paths

from indikatorer.report import style
from indikatorer.core.codes import VOCABULARIES, CodesError, load_codes
from indikatorer.core.errors import UserError

ARCHITECTURE_GROUPS = [  # the group table of ARCHITECTURE.md, in its order
    "innvandrere", "norskfodte", "innvandrerbakgrunn", "befolkningen_ellers",
    "befolkningen_uten_innvandrere", "hele_befolkningen", "flyktningbakgrunn",
]


def write_codes(path, **vocabularies):
    """A codes file with every vocabulary (one ``alle`` entry each unless given) and ``countries``."""
    body = {v: [{"code": "alle", "label": "Alle", "ssb_labels": ["I alt"]}] for v in VOCABULARIES}
    body.update(vocabularies)
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def fresh_cache():
    codes.clear_cache()
    yield
    codes.clear_cache()


# --------------------------------------------------------------------------- the committed file


def test_codes_map_norwegian_and_english_labels():
    c = load_codes()
    assert c.code_for("regions", "Western Europe else") == "vest_europa"
    assert c.code_for("regions", "Vest-Europa  ELLERS") == "vest_europa"
    assert c.code_for("regions", "Asia med Tyrkia") == c.code_for("regions", "Asia") == "asia_med_tyrkia"
    assert c.code_for("regions", "EU27/EØS-land") != c.code_for("regions", "EU28/EØS-land")
    assert c.code_for("botid", "Fra 4 inntil 5 år") == "4"
    assert c.code_for("sex", "Menn") == "menn" and c.code_for("sex", "menn") == "menn"
    assert c.code_for("regions", "Atlantis") is None


def test_country_names_and_aliases_give_land_codes():
    c = load_codes()
    assert c.code_for("regions", "Iraq") == c.code_for("regions", "Irak") == "land:Irak"
    assert c.code_for("regions", "türkiye") == "land:Tyrkia"
    assert c.is_known("regions", "land:Somalia") and not c.is_known("regions", "land:Atlantis")
    assert not c.is_known("groups", "land:Somalia")  # countries are regions only
    assert c.label("regions", "land:Polen") == "Polen"


def test_display_order_and_labels_follow_the_file():
    c = load_codes()
    assert c.order("groups")[:3] == ["innvandrere", "norskfodte", "innvandrerbakgrunn"]
    assert list(c.labels("groups")) == c.order("groups")
    assert set(ARCHITECTURE_GROUPS) <= set(c.order("groups"))
    assert c.label("groups", "befolkningen_uten_innvandrere") == "Befolkningen eksklusive innvandrere"
    assert c.order("sex") == ["alle", "menn", "kvinner"]


def test_every_vocabulary_is_a_coded_tidy_column_and_every_fixed_colour_a_group():
    assert sorted(observations.CODED_COLUMNS.values()) == sorted(VOCABULARIES)
    assert set(style.KIND_OF_COLUMN.items()) <= set(observations.CODED_COLUMNS.items())
    assert set(style.GROUP_COLOURS) <= set(load_codes().order("groups"))


def test_figures_and_catalogue_read_the_same_codes():
    c = load_codes()
    assert all(style.labels(v) == c.labels(v) for v in VOCABULARIES)
    assert catalogue.known_group_codes() == set(c.order("groups"))


# --------------------------------------------------------------------------- other files, errors


def test_order_of_another_file_is_kept(tmp_path):
    path = write_codes(tmp_path / "codes.yml", regions=[
        {"code": "afrika", "label": "Afrika"}, {"code": "alle", "label": "Alle land"},
        {"code": "norden", "label": "Norden", "ssb_labels": ["The Nordic countries"]}],
        countries={"Eritrea": [], "Etiopia": ["Ethiopia"]})
    c = load_codes(path)
    assert c.order("regions") == ["afrika", "alle", "norden"]
    assert c.labels("regions") == {"afrika": "Afrika", "alle": "Alle land", "norden": "Norden"}
    assert c.code_for("regions", "the nordic countries") == "norden"
    assert c.code_for("regions", "Ethiopia") == "land:Etiopia"


def test_a_label_claimed_by_two_codes_is_an_error(tmp_path):
    path = write_codes(tmp_path / "codes.yml", regions=[
        {"code": "a", "label": "A", "ssb_labels": ["Asia"]}, {"code": "b", "label": "B", "ssb_labels": ["asia"]}])
    with pytest.raises(CodesError, match="label 'asia' belongs to both 'a' and 'b' in regions"):
        load_codes(path)


def test_a_country_alias_that_is_also_a_region_label_is_an_error(tmp_path):
    path = write_codes(tmp_path / "codes.yml", regions=[{"code": "norden", "label": "Norden",
                                                         "ssb_labels": ["Danmark"]}],
                       countries={"Danmark": ["Denmark"]})
    with pytest.raises(CodesError, match="'Danmark' belongs to both 'norden' and 'land:Danmark'"):
        load_codes(path)


def test_missing_file_is_a_clear_user_error(tmp_path):
    with pytest.raises(CodesError, match=r"code vocabularies not found: .*nowhere\.yml") as info:
        load_codes(tmp_path / "nowhere.yml")
    assert isinstance(info.value, UserError)  # the CLI prints it as one line


def test_the_default_path_is_paths_codes_file_looked_up_on_each_call(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CODES_FILE", write_codes(tmp_path / "codes.yml",
                                                         groups=[{"code": "x", "label": "X"}]))
    assert load_codes().order("groups") == ["x"]
    monkeypatch.setattr(paths, "CODES_FILE", tmp_path / "gone.yml")
    with pytest.raises(CodesError, match="gone.yml"):
        load_codes()


def test_reads_are_cached_until_cleared(tmp_path):
    path = write_codes(tmp_path / "codes.yml", groups=[{"code": "x", "label": "X"}])
    first = load_codes(path)
    write_codes(path, groups=[{"code": "y", "label": "Y"}])
    assert load_codes(path) is first
    codes.clear_cache()
    assert load_codes(path).order("groups") == ["y"]


@pytest.mark.parametrize("text, message", [
    ("sex: [{code: alle, label: Alle}]\n", "'groups' must be a list"),
    ("groups: [{code: x}]\n", r"'groups' must be a list of \{code, label"),
    ("- just a list\n", "expected a mapping"),
    ("groups: [unclosed\n", "not valid YAML"),
])
def test_malformed_files_are_errors(tmp_path, text, message):
    path = tmp_path / "codes.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodesError, match=message):
        load_codes(path)


def test_an_unknown_vocabulary_is_an_error():
    with pytest.raises(CodesError, match="unknown code vocabulary 'colours'; codes.yml has: groups"):
        load_codes().labels("colours")
