"""Measured search quality on the labelled query set (tests/data/queries.tsv).

`make eval` prints the full report; this test holds the bars.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from prolo_kb.evaluate import Labelled, by_kind, load, report, run, score
from prolo_kb.search import SearchEngine
from prolo_kb.store import iter_documents, open_index

QUERIES = Path(__file__).parent / "data" / "queries.tsv"
DEV = Path(__file__).resolve().parents[2] / "shared" / "content" / "patient-questions-dev.tsv"


@pytest.fixture(scope="module")
def items() -> list[Labelled]:
    return load(QUERIES)


def test_the_set_is_large_varied_and_labelled_with_real_ids(items: list[Labelled],
                                                            real_index: Path) -> None:
    assert len(items) >= 150
    assert {"lay", "typo", "caps", "clinical", "warning", "pending", "dev"} <= {
        i.kind for i in items}
    docs = {d.id: d for d in iter_documents(open_index(real_index))}
    for item in items:
        assert item.expected <= set(docs), item
        if item.kind == "warning":
            assert all(docs[i].escalate for i in item.expected), item
        if item.kind == "pending":
            assert any(docs[i].status == "policy-pending" for i in item.expected), item


def test_every_dev_question_is_in_the_set(items: list[Labelled]) -> None:
    if not DEV.is_file():
        pytest.fail(f"{DEV} is missing: the shared folder must sit beside the repository")
    with open(DEV, encoding="utf-8", newline="") as handle:
        dev = [row["question"] for row in csv.DictReader(handle, delimiter="\t")]
    ours = {i.query for i in items if i.kind == "dev"}
    assert set(dev) <= ours


def test_recall_and_escalation_bars(items: list[Labelled], real_index: Path) -> None:
    outcomes = run(SearchEngine(real_index), items)
    overall = score(outcomes)
    warning = by_kind(outcomes)["warning"]
    assert overall.recall_at_3 >= 0.95, report(outcomes)
    assert warning.recall_at_1 == 1.0, report(outcomes)
