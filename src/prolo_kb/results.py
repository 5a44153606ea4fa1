"""What a search answers: ranked hits, what the query understanding did, and their JSON.

``to_json()`` is the one shape the CLI (``--json``), the web API and the tests read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .content import URGENCIES, Document, PageMeta


class Hit:
    """One ranked result. (A plain class with slots: a dataclass costs a search in a new
    process ~1 ms to create at import.)"""

    __slots__ = ("_highlight", "_snippet", "doc", "explain", "page", "score")

    def __init__(self, doc: Document, score: float, highlight: Callable[[], str],
                 page: PageMeta | None = None, explain: dict[str, Any] | None = None) -> None:
        self.doc = doc
        self.score = score
        self.page = page
        self.explain = explain
        self._highlight = highlight
        self._snippet: str | None = None

    def __repr__(self) -> str:
        return f"Hit({self.doc.id!r}, score={self.score:.4f})"

    @property
    def snippet(self) -> str:
        """HTML: escaped text with <mark> around the matched words. Made when first
        asked for: the terminal list shows an FAQ entry's answer, not its snippet."""
        if self._snippet is None:
            self._snippet = self._highlight()
        return self._snippet

    def to_json(self) -> dict[str, Any]:
        doc = self.doc
        faq = doc.kind == "faq"
        out: dict[str, Any] = {
            "id": doc.id,
            "kind": doc.kind,
            "title": doc.title,
            "question": doc.title if faq else None,
            "answer": doc.text if faq else None,
            "text": None if faq else doc.text,
            "snippet": self.snippet,
            "topic": doc.topic,
            "audience": list(doc.audience),
            "url": doc.url,
            "score": round(self.score, 4),
            "escalate": doc.escalate,
            "urgency": doc.urgency if doc.escalate else None,
            "status": doc.status,
            "staff_note": doc.staff_note or None,
            "page_title": self.page.title if self.page else None,
            "last_reviewed": self.page.last_reviewed if self.page else None,
        }
        if self.explain is not None:
            out["explain"] = self.explain
        return out


class SearchResult(NamedTuple):
    """The answer to one query."""

    query: str
    corrected: str | None  # the query as searched, when a word was corrected
    total: int
    hits: tuple[Hit, ...]
    warning_signs: tuple[str, ...] = ()  # the caller's own words that report a sign
    urgency: str | None = None  # the highest urgency of the signs reported
    not_covered: bool = False  # no entry answers it: the hits are only related
    explain: dict[str, Any] | None = None

    @property
    def action(self) -> str | None:
        """What staff do now, in the entries' own words."""
        return URGENCIES.get(self.urgency or "")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": self.query,
            "corrected": self.corrected,
            "total": self.total,
            "urgency": self.urgency,
            "action": self.action,
            "warning_signs": list(self.warning_signs),
            "not_covered": self.not_covered,
            "hits": [hit.to_json() for hit in self.hits],
        }
        if self.explain is not None:
            out["explain"] = self.explain
        return out
