"""The search core: a query in the words a patient used -> ranked, highlighted hits.

:class:`SearchEngine` composes the stages, each a module of its own:

1. **understand** the query: clean and bound it (:mod:`~prolo_kb.query`), spell out staff
   shorthand, correct misspellings (never a real word), find warning signs in the typed
   words and whether they are reported or only mentioned (:mod:`~prolo_kb.signs`), group
   the words into concepts with their glossary synonyms (:mod:`~prolo_kb.synonyms`);
2. **rank**: base scores from the cached postings (:mod:`~prolo_kb.matching`,
   :mod:`~prolo_kb.terms`, read through :mod:`~prolo_kb.index_reader`), re-ranked by the
   declared model (:mod:`~prolo_kb.model`, :mod:`~prolo_kb.ranking`); reported warning
   signs first, whatever the filters; "not covered" when no entry answers the question;
3. **results** (:mod:`~prolo_kb.results`): hits with HTML-escaped snippets, the JSON, and
   with ``explain=True`` what each stage did.

It knows nothing of Sphinx, the CLI or the web: those are thin edges over it.
"""

from __future__ import annotations

import re
import threading
from functools import partial
from math import log
from pathlib import Path
from typing import Any

from . import dictionary, matching
from .errors import IndexUnavailable, QueryError
from .index_reader import KBIndex, reading
from .lru import LRU
from .manifest import Manifest
from .model import MODEL, RankingModel
from .query import MAX_QUERY_CHARS, WORD, clean_query, named_before_what_is_it
from .ranking import (
    URGENCY_ORDER,
    Candidate,
    Plan,
    Ranked,
    Said,
    Wording,
    concept_weight,
    escalation_first,
    explain_factors,
    held_share,
    informative,
    rerank,
    said,
    says_whole,
    synonym_boost,
    wordings,
)
from .results import Hit, SearchResult
from .schema import analyze
from .signs import reported_entries
from .snippets import Snippets
from .store import OpenIndex, resolve
from .synonyms import MAX_ALTERNATIVES, Synonyms
from .terms import DENSE_FROM, WARM_DENSE_FROM
from .understanding import MAX_PHRASES, Understanding, Understood

__all__ = ["MAX_ALTERNATIVES", "MAX_LIMIT", "MAX_PHRASES", "MAX_QUERY_CHARS", "MAX_UNITS",
           "Hit", "SearchEngine", "SearchResult"]

MAX_UNITS = 16  # concepts searched per query; the rest of a long query is ignored
MAX_LIMIT = 100
CACHED_WORDINGS = 8192
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unknown_words(unknown: list[str], spelt: list[list[str]]) -> list[str]:
    """The words no entry uses, a shorthand's meaning counting as the one word typed: not
    at all when the base uses one of its words ("mcl": medial collateral *ligament*),
    else once ("cabg")."""
    out = list(unknown)
    for stems in spelt:
        missing = [w for w in stems if w in out]
        for word in missing[1 if len(missing) == len(stems) else 0:]:
            out.remove(word)
    return out


class _State:
    """Everything derived from one index version; replaced whole on reload."""

    def __init__(self, index: KBIndex) -> None:
        self.index = index
        manifest = self.index.opened.manifest
        self.understanding = Understanding(index)
        self.synonyms = Synonyms(manifest.synonyms)
        self.urgency = manifest.urgency
        self.pages = {p.docname: p for p in manifest.pages}
        self.snippets = Snippets()
        # each document's wordings as coverage sees them, worked out once
        self.wordings: LRU[int, tuple[Wording, ...]] = LRU(CACHED_WORDINGS)


