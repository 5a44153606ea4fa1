"""Warning signs in what the caller said, and whether the caller reports them now.

A sign is found in the typed words (after typo correction and shorthand, never after
glossary expansion): every word of a ``:signs:`` phrase, stemmed, close together within
one clause. Then the ConText idea of clinical NLP (Harkema et al. 2009) decides whether
it is asserted: a sign inside the scope of a trigger phrase is *negated* ("no fever"),
*historical* ("had a fever last month", "before my first visit") or *hypothetical* ("what's
the chance of infection", "worried about fever"), and so only mentioned. Anything else is
asserted: an unclear context counts as a report, because a missed warning is worse than a
false alarm. Another person as the subject ("my husband can't breathe") is still a report.

A temperature reading at or above the fever threshold ("102 degrees", "temp 38.5") is the
fever sign, said in numbers.

The trigger phrases, terminators and threshold are data (docs/_data/context.yaml, via the
index manifest); this module only knows how to apply them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from .schema import clinical_stem

# Words that carry nothing of a sign: "pain in my arm" is the sign "pain arm". Verbs like
# "can't", "feel" and "get" are kept where they are part of the sign ("can't breathe").
FILLERS = frozenset({
    "a", "an", "the", "my", "his", "her", "their", "our", "your", "its", "it", "is", "are",
    "am", "was", "were", "be", "been", "being", "i", "im", "me", "he", "she", "they", "we",
    "you", "of", "to", "in", "on", "at", "and", "or", "has", "have", "had", "got", "get",
    "gets", "getting", "this", "that", "there", "some", "very", "really", "just",
})
CLAUSE_END = frozenset(".;:?!")
LIST_WORDS = frozenset({"or", "and", "nor", "any", "no", "a", "an"})
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[.;:?!,]")
_CANNOT = re.compile(r"\bcan ?not\b")
_APOSTROPHE = re.compile(r"['\u2019\u2018`]")
_TEMPERATURE_WORDS = frozenset({"temp", "temperature", "degrees", "degree", "deg", "f", "c",
                                "fever", "thermometer", "celsius", "fahrenheit", "running",
                                "ran", "runs", "hot", "febrile"})
CATEGORIES = ("negated", "historical", "hypothetical")


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped ("can't" -> "cant"), "can not" -> "cant"."""
    text = _APOSTROPHE.sub("", text.lower()).replace("°", " degrees ")
    return _CANNOT.sub("cant", text)


def tokens(text: str) -> list[str]:
    """Words, numbers and clause punctuation of ``text``, normalised."""
    return _TOKEN.findall(normalise(text))


def sign_words(phrase: str) -> tuple[str, ...]:
    """The stems that make a phrase a sign: fillers dropped, each word stemmed."""
    return tuple(clinical_stem(w) for w in tokens(phrase)
                 if w.isalpha() and w not in FILLERS)


class Sign(NamedTuple):
    """A sign phrase of an escalation entry, as the detector matches it."""

    doc_id: str
    phrase: str  # as the entry writes it
    stems: tuple[str, ...]


class Found(NamedTuple):
    """A sign found in the query."""

    sign: Sign
    words: str  # the caller's own words that said it
    context: str  # "asserted" or one of CATEGORIES
    trigger: str  # the trigger phrase that put it in context ("" when asserted)
    positions: tuple[int, ...] = ()  # where in the query's tokens the sign was said


class Detection(NamedTuple):
    """What the detector found in a query."""

    found: list[Found]  # each sign once, asserted ones first
    absent: frozenset[str]  # stems of sign words the caller says are absent
    denials: frozenset[str]  # stems of the words that said so ("no")


class FeverReading(NamedTuple):
    """Temperatures at or above these are the fever sign of entry ``doc_id``."""

    doc_id: str
    fahrenheit: float
    celsius: float


def _denied(toks: list[str], scope: tuple[int, int], sign_words: set[int],
            matched: set[int]) -> list[int]:
    """The positions a denial's scope says are absent: every sign word up to its first
    comma and in each later part that is only a list of sign words ("no fever, chills or
    redness"); elsewhere only the signs found ("no hives, the shots were just sore"
    asks about the shots)."""
    out: list[int] = []
    part: list[int] = []
    first = True
    for i in [*range(*scope), -1]:
        if i >= 0 and toks[i] != ",":
            part.append(i)
            continue
        whole = first or all(p in sign_words or toks[p] in LIST_WORDS for p in part)
        out.extend(p for p in part if p in matched or (whole and p in sign_words))
        part, first = [], False
    return out


