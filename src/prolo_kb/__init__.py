"""prolo-kb runtime: the search index schema, the search core, and the CLI and web edges.

This package never imports Sphinx or the build-side ``indexer`` package: staff can search
with only the runtime installed.
"""

from __future__ import annotations

__version__ = "0.1.0"
