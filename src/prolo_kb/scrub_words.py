"""The words the query reducer (:mod:`prolo_kb.scrub`) judges by: what may be stored
(the knowledge base's own words, as a :class:`Vocabulary`), the first and last names that
identify people (Faker's lists), and the word lists its rules look for (honorifics,
street words, months, number words).
"""

from __future__ import annotations

import functools
import importlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import dictionary

if TYPE_CHECKING:
    from .search import SearchEngine

HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "mister", "missus",
                        "sir", "madam", "sr", "sra", "srta"})
STREET_SUFFIXES = frozenset({
    "st", "street", "ave", "avenue", "av", "rd", "road", "dr", "drive", "ln", "lane",
    "blvd", "boulevard", "way", "ct", "court", "pl", "place", "ter", "terrace", "cir",
    "circle", "hwy", "highway", "pkwy", "parkway", "sq", "square", "apt", "unit", "suite"})
STREET_WORDS = frozenset({"street", "st", "avenue", "ave", "road", "rd", "lane", "ln",
                          "boulevard", "blvd", "drive", "court", "terrace", "parkway",
                          "highway"})
PLACE_WORDS = frozenset({"in", "from", "at", "near"})
NAME_INTRODUCERS = frozenset({"named", "name", "aka", "nee"})
MONTHS = frozenset({
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun",
    "june", "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october",
    "nov", "november", "dec", "december"})
NUMBER_WORDS = frozenset({
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
    "eighty", "ninety", "hundred", "thousand", "double", "triple"})
# Faker's name lists for the countries our patients most often come from (Latin script).
NAME_LOCALES = ("en_US", "en_GB", "en_IE", "en_IN", "es_MX", "es_ES", "pt_BR", "it_IT",
                "fr_FR", "de_DE", "pl_PL", "vi_VN", "en_NG")
WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")  # letters, inner hyphens/apostrophes
DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Vocabulary:
    """What may be stored: the knowledge base's words, staff shorthand, entry ids."""

    kb: frozenset[str]
    shorthand: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()

    def known(self, word: str) -> bool:
        return word in self.kb or word in self.shorthand


@functools.cache
def name_words() -> frozenset[str]:
    """Lower-cased first and last names from Faker's lists (loaded once, ~14,000)."""
    return first_names() | last_names()


@functools.cache
def first_names() -> frozenset[str]:
    return _faker_names("first")


@functools.cache
def last_names() -> frozenset[str]:
    return _faker_names("last")


def _faker_names(kind: str) -> frozenset[str]:
    names: set[str] = set()
    for locale in NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in dir(provider):
            if not re.search(rf"{kind}_names", attribute):  # pl_PL: male_last_names
                continue
            for name in getattr(provider, attribute, ()) or ():
                for part in re.split(r"[\s-]+", str(name).lower()):
                    if part.isalpha():
                        names.add(part)
    return frozenset(names)


def kb_vocabulary(source: SearchEngine | Path | str,
                  extra: Iterable[str] = ()) -> Vocabulary:
    """The words of the index at ``source`` (an engine or an index path): its ``spell``
    field (every word of every entry), the glossary's terms and lay words, the staff
    shorthand of the manifest and ``extra``; and the ids of its entries. Tokens with
    digits or dots (numbers, web addresses) are left out, and so are the authors' names of
    the cited sources (they are in the index, but they are names)."""
    from .store import open_index

    path = Path(source) if isinstance(source, Path | str) else Path(source.path)
    opened = open_index(path)
    with opened.index.reader() as reader:
        spell = {_text(t) for t in reader.field_terms("spell")}
        ids = {_text(t) for t in reader.field_terms("id")}
    glossary = {w for g in opened.manifest.glossary for text in (g.term, *g.lay)
                for w in _words(text)}
    cited = {w for text in opened.manifest.sources.values() for w in _words(text)}
    authors = {w for w in cited if not dictionary.is_word(w)} - glossary
    language = getattr(opened.manifest, "language", None)  # staff shorthand, when built
    listed = dict(getattr(language, "shorthand", None) or {})
    clinical = tuple(getattr(language, "clinical", None) or ())
    spoken = {w for text in (*listed.values(), *clinical) for w in _words(text)}
    kb = {w for w in spell | glossary | spoken if WORD.fullmatch(w)} - authors
    shorthand = {w.lower() for text in (*extra, *listed) for w in text.split()
                 if not DIGIT.search(w)}
    return Vocabulary(frozenset(kb), frozenset(shorthand), frozenset(ids))


class IndexVocabulary:
    """:func:`kb_vocabulary` of an index path, read again when the index is rebuilt
    (its symlink points at a new version); thread-safe."""

    def __init__(self, index: Path | str, extra: Iterable[str] = ()) -> None:
        self.index = Path(index)
        self.extra = tuple(extra)
        self._lock = threading.Lock()
        self._key: Path | None = None
        self._vocab: Vocabulary | None = None

    def __call__(self) -> Vocabulary:
        from .store import resolve

        key = resolve(self.index)
        with self._lock:
            if self._vocab is None or key != self._key:
                self._vocab = kb_vocabulary(key, self.extra)
                self._key = key
            return self._vocab


def _text(term: object) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else str(term)


def _words(text: str) -> list[str]:
    return [m.group(0).lower() for m in WORD.finditer(text)]


__all__ = ["DIGIT", "HONORIFICS", "MONTHS", "NAME_INTRODUCERS", "NUMBER_WORDS", "PLACE_WORDS",
           "STREET_SUFFIXES", "STREET_WORDS", "WORD", "IndexVocabulary", "Vocabulary",
           "first_names", "kb_vocabulary", "last_names", "name_words"]
