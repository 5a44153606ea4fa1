"""Printed documents: the physician handout and the patient leaflet, PDFs assembled from
sections of the site's own pages (no second copy of the text), laid out with HTML and print
CSS by WeasyPrint.

``kb_handout`` and ``kb_leaflet`` in conf.py have one shape: a title and the parts, each a
heading and the page sections it is made of (``"docname#section-id"``, the anchors the
site uses; an id may also name a block inside a section, such as a care card)::

    kb_handout = {
        "title": "Prolotherapy: protocol and evidence for referring physicians",
        "parts": [
            ("Session protocol", ["protocol#the-clinic-s-protocol"]),
            ...
        ],
    }

- ``sphinx-build -b handout docs build/handout`` (``make pdf``) writes the handout alone,
  ``-b leaflet`` (``make leaflet``) the leaflet.
- The HTML build writes the same PDFs into the site and links to each from the pages for
  its readers (physicians; patients) and from the pages it is made from, so the link is
  never broken and the PDF never older than the pages.
- The leaflet (``"contact": True``) prints the clinic's phone number, ``kb_clinic_phone``,
  or a marked placeholder until the clinic sets it.

Citations become links to a sources list at the end of the handout; links to other pages
become plain text (or absolute links when ``html_baseurl`` is set). The review dates are
the pages' own: the earliest "next review" and "literature current through" of the pages
used. A document longer than its ``max_pages`` is a ``kb.handout`` warning, which fails a
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

from . import config as kb_config
from .domain import PageRecord, get_domain, source_anchor
from .metadata import human_date
from .placeholders import clinic_phone
from .report import warn

logger = logging.getLogger("prolo_kb")

STATIC = Path(__file__).parent / "static"
STYLESHEET = STATIC / "kb-handout-pdf.css"
PAPER_SIZES = ("letter", "A4")
# Sphinx 8.2 added ``tags`` to get_and_resolve_doctree (and will require it in Sphinx 11).
_RESOLVE_TAKES_TAGS = "tags" in inspect.signature(
    BuildEnvironment.get_and_resolve_doctree).parameters
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FILE_NAME = re.compile(r"^[\w.-]+\.pdf$")
# A tagged PDF: screen readers follow its headings and reading order.
PDF_OPTIONS = {"pdf_tags": True}


# --- The kinds of printed document -------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """What differs between the printed documents: where they are configured, how they
    are named in messages, who the site links them for, and their print style."""

    key: str  # the conf.py setting
    noun: str  # in messages
    default_file: str
    default_max_pages: int
    link_text: str
    link_note: str
    readers: str  # the audience whose pages link to it
    others: str  # a page also for this audience links to it only in its footer
    stylesheets: tuple[Path, ...]
    literature_date: bool  # "literature current through" in the masthead
    link_class: str = ""  # a class of its own for its links, beside kb-handout-link


HANDOUT = Kind(
    key="kb_handout", noun="physician handout", default_file="physician-handout.pdf",
    default_max_pages=2, link_text="Physician handout (PDF)",
    link_note=": the protocol, evidence labels, recovery groups and warning signs, ready to "
              "print.",
    readers="physician", others="patient", stylesheets=(STYLESHEET,), literature_date=True)
LEAFLET = Kind(
    key="kb_leaflet", noun="patient leaflet", default_file="patient-leaflet.pdf",
    default_max_pages=1, link_text="Patient leaflet (PDF)",
    link_note=": what is normal after the shots, the warning signs and whom to call, on one "
              "page to print or send.",
    readers="patient", others="physician",
    stylesheets=(STYLESHEET, STATIC / "kb-leaflet-pdf.css"), literature_date=False,
    link_class="kb-leaflet")
KINDS = (HANDOUT, LEAFLET)


# --- Configuration ----------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One part of the handout: a heading and the page sections it shows, in order."""

    heading: str
    sections: tuple[tuple[str, str], ...]  # (docname, section id)


