"""Measured search quality: Recall@1, Recall@3 and MRR over a labelled query set.

The set is a TSV file with a header ``query<TAB>expected<TAB>kind``; ``expected`` holds
one or more acceptable ids separated by ``|``. Run ``python -m prolo_kb.evaluate FILE``
(``make eval``) for the report; the test suite asserts the bars on the same numbers.
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


@dataclass(frozen=True)
class Labelled:
    query: str
    expected: frozenset[str]
    kind: str


@dataclass(frozen=True)
class Outcome:
    item: Labelled
    rank: int | None  # 1-based rank of the first acceptable hit; None when missing
    got: tuple[str, ...]  # the top ids returned


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
                ids = frozenset(part.strip() for part in expected.split("|") if part.strip())
                items.append(Labelled(query=query, expected=ids, kind=kind.strip()))
    except OSError as exc:
        raise KBError(f"cannot read {path}: {exc.strerror}") from None
    return items


def run(engine: SearchEngine, items: Iterable[Labelled], depth: int = 10) -> list[Outcome]:
    outcomes = []
    for item in items:
        try:
            got = tuple(hit.doc.id for hit in engine.search(item.query, limit=depth).hits)
        except QueryError:
            got = ()
        rank = next((n for n, doc_id in enumerate(got, start=1) if doc_id in item.expected),
                    None)
        outcomes.append(Outcome(item=item, rank=rank, got=got))
    return outcomes


def score(outcomes: Sequence[Outcome]) -> Scores:
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
    lines = [f"{'kind':<10} {'n':>4} {'R@1':>6} {'R@3':>6} {'MRR':>6}"]
    rows = [*by_kind(outcomes).items(), ("all", score(outcomes))]
    for kind, s in rows:
        lines.append(f"{kind:<10} {s.count:>4} {s.recall_at_1:>6.3f} {s.recall_at_3:>6.3f} "
                     f"{s.mrr:>6.3f}")
    misses = [o for o in outcomes if o.rank != 1]
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
    parser.add_argument("queries", type=Path, help="TSV: query, expected, kind")
    parser.add_argument("--index", type=Path, default=Path("build/index"))
    args = parser.parse_args(argv)
    try:
        outcomes = run(SearchEngine(args.index), load(args.queries))
    except KBError as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    try:
        print(report(outcomes))
    except BrokenPipeError:  # `make eval | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
