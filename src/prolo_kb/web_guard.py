"""The outermost layer of the web app: request limits, security headers on every
response, JSON errors, safe logging, and never a traceback to a client.

Only GET and HEAD, no request bodies (except ``POST /api/event``: a small JSON body from
the site's own pages, rate-limited); bounded URL and query length; queries are not logged
unless asked for.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import Response

logger = logging.getLogger("prolo_kb.web")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_URL_BYTES = 4096  # path and query string together; longer is 414
ALLOWED_METHODS = ("GET", "HEAD")
# The one exception: the search page reports what staff did with an answer (usage
# recording, prolo_kb.usage): POST, a small JSON body, from the site's own pages only.
EVENT_PATH = "/api/event"
MAX_EVENT_BYTES = 2048

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
            problem = check_request(scope)
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


def foreign_origin(headers: Headers) -> str | None:
    """Why a browser request does not come from this site's own pages, else None."""
    refused = "events are accepted only from the knowledge base's own pages"
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return refused
    origin, host = headers.get("origin"), headers.get("host")
    if not origin or not host or urlsplit(origin).netloc.lower() != host.lower():
        return refused
    return None


def check_request(scope: Scope) -> Response | None:
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
