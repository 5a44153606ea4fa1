"""The web app (prolo_kb.web) through Starlette's TestClient and raw ASGI calls: no port.

The API must answer exactly what ``prolo-kb search --json`` prints, errors as JSON with
their status, pick up a rebuilt index without a failed request, serve only files inside
the site, send the security headers everywhere and keep queries out of the log.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

import httpx2 as httpx
import pytest
from kbfactory import SAMPLE_DOCS, faq, make_index
from starlette.testclient import TestClient

from prolo_kb import web, web_guard, web_server
from prolo_kb.cli import main as cli_main
from prolo_kb.errors import KBError
from prolo_kb.search import SearchEngine

T = TypeVar("T")
INLINE = "document.documentElement.dataset.mode = 'light';"
SECRET = "TOP-SECRET-OUTSIDE-THE-SITE"
XSS_DOC = faq("markup-in-content", "What about <script>alert('q')</script> tags?",
              "An answer with <img src=x onerror=alert(1)> markup & an ampersand.")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small built site, with a secret beside it and symlinks that lead out."""
    root = tmp_path / "html"
    (root / "_static").mkdir(parents=True)
    (root / "faq").mkdir()
    (root / "index.html").write_text(
        f"<!DOCTYPE html><html lang=en><head><script>{INLINE}</script>"
        "<script src=\"_static/app.js\"></script></head><body><h1>Home</h1></body></html>",
        encoding="utf-8")
    (root / "search.html").write_text("<!DOCTYPE html><title>Search</title>", encoding="utf-8")
    (root / "faq" / "index.html").write_text("<!DOCTYPE html><title>FAQ</title>",
                                             encoding="utf-8")
    (root / "_static" / "app.js").write_text("console.log('app');\n", encoding="utf-8")
    (root / "_static" / "kb.css").write_text("body { color: #222; }\n", encoding="utf-8")
    (root / ".buildinfo").write_text("config: abc\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "leakdir").symlink_to(outside, target_is_directory=True)
    (root / "inside.txt").symlink_to(root / "_static" / "app.js")
    return root


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return make_index(tmp_path / "index", docs=(*SAMPLE_DOCS, XSS_DOC))


@pytest.fixture
def client(index: Path, site: Path) -> TestClient:
    return TestClient(web.create_app(index, site))


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run in a thread of its own, whatever event loop the main thread runs (the
    browser tests' Playwright runs one while it is open)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(main()))
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def cli_json(capsys: pytest.CaptureFixture[str], index: Path, *args: str) -> Any:
    capsys.readouterr()
    cli_main(["search", "--json", "--index", str(index), *args])
    return json.loads(capsys.readouterr().out)


def raw_request(app: web_guard.ASGIApp, path: str, method: str = "GET",
                headers: list[tuple[bytes, bytes]] | None = None,
                query: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Call the ASGI app with exactly this path, percent-decoded as a server does: no
    client-side URL normalisation."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": unquote(path), "raw_path": path.encode("utf-8"),
        "query_string": query, "root_path": "", "headers": headers or [],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }
    status = 0
    response_headers: dict[str, str] = {}
    body = b""

    requested = False

    async def run() -> None:
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers.update((k.decode(), v.decode()) for k, v in message["headers"])
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    done.set()

        await asyncio.wait_for(app(scope, receive, send), timeout=10)

    run_async(run)
    return status, response_headers, body


def assert_security_headers(headers: Any) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers


# -- the API ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["how often are the injections"],
    ["fever and chills after the shot"],
    ["injection", "--topic", "side-effects", "--limit", "2"],
    ["injections", "--audience", "physician"],
    ["injektions"],  # corrected
])
def test_search_answers_what_the_cli_prints(client: TestClient, index: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            args: list[str]) -> None:
    params: dict[str, str] = {"q": args[0]}
    rest = iter(args[1:])
    for flag in rest:
        params[flag.removeprefix("--")] = next(rest)
    response = client.get("/api/search", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == cli_json(capsys, index, *args)


def test_search_finds_the_answer_first(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "how often are the injections"}).json()
    assert data["hits"][0]["id"] == "injection-interval"
    assert data["hits"][0]["answer"].startswith("Every four to six weeks")
    warned = client.get("/api/search", params={"q": "chills after my shot"}).json()
    assert warned["hits"][0]["id"] == "fever-after-injection"
    assert warned["hits"][0]["escalate"] is True
    assert warned["warning_signs"] == ["chills"]


