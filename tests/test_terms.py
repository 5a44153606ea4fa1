"""The cached term table and snippets: the same scores as Whoosh's own BM25F, whatever
is cached or evicted, and shared caches never changed by a query."""

from __future__ import annotations

from pathlib import Path

import pytest
from kbfactory import SAMPLE_GLOSSARY, faq, make_index
from whoosh import scoring
from whoosh.query import Term

from prolo_kb import terms
from prolo_kb.indexing import memory_index, write_index
from prolo_kb.lru import LRU
from prolo_kb.search import SearchEngine
from prolo_kb.snippets import Snippets
from prolo_kb.store import OpenIndex, open_index
from prolo_kb.terms import FIELD_BOOSTS, FIELD_TIEBREAK, TermTable

WHOOSH_BM25F = scoring.BM25F(B=terms.DEFAULT_B, K1=terms.K1,
                             **{f"{name}_B": b for name, b in terms.FIELD_B.items()})


def whoosh_scores(index: Path, name: str, stem: str) -> dict[int, float]:
    """What Whoosh itself scores a boosted term query in one field."""
    opened = open_index(index)
    with opened.index.searcher(weighting=WHOOSH_BM25F) as searcher:
        query = Term(name, stem, boost=FIELD_BOOSTS[name])
        return dict(searcher.search(query, limit=None, optimize=False).items())


@pytest.mark.parametrize("stem", ["inject", "fever", "dextros", "pain", "tendinitis"])
def test_scores_are_whoosh_bm25f_best_field_plus_tiebreak(sample_index: Path,
                                                          stem: str) -> None:
    per_field = {name: whoosh_scores(sample_index, name, stem) for name in FIELD_BOOSTS}
    assert any(per_field.values()), f"{stem!r} is in no field of the sample"
    opened = open_index(sample_index)
    with opened.index.reader() as reader:
        got = TermTable(reader).postings(reader, stem)
    docs = {d for scores in per_field.values() for d in scores}
    assert set(got.scores) == docs
    for docnum in docs:
        found = [scores[docnum] for scores in per_field.values() if docnum in scores]
        want = max(found) + FIELD_TIEBREAK * (sum(found) - max(found))
        assert got.scores[docnum] == pytest.approx(want, rel=1e-9)
    # Warning-sign phrases are not content: a stem only there is not "held".
    content = {d for name in terms.CONTENT_FIELDS for d in per_field[name]}
    assert got.content == content


def test_results_do_not_depend_on_what_is_cached(sample_index: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    queries = ["how often are the shots", "fever after injection", "sugar water",
               "tendonitis", "pain worse"]

    def answers() -> list[list[tuple[str, float]]]:
        engine = SearchEngine(sample_index)
        return [[(h.doc.id, round(h.score, 9)) for h in engine.search(q).hits]
                for q in queries * 2]

    roomy = answers()
    monkeypatch.setattr(terms, "POSTINGS_BUDGET", 3)  # evicts on nearly every lookup
    assert answers() == roomy


def test_filters_are_cached_per_value(sample_index: Path) -> None:
    opened = open_index(sample_index)
    with opened.index.reader() as reader:
        table = TermTable(reader)
        protocol = table.docs_with(reader, "topic", "protocol")
        assert len(protocol) == 2
        assert table.docs_with(reader, "topic", "protocol") is protocol
        assert table.docs_with(reader, "topic", "no-such-topic") == frozenset()


def test_a_cached_text_is_marked_afresh_for_each_query() -> None:
    snippets = Snippets()
    text = "Call the clinic today if you have a fever. Fever after an injection is rare."
    fever = snippets.snippet("x", text, {"fever"})
    clinic = snippets.snippet("x", text, {"clinic"})
    assert fever.count("<mark") == 2 and "clinic</mark>" not in fever
    assert clinic.count("<mark") == 1 and ">clinic</mark>" in clinic
    assert snippets.snippet("x", text, {"fever"}) == fever == Snippets().snippet(
        "y", text, {"fever"})
    assert 'class="match term0">clinic' in clinic  # numbered afresh, not after "fever"
    assert snippets.snippet("x", text, {"absent"}).startswith("Call the clinic")


def test_snippet_of_a_long_text_without_a_match_is_its_escaped_start() -> None:
    text = "<b>" + "word " * 200
    out = Snippets().snippet("long", text, {"nothing"})
    assert out.startswith("&lt;b&gt;") and out.endswith("…") and len(out) < 260


def test_tiebreak_rewards_a_word_in_question_and_answer(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", docs=(
        faq("both", "Is a cortisone shot the same?", "No: cortisone is a steroid."),
        faq("question-only", "Is a cortisone shot the same?", "No: it is a steroid."),
    ))
    hits = SearchEngine(index).search("cortisone").hits
    assert [h.doc.id for h in hits] == ["both", "question-only"]


def test_lru_keeps_the_most_recent_within_its_capacity() -> None:
    cache: LRU[str, list[int]] = LRU(5, size=len)
    cache.get("a", lambda: [1, 2])
    cache.get("b", lambda: [3, 4])
    cache.get("a", lambda: [0])  # held: not recomputed, and now the most recent
    cache.get("c", lambda: [5, 6])  # 6 > 5: the least recent, "b", goes
    assert cache.get("b", lambda: [9]) == [9]
    assert cache.get("a", lambda: [0]) == [1, 2]  # 2 + 2 + 1: all fit
    cache.get("d", lambda: [7, 8, 9])  # the least recent, "c" then "b", go
    assert cache.get("c", lambda: [0]) == [0]
    assert len(cache) == 2 and cache.get("d", lambda: []) == [7, 8, 9]


