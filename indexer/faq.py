"""The ``faq`` directive: one question and its approved answer.

::

    :::{faq} How often will I need the injections?
    :id: injection-interval
    :topic: protocol
    :audience: patient, staff
    :sources: clinic-page

    Every four to six weeks. ...
    :::

``:also:`` lists other ways people ask the same question, separated by ``|``; the search
matches them like the question (they are not shown on the page).
Escalation entries (``:escalate:``, ``:urgency: emergency`` or ``same-day``, and
``:signs:``) and policy-pending entries (``:status: policy-pending``) carry badges that
cannot be missed. ``:staff:`` holds the instruction for staff ("Pass this question to a
clinician."): shown under the answer as a staff note, kept out of the patient-facing
answer (and so out of what staff copy for a patient), indexed in a field of its own.
"""

from __future__ import annotations

import re
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from prolo_kb.content import AUDIENCES, STATUSES, URGENCIES

from . import readability
from .domain import FaqRecord, get_domain
from .report import warn
from .text import blocks_text

ESCALATE_BADGE = "Escalate: pass to a clinician"
URGENCY_BADGES = {level: f"{level.replace('-', ' ').capitalize()}: {action[0].lower()}{action[1:]}"
                  for level, action in URGENCIES.items()}
STAFF_LABEL = "For staff: "
_OPENING = re.compile(r"^:{3,}\{faq\}")
_HEADING = re.compile(r"^#{1,6}\s")
PENDING_BADGE = "Clinic policy pending: ask a clinician"


def split_list(value: str | None) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def escalate_flag(value: str | None) -> None:
    """``:escalate:`` takes no value: ``:escalate: no`` must not escalate in silence."""
    if value and value.strip():
        raise ValueError(f"takes no value (got {value.strip()!r}): write :escalate: alone "
                         "to escalate, or leave the line out")


def badge(text: str, kind: str) -> nodes.inline:
    return nodes.inline(text, text, classes=["kb-badge", f"kb-badge-{kind}"])


class FaqDirective(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, object]] = {
        "id": directives.unchanged,
        "topic": directives.unchanged,
        "audience": directives.unchanged,
        "sources": directives.unchanged,
        "signs": directives.unchanged,
        "also": directives.unchanged,
        "escalate": escalate_flag,
        "status": directives.unchanged,
        "urgency": directives.unchanged,
        "staff": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        docname = self.env.docname
        entry = self._options(docname)
        container, answer = self._render(entry)
        entry["answer"] = blocks_text(answer)
        if not entry["answer"]:
            warn(docname, self.lineno, "faq", f"FAQ entry {entry['id']!r} has an empty answer")
        entry["grade"] = self._grade(docname, entry)
        domain = get_domain(self.env)
        domain.add_faq(docname, entry)
        for source_id in entry["sources"]:
            domain.add_cite(docname, source_id, self.lineno)
        return [container]

    def _warn(self, docname: str, message: str) -> None:
        warn(docname, self.lineno, "faq", message)

    def _options(self, docname: str) -> FaqRecord:
        """The entry's options, checked; every problem is a located warning."""
        question = " ".join(self.arguments[0].split())
        entry_id = (self.options.get("id") or "").strip()
        if not entry_id:
            entry_id = nodes.make_id(question)
            self._warn(docname, f"FAQ entry {question!r} has no :id: (using {entry_id!r}); "
                       "give it a stable id")
        elif entry_id != nodes.make_id(entry_id):
            self._warn(docname, f"FAQ id {entry_id!r} must be lowercase letters, digits "
                       "and hyphens")
        topic = (self.options.get("topic") or "").strip()
        if topic not in self.config.kb_topics:
            self._warn(docname, f"FAQ entry {entry_id!r} has unknown topic {topic!r} "
                       f"(known: {', '.join(self.config.kb_topics)})")
        audience = split_list(self.options.get("audience"))
        known_audiences = set(self.config.kb_audiences) or set(AUDIENCES)
        if not audience:
            self._warn(docname, f"FAQ entry {entry_id!r} has no :audience:")
        for who in audience:
            if who not in known_audiences:
                self._warn(docname, f"FAQ entry {entry_id!r} has unknown audience {who!r}")
        status = (self.options.get("status") or "approved").strip()
        if status not in STATUSES:
            self._warn(docname, f"FAQ entry {entry_id!r} has unknown status {status!r} "
                       "(approved or policy-pending)")
        sources = split_list(self.options.get("sources"))
        if status == "approved" and not sources:
            self._warn(docname, f"FAQ entry {entry_id!r} has no :sources:; every approved "
                       "answer names where it comes from")
        escalate = "escalate" in self.options
        signs, urgency = self._escalation(docname, entry_id, escalate)
        return {
            "id": entry_id, "question": question, "answer": "", "anchor": f"faq-{entry_id}",
            "topic": topic, "audience": audience, "sources": sources, "signs": signs,
            "also": [part.strip() for part in (self.options.get("also") or "").split("|")
                     if part.strip()],
            "escalate": escalate, "status": status, "lineno": self.lineno, "grade": None,
            "urgency": urgency, "staff_note": " ".join((self.options.get("staff") or "").split()),
        }

