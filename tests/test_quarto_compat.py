"""Will the staged book render with real Quarto 1.9 (HTML and typst PDF)?

Quarto cannot run here, so these are static checks over the project exactly as `quarto render`
receives it (build/<year>/: _quarto.yml, index.qmd, chapters/, executed notebooks, figures/).
Each rule names what it rests on: Quarto's documentation (quarto.org), Quarto's source
(github.com/quarto-dev/quarto-cli) or the facts checked on a real render (DESIGN.md).

A chapter is read the way Quarto reads it: a .qmd as written; an executed notebook as its
Markdown cells plus the stdout of `#| output: asis` cells (Quarto's jupyter engine splices that
text in raw). Pandoc parses each chapter (without automatic identifiers, so only the ids the
book sets itself are seen) and the checks walk pandoc's AST.

Set INDIKATORER_STAGED_BOOK to an already staged build/<year>/ folder to skip the build.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pypandoc
import pytest
import yaml

from indikatorer.publish import render

pytestmark = pytest.mark.slow

# Every key of Quarto's language files: src/resources/language/_language.yml (English
# defaults) and _language-nb.yml in quarto-cli. `language:` accepts any object
# (schema/document-language.yml), so a misspelt key is silently ignored.
QUARTO_LANGUAGE_KEYS = frozenset("""
toc-title-document toc-title-website related-formats-title related-notebooks-title
source-notebooks-prefix other-links-title code-links-title launch-dev-container-title
launch-binder-title article-notebook-label notebook-preview-download
notebook-preview-download-src notebook-preview-back manuscript-meca-bundle
section-title-abstract section-title-appendices section-title-footnotes
section-title-references section-title-reuse section-title-copyright section-title-citation
appendix-attribution-cite-as appendix-attribution-bibtex appendix-view-license
title-block-author-single title-block-author-plural title-block-affiliation-single
title-block-affiliation-plural title-block-published title-block-modified title-block-keywords
callout-tip-title callout-note-title callout-warning-title callout-important-title
callout-caution-title code-summary code-line code-lines code-tools-menu-caption
code-tools-show-all-code code-tools-hide-all-code code-tools-view-source
code-tools-source-code copy-button-tooltip copy-button-tooltip-success repo-action-links-edit
repo-action-links-source repo-action-links-issue back-to-top search-no-results-text
search-matching-documents-text search-copy-link-title search-hide-matches-text
search-more-match-text search-more-matches-text search-clear-button-title
search-text-placeholder search-detached-cancel-button-title search-submit-button-title
search-label toggle-section toggle-sidebar toggle-dark-mode toggle-reader-mode
toggle-navigation navigation-site-label navigation-section-label navigation-toolbar-label
navigation-page-label navigation-breadcrumbs-label scrollable-code-label
scrollable-output-label crossref-fig-title crossref-tbl-title crossref-lst-title
crossref-thm-title crossref-lem-title crossref-cor-title crossref-prp-title
crossref-cnj-title crossref-def-title crossref-exm-title crossref-exr-title
crossref-ch-prefix crossref-apx-prefix crossref-sec-prefix crossref-eq-prefix
crossref-lof-title crossref-lot-title crossref-lol-title environment-proof-title
environment-remark-title environment-solution-title listing-page-order-by
listing-page-order-by-default listing-page-order-by-date-asc listing-page-order-by-date-desc
listing-page-order-by-number-desc listing-page-order-by-number-asc listing-page-field-date
listing-page-field-title listing-page-field-description listing-page-field-author
listing-page-field-filename listing-page-field-filemodified listing-page-field-subtitle
listing-page-field-readingtime listing-page-field-categories listing-page-minutes-compact
listing-page-category-all listing-page-no-matches listing-page-field-wordcount
listing-page-words listing-page-filter draft
""".split())

# Jupyter cell options documented at quarto.org/docs/reference/cells/cells-jupyter.
JUPYTER_CELL_OPTIONS = frozenset("""
label classes renderings tags id eval echo code-fold code-summary code-overflow
code-line-numbers lst-label lst-cap output warning error include panel output-location
fig-cap fig-subcap fig-link fig-align fig-alt fig-env fig-pos fig-scap fig-width fig-height
fig-format fig-dpi fig-asp fig-column fig-cap-location tbl-cap tbl-subcap tbl-colwidths
tbl-column tbl-cap-location html-table-processing cap-location column layout layout-ncol
layout-nrow layout-align layout-valign
""".split())

# quarto.org/docs/authoring/cross-references: ids starting with these are cross-references.
RESERVED_PREFIXES = ("fig", "tbl", "lst", "tip", "nte", "wrn", "imp", "cau", "thm", "lem",
                     "cor", "prp", "cnj", "def", "exm", "exr", "sol", "rem", "alg", "eq", "sec")
# ... and the element each prefix this book uses must sit on.
ELEMENT_OF_PREFIX = {"fig": "Figure", "tbl": "Table", "sec": "Header"}
# quarto.org/docs/authoring/callouts
CALLOUT_CLASSES = {f"callout-{kind}" for kind in ("note", "warning", "important", "tip", "caution")}
PARAMETER_TAGS = {"parameters", "injected-parameters"}  # papermill's cells

HAS_ATTR = {"Header": 1, "Image": 0, "Link": 0, "Div": 0, "Span": 0, "Figure": 0, "Table": 0,
            "CodeBlock": 0, "Code": 0}


# --- the staged book, read as Quarto reads it -------------------------------------------------


@dataclass
class Chapter:
    file: str  # relative to the project, as in _quarto.yml
    kind: str  # "index", "chapter" or "appendix"
    ast: dict  # pandoc's JSON AST of what Quarto feeds pandoc for this chapter

    @property
    def folder(self) -> str:
        return Path(self.file).parent.as_posix()


@dataclass
class Book:
    project: Path
    config: dict  # _quarto.yml as YAML
    chapters: list[Chapter]

    def elements(self, *types: str):
        """(chapter, element, ancestors) for every AST element of these types in the book."""
        for chapter in self.chapters:
            for element, ancestors in _walk(chapter.ast["blocks"], ()):
                if element["t"] in types:
                    yield chapter, element, ancestors


def _walk(node, ancestors):
    if isinstance(node, dict):
        if "t" in node:
            yield node, ancestors
            ancestors = ancestors + (node,)
        for value in node.values():
            yield from _walk(value, ancestors)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, ancestors)


def _attr(element) -> tuple[str, list[str], dict[str, str]]:
    identifier, classes, pairs = element["c"][HAS_ATTR[element["t"]]]
    return identifier, classes, dict(pairs)


def _text(inlines) -> str:
    words = []
    for element, _ in _walk(inlines, ()):
        if element["t"] in ("Str", "Code"):
            words.append(element["c"] if element["t"] == "Str" else element["c"][1])
        elif element["t"] in ("Space", "SoftBreak", "LineBreak"):
            words.append(" ")
    return " ".join("".join(words).split())


def _cell_options(source: str):
    """The `#|` option lines at the top of a code cell, parsed as YAML (a mapping if valid)."""
    lines = []
    for line in source.splitlines():
        if not line.startswith("#|"):
            break
        lines.append(line[2:].removeprefix(" "))
    if not lines:
        return {}
    try:
        return yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        return exc


def _mapping(options) -> dict:
    return options if isinstance(options, dict) else {}


def _is_asis(options: dict, execute: dict) -> bool:
    return options.get("output", execute.get("output")) == "asis"


def _shown(options: dict, execute: dict) -> bool:
    """Quarto includes the cell's outputs (tags.ts: includeCell, includeOutput)."""
    return (options.get("include", execute.get("include", True)) is not False
            and options.get("output", execute.get("output", True)) is not False)


