"""The content health report's layouts (:mod:`prolo_kb.health` computes it): terminal
and JSON. ``prolo-kb check`` prints it as plain text in terminal-width tables, what blocks
publication first, or with ``--json`` as one JSON object for tools."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from itertools import zip_longest
from typing import Any

from .content import Document
from .health import HealthReport, Review, plural

Row = Sequence[str]


def table(headers: Row, rows: Iterable[Row], *, width: int = 100, wrap: int | None = None,
          limits: dict[int, int] | None = None, right: Iterable[int] = (),
          indent: int = 2) -> list[str]:
    """A plain-text table at most ``width`` wide (unless it cannot be): column ``wrap``
    takes the width the others leave, a column in ``limits`` wraps at its limit, and the
    columns in ``right`` (numbers) are right-aligned."""
    body = [[str(cell) for cell in row] for row in rows]
    limits = dict(limits or {})
    widths = [max([len(header), *(len(row[n]) for row in body)])
              for n, header in enumerate(headers)]
    for n, limit in limits.items():
        widths[n] = max(min(widths[n], limit), len(headers[n]))
    if wrap is not None:
        others = sum(w for n, w in enumerate(widths) if n != wrap) + 2 * (len(widths) - 1)
        widths[wrap] = max(min(widths[wrap], width - indent - others), 20,
                           len(headers[wrap]))
    pad = " " * indent
    right = set(right)

    def render(cells: Row) -> list[str]:
        wrapped = [[cell] if len(cell) <= size else textwrap.wrap(cell, size) or [""]
                   for cell, size in zip(cells, widths, strict=True)]
        return [(pad + "  ".join(part.rjust(size) if n in right else part.ljust(size)
                                 for n, (part, size)
                                 in enumerate(zip(parts, widths, strict=True)))).rstrip()
                for parts in zip_longest(*wrapped, fillvalue="")]

    lines = render(headers)
    lines.append(pad + "  ".join("-" * size for size in widths))
    for row in body:
        lines.extend(render(row))
    return lines


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _when(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def _blocking(report: HealthReport, width: int) -> list[str]:
    out = _heading(f"Blocks publication ({len(report.problems)})")
    if not report.problems:
        return [*out, "  Nothing blocks publication."]
    return out + table(["Where", "Problem"], [(p.where, p.message) for p in report.problems],
                       width=width, wrap=1)


def _review_rows(reviews: Iterable[Review], status: Any) -> list[Row]:
    return [(r.page.next_review or "missing", status(r), r.page.title,
             r.page.reviewed_by or "not set", r.page.source_file) for r in reviews]


def _reviews_text(report: HealthReport, width: int) -> list[str]:
    out = _heading("Reviews")
    late = (*report.overdue, *report.undated)
    if late:
        out.append(f"  Overdue or without a date ({len(late)}):")
        rows = _review_rows(late, lambda r: "no date" if r.due is None
                            else f"{plural(-(r.days_left or 0), 'day')} late")
        out += table(["Due", "Status", "Page", "Reviewer", "File"], rows, width=width,
                     wrap=2, limits={3: 30}, indent=4)
    else:
        out.append("  Overdue: none.")
    soon = report.due_soon
    if soon:
        out.append(f"  Due within {report.soon_days} days ({len(soon)}):")
        rows = _review_rows(soon, lambda r: _when(r.days_left or 0))
        out += table(["Due", "When", "Page", "Reviewer", "File"], rows, width=width,
                     wrap=2, limits={3: 30}, indent=4)
    else:
        out.append(f"  Due within {report.soon_days} days: none.")
    if report.next_due:
        first = report.next_due[0].page
        who = "; ".join(sorted({r.page.reviewed_by or "reviewer not set"
                                for r in report.next_due}))
        out.append(f"  Next review due: {first.next_review}, for {len(report.next_due)} of "
                   f"{report.pages} pages ({who}).")
    return out


def _pending_text(report: HealthReport, width: int) -> list[str]:
    pending = report.policy_pending
    out = _heading(f"Clinic policy pending ({len(pending)}): the clinic's to-do list")
    if not pending:
        return [*out, "  None: every question has an approved answer."]
    return out + table(["Topic", "Question", "File"],
                       [(d.topic, d.title, d.source_file) for d in pending],
                       width=width, wrap=1)


def _grades_text(report: HealthReport, width: int) -> list[str]:
    over = sum(1 for g in report.grades if g.over_limit)
    out = _heading(f"Reading grade of patient- and staff-facing text, worst first "
                   f"({len(report.grades)}; {over} above {report.max_grade:g})")
    if not report.grades:
        return [*out, "  No patient- or staff-facing text in the index."]
    rows = [("-" if g.doc.grade is None else f"{g.doc.grade:.1f}",
             "TOO HIGH" if g.over_limit else "ok",
             "FAQ" if g.what == "faq" else "summary", g.doc.title, g.doc.source_file)
            for g in report.grades]
    out += table(["Grade", "Check", "Kind", "Text", "File"], rows, width=width, wrap=3,
                 right=[0])
    if any(g.doc.grade is None for g in report.grades):
        out.append("  (grade -: too little text to grade)")
    return out


def _sources_text(report: HealthReport, width: int) -> list[str]:
    sourceless = report.without_sources
    approved = sum(1 for d in sourceless if d.status == "approved")
    out = _heading(f"FAQ entries without sources ({len(sourceless)}: {approved} approved, "
                   f"{len(sourceless) - approved} policy pending)")
    if not sourceless:
        return [*out, "  None: every FAQ entry names its sources."]
    rows = [("approved: BLOCKS" if d.status == "approved" else "policy pending", d.title,
             d.source_file) for d in sourceless]
    out += table(["Status", "Question", "File"], rows, width=width, wrap=1)
    out.append("  (a policy-pending entry sends the patient to a clinician and needs no "
               "source)")
    return out


def _escalations_text(report: HealthReport, width: int) -> list[str]:
    esc = report.escalations
    out = _heading(f"Escalation entries ({len(esc)}) and the warning signs they cover")
    if not esc:
        return [*out, "  None."]
    rows = [(d.id, "; ".join(d.signs) or "(no signs listed)", d.source_file) for d in esc]
    return out + table(["Entry", "Warning signs (patients' words)", "File"], rows,
                       width=width, wrap=1)


def _counts_text(report: HealthReport) -> list[str]:
    out = _heading("Counts")
    topics = report.by_topic
    out += table(["Topic", "FAQ", "Sections"],
                 [*((topic, str(c["faq"]), str(c["section"])) for topic, c in topics.items()),
                  ("total", str(sum(c["faq"] for c in topics.values())),
                   str(sum(c["section"] for c in topics.values())))], right=[1, 2])
    out.append("")
    out += table(["Audience", "FAQ", "Sections"],
                 [(who, str(c["faq"]), str(c["section"]))
                  for who, c in report.by_audience.items()], right=[1, 2])
    out.append(f"  ({report.pages} pages; an entry for several audiences counts for each)")
    return out


def _wordings_text(title: str, advice: list[str], headers: Row, rows: list[Row],
                   width: int) -> list[str]:
    """A never-blocking listing of wordings the search reads as one word."""
    out = _heading(f"{title} ({len(rows)})")
    if not rows:
        return [*out, "  None."]
    return [*out, *("  " + line for line in advice),
            *table(headers, rows, width=width, wrap=1)]


def _one_word_text(report: HealthReport, width: int) -> list[str]:
    return _wordings_text(
        "Glossary wordings the search reads as one word",
        ["Without its small words each stands for its group wherever that one word is "
         "typed.", "Keep it only if the word alone means the term "
         "(docs/_data/glossary.yaml)."],
        ["Term", "Wording", "Read as"],
        [(o.term, o.wording, o.reads_as) for o in report.one_word], width)


def _everyday_text(report: HealthReport, width: int) -> list[str]:
    return _wordings_text(
        "FAQ wordings the search reads as one everyday word",
        ["Every question holding that word looks like the entry's question. Keep a word "
         "of", 'the topic in the wording ("how long is the visit", not "how long will I '
         'be there").'],
        ["Entry", "Wording", "Read as", "File"],
        [(e.doc.id, e.wording, e.reads_as, e.doc.source_file) for e in report.everyday],
        width)


def _placeholders_text(report: HealthReport, width: int) -> list[str]:
    found = report.placeholders
    if found is None:
        return [*_heading("Unset placeholders"), "  Not recorded: the build that wrote this "
                "index kept no record of the clinic's settings (run make build)."]
    out = _heading(f"Unset placeholders ({len(found)}): the clinic's to set in docs/conf.py")
    if not found:
        return [*out, "  None: the clinic's phone and the feedback address are set."]
    return out + table(["Setting", "Now", "What it is"],
                       [(p.setting, p.value or "(empty)", p.what) for p in found],
                       width=width, wrap=2)


def format_report(report: HealthReport, *, width: int = 100) -> str:
    """The report as readable plain text, about ``width`` characters wide."""
    width = max(72, width)
    out = [
        f"Content health of {report.index or 'the index'} (built {report.built_at})",
        f"Checked on {report.today.isoformat()}; reviews due within {report.soon_days} days "
        f"are listed; reading grade limit {report.max_grade:g}.",
        *_blocking(report, width),
        *_reviews_text(report, width),
        *_pending_text(report, width),
        *_grades_text(report, width),
        *_sources_text(report, width),
        *_escalations_text(report, width),
        *_counts_text(report),
        *_one_word_text(report, width),
        *_everyday_text(report, width),
        *_placeholders_text(report, width),
        "",
    ]
    out.append("Result: OK, nothing blocks publication." if report.ok else
               f"Result: BLOCKED, {plural(len(report.problems), 'problem')} to fix before "
               "publication (listed at the top).")
    return "\n".join(out)


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
            "next_due": ({"date": report.next_due[0].page.next_review,
                          "pages": [r.page.docname for r in report.next_due]}
                         if report.next_due else None),
        },
        "policy_pending": [_entry(d) for d in report.policy_pending],
        "reading_grades": [g.to_dict() for g in report.grades],
        "without_sources": [{**_entry(d), "blocking": d.status == "approved"}
                            for d in report.without_sources],
        "escalations": [{**_entry(d), "signs": list(d.signs)} for d in report.escalations],
        "counts": {"by_topic": report.by_topic, "by_audience": report.by_audience},
        "glossary_one_word": [o.to_dict() for o in report.one_word],
        "faq_everyday_word": [e.to_dict() for e in report.everyday],
        "placeholders": (None if report.placeholders is None
                         else [p.to_dict() for p in report.placeholders]),
    }
