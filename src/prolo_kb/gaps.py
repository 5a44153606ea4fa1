"""The content lead's report of what staff could not find: ``prolo-kb gaps``.

It reads one or more usage databases (one per server replica; :mod:`prolo_kb.usage`),
read-only, and merges them: searches in the period, questions no entry answers
(``not_covered``), questions whose results were never opened or copied, the entries copied
most, entries marked unhelpful with the questions that led there, and escalations by
urgency. Queries are as stored: reduced, patient details shown as ``…``; a query that was
nothing but patient details is only counted.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from .errors import KBError
from .scrub import MASK
from .usage import connect

DAYS = 30
MAX_DAYS = 3660
LIMIT = 20


class GapsError(KBError):
    """A usage database that cannot be read, or a bad argument (one line)."""


class _Totals:
    """Counts merged over every database."""

    def __init__(self) -> None:
        self.searches = 0
        self.queries: Counter[str] = Counter()
        self.not_covered: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()  # searches with results that answer
        self.used: set[str] = set()  # queries whose results were opened or copied
        self.events: dict[str, Counter[str]] = defaultdict(Counter)
        self.unhelpful_queries: dict[str, Counter[str]] = defaultdict(Counter)
        self.urgency: Counter[str] = Counter()

    def add(self, conn: sqlite3.Connection, since: str) -> None:
        rows = conn.execute("SELECT query, not_covered, total > 0, urgency, COUNT(*) "
                            "FROM searches WHERE day >= ? "
                            "GROUP BY query, not_covered, total > 0, urgency", (since,))
        for query, not_covered, had_hits, urgency, count in rows:
            self.searches += count
            self.queries[query] += count
            if not_covered or not had_hits:
                self.not_covered[query] += count
            else:
                self.answered[query] += count
            if urgency:
                self.urgency[urgency] += count
        rows = conn.execute("SELECT type, entry, query, COUNT(*) FROM events "
                            "WHERE day >= ? GROUP BY type, entry, query", (since,))
        for kind, entry, query, count in rows:
            self.events[kind][entry] += count
            if kind in ("opened", "copied"):
                self.used.add(query)
            if kind == "unhelpful":
                self.unhelpful_queries[entry][query] += count


def _readable(counter: Counter[str], limit: int) -> list[dict[str, Any]]:
    """The most frequent queries that say something (not only ``…``), ties by text."""
    rows = sorted(((q, n) for q, n in counter.items() if q.strip() and q != MASK),
                  key=lambda item: (-item[1], item[0]))
    return [{"query": q, "count": n} for q, n in rows[:limit]]


def _entries(counter: Counter[str], limit: int) -> list[dict[str, Any]]:
    rows = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [{"id": entry, "count": n} for entry, n in rows[:limit]]


def gaps(paths: Sequence[Path | str], *, days: int = DAYS, today: date | None = None,
         limit: int = LIMIT) -> dict[str, Any]:
    """The report, merged over ``paths``, for the last ``days`` days up to ``today``."""
    if not paths:
        raise GapsError("no usage database given: pass --usage-db FILE "
                        "(the file `prolo-kb serve --usage-db FILE` writes)")
    if not 1 <= days <= MAX_DAYS:
        raise GapsError(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    paths = list({Path(p).resolve(): p for p in paths}.values())  # a file counts once
    today = today or date.today()
    since = (today - timedelta(days=days - 1)).isoformat()
    totals = _Totals()
    for path in paths:
        if not Path(path).is_file():
            raise GapsError(f"no usage database at {path}")
        try:
            conn = connect(path, readonly=True)
            try:
                totals.add(conn, since)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise GapsError(f"cannot read the usage database {path}: "
                            f"{str(exc).splitlines()[0]}") from None
    never_used = Counter({q: n for q, n in totals.answered.items() if q not in totals.used})
    unhelpful = [{**row, "queries": _readable(totals.unhelpful_queries[row["id"]], 5)}
                 for row in _entries(totals.events["unhelpful"], limit)]
    return {
        "files": [str(p) for p in paths],
        "since": since,
        "until": today.isoformat(),
        "days": days,
        "searches": totals.searches,
        "only_patient_details": totals.queries.get(MASK, 0),
        "top_queries": _readable(totals.queries, limit),
        "not_covered": _readable(totals.not_covered, limit),
        "not_covered_total": sum(totals.not_covered.values()),
        "never_opened": _readable(never_used, limit),
        "copied": _entries(totals.events["copied"], limit),
        "opened": _entries(totals.events["opened"], limit),
        "helpful": _entries(totals.events["helpful"], limit),
        "unhelpful": unhelpful,
        "escalations": dict(sorted(totals.urgency.items())),
    }


# --- Plain text -------------------------------------------------------------------------

def _queries_text(title: str, rows: Iterable[dict[str, Any]], empty: str) -> list[str]:
    rows = list(rows)
    out = ["", title, "-" * len(title)]
    if not rows:
        return [*out, f"  {empty}"]
    return out + [f"  {row['count']:>5}  {row['query']}" for row in rows]


def _entries_text(title: str, rows: Iterable[dict[str, Any]], empty: str) -> list[str]:
    rows = list(rows)
    out = ["", title, "-" * len(title)]
    if not rows:
        return [*out, f"  {empty}"]
    lines = []
    for row in rows:
        lines.append(f"  {row['count']:>5}  {row['id']}")
        for asked in row.get("queries", ()):
            lines.append(f"         asked as: {asked['query']} ({asked['count']})")
    return out + lines


def summary_lines(report: dict[str, Any], limit: int = 5) -> list[str]:
    """A short 'what staff could not find' section (for ``prolo-kb check``)."""
    title = (f"What staff could not find ({report['since']} to {report['until']}: "
             f"{report['searches']} searches, {report['not_covered_total']} not covered)")
    out = ["", title, "-" * len(title)]
    rows = report["not_covered"][:limit]
    if not rows:
        return [*out, "  Nothing: every search found an answer."]
    out += [f"  {row['count']:>5}  {row['query']}" for row in rows]
    out.append("  (all of it: prolo-kb gaps --usage-db FILE)")
    return out


def format_report(report: dict[str, Any]) -> str:
    escalations = report["escalations"]
    out = [
        f"What staff searched for and could not find, {report['since']} to "
        f"{report['until']} ({', '.join(report['files'])})",
        f"{report['searches']} searches; {report['not_covered_total']} found no answer; "
        f"{report['only_patient_details']} were only patient details (not shown). "
        f"Patient details in a question are shown as {MASK}.",
        *_queries_text("Questions no entry answers (write an entry?)", report["not_covered"],
                       "None."),
        *_queries_text("Questions asked most", report["top_queries"], "No searches."),
        *_queries_text("Answered, but no result was opened or copied (a weak answer?)",
                       report["never_opened"], "None."),
        *_entries_text("Entries copied most", report["copied"], "None copied."),
        *_entries_text("Entries marked not helpful, and what was asked",
                       report["unhelpful"], "None."),
        "",
        "Escalations by urgency",
        "----------------------",
        *([f"  {n:>5}  {urgency}" for urgency, n in escalations.items()]
          or ["  None."]),
    ]
    return "\n".join(out)


def run_gaps(paths: Sequence[Path | str], *, days: int = DAYS, as_json: bool = False,
             limit: int = LIMIT, out: TextIO | None = None) -> int:
    """``prolo-kb gaps``: print the report; 0, or :class:`GapsError` for the CLI."""
    report = gaps(paths, days=days, limit=limit)
    stream = out or sys.stdout
    if as_json:
        stream.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    else:
        stream.write(format_report(report) + "\n")
    return 0


__all__ = ["GapsError", "format_report", "gaps", "run_gaps", "summary_lines"]