class _Trigger(NamedTuple):
    category: str
    start: int
    end: int  # exclusive
    scope: tuple[int, int]  # token positions it covers, end exclusive
    way: str = "before"  # "before", "after", "right_after" or "next" (the sign next to it)


class SignDetector:
    """Finds the signs a query describes and the context each is in."""

    def __init__(self, signs: Iterable[Sign], context: Mapping[str, Mapping[str, Sequence[str]]],
                 terminators: Iterable[str] = (), fever: FeverReading | None = None) -> None:
        self.signs = [s for s in signs if s.stems]
        self._by_stem: dict[str, list[Sign]] = {}
        for sign in self.signs:
            self._by_stem.setdefault(min(sign.stems), []).append(sign)
        # trigger phrases and terminators filed under their first word: a query is
        # scanned once, whatever the number of phrases
        self._triggers: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
        for category in CATEGORIES:
            for way, phrases in context.get(category, {}).items():
                for phrase in phrases:
                    words = tuple(tokens(phrase))
                    if words:
                        self._triggers.setdefault(words[0], []).append((category, way, words))
        # pseudo-triggers: phrases holding a trigger's words that are not a trigger
        self._pseudo: dict[str, list[tuple[str, ...]]] = {}
        for phrase in context.get("pseudo", {}).get("any", ()):
            words = tuple(tokens(phrase))
            if words:
                self._pseudo.setdefault(words[0], []).append(words)
        self._terminators: dict[str, list[tuple[str, ...]]] = {}
        for terminator in terminators:
            words = tuple(tokens(terminator))
            if words:
                self._terminators.setdefault(words[0], []).append(words)
        self.fever = fever
        self._sign_stems = frozenset(stem for sign in self.signs for stem in sign.stems)
        self._order = {sign: n for n, sign in enumerate(self.signs)}

    def detect(self, text: str) -> Detection:
        """Every sign in ``text``, each once, asserted ones first (in index order), and
        the sign words said to be absent."""
        toks = tokens(text)
        stems = [clinical_stem(t) if t.isalpha() else t for t in toks]
        content = [i for i, t in enumerate(toks) if t.isalpha() and t not in FILLERS]
        sign_words_at = {i for i, stem in enumerate(stems) if stem in self._sign_stems}
        ends = self._scope_ends(toks)
        matches = list(self._matches(toks, stems, content, ends))
        pseudo = self._pseudo_positions(toks)
        triggers = self._find_triggers(toks, sign_words_at, ends,
                                       [span for _, span in matches], pseudo)
        # A word a trigger phrase uses is the trigger's, not a sign's, when the sign's
        # words come out of their own order: "out" in "anything with my breathing i
        # should look out for" is not "out of breath".
        triggered = {i for t in triggers for i in range(t.start, t.end)}
        found: dict[Sign, Found] = {}
        for sign, span in matches:
            if pseudo.issuperset(span):
                continue  # an idiom holding the sign's words: "at fever pitch"
            if list(span) != sorted(span) and not triggered.isdisjoint(span):
                continue
            words = " ".join(toks[min(span):max(span) + 1])
            context, trigger = self._context(span, triggers, toks)
            seen = found.get(sign)
            if seen is None or (seen.context != "asserted" and context == "asserted"):
                found[sign] = Found(sign, words, context, trigger, span)
        order = self._order
        # The sign words the caller says are absent ("no redness", "denies fever"): what
        # the question is not about, so ranking leaves them out.
        # A word said again outside the denial is not absent ("no hives, the shots were
        # just sore, is a sore shot normal").
        matched = {i for _, span in matches for i in span}
        negated: set[int] = set()
        denials: set[str] = set()
        for trig in triggers:
            held = (_denied(toks, trig.scope, sign_words_at, matched) if trig.way == "before"
                    else [i for i in range(*trig.scope) if i in sign_words_at])
            if trig.category == "negated" and held:
                # the absent signs, and the words that said so ("no", "denies")
                negated.update(held)
                denials.update(stems[i] for i in range(trig.start, trig.end))
        absent = ({stems[i] for i in negated}
                  - {stem for i, stem in enumerate(stems) if i not in negated})
        return Detection(sorted(found.values(),
                                key=lambda f: (f.context != "asserted", order.get(f.sign, -1))),
                         frozenset(absent | denials), frozenset(denials))

    # -- finding signs -------------------------------------------------------------------

    def _matches(self, toks: list[str], stems: list[str], content: list[int],
                 ends: set[int]) -> Iterable[tuple[Sign, tuple[int, ...]]]:
        """(sign, token positions) for each place all of a sign's stems occur close
        together (in any order, within its length plus five content words) in one
        statement: no clause punctuation or terminator word ("but", "just") between."""
        where: dict[str, list[int]] = {}
        for n, i in enumerate(content):
            where.setdefault(stems[i], []).append(n)
        # A sign's words said in another order than its own stay in one phrase: in "s/p
        # inj yesterday, pain worse than baseline" the comma parts "yesterday" from
        # "worse than" ("worse than yesterday" is a sign; said in order it may run on:
        # "my knee, it's hot").
        commas = {i for i, t in enumerate(toks) if t == ","}
        for stem in list(where):
            for sign in self._by_stem.get(stem, ()):
                if not all(s in where for s in sign.stems):
                    continue
                window = len(sign.stems) + 5
                for first in where[sign.stems[0]]:
                    span = [first]
                    for s in sign.stems[1:]:
                        # the nearest occurrence that keeps the span one statement
                        near = sorted((n for n in where[s] if abs(n - first) < window
                                       and n not in span  # "worse and worse": twice
                                       and not _crosses(content, [*span, n], ends)
                                       and not (n < max(span) and _crosses(
                                           content, [*span, n], commas))),
                                      key=lambda n: (abs(n - first), n < first))
                        if not near:
                            break
                        span.append(near[0])
                    else:
                        yield sign, tuple(content[n] for n in span)
        if self.fever is not None:
            yield from self._readings(toks)

    def _readings(self, toks: list[str]) -> Iterable[tuple[Sign, tuple[int, ...]]]:
        """A temperature at or above the fever threshold, with a temperature word near."""
        fever = self.fever
        assert fever is not None
        for i, tok in enumerate(toks):
            if not tok[0].isdigit():
                continue
            value = float(tok)
            near = set(toks[max(0, i - 3):i + 3])
            # "101.3" with a decimal in the fever range is a reading on its own
            decimal = "." in tok and fever.fahrenheit <= value < 108
            if not near & _TEMPERATURE_WORDS and not decimal:
                continue
            if fever.fahrenheit <= value <= 110 or fever.celsius <= value <= 45:
                yield Sign(fever.doc_id, "a temperature reading", ("°",)), (i,)

    # -- context ---------------------------------------------------------------------------

    def _find_triggers(self, toks: list[str], sign_positions: set[int], ends: set[int],
                       spans: list[tuple[int, ...]], pseudo: set[int]) -> list[_Trigger]:
        """Each trigger with its scope; ``spans`` are the signs found, ``pseudo`` the
        positions of pseudo phrases (no trigger there)."""
        found = []
        matched = {p for span in spans for p in span}
        for start, tok in enumerate(toks):
            for category, way, words in self._triggers.get(tok, ()):
                end = start + len(words)
                if tuple(toks[start:end]) != words or not pseudo.isdisjoint(range(start, end)):
                    continue
                if way == "before":
                    scope = (end, self._forward(toks, end, ends, sign_positions))
                elif way == "next":
                    scope = (end, _next_reach(end, toks, spans))
                else:
                    # what is gone is what was said last: "can barely swallow and my
                    # voice has gone hoarse" still reports the swallowing, "fever and
                    # chills have stopped" reports neither
                    scope = (self._backward(toks, start, ends,
                                            matched if category == "negated" else None),
                             start)
                found.append(_Trigger(category, start, end, scope, way))
        return found

    def _pseudo_positions(self, toks: list[str]) -> set[int]:
        """The positions of pseudo phrases: a trigger's or a sign's words that are
        neither ("is that a risk", "at fever pitch")."""
        return {i for start, tok in enumerate(toks) for words in self._pseudo.get(tok, ())
                if tuple(toks[start:start + len(words)]) == words
                for i in range(start, start + len(words))}

    def _scope_ends(self, toks: list[str]) -> set[int]:
        """Positions where a scope stops: clause punctuation and terminator words."""
        ends = {i for i, t in enumerate(toks) if t in CLAUSE_END}
        for i, tok in enumerate(toks):
            if any(tuple(toks[i:i + len(words)]) == words
                   for words in self._terminators.get(tok, ())):
                ends.add(i)
        return ends

    @staticmethod
    def _forward(toks: list[str], start: int, ends: set[int], signs: set[int]) -> int:
        """Where a forward scope ends. A comma ends it too, unless what follows up to the
        next comma is only more signs ("no fever, chills or redness")."""
        i = start
        while i < len(toks):
            if i in ends:
                return i
            if toks[i] == ",":
                j = i + 1
                while j < len(toks) and toks[j] != "," and j not in ends:
                    j += 1
                segment = range(i + 1, j)
                if not segment or not all(p in signs or toks[p] in LIST_WORDS
                                          or toks[p] in FILLERS for p in segment):
                    return i
            i += 1
        return i

    @staticmethod
    def _backward(toks: list[str], start: int, ends: set[int],
                  signs: set[int] | None = None) -> int:
        """Where a backward scope starts. With ``signs`` (the positions of the signs
        found), an "and" starts it too, unless only more signs follow it."""
        i = start - 1
        while i >= 0 and i not in ends and toks[i] != ",":
            if signs is not None and toks[i] == "and" and not all(
                    p in signs or toks[p] in LIST_WORDS or toks[p] in FILLERS
                    for p in range(i + 1, start)):
                break
            i -= 1
        return i + 1

    @staticmethod
    def _context(span: tuple[int, ...], triggers: list[_Trigger],
                 toks: list[str]) -> tuple[str, str]:
        """A sign's context: the first trigger whose scope holds it ("asserted" if none)."""
        low, high = min(span), max(span)
        for trig in triggers:
            if trig.start <= high and low < trig.end:
                if (trig.category == "hypothetical" and low < trig.start
                        and not span_holds(span, trig)):
                    # between the sign's words, it says the shots are still to come
                    # ("an infection near where you'd inject")
                    return trig.category, " ".join(toks[trig.start:trig.end])
                continue  # the trigger is part of the sign ("not feeling right")
            if trig.way == "right_after" and high != trig.start - 1:
                continue  # "fever risk", not "i have a fever what are the risks"
            if trig.scope[0] <= low and high < trig.scope[1]:
                return trig.category, " ".join(toks[trig.start:trig.end])
        return "asserted", ""


