"""A tiny PxWebApi stand-in for tests: a threaded HTTP server on 127.0.0.1 serving canned
replies per (method, path), recording every request. Real HTTP, no mocks of requests.

Also: FakeClock (clock + sleep that only advances virtual time) and a cube responder that
answers data POSTs from a full synthetic cube, so split queries can be checked end to end.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "pxweb"
API_PATH = "/api/pxwebapi/v2"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    truncate: int | None = None  # send only this many body bytes; Content-Length still says all
    drop: bool = False  # close the connection without any answer

    def payload(self) -> bytes:
        if isinstance(self.body, dict):
            return json.dumps(self.body, ensure_ascii=False).encode("utf-8")
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict | None


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def _serve(self):
        app: PxWebServer = self.server.app  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        record = Recorded(self.command, parts.path, parse_qs(parts.query), dict(self.headers), body)
        app.requests.append(record)
        reply = app.reply_for(record)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        payload = reply.payload()
        self.send_response(reply.status)
        headers = {"Content-Type": "application/json; charset=UTF-8", **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        try:
            self.end_headers()
            self.wfile.write(payload if reply.truncate is None else payload[: reply.truncate])
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (the timeout tests make it do so on purpose)
        self.close_connection = True

    do_GET = _serve
    do_POST = _serve


class PxWebServer:
    def __init__(self):
        self.routes: dict[tuple[str, str], list[Reply] | Callable[[Recorded], Reply]] = {}
        self.requests: list[Recorded] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a handler still sleeping must not hold up teardown
        self._httpd.app = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{API_PATH}"

    def route(self, method: str, endpoint: str, *replies: Reply | Callable[[Recorded], Reply]) -> None:
        """Replies to ``method API_PATH/endpoint`` in turn, the last one repeating;
        or one callable that builds each reply from the request."""
        key = (method, f"{API_PATH}/{endpoint}")
        self.routes[key] = replies[0] if len(replies) == 1 and callable(replies[0]) else list(replies)

    def reply_for(self, record: Recorded) -> Reply:
        replies = self.routes.get((record.method, record.path))
        if replies is None:
            return Reply(404, {"title": "Not found", "status": 404})
        if callable(replies):
            return replies(record)
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def hits(self, method: str, endpoint: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == f"{API_PATH}/{endpoint}"]

    def start(self) -> "PxWebServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def pxweb():
    server = PxWebServer().start()
    yield server
    server.stop()


class FakeClock:
    """A monotonic clock whose sleep only advances virtual time, recording each sleep."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def cube_responder(metadata: dict, value_of: Callable[[dict], float]) -> Callable[[Recorded], Reply]:
    """Answer data POSTs with the selected part of a full cube described by ``metadata``.

    Supports explicit codes and ``*`` only (the client must send anything else resolved);
    a dimension left out is answered with its first category, like an elimination value.
    """

    def respond(record: Recorded) -> Reply:
        chosen = {s["variableCode"]: s["valueCodes"] for s in record.body["selection"]}
        dims, sizes, dimension = [], [], {}
        for dim in metadata["id"]:
            cat = metadata["dimension"][dim]["category"]
            order = sorted(cat["index"], key=cat["index"].__getitem__)
            codes = chosen.get(dim, order[:1])
            codes = order if codes == ["*"] else codes
            unknown = [c for c in codes if c not in cat["index"]]
            if unknown:
                return Reply(400, {"title": "Bad Request", "detail": f"non-existent value {unknown}"})
            dims.append((dim, codes))
            sizes.append(len(codes))
            dimension[dim] = {"label": metadata["dimension"][dim]["label"],
                              "category": {"index": {c: i for i, c in enumerate(codes)},
                                           "label": {c: cat["label"][c] for c in codes}}}
        values = []
        for flat in range(math.prod(sizes)):
            cell, rest = {}, flat
            for dim, codes in reversed(dims):
                cell[dim] = codes[rest % len(codes)]
                rest //= len(codes)
            values.append(value_of(cell))
        doc = {"version": "2.0", "class": "dataset", "label": metadata["label"], "source": "Statistisk sentralbyrå",
               "updated": metadata["updated"], "id": [d for d, _ in dims], "size": sizes,
               "dimension": dimension, "value": values, "role": metadata.get("role", {})}
        return Reply(200, doc)

    return respond


def sample_metadata() -> dict:
    """A hand-made v2 metadata document shaped like SSB's: 3 × 3 × 1 × 10, time and
    ContentsCode roles, elimination flags, and the sex index stored out of key order."""
    years = [str(y) for y in range(2015, 2025)]
    return {
        "version": "2.0",
        "class": "dataset",
        "label": "00001: Sysselsatte (testtabell), etter landbakgrunn, kjønn, statistikkvariabel og år",
        "source": "Statistisk sentralbyrå",
        "updated": "2025-03-14T07:00:00Z",
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "id": ["Landbakgr", "Kjonn", "ContentsCode", "Tid"],
        "size": [3, 3, 1, len(years)],
        "dimension": {
            "Landbakgr": {"label": "landbakgrunn", "extension": {"elimination": True},
                          "category": {"index": {"000": 0, "EU-EFTA": 1, "AfrikaAsia": 2},
                                       "label": {"000": "Hele verden", "EU-EFTA": "EU/EFTA-land",
                                                 "AfrikaAsia": "Afrika, Asia mv."}}},
            "Kjonn": {"label": "kjønn", "extension": {"elimination": True},
                      "category": {"index": {"0": 0, "1": 2, "2": 1},
                                   "label": {"0": "Begge kjønn", "1": "Menn", "2": "Kvinner"}}},
            "ContentsCode": {"label": "statistikkvariabel", "extension": {"elimination": False},
                             "category": {"index": {"SysselsatteProsent": 0},
                                          "label": {"SysselsatteProsent": "Sysselsatte i prosent av befolkningen"},
                                          "unit": {"SysselsatteProsent": {"base": "prosent", "decimals": 1}}}},
            "Tid": {"label": "år", "extension": {"elimination": False},
                    "category": {"index": {y: i for i, y in enumerate(years)}, "label": {y: y for y in years}}},
        },
        "value": [],
    }


def sample_value(cell: dict) -> float:
    """A value that identifies its cell, so misplaced rows show up."""
    region = ["000", "EU-EFTA", "AfrikaAsia"].index(cell.get("Landbakgr", "000"))
    return int(cell["Tid"]) + region * 0.1 + int(cell.get("Kjonn", "0")) * 0.01
