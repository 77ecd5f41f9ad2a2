"""The preview renderer's reading of the book: each chapter as the Markdown Quarto would give
pandoc, for the features of docs/quarto-subset.md (anything else is refused or dropped with a
warning, never guessed).

- ``.qmd``/``.md``: as written; YAML front matter gives only ``title``; ``{{< meta key >}}``
  is replaced by the book's metadata, other shortcodes and executable chunks are dropped with a
  warning.
- ``.ipynb`` (executed): Markdown cells verbatim; a code cell's source (without its ``#|``
  lines) in the HTML when ``echo`` is true, folded under ``code-summary`` ("Vis koden") when
  ``code-fold`` is true, and never where the format sets ``echo: false`` (the PDF); then its
  outputs: ``output: asis`` stdout and text results as raw Markdown (joined, as Quarto joins a
  cell's streams), other stdout and text as an output block, stderr as an output block unless
  ``warning: false``; ``output: false``/``include: false`` show nothing. Image and HTML
  outputs are outside the subset (the book's figures and tables are Markdown written by
  :mod:`indikatorer.report.publishing`): an error names the cell.

Options come from the cell, else the format's options in _quarto.yml (``format: html:`` /
``format: typst:``), else ``execute:``, else Quarto's defaults.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from indikatorer.core.errors import UserError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_SHORTCODE = re.compile(r"\{\{[<%]\s*(.*?)\s*[>%]\}\}")
_EXECUTABLE_FENCE = re.compile(r"^(`{3,})\s*\{([A-Za-z][\w-]*)[^}]*\}\s*$")
_CELL_OPTION = re.compile(r"^#\|\s?(.*)$")
H1 = re.compile(r"^#[ \t]+\S", re.MULTILINE)
SUBSET = "docs/quarto-subset.md"


class Warnings(list):
    """Warnings of one render: printed once as they come, returned in the RenderResult."""

    def __call__(self, message: str) -> None:
        if message in self:  # each chapter is read once per format
            return
        self.append(message)
        print(f"advarsel: {message}", file=sys.stderr)


def split_front_matter(text: str, where: str, warn: Warnings) -> tuple[dict, str]:
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
    if meta.get("title") and not H1.search(body):
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


def qmd_markdown(text: str, where: str, warn: Warnings, metadata: dict | None = None) -> str:
    meta, body = split_front_matter(text, where, warn)

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


def cell_options(source: str, where: str) -> tuple[dict, str]:
    """The ``#|`` options at the top of a code cell (YAML) and the code after them."""
    lines = source.splitlines()
    count = 0
    while count < len(lines) and _CELL_OPTION.match(lines[count]):
        count += 1
    if not count:
        return {}, source
    try:
        options = yaml.safe_load("\n".join(_CELL_OPTION.match(line).group(1) for line in lines[:count]))
    except yaml.YAMLError as exc:
        raise UserError(f"{where}: ugyldige celleopsjoner (#|): {exc}") from exc
    return (options if isinstance(options, dict) else {}), "\n".join(lines[count:]).strip("\n")


@dataclass
class NotebookContext:
    chapter: str  # e.g. "notebooks/01-arbeid.ipynb"
    fmt: str  # "html" | "typst"
    warn: Warnings
    defaults: dict = field(default_factory=dict)  # the format's options over `execute:` ones

    def option(self, options: dict, name: str, default=True):
        """A cell option, else the format's or `execute:` one, else Quarto's default."""
        return options.get(name, self.defaults.get(name, default))


def _code_markdown(code: str, options: dict, ctx: NotebookContext) -> str | None:
    """The cell's code as Quarto shows it: folded in a ``<details>`` with the summary text, or
    as it is; nothing when ``echo`` is false (the PDF) or there is no code."""
    if not code.strip() or ctx.option(options, "echo") is False:
        return None
    block = _fenced(code, " {.python .cell-code}")
    if ctx.option(options, "code-fold", False) is False or ctx.fmt != "html":
        return block
    summary = html.escape(str(ctx.option(options, "code-summary", "Kode")))
    return (f'```{{=html}}\n<details class="code-fold">\n<summary>{summary}</summary>\n```\n\n'
            f"{block}\n\n```{{=html}}\n</details>\n```")


