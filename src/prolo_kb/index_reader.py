"""The one place the runtime reads the Whoosh index.

:class:`KBIndex` wraps one open index version: a Whoosh searcher per thread, the cached
term statistics and postings (:mod:`prolo_kb.terms`), stored documents, the term
dictionary for spelling, and phrase queries. :func:`reading` turns an error raised inside
Whoosh (a damaged segment) into :class:`IndexUnavailable` with a one-line fix; any other
exception is a bug in our code and surfaces as one.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from whoosh import scoring
from whoosh.query import Or, Phrase
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

from .content import Document
from .errors import IndexUnavailable
from .lru import LRU
from .model import MODEL
from .schema import analyze
from .store import OpenIndex, open_index
from .terms import DENSE_FROM, ENGLISH_FILE, LENGTHS_FILE, TermTable

CACHED_DOCUMENTS = 8192


def _from_whoosh(tb: TracebackType | None) -> bool:
    """Whether the exception passed through Whoosh's code (an index read failed)."""
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name == "whoosh" or name.startswith("whoosh."):
            return True
        tb = tb.tb_next
    return False


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Report a failure inside Whoosh as a damaged index; let every other error through."""
    try:
        yield
    except IndexUnavailable:
        raise
    except Exception as exc:
        if not _from_whoosh(exc.__traceback__):
            raise
        raise IndexUnavailable(
            f"the search index at {path} cannot be read ({type(exc).__name__}); "
            "run `make build` to rebuild it"
        ) from None


def _lengths(opened: OpenIndex) -> bytes | None:
    """The field lengths the build wrote beside the index, if it did (an index in memory
    has none: its lengths are read from Whoosh as they are needed)."""
    if LENGTHS_FILE not in opened.manifest.files:
        return None
    try:
        return (opened.path / LENGTHS_FILE).read_bytes()
    except OSError:
        return None


def _english(opened: OpenIndex) -> dict[str, float]:
    """The everyday English stems no entry uses, with their share of English text, as
    the build wrote them beside the index (none for an index in memory, or a broken
    file: those words then weigh the most a word can)."""
    if ENGLISH_FILE not in opened.manifest.files:
        return {}
    try:
        data = json.loads((opened.path / ENGLISH_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


class Stored(NamedTuple):
    doc: Document
    wordings: tuple[frozenset[str], ...]  # stems of the question (title), then the others


def _take(readers: list[IndexReader] | None) -> IndexReader | None:
    """The reader that validated the index, once (``list.pop`` is atomic)."""
    try:
        return readers.pop() if readers else None
    except IndexError:  # another thread took it first
        return None


class KBIndex:
    """One open index version, safe to share by threads."""

    def __init__(self, opened: OpenIndex, *, dense_from: int = DENSE_FROM) -> None:
        self.opened = opened
        self.path = opened.path
        # known words even where no entry uses them (the build listed them)
        self.glossary_words = frozenset(opened.manifest.glossary_words)
        self._local = threading.local()
        self._unindexed_english: dict[str, float] | None = None
        with reading(opened.path):
            self.terms = TermTable(self.reader(), opened.manifest.telling, _lengths(opened),
                                   english=opened.manifest.english, dense_from=dense_from)
        self._filters: dict[str, frozenset[str]] = {}
        self._documents: LRU[int, Stored] = LRU(CACHED_DOCUMENTS)

    @classmethod
    def open(cls, path: Path, *, dense_from: int = DENSE_FROM) -> KBIndex:
        return cls.of(open_index(path), dense_from=dense_from)

    @classmethod
    def of(cls, opened: OpenIndex, *, dense_from: int = DENSE_FROM) -> KBIndex:
        """``dense_from``: from how many documents postings are kept as arrays
        (:mod:`prolo_kb.terms`)."""
        return cls(opened, dense_from=dense_from)

    @property
    def topics(self) -> frozenset[str]:
        """The topics entries are filed under (read when first asked for)."""
        return self._filter_values("topic")

    @property
    def audiences(self) -> frozenset[str]:
        return self._filter_values("audience")

    def _filter_values(self, name: str) -> frozenset[str]:
        values = self._filters.get(name)
        if values is None:
            with reading(self.path):
                values = frozenset(t.decode("utf-8") for t in self.reader().lexicon(name))
            self._filters[name] = values
        return values

    def searcher(self) -> Searcher:
        """This thread's searcher (BM25 constants of the model, for phrase queries)."""
        searcher: Searcher | None = getattr(self._local, "searcher", None)
        if searcher is None:
            b = {f"{name}_B": value for name, value in MODEL.b.items()}
            weighting = scoring.BM25F(B=MODEL.default_b, K1=MODEL.k1, **b)
            reader = _take(self.opened.counted)
            searcher = (self.opened.index.searcher(weighting=weighting) if reader is None
                        else Searcher(reader, weighting=weighting, fromindex=self.opened.index))
            self._local.searcher = searcher
        return searcher

    def reader(self) -> IndexReader:
        reader: IndexReader = self.searcher().reader()
        return reader

    def english_share(self, stem: str) -> float:
        """``stem``'s share of English text, for a stem no entry uses (0 if rare)."""
        table = self._unindexed_english
        if table is None:  # read on first need; a race reads it twice, harmlessly
            table = self._unindexed_english = _english(self.opened)
        return table.get(stem, 0.0)

    def document(self, docnum: int) -> Stored:
        """A document and the stems of its wordings, decoded once."""

        def read() -> Stored:
            stored = self.reader().stored_fields(docnum)
            return Stored(Document.from_dict(json.loads(stored["data"])),
                          tuple(frozenset(w) for w in json.loads(stored["wordings"])))

        return self._documents.get(docnum, read)

    def document_by_id(self, doc_id: str) -> Document | None:
        stored = self.searcher().document(id=doc_id)
        return None if stored is None else Document.from_dict(json.loads(stored["data"]))

    def phrase(self, stems: tuple[str, ...]) -> Mapping[int, float]:
        """The documents holding a quoted phrase in the question or the text."""
        if len(stems) == 1:
            return self.terms.scores(self.reader(), stems[0])
        weights = MODEL.field_weights
        query = Or([Phrase("title", list(stems), boost=weights["title"]),
                    Phrase("text", list(stems), boost=weights["text"])])
        return dict(self.searcher().search(query, limit=None, optimize=False).items())

    # -- spelling ---------------------------------------------------------------------------

    def known(self, word: str) -> bool:
        """Known as typed, or another form of a known word ("hurts" for "hurt"); asked
        of the term dictionary, so opening an index loads no vocabulary."""
        if word in self.glossary_words:
            return True
        reader = self.reader()
        if self.terms.frequency(reader, "spell", word):
            return True
        stems = analyze(word)
        return bool(stems) and all(self.terms.fields_with(reader, stem) for stem in stems)

    def nearest(self, word: str) -> str | None:
        """The closest known word: fewest edits, then the most common. Bounded: the
        first letter must match, one edit for short words, two from nine letters."""
        reader = self.reader()
        max_edits = 1 if len(word) < 9 else 2
        for edits in range(1, max_edits + 1):
            candidates = set(reader.terms_within("spell", word, edits, prefix=1))
            candidates.update(
                w for w in self.glossary_words
                if w[:1] == word[:1] and abs(len(w) - len(word)) <= edits
                and damerau_levenshtein(w, word, edits + 1) <= edits)
            candidates.discard(word)
            if candidates:
                best: str = max(sorted(candidates),
                                key=lambda w: self.terms.frequency(reader, "spell", w))
                return best
        return None

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
