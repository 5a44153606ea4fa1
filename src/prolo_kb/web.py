"""The web edge: the built site and a JSON search API from one ASGI app (Starlette),
run by uvicorn.

``GET /api/search?q=&limit=&topic=&audience=`` answers exactly what
``prolo-kb search --json`` prints (:meth:`SearchResult.to_json`); ``GET /api/health``
tells the search page that the API is there. Everything else is a file of the built site.

The app is stateless over the read-only index: every request first asks the engine to
pick up a rebuilt index (a cheap symlink compare); searches run in a worker thread (one
at a time per process: see ``SEARCH_THREADS``) so the event loop keeps serving files.
Errors are JSON with their status (400 a bad query, 503 no usable index, 404, 405, 413,
414, 500); no traceback reaches a client.

Safety rules, all enforced here: only GET and HEAD, no request bodies (except
``POST /api/event``: a small JSON body from the site's own pages, rate-limited); bounded URL and
query length; static files only from inside the site directory (no ``..``, no hidden
files, no symlink that leads out); security headers on every response, with a
Content-Security-Policy that allows the site's own scripts plus the exact hashes of the
inline scripts of the page being served; queries are not logged unless asked for.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import logging
import mimetypes
import os
import re
import socket
import stat
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from .errors import IndexUnavailable, KBError, QueryError
from .search import MAX_LIMIT, SearchEngine

if TYPE_CHECKING:
    from .usage import Recorder

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("prolo_kb.web")

SERVICE = "prolo-kb"
MAX_URL_BYTES = 4096  # path and query string together; longer is 414
DEFAULT_LIMIT = 10
ALLOWED_METHODS = ("GET", "HEAD")
# The one exception: the search page reports what staff did with an answer (usage
# recording, prolo_kb.usage): POST, a small JSON body, from the site's own pages only.
EVENT_PATH = "/api/event"
MAX_EVENT_BYTES = 2048
EVENT_RATE = 5.0  # events a second per client address, after a burst of EVENT_BURST
EVENT_BURST = 100
INDEX_RETRY_SECONDS = 1.0  # how often a missing or broken index is looked for again
ENV_CONFIG = "PROLO_KB_WEB_CONFIG"  # how `serve --workers N` hands options to workers
# Searching is pure Python under the GIL: more threads at once do not search faster, they
# slice each other's time and stretch every request. One at a time per process, first
# come first served, gives the same throughput and a much shorter tail; more CPU means
# more processes (serve --workers).
SEARCH_THREADS = 1

# Every response carries these. The query is in search page URLs: no Referer, ever.
BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# Responses that are not pages (JSON, CSS, JS, images) may do nothing at all.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Pages: their own files and the hashes of their inline scripts (added per page).
# Inline styles stay allowed: the theme's icon script injects a <style> element and
# style attributes, and CSS cannot run code.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".map": "application/json",
    ".inv": "application/octet-stream",
    ".pdf": "application/pdf",
}
# What typing produces on the way to a question (a blank box, only common words so far):
# answered 200 with no hits and a message, not as an error. Other QueryErrors (a bad
# limit, topic or audience, an overlong query) stay 400.
_NOTHING_TO_SEARCH = ("nothing to search for", "the query has only common words")
# Text files are sent compressed when the browser accepts it (the theme's CSS and JS are
# most of a first visit); small answers are not worth it.
GZIP_MINIMUM_BYTES = 500
GZIP_LEVEL = 6
_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_SRC_ATTR = re.compile(rb"\bsrc\s*=", re.I)


class HTTPError(Exception):
    """An error answered as JSON with its status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"error": message, "status": status}, ensure_ascii=False)
    response = Response(body, status_code=status, media_type="application/json",
                        headers=headers)
    response.headers["cache-control"] = "no-store"
    return response


