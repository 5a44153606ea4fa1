"""Measured search quality: Recall@1, Recall@3 and MRR over a labelled query set.

A set is a TSV file with a header ``query<TAB>expected<TAB>kind`` and optionally
``<TAB>urgency``; ``expected`` holds one or more acceptable ids separated by ``|``,
``not-covered`` for a question the knowledge base does not answer, or ``-`` for none in
particular. Beside R@1, R@3 and MRR (over the rows with an expected id) the report gives:

- **not covered**: the share of ``not-covered`` rows flagged ``not_covered`` and of the
  other rows flagged wrongly;
- **warning signs** (rows with an ``urgency`` column): reports (``urgency`` emergency or
  same-day) must put an escalation entry first with that urgency (escalation recall);
  mentions (``none``) must raise no banner and put no escalation entry first (a false
  alarm otherwise).

Run ``python -m prolo_kb.evaluate FILE...`` (``make eval``) for the report; the test suite
asserts the bars on the same numbers.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import KBError, QueryError
from .search import SearchEngine

NOT_COVERED = "not-covered"


@dataclass(frozen=True)
class Labelled:
    query: str
    expected: frozenset[str]  # empty for "-" and "not-covered"
    kind: str
    urgency: str | None = None  # "emergency", "same-day", "none"; None: not a sign row
    covered: bool = True


@dataclass(frozen=True)
class Outcome:
    item: Labelled
    rank: int | None  # 1-based rank of the first acceptable hit; None when missing
    got: tuple[str, ...]  # the top ids returned
    urgency: str | None = None
    not_covered: bool = False
    first_escalates: bool = False


@dataclass(frozen=True)
class Scores:
    count: int
    recall_at_1: float
    recall_at_3: float
    mrr: float


def load(path: Path) -> list[Labelled]:
    """Read a labelled query set; a malformed row is a one-line error naming its line."""
    items: list[Labelled] = []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            for row in reader:
                query, expected, kind = row.get("query"), row.get("expected"), row.get("kind")
                if not query or not expected or not kind:
                    raise KBError(f"{path}:{reader.line_num}: needs query, expected and kind")
                ids = frozenset(part.strip() for part in expected.split("|")
                                if part.strip() not in ("", "-", NOT_COVERED))
                urgency = (row.get("urgency") or "").strip() or None
                items.append(Labelled(query=query, expected=ids, kind=kind.strip(),
                                      urgency=urgency,
                                      covered=expected.strip() != NOT_COVERED))
    except OSError as exc:
        raise KBError(f"cannot read {path}: {exc.strerror}") from None
    return items


def run(engine: SearchEngine, items: Iterable[Labelled], depth: int = 10) -> list[Outcome]:
    outcomes = []
    for item in items:
        try:
            result = engine.search(item.query, limit=depth)
        except QueryError:
            outcomes.append(Outcome(item=item, rank=None, got=()))
            continue
        got = tuple(hit.doc.id for hit in result.hits)
        rank = next((n for n, doc_id in enumerate(got, start=1) if doc_id in item.expected),
                    None)
        outcomes.append(Outcome(item=item, rank=rank, got=got, urgency=result.urgency,
                                not_covered=result.not_covered,
                                first_escalates=bool(result.hits)
                                and result.hits[0].doc.escalate))
    return outcomes


@dataclass(frozen=True)
class Safety:
    reports: int
    escalation_recall: float  # reports with an escalation entry first and the right urgency
    mentions: int
    # mentions with a banner, or an escalation entry first that is not the answer asked for
    # ("what if i get dizzy" is answered by the dizziness entry, shown without a banner)
    false_alarm_rate: float


def safety(outcomes: Sequence[Outcome]) -> Safety:
    reports = [o for o in outcomes if o.item.urgency in ("emergency", "same-day")]
    mentions = [o for o in outcomes if o.item.urgency == "none"]
    caught = [o for o in reports if o.first_escalates and o.urgency == o.item.urgency
              and (not o.item.expected or o.rank == 1)]
    alarms = [o for o in mentions if o.urgency is not None or (o.first_escalates and o.rank != 1)]
    return Safety(len(reports), len(caught) / len(reports) if reports else 1.0,
                  len(mentions), len(alarms) / len(mentions) if mentions else 0.0)


@dataclass(frozen=True)
class Coverage:
    out_of_scope: int
    flagged: float  # share of out-of-scope rows flagged not covered
    in_scope: int
    wrongly_flagged: float  # share of in-scope rows flagged not covered


def coverage(outcomes: Sequence[Outcome]) -> Coverage:
    outside = [o for o in outcomes if not o.item.covered]
    inside = [o for o in outcomes if o.item.covered and o.item.expected
              and o.item.urgency in (None, "none")]
    return Coverage(len(outside), sum(o.not_covered for o in outside) / (len(outside) or 1),
                    len(inside), sum(o.not_covered for o in inside) / (len(inside) or 1))


def score(outcomes: Sequence[Outcome]) -> Scores:
    """Recall and MRR over the rows that expect an id."""
    outcomes = [o for o in outcomes if o.item.expected]
    n = len(outcomes)
    if not n:
        return Scores(0, 0.0, 0.0, 0.0)
    return Scores(
        count=n,
        recall_at_1=sum(o.rank == 1 for o in outcomes) / n,
        recall_at_3=sum(o.rank is not None and o.rank <= 3 for o in outcomes) / n,
        mrr=sum(1.0 / o.rank for o in outcomes if o.rank) / n,
    )


def by_kind(outcomes: Sequence[Outcome]) -> dict[str, Scores]:
    kinds = sorted({o.item.kind for o in outcomes})
    return {kind: score([o for o in outcomes if o.item.kind == kind]) for kind in kinds}


def report(outcomes: Sequence[Outcome]) -> str:
    lines = [f"{'kind':<12} {'n':>4} {'R@1':>6} {'R@3':>6} {'MRR':>6}"]
    rows = [*by_kind(outcomes).items(), ("all", score(outcomes))]
    for kind, s in rows:
        if s.count:
            lines.append(f"{kind:<12} {s.count:>4} {s.recall_at_1:>6.3f} "
                         f"{s.recall_at_3:>6.3f} {s.mrr:>6.3f}")
    if any(not o.item.covered for o in outcomes):
        c = coverage(outcomes)
        lines.append(f"not covered: {c.flagged:.3f} of {c.out_of_scope} out-of-scope flagged; "
                     f"{c.wrongly_flagged:.3f} of {c.in_scope} in-scope flagged wrongly")
    if any(o.item.urgency for o in outcomes):
        sa = safety(outcomes)
        lines.append(f"warning signs: escalation recall {sa.escalation_recall:.3f} of "
                     f"{sa.reports} reports; false alarms {sa.false_alarm_rate:.3f} of "
                     f"{sa.mentions} mentions")
        for o in outcomes:
            if o.item.urgency == "none" and (o.urgency or (o.first_escalates and o.rank != 1)):
                lines.append(f"  false alarm: {o.item.query!r}: urgency {o.urgency}, "
                             f"first {o.got[:1]}")
            if o.item.urgency in ("emergency", "same-day") and not (
                    o.first_escalates and o.urgency == o.item.urgency
                    and (not o.item.expected or o.rank == 1)):
                lines.append(f"  MISSED report: {o.item.query!r}: urgency {o.urgency} "
                             f"(want {o.item.urgency}); got {', '.join(o.got[:3])}")
    for o in outcomes:
        if o.not_covered != (not o.item.covered) and o.item.urgency in (None, "none") and (
                o.item.expected or not o.item.covered):
            lines.append(f"  not-covered wrong ({o.not_covered}): [{o.item.kind}] "
                         f"{o.item.query!r}; got {', '.join(o.got[:2])}")
    misses = [o for o in outcomes if o.item.expected and o.rank != 1]
    if misses:
        lines.append("")
        lines.append(f"Not first ({len(misses)}):")
        for o in sorted(misses, key=lambda o: (o.item.kind, o.rank or 99)):
            where = f"rank {o.rank}" if o.rank else "missing"
            lines.append(f"  [{o.item.kind}] {o.item.query!r}: {where}; want "
                         f"{' | '.join(sorted(o.item.expected))}; got {', '.join(o.got[:3])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m prolo_kb.evaluate",
                                     description="Score the search on a labelled query set.")
    parser.add_argument("queries", type=Path, nargs="+",
                        help="TSV: query, expected, kind[, urgency]")
    parser.add_argument("--index", type=Path, default=Path("build/index"))
    args = parser.parse_args(argv)
    try:
        engine = SearchEngine(args.index)
        reports = [f"== {path.name}\n" + report(run(engine, load(path)))
                   for path in args.queries]
    except KBError as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    try:
        print("\n\n".join(reports))
    except BrokenPipeError:  # `make eval | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
