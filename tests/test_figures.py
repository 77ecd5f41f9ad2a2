"""House style, fixed colours, line splitting, and the figure/table publishing contract."""

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from indikatorer.report import figures, publishing, sources, style

from indikatorer.core import paths  # noqa: E402
from indikatorer.core.codes import CodesError, clear_cache as clear_codes_cache, load_codes  # noqa: E402

ARCHITECTURE_GROUPS = {
    "innvandrere", "norskfodte", "innvandrerbakgrunn", "befolkningen_ellers",
    "befolkningen_uten_innvandrere", "hele_befolkningen", "flyktningbakgrunn",
}

CODES_YML = textwrap.dedent("""\
    groups:
      - {code: innvandrere, label: Innvandrere}
      - {code: norskfodte, label: Norskfødte med innvandrerforeldre}
      - {code: befolkningen_ellers, label: Befolkningen ellers}
      - {code: minoritetsspraklige_barn, label: Minoritetsspråklige barn}
    regions:
      - {code: alle, label: Alle land}
      - {code: norden, label: Norden}
      - {code: eu_ost, label: EU-land i Øst-Europa}
      - {code: asia, label: Asia}
      - {code: afrika, label: Afrika}
    botid:
      - {code: "0-3", label: Under 4 år}
      - {code: "7+", label: 7 år eller mer}
    sex:
      - {code: alle, label: Begge kjønn}
      - {code: menn, label: Menn}
      - {code: kvinner, label: Kvinner}
    ages:
      - {code: alle, label: Alle aldre}
""")

API_SOURCE = {
    "source_kind": "ssb_api", "source_table": "13215", "source_ref": "13215?ContentsCode=x",
    "source_file": "data/raw/ssb/13215/2024-03-01/data.json", "source_sha256": "a" * 64,
    "retrieved": "2024-03-01T10:00:00Z", "released": "2024-02-20T08:00:00Z",
}
PAGE_URL = "https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2021-03-19"
PAGE_SOURCE = {
    "source_kind": "published", "source_table": "436217", "source_ref": PAGE_URL,
    "source_file": "data/published/observations.csv", "source_sha256": "b" * 64,
    "retrieved": "unknown", "released": "2021-03-19",
}


@pytest.fixture(autouse=True)
def house_style(tmp_path, monkeypatch):
    """Every test: the house style, a known codes.yml and no pages.csv, figures closed after."""
    codes = tmp_path / "codes.yml"
    codes.write_text(CODES_YML, encoding="utf-8")
    monkeypatch.setattr(paths, "CODES_FILE", codes)
    monkeypatch.setattr(sources, "PAGES_FILE", tmp_path / "no-pages.csv")
    clear_codes_cache()
    sources._page_titles.cache_clear()
    style.setup()
    yield
    plt.close("all")
    clear_codes_cache()
    sources._page_titles.cache_clear()


def employment_frame(missing_year=2017, groups=("innvandrere", "befolkningen_ellers")):
    rows = []
    for i, group in enumerate(groups):
        for year in range(2010, 2024):
            if group == "innvandrere" and year == missing_year:
                continue
            rows.append({"year": year, "group": group, "value": round(60 + 10 * i + 0.3 * (year - 2010), 1)})
    return pd.DataFrame(rows)


def data_lines(fig):
    """The Line2D objects that carry data (markers), per colour: [(colour, xs, ys), …]."""
    out = []
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_marker() not in (None, "None", ""):
                out.append((to_hex(line.get_color()).upper(), list(line.get_xdata()),
                            list(line.get_ydata())))
    return out


# ---------------------------------------------------------------- colours and labels


def test_every_architecture_group_has_a_fixed_colour():
    assert set(style.GROUP_COLOURS) == ARCHITECTURE_GROUPS
    assert style.GROUP_COLOURS["innvandrere"] == "#0072B2"
    assert style.GROUP_COLOURS["norskfodte"] == "#E69F00"
    assert style.GROUP_COLOURS["flyktningbakgrunn"] == "#D55E00"
    assert style.GROUP_COLOURS["hele_befolkningen"] == "#000000"
    for code, colour in style.GROUP_COLOURS.items():
        assert style.colour_for(code) == colour
        assert style.colour_for(code, "groups") == colour
        assert colour in style.PALETTE.values()


def test_group_colours_are_distinct_and_references_are_neutral():
    immigrant = ["innvandrere", "norskfodte", "innvandrerbakgrunn", "flyktningbakgrunn"]
    reference = ["befolkningen_ellers", "befolkningen_uten_innvandrere", "hele_befolkningen"]
    assert len(set(style.GROUP_COLOURS.values())) == len(style.GROUP_COLOURS)
    for code in reference:
        hex_ = style.GROUP_COLOURS[code].lstrip("#")
        assert hex_[0:2] == hex_[2:4] == hex_[4:6], f"{code} must be grey/black"
    for code in immigrant:
        hex_ = style.GROUP_COLOURS[code].lstrip("#")
        assert not hex_[0:2] == hex_[2:4] == hex_[4:6], f"{code} must have a hue"
    assert set(style.OTHER_PALETTE) <= set(style.PALETTE.values())
    assert len(set(style.GROUP_MARKERS.values())) == len(style.GROUP_MARKERS)


def test_other_codes_are_coloured_by_their_place_in_codes_yml():
    regions = ["alle", "norden", "eu_ost", "asia", "afrika"]
    assert style.colour_for("alle", "regions") == style.TOTAL_COLOUR
    for i, code in enumerate(regions[1:], start=1):
        assert style.colour_for(code, "regions") == style.OTHER_PALETTE[i]
    assert style.colour_for("minoritetsspraklige_barn") == style.OTHER_PALETTE[3]
    # a code in no list: stable, from the palette
    assert style.colour_for("land:Polen") in style.OTHER_PALETTE
    assert style.colour_for("land:Polen") == style.colour_for("land:Polen")


