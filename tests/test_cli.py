"""The ``prolo-kb`` command: output, JSON shape, batch mode, exit codes, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from prolo_kb.cli import default_index, main
from prolo_kb.search import SearchEngine
from prolo_kb.search_text import format_result, use_color


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_readable_output(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", "--index", str(sample_index), "how", "often",
                         "are", "shots")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert " 1. How often are the injections given?  (FAQ, protocol)" in lines
    assert "Every four to six weeks" in out
    assert "faq.html#faq-injection-interval" in out
    assert "\033[" not in out  # no colour when not on a terminal


def test_badges_are_printed(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--index", str(sample_index), "fever")
    assert code == 0
    assert "SAME DAY: Pass to a clinician today - the caller said: fever" in out
    assert "[ESCALATE: Pass to a clinician today]" in out
    code, out, _ = run(capsys, "search", "--index", str(sample_index), "ibuprofen")
    assert "[CLINIC POLICY PENDING: ask a clinician]" in out


def test_json_output(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--json", "--index", str(sample_index), "injektions")
    data = json.loads(out)
    assert code == 0
    assert data["query"] == "injektions" and data["corrected"] == "injections"
    assert data["total"] >= 1 and data["hits"][0]["kind"] in ("faq", "section")


def test_no_hits_exit_1(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--index", str(sample_index), "zebra")
    # nothing matches and nothing is related: the one line says where the question goes
    assert code == 1 and out.strip() == ("Not covered by the knowledge base - pass the "
                                         "question to the front desk or a clinician.")


@pytest.mark.parametrize("argv, message", [
    (["search"], "nothing to search for"),
    (["search", "the", "of"], "only common words"),
    (["search", "--limit", "abc", "x"], "invalid int value"),
    (["search", "--limit", "0", "fever"], "limit must be between"),
    (["search", "--topic", "astrology", "fever"], "unknown topic"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors_are_one_line_exit_2(sample_index: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          argv: list[str], message: str) -> None:
    code, _, err = run(capsys, *argv[:1], "--index", str(sample_index), *argv[1:]) \
        if argv[0] == "search" else run(capsys, *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_index_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "--index", str(tmp_path / "none"), "fever")
    assert code == 2 and "make build" in err


def test_batch_json_lines(sample_index: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "q.txt"
    queries.write_text("how often are the shots\n\nthe of\nfever\n", encoding="utf-8")
    code, out, _ = run(capsys, "search", "--index", str(sample_index), "--batch", str(queries))
    rows = [json.loads(line) for line in out.splitlines()]
    # One output line for each input line, the blank one too, so that line N answers
    # line N; a line that could not be searched makes the exit code 2.
    assert code == 2
    assert [r["query"] for r in rows] == ["how often are the shots", "", "the of", "fever"]
    assert rows[0]["hits"][0]["id"] == "injection-interval"
    assert "nothing to search for" in rows[1]["error"]
    assert "only common words" in rows[2]["error"]
    assert rows[3]["hits"][0]["escalate"] is True and rows[3]["urgency"] == "same-day"
    queries.write_text("how often are the shots\nfever\n", encoding="utf-8")
    code, out, _ = run(capsys, "search", "--index", str(sample_index), "--batch", str(queries))
    assert code == 0 and len(out.splitlines()) == 2


def test_batch_unreadable_file(sample_index: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "--index", str(sample_index), "--batch",
                       str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read" in err


def test_export(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", "--index", str(sample_index))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 8
    assert {r["kind"] for r in rows} == {"faq", "section"}


def test_env_var_overrides_default_index(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setenv("PROLO_KB_INDEX", str(tmp_path / "x"))
    assert default_index() == tmp_path / "x"
    monkeypatch.delenv("PROLO_KB_INDEX")
    monkeypatch.chdir(Path(__file__).parent)
    assert default_index() == Path(__file__).resolve().parents[1] / "build" / "index"


def test_installed_command_never_shows_a_traceback(sample_index: Path) -> None:
    exe = Path(sys.executable).parent / "prolo-kb"
    proc = subprocess.run([str(exe), "search", "--index", str(sample_index), "--json",
                           '"unbalanced', "AND", "(", "\x01"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    json.loads(proc.stdout)
    proc = subprocess.run([str(exe), "search", "--index", str(sample_index), "x" * 10_000],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("prolo-kb: the query is too long (10000 characters")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_nouse_color(
        sample_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color(_Tty())
    assert not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(_Tty())
    result = SearchEngine(sample_index).search("fever")
    coloured = format_result(result, color=True, width=80)
    assert "\033[1;97;41m[ESCALATE: Pass to a clinician today]\033[0m" in coloured
    assert "\033[" not in format_result(result, color=False, width=80)


def test_a_search_imports_only_what_it_needs(sample_index: Path) -> None:
    """The import path stays lean: no web server, no build side, no numpy for a small
    index (numpy is for indexes of many thousand entries)."""
    script = (
        "import sys\n"
        "from prolo_kb.cli import main\n"
        f"code = main(['search', '--index', {str(sample_index)!r}, 'fever'])\n"
        "heavy = ('numpy', 'starlette', 'uvicorn', 'sphinx', 'indexer', 'yaml')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules), code)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.stdout.splitlines()[-1] == "LOADED [] 0", done.stdout + done.stderr
