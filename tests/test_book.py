"""End to end: the real edition, built on the embedded snapshot with the renderer this machine
has (the pandoc + typst preview where Quarto is missing), then checked as a reader and a
reviewer would: chapters in order, every figure captioned with alt text and a source line,
no unresolved reference, citations resolved, a PDF with pages, a manifest that matches the
figures, and a rebuild that reproduces every output byte for byte."""

from __future__ import annotations

import csv
import html.parser
import json
import re

import nbformat

import pytest

from indikatorer.publish import editions, render

from indikatorer.core import paths
from indikatorer.data.catalogue import load_catalogue
from indikatorer.data.observations import load_observations
from test_variants import assert_cited_figures_exist

pytestmark = pytest.mark.slow

THEME_TITLES = ["Arbeid og sysselsetting", "Utdanning og kvalifisering", "Levekår",
                "Fellesskap og deltakelse"]


class _Page(html.parser.HTMLParser):
    """Collects what the checks need: headings, figures with their images and captions."""

    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.figures: list[dict] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self._in_h1 = False
        self._in_caption = False
        self._figure: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        elif tag == "figure":
            self._figure = {"id": a.get("id", ""), "alt": None, "caption": ""}
        elif tag == "img" and self._figure is not None:
            self._figure["alt"] = a.get("alt")
        elif tag == "figcaption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False
        elif tag == "figcaption":
            self._in_caption = False
        elif tag == "figure" and self._figure is not None:
            self.figures.append(self._figure)
            self._figure = None

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data
        if self._in_caption and self._figure is not None:
            self._figure["caption"] += data


@pytest.fixture(scope="module")
def edition(real_edition):
    """The edition built once per test session (tests/conftest.py)."""
    result = real_edition
    html = result.html_index.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return result, html, page


def test_theme_chapters_present_and_in_order(edition):
    _, _, page = edition
    headings = [" ".join(h.split()) for h in page.h1]
    positions = []
    for title in THEME_TITLES:
        matches = [i for i, h in enumerate(headings) if title in h]
        assert matches, f"chapter {title!r} missing; headings: {headings}"
        positions.append(matches[0])
    assert positions == sorted(positions), headings
    assert any("Sammendrag" in h or "sammendrag" in h for h in headings), headings


def test_every_figure_has_caption_alt_text_and_source_line(edition):
    _, html, page = edition
    figures = [f for f in page.figures if f["id"].startswith("fig-")]
    assert len(figures) >= 8, f"expected figures in every theme, got {len(figures)}"
    for fig in figures:
        assert fig["caption"].strip(), f"{fig['id']} has no caption"
        assert fig["alt"] and fig["alt"].strip(), f"{fig['id']} has no alt text"
        assert not fig["alt"].lower().startswith(("a chart", "figur", "diagram")), fig["alt"]
        # The source line follows the figure before the next figure starts.
        after = html.split(f'id="{fig["id"]}"', 1)[1].split("<figure", 1)[0]
        assert "Kilde:" in after, f"{fig['id']} has no source line"
        assert ".csv" in after, f"{fig['id']} has no data link"


def test_no_unresolved_references_and_citations_resolved(edition):
    _, html, page = edition
    text = re.sub(r"<[^>]+>", " ", html)
    assert "??" not in text
    assert "?@" not in text
    for href in page.links:
        if href.startswith("#"):
            assert href[1:] in page.ids, f"dangling link {href}"
    assert "OECD" in text and "Settling In" in text, "bibliography entry missing"


def test_renderer_is_named_and_pdf_has_pages(edition):
    result, html, _ = edition
    label = result.render_result.renderer_label
    assert label and (label in html or "Quarto" in label)
    pdf = result.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 10


def test_every_indicator_with_numbers_has_its_section_and_every_one_its_appendix_entry(edition):
    """An indicator with numbers in the edition's years has its section in its chapter (printed
    by its cell); one without has none there, but every indicator is described in the appendix."""
    _, html, page = edition
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    edition_rows = load_observations(year_max=2024).query("year >= 2010")
    for ind in load_catalogue().indicators:
        slug = ind.id.replace("_", "-")
        assert ind.name in text and f"sec-om-{slug}" in page.ids, f"{ind.id} missing from the appendix"
        if ind.theme == "befolkning":
            continue
        has_numbers = edition_rows.query("indicator == @ind.id")["value"].notna().any()
        assert (f"sec-{slug}" in page.ids) == has_numbers, ind.id


def test_manifest_matches_the_figures_and_records_provenance(edition):
    result, html, page = edition
    data = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    entries = data["figures"] if isinstance(data.get("figures"), list) else list(data["figures"].values())
    labels = {e["label"] for e in entries}
    for fig in page.figures:
        if fig["id"].startswith("fig-"):
            assert fig["id"][4:] in labels, f"{fig['id']} has no manifest entry"
    for entry in entries:
        assert entry["sources"], f"{entry['label']} has no sources"
        assert entry.get("notebook"), entry["label"]
    assert data["edition"]["year"] == result.params.year


