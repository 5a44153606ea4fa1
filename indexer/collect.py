"""Collect every page section (title, plain text, anchor) per document for the index."""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

from .domain import SectionRecord, get_domain
from .text import plain_text

# Containers indexed on their own (FAQ entries) or not content (the review footer).
SKIP_CLASSES = frozenset({"kb-faq", "kb-review"})


def _own_text(section: nodes.section) -> str:
    """The section's text without its title, subsections, FAQ entries and footer."""
    parts: list[str] = []
    for child in section.children[1:]:
        if isinstance(child, nodes.section):
            continue
        if isinstance(child, nodes.Element) and SKIP_CLASSES & set(child.get("classes", [])):
            continue
        if isinstance(child, (nodes.comment, nodes.target, nodes.system_message)):
            continue
        parts.append(plain_text(child))
    return "\n\n".join(p for p in parts if p).strip()


def collect_sections(app: Sphinx, doctree: nodes.document) -> None:
    records: list[SectionRecord] = []
    for section in doctree.findall(nodes.section):
        if not section.children or not isinstance(section.children[0], nodes.title):
            continue
        top = section.parent is doctree
        anchor = "" if top else (section["ids"][0] if section["ids"] else "")
        text = _own_text(section)
        if not text:
            continue
        records.append({
            "anchor": anchor,
            "title": section.children[0].astext(),
            "text": text,
            "lineno": section.line or section.children[0].line or 0,
        })
    get_domain(app.env).sections[app.env.docname] = records


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", collect_sections, priority=500)
