"""The physician handout: a one-to-two-page PDF assembled from sections of the site's own
pages (no second copy of the text), laid out with HTML and print CSS by WeasyPrint.

``kb_handout`` in conf.py names the handout's parts, each a heading and the page
sections it is made of (``"docname#section-id"``, the anchors the site uses)::

    kb_handout = {
        "title": "Prolotherapy: protocol and evidence for referring physicians",
        "parts": [
            ("Session protocol", ["protocol#the-clinic-s-protocol"]),
            ...
        ],
    }

- ``sphinx-build -b handout docs build/handout`` (``make pdf``) writes the PDF alone.
- The HTML build writes the same PDF into the site and links to it from the pages for
  physicians and from the pages the handout is made from, so the link is never broken
  and the PDF never older than the pages.

Citations become links to a sources list at the end of the handout; links to other pages
become plain text (or absolute links when ``html_baseurl`` is set). The review dates are
the pages' own: the earliest "next review" and "literature current through" of the pages
used. A handout longer than ``max_pages`` is a ``kb.handout`` warning, which fails a
``-W`` build.

This module is an extension of its own: ``indexer`` loads it with
``app.setup_extension("indexer.handout")``; it relies on the ``kb`` domain of ``indexer``.
"""

from __future__ import annotations

import hashlib
import html
import inspect
import os
import re
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from .domain import PageRecord, get_domain, source_anchor
from .metadata import human_date
from .report import warn

logger = logging.getLogger("prolo_kb")

STYLESHEET = Path(__file__).parent / "static" / "kb-handout-pdf.css"
PAPER_SIZES = ("letter", "A4")
DEFAULT_FILE = "physician-handout.pdf"
LINK_TEXT = "Physician handout (PDF)"
LINK_NOTE = ": the protocol, evidence labels, recovery groups and warning signs, ready to print."
# Sphinx 8.2 added ``tags`` to get_and_resolve_doctree (and will require it in Sphinx 11).
_RESOLVE_TAKES_TAGS = "tags" in inspect.signature(
    BuildEnvironment.get_and_resolve_doctree).parameters
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FILE_NAME = re.compile(r"^[\w.-]+\.pdf$")


# --- Configuration ----------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One part of the handout: a heading and the page sections it shows, in order."""

    heading: str
    sections: tuple[tuple[str, str], ...]  # (docname, section id)


