"""The book renderer: the pandoc + typst preview on a tiny book, the Quarto adapter with a
stand-in `quarto`, and the real book's static sources."""

from __future__ import annotations

import html.parser
import io
import json
import os
import re
import shutil
import stat
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pypandoc  # noqa: E402
import typst  # noqa: E402
import pytest  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

import yaml  # noqa: E402

from indikatorer.core import paths

from indikatorer.publish import render  # noqa: E402
from indikatorer.core.errors import UserError  # noqa: E402

MINIBOOK = Path(__file__).parent / "fixtures" / "minibook"

FIG_A_ALT = "Sysselsettingsandelen blant innvandrere steg til 72,1 prosent i 2021."


def _png() -> bytes:
    fig, ax = plt.subplots(figsize=(4, 2.5), dpi=72)
    ax.plot([2019, 2020, 2021], [70.0, 68.0, 72.1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _stream(text: str, name: str = "stdout"):
    return new_output("stream", name=name, text=text)


def make_minibook(target: Path) -> Path:
    """The fixture book plus an executed notebook chapter, as the build would stage it.

    The notebook is offered for download as a copy outside the chapters
    (notebooks/notatbok/01-tall.ipynb, listed under `project: resources:`); one link still points
    at the chapter file itself, which Quarto turns into a link to the chapter.
    """
    shutil.copytree(MINIBOOK, target)
    config = yaml.safe_load((target / "_quarto.yml").read_text(encoding="utf-8"))
    config["project"]["resources"] = ["notebooks/notatbok/*.ipynb"]
    (target / "_quarto.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    notebooks = target / "notebooks"
    (notebooks / "figures").mkdir(parents=True)
    (notebooks / "notatbok").mkdir()
    png = _png()
    (notebooks / "figures" / "syss.png").write_bytes(png)
    (notebooks / "figures" / "syss.csv").write_text("year,value\n2021,72.1\n", encoding="utf-8")
    asis_figure = (  # the footer as indikatorer.report.figures writes it: local links web-only
        f'![Sysselsatte 20–66 år, 2019–2021.](figures/syss.png){{#fig-a fig-alt="{FIG_A_ALT}"}}\n\n'
        "Kilde: SSB, tabell [13215](https://www.ssb.no/statbank/table/13215) "
        "[· [Last ned data (CSV)](figures/syss.csv) · "
        "[Notatbok](notatbok/01-tall.ipynb) · [Kapittelfil](01-tall.ipynb)]"
        '{.content-visible when-format="html"}\n\n'
        '[BARE-I-PDF]{.content-hidden when-format="html"} '
        '[BARE-I-LATEX]{.content-visible when-format="pdf"} '
        '[IKKE-I-HTML]{.content-visible unless-format="html"}\n\n'
        '::: {.content-visible when-format="html"}\nWEBBLOKK\n:::\n\n'
        '::: {.content-hidden when-format="html"}\nPDFBLOKK\n:::\n\n'
    )
    asis_table = "| År | Andel |\n|---:|---:|\n| 2020 | 68,0 |\n| 2021 | 72,1 |\n\n: Sysselsatte etter år {#tbl-b}\n"
    cells = [
        new_markdown_cell("# Tall {#sec-tall}\n\nSe @fig-a, @tbl-b og @tbl-d."),
        new_code_cell("year = 2021", metadata={"tags": ["parameters"]}),
        new_code_cell("#| output: asis\nprint(figur)", outputs=[_stream(asis_figure)]),
        new_code_cell("#| output: asis\nprint(tabell)", outputs=[_stream(asis_table)]),
        new_code_cell("#| output: asis\n#| echo: false\nvis(tabell)",
                      outputs=[new_output("execute_result", execution_count=1, data={
                          "text/markdown": "| Gruppe | Antall |\n|---|---:|\n| Innvandrere | 10 |\n\n"
                                           ": Tabell fra en celle {#tbl-d}\n",
                          "text/plain": "Gruppe Antall"})]),
        new_code_cell("#| code-fold: false\n#| output: false\nsynlig_kode = 1"),
        new_code_cell("#| output: false\nprint(skjult)", outputs=[_stream("SKJULT-UTDATA\n")]),
        new_code_cell("#| include: false\nprint('UTELATT-UTDATA')", outputs=[_stream("UTELATT-UTDATA\n")]),
        new_code_cell("warn()", outputs=[_stream("FutureWarning: gammel\n", name="stderr")]),
        new_code_cell("#| warning: false\nwarn()", outputs=[_stream("SKJULT-ADVARSEL\n", name="stderr")]),
        new_code_cell("#| output: asis\nprint(del1); print(del2)",
                      outputs=[_stream("Første del av avsnittet "), _stream("andre del.\n\n")]),
        new_code_cell(
            "#| output: asis\nprint(boks)",
            outputs=[_stream('::: {.callout-note collapse="true" title="Om tallene"}\nDefinisjonen.\n:::\n\n'
                             "::: {.callout-warning}\nUten tittel.\n:::\n\n")]),
        new_code_cell("print('synlig')", outputs=[_stream("SYNLIG-UTDATA\n")]),
    ]
    nbformat.write(new_notebook(cells=cells), notebooks / "01-tall.ipynb")
    for name in ("01-tall.ipynb", "ekstra.ipynb"):  # the download copies (one linked, one not)
        shutil.copy2(notebooks / "01-tall.ipynb", notebooks / "notatbok" / name)
    return target


class Page(html.parser.HTMLParser):
    """What the tests look at in index.html."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[dict] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.h1: list[str] = []
        self.captions: list[str] = []
        self._capture: list | None = None
        self._link: str | None = None
        self._text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        if tag == "a":
            self._link, self._text = attrs.get("href"), []
        if tag in ("h1", "figcaption", "caption") and "title" not in (attrs.get("class") or ""):
            self._capture = [tag, []]

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link, " ".join("".join(self._text).split())))
            self._link = None
        if self._capture and tag == self._capture[0]:
            text = " ".join("".join(self._capture[1]).split())
            (self.h1 if tag == "h1" else self.captions).append(text)
            self._capture = None

    def handle_data(self, data):
        if self._capture:
            self._capture[1].append(data)
        if self._link is not None:
            self._text.append(data)


def render_keeping_typst(project: Path, out_dir: Path) -> tuple[render.RenderResult, str]:
    """Render with the preview; also return the typst source it compiled into the PDF."""
    sources = []
    compile_typst = render._compile_typst

    def keep(source, pdf, root):
        sources.append(source)
        compile_typst(source, pdf, root)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "_compile_typst", keep)
        result = render.render_book(project, out_dir, renderer=render.PREVIEW)
    assert len(sources) == 1
    return result, sources[0]


def pdf_pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))


@pytest.fixture(scope="module")
def rendered_book(tmp_path_factory):
    base = tmp_path_factory.mktemp("render")
    project = make_minibook(base / "minibook")
    result, typst_source = render_keeping_typst(project, base / "out")
    text = result.html_index.read_text(encoding="utf-8")
    return project, result, text, Page(text), typst_source


@pytest.fixture(scope="module")
def rendered(rendered_book):
    return rendered_book[:4]


@pytest.fixture(scope="module")
def typst_source(rendered_book) -> str:
    return rendered_book[4]


def test_preview_writes_html_and_pdf(rendered):
    _, result, _, _ = rendered
    assert result.renderer == "pandoc+typst"
    assert "pandoc" in result.renderer_label and "typst" in result.renderer_label
    assert result.html_index == result.out_dir / "index.html"
    assert result.html_index.is_file()
    pdf = result.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 1


def test_the_versions_recorded_are_those_that_made_the_files(rendered):
    """The typst compiler inside the `typst` package can be older than the package's own
    version: the label and the record name the compiler, as the PDF does."""
    _, result, text, _ = rendered
    creator = re.search(rb"/Creator\(Typst ([\d.]+)\)", result.pdf.read_bytes()).group(1).decode()
    assert result.versions["typst"] == creator == render.typst_compiler_version()
    assert result.versions["pandoc"] == pypandoc.get_pandoc_version()
    assert f"typst {creator}" in result.renderer_label and f"typst {creator}" in " ".join(text.split())


def test_references_of_an_unrendered_book_are_checked_without_writing_it(tmp_path):
    project = make_minibook(tmp_path / "book")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert any("pagebreak" in w for w in render.check_references(project))
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    intro = project / "chapters" / "01-innledning.qmd"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nSe også @fig-finnes-ikke.\n", encoding="utf-8")
    with pytest.raises(UserError, match="@fig-finnes-ikke"):
        render.check_references(project)


def test_chapters_in_order_with_numbers(rendered):
    *_, page = rendered
    assert page.h1 == ["Forord", "1 Innledning", "2 Tall", "Vedlegg", "Referanser"]


def test_every_image_has_alt_text_and_fig_alt_wins(rendered):
    *_, page = rendered
    assert [img["alt"] for img in page.images] == [FIG_A_ALT]
    assert not any("fig-alt" in key for img in page.images for key in img)


@pytest.mark.parametrize("data", [
    {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
    {"text/html": "<table></table>", "text/plain": "tabell"},
])
def test_image_and_html_outputs_are_outside_the_subset_and_refused(tmp_path, data):
    """docs/quarto-subset.md: figures and tables are Markdown printed by the report modules;
    an image or HTML output is an error naming the cell, never a guess."""
    project = make_minibook(tmp_path / "book")
    path = project / "notebooks" / "01-tall.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell("plot()", outputs=[new_output("display_data", data=data)]))
    nbformat.write(nb, path)
    with pytest.raises(UserError, match=r"notebooks/01-tall.ipynb, celle \d+: utdata av typen .*quarto-subset"):
        render.render_book(project, tmp_path / "out", renderer=render.PREVIEW)


def test_figures_and_tables_are_numbered_per_chapter(rendered):
    *_, page = rendered
    assert page.captions == [
        "Figur 2.1: Sysselsatte 20–66 år, 2019–2021.",
        "Tabell 2.1: Sysselsatte etter år",
        "Tabell 2.2: Tabell fra en celle",
    ]


def test_cross_references_are_links_to_existing_ids(rendered):
    *_, text, page = rendered
    assert "??" not in text and "?@" not in text
    internal = [(href, label) for href, label in page.links if href.startswith("#")]
    assert internal
    for href, _ in internal:
        assert href[1:] in page.ids, href
    assert ("#fig-a", "Figur 2.1") in internal
    assert ("#tbl-b", "Tabell 2.1") in internal
    assert ("#tbl-d", "Tabell 2.2") in internal
    assert ("#sec-tall", "Kapittel 2") in internal


def test_citations_and_bibliography(rendered):
    *_, text, page = rendered
    text = " ".join(text.split())
    assert "OECD og European Commission" in text
    assert "ref-oecd2023" in page.ids
    assert "Indicators of Immigrant Integration 2023" in text
    assert any(href == "#ref-oecd2023" for href, _ in page.links)


def test_renderer_is_named_in_the_html_head_not_on_the_cover(rendered):
    """The renderer is told in the colophon (chapters/99-kolofon.qmd, from the build's
    metadata) and in the generator tag; the cover carries the book's title only."""
    _, result, html, _ = rendered
    assert f'<meta name="generator" content="{result.renderer_label}">' in " ".join(html.split())
    cover = html[html.index("<body"):html.index("</header>")]
    assert "forhåndsvisning" not in cover.lower()


def test_meta_shortcodes_read_the_books_metadata(tmp_path):
    """Quarto's `{{< meta key >}}` (dotted keys too); an unknown key is an error, not a blank."""
    project = tmp_path / "book"
    project.mkdir()
    (project / "_quarto.yml").write_text(
        "book:\n  title: T\n  site-url: https://example.org/bok\n  chapters: [index.qmd]\n"
        "kolofon-kode: Versjon `abc`.\n", encoding="utf-8")
    (project / "index.qmd").write_text(
        "Adresse: {{< meta book.site-url >}}. {{< meta kolofon-kode >}}\n", encoding="utf-8")
    result = render.render_book(project, tmp_path / "out", renderer=render.PREVIEW)
    html = result.html_index.read_text(encoding="utf-8")
    assert "Adresse: https://example.org/bok. Versjon <code>abc</code>." in " ".join(html.split())
    (project / "index.qmd").write_text("{{< meta ukjent >}}\n", encoding="utf-8")
    with pytest.raises(UserError, match="ukjent"):
        render.render_book(project, tmp_path / "out2", renderer=render.PREVIEW)


def test_data_links_and_images_work_from_out_dir(rendered):
    _, result, _, page = rendered
    local = [img["src"] for img in page.images] + [h for h, _ in page.links if not re.match(r"^(#|[a-z]+:)", h)]
    assert "notebooks/figures/syss.csv" in local
    assert "notebooks/notatbok/01-tall.ipynb" in local
    for target in local:
        assert (result.out_dir / target).is_file(), target


def test_web_only_links_are_in_the_html_and_not_in_the_pdf(rendered, typst_source):
    """figures.py puts the local CSV/notebook links in a `.content-visible when-format="html"`
    span (a standalone PDF has no files beside it); the source line stays in both."""
    *_, text, page = rendered
    assert ("notebooks/figures/syss.csv", "Last ned data (CSV)") in page.links
    assert ("notebooks/notatbok/01-tall.ipynb", "Notatbok") in page.links
    assert "content-visible" not in text and "when-format" not in text  # Quarto drops them too
    assert "Last ned data" not in typst_source
    assert "figures/syss.csv" not in typst_source and "notatbok/" not in typst_source
    assert "Kilde: SSB, tabell" in typst_source
    assert "https://www.ssb.no/statbank/table/13215" in typst_source  # absolute: kept


def test_conditional_content_follows_quartos_format_matching(rendered, typst_source):
    *_, text, _ = rendered
    # content-hidden when-format="html": only in the PDF; spans and divs alike.
    assert "BARE-I-PDF" in typst_source and "BARE-I-PDF" not in text
    assert "PDFBLOKK" in typst_source and "PDFBLOKK" not in text
    assert "WEBBLOKK" in text and "WEBBLOKK" not in typst_source
    assert "IKKE-I-HTML" in typst_source and "IKKE-I-HTML" not in text
    # Quarto's "pdf" means LaTeX output, not typst: hidden in both, as in Quarto's typst book.
    assert "BARE-I-LATEX" not in typst_source and "BARE-I-LATEX" not in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_pdf_text_has_no_local_links(rendered):
    import subprocess

    _, result, _, _ = rendered
    pdf_text = subprocess.run(["pdftotext", str(result.pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
    assert "Kilde: SSB, tabell" in pdf_text
    assert "Last ned data" not in pdf_text and "Notatbok" not in pdf_text
    assert "BARE-I-PDF" in pdf_text


LONG_TABLE_ROWS = 80


def _book_with_a_table(target: Path, rows: int) -> Path:
    project = make_minibook(target)
    intro = project / "chapters" / "01-innledning.qmd"
    table = "\n".join(f"| {1900 + i} | {i},5 |" for i in range(rows))
    intro.write_text(intro.read_text(encoding="utf-8")
                     + f"\n\n| År | Verdi |\n|---:|---:|\n{table}\n\n: Lang tabell {{#tbl-lang}}\n",
                     encoding="utf-8")
    return project


def _pages_of_first_table(typst_source: str, root: Path, cells: int) -> set[int]:
    """The pages typst lays out the book's first `cells` table cells on (a marker after every
    cell, queried in document order)."""
    marker = "#show table.cell: it => { it; context [#metadata(here().page())<cell-page>] }\n"
    found = typst.query((marker + typst_source).encode("utf-8"), "<cell-page>", field="value",
                        root=str(root), ignore_system_fonts=True)
    return set(json.loads(found)[:cells])


def test_a_long_table_breaks_across_pages(tmp_path):
    """pandoc puts every table in a typst #figure, which stays on one page unless breakable:
    an 80-row table then ran off the page over the page number instead of continuing."""
    result, source = render_keeping_typst(_book_with_a_table(tmp_path / "bok", LONG_TABLE_ROWS),
                                          tmp_path / "ut")
    assert "#show figure.where(kind: table): set block(breakable: true)" in source
    assert re.search(r"#figure\(\s*align\(center\)\[#table\(", source)  # what the rule acts on
    assert f"[{1900 + LONG_TABLE_ROWS - 1}]" in source
    assert pdf_pages(result.pdf) > 1
    # 80 rows of 9 pt need two pages; an unbreakable figure squeezes them onto one.
    cells = 2 * (LONG_TABLE_ROWS + 1)  # the long table is the book's first (chapter 1)
    assert len(_pages_of_first_table(source, result.out_dir, cells)) >= 2
    unbreakable = source.replace("#show figure.where(kind: table): set block(breakable: true)", "")
    assert len(_pages_of_first_table(unbreakable, result.out_dir, cells)) == 1  # the check can fail


def test_files_matching_project_resources_are_copied(rendered):
    _, result, _, _ = rendered
    assert (result.out_dir / "notebooks" / "notatbok" / "ekstra.ipynb").is_file()  # never linked
    assert not (result.out_dir / "notebooks" / "01-tall.ipynb").exists()  # a chapter, not a resource


def test_link_to_a_chapter_file_goes_to_the_chapter_as_in_quarto(rendered):
    *_, result, _, page = rendered
    assert ("#sec-tall", "Kapittelfil") in page.links
    assert not any(href.endswith("01-tall.ipynb") and "notatbok" not in href for href, _ in page.links)
    assert any("kapittelfilen notebooks/01-tall.ipynb" in w for w in result.warnings)


def test_cell_outputs_follow_the_cell_options(rendered):
    *_, result, text, _ = rendered
    assert "SKJULT-UTDATA" not in text  # output: false
    assert "UTELATT-UTDATA" not in text  # include: false
    assert "SYNLIG-UTDATA" in text  # plain stdout of an ordinary cell
    assert "FutureWarning" in text  # stderr is shown, as Quarto shows it ...
    assert any("stderr vises" in w for w in result.warnings)  # ... and the preview says so
    assert "SKJULT-ADVARSEL" not in text  # warning: false


def test_code_is_folded_in_the_html_and_absent_from_the_pdf(rendered, typst_source):
    """As Quarto with `format: html: code-fold: true` and `format: typst: echo: false`: every
    shown cell's code in a <details> with the summary text ("Kode" in Norwegian unless
    _quarto.yml says otherwise), without its #| lines; `echo: false` cells show none."""
    *_, text, _ = rendered
    folds = re.findall(r'<details class="code-fold">\s*<summary>(.*?)</summary>(.*?)</details>', text, re.S)
    codes = [re.sub(r"<[^>]+>", "", body) for _, body in folds]
    assert {summary for summary, _ in folds} == {"Kode"}
    assert any("year = 2021" in c for c in codes)
    assert any("print(figur)" in c for c in codes) and not any("#|" in c for c in codes)
    assert not any("vis(tabell)" in c for c in codes) and "vis(tabell)" not in text  # echo: false
    # code-fold: false on the cell: shown, not folded
    assert "synlig_kode = 1" in re.sub(r"<[^>]+>", "", text) and not any("synlig_kode" in c for c in codes)
    assert "year = 2021" not in typst_source and "print(figur)" not in typst_source
    assert "code-fold" not in typst_source


def test_the_fold_takes_its_summary_from_quarto_yml(tmp_path):
    project = make_minibook(tmp_path / "book")
    config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
    config["format"]["html"]["code-summary"] = "Vis koden"
    (project / "_quarto.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = render.render_book(project, tmp_path / "out", renderer=render.PREVIEW)
    assert "<summary>Vis koden</summary>" in result.html_index.read_text(encoding="utf-8")


def test_asis_outputs_of_one_cell_are_joined_as_quarto_joins_them(rendered):
    *_, text, _ = rendered
    assert "<p>Første del av avsnittet andre del.</p>" in " ".join(text.split())


def test_callouts_are_titled_boxes(rendered):
    *_, text, _ = rendered
    text = " ".join(text.split())
    assert '<details class="callout callout-note"><summary class="callout-title">Om tallene</summary>' in text
    assert "Definisjonen." in text
    # Without a title the callout gets the word for its type (language: callout-warning-title).
    assert 'class="callout callout-warning"' in text
    assert '<div class="callout-title"> Advarsel </div>' in text


def test_unsupported_qmd_features_warn(rendered):
    *_, result, _, _ = rendered
    assert any("pagebreak" in w for w in result.warnings)


def test_same_input_gives_identical_output(rendered, tmp_path):
    project, result, _, _ = rendered
    again = render.render_book(project, tmp_path / "again", renderer=render.PREVIEW)
    assert again.html_index.read_bytes() == result.html_index.read_bytes()
    assert again.pdf.read_bytes() == result.pdf.read_bytes()


def test_unknown_cross_reference_is_an_error_naming_it(tmp_path):
    project = make_minibook(tmp_path / "book")
    intro = project / "chapters" / "01-innledning.qmd"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nSe også @fig-finnes-ikke.\n", encoding="utf-8")
    with pytest.raises(UserError, match="@fig-finnes-ikke"):
        render.render_book(project, tmp_path / "out", renderer=render.PREVIEW)


def test_unknown_citation_is_an_error_naming_it(tmp_path):
    project = make_minibook(tmp_path / "book")
    intro = project / "chapters" / "01-innledning.qmd"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nIfølge [@ukjent2020].\n", encoding="utf-8")
    with pytest.raises(UserError, match="@ukjent2020"):
        render.render_book(project, tmp_path / "out", renderer=render.PREVIEW)


def test_missing_chapter_file_is_an_error(tmp_path):
    project = make_minibook(tmp_path / "book")
    (project / "notebooks" / "01-tall.ipynb").unlink()
    with pytest.raises(UserError, match="notebooks/01-tall.ipynb"):
        render.render_book(project, tmp_path / "out", renderer=render.PREVIEW)


# --- Quarto ---------------------------------------------------------------------------------

FAKE_QUARTO = """#!/bin/sh
# Stands in for Quarto: answers --version and writes a book the way `quarto render` does.
if [ "$1" = "--version" ]; then echo 1.9.1; exit 0; fi
mkdir -p "$2/_book"
echo '<html>quarto</html>' > "$2/_book/index.html"
echo '%PDF-1.7' > "$2/_book/Minibok.pdf"
"""


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    quarto = bin_dir / "quarto"
    quarto.write_text(FAKE_QUARTO)
    quarto.chmod(quarto.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return quarto


def test_which_renderer_prefers_quarto_when_on_path(fake_quarto):
    assert render.which_renderer() == render.QUARTO


def test_which_renderer_falls_back_to_the_preview(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert render.which_renderer() == render.PREVIEW


def test_quarto_book_is_moved_to_out_dir(fake_quarto, tmp_path, capsys):
    project = shutil.copytree(MINIBOOK, tmp_path / "book")
    (project / "notebooks").mkdir()
    (project / "notebooks" / "01-tall.ipynb").write_text(nbformat.writes(new_notebook()), encoding="utf-8")
    result = render.render_book(project, tmp_path / "out")
    assert result.renderer == "quarto"
    assert result.renderer_label == "Quarto 1.9.1"
    assert result.html_index.read_text() == "<html>quarto</html>\n"
    assert result.pdf == tmp_path / "out" / "Minibok.pdf"
    assert not (project / "_book").exists()
    assert "Quarto 1.9.1" in capsys.readouterr().out


def test_asking_for_quarto_without_it_is_a_user_error(tmp_path, monkeypatch):
    project = make_minibook(tmp_path / "book")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError, match="Quarto er ikke installert"):
        render.render_book(project, tmp_path / "out", renderer=render.QUARTO)


# --- The real book's sources ----------------------------------------------------------------

STATIC_SOURCES = ["index.qmd", "chapters/01-innledning.qmd", "chapters/98-referanser.qmd",
                  "chapters/99-kolofon.qmd"]


def test_real_quarto_yml_lists_the_book():
    config = render.load_book_config(paths.PROJECT_ROOT)
    assert config.title == "Indikatorer for integrering"
    assert config.authors == ["Integrerings- og mangfoldsdirektoratet (IMDi)"]
    assert config.lang == "nb"
    assert config.chapters == [
        "index.qmd",
        "chapters/01-innledning.qmd",
        "chapters/02-sammendrag.ipynb",
        "notebooks/01-arbeid.ipynb",
        "notebooks/02-utdanning.ipynb",
        "notebooks/03-levekar.ipynb",
        "notebooks/04-deltakelse.ipynb",
    ]
    assert config.appendices == [
        "chapters/90-om-indikatorene.ipynb",
        "chapters/91-slik-er-tallene-laget.ipynb",
        "chapters/98-referanser.qmd",
        "chapters/99-kolofon.qmd",
    ]
    for source in STATIC_SOURCES + config.bibliography:
        assert (paths.PROJECT_ROOT / source).is_file(), source
    assert config.language["crossref-ch-prefix"] == "Kapittel"


def test_every_citation_in_the_static_chapters_is_in_references_bib():
    bib = (paths.PROJECT_ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([^,\s]+),", bib, re.MULTILINE))
    cited = set()
    for source in STATIC_SOURCES:
        text = (paths.PROJECT_ROOT / source).read_text(encoding="utf-8")
        cited |= {k for k in re.findall(r"@([\w:-]+[\w])", text) if not re.match(r"(fig|tbl|sec)-", k)}
    assert cited, "the introduction should cite its sources"
    assert cited <= keys, sorted(cited - keys)


def test_real_static_chapters_render_with_stub_notebooks(tmp_path):
    """The book's own .qmd files, bibliography and _quarto.yml go through the preview."""
    project = tmp_path / "book"
    config = render.load_book_config(paths.PROJECT_ROOT)
    for source in ["_quarto.yml", *STATIC_SOURCES, *config.bibliography]:
        (project / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(paths.PROJECT_ROOT / source, project / source)
    for chapter in config.chapters + config.appendices:
        if chapter.endswith(".ipynb"):
            (project / chapter).parent.mkdir(parents=True, exist_ok=True)
            stub = new_notebook(cells=[new_markdown_cell(f"# {Path(chapter).stem}\n\nTekst.")])
            nbformat.write(stub, project / chapter)
    from indikatorer.publish import edition

    edition.write_colophon_metadata(project, paths.PROJECT_ROOT)  # as the build does
    result = render.render_book(project, tmp_path / "out", renderer=render.PREVIEW)
    page = Page(result.html_index.read_text(encoding="utf-8"))
    assert page.h1 == [
        "1 Innledning",
        "2 02-sammendrag",
        "3 01-arbeid",
        "4 02-utdanning",
        "5 03-levekar",
        "6 04-deltakelse",
        "Vedlegg",
        "A 90-om-indikatorene",
        "B 91-slik-er-tallene-laget",
        "Referanser",
        "Om denne utgaven",
    ]
    assert "ref-oecd2023settlingin" in page.ids
    assert result.warnings == []
