"""Reduce what staff typed to words that cannot identify a patient, before it is stored.

Staff type what the patient said, often with a name, a date of birth or a phone number in
it. Usage recording (:mod:`prolo_kb.usage`) keeps a query only as :func:`reduce_query`
returns it: the words the knowledge base knows (its index vocabulary, the glossary, the
staff shorthand) and common English words (:mod:`prolo_kb.dictionary`); every other token
becomes ``…`` (a run of them, one ``…``). Privacy comes first: a reduced query may lose a
harmless word, never keep a name.

The rules, each a small function below, in the order they are applied to a token:

1. anything with a digit or a symbol (``@ / : # + = _ .`` …) is masked: numbers, dates,
   phone and record numbers, e-mail and web addresses (staff shorthand such as ``c/o`` is
   kept, if it is on the shorthand list and has no digit);
2. the word after an honorific (mr, mrs, ms, miss, mx, dr, prof …) or "named" is masked,
   and so is a single letter (an initial);
3. a possessive whose owner is not a knowledge-base word is masked ("kowalski's");
4. a knowledge-base word is kept, even capitalised, unless it is an uncommon first or last
   name ("ann", "mayo") or a capitalised name inside the sentence ("can White drive");
5. a capitalised word the knowledge base does not know is masked (the first word is let
   off when it is a common word that is not a name: phones capitalise it);
6. a first or last name (Faker's lists for several countries), or its plural, that is not
   a very common English word is masked ("smith", "smiths", "rose"; not "long", "may");
7. a common English word is kept; anything else is masked ("kowalski", "gmail").

Then context: a first and a last name side by side ("grace young"), a name-like word
beside a masked name ("mary brown") and an uncommon word the knowledge base does not know
right after one ("tom hanks") are masked;
the words from a house number to its street suffix ("12 oak st"), a street name ("maple
avenue"), a word the knowledge base does not know after in/from/at/near (a town), a month
beside a number ("march 3") and a run of three or more number words (a phone number said
aloud) are masked.
"""

from __future__ import annotations

import functools
import importlib
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import dictionary

if TYPE_CHECKING:
    from .search import SearchEngine

MASK = "…"
MAX_TOKENS = 40  # a longer query is cut: nothing is learnt from the rest
# A knowledge-base word that is also a name is kept when it is at least this common in
# English ("may", "price"); a rarer one ("ann" 910, "mayo" 704) is a name.
COMMON_WORD_FREQUENCY = 20_000
# Outside the knowledge base's words the bar is higher: a name is kept only when it is a
# very common word ("good", "young", "white"), not "rose", "mark", "grace" or "brown".
NAME_WORD_FREQUENCY = 100_000
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
_EDGE = "\"'`“”‘’.,;:!?()[]{}<>*"
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")  # letters, inner hyphens/apostrophes
_DIGIT = re.compile(r"\d")


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
    kb = {w for w in spell | glossary | spoken if _WORD.fullmatch(w)} - authors
    shorthand = {w.lower() for text in (*extra, *listed) for w in text.split()
                 if not _DIGIT.search(w)}
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
    return [m.group(0).lower() for m in _WORD.finditer(text)]


