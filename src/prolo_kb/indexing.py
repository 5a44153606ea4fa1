"""From documents to an index version: the fields Whoosh keeps for each, and what the
build works out once so that opening an index and searching it analyse nothing.

Worked out here, at build time, into the manifest:

- each entry's question and other wordings as stems (a stored field of the document);
- each glossary term's wordings as stems (the synonyms), and their words as typed (for
  spelling);
- each escalation entry's warning signs as the words that make them signs, and its
  urgency;
- how telling each stem of the questions and wordings is (its IDF);
- each indexed stem's share of everyday English, where it can lower the stem's BM25
  weight (``english_documents`` of the ranking model), and in a file beside the index
  the everyday English stems no entry uses, with theirs (for "not covered");
- the language data (shorthand, context triggers, clinical words) as given.

:func:`write_index` is what the Sphinx extension, the tests and the benchmark call;
:mod:`prolo_kb.store` writes the version and swaps it in.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import RamStorage
from whoosh.reading import IndexReader

from . import dictionary
from .content import Document, GlossaryTerm, Language, PageMeta
from .manifest import Manifest
from .schema import SCHEMA_VERSION, analyze, build_schema, clinical_stem, words
from .signs import sign_words
from .store import LOCK_WAIT_SECONDS, OpenIndex, write_version
from .terms import ENGLISH_DOCUMENTS, ENGLISH_FILE, FIELD_BOOSTS, LENGTHS_FILE, telling

MEMORY = ":memory:"  # the path an index held in memory goes by


def document_fields(doc: Document, wordings: list[list[str]]) -> dict[str, Any]:
    """The Whoosh fields of one document; ``wordings`` are the stems of its question (or
    title) and of its other wordings."""
    return {
        "id": doc.id,
        "title": doc.title,
        "text": doc.text,
        "also": "\n".join(doc.also),
        "signs": "\n".join(doc.signs),
        "staff": doc.staff_note,
        "spell": "\n".join((doc.title, doc.text, *doc.also, *doc.signs, doc.staff_note)),
        "topic": doc.topic,
        "audience": ",".join(doc.audience),
        "data": json.dumps(doc.to_dict(), ensure_ascii=False),
        "wordings": json.dumps(wordings),  # for ranking without analysis
    }


class _Analysis:
    """What the documents tell the manifest, gathered while they are written."""

    def __init__(self) -> None:
        self.counts = {"faq": 0, "section": 0}
        self.signs: list[tuple[str, str, tuple[str, ...]]] = []
        self.urgency: dict[str, str] = {}
        self.wording_stems: set[str] = set()

    def rows(self, documents: Iterable[Document],
             progress: Callable[[int], None] | None) -> Iterator[dict[str, Any]]:
        for n, doc in enumerate(documents, start=1):
            wordings = [analyze(w) for w in (doc.title, *doc.also)]
            self.counts[doc.kind] += 1
            if doc.escalate:
                self.signs.extend((doc.id, phrase, sign_words(phrase)) for phrase in doc.signs)
                self.urgency[doc.id] = doc.urgency or "same-day"
            self.wording_stems.update(*wordings)
            if progress is not None and n % 1000 == 0:
                progress(n)
            yield document_fields(doc, wordings)


def _manifest_maker(analysis: _Analysis, pages: tuple[PageMeta, ...],
                    glossary: tuple[GlossaryTerm, ...], language: Language | None,
                    sources: dict[str, str] | None,
                    source_hash: str) -> Callable[[IndexReader, dict[str, int]], Manifest]:
    def manifest(reader: IndexReader, files: dict[str, int]) -> Manifest:
        counts = dict(analysis.counts)
        counts["pages"] = len(pages)
        counts["total"] = counts["faq"] + counts["section"]
        return Manifest(
            schema_version=SCHEMA_VERSION,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source_hash=source_hash,
            counts=counts,
            pages=pages,
            glossary=glossary,
            sources=dict(sources or {}),
            files=files,
            synonyms=tuple(tuple(tuple(analyze(w)) for w in (g.term, *g.lay))
                           for g in glossary),
            signs=tuple(analysis.signs),
            urgency=analysis.urgency,
            language=language or Language(),
            clinical=tuple(stems for stems in (tuple(analyze(w)) for w in
                                               (language or Language()).clinical) if stems),
            telling={stem: telling(reader, stem) for stem in sorted(analysis.wording_stems)},
            english=english_shares(reader),
            glossary_words=tuple(sorted({w for g in glossary for p in (g.term, *g.lay)
                                         for w in words(p)})),
        )

    return manifest


def _everyday(reader: IndexReader) -> tuple[set[str], dict[str, float]]:
    """The stems the index holds, and every stem's share of English running text where
    the floor it puts under a document frequency reaches one document (below that it
    changes nothing, and what the build writes stays small), to three digits."""
    indexed = {stem for name in FIELD_BOOSTS for stem in reader.field_terms(name)}
    least = 1 / (ENGLISH_DOCUMENTS * (reader.doc_count_all() or 1))
    shares = dictionary.stem_shares_above(least, clinical_stem)
    return indexed, {stem: float(f"{share:.3g}") for stem, share in sorted(shares.items())}


def english_shares(reader: IndexReader) -> dict[str, float]:
    """Each indexed stem's share of English running text, where it matters (the
    manifest's ``english``: a prior under the stem's BM25 weight)."""
    indexed, shares = _everyday(reader)
    return {stem: share for stem, share in shares.items() if stem in indexed}


def english_file(reader: IndexReader) -> bytes:
    """The everyday English stems no entry uses, with their share of English text
    (``english.json`` beside the index): a word no entry uses weighs less for "not
    covered" when English uses it a lot ("supposed", "couple", "sister"). A search reads
    it only for a query holding such a word, so a one-off search never loads the whole
    English list for it."""
    indexed, shares = _everyday(reader)
    return json.dumps({stem: share for stem, share in shares.items() if stem not in indexed},
                      separators=(",", ":")).encode()


def write_index(
    target: Path,
    documents: Iterable[Document],
    *,
    pages: Iterable[PageMeta] = (),
    glossary: Iterable[GlossaryTerm] = (),
    language: Language | None = None,
    sources: dict[str, str] | None = None,
    source_hash: str = "",
    procs: int = 1,
    progress: Callable[[int], None] | None = None,
    lock_wait: float = LOCK_WAIT_SECONDS,
    on_wait: Callable[[], None] | None = None,
) -> Manifest:
    """Write the documents as a new index version and make it the live one atomically.
    ``on_wait`` is called once if another build holds the lock and this one waits."""
    analysis = _Analysis()
    manifest = _manifest_maker(analysis, tuple(pages), tuple(glossary), language, sources,
                               source_hash)
    return write_version(Path(target), analysis.rows(documents, progress), manifest,
                         extra=lambda reader: {LENGTHS_FILE: lengths_file(reader),
                                               ENGLISH_FILE: english_file(reader)},
                         procs=procs, lock_wait=lock_wait, on_wait=on_wait)


def memory_index(documents: Iterable[Document], *, pages: Iterable[PageMeta] = (),
                 glossary: Iterable[GlossaryTerm] = (),
                 language: Language | None = None) -> OpenIndex:
    """The documents as an index held in memory (Whoosh's RamStorage): for tests and
    tools that want a search engine without files. ``SearchEngine(memory_index(...))``."""
    analysis = _Analysis()
    ix = RamStorage().create_index(build_schema())
    with ix.writer() as writer:
        for row in analysis.rows(documents, None):
            writer.add_document(**row)
    manifest = _manifest_maker(analysis, tuple(pages), tuple(glossary), language, None, "")
    with ix.reader() as reader:
        made = manifest(reader, {})
    return OpenIndex(path=Path(MEMORY), index=ix, manifest=made)


def lengths_file(reader: IndexReader) -> bytes:
    """Every document's length in every searched field, as the build writes it beside the
    index (``lengths.bin``): Whoosh's own (quantised) lengths, read once through its public
    API, so that a search in a new process does not ask for them one posting at a time."""
    count = reader.doc_count_all()
    out = array("I")
    for name in FIELD_BOOSTS:
        out.extend(reader.doc_field_length(d, name, 1) or 1 for d in range(count))
    if out.itemsize != 4:  # pragma: no cover - "I" is 4 bytes on every platform we run
        raise RuntimeError("unsigned int is not 4 bytes here")
    return out.tobytes()
