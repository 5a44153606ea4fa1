"""Term statistics and scored postings of one index version, computed once and cached.

Whoosh scores a query by walking a tree of matchers and calling a BM25F scorer for every
posting of every term, each time, in Python: most of a search's time. The scores of one
stem in one document never change for an index version, so they are computed here once
(the same BM25F as Whoosh's, from Whoosh's postings and field lengths) and kept; a query
then only adds and compares numbers (:mod:`prolo_kb.matching`).

Field weighting: a stem's score in a document is its best field's boosted BM25F (the
question above the answer) plus FIELD_TIEBREAK of the other fields' — what a
disjunction-max with a tie-breaker is meant to give. (Whoosh's own DisjunctionMaxMatcher
ignores the tie-breaker and can take a score from a document other than the current one.)
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Mapping, Sequence
from math import log
from typing import TYPE_CHECKING, NamedTuple

from whoosh.matching import Matcher
from whoosh.reading import IndexReader

from .lru import LRU
from .model import MODEL

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# The field weights and BM25 constants are the ranking model's (prolo_kb.model).
FIELD_BOOSTS = MODEL.field_weights
CONTENT_FIELDS = MODEL.content_fields
FIELD_TIEBREAK = MODEL.field_tiebreak
K1 = MODEL.k1
FIELD_B = MODEL.b
DEFAULT_B = MODEL.default_b
ENGLISH_DOCUMENTS = MODEL.english_documents
# Postings kept in memory, counted in (document, score) pairs: all of them for the
# knowledge base, the most recently used stems' for a very large one (~100 MB).
POSTINGS_BUDGET = 1_000_000
STATS_CACHE = 200_000


# Two forms of the same postings, for a clear reason (measured, bench/scale.py): numpy
# arrays scored with whole-array operations (prolo_kb.matching) are 2-5x faster from about
# a thousand documents on, but importing numpy costs a new process ~70 ms. So a one-off
# search (the CLI) uses dictionaries below DENSE_FROM documents and starts quickly, and a
# long-running process (``SearchEngine.warm_up``: the web server) uses arrays from
# WARM_DENSE_FROM documents, below which dictionaries are faster still.
DENSE_FROM = 20_000
WARM_DENSE_FROM = 500
DENSE_BUDGET = 6_000_000  # (document, score) pairs as arrays: 16 bytes each, ~100 MB


class Postings(NamedTuple):
    """Where one stem occurs and how well each document matches it."""

    scores: dict[int, float]  # docnum -> the best field's boosted BM25F score
    content: frozenset[int]  # documents holding it in the question, wordings or text


class DensePostings(NamedTuple):
    """:class:`Postings` as arrays, for a large index."""

    ids: NDArray[np.int64]  # ascending
    scores: NDArray[np.float64]  # the score of each of ids
    content: NDArray[np.int64]  # ascending: the documents holding it in content fields


EMPTY = Postings({}, frozenset())


class TermTable:
    """Statistics and postings of one index version's terms; safe to share by threads.

    Every method takes the calling thread's reader: Whoosh readers are not shared.
    ``known`` holds how telling stems are where the build worked it out (the manifest's
    ``telling``), so those are never looked up; ``english`` each stem's share of English
    running text, where it can matter (the manifest's ``english``).
    """

    def __init__(self, reader: IndexReader, known: Mapping[str, float] | None = None,
                 lengths: bytes | None = None, *, english: Mapping[str, float] | None = None,
                 dense_from: int = DENSE_FROM) -> None:
        self.doc_count = reader.doc_count_all() or 1
        self._english = english or {}
        self._avg_length = {
            name: (reader.field_length(name) / self.doc_count) or 1.0 for name in FIELD_BOOSTS}
        self._freq: dict[tuple[str, str], int] = {}
        self._telling: dict[str, float] = dict(known or {})
        self.dense = self.doc_count >= dense_from
        self._postings: LRU[str, Postings] = LRU(POSTINGS_BUDGET, _size)
        self._dense: LRU[str, DensePostings] = LRU(DENSE_BUDGET, _dense_size)
        # Each document's length in each field, read from Whoosh on first use.
        self._lengths = {name: array("I", bytes(4 * self.doc_count)) for name in FIELD_BOOSTS}
        self._filled: set[tuple[int, str]] = set()  # (segment offset, field) read whole
        self._fill_lock = threading.Lock()
        if lengths is not None and len(lengths) == 4 * self.doc_count * len(FIELD_BOOSTS):
            # every document's length in every field, written by the build (indexing.lengths_file)
            size = 4 * self.doc_count
            for n, name in enumerate(FIELD_BOOSTS):
                self._lengths[name] = array("I", lengths[n * size:(n + 1) * size])
                self._filled.add((-1, name))

    def frequency(self, reader: IndexReader, name: str, text: str) -> int:
        """How many documents hold ``text`` in field ``name``."""
        key = (name, text)
        value = self._freq.get(key)
        if value is None:
            if len(self._freq) > STATS_CACHE:
                self._freq.clear()
            value = self._freq[key] = reader.doc_frequency(name, text)
        return value

    def fields_with(self, reader: IndexReader, stem: str) -> list[str]:
        """The searched fields that hold ``stem``."""
        return [name for name in FIELD_BOOSTS if self.frequency(reader, name, stem)]

    def idf(self, reader: IndexReader, name: str, stem: str) -> float:
        """The BM25 inverse document frequency of ``stem`` in field ``name`` (Whoosh's
        formula), its document frequency raised to what its share of everyday English
        predicts (``english_documents`` of the ranking model)."""
        frequency = self.frequency(reader, name, stem)
        if frequency:
            return _idf(self.doc_count, max(frequency, self._expected(stem)))
        return _idf(self.doc_count, 0)

    def unheard(self, share: float) -> float:
        """How telling a word no entry uses is, given its share of everyday English: the
        IDF of the document frequency that share predicts, as for the words the base
        knows (:meth:`everyday`); the most a word can weigh for a word English lacks."""
        return _idf(self.doc_count, ENGLISH_DOCUMENTS * share * self.doc_count)

    def _expected(self, stem: str) -> float:
        """In how many documents everyday English predicts ``stem``: the prior's floor."""
        return ENGLISH_DOCUMENTS * self._english.get(stem, 0.0) * self.doc_count

    def _bm25(self, reader: IndexReader, name: str, stem: str) -> tuple[float, float, float]:
        """(scale, flat, slope) of a field's boosted BM25 for ``stem``, so that a posting
        of weight w in a document of length n scores scale * w / (w + flat + slope * n):
        idf * w * (K1 + 1) / (w + K1 * (1 - b + b * n / average)), times the boost."""
        b = FIELD_B.get(name, DEFAULT_B)
        return (FIELD_BOOSTS[name] * self.idf(reader, name, stem) * (K1 + 1), K1 * (1 - b),
                K1 * b / self._avg_length[name])

    def telling(self, reader: IndexReader, stem: str) -> float:
        """How telling ``stem`` is (:func:`telling`); known at once for the stems of the
        questions and their other wordings, which the build worked out."""
        value = self._telling.get(stem)
        if value is None:
            if len(self._telling) > STATS_CACHE:
                self._telling.clear()
            value = self._telling[stem] = telling(reader, stem)
        return value

    def everyday(self, reader: IndexReader, stem: str) -> float:
        """How telling ``stem`` is (:meth:`telling`) with everyday English as a prior, the
        one BM25 uses (:meth:`idf`): a word common in English ("really", "lot", "done")
        says little about what a question is about, however rare it is in the base."""
        value = self.telling(reader, stem)
        expected = self._expected(stem)
        if not value or not expected:
            return value
        return min(value, _idf(self.doc_count, expected))

    def postings(self, reader: IndexReader, stem: str) -> Postings:
        """The scored postings of ``stem`` over every searched field."""
        return self._postings.get(stem, lambda: self._read(reader, stem))

    def _read(self, reader: IndexReader, stem: str) -> Postings:
        best: dict[int, float] = {}
        total: dict[int, float] = {}
        content: set[int] = set()
        fields = self.fields_with(reader, stem)
        for name in fields:
            scale, flat, slope = self._bm25(reader, name, stem)
            lengths = self._lengths[name]
            for leaf, offset in reader.leaf_readers():
                if (name, stem) not in leaf:
                    continue
                ids, weights = _postings(leaf.postings(name, stem))
                if name in CONTENT_FIELDS:
                    content.update(ids if not offset else (offset + d for d in ids))
                for docnum, weight in zip(ids, weights, strict=True):
                    at = offset + docnum
                    length = lengths[at]
                    if not length:  # read once, then kept: 0 is "not read yet"
                        length = lengths[at] = leaf.doc_field_length(docnum, name, 1) or 1
                    score = scale * weight / (weight + flat + slope * length)
                    if score > best.get(at, 0.0):
                        best[at] = score
                    total[at] = total.get(at, 0.0) + score
        if len(fields) > 1:
            best = {d: s + FIELD_TIEBREAK * (total[d] - s) for d, s in best.items()}
        return Postings(best, frozenset(content))

    def scores(self, reader: IndexReader, stem: str) -> Mapping[int, float]:
        """Each document holding ``stem`` and its score, however postings are kept."""
        if not self.dense:
            return self.postings(reader, stem).scores
        found = self.dense_postings(reader, stem)
        return dict(zip(found.ids.tolist(), found.scores.tolist(), strict=True))

    def dense_postings(self, reader: IndexReader, stem: str) -> DensePostings:
        """:meth:`postings` as arrays (when the table is ``dense``)."""
        return self._dense.get(stem, lambda: self._read_dense(reader, stem))

    def _read_dense(self, reader: IndexReader, stem: str) -> DensePostings:
        import numpy as np

        best = np.zeros(self.doc_count)
        total = np.zeros(self.doc_count)
        content: list[NDArray[np.int64]] = []
        fields = self.fields_with(reader, stem)
        for name in fields:
            scale, flat, slope = self._bm25(reader, name, stem)
            for leaf, offset in reader.leaf_readers():
                if (name, stem) not in leaf:
                    continue
                found, weights_of = _postings(leaf.postings(name, stem))
                weights = np.asarray(weights_of, dtype=np.float64)
                ids = np.asarray(found, dtype=np.int64) + offset
                length = self._leaf_lengths(leaf, offset, name)[ids]
                score = scale * weights / (weights + flat + slope * length)
                best[ids] = np.maximum(best[ids], score)  # ids are unique within a field
                total[ids] += score
                if name in CONTENT_FIELDS:
                    content.append(ids)
        ids = np.flatnonzero(best)
        scores = best[ids] + FIELD_TIEBREAK * (total[ids] - best[ids])
        held = (np.unique(np.concatenate(content)) if content
                else np.zeros(0, dtype=np.int64))
        return DensePostings(ids.astype(np.int64), scores, held)

    def _leaf_lengths(self, leaf: IndexReader, offset: int, name: str) -> NDArray[np.uint32]:
        """Every document's length in field ``name`` (over the whole index, filled for
        this segment on first use; 0 where not read yet), through Whoosh's public API."""
        import numpy as np

        known = np.frombuffer(self._lengths[name], dtype=np.uint32)  # a view: sees writes
        key = (offset, name)  # a segment starts at its own offset
        if key in self._filled or (-1, name) in self._filled:
            return known
        count = leaf.doc_count_all()
        decoded = np.fromiter((leaf.doc_field_length(d, name, 1) or 1 for d in range(count)),
                              dtype=np.uint32, count=count)
        with self._fill_lock:
            known[offset:offset + count] = decoded
            self._filled.add(key)
        return known

    def holding(self, reader: IndexReader, stems: Iterable[str],
                docnums: Sequence[int]) -> set[int]:
        """Which of ``docnums`` hold any of ``stems`` in the question, its other wordings
        or the text (not in warning-sign phrases)."""
        if not self.dense:
            sets = [self.postings(reader, stem).content for stem in stems]
            return {d for d in docnums if any(d in held for held in sets)}
        import numpy as np

        wanted = np.asarray(docnums, dtype=np.int64)
        found = np.zeros(len(wanted), dtype=bool)
        for stem in stems:
            held = self.dense_postings(reader, stem).content  # ascending
            if len(held):
                at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
                found |= held[at] == wanted
        return set(wanted[found].tolist())

    def docs_with(self, reader: IndexReader, name: str, text: str) -> frozenset[int]:
        """Every document holding ``text`` in an unscored field (a topic, an audience)."""

        def read() -> Postings:
            if not self.frequency(reader, name, text):
                return EMPTY
            return Postings({}, frozenset(reader.postings(name, text).all_ids()))

        # "\0" cannot be in a stem: a filter's key never collides with one
        return self._postings.get(f"\0{name}\0{text}", read).content


def telling(reader: IndexReader, stem: str) -> float:
    """How telling ``stem`` is: its IDF over answers and bodies (the field where word use
    is most representative), or over questions for a word only questions use; 0 for a
    word the index does not hold."""
    for name in ("text", "title", "also"):
        frequency = reader.doc_frequency(name, stem)
        if frequency:
            return _idf(reader.doc_count_all() or 1, frequency)
    return 0.0


def _idf(doc_count: int, frequency: float) -> float:
    """Whoosh's inverse document frequency (``Weighting.idf``)."""
    return log(doc_count / (frequency + 1)) + 1


def _postings(matcher: Matcher) -> tuple[list[int], list[float]]:
    """A posting list's document numbers and weights, through Whoosh's public matcher
    API (measured: reading Whoosh's decoded blocks directly saved nothing on warm
    queries and 1.0-1.2x on cold reads, at the price of an exact version pin)."""
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def _size(postings: Postings) -> int:
    return max(1, len(postings.scores), len(postings.content))


def _dense_size(postings: DensePostings) -> int:
    return max(1, len(postings.ids), len(postings.content))


LENGTHS_FILE = "lengths.bin"  # written beside the index by the build (indexing.lengths_file)
# everyday English stems no entry uses, with their share of English text
# (indexing.english_file): read on a query's first word the index lacks
ENGLISH_FILE = "english.json"

