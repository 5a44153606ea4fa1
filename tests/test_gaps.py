"""The content lead's report (prolo_kb.gaps, `prolo-kb gaps`, `prolo-kb check --usage-db`):
merged over server replicas, counted right, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest

from prolo_kb.cli import main as cli_main
from prolo_kb.gaps import GapsError, format_report, gaps
from prolo_kb.scrub import MASK
from prolo_kb.usage import connect

TODAY = date.today()
DAY = TODAY.isoformat()


def usage_file(path: Path, searches: Sequence[tuple[str, str, int, int, str | None, str | None]],
               events: Sequence[tuple[str, str, str, str]] = ()) -> Path:
    conn = connect(path)
    with conn:
        conn.executemany("INSERT INTO searches VALUES (?, ?, ?, ?, ?, ?)", searches)
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
    conn.close()
    return path


@pytest.fixture
def replicas(tmp_path: Path) -> list[Path]:
    old = (TODAY - timedelta(days=40)).isoformat()
    one = usage_file(tmp_path / "a.db", [
        (DAY, "does prolo help migraines", 1, 2, "about#top", None),
        (DAY, "does prolo help migraines", 1, 2, "about#top", None),
        (DAY, "fever after shot", 0, 4, "fever-after-injection", "same-day"),
        (DAY, "how often are the shots", 0, 5, "injection-interval", None),
        (DAY, MASK, 1, 0, None, None),
        (old, "very old question", 1, 0, None, None),
    ], [
        (DAY, "copied", "fever-after-injection", "fever after shot"),
        (DAY, "unhelpful", "injection-interval", "how often are the shots"),
        (old, "copied", "knee-pain", "knee"),
    ])
    two = usage_file(tmp_path / "b.db", [
        (DAY, "does prolo help migraines", 1, 1, "about#top", None),
        (DAY, "trouble breathing after injection", 0, 3, "allergic-reaction", "emergency"),
        (DAY, "how often are the shots", 0, 5, "injection-interval", None),
    ], [
        (DAY, "copied", "fever-after-injection", "fever after shot"),
        (DAY, "unhelpful", "injection-interval", "how many shots"),
        (DAY, "helpful", "fever-after-injection", "fever after shot"),
    ])
    return [one, two]


def test_the_report_merges_replicas_and_keeps_to_the_period(replicas: list[Path]) -> None:
    report = gaps(replicas, days=30)
    assert report["searches"] == 8  # the 40-day-old row is outside the period
    assert report["not_covered"] == [{"query": "does prolo help migraines", "count": 3}]
    assert report["not_covered_total"] == 4  # with the one that was only patient details
    assert report["only_patient_details"] == 1
    assert report["top_queries"][:2] == [{"query": "does prolo help migraines", "count": 3},
                                         {"query": "how often are the shots", "count": 2}]
    assert report["copied"] == [{"id": "fever-after-injection", "count": 2}]
    assert report["unhelpful"] == [{"id": "injection-interval", "count": 2, "queries": [
        {"query": "how many shots", "count": 1},
        {"query": "how often are the shots", "count": 1}]}]
    # answered, yet nobody opened or copied a result:
    assert report["never_opened"] == [
        {"query": "how often are the shots", "count": 2},
        {"query": "trouble breathing after injection", "count": 1}]
    assert report["escalations"] == {"emergency": 1, "same-day": 1}
    assert MASK not in [row["query"] for row in report["top_queries"]]


def test_the_same_file_given_twice_counts_once(replicas: list[Path]) -> None:
    assert gaps([replicas[0], replicas[0]])["searches"] == gaps([replicas[0]])["searches"]


def test_a_longer_period_takes_older_rows(replicas: list[Path]) -> None:
    report = gaps(replicas, days=60)
    assert report["searches"] == 9
    assert {"id": "knee-pain", "count": 1} in report["copied"]


def test_the_text_report_says_what_to_write(replicas: list[Path]) -> None:
    text = format_report(gaps(replicas))
    assert "Questions no entry answers" in text
    assert "does prolo help migraines" in text
    assert "asked as: how many shots" in text
    assert "emergency" in text


def test_the_command_prints_json(replicas: list[Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["gaps", "--usage-db", str(replicas[0]), str(replicas[1]), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert isinstance(report["searches"], int) and report["searches"] == 8
    for key in ("not_covered", "top_queries"):
        assert all(set(row) == {"query", "count"} for row in report[key])
    for key in ("copied", "unhelpful"):
        assert all({"id", "count"} <= set(row) for row in report[key])


def test_the_command_takes_the_file_from_the_environment(
        replicas: list[Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROLO_KB_USAGE_DB", str(replicas[1]))
    assert cli_main(["gaps", "--days", "7"]) == 0
    out = capsys.readouterr().out
    assert "trouble breathing after injection" in out and "3 searches" in out


@pytest.mark.parametrize("problem", ["missing", "garbage", "empty", "days"])
def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch, problem: str) -> None:
    monkeypatch.delenv("PROLO_KB_USAGE_DB", raising=False)
    path = tmp_path / "usage.db"
    args = ["gaps", "--usage-db", str(path)]
    if problem == "garbage":
        path.write_bytes(b"not a database " * 100)
    elif problem == "empty":
        args = ["gaps"]
    elif problem == "days":
        usage_file(path, [])
        args += ["--days", "0"]
    assert cli_main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("prolo-kb: ") and "Traceback" not in err


def test_the_report_reads_while_the_server_writes(tmp_path: Path) -> None:
    path = usage_file(tmp_path / "u.db", [(DAY, "knee", 0, 1, "knee-pain", None)])
    writer = connect(path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO searches VALUES (?, 'hip', 0, 1, NULL, NULL)", (DAY,))
    assert gaps([path])["searches"] == 1  # WAL: a reader is not blocked by the writer
    writer.execute("COMMIT")
    writer.close()
    assert gaps([path])["searches"] == 2


def test_no_files_is_an_error() -> None:
    with pytest.raises(GapsError, match="--usage-db"):
        gaps([])


def test_check_adds_what_staff_could_not_find(
        real_index: Path, replicas: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["check", "--index", str(real_index), "--usage-db", str(replicas[0]),
                     "--usage-db", str(replicas[1])])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "What staff could not find" in out and "does prolo help migraines" in out
    cli_main(["check", "--json", "--index", str(real_index), "--usage-db", str(replicas[0])])
    data = json.loads(capsys.readouterr().out)
    assert data["usage"]["not_covered"][0] == {"query": "does prolo help migraines", "count": 2}
    cli_main(["check", "--json", "--index", str(real_index)])
    assert "usage" not in json.loads(capsys.readouterr().out)
