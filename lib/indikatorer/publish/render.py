"""Render the book: Quarto when it is on PATH, otherwise the pandoc + typst preview.

The build copies the book's sources into a staging project (executed notebooks included) and
calls `render_book(project_dir, out_dir)`.

Quarto (production) renders `_quarto.yml` as a book; its `_book/` is moved to `out_dir`.

The preview is a thin adapter over pandoc, not a second Quarto: it renders the features the
book may use, listed in docs/quarto-subset.md (tests/test_quarto_compat.py holds the book to
them), and refuses or drops with a warning what lies outside.
  * `_quarto.yml` gives the chapter order (chapters, then appendices), title, author, lang,
    bibliography, the `language:` words ("Figur", "Tabell", "Vis koden", …), `execute:` and the
    `format: html:`/`format: typst:` options that decide whether code is shown and folded.
  * Each chapter becomes Markdown (:mod:`indikatorer.publish.preview`): code folded under
    "Vis koden" in the HTML and left out of the PDF, as Quarto does with `code-fold: true` and
    the typst format's `echo: false`; `output: asis` text spliced in raw.
  * All chapters make ONE pandoc document per format. `resources/crossref.lua` numbers
    chapters, figures and tables Quarto-style and resolves @fig-/@tbl-/@sec- references;
    `--citeproc` resolves citations. Unknown references or citations are errors
    (:func:`check_references` runs just that). `resources/conditional.lua` runs first and applies
    Quarto's conditional content (`when-format`/`unless-format`; "html" is the HTML, the PDF is
    "typst", as in Quarto's typst book). Callouts become titled boxes (folded when
    `collapse="true"`). A link to a chapter's source file becomes, in the HTML, a link to that
    chapter, as Quarto rewrites it; the preview warns about it.
  * HTML: one `index.html` with a table of contents; the files it links to and those matching
    `project: resources:` are copied next to it. PDF: pandoc writes typst, the `typst` package
    compiles it with its embedded fonts (`resources/preview.typst`).
Which renderer made the book is said in the colophon (chapters/99-kolofon.qmd, from the
metadata the build adds: see indikatorer.publish.build) and in the HTML's generator tag;
`RenderResult.versions` records the programs that made the files (the typst compiler's own
version, which the PDF names as its creator).
"""

from __future__ import annotations

import concurrent.futures
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pypandoc
import typst
import yaml

from indikatorer.core.errors import UserError
from indikatorer.publish.preview import Warnings, book_markdown

RESOURCES = Path(__file__).resolve().parent / "resources"

QUARTO = "quarto"
PREVIEW = "pandoc+typst"

# Quarto's own Norwegian strings say "Kapitel" and "Bilag"; _quarto.yml overrides them under
# `language:`. These defaults apply only where _quarto.yml says nothing.
DEFAULT_LANGUAGE = {
    "crossref-fig-title": "Figur",
    "crossref-tbl-title": "Tabell",
    "crossref-ch-prefix": "Kapittel",
    "crossref-apx-prefix": "Vedlegg",
    "crossref-sec-prefix": "Avsnitt",
    "section-title-appendices": "Vedlegg",
    "toc-title-document": "Innhold",
    "callout-note-title": "Merknad",
    "callout-warning-title": "Advarsel",
    "callout-important-title": "Viktig",
    "callout-tip-title": "Tips",
    "callout-caution-title": "Forsiktig",
    "code-summary": "Kode",
}

# pandoc's Markdown, as Quarto reads it, minus YAML blocks (front matter is handled here).
MARKDOWN_FORMAT = "markdown-yaml_metadata_block"


@dataclass(frozen=True)
class RenderResult:
    renderer: str  # "quarto" | "pandoc+typst"
    renderer_label: str  # Norwegian, e.g. "Quarto 1.9.12"
    html_index: Path
    pdf: Path | None
    out_dir: Path
    warnings: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # the programs that made the files


@dataclass(frozen=True)
class BookConfig:
    title: str
    subtitle: str | None
    authors: list[str]
    lang: str
    bibliography: list[str]  # relative to the project
    chapters: list[str]  # relative to the project, in order; index.qmd first
    appendices: list[str]
    language: dict[str, str]
    output_dir: str
    resources: list[str] = field(default_factory=list)  # `project: resources:` globs
    execute: dict = field(default_factory=dict)  # global `execute:` options (output, warning, …)
    formats: dict = field(default_factory=dict)  # `format:` options per format (html, typst)
    metadata: dict = field(default_factory=dict)  # all of _quarto.yml: `{{< meta key >}}` reads it