class EngineHolder:
    """The search engine of one index path, opened when the index is there.

    A missing or broken index is not fatal: the site is still served, the API answers
    503 with the fix, and the index is looked for again (at most once a second).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine: SearchEngine | None = None
        self._lock = threading.Lock()
        self._error: IndexUnavailable | None = None
        self._retry_at = 0.0

    def get(self) -> SearchEngine:
        engine = self._engine
        if engine is not None:
            engine.reload_if_changed()
            return engine
        with self._lock:
            if self._engine is None:
                now = time.monotonic()
                if self._error is not None and now < self._retry_at:
                    raise self._error
                try:
                    self._engine = SearchEngine(self.path)
                except IndexUnavailable as exc:
                    self._error, self._retry_at = exc, now + INDEX_RETRY_SECONDS
                    raise
                self._error = None
            return self._engine


@dataclass(frozen=True)
class _Page:
    body: bytes
    csp: str


class SiteFiles:
    """Files of the built site, never anything outside it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._pages: dict[tuple[str, int, int, int], _Page] = {}
        self._lock = threading.Lock()

    def locate(self, path: str) -> tuple[str, os.stat_result] | str | None:
        """The real file for a URL path, a path to redirect to (a folder without its
        slash), or None when there is no such file inside the site."""
        if "\x00" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p]
        if any(p.startswith(".") for p in parts):  # "..", ".", hidden files
            return None
        root = os.path.realpath(self.root)
        real = os.path.realpath(os.path.join(root, *parts))
        if real != root and not real.startswith(root + os.sep):
            return None  # a symlink that leads out of the site
        try:
            info = os.stat(real)
        except (OSError, ValueError):
            return None
        if stat.S_ISDIR(info.st_mode):
            if path and not path.endswith("/"):
                return "/" + "/".join(parts) + "/"
            real = os.path.join(real, "index.html")
            try:
                info = os.stat(real)
            except OSError:
                return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return real, info

    def page(self, real: str, info: os.stat_result) -> _Page:
        """An HTML page and its CSP, cached until the file changes."""
        key = (real, info.st_mtime_ns, info.st_size, info.st_ino)
        page = self._pages.get(key)
        if page is None:
            with open(real, "rb") as handle:
                body = handle.read()
            page = _Page(body=body, csp=page_csp(body))
            with self._lock:
                if len(self._pages) > 4096:
                    self._pages.clear()
                self._pages[key] = page
        return page


