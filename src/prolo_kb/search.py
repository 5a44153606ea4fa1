"""The search core: a query in the words a patient used -> ranked, highlighted hits.

What it does to a query, in order:

1. cleans it (Unicode NFKC, control characters out) and bounds it (length, terms);
2. corrects words the index has never seen to the nearest known word (typo tolerance)
   and says so (``corrected``);
3. expands glossary terms both ways (lay words <-> clinical terms);
4. scores every document holding any of the concepts (an OR, not Whoosh's default AND)
   with field-weighted BM25F (question/title above answer/body) from the cached postings
   of :mod:`prolo_kb.terms`, quoted text as required phrases (Whoosh's phrase query),
   then re-ranks the best with a coordination bonus (more of the concepts asked);
5. ranks FAQ entries above sections that match as well, and — when the query describes
   a warning sign — the escalation entries that cover it first, whatever the filters;
6. highlights the matched words in an HTML-escaped snippet (:mod:`prolo_kb.snippets`).

It knows nothing of Sphinx, the CLI or the web: those are thin edges over
:class:`SearchEngine`.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from whoosh import scoring
from whoosh.query import Or, Phrase
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

from . import matching
from .content import Document
from .errors import IndexUnavailable, QueryError
from .lru import LRU
from .schema import STOP_WORDS, analyze, words
from .snippets import Snippets
from .store import Manifest, OpenIndex, open_index, resolve
from .terms import DEFAULT_B, FIELD_B, FIELD_BOOSTS, K1, TermTable

MAX_QUERY_CHARS = 1000
MAX_UNITS = 16  # concepts searched per query; the rest of a long query is ignored
MAX_ALTERNATIVES = 12  # synonyms per concept
MAX_PHRASES = 4
UBIQUITOUS = 0.3  # a word in this share of documents is not expanded with synonyms
MAX_LIMIT = 100
CANDIDATES = 40  # hits re-ranked per query (or the limit asked for, if more)
SYNONYM_BOOST = 0.7  # a synonym's match counts a little less than the word typed
# Coordination: a hit matching k of the query's n concepts keeps
# (1 - COORDINATION) + COORDINATION * k / n of its score. (Whoosh's own Or(scale=...)
# counts every field and synonym as a term, which flattens the bonus to nothing.)
COORDINATION = 0.4
FAQ_BONUS = 2.0  # an approved FAQ answer beats a page section that matches about as well
# A hit whose question (or title) is all about what was asked gains up to this much:
# "what is prolotherapy" is best answered by the entry asking exactly that.
TITLE_COVERAGE_BONUS = 4.0
CORRECTION_CACHE = 4096
CACHED_DOCUMENTS = 8192
_QUOTED = re.compile(r'"([^"]*)"')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_WORD = re.compile(r"\w+")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Hit:
    """One ranked result."""

    doc: Document
    score: float
    highlight: Callable[[], str] = field(repr=False, compare=False)

    @cached_property
    def snippet(self) -> str:
        """HTML: escaped text with <mark> around the matched words. Made when first
        asked for: the terminal list shows an FAQ entry's answer, not its snippet."""
        return self.highlight()

    def to_json(self) -> dict[str, Any]:
        faq = self.doc.kind == "faq"
        return {
            "id": self.doc.id,
            "kind": self.doc.kind,
            "title": self.doc.title,
            "question": self.doc.title if faq else None,
            "answer": self.doc.text if faq else None,
            "text": None if faq else self.doc.text,
            "snippet": self.snippet,
            "topic": self.doc.topic,
            "audience": list(self.doc.audience),
            "url": self.doc.url,
            "score": round(self.score, 4),
            "escalate": self.doc.escalate,
            "urgency": self.doc.urgency,
            "status": self.doc.status,
            "staff_note": self.doc.staff_note or None,
        }


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query."""

    query: str
    corrected: str | None  # the query as searched, when a word was corrected
    total: int
    hits: tuple[Hit, ...]
    warning_signs: tuple[str, ...] = ()  # signs the query describes, in the entries' words

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "corrected": self.corrected,
            "total": self.total,
            "hits": [hit.to_json() for hit in self.hits],
            "warning_signs": list(self.warning_signs),
        }


def clean_query(raw: str) -> str:
    """NFKC-normalised, control characters removed, whitespace collapsed; bounded."""
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(raw)} characters; the limit is {MAX_QUERY_CHARS})"
        )
    text = unicodedata.normalize("NFKC", raw)
    text = _CONTROL.sub(" ", text)
    text = "".join(ch if unicodedata.category(ch) != "Cs" else " " for ch in text)
    return " ".join(text.split())


class Synonyms:
    """Glossary groups (a term and its lay words), matched on stemmed word sequences.

    Made from each term's wordings as stems (the manifest holds them, analysed when the
    index was built)."""

    def __init__(self, wordings: Iterable[Sequence[Sequence[str]]]) -> None:
        self.groups: list[tuple[tuple[str, ...], ...]] = []
        self._lookup: dict[tuple[str, ...], int] = {}
        self.longest = 1
        for term in wordings:
            phrases: list[tuple[str, ...]] = []
            for wording in term:
                stems = tuple(wording)
                if stems and stems not in phrases:
                    phrases.append(stems)
            if len(phrases) < 2:
                continue
            group = len(self.groups)
            self.groups.append(tuple(phrases[:MAX_ALTERNATIVES]))
            for stems in phrases:
                self._lookup.setdefault(stems, group)
                self.longest = max(self.longest, len(stems))

    def units(self, stems: Sequence[str]) -> list[tuple[tuple[str, ...], ...]]:
        """Split stems into concepts: each a tuple of alternatives, the typed one first.

        Longest glossary phrase wins ("rotator cuff tear" before "tear").
        """
        out: list[tuple[tuple[str, ...], ...]] = []
        i = 0
        while i < len(stems):
            for size in range(min(self.longest, len(stems) - i), 0, -1):
                typed = tuple(stems[i:i + size])
                group = self._lookup.get(typed)
                if group is not None:
                    others = tuple(p for p in self.groups[group] if p != typed)
                    out.append((typed, *others))
                    i += size
                    break
            else:
                out.append(((stems[i],),))
                i += 1
        return out


# Internal records are NamedTuples: a dataclass costs ~0.6 ms to create at import, which
# a search in a new process would pay.
class _Sign(NamedTuple):
    order: int  # where it stands among the index's signs
    doc_id: str
    phrase: str
    stems: frozenset[str]


class _Stored(NamedTuple):
    doc: Document
    wordings: tuple[frozenset[str], ...]  # stems of the question (title), then the others


class _State:
    """Everything derived from one index version; replaced whole on reload."""

    def __init__(self, *, opened: OpenIndex, synonyms: Synonyms,
                 glossary_words: frozenset[str], signs: dict[str, list[_Sign]],
                 topics: frozenset[str], audiences: frozenset[str], terms: TermTable) -> None:
        self.opened = opened
        self.synonyms = synonyms
        self.glossary_words = glossary_words  # known words even where no entry uses them
        self.signs = signs  # by the least of their stems: the signs to try
        self.topics = topics
        self.audiences = audiences
        self.terms = terms
        self.snippets = Snippets()
        self.corrections: LRU[str, str | None] = LRU(CORRECTION_CACHE)
        self.documents: LRU[int, _Stored] = LRU(CACHED_DOCUMENTS)

    def document(self, reader: IndexReader, docnum: int) -> _Stored:
        """The stored record of a document and the stems of its wordings, decoded once."""

        def read() -> _Stored:
            stored = reader.stored_fields(docnum)
            return _Stored(Document.from_dict(json.loads(stored["data"])),
                           tuple(frozenset(w) for w in json.loads(stored["wordings"])))

        return self.documents.get(docnum, read)


def _load_state(path: Path) -> _State:
    opened = open_index(path)
    glossary = opened.manifest.glossary
    try:
        with opened.index.searcher() as searcher:
            reader = searcher.reader()
            terms = TermTable(reader, opened.manifest.telling)
            topics = frozenset(t.decode("utf-8") for t in reader.lexicon("topic"))
            audiences = frozenset(t.decode("utf-8") for t in reader.lexicon("audience"))
    except Exception as exc:  # a damaged index fails in many Whoosh-internal ways
        raise IndexUnavailable(
            f"the search index at {path} cannot be read ({type(exc).__name__}); "
            "run `make build` to rebuild it"
        ) from None
    return _State(
        opened=opened,
        synonyms=Synonyms(opened.manifest.synonyms),
        glossary_words=frozenset(w for g in glossary for p in (g.term, *g.lay) for w in words(p)),
        signs=_signs_by_stem(opened.manifest.signs),
        topics=topics,
        audiences=audiences,
        terms=terms,
    )


def _signs_by_stem(signs: Iterable[tuple[str, str, Sequence[str]]]) -> dict[str, list[_Sign]]:
    """Warning signs filed under their least stem: a query describes a sign only if it
    holds all its stems, so only the signs filed under one of its own are tried."""
    by_stem: dict[str, list[_Sign]] = {}
    for order, (doc_id, phrase, stems) in enumerate(signs):
        if stems:
            by_stem.setdefault(min(stems), []).append(
                _Sign(order, doc_id, phrase, frozenset(stems)))
    return by_stem


class SearchEngine:
    """Searches one index path; picks up a rebuilt index without a restart.

    Thread-safe: each thread gets its own Whoosh searcher for the current version.
    """

    def __init__(self, index_path: Path | str) -> None:
        self.path = Path(index_path)
        self._state = _load_state(self.path)
        self._local = threading.local()
        self._reload_lock = threading.Lock()

    @property
    def manifest(self) -> Manifest:
        return self._state.opened.manifest

    @property
    def topics(self) -> frozenset[str]:
        return self._state.topics

    @property
    def audiences(self) -> frozenset[str]:
        return self._state.audiences

    def reload_if_changed(self) -> bool:
        """Switch to a newly swapped-in index version; keep the old one if it is bad."""
        if resolve(self.path) == self._state.opened.path:
            return False
        with self._reload_lock:
            if resolve(self.path) == self._state.opened.path:
                return False
            try:
                self._state = _load_state(self.path)
            except IndexUnavailable:
                return False  # a half-made or broken rebuild: go on serving the old one
            return True

    def _searcher(self, state: _State) -> Searcher:
        local = self._local
        if getattr(local, "state", None) is not state:
            old = getattr(local, "searcher", None)
            if old is not None:
                old.close()
            local.searcher = state.opened.index.searcher(
                weighting=scoring.BM25F(B=DEFAULT_B, K1=K1,  # for phrases: as terms.py
                                        **{f"{name}_B": b for name, b in FIELD_B.items()}))
            local.state = state
        searcher: Searcher = local.searcher
        return searcher

    def search(self, query: str, *, limit: int = 10, topic: str | None = None,
               audience: str | None = None) -> SearchResult:
        """Rank the knowledge base for ``query``. Raises :class:`QueryError` for a query
        that cannot be searched and :class:`IndexUnavailable` for a damaged index."""
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
        state = self._state
        if topic and topic not in state.topics:
            raise QueryError(f"unknown topic {topic!r} (known: {', '.join(sorted(state.topics))})")
        if audience and audience not in state.audiences:
            raise QueryError(
                f"unknown audience {audience!r} (known: {', '.join(sorted(state.audiences))})")
        text = clean_query(query)
        if not _WORD.search(text):
            raise QueryError("nothing to search for: type a few words of the question")
        try:
            return self._search(state, query, text, limit, topic, audience)
        except QueryError:
            raise
        except Exception as exc:  # Whoosh reading a damaged segment
            raise IndexUnavailable(
                f"the search index at {self.path} cannot be read ({type(exc).__name__}); "
                "run `make build` to rebuild it"
            ) from None

    # -- the pipeline ------------------------------------------------------------------

    def _search(self, state: _State, original: str, text: str, limit: int,
                topic: str | None, audience: str | None) -> SearchResult:
        phrases = [p for p in _QUOTED.findall(text) if _WORD.search(p)][:MAX_PHRASES]
        loose = _QUOTED.sub(" ", text).replace('"', " ")
        corrected_text, changed = self._correct(state, text)
        if changed:
            phrases = [self._correct(state, p)[0] for p in phrases]
            loose = self._correct(state, loose)[0]
        searcher = self._searcher(state)
        reader = searcher.reader()
        table = state.terms
        units = [_informative(table, reader, unit)
                 for unit in _dedupe(state.synonyms.units(analyze(loose)))[:MAX_UNITS]]
        phrase_stems = [tuple(analyze(p)) for p in phrases]
        phrase_stems = [p for p in phrase_stems if p]
        if not units and not phrase_stems:
            raise QueryError("the query has only common words (like 'how', 'the', 'is'); "
                             "add a word about the question")
        expanded = {s for unit in units for alt in unit for s in alt}
        expanded.update(s for p in phrase_stems for s in p)

        def idf(stem: str) -> float:
            return table.telling(reader, stem)

        concepts_plan = [
            [(unit[0], 1.0), *((alt, _synonym_boost(table, reader, unit[0], alt))
                               for alt in unit[1:])]
            for unit in units]
        allowed: frozenset[int] | None = None
        for name, value in (("topic", topic), ("audience", audience)):
            if value:
                docs = table.docs_with(reader, name, value)
                allowed = docs if allowed is None else allowed & docs
        candidates, total = matching.best(
            table, reader, concepts_plan, [_phrase(table, searcher, p) for p in phrase_stems],
            allowed, max(CANDIDATES, limit))

        # Each concept counts by how telling it is (IDF): matching "heating pad" says more
        # than matching "after" and "shots".
        weights = [_weight(table, reader, unit[0]) or
                   max(_weight(table, reader, alt) for alt in unit) for unit in units]
        total_weight = sum(weights) or 1.0
        concepts = [frozenset(s for alt in unit for s in alt) for unit in units]
        # Which candidates say each concept (any wording of it) in the question, its
        # other wordings or the text. Warning-sign phrases don't count: "running"
        # (exercise) must not match "running a temperature".
        docnums = [docnum for docnum, _ in candidates]
        holders = ([table.holding(reader, concept, docnums) for concept in concepts]
                   if len(concepts) > 1 else [])
        ranked: list[tuple[float, Document]] = []
        for docnum, score in candidates:
            stored = state.document(reader, docnum)
            doc = stored.doc
            bonus = FAQ_BONUS if doc.kind == "faq" else 1.0
            bonus *= 1.0 + TITLE_COVERAGE_BONUS * max(
                _coverage(wording, expanded, idf, concepts, weights)
                for wording in stored.wordings)
            if holders:
                share = sum(w for held, w in zip(holders, weights, strict=True)
                            if docnum in held) / total_weight
                bonus *= (1.0 - COORDINATION) + COORDINATION * share
            ranked.append((score * bonus, doc))
        ranked.sort(key=lambda pair: -pair[0])

        matched_signs = sorted((sign for stem in expanded for sign in state.signs.get(stem, ())
                                if sign.stems <= expanded), key=attrgetter("order"))
        if matched_signs:
            typed = {s for unit in units for s in unit[0]}
            typed.update(s for p in phrase_stems for s in p)
            ranked, added = _escalation_first(searcher, ranked, matched_signs, typed)
            total += added
        marked = frozenset(expanded)
        hits = tuple(
            Hit(doc=doc, score=score,
                highlight=partial(state.snippets.snippet, doc.id, doc.text, marked))
            for score, doc in ranked[:limit]
        )
        return SearchResult(
            # Undecodable bytes in argv arrive as lone surrogates, which cannot be printed
            # or sent as UTF-8: the query is echoed with U+FFFD in their place.
            query=_SURROGATE.sub("\ufffd", original),
            corrected=corrected_text if changed else None,
            total=total,
            hits=hits,
            warning_signs=tuple(dict.fromkeys(s.phrase for s in matched_signs)),
        )

    def _correct(self, state: _State, text: str) -> tuple[str, bool]:
        """Replace words the index has never seen with the nearest known word."""
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group(0)
            lower = word.lower()
            if (lower in STOP_WORDS or len(lower) < 4 or not lower.isalpha()
                    or self._known(state, lower)):
                return word
            best = self._suggest(state, lower)
            if best is None:
                return word
            changed = True
            return best

        return _WORD.sub(fix, text), changed

    def _known(self, state: _State, word: str) -> bool:
        """Known as typed, or another form of a known word ("hurts" for "hurt").

        Asked of the index's term dictionary, so opening an index loads no vocabulary.
        """
        if word in state.glossary_words:
            return True
        reader = self._searcher(state).reader()
        if state.terms.frequency(reader, "spell", word):
            return True
        stems = analyze(word)
        return bool(stems) and all(state.terms.fields_with(reader, stem) for stem in stems)

    def _suggest(self, state: _State, word: str) -> str | None:
        return state.corrections.get(word, lambda: self._nearest(state, word))

    def _nearest(self, state: _State, word: str) -> str | None:
        """The closest known word: fewest edits, then the most common. Bounded: the
        first letter must match and at most two edits (one for short words)."""
        reader = self._searcher(state).reader()
        # Two edits only for long words: a short unknown word two edits from a known one
        # is more often another word ("draining" -> "driving") than a typo.
        max_edits = 1 if len(word) < 9 else 2
        for edits in range(1, max_edits + 1):
            candidates = set(reader.terms_within("spell", word, edits, prefix=1))
            candidates.update(
                w for w in state.glossary_words
                if w[:1] == word[:1] and abs(len(w) - len(word)) <= edits
                and damerau_levenshtein(w, word, edits + 1) <= edits
            )
            candidates.discard(word)
            if candidates:
                best: str = max(sorted(candidates),
                                key=lambda w: state.terms.frequency(reader, "spell", w))
                return best
        return None


def _dedupe(units: list[tuple[tuple[str, ...], ...]]) -> list[tuple[tuple[str, ...], ...]]:
    seen: set[tuple[str, ...]] = set()
    out = []
    for unit in units:
        if unit[0] not in seen:
            seen.add(unit[0])
            out.append(unit)
    return out


def _informative(table: TermTable, reader: IndexReader,
                 unit: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """The synonyms worth searching for a concept.

    None for a word that is in most documents ("prolotherapy" here): it says little
    about what is asked, and its rarer synonyms ("prolo shots", "sugar injections")
    would only pull in entries that happen to use them. Never a synonym with a word the
    index does not hold: it cannot match, and would only cost time.
    """
    typed = unit[0]
    if len(unit) > 1 and all(
            table.frequency(reader, "text", stem) >= UBIQUITOUS * table.doc_count
            for stem in typed):
        return (typed,)
    return (typed, *(alt for alt in unit[1:]
                     if all(table.fields_with(reader, s) for s in alt)))


def _weight(table: TermTable, reader: IndexReader, stems: tuple[str, ...]) -> float:
    """How telling these stems are together (:meth:`TermTable.telling`)."""
    return sum(table.telling(reader, stem) for stem in stems)


def _synonym_boost(table: TermTable, reader: IndexReader, typed: tuple[str, ...],
                   alt: tuple[str, ...]) -> float:
    """A synonym counts at most SYNONYM_BOOST of the word typed, however rare it is.

    Without this cap a common typed word ("prolotherapy", in every entry) would be
    outweighed by its rarer synonym ("sugar injections") and the synonym would win.
    """
    typed_weight = _weight(table, reader, typed)
    alt_weight = _weight(table, reader, alt)
    if typed_weight <= 0 or alt_weight <= 0:
        return SYNONYM_BOOST  # the typed word is not in the index: the synonym stands in
    return SYNONYM_BOOST * min(1.0, typed_weight / alt_weight)


def _phrase(table: TermTable, searcher: Searcher,
            stems: tuple[str, ...]) -> Mapping[int, float]:
    """The documents holding a quoted phrase, in the question or the text."""
    if len(stems) == 1:
        return table.scores(searcher.reader(), stems[0])
    query = Or([Phrase("title", list(stems), boost=FIELD_BOOSTS["title"]),
                Phrase("text", list(stems))])
    return dict(searcher.search(query, limit=None, optimize=False).items())


def _coverage(own: frozenset[str], stems: set[str], idf: Callable[[str], float],
              concepts: Sequence[frozenset[str]], weights: Sequence[float]) -> float:
    """How well a question (or one of its other wordings) and the query say the same
    thing: the share of the question the query asked about, times the share of the query
    the question is about, each word weighted by how telling it is. "exercise after the
    injections" covers most of "When can I exercise after treatment?" and little of "I
    have a fever after my injections"; "what do you inject" is all about injecting, but
    "how often are the injections" is more than that."""
    shared = own & stems
    if not shared:
        return 0.0
    total = sum(idf(stem) for stem in own)
    if not total:
        return 0.0
    asked = sum(idf(stem) for stem in shared) / total
    answered = sum(w for c, w in zip(concepts, weights, strict=True) if c & own)
    return asked * answered / (sum(weights) or 1.0)


def _escalation_first(searcher: Searcher, ranked: list[tuple[float, Document]],
                      signs: list[_Sign], typed: set[str],
                      ) -> tuple[list[tuple[float, Document]], int]:
    """Move the escalation entries covering the described signs to the top.

    They come first even if the query's filters or wording left them out: a warning
    sign must never be buried.
    """
    # The entry whose sign is said in the query's own words comes first, then the one
    # whose matched sign is the most specific (most words): "short of breath after the
    # shots" puts the shortness-of-breath entry before the trouble-breathing one, though
    # the glossary makes the two synonyms.
    strength: dict[str, tuple[int, int, int]] = {}
    for sign in signs:
        as_typed, longest, count = strength.get(sign.doc_id, (0, 0, 0))
        own = len(sign.stems) if sign.stems <= typed else 0
        strength[sign.doc_id] = (max(as_typed, own), max(longest, len(sign.stems)), count + 1)
    present = {doc.id: (score, doc) for score, doc in ranked}
    top_score = ranked[0][0] if ranked else 1.0
    added = 0
    for doc_id in strength:
        if doc_id not in present:
            stored = searcher.document(id=doc_id)
            if stored is not None:
                present[doc_id] = (top_score, Document.from_dict(json.loads(stored["data"])))
                added += 1
    first = sorted((present[d] for d in strength if d in present),
                   key=lambda pair: (*(-n for n in strength[pair[1].id]), -pair[0]))
    rest = [pair for pair in ranked if pair[1].id not in strength]
    return first + rest, added