QUERIES = ["how often are the shots", "fever after injection", "sugar water", "tendonitis",
           "pain worse", '"four to six weeks"', '"side effects" pain', "injections dextrose",
           "generation case"]


def answers(index: Path, dense_from: int | None = None,
            **options: str) -> list[tuple[int, list[tuple[str, float, str]]]]:
    engine = SearchEngine(index, dense_from=dense_from)
    out = []
    for query in QUERIES:
        result = engine.search(query, limit=100, **options)
        out.append((result.total, [(h.doc.id, round(h.score, 9), h.snippet)
                                   for h in result.hits]))
    return out


@pytest.mark.parametrize("options", [{}, {"topic": "protocol"}, {"audience": "patient"}])
def test_numpy_scoring_of_a_large_index_gives_the_same_answers(
        sample_index: Path, options: dict[str, str]) -> None:
    small = answers(sample_index, **options)
    assert any(hits for _total, hits in small)
    # the sample scored as a large index
    explained = SearchEngine(sample_index, dense_from=1).search("injections",
                                                                explain=True).explain
    assert explained is not None and explained["scoring"] == "arrays"
    assert answers(sample_index, dense_from=1, **options) == small


def test_an_index_in_several_segments_scores_as_one(tmp_path: Path) -> None:
    # Whoosh gives each build process batches of 100 entries: 250 make several segments.
    # Fewer than 100 of them match the queries, so every match is compared.
    docs = [faq(f"case-{n}", f"Generation case {n}: how often are the injections?",
                f"Injections every four to six weeks, with dextrose. Case {n}." + " More." * n,
                topic="protocol" if n % 3 else "general") if n % 3 == 0 else
            faq(f"other-{n}", f"Where do I park, {n}?", "Parking is free on site.")
            for n in range(250)]
    one = make_index(tmp_path / "one", docs=docs)
    several = tmp_path / "several"
    write_index(several, docs, glossary=SAMPLE_GLOSSARY, procs=2)
    with open_index(several).index.reader() as reader:
        assert len(reader.leaf_readers()) > 1

    def unordered(index: Path, dense_from: int | None = None
                  ) -> list[tuple[int, list[tuple[str, float, str]]]]:
        # Documents are numbered in another order across segments: equal scores may
        # come in another order, nothing else may differ.
        return [(total, sorted(hits)) for total, hits in answers(index, dense_from)]

    want = unordered(one)
    assert unordered(several) == want
    assert unordered(several, dense_from=1) == want


def test_a_long_running_process_scores_a_mid_sized_base_as_arrays(
        sample_index: Path) -> None:
    """warm_up (what `serve` calls) switches a base of WARM_DENSE_FROM entries or more to
    arrays, which are faster there, and leaves a small one on dictionaries; the answers
    stay the same either way."""
    def scoring(engine: SearchEngine) -> str:
        explained = engine.search("how often are the injections", explain=True).explain
        assert explained is not None
        return str(explained["scoring"])

    small = SearchEngine(sample_index)
    small.warm_up()
    assert scoring(small) == "dictionaries"

    docs = [faq(f"case-{n}", f"Case {n}: how often are the injections?",
                f"Injections every {n % 7 + 2} weeks. Case {n}.")
            for n in range(terms.WARM_DENSE_FROM)]
    index = memory_index(docs, glossary=SAMPLE_GLOSSARY)
    engine = SearchEngine(index)
    assert scoring(engine) == "dictionaries"  # a one-off search: no numpy import
    before = [(h.doc.id, round(h.score, 9)) for h in engine.search("injections weeks",
                                                                   limit=50).hits]
    engine.warm_up()
    assert scoring(engine) == "arrays"
    after = [(h.doc.id, round(h.score, 9)) for h in engine.search("injections weeks",
                                                                  limit=50).hits]
    assert after == before
    fixed = SearchEngine(index, dense_from=terms.DENSE_FROM)
    fixed.warm_up()
    assert scoring(fixed) == "dictionaries"  # a choice given is kept


def test_an_everyday_word_is_not_taken_for_a_telling_one() -> None:
    # In a small base "done" is as rare as "neck": everyday English says it is not telling.
    docs = [faq(f"filler-{n}", f"Question {n} about the knee?", "An answer about knees.")
            for n in range(76)]
    docs += [faq("neck", "Can prolotherapy treat neck pain?", "Yes, for some neck pain."),
             faq("neck-2", "Is the neck a safe place for shots?", "Shots in the neck are safe."),
             faq("neck-3", "Does neck pain come back?", "Neck pain can come back."),
             faq("needles", "Is it done with needles?", "It is done with a fine needle.")]
    opened = memory_index(docs)
    english = opened.manifest.english
    assert "done" in english and "neck" not in english  # "neck" is too rare to matter
    with opened.index.reader() as reader:
        plain, prior = TermTable(reader), TermTable(reader, english=english)
        assert prior.idf(reader, "title", "done") < plain.idf(reader, "title", "done")
        assert prior.idf(reader, "title", "neck") == plain.idf(reader, "title", "neck")

    def neck_over_needles(index: OpenIndex) -> float:
        scores = {h.doc.id: h.score for h in SearchEngine(index).search("done on the neck").hits}
        return scores["neck"] / scores["needles"]

    without = opened._replace(manifest=opened.manifest._replace(english={}))
    assert neck_over_needles(opened) > 1.1 * neck_over_needles(without)
