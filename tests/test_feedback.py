"""The "report a problem with this page" link: on every page of the real site, to the
address set in docs/conf.py, naming the page and its review date; and configurable."""

from __future__ import annotations

import html
import re
import runpy
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import BUILD
from sphinx.testing.util import SphinxTestApp

from prolo_kb.store import open_index

REPO = Path(__file__).resolve().parents[1]

LINK = re.compile(r'<a class="[^"]*kb-report[^"]*" href="(mailto:[^"]+)"[^>]*>'
                  r"Report a problem with this page</a>")


def report_links(page: Path) -> list[tuple[str, str, str]]:
    """(address, subject, body) of each report link on a built page."""
    found = []
    for href in LINK.findall(page.read_text(encoding="utf-8")):
        # Docutils cloaks the address ("%40" for "@"); mail clients decode it (RFC 6068).
        parts = urlsplit(html.unescape(href))
        query = parse_qs(parts.query)
        found.append((unquote(parts.path), query["subject"][0], query["body"][0]))
    return found


def test_every_real_page_has_one_report_link_naming_it(real_index: Path) -> None:
    address = runpy.run_path(str(REPO / "docs" / "conf.py"))["kb_feedback_email"]
    assert address
    pages = open_index(real_index).manifest.pages
    assert len(pages) > 10
    for page in pages:
        links = report_links(BUILD / "html" / page.url)
        assert len(links) == 1, page.docname
        to, subject, body = links[0]
        assert to == address
        assert subject == f"Problem with page: {page.title}"
        assert f"Page: {page.title} ({page.docname})" in body
        assert f"Last reviewed: {page.last_reviewed}" in body


@pytest.mark.sphinx("html", testroot="handout", freshenv=True,
                    confoverrides={"kb_feedback_email": "editor@clinic.test"})
def test_the_address_is_configurable(app: SphinxTestApp) -> None:
    app.build()
    links = report_links(Path(app.outdir) / "protocol.html")
    assert links == [("editor@clinic.test", "Problem with page: Session protocol",
                      "Page: Session protocol (protocol)\nLast reviewed: 2026-11-01\n\n"
                      "What is wrong:\n")]


@pytest.mark.sphinx("html", testroot="handout", freshenv=True,
                    confoverrides={"kb_feedback_email": ""})
def test_no_address_no_link(app: SphinxTestApp) -> None:
    app.build()
    assert report_links(Path(app.outdir) / "protocol.html") == []
    assert "mailto:" not in (Path(app.outdir) / "protocol.html").read_text(encoding="utf-8")
