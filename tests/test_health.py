"""``prolo-kb check``: the content health report, its blocking rules and exit codes,
on small indexes written with :func:`prolo_kb.indexing.write_index`, and on the real build."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from prolo_kb.cli import main
from prolo_kb.content import Document, GlossaryTerm, PageMeta
from prolo_kb.health import assess, run_check
from prolo_kb.health_text import format_report, report_json, table
from prolo_kb.indexing import write_index
from prolo_kb.store import iter_documents, open_index

TODAY = date(2026, 11, 24)
REPO = Path(__file__).resolve().parents[1]


def faq(doc_id: str, **extra: Any) -> Document:
    fields: dict[str, Any] = {
        "title": f"Question {doc_id}?", "text": "A short answer.", "url": f"faq.html#{doc_id}",
        "topic": "protocol", "audience": ("patient", "staff"), "sources": ("clinic-page",),
        "page": "faq", "source_file": "docs/faq.md:10", "grade": 4.0,
    }
    fields.update(extra)
    return Document(id=doc_id, kind="faq", **fields)


def summary(page: str, grade: float | None, **extra: Any) -> Document:
    fields: dict[str, Any] = {
        "title": page.title(), "text": "In short.", "url": f"{page}.html", "topic": "general",
        "audience": ("physician",), "page": page, "source_file": f"docs/{page}.md:10",
        "grade": grade,
    }
    fields.update(extra)
    return Document(id=f"{page}#top", kind="section", **fields)


def page(docname: str, next_review: str = "2029-11-24", **extra: Any) -> PageMeta:
    fields: dict[str, Any] = {
        "title": docname.title(), "url": f"{docname}.html", "topic": "general",
        "audience": ("patient", "staff", "physician"), "last_reviewed": "2026-11-01",
        "reviewed_by": "Dr Reviewer", "source_file": f"docs/{docname}.md:1",
    }
    fields.update(extra)
    return PageMeta(docname=docname, next_review=next_review, **fields)


def index(tmp_path: Path, docs: Iterable[Document], pages: Iterable[PageMeta] = ()) -> Path:
    path = tmp_path / "index"
    write_index(path, list(docs), pages=list(pages) or [page("faq")],
                sources={"clinic-page": "Test Clinic"})
    return path


def check(path: Path, **options: Any) -> tuple[int, str]:
    out = StringIO()
    code = run_check(path, today=options.pop("today", TODAY), out=out, **options)
    return code, out.getvalue()


def check_json(path: Path, **options: Any) -> tuple[int, dict[str, Any]]:
    code, text = check(path, as_json=True, **options)
    return code, json.loads(text)


# --- Blocking rules and exit codes ------------------------------------------------------

def test_clean_content_exits_0(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("a"), faq("b", grade=8.0), summary("faq", 7.9)])
    code, text = check(path)
    assert code == 0
    assert "Nothing blocks publication." in text
    assert text.rstrip().endswith("Result: OK, nothing blocks publication.")
    code, data = check_json(path)
    assert code == 0 and data["ok"] is True and data["blocking"] == []


def test_overdue_review_blocks(tmp_path: Path) -> None:
    pages = [page("faq"), page("protocol", "2026-11-23", reviewed_by="Dr Late")]
    path = index(tmp_path, [faq("a")], pages)
    code, text = check(path)
    assert code == 1
    assert re.search(r"docs/protocol\.md:1 +review of 'Protocol' was due 2026-11-23 "
                     r"\(1 day ago; reviewer: Dr Late\)", text)
    assert "Result: BLOCKED, 1 problem to fix" in text
    _, data = check_json(path)
    assert [(p["kind"], p["subject"]) for p in data["blocking"]] == [
        ("overdue-review", "protocol")]
    assert data["reviews"]["overdue"][0]["days_left"] == -1
    assert data["reviews"]["overdue"][0]["reviewed_by"] == "Dr Late"


def test_review_due_today_is_not_overdue(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("a")], [page("faq", TODAY.isoformat())])
    code, data = check_json(path)
    assert code == 0
    assert [r["page"] for r in data["reviews"]["due_soon"]] == ["faq"]
    assert data["reviews"]["due_soon"][0]["days_left"] == 0


def test_missing_or_malformed_review_date_blocks(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("a")], [page("faq", ""), page("other", "next spring")])
    code, data = check_json(path)
    assert code == 1
    assert {(p["kind"], p["subject"]) for p in data["blocking"]} == {
        ("no-review-date", "faq"), ("no-review-date", "other")}
    assert [r["page"] for r in data["reviews"]["undated"]] == ["faq", "other"]


def test_reviews_due_soon_are_listed_with_their_reviewer(tmp_path: Path) -> None:
    pages = [page("faq"), page("soon", "2027-01-10", reviewed_by="Dr Soon"),
             page("later", "2027-03-01", reviewed_by="Dr Later")]
    path = index(tmp_path, [faq("a")], pages)
    code, text = check(path)
    assert code == 0  # due soon is a reminder, not a blocker
    assert re.search(r"2027-01-10 +in 47 days +Soon +Dr Soon +docs/soon\.md:1", text)
    assert "Dr Later" not in text  # 97 days away: outside the 90-day window
    assert "Next review due: 2027-01-10, for 1 of 3 pages (Dr Soon)." in text
    _, data = check_json(path, soon_days=120)
    assert [r["page"] for r in data["reviews"]["due_soon"]] == ["soon", "later"]
    assert data["reviews"]["next_due"] == {"date": "2027-01-10", "pages": ["soon"]}


def test_approved_answer_without_sources_blocks(tmp_path: Path) -> None:
    path = index(tmp_path, [
        faq("sourced"),
        faq("bare", sources=(), source_file="docs/faq.md:40"),
        faq("pending", sources=(), status="policy-pending", source_file="docs/faq.md:20"),
    ])
    code, data = check_json(path)
    assert code == 1
    assert [(p["kind"], p["subject"], p["where"]) for p in data["blocking"]] == [
        ("no-sources", "bare", "docs/faq.md:40")]
    listed = [(e["id"], e["blocking"]) for e in data["without_sources"]]
    assert listed == [("bare", True), ("pending", False)]  # blocking ones first


def test_policy_pending_without_sources_does_not_block(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("a"), faq("p", sources=(), status="policy-pending")])
    code, text = check(path)
    assert code == 0
    assert "FAQ entries without sources (1: 0 approved, 1 policy pending)" in text


def test_reading_grade_above_8_blocks(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("easy", grade=8.0), faq("hard", grade=8.1)])
    code, data = check_json(path)
    assert code == 1
    assert [(p["kind"], p["subject"]) for p in data["blocking"]] == [
        ("reading-grade", "hard")]
    assert "reads at grade 8.1 (limit 8)" in data["blocking"][0]["message"]


def test_summary_above_8_blocks_whatever_its_audience(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("a"), summary("evidence", 9.2)])
    code, data = check_json(path)
    assert code == 1
    assert data["blocking"][0]["message"] == "summary of 'evidence' reads at grade 9.2 (limit 8)"


def test_physician_only_answers_are_not_graded(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("a"), faq("doctors", audience=("physician",), grade=12.5)])
    code, data = check_json(path)
    assert code == 0
    assert [g["id"] for g in data["reading_grades"]] == ["a"]


def test_grades_are_listed_worst_first(tmp_path: Path) -> None:
    path = index(tmp_path, [
        faq("mid", grade=5.0), faq("ungraded", grade=None), faq("top", grade=7.5),
        faq("low", grade=2.0, audience=("staff",)), summary("page", 6.0),
        Document(id="page#body", kind="section", title="Page › Body", text="x", url="p.html",
                 topic="general", audience=("patient",)),  # sections without a summary
    ])
    code, data = check_json(path)
    assert code == 0
    assert [(g["id"], g["what"]) for g in data["reading_grades"]] == [
        ("top", "faq"), ("page#top", "summary"), ("mid", "faq"), ("low", "faq"),
        ("ungraded", "faq")]
    _, text = check(path)
    grades = re.findall(r"^ +(\d+\.\d|-) +(?:ok|TOO HIGH) ", text, re.M)
    assert grades == ["7.5", "6.0", "5.0", "2.0", "-"]


def test_every_blocking_kind_at_once(tmp_path: Path) -> None:
    path = index(tmp_path, [
        faq("bare", sources=(), source_file="docs/faq.md:30"),
        faq("hard", grade=11.0, source_file="docs/faq.md:20"),
    ], [page("faq", "2026-01-01")])
    code, data = check_json(path)
    assert code == 1
    assert [(p["where"], p["kind"]) for p in data["blocking"]] == [
        ("docs/faq.md:1", "overdue-review"), ("docs/faq.md:20", "reading-grade"),
        ("docs/faq.md:30", "no-sources")]  # in file order, to fix top to bottom
    _, text = check(path)
    assert "Blocks publication (3)" in text
    assert "Result: BLOCKED, 3 problems to fix before publication" in text


def test_policy_pending_and_escalations_are_listed(tmp_path: Path) -> None:
    path = index(tmp_path, [
        faq("p2", status="policy-pending", sources=(), source_file="docs/faq.md:90",
            title="Can I have ice?", topic="aftercare"),
        faq("p1", status="policy-pending", sources=(), source_file="docs/faq.md:9",
            title="Can I take ibuprofen?", topic="aftercare"),
        faq("fever", escalate=True, signs=("fever", "chills"), topic="side-effects"),
        faq("plain"),
    ])
    code, text = check(path)
    assert code == 0
    assert "Clinic policy pending (2): the clinic's to-do list" in text
    # In file order, line 9 before line 90.
    assert text.index("Can I take ibuprofen?") < text.index("Can I have ice?")
    assert re.search(r"fever +fever; chills +docs/faq\.md:10", text)
    _, data = check_json(path)
    assert [e["id"] for e in data["policy_pending"]] == ["p1", "p2"]
    assert data["escalations"] == [{
        "id": "fever", "title": "Question fever?", "topic": "side-effects",
        "audience": ["patient", "staff"], "status": "approved",
        "source_file": "docs/faq.md:10", "url": "faq.html#fever", "signs": ["fever", "chills"],
    }]


def test_counts_by_topic_and_audience(tmp_path: Path) -> None:
    path = index(tmp_path, [
        faq("a", topic="protocol"), faq("b", topic="protocol", audience=("physician",)),
        faq("c", topic="safety", audience=("patient", "staff", "physician")),
        summary("evidence", 5.0, topic="evidence"),
    ])
    _, data = check_json(path)
    assert data["counts"]["by_topic"] == {
        "evidence": {"faq": 0, "section": 1}, "protocol": {"faq": 2, "section": 0},
        "safety": {"faq": 1, "section": 0}}
    assert data["counts"]["by_audience"] == {
        "patient": {"faq": 2, "section": 0}, "physician": {"faq": 2, "section": 1},
        "staff": {"faq": 2, "section": 0}}
    _, text = check(path)
    assert re.search(r"^  total +3 +1$", text, re.M)


def test_assess_is_pure_and_today_is_a_parameter(tmp_path: Path) -> None:
    path = index(tmp_path, [faq("a")], [page("faq", "2027-06-01")])
    opened = open_index(path)
    docs = list(iter_documents(opened))
    before = assess(opened.manifest, docs, today=date(2027, 5, 31))
    after = assess(opened.manifest, docs, today=date(2027, 6, 2))
    assert before.ok and [r.page.docname for r in before.due_soon] == ["faq"]
    assert not after.ok and [p.kind for p in after.problems] == ["overdue-review"]
    assert report_json(before)["today"] == "2027-05-31"
    assert "Checked on 2027-06-02" in format_report(after)


def test_table_wraps_the_flexible_column_to_the_width() -> None:
    rows = [("a", "word " * 40, "docs/x.md:1"), ("bb", "short", "docs/y.md:22")]
    lines = table(["Id", "Text", "File"], rows, width=60, wrap=1)
    assert max(len(line) for line in lines) <= 60
    assert lines[0].split() == ["Id", "Text", "File"]
    assert lines[2].endswith("docs/x.md:1") and lines[3].strip() == "word " * 7 + "word"


# --- The command line -------------------------------------------------------------------

def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = index(tmp_path / "good", [faq("a")], [page("faq", "2999-01-01")])
    bad = index(tmp_path / "bad", [faq("a", sources=())], [page("faq", "2999-01-01")])
    assert main(["check", "--index", str(good)]) == 0
    assert "Result: OK" in capsys.readouterr().out
    assert main(["check", "--index", str(bad)]) == 1
    assert "Result: BLOCKED" in capsys.readouterr().out
    assert main(["check", "--json", "--index", str(bad)]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


@pytest.mark.parametrize("argv, message", [
    (["check", "--index", "{missing}"], "no search index at"),
    (["check", "--soon-days", "-3", "--index", "{good}"], "--soon-days must be between 0"),
    (["check", "--soon-days", "soon", "--index", "{good}"], "invalid int value"),
    (["check", "--frobnicate"], "unrecognized arguments"),
])
def test_cli_usage_and_index_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    good = index(tmp_path, [faq("a")])
    argv = [a.format(missing=tmp_path / "nowhere", good=good) for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("prolo-kb: ") and message in err
    assert len(err.strip().splitlines()) == 1  # one line, no traceback


def test_cli_damaged_index_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = index(tmp_path, [faq("a")])
    (path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert main(["check", "--index", str(path)]) == 2
    assert "unreadable manifest.json" in capsys.readouterr().err


# --- The real content -------------------------------------------------------------------

def _directive_options(option: str) -> int:
    """How many FAQ entries in docs/ carry ``option`` (read from the sources, to check
    that the report, which reads only the index, tells the truth)."""
    pattern = re.compile(rf"^:{option}\s*$", re.M)
    return sum(len(pattern.findall(f.read_text(encoding="utf-8")))
               for f in (REPO / "docs").rglob("*.md"))


def test_glossary_wordings_read_as_one_word_are_listed_never_blocking(
        tmp_path: Path) -> None:
    path = tmp_path / "index"
    write_index(path, [faq("a")], pages=[page("faq")], sources={"clinic-page": "Test Clinic"},
                glossary=[GlossaryTerm("fever", "A raised temperature.",
                                       ("a temp", "high temperature", "feverish")),
                          GlossaryTerm("allergy", "A bad reaction.", ("sensitive to",))])
    code, data = check_json(path)
    assert code == 0 and data["ok"]
    assert data["glossary_one_word"] == [
        {"term": "fever", "wording": "a temp", "reads_as": "temp"},
        {"term": "allergy", "wording": "sensitive to", "reads_as": "sensit"}]
    text = check(path)[1]
    assert "Glossary wordings the search reads as one word (2)" in text
    assert re.search(r"allergy\s+sensitive to\s+sensit", text)


def test_faq_wordings_read_as_one_everyday_word_are_listed_never_blocking(
        tmp_path: Path) -> None:
    path = index(tmp_path, [faq("visit", also=("how long will I be there",
                                                  "length of the visit", "painkillers"))])
    code, data = check_json(path)
    assert code == 0 and data["ok"]
    assert [(e["id"], e["wording"], e["reads_as"]) for e in data["faq_everyday_word"]] == [
        ("visit", "how long will I be there", "long")]
    assert "FAQ wordings the search reads as one everyday word (1)" in check(path)[1]


def test_real_content_passes_and_the_report_is_honest(
    real_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--index", str(real_index)]) == 0
    text = capsys.readouterr().out
    assert "Result: OK, nothing blocks publication." in text
    assert main(["check", "--json", "--index", str(real_index)]) == 0
    data = json.loads(capsys.readouterr().out)
    manifest = open_index(real_index).manifest
    assert data["reviews"]["pages"] == manifest.counts["pages"]
    assert sum(c["faq"] for c in data["counts"]["by_topic"].values()) == manifest.counts["faq"]
    assert len(data["policy_pending"]) == _directive_options("status: policy-pending")
    assert len(data["escalations"]) == _directive_options("escalate:")
    assert all(e["signs"] for e in data["escalations"])
    grades = [g["grade"] for g in data["reading_grades"] if g["grade"] is not None]
    assert grades == sorted(grades, reverse=True) and max(grades) <= 8
