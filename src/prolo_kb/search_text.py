"""A search's results as terminal text (``prolo-kb search``): the warning and
not-covered banners, each hit with its badges and answer, and ``--explain``."""

from __future__ import annotations

import html
import os
import re
import textwrap
from typing import TYPE_CHECKING, TextIO

from .content import URGENCIES

if TYPE_CHECKING:
    from .search import SearchResult

_MARK = re.compile(r"<mark[^>]*>(.*?)</mark>", re.S)
_TAG = re.compile(r"<[^>]+>")


def use_color(stream: TextIO) -> bool:
    """Colour on a terminal only, never with NO_COLOR or TERM=dumb."""
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


class _Style:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text


def plain_snippet(snippet: str, style: _Style) -> str:
    """The HTML snippet as terminal text, matched words in bold when colour is on."""
    text = _MARK.sub(lambda m: style(m.group(1), "1") if style.on else m.group(1), snippet)
    return html.unescape(_TAG.sub("", text))


def format_explain(result: SearchResult) -> str:
    """What the query understanding did and each hit's factors, for content authors."""
    info = result.explain or {}
    lines = ["", "Why these results:", f"  searched as: {info.get('searched', '')}"]
    for typed, used in (info.get("corrections") or {}).items():
        lines.append(f"  corrected: {typed} -> {used}")
    if info.get("shorthand"):
        lines.append(f"  shorthand spelt out: {', '.join(info['shorthand'])}")
    if info.get("frame"):
        lines.append(f"  left out as the question's frame: {', '.join(info['frame'])}")
    if info.get("asks"):
        lines.append(f"  asks: {info['asks']} (an FAQ whose question opens the same way "
                     "gains)")
    for concept in info.get("concepts", []):
        synonyms = f" (also: {', '.join(concept['synonyms'])})" if concept["synonyms"] else ""
        about = (f" (for 'not covered' {concept['about']}: common in English)"
                 if concept.get("about", concept["weight"]) < concept["weight"] else "")
        lines.append(f"  concept {concept['typed']!r} weight {concept['weight']}{about}"
                     f"{synonyms}")
    if info.get("unknown_words"):
        lines.append(f"  words no entry uses: {', '.join(info['unknown_words'])}")
    if info.get("circumstance"):
        lines.append("  of them said only about the caller, not asked (not counted for "
                     f"'not covered'): {', '.join(info['circumstance'])}")
    for sign in info.get("signs", []):
        why = f" ({sign['trigger']!r})" if sign["trigger"] else ""
        lines.append(f"  sign {sign['words']!r} -> {sign['entry']}: {sign['context']}{why}")
    said = (", and the query says one of its wordings whole"
            if info.get("says_wording_whole") else "")
    lines.append(f"  best hit holds {info.get('covered', 0):.0%} of the query{said} "
                 f"(not covered below {info.get('not_covered_below', 0):.0%})")
    if info.get("names_subject"):
        lines.append("  names what the base is about: never 'not covered'")
    if info.get("what_it_is"):
        lines.append(f"  asks what {info['what_it_is']!r} names is: ranked as "
                     "'what is' the base's subject")
    if info.get("unoffered"):
        lines.append("  asks whether the clinic offers something, and the best hit answers "
                     "no such question: not covered")
    for n, hit in enumerate(result.hits, start=1):
        factors = ", ".join(f"{k} x{v:g}" for k, v in (hit.explain or {}).items())
        lines.append(f"  {n:>2}. {hit.doc.id}: {hit.score:.3f} = base x {factors or 'nothing'}")
    return "\n".join(lines)


def format_result(result: SearchResult, *, color: bool, width: int) -> str:
    """A search's results as terminal text: banners, badges, wrapped answers."""
    style = _Style(color)
    lines: list[str] = []
    if result.corrected:
        lines.append(f"Showing results for: {style(result.corrected, '1')}")
    if result.urgency:
        lines.append(style(f" {result.urgency.upper().replace('-', ' ')}: {result.action}"
                           f" - the caller said: {', '.join(result.warning_signs)} ",
                           "1;97;41"))
    if result.not_covered:
        lines.append(style("Not covered by the knowledge base - pass the question to the "
                           "front desk or a clinician."
                           + (" Related entries:" if result.hits else ""), "1;33"))
    if not result.hits:
        if not result.not_covered:
            lines.append("No results. Try other words, or ask a clinician.")
        return "\n".join(lines)
    lines.append(f"{result.total} result{'s' if result.total != 1 else ''}"
                 f"{f', showing {len(result.hits)}' if result.total > len(result.hits) else ''}")
    body_width = max(40, min(width, 100) - 5)
    for n, hit in enumerate(result.hits, start=1):
        doc = hit.doc
        badges = []
        if doc.escalate:
            action = URGENCIES.get(doc.urgency or "", "Pass to a clinician")
            badges.append(style(f"[ESCALATE: {action}]", "1;97;41"))
        if doc.status == "policy-pending":
            badges.append(style("[CLINIC POLICY PENDING: ask a clinician]", "1;30;43"))
        kind = "FAQ" if doc.kind == "faq" else "Page"
        lines.append("")
        lines.append(f"{n:>2}. {style(doc.title, '1')}  ({kind}, {doc.topic})")
        if badges:
            lines.append("    " + " ".join(badges))
        body = doc.text if doc.kind == "faq" else plain_snippet(hit.snippet, style)
        if doc.kind == "faq":
            body = body.replace("\n\n", " ")
        wrapped = textwrap.wrap(body, body_width)
        shown = wrapped[:3]
        if len(wrapped) > 3:
            shown[-1] += " …"
        lines.extend("    " + line for line in shown)
        lines.append("    " + style(doc.url, "36"))
    return "\n".join(lines)