@dataclass(frozen=True)
class HandoutConfig:
    """``kb_handout`` or ``kb_leaflet``, validated."""

    title: str
    parts: tuple[Part, ...]
    subtitle: str = ""
    file: str = HANDOUT.default_file
    paper: str = "letter"
    max_pages: int = 2
    in_site: bool = True
    kind: Kind = HANDOUT
    contact: bool = False  # print the clinic's phone and the emergency number
    emergency_number: str = ""

    @property
    def docnames(self) -> list[str]:
        """The pages the handout is made from, in order of first use."""
        seen: dict[str, None] = {}
        for part in self.parts:
            for docname, _anchor in part.sections:
                seen.setdefault(docname, None)
        return list(seen)

    @classmethod
    def parse(cls, value: object, kind: Kind = HANDOUT) -> HandoutConfig | None:
        """``None`` when the document is not configured; :class:`ConfigError` when
        malformed."""
        if not value:
            return None
        key = kind.key
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a dict with 'title' and 'parts'")
        known = {"title", "subtitle", "parts", "file", "paper", "max_pages", "in_site",
                 "contact", "emergency_number",
                 # read by the search page (indexer/searchpage.py): the answers it goes
                 # with, and an address elsewhere instead of the site's copy
                 "topics", "url"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ConfigError(f"{key} has unknown keys: {', '.join(unknown)}")
        title = value.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ConfigError(f"{key} needs a 'title'")
        file = value.get("file", kind.default_file)
        if not isinstance(file, str) or not _FILE_NAME.match(file):
            raise ConfigError(f"{key} 'file' must be a file name ending in .pdf, "
                              f"not {file!r}")
        paper = value.get("paper", "letter")
        if paper not in PAPER_SIZES:
            raise ConfigError(f"{key} 'paper' must be one of {', '.join(PAPER_SIZES)}")
        max_pages = value.get("max_pages", kind.default_max_pages)
        if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
            raise ConfigError(f"{key} 'max_pages' must be a whole number of at least 1")
        return cls(title=title.strip(), parts=tuple(_parts(value.get("parts"), key)),
                   subtitle=str(value.get("subtitle", "")).strip(), file=file, paper=paper,
                   max_pages=max_pages, in_site=bool(value.get("in_site", True)), kind=kind,
                   contact=bool(value.get("contact", False)),
                   emergency_number=str(value.get("emergency_number", "")).strip())


def _parts(value: object, key: str) -> Iterator[Part]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f"{key} 'parts' must be a list of (heading, [sections])")
    for n, item in enumerate(value, start=1):
        if (not isinstance(item, (list, tuple)) or len(item) != 2
                or not isinstance(item[0], str) or not isinstance(item[1], (list, tuple))
                or not item[1]):
            raise ConfigError(f"{key} part {n} must be (heading, [\"doc#section\", ...])")
        sections = []
        for ref in item[1]:
            docname, _, anchor = str(ref).partition("#")
            if not docname or not anchor:
                raise ConfigError(f"{key} part {n}: {ref!r} must be 'docname#section-id'")
            sections.append((docname.strip(), anchor.strip()))
        yield Part(heading=item[0].strip(), sections=tuple(sections))


def handout_config(app: Sphinx, kind: Kind = HANDOUT) -> HandoutConfig | None:
    return HandoutConfig.parse(getattr(app.config, kind.key), kind)


def configured(app: Sphinx, kinds: Iterable[Kind] = KINDS) -> Iterator[HandoutConfig]:
    """The printed documents conf.py configures, of ``kinds``."""
    for kind in kinds:
        config = handout_config(app, kind)
        if config is not None:
            yield config


def _validate(app: Sphinx, config: Any) -> None:
    for kind in KINDS:  # raise at start-up, not after reading
        HandoutConfig.parse(getattr(config, kind.key), kind)


# --- Assembling the handout from the doctrees -------------------------------------------

@dataclass
class _Sources:
    """The sources the handout cites, numbered in order of first citation."""

    order: list[str]
    labels: dict[str, str]


