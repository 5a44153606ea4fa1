"""Query understanding: what staff typed, as the search needs to read it.

One :class:`Understanding` per index version holds what the build taught it (the staff
shorthand and its contexts, the glossary's words and terms for spelling, the warning
signs and their ConText triggers, what the base is about); :meth:`Understanding.read`
turns a cleaned query into an :class:`Understood`: shorthand spelt out, misspellings
fixed (never a real word), warning signs found in the typed words with their context,
quoted phrases, the sign words the caller says are absent, the frame around the
question ("pt asking", "my husband wants to know if"), which ranking leaves out, the
kind of answer it asks for ("how", "why", yes or no), and whether it asks if the clinic
offers something other than its own treatment ("do you do acupuncture").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .content import Document
from .index_reader import KBIndex
from .query import Speller, expand_shorthand, question_word, told_only
from .schema import analyze
from .signs import FeverReading, Found, Sign, SignDetector
from .synonyms import Unit

MAX_PHRASES = 4  # quoted phrases searched per query
_QUOTED = re.compile(r'"([^"]*)"')
_OFFER_ADVERBS = ("also", "still", "even", "ever", "actually")
_OFFER_DETERMINERS = frozenset({"the", "a", "an", "any", "some", "your"})


def _alternatives(phrases: Sequence[str]) -> str:
    """A regular expression alternation of ``phrases``, longest first, any spacing."""
    return "|".join(r"\s+".join(map(re.escape, p.split()))
                    for p in sorted(phrases, key=len, reverse=True))


def offer_pattern(offer: Mapping[str, Sequence[str]]) -> re.Pattern[str] | None:
    """The frame asking whether the clinic offers something: "do" or "does", one of
    ``offer["by"]``, perhaps an adverb, one of ``offer["verbs"]``; group 1 holds the next
    two words (the start of what is offered)."""
    if not offer.get("by") or not offer.get("verbs"):
        return None
    return re.compile(
        rf"\b(?:do|does)\s+(?:{_alternatives(offer['by'])})\s+"
        rf"(?:(?:{'|'.join(_OFFER_ADVERBS)})\s+)?(?:{_alternatives(offer['verbs'])})\b"
        r"((?:\s+[\w'-]+){0,2})", re.IGNORECASE)


def frame_pattern(askers: Sequence[str], asks: Sequence[str],
                  purposes: Sequence[str] = ()) -> re.Pattern[str] | None:
    """What frames a question: an ``asks`` phrase ("wants to know"), the asker just before
    it ("my husband", "pt is") and "if", "whether" or "about" just after it; or what it is
    for: "for", perhaps "a", "my" or "the", and one of ``purposes`` ("referral letter")."""
    if not asks and not purposes:
        return None
    words = _alternatives
    who = (rf"(?:(?:my|her|his|their|our|the|a|new)\s+)?(?:{words(askers)})\s+"
           r"(?:(?:is|was|am|are|has|had|just)\s+)?") if askers else ""
    frames = []
    if asks:
        frames.append(rf"\b(?:{who})?(?:{words(asks)})\b(?:\s+(?:if|whether|about)\b)?")
    if purposes:
        frames.append(rf"\bfor\s+(?:(?:a|an|my|the|our|your|his|her|their)\s+)?"
                      rf"(?:{words(purposes)})\b")
    return re.compile("|".join(frames), re.IGNORECASE)


class Understood(NamedTuple):
    """One query, read."""

    corrected: str  # misspellings fixed (what "Showing results for" shows)
    corrections: dict[str, str]  # typed -> used
    searched: str  # and shorthand spelt out
    shorthand: list[str]  # the shorthands spelt out
    spelt: list[str]  # what each of them means, in the same order
    signs: list[Found]  # warning signs in the typed words, with their context
    absent: frozenset[str]  # stems of sign words the caller says are absent
    denials: frozenset[str]  # stems of the words that said so ("no", "denies")
    phrases: list[tuple[str, ...]]  # the stems of each quoted phrase
    loose: str  # what ranking reads: ``searched`` without the quotes and the frame
    frame: list[str]  # the words framing the question ("pt asking"), left out of ranking
    asks: str | None  # its question word ("how", "why", "yes/no"); None for keywords
    told: frozenset[str]  # stems said only in a statement about the caller (query.told_only)
    offer: bool  # asks whether the clinic offers something not its own treatment


class Understanding:
    """Reads queries for one index version (safe to share by threads)."""

    def __init__(self, index: KBIndex) -> None:
        manifest = index.opened.manifest
        language = manifest.language
        self._shorthand = language.shorthand
        self._contexts = language.shorthand_context
        self._units = language.units
        self._speller = Speller(
            index.known, index.nearest, keep={*language.shorthand, *language.units},
            phrases=(p for g in manifest.glossary for p in (g.term, *g.lay)),
            everyday=frozenset(manifest.english))
        fever = FeverReading(*language.fever_reading) if language.fever_reading else None
        self._detector = SignDetector(
            (Sign(doc_id, phrase, stems) for doc_id, phrase, stems in manifest.signs),
            language.context, language.terminators, fever)
        self._clinical = manifest.clinical  # the stems of clinicians' words and phrases
        self.subject = tuple(analyze(language.subject))  # () when the build named none
        self.subject_words = language.subject
        self._framing = (language.askers, language.asks, language.purposes)
        # A frame needs one of these words; a query holding none skips the pattern, which
        # is compiled on first need (~5 ms: most one-off CLI searches never pay it).
        self._frame_words = frozenset(p.split()[0].lower() for p in language.asks) | (
            {"for"} if language.purposes else set())
        self._frame_compiled: re.Pattern[str] | None = None
        self._offer = language.offer
        self._offer_compiled: re.Pattern[str] | None = None
        self._offer_verbs = frozenset(language.offer.get("verbs", ()))
        # what may follow the verb without being another service ("it", "any studies")
        self._offer_ours = frozenset(
            (*language.offer.get("ours", ()), *language.offer.get("information", ())))
        self._answers_offer: dict[str, bool] = {}

    def read(self, text: str) -> Understood:
        corrected, corrections = self._speller.correct(text)
        searched, used = expand_shorthand(corrected, self._shorthand, self._contexts,
                                          self._units)
        signs, absent, denials = self._detector.detect(searched)
        phrases = [p for p in (tuple(analyze(q)) for q in _QUOTED.findall(searched)) if p]
        loose = _QUOTED.sub(" ", searched).replace('"', " ")
        frame: list[str] = []
        pattern = self._frame(loose)
        if pattern is not None:
            unframed = pattern.sub(" ", loose)
            if analyze(unframed):  # a query that is all frame is searched whole
                frame = [" ".join(m.group().split()) for m in pattern.finditer(loose)]
                loose = unframed
        return Understood(corrected, corrections, searched, [short for short, _ in used],
                          [means for _, means in used], signs, absent, denials,
                          phrases[:MAX_PHRASES], loose, frame, question_word(loose),
                          told_only(loose), self.asks_offer(loose))

    def _frame(self, text: str) -> re.Pattern[str] | None:
        """The frame pattern, if ``text`` could hold a frame."""
        if self._frame_words.isdisjoint(re.findall(r"[a-z]+", text.lower())):
            return None
        if self._frame_compiled is None:  # a race compiles it twice, harmlessly
            self._frame_compiled = frame_pattern(*self._framing)
        return self._frame_compiled

    def asks_offer(self, text: str) -> bool:
        """Whether ``text`` asks if the clinic offers something other than the base's own
        treatment or information about it: "do you do acupuncture", "does the clinic
        sell knee braces", but not "do you do it for hips" or "do you have any studies"
        (framing.yaml ``offer``)."""
        lowered = text.lower()
        if "do" not in lowered or self._offer_verbs.isdisjoint(re.findall(r"[a-z]+", lowered)):
            return False
        if self._offer_compiled is None:  # a race compiles it twice, harmlessly
            self._offer_compiled = offer_pattern(self._offer)
            if self._offer_compiled is None:
                return False
        for match in self._offer_compiled.finditer(lowered):
            words = [w.strip("'-") for w in match.group(1).split()]
            if words and words[0] in _OFFER_DETERMINERS:
                words = words[1:]
            if words and words[0] not in self._offer_ours:
                return True
        return False

    def answers_offer(self, doc: Document) -> bool:
        """Whether ``doc`` answers whether the clinic offers something: its question or
        one of its wordings asks it ("do you do prolotherapy here")."""
        known = self._answers_offer.get(doc.id)
        if known is None:
            known = any(self.asks_offer(w) for w in (doc.title, *doc.also))
            self._answers_offer[doc.id] = known
        return known

    def is_clinical(self, stems: set[str]) -> bool:
        """Whether the query is in clinicians' words (all of one listed word or phrase)."""
        return any(c and set(c) <= stems for c in self._clinical)

    def names_subject(self, units: Sequence[Unit]) -> bool:
        """Whether the query's concepts (with their glossary synonyms) name what the base
        is about: a question naming it asks about it, whatever else it holds."""
        return bool(self.subject) and any(alt == self.subject for u in units for alt in u)
