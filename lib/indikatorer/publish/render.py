"""Render the book: Quarto when it is on PATH, otherwise the pandoc + typst preview.

The build copies the book's sources into a staging project (executed notebooks included) and
calls `render_book(project_dir, out_dir)`.

Quarto (production) renders `_quarto.yml` as a book; its `_book/` is moved to `out_dir`.

The preview is a thin adapter over pandoc, not a second Quarto:
  * `_quarto.yml` gives the chapter order (chapters, then appendices), title, author, lang,
    bibliography and the `language:` words ("Figur", "Tabell", …).
  * Each chapter becomes Markdown: `.qmd`/`.md` as written (YAML front matter, shortcodes and
    executable chunks are dropped with a warning); `.ipynb` markdown cells verbatim, code never
    shown, and outputs as follows:
      - `#| output: false` or `#| include: false`: nothing;
      - `#| output: asis`: stdout and text outputs are raw Markdown (how figures and tables
        from `indikatorer.report.figures` arrive), joined as Quarto joins them (no blank line added);
      - image/png: a figure; with `#| label: fig-…` it is numbered, caption from `fig-cap`,
        alt text from `fig-alt` (an image with neither caption nor alt text is left out);
      - text/markdown: Markdown (with `#| label: tbl-…` and `tbl-cap` it becomes a numbered
        table); text/html: raw HTML in the HTML output (never numbered), its text/plain in
        the PDF;
      - other text: shown as an output block; stderr too (as Quarto shows it), unless
        `#| warning: false` (cell) or `execute: warning: false` (_quarto.yml); errors are
        left out with a warning.
    Global `execute:` options of _quarto.yml (`output`, `include`, `warning`) apply to cells
    that do not set them.
  * All chapters make ONE pandoc document per format. `resources/crossref.lua` numbers
    chapters, figures and tables Quarto-style and resolves @fig-/@tbl-/@sec- references;
    `--citeproc` resolves citations. Unknown references or citations are errors.
    `resources/conditional.lua` runs first and applies Quarto's conditional content
    (`.content-visible` / `.content-hidden` with `when-format` / `unless-format` on divs, spans
    and code blocks; "html" is the HTML, the PDF is "typst", as in Quarto's typst book), so the
    figures' local data and notebook links (web-only spans) are left out of the PDF.
    Callouts (`::: {.callout-note title="…"}`) become titled boxes (folded when
    `collapse="true"`). A link to a chapter's source file (`01-arbeid.ipynb`) becomes, in the
    HTML, a link to that chapter, as Quarto rewrites it into the chapter's page; the preview
    warns about it.
  * HTML: one `index.html` with a table of contents; the images and files it links to, and
    the files matching `project: resources:` in _quarto.yml, are copied next to it. PDF: pandoc writes typst, the `typst`
    package compiles it with its embedded fonts; table figures may break across pages
    (`resources/preview.typst`).
Which renderer made the book is said in the colophon (chapters/99-kolofon.qmd, from the
metadata the build adds: see indikatorer.build) and in the HTML's generator tag.
"""

from __future__ import annotations

import base64
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

import nbformat
import pypandoc
import typst
import yaml

from indikatorer.core.errors import UserError

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


def _preview_versions() -> str:
    return f"pandoc {pypandoc.get_pandoc_version()} og typst {typst.__version__}"


def renderer_label(renderer: str | None = None) -> str:
    """What renders the book, e.g. "Quarto 1.9.38" or "forhåndsvisning med pandoc … og typst …
    (Quarto ikke installert)": printed by the build and recorded in the manifest."""
    renderer = renderer or which_renderer()
    if renderer == QUARTO:
        return f"Quarto {_quarto_version()}"
    why = "Quarto ikke installert" if shutil.which("quarto") is None else "Quarto ikke brukt"
    return f"forhåndsvisning med {_preview_versions()} ({why})"


def renderer_statement(renderer: str | None = None) -> str:
    """The colophon's sentence on what made this copy of the book (the build writes it into
    the staged _quarto.yml as `kolofon-gjengitt`, see indikatorer.build)."""
    renderer = renderer or which_renderer()
    if renderer == QUARTO:
        return f"Boka er satt med {renderer_label(renderer)}."
    return (f"Denne utgaven er satt med forhåndsvisningen ({_preview_versions()}), fordi Quarto "
            "ikke var installert; produksjonsversjonen settes med Quarto og kan se litt annerledes ut.")


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
    )


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --- Preview: chapters to Markdown -----------------------------------------------------------