def page_csp(html: bytes) -> str:
    """The page CSP allowing exactly this page's inline scripts."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        if _SRC_ATTR.search(match.group(1)):
            continue
        digest = base64.b64encode(hashlib.sha256(match.group(2)).digest()).decode("ascii")
        token = f" 'sha256-{digest}'"
        if token not in hashes:
            hashes.append(token)
    return PAGE_CSP.format(hashes="".join(hashes))


def _content_type(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    known = TYPES.get(suffix)
    if known:
        return known
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _etag(info: os.stat_result) -> str:
    return f'"{info.st_mtime_ns:x}-{info.st_size:x}"'


def _not_modified(request: Request, etag: str) -> bool:
    match = request.headers.get("if-none-match")
    if not match:
        return False
    return etag in {tag.strip().removeprefix("W/") for tag in match.split(",")} or match == "*"


class KB:
    """The endpoints, over one index and one site directory."""

    def __init__(self, index: Path, site: Path, recorder: Recorder | None = None) -> None:
        self.engines = EngineHolder(index)
        self.files = SiteFiles(site)
        self.search_limiter = anyio.CapacityLimiter(SEARCH_THREADS)
        self.recorder = recorder  # None: usage recording is off, nothing is written
        self.event_limiter = RateLimiter(EVENT_RATE, EVENT_BURST)

    # -- API ------------------------------------------------------------------------

    def _search(self, q: str, limit: int, topic: str | None, audience: str | None) -> bytes:
        result = self.engines.get().search(q, limit=limit, topic=topic, audience=audience)
        data = result.to_json()
        if self.recorder is not None:
            self.recorder.record_search(q, data)  # a queue put: never waits for SQLite
        return json.dumps(data, ensure_ascii=False).encode("utf-8")

    async def search(self, request: Request) -> Response:
        params = request.query_params
        q = params.get("q")
        if q is None:
            raise HTTPError(400, "nothing to search for: give a question in the q parameter, "
                                 "e.g. /api/search?q=how+often+are+the+injections")
        raw_limit = params.get("limit") or str(DEFAULT_LIMIT)
        try:
            limit = int(raw_limit)
        except ValueError:
            raise HTTPError(400, f"limit must be a whole number between 1 and {MAX_LIMIT}"
                            ) from None
        topic = params.get("topic") or None
        audience = params.get("audience") or None
        try:
            body = await anyio.to_thread.run_sync(
                functools.partial(self._search, q, limit, topic, audience),
                limiter=self.search_limiter)
        except QueryError as exc:
            if not str(exc).startswith(_NOTHING_TO_SEARCH):
                raise HTTPError(400, str(exc)) from None
            body = _empty_result(q, str(exc))
        except IndexUnavailable as exc:
            raise HTTPError(503, str(exc)) from None
        return Response(body, media_type="application/json",
                        headers={"cache-control": "no-store"})

    def _health(self) -> dict[str, Any]:
        engine = self.engines.get()
        manifest = engine.manifest
        return {
            "service": SERVICE,
            "status": "ok",
            "index": {"built_at": manifest.built_at, "counts": manifest.counts,
                      "schema_version": manifest.schema_version},
            "topics": sorted(engine.topics),
            "audiences": sorted(engine.audiences),
            # whether answer events are kept (the page may skip "Was this helpful?")
            "usage_recording": self.recorder is not None,
        }

    async def health(self, request: Request) -> Response:
        try:
            data = await run_in_threadpool(self._health)
        except IndexUnavailable as exc:
            body = {"service": SERVICE, "status": "unavailable", "error": str(exc)}
            return Response(json.dumps(body, ensure_ascii=False), status_code=503,
                            media_type="application/json", headers={"cache-control": "no-store"})
        return Response(json.dumps(data, ensure_ascii=False), media_type="application/json",
                        headers={"cache-control": "no-store"})

    async def event(self, request: Request) -> Response:
        """``POST /api/event`` {"type", "id", "query"}: 204, or 4xx with a JSON error."""
        from .usage import EventError, parse_event

        problem = _foreign_origin(request.headers)
        if problem is not None:
            raise HTTPError(403, problem)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPError(415, "send the event as application/json")
        client = request.client.host if request.client else ""
        if not self.event_limiter.allow(client):
            raise HTTPError(429, "too many events; try again in a minute",
                            {"retry-after": "60"})
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_EVENT_BYTES:
                raise HTTPError(413, f"an event is at most {MAX_EVENT_BYTES} bytes")
        try:
            kind, entry, query = parse_event(body)
        except EventError as exc:
            raise HTTPError(400, str(exc)) from None
        if self.recorder is not None:
            self.recorder.record_event(kind, entry, query)
        return Response(status_code=204, headers={"cache-control": "no-store"})

    async def api_not_found(self, request: Request) -> Response:
        raise HTTPError(404, f"no such API endpoint: {request.url.path} "
                             "(there are /api/search and /api/health)")

    # -- the site -------------------------------------------------------------------

    async def static(self, request: Request) -> Response:
        path = request.path_params.get("path", "")
        found = await run_in_threadpool(self.files.locate, path)
        if found is None:
            return _not_found_page()
        if isinstance(found, str):
            return RedirectResponse(found, status_code=308)
        real, info = found
        etag = _etag(info)
        headers = {
            "etag": etag,
            "last-modified": formatdate(info.st_mtime, usegmt=True),
            "cache-control": "no-cache",
        }
        content_type = _content_type(real)
        if content_type.startswith("text/html"):
            page = await run_in_threadpool(self.files.page, real, info)
            headers["content-security-policy"] = page.csp
            if _not_modified(request, etag):
                return Response(status_code=304, headers=headers)
            return Response(page.body, media_type=content_type, headers=headers)
        if _not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        return FileResponse(real, stat_result=info, media_type=content_type, headers=headers)


def _empty_result(query: str, message: str) -> bytes:
    """A search result with no hits that says why (see ``_NOTHING_TO_SEARCH``)."""
    text = message[:1].upper() + message[1:]
    return json.dumps({"query": query, "corrected": None, "total": 0, "hits": [],
                       "warning_signs": [], "urgency": None, "action": None,
                       "not_covered": False, "message": text},
                      ensure_ascii=False).encode("utf-8")


def _not_found_page() -> Response:
    body = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Page not found</title></head><body><h1>Page not found</h1>"
            "<p>There is no such page in the knowledge base. "
            "<a href=\"/\">Go to the home page</a> or <a href=\"/search.html\">search</a>."
            "</p></body></html>")
    return Response(body, status_code=404, media_type="text/html; charset=utf-8",
                    headers={"content-security-policy": PAGE_CSP.format(hashes="")})


class Guard:
    """Outermost layer: request limits, security headers, safe logging, no tracebacks."""

    def __init__(self, app: ASGIApp, *, log_queries: bool = False) -> None:
        self.app = app
        self.log_queries = log_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # websockets: not served; the server closes the connection
        started = time.perf_counter()
        status_holder = [0]
        sent_start = [False]

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent_start[0] = True
                status_holder[0] = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                for name, value in BASE_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", STRICT_CSP.encode()))
                message["headers"] = headers
            await send(message)

        try:
            problem = _check_request(scope)
            if problem is not None:
                await problem(scope, receive, guarded_send)
            else:
                await self.app(scope, receive, guarded_send)
        except HTTPError as exc:
            if not sent_start[0]:
                await error_response(exc.status, exc.message, exc.headers)(
                    scope, receive, guarded_send)
        except Exception as exc:
            # Log the error's type and where it happened, not its message: it may quote
            # the query.
            where = "".join(traceback.format_tb(exc.__traceback__))
            logger.error("internal error answering %s %s: %s\n%s", scope.get("method"),
                         scope.get("path"), type(exc).__name__, where)
            if not sent_start[0]:
                await error_response(500, "internal error; the server log has the details")(
                    scope, receive, guarded_send)
        finally:
            self._log(scope, status_holder[0], time.perf_counter() - started)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        target = scope.get("path", "")
        if self.log_queries and scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        logger.info("%s %s %d %.1fms", scope.get("method"), target, status, seconds * 1000)


class RateLimiter:
    """A token bucket per client address, in memory only (never written anywhere)."""

    def __init__(self, rate: float, burst: int, *, max_clients: int = 4096) -> None:
        self.rate, self.burst, self.max_clients = rate, float(burst), max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                self._buckets.clear()
            self._buckets[client] = (tokens - 1, now) if tokens >= 1 else (tokens, now)
            return tokens >= 1


def _foreign_origin(headers: Headers) -> str | None:
    """Why a browser request does not come from this site's own pages, else None."""
    refused = "events are accepted only from the knowledge base's own pages"
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return refused
    origin, host = headers.get("origin"), headers.get("host")
    if not origin or not host or urlsplit(origin).netloc.lower() != host.lower():
        return refused
    return None