@pytest.mark.parametrize(("params", "status", "words"), [
    ({}, 400, "nothing to search for"),
    ({"q": "injection", "limit": "ten"}, 400, "whole number"),
    ({"q": "injection", "limit": "0"}, 400, "limit must be between"),
    ({"q": "injection", "limit": "101"}, 400, "limit must be between"),
    ({"q": "injection", "topic": "astrology"}, 400, "unknown topic 'astrology'"),
    ({"q": "injection", "audience": "robots"}, 400, "unknown audience"),
    ({"q": "a" * 1001}, 400, "too long"),
])
def test_bad_queries_are_json_400(client: TestClient, params: dict[str, str], status: int,
                                  words: str) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status
    assert words in body["error"]
    assert "Traceback" not in response.text
    assert_security_headers(response.headers)


def test_an_overlong_address_is_414(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "pain " * 900})
    assert response.status_code == 414
    assert "too long" in response.json()["error"]


def test_only_get_and_head(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"):
        response = client.request(method, "/api/search?q=injection")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, HEAD"
        assert response.json()["status"] == 405
        assert client.request(method, "/index.html").status_code == 405
    head = client.head("/api/search?q=injection")
    assert head.status_code == 200
    assert head.content == b""
    assert client.head("/").status_code == 200


def test_request_bodies_are_refused(client: TestClient) -> None:
    response = client.request("GET", "/api/search?q=injection", content=b"x" * 100)
    assert response.status_code == 413
    assert "body" in response.json()["error"]


def test_unknown_api_path_is_json_404(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_health_tells_the_page_the_api_is_there(client: TestClient) -> None:
    data = client.get("/api/health").json()
    assert data["service"] == "prolo-kb"
    assert data["status"] == "ok"
    assert "side-effects" in data["topics"]
    assert data["audiences"] == ["patient", "physician", "staff"]


def test_missing_index_is_503_and_the_site_still_works(tmp_path: Path, site: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "INDEX_RETRY_SECONDS", 0.0)
    path = tmp_path / "later" / "index"
    client = TestClient(web.create_app(path, site))
    response = client.get("/api/search", params={"q": "injection"})
    assert response.status_code == 503
    assert "make build" in response.json()["error"]
    assert client.get("/api/health").status_code == 503
    assert client.get("/").status_code == 200
    make_index(path)  # built while the server runs: found without a restart
    assert client.get("/api/search", params={"q": "injection"}).status_code == 200


def test_a_rebuilt_index_is_picked_up_without_a_restart(client: TestClient,
                                                        index: Path) -> None:
    before = client.get("/api/search", params={"q": "acupuncture"}).json()
    assert not [h for h in before["hits"] if h["id"] == "acupuncture"]
    make_index(index, docs=(*SAMPLE_DOCS, faq("acupuncture", "Is this acupuncture?",
                                              "No. Acupuncture needles inject nothing.")))
    after = client.get("/api/search", params={"q": "acupuncture"}).json()
    assert after["hits"][0]["id"] == "acupuncture"


def test_many_searches_at_once_during_rebuilds_all_answer_correctly(index: Path,
                                                                   site: Path) -> None:
    queries = ["how often are the injections", "fever after injection", "ibuprofen",
               "tendinitis", "sugar water", "pain worse", "side effects", "numbness",
               "what is in the shot", "chronic tendonitis"]
    engine = SearchEngine(index)
    expected = {q: engine.search(q).to_json() for q in queries}
    app = web.create_app(index, site)
    stop = threading.Event()
    rebuilds = 0

    def rebuild() -> None:
        nonlocal rebuilds
        while not stop.is_set() and rebuilds < 6:
            make_index(index, docs=(*SAMPLE_DOCS, XSS_DOC))
            rebuilds += 1

    async def hammer() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kb") as http:
            calls = [http.get("/api/search", params={"q": queries[n % len(queries)]})
                     for n in range(300)]
            return list(await asyncio.gather(*calls))

    writer = threading.Thread(target=rebuild)
    writer.start()
    try:
        responses = run_async(hammer)
    finally:
        stop.set()
        writer.join()
    assert rebuilds >= 1
    for n, response in enumerate(responses):
        assert response.status_code == 200, response.text
        assert response.json() == expected[queries[n % len(queries)]]


# -- escaping -----------------------------------------------------------------------


def test_markup_in_content_comes_out_escaped(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "markup ampersand"}).json()
    hit = next(h for h in data["hits"] if h["id"] == "markup-in-content")
    assert "<img" not in hit["snippet"]
    assert "&lt;img" in hit["snippet"]
    assert re.sub(r"</?mark[^>]*>", "", hit["snippet"]).count("<") == 0


def test_markup_in_the_query_is_never_html(client: TestClient) -> None:
    q = "<script>alert(1)</script> injection"
    response = client.get("/api/search", params={"q": q})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["query"] == q  # data, for the page to show as text
    bad = client.get("/api/search", params={"q": "x", "topic": "<b>bold</b>"})
    assert bad.headers["content-type"] == "application/json"
    missing = client.get("/<script>alert(1)</script>.html")
    assert missing.status_code == 404
    assert "<script>" not in missing.text


# -- the site -----------------------------------------------------------------------


def test_pages_are_served_with_a_csp_that_allows_their_inline_scripts(
        client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = response.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(INLINE.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in csp
    assert_security_headers(response.headers)
    js = client.get("/_static/app.js")
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert js.headers["content-security-policy"] == web_guard.STRICT_CSP
    assert_security_headers(js.headers)


def test_folders_redirect_to_their_slash_then_serve_their_index(client: TestClient) -> None:
    response = client.get("/faq", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/faq/"
    assert client.get("/faq/").text.endswith("<title>FAQ</title>")


def test_unchanged_files_answer_304(client: TestClient) -> None:
    first = client.get("/_static/kb.css")
    again = client.get("/_static/kb.css", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    page = client.get("/search.html")
    assert client.get("/search.html",
                      headers={"if-none-match": page.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/../../secret.txt", "/faq/../../secret.txt", "/%2e%2e/secret.txt",
    "/..%2fsecret.txt", "/..\\secret.txt", "//secret.txt", "/leak.txt", "/leakdir/secret.txt",
    "/.buildinfo", "/%2ebuildinfo", "/_static/.", "/index.html%00.js",
    "/%252e%252e/secret.txt", "/etc/passwd", "//etc/passwd",
    str(Path("/").resolve() / "etc" / "passwd"),
])
def test_static_files_never_leave_the_site(site: Path, index: Path, path: str) -> None:
    app = web.create_app(index, site)
    status, headers, body = raw_request(app, path)
    assert status == 404, path
    assert SECRET.encode() not in body
    assert b"root:" not in body
    assert headers["x-content-type-options"] == "nosniff"


def test_symlinks_inside_the_site_are_fine(client: TestClient) -> None:
    assert client.get("/inside.txt").text == "console.log('app');\n"


# -- logging, errors ----------------------------------------------------------------


def test_queries_are_not_logged_by_default(index: Path, site: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="prolo_kb.web")
    TestClient(web.create_app(index, site)).get("/api/search",
                                               params={"q": "zebrafish injection"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /api/search 200" in logged
    assert "zebrafish" not in logged
    caplog.clear()
    TestClient(web.create_app(index, site, log_queries=True)).get(
        "/api/search", params={"q": "zebrafish injection"})
    assert "zebrafish" in "\n".join(r.getMessage() for r in caplog.records)


def test_an_internal_error_is_json_500_without_traceback_or_query(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(self: SearchEngine, query: str, **options: Any) -> Any:
        raise RuntimeError(f"boom while searching {query}")

    monkeypatch.setattr(SearchEngine, "search", broken)
    caplog.set_level(logging.INFO, logger="prolo_kb.web")
    response = TestClient(client.app, raise_server_exceptions=False).get(
        "/api/search", params={"q": "zebrafish"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error; the server log has the details",
                               "status": 500}
    assert_security_headers(response.headers)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    assert "zebrafish" not in logged


# -- serve() ------------------------------------------------------------------------


def test_serve_refuses_a_missing_site(tmp_path: Path, index: Path) -> None:
    with pytest.raises(KBError, match="make build"):
        web_server.serve(index=index, site=tmp_path / "nothing", port=0)


def test_a_busy_port_is_a_one_line_error(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """serve() refuses a taken port with one line, before uvicorn starts."""
    import uvicorn

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("uvicorn started on a port that is taken")

    monkeypatch.setattr(uvicorn.Server, "run", started)  # fail rather than serve forever
    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(KBError, match=f"cannot listen on 127.0.0.1:{port}"):
            web_server.serve(index=tmp_path / "index", site=tmp_path, port=port)


def test_the_displayed_url_is_one_to_open() -> None:
    assert web_server._display_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert web_server._display_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert web_server._display_url("::1", 9000) == "http://[::1]:9000/"


# -- typing: nothing searchable yet is an empty answer, not an error; compression -------


@pytest.mark.parametrize(("q", "words"), [
    ("   ", "Nothing to search for"),
    ("how is it", "common words"),
    ("?!", "Nothing to search for"),
])
def test_nothing_searchable_yet_is_an_empty_200(client: TestClient, q: str, words: str) -> None:
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 200
    body = response.json()
    assert body["hits"] == [] and body["total"] == 0 and body["query"] == q
    assert body["corrected"] is None and body["warning_signs"] == []
    assert words in body["message"]
    assert_security_headers(response.headers)


def test_pages_and_answers_are_compressed_when_the_browser_accepts_it(
        client: TestClient, site: Path) -> None:
    gzip = {"accept-encoding": "gzip"}
    (site / "big.html").write_text("<!DOCTYPE html><html><title>Big</title>"
                                   + "<p>prolotherapy</p>" * 500, encoding="utf-8")
    page = client.get("/big.html", headers=gzip)
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    assert int(page.headers["content-length"]) < 1000 and "<html" in page.text
    assert "content-security-policy" in page.headers
    answer = client.get("/api/search", params={"q": "injection"}, headers=gzip)
    assert answer.headers["content-encoding"] == "gzip" and answer.json()["hits"]
    plain = client.get("/api/search", params={"q": "injection"},
                       headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers


# --- Usage recording (prolo_kb.usage) and POST /api/event ------------------------------

SAME_ORIGIN = {"origin": "http://testserver", "sec-fetch-site": "same-origin",
               "content-type": "application/json"}


def usage_rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return list(conn.execute(f"SELECT * FROM {table} ORDER BY rowid"))


def _recording(app: web_guard.Guard) -> Any:
    kb = app.app.state.kb  # type: ignore[attr-defined]
    return kb.recorder


@pytest.fixture
def recording(index: Path, site: Path, tmp_path: Path) -> tuple[TestClient, Path]:
    db = tmp_path / "usage.db"
    return TestClient(web.create_app(index, site, usage_db=db)), db


def test_searches_and_events_are_recorded_without_patient_details(
        recording: tuple[TestClient, Path]) -> None:
    client, db = recording
    assert client.get("/api/health").json()["usage_recording"] is True
    said = "mrs kowalski dob 2/9/58 cell 617 555 0142 says fever after injection"
    answer = client.get("/api/search", params={"q": said})
    assert answer.status_code == 200 and answer.json()["hits"]
    top = answer.json()["hits"][0]["id"]
    event = client.post("/api/event", headers=SAME_ORIGIN,
                        json={"type": "copied", "id": top, "query": said})
    assert event.status_code == 204 and event.content == b""
    assert _recording(client.app).flush()  # type: ignore[arg-type]
    [search] = usage_rows(db, "searches")
    assert search[1] == "mrs … cell … says fever after injection"
    assert search[4] == top == "fever-after-injection"
    assert usage_rows(db, "events")[0][1:] == ("copied", top, search[1])
    raw = b"".join(p.read_bytes() for p in db.parent.glob("usage.db*"))
    assert b"kowalski" not in raw and b"0142" not in raw and b"2/9/58" not in raw


def test_without_usage_db_nothing_is_written(index: Path, site: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.rglob("*"))
    client = TestClient(web.create_app(index, site))
    assert client.get("/api/health").json()["usage_recording"] is False
    assert client.get("/api/search", params={"q": "fever"}).status_code == 200
    response = client.post("/api/event", headers=SAME_ORIGIN,
                           json={"type": "helpful", "id": "ibuprofen", "query": "ibuprofen"})
    assert response.status_code == 204  # accepted and ignored
    assert set(tmp_path.rglob("*")) == before


@pytest.mark.parametrize(("headers", "status"), [
    ({"origin": "https://evil.example", "sec-fetch-site": "cross-site"}, 403),
    ({"origin": "https://evil.example"}, 403),
    ({"origin": "http://testserver", "sec-fetch-site": "same-site"}, 403),
    ({"origin": "null"}, 403),
    ({}, 403),  # no Origin at all: not one of our pages
    ({"origin": "http://testserver", "content-type": "text/plain"}, 415),
])
def test_events_only_from_the_sites_own_pages(recording: tuple[TestClient, Path],
                                              headers: dict[str, str], status: int) -> None:
    client, db = recording
    response = client.post("/api/event", content=json.dumps(
        {"type": "copied", "id": "ibuprofen", "query": "ibuprofen"}),
        headers={"content-type": "application/json", **headers})
    assert response.status_code == status
    assert response.json()["status"] == status and "error" in response.json()
    assert_security_headers(response.headers)
    assert _recording(client.app).flush()  # type: ignore[arg-type]
    assert usage_rows(db, "events") == []


@pytest.mark.parametrize(("body", "status"), [
    (b'{"type": "copied", "id": "ibuprofen", "query": "' + b"x" * 3000 + b'"}', 413),
    (b'{"type": "printed", "id": "ibuprofen"}', 400),
    (b"not json", 400),
    (b'{"type": "copied", "id": "<img src=x>"}', 400),
])
def test_bad_or_big_events_are_4xx_json(recording: tuple[TestClient, Path], body: bytes,
                                       status: int) -> None:
    client, db = recording
    response = client.post("/api/event", content=body, headers=SAME_ORIGIN)
    assert response.status_code == status
    assert response.json()["status"] == status
    assert _recording(client.app).flush()  # type: ignore[arg-type]
    assert usage_rows(db, "events") == []


def test_a_streamed_event_without_length_is_refused(recording: tuple[TestClient, Path]) -> None:
    client, _ = recording
    status, _, body = raw_request(client.app, "/api/event", "POST", headers=[
        (b"host", b"testserver"), (b"origin", b"http://testserver"),
        (b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")])
    assert status == 411 and b"Content-Length" in body


def test_events_are_rate_limited(recording: tuple[TestClient, Path]) -> None:
    client, _ = recording
    statuses = [client.post("/api/event", headers=SAME_ORIGIN,
                            json={"type": "opened", "id": "ibuprofen", "query": "q"}).status_code
                for _ in range(web.EVENT_BURST + 50)]
    assert statuses[:web.EVENT_BURST] == [204] * web.EVENT_BURST
    assert 429 in statuses  # far faster than EVENT_RATE a second: the bucket runs dry


def test_other_routes_stay_get_only(recording: tuple[TestClient, Path]) -> None:
    client, _ = recording
    for path in ("/api/search?q=fever", "/api/health", "/index.html"):
        response = client.post(path, headers=SAME_ORIGIN, content=b"{}")
        assert response.status_code in (405, 413), path
    assert client.post("/api/search?q=fever", headers=SAME_ORIGIN).status_code == 405
    assert client.get("/api/event").status_code in (404, 405)


def test_a_broken_usage_file_never_breaks_search(
        index: Path, site: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="prolo_kb.web")
    db = tmp_path / "usage.db"
    db.write_bytes(b"garbage, not SQLite " * 200)
    client = TestClient(web.create_app(index, site, usage_db=db))
    for q in ("fever after injection", "how often are the injections", "dextrose"):
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 200 and response.json()["hits"]
    event = client.post("/api/event", headers=SAME_ORIGIN,
                        json={"type": "copied", "id": "ibuprofen", "query": "ibuprofen"})
    assert event.status_code == 204
    assert _recording(client.app).flush()  # type: ignore[arg-type]
    failures = [r.getMessage() for r in caplog.records if r.name == "prolo_kb.web.usage"]
    assert len(failures) == 1 and "\n" not in failures[0]
    assert "fever" not in caplog.text and "dextrose" not in caplog.text


def test_eight_clients_searching_while_events_are_posted_lose_nothing(
        index: Path, site: Path, tmp_path: Path) -> None:
    """Eight clients at once: searches run in the server's worker threads while events
    arrive and the writer thread writes; every one of them is stored."""
    db = tmp_path / "usage.db"
    app = web.create_app(index, site, usage_db=db)
    queries = ["fever after injection", "how often are the injections", "dextrose",
               "ibuprofen after injection"]
    headers = {**SAME_ORIGIN, "origin": "http://kb"}

    async def client(n: int, http: httpx.AsyncClient) -> list[int]:
        statuses = []
        for i in range(6):
            q = queries[(n + i) % len(queries)]
            statuses.append((await http.get("/api/search", params={"q": q})).status_code)
            posted = await http.post("/api/event", headers=headers,
                                     json={"type": "opened", "id": "ibuprofen", "query": q})
            statuses.append(posted.status_code)
        return statuses

    async def run() -> list[list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kb") as http:
            return list(await asyncio.gather(*(client(n, http) for n in range(8))))

    results = run_async(run)
    assert all(status in (200, 204) for statuses in results for status in statuses)
    assert _recording(app).flush()
    assert len(usage_rows(db, "searches")) == 48
    assert len(usage_rows(db, "events")) == 48


def test_serve_takes_the_usage_db_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index: Path, site: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(**options: Any) -> int:
        seen.update(options)
        return 0

    monkeypatch.setattr(web_server, "serve", fake_serve)
    monkeypatch.setenv("PROLO_KB_USAGE_DB", str(tmp_path / "env.db"))
    assert cli_main(["serve", "--index", str(index), "--site", str(site)]) == 0
    assert str(seen["usage_db"]) == str(tmp_path / "env.db")
    assert cli_main(["serve", "--index", str(index), "--site", str(site),
                     "--usage-db", str(tmp_path / "flag.db")]) == 0
    assert str(seen["usage_db"]) == str(tmp_path / "flag.db")
    monkeypatch.delenv("PROLO_KB_USAGE_DB")
    assert cli_main(["serve", "--index", str(index), "--site", str(site)]) == 0
    assert seen["usage_db"] is None


def test_serve_refuses_a_usage_db_in_a_missing_folder(tmp_path: Path, index: Path,
                                                      site: Path) -> None:
    with pytest.raises(KBError, match="folder does not exist"):
        web_server.serve(index=index, site=site, port=0, usage_db=tmp_path / "nope" / "u.db")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stopped_server_writes_what_it_had_queued(index: Path, site: Path, tmp_path: Path,
                                                    workers: int) -> None:
    """SIGTERM (how a service manager stops it): every answered search reaches the file,
    although uvicorn ends the process by raising the signal again."""
    import os
    import signal
    import subprocess
    import sys

    db = tmp_path / "usage.db"
    server = subprocess.Popen(
        [sys.executable, "-m", "prolo_kb.cli", "serve", "--port", "0", "--index", str(index),
         "--site", str(site), "--workers", str(workers), "--usage-db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert server.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline())
        assert url is not None
        answered = 0
        with httpx.Client(base_url=url.group(0), timeout=10) as http:
            for _attempt in range(200):  # the workers may take a moment to start
                try:
                    http.get("/api/health")
                    break
                except httpx.TransportError:
                    threading.Event().wait(0.1)
            for n in range(40):
                response = http.get("/api/search", params={"q": f"fever after injection {n}"})
                answered += response.status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert answered == 40
    assert len(usage_rows(db, "searches")) == 40
