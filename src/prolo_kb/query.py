"""What staff typed, made searchable: cleaned, shorthand spelt out, misspellings fixed.

- :func:`clean_query`: Unicode NFKC, control characters out, whitespace collapsed, bounded.
- :func:`expand_shorthand`: "pt c/o SOB" -> "patient complains of short of breath", from
  the staff-shorthand list (docs/_data/shorthand.yaml).
- :class:`Speller`: a word the knowledge base has never seen is corrected to the nearest
  word it knows, unless it is a real English word ("till", "wife", "ever") or staff
  shorthand: only misspellings are corrected ("prolotheraphy", "sweling").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping

from . import dictionary
from .errors import QueryError
from .lru import LRU
from .schema import STOP_WORDS

MAX_QUERY_CHARS = 1000
CORRECTION_CACHE = 4096
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
WORD = re.compile(r"\w+")
# A shorthand is a whitespace-separated token, perhaps with a slash ("f/u", "c/o") and
# trailing punctuation.
_TOKEN = re.compile(r"[^\s]+")


def clean_query(raw: str) -> str:
    """NFKC-normalised, control characters removed, whitespace collapsed; bounded."""
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(raw)} characters; the limit is {MAX_QUERY_CHARS})"
        )
    text = unicodedata.normalize("NFKC", raw)
    text = _CONTROL.sub(" ", text)
    text = "".join(ch if unicodedata.category(ch) != "Cs" else " " for ch in text)
    return " ".join(text.split())


def expand_shorthand(text: str, shorthand: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with each shorthand token replaced by what it means, and the shorthands
    that were expanded."""
    if not shorthand:
        return text, []
    used: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        core = token.rstrip(".,;:?!")
        meaning = shorthand.get(core.lower())
        if meaning is None:
            return token
        used.append(core)
        return meaning + token[len(core):]

    return _TOKEN.sub(replace, text), used


class Speller:
    """Corrects misspelt words to the nearest word of the knowledge base.

    ``known(word)``: whether the index knows the word (in any form);
    ``nearest(word)``: the closest known word, or None. Both come from the index adapter.
    """

    def __init__(self, known: Callable[[str], bool], nearest: Callable[[str], str | None],
                 keep: Collection[str] = ()) -> None:
        self._known = known
        self._nearest = nearest
        self._keep = frozenset(w.lower() for w in keep)
        self._cache: LRU[str, str | None] = LRU(CORRECTION_CACHE)

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """``text`` with misspellings fixed, and what was changed (typed -> used)."""
        changes: dict[str, str] = {}

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            best = self._cache.get(word.lower(), lambda: self._suggest(word.lower()))
            if best is None:
                return word
            changes[word] = best
            return best

        return WORD.sub(fix, text), changes

    def _suggest(self, word: str) -> str | None:
        if (word in STOP_WORDS or len(word) < 4 or not word.isalpha() or word in self._keep
                or self._known(word)):
            return None
        # A real word is never corrected. Once the word list is loaded (a server loads it
        # at start) it is the quicker question; before that, the nearest known word is
        # asked first: most unknown words have none, and then the list is never loaded.
        if dictionary.loaded() and dictionary.is_word(word):
            return None
        nearest = self._nearest(word)
        if nearest is None or dictionary.is_word(word):
            return None
        return nearest
