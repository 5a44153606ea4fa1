"""Reading grade of patient- and staff-facing text, measured with textstat."""

from __future__ import annotations

import re

import textstat

_LIST_ITEM = re.compile(r"\n\s*\n")


def grade(text: str) -> float | None:
    """Flesch-Kincaid grade of ``text``; None when there is too little text to grade.

    Paragraphs and list items without a full stop are counted as sentences of their own,
    as a reader takes them.
    """
    parts = [p.strip() for p in _LIST_ITEM.split(text) if p.strip()]
    if not parts:
        return None
    sentences = [p if p[-1] in ".!?:" else p + "." for p in parts]
    return float(textstat.flesch_kincaid_grade(" ".join(sentences)))