def _quarto_markdown(project: Path, chapter: str, execute: dict) -> str:
    """The chapter's Markdown as Quarto's jupyter engine produces it, code left out."""
    path = project / chapter
    if path.suffix != ".ipynb":
        text = path.read_text(encoding="utf-8")
        return re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code":
            options = _mapping(_cell_options(cell.source))
            if _shown(options, execute) and _is_asis(options, execute):
                parts.append("".join(o.get("text", "") for o in cell.get("outputs", [])
                                     if o.output_type == "stream" and o.name == "stdout"))
    return "\n\n".join(parts)


def _pandoc_ast(markdown: str) -> dict:
    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), "--from", "markdown-auto_identifiers-yaml_metadata_block",
         "--to", "json"],
        input=markdown.encode("utf-8"), capture_output=True, check=True)
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def staged(request) -> Path:
    """The staged book of the edition built once per test session (tests/conftest.py)."""
    if os.environ.get("INDIKATORER_STAGED_BOOK"):
        return Path(os.environ["INDIKATORER_STAGED_BOOK"])
    return request.getfixturevalue("real_edition").staging_dir


@pytest.fixture(scope="module")
def book(staged) -> Book:
    config = yaml.safe_load((staged / "_quarto.yml").read_text(encoding="utf-8"))
    execute = config.get("execute") or {}
    listed = render.load_book_config(staged)
    chapters = []
    for kind, files in (("chapter", listed.chapters), ("appendix", listed.appendices)):
        for file in files:
            if (staged / file).is_file():
                markdown = _quarto_markdown(staged, file, execute)
                chapters.append(Chapter(file, "index" if Path(file).stem == "index" else kind,
                                        _pandoc_ast(markdown)))
    return Book(staged, config, chapters)


