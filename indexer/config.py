"""The extension's configuration values, declared once with their defaults."""

from __future__ import annotations

from sphinx.application import Sphinx

DEFAULT_TOPICS = {"general": "General"}
DEFAULT_AUDIENCES = ["patient", "staff", "physician"]


def setup(app: Sphinx) -> None:
    # Topic id -> display name. FAQ entries and pages must use one of these ids.
    app.add_config_value("kb_topics", DEFAULT_TOPICS, "env", types=[dict])
    app.add_config_value("kb_audiences", DEFAULT_AUDIENCES, "env", types=[list])
    # YAML file (relative to the source dir) of glossary terms and their lay words.
    app.add_config_value("kb_glossary", "", "env", types=[str])
    # The document whose {reference} entries are the only citable sources.
    app.add_config_value("kb_references_doc", "references", "env", types=[str])
    app.add_config_value("kb_feedback_email", "", "html", types=[str])
    # Where to write the Whoosh index; "" means next to the HTML output dir ("../index").
    app.add_config_value("kb_index_dir", "", "", types=[str])
    app.add_config_value("kb_write_index", True, "", types=[bool])
    # Highest Flesch-Kincaid grade allowed for patient- and staff-facing text.
    app.add_config_value("kb_max_grade", 8.0, "env", types=[float, int])
    # Days before the review date at which a page is reported as due soon (kb check).
    app.add_config_value("kb_today", "", "env", types=[str])  # ISO date; "" = today
    # Pages that need no review metadata (e.g. generated pages).
    app.add_config_value("kb_metadata_exempt", [], "env", types=[list])
