"""The Sphinx extension on small test roots: rendering, located warnings, and the same
index from serial, parallel and incremental builds."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sphinx.testing.util import SphinxTestApp

from prolo_kb.store import iter_documents, open_index

pytestmark = pytest.mark.sphinx


def index_of(app: SphinxTestApp) -> Path:
    return Path(app.outdir).parent / "index"


def exported(app: SphinxTestApp) -> list[tuple[Any, ...]]:
    docs = iter_documents(open_index(index_of(app)))
    return sorted((d.id, d.kind, d.title, d.text, d.url, d.escalate, d.status) for d in docs)


@pytest.mark.sphinx("html", testroot="basic", freshenv=True)
def test_clean_build_has_no_warnings_and_writes_the_index(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    opened = open_index(index_of(app))
    docs = {d.id: d for d in iter_documents(opened)}
    faqs = {k: d for k, d in docs.items() if d.kind == "faq"}
    assert set(faqs) == {"injection-interval", "fever-after-injection", "ibuprofen"}
    assert faqs["injection-interval"].url == "faq.html#faq-injection-interval"
    assert faqs["injection-interval"].text == "Every four to six weeks."
    assert faqs["fever-after-injection"].escalate
    assert faqs["fever-after-injection"].signs == ("fever", "chills", "high temperature")
    assert faqs["ibuprofen"].status == "policy-pending"
    assert faqs["injection-interval"].grade is not None
    schedule = docs["protocol#schedule-in-trials"]
    assert schedule.kind == "section"
    assert schedule.title == "Session protocol › Schedule in trials"
    assert schedule.url == "protocol.html#schedule-in-trials"
    assert "weeks 1, 5 and 9" in schedule.text
    assert "trial-2013" not in schedule.text  # citation markers are not body text
    assert schedule.topic == "protocol"
    manifest = opened.manifest
    assert manifest.counts["faq"] == 3
    assert {p.docname for p in manifest.pages} == {"index", "faq", "protocol", "references"}
    assert manifest.sources["trial-2013"].startswith("Smith J et al.")
    assert [g.term for g in manifest.glossary] == ["injection", "dextrose"]
    assert len(manifest.source_hash) == 64


@pytest.mark.sphinx("html", testroot="basic", freshenv=True)
def test_rendering_badges_sources_cards_and_footer(app: SphinxTestApp) -> None:
    app.build()
    faq = (Path(app.outdir) / "faq.html").read_text(encoding="utf-8")
    fever = faq[faq.index('id="faq-fever-after-injection"'):]
    fever = fever[:fever.index('id="faq-ibuprofen"')]
    assert "kb-faq-escalate" in faq
    assert "Same day: pass to a clinician today" in fever
    assert re.search(r'<h3[^>]*kb-faq-question[^>]*>I have a fever', faq)
    pending = faq[faq.index('id="faq-ibuprofen"'):]
    assert "Clinic policy pending: ask a clinician" in pending
    assert 'href="references.html#src-clinic-page"' in faq
    assert "Page last reviewed:" in faq and "1 November 2026" in faq
    # Docutils cloaks the address as %40; mail clients decode it (RFC 6068).
    links = [unquote(html.unescape(h)) for h in re.findall(r'href="(mailto:[^"]+)"', faq)]
    assert len(links) == 1
    assert links[0].startswith("mailto:content@example.org?subject=Problem with page: FAQ")
    assert "Last reviewed: 2026-11-01" in links[0]
    protocol = (Path(app.outdir) / "protocol.html").read_text(encoding="utf-8")
    assert protocol.index("kb-urgency-emergency") < protocol.index("kb-urgency-routine")
    assert "SORT B" in protocol
    assert "Literature current through:" in protocol and "October 2026" in protocol
    assert "Smith et al. 2013" in protocol  # a citation reads as author and year


EXPECTED_WARNINGS = [
    ("faqs.md:19", "duplicate FAQ id 'dup'"),
    ("faqs.md:28", "duplicate FAQ question 'first question'"),
    ("faqs.md:37", "has an empty answer"),
    ("faqs.md:44", "unknown topic 'astrology'"),
    ("faqs.md:53", "source 'nowhere-2020' is not on the references page"),
    ("faqs.md:62", "needs :signs:"),
    ("faqs.md:62", "needs :urgency: emergency or same-day"),
    ("faqs.md:72", "has no :sources:"),
    ("faqs.md:80", "reads at grade"),
    ("grades.md:14", "section 'Hard words' reads at grade"),
    ("grades.md:41", "care card level 'same-day' reads at grade"),
    ("nometa.md:1", "page metadata is missing topic, audience, last_reviewed"),
    ("overdue.md:1", "review overdue: next review was due 2025-01-01 (reviewer: Late Reviewer)"),
    ("physician.md:1", "unknown topic 'wrong-topic'"),
    ("physician.md:1", "need literature_current_through"),
    ("physician.md:10", "source 'nowhere-2020' is not on the references page"),
]


@pytest.mark.sphinx("html", testroot="problems", freshenv=True)
def test_every_content_problem_is_a_located_warning(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    lines = [line for line in warnings.splitlines() if "WARNING" in line]
    for location, message in EXPECTED_WARNINGS:
        assert any(location in line and message in line for line in lines), (location, message)
    assert len(lines) == len(EXPECTED_WARNINGS), warnings
    # Nothing is silently dropped: all nine entries reach the index, problems and all.
    faqs = [d for d in iter_documents(open_index(index_of(app))) if d.kind == "faq"]
    assert len(faqs) == 9


@pytest.mark.sphinx("html", testroot="problems", freshenv=True)
def test_reading_grade_covers_page_bodies_and_care_cards(app: SphinxTestApp) -> None:
    """Every section of a page for patients or staff is graded, a table cell by cell and
    each care-card level on its own; {for-physicians} text and physician-only pages are
    not."""
    app.build()
    graded = [line for line in app.warning.getvalue().splitlines()
              if ("grades.md" in line or "physician.md" in line) and "reads at grade" in line]
    assert len(graded) == 2, graded
    assert any("grades.md:14" in line and "'Hard words'" in line for line in graded)
    assert any("grades.md:41" in line and "'same-day'" in line for line in graded)
    # Not graded: the physician block, the short cells of the table, the routine level.
    assert not any("physicians'" in line or "table" in line or "'routine'" in line
                   for line in graded)


def test_parallel_build_gives_the_same_index(make_app: Any, rootdir: Path,
                                              tmp_path: Path) -> None:
    results = []
    for parallel in (0, 2):
        srcdir = tmp_path / f"src-{parallel}"
        shutil.copytree(rootdir / "test-basic", srcdir)
        app = make_app("html", srcdir=srcdir, parallel=parallel, freshenv=True)
        app.build()
        assert app.warning.getvalue() == ""
        results.append(exported(app))
        app.cleanup()  # unregister this app's nodes before the next one registers them
    assert results[0] == results[1]
    assert len(results[0]) > 3


def test_incremental_rebuild_matches_a_clean_build(make_app: Any, built_copy: Any,
                                                   tmp_path: Path) -> None:
    app, srcdir = built_copy("test-basic")
    before = exported(app)
    app.cleanup()
    faq = srcdir / "faq.md"
    faq.write_text(faq.read_text(encoding="utf-8").replace(
        "Every four to six weeks.", "Every four to six weeks, on your own plan."),
        encoding="utf-8")
    app = make_app("html", srcdir=srcdir)
    app.build()
    after = exported(app)
    app.cleanup()
    assert after != before
    changed = {row[0]: row for row in after}
    assert changed["injection-interval"][3] == "Every four to six weeks, on your own plan."
    # Pages that were not re-read keep their sections in the index.
    assert {row[0] for row in after} == {row[0] for row in before}
    clean_dir = tmp_path / "clean"
    shutil.copytree(srcdir, clean_dir)
    clean = make_app("html", srcdir=clean_dir, freshenv=True)
    clean.build()
    assert exported(clean) == after


def test_changed_reference_relabels_the_pages_citing_it(make_app: Any,
                                                         built_copy: Any) -> None:
    app, srcdir = built_copy("test-basic")
    app.cleanup()
    assert "(Smith et al. 2013)" in (Path(app.outdir) / "protocol.html").read_text()
    refs = srcdir / "references.md"
    refs.write_text(refs.read_text().replace(
        ":::{reference} trial-2013\n", ":::{reference} trial-2013\n:short: Smith trial\n"),
        encoding="utf-8")
    app = make_app("html", srcdir=srcdir)
    app.build()
    app.cleanup()
    assert "(Smith trial)" in (Path(app.outdir) / "protocol.html").read_text()