@pytest.fixture(scope="module")
def notebooks(staged, book):
    """(chapter file, cell index, cell, options) for every code cell of the executed notebooks;
    options are what the cell's `#|` lines parse to (checked by test_cell_options_are_quartos)."""
    cells = []
    for chapter in book.chapters:
        if chapter.file.endswith(".ipynb"):
            nb = nbformat.read(staged / chapter.file, as_version=4)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    cells.append((chapter.file, index, cell, _cell_options(cell.source)))
    assert cells, "no executed notebook chapters in the staged book"
    return cells


# --- _quarto.yml ------------------------------------------------------------------------------


def test_every_listed_chapter_exists_with_a_plain_path(staged, book):
    listed = render.load_book_config(staged)
    files = listed.chapters + listed.appendices
    assert files[0] == "index.qmd", "a Quarto book starts with index.qmd beside _quarto.yml"
    missing = [f for f in files if not (staged / f).is_file()]
    assert not missing, f"listed in _quarto.yml but not staged: {missing}"
    # quarto-cli#9304: a "./" prefix breaks cross-references between chapters.
    assert not [f for f in files if f.startswith(("./", "/")) or "\\" in f]
    assert len(files) == len(set(files))
    assert len(book.chapters) == len(files)


def test_book_metadata_quarto_needs(book):
    config = book.config
    assert config["project"]["type"] == "book"
    assert str(config["book"].get("title") or "").strip()
    # DESIGN.md (checked on a real render): without book.author the typst book fails with
    # "expected content, found array".
    authors = config["book"].get("author")
    authors = [authors] if isinstance(authors, str) else authors or []
    assert authors and all(str(a).strip() for a in authors)
    assert config.get("lang") == "nb"  # Quarto's _language-nb.yml: "Figur", "Tabell", "Kode"


def test_language_keys_are_keys_quarto_knows(book):
    unknown = sorted(set(book.config.get("language") or {}) - QUARTO_LANGUAGE_KEYS)
    assert not unknown, f"not in Quarto's language files, so ignored: {unknown}"


def test_execution_and_format_options(book):
    config = book.config
    assert config["execute"]["enabled"] is False  # papermill executed the notebooks already
    html, typst = config["format"]["html"], config["format"]["typst"]
    assert html.get("code-fold") is True
    assert typst.get("echo") is False  # DESIGN.md: folded code in HTML, none in the PDF
    # the fold's summary (format option; the language key gives Quarto's default the same words)
    assert html.get("code-summary") == config["language"]["code-summary"] == "Vis koden"
    # quarto.org/docs/output-formats/typst.html#bibliography: typst defaults to its own
    # citation processing; citeproc: true gives the HTML's style and the #refs placement.
    assert typst.get("citeproc") is True
    assert config.get("bibliography")
    for bib in [config["bibliography"]] if isinstance(config["bibliography"], str) else config["bibliography"]:
        assert (book.project / bib).is_file()


# --- headings, ids and references -------------------------------------------------------------


def test_every_chapter_starts_with_its_only_level_one_heading(book):
    """Quarto takes a chapter's title from its first heading, whatever its level, and makes it
    the level-1 heading of the typst book (book-render.ts, pandoc-partition.ts); a second
    level-1 heading would start a new chapter in the PDF."""
    problems = []
    for chapter in book.chapters:
        headers = [el for el, _ in _walk(chapter.ast["blocks"], ()) if el["t"] == "Header"]
        levels = [h["c"][0] for h in headers]
        if chapter.kind == "index":
            # DESIGN.md: the book title already heads index.html; do not repeat it.
            titles = {_text(h["c"][2]) for h in headers if h["c"][0] == 1}
            if book.config["book"]["title"] in titles:
                problems.append(f"{chapter.file} repeats the book title as a heading")
            continue
        if not levels or levels[0] != 1:
            problems.append(f"{chapter.file}: first heading is level {levels[:1]}, not 1")
        if levels.count(1) != 1:
            problems.append(f"{chapter.file}: {levels.count(1)} level-1 headings")
    assert not problems, "\n".join(problems)


def _shown_in(ancestors, fmt: str) -> bool:
    """Whether content under these ancestors is in the ``fmt`` ("html" or "typst") output:
    Quarto empties hidden conditional blocks before its filters run, crossref included
    (customnodes/content-hidden.lua: "clear out the content before filters are run")."""
    for element in ancestors:
        if element["t"] not in ("Div", "Span"):
            continue
        _, classes, attributes = _attr(element)
        is_html = fmt == "html"
        for name, wanted in (("when-format", True), ("unless-format", False)):
            if name in attributes:
                holds = (attributes[name] == "html") == is_html if attributes[name] in ("html", "typst") \
                    else False
                holds = holds if wanted else not holds
                if "content-visible" in classes and not holds:
                    return False
                if "content-hidden" in classes and holds:
                    return False
    return True


