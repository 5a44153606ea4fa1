"""Measured search quality on the labelled query sets.

- tests/data/queries.tsv: the first set (real patient questions, lay, typos, clinical);
- tests/data/fresh.tsv: questions written from the site alone by someone who never saw
  the ranking, with out-of-scope questions that must be flagged "not covered";
- tests/data/signs.tsv: real warning-sign reports and questions that only mention a sign;
- tests/data/holdout.tsv: a second set written from the site alone (2026-12-05), kept to
  check that a change helps questions nobody tuned it to; its out-of-scope questions
  share words with the base on purpose;
- tests/data/holdout2.tsv: a third, written the same way later that day and measured
  before any change was tried on it (session start R@1 0.930 / R@3 0.983);
- tests/data/holdout3.tsv: a fourth, written the same way that evening after the
  "not covered" change, by a writer asked for everyday circumstance around a third of the
  lay questions (first measured R@1 0.855 / R@3 0.964, out-of-scope flagged 82.5%,
  in-scope wrongly 15.5%); the next session's changes were drawn from its misses;
- tests/data/holdout4.tsv: a fifth (200 questions, 50 out of scope), written at the start
  of that session from the built site and sealed: it was first scored after the last
  change to the ranking (R@1 0.893 / R@3 0.967, out-of-scope flagged 70%, in-scope
  wrongly 7.3%; the session's starting code: 0.893 / 0.960, 72% and 9.3%); the one
  change made after that was a false banner it showed (R@1 then 0.900);
- tests/data/holdout5.tsv: a sixth (200, 50 out of scope), written and sealed the same way
  later in that session, while the ranking still changed on holdout4's misses; first
  scored R@1 0.847 / R@3 0.920, out-of-scope flagged 64%, in-scope wrongly 6.7% (the
  session's starting code: 0.840 / 0.920, 66% and 7.3%); its misses then gave a stemming
  fix, three shorthands, two wordings that two writers had both used and a sign rule;
- tests/data/holdout6.tsv: a seventh (200, 50 out of scope), written from the site alone
  at the start of the next session and sealed until that session's "not covered" offer
  rule and three vocabulary fixes were in: first scored R@1 0.833 / R@3 0.947,
  out-of-scope flagged 62%, in-scope wrongly 14% (starting code: 0.833 / 0.947, 58%,
  14%); its misses then gave the "what even is that" rule, English's share for words no
  entry uses, and vocabulary;
- tests/data/holdout7.tsv: an eighth (200, 50 out of scope, half of those about another
  treatment's cost or recovery), written and sealed the same way during that session and
  first scored after its last change: R@1 0.887 / R@3 0.947, out-of-scope flagged 54%,
  in-scope wrongly 10.0% (starting code: 0.880 / 0.933, 50%, 12.0%);
- tests/data/signs2.tsv: warning reports and mentions written from the clinical notes
  and the site by an outside tester; its misses (12 reports, 18 false alarms) were fixed,
  so it now guards against regressions rather than measuring.

`make eval` prints the full report; these tests hold the bars (the measured figures of
the last change, less a small margin: a change that makes the search worse fails).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from prolo_kb.evaluate import Labelled, by_kind, coverage, load, report, run, safety, score
from prolo_kb.search import SearchEngine
from prolo_kb.store import iter_documents, open_index

QUERIES = Path(__file__).parent / "data" / "queries.tsv"
FRESH = Path(__file__).parent / "data" / "fresh.tsv"
SIGNS = Path(__file__).parent / "data" / "signs.tsv"
HOLDOUT = Path(__file__).parent / "data" / "holdout.tsv"
HOLDOUT2 = Path(__file__).parent / "data" / "holdout2.tsv"
HOLDOUT3 = Path(__file__).parent / "data" / "holdout3.tsv"
HOLDOUT4 = Path(__file__).parent / "data" / "holdout4.tsv"
HOLDOUT5 = Path(__file__).parent / "data" / "holdout5.tsv"
HOLDOUT6 = Path(__file__).parent / "data" / "holdout6.tsv"
HOLDOUT7 = Path(__file__).parent / "data" / "holdout7.tsv"
SIGNS2 = Path(__file__).parent / "data" / "signs2.tsv"
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
    assert overall.recall_at_1 >= 0.945 and overall.recall_at_3 >= 0.985, report(outcomes)
    assert warning.recall_at_1 == 1.0, report(outcomes)


@pytest.fixture(scope="module")
def escalation(real_index: Path) -> frozenset[str]:
    """The ids of the warning-sign entries."""
    return frozenset(d.id for d in iter_documents(open_index(real_index)) if d.escalate)


# Each set written from the site alone: its size and out-of-scope count, then the bars
# for R@1 and R@3, and for out-of-scope flagged and in-scope flagged wrongly. holdout:
# lexical coverage cannot tell "do you do x-rays on site" from an imaging question, so
# its not-covered bar holds today's figures. holdout4 to holdout7 show how far the aims
# (0.92 / 0.98, 90% / 3%) still are on questions written by people who never saw the
# search (README, "Measured quality"). Last: how many false banners the set may raise.
# holdout6 raises one: "I have an infected cut right over the sore spot on my knee, can I
# still come in for the shots" reads as the sign "spot got infected"; narrowing the
# window of out-of-order sign words enough to drop it loses a real report in signs.tsv.
SITE_ALONE = [
    (FRESH, 150, 30, (0.95, 0.98), (0.93, 0.03), 0),
    (HOLDOUT, 120, 25, (0.96, 0.99), (0.60, 0.04), 0),
    (HOLDOUT2, 150, 30, (0.95, 0.99), (0.70, 0.04), 0),
    (HOLDOUT3, 150, 30, (0.91, 0.98), (0.90, 0.08), 0),
    (HOLDOUT4, 200, 50, (0.92, 0.98), (0.76, 0.04), 0),
    (HOLDOUT5, 200, 50, (0.87, 0.94), (0.74, 0.04), 0),
    (HOLDOUT6, 200, 50, (0.84, 0.94), (0.60, 0.10), 1),
    (HOLDOUT7, 200, 50, (0.87, 0.93), (0.52, 0.11), 0),
]


@pytest.mark.parametrize(("path", "size", "outside", "recall", "flags", "banners"),
                         SITE_ALONE, ids=[row[0].stem for row in SITE_ALONE])
def test_questions_written_from_the_site_alone(
        real_index: Path, escalation: frozenset[str], path: Path, size: int, outside: int,
        recall: tuple[float, float], flags: tuple[float, float], banners: int) -> None:
    items = load(path)
    assert len(items) >= size and sum(not i.covered for i in items) >= outside
    outcomes = run(SearchEngine(real_index), items)
    overall, flagged = score(outcomes), coverage(outcomes)
    assert overall.recall_at_1 >= recall[0] and overall.recall_at_3 >= recall[1], \
        report(outcomes)
    assert flagged.flagged >= flags[0] and flagged.wrongly_flagged <= flags[1], \
        report(outcomes)
    # No sign reports here; a banner is allowed only on a question about a warning sign
    # ("what does an infected injection site look like"): callers who have the sign ask
    # exactly that, and safety comes first (README, "Measured quality").
    false = [o.item.query for o in outcomes if o.urgency and not o.item.expected & escalation]
    assert len(false) <= banners, false


@pytest.mark.parametrize(("path", "false_alarms"), [(SIGNS, 0.05), (SIGNS2, 0.08)])
def test_warning_reports_are_never_missed_and_mentions_rarely_alarm(
        real_index: Path, path: Path, false_alarms: float) -> None:
    items = load(path)
    assert sum(i.urgency in ("emergency", "same-day") for i in items) >= 40
    assert sum(i.urgency == "none" for i in items) >= 60
    outcomes = run(SearchEngine(real_index), items)
    measured = safety(outcomes)
    # Every report: an escalation entry first, with the urgency the report calls for.
    assert measured.escalation_recall == 1.0, report(outcomes)
    assert measured.false_alarm_rate <= false_alarms, report(outcomes)
