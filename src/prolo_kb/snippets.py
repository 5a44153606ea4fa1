"""Highlighted snippets: HTML-escaped text with the matched words in ``<mark>``.

Whoosh's highlighter (its context fragmenter, fragment scorer and HTML formatter) picks
and marks the fragments. What it would otherwise do again for every hit of every query,
analysing the text, is done once per text and kept: a query only says which of the
stored words it matched.
"""

from __future__ import annotations

from collections.abc import Iterator, Set
from html import escape

from whoosh import highlight
from whoosh.analysis import Token

from .lru import LRU
from .schema import stem_analyzer

SNIPPET_CHARS = 220
SNIPPET_SCAN_CHARS = 2000  # matches further into a long section are not highlighted
CACHED_TEXTS = 4096


class Snippets:
    """Snippets of one index version's texts; safe to share by threads."""

    def __init__(self) -> None:
        self._tokens: LRU[str, tuple[Token, ...]] = LRU(CACHED_TEXTS)
        self._fragmenter = highlight.ContextFragmenter(
            maxchars=SNIPPET_CHARS, surround=60, charlimit=SNIPPET_SCAN_CHARS)
        self._scorer = highlight.BasicFragmentScorer()

    def snippet(self, key: str, text: str, stems: Set[str]) -> str:
        """Up to two fragments of ``text`` around the words whose stems are ``stems``;
        the start of the text when none is there. ``key`` names the text (its id)."""
        if not text:
            return ""
        tokens = self._analysed(key, text)
        fragments = self._fragmenter.fragment_tokens(text, _matched(tokens, stems))
        best = highlight.top_fragments(fragments, 2, self._scorer, highlight.FIRST)
        if best:
            # A formatter numbers the words it marks (term0, term1, ...) as it meets them:
            # a new one for each snippet, so that a snippet never depends on the ones before.
            formatter = highlight.HtmlFormatter(tagname="mark", classname="match",
                                                between=" … ")
            return str(formatter(text, best))
        head = text[:SNIPPET_CHARS]
        return escape(head + ("…" if len(text) > SNIPPET_CHARS else ""), quote=False)

    def _analysed(self, key: str, text: str) -> tuple[Token, ...]:
        def analyse() -> tuple[Token, ...]:
            scanned = text[:SNIPPET_SCAN_CHARS + 100]  # the fragmenter stops at the limit
            return tuple(_unmarked(token) for token in stem_analyzer()(
                scanned, chars=True, mode="query", removestops=False))

        return self._tokens.get(key, analyse)


def _unmarked(token: Token) -> Token:
    copy = token.copy()
    copy.matched = False
    return copy


def _matched(tokens: tuple[Token, ...], stems: Set[str]) -> Iterator[Token]:
    """The tokens, those of a matched stem as marked copies: the cached ones are shared
    by threads and never changed."""
    for token in tokens:
        if token.text in stems:
            marked = token.copy()
            marked.matched = True
            yield marked
        else:
            yield token