def _next_reach(start: int, toks: list[str], spans: list[tuple[int, ...]]) -> int:
    """Where a ``next`` trigger's scope ends: after the signs that begin right after it
    (small words between) and those overlapping them, so "how would i know if the
    injection site got infected" covers both signs there, but "how do i know if its
    infected its red and hot" not the redness said after."""
    first = start
    while first < len(toks) and toks[first] in FILLERS:
        first += 1
    reach = max((max(s) for s in spans if min(s) == first), default=first - 1)
    grown = True
    while grown:
        grown = False
        for s in spans:
            if first <= min(s) <= reach < max(s):
                reach, grown = max(s), True
    return reach + 1


def span_holds(span: tuple[int, ...], trig: _Trigger) -> bool:
    """Whether a trigger's words are among a sign's own words."""
    return any(trig.start <= p < trig.end for p in span)


def _crosses(content: list[int], span: list[int], ends: set[int]) -> bool:
    """Whether a scope end lies between the first and last token of ``span``."""
    low, high = content[min(span)], content[max(span)]
    return any(low < p < high for p in ends)


def reported_entries(found: Sequence[Found]) -> dict[str, tuple[int, str]]:
    """The escalation entries whose signs the caller reports, with how much of what the
    caller said their signs cover (the entry that covers more comes first), and the
    caller's words."""
    covered: dict[str, set[int]] = {}
    words: dict[str, str] = {}
    for f in found:
        if f.context == "asserted":
            covered.setdefault(f.sign.doc_id, set()).update(f.positions)
            words.setdefault(f.sign.doc_id, f.words)
    return {doc_id: (len(held), words[doc_id]) for doc_id, held in covered.items()}