def _find_section(doctree: nodes.document, anchor: str) -> nodes.Element | None:
    """The section with id ``anchor``, or else the block (a care card...) with it."""
    for section in doctree.findall(nodes.section):
        if anchor in section["ids"]:
            return section
    for element in doctree.findall(nodes.Element):
        if anchor in element.get("ids", []):
            return element
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

    def __init__(self, app: Sphinx, builder: StandaloneHTMLBuilder, key: str) -> None:
        self.app = app
        self.builder = builder
        self.key = key  # the conf.py setting, for messages
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
        """(title, HTML body) of one section, or None (with a warning) if it is missing.
        A block that is not a section is shown whole, with no title ("")."""
        if docname not in self.app.env.found_docs:
            warn(docname, None, "handout", f"{self.key} names {docname}#{anchor}, but there "
                 f"is no page {docname!r}")
            return None
        doctree = self.doctree(docname)
        section = _find_section(doctree, anchor)
        if section is None:
            warn(docname, None, "handout", f"{self.key} names section {anchor!r}, which "
                 f"{docname} does not have (its sections: {', '.join(_section_ids(doctree))})")
            return None
        if docname in self.domain.pages:
            self.pages[docname] = self.domain.pages[docname]
        body = nodes.container(classes=["kb-handout-body"])
        if isinstance(section, nodes.section):
            title = section.children[0].astext() if section.children else anchor
            for child in section.children[1:]:
                body += child.deepcopy()
        else:
            title = ""
            body += section.deepcopy()
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


def _review_facts(pages: Iterable[PageRecord], literature_date: bool = True
                  ) -> list[tuple[str, str]]:
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
    if literature and literature_date:
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


def _contact_html(app: Sphinx, config: HandoutConfig) -> str:
    """Whom to call: the clinic's phone (or its marked placeholder), the emergency number."""
    if not config.contact:
        return ""
    esc = html.escape
    phone, unset = clinic_phone(app)
    number = (f'<span class="phone placeholder">{esc(phone)}</span>' if unset
              else f'<a class="phone" href="tel:{esc(re.sub(r"[^0-9+]", "", phone))}">'
                   f"{esc(phone)}</a>")
    emergency = (f'<span class="contact-emergency"><b>Emergency:</b> call '
                 f"{esc(config.emergency_number)}</span>" if config.emergency_number else "")
    return (f'<p class="contact"><span class="contact-clinic"><b>Clinic phone:</b> {number}'
            f"</span>{emergency}</p>")


def handout_html(app: Sphinx, builder: StandaloneHTMLBuilder, config: HandoutConfig) -> str:
    """The printed document as one HTML document, ready for WeasyPrint."""
    esc = html.escape
    assembler = _Assembler(app, builder, config.kind.key)
    body: list[str] = [_contact_html(app, config)]
    for n, part in enumerate(config.parts, start=1):
        pieces = []
        for docname, anchor in part.sections:
            found = assembler.section(docname, anchor)
            if found is None:
                continue
            title, fragment = found
            heading = f"<h3>{esc(title)}</h3>" if title and len(part.sections) > 1 else ""
            pieces.append(f'<div class="piece" data-source="{esc(docname)}#{esc(anchor)}">'
                          f"{heading}{fragment}</div>")
        body.append(f'<section class="part part-{n}" id="part-{n}">'
                    f"<h2>{esc(part.heading)}</h2>{''.join(pieces)}</section>")
    body.append(_sources_html(assembler))
    email = str(app.config.kb_feedback_email or "")
    if email:
        body.append(f'<p class="feedback">Report a problem with this '
                    f'{config.kind.noun.rsplit(" ", 1)[-1]}: '
                    f'<a href="mailto:{esc(email)}">{esc(email)}</a></p>')
    review = _review_facts((assembler.pages[d] for d in config.docnames
                            if d in assembler.pages), config.kind.literature_date)
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
        + "".join(f"<style>{sheet.read_text(encoding='utf-8')}</style>"
                  for sheet in config.kind.stylesheets)
        + f"<style>{page_css}</style>"
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
        document.write_pdf(tmp, **PDF_OPTIONS)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return len(document.pages)


