"""Ranking and robustness of the search core, on small indexes built per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from kbfactory import SAMPLE_DOCS, SAMPLE_GLOSSARY, faq, make_index, section

from prolo_kb.content import GlossaryTerm
from prolo_kb.errors import QueryError
from prolo_kb.indexing import memory_index
from prolo_kb.search import MAX_QUERY_CHARS, SearchEngine


@pytest.fixture
def engine(sample_index: Path) -> SearchEngine:
    return SearchEngine(sample_index)


def engine_of(*docs: object) -> SearchEngine:
    """A search engine over just these documents, held in memory."""
    return SearchEngine(memory_index(docs, glossary=SAMPLE_GLOSSARY))  # type: ignore[arg-type]


def top(engine: SearchEngine, query: str, **options: object) -> str:
    result = engine.search(query, **options)  # type: ignore[arg-type]
    assert result.hits, query
    return result.hits[0].doc.id


def test_lay_words_find_the_clinical_answer(engine: SearchEngine) -> None:
    assert top(engine, "how often do i need the shots") == "injection-interval"
    assert top(engine, "what's in the sugar water") == "what-is-injected"
    assert top(engine, "tendonitis") == "tendinitis"


@pytest.mark.parametrize(("docs", "query", "want"), [
    # clinical words find the lay wording
    ([faq("jab", "Will the jab hurt?", "A little, for a short time."),
      faq("other", "Where do I park?", "Behind the clinic.")], "injection pain", "jab"),
    # a question about it outranks a passing mention
    ([faq("a", "Is numbness normal?", "Yes, for a short time."),
      faq("b", "What happens at the visit?", "We talk. Some feel numbness later.")],
     "numbness", "a"),
])
def test_the_right_one_of_two(docs: list[object], query: str, want: str) -> None:
    assert top(engine_of(*docs), query) == want


def test_a_synonym_counts_only_whole_a_typed_word_alone() -> None:
    """A glossary wording means its concept only whole: "worn out joints" does not say
    "out of pocket" (cost). A word the caller typed counts by itself: "regular doctor"
    asks about doctors."""
    glossary = (GlossaryTerm("cost", "What you pay.", ("out of pocket", "price")),
                GlossaryTerm("family doctor", "Your own doctor.", ("regular doctor",)))
    engine = SearchEngine(memory_index([
        faq("cost", "What does a visit cost?", "Ask the front desk. Some pay out of pocket."),
        faq("worn", "Is it for worn out joints?", "Yes, worn joints are on the list."),
        faq("doctors", "Why don't more doctors offer it?", "It is not well known."),
    ], glossary=glossary))
    worn = {h.doc.id: h for h in engine.search("price for worn joints", explain=True).hits}
    assert worn["worn"].explain is not None and worn["worn"].explain["coordination"] < 1
    assert worn["cost"].explain is not None and worn["cost"].explain["coordination"] < 1
    doctors = engine.search("why doesnt my regular doctor offer it", explain=True)
    assert doctors.hits[0].doc.id == "doctors" and doctors.explain is not None
    assert doctors.explain["covered"] == 1.0


def test_a_word_only_a_warning_sign_uses_answers_nothing() -> None:
    """"yesterday" in a sign phrase ("worse than yesterday") makes the word known to the
    index, but no entry answers with it: for "not covered" it weighs as unknown."""
    engine = engine_of(
        faq("fee", "Is there a fee for a missed visit?", "Ask the front desk."),
        faq("worse", "My pain keeps getting worse", "Call the clinic today.", escalate=True,
            urgency="same-day", signs=("worse than yesterday",)))
    result = engine.search("i missed my visit yesterday is there a no show fee",
                           explain=True)
    assert result.explain is not None and "yesterdai" in result.explain["unknown_words"]


def test_typos_are_corrected_and_reported(engine: SearchEngine) -> None:
    result = engine.search("how ofen are the injektions")
    assert result.corrected == "how often are the injections"
    assert result.hits[0].doc.id == "injection-interval"
    assert engine.search("how often are the injections").corrected is None


def test_a_contraction_without_its_apostrophe_is_not_corrected(engine: SearchEngine) -> None:
    # "cant" is one edit from "can" (in the index): corrected, it would say the opposite.
    result = engine.search("cant take ibuprofen")
    assert result.corrected is None
    assert result.hits[0].doc.id == "ibuprofen"


def test_all_caps_is_the_same_query(engine: SearchEngine) -> None:
    assert top(engine, "HOW OFTEN ARE THE INJECTIONS") == "injection-interval"


def test_warning_signs_put_escalation_first(engine: SearchEngine) -> None:
    result = engine.search("my wife has a high temperature since the injection yesterday")
    assert result.hits[0].doc.id == "fever-after-injection"
    assert result.warning_signs == ("high temperature",)
    # even when a filter would have hidden it: a warning sign is never buried
    filtered = engine.search("chills and pain after injection", topic="protocol")
    assert filtered.hits[0].doc.id == "fever-after-injection"


def test_no_warning_sign_no_escalation_boost(engine: SearchEngine) -> None:
    result = engine.search("is pain worse after the injection normal")
    assert result.hits[0].doc.id == "pain-worse-after-injection"
    assert result.warning_signs == ()


def test_faq_beats_an_equal_section() -> None:
    text = "Visits are every four to six weeks."
    docs = [section("page#visits", "Visits", text), faq("visits", "Visits", text)]
    engine = engine_of(*docs)
    result = engine.search("visits weeks")
    assert [h.doc.kind for h in result.hits] == ["faq", "section"]


def test_quoted_phrase_is_required(engine: SearchEngine) -> None:
    result = engine.search('"four to six weeks"')
    assert {h.doc.id for h in result.hits} == {"injection-interval", "protocol#schedule"}
    assert engine.search('"six to four weeks"').hits == ()


def test_filters(engine: SearchEngine) -> None:
    result = engine.search("injections", topic="side-effects")
    assert result.hits and all(h.doc.topic == "side-effects" for h in result.hits)
    result = engine.search("injections", audience="physician")
    assert result.hits and all("physician" in h.doc.audience for h in result.hits)
    with pytest.raises(QueryError, match="unknown topic 'astrology'"):
        engine.search("injections", topic="astrology")
    with pytest.raises(QueryError, match="unknown audience"):
        engine.search("injections", audience="martians")


def test_snippets_mark_matches_and_escape_content() -> None:
    docs = [faq("x", "Is <b>this</b> safe?", 'Injections <script>alert("x")</script> are safe.')]
    engine = engine_of(*docs)
    hit = engine.search("injections safe").hits[0]
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert '<mark class="match term0">Injections</mark>' in hit.snippet


def test_json_shape(engine: SearchEngine) -> None:
    data = engine.search("fever").to_json()
    assert set(data) >= {"query", "corrected", "total", "hits"}
    hit = data["hits"][0]
    assert set(hit) >= {"id", "kind", "title", "question", "answer", "text", "snippet",
                        "topic", "audience", "url", "score", "escalate", "status"}
    assert hit["kind"] == "faq" and hit["answer"] and hit["text"] is None
    assert hit["escalate"] is True and hit["status"] == "approved"


@pytest.mark.parametrize("query", [
    "", "   ", "\x00\x01", "the and of is", "how is it", "?!?", "***",
])
def test_nothing_to_search_is_a_clear_error(engine: SearchEngine, query: str) -> None:
    with pytest.raises(QueryError):
        engine.search(query)


def test_overlong_query_is_refused(engine: SearchEngine) -> None:
    with pytest.raises(QueryError, match=f"limit is {MAX_QUERY_CHARS}"):
        engine.search("injection " * 1000)


@pytest.mark.parametrize("query", [
    '"unbalanced quote injection', "injection (brackets", "injection)", "AND OR NOT",
    "injections AND", "NOT fever", "inj*", "*", "?", "fever\x07\x1b[31m", "注射 痛み",
    "\ufb01nger \uff49\uff4e\uff4a\uff45\uff43\uff54\uff49\uff4f\uff4e",
    "\ud800 injection", "x" * 999, "a" * 50 + " fever",
    "fever " * 150, "😀 injection 😀",
])
def test_odd_input_is_searched_not_crashed(engine: SearchEngine, query: str) -> None:
    try:
        result = engine.search(query)
    except QueryError:
        return
    assert result.total >= len(result.hits)


def test_limit_is_bounded(engine: SearchEngine) -> None:
    assert len(engine.search("injections", limit=2).hits) == 2
    for bad in (0, -1, 10_000):
        with pytest.raises(QueryError, match="limit"):
            engine.search("injections", limit=bad)


def test_rebuilt_index_is_picked_up(tmp_path: Path) -> None:
    target = make_index(tmp_path / "index")
    engine = SearchEngine(target)
    assert not engine.reload_if_changed()
    make_index(target, [*SAMPLE_DOCS, faq("parking", "Where can I park?", "Behind it.")])
    assert engine.search("parking").hits == ()
    assert engine.reload_if_changed()
    assert top(engine, "parking") == "parking"


def test_an_index_in_memory_searches_like_one_on_disk(sample_index: Path) -> None:
    from kbfactory import SAMPLE_GLOSSARY, SAMPLE_PAGES

    from prolo_kb.indexing import memory_index

    memory = SearchEngine(memory_index(SAMPLE_DOCS, pages=SAMPLE_PAGES,
                                       glossary=SAMPLE_GLOSSARY))
    disk = SearchEngine(sample_index)
    for query in ("how often do i need the shots", "fever", "injektions", "tendonitis"):
        want = disk.search(query).to_json()
        assert memory.search(query).to_json() == want
    assert memory.reload_if_changed() is False  # nothing on disk to pick up
