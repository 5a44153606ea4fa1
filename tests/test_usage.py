"""Usage recording (prolo_kb.usage): what is stored, what never is, and that a bad file
never costs a search.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from prolo_kb import usage
from prolo_kb.recorder import Recorder
from prolo_kb.scrub import MASK
from prolo_kb.scrub_words import Vocabulary
from prolo_kb.usage import EventError, connect, parse_event, purge

VOCAB = Vocabulary(frozenset({"fever", "after", "shot", "knee", "says", "hurts", "the"}),
                   ids=frozenset({"fever-after-injection", "knee-pain"}))
TODAY = date(2026, 12, 4)
RESULT = {"query": "x", "total": 3, "not_covered": False, "urgency": "same-day",
          "hits": [{"id": "fever-after-injection"}, {"id": "knee-pain"}]}


def recorder(path: Path, today: date = TODAY, **options: object) -> Recorder:
    return Recorder(path, lambda: VOCAB, today=lambda: today, **options)  # type: ignore[arg-type]


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(f"SELECT * FROM {table} ORDER BY rowid"))


def test_a_search_is_stored_reduced_with_the_day_only(tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    rec = recorder(db)
    rec.record_search("mrs kowalski dob 2/9/58 cell 617 555 0142 says fever", RESULT)
    rec.record_search("knee hurts", {"total": 0, "not_covered": True, "hits": []})
    assert rec.flush()
    rec.close()
    assert rows(db, "searches") == [
        ("2026-12-04", f"mrs {MASK} cell {MASK} says fever", 0, 3,
         "fever-after-injection", "same-day"),
        ("2026-12-04", "knee hurts", 1, 0, None, None),
    ]
    raw = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("usage.db-*"))
    for detail in (b"kowalski", b"617", b"0142", b"2/9/58"):
        assert detail not in raw


def test_a_corrected_query_is_kept_as_corrected(tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    rec = recorder(db)
    rec.record_search("kne hurts aftr the shot",
                      {**RESULT, "corrected": "knee hurts after the shot"})
    assert rec.flush()
    rec.close()
    assert rows(db, "searches")[0][1] == "knee hurts after the shot"


def test_an_event_about_a_corrected_search_is_stored_with_the_same_text(
        tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    rec = recorder(db)
    rec.record_search("kne  hurts", {**RESULT, "corrected": "knee hurts"})
    rec.record_event("copied", "knee-pain", "kne hurts")
    rec.record_event("copied", "knee-pain", "kne")  # never searched: reduced on its own
    assert rec.flush()
    rec.close()
    assert [r[3] for r in rows(db, "events")] == ["knee hurts", MASK]


def test_the_tables_hold_nothing_else(tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    conn = connect(db)
    columns = {table: [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
               for table in ("searches", "events")}
    assert columns == {"searches": ["day", "query", "not_covered", "total", "top_id",
                                    "urgency"],
                       "events": ["day", "type", "entry", "query"]}
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_answer_events_are_stored_with_known_ids_only(tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    rec = recorder(db)
    rec.record_event("copied", "fever-after-injection", "john smith fever after shot")
    rec.record_event("unhelpful", "knee-pain", "knee hurts")
    rec.record_event("opened", "mary-jones-record", "knee")
    assert rec.flush()
    rec.close()
    assert rows(db, "events") == [
        ("2026-12-04", "copied", "fever-after-injection", f"{MASK} fever after shot"),
        ("2026-12-04", "unhelpful", "knee-pain", "knee hurts"),
        ("2026-12-04", "opened", MASK, "knee"),
    ]
    with pytest.raises(ValueError):
        rec.record_event("printed", "knee-pain", "")


def test_rows_older_than_180_days_go_on_start_and_each_day(tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    conn = connect(db)
    old = (TODAY - timedelta(days=181)).isoformat()
    kept = (TODAY - timedelta(days=180)).isoformat()
    with conn:
        conn.executemany("INSERT INTO searches VALUES (?, 'knee', 0, 1, NULL, NULL)",
                         [(old,), (kept,)])
        conn.execute("INSERT INTO events VALUES (?, 'copied', 'knee-pain', 'knee')", (old,))
    conn.close()
    day = [TODAY]
    rec = Recorder(db, lambda: VOCAB, today=lambda: day[0])
    rec.record_search("knee", RESULT)
    assert rec.flush()
    assert [r[0] for r in rows(db, "searches")] == [kept, TODAY.isoformat()]
    assert rows(db, "events") == []
    day[0] = TODAY + timedelta(days=1)  # the next day: the row at 180 days goes too
    rec.record_search("fever", RESULT)
    assert rec.flush()
    rec.close()
    assert [r[0] for r in rows(db, "searches")] == [TODAY.isoformat(), day[0].isoformat()]


def test_purge_counts_what_it_deleted(tmp_path: Path) -> None:
    conn = connect(tmp_path / "u.db")
    with conn:
        conn.execute("INSERT INTO searches VALUES ('2020-01-01', 'x', 0, 0, NULL, NULL)")
    assert purge(conn, TODAY) == 1
    assert purge(conn, TODAY) == 0


def test_many_threads_lose_no_event(tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    rec = recorder(db)
    per_thread = 500

    def work(n: int) -> None:
        for i in range(per_thread):
            if i % 2:
                rec.record_search("knee hurts", RESULT)
            else:
                rec.record_event("copied", "knee-pain", "knee")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rec.flush()
    rec.close()
    assert len(rows(db, "searches")) + len(rows(db, "events")) == 8 * per_thread
    assert rec.dropped == 0 and rec.written == 8 * per_thread


def _failing(path: Path, caplog: pytest.LogCaptureFixture) -> Recorder:
    caplog.set_level(logging.INFO, logger="prolo_kb.web.usage")
    rec = recorder(path)
    for _ in range(3):
        rec.record_search("knee hurts", RESULT)
    assert rec.flush()
    return rec


def test_a_damaged_file_costs_the_events_and_one_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "usage.db"
    db.write_bytes(b"this is not a database, it is a text file " * 100)
    rec = _failing(db, caplog)
    rec.close()
    lines = [r for r in caplog.records if r.name == "prolo_kb.web.usage"]
    assert len(lines) == 1
    assert "not a database" in lines[0].getMessage()
    assert "knee" not in lines[0].getMessage()
    assert rec.dropped == 3 and rec.written == 0


@pytest.mark.parametrize("where", ["/dev/full", "unwritable"])
def test_a_full_or_unwritable_place_costs_only_the_events(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, where: str) -> None:
    if where == "unwritable":
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        path = blocker / "usage.db"  # a file is not a folder: nothing can be made there
    else:
        path = Path(where)
    rec = _failing(path, caplog)
    rec.close()
    lines = [r for r in caplog.records if r.name == "prolo_kb.web.usage"]
    assert len(lines) == 1 and "failed" in lines[0].getMessage()
    assert rec.written == 0


def test_a_locked_file_is_written_once_the_lock_goes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usage, "BUSY_TIMEOUT_SECONDS", 0.05)
    monkeypatch.setattr("prolo_kb.recorder.LOG_EVERY_SECONDS", 0.0)
    db = tmp_path / "usage.db"
    connect(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    rec = _failing(db, caplog)
    assert rec.written == 0 and rec.dropped == 3
    holder.execute("ROLLBACK")
    holder.close()
    rec.record_search("fever after shot", RESULT)
    assert rec.flush()
    rec.close()
    assert [r[1] for r in rows(db, "searches")] == ["fever after shot"]
    messages = [r.getMessage() for r in caplog.records if r.name == "prolo_kb.web.usage"]
    assert any("locked" in m for m in messages)
    assert any("works again" in m for m in messages)


def test_a_vocabulary_that_fails_still_keeps_only_common_words(tmp_path: Path) -> None:
    def broken() -> Vocabulary:
        raise OSError("index gone")

    db = tmp_path / "usage.db"
    rec = Recorder(db, broken, today=lambda: TODAY)
    rec.record_search("john smith says his knee hurts", RESULT)
    rec.record_event("copied", "knee-pain", "knee")
    assert rec.flush()
    rec.close()
    assert rows(db, "searches")[0][1] == f"{MASK} says his knee hurts"
    assert rows(db, "events")[0][2] == MASK  # no index: no id can be checked


def test_a_full_queue_drops_instead_of_waiting(tmp_path: Path) -> None:
    gate = threading.Event()

    def slow() -> Vocabulary:
        gate.wait(5)
        return VOCAB

    rec = Recorder(tmp_path / "usage.db", slow, today=lambda: TODAY, queue_size=2)
    for _ in range(10):
        rec.record_search("knee", RESULT)  # returns at once although the writer waits
    gate.set()
    assert rec.flush()
    rec.close()
    assert rec.dropped >= 7


@pytest.mark.parametrize(("body", "words"), [
    (b"not json", "JSON object"),
    (b"[1, 2]", "JSON object"),
    (b'{"type": "printed", "id": "knee-pain"}', "type must be"),
    (b'{"type": "copied", "id": 12}', "id must be"),
    (b'{"type": "copied", "id": "<script>"}', "id must be"),
    (b'{"type": "copied", "id": "knee-pain", "query": 5}', "query must be"),
    (b'{"type": "copied", "id": "knee-pain", "ip": "1.2.3.4"}', "unknown field"),
])
def test_bad_event_bodies_are_refused(body: bytes, words: str) -> None:
    with pytest.raises(EventError, match=words):
        parse_event(body)


def test_a_good_event_body() -> None:
    assert parse_event(b'{"type": "helpful", "id": "knee-pain", "query": "knee"}') == (
        "helpful", "knee-pain", "knee")
    assert parse_event(b'{"type": "opened", "id": "about#top"}') == ("opened", "about#top", "")