def write_handout(app: Sphinx, builder: StandaloneHTMLBuilder, config: HandoutConfig,
                  target: Path) -> int | None:
    """Assemble and render the document into ``target``; its page count, or None if it
    could not be rendered (reported as a ``kb.handout`` warning)."""
    noun, key = config.kind.noun, config.kind.key
    document_html = handout_html(app, builder, config)
    stamp = Path(app.doctreedir) / f"{target.name}.sha256"  # out of the published site
    digest = hashlib.sha256(f"{sorted(PDF_OPTIONS.items())}\n{document_html}".encode()
                            ).hexdigest()
    try:
        recorded = stamp.read_text(encoding="utf-8").split()
        if target.is_file() and len(recorded) == 2 and recorded[0] == digest:
            return int(recorded[1])  # unchanged since the last render
    except (OSError, ValueError):
        pass
    try:
        pages = render_pdf(document_html, target, base_url=str(app.srcdir))
    except HandoutUnavailable as exc:
        logger.warning(f"{noun} not written: {exc}", type="kb", subtype="handout")
        return None
    if pages > config.max_pages:
        logger.warning(f"the {noun} {target.name} is {pages} pages long; it "
                       f"must fit on {config.max_pages} (shorten its sections or drop one "
                       f"from {key} in conf.py)", type="kb", subtype="handout")
    else:
        stamp.write_text(f"{digest} {pages}\n", encoding="utf-8")
    logger.info(f"{noun}: {pages} page{'s' if pages != 1 else ''} -> {target}")
    return pages


# --- The builder, the site hook and the links -------------------------------------------

class HandoutBuilder(StandaloneHTMLBuilder):
    """``-b handout``: reads the docs and writes only the physician handout PDF."""

    name = "handout"
    format = "handout"  # not "html": no site pages, no search index
    epilog = "The physician handout is in %(outdir)s."
    kind = HANDOUT

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
        config = handout_config(self._app, self.kind)
        if config is None:
            logger.warning(f"no {self.kind.noun} to build: set {self.kind.key} in conf.py",
                           type="kb", subtype="handout")
            return
        write_handout(self._app, self, config, Path(self.outdir) / config.file)


class LeafletBuilder(HandoutBuilder):
    """``-b leaflet``: reads the docs and writes only the patient leaflet PDF."""

    name = "leaflet"
    epilog = "The patient leaflet is in %(outdir)s."
    kind = LEAFLET


def _site_handout(app: Sphinx, exception: BaseException | None) -> None:
    """After an HTML build, put the printed documents into the site the pages link to."""
    if exception is not None or app.builder.name != "html":
        return
    assert isinstance(app.builder, StandaloneHTMLBuilder)
    for config in configured(app):
        if config.in_site:
            write_handout(app, app.builder, config, Path(app.outdir) / config.file)


def _links_to_handout(app: Sphinx, docname: str, config: HandoutConfig) -> tuple[bool, bool]:
    """Where a page links to a printed document: (at the top, in the review footer).

    Pages for the document's readers and not for the others (for the handout: pages for
    physicians, not for patients) link at the top; every page for its readers that the
    document is made from links in its footer.
    """
    page = get_domain(app.env).pages.get(docname)
    audience = set(page["audience"]) if page else set()
    if config.kind.readers not in audience:
        return False, False
    return config.kind.others not in audience, docname in config.docnames


def add_handout_link(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Link the pages to the printed documents for their readers (HTML builds that
    include them)."""
    if app.builder.name != "html":
        return
    for config in configured(app):
        if config.in_site:
            _add_link(app, doctree, docname, config)


def _add_link(app: Sphinx, doctree: nodes.document, docname: str,
              config: HandoutConfig) -> None:
    top, footer = _links_to_handout(app, docname, config)
    if not (top or footer):
        return
    uri = relative_uri(app.builder.get_target_uri(docname), config.file)
    kind = config.kind
    own = [kind.link_class] if kind.link_class else []

    def link(classes: list[str]) -> nodes.paragraph:
        para = nodes.paragraph(classes=["kb-handout-link", *(f"{c}-link" for c in own),
                                        *classes])
        para += nodes.reference("", kind.link_text, refuri=uri,
                                classes=["kb-handout-pdf", *(f"{c}-pdf" for c in own)])
        para += nodes.Text(kind.link_note)
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
    kb_config.setup(app)  # kb_handout, kb_leaflet, kb_clinic_phone (idempotent)
    app.setup_extension("indexer.placeholders")
    app.add_builder(HandoutBuilder)
    app.add_builder(LeafletBuilder)
    app.connect("config-inited", _validate)
    app.connect("doctree-resolved", add_handout_link)
    app.connect("build-finished", _site_handout)
    app.add_css_file("kb-handout.css")
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
