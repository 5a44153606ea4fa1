"""Content health: what the clinical content lead has to fix before the next release.

``prolo-kb check`` reads the built index and its manifest (never the Sphinx sources), so
it runs wherever the runtime is installed. :func:`assess` computes the report as data;
:func:`format_report` and :func:`report_json` only present it; :func:`run_check` is the
command's body.

Publication is blocked by the same rules the docs build enforces:

- a page whose review is overdue (or whose review date is missing or not a date);
- an approved FAQ answer that names no source (policy-pending entries send the patient to
  a clinician and need none);
- patient- or staff-facing text (an FAQ answer for patients or staff, or a page's
  plain-language summary) above the reading-grade limit, Flesch-Kincaid grade 8.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import zip_longest
from pathlib import Path
from typing import Any, Literal, TextIO

from .content import Document, PageMeta
from .errors import KBError
from .store import Manifest, iter_documents, open_index

MAX_GRADE = 8.0
SOON_DAYS = 90
MAX_SOON_DAYS = 3660

ProblemKind = Literal["overdue-review", "no-review-date", "no-sources", "reading-grade"]


class CheckError(KBError):
    """Bad input to ``prolo-kb check`` (the message is one line)."""


@dataclass(frozen=True)
class Problem:
    """One thing that blocks publication, located in the sources."""

    kind: ProblemKind
    where: str  # "docs/faq/x.md:12"
    subject: str  # page docname or FAQ id
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "subject": self.subject,
                "message": self.message}


@dataclass(frozen=True)
class Review:
    """A page's review status on the day of the check."""

    page: PageMeta
    due: date | None  # None: next_review missing or not a date
    days_left: int | None  # negative when overdue

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page.docname,
            "title": self.page.title,
            "next_review": self.page.next_review,
            "days_left": self.days_left,
            "reviewed_by": self.page.reviewed_by,
            "last_reviewed": self.page.last_reviewed,
            "source_file": self.page.source_file,
            "url": self.page.url,
        }


@dataclass(frozen=True)
class Graded:
    """The reading grade of one piece of patient- or staff-facing text."""

    doc: Document
    what: Literal["faq", "summary"]
    over_limit: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.doc.id, "what": self.what, "title": self.doc.title,
                "grade": self.doc.grade, "over_limit": self.over_limit,
                "audience": list(self.doc.audience), "status": self.doc.status,
                "source_file": self.doc.source_file, "url": self.doc.url}


@dataclass(frozen=True)
class HealthReport:
    """Everything ``prolo-kb check`` reports, computed from one index."""

    index: str
    built_at: str
    today: date
    soon_days: int
    max_grade: float
    pages: int
    overdue: tuple[Review, ...]
    undated: tuple[Review, ...]
    due_soon: tuple[Review, ...]
    next_due: tuple[Review, ...]  # the pages with the earliest review date
    policy_pending: tuple[Document, ...]
    grades: tuple[Graded, ...]  # worst first; ungraded text last
    without_sources: tuple[Document, ...]  # approved (blocking) first
    escalations: tuple[Document, ...]
    by_topic: dict[str, dict[str, int]]
    by_audience: dict[str, dict[str, int]]
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def _location_key(source_file: str) -> tuple[str, int]:
    path, _, line = source_file.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return source_file, 0


def _doc_key(doc: Document) -> tuple[str, int, str]:
    return (*_location_key(doc.source_file), doc.id)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _reviews(pages: Iterable[PageMeta], today: date) -> list[Review]:
    reviews = []
    for page in pages:
        due = _parse_date(page.next_review)
        reviews.append(Review(page, due, None if due is None else (due - today).days))
    return reviews


def _graded(docs: Iterable[Document], max_grade: float) -> list[Graded]:
    """FAQ answers for patients or staff, and every page summary (the build grades
    summaries whatever the page's audience: they are the plain-language part)."""
    found = []
    for doc in docs:
        if doc.kind == "faq" and doc.patient_facing:
            what: Literal["faq", "summary"] = "faq"
        elif doc.kind == "section" and doc.grade is not None:
            what = "summary"
        else:
            continue
        found.append(Graded(doc, what, doc.grade is not None and doc.grade > max_grade))
    found.sort(key=lambda g: (g.doc.grade is None, -(g.doc.grade or 0.0), _doc_key(g.doc)))
    return found


