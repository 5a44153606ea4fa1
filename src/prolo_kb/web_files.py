"""The built site's files, served safely: only from inside the site directory (no
``..``, no hidden files, no symlink that leads out), with their content type, an ETag,
and for pages a Content-Security-Policy that allows exactly their inline scripts."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import re
import stat
import threading
from pathlib import Path
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import Response

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

_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_SRC_ATTR = re.compile(rb"\bsrc\s*=", re.I)


class Page(NamedTuple):
    body: bytes
    csp: str


class SiteFiles:
    """Files of the built site, never anything outside it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._pages: dict[tuple[str, int, int, int], Page] = {}
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

    def page(self, real: str, info: os.stat_result) -> Page:
        """An HTML page and its CSP, cached until the file changes."""
        key = (real, info.st_mtime_ns, info.st_size, info.st_ino)
        page = self._pages.get(key)
        if page is None:
            with open(real, "rb") as handle:
                body = handle.read()
            page = Page(body=body, csp=page_csp(body))
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


def content_type(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    known = TYPES.get(suffix)
    if known:
        return known
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def etag(info: os.stat_result) -> str:
    return f'"{info.st_mtime_ns:x}-{info.st_size:x}"'


def not_modified(request: Request, etag: str) -> bool:
    match = request.headers.get("if-none-match")
    if not match:
        return False
    return etag in {tag.strip().removeprefix("W/") for tag in match.split(",")} or match == "*"


def not_found_page() -> Response:
    body = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Page not found</title></head><body><h1>Page not found</h1>"
            "<p>There is no such page in the knowledge base. "
            "<a href=\"/\">Go to the home page</a> or <a href=\"/search.html\">search</a>."
            "</p></body></html>")
    return Response(body, status_code=404, media_type="text/html; charset=utf-8",
                    headers={"content-security-policy": PAGE_CSP.format(hashes="")})
