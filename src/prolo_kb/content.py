"""Record types shared by the build side (which writes them) and the runtime (which reads).

A :class:`Document` is one searchable unit: an FAQ entry or a page section. A
:class:`PageMeta` is a page's review metadata. Both round-trip through plain dicts so the
index manifest and ``prolo-kb export`` can carry them as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

Kind = Literal["faq", "section"]
KINDS: tuple[Kind, ...] = ("faq", "section")
STATUSES = ("approved", "policy-pending")
AUDIENCES = ("patient", "staff", "physician")
# How soon an escalation entry's warning signs need a clinician, most urgent first, with
# the action staff read out: the same words on the page, in search and on the leaflet.
URGENCIES = {
    "emergency": "Call emergency services now",
    "same-day": "Pass to a clinician today",
}


def parse_date(value: str) -> date | None:
    """An ISO date of page metadata ("2026-11-24"), or None if it is not one."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


class Document(NamedTuple):
    """One searchable unit of the knowledge base. (The records here are NamedTuples, not
    dataclasses: each dataclass costs a search in a new process ~1 ms to create.)"""

    id: str
    kind: Kind
    title: str  # the question of an FAQ entry; "Page title: Section title" of a section
    text: str  # the answer of an FAQ entry, the body of a section (plain text)
    url: str  # relative to the site root, with the anchor
    topic: str
    audience: tuple[str, ...] = ()
    escalate: bool = False
    status: str = "approved"
    sources: tuple[str, ...] = ()
    signs: tuple[str, ...] = ()  # warning signs an escalation entry covers, in lay words
    also: tuple[str, ...] = ()  # other ways people ask an FAQ entry's question
    page: str = ""  # docname of the page that holds it
    source_file: str = ""  # "docs/faq/sessions.md:12", for located reports
    grade: float | None = None  # Flesch-Kincaid grade of the text, measured at build time
    urgency: str | None = None  # an escalation entry's level: a key of URGENCIES
    staff_note: str = ""  # instructions for staff only: shown to staff, never copied out

    @property
    def patient_facing(self) -> bool:
        return bool({"patient", "staff"} & set(self.audience))

    def to_dict(self) -> dict[str, Any]:
        data = self._asdict()
        for key in ("audience", "sources", "signs", "also"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            id=str(data["id"]),
            kind="faq" if data["kind"] == "faq" else "section",
            title=str(data["title"]),
            text=str(data["text"]),
            url=str(data["url"]),
            topic=str(data["topic"]),
            audience=tuple(data.get("audience", ())),
            escalate=bool(data.get("escalate", False)),
            status=str(data.get("status", "approved")),
            sources=tuple(data.get("sources", ())),
            signs=tuple(data.get("signs", ())),
            also=tuple(data.get("also", ())),
            page=str(data.get("page", "")),
            source_file=str(data.get("source_file", "")),
            grade=None if data.get("grade") is None else float(data["grade"]),
            urgency=None if data.get("urgency") is None else str(data["urgency"]),
            staff_note=str(data.get("staff_note", "")),
        )


class PageMeta(NamedTuple):
    """Review metadata of one page, from its front matter."""

    docname: str
    title: str
    url: str
    topic: str
    audience: tuple[str, ...]
    last_reviewed: str  # ISO date
    next_review: str  # ISO date
    reviewed_by: str
    literature_current_through: str = ""
    source_file: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["audience"] = list(self.audience)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageMeta:
        return cls(
            docname=str(data["docname"]),
            title=str(data["title"]),
            url=str(data["url"]),
            topic=str(data["topic"]),
            audience=tuple(data.get("audience", ())),
            last_reviewed=str(data["last_reviewed"]),
            next_review=str(data["next_review"]),
            reviewed_by=str(data["reviewed_by"]),
            literature_current_through=str(data.get("literature_current_through", "")),
            source_file=str(data.get("source_file", "")),
        )


class GlossaryTerm(NamedTuple):
    """A clinical term and the lay words patients use for it."""

    term: str
    definition: str
    lay: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "definition": self.definition, "lay": list(self.lay)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GlossaryTerm:
        return cls(
            term=str(data["term"]),
            definition=str(data.get("definition", "")),
            lay=tuple(str(x) for x in data.get("lay", ())),
        )


