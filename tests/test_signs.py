"""Warning signs in what the caller said, and the context that makes them only mentioned.

The detector is tested with the project's own trigger data (docs/_data/context.yaml),
first on small sign lists, then through the search on the real knowledge base.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.language import load_context
from prolo_kb.search import SearchEngine
from prolo_kb.signs import FeverReading, Sign, SignDetector, sign_words

CONTEXT = Path(__file__).resolve().parents[1] / "docs" / "_data" / "context.yaml"


@pytest.fixture(scope="module")
def detector() -> SignDetector:
    context, terminators, fever = load_context(CONTEXT)
    assert fever is not None
    signs = [Sign(doc_id, phrase, sign_words(phrase)) for doc_id, phrase in [
        ("fever", "fever"), ("fever", "chills"), ("red", "red and hot"),
        ("red", "spreading redness"), ("breath", "can't breathe"),
        ("dizzy", "dizzy"), ("infected", "infection"), ("allergy", "lips swelling"),
        ("site", "red where injected"), ("worse", "pain worse and worse"),
        ("swallow", "hard to swallow"), ("swallow", "barely swallow"),
    ]]
    return SignDetector(signs, context, terminators, FeverReading("fever", *fever[1:]))


def contexts(detector: SignDetector, text: str) -> dict[str, str]:
    return {f.sign.doc_id: f.context for f in detector.detect(text).found}


def test_a_sign_keeps_the_words_that_make_it_one() -> None:
    assert sign_words("can't get air in") == ("cant", "air")
    assert sign_words("the shakes") == ("shake",)  # the build warns about this one
    assert sign_words("cannot breathe") == sign_words("can't breathe") == ("cant", "breath")


@pytest.mark.parametrize(("text", "want"), [
    ("fever", {"fever": "asserted"}),  # unclear: counts
    ("chills since the shot", {"fever": "asserted"}),
    ("no fever", {"fever": "negated"}),
    ("pt denies fever", {"fever": "negated"}),
    ("fever has gone", {"fever": "negated"}),
    ("no fever but my knee is red and hot", {"fever": "negated", "red": "asserted"}),
    ("no fever, chills or dizzy", {"fever": "negated", "dizzy": "negated"}),
    ("no fever, my knee is red and hot", {"fever": "negated", "red": "asserted"}),
    ("had a fever last month", {"fever": "historical"}),
    ("dizzy before my first visit", {"dizzy": "historical"}),
    ("what's the chance of infection", {"infected": "hypothetical"}),
    ("infection risk", {"infected": "hypothetical"}),
    ("dizzy, what are the risks", {"dizzy": "asserted"}),
    ("i feel dizzy is that a risk", {"dizzy": "asserted"}),
    # asking how to tell covers the sign next to it, not one said after it
    ("how do i know if its infected its red and hot",
     {"infected": "hypothetical", "red": "asserted"}),
    ("how can i tell if the redness is spreading", {"red": "hypothetical"}),
    # "i have" starts a new statement, typed without a comma
    ("worried about infection i have been dizzy", {"infected": "hypothetical",
                                                   "dizzy": "asserted"}),
    ("does it cause infection", {"infected": "hypothetical"}),
    ("worried about infection", {"infected": "hypothetical"}),
    ("my husband can't breathe", {"breath": "asserted"}),  # staff report for patients
    ("i cannot breathe", {"breath": "asserted"}),
    ("lips swelling after the shot", {"allergy": "asserted"}),
    # the shots are still to come: a word between the sign's words says so
    ("skin is red near where you'll inject", {"site": "hypothetical"}),
    ("red where they will inject next week", {"site": "hypothetical"}),
    ("red where you injected", {"site": "asserted"}),
    # what is gone is what was said last, unless only more signs come before it
    ("can barely swallow and my voice has gone hoarse", {"swallow": "asserted"}),
    ("lips swelling and the itching went away", {"allergy": "asserted"}),
    ("fever and chills have stopped", {"fever": "negated"}),
    # a long-standing pattern is not something the shots started
    ("i get dizzy every winter", {"dizzy": "historical"}),
    # a repeated word of a sign must be said twice
    ("is the pain worse the day after", {}),
    ("pain worse and worse since the shot", {"worse": "asserted"}),
    # an idiom is not a sign
    ("excitement is at fever pitch", {}),
    # "ever" is no trigger: it sits in reports as often as in conditionals
    ("the worst fever i have ever had", {"fever": "asserted"}),
    ("ever since the shot my knee is red and hot", {"red": "asserted"}),
    ("have you ever seen lips swelling like this", {"allergy": "asserted"}),
])
def test_context_of_each_sign(detector: SignDetector, text: str, want: dict[str, str]) -> None:
    assert contexts(detector, text) == want


def test_a_sign_is_one_statement(detector: SignDetector) -> None:
    # "spreading" and "redness" are on either side of "just": two statements
    assert contexts(detector, "it is not spreading just a small redness") == {}


def test_a_temperature_reading_is_the_fever_sign(detector: SignDetector) -> None:
    for text in ("pt says 102 degrees", "temp 38.5 since the shot", "running 101 since",
                 "101.3 tonight"):
        assert contexts(detector, text) == {"fever": "asserted"}, text
    for text in ("temp 99.1", "37.5 degrees", "took 2 tylenol", "room 102"):
        assert "fever" not in contexts(detector, text), text


def test_the_callers_own_words_are_reported(detector: SignDetector) -> None:
    found = detector.detect("my knee is red and hot").found
    assert [f.words for f in found] == ["red and hot"]


# -- through the search, on the real knowledge base ---------------------------------------

@pytest.fixture(scope="module")
def engine(real_index: Path) -> SearchEngine:
    return SearchEngine(real_index)


@pytest.mark.parametrize(("query", "urgency", "first"), [
    ("my lips are swelling after the shot", "emergency", "allergic-reaction"),
    ("throat feels like its closing since the injection", "emergency", "allergic-reaction"),
    ("my husband can't breathe after his shots", "emergency", "trouble-breathing"),
    # "ever" in a report: the most urgent sign still comes first
    ("the worst headache I've ever had and my lips are swelling", "emergency",
     "allergic-reaction"),
    ("has my leg ever been this weak, it started after the shot", "same-day",
     "new-weakness-or-burning-pain"),
    ("knee is swollen and hot after the shot", "same-day", None),
    ("pt c/o fever since inj", "same-day", "fever-after-injection"),
    ("pus coming out of the needle spot", "same-day", "pus-from-injection-site"),
    ("the shots made my pain worse and it keeps getting worse", "same-day",
     "pain-keeps-getting-worse"),
    # a question about risk after a report does not unsay it
    ("i have chills and fever what are the risks", "same-day", "fever-after-injection"),
    ("pus coming out what are the risks", "same-day", "pus-from-injection-site"),
    ("i have a fever is that a risk", "same-day", "fever-after-injection"),
    ("how do i know if its infected its red and hot and spreading", "same-day",
     "redness-spreading-injection-site"),
    ("the swelling keeps getting bigger every day", "same-day",
     "redness-spreading-injection-site"),
    # the most urgent entry first, so the first answer says what the banner says
    ("hives all over my arms after the shot and i feel lightheaded", "emergency",
     "allergic-reaction"),
    ("can barely swallow and my voice has gone hoarse since the neck shots", "emergency",
     "allergic-reaction"),
    ("she feels faint and itchy all over after the shots", "emergency", "allergic-reaction"),
    # asking whether treatment can go ahead does not unsay a sign said with it
    ("can i still come in with a fever", "same-day", "fever-after-injection"),
    ("im having side effects like fever and chills", "same-day", "fever-after-injection"),
])
def test_reports_raise_the_right_urgency(engine: SearchEngine, query: str, urgency: str,
                                         first: str | None) -> None:
    result = engine.search(query)
    assert result.urgency == urgency
    assert result.hits[0].doc.escalate
    if first:
        assert result.hits[0].doc.id == first
    assert result.to_json()["action"] == {"emergency": "Call emergency services now",
                                          "same-day": "Pass to a clinician today"}[urgency]
    # the banner names what the caller said, not the entry's list of synonyms
    assert all(words.lower() in query.lower().replace("'", "") or words.isdigit()
               for words in result.warning_signs), result.warning_signs


@pytest.mark.parametrize("query", [
    "no temperature, no redness, only a bit achy",
    "my shoulder ached before my first visit",
    "what's the chance of getting an infection",
    "had a fever last month before my first appointment",
    "can I have a smoothie after the injections",
    "how often do i need the shots",
    "i have an infected cut on my knee right where you will inject it, keep my appt?",
    "Can prolotherapy make my pain worse?",
    "will the shots make my knee swell up",
    "how do i know if its an allergic reaction",
    "how would I know if the injection site got infected?",
    "will prolotherapy help the burning sciatica pain down my leg?",
    "what's the difference between normal soreness and pain that keeps getting worse?",
    "are there side effects like fever or a rash?",
    "I have a skin infection near my knee, can I still get the shots next week?",
])
def test_mentions_raise_no_banner(engine: SearchEngine, query: str) -> None:
    result = engine.search(query)
    assert result.urgency is None and not result.warning_signs
    assert not result.hits[0].doc.escalate, result.hits[0].doc.id


def test_explain_shows_each_sign_and_its_context(engine: SearchEngine) -> None:
    explained = engine.search("no fever but the knee is red and hot", explain=True).explain
    assert explained is not None
    seen = {(s["entry"], s["context"]) for s in explained["signs"]}
    assert ("fever-after-injection", "negated") in seen
    assert ("redness-spreading-injection-site", "asserted") in seen
    assert "fever" in explained["absent"]  # "no fever" is not what the question is about


def test_a_negated_sign_leaves_ranking_but_a_negated_glossary_phrase_stays(
        engine: SearchEngine) -> None:
    absent = engine.search("no fever, knee is sore", explain=True).explain
    assert absent is not None
    assert "fever" not in {c["typed"] for c in absent["concepts"]}
    # "no improvement" is the glossary's wording of a treatment that did not work
    failed = engine.search("pt s/p 3 tx w/ no improvement, what are the next options",
                           explain=True)
    assert failed.explain is not None
    assert "no improv" in {c["typed"] for c in failed.explain["concepts"]}
    assert failed.hits[0].doc.id == "if-it-does-not-work"
    # a glossary phrase that is itself the absent sign leaves, like a one-word sign
    fine = engine.search("no trouble breathing, just sore, is that normal", explain=True)
    assert fine.explain is not None
    assert "troubl breath" not in {c["typed"] for c in fine.explain["concepts"]}
    assert "trouble-breathing" not in [h.doc.id for h in fine.hits[:3]]
    assert not fine.not_covered


@pytest.mark.parametrize(("query", "absent", "kept"), [
    # past the denial's comma a part that is not a list of signs keeps its words
    ("no swelling, no hives, the shots were just sore, is that normal",
     {"swell", "hive"}, {"shot", "sore"}),
    # a list of signs after the comma is denied whole
    ("no fever, chills or redness but the knee is stiff", {"fever", "chill", "red"},
     {"knee", "stiff"}),
    # a word said again outside the denial is asked about
    ("no swelling at first, now the swelling is bigger", set(), {"swell"}),
])
def test_only_what_a_denial_covers_is_absent(engine: SearchEngine, query: str,
                                             absent: set[str], kept: set[str]) -> None:
    explained = engine.search(query, explain=True).explain
    assert explained is not None
    assert absent <= set(explained["absent"])
    concepts = {c["typed"] for c in explained["concepts"]}
    assert kept <= concepts and not absent & concepts


@pytest.mark.parametrize(("query", "urgency"), [
    # "worse than yesterday" said backwards across a comma is two phrases, not the sign
    ("pt s/p inj yesterday, pain worse than baseline, expected?", None),
    ("pain worse than yesterday, is that expected", "same-day"),
    # said in its own order a sign may run over a comma
    ("my knee, its hot to the touch", "same-day"),
    # the "out" of the trigger "look out for" is not the "out" of "out of breath"
    ("is there anything with my breathing i should look out for afterwards", None),
    ("im out of breath since the shots", "same-day"),
])
def test_a_sign_said_out_of_order_stays_in_one_phrase(engine: SearchEngine, query: str,
                                                      urgency: str | None) -> None:
    assert engine.search(query).urgency == urgency