def test_a_rebuild_reproduces_the_outputs_of_two_chapters(edition):
    """verify-edition --only rebuilds the employment chapter and the summary (the notebooks
    with the most figures, the decomposition and the key messages) and compares what they make,
    byte for byte, and every other output with the manifest: the build is reproducible.
    (test_manifest rebuilds a whole edition, on dask; test_build checks the dask executor
    builds the same edition as the default one.)"""
    result, _, _ = edition
    differences = editions.verify_edition(result.edition_dir, project_root=paths.PROJECT_ROOT,
                                          only=["01-arbeid", "02-sammendrag"])
    assert differences == [], differences


# --- the audit trail -----------------------------------------------------------------------------


def test_every_figure_says_per_row_where_its_numbers_come_from(edition):
    """The data CSV beside each figure carries, per row, its source reference and release; the
    provenance lists exactly the sources the rows came from, each with its rows."""
    result, _, _ = edition
    data = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    for entry in data["figures"]:
        csv_path = result.edition_dir / entry["csv"]
        rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
        assert rows and all(r["source_ref"] and r["released"] for r in rows), entry["label"]
        record = json.loads((result.edition_dir / entry["provenance"]).read_text(encoding="utf-8"))
        given = sorted(i for s in record["sources"] for i in s["csv_rows"])
        assert set(given) == set(range(len(rows))), entry["label"]  # every row, from a listed source
        for source in record["sources"]:
            assert source["released"] and source["retrieved"], entry["label"]
            for i in source["csv_rows"]:
                assert source["source_ref"] in re.split(r" minus | \| ", rows[i]["source_ref"])


def test_every_record_points_at_the_cell_that_made_it(edition):
    """The execution_count in a figure's provenance is the one the executed notebook shows for
    the cell whose output defines the figure."""
    result, _, _ = edition
    data = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    entries = data["figures"] + data["tables"]
    assert len(entries) > 50
    for entry in entries:
        record = json.loads((result.edition_dir / entry["provenance"]).read_text(encoding="utf-8"))
        assert record["notebook"] == entry["notebook"]
        assert isinstance(entry["execution_count"], int)
        assert record["execution_count"] == entry["execution_count"], entry["label"]


def test_source_line_and_provenance_count_the_same_sources_said_once_per_section(edition):
    """Fig. sysselsatte-andel-grupper (3.1): the source line under it and its provenance file
    name the same number of publications (page and release); the table beside it and the
    method box refer to it instead of repeating the sources."""
    result, _, _ = edition
    record = json.loads((result.staging_dir / "notebooks/figures/sysselsatte-andel-grupper.json")
                        .read_text(encoding="utf-8"))
    nb = nbformat.read(result.staging_dir / "notebooks/01-arbeid.ipynb", as_version=4)
    out = next("".join(o.get("text", "") for o in c.outputs) for c in nb.cells
               if c.cell_type == "code" and 'catalogue["sysselsatte_andel"]' in c.source)
    caption = out.split("{#fig-sysselsatte-andel-grupper ", 1)[1].split("Kilde: SSB, ", 1)[1]
    assert int(re.match(r"(\d+) tabeller", caption).group(1)) == len(record["sources"])
    table = out.split("{#tbl-sysselsatte-andel-grupper-tabell}", 1)[1].split("{#fig-", 1)[0]
    assert "Kilde: som for @fig-sysselsatte-andel-grupper." in table and "Kilde: SSB" not in table
    assert "**Kilde.**" not in out and "Kildene står under figurene." in out
    table_record = json.loads((result.staging_dir / "notebooks/figures/sysselsatte-andel-grupper-tabell.json")
                              .read_text(encoding="utf-8"))
    assert table_record["sources"]  # the table's provenance still lists its sources


def pdf_pages(pdf: bytes) -> int:
    """The page count of a PDF: the /Count of its page tree's root (the largest /Pages node).
    (Counting «/Type /Page» would count /PageLabel entries too.)"""
    nodes = re.findall(rb"<<(?:(?!<<|>>).)*?/Type\s*/Pages\b(?:(?!<<|>>).)*?>>", pdf, flags=re.S)
    counts = [int(re.search(rb"/Count\s+(\d+)", node).group(1)) for node in nodes]
    assert counts, "no page tree found"
    return max(counts)


MAX_PAGES = 95  # issue 10: a reader's book; what the PDF leaves out stays in the HTML and the data files


def test_the_pdf_is_a_readers_book_of_at_most_95_pages_and_the_web_keeps_what_it_leaves_out(edition):
    result, html, _ = edition
    pages = pdf_pages(result.pdf.read_bytes())
    assert 10 <= pages <= MAX_PAGES, pages
    # Left out of print, kept on the web: the tables beside the figures and the audit lists.
    assert 'id="tbl-sysselsatte-andel-grupper-tabell"' in html
    assert 'id="sec-kildene"' in html and "sha256" in html