def test_a_chart_never_gives_two_codes_one_colour():
    # minoritetsspraklige_barn's own place is the palette's rose, like innvandrerbakgrunn's
    codes = ["innvandrere", "innvandrerbakgrunn", "minoritetsspraklige_barn", "norden", "alle"]
    colours = style.chart_colours(codes, "groups")
    assert list(colours) == codes
    assert len(set(colours.values())) == len(codes)
    assert colours["innvandrere"] == style.GROUP_COLOURS["innvandrere"]
    assert colours["alle"] == style.TOTAL_COLOUR
    # more codes than colours cannot be read by colour: an error, not a repeat
    many = [f"land:{c}" for c in ("Polen", "Irak", "Syria", "Somalia", "Eritrea", "Iran", "Kina",
                                  "India", "Tyskland", "Sverige", "Litauen")]
    with pytest.raises(ValueError, match="more than"):
        style.chart_colours(many, "regions")


def test_ordered_categories_get_ordered_colours_dark_to_light():
    colours = style.chart_colours(["7+", "alle", "0-3"], "botid")
    assert colours["alle"] == style.TOTAL_COLOUR
    assert [colours[c] for c in ("0-3", "7+")] == style.ordered_colours(2)  # codes.yml order
    with pytest.raises(ValueError, match="at most"):
        style.ordered_colours(style.MAX_ORDERED + 1)


