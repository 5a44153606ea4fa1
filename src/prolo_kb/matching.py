"""Which documents match a query's concepts, with what score, and the best few of them.

A document's score is the sum, over the concepts it holds, of the best of each
concept's wordings (the words typed, a synonym counted a little less), plus a tenth of
what its other matched wordings score; a wording of several words needs them all.
Quoted phrases are required and add their own score. Any concept is enough to match (an
OR, not Whoosh's default AND, which finds nothing for many natural questions).

Two ways to compute the same thing, for the reason given in :mod:`prolo_kb.terms`:
dictionaries for a small base or a one-off search (no numpy import, so a search in a new
process starts quickly), whole-array numpy operations for a large base or a long-running
process, where looping over postings in Python costs milliseconds a query.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from whoosh.reading import IndexReader

from .model import MODEL
from .terms import TermTable

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

WORDING_TIEBREAK = MODEL.wording_tiebreak  # what a concept's other wordings add

# A concept: its wordings (stems) with the boost each counts with, the typed one first.
Concept = Sequence[tuple[tuple[str, ...], float]]


def best(table: TermTable, reader: IndexReader, concepts: Sequence[Concept],
         phrases: Sequence[Mapping[int, float]], allowed: frozenset[int] | None,
         count: int) -> tuple[list[tuple[int, float]], int]:
    """The ``count`` best (docnum, score) pairs, best first (the lower docnum first on a
    tie), and how many documents match. ``phrases`` are the documents holding each
    required phrase with their scores; ``allowed`` the documents the filters let through.
    """
    if table.dense:
        return _best_dense(table, reader, concepts, phrases, allowed, count)
    scores = _scores(table, reader, concepts, phrases)
    if allowed is not None:
        scores = {d: s for d, s in scores.items() if d in allowed}
    top = heapq.nlargest(count, scores.items(), key=lambda pair: (pair[1], -pair[0]))
    return top, len(scores)


def _scores(table: TermTable, reader: IndexReader, concepts: Sequence[Concept],
            phrases: Sequence[Mapping[int, float]]) -> dict[int, float]:
    total: dict[int, float] = {}
    for concept in concepts:
        (typed, boost), *others = concept
        found = _wording(table, reader, typed, boost)
        if others:
            summed = dict(found)
            for stems, other_boost in others:
                for docnum, score in _wording(table, reader, stems, other_boost).items():
                    summed[docnum] = summed.get(docnum, 0.0) + score
                    if score > found.get(docnum, 0.0):
                        found[docnum] = score
            found = {d: s + WORDING_TIEBREAK * (summed[d] - s) for d, s in found.items()}
        get = total.get
        for docnum, score in found.items():
            total[docnum] = get(docnum, 0.0) + score
    if not phrases:
        return total
    required = dict(phrases[0])
    for holding in phrases[1:]:
        required = {d: s + holding[d] for d, s in required.items() if d in holding}
    return {d: s + total.get(d, 0.0) for d, s in required.items()}


def _wording(table: TermTable, reader: IndexReader, stems: tuple[str, ...],
             boost: float) -> dict[int, float]:
    """The documents holding every stem of one wording, and their scores."""
    lists = [table.postings(reader, stem).scores for stem in stems]
    if len(lists) == 1:
        return {d: s * boost for d, s in lists[0].items()}
    rarest = min(lists, key=len)
    return {d: boost * sum(scores[d] for scores in lists)
            for d in rarest if all(d in scores for scores in lists)}


def _best_dense(table: TermTable, reader: IndexReader, concepts: Sequence[Concept],
                phrases: Sequence[Mapping[int, float]], allowed: frozenset[int] | None,
                count: int) -> tuple[list[tuple[int, float]], int]:
    import numpy as np

    size = table.doc_count
    total = np.zeros(size)
    for concept in concepts:
        found = np.zeros(size)
        summed = np.zeros(size)
        for stems, boost in concept:
            ids, scores = _dense_wording(table, reader, stems)
            scores = scores * boost
            found[ids] = np.maximum(found[ids], scores)  # ids are unique
            summed[ids] += scores
        total += found + WORDING_TIEBREAK * (summed - found)
    matched = total > 0
    if phrases:
        held = np.zeros(size, dtype=np.int64)
        for scores_of in phrases:
            ids = np.fromiter(scores_of.keys(), dtype=np.int64, count=len(scores_of))
            held[ids] += 1
            total[ids] += np.fromiter(scores_of.values(), dtype=np.float64,
                                      count=len(scores_of))
        matched = held == len(phrases)
    if allowed is not None:
        let = np.zeros(size, dtype=bool)
        let[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
        matched &= let
    ids = np.flatnonzero(matched)
    scores = total[ids]
    if len(ids) > count:  # the count best, and every tie with the last of them
        keep = np.argpartition(-scores, count - 1)[:count]
        ids, scores = _at_least(ids, scores, scores[keep].min())
    order = np.lexsort((ids, -scores))[:count]
    return list(zip(ids[order].tolist(), scores[order].tolist(), strict=True)), int(
        matched.sum())


def _at_least(ids: NDArray[np.int64], scores: NDArray[np.float64],
              floor: float) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    keep = scores >= floor
    return ids[keep], scores[keep]


def _dense_wording(table: TermTable, reader: IndexReader,
                   stems: tuple[str, ...]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """:func:`_wording` as arrays: ascending docnums and their scores."""
    import numpy as np

    first = table.dense_postings(reader, stems[0])
    ids, scores = first.ids, first.scores
    for stem in stems[1:]:
        other = table.dense_postings(reader, stem)
        ids, mine, theirs = np.intersect1d(ids, other.ids, assume_unique=True,
                                           return_indices=True)
        scores = scores[mine] + other.scores[theirs]
    return ids, scores