def _check_request(scope: Scope) -> Response | None:
    """The error answer for a request outside the limits, else None."""
    method = scope["method"]
    if method == "POST" and scope["path"] == EVENT_PATH:
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if "transfer-encoding" in headers or not declared.strip().isdigit():
            return error_response(411, "an event needs a Content-Length")
        if int(declared) > MAX_EVENT_BYTES:
            return error_response(413, f"an event is at most {MAX_EVENT_BYTES} bytes")
        return None
    if method not in ALLOWED_METHODS:
        return error_response(405, f"method {method} is not allowed; use GET",
                              {"allow": ", ".join(ALLOWED_METHODS)})
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    if len(raw_path) + len(scope.get("query_string", b"")) > MAX_URL_BYTES:
        return error_response(414, f"the address is too long (more than {MAX_URL_BYTES} "
                                   "bytes); shorten the query")
    headers = Headers(scope=scope)
    length = headers.get("content-length")
    if (length is not None and length.strip() not in ("", "0")) or "transfer-encoding" in headers:
        return error_response(413, "requests must not have a body")
    return None


async def _http_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPError):
        return error_response(exc.status, exc.message, exc.headers)
    status = int(getattr(exc, "status_code", 500))
    return error_response(status, str(getattr(exc, "detail", "error")))


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the exception after this answer; Guard logs it.
    return error_response(500, "internal error; the server log has the details")