def _count(docs: Iterable[Document], keys: Any) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for doc in docs:
        for key in keys(doc):
            row = counts.setdefault(key, {"faq": 0, "section": 0})
            row[doc.kind] += 1
    return dict(sorted(counts.items()))


def assess(
    manifest: Manifest,
    documents: Iterable[Document],
    *,
    today: date,
    soon_days: int = SOON_DAYS,
    max_grade: float = MAX_GRADE,
    index: str = "",
) -> HealthReport:
    """The health report of an index's content on ``today``; pure, no I/O."""
    docs = list(documents)
    reviews = _reviews(manifest.pages, today)
    dated = sorted((r for r in reviews if r.due is not None),
                   key=lambda r: (r.due or today, r.page.docname))
    overdue = tuple(r for r in dated if r.days_left is not None and r.days_left < 0)
    due_soon = tuple(r for r in dated
                     if r.days_left is not None and 0 <= r.days_left <= soon_days)
    undated = tuple(sorted((r for r in reviews if r.due is None),
                           key=lambda r: r.page.docname))
    faqs = sorted((d for d in docs if d.kind == "faq"), key=_doc_key)
    pending = tuple(d for d in faqs if d.status == "policy-pending")
    sourceless = tuple(sorted((d for d in faqs if not d.sources),
                              key=lambda d: (d.status != "approved", *_doc_key(d))))
    escalations = tuple(d for d in faqs if d.escalate)
    grades = _graded(docs, max_grade)

    problems: list[Problem] = []
    for review in overdue:
        page = review.page
        problems.append(Problem(
            "overdue-review", page.source_file or page.docname, page.docname,
            f"review of {page.title!r} was due {page.next_review} "
            f"({-(review.days_left or 0)} days ago; reviewer: {page.reviewed_by or 'not set'})"))
    for review in undated:
        page = review.page
        value = page.next_review or "missing"
        problems.append(Problem(
            "no-review-date", page.source_file or page.docname, page.docname,
            f"page {page.title!r} has no valid next_review date ({value})"))
    for doc in sourceless:
        if doc.status == "approved":
            problems.append(Problem(
                "no-sources", doc.source_file or doc.id, doc.id,
                f"approved answer {doc.id!r} names no source"))
    for graded in grades:
        if graded.over_limit:
            doc = graded.doc
            what = (f"answer {doc.id!r}" if graded.what == "faq"
                    else f"summary of {doc.page or doc.id!r}")
            problems.append(Problem(
                "reading-grade", doc.source_file or doc.id, doc.id,
                f"{what} reads at grade {doc.grade:.1f} (limit {max_grade:g})"))
    problems.sort(key=lambda p: (_location_key(p.where), p.kind))

    return HealthReport(
        index=index,
        built_at=manifest.built_at,
        today=today,
        soon_days=soon_days,
        max_grade=max_grade,
        pages=len(manifest.pages),
        overdue=overdue,
        undated=undated,
        due_soon=due_soon,
        next_due=tuple(r for r in dated if r.due == dated[0].due) if dated else (),
        policy_pending=pending,
        grades=tuple(grades),
        without_sources=sourceless,
        escalations=escalations,
        by_topic=_count(docs, lambda d: [d.topic or "(none)"]),
        by_audience=_count(docs, lambda d: list(d.audience) or ["(none)"]),
        problems=tuple(problems),
    )


# --- JSON -------------------------------------------------------------------------------

def _entry(doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "title": doc.title, "topic": doc.topic,
            "audience": list(doc.audience), "status": doc.status,
            "source_file": doc.source_file, "url": doc.url}


def report_json(report: HealthReport) -> dict[str, Any]:
    """The report as one JSON-ready object, for tools."""
    return {
        "index": report.index,
        "built_at": report.built_at,
        "today": report.today.isoformat(),
        "soon_days": report.soon_days,
        "max_grade": report.max_grade,
        "ok": report.ok,
        "blocking": [p.to_dict() for p in report.problems],
        "reviews": {
            "pages": report.pages,
            "overdue": [r.to_dict() for r in report.overdue],
            "undated": [r.to_dict() for r in report.undated],
            "due_soon": [r.to_dict() for r in report.due_soon],
            "next_due": [r.to_dict() for r in report.next_due],
        },
        "policy_pending": [_entry(d) for d in report.policy_pending],
        "reading_grades": [g.to_dict() for g in report.grades],
        "without_sources": [{**_entry(d), "blocking": d.status == "approved"}
                            for d in report.without_sources],
        "escalations": [{**_entry(d), "signs": list(d.signs)} for d in report.escalations],
        "counts": {"by_topic": report.by_topic, "by_audience": report.by_audience},
    }


