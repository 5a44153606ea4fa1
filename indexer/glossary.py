"""Glossary data (term -> lay words) and the ``glossary-table`` directive that shows it.

The YAML file named by ``kb_glossary`` is the one place synonyms are written: the
glossary page renders it, and the writer copies it into the index manifest, where the
search reads it to expand queries both ways (lay <-> clinical).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

from prolo_kb.content import GlossaryTerm

from .datafile import DataFileError, read_yaml


class GlossaryError(DataFileError):
    """The glossary file is missing or malformed (the message says where)."""


def glossary_path(env: BuildEnvironment) -> Path | None:
    name = env.config.kb_glossary
    return Path(env.srcdir) / name if name else None


def load_glossary(path: Path) -> list[GlossaryTerm]:
    """Read and validate the glossary file."""
    try:
        raw = read_yaml(path, "glossary")
    except DataFileError as exc:
        raise GlossaryError(str(exc)) from None
    if not isinstance(raw, list):
        raise GlossaryError(f"{path}: glossary must be a list of terms")
    terms: list[GlossaryTerm] = []
    seen: set[str] = set()
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("term"), str):
            raise GlossaryError(f"{path}: entry {n} needs a 'term'")
        lay = item.get("lay") or []
        if not isinstance(lay, list) or not all(isinstance(x, str) for x in lay):
            raise GlossaryError(f"{path}: entry {n} ({item['term']}): 'lay' must be a list "
                                "of words")
        key = item["term"].strip().lower()
        if key in seen:
            raise GlossaryError(f"{path}: term {item['term']!r} appears twice")
        seen.add(key)
        terms.append(GlossaryTerm(term=item["term"].strip(),
                                  definition=str(item.get("definition") or "").strip(),
                                  lay=tuple(x.strip() for x in lay if x.strip())))
    return terms


class GlossaryTableDirective(SphinxDirective):
    """Render every glossary term with its meaning and the words patients use."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        path = glossary_path(self.env)
        if path is None:
            return [self.state.document.reporter.warning(
                "glossary-table needs kb_glossary set in conf.py", line=self.lineno)]
        self.env.note_dependency(str(path))
        try:
            terms = load_glossary(path)
        except GlossaryError as exc:
            return [self.state.document.reporter.warning(str(exc), line=self.lineno)]
        dl = nodes.definition_list(classes=["kb-glossary"])
        for term in sorted(terms, key=lambda t: t.term.lower()):
            item = nodes.definition_list_item(ids=[f"term-{nodes.make_id(term.term)}"])
            item += nodes.term(term.term, term.term)
            definition = nodes.definition()
            if term.definition:
                definition += nodes.paragraph(term.definition, term.definition)
            if term.lay:
                said = nodes.paragraph(classes=["kb-lay"])
                said += nodes.emphasis("Patients may say: ", "Patients may say: ")
                said += nodes.Text(", ".join(f"“{w}”" for w in term.lay))
                definition += said
            item += definition
            dl += item
        return [dl]


def setup(app: Sphinx) -> None:
    app.add_directive("glossary-table", GlossaryTableDirective)
