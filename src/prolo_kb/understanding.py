"""Query understanding: what staff typed, as the search needs to read it.

One :class:`Understanding` per index version holds what the build taught it (the staff
shorthand and its contexts, the glossary's words and terms for spelling, the warning
signs and their ConText triggers, what the base is about); :meth:`Understanding.read`
turns a cleaned query into an :class:`Understood`: shorthand spelt out, misspellings
fixed (never a real word), warning signs found in the typed words with their context,
quoted phrases, and the sign words the caller says are absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from .index_reader import KBIndex
from .query import Speller, expand_shorthand
from .schema import analyze
from .signs import FeverReading, Found, Sign, SignDetector
from .synonyms import Unit

MAX_PHRASES = 4  # quoted phrases searched per query
_QUOTED = re.compile(r'"([^"]*)"')


class Understood(NamedTuple):
    """One query, read."""

    corrected: str  # misspellings fixed (what "Showing results for" shows)
    corrections: dict[str, str]  # typed -> used
    searched: str  # and shorthand spelt out
    shorthand: list[str]  # the shorthands spelt out
    signs: list[Found]  # warning signs in the typed words, with their context
    absent: frozenset[str]  # stems of sign words the caller says are absent
    phrases: list[tuple[str, ...]]  # the stems of each quoted phrase
    loose: str  # ``searched`` without the quotes


class Understanding:
    """Reads queries for one index version (safe to share by threads)."""

    def __init__(self, index: KBIndex) -> None:
        manifest = index.opened.manifest
        language = manifest.language
        self._shorthand = language.shorthand
        self._contexts = language.shorthand_context
        self._speller = Speller(
            index.known, index.nearest, keep=language.shorthand,
            phrases=(p for g in manifest.glossary for p in (g.term, *g.lay)))
        fever = FeverReading(*language.fever_reading) if language.fever_reading else None
        self._detector = SignDetector(
            (Sign(doc_id, phrase, stems) for doc_id, phrase, stems in manifest.signs),
            language.context, language.terminators, fever)
        self._clinical = manifest.clinical  # the stems of clinicians' words and phrases
        self.subject = tuple(analyze(language.subject))  # () when the build named none

    def read(self, text: str) -> Understood:
        corrected, corrections = self._speller.correct(text)
        searched, shorthand = expand_shorthand(corrected, self._shorthand, self._contexts)
        signs, absent = self._detector.detect(searched)
        phrases = [p for p in (tuple(analyze(q)) for q in _QUOTED.findall(searched)) if p]
        return Understood(corrected, corrections, searched, shorthand, signs, absent,
                          phrases[:MAX_PHRASES], _QUOTED.sub(" ", searched).replace('"', " "))

    def is_clinical(self, stems: set[str]) -> bool:
        """Whether the query is in clinicians' words (all of one listed word or phrase)."""
        return any(c and set(c) <= stems for c in self._clinical)

    def names_subject(self, units: Sequence[Unit]) -> bool:
        """Whether the query's concepts (with their glossary synonyms) name what the base
        is about: a question naming it asks about it, whatever else it holds."""
        return bool(self.subject) and any(alt == self.subject for u in units for alt in u)
