"""The extension's configuration values (``kb_*`` in conf.py), declared once here with
their defaults, the types Sphinx checks them against, and what each is for."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from sphinx.application import Sphinx

DEFAULT_TOPICS = {"general": "General"}
DEFAULT_AUDIENCES = ["patient", "staff", "physician"]


class Value(NamedTuple):
    name: str
    default: Any
    rebuild: Literal["env", "html", ""]  # what a change rebuilds: pages, output, nothing
    types: tuple[type, ...]
    what: str


VALUES = (
    Value("kb_topics", DEFAULT_TOPICS, "env", (dict,),
          "topic id -> display name; FAQ entries and pages must use one of these ids"),
    Value("kb_audiences", DEFAULT_AUDIENCES, "env", (list,), "the audiences pages may name"),
    Value("kb_glossary", "", "env", (str,),
          "YAML file (relative to the source dir) of glossary terms and their lay words"),
    Value("kb_language", {}, "env", (dict,),
          "the language data files: shorthand, context (of warning signs), clinical words, "
          "framing"),
    Value("kb_subject", "", "env", (str,),
          "the word for what the knowledge base is about ('prolotherapy'): a question "
          "naming it, however typed, is never 'not covered'"),
    Value("kb_figures", "_data/figures.yaml", "env", (str,),
          "YAML file of the figures' numbers and words"),
    Value("kb_references_doc", "references", "env", (str,),
          "the document whose {reference} entries are the only citable sources"),
    Value("kb_feedback_email", "", "html", (str,),
          "where 'Report a problem with this page' mail goes"),
    Value("kb_clinic_phone", "", "env", (str,),
          "the clinic's phone for patients; '' until set (check lists it, the leaflet "
          "prints a marked placeholder)"),
    Value("kb_index_dir", "", "", (str,),
          "where to write the Whoosh index; '' means next to the HTML output ('../index')"),
    Value("kb_write_index", True, "", (bool,), "whether the HTML build writes the index"),
    Value("kb_max_grade", 8.0, "env", (float, int),
          "highest Flesch-Kincaid grade for patient- and staff-facing text"),
    Value("kb_today", "", "env", (str,),
          "ISO date the review checks count from; '' = today"),
    Value("kb_metadata_exempt", [], "env", (list,),
          "pages that need no review metadata (e.g. generated pages)"),
    Value("kb_handout", {}, "env", (dict,),
          "the physician handout: title, file, paper, max_pages, parts (indexer.handout)"),
    Value("kb_leaflet", {}, "env", (dict,),
          "the patient leaflet, the same shape as kb_handout; the search page links it"),
)


def setup(app: Sphinx) -> None:
    """Register every value; safe to call from each module that needs them."""
    for value in VALUES:
        if value.name not in app.config:
            app.add_config_value(value.name, value.default, value.rebuild,
                                 types=list(value.types), description=value.what)
