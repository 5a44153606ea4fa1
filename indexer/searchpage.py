"""The search page's enhancement: Whoosh results in the site's own search page.

Adds ``kb-search.js`` (deferred) and ``kb-search.css`` to every page: on every page the
script gives the "/" shortcut to the theme's search box; on the ``search`` page it asks
``api/health`` whether ``prolo-kb serve`` is behind the site and, if so, shows the
Whoosh results (filters, badges, expandable answers) instead of Sphinx's own search.
Opened from plain files, or from any other server, the page keeps Sphinx's search.

The search page also gets a ``<meta name="kb-search">`` tag with the topic names, the
audiences, the badge wording, the urgency actions (``prolo_kb.content.URGENCIES``), each
page's title and review date (for "Source: ..." under a copied answer) and the patient
leaflet's address when ``kb_leaflet`` names its file, so they are written once
(``conf.py``, ``faq.py``, the pages) and need neither an inline script (the server's
Content-Security-Policy forbids unhashed ones) nor a second request.

Every page also gets ``kb-theme.js`` (fixes to the theme's behaviour: the phone menus,
a scroll cue on wide tables) and the favicon. The theme's ``scripts/fontawesome.js``
(1.5 MB, for custom icons we do not use) is replaced by an empty file of the same name,
and its solid icon font by a subset with the glyphs the theme shows: see
``static/scripts/fontawesome.js``.
"""

from __future__ import annotations

import hashlib
import json
from html import escape
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from prolo_kb.content import URGENCIES

from . import a11y
from .domain import get_domain
from .faq import ESCALATE_BADGE, PENDING_BADGE

SCRIPT = "kb-search.js"
THEME_SCRIPT = "kb-theme.js"
STYLESHEET = "kb-search.css"
FAVICON = "kb-favicon.svg"
# Answers a patient leaflet goes with (the leaflet covers aftercare, side effects and
# when to get help); ``kb_leaflet["topics"]`` may change them.
LEAFLET_TOPICS = ("aftercare", "side-effects", "safety")
META_NAME = "kb-search"
HERE = Path(__file__).parent


def assets_digest() -> str:
    """A digest of what this module (and a11y) put into every page.

    Registered as an "html" config value, so that when it changes, Sphinx's incremental
    build rewrites every page instead of only the changed ones: the script tag, the
    meta tag and the sidebar fix are in pages whose sources did not change.
    """
    digest = hashlib.sha256()
    for path in (HERE / "searchpage.py", HERE / "a11y.py", HERE / "static" / SCRIPT,
                 HERE / "static" / THEME_SCRIPT, HERE / "static" / STYLESHEET):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def search_options(app: Sphinx) -> dict[str, Any]:
    """What the search page's script needs to label filters and badges."""
    topics = app.config.kb_topics
    options: dict[str, Any] = {
        "topics": {str(k): str(v) for k, v in topics.items()},
        "audiences": [str(a) for a in app.config.kb_audiences],
        "badges": {"escalate": ESCALATE_BADGE, "pending": PENDING_BADGE},
        "urgencies": dict(URGENCIES),
        "pages": page_sources(app),
    }
    leaflet = app.config.kb_leaflet or {}
    target = str(leaflet.get("url") or leaflet.get("file") or "").strip()
    if target:
        options["leaflet"] = {"url": target,
                              "topics": list(leaflet.get("topics") or LEAFLET_TOPICS)}
    return options


def page_sources(app: Sphinx) -> dict[str, list[str]]:
    """Page address -> [title, last reviewed]: the "Source:" line of a copied answer
    when the search result does not carry them itself."""
    found: dict[str, list[str]] = {}
    builder = app.builder
    for docname, page in sorted(get_domain(app.env).pages.items()):
        if page.get("title") and page.get("last_reviewed"):
            found[builder.get_target_uri(docname)] = [page["title"], page["last_reviewed"]]
    return found


def _page_context(app: Sphinx, pagename: str, templatename: str,
                  context: dict[str, Any], doctree: object) -> None:
    if pagename != "search":
        return
    data = json.dumps(search_options(app), ensure_ascii=False)
    tag = f'<meta name="{META_NAME}" content="{escape(data, quote=True)}" />\n'
    context["metatags"] = context.get("metatags", "") + tag


def _favicon(app: Sphinx, config: Any) -> None:
    if not config.html_favicon:
        config.html_favicon = str(HERE / "static" / FAVICON)


def setup(app: Sphinx) -> None:
    app.add_config_value("kb_page_assets", assets_digest(), "html", types=[str])
    app.connect("config-inited", _favicon)
    # The files live in indexer/static, which the extension adds to html_static_path.
    app.add_js_file(THEME_SCRIPT, loading_method="defer")
    app.add_js_file(SCRIPT, loading_method="defer")
    app.add_css_file(STYLESHEET)
    app.connect("html-page-context", _page_context)
    # axe-core must find no WCAG AA violation on the pages the search leads to; the
    # theme's sidebar needs one fix for that. (Its own module; set up here so that
    # indexer/__init__.py needs only the searchpage line.)
    a11y.setup(app)
