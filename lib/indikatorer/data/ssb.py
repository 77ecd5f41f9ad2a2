"""SSB's PxWebApi v2 client (HTTP, throttling, retries, splitting); parsing is in
:mod:`indikatorer.data.jsonstat`, queries in :mod:`indikatorer.data.pxquery`.

API: https://data.ssb.no/api/pxwebapi/v2 (OpenAPI spec: PxTools/PxApiSpecs, PxAPI-2.yml).

* Metadata: ``GET /tables/{id}/metadata?lang=no&outputFormat=json-stat2``.
* Data: ``POST /tables/{id}/data?lang=no&outputFormat=json-stat2`` with the body
  ``{"selection": [{"variableCode": "Tid", "valueCodes": ["top(5)"]}, ...]}``.
  We use POST rather than GET with ``valueCodes[...]``: after splitting a large query the
  code lists are long, and a body has no URL-length limit and no comma escaping. The spec
  documents the same selection for both.

Limits (SSB's user guide, https://www.ssb.no/api/api-mot-statistikkbanken--brukerveiledning:
"Grensene per uttrekk er 800.000 dataceller, og antall spørringer er for tiden 30 per minutt.
Grensen er per ip-adresse"; also https://data.ssb.no/api/pxwebapi/v2/config): at most
800,000 cells per request and 30 requests per 60 seconds per IP address. We throttle to that,
split larger queries, and retry 429/5xx within a bounded time.

Query values may be codes, labels (resolved against the table's metadata) or PxWebApi
selection expressions (``*``, ``?``, ``top(n[,offset])``, ``bottom(n[,offset])``,
``from(c)``, ``to(c)``, ``range(a,b)``), which are sent through unchanged unless the query has
to be split.
"""

from __future__ import annotations

import collections
import email.utils
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit

import pandas as pd
import requests

from indikatorer.core import vocab
from indikatorer.core.errors import UserError
from indikatorer.data.jsonstat import JsonStatError, dataset_shape, load_json, parse_jsonstat
from indikatorer.data.pxquery import check_response, resolve_query, selection_body, split_selection

DEFAULT_BASE_URL = "https://data.ssb.no/api/pxwebapi/v2"
# SSB's documented limits (see module docstring for the source).
MAX_CELLS = 800_000
MAX_CALLS = 30
TIME_WINDOW = 60.0

STATUS_BY_SYMBOL = vocab.STATUS_BY_SYMBOL  # SSB's symbols → our statuses (core.vocab)


class SsbApiError(UserError):
    """The API could not be reached or answered with an error."""


class SsbUnreachable(SsbApiError):
    """The API's host refused the connection, is unknown, or stays silent: every further request
    would fail the same way, so the whole fetch stops."""


# --------------------------------------------------------------------------- HTTP client