    def _escalation(self, docname: str, entry_id: str,
                    escalate: bool) -> tuple[list[str], str | None]:
        """The warning signs and urgency: both needed by an escalation entry, and only by
        one."""
        signs = split_list(self.options.get("signs"))
        if escalate and not signs:
            self._warn(docname, f"escalation entry {entry_id!r} needs :signs: (the warning "
                       "signs it covers, in patients' words)")
        if signs and not escalate:
            self._warn(docname, f"FAQ entry {entry_id!r} lists :signs: but is not marked "
                       ":escalate:")
        urgency = (self.options.get("urgency") or "").strip() or None
        if escalate and urgency not in URGENCIES:
            self._warn(docname, f"escalation entry {entry_id!r} needs :urgency: "
                       f"{' or '.join(URGENCIES)} (got {urgency!r})")
        if urgency and not escalate:
            self._warn(docname, f"FAQ entry {entry_id!r} has :urgency: but is not marked "
                       ":escalate:")
        return signs, urgency if escalate else None

    def _render(self, entry: FaqRecord) -> tuple[nodes.container, nodes.container]:
        """The entry's nodes (question, badges, answer, staff note, meta line) and its
        answer container."""
        classes = ["kb-faq"]
        if entry["escalate"]:
            classes.append("kb-faq-escalate")
        if entry["status"] == "policy-pending":
            classes.append("kb-faq-pending")
        container = nodes.container(classes=classes, ids=[entry["anchor"]])
        self.set_source_info(container)
        heading = nodes.rubric(entry["question"], "", classes=["kb-faq-question"])
        heading["heading-level"] = 3
        heading += nodes.Text(entry["question"])
        heading += nodes.reference("", "¶", refuri=f"#{entry['anchor']}",
                                   classes=["headerlink"], reftitle="Link to this answer")
        container += heading
        if entry["escalate"] or entry["status"] == "policy-pending":
            badges = nodes.paragraph(classes=["kb-badges"])
            if entry["escalate"]:
                urgency = entry["urgency"]
                badges += badge(URGENCY_BADGES.get(urgency or "", ESCALATE_BADGE),
                                f"escalate kb-badge-{urgency or 'escalate'}")
            if entry["status"] == "policy-pending":
                badges += badge(PENDING_BADGE, "pending")
            container += badges
        self._check_closed(self.env.docname, entry["id"])
        answer = nodes.container(classes=["kb-faq-answer"])
        self.state.nested_parse(self.content, self.content_offset, answer)
        container += answer
        if entry["staff_note"]:
            note = nodes.paragraph(classes=["kb-staff-note"])
            note += nodes.strong(STAFF_LABEL, STAFF_LABEL)
            note += nodes.Text(entry["staff_note"])
            container += note
        container += self._meta_line(entry["topic"], entry["audience"], entry["sources"])
        return container, answer

    def _grade(self, docname: str, entry: FaqRecord) -> float | None:
        """The answer's reading grade; the answer and the staff note of an entry for
        patients or staff must read at ``kb_max_grade`` or lower."""
        limit = float(self.config.kb_max_grade)
        grade = readability.grade(entry["answer"]) if entry["answer"] else None
        patient_facing = bool({"patient", "staff"} & set(entry["audience"]))
        if patient_facing and grade is not None and grade > limit:
            warn(docname, self.lineno, "readability", f"FAQ entry {entry['id']!r} reads at "
                 f"grade {grade:.1f}; patient- and staff-facing answers must be at most "
                 f"{limit:g}")
        note = entry["staff_note"]
        note_grade = readability.grade(note) if note else None
        if note_grade is not None and note_grade > limit:
            warn(docname, self.lineno, "readability", f"FAQ entry {entry['id']!r}: its "
                 f":staff: note reads at grade {note_grade:.1f}; staff-facing text must be "
                 f"at most {limit:g}")
        return grade

    def _check_closed(self, docname: str, entry_id: str) -> None:
        """An entry whose closing ``:::`` is missing swallows the rest of its page: the
        next entries and sections become part of its answer. Say so, where it starts."""
        for offset, line in enumerate(self.block_text.splitlines()[1:], start=1):
            if _OPENING.match(line) or _HEADING.match(line):
                what = "another FAQ entry" if _OPENING.match(line) else "a heading"
                warn(docname, self.lineno, "faq", f"FAQ entry {entry_id!r} is not closed: "
                     f"{what} (line {self.lineno + offset}) is inside its answer; end "
                     "the answer with a ':::' line")
                return

    def _meta_line(self, topic: str, audience: list[str], sources: list[str]) -> nodes.Node:
        meta = nodes.paragraph(classes=["kb-faq-meta"])
        topic_name = self.config.kb_topics.get(topic, topic)
        meta += nodes.inline("", f"Topic: {topic_name}", classes=["kb-faq-topic"])
        if audience:
            meta += nodes.Text(" · ")
            meta += nodes.inline("", "For: " + ", ".join(audience), classes=["kb-faq-aud"])
        if sources:
            meta += nodes.Text(" · Sources: ")
            for n, source_id in enumerate(sources):
                if n:
                    meta += nodes.Text(", ")
                ref = pending_xref("", refdomain="kb", reftype="src", reftarget=source_id,
                                   refexplicit=False, refwarn=False)
                ref += nodes.inline(source_id, source_id, classes=["kb-src"])
                meta += ref
        return meta


def setup(app: Sphinx) -> None:
    app.add_directive("faq", FaqDirective)
