"""Content health: what the clinical content lead has to fix before the next release.

``prolo-kb check`` reads the built index and its manifest (never the Sphinx sources), so
it runs wherever the runtime is installed. :func:`assess` computes the report as data;
:func:`prolo_kb.health_text.report_json` and :func:`prolo_kb.health_text.format_report`
only present it; :func:`run_check` is the command's body.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, TextIO

from . import dictionary
from .content import Document, GlossaryTerm, PageMeta, parse_date
from .errors import KBError
from .manifest import Manifest
from .placeholders import Placeholder, unset
from .placeholders import read as read_settings
from .schema import analyze, clinical_stem, words
from .store import iter_documents, open_index

MAX_GRADE = 8.0
# A word making up this share of English text or more is an everyday word: BM25's English
# prior (prolo_kb.model) counts it as in at least 2% of the entries.
EVERYDAY_SHARE = 0.0002
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
class OneWord:
    """A glossary wording of several words that the search reads as one: without its
    stop words "a temp" is "temp", so every "temp" stands for the group. Often meant
    ("a temp"), sometimes a trap ("why it works" was why + work); never blocking."""

    term: str
    wording: str
    reads_as: str

    def to_dict(self) -> dict[str, str]:
        return {"term": self.term, "wording": self.wording, "reads_as": self.reads_as}


@dataclass(frozen=True)
class EverydayWording:
    """An FAQ's other wording that the search reads as one everyday word: without its
    stop words "how long will I be there" is "long", so every question with "long" in it
    looks like that entry's question. Never blocking."""

    doc: Document
    wording: str
    reads_as: str
    share: float  # of English running text

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.doc.id, "wording": self.wording, "reads_as": self.reads_as,
                "english_share": self.share, "source_file": self.doc.source_file}


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
    one_word: tuple[OneWord, ...] = ()  # glossary wordings the search reads as one word
    # FAQ wordings the search reads as one everyday word, most everyday first
    everyday: tuple[EverydayWording, ...] = ()
    # Settings still at a placeholder (listed, never blocking); None: not recorded.
    placeholders: tuple[Placeholder, ...] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def plural(n: int, noun: str) -> str:
    """``"1 day"``, ``"3 days"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _location_key(source_file: str) -> tuple[str, int]:
    path, _, line = source_file.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return source_file, 0


def _doc_key(doc: Document) -> tuple[str, int, str]:
    return (*_location_key(doc.source_file), doc.id)


def _reviews(pages: Iterable[PageMeta], today: date) -> list[Review]:
    reviews = []
    for page in pages:
        due = parse_date(page.next_review)
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


def _one_word(glossary: Iterable[GlossaryTerm]) -> tuple[OneWord, ...]:
    found = []
    for group in glossary:
        for wording in (group.term, *group.lay):
            stems = analyze(wording)
            if len(stems) == 1 and len(words(wording)) > 1:
                found.append(OneWord(group.term, wording, stems[0]))
    return tuple(found)


def _everyday(docs: Iterable[Document]) -> tuple[EverydayWording, ...]:
    shrunk = [(doc, wording, stems[0]) for doc in docs for wording in doc.also
              if len(stems := analyze(wording)) == 1 and len(words(wording)) > 1]
    if not shrunk:
        return ()
    # the English word list (~0.5 s to sum by stem): a check, not a search
    english = dictionary.stem_shares({stem for _, _, stem in shrunk}, clinical_stem)
    found = [EverydayWording(doc, wording, stem, english[stem])
             for doc, wording, stem in shrunk if english.get(stem, 0.0) >= EVERYDAY_SHARE]
    return tuple(sorted(found, key=lambda e: (-e.share, e.doc.id)))


def _count(docs: Iterable[Document],
           keys: Callable[[Document], Iterable[str]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for doc in docs:
        for key in keys(doc):
            row = counts.setdefault(key, {"faq": 0, "section": 0})
            row[doc.kind] += 1
    return dict(sorted(counts.items()))


def _problems(overdue: Iterable[Review], undated: Iterable[Review],
              sourceless: Iterable[Document], grades: Iterable[Graded],
              max_grade: float) -> list[Problem]:
    """What blocks publication, in file order."""
    problems: list[Problem] = []
    for review in overdue:
        page = review.page
        problems.append(Problem(
            "overdue-review", page.source_file or page.docname, page.docname,
            f"review of {page.title!r} was due {page.next_review} "
            f"({plural(-(review.days_left or 0), 'day')} ago; "
            f"reviewer: {page.reviewed_by or 'not set'})"))
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
    return problems


def assess(
    manifest: Manifest,
    documents: Iterable[Document],
    *,
    today: date,
    soon_days: int = SOON_DAYS,
    max_grade: float = MAX_GRADE,
    index: str = "",
) -> HealthReport:
    """The health report of an index's content on ``today``; pure (it reads nothing but
    the bundled English word list, for the everyday-word listing)."""
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

    problems = _problems(overdue, undated, sourceless, grades, max_grade)

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
        one_word=_one_word(manifest.glossary),
        everyday=_everyday(faqs),
    )


def run_check(
    index_path: Path,
    *,
    as_json: bool = False,
    soon_days: int = SOON_DAYS,
    today: date | None = None,
    max_grade: float = MAX_GRADE,
    out: TextIO | None = None,
    usage_dbs: Sequence[Path | str] = (),
) -> int:
    """``prolo-kb check``: print the report; 0 when nothing blocks publication, else 1.

    With ``usage_dbs`` (``--usage-db``) it adds what staff could not find in the last 30
    days (:mod:`prolo_kb.gaps`); that never changes the exit code.

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
    settings = read_settings(Path(index_path))
    if settings is not None:
        report = replace(report, placeholders=tuple(unset(settings)))
    usage = None
    if usage_dbs:
        from .gaps import gaps

        usage = gaps(usage_dbs, today=today)
    from .health_text import format_report, report_json  # the layouts (they import this)

    stream = out or sys.stdout
    if as_json:
        data = report_json(report)
        if usage is not None:
            data["usage"] = usage
        stream.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    else:
        width = shutil.get_terminal_size((100, 24)).columns
        stream.write(format_report(report, width=min(width, 140)) + "\n")
        if usage is not None:
            from .gaps import summary_lines

            stream.write("\n".join(summary_lines(usage)) + "\n")
    return report.exit_code