def _ids(book: Book, fmt: str | None = None):
    for chapter, element, ancestors in book.elements(*HAS_ATTR):
        identifier = _attr(element)[0]
        if identifier and (fmt is None or _shown_in(ancestors, fmt)):
            yield chapter, element, identifier


@pytest.mark.parametrize("fmt", ["html", "typst"])
def test_every_id_appears_once_in_the_whole_book(book, fmt):
    """The typst PDF is one document: a label used twice makes typst fail on every reference
    to it ("label occurs multiple times"); in HTML a reference would pick one of them. A table
    printed in parts has its label in the web-only whole and in the print-only first part:
    once per format."""
    where = collections.defaultdict(list)
    for chapter, _, identifier in _ids(book, fmt):
        where[identifier].append(chapter.file)
    duplicates = {i: files for i, files in where.items() if len(files) > 1}
    assert not duplicates, duplicates
    assert len(where) > 50, "expected the book's figure, table and section ids"


def test_headings_nest_without_skipping_a_level(book):
    """A theme chapter has three levels (chapter, indicator, a part of it): a fourth level
    (3.1.1.1) put the botid profile under the decomposition it is not part of."""
    problems = []
    for chapter in book.chapters:
        previous = 1
        for el, _ in _walk(chapter.ast["blocks"], ()):
            if el["t"] != "Header":
                continue
            level = el["c"][0]
            if level > 3 or level > previous + 1:
                problems.append(f"{chapter.file}: level {level} after {previous}: {_text(el['c'][2])}")
            previous = level
    assert not problems, "\n".join(problems)


def test_cross_reference_ids_follow_quartos_rules(book):
    """quarto.org/docs/authoring/cross-references: fig-/tbl-/sec- ids make figures, tables
    and sections referenceable; other reserved prefixes are not used; no underscores."""
    problems = []
    for chapter, element, identifier in _ids(book):
        prefix = identifier.split("-", 1)[0]
        if prefix not in RESERVED_PREFIXES or "-" not in identifier:
            continue
        if prefix not in ELEMENT_OF_PREFIX:
            problems.append(f"{chapter.file}: #{identifier} uses Quarto's reserved prefix {prefix}-")
        elif element["t"] != ELEMENT_OF_PREFIX[prefix]:
            problems.append(f"{chapter.file}: #{identifier} is on a {element['t']}, "
                            f"not a {ELEMENT_OF_PREFIX[prefix]}")
        if "_" in identifier:
            problems.append(f"{chapter.file}: #{identifier} has an underscore")
    assert not problems, "\n".join(problems)


def test_every_cross_reference_has_a_target(book):
    """@fig-/@tbl-/@sec- resolve across chapters (quarto.org/docs/books/book-crossrefs)."""
    targets = {identifier for _, _, identifier in _ids(book)}
    unresolved, count = [], 0
    for chapter, element, _ in book.elements("Cite"):
        for citation in element["c"][0]:
            key = citation["citationId"]
            prefix = key.split("-", 1)[0].lower()  # @Fig-x is the capitalised form
            if prefix in ELEMENT_OF_PREFIX and "-" in key:
                count += 1
                if prefix + key[len(prefix):] not in targets:
                    unresolved.append(f"{chapter.file}: @{key}")
    assert count > 0
    assert not unresolved, unresolved


def test_every_citation_is_in_the_bibliography(book):
    bib = book.config["bibliography"]
    text = "\n".join((book.project / b).read_text(encoding="utf-8")
                     for b in ([bib] if isinstance(bib, str) else bib))
    keys = set(re.findall(r"^@\w+\{([^,\s]+),", text, re.MULTILINE))
    cited = {(chapter.file, citation["citationId"])
             for chapter, element, _ in book.elements("Cite") for citation in element["c"][0]
             if citation["citationId"].split("-", 1)[0].lower() not in RESERVED_PREFIXES}
    assert cited, "the book cites its sources"
    assert not sorted(c for c in cited if c[1] not in keys)
    refs = [c.file for c, _, i in _ids(book) if i == "refs"]
    assert len(refs) == 1, "one ::: {#refs} div places the bibliography"


# --- figures, tables, links, callouts ---------------------------------------------------------


def _relative(target: str) -> bool:
    return bool(target) and not re.match(r"^(#|/|[A-Za-z][\w+.-]*:)", target)


