"""The ranking model: every weight the search uses, declared once.

The score of a document for a query is built in three steps:

1. **Dis-max BM25 with a tie-breaker, per word.** Each field (question, other wordings,
   answer/body, warning-sign phrases, staff note) scores a stem with BM25 (``k1``,
   ``b`` per field) times the field's weight; the document takes its best field plus
   ``field_tiebreak`` times the others. No index-time boosts: these weights are all.
2. **Concepts.** A concept is a typed word or glossary phrase with its synonyms; it
   scores its best wording (a synonym counts ``synonym_discount`` of the typed word at
   most) plus ``wording_tiebreak`` of the others. A document's base score is the sum
   over the concepts it holds (an OR).
3. **Re-ranking** the best ``candidates``: coordination (share of the query's telling
   weight the document holds), question coverage (the question says what was asked and
   no more), FAQ preference, the clinical lean, and the warning-sign rules.

``prolo-kb search --explain`` shows each of these for each hit.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


def _frozen(**weights: float) -> Mapping[str, float]:
    return MappingProxyType(weights)


class RankingModel(NamedTuple):
    """The weights of the ranking, each with what it does. Immutable: another model is
    ``MODEL._replace(coordination=0.5)``. (A NamedTuple, not a dataclass: a dataclass
    costs a search in a new process ~2 ms to create at import.)"""

    field_weights: Mapping[str, float] = _frozen(
        title=2.5, also=1.5, text=1.0, signs=0.4, staff=0.3)
    """BM25 weight of each searched field: questions say what an entry is about; warning
    signs and staff notes help find an entry but must not outrank a plain answer."""
    content_fields: tuple[str, ...] = ("title", "also", "text")
    """Fields that count as the entry saying a word (for coordination and coverage)."""
    k1: float = 1.2
    """BM25 term-frequency saturation."""
    english_documents: float = 100.0
    """A knowledge base is a small sample of English: a word common in everyday English
    ("done", "still", "lot") is rare in it by chance, and BM25 would take it for a
    telling word. So a word's document frequency counts at least this many times its
    share of English running text (pyspellchecker's word list) times the documents: a
    prior from everyday English. Medical and rare words are never lowered by it."""
    b: Mapping[str, float] = _frozen(title=0.3, signs=0.3)
    """BM25 length normalisation per field; short fields say little by their length."""
    default_b: float = 0.75
    """BM25 length normalisation of the other fields."""
    field_tiebreak: float = 0.3
    """Dis-max tie-breaker: what the other fields holding a word add to the best one."""
    wording_tiebreak: float = 0.1
    """What a concept's other matched wordings add to its best one."""
    synonym_discount: float = 0.7
    """A synonym counts at most this share of the word typed."""
    ubiquitous: float = 0.3
    """A word in this share of documents or more is not expanded with synonyms."""
    coordination: float = 0.4
    """A hit holding k of the query's telling weight n keeps (1 - c) + c * k / n."""
    question_coverage: float = 4.0
    """Up to this much extra for a question (or other wording) that is all about what was
    asked: score * (1 + question_coverage * coverage)."""
    informative_idf: float = 1.6
    """Coverage counts a question's words only from this IDF up: frame words ("how",
    "many", "per", "happen") cannot make a question look all about the query."""
    faq_preference: float = 2.0
    """An approved FAQ answer beats a page section that matches about as well."""
    clinical_faq_preference: float = 1.0
    """The FAQ preference when the query is in clinicians' words: a page section that
    holds the exact fact is not buried under patient answers."""
    same_question_word: float = 1.2
    """An FAQ whose question opens like the query ("how", "why", a yes-or-no "does ...")
    asks what was asked: "How does prolotherapy work?" and "Does prolotherapy work?" keep
    the same words once "how" is dropped as a stop word."""
    clinical_lean: float = 1.5
    """Multiplier for entries for physicians when the query is in clinicians' words."""
    unasserted_escalation: float = 0.2
    """An escalation entry whose sign the query only mentions (negated, past, a risk)
    keeps this share of its score: it ranks below the answer to what was asked."""
    unreported_escalation: float = 0.5
    """An escalation entry none of whose signs the query reports keeps this share: its
    sign words ("swelling", "sore") must not put it above the everyday answer."""
    candidates: int = 20
    """How many of the best base scores are re-ranked."""
    not_covered_below: float = 0.45
    """The query is "not covered" when the best hit holds less than this share of the
    query's weight, each word weighed with everyday English as a prior (as in BM25):
    "really", "lot", "done" say little about what a question is about."""
    not_covered_below_said: float = 0.25
    """The bar when the query says one of the best hit's wordings whole (every
    informative word of its question or another wording): it asks what that entry
    answers, and the rest is circumstance ("shes a nurse on her feet all day can she
    work the next day" says "work the next day")."""
    told_weight: float = 0.0
    """For "not covered", a word no entry uses weighs this share of ``unknown_weight``
    when the caller says it only in a statement about themselves and asks in another
    clause: "im a carpenter swinging a hammer all day, is it worth trying for tennis
    elbow" asks about tennis elbow; "carpenter" and "hammer" are circumstance."""
    unknown_weight: float = 1.5
    """A word the index has never seen (not a typo, three letters or more) weighs this
    many times the most telling indexed word: the query asks about something no entry
    mentions ("sitter", "telehealth")."""


MODEL = RankingModel()
