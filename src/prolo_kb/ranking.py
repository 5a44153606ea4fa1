"""Re-ranking the best candidates with the declared model (:mod:`prolo_kb.model`).

The base score (dis-max BM25 per word, summed over concepts) comes from
:mod:`prolo_kb.matching`; here each candidate is weighed by how much of the query it is
about, whether it is an approved FAQ answer, whether the query is a clinician's, and
what the warning-sign rules say. Every factor is recorded when ``explain`` is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from whoosh.reading import IndexReader

from .content import Document
from .model import MODEL, RankingModel
from .query import question_word
from .synonyms import Unit
from .terms import TermTable


class Wording(NamedTuple):
    """A question (or one of its other wordings) as coverage sees it."""

    stems: frozenset[str]
    telling: dict[str, float]  # its informative stems (IDF at the floor or above)
    total: float  # their IDF together


class Candidate(NamedTuple):
    docnum: int
    score: float  # the base score
    doc: Document
    wordings: tuple[Wording, ...]  # the question, then its other wordings


def wordings(stems: Sequence[frozenset[str]], idf: Callable[[str], float],
             model: RankingModel = MODEL) -> tuple[Wording, ...]:
    """A document's wordings with their informative stems: worked out once per document
    and index version (the search keeps them)."""
    out = []
    for own in stems:
        telling = {stem: w for stem in own if (w := idf(stem)) >= model.informative_idf}
        out.append(Wording(own, telling, sum(telling.values())))
    return tuple(out)


class Ranked(NamedTuple):
    score: float
    doc: Document
    factors: dict[str, float]  # what each re-ranking factor multiplied the score by


class Said(NamedTuple):
    """How a text says a concept: any word typed ("regular doctor": "doctor" is something
    asked about), or a synonym whole (glossary wordings mean the concept only together:
    "out of pocket" is not said by "worn out"). Built with :func:`said`."""

    any_of: frozenset[str]  # the words typed and the one-word synonyms
    all_of: tuple[frozenset[str], ...]  # the synonyms of several words

    def by(self, stems: frozenset[str]) -> bool:
        return not self.any_of.isdisjoint(stems) or (
            bool(self.all_of) and any(s <= stems for s in self.all_of))


def said(unit: Unit) -> Said:
    """How a text says the concept of ``unit`` (its typed wording, then its synonyms)."""
    typed, synonyms = unit[0], unit[1:]
    return Said(frozenset(typed).union(*(s for s in synonyms if len(set(s)) == 1)),
                tuple(frozenset(s) for s in synonyms if len(set(s)) > 1))


class Plan(NamedTuple):
    """What ranking needs to know of the query."""

    units: list[Unit]  # its concepts
    weights: list[float]  # how telling each is
    about: list[float]  # how much each says what the query is about ("not covered")
    concepts: list[Said]  # how a text says each concept
    expanded: frozenset[str]  # every stem searched
    clinical: bool  # written in clinicians' words
    unasserted: frozenset[str]  # escalation entries whose signs are only mentioned
    reported: frozenset[str]  # escalation entries whose signs the caller reports
    subject: bool = False  # names what the base is about ("prolo"): never "not covered"
    asks: str | None = None  # its question word (prolo_kb.query.question_word)
    told: frozenset[str] = frozenset()  # stems said only about the caller, not asked


def weight(table: TermTable, reader: IndexReader, stems: tuple[str, ...],
           everyday: bool = False) -> float:
    """How telling these stems are together (:meth:`TermTable.telling`; with
    ``everyday``, :meth:`TermTable.everyday`)."""
    telling = table.everyday if everyday else table.telling
    return sum(telling(reader, stem) for stem in stems)


def _ubiquitous(table: TermTable, reader: IndexReader, stems: tuple[str, ...],
                model: RankingModel) -> bool:
    return all(table.frequency(reader, "text", stem) >= model.ubiquitous * table.doc_count
               for stem in stems)


def informative(table: TermTable, reader: IndexReader, unit: Unit,
                model: RankingModel = MODEL) -> Unit:
    """The wordings worth searching for a concept. A concept the base is all about
    ("prolotherapy", however it is typed: "prolo", "sugar shots") is searched as typed
    and in its everyday wording only: its rarer synonyms would pull in entries that
    happen to use them. Never a wording with a word the index lacks."""
    typed = unit[0]
    common = [alt for alt in unit if _ubiquitous(table, reader, alt, model)]
    if len(unit) > 1 and common:
        return (typed, *(alt for alt in common if alt != typed))
    return (typed, *(alt for alt in unit[1:] if all(table.fields_with(reader, s) for s in alt)))


def concept_weight(table: TermTable, reader: IndexReader, unit: Unit,
                   model: RankingModel = MODEL, *, everyday: bool = False) -> float:
    """How telling a concept is: its typed wording's weight (or its best synonym's, for a
    word the index lacks); a concept the base is all about weighs what its everyday
    wording weighs, however rare the typed word ("prolo"). With ``everyday``, a word
    common in English weighs less (for "not covered": what the question is about)."""
    common = [weight(table, reader, alt, everyday) for alt in unit[1:]
              if _ubiquitous(table, reader, alt, model)]
    if common:
        return min(common)
    return weight(table, reader, unit[0], everyday) or max(
        weight(table, reader, alt, everyday) for alt in unit)


def synonym_boost(table: TermTable, reader: IndexReader, typed: tuple[str, ...],
                  alt: tuple[str, ...], model: RankingModel = MODEL) -> float:
    """A synonym counts at most ``synonym_discount`` of the word typed, however rare:
    else a common typed word would be outweighed by its rarer synonym."""
    typed_weight = weight(table, reader, typed)
    alt_weight = weight(table, reader, alt)
    if typed_weight <= 0 or alt_weight <= 0:
        return model.synonym_discount  # the typed word is not in the index
    return model.synonym_discount * min(1.0, typed_weight / alt_weight)


class _Coverage:
    """How well a wording and the query say the same thing: the share of the wording's
    informative words the query asked about, times the share of the query's informative
    weight the wording is about. Only informative words count (an IDF floor), so a shared
    frame ("how many", "what happens") cannot make a question look like the query."""

    def __init__(self, plan: Plan, model: RankingModel) -> None:
        self.expanded = plan.expanded
        informative = [(c, w) for c, w in zip(plan.concepts, plan.weights, strict=True)
                       if w >= model.informative_idf]
        # (Said.by, inlined: this runs for every wording of every candidate)
        self.simple = [(c.any_of, w) for c, w in informative if not c.all_of]
        self.phrased = [(c.any_of | frozenset().union(*c.all_of), c, w)
                        for c, w in informative if c.all_of]
        self.total = sum(w for _, w in informative) or 1.0

    def __call__(self, wording: Wording) -> float:
        shared = wording.telling.keys() & self.expanded
        if not shared:
            return 0.0
        asked = sum(wording.telling[s] for s in shared) / wording.total
        own = wording.stems
        answered = sum(w for any_of, w in self.simple if not any_of.isdisjoint(own))
        for some, c, w in self.phrased:  # (a word of it first: most wordings have none)
            if not some.isdisjoint(own) and c.by(own):
                answered += w
        return asked * answered / self.total


def rerank(candidates: Sequence[Candidate], plan: Plan, holders: Sequence[set[int]],
           model: RankingModel = MODEL) -> list[Ranked]:
    """The candidates re-ranked, best first. ``holders[i]`` are the candidates saying
    concept i in their content fields."""
    total_weight = sum(plan.weights) or 1.0
    faq_preference = model.clinical_faq_preference if plan.clinical else model.faq_preference
    coverage = _Coverage(plan, model)
    ranked = []
    for cand in candidates:
        doc = cand.doc
        factors: dict[str, float] = {}
        if doc.kind == "faq":
            factors["faq preference"] = faq_preference
        best = max(map(coverage, cand.wordings), default=0.0)
        if best:
            factors["question coverage"] = 1.0 + model.question_coverage * best
        if holders:
            share = sum(w for held, w in zip(holders, plan.weights, strict=True)
                        if cand.docnum in held) / total_weight
            factors["coordination"] = (1.0 - model.coordination) + model.coordination * share
        if plan.asks and doc.kind == "faq" and question_word(doc.title) == plan.asks:
            factors["same question word"] = model.same_question_word
        if plan.clinical and "physician" in doc.audience:
            factors["clinical lean"] = model.clinical_lean
        if doc.id in plan.reported:
            pass  # it comes first anyway (escalation_first)
        elif doc.id in plan.unasserted:
            factors["sign only mentioned"] = model.unasserted_escalation
        elif doc.escalate:
            factors["no sign reported"] = model.unreported_escalation
        score = cand.score
        for value in factors.values():
            score *= value
        ranked.append(Ranked(score, doc, factors))
    ranked.sort(key=lambda r: -r.score)
    return ranked


def held_share(held: Sequence[bool], weights: Sequence[float],
               unknown_weight: float) -> float:
    """The share of the query's weight a document says (for "not covered"), ``held[i]``
    whether it says concept i of weight ``weights[i]``; ``unknown_weight`` is the weight
    of the words the index has never seen."""
    total = sum(weights) + unknown_weight
    if total <= 0:
        return 1.0
    return sum(w for h, w in zip(held, weights, strict=True) if h) / total


def says_whole(shapes: Sequence[Wording], expanded: frozenset[str]) -> bool:
    """Whether the query says every informative word of one of a document's wordings
    (its question or another wording): it asks what that entry answers, whatever else
    it says."""
    return any(w.telling and w.telling.keys() <= expanded for w in shapes)


URGENCY_ORDER = ("emergency", "same-day")  # most urgent first


def _urgency_rank(doc: Document) -> int:
    return URGENCY_ORDER.index(doc.urgency) if doc.urgency in URGENCY_ORDER else len(
        URGENCY_ORDER)


def escalation_first(ranked: list[Ranked], reported: dict[str, tuple[int, str]],
                     fetch: Callable[[str], Document | None]) -> tuple[list[Ranked], int]:
    """The escalation entries covering the reported signs first (the most urgent, then
    the one covering more of what the caller said), even if the query's filters or
    wording left them out: a warning sign must never be buried, and the first entry
    says what the banner says. ``reported``: entry id -> (strength, the caller's words)."""
    present = {r.doc.id: r for r in ranked}
    top = ranked[0].score if ranked else 1.0
    added = 0
    for doc_id in reported:
        if doc_id not in present:
            doc = fetch(doc_id)
            if doc is not None:
                present[doc_id] = Ranked(top, doc, {"warning sign reported": 1.0})
                added += 1
    first = sorted((present[d] for d in reported if d in present),
                   key=lambda r: (_urgency_rank(r.doc), -reported[r.doc.id][0], -r.score))
    first = [Ranked(r.score, r.doc, {**r.factors, "warning sign reported": 1.0})
             for r in first]
    rest = [r for r in ranked if r.doc.id not in reported]
    return first + rest, added


def explain_factors(r: Ranked) -> dict[str, Any]:
    return {name: round(value, 4) for name, value in r.factors.items()}
