"""Cross-document checks, and writing the search index when the build finishes.

Checks that need every document (duplicate FAQ ids and questions, citations of sources
missing from the references page) run at ``env-check-consistency``; the index is written
from the collected data at ``build-finished`` through :func:`prolo_kb.indexing.write_index`,
which swaps it in atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from docutils.nodes import Element
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from prolo_kb.content import Document, GlossaryTerm, PageMeta
from prolo_kb.errors import KBError
from prolo_kb.indexing import write_index

from .domain import KBDomain, get_domain
from .glossary import GlossaryError, glossary_path, load_glossary
from .language import language_of
from .report import warn

logger = logging.getLogger("prolo_kb")


def _question_key(question: str) -> str:
    return " ".join("".join(c for c in question.lower() if c.isalnum() or c.isspace()).split())


def check_consistency(app: Sphinx, env: BuildEnvironment) -> None:
    domain = get_domain(env)
    ids: dict[str, tuple[str, int]] = {}
    questions: dict[str, tuple[str, int, str]] = {}
    for docname in sorted(domain.faqs):
        for entry in domain.faqs[docname]:
            first = ids.get(entry["id"])
            if first is not None:
                warn(docname, entry["lineno"], "faq", f"duplicate FAQ id {entry['id']!r} "
                     f"(first in {first[0]}, line {first[1]})")
            else:
                ids[entry["id"]] = (docname, entry["lineno"])
            key = _question_key(entry["question"])
            seen = questions.get(key)
            if seen is not None:
                warn(docname, entry["lineno"], "faq", f"duplicate FAQ question "
                     f"{entry['question']!r} (also {seen[2]!r} in {seen[0]}, line {seen[1]})")
            else:
                questions[key] = (docname, entry["lineno"], entry["id"])
    known = domain.all_references()
    references_doc = app.config.kb_references_doc
    for docname in sorted(domain.cites):
        for cite in domain.cites[docname]:
            if cite["id"] not in known:
                warn(docname, cite["lineno"], "source", f"source {cite['id']!r} is not on "
                     f"the references page ({references_doc})")
    path = glossary_path(env)
    if path is not None:
        try:
            load_glossary(path)
        except GlossaryError as exc:
            logger.warning(str(exc), type="kb", subtype="glossary")


def documents(app: Sphinx, domain: KBDomain) -> Iterator[Document]:
    """Every FAQ entry and page section as an index document, in a stable order."""
    env = app.env
    builder = app.builder
    srcdir = Path(env.srcdir)
    topics = app.config.kb_topics
    for docname in sorted(env.found_docs):
        page = domain.pages.get(docname)
        uri = builder.get_target_uri(docname)
        relpath = _relpath(env, docname, srcdir)
        for entry in domain.faqs.get(docname, []):
            yield Document(
                id=entry["id"], kind="faq", title=entry["question"], text=entry["answer"],
                url=f"{uri}#{entry['anchor']}", topic=entry["topic"],
                audience=tuple(entry["audience"]), escalate=entry["escalate"],
                status=entry["status"], sources=tuple(entry["sources"]),
                signs=tuple(entry["signs"]), also=tuple(entry.get("also", ())), page=docname,
                source_file=f"{relpath}:{entry['lineno']}", grade=entry["grade"],
                urgency=entry.get("urgency"), staff_note=entry.get("staff_note", ""),
            )
        page_title = page["title"] if page else docname
        topic = page["topic"] if page and page["topic"] in topics else "general"
        audience = tuple(page["audience"]) if page else ()
        summaries = domain.summaries.get(docname, [])
        for section in domain.sections.get(docname, []):
            top = not section["anchor"]
            title = page_title if top else f"{page_title} › {section['title']}"
            grade = summaries[0]["grade"] if top and summaries else None
            yield Document(
                id=f"{docname}#{section['anchor'] or 'top'}", kind="section", title=title,
                text=section["text"],
                url=uri if top else f"{uri}#{section['anchor']}",
                topic=topic, audience=audience, page=docname,
                source_file=f"{relpath}:{section['lineno']}", grade=grade,
            )


def _relpath(env: BuildEnvironment, docname: str, srcdir: Path) -> str:
    path = Path(env.doc2path(docname))
    try:
        return str(Path(srcdir.name) / path.relative_to(srcdir))
    except ValueError:
        return str(path)


def pages(app: Sphinx, domain: KBDomain) -> list[PageMeta]:
    env = app.env
    srcdir = Path(env.srcdir)
    result = []
    for docname in sorted(domain.pages):
        page = domain.pages[docname]
        result.append(PageMeta(
            docname=docname, title=page["title"], url=app.builder.get_target_uri(docname),
            topic=page["topic"], audience=tuple(page["audience"]),
            last_reviewed=page["last_reviewed"], next_review=page["next_review"],
            reviewed_by=page["reviewed_by"],
            literature_current_through=page["literature_current_through"],
            source_file=f"{_relpath(env, docname, srcdir)}:1",
        ))
    return result


def source_hash(env: BuildEnvironment) -> str:
    digest = hashlib.sha256()
    files = [Path(env.doc2path(d)) for d in sorted(env.found_docs)]
    path = glossary_path(env)
    if path is not None:
        files.append(path)
    for file in files:
        digest.update(str(file.name).encode())
        try:
            digest.update(file.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()


def index_dir(app: Sphinx) -> Path:
    configured = app.config.kb_index_dir
    if configured:
        return (Path(app.confdir) / str(configured)).resolve()
    return Path(str(app.outdir)).parent / "index"


def write_search_index(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or not app.config.kb_write_index:
        return
    if app.builder.format != "html":
        return
    if getattr(app, "_fail_on_warnings", False) and getattr(app, "_warncount", 0):
        # -W --keep-going: the build fails, so its index must not go live either (an
        # entry the parser rejected would be missing). The previous index keeps serving.
        logger.warning("search index not written: the build has warnings and -W makes "
                       "them errors; the previous index stays live", type="kb",
                       subtype="index")
        return
    domain = get_domain(app.env)
    glossary: list[GlossaryTerm] = []
    path = glossary_path(app.env)
    if path is not None:
        try:
            glossary = load_glossary(path)
        except GlossaryError:
            glossary = []  # already reported by the consistency check
    sources = {source_id: citation
               for source_id, (_doc, citation) in domain.all_references().items()}
    target = index_dir(app)
    try:
        manifest = write_index(
            target, documents(app, domain), pages=pages(app, domain), glossary=glossary,
            language=language_of(app), sources=sources, source_hash=source_hash(app.env),
            on_wait=lambda: logger.info(f"search index: another build is writing {target}; "
                                        "waiting for it to finish"),
        )
    except KBError as exc:
        logger.warning(f"search index not written: {exc}", type="kb", subtype="index")
        return
    counts = manifest.counts
    logger.info(f"search index: {counts['faq']} FAQ entries, {counts['section']} sections "
                f"-> {target}")


def quiet_missing_source(app: Sphinx, env: BuildEnvironment, node: pending_xref,
                         contnode: Element) -> Element | None:
    """Leave an unknown source as plain text: the consistency check already reported it
    with a clearer message than Sphinx's generic "target not found"."""
    return contnode if node.get("refdomain") == "kb" else None


def setup(app: Sphinx) -> None:
    app.connect("env-check-consistency", check_consistency)
    app.connect("missing-reference", quiet_missing_source)
    app.connect("build-finished", write_search_index)
