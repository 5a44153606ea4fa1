"""Accessibility fixes to the theme's HTML, made at build time (no script needed).

pydata-sphinx-theme (under sphinx-book-theme) renders an expandable sidebar entry as a
``<summary>`` holding only a decorative chevron, so screen readers announce an unnamed
button and axe-core reports ``summary-name`` (WCAG 4.1.2) on every page. Each such
``<summary>`` gets an ``aria-label`` naming the entry it opens.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from typing import Any

from sphinx.application import Sphinx

# The link the theme hoists before <details>, then the unnamed <summary>.
_UNNAMED_SUMMARY = re.compile(
    r'(<a\b[^>]*>)([^<]*)(</a>\s*<details\b[^>]*>\s*)<summary>(?=\s*<span class="toctree-toggle")')


def label_summaries(markup: str) -> str:
    """Give each theme toggle ``<summary>`` after a link an aria-label."""

    def label(match: re.Match[str]) -> str:
        name = html.escape(f"Show or hide the pages under {html.unescape(match.group(2))}",
                           quote=True)
        return f'{match.group(1)}{match.group(2)}{match.group(3)}<summary aria-label="{name}">'

    return _UNNAMED_SUMMARY.sub(label, markup)


def label_soup_summaries(soup: Any) -> None:
    """The same, on the BeautifulSoup tree the theme builds (duck-typed: bs4 is the
    theme's dependency, not ours)."""
    for summary in soup.select("details > summary"):
        if summary.get("aria-label") or summary.get_text(strip=True):
            continue
        item = summary.find_parent("li")
        link = item.find("a") if item is not None else None
        name = link.get_text(" ", strip=True) if link is not None else ""
        summary["aria-label"] = (f"Show or hide the pages under {name}" if name
                                 else "Show or hide more pages")


def _wrap(generate: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(generate)
    def labelled(*args: Any, **kwargs: Any) -> Any:
        result = generate(*args, **kwargs)
        if isinstance(result, str):
            return label_summaries(result)
        if hasattr(result, "select"):  # the theme returns its soup despite its docs
            label_soup_summaries(result)
        return result

    return labelled


def _page_context(app: Sphinx, pagename: str, templatename: str,
                  context: dict[str, Any], doctree: object) -> None:
    generate = context.get("generate_toctree_html")
    if callable(generate):
        context["generate_toctree_html"] = _wrap(generate)


def setup(app: Sphinx) -> None:
    # After the theme has put its toctree function in the context (priority 500).
    app.connect("html-page-context", _page_context, priority=900)
