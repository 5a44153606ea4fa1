"""The usage recorder: one writer thread per process that reduces what staff searched
for and did (:mod:`prolo_kb.usage` says what a row holds) and writes it to SQLite.

Recording never slows or breaks a search: a request only puts the event on a queue; one
writer thread per process reduces the queries and writes them in short transactions (WAL
mode, so ``prolo-kb gaps`` can read meanwhile and several server processes can share a
file). A locked, full, read-only or damaged file costs the events of that moment and one
line in the server log, never a failed request.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from .scrub import MASK, reduce_query
from .scrub_words import Vocabulary
from .usage import EVENT_TYPES, RETENTION_DAYS, connect, purge

QUEUE_SIZE = 100_000  # events waiting for the writer; beyond this they are dropped
BATCH_SIZE = 1_000  # events written in one transaction at most
BATCH_SECONDS = 0.5  # after the first event of a batch, wait this long for more
IDLE_WAKE_SECONDS = 600.0  # the writer wakes this often to delete old rows
LOG_EVERY_SECONDS = 60.0  # a failing file is reported at most this often
REMEMBERED = 4096  # typed queries whose stored text an answer event reuses

logger = logging.getLogger("prolo_kb.web.usage")


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


__all__ = ["Recorder"]