class _Warnings(list):
    """Warnings of one render: printed once as they come, returned in the RenderResult."""

    def __call__(self, message: str) -> None:
        if message in self:  # each chapter is read once per format
            return
        self.append(message)
        print(f"advarsel: {message}", file=sys.stderr)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_SHORTCODE = re.compile(r"\{\{[<%]\s*(.*?)\s*[>%]\}\}")
_EXECUTABLE_FENCE = re.compile(r"^(`{3,})\s*\{([A-Za-z][\w-]*)[^}]*\}\s*$")
_CELL_OPTION = re.compile(r"^#\|\s?(.*)$")
_H1 = re.compile(r"^#[ \t]+\S", re.MULTILINE)


def _split_front_matter(text: str, where: str, warn: _Warnings) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{where}: ugyldig YAML i front matter: {exc}") from exc
    if not isinstance(meta, dict):
        meta = {}
    ignored = sorted(k for k in meta if k != "title")
    if ignored:
        warn(f"{where}: forhåndsvisningen bruker bare title fra front matter; ignorerer {', '.join(ignored)}")
    return meta, text[match.end():]


def _with_title(meta: dict, body: str) -> str:
    """Quarto takes a chapter's title from front matter when there is no level-1 heading."""
    if meta.get("title") and not _H1.search(body):
        return f"# {meta['title']}\n\n{body}"
    return body


def _meta_value(metadata: dict, key: str, where: str) -> str:
    """Quarto's ``{{< meta key >}}``: a (dotted) key of the book's metadata, as text."""
    value = metadata
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise UserError(f"{where}: {{{{< meta {key} >}}}} finnes ikke i _quarto.yml")
        value = value[part]
    if isinstance(value, (dict, list)):
        raise UserError(f"{where}: {{{{< meta {key} >}}}} er ikke en tekst")
    return str(value)


def _qmd_markdown(text: str, where: str, warn: _Warnings, metadata: dict | None = None) -> str:
    meta, body = _split_front_matter(text, where, warn)

    def drop_shortcode(match: re.Match) -> str:
        words = match.group(1).split()
        if len(words) == 2 and words[0] == "meta":
            return _meta_value({**(metadata or {}), **meta}, words[1], where)
        warn(f"{where}: kortkoden {{{{< {match.group(1)} >}}}} støttes ikke i forhåndsvisningen; utelatt")
        return ""

    body = _SHORTCODE.sub(drop_shortcode, body)
    kept, fence = [], None
    for line in body.splitlines(keepends=True):
        if fence is None:
            opening = _EXECUTABLE_FENCE.match(line.rstrip("\n"))
            if opening:
                fence = opening.group(1)
                warn(f"{where}: kjørbar kodeblokk ({opening.group(2)}) er utelatt; boka kjører ikke kode")
                continue
            kept.append(line)
        elif line.strip() == fence:
            fence = None
    return _with_title(meta, "".join(kept))


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _fenced(text: str, info: str) -> str:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def _attribute(value: str) -> str:
    return '"' + " ".join(str(value).split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cell_options(source: str, where: str) -> dict:
    lines = []
    for line in source.splitlines():
        match = _CELL_OPTION.match(line)
        if not match:
            break
        lines.append(match.group(1))
    if not lines:
        return {}
    try:
        options = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        raise UserError(f"{where}: ugyldige celleopsjoner (#|): {exc}") from exc
    return options if isinstance(options, dict) else {}


@dataclass
class _NotebookContext:
    chapter: str  # e.g. "notebooks/01-arbeid.ipynb"
    fmt: str  # "html" | "typst"
    out_dir: Path
    warn: _Warnings
    execute: dict = field(default_factory=dict)  # global `execute:` options from _quarto.yml

    def option(self, options: dict, name: str, default=True):
        """A cell option, else the global `execute:` one, else Quarto's default."""
        return options.get(name, self.execute.get(name, default))

    @property
    def media_dir(self) -> str:
        """Extracted images, relative to the chapter's folder (as Quarto's `<stem>_files`)."""
        return f"{Path(self.chapter).stem}_files"

    def write_png(self, name: str, data: str) -> str:
        relative = f"{self.media_dir}/{name}"
        target = self.out_dir / Path(self.chapter).parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(data))
        return relative