def test_figures_have_caption_alt_text_and_an_image_beside_the_notebook(book):
    """`![caption](figures/x.png){#fig-x fig-alt="…"}` alone in its paragraph is a figure
    (quarto.org/docs/authoring/figures); the path is relative to the chapter's folder, where
    Quarto resolves and copies it (for the PDF via each chapter's resourceDir, book-render.ts)."""
    problems, figures = [], 0
    for chapter, element, _ in book.elements("Figure"):
        identifier = _attr(element)[0]
        images = [el for el, _ in _walk(element["c"][2], ()) if el["t"] == "Image"]
        if identifier.startswith("fig-"):
            figures += 1
            if not _text(element["c"][1][1]):
                problems.append(f"{chapter.file}: #{identifier} has no caption")
            if len(images) != 1:
                problems.append(f"{chapter.file}: #{identifier} holds {len(images)} images")
    for chapter, element, ancestors in book.elements("Image"):
        _, _, attributes = _attr(element)
        src = element["c"][2][0]
        if not (attributes.get("fig-alt") or _text(element["c"][1])).strip():
            problems.append(f"{chapter.file}: image {src} has no alt text")
        if _relative(src) and not (book.project / chapter.folder / src).is_file():
            problems.append(f"{chapter.file}: image {src} does not exist beside the chapter")
        if _relative(src) and ".." in Path(src).parts:
            problems.append(f"{chapter.file}: image {src} reaches outside the chapter's folder")
        if not any(a["t"] == "Figure" for a in ancestors):
            problems.append(f"{chapter.file}: image {src} is not alone in its paragraph")
    assert figures >= 8, f"expected figures in every theme chapter, got {figures}"
    assert not problems, "\n".join(problems)


def test_labelled_tables_have_captions(book):
    """`: caption {#tbl-x}` under a pipe table (quarto.org/docs/authoring/tables)."""
    tables, problems = 0, []
    for chapter, element, _ in book.elements("Table"):
        identifier = _attr(element)[0]
        if identifier.startswith("tbl-"):
            tables += 1
            if not _text(element["c"][1][1]):
                problems.append(f"{chapter.file}: #{identifier} has no caption")
    assert tables >= 8
    assert not problems, problems


def _local_links(book: Book):
    for chapter, element, _ in book.elements("Link"):
        target = element["c"][2][0].split("#", 1)[0]
        if _relative(target):
            yield chapter, target, os.path.normpath(Path(chapter.folder) / target)


def test_local_links_point_to_files_in_the_project(book):
    """Quarto copies linked local files into the book (core/html.ts: a[href] is a resource);
    links in web-only spans count: they are in the HTML."""
    problems = []
    links = list(_local_links(book))
    for chapter, target, path in links:
        if path.startswith(".."):
            problems.append(f"{chapter.file}: {target} is outside the project")
        elif not (book.project / path).is_file():
            problems.append(f"{chapter.file}: {target} does not exist")
    assert links, "the figures link to their data files"
    assert not problems, sorted(set(problems))


# quarto.org/docs/authoring/conditional (quarto-cli filters/quarto-pre/content-hidden.lua):
# the conditions Quarto reads on a .content-visible / .content-hidden div, span or code block.
CONDITIONS = {"when-format", "unless-format", "when-profile", "unless-profile"}


def _web_only(ancestors) -> bool:
    """Inside content Quarto shows only in HTML (_format.lua isFormat: "html" is the HTML
    formats; the typst PDF is not "html")."""
    for element in ancestors:
        if element["t"] in ("Div", "Span"):
            _, classes, attributes = _attr(element)
            if "content-visible" in classes and attributes.get("when-format") == "html":
                return True
            if "content-hidden" in classes and attributes.get("unless-format") == "html":
                return True
    return False


def _footer(ancestors) -> bool:
    """In the source line under a figure or table ("Kilde: …", indikatorer.report.publishing._footer)."""
    return any(a["t"] == "Para" and _text(a["c"]).startswith("Kilde:") for a in ancestors)


def test_footer_file_links_are_web_only(book):
    """The PDF is read on its own, without the files beside it, so the relative links under
    figures and tables (data CSV, notebook) sit in a `[…]{.content-visible when-format="html"}`
    span; the source line, with absolute URLs, stays in both."""
    inside, outside = 0, []
    for chapter, element, ancestors in book.elements("Link"):
        target = element["c"][2][0].split("#", 1)[0]
        if not _relative(target) or not _footer(ancestors):
            continue
        if _web_only(ancestors):
            inside += 1
        else:
            outside.append(f"{chapter.file}: {target}")
    assert inside > 0, "the figures' data links should be in web-only spans"
    assert not outside, sorted(set(outside))[:10]
    # the source line of a figure footer is not itself hidden
    kept = [c for c, element, ancestors in book.elements("Link")
            if element["c"][2][0].startswith("https://www.ssb.no") and _footer(ancestors)
            and not _web_only(ancestors)]
    assert kept, "the source lines' links to ssb.no are in the PDF too"


