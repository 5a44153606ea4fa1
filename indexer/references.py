"""Sources: the ``reference`` directive that defines them, the ``{src}`` role that cites
them, and the ``{sort}`` role for evidence labels.

Only sources defined with ``reference`` (on the references page) may be cited; a citation
of anything else is a located warning.
"""

from __future__ import annotations

import re
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective, SphinxRole

from .domain import get_domain, source_anchor
from .report import warn

SORT_LABEL = re.compile(r"^(?:[ABC](?:/[ABC])?(?:\s*\(.+\)|\s+.+)?|not graded)$")
# Identifiers in a citation that become links: web addresses, PubMed and PubMed Central
# ids, DOIs.
_IDENTIFIER = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:)])"
    r"|\bPMID:?\s*(?P<pmid>\d{5,9})\b"
    r"|\b(?P<pmc>PMC\d{5,9})\b"
    r"|\b(?:doi:\s*)?(?P<doi>10\.\d{4,9}/[^\s<>\"]+[^\s<>\".,;:)])", re.I)
_LINK_TARGET = {
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "pmc": "https://pmc.ncbi.nlm.nih.gov/articles/{}/",
    "doi": "https://doi.org/{}",
}
SORT_MEANING = {
    "A": "consistent, good-quality patient-oriented evidence",
    "B": "inconsistent or limited-quality patient-oriented evidence",
    "C": "consensus, usual practice, expert opinion or case series",
}


class ReferenceDirective(SphinxDirective):
    """``:::{reference} source-id`` with the citation as content."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, object]] = {
        "short": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        docname = self.env.docname
        source_id = self.arguments[0].strip()
        domain = get_domain(self.env)
        known = domain.all_references()
        if source_id in known and known[source_id][0] != docname:
            warn(docname, self.lineno, "source",
                 f"source {source_id!r} is already defined in {known[source_id][0]}")
        mine = domain.references.setdefault(docname, {})
        if source_id in mine:
            warn(docname, self.lineno, "source", f"source {source_id!r} is defined twice")
        body = nodes.container(classes=["kb-reference"], ids=[source_anchor(source_id)])
        self.set_source_info(body)
        self.state.nested_parse(self.content, self.content_offset, body)
        link_identifiers(body)
        citation = " ".join(body.astext().split())
        if not citation:
            warn(docname, self.lineno, "source", f"source {source_id!r} has no citation")
        label = nodes.inline("", f"[{source_id}]", classes=["kb-reference-id"])
        if body.children and isinstance(body.children[0], nodes.paragraph):
            body.children[0].insert(0, nodes.Text(" "))
            body.children[0].insert(0, label)
        else:
            body.insert(0, nodes.paragraph("", "", label))
        mine[source_id] = citation
        if self.options.get("short"):
            domain.shorts.setdefault(docname, {})[source_id] = self.options["short"].strip()
        return [body]


def link_identifiers(body: nodes.Element) -> None:
    """Make the web addresses, PMIDs, PMC ids and DOIs in a citation links (the text
    stays as written)."""
    for text in list(body.findall(nodes.Text)):
        parent = text.parent
        if parent is None or isinstance(parent, (nodes.reference, nodes.literal)):
            continue
        value = str(text)
        pieces: list[nodes.Node] = []
        end = 0
        for match in _IDENTIFIER.finditer(value):
            kind = match.lastgroup or "url"
            target = match.group(kind)
            uri = target if kind == "url" else _LINK_TARGET[kind].format(target)
            pieces.append(nodes.Text(value[end:match.start()]))
            pieces.append(nodes.reference(match.group(0), match.group(0), refuri=uri,
                                          classes=["kb-reference-link"]))
            end = match.end()
        if pieces:
            pieces.append(nodes.Text(value[end:]))
            parent.replace(text, [p for p in pieces if not isinstance(p, nodes.Text) or str(p)])


class SrcRole(SphinxRole):
    """``{src}`source-id``` cites a source from the references page."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        source_id = self.text.strip()
        get_domain(self.env).add_cite(self.env.docname, source_id, self.lineno)
        ref = pending_xref(self.rawtext, refdomain="kb", reftype="src",
                           reftarget=source_id, refexplicit=False, refwarn=False)
        ref += nodes.inline(source_id, source_id, classes=["kb-src", "kb-cite"])
        return [ref], []


class SortRole(SphinxRole):
    """``{sort}`B``` renders an evidence label of the AAFP SORT taxonomy."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        label = " ".join(self.text.split())
        if not SORT_LABEL.match(label):
            warn(self.env.docname, self.lineno, "source",
                 f"evidence label {label!r} is not a SORT grade (A, B, C, a grade with a "
                 "note, or 'not graded')")
        grade = label[:1] if label[:1] in SORT_MEANING else ""
        text = f"SORT {label}" if grade else label.capitalize()
        classes = ["kb-sort", f"kb-sort-{grade.lower() or 'none'}"]
        node = nodes.abbreviation(text, text, classes=classes,
                                  explanation=SORT_MEANING.get(grade, "no published grade"))
        return [node], []


def citing_docs_outdated(app: Sphinx, env: BuildEnvironment, added: set[str],
                         changed: set[str], removed: set[str]) -> list[str]:
    """When the references page changes, pages citing it must be written again: their
    citation labels and links come from it."""
    references_doc = app.config.kb_references_doc
    if references_doc not in added | changed | removed:
        return []
    return sorted(get_domain(env).cites)


def setup(app: Sphinx) -> None:
    app.connect("env-get-outdated", citing_docs_outdated)
    app.add_directive("reference", ReferenceDirective)
    app.add_role("src", SrcRole())
    app.add_role("sort", SortRole())