@dataclass(frozen=True)
class HandoutConfig:
    """``kb_handout``, validated."""

    title: str
    parts: tuple[Part, ...]
    subtitle: str = ""
    file: str = DEFAULT_FILE
    paper: str = "letter"
    max_pages: int = 2
    in_site: bool = True

    @property
    def docnames(self) -> list[str]:
        """The pages the handout is made from, in order of first use."""
        seen: dict[str, None] = {}
        for part in self.parts:
            for docname, _anchor in part.sections:
                seen.setdefault(docname, None)
        return list(seen)

    @classmethod
    def parse(cls, value: object) -> HandoutConfig | None:
        """``None`` when no handout is configured; :class:`ConfigError` when malformed."""
        if not value:
            return None
        if not isinstance(value, dict):
            raise ConfigError("kb_handout must be a dict with 'title' and 'parts'")
        known = {"title", "subtitle", "parts", "file", "paper", "max_pages", "in_site"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ConfigError(f"kb_handout has unknown keys: {', '.join(unknown)}")
        title = value.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ConfigError("kb_handout needs a 'title'")
        file = value.get("file", DEFAULT_FILE)
        if not isinstance(file, str) or not _FILE_NAME.match(file):
            raise ConfigError(f"kb_handout 'file' must be a file name ending in .pdf, "
                              f"not {file!r}")
        paper = value.get("paper", "letter")
        if paper not in PAPER_SIZES:
            raise ConfigError(f"kb_handout 'paper' must be one of {', '.join(PAPER_SIZES)}")
        max_pages = value.get("max_pages", 2)
        if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
            raise ConfigError("kb_handout 'max_pages' must be a whole number of at least 1")
        return cls(title=title.strip(), parts=tuple(_parts(value.get("parts"))),
                   subtitle=str(value.get("subtitle", "")).strip(), file=file, paper=paper,
                   max_pages=max_pages, in_site=bool(value.get("in_site", True)))


def _parts(value: object) -> Iterator[Part]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError("kb_handout 'parts' must be a list of (heading, [sections])")
    for n, item in enumerate(value, start=1):
        if (not isinstance(item, (list, tuple)) or len(item) != 2
                or not isinstance(item[0], str) or not isinstance(item[1], (list, tuple))
                or not item[1]):
            raise ConfigError(f"kb_handout part {n} must be (heading, [\"doc#section\", ...])")
        sections = []
        for ref in item[1]:
            docname, _, anchor = str(ref).partition("#")
            if not docname or not anchor:
                raise ConfigError(f"kb_handout part {n}: {ref!r} must be 'docname#section-id'")
            sections.append((docname.strip(), anchor.strip()))
        yield Part(heading=item[0].strip(), sections=tuple(sections))


def handout_config(app: Sphinx) -> HandoutConfig | None:
    return HandoutConfig.parse(app.config.kb_handout)


def _validate(app: Sphinx, config: Any) -> None:
    HandoutConfig.parse(config.kb_handout)  # raise at start-up, not after reading


# --- Assembling the handout from the doctrees -------------------------------------------

@dataclass
class _Sources:
    """The sources the handout cites, numbered in order of first citation."""

    order: list[str]
    labels: dict[str, str]


def _find_section(doctree: nodes.document, anchor: str) -> nodes.section | None:
    for section in doctree.findall(nodes.section):
        if anchor in section["ids"]:
            return section
    return None


def _section_ids(doctree: nodes.document) -> list[str]:
    return [s["ids"][0] for s in doctree.findall(nodes.section) if s["ids"]]


def _has_class(node: nodes.Node, name: str) -> bool:
    return isinstance(node, nodes.Element) and name in node.get("classes", [])


# Not for paper: the review footer (the handout has its own), links to the handout itself,
# permalinks, and what the reader never sees on the page.
_DROPPED_CLASSES = frozenset({"kb-review", "kb-handout-link", "headerlink"})


def _dropped(node: nodes.Element) -> bool:
    return bool(_DROPPED_CLASSES & set(node.get("classes", []))) or isinstance(
        node, (nodes.system_message, nodes.comment, nodes.target))


class _Assembler:
    """Turns the configured sections into HTML fragments with the builder's translator."""

    def __init__(self, app: Sphinx, builder: StandaloneHTMLBuilder) -> None:
        self.app = app
        self.builder = builder
        self.domain = get_domain(app.env)
        self.references = self.domain.all_references()
        self.anchors = {source_anchor(sid): sid for sid in self.references}
        self.sources = _Sources(order=[], labels={})
        self.pages: dict[str, PageRecord] = {}
        self._doctrees: dict[str, nodes.document] = {}

    def doctree(self, docname: str) -> nodes.document:
        if docname not in self._doctrees:
            env = self.app.env
            self._doctrees[docname] = (
                env.get_and_resolve_doctree(docname, self.builder, tags=self.builder.tags)
                if _RESOLVE_TAKES_TAGS else env.get_and_resolve_doctree(docname, self.builder))
        return self._doctrees[docname]

    def section(self, docname: str, anchor: str) -> tuple[str, str] | None:
        """(title, HTML body) of one section, or None (with a warning) if it is missing."""
        if docname not in self.app.env.found_docs:
            warn(docname, None, "handout", f"kb_handout names {docname}#{anchor}, but there "
                 f"is no page {docname!r}")
            return None
        doctree = self.doctree(docname)
        section = _find_section(doctree, anchor)
        if section is None:
            warn(docname, None, "handout", f"kb_handout names section {anchor!r}, which "
                 f"{docname} does not have (its sections: {', '.join(_section_ids(doctree))})")
            return None
        if docname in self.domain.pages:
            self.pages[docname] = self.domain.pages[docname]
        title = section.children[0].astext() if section.children else anchor
        body = nodes.container(classes=["kb-handout-body"])
        for child in section.children[1:]:
            body += child.deepcopy()
        self._clean(body, docname)
        return title, self.builder.render_partial(body)["fragment"]

    def _clean(self, body: nodes.Element, docname: str) -> None:
        for node in [n for n in body.findall(nodes.Element) if _dropped(n)]:
            if node.parent is not None:
                node.parent.remove(node)
        for xref in list(body.findall(pending_xref)):  # unresolved: keep the words
            xref.replace_self(nodes.inline("", "", *xref.children))
        for ref in list(body.findall(nodes.reference)):
            self._relink(ref, docname)

    def _relink(self, ref: nodes.reference, docname: str) -> None:
        uri = ref.get("refuri", "")
        if not uri or _SCHEME.match(uri):
            return  # external (or mailto:): keep
        anchor = uri.partition("#")[2]
        if anchor in self.anchors:
            source_id = self.anchors[anchor]
            if source_id not in self.sources.labels:
                self.sources.order.append(source_id)
                self.sources.labels[source_id] = ref.astext().strip("() ")
            ref["refuri"] = f"#{anchor}"
            return
        base = self.app.config.html_baseurl
        if base:
            page = urljoin(base.rstrip("/") + "/", self.builder.get_target_uri(docname))
            ref["refuri"] = urljoin(page, uri)
        else:  # a link to another page of the site means nothing on paper
            ref.replace_self(nodes.inline("", "", *ref.children))


def _review_facts(pages: Iterable[PageRecord]) -> list[tuple[str, str]]:
    """The review facts of the pages used, as (label, value): for each date the earliest
    of the pages (the one that binds the whole handout), and every reviewer."""
    records = list(pages)
    reviewed = sorted(p["last_reviewed"] for p in records if p["last_reviewed"])
    due = sorted(p["next_review"] for p in records if p["next_review"])
    literature = sorted(p["literature_current_through"] for p in records
                        if p["literature_current_through"])
    reviewers = sorted({p["reviewed_by"] for p in records if p["reviewed_by"]})
    facts = []
    if reviewed:
        facts.append(("Reviewed", human_date(reviewed[0])
                      + (f" by {'; '.join(reviewers)}" if reviewers else "")))
    if due:
        facts.append(("Next review due", human_date(due[0])))
    if literature:
        facts.append(("Literature current through", human_date(literature[0])))
    return facts


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


_URL = re.compile(r"(https?://[^\s<]+[^\s<.,;)])")


def _sources_html(assembler: _Assembler) -> str:
    """The sources the handout cites, in full, in order of first citation."""
    items = []
    for source_id in assembler.sources.order:
        citation = _URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>',
                            html.escape(assembler.references[source_id][1]))
        items.append(f'<li id="{html.escape(source_anchor(source_id))}">'
                     f'<span class="src-label">{html.escape(assembler.sources.labels[source_id])}'
                     f"</span> {citation}</li>")
    if not items:
        return ""
    return ('<section class="part sources" id="sources"><h2>Sources</h2>'
            f'<ul class="source-list">{"".join(items)}</ul></section>')