def test_conditional_content_uses_quartos_conditions(book):
    """Only format conditions (the preview has no profiles: docs/quarto-subset.md)."""
    problems, count = [], 0
    for chapter, element, _ in book.elements("Div", "Span", "CodeBlock"):
        _, classes, attributes = _attr(element)
        if not {"content-visible", "content-hidden"} & set(classes):
            continue
        count += 1
        conditions = set(attributes) & CONDITIONS
        if not conditions:
            problems.append(f"{chapter.file}: {element['t']} {classes} has no condition")
        if conditions - {"when-format", "unless-format"}:
            problems.append(f"{chapter.file}: {sorted(conditions)}: profiles are outside the subset")
        if "content-visible" in classes and "content-hidden" in classes:
            problems.append(f"{chapter.file}: both content-visible and content-hidden")
        for name in ("when-format", "unless-format"):
            if name in attributes and not re.fullmatch(r"[a-z][a-z0-9_:]*", attributes[name]):
                problems.append(f"{chapter.file}: {name}={attributes[name]!r} is not one format")
    assert count > 0
    assert not problems, problems


def test_no_link_points_at_a_chapter_source(book):
    """Quarto rewrites a link to a project input (a chapter's .ipynb or .qmd) into a link to
    that chapter's HTML page (project/types/project-utilities.ts: resolveProjectInputLinks),
    so a download link must point at a copy that is not a chapter."""
    chapters = {c.file for c in book.chapters}
    offending = sorted({f"{chapter.file}: {target}" for chapter, target, path in _local_links(book)
                        if Path(path).as_posix() in chapters})
    assert not offending, offending[:5]


def test_callouts_are_quarto_callouts(book):
    """quarto.org/docs/authoring/callouts: five types; the first heading inside a callout is
    taken as its title, so headings do not belong inside one."""
    problems, callouts = [], 0
    for chapter, element, _ in book.elements("Div"):
        _, classes, attributes = _attr(element)
        kinds = [c for c in classes if c.startswith("callout")]
        if not kinds:
            continue
        callouts += 1
        if not set(kinds) <= CALLOUT_CLASSES:
            problems.append(f"{chapter.file}: unknown callout {kinds}")
        if "collapse" in attributes:
            # A folded callout's toggle carries data-bs-* attributes that axe-core flags as
            # critical (aria-allowed-attr, DESIGN.md): callouts stay open.
            problems.append(f"{chapter.file}: collapse={attributes['collapse']!r}")
        if any(el["t"] == "Header" for el, _ in _walk(element["c"][1], ())):
            problems.append(f"{chapter.file}: heading inside callout {attributes.get('title')!r}")
    assert callouts > 0
    assert not problems, problems


# --- the executed notebooks -------------------------------------------------------------------