def test_every_parameter_and_the_renderers_that_made_the_files_are_recorded(edition):
    result, _, _ = edition
    data = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert data["edition"] == {"year": 2024, "first_year": 2010, "window": 10, "geography": "0",
                               "breakdowns": ["sex", "botid", "region", "reason"]}
    for notebook in data["notebooks"]:
        if notebook["parameters"]:
            assert notebook["parameters"] == data["edition"], notebook["path"]
    versions = data["renderer"]["versions"]
    if data["renderer"]["renderer"] == "pandoc+typst":
        creator = re.search(rb"/Creator\(Typst ([\d.]+)\)", result.pdf.read_bytes()).group(1).decode()
        assert versions["typst"] == creator and versions["pandoc"] == data["packages"]["pandoc"]


def test_hand_written_references_resolve_and_every_cited_figure_exists(edition):
    """Figure labels follow one rule from the indicator id (fig-<id, _ → ->-<part>), so the text
    may cite a figure — one that exists in every edition. The real edition's references resolve
    through the preview's check (an unresolved one is an error naming it) and it has every
    figure the narrative cites; test_variants checks the same of a second edition (Oslo, 2019)."""
    result, _, _ = edition
    render.check_references(result.staging_dir)
    assert_cited_figures_exist(result.staging_dir)


# --- what a reader can use (issue 13) -----------------------------------------------------------

DEVELOPER_WORDS = ("indikatorer data fetch", "data/catalogue.yml", "**Id:**", ">Id:<", "Id:</strong>")


def _appendix_b(html: str) -> tuple[str, str]:
    """(the book without the audit appendix «Slik er tallene laget», that appendix)."""
    start = re.search(r"<h1[^>]*>(?:(?!</h1>).)*Slik er tallene laget", html, re.DOTALL)
    assert start, "the audit appendix is missing"
    end = html.find("<h1", start.end())
    end = len(html) if end < 0 else end
    return html[:start.start()] + html[end:], html[start.start():end]


def test_developer_words_only_in_the_audit_appendix(edition):
    _, html, _ = edition
    reader, audit = _appendix_b(html)
    found = [w for w in DEVELOPER_WORDS if w in reader]
    assert not found, f"developer words outside «Slik er tallene laget»: {found}"
    assert "sha256" in audit  # the audit appendix keeps its technical words


def test_chart_colours_shown_together_are_distinguishable(edition):
    """Every pair of colours in one chart's legend differs by CIEDE2000 ≥ 10, also for
    simulated deuteranopia and protanopia (tests/colour_math.py)."""
    from colour_math import closest_pairs

    result, _, _ = edition
    records = [json.loads(p.read_text(encoding="utf-8"))
               for p in sorted(result.staging_dir.glob("*/figures/*.json"))]
    charts = [r for r in records if r["kind"] == "figure"]
    assert len(charts) > 20
    problems, compared = [], 0
    for record in charts:
        colours = record["colours"]
        compared += len(colours) * (len(colours) - 1) // 2
        problems += [f"{record['label']}: {p}" for p in closest_pairs(colours, 10.0)]
    assert compared > 30, "expected charts with several groups"
    assert not problems, "\n".join(problems)


def test_alt_text_names_chart_type_groups_and_period(edition):
    _, _, page = edition
    figures_ = [f for f in page.figures if f["id"].startswith("fig-")]
    for fig in figures_:
        alt = fig["alt"]
        assert re.match(r"(Linjediagram|Små linjediagrammer|Liggende stolpediagram)", alt) \
            or fig["id"].endswith(("sammensetning", "botidsprofil")), f"{fig['id']}: {alt[:80]}"
        assert re.search(r"\b(19|20)\d\d\b", alt), f"{fig['id']} names no period: {alt[:80]}"
    described = [f for f in figures_ if re.match(r"(Linjediagram|Små|Liggende)", f["alt"])]
    assert len(described) >= len(figures_) - 2
    for fig in described:
        assert re.search(r", for [a-zæøå]", fig["alt"]), f"{fig['id']} names no group: {fig['alt'][:100]}"


def test_colophon_gives_address_commit_and_renderer(edition):
    result, html, _ = edition
    colophon = " ".join(html[html.rindex("Om denne utgaven"):].split())  # the page, not the TOC
    assert "ingen fast adresse" in colophon  # no site-url in _quarto.yml: no invented address
    commit = json.loads(result.manifest_path.read_text(encoding="utf-8"))["code"]["git_commit"]
    assert commit in colophon or "kan ikke oppgis" in colophon
    label = result.render_result.renderer_label
    assert ("forhåndsvisningen" in colophon) == ("forhåndsvisning" in label)
    title_block = html[html.index("<body"):html.index("</header>")]
    assert "forhåndsvisning" not in title_block.lower()  # the note left the cover
