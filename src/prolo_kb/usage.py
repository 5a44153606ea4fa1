"""Opt-in usage recording: what staff searched for and did with the answers, in SQLite.

``prolo-kb serve --usage-db FILE`` (or ``$PROLO_KB_USAGE_DB``) makes a :class:`Recorder`;
without it nothing is written anywhere. What one row holds, and nothing else:

- a search: the calendar day, the query reduced by :func:`prolo_kb.scrub.reduce_query`
  (every word that might identify a patient is ``…``), whether no entry answers it
  (``not_covered``), how many results, the first result's entry id and the urgency;
- an answer event (``copied``, ``helpful``, ``unhelpful``, ``opened``): the day, the
  entry id and the reduced query.

No time of day, address, browser or session. Rows older than 180 days are deleted when
the recorder starts and once a day after.

Recording never slows or breaks a search: a request only puts the event on a queue; one
writer thread per process reduces the queries and writes them in short transactions (WAL
mode, so ``prolo-kb gaps`` can read meanwhile and several server processes can share a
file). A locked, full, read-only or damaged file costs the events of that moment and one
line in the server log, never a failed request.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import queue
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .scrub import MASK, reduce_query
from .scrub_words import Vocabulary

ENV_USAGE_DB = "PROLO_KB_USAGE_DB"
SCHEMA_VERSION = 1
RETENTION_DAYS = 180
EVENT_TYPES = ("copied", "helpful", "unhelpful", "opened")
QUEUE_SIZE = 100_000  # events waiting for the writer; beyond this they are dropped
BATCH_SIZE = 1_000  # events written in one transaction at most
BUSY_TIMEOUT_SECONDS = 2.0  # wait this long for another process's write lock
BATCH_SECONDS = 0.5  # after the first event of a batch, wait this long for more
IDLE_WAKE_SECONDS = 600.0  # the writer wakes this often to delete old rows
LOG_EVERY_SECONDS = 60.0  # a failing file is reported at most this often
REMEMBERED = 4096  # typed queries whose stored text an answer event reuses

logger = logging.getLogger("prolo_kb.web.usage")

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


_STOP = object()
_Item = tuple[Any, ...]


class Recorder:
    """Records searches and answer events into one SQLite file from one writer thread.

    ``vocabulary`` is asked for the current :class:`Vocabulary` before each batch (the
    web app's follows index rebuilds); if it fails, queries are reduced with common
    English words only.
    """

    def __init__(self, path: Path | str, vocabulary: Callable[[], Vocabulary], *,
                 today: Callable[[], date] = date.today,
                 retention_days: int = RETENTION_DAYS,
                 queue_size: int = QUEUE_SIZE) -> None:
        self.path = Path(path)
        self._vocabulary = vocabulary
        self._today = today
        self.retention_days = retention_days
        self._queue: queue.Queue[_Item | object] = queue.Queue(queue_size)
        self._conn: sqlite3.Connection | None = None
        self._purged_on: date | None = None
        self._failed_at = 0.0
        self._failed_since_log = 0
        self.written = 0
        self.dropped = 0
        self._closed = False
        self._searched: OrderedDict[str, str] = OrderedDict()  # writer thread only
        self._ready = threading.Event()  # the writer has opened the file (or failed to)
        self._stop_waiting = threading.Event()  # set by flush() and close()
        self._thread = threading.Thread(target=self._run, name="prolo-kb-usage", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- called from requests: never blocks ------------------------------------------

    def _put(self, item: _Item) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def record_search(self, query: str, result: Mapping[str, Any]) -> None:
        """A search and its result (``SearchResult.to_json()``). The query is kept as the
        search corrected it, when it did ("prolotheraphy" -> "prolotherapy"): a corrected
        word is a knowledge-base word, never what was typed."""
        corrected = result.get("corrected")
        searched = corrected if isinstance(corrected, str) and corrected.strip() else query
        hits = result.get("hits") or []
        top = hits[0].get("id") if hits and isinstance(hits[0], Mapping) else None
        urgency = result.get("urgency")
        self._put(("search", self._today().isoformat(), query, searched,
                   bool(result.get("not_covered")), int(result.get("total") or 0),
                   top if isinstance(top, str) else None,
                   urgency if isinstance(urgency, str) else None))

    def record_event(self, kind: str, entry: str, query: str) -> None:
        """An answer event; ``kind`` is one of :data:`EVENT_TYPES`."""
        if kind not in EVENT_TYPES:
            raise ValueError(f"unknown event type {kind!r}")
        self._put(("event", self._today().isoformat(), kind, entry, query))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every event recorded so far has been written (or dropped)."""
        deadline = time.monotonic() + timeout
        if not self._ready.wait(timeout):
            return False
        self._stop_waiting.set()  # write now, not after the batch wait
        try:
            while self._queue.unfinished_tasks:
                if time.monotonic() > deadline or not self._thread.is_alive():
                    return False
                time.sleep(0.005)
            return True
        finally:
            if not self._closed:
                self._stop_waiting.clear()

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer."""
        if self._closed:
            return
        self._closed = True
        self._stop_waiting.set()
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)
        atexit.unregister(self.close)

    # -- the writer thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            self._vocabulary()  # load it now, not while the first searches wait
            self._open()
        except Exception as exc:  # reported; the next batch tries again
            self._fail(exc, 0)
        self._ready.set()
        stopping = False
        while not stopping:
            batch: list[_Item] = []
            try:
                first = self._queue.get(timeout=IDLE_WAKE_SECONDS)
            except queue.Empty:
                first = None
            taken = 0 if first is None else 1
            if first is _STOP:
                stopping = True
            elif first is not None:
                batch.append(first)  # type: ignore[arg-type]
                # Let a batch gather: one transaction and one wake-up for many searches
                # costs the search threads far less than one of each per search.
                self._stop_waiting.wait(BATCH_SECONDS)
            while len(batch) < BATCH_SIZE and not stopping:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if item is _STOP:
                    stopping = True
                else:
                    batch.append(item)  # type: ignore[arg-type]
            try:
                self._write(batch)
            except Exception as exc:
                self._fail(exc, len(batch))
            finally:
                for _ in range(taken):
                    self._queue.task_done()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
        today = self._today()
        if self._purged_on != today:
            purge(self._conn, today, self.retention_days)
            self._purged_on = today
        return self._conn

    def _write(self, batch: list[_Item]) -> None:
        conn = self._open()
        if not batch:
            return
        try:
            vocab = self._vocabulary()
        except Exception:
            vocab = Vocabulary(frozenset())
        searches = []
        events = []
        for item in batch:
            if item[0] == "search":
                _, day, typed, searched, not_covered, total, top, urgency = item
                reduced = reduce_query(searched, vocab)
                self._remember(typed, reduced)
                searches.append((day, reduced, int(not_covered), total,
                                 top, urgency))
            else:
                _, day, kind, entry, query = item
                events.append((day, kind, entry if entry in vocab.ids else MASK,
                               self._recalled(query) or reduce_query(query, vocab)))
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO searches VALUES (?, ?, ?, ?, ?, ?)", searches)
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
        self.written += len(batch)
        self._recovered()

    def _remember(self, typed: str, reduced: str) -> None:
        """What a typed query was stored as, so an event about its results is stored with
        the same text (in memory only, the last :data:`REMEMBERED` queries)."""
        key = " ".join(typed.split())
        self._searched[key] = reduced
        self._searched.move_to_end(key)
        while len(self._searched) > REMEMBERED:
            self._searched.popitem(last=False)

    def _recalled(self, typed: str) -> str | None:
        return self._searched.get(" ".join(typed.split()))

    def _fail(self, exc: Exception, lost: int) -> None:
        """One log line per failing stretch (at most one a minute); the connection is
        reopened for the next batch, so a file that is fixed is written to again."""
        self.dropped += lost
        self._failed_since_log += lost
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        now = time.monotonic()
        if now - self._failed_at >= LOG_EVERY_SECONDS:
            reason = str(exc).splitlines()[0] if isinstance(exc, sqlite3.Error | OSError) \
                else type(exc).__name__
            logger.error("usage recording to %s failed (%s); %d events not recorded; "
                         "search is not affected", self.path, reason, self._failed_since_log)
            self._failed_at = now
            self._failed_since_log = 0

    def _recovered(self) -> None:
        if self._failed_at:
            logger.warning("usage recording to %s works again", self.path)
            self._failed_at = 0.0
            self._failed_since_log = 0


__all__ = ["ENV_USAGE_DB", "EVENT_TYPES", "EventError", "Recorder", "connect", "parse_event",
           "purge"]
