"""The clinic's contact settings on the build side: declares ``kb_clinic_phone`` and, after
an HTML build, records it and ``kb_feedback_email`` beside the search index so that
``prolo-kb check`` can list the ones still unset (:mod:`prolo_kb.placeholders`)."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from prolo_kb import placeholders

from . import config
from .writer import index_dir

logger = logging.getLogger("prolo_kb")

# What the leaflet prints where the phone number will go, until the clinic sets it.
PHONE_PLACEHOLDER = "[clinic phone number: not set yet]"


def clinic_phone(app: Sphinx) -> tuple[str, bool]:
    """(the phone number as printed, whether it is still the placeholder)."""
    value = str(app.config.kb_clinic_phone or "").strip()
    if placeholders.is_placeholder(value):
        return PHONE_PLACEHOLDER, True
    return value, False


def _record(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html" or not app.config.kb_write_index:
        return
    settings = {name: str(getattr(app.config, name, "") or "")
                for name in placeholders.SETTINGS}
    try:
        placeholders.record(index_dir(app), settings)
    except OSError as exc:
        logger.warning(f"clinic settings not recorded for `prolo-kb check`: {exc.strerror}",
                       type="kb", subtype="placeholders")


def setup(app: Sphinx) -> dict[str, Any]:
    config.setup(app)  # kb_clinic_phone (idempotent)
    app.connect("build-finished", _record)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