def which_renderer() -> str:
    """The renderer `render_book` uses by default: Quarto if it is on PATH, else the preview."""
    return QUARTO if shutil.which("quarto") else PREVIEW


def _quarto_version() -> str:
    quarto = shutil.which("quarto")
    if quarto is None:
        raise UserError("Quarto er ikke installert (fant ikke `quarto` på PATH)")
    return subprocess.run([quarto, "--version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def typst_compiler_version() -> str:
    """The version of the typst compiler inside the `typst` package (the PDF's creator; the
    package's own version number can differ)."""
    return typst.eval(b"", "str(sys.version)", ignore_system_fonts=True).strip('"')


def preview_versions() -> dict[str, str]:
    """The programs the preview renders with: pandoc and the typst compiler."""
    return {"pandoc": pypandoc.get_pandoc_version(), "typst": typst_compiler_version()}


def _versions_text(versions: dict[str, str]) -> str:
    return f"pandoc {versions['pandoc']} og typst {versions['typst']}"


def renderer_label(renderer: str | None = None) -> str:
    """What renders the book, e.g. "Quarto 1.9.38" or "forhåndsvisning med pandoc … og typst …
    (Quarto ikke installert)": printed by the build and recorded in the manifest."""
    renderer = renderer or which_renderer()
    if renderer == QUARTO:
        return f"Quarto {_quarto_version()}"
    why = "Quarto ikke installert" if shutil.which("quarto") is None else "Quarto ikke brukt"
    return f"forhåndsvisning med {_versions_text(preview_versions())} ({why})"


def renderer_statement(renderer: str | None = None) -> str:
    """The colophon's sentence on what made this copy of the book (the build writes it into
    the staged _quarto.yml as `kolofon-gjengitt`, see indikatorer.publish.build)."""
    renderer = renderer or which_renderer()
    if renderer == QUARTO:
        return f"Boka er satt med {renderer_label(renderer)}."
    return (f"Denne utgaven er satt med forhåndsvisningen ({_versions_text(preview_versions())}), fordi "
            "Quarto ikke var installert; produksjonsversjonen settes med Quarto og kan se litt annerledes ut.")


def load_book_config(project_dir: Path) -> BookConfig:
    """Read the parts of `_quarto.yml` that the renderers need."""
    config_file = Path(project_dir) / "_quarto.yml"
    if not config_file.is_file():
        raise UserError(f"fant ikke {config_file}: boka trenger en _quarto.yml")
    raw = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    book = raw.get("book") or {}
    if not book.get("chapters"):
        raise UserError(f"{config_file}: book: chapters mangler")
    authors = book.get("author") or []
    if isinstance(authors, str):
        authors = [authors]
    bibliography = raw.get("bibliography") or []
    if isinstance(bibliography, str):
        bibliography = [bibliography]
    project = raw.get("project") or {}
    resources = project.get("resources") or []
    if isinstance(resources, str):
        resources = [resources]
    language = dict(DEFAULT_LANGUAGE)
    if isinstance(raw.get("language"), dict):
        language.update({str(k): str(v) for k, v in raw["language"].items()})
    return BookConfig(
        title=str(book.get("title") or raw.get("title") or ""),
        subtitle=book.get("subtitle"),
        authors=[a if isinstance(a, str) else str(a.get("name", "")) for a in authors],
        lang=str(raw.get("lang") or "nb"),
        bibliography=[str(b) for b in bibliography],
        chapters=_flatten_chapters(book.get("chapters")),
        appendices=_flatten_chapters(book.get("appendices")),
        language=language,
        output_dir=str(project.get("output-dir") or "_book"),
        resources=[str(r) for r in resources],
        execute=dict(raw.get("execute") or {}),
        formats={name: dict(options or {}) for name, options in (raw.get("format") or {}).items()},
        metadata=raw,
    )


def _flatten_chapters(entries) -> list[str]:
    """Chapter files in order; `- part: …` entries contribute their chapters."""
    files: list[str] = []
    for entry in entries or []:
        if isinstance(entry, str):
            files.append(entry)
        elif isinstance(entry, dict):
            part = entry.get("part")
            if isinstance(part, str) and part.endswith((".qmd", ".md", ".ipynb")):
                files.append(part)
            files.extend(_flatten_chapters(entry.get("chapters")))
    return files


def render_book(project_dir: Path, out_dir: Path, *, renderer: str | None = None) -> RenderResult:
    """Render the book in `project_dir` into `out_dir` (HTML and PDF).

    `renderer` is "quarto" or "pandoc+typst"; default: `which_renderer()`.
    Prints which renderer made the book.
    """
    project_dir = Path(project_dir).resolve()
    out_dir = Path(out_dir).resolve()
    config = load_book_config(project_dir)
    missing = [c for c in config.chapters + config.appendices if not (project_dir / c).is_file()]
    if missing:
        raise UserError(f"kapitler i _quarto.yml finnes ikke i {project_dir}: {', '.join(missing)}")
    renderer = renderer or which_renderer()
    if renderer == QUARTO:
        result = _render_with_quarto(project_dir, out_dir, config)
    elif renderer == PREVIEW:
        result = _render_preview(project_dir, out_dir, config)
    else:
        raise UserError(f"ukjent renderer {renderer!r}: bruk {QUARTO!r} eller {PREVIEW!r}")
    print(f"Boka er laget med {result.renderer_label}: {result.html_index}")
    return result


# --- Quarto --------------------------------------------------------------------------------


def _render_with_quarto(project_dir: Path, out_dir: Path, config: BookConfig) -> RenderResult:
    label = renderer_label(QUARTO)
    proc = subprocess.run([shutil.which("quarto"), "render", str(project_dir)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise UserError(f"quarto render feilet:\n{_tail(proc.stderr)}")
    book = (project_dir / config.output_dir).resolve()
    if book != out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(book, out_dir, dirs_exist_ok=True)
        shutil.rmtree(book)
    pdfs = sorted(out_dir.glob("*.pdf"))
    return RenderResult(
        renderer=QUARTO,
        renderer_label=label,
        html_index=out_dir / "index.html",
        pdf=pdfs[0] if pdfs else None,
        out_dir=out_dir,
        versions={"quarto": label.removeprefix("Quarto ")},
    )


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --- Preview: pandoc, resources, typst -------------------------------------------------------


def _run_pandoc(markdown: str, to: str, args: list[str], warn: Warnings) -> str:
    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), "--from", MARKDOWN_FORMAT, "--to", to, *args],
        input=markdown.encode("utf-8"),
        capture_output=True,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        # An error raised by crossref.lua is for the reader; the Lua traceback is not.
        filter_error = re.search(r"crossref\.lua:\d+: (.+)", stderr)
        raise UserError(filter_error.group(1) if filter_error else f"pandoc ({to}) feilet: {stderr.strip()}")
    not_found = re.findall(r"Citeproc: citation (\S+) not found", stderr)
    if not_found:
        raise UserError(f"ukjente kildehenvisninger (ikke i bibliografien): {', '.join('@' + k for k in not_found)}")
    for line in stderr.splitlines():
        if line.strip():
            warn(f"pandoc ({to}): {line.strip()}")
    return proc.stdout.decode("utf-8")


class _LocalTargets(html.parser.HTMLParser):
    """Relative `src`/`href` targets in an HTML page: the files it needs beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                target = urllib.parse.unquote(value.split("#", 1)[0].split("?", 1)[0])
                if target and not re.match(r"^[A-Za-z][\w+.-]*:|^/", target):
                    self.targets.add(os.path.normpath(target))


def _resource_files(project_dir: Path, globs: list[str]) -> set[str]:
    """Files matching `project: resources:` (relative to the project), as Quarto copies them."""
    found = set()
    for pattern in globs:
        if pattern.startswith("!"):  # Quarto's exclusion globs; the preview copies no less
            continue
        for path in project_dir.glob(pattern.lstrip("/")):
            if path.is_file():
                found.add(path.relative_to(project_dir).as_posix())
    return found


def _copy_resources(page: str, project_dir: Path, out_dir: Path, config: BookConfig) -> None:
    """Copy what the page links to (figures, CSVs) and the files matching `project: resources:`."""
    parser = _LocalTargets()
    parser.feed(page)
    missing = []
    for target in sorted(parser.targets | _resource_files(project_dir, config.resources)):
        source, destination = project_dir / target, out_dir / target
        if source.is_file():
            if source.resolve() != destination.resolve():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
        elif not destination.is_file():  # images taken out of notebooks are already there
            missing.append(target)
    if missing:
        raise UserError(f"boka lenker til filer som ikke finnes i {project_dir}: {', '.join(missing)}")


def _pdf_timestamp() -> int:
    """A fixed creation date makes the PDF reproducible: SOURCE_DATE_EPOCH, else 1 Jan 1980."""
    return int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))


# typst keeps what it compiled in memory for the life of the process (some 200 MB a book), so
# each PDF is compiled in a Python process of its own: a build of many editions does not grow.
_TYPST = """import sys, typst
try:
    typst.compile(sys.stdin.buffer.read(), output=sys.argv[1], root=sys.argv[2],
                  ignore_system_fonts=True, timestamp=int(sys.argv[3]))
except typst.TypstError as exc:
    sys.stderr.write(str(exc))
    sys.exit(3)
"""


def _compile_typst(source: str, pdf: Path, root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _TYPST, str(pdf), str(root), str(_pdf_timestamp())],
        input=source.encode("utf-8"), capture_output=True)
    if proc.returncode != 0:
        raise UserError(f"typst feilet: {proc.stderr.decode('utf-8', 'replace').strip()}")


def _pdf_name(title: str) -> str:
    """As Quarto names the book's PDF: the title with runs of other characters as '-'."""
    return (re.sub(r"[^\w]+", "-", title).strip("-") or "book") + ".pdf"


def _pandoc_args(tmp: Path, project_dir: Path, config: BookConfig, label: str) -> list[str]:
    """The options both formats share: metadata (words, renderer label), filters, citations."""
    metadata = {
        "title": config.title, "pagetitle": config.title, "author": config.authors,
        "lang": config.lang, "toc-title": config.language["toc-title-document"],
        "renderer-label": label, "link-citations": True, **config.language,
    }
    if config.subtitle:
        metadata["subtitle"] = config.subtitle
    metadata_file = tmp / "metadata.yml"
    metadata_file.write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
    return ["--standalone", "--toc", "--toc-depth=2", f"--metadata-file={metadata_file}",
            f"--lua-filter={RESOURCES / 'conditional.lua'}",  # first: hidden content is gone
            f"--lua-filter={RESOURCES / 'crossref.lua'}", "--citeproc",
            *[f"--bibliography={project_dir / b}" for b in config.bibliography]]


def check_references(project_dir: Path) -> list[str]:
    """Resolve every cross-reference and citation of the book in ``project_dir`` as the preview
    does (HTML, nothing written): a UserError names any that has no target. Returns the
    warnings. For an edition built without rendering."""
    project_dir = Path(project_dir).resolve()
    config, warn = load_book_config(project_dir), Warnings()
    with tempfile.TemporaryDirectory(prefix="indikatorer-refs-") as tmp:
        args = _pandoc_args(Path(tmp), project_dir, config, "kontroll av kryssreferanser")
        _run_pandoc(book_markdown(project_dir, config, "html", warn), "html5", args, warn)
    return list(warn)


def _render_preview(project_dir: Path, out_dir: Path, config: BookConfig) -> RenderResult:
    warn = Warnings()
    made_by = preview_versions()
    label = renderer_label(PREVIEW)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="indikatorer-render-") as tmp:
        common = _pandoc_args(Path(tmp), project_dir, config, label)
        html_args = [f"--template={RESOURCES / 'preview.html'}",
                     f"--include-in-header={RESOURCES / 'preview-style.html'}"]
        html_markdown = book_markdown(project_dir, config, "html", warn)
        typst_markdown = book_markdown(project_dir, config, "typst", warn)
        html_index = out_dir / "index.html"

        def html() -> None:
            page = _run_pandoc(html_markdown, "html5", [*common, *html_args], warn)
            _copy_resources(page, project_dir, out_dir, config)
            html_index.write_text(page, encoding="utf-8")

        # The two pandoc runs side by side (each a process of its own); typst compiles once the
        # HTML step has copied the figures it links to into out_dir.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            html_done = pool.submit(html)
            typst_source = _run_pandoc(typst_markdown, "typst",
                                       [*common, f"--template={RESOURCES / 'preview.typst'}"], warn)
            html_done.result()
        pdf = out_dir / _pdf_name(config.title)
        _compile_typst(typst_source, pdf, out_dir)
    return RenderResult(renderer=PREVIEW, renderer_label=label, html_index=html_index, pdf=pdf,
                        out_dir=out_dir, warnings=list(warn), versions=made_by)
