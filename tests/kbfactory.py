"""Builders for small test indexes: FAQ entries, sections, pages and a glossary."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from prolo_kb.content import Document, GlossaryTerm, PageMeta
from prolo_kb.indexing import write_index


def faq(doc_id: str, question: str, answer: str, **extra: object) -> Document:
    fields: dict[str, object] = {
        "topic": "general", "audience": ("patient", "staff"), "sources": ("clinic-page",),
        "url": f"faq.html#faq-{doc_id}",
    }
    fields.update(extra)
    return Document(id=doc_id, kind="faq", title=question, text=answer, **fields)  # type: ignore[arg-type]


def section(doc_id: str, title: str, text: str, **extra: object) -> Document:
    fields: dict[str, object] = {"topic": "general", "audience": ("physician",),
                                 "url": f"{doc_id}.html"}
    fields.update(extra)
    return Document(id=doc_id, kind="section", title=title, text=text, **fields)  # type: ignore[arg-type]


SAMPLE_GLOSSARY = (
    GlossaryTerm("injection", "Medicine given with a needle.", ("shot", "jab")),
    GlossaryTerm("dextrose", "A simple sugar.", ("sugar water", "sugar solution")),
    GlossaryTerm("tendinitis", "A sore, swollen tendon.", ("tendonitis",)),
)

SAMPLE_DOCS = (
    faq("injection-interval", "How often are the injections given?",
        "Every four to six weeks, on a plan made for you.", topic="protocol"),
    faq("what-is-injected", "What is in the injection?",
        "A dextrose solution. Dextrose is a kind of sugar.", topic="mechanism"),
    faq("fever-after-injection", "I have a fever after my injection. What should I do?",
        "Call the clinic today. A clinician must see you.", topic="side-effects",
        escalate=True, urgency="same-day", signs=("fever", "chills", "high temperature")),
    faq("pain-worse-after-injection", "Is it normal for pain to be worse after the injection?",
        "Yes, for a day or three. Pain may go up for 24 to 72 hours.", topic="side-effects"),
    faq("ibuprofen", "Can I take ibuprofen after the injections?",
        "The clinic has not set its advice yet. Pass this question to a clinician.",
        topic="aftercare", status="policy-pending", sources=()),
    faq("tendinitis", "Can prolotherapy help chronic tendinitis?",
        "Chronic tendinitis is on the clinic's list of conditions it treats.",
        topic="indications"),
    section("protocol#schedule", "Session protocol › Schedule in trials",
            "Trial injections were given at weeks 1, 5 and 9. The clinic gives injections "
            "every four to six weeks.", topic="protocol"),
    section("side-effects#top", "Side effects",
            "Fullness, numbness and some minor pain where the injections went in.",
            topic="side-effects", audience=("patient", "staff")),
)

SAMPLE_PAGES = (
    PageMeta(docname="protocol", title="Session protocol", url="protocol.html",
             topic="protocol", audience=("physician",), last_reviewed="2026-11-01",
             next_review="2029-11-01", reviewed_by="Test Reviewer",
             literature_current_through="2026-10"),
)


def make_index(path: Path, docs: Iterable[Document] = SAMPLE_DOCS,
               glossary: Iterable[GlossaryTerm] = SAMPLE_GLOSSARY) -> Path:
    write_index(path, docs, pages=SAMPLE_PAGES, glossary=glossary,
                sources={"clinic-page": "Test Clinic, Prolotherapy"})
    return path