def tokens(text: str) -> list[str]:
    """The query's tokens as typed: NFKC, split on white space, edge punctuation off."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for chunk in text.split():
        token = chunk.strip(_EDGE)
        if token:
            out.append(token.replace("’", "'"))
    return out[:MAX_TOKENS]


def is_identifier(token: str, vocab: Vocabulary) -> bool:
    """Rule 1: digits or symbols (numbers, dates, phones, e-mail, web addresses)."""
    if _DIGIT.search(token):
        return True
    return not _WORD.fullmatch(token) and token.lower() not in vocab.shorthand


def is_honorific(token: str) -> bool:
    return token.lower().rstrip(".") in HONORIFICS


def possessive_owner(token: str) -> str | None:
    """Rule 3: "kowalski's" -> "kowalski"; None when the token is not a possessive."""
    lower = token.lower()
    if lower.endswith("'s") and len(lower) > 2:
        return lower[:-2]
    if lower.endswith("s'") and len(lower) > 2:
        return lower[:-1]
    return None


def is_rare_name(word: str, below: int = COMMON_WORD_FREQUENCY) -> bool:
    """Rule 6: a first or last name (or its plural: "the smiths") that is not an English
    word at least ``below`` common."""
    names = name_words()
    named = word in names or (len(word) > 3 and word.endswith("s") and word[:-1] in names)
    return named and dictionary.frequency(word) < below


def is_capitalised(token: str) -> bool:
    return token[:1].isupper()


def is_common_word(word: str) -> bool:
    """Rule 7: a word of the English dictionary (and not a name)."""
    return dictionary.is_word(word) and not is_rare_name(word)


def judge(token: str, index: int, previous: str | None, vocab: Vocabulary) -> str | None:
    """Rules 1-7 for one token: its stored form, or None when it is masked."""
    if is_identifier(token, vocab):
        return None
    if previous is not None and (is_honorific(previous)
                                 or previous.lower() in NAME_INTRODUCERS):
        return None
    word = token.lower()
    if len(word) == 1 and word not in ("a", "i"):
        return None  # an initial
    owner = possessive_owner(word)
    if owner is not None:
        return word if vocab.known(owner) and not is_rare_name(owner) else None
    capitalised = is_capitalised(token)
    if vocab.known(word):
        # a capitalised name inside the sentence is a name ("can White drive")
        named = capitalised and index > 0 and word in name_words()
        return None if is_rare_name(word) or named else word
    if capitalised and not (index == 0 and is_common_word(word)
                            and not is_rare_name(word, NAME_WORD_FREQUENCY)
                            and dictionary.frequency(word) >= COMMON_WORD_FREQUENCY):
        return None
    if is_rare_name(word, NAME_WORD_FREQUENCY):
        return None
    return word if is_common_word(word) else None


def _name_like(token: str, word: str, vocab: Vocabulary) -> bool:
    return word in name_words() or (is_capitalised(token) and not vocab.known(word))


def spread_names(typed: list[str], kept: list[str | None], vocab: Vocabulary) -> None:
    """Mask a word that is neither a knowledge-base word nor a very common word right
    after a masked one ("tom hanks"); a first and a last name side by side, even if both
    are words ("grace young"); then a name-like word beside a masked one, or two unknown
    name-like words side by side ("rose brown"), in place, until nothing changes."""
    for i in range(len(kept) - 1, 0, -1):
        word, before = kept[i], typed[i - 1]
        if (word is not None and kept[i - 1] is None and not _DIGIT.search(before)
                and not is_honorific(before) and not vocab.known(word)
                and dictionary.frequency(word) < COMMON_WORD_FREQUENCY):
            kept[i] = None
    first, last = first_names(), last_names()
    for i in range(len(kept) - 1):  # first and last name, either way: "grace young"
        a, b = kept[i], kept[i + 1]
        if (a in first and b in last) or (a in last and b in first):
            kept[i] = kept[i + 1] = None
    changed = True
    while changed:
        changed = False
        for i, word in enumerate(kept):
            if word is None:
                continue
            if not _name_like(typed[i], word, vocab):
                continue
            for j in (i - 1, i + 1):
                if not 0 <= j < len(kept):
                    continue
                other = kept[j]
                beside_mask = (other is None and not is_honorific(typed[j])
                               and not _DIGIT.search(typed[j]))
                both_unknown = (other is not None and _name_like(typed[j], other, vocab)
                                and not vocab.known(word) and not vocab.known(other))
                if beside_mask or both_unknown:
                    kept[i] = None
                    changed = True
                    break


def mask_addresses_and_dates(typed: list[str], kept: list[str | None],
                             vocab: Vocabulary) -> None:
    """House number to street suffix, a street name, a town after in/from/at/near, a
    month beside a number, and number words said in a row (three or more): masked, in
    place."""
    numbers = [bool(_DIGIT.search(t)) for t in typed]
    lowered = [t.lower().rstrip(".") for t in typed]
    for i, word in enumerate(lowered):
        if i and word in STREET_WORDS and not vocab.known(lowered[i - 1]):
            kept[i - 1] = kept[i] = None
        if word in PLACE_WORDS and i + 1 < len(typed) and not vocab.known(lowered[i + 1]):
            kept[i + 1] = None
    for i, is_number in enumerate(numbers):
        if not is_number:
            continue
        for j in range(i + 1, min(i + 6, len(typed))):
            if lowered[j] in STREET_SUFFIXES:
                for k in range(i, j + 1):
                    kept[k] = None
                break
        for j in (i - 1, i + 1):
            if 0 <= j < len(typed) and lowered[j] in MONTHS:
                kept[j] = None
    run: list[int] = []
    for i, word in enumerate([*lowered, ""]):
        if word in NUMBER_WORDS:
            run.append(i)
            continue
        if len(run) >= 3:
            for k in run:
                kept[k] = None
        run = []


def reduce_query(text: str, vocab: Vocabulary) -> str:
    """``text`` with every token that might identify someone replaced by ``…``."""
    typed = tokens(text)
    kept = [judge(token, i, typed[i - 1] if i else None, vocab)
            for i, token in enumerate(typed)]
    mask_addresses_and_dates(typed, kept, vocab)
    spread_names(typed, kept, vocab)
    out: list[str] = []
    for word in kept:
        shown = MASK if word is None else word
        if not (shown == MASK and out and out[-1] == MASK):
            out.append(shown)
    return " ".join(out)


__all__ = ["MASK", "IndexVocabulary", "Vocabulary", "first_names", "kb_vocabulary",
           "last_names", "name_words", "reduce_query"]
