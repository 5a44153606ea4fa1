"""Located, typed warnings: every content problem names its file and line.

Each warning has type ``kb`` and a subtype (``faq``, ``metadata``, ``review``, ``source``,
``readability``, ``glossary``, ``care-card``), so a project could silence one kind with
``suppress_warnings = ["kb.readability"]`` — this one never does.
"""

from __future__ import annotations

from sphinx.util import logging

logger = logging.getLogger("prolo_kb")


def warn(docname: str, lineno: int | None, subtype: str, message: str) -> None:
    location = (docname, lineno) if lineno else docname
    logger.warning(message, location=location, type="kb", subtype=subtype)