# --- Plain text -------------------------------------------------------------------------

def table(headers: Sequence[str], rows: Iterable[Sequence[str]],
          limits: Sequence[int | None], indent: int = 2) -> list[str]:
    """A plain-text table; a column with a limit wraps its cells at that width."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = []
    for n, header in enumerate(headers):
        natural = max([len(header), *(len(row[n]) for row in body)])
        limit = limits[n]
        widths.append(natural if limit is None else max(min(natural, limit), len(header)))
    pad = " " * indent

    def render(cells: Sequence[str]) -> list[str]:
        wrapped = [textwrap.wrap(cell, width) or [""] if len(cell) > width else [cell]
                   for cell, width in zip(cells, widths, strict=True)]
        out = []
        for parts in zip_longest(*wrapped, fillvalue=""):
            line = "  ".join(part.ljust(width) for part, width in zip(parts, widths,
                                                                      strict=True))
            out.append(pad + line.rstrip())
        return out

    lines = render(headers)
    lines.append(pad + "  ".join("-" * width for width in widths))
    for row in body:
        lines.extend(render(row))
    return lines


def _flex(width: int, fixed: Sequence[int]) -> int:
    """Width left for the one wrapping column of a table ``width`` characters wide."""
    return max(24, width - 2 - sum(fixed) - 2 * len(fixed))


def _heading(title: str) -> list[str]:
    return ["", title, "=" * len(title)]


def _days(days: int) -> str:
    return f"in {days} days" if days != 1 else "tomorrow" if days else "today"


def _audience(doc: Document) -> str:
    return ", ".join(doc.audience) or "-"


def format_report(report: HealthReport, *, width: int = 100) -> str:
    """The report as readable plain text, ``width`` characters wide at most."""
    width = max(72, width)
    out: list[str] = [
        f"Content health of {report.index or 'the index'} (built {report.built_at})",
        f"Checked on {report.today.isoformat()}: reviews due within {report.soon_days} "
        f"days, reading grade limit {report.max_grade:g}.",
    ]

    out += _heading(f"Blocks publication ({len(report.problems)})")
    if report.problems:
        where = max(len(p.where) for p in report.problems)
        out += table(["Where", "Problem"],
                     [(p.where, p.message) for p in report.problems],
                     [None, _flex(width, [where])])
    else:
        out.append("  Nothing blocks publication.")

    out += _heading("Reviews")
    if report.overdue or report.undated:
        rows = [(r.page.next_review or "missing", "overdue" if r.due else "no date",
                 r.page.title, r.page.reviewed_by or "not set", r.page.source_file)
                for r in (*report.overdue, *report.undated)]
        out.append(f"  Overdue or undated ({len(rows)}):")
        out += table(["Due", "Status", "Page", "Reviewer", "File"], rows,
                     [None, None, 28, 28, None], indent=4)
    else:
        out.append("  Overdue: none.")
    if report.due_soon:
        out.append(f"  Due within {report.soon_days} days ({len(report.due_soon)}):")
        rows = [(r.page.next_review, _days(r.days_left or 0), r.page.title,
                 r.page.reviewed_by or "not set", r.page.source_file)
                for r in report.due_soon]
        out += table(["Due", "When", "Page", "Reviewer", "File"], rows,
                     [None, None, 28, 28, None], indent=4)
    else:
        out.append(f"  Due within {report.soon_days} days: none.")
    if report.next_due:
        first = report.next_due[0].page
        who = "; ".join(sorted({r.page.reviewed_by or "reviewer not set"
                                for r in report.next_due}))
        out.append(f"  Next review due: {first.next_review} for {len(report.next_due)} of "
                   f"{report.pages} pages ({who}).")

    pending = report.policy_pending
    out += _heading(f"Clinic policy pending ({len(pending)}): the clinic's to-do list")
    if pending:
        out += table(["Topic", "Question", "File"],
                     [(d.topic, d.title, d.source_file) for d in pending],
                     [None, _flex(width, [_col(d.topic for d in pending),
                                          _col(d.source_file for d in pending)]), None])
    else:
        out.append("  None: every question has an approved answer.")

    over = sum(1 for g in report.grades if g.over_limit)
    out += _heading(f"Reading grade of patient- and staff-facing text ({len(report.grades)}, "
                    f"worst first; {over} above {report.max_grade:g})")
    if report.grades:
        rows = [(("-" if g.doc.grade is None else f"{g.doc.grade:.1f}")
                 + (" !" if g.over_limit else ""),
                 "FAQ" if g.what == "faq" else "summary", g.doc.title, g.doc.source_file)
                for g in report.grades]
        out += table(["Grade", "Kind", "Text", "File"], rows,
                     [None, None, _flex(width, [7, 7, _col(r[3] for r in rows)]), None])
        if any(g.doc.grade is None for g in report.grades):
            out.append("  (-: too little text to grade)")
    else:
        out.append("  No patient- or staff-facing text in the index.")

    sourceless = report.without_sources
    approved = sum(1 for d in sourceless if d.status == "approved")
    out += _heading(f"FAQ entries without sources ({len(sourceless)}: {approved} approved, "
                    f"{len(sourceless) - approved} policy pending)")
    if sourceless:
        rows = [("approved !" if d.status == "approved" else "pending", d.title,
                 d.source_file) for d in sourceless]
        out += table(["Status", "Question", "File"], rows,
                     [None, _flex(width, [10, _col(r[2] for r in rows)]), None])
        out.append("  (policy-pending entries send the patient to a clinician and need no "
                   "source)")
    else:
        out.append("  None: every FAQ entry names its sources.")

    esc = report.escalations
    out += _heading(f"Escalation entries ({len(esc)}) and the warning signs they cover")
    if esc:
        rows = [(d.id, "; ".join(d.signs) or "(no signs listed)", d.source_file) for d in esc]
        out += table(["Entry", "Warning signs", "File"], rows,
                     [None, _flex(width, [_col(r[0] for r in rows),
                                          _col(r[2] for r in rows)]), None])
    else:
        out.append("  None.")

    out += _heading("Counts")
    out += table(["Topic", "FAQ", "Sections"],
                 [(topic, str(c["faq"]), str(c["section"]))
                  for topic, c in report.by_topic.items()]
                 + [("total", str(sum(c["faq"] for c in report.by_topic.values())),
                     str(sum(c["section"] for c in report.by_topic.values())))],
                 [None, None, None])
    out.append("")
    out += table(["Audience", "FAQ", "Sections"],
                 [(who, str(c["faq"]), str(c["section"]))
                  for who, c in report.by_audience.items()], [None, None, None])
    out.append(f"  ({report.pages} pages; an entry for several audiences counts once for "
               "each)")

    out.append("")
    if report.ok:
        out.append("Result: OK, nothing blocks publication.")
    else:
        n = len(report.problems)
        out.append(f"Result: BLOCKED, {n} problem{'s' if n != 1 else ''} must be fixed "
                   "before publication (listed at the top).")
    return "\n".join(out)


def _col(values: Iterable[str]) -> int:
    return max((len(v) for v in values), default=0)


# --- The command ------------------------------------------------------------------------

def run_check(
    index_path: Path,
    *,
    as_json: bool = False,
    soon_days: int = SOON_DAYS,
    today: date | None = None,
    max_grade: float = MAX_GRADE,
    out: TextIO | None = None,
) -> int:
    """``prolo-kb check``: print the report; 0 when nothing blocks publication, else 1.

    An unusable index or bad arguments raise :class:`KBError` (the CLI prints one line
    and exits 2).
    """
    if not 0 <= soon_days <= MAX_SOON_DAYS:
        raise CheckError(f"--soon-days must be between 0 and {MAX_SOON_DAYS}, "
                         f"not {soon_days}")
    opened = open_index(Path(index_path))
    report = assess(opened.manifest, iter_documents(opened),
                    today=today or date.today(), soon_days=soon_days,
                    max_grade=max_grade, index=str(index_path))
    stream = out or sys.stdout
    if as_json:
        stream.write(json.dumps(report_json(report), ensure_ascii=False, indent=1) + "\n")
    else:
        width = shutil.get_terminal_size((100, 24)).columns
        stream.write(format_report(report, width=min(width, 140)) + "\n")
    return report.exit_code