class ShorthandContext(NamedTuple):
    """Another meaning of a shorthand next to certain words: "pt" is "patient", but
    "physical therapy" after "going to" or before "exercises"."""

    means: str
    following: tuple[str, ...] = ()  # the word before the shorthand
    followed_by: tuple[str, ...] = ()  # the word after it


class Language(NamedTuple):
    """How staff and patients talk, as data from docs/_data (read by the search).

    ``shorthand``: staff abbreviations and what they stand for ("pt" -> "patient");
    ``shorthand_context``: another meaning some have next to certain words;
    ``units``: shorthand only after a number ("48h", "3 x a week");
    ``context``: ConText trigger phrases by category ("negated", "historical",
    "hypothetical") and direction ("before" a sign, "after" it, "right_after", "next"),
    and the pseudo-triggers under ``context["pseudo"]["any"]``;
    ``terminators``: words that end a trigger's scope;
    ``clinical``: words that mark a query as a clinician's;
    ``subject``: what the knowledge base is about ("prolotherapy"; ``kb_subject``);
    ``askers`` and ``asks``: the words of a frame around a question ("pt asking",
    "my husband wants to know"), and ``purposes`` what it is for ("for a referral
    letter"), which ranking leaves out;
    ``offer``: the frame asking whether the clinic offers something ("do you do", "does
    the clinic sell"): ``by`` and ``verbs``, and the words after it that mean the base's
    own treatment (``ours``) or information about it (``information``).
    """

    shorthand: Mapping[str, str] = MappingProxyType({})
    context: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({})
    terminators: tuple[str, ...] = ()
    clinical: tuple[str, ...] = ()
    # (entry id, °F, °C): a temperature at or above these is that entry's fever sign
    fever_reading: tuple[str, float, float] | None = None
    subject: str = ""
    shorthand_context: Mapping[str, ShorthandContext] = MappingProxyType({})
    askers: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    units: Mapping[str, str] = MappingProxyType({})
    offer: Mapping[str, tuple[str, ...]] = MappingProxyType({})

    def to_dict(self) -> dict[str, Any]:
        return {
            "shorthand": dict(self.shorthand),
            "context": {kind: {way: list(p) for way, p in ways.items()}
                        for kind, ways in self.context.items()},
            "terminators": list(self.terminators),
            "clinical": list(self.clinical),
            "fever_reading": list(self.fever_reading) if self.fever_reading else None,
            "subject": self.subject,
            "shorthand_context": {short: [c.means, list(c.following), list(c.followed_by)]
                                  for short, c in self.shorthand_context.items()},
            "askers": list(self.askers),
            "asks": list(self.asks),
            "purposes": list(self.purposes),
            "units": dict(self.units),
            "offer": {key: list(words) for key, words in self.offer.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Language:
        return cls(
            shorthand={str(k): str(v) for k, v in data.get("shorthand", {}).items()},
            context={str(kind): {str(way): tuple(str(p) for p in phrases)
                                 for way, phrases in ways.items()}
                     for kind, ways in data.get("context", {}).items()},
            terminators=tuple(str(t) for t in data.get("terminators", ())),
            clinical=tuple(str(c) for c in data.get("clinical", ())),
            fever_reading=(None if not data.get("fever_reading") else (
                str(data["fever_reading"][0]), float(data["fever_reading"][1]),
                float(data["fever_reading"][2]))),
            subject=str(data.get("subject", "")),
            shorthand_context={
                str(short): ShorthandContext(str(means), tuple(map(str, following)),
                                             tuple(map(str, followed_by)))
                for short, (means, following, followed_by)
                in data.get("shorthand_context", {}).items()},
            askers=tuple(str(w) for w in data.get("askers", ())),
            asks=tuple(str(w) for w in data.get("asks", ())),
            purposes=tuple(str(w) for w in data.get("purposes", ())),
            units={str(k): str(v) for k, v in data.get("units", {}).items()},
            offer={str(k): tuple(str(w) for w in v) for k, v in data.get("offer", {}).items()},
        )