def code_cell_markdown(cell, index: int, ctx: NotebookContext) -> list[str]:
    where = f"{ctx.chapter}, celle {index}"
    options, code = cell_options(_text(cell.get("source")), where)
    if ctx.option(options, "include") is False:
        return []
    chunks = [c for c in [_code_markdown(code, options, ctx)] if c]
    if ctx.option(options, "output") is False:
        return chunks
    asis = ctx.option(options, "output") == "asis"
    # Quarto joins a cell's stdout streams where the first one is (jupyter-fixups.ts: fixupStreams).
    stdout = "".join(_text(o.get("text")) for o in cell.get("outputs", [])
                     if o.get("output_type") == "stream" and o.get("name") == "stdout")
    for output in cell.get("outputs", []):
        kind, data = output.get("output_type"), output.get("data", {})
        if kind == "stream" and output.get("name") == "stdout":
            if stdout.strip():
                chunks.append(stdout if asis else _fenced(stdout, " {.cell-output}"))
            stdout = ""
        elif kind == "stream" and output.get("name") == "stderr":
            text = _text(output.get("text"))
            if ctx.option(options, "warning") is False or not text.strip():
                continue
            ctx.warn(f"{where}: stderr vises i boka, som i Quarto ({text.strip().splitlines()[0][:120]}); "
                     "#| warning: false i cellen tar den bort")
            chunks.append(_fenced(text, " {.cell-output .cell-output-stderr}"))
        elif kind in ("display_data", "execute_result"):
            if set(data) - {"text/markdown", "text/plain"}:
                raise UserError(f"{where}: utdata av typen {', '.join(sorted(set(data) - {'text/plain'}))} "
                                f"er utenfor Quarto-delmengden boka bruker ({SUBSET}); figurer og "
                                "tabeller skrives som Markdown")
            text = _text(data.get("text/markdown") or data.get("text/plain"))
            chunks.append(text if asis or "text/markdown" in data else _fenced(text, " {.cell-output}"))
        elif kind == "error":
            ctx.warn(f"{where}: feil i utdata er utelatt ({output.get('ename')}: {output.get('evalue')})")
    return chunks


def notebook_markdown(path: Path, ctx: NotebookContext) -> str:
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
                meta, rest = split_front_matter(source, ctx.chapter, ctx.warn)
                if rest.strip():
                    chunks.append(rest)
            elif source.strip():
                ctx.warn(f"{ctx.chapter}, celle {index}: rå celle er utelatt")
        elif cell.cell_type == "code":
            chunks.extend(code_cell_markdown(cell, index, ctx))
    return _with_title(meta, "\n\n".join(c.strip("\n") for c in chunks if c.strip()))


def chapter_markdown(project_dir: Path, chapter: str, fmt: str, warn: Warnings, defaults: dict,
                     metadata: dict | None = None) -> str:
    path = project_dir / chapter
    if path.suffix == ".ipynb":
        return notebook_markdown(path, NotebookContext(chapter, fmt, warn, dict(defaults)))
    if path.suffix in (".qmd", ".md"):
        return qmd_markdown(path.read_text(encoding="utf-8"), chapter, warn, metadata)
    raise UserError(f"{chapter}: forhåndsvisningen kan bare lese .qmd, .md og .ipynb")


def book_markdown(project_dir: Path, config, fmt: str, warn: Warnings) -> str:
    """All chapters of ``config`` (a render.BookConfig) as one document, each after a marker
    that crossref.lua reads."""
    defaults = {"code-summary": config.language.get("code-summary", "Kode"), **config.execute,
                **config.formats.get(fmt, {})}

    def marker(kind: str, chapter: str) -> str:
        folder = Path(chapter).parent.as_posix()
        return (f'::: {{.book-chapter kind="{kind}" dir="{"" if folder == "." else folder}" '
                f'file="{chapter}"}}\n:::')

    def chapter_parts(kind: str, chapter: str) -> list[str]:
        markdown = chapter_markdown(project_dir, chapter, fmt, warn, defaults, config.metadata)
        if kind != "front" and not H1.search(markdown):
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