class SearchEngine:
    """Searches one index path; picks up a rebuilt index without a restart.

    Thread-safe: each thread gets its own Whoosh searcher for the current version.
    ``index`` is an index path, or an index already open (an in-memory one for tests:
    :func:`prolo_kb.indexing.memory_index`), which is never reloaded. ``dense_from``
    fixes from how many documents postings are scored as arrays; by default a one-off
    search's choice, a long-running one's after :meth:`warm_up`.
    """

    def __init__(self, index: Path | str | OpenIndex, model: RankingModel = MODEL, *,
                 dense_from: int | None = None) -> None:
        self.model = model
        # From how many documents postings are scored as arrays (prolo_kb.terms): given,
        # or chosen for a one-off search until warm_up says the process is long-running.
        self._chosen = dense_from is not None
        self._dense_from = DENSE_FROM if dense_from is None else dense_from
        if isinstance(index, OpenIndex):
            self.path = index.path
            self._fixed = True
            self._state = _State(KBIndex.of(index, dense_from=self._dense_from))
        else:
            self.path = Path(index)
            self._fixed = False
            self._state = _State(KBIndex.open(self.path, dense_from=self._dense_from))
        self._reload_lock = threading.Lock()

    @property
    def manifest(self) -> Manifest:
        return self._state.index.opened.manifest

    @property
    def topics(self) -> frozenset[str]:
        return self._state.index.topics

    @property
    def audiences(self) -> frozenset[str]:
        return self._state.index.audiences

    def warm_up(self) -> None:
        """Prepare a long-running process (``serve``) for many searches: keep postings as
        arrays from a mid-sized base on (:mod:`prolo_kb.terms`), load the English word
        list (~0.1 s, needed for the first unknown word) and read the common postings.
        A one-off CLI search skips it."""
        if not self._chosen and self._dense_from != WARM_DENSE_FROM:
            self._dense_from = WARM_DENSE_FROM
            if self._state.index.terms.doc_count >= WARM_DENSE_FROM:
                self._state = _State(KBIndex.of(self._state.index.opened,
                                                dense_from=WARM_DENSE_FROM))
        dictionary.is_word("warm")
        self.search("how often are the injections")

    def reload_if_changed(self) -> bool:
        """Switch to a newly swapped-in index version; keep the old one if it is bad."""
        if self._fixed or resolve(self.path) == self._state.index.path:
            return False
        with self._reload_lock:
            if resolve(self.path) == self._state.index.path:
                return False
            try:
                self._state = _State(KBIndex.open(self.path, dense_from=self._dense_from))
            except IndexUnavailable:
                return False  # a half-made or broken rebuild: go on serving the old one
            return True

    def search(self, query: str, *, limit: int = 10, topic: str | None = None,
               audience: str | None = None, explain: bool = False) -> SearchResult:
        """Rank the knowledge base for ``query``. Raises :class:`QueryError` for a query
        that cannot be searched and :class:`IndexUnavailable` for a damaged index."""
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
        state = self._state
        if topic and topic not in state.index.topics:
            raise QueryError(
                f"unknown topic {topic!r} (known: {', '.join(sorted(state.index.topics))})")
        if audience and audience not in state.index.audiences:
            raise QueryError(f"unknown audience {audience!r} "
                             f"(known: {', '.join(sorted(state.index.audiences))})")
        text = clean_query(query)
        if not WORD.search(text):
            raise QueryError("nothing to search for: type a few words of the question")
        with reading(self.path):
            return _Search(state, self.model, explain).run(query, text, limit, topic, audience)