class Throttle:
    """At most ``max_calls`` calls in any ``period`` seconds (a sliding window)."""

    def __init__(self, max_calls: int = MAX_CALLS, period: float = TIME_WINDOW,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.max_calls, self.period = max_calls, period
        self.clock, self.sleep = clock, sleep
        self.calls: collections.deque[float] = collections.deque()

    def wait(self) -> None:
        """Block until one more call fits in the window, then record it."""
        now = self.clock()
        while self.calls and now - self.calls[0] >= self.period:
            self.calls.popleft()
        if len(self.calls) >= self.max_calls:
            self.sleep(self.period - (now - self.calls[0]))
            self.calls.popleft()
            now = self.clock()
        self.calls.append(now)


@dataclass(frozen=True)
class RawResponse:
    """One API response exactly as received, with the request that produced it."""

    url: str
    method: str
    body: dict | None
    content: bytes
    fetched_at: str  # ISO 8601, UTC


def _user_agent() -> str:
    try:
        from importlib.metadata import version

        v = version("indikatorer")
    except Exception:  # not installed (e.g. running from a source tree)
        v = "dev"
    return f"indikatorer/{v} (Indikatorer for integrering; python-requests/{requests.__version__})"


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _html_page(resp: requests.Response) -> str | None:
    """'an HTML page («title»)' when the body is a web page (e.g. a maintenance notice), else None."""
    content_type = resp.headers.get("Content-Type", "").lower()
    start = resp.content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if "html" not in content_type and not start.startswith((b"<!doctype html", b"<html")):
        return None
    title = _HTML_TITLE.search(resp.content[:65536])
    text = " ".join(title.group(1).decode("utf-8", "replace").split()) if title else ""
    return f"an HTML page{f' («{text[:80]}»)' if text else ''} instead of JSON"


def _problem(resp: requests.Response) -> str:
    """The title/detail of an RFC 7807 problem body, or the start of the body."""
    html = _html_page(resp)
    if html:
        return html
    try:
        doc = resp.json()
        return "; ".join(str(doc[k]) for k in ("title", "detail") if doc.get(k)) or resp.text[:200]
    except (ValueError, TypeError, AttributeError):
        return resp.text[:200]


def _cannot_connect(exc: BaseException) -> bool:
    """True when no connection was made at all: refused, unknown host, or connect timeout."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, (requests.ConnectTimeout, NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)):
            return True
        if isinstance(e, BaseException):
            stack += [getattr(e, "reason", None), e.__cause__, e.__context__, *e.args]
    return False


class SsbClient:
    """PxWebApi v2 client: throttled, retrying, splitting large queries.

    base_url: constructor argument, else $SSB_API_URL, else SSB's.
    timeout: seconds per request. retries: further attempts of a request after 429, 5xx, an
    HTML page in place of JSON or a connection dropped midway, within ``max_total_time``
    seconds since its first attempt. A host that cannot be reached (refused, unknown, or no
    answer within ``timeout``) gets one retry, then SsbUnreachable stops the whole fetch.
    """

    def __init__(self, base_url: str | None = None, *, lang: str = "no", timeout: float = 30.0,
                 retries: int = 5, max_total_time: float = 120.0, backoff: float = 1.0,
                 max_cells: int = MAX_CELLS, throttle: Throttle | None = None,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if timeout <= 0 or retries < 0:
            raise SsbApiError(f"timeout must be above 0 s and retries at least 0 (got {timeout:g}, {retries})")
        self.base_url = (base_url or os.environ.get("SSB_API_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.lang, self.timeout, self.retries, self.max_total_time = lang, timeout, retries, max_total_time
        self.backoff, self.max_cells = backoff, max_cells
        self.clock, self.sleep = clock, sleep
        self.throttle = throttle or Throttle(clock=clock, sleep=sleep)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = _user_agent()
        self._metadata: dict[str, dict] = {}

    def _url(self, table: str, endpoint: str) -> str:
        return f"{self.base_url}/tables/{table}/{endpoint}?lang={self.lang}&outputFormat=json-stat2"

    def data_url(self, table: str) -> str:
        """Where data POSTs for ``table`` go."""
        return self._url(table, "data")

    def get_url(self, table: str, selection: Mapping[str, Sequence[str]]) -> str:
        """The GET form of a data request (PxWebApi 2's ``valueCodes[dim]=a,b``), for people to
        read and try; the client itself POSTs the same selection."""
        from urllib.parse import quote

        params = "".join(f"&valueCodes[{quote(str(dim))}]={','.join(quote(str(c), safe='()*?') for c in codes)}"
                         for dim, codes in selection.items())
        return self._url(table, "data") + params

    def request(self, method: str, url: str, body: dict | None = None) -> RawResponse:
        """One API call with throttling and retries (see the class docstring)."""
        start = self.clock()
        attempt = 0
        host = urlsplit(url).netloc or url
        while True:
            self.throttle.wait()
            retry_after = None
            unreachable = False
            try:
                resp = self.session.request(method, url, json=body, timeout=self.timeout)
            except requests.Timeout as exc:
                unreachable = True
                failure = (f"no connection within {self.timeout:g} s" if _cannot_connect(exc)
                           else f"no answer within {self.timeout:g} s")
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                if _cannot_connect(exc):
                    unreachable = True
                    failure = "connection refused or host unknown"
                else:
                    failure = f"connection dropped or body cut short ({type(exc).__name__})"
            except requests.RequestException as exc:  # e.g. a malformed --api-url: retrying cannot help
                raise SsbApiError(f"{method} {url}: {exc}") from exc
            else:
                html = _html_page(resp)
                if resp.status_code == 200 and not html:
                    fetched_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    return RawResponse(url, method, body, resp.content, fetched_at)
                if resp.status_code != 429 and resp.status_code < 500 and not (resp.status_code == 200 and html):
                    hint = " (too many cells?)" if resp.status_code == 403 else ""
                    raise SsbApiError(f"{method} {url}: HTTP {resp.status_code}{hint}: {_problem(resp)}")
                failure = f"HTTP {resp.status_code}" + (f", {html}" if html else "")
                retry_after = _retry_after(resp.headers.get("Retry-After"), datetime.now(timezone.utc))
            delay = retry_after if retry_after is not None else self.backoff * 2 ** attempt
            elapsed = self.clock() - start
            allowed = min(self.retries, 1) if unreachable else self.retries
            if attempt >= allowed or elapsed + delay > self.max_total_time:
                if unreachable:
                    raise SsbUnreachable(f"cannot reach {host}: {failure} ({attempt + 1} attempt(s); "
                                         f"{method} {url})")
                raise SsbApiError(f"{method} {url}: gave up after {attempt + 1} attempt(s) in "
                                  f"{elapsed:.0f} s (limit {self.retries} retries, {self.max_total_time:g} s); "
                                  f"last: {failure}")
            self.sleep(delay)
            attempt += 1

    def metadata(self, table: str) -> dict:
        """The table's JSON-stat2 metadata (cached per client)."""
        if table not in self._metadata:
            raw = self.request("GET", self._url(table, "metadata"))
            source = f"metadata for table {table}"
            doc = load_json(raw.content, source=source)
            try:
                dataset_shape(doc, source)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise JsonStatError(f"{source}: malformed JSON-stat2 ({type(exc).__name__}: {exc})") from exc
            self._metadata[table] = doc
        return self._metadata[table]

    def plan(self, table: str, query: Mapping[str, Any]) -> list[dict[str, list[str]]]:
        """The selections (one per request) that fetch ``query`` within the cell limit."""
        meta = self.metadata(table)
        return split_selection(meta, resolve_query(meta, query), self.max_cells)

    def _fetch(self, table: str, query: Mapping[str, Any]) -> list[tuple[RawResponse, pd.DataFrame]]:
        parts = []
        meta = self.metadata(table)
        for selection in self.plan(table, query):
            raw = self.request("POST", self._url(table, "data"), selection_body(selection))
            source = f"table {table} data from {raw.url}"
            doc = load_json(raw.content, source=source)
            frame = parse_jsonstat(doc, source=source)  # well-formed first, then the right answer
            check_response(table, meta, selection, doc, source=source)
            parts.append((raw, frame))
        return parts

    def fetch_raw(self, table: str, query: Mapping[str, Any]) -> list[RawResponse]:
        """Every response for ``query``, each checked to be a well-formed JSON-stat2 dataset that
        answers the selection sent (dimensions, codes, number of cells)."""
        return [raw for raw, _ in self._fetch(table, query)]

    def fetch(self, table: str, query: Mapping[str, Any]) -> pd.DataFrame:
        """The query's data as one tidy DataFrame (see parse_jsonstat)."""
        return pd.concat([frame for _, frame in self._fetch(table, query)], ignore_index=True)