def _image_markdown(path: str, options: dict, label: str | None, where: str, warn: _Warnings) -> str | None:
    caption = " ".join(str(options.get("fig-cap") or "").split())
    alt = options.get("fig-alt")
    attributes = []
    if label:
        if caption:
            attributes.append(f"#{label}")
        else:
            warn(f"{where}: {label} har ingen fig-cap og blir ikke nummerert")
    if alt:
        attributes.append(f"fig-alt={_attribute(alt)}")
    if not caption and not alt:
        warn(f"{where}: bilde uten fig-cap og fig-alt er utelatt (alle bilder skal ha alternativ tekst)")
        return None
    suffix = "{" + " ".join(attributes) + "}" if attributes else ""
    return f"![{caption}]({path}){suffix}"


def _with_table_caption(markdown: str, label: str, caption: str) -> str:
    """A Markdown table from a `#| label: tbl-…` cell gets Quarto's caption line."""
    return f"{markdown.rstrip()}\n\n: {' '.join(caption.split())} {{#{label}}}\n"


def _code_cell_markdown(cell, index: int, ctx: _NotebookContext) -> list[str]:
    where = f"{ctx.chapter}, celle {index}"
    options = _cell_options(_text(cell.get("source")), where)
    output_option = ctx.option(options, "output")
    if output_option is False or ctx.option(options, "include") is False:
        return []
    asis = output_option == "asis"
    label = str(options.get("label") or "")
    chunks: list[str] = []
    images = 0
    raw_stdout = False  # the last chunk is asis stdout: Quarto glues the next one to it
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            text = _text(output.get("text"))
            if output.get("name") == "stderr":
                if ctx.option(options, "warning") is False or not text.strip():
                    continue
                first = text.strip().splitlines()[0]
                ctx.warn(f"{where}: stderr vises i boka, som i Quarto ({first[:120]}); "
                         "#| warning: false i cellen tar den bort")
                chunks.append(_fenced(text, " {.cell-output .cell-output-stderr}"))
                raw_stdout = False
            elif asis and raw_stdout:
                chunks[-1] += text
            elif text.strip():
                chunks.append(text if asis else _fenced(text, " {.cell-output}"))
                raw_stdout = asis
            continue
        raw_stdout = False
        if kind in ("display_data", "execute_result"):
            data = output.get("data", {})
            if "image/png" in data:
                images += 1
                fig_label = label if label.startswith("fig-") and images == 1 else None
                if label.startswith("fig-") and images > 1:
                    ctx.warn(f"{where}: bare første bilde i {label} blir nummerert")
                name = f"{label}.png" if fig_label else f"celle-{index}-{images}.png"
                path = ctx.write_png(name, _text(data["image/png"]))
                markdown = _image_markdown(path, options, fig_label, where, ctx.warn)
                if markdown:
                    chunks.append(markdown)
            elif "text/markdown" in data:
                markdown = _text(data["text/markdown"])
                if label.startswith("tbl-") and options.get("tbl-cap"):
                    markdown = _with_table_caption(markdown, label, str(options["tbl-cap"]))
                chunks.append(markdown)
            elif "text/html" in data and ctx.fmt == "html":
                if label.startswith("tbl-"):
                    ctx.warn(f"{where}: {label} gir HTML; forhåndsvisningen nummererer bare Markdown-tabeller")
                chunks.append(_fenced(_text(data["text/html"]), "{=html}"))
            elif "text/plain" in data:
                text = _text(data["text/plain"])
                chunks.append(text if asis else _fenced(text, " {.cell-output}"))
        elif kind == "error":
            ctx.warn(f"{where}: feil i utdata er utelatt ({output.get('ename')}: {output.get('evalue')})")
    return chunks


