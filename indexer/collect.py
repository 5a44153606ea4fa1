"""Collect every page section (title, plain text, anchor) per document for the index, and
check that the body text of pages for patients or staff reads at the grade limit."""

from __future__ import annotations

from collections.abc import Iterator

from docutils import nodes
from sphinx.application import Sphinx

from . import readability
from .domain import SectionRecord, get_domain
from .report import warn
from .text import plain_text

# Containers indexed on their own (FAQ entries) or not content (the review footer).
SKIP_CLASSES = frozenset({"kb-faq", "kb-review"})
# Not graded with the section's body: text graded by its own directive (FAQ answers, the
# summary, each level of a care card), the review footer, citations on the references
# page, and text written for physicians only ({for-physicians}).
UNGRADED_CLASSES = SKIP_CLASSES | frozenset(
    {"kb-summary", "kb-care-card", "kb-reference", "kb-for-physicians"})
GRADED_AUDIENCES = frozenset({"patient", "staff"})


def _own_children(section: nodes.section) -> Iterator[nodes.Node]:
    """The section's blocks without its title, subsections, comments and targets."""
    for child in section.children[1:]:
        if isinstance(child, (nodes.section, nodes.comment, nodes.target,
                              nodes.system_message)):
            continue
        yield child


def _classes(node: nodes.Node) -> set[str]:
    return set(node.get("classes", [])) if isinstance(node, nodes.Element) else set()


def _own_text(section: nodes.section) -> str:
    """The section's text without its title, subsections, FAQ entries and footer."""
    parts = [plain_text(child) for child in _own_children(section)
             if not SKIP_CLASSES & _classes(child)]
    return "\n\n".join(p for p in parts if p).strip()


def reading_units(node: nodes.Node) -> Iterator[str]:
    """The pieces a reader takes one at a time: paragraphs, each list item, each table
    cell, each term and definition. A cell or item without a full stop is a sentence of
    its own (see :func:`readability.grade`), not one run-on sentence with its table."""
    if UNGRADED_CLASSES & _classes(node):
        return
    if isinstance(node, (nodes.literal_block, nodes.raw, nodes.image)):
        return
    if isinstance(node, nodes.TextElement) or not isinstance(node, nodes.Element):
        text = plain_text(node)
        if text:
            yield text
        return
    for child in node.children:
        yield from reading_units(child)


def graded_text(section: nodes.section) -> str:
    """The section's own patient- and staff-facing text, one reading unit per paragraph."""
    return "\n\n".join(unit for child in _own_children(section)
                       for unit in reading_units(child))


def _check_grade(app: Sphinx, docname: str, section: nodes.section, title: str,
                 lineno: int) -> None:
    page = get_domain(app.env).pages.get(docname)
    if page is None or not GRADED_AUDIENCES & set(page["audience"]):
        return
    text = graded_text(section)
    grade = readability.grade(text) if text else None
    limit = float(app.config.kb_max_grade)
    if grade is not None and grade > limit:
        warn(docname, lineno, "readability",
             f"section {title!r} reads at grade {grade:.1f}; text on pages for patients or "
             f"staff must be at most {limit:g} (put text for physicians only in a "
             "{for-physicians} block)")


def collect_sections(app: Sphinx, doctree: nodes.document) -> None:
    records: list[SectionRecord] = []
    docname = app.env.docname
    for section in doctree.findall(nodes.section):
        if not section.children or not isinstance(section.children[0], nodes.title):
            continue
        top = section.parent is doctree
        anchor = "" if top else (section["ids"][0] if section["ids"] else "")
        title = section.children[0].astext()
        lineno = section.line or section.children[0].line or 0
        _check_grade(app, docname, section, title, lineno)
        text = _own_text(section)
        if not text:
            continue
        records.append({"anchor": anchor, "title": title, "text": text, "lineno": lineno})
    get_domain(app.env).sections[docname] = records


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", collect_sections, priority=500)
