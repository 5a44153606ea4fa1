"""Plain text of doctree nodes, as the index and the readability check see it."""

from __future__ import annotations

from docutils import nodes
from sphinx.addnodes import pending_xref


def plain_text(node: nodes.Node) -> str:
    """Readable text of a node, without inline citation markers ({src} roles)."""
    if isinstance(node, nodes.Element) and any(_is_citation(n) for n in node.findall()):
        node = node.deepcopy()
        for cite in [n for n in node.findall() if _is_citation(n)]:
            cite.parent.remove(cite)
    return " ".join(node.astext().split())


def _is_citation(node: nodes.Node) -> bool:
    return isinstance(node, pending_xref) and node.get("refdomain") == "kb"


def blocks_text(container: nodes.Element) -> str:
    """The text of a container's blocks, one paragraph per block."""
    return "\n\n".join(t for t in (plain_text(c) for c in container.children) if t)
