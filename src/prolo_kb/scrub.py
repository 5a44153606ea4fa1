"""Reduce what staff typed to words that cannot identify a patient, before it is stored.

Staff type what the patient said, often with a name, a date of birth or a phone number in
it. Usage recording (:mod:`prolo_kb.usage`) keeps a query only as :func:`reduce_query`
returns it: the words the knowledge base knows (its index vocabulary, the glossary, the
staff shorthand) and common English words (:mod:`prolo_kb.dictionary`); every other token
becomes ``…`` (a run of them, one ``…``). Privacy comes first: a reduced query may lose a
harmless word, never keep a name. The word lists the rules use, and the knowledge base's
vocabulary, are in :mod:`prolo_kb.scrub_words`; this module holds the rules.

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

import unicodedata

from . import dictionary
from .scrub_words import (
    DIGIT,
    HONORIFICS,
    MONTHS,
    NAME_INTRODUCERS,
    NUMBER_WORDS,
    PLACE_WORDS,
    STREET_SUFFIXES,
    STREET_WORDS,
    WORD,
    Vocabulary,
    first_names,
    last_names,
    name_words,
)

MASK = "…"
MAX_TOKENS = 40  # a longer query is cut: nothing is learnt from the rest
# A knowledge-base word that is also a name is kept when it is at least this common in
# English ("may", "price"); a rarer one ("ann" 910, "mayo" 704) is a name.
COMMON_WORD_FREQUENCY = 20_000
# Outside the knowledge base's words the bar is higher: a name is kept only when it is a
# very common word ("good", "young", "white"), not "rose", "mark", "grace" or "brown".
NAME_WORD_FREQUENCY = 100_000
_EDGE = "\"'`“”‘’.,;:!?()[]{}<>*"


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
    if DIGIT.search(token):
        return True
    return not WORD.fullmatch(token) and token.lower() not in vocab.shorthand


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
        if (word is not None and kept[i - 1] is None and not DIGIT.search(before)
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
                               and not DIGIT.search(typed[j]))
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
    numbers = [bool(DIGIT.search(t)) for t in typed]
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


__all__ = ["MASK", "reduce_query"]