def test_no_executed_notebook_has_errors(notebooks):
    errors = [f"{file} cell {i}: {o.get('ename')}" for file, i, cell, _ in notebooks
              for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors


def test_cell_options_are_quartos(notebooks):
    problems = []
    for file, index, _, options in notebooks:
        if not isinstance(options, dict):  # invalid YAML or not a mapping: Quarto stops
            problems.append(f"{file} cell {index}: #| options are not a YAML mapping")
            continue
        unknown = sorted(set(options) - JUPYTER_CELL_OPTIONS)
        if unknown:
            problems.append(f"{file} cell {index}: unknown options {unknown}")
        if options.get("output", True) not in (True, False, "asis"):
            problems.append(f"{file} cell {index}: output: {options['output']!r}")
    assert not problems, problems


def test_shown_code_is_the_parameters_and_the_cells_that_select_fit_and_present(notebooks):
    """DESIGN.md: every code cell without `echo: false` gets its own "Vis koden" fold in the
    HTML. The book shows the parameters (papermill's two cells) and the literate cells — those
    that present what they selected and fitted (a `show_…` call); plumbing has `echo: false`."""
    shown = [f"{file} cell {i}" for file, i, cell, options in notebooks
             if _mapping(options).get("echo", True) is not False
             and not PARAMETER_TAGS & set(cell.metadata.get("tags", []))
             and not re.search(r"^show_\w+\(", cell.source, re.M)]
    assert not shown, shown
    folded = [cell for file, i, cell, options in notebooks if file.startswith("notebooks/")
              and _mapping(options).get("echo", True) is not False and "show_indicator(" in cell.source]
    assert len(folded) >= 25, "every theme indicator cell shows its code"


# quarto-cli src/core/jupyter/jupyter.ts (mdFromCodeCell): cell metadata Quarto does not forward
# as attributes of a div around the cell (kJupyterCellInternalOptionKeys,
# kJupyterCellStandardMetadataKeys, kJupyterCellThirdPartyMetadataKeys).
NOT_FORWARDED = JUPYTER_CELL_OPTIONS | {"collapsed", "autoscroll", "deletable", "format", "name", "id",
                                        "colab", "colab_type", "outputId", "lines_to_next_cell",
                                        "language"} - {"tags"}


def test_headings_a_cell_prints_reach_the_table_of_contents(notebooks):
    """An `output: asis` cell's output is spliced in raw, without a div, unless the cell has a
    label, classes, a caption or metadata Quarto forwards (jupyter.ts: needCell); inside a div its
    headings would be out of the table of contents (quarto-cli#9422, #14654)."""
    problems, printed = [], 0
    for file, index, cell, options in notebooks:
        out = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
        if not re.search(r"^#{1,6} \S", out, re.M):
            continue
        printed += 1
        options = _mapping(options)
        forwarded = sorted(set(cell.metadata) - NOT_FORWARDED)
        wrapping = sorted(k for k in ("label", "classes", "fig-cap", "tbl-cap") if k in options)
        if forwarded or wrapping or options.get("output") != "asis":
            problems.append(f"{file} cell {index}: metadata {forwarded}, options {wrapping}")
    assert printed >= 20, "the indicator cells print their sections' headings"
    assert not problems, problems


SUBSET_DOC = Path(__file__).resolve().parents[1] / "docs" / "quarto-subset.md"


def test_cells_use_only_the_options_and_outputs_of_the_books_quarto_subset(notebooks):
    """docs/quarto-subset.md lists the cell options and outputs the book uses (the preview
    renders those and refuses the rest); the executed notebooks keep to them."""
    lines = SUBSET_DOC.read_text(encoding="utf-8").splitlines()
    at = next(i for i, ln in enumerate(lines) if "code cells with these options only" in ln)
    allowed = set(re.findall(r"`([a-z-]+)`", " ".join(lines[at:at + 2]))) - {"true", "false", "asis"}
    assert allowed == {"echo", "output", "include", "warning", "code-fold", "code-summary"}
    problems = []
    for file, index, cell, options in notebooks:
        unknown = sorted(set(_mapping(options)) - allowed)
        if unknown:
            problems.append(f"{file} cell {index}: options {unknown} are outside the subset")
        for output in cell.get("outputs", []):
            kinds = set(output.get("data", {})) - {"text/markdown", "text/plain"}
            if kinds:
                problems.append(f"{file} cell {index}: output {sorted(kinds)} is outside the subset")
    assert not problems, problems


def test_stderr_only_where_quarto_leaves_it_out(book, notebooks):
    """Quarto prints a cell's stderr (warnings) in the book unless `warning: false`
    (core/jupyter/jupyter.ts: includeWarnings); the preview shows it too."""
    execute = book.config.get("execute") or {}
    shown = [f"{file} cell {i}: {o.text.strip()[:80]}" for file, i, cell, options in notebooks
             for o in cell.get("outputs", [])
             if o.output_type == "stream" and o.name == "stderr" and o.text.strip()
             and _shown(_mapping(options), execute)
             and _mapping(options).get("warning", execute.get("warning", True)) is not False]
    assert not shown, shown


def test_no_raw_text_output_in_the_book(book, notebooks):
    """Outside `output: asis`, Quarto prints stdout and text/plain results as code output; the
    book's text comes only from asis cells and Markdown cells."""
    execute = book.config.get("execute") or {}
    raw = []
    for file, i, cell, options in notebooks:
        options = _mapping(options)
        if not _shown(options, execute) or _is_asis(options, execute):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout" and output.text.strip():
                raw.append(f"{file} cell {i}: stdout")
            elif output.output_type in ("execute_result", "display_data") \
                    and set(output.get("data", {})) <= {"text/plain"}:
                raw.append(f"{file} cell {i}: {output.output_type} (text/plain)")
    assert not raw, raw


def test_asis_output_ends_with_a_blank_line(book, notebooks):
    """Quarto splices asis stdout in raw and starts the next cell one newline later
    (jupyter.ts: mdFromCodeCell); without a blank line the next cell's Markdown (a heading,
    a table) would run into the last paragraph."""
    execute = book.config.get("execute") or {}
    problems, asis = [], 0
    for file, i, cell, options in notebooks:
        options = _mapping(options)
        if not (_shown(options, execute) and _is_asis(options, execute)):
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                       if o.output_type == "stream" and o.name == "stdout")
        if text.strip():
            asis += 1
            if not text.endswith("\n\n"):
                problems.append(f"{file} cell {i}: ends with {text[-20:]!r}")
    assert asis > 0
    assert not problems, problems