def test_colours_and_png_bytes_are_the_same_in_another_process(tmp_path):
    """Colours must not depend on Python's per-process hash seed, and the PNG must not depend on
    the process (the build renders notebooks in worker processes)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "codes.yml").write_text(CODES_YML, encoding="utf-8")
    script = textwrap.dedent(f"""
        import json, pandas as pd
        from indikatorer.report import figures, style
        style.setup()
        codes = ["innvandrere", "hele_befolkningen", "asia", "land:Polen", "land:Eritrea"]
        fig = figures.line_chart(pd.read_json({str(tmp_path / 'frame.json')!r}))
        fig.savefig({str(tmp_path / 'other.png')!r}, dpi=style.DPI, bbox_inches="tight",
                    metadata={{"Software": None}})
        print(json.dumps({{c: style.colour_for(c) for c in codes}}))
    """)
    frame = employment_frame()
    frame.to_json(tmp_path / "frame.json")
    env = {**os.environ, "INDIKATORER_ROOT": str(tmp_path), "PYTHONHASHSEED": "4242"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True)
    other = json.loads(out.stdout)
    assert other == {c: style.colour_for(c) for c in other}
    fig = figures.line_chart(pd.read_json(tmp_path / "frame.json"))
    fig.savefig(tmp_path / "here.png", dpi=style.DPI, bbox_inches="tight",
                metadata={"Software": None})
    assert (tmp_path / "here.png").read_bytes() == (tmp_path / "other.png").read_bytes()


def test_labels_come_from_codes_yml_in_its_order():
    assert style.labels("regions") == {
        "alle": "Alle land", "norden": "Norden", "eu_ost": "EU-land i Øst-Europa", "asia": "Asia",
        "afrika": "Afrika",
    }
    assert style.label("eu_ost", "regions") == "EU-land i Øst-Europa"
    assert style.label("land:Polen", "regions") == "Polen"
    assert style.label("ukjent_kode", "regions") == "ukjent_kode"


def test_labels_are_those_of_the_one_codes_reader():
    assert style.labels("sex") == load_codes().labels("sex") == {
        "alle": "Begge kjønn", "menn": "Menn", "kvinner": "Kvinner"}
    assert style.label("alle", None) == "alle"  # a column without a vocabulary shows the code


def test_missing_codes_yml_is_a_clear_error_not_a_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CODES_FILE", tmp_path / "missing.yml")
    with pytest.raises(CodesError, match=r"code vocabularies not found: .*missing\.yml"):
        style.labels("groups")
    with pytest.raises(CodesError, match="not found"):
        style.colour_for("asia", "regions")


def test_setup_sets_deterministic_house_style():
    style.setup()
    assert plt.rcParams["svg.hashsalt"] == "indikatorer"
    assert plt.rcParams["savefig.dpi"] == style.DPI
    assert plt.rcParams["font.family"] == [style.FONT]
    assert matplotlib.get_backend().lower() == "agg"
    first = np.random.rand(3)
    style.setup()
    assert np.array_equal(first, np.random.rand(3))


# ---------------------------------------------------------------- line splitting


def test_split_segments_at_missing_years_and_breaks():
    years = [2010, 2011, 2012, 2014, 2015, 2016, 2017]
    values = [1, 2, np.nan, 4, 5, 6, 7]
    runs = figures.split_segments(years, values, breaks=[{"year": 2016, "what": "ny kilde"}])
    assert [r[0] for r in runs] == [[2010, 2011], [2014, 2015], [2016, 2017]]
    assert [r[1] for r in runs] == [[1.0, 2.0], [4.0, 5.0], [6.0, 7.0]]


def test_split_segments_with_a_two_year_cadence():
    runs = figures.split_segments([2013, 2015, 2017, 2021], [1, 2, 3, 4], step=2)
    assert [r[0] for r in runs] == [[2013, 2015, 2017], [2021]]


def test_split_segments_accepts_catalogue_break_objects():
    class Break:  # the shape of indikatorer.data.catalogue.Break
        year = 2015
        what = "a-ordningen"

    runs = figures.split_segments([2014, 2015], [1, 2], breaks=[Break()])
    assert [r[0] for r in runs] == [[2014], [2015]]


def test_line_chart_never_bridges_a_missing_year_or_a_break():
    df = employment_frame(missing_year=2017)
    df.loc[(df.group == "befolkningen_ellers") & (df.year == 2020), "value"] = np.nan
    fig = figures.line_chart(df, breaks=[{"year": 2015, "what": "a-ordningen"}])
    lines = data_lines(fig)
    for _colour, xs, _ys in lines:
        assert all(b - a == 1 for a, b in zip(xs, xs[1:])), f"a line spans a gap: {xs}"
        assert not any(a < 2015 <= b for a, b in zip(xs, xs[1:])), f"a line spans the break: {xs}"
    by_colour = {}
    for colour, xs, ys in lines:
        by_colour.setdefault(colour, []).append(xs)
    assert by_colour["#0072B2"] == [list(range(2010, 2015)), [2015, 2016], list(range(2018, 2024))]
    assert by_colour["#999999"] == [list(range(2010, 2015)), list(range(2015, 2020)),
                                    list(range(2021, 2024))]
    # every published point is drawn, nothing else
    drawn = {(c, x, y) for c, xs, ys in lines for x, y in zip(xs, ys)}
    expected = {(style.colour_for(g), int(y), v) for g, y, v in df.dropna()[["group", "year", "value"]].itertuples(index=False)}
    assert drawn == expected
    # a dashed marker half a year before the break
    markers = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert [list(ln.get_xdata()) for ln in markers] == [[2014.5, 2014.5]]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-1] == "Brudd i serien: 2015"


def legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_close_breaks_share_one_legend_entry_instead_of_colliding_labels():
    df = employment_frame(missing_year=None)
    breaks = [{"year": 2017}, {"year": 2015}]
    fig = figures.line_chart(df, breaks=breaks)
    markers = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert [ln.get_xdata()[0] for ln in markers] == [2014.5, 2016.5]
    assert not fig.axes[0].texts  # no labels beside the lines that could overlap
    assert legend_texts(fig).count("Brudd i serien: 2015 og 2017") == 1
    regions = pd.concat([df.assign(region=r) for r in ("norden", "asia", "afrika")])
    panels = figures.small_multiples(regions, facet="region", kind="line", breaks=breaks)
    assert legend_texts(panels).count("Brudd i serien: 2015 og 2017") == 1
    assert not any(ax.texts for ax in panels.axes)


LONG_REGIONS = {
    "landgruppe1": "EU/EØS, USA, Canada, Australia og New Zealand (landgruppe 1)",
    "landgruppe2": ("Asia, Afrika, Latin-Amerika, Oseania utenom Australia og New Zealand, og "
                    "Europa utenom EU/EØS (landgruppe 2)"),
}


@pytest.fixture
def long_region_labels(tmp_path, monkeypatch):
    codes = tmp_path / "long-codes.yml"
    extra = "".join(f"  - {{code: {c}, label: \"{t}\"}}\n" for c, t in LONG_REGIONS.items())
    codes.write_text(CODES_YML.replace("\nregions:\n", "\nregions:\n" + extra), encoding="utf-8")
    monkeypatch.setattr(paths, "CODES_FILE", codes)
    clear_codes_cache()
    assert style.label("landgruppe2", "regions") == LONG_REGIONS["landgruppe2"]


def test_wrap_label_breaks_between_words():
    wrapped = figures.wrap_label(LONG_REGIONS["landgruppe2"])
    assert all(len(line) <= figures.WRAP_WIDTH for line in wrapped.split("\n"))
    assert wrapped.replace("\n", " ") == LONG_REGIONS["landgruppe2"]
    assert figures.wrap_label("Norden") == "Norden"


def test_long_category_labels_are_wrapped_and_the_layout_never_collapses(
        tmp_path, long_region_labels, recwarn):
    """The landgruppe labels squeezed the axes to nothing ("constrained_layout not applied")."""
    rows = [{"year": 2013, "group": g, "region": r, "value": v}
            for g in ("innvandrere", "befolkningen_ellers") for r, v in (("landgruppe1", 57.0), ("landgruppe2", 56.0))]
    fig = figures.small_multiples(pd.DataFrame(rows), facet="region", kind="bar")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == [figures.wrap_label(LONG_REGIONS["landgruppe1"]), figures.wrap_label(LONG_REGIONS["landgruppe2"])]
    short = figures.small_multiples(pd.DataFrame([{**r, "region": "norden" if r["region"] == "landgruppe1" else "asia"}
                                                  for r in rows]), facet="region", kind="bar")
    assert fig.get_size_inches()[1] > short.get_size_inches()[1]  # room for the label lines
    lines = pd.DataFrame([{"year": y, "group": "innvandrere", "region": r, "value": 50.0 + y - 2010}
                          for y in range(2010, 2016) for r in ("norden", "landgruppe1", "landgruppe2")])
    panels = figures.small_multiples(lines, facet="region", kind="line")
    assert figures.wrap_label(LONG_REGIONS["landgruppe2"]) in [ax.get_title() for ax in panels.axes]
    for i, figure in enumerate((fig, panels)):
        figure.savefig(tmp_path / f"f{i}.png")
    assert not [w for w in recwarn if "constrained_layout" in str(w.message)]
    width = fig.axes[0].get_position().width
    assert width > 0.4, width  # the bars keep most of the figure's width


def test_line_chart_colours_follow_the_code_not_the_plotting_order():
    df = employment_frame()
    a = {c for c, _, _ in data_lines(figures.line_chart(df))}
    b = {c for c, _, _ in data_lines(figures.line_chart(df.iloc[::-1]))}
    assert a == b == {"#0072B2", "#999999"}
    legend = [t.get_text() for t in figures.line_chart(df).legends[0].get_texts()]
    assert legend == ["Innvandrere", "Befolkningen ellers"]


def test_line_chart_axes_use_decimal_comma_and_whole_years():
    df = pd.DataFrame({"year": [2019, 2020, 2021], "group": "innvandrere", "value": [1.25, 1.5, 1.75]})
    fig = figures.line_chart(df, unit="prosentpoeng")
    fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    ylabels = [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high]
    assert ylabels and all("," in t and "." not in t for t in ylabels)
    xlow, xhigh = ax.get_xlim()
    xlabels = [t.get_text() for t in ax.get_xticklabels() if xlow <= t.get_position()[0] <= xhigh]
    assert xlabels == ["2019", "2020", "2021"]
    assert ax.get_ylabel() == "Prosentpoeng"


def test_line_chart_refuses_duplicate_points():
    df = pd.concat([employment_frame(), employment_frame()])
    with pytest.raises(ValueError, match="more than one row"):
        figures.line_chart(df)


def test_trend_band_is_drawn_per_segment_and_not_across_the_break():
    df = employment_frame(groups=("innvandrere",))
    trend = pd.DataFrame({"year": range(2010, 2024), "segment": [0] * 5 + [1] * 9})
    trend["fit"] = 60 + 0.3 * (trend.year - 2010)
    trend["ci_low"], trend["ci_high"] = trend.fit - 1, trend.fit + 1
    fig = figures.line_chart(df, breaks=[2015], trend=trend)
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    spans = sorted((p.vertices[:, 0].min(), p.vertices[:, 0].max()) for b in bands for p in b.get_paths())
    assert spans == [(2010, 2014), (2015, 2023)]
    fits = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert [list(ln.get_xdata()) for ln in fits] == [list(range(2010, 2015)), list(range(2015, 2024))]
    assert all(to_hex(ln.get_color()).upper() == "#0072B2" for ln in fits)


def test_small_multiples_lines_one_panel_per_facet_in_codes_order():
    df = pd.DataFrame([
        {"year": y, "group": g, "region": r, "value": 50.0 + y - 2015}
        for y in range(2015, 2020) for g in ("innvandrere", "norskfodte") for r in ("asia", "norden")
    ])
    fig = figures.small_multiples(df, facet="region", kind="line")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["Norden", "Asia"]
    for ax in visible:
        assert {to_hex(ln.get_color()).upper() for ln in ax.get_lines() if ln.get_marker() not in (None, "None", "")} == {
            "#0072B2", "#E69F00"}


def test_small_multiples_bars_mark_missing_values_instead_of_zero():
    df = pd.DataFrame([
        {"year": 2023, "group": "innvandrere", "region": "norden", "value": 70.0},
        {"year": 2023, "group": "innvandrere", "region": "asia", "value": np.nan},
        {"year": 2023, "group": "norskfodte", "region": "norden", "value": 72.5},
        {"year": 2023, "group": "norskfodte", "region": "asia", "value": 55.5},
        {"year": 2022, "group": "norskfodte", "region": "asia", "value": 1.0},  # other year: not drawn
    ])
    fig = figures.small_multiples(df, facet="region", kind="bar")
    ax = fig.axes[0]
    bars = {(to_hex(p.get_facecolor()).upper(), round(p.get_y() + p.get_height() / 2, 3)): p.get_width()
            for p in ax.patches}
    assert sorted(bars.values()) == [0.0, 55.5, 70.0, 72.5]
    annotations = sorted(t.get_text() for t in ax.texts)
    assert annotations == ["..", "55,5", "70,0", "72,5"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Norden", "Asia"]
    assert ax.get_xlabel() == "Prosent, 2023"


# ---------------------------------------------------------------- publishing


def with_sources(df: pd.DataFrame) -> pd.DataFrame:
    """A chart's rows as the chapters pass them: where each number comes from (innvandrere
    from the API table, the reference group from the published page)."""
    source = [API_SOURCE if g == "innvandrere" else PAGE_SOURCE for g in df["group"]]
    return df.assign(source_ref=[s["source_ref"] for s in source], released=[s["released"] for s in source])


def publish_employment(out_dir, **kw):
    df = with_sources(employment_frame())
    fig = figures.line_chart(df, breaks=[2015])
    args = dict(label="syss-gruppe", caption="Sysselsatte 20–66 år, 2010–2023. Prosent",
                alt='Linjediagram: "innvandrere" ligger lavere enn befolkningen ellers.',
                data=df, sources=pd.DataFrame([API_SOURCE, API_SOURCE, PAGE_SOURCE]),
                indicators=["sysselsatte_andel", "sysselsatte_andel"], out_dir=out_dir)
    args.update(kw)
    return df, fig, publishing.publish_figure(fig, **args)


def test_publish_figure_writes_png_csv_json_and_returns_markdown(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INDIKATORER_NOTEBOOK", "notebooks/01-arbeid.ipynb")
    out = tmp_path / "figures"
    df, fig, md = publish_employment(out)
    assert capsys.readouterr().out == ""  # returned for the cell to emit in one write
    assert not plt.fignum_exists(fig.number)  # closed
    png, csv, meta = out / "syss-gruppe.png", out / "syss-gruppe.csv", out / "syss-gruppe.json"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = md.strip().split("\n")
    # the alt text says what the chart is (type, unit, groups, period, breaks, what each line
    # does) before the sentence the caller gives it
    assert lines[0] == ('![Sysselsatte 20–66 år, 2010–2023. Prosent](figures/syss-gruppe.png)'
                        '{#fig-syss-gruppe fig-alt="Linjediagram, prosent, for innvandrere og '
                        'befolkningen ellers, 2010–2023. Brudd i serien markert ved 2015. '
                        'Innvandrere: fra 60,0 i 2010 til 63,9 i 2023. Befolkningen ellers: fra '
                        '70,0 i 2010 til 73,9 i 2023. Linjediagram: \\"innvandrere\\" ligger '
                        'lavere enn befolkningen ellers."}')
    assert lines[1] == ""
    assert lines[2].startswith("Kilde: SSB, tabell [13215](https://www.ssb.no/statbank/table/13215)"
                               " (statistikkbanken); SSB, ")
    # The local links are web-only (a Quarto span), the source line is everywhere.
    assert lines[2].endswith(" [· [Last ned data (CSV)](figures/syss-gruppe.csv)"
                             " · [Notatboken som laget figuren](notatbok/01-arbeid.ipynb)"
                             "{download=\"01-arbeid.ipynb\"}]"
                             "{.content-visible when-format=\"html\"}"
                             # print names where the file lives in the web edition
                             "[ · Data i nettutgaven: `notebooks/figures/syss-gruppe.csv`]"
                             "{.content-hidden when-format=\"html\"}")

    record = json.loads(meta.read_text(encoding="utf-8"))
    assert record["label"] == "syss-gruppe"
    assert record["caption"] == "Sysselsatte 20–66 år, 2010–2023. Prosent"
    assert record["alt"].startswith("Linjediagram, prosent, for innvandrere")
    assert record["alt"].endswith('Linjediagram: "innvandrere" ligger lavere enn befolkningen ellers.')
    assert record["colours"] == {"Innvandrere": "#0072B2", "Befolkningen ellers": "#999999"}
    assert record["indicators"] == ["sysselsatte_andel"]
    # Which source each CSV row came from: per row in the CSV, and per source in the JSON.
    data = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert list(data.columns) == ["year", "group", "value", "source_ref", "released"]
    api_rows = data.index[data["group"] == "innvandrere"].tolist()
    page_rows = data.index[data["group"] == "befolkningen_ellers"].tolist()
    assert record["sources"] == [{**PAGE_SOURCE, "csv_rows": page_rows}, {**API_SOURCE, "csv_rows": api_rows}]
    assert sorted(api_rows + page_rows) == list(range(len(data)))
    assert record["png"] == "syss-gruppe.png" and record["csv"] == "syss-gruppe.csv"
    assert record["png_sha256"] == hashlib.sha256(png.read_bytes()).hexdigest()
    assert record["csv_sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert record["notebook"] == "notebooks/01-arbeid.ipynb"
    assert record["execution_count"] is None


def test_csv_holds_exactly_the_plotted_numbers(tmp_path):
    df = with_sources(employment_frame())
    df.loc[0, "value"] = 0.1 + 0.2  # binary noise must not leak into the file
    fig = figures.line_chart(df)
    drawn = {(c, x, y) for c, xs, ys in data_lines(fig) for x, y in zip(xs, ys)}
    publishing.publish_figure(fig, label="a", caption="c", alt="a", data=df, sources=[API_SOURCE, PAGE_SOURCE],
                              indicators=["x"], out_dir=tmp_path)
    text = (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "year,group,value,source_ref,released"
    assert "innvandrere,0.3," in text and "0,3" not in text  # decimal point for machines
    back = pd.read_csv(tmp_path / "a.csv")
    expected = df.sort_values(["year", "group"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected, check_exact=False, rtol=1e-12)
    from_csv = {(style.colour_for(g), y, v) for g, y, v in back[["group", "year", "value"]].itertuples(index=False)}
    assert {(c, x, round(y, 9)) for c, x, y in drawn} == {(c, x, round(v, 9)) for c, x, v in from_csv}


def test_png_bytes_identical_for_the_same_figure(tmp_path):
    publish_employment(tmp_path / "one")
    publish_employment(tmp_path / "two")
    for name in ("syss-gruppe.png", "syss-gruppe.csv", "syss-gruppe.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_execution_count_is_the_running_cells_inside_a_kernel(tmp_path, monkeypatch):
    """IPython counts a cell before running it: while cell 7 runs, the shell's counter already
    says 8 (the next cell's number); the running cell's result holds 7, as the notebook records."""
    import types

    import IPython

    shell = types.SimpleNamespace(execution_count=8, displayhook=types.SimpleNamespace(
        exec_result=types.SimpleNamespace(execution_count=7)))
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    publish_employment(tmp_path)
    assert json.loads((tmp_path / "syss-gruppe.json").read_text())["execution_count"] == 7


def test_a_figure_says_per_row_where_its_numbers_come_from(tmp_path):
    no_sources = employment_frame()
    with pytest.raises(ValueError, match="source_ref"):
        publish_employment(tmp_path / "a", data=no_sources)
    # A source the figure lists but no row comes from is a candidate, not a source: refused.
    only_api = with_sources(employment_frame(groups=("innvandrere",)))
    with pytest.raises(ValueError, match="not the source of any row"):
        publish_employment(tmp_path / "b", data=only_api)
    assert not (tmp_path / "b" / "syss-gruppe.json").exists()


@pytest.mark.parametrize("bad", ["Syss", "syss gruppe", "syss_gruppe", "", "-syss", "syss-", "a--b", "æøå"])
def test_invalid_labels_are_refused_before_anything_is_written(tmp_path, bad):
    with pytest.raises(ValueError, match="invalid label"):
        publish_employment(tmp_path / "out", label=bad)
    assert not (tmp_path / "out").exists()


def test_figure_without_sources_or_alt_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no sources"):
        publish_employment(tmp_path, sources=pd.DataFrame(columns=list(sources.SOURCE_KEYS)))
    with pytest.raises(ValueError, match="alt"):
        publish_employment(tmp_path, alt=" ")
    with pytest.raises(ValueError, match="value"):
        publish_employment(tmp_path, data=with_sources(employment_frame()).rename(columns={"value": "andel"}))
    with pytest.raises(ValueError, match="machine names"):
        publish_employment(tmp_path, data=with_sources(employment_frame()).rename(columns={"group": "Gruppe"}))


def test_notes_are_shown_above_the_source_line(tmp_path):
    _, _, md = publish_employment(tmp_path, notes=["Tall fra 2015 bygger på a-ordningen."])
    blocks = md.strip().split("\n\n")
    assert blocks[1] == "Merknad: Tall fra 2015 bygger på a-ordningen."
    assert blocks[2].startswith("Kilde: ")


# ---------------------------------------------------------------- source line


def test_source_line_for_an_api_table():
    assert sources.source_line([API_SOURCE]) == (
        "Kilde: SSB, tabell [13215](https://www.ssb.no/statbank/table/13215) (statistikkbanken)")


def test_source_line_for_several_api_tables():
    other = {**API_SOURCE, "source_table": "05300", "source_ref": "05300?x"}
    assert sources.source_line(pd.DataFrame([API_SOURCE, other])) == (
        "Kilde: SSB, tabellene [05300](https://www.ssb.no/statbank/table/05300) og "
        "[13215](https://www.ssb.no/statbank/table/13215) (statistikkbanken)")


def test_source_line_for_a_published_page_uses_its_title(tmp_path, monkeypatch):
    pages = tmp_path / "pages.csv"
    pages.write_text("url,title,released\n"
                     f'{PAGE_URL},"Sysselsetting blant innvandrere, registerbasert, 2020",2021-03-19\n',
                     encoding="utf-8")
    monkeypatch.setattr(sources, "PAGES_FILE", pages)
    sources._page_titles.cache_clear()
    assert sources.source_line([PAGE_SOURCE]) == (
        f"Kilde: SSB, [Sysselsetting blant innvandrere, registerbasert, 2020]({PAGE_URL}) "
        "(ssb.no, publisert 2021-03-19)")


def test_source_line_without_a_title_names_the_table():
    assert sources.source_line([PAGE_SOURCE]) == (
        f"Kilde: SSB, [tabell 436217]({PAGE_URL}) (ssb.no, publisert 2021-03-19)")


def test_source_line_summarises_many_pages():
    pages = [{**PAGE_SOURCE, "source_ref": f"https://www.ssb.no/p{i}", "released": f"20{10 + i}-03-01"}
             for i in range(5)]
    assert sources.source_line(pages) == (
        "Kilde: SSB, 5 tabeller publisert på ssb.no 2010-03-01–2014-03-01 "
        "(alle er listet i figurens proveniensfil)")


def test_source_line_accepts_a_derived_row_and_names_its_inputs(tmp_path, monkeypatch):
    other_page = "https://www.ssb.no/other-page"
    pages = tmp_path / "pages.csv"
    pages.write_text(f"url,title\n{PAGE_URL},Sysselsatte etter landbakgrunn\n", encoding="utf-8")
    monkeypatch.setattr(sources, "PAGES_FILE", pages)
    sources._page_titles.cache_clear()
    gap = {**PAGE_SOURCE, "source_kind": "derived", "source_table": "436217 | 999",
           "source_ref": f"{PAGE_URL} minus {other_page}"}
    assert sources.source_line([gap]) == (
        f"Kilde: SSB, egne beregninger fra [Sysselsatte etter landbakgrunn]({PAGE_URL}) og "
        f"[{other_page}]({other_page})")
    api_gap = {**API_SOURCE, "source_kind": "derived",
               "source_ref": "13215?ContentsCode=x minus 13215?ContentsCode=y"}
    line = sources.source_line([API_SOURCE, api_gap])
    assert line == ("Kilde: SSB, tabell [13215](https://www.ssb.no/statbank/table/13215) "
                    "(statistikkbanken); SSB, egne beregninger fra tabell "
                    "[13215](https://www.ssb.no/statbank/table/13215)")  # one table, two queries
    with pytest.raises(ValueError, match="inputs"):
        sources.source_line([{**gap, "source_ref": " minus "}])


def test_source_line_rejects_unknown_kinds_and_nothing():
    with pytest.raises(ValueError, match="source_kind"):
        sources.source_line([{**API_SOURCE, "source_kind": "excel"}])
    with pytest.raises(ValueError, match="no sources"):
        sources.source_line([])


# ---------------------------------------------------------------- tables


def test_publish_table_markdown_csv_and_json(tmp_path):
    df = pd.DataFrame({"year": [2022, 2023], "innvandrere": [65.43, np.nan],
                       "befolkningen_ellers": [78.0, 78.25], "personer": [2493510, 12]})
    md = publishing.publish_table(df, label="syss-tabell", caption="Sysselsatte. Prosent",
                               sources=[API_SOURCE], out_dir=tmp_path / "figures",
                               formats={"innvandrere": "prosent", "befolkningen_ellers": "prosent"},
                               headers={"personer": "Personer"}, indicators=["sysselsatte_andel"])
    lines = md.strip().split("\n")
    # in a block that scrolls sideways by itself, reachable by keyboard and named
    assert lines[0] == ('::: {.table-scroll tabindex="0" role="region" '
                        'aria-label="Tabell: Sysselsatte"}')
    assert lines[1] == "| År | Innvandrere | Befolkningen ellers | Personer |"
    assert lines[2] == "|---:|---:|---:|---:|"
    assert lines[3] == "| 2022 | 65,4 | 78,0 | 2\u00a0493\u00a0510 |"
    assert lines[4] == "| 2023 | .. | 78,3 | 12 |"
    assert lines[6] == ": Sysselsatte. Prosent {#tbl-syss-tabell}"
    assert lines[7] == ":::"
    assert lines[9].endswith(" [· [Last ned data (CSV)](figures/syss-tabell.csv)]"
                             "{.content-visible when-format=\"html\"}"
                             "[ · Data i nettutgaven: `figures/syss-tabell.csv`]"
                             "{.content-hidden when-format=\"html\"}")
    assert lines[9].startswith("Kilde: SSB, tabell [13215]")
    csv = (tmp_path / "figures" / "syss-tabell.csv").read_text(encoding="utf-8")
    assert csv == ("year,innvandrere,befolkningen_ellers,personer\n"
                   "2022,65.43,78,2493510\n2023,,78.25,12\n")
    record = json.loads((tmp_path / "figures" / "syss-tabell.json").read_text(encoding="utf-8"))
    assert record["kind"] == "table" and record["label"] == "syss-tabell"
    assert record["csv_sha256"] == hashlib.sha256(csv.encode("utf-8")).hexdigest()
    assert record["indicators"] == ["sysselsatte_andel"]


def test_publish_table_left_aligns_text_and_escapes_pipes(tmp_path):
    df = pd.DataFrame({"region": ["norden", "a|b"], "value": [1.0, 2.0]})
    md = publishing.publish_table(df, label="t", caption="c", sources=[API_SOURCE], out_dir=tmp_path)
    lines = md.split("\n")[1:]
    assert lines[0] == "| region | Verdi |"
    assert lines[1] == "|:---|---:|"
    assert lines[3] == "| a\\|b | 2,0 |"


def test_a_wide_table_passes_relative_column_widths_to_pandoc(tmp_path):
    """Pipe-table lines longer than pandoc's --columns make the separator's dash counts the
    relative column widths; equal counts squeezed text columns until words broke letter by letter."""
    long_text = "Forskjellen mellom innvandrere og befolkningen ellers ble mindre i perioden"
    df = pd.DataFrame({"navn": ["Sysselsatte", "Registrerte helt ledige"], "year": [2023, 2020],
                       "innvandrere": [68.25, 9.2], "kommentar": [long_text, "ingen klar endring"]})
    md = publishing.publish_table(df, label="bred", caption="Bred.", sources=[API_SOURCE], out_dir=tmp_path,
                               formats={"innvandrere": "prosent"})
    lines = md.splitlines()[1:]
    assert max(len(x) for x in lines[:4]) > publishing.PANDOC_COLUMNS
    parts = lines[1].strip("|").split("|")
    assert [p.startswith(":") for p in parts] == [True, False, False, True]  # text left, numbers right
    assert [p.endswith(":") for p in parts] == [False, True, True, False]
    widths = [len(p) for p in parts]
    assert widths[1] == len("2023") + publishing.CELL_PADDING       # numbers get exactly what they need
    assert widths[2] == len("Innvandrere") + publishing.CELL_PADDING  # or their heading's word
    assert widths[3] > widths[0] > widths[1]                     # text shares the rest by its length
    assert sum(widths) <= publishing.TABLE_WIDTH


def test_column_widths_squeeze_text_but_never_numbers_or_below_a_word():
    headers = ["Indikator", "År", "Verdi", "Utvikling over tid"]
    cells = [["I arbeid eller utdanning etter introduksjonsprogrammet"] * 2, ["2023", "2020"],
             ["−11,6", "9,2"], ["ingen tall i denne utgaven", "gapet minker"]]
    fits = publishing.column_widths(headers, cells, [False, True, True, False], width=200)
    assert fits == [54 + 2, 4 + 2, 5 + 2, 26 + 2]  # room for everything on one line
    tight = publishing.column_widths(headers, cells, [False, True, True, False], width=40)
    assert tight[1:3] == [6, 7]  # numbers keep their width
    assert tight[0] >= publishing.MAX_TEXT_WORD + 2 and tight[3] >= len("utgaven") + 2
    assert tight[0] > tight[3]  # the longer text keeps the larger share


def test_a_heading_with_a_note_is_short_and_the_note_goes_under_the_table(tmp_path):
    assert style.split_label("Befolkningen ellers (uten innvandrere)") == (
        "Befolkningen ellers", "Befolkningen ellers: uten innvandrere.")
    assert style.split_label("Innvandrere") == ("Innvandrere", None)
    df = pd.DataFrame({"year": [2023], "a": [1.0], "b": [2.0]})
    md = publishing.publish_table(df, label="notert", caption="C.", sources=[API_SOURCE], out_dir=tmp_path,
                               headers={"a": ("Kort", "Kort: den lange forklaringen."),
                                        "b": ("Kort 2", "Kort: den lange forklaringen.")},
                               notes=["Først dette."], columns=["year", "a"])
    assert md.splitlines()[1] == "| År | Kort |"
    assert "Merknad: Først dette. Kort: den lange forklaringen.\n" in md  # once, after the given notes
    assert (tmp_path / "notert.csv").read_text(encoding="utf-8").splitlines()[0] == "year,a,b"  # all columns
    with pytest.raises(ValueError, match="not in the table"):
        publishing.publish_table(df, label="x", caption="C.", sources=[API_SOURCE], out_dir=tmp_path,
                              columns=["year", "c"])


def test_a_table_too_wide_for_print_is_split_with_the_key_columns_repeated(tmp_path):
    """Sysselsatte by group: seven number columns with long headings. Print gets it in parts,
    each fitting the page with no heading word broken and «15–74 år» unwrapped; the web gets
    the whole table in its scrolling block."""
    headers = ["År", "Alder", "Innvandrere", "Norskfødte med innvandrerforeldre", "Befolkningen ellers",
               "Befolkningen eksklusive innvandrere", "Hele befolkningen", "Forskjell, innvandrere",
               "Forskjell, norskfødte med innvandrerforeldre"]
    cells = [["2011", "2023"], ["15–74 år", "20–66 år"]] + [["62,8", "−15,7"]] * 7
    numeric = [True, False] + [True] * 7
    assert publishing.min_table_width(headers, cells, numeric) > publishing.TABLE_WIDTH
    parts = publishing.split_columns(headers, cells, numeric)
    assert len(parts) == 2
    assert all(part[:2] == [0, 1] for part in parts)            # År and Alder in every part
    assert sorted(i for part in parts for i in part[2:]) == list(range(2, 9))  # each column once
    for part in parts:
        heads = [headers[i] for i in part]
        widths = publishing.column_widths(heads, [cells[i] for i in part], [numeric[i] for i in part])
        assert sum(widths) <= publishing.TABLE_WIDTH
        for head, width in zip(heads, widths):
            assert width >= max(len(w) for w in head.split()) + publishing.CELL_PADDING, head
        assert widths[1] >= len("15–74 år") + publishing.CELL_PADDING

    df = pd.DataFrame({"year": [2011, 2023], "alder": ["15–74 år", "20–66 år"],
                       **{f"c{i}": [62.8, -15.7] for i in range(7)}})
    md = publishing.publish_table(df, label="bred", caption="Sysselsatte. Prosent.", sources=[API_SOURCE],
                               out_dir=tmp_path, headers=dict(zip(df.columns, headers)))
    web, printed = md.split('::: {.content-hidden when-format="html"}')
    assert web.startswith('::: {.content-visible when-format="html"}\n::: {.table-scroll')
    assert web.count("{#tbl-bred}") == 1 and web.count("| 2011 |") == 1
    assert printed.count("{#tbl-bred}") == 1 and printed.count("| 2011 | 15–74 år |") == 2
    assert ": Sysselsatte. Prosent. Del 1 av 2. {#tbl-bred}" in printed
    assert ": Fortsettelse av @tbl-bred, del 2 av 2." in printed


def test_numbers_keep_their_width_even_when_the_text_cannot_fit():
    """Widths are relative: a sum above the page width would squeeze «2023» into its neighbour."""
    headers = ["Indikator", "År", "Innvandrere", "Sammenlignet med", "Verdi", "Forskjell",
               "Forskjellen siden forrige måling", "Utvikling over tid", "Enhet"]
    cells = [["Minoritetsspråklige barn i barnehage"], ["2023"], ["68,2"], ["Befolkningen eksklusive innvandrere"],
             ["79,8"], ["−11,6"], ["0,7 større enn i 2022"], ["ingen klar endring i gapet"], ["prosentpoeng"]]
    numeric = [False, True, True, False, True, True, False, False, False]
    widths = publishing.column_widths(headers, cells, numeric)
    assert sum(widths) <= publishing.TABLE_WIDTH
    assert widths[1] == len("2023") + publishing.CELL_PADDING
    assert widths[5] == len("Forskjell") + publishing.CELL_PADDING  # a heading word is never broken
    assert min(widths[i] for i in (0, 3, 6, 7, 8)) >= publishing.MIN_SQUEEZED + publishing.CELL_PADDING


# ---------------------------------------------------------------- what a reader needs (issue 13)


def test_bars_are_sorted_by_value_with_the_total_on_top():
    df = pd.DataFrame([
        {"year": 2023, "group": "innvandrere", "region": r, "value": v, "decimals": 0}
        for r, v in (("alle", 60), ("norden", 70), ("eu_ost", 80), ("asia", 50), ("afrika", np.nan))
    ])
    fig = figures.small_multiples(df, facet="region", kind="bar", unit="prosent")
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["Alle land", "EU-land i Øst-Europa", "Norden", "Asia", "Afrika"]
    # published integers stay integers at the bar ends; a missing value is "..", not 0
    labels_ = [t.get_text() for t in ax.texts]
    assert labels_ == ["60", "80", "70", "50", ".."]
    assert "sortert etter verdi for innvandrere" in fig.description.alt_text()


def test_ordered_categories_keep_their_order_in_bars():
    df = pd.DataFrame([{"year": 2023, "group": "innvandrere", "botid": b, "value": v}
                       for b, v in (("0-3", 70.0), ("7+", 50.0))])
    fig = figures.small_multiples(df, facet="botid", kind="bar")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Under 4 år", "7 år eller mer"]


def test_count_axes_start_at_zero_and_rates_need_not():
    counts = employment_frame().assign(value=lambda d: d["value"] * 10_000)
    fig = figures.line_chart(counts, unit="personer")
    assert fig.axes[0].get_ylim()[0] == 0
    fig = figures.line_chart(employment_frame(), unit="prosent")
    assert fig.axes[0].get_ylim()[0] > 0


def test_a_group_without_numbers_or_with_one_point_is_said_in_caption_and_alt(tmp_path):
    df = employment_frame()
    df.loc[df["group"] == "befolkningen_ellers", "value"] = np.nan
    df = pd.concat([df, pd.DataFrame([{"year": 2020, "group": "norskfodte", "value": 70.0}])])
    fig = figures.line_chart(df)
    md = publishing.publish_figure(fig, label="a", caption="Sysselsatte.", alt="Funn.", data=with_sources(df),
                                sources=[API_SOURCE, PAGE_SOURCE], indicators=["x"], out_dir=tmp_path)
    record = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    for where in (record["caption"], record["alt"]):
        assert "Ingen tall for befolkningen ellers (bare manglende verdier)" in where
        assert "Bare ett tall for norskfødte med innvandrerforeldre (2020)" in where
    assert "Innvandrere: fra 60,0 i 2010 til 63,9 i 2023" in record["alt"]
    assert record["caption"] in md


def test_a_chart_with_no_numbers_at_all_says_so():
    df = employment_frame().assign(value=np.nan)
    fig = figures.line_chart(df)
    assert figures.NO_NUMBERS_TEXT in [t.get_text() for t in fig.axes[0].texts]
    assert "Figuren har ingen tall å vise" in fig.description.alt_text()
    bars = pd.DataFrame([{"year": 2023, "group": "innvandrere", "region": "norden", "value": np.nan}])
    fig = figures.small_multiples(bars, facet="region", kind="bar")
    assert figures.NO_NUMBERS_TEXT in [t.get_text() for t in fig.axes[0].texts]
    assert fig.description.notes()


def test_alt_text_names_type_unit_groups_period_and_panels():
    df = pd.DataFrame([
        {"year": y, "group": g, "region": r, "value": 50.0 + y - 2015 + (5 if r == "norden" else 0)}
        for y in range(2015, 2020) for g in ("innvandrere", "norskfodte") for r in ("asia", "norden")
    ])
    alt = figures.small_multiples(df, facet="region", kind="line").description.alt_text()
    assert alt.startswith("Små linjediagrammer, prosent, for innvandrere og norskfødte med "
                          "innvandrerforeldre, 2015–2019. Ett panel for hver av Norden og Asia.")
    assert "Innvandrere i 2019: høyest for Norden (59,0), lavest for Asia (54,0)." in alt
