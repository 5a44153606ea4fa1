"""What staff typed, made searchable: cleaned, shorthand spelt out, misspellings fixed.

- :func:`clean_query`: Unicode NFKC, control characters out, whitespace collapsed, bounded.
- :func:`expand_shorthand`: "pt c/o SOB" -> "patient complains of short of breath", from
  the staff-shorthand list (docs/_data/shorthand.yaml).
- :class:`Speller`: a word the knowledge base has never seen is corrected to the nearest
  word it knows, unless it is a real English word ("till", "wife", "ever") or staff
  shorthand: only misspellings are corrected ("prolotheraphy", "sweling"). Two fixes use
  the glossary's two-word terms: one written as a single word is split ("xrays" ->
  "x-rays"), and a real word one edit from its partner's usual neighbour is the
  misspelling it looks like there ("side affects" -> "side effects").
- :func:`question_word`: what kind of answer a question wants ("how", "why", yes or no).
- :func:`told_only`: the words said only in a statement about the caller ("im a
  carpenter"), when the question is asked in another clause.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import lru_cache
from itertools import pairwise

from whoosh.support.levenshtein import damerau_levenshtein

from . import dictionary
from .content import ShorthandContext
from .errors import QueryError
from .lru import LRU
from .schema import STOP_WORDS, analyze

MAX_QUERY_CHARS = 1000
CORRECTION_CACHE = 4096
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
WORD = re.compile(r"\w+")
# A shorthand is a whitespace-separated token, perhaps with a slash ("f/u", "c/o") and
# trailing punctuation.
_TOKEN = re.compile(r"[^\s]+")
_JOINERS = re.compile(r"[\s-]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# "48h", "2wks", "4-6wk", and staff's "q2wk" (q: every)
_GLUED = re.compile(r"(q)?(\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?)([a-z]+)", re.IGNORECASE)
MIN_PAIRED = 4  # a word shorter than this is never taken for its neighbour's partner
MIN_JOINED = 5  # nor a run-together term this short
MIN_SPLIT = 8  # nor a one-word term typed apart ("prolo therapy") this short


# The word a question opens with says what kind of answer it wants, though the search
# drops it as a stop word: "How does prolotherapy work?" and "Does prolotherapy work?"
# keep the same words. A question word counts among the first few words ("my knee hurts,
# how long will it last"); a question opening with a verb asks yes or no. Not "had",
# "has", "have" or "was": staff notes open with them ("had a knee replacement").
QUESTION_WORDS = frozenset(("how", "why", "when", "where", "who", "what", "which"))
YES_NO = "yes/no"
_YES_NO_OPENERS = frozenset((
    "am", "is", "are", "do", "does", "did", "can", "could", "will", "would", "should",
    "may"))
QUESTION_WORD_WITHIN = 6


@lru_cache(maxsize=4096)
def question_word(text: str) -> str | None:
    """What kind of answer ``text`` asks for: its question word ("how", "why", ...), or
    "yes/no" for a question opening with a verb ("does", "can", "is"); None for keywords
    ("prolo knee cost"). "what's" and "how's" count as "what" and "how"."""
    words: list[str] = [w.removesuffix("'s").removesuffix("’s")
             for w in re.findall(r"[\w'’]+", text.lower())[:QUESTION_WORD_WITHIN]]
    for n, word in enumerate(words):
        if word == "how" and words[n + 1:n + 2] == ["come"]:
            return "why"  # "how come it hurts more"
        if word in QUESTION_WORDS or (word[:-1] in QUESTION_WORDS and word.endswith("s")):
            return word if word in QUESTION_WORDS else word[:-1]
    return YES_NO if words and words[0] in _YES_NO_OPENERS else None


# A query often tells something about the caller in one clause and asks in another: "im
# a carpenter swinging a hammer all day, is it worth trying for tennis elbow". Clauses end
# at punctuation and at these conjunctions; a statement opens with one of these words
# (not "were": "were the shots sore for you" asks).
_CLAUSE = re.compile(r"[,;.!?]+|\b(?:but|and|so|because|cuz|though|although)\b",
                     re.IGNORECASE)
STATEMENT_OPENERS = frozenset((
    "i", "im", "i'm", "ive", "i've", "id", "i'd", "my", "me", "we", "we're", "our",
    "she", "shes", "she's", "he", "hes", "he's", "his", "her", "they", "theyre",
    "they're", "their", "patient", "there", "theres", "there's"))


@lru_cache(maxsize=4096)
def told_only(text: str) -> frozenset[str]:
    """The stems said only in statements about the caller ("i tore my rotator cuff
    lifting boxes at the warehouse") when another clause asks the question ("would this
    help me"): empty when no clause is a statement or none asks."""
    told: set[str] = set()
    asked: set[str] = set()
    for clause in _CLAUSE.split(text.lower()):
        words = clause.split()
        if not words:
            continue
        stems = analyze(clause)
        if words[0].replace("’", "'") in STATEMENT_OPENERS and question_word(clause) is None:
            told.update(stems)
        else:
            asked.update(stems)
    return frozenset(told - asked) if asked else frozenset()


# A clause asking only what a thing named just before it is: "my daughter keeps telling me
# to try prolo for my knee, what even is that".
_WHAT_IS_IT = re.compile(
    r"^\s*(?:(?:so|ok|okay|then|like)\s+)?(?:what|wat|wht)(?:'s|’s|s)?\s+"
    r"(?:(?:even|actually|exactly|really)\s+)*(?:(?:is|are|r)\s+)?"
    r"(?:(?:even|actually|exactly|really)\s+)*(?:that|this|it|those|these|they|them)"
    r"(?:\s+(?:exactly|actually|anyway|again|even|really))?\s*$", re.IGNORECASE)


def named_before_what_is_it(text: str) -> str | None:
    """The clause just before one that asks only "what is that", if there is one: the
    thing it names is what the question asks about."""
    clauses = [c for c in _CLAUSE.split(text) if c.strip()]
    for before, clause in pairwise(clauses):
        if _WHAT_IS_IT.match(clause):
            return before
    return None


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


def expand_shorthand(text: str, shorthand: Mapping[str, str],
                     contexts: Mapping[str, ShorthandContext] | None = None,
                     units: Mapping[str, str] | None = None
                     ) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with each shorthand token replaced by what it means (its other meaning
    next to the words ``contexts`` name), and each shorthand expanded with its meaning.
    A shorthand or one of ``units`` right after a number, or glued to it, is a unit too:
    "48h", "2wks", "3 x a week"; "q" before a glued number is "every" ("q4-6wk")."""
    if not shorthand and not units:
        return text, []
    units = units or {}
    used: list[tuple[str, str]] = []
    tokens = _TOKEN.findall(text)
    out = []
    for n, token in enumerate(tokens):
        core = token.rstrip(".,;:?!")
        glued = _GLUED.fullmatch(core)
        if glued and (glued[3].lower() in units or glued[3].lower() in shorthand):
            unit = glued[3].lower()
            spelt = units.get(unit) or shorthand[unit]
            every = "every " if glued[1] else ""
            used.append((core, f"{every}{spelt}"))
            out.append(f"{every}{glued[2]} {spelt}{token[len(core):]}")
            continue
        meaning = shorthand.get(core.lower())
        if meaning is None and n and _NUMBER.fullmatch(tokens[n - 1]):
            meaning = units.get(core.lower())
        if meaning is None:
            out.append(token)
            continue
        other = (contexts or {}).get(core.lower())
        if other is not None and _in_context(other, tokens, n):
            meaning = other.means
        used.append((core, meaning))
        out.append(meaning + token[len(core):])
    return " ".join(out), used


def _in_context(other: ShorthandContext, tokens: list[str], n: int) -> bool:
    """Whether the words around ``tokens[n]`` give it its other meaning; a punctuation
    mark between them ("to, pt") ends the context."""
    before = tokens[n - 1] if n else ""
    if before[-1:].isalnum() and before.lower() in other.following:
        return True
    after = tokens[n + 1].rstrip(".,;:?!").lower() if n + 1 < len(tokens) else ""
    return tokens[n][-1:].isalnum() and after in other.followed_by


class Speller:
    """Corrects misspelt words to the nearest word of the knowledge base.

    ``known(word)``: whether the index knows the word (in any form);
    ``nearest(word)``: the closest known word, or None. Both come from the index adapter.
    ``phrases``: the glossary's terms and lay words; those of two words are used.
    """

    def __init__(self, known: Callable[[str], bool], nearest: Callable[[str], str | None],
                 keep: Collection[str] = (), phrases: Iterable[str] = (),
                 everyday: frozenset[str] = frozenset()) -> None:
        self._known = known
        self._nearest = nearest
        self._everyday = everyday
        self._keep = frozenset(w.lower() for w in keep)
        self._cache: LRU[str, str | None] = LRU(CORRECTION_CACHE)
        self._pairs: set[tuple[str, str]] = set()
        self._joined: dict[str, str] = {}  # "xrays" -> "x-rays"
        self._whole: set[str] = set()  # one-word terms, for "prolo therapy"
        for phrase in phrases:
            words = [w for w in _JOINERS.split(phrase.lower()) if w]
            if len(words) == 1 and len(words[0]) >= MIN_SPLIT and words[0].isalpha():
                self._whole.add(words[0])
            if len(words) == 2 and all(w.isalpha() for w in words):
                self._pairs.add((words[0], words[1]))
                joined = "".join(words)
                if len(joined) >= MIN_JOINED:
                    self._joined.setdefault(joined, " ".join(phrase.lower().split()))
        self._after: dict[str, set[str]] = {}  # first word -> the words that follow it
        self._before: dict[str, set[str]] = {}
        for first, second in self._pairs:
            self._after.setdefault(first, set()).add(second)
            self._before.setdefault(second, set()).add(first)

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

        return self._rejoined(self._in_pairs(WORD.sub(fix, text), changes), changes), changes

    def _rejoined(self, text: str, changes: dict[str, str]) -> str:
        """A one-word glossary term typed as two words, joined: "prolo therapy" is
        prolotherapy, not a question about therapy. Two everyday words stay apart, as
        they may mean just themselves ("how does my body work", not bodywork)."""
        if not self._whole:
            return text
        joins: list[tuple[int, int, str]] = []
        for left, right in pairwise(WORD.finditer(text)):
            whole = (left.group(0) + right.group(0)).lower()
            if (whole not in self._whole or text[left.end():right.start()] not in (" ", "-")
                    or (joins and joins[-1][1] > left.start())
                    or all(set(analyze(m.group(0))) <= self._everyday for m in (left, right))):
                continue
            joins.append((left.start(), right.end(), whole))
            changes[text[left.start():right.end()]] = whole
        for start, end, whole in reversed(joins):
            text = text[:start] + whole + text[end:]
        return text

    def _in_pairs(self, text: str, changes: dict[str, str]) -> str:
        """Real words fixed where a glossary term says what they must be: the word one
        edit from the usual partner of its neighbour ("side affects", "sugar shoots")."""
        if not self._pairs:
            return text
        found = list(WORD.finditer(text))
        replace: dict[int, str] = {}
        for left, right in pairwise(found):
            a, b = left.group(0).lower(), right.group(0).lower()
            if (a, b) in self._pairs or text[left.end():right.start()].strip():
                continue  # already a term, or not neighbours (a comma between them)
            if (fixed := _partner(b, self._after.get(a, ()), self._known)) is not None:
                replace[right.start()] = fixed
                changes[right.group(0)] = fixed
            elif (fixed := _partner(a, self._before.get(b, ()), self._known)) is not None:
                replace[left.start()] = fixed
                changes[left.group(0)] = fixed
        if not replace:
            return text
        return WORD.sub(lambda m: replace.get(m.start(), m.group(0)), text)

    def _suggest(self, word: str) -> str | None:
        if (word in STOP_WORDS or len(word) < 4 or not word.isalpha() or word in self._keep
                or self._known(word)):
            return None
        if word in self._joined:  # a term run together: the same words, not a correction
            return self._joined[word]
        # A real word is never corrected. Once the word list is loaded (a server loads it
        # at start) it is the quicker question; before that, the nearest known word is
        # asked first: most unknown words have none, and then the list is never loaded.
        if dictionary.loaded() and dictionary.is_word(word):
            return None
        nearest = self._nearest(word)
        if nearest is None or dictionary.is_word(word):
            return None
        return nearest


def _partner(word: str, partners: Iterable[str], known: Callable[[str], bool]) -> str | None:
    """The one partner ``word`` is an edit away from, if ``word`` reads as its misspelling
    there: not another form of it ("replacements"), and not the commoner word of the two
    in English ("hot back" is not "hot pack"; "side affects" is "side effects") unless
    the knowledge base never uses it ("planter fasciitis": "planter" is commoner than
    "plantar", but no entry is about planters)."""
    if len(word) < MIN_PAIRED or word in STOP_WORDS:
        return None
    near = [p for p in partners
            if abs(len(p) - len(word)) <= 1 and len(p) >= MIN_PAIRED and p != word
            and damerau_levenshtein(word, p, 2) == 1]
    if len(near) != 1 or analyze(near[0]) == analyze(word):
        return None
    if dictionary.frequency(near[0]) >= dictionary.frequency(word) or not known(word):
        return near[0]
    return None