def create_app(index: Path | str, site: Path | str, *, log_queries: bool = False,
               usage_db: Path | str | None = None) -> Guard:
    """The ASGI app: the site in ``site`` and the search API over the index ``index``;
    with ``usage_db``, searches and answer events are recorded there (prolo_kb.usage)."""
    recorder = None
    if usage_db:
        from .scrub import IndexVocabulary
        from .usage import Recorder

        recorder = Recorder(usage_db, IndexVocabulary(index))
    kb = KB(Path(index), Path(site), recorder)
    try:
        # Open it and warm it up now, so the first person's search is as fast as the rest.
        kb.engines.get().warm_up()
    except IndexUnavailable as exc:
        logger.warning("search is unavailable until the index is built: %s", exc)
    except QueryError:
        pass
    routes = [
        Route("/api/search", kb.search, methods=["GET", "HEAD"]),
        Route("/api/health", kb.health, methods=["GET", "HEAD"]),
        Route(EVENT_PATH, kb.event, methods=["POST"]),
        Route("/api/{rest:path}", kb.api_not_found, methods=["GET", "HEAD"]),
        Route("/{path:path}", kb.static, methods=["GET", "HEAD"]),
    ]
    app = Starlette(routes=routes, middleware=[
        Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)],
        exception_handlers={
        HTTPError: _http_error, HTTPException: _http_error, Exception: _internal_error},
        lifespan=_close_on_shutdown(recorder))
    app.state.kb = kb
    return Guard(app, log_queries=log_queries)


def _close_on_shutdown(recorder: Recorder | None) -> Any:
    """A lifespan that writes the queued usage events when the server stops: uvicorn
    ends a process that got SIGTERM by raising the signal again, so atexit never runs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if recorder is not None:
            await anyio.to_thread.run_sync(recorder.close)

    return lifespan


def _app_from_environ() -> Guard:
    """The app of a ``serve --workers N`` worker process, configured by the parent."""
    config = json.loads(os.environ[ENV_CONFIG])
    return create_app(config["index"], config["site"], log_queries=config["log_queries"],
                      usage_db=config.get("usage_db"))


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """One line per request (without its query) and uvicorn's warnings, on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(message)s",
                                 "datefmt": "%Y-%m-%d %H:%M:%S"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "prolo_kb.web": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def _display_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise KBError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        hint = " (is another server running there? try --port)" if exc.errno == 98 else ""
        raise KBError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None
    sock.set_inheritable(True)
    return sock


def serve(*, index: Path | str, site: Path | str, host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1, log_queries: bool = False,
          usage_db: Path | str | None = None) -> int:
    """Serve the site and its search with uvicorn until interrupted; 0 on a clean stop.

    Raises :class:`KBError` (one line, for the CLI) when it cannot start.
    """
    import uvicorn

    index, site = Path(index), Path(site)
    if not (site / "index.html").is_file():
        raise KBError(f"no built site at {site}; run `make build` first")
    if not 0 <= port <= 65535:
        raise KBError(f"--port must be between 0 and 65535, not {port}")
    if workers < 1:
        raise KBError(f"--workers must be at least 1, not {workers}")
    if usage_db and not Path(usage_db).resolve().parent.is_dir():
        raise KBError(f"cannot record usage in {usage_db}: its folder does not exist")
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    options: dict[str, Any] = {
        "host": host, "port": bound_port, "workers": workers, "log_config": logging_config(),
        "access_log": False, "server_header": False, "proxy_headers": False, "ws": "none",
        "lifespan": "on" if usage_db else "off",  # on: queued usage is written at exit
        "timeout_graceful_shutdown": 5, "timeout_keep_alive": 5,
        "limit_concurrency": 1000, "h11_max_incomplete_event_size": 16 * 1024,
    }
    if workers > 1:
        os.environ[ENV_CONFIG] = json.dumps(
            {"index": str(index), "site": str(site), "log_queries": log_queries,
             "usage_db": str(usage_db) if usage_db else None})
        config = uvicorn.Config("prolo_kb.web:_app_from_environ", factory=True, **options)
    else:
        config = uvicorn.Config(create_app(index, site, log_queries=log_queries,
                                           usage_db=usage_db), **options)
    url = _display_url(host, bound_port)
    print(f"prolo-kb: serving {site} with its search at {url}\n"
          f"  open {url} (search: {url}search.html); press Ctrl+C to stop", flush=True)
    if usage_db:
        print(f"  recording usage in {usage_db} (queries without patient details; "
              "see `prolo-kb gaps`)", file=sys.stderr, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"  note: listening on {host}, so other machines can reach it; queries may "
              "hold patient details", file=sys.stderr, flush=True)
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


__all__ = ["create_app", "serve"]