def _masthead(app: Sphinx, config: HandoutConfig, review: list[tuple[str, str]]) -> str:
    esc = html.escape
    author = str(app.config.author or "")
    subtitle = config.subtitle
    if not subtitle and app.config.project:
        subtitle = f"From the {app.config.project}"
        if app.config.html_baseurl:
            subtitle += f", {app.config.html_baseurl}"
    facts = " ".join(f'<span class="fact"><b>{esc(label)}:</b> {esc(value)}</span>'
                     for label, value in review)
    return (f'<header class="masthead"><p class="org">{esc(author)}</p>'
            f"<h1>{esc(config.title)}</h1>"
            + (f'<p class="subtitle">{esc(subtitle)}</p>' if subtitle else "")
            + f'<p class="review">{facts}</p></header>')


def handout_html(app: Sphinx, builder: StandaloneHTMLBuilder, config: HandoutConfig) -> str:
    """The handout as one HTML document, ready for WeasyPrint."""
    esc = html.escape
    assembler = _Assembler(app, builder)
    body: list[str] = []
    for n, part in enumerate(config.parts, start=1):
        pieces = []
        for docname, anchor in part.sections:
            found = assembler.section(docname, anchor)
            if found is None:
                continue
            title, fragment = found
            heading = f"<h3>{esc(title)}</h3>" if len(part.sections) > 1 else ""
            pieces.append(f'<div class="piece" data-source="{esc(docname)}#{esc(anchor)}">'
                          f"{heading}{fragment}</div>")
        body.append(f'<section class="part part-{n}" id="part-{n}">'
                    f"<h2>{esc(part.heading)}</h2>{''.join(pieces)}</section>")
    body.append(_sources_html(assembler))
    email = str(app.config.kb_feedback_email or "")
    if email:
        body.append(f'<p class="feedback">Report a problem with this handout: '
                    f'<a href="mailto:{esc(email)}">{esc(email)}</a></p>')
    review = _review_facts(assembler.pages[d] for d in config.docnames
                           if d in assembler.pages)
    author = str(app.config.author or "")
    footer = " · ".join(x for x in (author, config.title) if x)
    page_css = (
        f"@page {{ size: {config.paper}; "
        f"@bottom-left {{ content: {_css_string(footer)}; }} "
        f"@bottom-right {{ content: \"Page \" counter(page) \" of \" counter(pages); }} }}"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(str(app.config.language or "en"))}"><head><meta charset="utf-8">'
        f"<title>{esc(config.title)}</title>"
        f'<meta name="author" content="{esc(author)}">'
        '<meta name="generator" content="prolo-kb handout">'
        f"<style>{STYLESHEET.read_text(encoding='utf-8')}</style><style>{page_css}</style>"
        f"</head><body>{_masthead(app, config, review)}<main>{''.join(body)}</main>"
        "</body></html>\n"
    )


