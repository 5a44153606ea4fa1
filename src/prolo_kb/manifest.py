"""The manifest of an index version: what it holds and how it was made.

It is written last into each version directory, as ``manifest.json`` (a version without
one is incomplete), and read back first when a reader opens the version
(:mod:`prolo_kb.store`). It also carries what the build analysed once so that opening an
index analyses nothing: the glossary's wordings as stems, the warning signs, how staff and
patients talk.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .content import GlossaryTerm, Language, PageMeta

MANIFEST = "manifest.json"


class Manifest(NamedTuple):
    """What an index holds and how it was made."""

    schema_version: int
    built_at: str
    source_hash: str
    counts: dict[str, int]
    pages: tuple[PageMeta, ...]
    glossary: tuple[GlossaryTerm, ...]
    sources: dict[str, str]
    files: dict[str, int]  # file name -> size, to detect truncation cheaply
    # Analysed at build time, so that opening an index stems nothing:
    # each glossary term's wordings (the term, then its lay words) as stems,
    synonyms: tuple[tuple[tuple[str, ...], ...], ...] = ()
    # each escalation entry's warning signs: (entry id, phrase, its sign words), and the
    # entry's urgency,
    signs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    urgency: Mapping[str, str] = MappingProxyType({})
    # how staff and patients talk (shorthand, context triggers, clinical words), and the
    # clinical words as stems,
    language: Language = Language()
    clinical: tuple[tuple[str, ...], ...] = ()
    # how telling each stem of the questions and their other wordings is,
    telling: Mapping[str, float] = MappingProxyType({})
    # each indexed stem's share of English running text, where it can lower the stem's
    # BM25 weight (prolo_kb.terms),
    english: Mapping[str, float] = MappingProxyType({})
    # and the glossary's words as typed (known to spelling even where no entry uses them).
    glossary_words: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "built_at": self.built_at,
            "source_hash": self.source_hash,
            "counts": self.counts,
            "pages": [p.to_dict() for p in self.pages],
            "glossary": [g.to_dict() for g in self.glossary],
            "sources": self.sources,
            "files": self.files,
            "synonyms": [[list(w) for w in group] for group in self.synonyms],
            "signs": [[doc_id, phrase, list(stems)] for doc_id, phrase, stems in self.signs],
            "urgency": dict(self.urgency),
            "language": self.language.to_dict(),
            "clinical": [list(stems) for stems in self.clinical],
            "telling": dict(self.telling),
            "english": dict(self.english),
            "glossary_words": list(self.glossary_words),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            schema_version=int(data["schema_version"]),
            built_at=str(data["built_at"]),
            source_hash=str(data["source_hash"]),
            counts={str(k): int(v) for k, v in data["counts"].items()},
            pages=tuple(PageMeta.from_dict(p) for p in data["pages"]),
            glossary=tuple(GlossaryTerm.from_dict(g) for g in data["glossary"]),
            sources={str(k): str(v) for k, v in data["sources"].items()},
            files={str(k): int(v) for k, v in data["files"].items()},
            synonyms=tuple(tuple(tuple(str(s) for s in w) for w in group)
                           for group in data["synonyms"]),
            signs=tuple((str(doc_id), str(phrase), tuple(str(s) for s in stems))
                        for doc_id, phrase, stems in data["signs"]),
            urgency={str(k): str(v) for k, v in data["urgency"].items()},
            language=Language.from_dict(data["language"]),
            clinical=tuple(tuple(str(s) for s in stems) for stems in data["clinical"]),
            telling={str(k): float(v) for k, v in data["telling"].items()},
            english={str(k): float(v) for k, v in data["english"].items()},
            glossary_words=tuple(str(w) for w in data["glossary_words"]),
        )


__all__ = ["MANIFEST", "Manifest"]