# --- universal design and print: the Quarto side (issue 13) ----------------------------------


def test_html_theme_carries_the_universal_design_fixes(staged, book):
    """The fixes axe-core needs on Quarto's HTML (DESIGN.md) live in the project's SCSS, layered
    on cosmo: darker muted text (section numbers in the page TOC, captions), underlined links
    in text, and wide tables scrolling inside their block."""
    theme = book.config["format"]["html"]["theme"]
    assert isinstance(theme, list) and theme[0] == "cosmo", theme
    scss_files = [t for t in theme if str(t).endswith(".scss")]
    assert scss_files, "no project SCSS in format: html: theme"
    scss = "\n".join((staged / f).read_text(encoding="utf-8") for f in scss_files)
    assert "/*-- scss:defaults --*/" in scss and "/*-- scss:rules --*/" in scss
    assert re.search(r"\$link-decoration:\s*underline", scss)
    muted = re.search(r"\$text-muted:\s*#([0-9a-fA-F]{6})", scss)
    assert muted, "the theme must set $text-muted"
    assert _contrast(muted.group(1), "ffffff") >= 4.5
    for selector in (".header-section-number", "figcaption", 'a[role="doc-biblioref"]',
                     ".table-scroll"):
        assert selector in scss, selector
    assert re.search(r"\.table-scroll\s*\{[^}]*overflow-x:\s*auto", scss)


def _contrast(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two #RRGGBB colours (without the #)."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_wide_tables_sit_in_focusable_named_scroll_blocks(book):
    """Every table of the HTML sits in a `.table-scroll` block (tabindex, role and name),
    so a wide one scrolls by itself and a keyboard can reach it."""
    missing, blocks = [], 0
    for chapter, element, ancestors in book.elements("Table"):
        if not _shown_in(ancestors, "html"):
            continue
        scroll = [a for a in ancestors if a["t"] == "Div" and "table-scroll" in _attr(a)[1]]
        if not scroll:
            missing.append(f"{chapter.file}: {_attr(element)[0] or 'a table without id'}")
            continue
        blocks += 1
        _, _, attributes = _attr(scroll[-1])
        assert attributes.get("tabindex") == "0" and attributes.get("role") == "region"
        assert attributes.get("aria-label", "").startswith("Tabell")
    # the symbol table of the introduction is narrow and written by hand
    assert [m for m in missing if not m.startswith("index.qmd")] == []
    assert blocks > 30


def test_typst_partial_passes_norwegian_running_heads(staged, book):
    """DESIGN.md: Quarto 1.9's typst book (orange-book) prints "Chapter 3." unless a
    typst-show.typ partial passes supplement-chapter to book.with()."""
    partials = book.config["format"]["typst"].get("template-partials") or []
    assert "typst-show.typ" in partials
    partial = (staged / "typst-show.typ").read_text(encoding="utf-8")
    assert '#import "@local/orange-book:0.7.1": book' in partial  # the package Quarto 1.9 bundles
    assert re.search(r"#show:\s*book\.with\(", partial)
    assert 'supplement-chapter: "Kapittel"' in partial
    code = "\n".join(line for line in partial.splitlines() if not line.lstrip().startswith("//"))
    assert '"Chapter"' not in code and '"Part"' not in code
    header = "\n".join(i.get("text", "") for i in book.config["format"]["typst"]["include-in-header"])
    assert "table.cell.where(y: 0): set text(hyphenate: false)" in header


def test_the_colophon_gets_every_fact_it_asks_for(staged, book):
    """chapters/99-kolofon.qmd reads the web address, the commit and the renderer with
    `{{< meta … >}}`; the build writes those keys into the staged _quarto.yml, and never an
    address that _quarto.yml does not give."""
    colophon = (staged / "chapters" / "99-kolofon.qmd").read_text(encoding="utf-8")
    keys = re.findall(r"\{\{<\s*meta\s+(\S+)\s*>\}\}", colophon)
    assert {"kolofon-adresse", "kolofon-kode", "kolofon-gjengitt"} <= set(keys)
    for key in keys:
        assert str(book.config.get(key) or "").strip(), f"{key} is not in the staged _quarto.yml"
    site_url = (book.config.get("book") or {}).get("site-url")
    if site_url:
        assert site_url in book.config["kolofon-adresse"]
    else:
        assert "ingen fast adresse" in book.config["kolofon-adresse"]
        assert "http" not in book.config["kolofon-adresse"]
    assert "chapters/99-kolofon.qmd" in book.config["book"]["appendices"]