# --- Rendering the PDF ------------------------------------------------------------------

class HandoutUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it needs) cannot be loaded."""


def render_pdf(document_html: str, target: Path, *, base_url: str) -> int:
    """Lay out ``document_html`` and write the PDF atomically; return its page count."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]  # only handouts need it
    except (ImportError, OSError) as exc:
        raise HandoutUnavailable(
            f"WeasyPrint cannot be loaded ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
            "install it with `pip install -e '.[docs]'` and the Pango library with "
            "`apt-get install libpango-1.0-0 libpangoft2-1.0-0`") from None
    document = HTML(string=document_html, base_url=base_url).render()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        document.write_pdf(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return len(document.pages)


def write_handout(app: Sphinx, builder: StandaloneHTMLBuilder, config: HandoutConfig,
                  target: Path) -> int | None:
    """Assemble and render the handout into ``target``; its page count, or None if it
    could not be rendered (reported as a ``kb.handout`` warning)."""
    document_html = handout_html(app, builder, config)
    stamp = Path(app.doctreedir) / f"{target.name}.sha256"  # out of the published site
    digest = hashlib.sha256(document_html.encode()).hexdigest()
    try:
        recorded = stamp.read_text(encoding="utf-8").split()
        if target.is_file() and len(recorded) == 2 and recorded[0] == digest:
            return int(recorded[1])  # unchanged since the last render
    except (OSError, ValueError):
        pass
    try:
        pages = render_pdf(document_html, target, base_url=str(app.srcdir))
    except HandoutUnavailable as exc:
        logger.warning(f"physician handout not written: {exc}", type="kb", subtype="handout")
        return None
    if pages > config.max_pages:
        logger.warning(f"the physician handout {target.name} is {pages} pages long; it "
                       f"must fit on {config.max_pages} (shorten its sections or drop one "
                       f"from kb_handout in conf.py)", type="kb", subtype="handout")
    else:
        stamp.write_text(f"{digest} {pages}\n", encoding="utf-8")
    logger.info(f"physician handout: {pages} page{'s' if pages != 1 else ''} -> {target}")
    return pages


# --- The builder, the site hook and the links -------------------------------------------

class HandoutBuilder(StandaloneHTMLBuilder):
    """``-b handout``: reads the docs and writes only the physician handout PDF."""

    name = "handout"
    format = "handout"  # not "html": no site pages, no search index
    epilog = "The physician handout is in %(outdir)s."

    def get_theme_config(self) -> tuple[str, dict[str, str | int | bool]]:
        return "basic", {}  # the handout has its own layout; no site theme to load

    def init(self) -> None:
        super().init()
        self.search = False
        self.copysource = False

    def get_outdated_docs(self) -> Iterator[str]:
        yield from sorted(self.env.found_docs)  # cheap: only the handout is written

    def prepare_writing(self, docnames: Set[str]) -> None:
        pass  # no pages, so no page context, search index or sources to prepare

    def copy_assets(self) -> None:
        pass

    def write_documents(self, docnames: Set[str]) -> None:
        pass

    def finish(self) -> None:
        config = handout_config(self._app)
        if config is None:
            logger.warning("no physician handout to build: set kb_handout in conf.py",
                           type="kb", subtype="handout")
            return
        write_handout(self._app, self, config, Path(self.outdir) / config.file)


def _site_handout(app: Sphinx, exception: BaseException | None) -> None:
    """After an HTML build, put the handout into the site the pages link to."""
    if exception is not None or app.builder.name != "html":
        return
    config = handout_config(app)
    if config is None or not config.in_site:
        return
    assert isinstance(app.builder, StandaloneHTMLBuilder)
    write_handout(app, app.builder, config, Path(app.outdir) / config.file)


def _links_to_handout(app: Sphinx, docname: str, config: HandoutConfig) -> tuple[bool, bool]:
    """Where a page links to the handout: (at the top, in the review footer).

    Pages for physicians and not for patients (the physician pages) link at the top;
    every page for physicians that the handout is made from links in its footer.
    """
    page = get_domain(app.env).pages.get(docname)
    audience = set(page["audience"]) if page else set()
    if "physician" not in audience:
        return False, False
    return "patient" not in audience, docname in config.docnames


def add_handout_link(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Link the pages for physicians to the handout (HTML builds that include it)."""
    if app.builder.name != "html":
        return
    config = handout_config(app)
    if config is None or not config.in_site:
        return
    top, footer = _links_to_handout(app, docname, config)
    if not (top or footer):
        return
    uri = relative_uri(app.builder.get_target_uri(docname), config.file)

    def link(classes: list[str]) -> nodes.paragraph:
        para = nodes.paragraph(classes=["kb-handout-link", *classes])
        para += nodes.reference("", LINK_TEXT, refuri=uri, classes=["kb-handout-pdf"])
        para += nodes.Text(LINK_NOTE)
        return para

    if top:
        first = next(iter(doctree.findall(nodes.section)), None)
        if first is not None:
            summary = [c for c in first.children if _has_class(c, "kb-summary")]
            anchor = summary[0] if summary else first.children[0]
            first.insert(first.index(anchor) + 1, link(["kb-handout-link-top"]))
    if footer:
        review = next((n for n in doctree.findall(nodes.container)
                       if _has_class(n, "kb-review")), None)
        (review if review is not None else doctree).append(link(["kb-handout-link-footer"]))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("kb_handout", {}, "env", types=[dict])
    app.add_builder(HandoutBuilder)
    app.connect("config-inited", _validate)
    app.connect("doctree-resolved", add_handout_link)
    app.connect("build-finished", _site_handout)
    app.add_css_file("kb-handout.css")
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
