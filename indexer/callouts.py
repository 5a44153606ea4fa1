"""Callout blocks: the plain-language ``summary`` that opens a page, the "when to get
help" ``care-card`` with at most three ``urgency`` levels, and ``for-physicians``, the
technical text of a page that patients and staff read too.

Summaries and each urgency level are graded here (Flesch-Kincaid, ``kb_max_grade``); the
rest of a page's body is graded section by section in :mod:`indexer.collect`, except what
sits in a ``for-physicians`` block."""

from __future__ import annotations

from typing import ClassVar

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from . import readability
from .collect import reading_units
from .domain import get_domain
from .report import warn
from .text import blocks_text

# Urgency levels in the order a card shows them, with the action each one means.
URGENCY_LEVELS = {
    "emergency": "Emergency: call emergency services now",
    "same-day": "Same day: call the clinic today",
    "routine": "Routine: no rush",
}
MAX_LEVELS = 3


class SummaryDirective(SphinxDirective):
    """``:::{summary}``: the page in plain words, for staff and patients."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        box = nodes.container(classes=["kb-summary"])
        self.set_source_info(box)
        box += nodes.paragraph("", "In short", classes=["kb-summary-label"])
        body = nodes.container(classes=["kb-summary-body"])
        self.state.nested_parse(self.content, self.content_offset, body)
        box += body
        text = blocks_text(body)
        docname = self.env.docname
        if not text:
            warn(docname, self.lineno, "summary", "summary is empty")
        grade = readability.grade(text) if text else None
        limit = float(self.config.kb_max_grade)
        if grade is not None and grade > limit:
            warn(docname, self.lineno, "readability", f"summary reads at grade {grade:.1f}; "
                 f"plain-language summaries must be at most {limit:g}")
        get_domain(self.env).summaries.setdefault(docname, []).append(
            {"text": text, "lineno": self.lineno, "grade": grade})
        return [box]


class CareCardDirective(SphinxDirective):
    """``::::{care-card} When to get help`` holding up to three ``urgency`` blocks."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self) -> list[nodes.Node]:
        title = self.arguments[0] if self.arguments else "When to get help"
        card = nodes.container(classes=["kb-care-card"], ids=[nodes.make_id(title)])
        self.set_source_info(card)
        heading = nodes.rubric(title, title, classes=["kb-care-card-title"])
        heading["heading-level"] = 3
        card += heading
        self.state.nested_parse(self.content, self.content_offset, card)
        levels = [
            child["kb-level"] for child in card.children
            if isinstance(child, nodes.container) and "kb-level" in child
        ]
        docname = self.env.docname
        if not levels:
            warn(docname, self.lineno, "care-card", "care card has no {urgency} blocks")
        if len(levels) > MAX_LEVELS:
            warn(docname, self.lineno, "care-card",
                 f"care card has {len(levels)} urgency blocks; at most {MAX_LEVELS}")
        if len(set(levels)) != len(levels):
            warn(docname, self.lineno, "care-card", "care card repeats an urgency level")
        # Most urgent first, whatever order the author wrote them in.
        order = list(URGENCY_LEVELS)
        blocks = [c for c in card.children if isinstance(c, nodes.container) and "kb-level" in c]
        others = [c for c in card.children if c not in blocks]
        blocks.sort(key=lambda c: order.index(c["kb-level"]) if c["kb-level"] in order else 9)
        card.children = []
        for child in [*others, *blocks]:
            card += child
        return [card]


class UrgencyDirective(SphinxDirective):
    """``:::{urgency} same-day``: one level of a care card, written as actions."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, object]] = {}

    def run(self) -> list[nodes.Node]:
        level = self.arguments[0].strip().lower()
        if level not in URGENCY_LEVELS:
            warn(self.env.docname, self.lineno, "care-card",
                 f"unknown urgency {level!r} (use {', '.join(URGENCY_LEVELS)})")
        block = nodes.container(classes=["kb-urgency", f"kb-urgency-{level}"])
        block["kb-level"] = level
        self.set_source_info(block)
        label = URGENCY_LEVELS.get(level, level)
        block += nodes.paragraph("", "", nodes.strong(label, label),
                                 classes=["kb-urgency-label"])
        self.state.nested_parse(self.content, self.content_offset, block)
        # What the card tells a patient to do is read by patients: always graded.
        text = "\n\n".join(unit for child in block.children[1:]
                           for unit in reading_units(child))
        grade = readability.grade(text) if text else None
        limit = float(self.config.kb_max_grade)
        if grade is not None and grade > limit:
            warn(self.env.docname, self.lineno, "readability",
                 f"care card level {level!r} reads at grade {grade:.1f}; what a care card "
                 f"tells patients must be at most {limit:g}")
        return [block]


class ForPhysiciansDirective(SphinxDirective):
    """``:::{for-physicians}``: technical text (trial details, evidence tables) on a page
    that patients or staff read too. Shown as it is; left out of the reading-grade check
    of the section around it, which still covers everything else in the section."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        block = nodes.container(classes=["kb-for-physicians"])
        self.set_source_info(block)
        self.state.nested_parse(self.content, self.content_offset, block)
        if not block.children:
            warn(self.env.docname, self.lineno, "readability", "for-physicians block is empty")
        return [block]


def setup(app: Sphinx) -> None:
    app.add_directive("summary", SummaryDirective)
    app.add_directive("care-card", CareCardDirective)
    app.add_directive("urgency", UrgencyDirective)
    app.add_directive("for-physicians", ForPhysiciansDirective)
