"""Page review metadata from front matter: checked with located warnings, kept per
document, and rendered at the foot of the page with a "report a problem" link.

Front matter keys: ``topic``, ``audience``, ``last_reviewed``, ``next_review``,
``reviewed_by``, and for pages read by physicians ``literature_current_through``.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from docutils import nodes
from sphinx.application import Sphinx

from prolo_kb.content import parse_date

from .domain import PageRecord, get_domain
from .report import warn

REQUIRED = ("topic", "audience", "last_reviewed", "next_review", "reviewed_by")
MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
FRONT_MATTER_LINE = 1


def today(app: Sphinx) -> date:
    configured = app.config.kb_today
    return date.fromisoformat(configured) if configured else date.today()


def human_date(value: str) -> str:
    """``2026-11-24`` -> ``24 November 2026``; ``2026-11`` -> ``November 2026``."""
    parts = value.split("-")
    try:
        if len(parts) == 3:
            return date.fromisoformat(value).strftime("%-d %B %Y")
        if len(parts) == 2:
            return date(int(parts[0]), int(parts[1]), 1).strftime("%B %Y")
    except ValueError:
        pass
    return value


def page_title(doctree: nodes.document) -> str:
    for title in doctree.findall(nodes.title):
        return str(title.astext())
    return ""


def check_metadata(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    if docname in app.config.kb_metadata_exempt:
        return
    meta = {k: str(v).strip() for k, v in env.metadata.get(docname, {}).items()}
    line = FRONT_MATTER_LINE
    missing = [key for key in REQUIRED if not meta.get(key)]
    if missing:
        warn(docname, line, "metadata", f"page metadata is missing {', '.join(missing)}")
    audience = [a.strip() for a in meta.get("audience", "").split(",") if a.strip()]
    for who in audience:
        if who not in app.config.kb_audiences:
            warn(docname, line, "metadata", f"unknown audience {who!r}")
    topic = meta.get("topic", "")
    if topic and topic not in app.config.kb_topics:
        warn(docname, line, "metadata", f"unknown topic {topic!r}")
    last = parse_date(meta.get("last_reviewed", ""))
    due = parse_date(meta.get("next_review", ""))
    if meta.get("last_reviewed") and last is None:
        warn(docname, line, "metadata", "last_reviewed must be a date (YYYY-MM-DD)")
    if meta.get("next_review") and due is None:
        warn(docname, line, "metadata", "next_review must be a date (YYYY-MM-DD)")
    now = today(app)
    if last and last > now:
        warn(docname, line, "metadata", f"last_reviewed {last} is in the future")
    if last and due and due <= last:
        warn(docname, line, "metadata", "next_review must come after last_reviewed")
    if due and due < now:
        warn(docname, line, "review", f"review overdue: next review was due {due} "
             f"(reviewer: {meta.get('reviewed_by') or 'unknown'})")
    literature = meta.get("literature_current_through", "")
    if "physician" in audience and not literature:
        warn(docname, line, "metadata", "pages for physicians need "
             "literature_current_through (YYYY-MM)")
    if literature and not MONTH.match(literature):
        warn(docname, line, "metadata", "literature_current_through must be YYYY-MM")

    title = page_title(doctree)
    record: PageRecord = {
        "title": title,
        "topic": topic or "general",
        "audience": audience,
        "last_reviewed": meta.get("last_reviewed", ""),
        "next_review": meta.get("next_review", ""),
        "reviewed_by": meta.get("reviewed_by", ""),
        "literature_current_through": literature,
    }
    get_domain(env).pages[docname] = record
    _append_footer(app, doctree, record)


def _append_footer(app: Sphinx, doctree: nodes.document, page: PageRecord) -> None:
    footer = nodes.container(classes=["kb-review"])
    facts = nodes.paragraph(classes=["kb-review-dates"])
    items = [
        ("Page last reviewed", human_date(page["last_reviewed"])),
        ("Next review due", human_date(page["next_review"])),
        ("Reviewed by", page["reviewed_by"]),
    ]
    if page["literature_current_through"]:
        items.append(("Literature current through",
                      human_date(page["literature_current_through"])))
    for n, (label, value) in enumerate(items):
        if n:
            facts += nodes.Text(" · ")
        facts += nodes.strong(f"{label}:", f"{label}:")
        facts += nodes.Text(f" {value or 'not set'}")
    footer += facts
    email = app.config.kb_feedback_email
    if email:
        subject = f"Problem with page: {page['title']}"
        body = (f"Page: {page['title']} ({app.env.docname})\n"
                f"Last reviewed: {page['last_reviewed']}\n\nWhat is wrong:\n")
        uri = f"mailto:{email}?subject={quote(subject)}&body={quote(body)}"
        link = nodes.reference("", "Report a problem with this page", refuri=uri,
                               classes=["kb-report"])
        footer += nodes.paragraph("", "", link)
    sections = [s for s in doctree.children if isinstance(s, nodes.section)]
    (sections[-1] if sections else doctree).append(footer)


def setup(app: Sphinx) -> None:
    # Before collect (priority 500) so the page record exists when sections are collected.
    app.connect("doctree-read", check_metadata, priority=450)
