"""The English word list the runtime trusts: which words are real words.

Typo correction asks it before rewriting a word ("till", "wife" and "ever" are words, not
misspellings of "tell", "wide" and "every"), and usage recording keeps only real words of
a query. The list is pyspellchecker's bundled English frequency dictionary (built from
subtitles and web text, offline, MIT licence). Loading it takes ~0.1 s, so it is loaded
on first use only: a search whose every word the knowledge base knows never pays for it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

# A word seen fewer times than this in the list's corpus is too rare to trust as a word:
# the list's long tail holds misspellings and fragments too.
MIN_FREQUENCY = 50

_lock = threading.Lock()
_frequencies: Any = None


def _table() -> Any:
    global _frequencies
    if _frequencies is None:
        with _lock:
            if _frequencies is None:
                from spellchecker import SpellChecker

                _frequencies = SpellChecker(language="en", distance=1).word_frequency
    return _frequencies


def frequency(word: str) -> int:
    """How often ``word`` (lower-cased) occurs in the list's corpus; 0 if never."""
    return int(_table()[word.lower()])


def is_word(word: str) -> bool:
    """Whether ``word`` is a common enough English word to never be 'corrected'."""
    return frequency(word) >= MIN_FREQUENCY


def stem_shares(stems: Iterable[str], stem: Callable[[str], str]) -> dict[str, float]:
    """How much of English running text each of ``stems`` makes up: the summed
    frequency of the list's words that ``stem`` (the index's stemmer) turns into it,
    over the list's whole count; stems of no listed word are left out. For the build
    (:mod:`prolo_kb.indexing`): it reads the whole list."""
    counts = _stem_counts(stem)
    total = _table().total_words or 1
    return {s: counts[s] / total for s in stems if s in counts}


def stem_shares_above(least: float, stem: Callable[[str], str]) -> dict[str, float]:
    """Every stem (by ``stem``) making up at least ``least`` of English running text,
    with its share. For the build: it reads the whole list."""
    total = _table().total_words or 1
    return {s: count / total for s, count in _stem_counts(stem).items()
            if count / total >= least}


@functools.cache
def _stem_counts(stem: Callable[[str], str]) -> dict[str, int]:
    """The list's counts summed by stem (~0.5 s; once per process and stemmer)."""
    counts: dict[str, int] = {}
    for word, count in _table().dictionary.items():
        if word.isalpha():
            key = stem(word)
            counts[key] = counts.get(key, 0) + count
    return counts


def loaded() -> bool:
    """Whether the list has been loaded in this process (for tests of start-up cost)."""
    return _frequencies is not None
