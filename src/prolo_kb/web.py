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

The safety rules live beside it: request limits, security headers and JSON errors in
:mod:`prolo_kb.web_guard`, the site's files in :mod:`prolo_kb.web_files`; running it with
uvicorn in :mod:`prolo_kb.web_server`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from .errors import IndexUnavailable, QueryError
from .search import MAX_LIMIT, SearchEngine
from .terms import WARM_DENSE_FROM
from .web_files import SiteFiles, content_type, etag, not_found_page, not_modified
from .web_guard import (
    EVENT_PATH,
    MAX_EVENT_BYTES,
    Guard,
    HTTPError,
    RateLimiter,
    error_response,
    foreign_origin,
)

if TYPE_CHECKING:
    from .recorder import Recorder


logger = logging.getLogger("prolo_kb.web")

SERVICE = "prolo-kb"
DEFAULT_LIMIT = 10
EVENT_RATE = 5.0  # events a second per client address, after a burst of EVENT_BURST
EVENT_BURST = 100
INDEX_RETRY_SECONDS = 1.0  # how often a missing or broken index is looked for again
# Searching is pure Python under the GIL: more threads at once do not search faster, they
# slice each other's time and stretch every request. One at a time per process, first
# come first served, gives the same throughput and a much shorter tail; more CPU means
# more processes (serve --workers).
SEARCH_THREADS = 1

# What typing produces on the way to a question (a blank box, only common words so far):
# answered 200 with no hits and a message, not as an error. Other QueryErrors (a bad
# limit, topic or audience, an overlong query) stay 400.
_NOTHING_TO_SEARCH = ("nothing to search for", "the query has only common words")
# Text files are sent compressed when the browser accepts it (the theme's CSS and JS are
# most of a first visit); small answers are not worth it.
GZIP_MINIMUM_BYTES = 500
GZIP_LEVEL = 6


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
                    # a long-running process: arrays from a mid-sized base (prolo_kb.terms)
                    self._engine = SearchEngine(self.path, dense_from=WARM_DENSE_FROM)
                except IndexUnavailable as exc:
                    self._error, self._retry_at = exc, now + INDEX_RETRY_SECONDS
                    raise
                self._error = None
            return self._engine


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

        problem = foreign_origin(request.headers)
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
            return not_found_page()
        if isinstance(found, str):
            return RedirectResponse(found, status_code=308)
        real, info = found
        tag = etag(info)
        headers = {
            "etag": tag,
            "last-modified": formatdate(info.st_mtime, usegmt=True),
            "cache-control": "no-cache",
        }
        media_type = content_type(real)
        if media_type.startswith("text/html"):
            page = await run_in_threadpool(self.files.page, real, info)
            headers["content-security-policy"] = page.csp
            if not_modified(request, tag):
                return Response(status_code=304, headers=headers)
            return Response(page.body, media_type=media_type, headers=headers)
        if not_modified(request, tag):
            return Response(status_code=304, headers=headers)
        return FileResponse(real, stat_result=info, media_type=media_type, headers=headers)


def _empty_result(query: str, message: str) -> bytes:
    """A search result with no hits that says why (see ``_NOTHING_TO_SEARCH``)."""
    text = message[:1].upper() + message[1:]
    return json.dumps({"query": query, "corrected": None, "total": 0, "hits": [],
                       "warning_signs": [], "urgency": None, "action": None,
                       "not_covered": False, "message": text},
                      ensure_ascii=False).encode("utf-8")


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
        from .recorder import Recorder
        from .scrub_words import IndexVocabulary

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


__all__ = ["create_app"]
