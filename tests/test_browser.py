"""Universal design, tested in a real browser (forskrift om universell utforming av
IKT-løsninger: WCAG 2.1 AA).

Every HTML page of the built book is loaded in headless Chromium, at 1280 px (a desktop) and at
390 px (a phone), and checked:

* axe-core (npm) with the WCAG 2.0/2.1 A and AA rules (tags wcag2a, wcag2aa, wcag21a,
  wcag21aa): no serious or critical violation;
* no page scrolls sideways (the document is never wider than the window);
* no table is wider than its container: a table either fits the block it sits in, or sits in a
  block that scrolls sideways by itself and fits the page.

Chromium is driven through its DevTools protocol (a websocket, `websocket-client`); the pages
are served over HTTP on 127.0.0.1 as a web server would serve them.

Needs Debian's `chromium` and axe-core installed with `make browser-deps` (.ci/run does both).
Without them the tests are skipped with the reason, except in CI (CI=true), where they fail.
Set INDIKATORER_CHROMIUM / INDIKATORER_AXE to use other copies, INDIKATORER_BUILT_BOOK to
audit an already built _book/<year> (e.g. one rendered by Quarto) instead of building one.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from indikatorer.core import paths

pytestmark = pytest.mark.slow

WIDTHS = (1280, 390)
HEIGHT = 900
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
AXE_FILE = paths.PROJECT_ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT = 300  # seconds for one DevTools call (axe on the one-page preview book takes a while)


def _missing(what: str) -> None:
    message = f"{what} (install with `make browser-deps`; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {message}")
    pytest.skip(message)


def _chromium() -> str:
    found = os.environ.get("INDIKATORER_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not found:
        _missing("Chromium is not installed")
    return found


def _axe_source() -> str:
    path = Path(os.environ.get("INDIKATORER_AXE") or AXE_FILE)
    if not path.is_file():
        _missing(f"axe-core is not installed ({path} not found)")
    return path.read_text(encoding="utf-8")


class DevTools:
    """A minimal client of Chromium's DevTools protocol over one page's websocket."""

    def __init__(self, url: str):
        import websocket  # websocket-client

        self._socket = websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True)
        self._next = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self._next += 1
        self._socket.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str) -> dict:
        for i, message in enumerate(self.events):
            if message.get("method") == event:
                return self.events.pop(i)
        while True:
            message = json.loads(self._socket.recv())
            if message.get("method") == event:
                return message
            self.events.append(message)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self._socket.close()


@contextlib.contextmanager
def _served(folder: Path):
    """The book over HTTP on 127.0.0.1 (an ephemeral port), quietly."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def _chromium_page(binary: str):
    """Headless Chromium with remote debugging on an ephemeral port; yields one page."""
    # Chromium's helper processes (crashpad, renderers) may outlive the main one and keep writing
    # into the profile: run them in their own process group and end the whole group.
    with tempfile.TemporaryDirectory(prefix="indikatorer-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.is_file() and port_file.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Chromium did not start its DevTools endpoint")
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                targets = json.load(r)
            page = next(t for t in targets if t.get("type") == "page")
            client = DevTools(page["webSocketDebuggerUrl"])
            try:
                client.call("Page.enable")
                yield client
            finally:
                client.close()
        finally:
            _end_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            _end_group(proc, signal.SIGKILL)
            proc.wait()


def _end_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:  # the whole group has already gone
        pass


# The layout checks, run in the page: sideways scrolling and tables wider than their container.
LAYOUT_SCRIPT = r"""
(() => {
  const doc = document.documentElement;
  const problems = [];
  const scrolls = e => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX);
  if (doc.scrollWidth > doc.clientWidth + 1) {
    const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
                             if (scrolls(a)) return true; return false; };
    const wide = [...document.body.querySelectorAll('*')]
      .filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1 && !clipped(e))
      .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                          (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''));
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide in a ${doc.clientWidth} px window (${wide.join(', ')})`);
  }
  document.querySelectorAll('table').forEach((table, i) => {
    const name = table.id || (table.querySelector('caption') || {}).textContent || `table ${i + 1}`;
    let block = table.parentElement;
    while (block && block !== document.body && !scrolls(block)) block = block.parentElement;
    if (block && block !== document.body) {
      const box = block.getBoundingClientRect();
      if (box.right > doc.clientWidth + 1 || box.left < -1)
        problems.push(`the scrolling block of ${name.slice(0, 60)} is wider than the page`);
    } else if (table.getBoundingClientRect().width > table.parentElement.clientWidth + 1) {
      problems.push(`${name.slice(0, 60)} is ${Math.round(table.getBoundingClientRect().width)} px, ` +
                    `wider than its container (${table.parentElement.clientWidth} px)`);
    }
  });
  return {problems, tables: document.querySelectorAll('table').length};
})()
"""

AXE_SCRIPT = """
axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.length,
                                     targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))
""" % json.dumps(AXE_TAGS)


@pytest.fixture(scope="module")
def book_dir(request) -> Path:
    """The built book: INDIKATORER_BUILT_BOOK (an existing _book/<year>), else a fresh build."""
    if os.environ.get("INDIKATORER_BUILT_BOOK"):
        return Path(os.environ["INDIKATORER_BUILT_BOOK"])
    return request.getfixturevalue("real_edition").edition_dir


@pytest.fixture(scope="module")
def audit(book_dir):
    """{(page, width): (axe violations, layout result)} for every HTML page of the book."""
    binary, axe = _chromium(), _axe_source()
    book = book_dir
    pages = sorted(p.relative_to(book).as_posix() for p in book.rglob("*.html"))
    assert pages, f"no HTML pages in {book}"
    results = {}
    with _served(book) as base, _chromium_page(binary) as page:
        for width in WIDTHS:
            page.call("Emulation.setDeviceMetricsOverride", width=width, height=HEIGHT,
                      deviceScaleFactor=1, mobile=width < 600)
            for name in pages:
                page.events.clear()
                page.call("Page.navigate", url=f"{base}/{name}")
                page.wait_for("Page.loadEventFired")
                page.evaluate(axe)
                results[(name, width)] = (page.evaluate(AXE_SCRIPT), page.evaluate(LAYOUT_SCRIPT))
    return results


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_or_critical_wcag_violation(audit, width):
    failures = []
    for (name, w), (violations, _) in sorted(audit.items()):
        if w != width:
            continue
        for v in violations:
            if v["impact"] in FAILING_IMPACTS:
                failures.append(f"{name} @ {w}px: {v['id']} ({v['impact']}, {v['nodes']} nodes): "
                                f"{v['help']} — e.g. {v['targets']}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_sideways_scrolling_and_no_table_wider_than_its_container(audit, width):
    failures, tables = [], 0
    for (name, w), (_, layout) in sorted(audit.items()):
        if w == width:
            failures += [f"{name} @ {w}px: {p}" for p in layout["problems"]]
            tables += layout["tables"]
    assert tables > 10, "expected the book's tables on its pages"
    assert not failures, "\n".join(failures)
