"""Per-document storage of everything the knowledge base collects while reading.

Data is keyed by docname, with ``clear_doc`` and ``merge_domaindata``, so parallel
(``-j auto``), incremental and clean builds end with the same collection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from typing import Any, ClassVar, TypedDict, cast

from docutils import nodes
from docutils.nodes import Element
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode


class FaqRecord(TypedDict):
    id: str
    question: str
    answer: str
    anchor: str
    topic: str
    audience: list[str]
    sources: list[str]
    signs: list[str]
    also: list[str]
    escalate: bool
    status: str
    lineno: int
    grade: float | None
    urgency: str | None
    staff_note: str


class SectionRecord(TypedDict):
    anchor: str
    title: str
    text: str
    lineno: int


class PageRecord(TypedDict):
    title: str
    topic: str
    audience: list[str]
    last_reviewed: str
    next_review: str
    reviewed_by: str
    literature_current_through: str


class CiteRecord(TypedDict):
    id: str
    lineno: int


class SummaryRecord(TypedDict):
    text: str
    lineno: int
    grade: float | None


_KEYS = ("faqs", "sections", "pages", "references", "shorts", "cites", "summaries")


class KBDomain(Domain):
    """Holds FAQ entries, sections, page metadata, references and citations per doc."""

    name = "kb"
    label = "Knowledge base"
    initial_data: ClassVar[dict[str, Any]] = {key: {} for key in _KEYS}
    data_version = 1

    def _bucket(self, key: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.data.setdefault(key, {}))

    @property
    def faqs(self) -> dict[str, list[FaqRecord]]:
        return self._bucket("faqs")

    @property
    def sections(self) -> dict[str, list[SectionRecord]]:
        return self._bucket("sections")

    @property
    def pages(self) -> dict[str, PageRecord]:
        return self._bucket("pages")

    @property
    def references(self) -> dict[str, dict[str, str]]:
        """docname -> {source id: citation}."""
        return self._bucket("references")

    @property
    def shorts(self) -> dict[str, dict[str, str]]:
        """docname -> {source id: the label readers see, when the author chose one}."""
        return self._bucket("shorts")

    def source_label(self, source_id: str, citation: str) -> str:
        for shorts in self.shorts.values():
            if source_id in shorts:
                return shorts[source_id]
        return short_label(citation)

    @property
    def cites(self) -> dict[str, list[CiteRecord]]:
        return self._bucket("cites")

    @property
    def summaries(self) -> dict[str, list[SummaryRecord]]:
        return self._bucket("summaries")

    def add_faq(self, docname: str, record: FaqRecord) -> None:
        self.faqs.setdefault(docname, []).append(record)

    def add_cite(self, docname: str, source_id: str, lineno: int) -> None:
        self.cites.setdefault(docname, []).append({"id": source_id, "lineno": lineno})

    def all_references(self) -> dict[str, tuple[str, str]]:
        """source id -> (docname, citation), over every document."""
        found: dict[str, tuple[str, str]] = {}
        for docname in sorted(self.references):
            for source_id, citation in self.references[docname].items():
                found.setdefault(source_id, (docname, citation))
        return found

    def clear_doc(self, docname: str) -> None:
        for key in _KEYS:
            self._bucket(key).pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key in _KEYS:
            mine = self._bucket(key)
            for docname, value in otherdata.get(key, {}).items():
                if docname in docnames:
                    mine[docname] = value

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: Element,
    ) -> nodes.reference | None:
        if typ != "src":
            return None
        found = self.all_references().get(target)
        if found is None:
            return None  # reported, with its location, by the consistency check
        if "kb-src" in contnode.get("classes", []):
            label = self.source_label(target, found[1])
            if "kb-cite" in contnode["classes"]:
                label = f"({label})"  # an inline citation in running text
            contnode = nodes.inline(label, label, classes=contnode["classes"])
        return make_refnode(builder, fromdocname, found[0], source_anchor(target), contnode,
                            found[1])

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: Element,
    ) -> list[tuple[str, nodes.reference]]:
        ref = self.resolve_xref(env, fromdocname, builder, "src", target, node, contnode)
        return [("kb:src", ref)] if ref is not None else []

    def get_objects(self) -> Iterable[tuple[str, str, str, str, str, int]]:
        return []


_YEAR = re.compile(r"\b(19|20)\d\d\b")


def short_label(citation: str) -> str:
    """A reader's label for a citation: "Rabago 2013", "Cleveland Clinic"."""
    head = re.split(r"[,.;:(]", citation, maxsplit=1)[0].strip()
    words = head.split()
    if len(words) == 4 and words[2:] == ["et", "al"] and words[1].isupper():
        head = f"{words[0]} et al."  # "Sit RWS et al" -> "Sit et al."
    elif len(words) == 2 and len(words[1]) <= 3 and words[1].isupper():
        head = words[0]  # "Rabago D" -> "Rabago"
    elif len(words) > 4:
        head = " ".join(words[:4]) + "…"
    year = _YEAR.search(citation)
    return f"{head} {year.group(0)}" if year and year.group(0) not in head else head


def source_anchor(source_id: str) -> str:
    return f"src-{nodes.make_id(source_id)}"


def get_domain(env: BuildEnvironment) -> KBDomain:
    return cast(KBDomain, env.get_domain("kb"))


def setup(app: Sphinx) -> None:
    app.add_domain(KBDomain)
