"""Opt-in usage recording: what staff searched for and did with the answers, in SQLite.

``prolo-kb serve --usage-db FILE`` (or ``$PROLO_KB_USAGE_DB``) makes a recorder;
without it nothing is written anywhere. What one row holds, and nothing else:

- a search: the calendar day, the query reduced by :func:`prolo_kb.scrub.reduce_query`
  (every word that might identify a patient is ``…``), whether no entry answers it
  (``not_covered``), how many results, the first result's entry id and the urgency;
- an answer event (``copied``, ``helpful``, ``unhelpful``, ``opened``): the day, the
  entry id and the reduced query.

No time of day, address, browser or session. Rows older than 180 days are deleted when
the recorder starts and once a day after.

The writer thread that records them is :class:`prolo_kb.recorder.Recorder`; this module
holds the database (its schema, connection and purge) and the answer events' format.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

ENV_USAGE_DB = "PROLO_KB_USAGE_DB"
SCHEMA_VERSION = 1
RETENTION_DAYS = 180
EVENT_TYPES = ("copied", "helpful", "unhelpful", "opened")
BUSY_TIMEOUT_SECONDS = 2.0  # wait this long for another process's write lock

SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    day TEXT NOT NULL,             -- YYYY-MM-DD: the calendar day only
    query TEXT NOT NULL,           -- reduced: patient details are …
    not_covered INTEGER NOT NULL,  -- 1: no entry answers it, the hits are only related
    total INTEGER NOT NULL,        -- how many results
    top_id TEXT,                   -- the first result's entry id
    urgency TEXT                   -- emergency, same-day or NULL
);
CREATE TABLE IF NOT EXISTS events (
    day TEXT NOT NULL,
    type TEXT NOT NULL,            -- copied, helpful, unhelpful, opened
    entry TEXT NOT NULL,           -- the entry's id (… when the index does not know it)
    query TEXT NOT NULL            -- reduced, as for searches
);
CREATE INDEX IF NOT EXISTS searches_day ON searches (day);
CREATE INDEX IF NOT EXISTS events_day ON events (day);
"""


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to a usage database; a writer's is in WAL mode with the tables made."""
    if readonly:
        return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True,
                               timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        conn.close()
        raise
    return conn


def purge(conn: sqlite3.Connection, today: date, days: int = RETENTION_DAYS) -> int:
    """Delete rows older than ``days`` days; how many were deleted."""
    cutoff = (today - timedelta(days=days)).isoformat()
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        deleted = conn.execute("DELETE FROM searches WHERE day < ?", (cutoff,)).rowcount
        deleted += conn.execute("DELETE FROM events WHERE day < ?", (cutoff,)).rowcount
    return int(deleted)


MAX_EVENT_ID = 200
MAX_EVENT_QUERY = 1_000
_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:#/-]*")


class EventError(ValueError):
    """An answer event that is not well formed (the message says why, in one line)."""


def parse_event(body: bytes) -> tuple[str, str, str]:
    """``(type, id, query)`` from a ``POST /api/event`` body: a JSON object
    ``{"type": "copied"|"helpful"|"unhelpful"|"opened", "id": entry id, "query": text}``
    (``query`` may be left out); :class:`EventError` if it is anything else."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EventError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise EventError("the body must be a JSON object")
    extra = set(data) - {"type", "id", "query"}
    if extra:
        raise EventError(f"unknown field {sorted(extra)[0]!r}; give type, id and query")
    kind, entry, query = data.get("type"), data.get("id"), data.get("query", "")
    if kind not in EVENT_TYPES:
        raise EventError(f"type must be one of {', '.join(EVENT_TYPES)}")
    if not isinstance(entry, str) or len(entry) > MAX_EVENT_ID \
            or not _EVENT_ID.fullmatch(entry):
        raise EventError("id must be an entry id from the search results")
    if not isinstance(query, str) or len(query) > MAX_EVENT_QUERY:
        raise EventError(f"query must be text of at most {MAX_EVENT_QUERY} characters")
    return kind, entry, query


__all__ = ["ENV_USAGE_DB", "EVENT_TYPES", "EventError", "connect", "parse_event", "purge"]
