"""Typed domain errors. The edges (CLI, web) turn them into one-line messages."""

from __future__ import annotations


class KBError(Exception):
    """Base class for every error a user may see; its message is one line."""


class IndexUnavailable(KBError):
    """The search index is missing, corrupt, locked or of another schema version."""


class QueryError(KBError):
    """The query cannot be searched (too long, or nothing searchable in it)."""
