"""prolo-kb build side: a Sphinx extension for the knowledge base.

It provides the directives and roles the content uses (``faq``, ``summary``,
``care-card``/``urgency``, ``reference``, ``glossary-table``, ``{src}``, ``{sort}``),
checks page metadata, collects FAQ entries and page sections per document, and writes
the Whoosh search index when the build finishes. It imports the runtime package
``prolo_kb`` for the schema and record types; never the other way round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from . import (
    callouts,
    collect,
    config,
    domain,
    faq,
    figures,
    glossary,
    language,
    metadata,
    references,
    searchpage,
    writer,
)

STATIC = Path(__file__).parent / "static"


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    config.setup(app)
    domain.setup(app)
    faq.setup(app)
    callouts.setup(app)
    references.setup(app)
    glossary.setup(app)
    figures.setup(app)
    language.setup(app)
    metadata.setup(app)
    collect.setup(app)
    writer.setup(app)
    app.connect("builder-inited", _add_static)
    app.add_css_file("kb.css")
    searchpage.setup(app)
    # Its own extension so a test root can list it on its own without registering twice.
    app.setup_extension("indexer.handout")
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