def _notebook_markdown(path: Path, ctx: _NotebookContext) -> str:
    notebook = nbformat.read(path, as_version=4)
    meta: dict = {}
    chunks: list[str] = []
    for index, cell in enumerate(notebook.cells, start=1):
        source = _text(cell.get("source"))
        if cell.cell_type == "markdown":
            if cell.get("attachments"):
                ctx.warn(f"{ctx.chapter}, celle {index}: vedlegg i markdown-celler støttes ikke")
            chunks.append(source)
        elif cell.cell_type == "raw":
            if index == 1 and _FRONT_MATTER.match(source):
                meta, rest = _split_front_matter(source, ctx.chapter, ctx.warn)
                if rest.strip():
                    chunks.append(rest)
            elif source.strip():
                ctx.warn(f"{ctx.chapter}, celle {index}: rå celle er utelatt")
        elif cell.cell_type == "code":
            chunks.extend(_code_cell_markdown(cell, index, ctx))
    return _with_title(meta, "\n\n".join(c.strip("\n") for c in chunks if c.strip()))


def _chapter_markdown(project_dir: Path, chapter: str, fmt: str, out_dir: Path, warn: _Warnings,
                      execute: dict | None = None, metadata: dict | None = None) -> str:
    path = project_dir / chapter
    if path.suffix == ".ipynb":
        return _notebook_markdown(path, _NotebookContext(chapter, fmt, out_dir, warn, dict(execute or {})))
    if path.suffix in (".qmd", ".md"):
        return _qmd_markdown(path.read_text(encoding="utf-8"), chapter, warn, metadata)
    raise UserError(f"{chapter}: forhåndsvisningen kan bare lese .qmd, .md og .ipynb")


def _book_markdown(project_dir: Path, config: BookConfig, fmt: str, out_dir: Path, warn: _Warnings) -> str:
    """All chapters as one document, each after a marker that crossref.lua reads."""

    def marker(kind: str, chapter: str) -> str:
        folder = Path(chapter).parent.as_posix()
        return (f'::: {{.book-chapter kind="{kind}" dir="{"" if folder == "." else folder}" '
                f'file="{chapter}"}}\n:::')

    def chapter_parts(kind: str, chapter: str) -> list[str]:
        markdown = _chapter_markdown(project_dir, chapter, fmt, out_dir, warn, config.execute,
                                     config.metadata)
        if kind != "front" and not _H1.search(markdown):
            warn(f"{chapter}: mangler overskrift på nivå 1 (# Tittel) og får ikke kapittelnummer")
        return [marker(kind, chapter), markdown]

    parts = []
    for chapter in config.chapters:
        parts += chapter_parts("front" if Path(chapter).stem == "index" else "chapter", chapter)
    if config.appendices:
        title = config.language["section-title-appendices"]
        parts += [marker("front", ""), f"# {title} {{.unnumbered .appendices}}"]
    for chapter in config.appendices:
        parts += chapter_parts("appendix", chapter)
    return "\n\n".join(parts) + "\n"


# --- Preview: pandoc, resources, typst -------------------------------------------------------


def _run_pandoc(markdown: str, to: str, args: list[str], warn: _Warnings) -> str:
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


def _render_preview(project_dir: Path, out_dir: Path, config: BookConfig) -> RenderResult:
    warn = _Warnings()
    label = renderer_label(PREVIEW)
    out_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="indikatorer-render-") as tmp:
        metadata = {
            "title": config.title,
            "pagetitle": config.title,
            "author": config.authors,
            "lang": config.lang,
            "toc-title": config.language["toc-title-document"],
            "renderer-label": label,
            "link-citations": True,
            **config.language,
        }
        if config.subtitle:
            metadata["subtitle"] = config.subtitle
        metadata_file = Path(tmp) / "metadata.yml"
        metadata_file.write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
        common = [
            "--standalone",
            "--toc",
            "--toc-depth=2",
            f"--metadata-file={metadata_file}",
            f"--lua-filter={RESOURCES / 'conditional.lua'}",  # first: hidden content is gone
            f"--lua-filter={RESOURCES / 'crossref.lua'}",
            "--citeproc",
            *[f"--bibliography={project_dir / b}" for b in config.bibliography],
        ]

        html_markdown = _book_markdown(project_dir, config, "html", out_dir, warn)
        typst_markdown = _book_markdown(project_dir, config, "typst", out_dir, warn)
        html_args = [f"--template={RESOURCES / 'preview.html'}",
                     f"--include-in-header={RESOURCES / 'preview-style.html'}"]
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

    return RenderResult(
        renderer=PREVIEW,
        renderer_label=label,
        html_index=html_index,
        pdf=pdf,
        out_dir=out_dir,
        warnings=list(warn),
    )
