"""The English word list the runtime trusts: which words are real words.

Typo correction asks it before rewriting a word ("till", "wife" and "ever" are words, not
misspellings of "tell", "wide" and "every"), and usage recording keeps only real words of
a query. The list is pyspellchecker's bundled English frequency dictionary (built from
subtitles and web text, offline, MIT licence). Loading it takes ~0.1 s, so it is loaded
on first use only: a search whose every word the knowledge base knows never pays for it.
"""

from __future__ import annotations

import threading
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


def loaded() -> bool:
    """Whether the list has been loaded in this process (for tests of start-up cost)."""
    return _frequencies is not None