class _Search:
    """One query through the stages (a short-lived object, so each stage is a method)."""

    def __init__(self, state: _State, model: RankingModel, explain: bool) -> None:
        self.state = state
        self.model = model
        self.index = state.index
        self.table = state.index.terms
        self.reader = state.index.reader()
        self.explain: dict[str, Any] | None = {} if explain else None

    def run(self, original: str, text: str, limit: int, topic: str | None,
            audience: str | None) -> SearchResult:
        read = self._what_it_is(self.state.understanding.read(text))
        found, phrases = read.signs, read.phrases
        plan, unknown = self._plan(read)
        if not plan.units and not unknown and not phrases:
            raise QueryError("the query has only common words (like 'how', 'the', 'is'); "
                             "add a word about the question")
        circumstance = [w for w in unknown if set(w.split()) <= read.told]
        ranked, total, covered, said_whole = self._rank(
            plan, self._unheard(unknown), circumstance, phrases, topic, audience, limit)
        reported = reported_entries(found)
        if reported:
            ranked, added = escalation_first(ranked, reported, self.index.document_by_id)
            total += added
        urgency = next((level for level in URGENCY_ORDER
                        if any(self.state.urgency.get(d) == level for d in reported)), None)
        # A question naming what the base is about asks about it, whatever else it holds.
        below = (self.model.not_covered_below_said if said_whole
                 else self.model.not_covered_below)
        # Whether the clinic offers something is answered only by an entry asked that way.
        unoffered = read.offer and not plan.subject and not (
            ranked and self.state.understanding.answers_offer(ranked[0].doc))
        not_covered = not reported and not plan.subject and (covered < below or unoffered)
        if self.explain is not None:
            self.explain.update({
                "searched": read.searched, "corrections": read.corrections,
                "shorthand": read.shorthand, "absent": sorted(read.absent),
                "frame": read.frame, "asks": read.asks,
                "signs": [{"entry": f.sign.doc_id, "sign": f.sign.phrase, "words": f.words,
                           "context": f.context, "trigger": f.trigger} for f in found],
                "unknown_words": unknown, "covered": round(covered, 4),
                "says_wording_whole": said_whole, "names_subject": plan.subject,
                "scoring": "arrays" if self.table.dense else "dictionaries",
                "not_covered_below": below, "asks_offer": read.offer,
                "unoffered": unoffered})
        return SearchResult(
            # Undecodable bytes in argv arrive as lone surrogates, which cannot be printed
            # or sent as UTF-8: the query is echoed with U+FFFD in their place.
            query=_SURROGATE.sub("\ufffd", original),
            corrected=read.corrected if read.corrections else None,
            total=total,
            hits=self._hits(ranked[:limit], plan),
            warning_signs=tuple(dict.fromkeys(f.words for f in found
                                              if f.context == "asserted")),
            urgency=urgency,
            not_covered=not_covered,
            explain=self.explain,
        )

    def _what_it_is(self, read: Understood) -> Understood:
        """"my daughter keeps telling me to try prolo for my knee, what even is that" asks
        what prolotherapy is: ranked as that question (the signs stay those of the whole
        query). Only when the clause just before "what is that" names the subject: in
        "i got prolo and my knee swelled up, what is that", "that" is the swelling."""
        understanding = self.state.understanding
        named = named_before_what_is_it(read.loose)
        if named is None or not understanding.names_subject(
                self.state.synonyms.units(analyze(named))):
            return read
        if self.explain is not None:
            self.explain["what_it_is"] = named.strip()
        return read._replace(loose=f"what is {understanding.subject_words}", asks="what",
                             told=frozenset())

    def _plan(self, read: Understood) -> tuple[Plan, list[str]]:
        table, reader, found, absent = self.table, self.reader, read.signs, read.absent
        # Signs the caller says are absent ("no fever", "no trouble breathing") are not
        # what the question is about, but a glossary phrase holding the negation is a
        # concept of its own ("no improvement" is a treatment that did not work).
        every = self.state.synonyms.units(analyze(read.loose))
        grouped = [u for u in every if not set(u[0]) <= absent
                   or (len(u) > 1 and not read.denials.isdisjoint(u[0]))
                   ][:MAX_UNITS] or every[:MAX_UNITS]
        units = [informative(table, reader, unit, self.model) for unit in grouped]
        known_units = [u for u in units if any(table.fields_with(reader, s)
                                               for alt in u for s in alt)]
        # For "not covered", a word only warning-sign phrases or staff notes use is one
        # no entry answers with ("yesterday" in "worse than yesterday").
        in_content = [u for u in known_units if any(
            table.frequency(reader, name, s)
            for name in self.model.content_fields for alt in u for s in alt)]
        unknown = _unknown_words(
            [" ".join(u[0]) for u in units if u not in in_content
             and len(u[0][0]) > 2 and u[0][0].isalpha()],
            [analyze(means) for means in read.spelt])
        weights = [concept_weight(table, reader, u, self.model) for u in known_units]
        about = [concept_weight(table, reader, u, self.model, everyday=True)
                 for u in known_units]
        asserted = {f.sign.doc_id for f in found if f.context == "asserted"}
        stem_set = {s for u in grouped for s in u[0]}
        plan = Plan(
            units=known_units,
            weights=weights,
            about=about,
            concepts=[said(u) for u in known_units],
            expanded=frozenset(s for u in known_units for alt in u for s in alt),
            clinical=self.state.understanding.is_clinical(stem_set),
            unasserted=frozenset(f.sign.doc_id for f in found) - asserted,
            reported=frozenset(asserted),
            subject=self.state.understanding.names_subject(grouped),
            asks=read.asks,
            told=read.told,
        )
        if self.explain is not None:
            self.explain["concepts"] = [
                {"typed": " ".join(u[0]), "synonyms": [" ".join(a) for a in u[1:]],
                 "weight": round(w, 4), "about": round(a, 4)}
                for u, w, a in zip(known_units, weights, about, strict=True)]
            self.explain["clinical"] = plan.clinical
        return plan, unknown

    def _unheard(self, unknown: list[str]) -> list[tuple[str, float]]:
        """How telling each word no entry uses is: the most a word can be, less for one
        everyday English uses a lot ("supposed", "couple", "sister"), by the prior that
        weighs the words the base knows (:meth:`TermTable.unheard`)."""
        most = log(self.table.doc_count) + 1
        return [(w, min(most, self.table.unheard(
                    min(self.index.english_share(s) for s in w.split()))))
                for w in unknown]

    def _rank(self, plan: Plan, unknown: list[tuple[str, float]], circumstance: list[str],
              phrases: list[tuple[str, ...]], topic: str | None, audience: str | None,
              limit: int) -> tuple[list[Ranked], int, float, bool]:
        """The ranked hits, how many documents matched, the share of the query the best
        hit holds, and whether the query says one of its wordings whole. ``unknown``
        words no entry uses with how telling each is, ``circumstance`` those of them said
        only in a statement about the caller (:attr:`Understood.told`)."""
        table, reader = self.table, self.reader
        if not plan.units and not phrases:  # only words no entry uses
            return [], 0, 0.0, False
        concepts_plan = [
            [(u[0], 1.0), *((alt, synonym_boost(table, reader, u[0], alt, self.model))
                            for alt in u[1:])] for u in plan.units]
        allowed: frozenset[int] | None = None
        for name, value in (("topic", topic), ("audience", audience)):
            if value:
                docs = table.docs_with(reader, name, value)
                allowed = docs if allowed is None else allowed & docs
        best, total = matching.best(table, reader, concepts_plan,
                                    [self.index.phrase(p) for p in phrases], allowed,
                                    max(self.model.candidates, limit))
        docnums = [docnum for docnum, _ in best]
        holders = [self._saying(concept, docnums) for concept in plan.concepts]
        candidates = []
        idf = partial(table.telling, reader)
        for docnum, score in best:
            stored = self.index.document(docnum)
            shapes = self.state.wordings.get(
                docnum, partial(wordings, stored.wordings, idf, self.model))
            candidates.append(Candidate(docnum, score, stored.doc, shapes))
        ranked = rerank(candidates, plan, holders if len(plan.concepts) > 1 else [],
                        self.model)
        covered, said_whole = 0.0, False
        if ranked:
            top = next(c for c in candidates if c.doc.id == ranked[0].doc.id)
            held = [top.docnum in h for h in holders]
            # A word the index has never seen weighs the most a word can, less if English
            # uses it a lot: the query asks about something no entry mentions.
            # What the caller tells about themselves while asking in another clause is
            # circumstance, if the best hit answers what that clause asks most tellingly:
            # "i tore my rotator cuff lifting boxes at the warehouse, would this help me",
            # but not "we are going to a wedding, can i bring a plus one".
            asked = [(a, h) for u, a, h in zip(plan.units, plan.about, held, strict=True)
                     if not set(u[0]) <= plan.told]
            if not (asked and max(asked)[1]):
                circumstance = []
            unheard = sum(w * (self.model.told_weight if word in circumstance else 1.0)
                          for word, w in unknown)
            covered = held_share(held, plan.about, unheard * self.model.unknown_weight)
            if self.explain is not None:
                self.explain["circumstance"] = circumstance
            said_whole = says_whole(top.wordings, plan.expanded)
        return ranked, total, covered, said_whole

    def _saying(self, concept: Said, docnums: list[int]) -> set[int]:
        """Which of ``docnums`` say the concept (:class:`~prolo_kb.ranking.Said`) in their
        questions, other wordings or text."""
        table, reader = self.table, self.reader
        saying = table.holding(reader, concept.any_of, docnums)
        for synonym in concept.all_of:
            holders = [d for d in docnums if d not in saying]
            for stem in synonym:  # every word of it, checked on fewer documents each time
                if not holders:
                    break
                held = table.holding(reader, (stem,), holders)
                holders = [d for d in holders if d in held]
            saying.update(holders)
        return saying

    def _hits(self, ranked: list[Ranked], plan: Plan) -> tuple[Hit, ...]:
        marked = plan.expanded
        snippets = self.state.snippets
        return tuple(
            Hit(doc=r.doc, score=r.score,
                highlight=partial(snippets.snippet, r.doc.id, r.doc.text, marked),
                page=self.state.pages.get(r.doc.page),
                explain=explain_factors(r) if self.explain is not None else None)
            for r in ranked)

