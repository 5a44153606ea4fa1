"""Term statistics and scored postings of one index version, computed once and cached.

Whoosh scores a query by walking a tree of matchers and calling a BM25F scorer for every
posting of every term, each time, in Python: most of a search's time. The scores of one
stem in one document never change for an index version, so they are computed here once
(the same BM25F as Whoosh's, read from Whoosh's postings and field lengths) and kept,
and a query only adds and compares numbers from dictionaries.

Field weighting: a stem's score in a document is its best field's score, each field's
BM25F multiplied by its boost (the question above the answer), as a Whoosh
``DisjunctionMax`` of boosted ``Term`` queries would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log

from whoosh.reading import IndexReader

from .lru import LRU

# Questions and titles say what an entry is about; answers and bodies mention more.
# Warning-sign phrases are short and full of common words ("pain", "shot"): they help
# find an escalation entry but must not make it outrank the answer to a plain question.
FIELD_BOOSTS = {"title": 2.5, "also": 1.5, "text": 1.0, "signs": 0.4}
CONTENT_FIELDS = ("title", "also", "text")  # what an entry says, not its warning signs
FIELD_TIEBREAK = 0.3  # what the other fields holding the stem add, beside the best one
K1 = 1.2
FIELD_B = {"title": 0.3, "signs": 0.3}  # short fields: length says little
DEFAULT_B = 0.75
# Postings kept in memory, counted in (document, score) pairs: all of them for the
# knowledge base, the most recently used stems' for a very large one (~100 MB).
POSTINGS_BUDGET = 1_000_000
STATS_CACHE = 200_000


@dataclass(frozen=True)
class Postings:
    """Where one stem occurs and how well each document matches it."""

    scores: dict[int, float]  # docnum -> the best field's boosted BM25F score
    content: frozenset[int]  # documents holding it in the question, wordings or text


EMPTY = Postings({}, frozenset())


class TermTable:
    """Statistics and postings of one index version's terms; safe to share by threads.

    Every method takes the calling thread's reader: Whoosh readers are not shared.
    """

    def __init__(self, reader: IndexReader) -> None:
        self.doc_count = reader.doc_count_all() or 1
        self._avg_length = {
            name: (reader.field_length(name) / self.doc_count) or 1.0 for name in FIELD_BOOSTS}
        self._freq: dict[tuple[str, str], int] = {}
        self._telling: dict[str, float] = {}
        self._postings: LRU[str, Postings] = LRU(POSTINGS_BUDGET, _size)

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
        """Whoosh's BM25F inverse document frequency of ``stem`` in field ``name``."""
        return log(self.doc_count / (self.frequency(reader, name, stem) + 1)) + 1

    def telling(self, reader: IndexReader, stem: str) -> float:
        """How telling ``stem`` is: its IDF over answers and bodies (the field where word
        use is most representative), or over questions for a word only questions use;
        0 for a word the index does not hold."""
        value = self._telling.get(stem)
        if value is None:
            if len(self._telling) > STATS_CACHE:
                self._telling.clear()
            value = 0.0
            for name in ("text", "title", "also"):
                if self.frequency(reader, name, stem):
                    value = self.idf(reader, name, stem)
                    break
            self._telling[stem] = value
        return value

    def postings(self, reader: IndexReader, stem: str) -> Postings:
        """The scored postings of ``stem`` over every searched field."""
        return self._postings.get(stem, lambda: self._read(reader, stem))

    def _read(self, reader: IndexReader, stem: str) -> Postings:
        fields = self.fields_with(reader, stem)
        best: dict[int, float] = {}
        total: dict[int, float] = {}
        content: set[int] = set()
        for name in fields:
            b = FIELD_B.get(name, DEFAULT_B)
            # BM25: idf * w * (K1 + 1) / (w + K1 * (1 - b + b * length / average))
            scale = FIELD_BOOSTS[name] * self.idf(reader, name, stem) * (K1 + 1)
            base = K1 * (1 - b)
            slope = K1 * b / self._avg_length[name]
            length = reader.doc_field_length
            matcher = reader.postings(name, stem)
            seen = []
            while matcher.is_active():
                docnum = matcher.id()
                weight = matcher.weight()
                score = scale * weight / (weight + base + slope * (length(docnum, name, 1) or 1))
                if score > best.get(docnum, 0.0):
                    best[docnum] = score
                total[docnum] = total.get(docnum, 0.0) + score
                seen.append(docnum)
                matcher.next()
            if name in CONTENT_FIELDS:
                content.update(seen)
        if len(fields) > 1:
            best = {d: s + FIELD_TIEBREAK * (total[d] - s) for d, s in best.items()}
        return Postings(best, frozenset(content))

    def docs_with(self, reader: IndexReader, name: str, text: str) -> frozenset[int]:
        """Every document holding ``text`` in an unscored field (a topic, an audience)."""

        def read() -> Postings:
            if not self.frequency(reader, name, text):
                return EMPTY
            return Postings({}, frozenset(reader.postings(name, text).all_ids()))

        # "\0" cannot be in a stem: a filter's key never collides with one
        return self._postings.get(f"\0{name}\0{text}", read).content


def _size(postings: Postings) -> int:
    return max(1, len(postings.scores), len(postings.content))
