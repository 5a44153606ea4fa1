"""Query understanding on the real knowledge base: spelling that only fixes misspellings,
staff shorthand, "not covered", and errors that say what they are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from prolo_kb import ranking
from prolo_kb.errors import IndexUnavailable
from prolo_kb.query import named_before_what_is_it, question_word, told_only
from prolo_kb.schema import analyze
from prolo_kb.search import SearchEngine, _unknown_words

EVERYDAY = Path(__file__).parent / "data" / "everyday.txt"


@pytest.fixture(scope="module")
def engine(real_index: Path) -> SearchEngine:
    return SearchEngine(real_index)


def test_no_real_word_is_rewritten(engine: SearchEngine) -> None:
    sentences = [s for s in EVERYDAY.read_text(encoding="utf-8").splitlines() if s.strip()]
    assert len(sentences) >= 50
    rewritten = {s: engine.search(s).corrected for s in sentences}
    assert not {s: c for s, c in rewritten.items() if c}, rewritten


@pytest.mark.parametrize(("typed", "meant"), [
    ("prolotheraphy side efects", "prolotherapy side effects"),
    ("osteoarthritus in my knee", "osteoarthritis"),
    ("sweling after the shot", "swelling"),
    ("how many injektions", "injections"),
])
def test_misspellings_of_the_bases_words_are_still_fixed(engine: SearchEngine, typed: str,
                                                         meant: str) -> None:
    corrected = engine.search(typed).corrected
    assert corrected is not None and meant in corrected


@pytest.mark.parametrize(("typed", "meant"), [
    ("what are the side affects", "what are the side effects"),  # a real word, wrong here
    ("do sugar shoots work", "do sugar shots work"),
    ("should i get xrays first", "should i get x-rays first"),  # a term run together
    # a commoner word, but one no entry uses, beside the term's other word
    ("planter fascitis shots?", "plantar fasciitis shots?"),
    # a one-word term typed apart, unless both halves are everyday words
    ("is prolo therapy safe", "is prolotherapy safe"),
    ("physio therapy or prolo", "physiotherapy or prolo"),
])
def test_glossary_terms_fix_real_words_and_run_together_terms(engine: SearchEngine,
                                                              typed: str, meant: str) -> None:
    assert engine.search(typed).corrected == meant


@pytest.mark.parametrize("typed", [
    "is a hot back normal after the shot",  # "hot pack" is a term, but back is commoner
    "how long after knee replacements",  # another form of the term's word
    "does it heal pain",  # "heel pain" is a term; heal is the commoner word
    "how does my body work after the shots",  # "bodywork" is a term; both are words
])
def test_a_real_word_near_a_term_is_kept_when_it_reads_as_itself(engine: SearchEngine,
                                                                  typed: str) -> None:
    assert engine.search(typed).corrected is None


def test_shorthand_is_spelt_out_never_corrected(engine: SearchEngine) -> None:
    result = engine.search("pt c/o sob s/p inj", explain=True)
    assert result.corrected is None
    assert result.explain is not None
    assert {"pt", "c/o", "sob", "s/p", "inj"} <= set(result.explain["shorthand"])
    assert "short of breath" in result.explain["searched"]
    assert result.urgency == "same-day"  # "sob" after the shots is a warning sign


def test_the_word_list_is_loaded_only_for_an_unknown_word(real_index: Path) -> None:
    code = ("import sys; from prolo_kb.search import SearchEngine; from prolo_kb import "
            "dictionary; e = SearchEngine(sys.argv[1]); e.search('how often are the "
            "injections'); a = dictionary.loaded(); e.search('my wife said so'); "
            "print(a, dictionary.loaded())")
    out = subprocess.run([sys.executable, "-c", code, str(real_index)], check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ["False", "True"]


@pytest.mark.parametrize("query", [
    "do you validate parking", "whats the wifi password", "can i bring my service dog",
    "do you offer acupuncture", "are you hiring medical assistants",
])
def test_out_of_scope_questions_are_not_covered(engine: SearchEngine, query: str) -> None:
    result = engine.search(query)
    assert result.not_covered and result.to_json()["not_covered"] is True


@pytest.mark.parametrize("query", [
    "how often do i need the shots", "does medicare cover prolotherapy",
    "can i take ibuprofen after", "what is prolotherapy", "is it safe if im pregnant",
])
def test_in_scope_questions_are_covered(engine: SearchEngine, query: str) -> None:
    assert not engine.search(query).not_covered


@pytest.mark.parametrize(("naming", "other"), [
    ("do you guys do prolo here in spanish", "do you guys do acupuncture here in spanish"),
    ("can my greyhound get sugar shots", "can my greyhound get flu shots"),
    ("prolotheraphy for my greyhound", "acupuncture for my greyhound"),
])
def test_a_question_naming_the_subject_is_never_not_covered(engine: SearchEngine, naming: str,
                                                           other: str) -> None:
    """Prolotherapy however typed (its name, a lay word, a typo) makes the question one
    about it, even among words the base lacks; the same question about something else is
    still flagged, so it is the subject that decides."""
    named = engine.search(naming, explain=True)
    assert named.explain is not None and named.explain["names_subject"] is True
    assert named.explain["covered"] < 0.4 and not named.not_covered
    unnamed = engine.search(other, explain=True)
    assert unnamed.explain is not None and unnamed.explain["names_subject"] is False
    assert unnamed.not_covered


@pytest.mark.parametrize(("text", "named"), [
    ("my neighbour swears by sugar shots for his back, what are those", "my neighbour swears "
     "by sugar shots for his back"),
    ("heard about it on the radio. so whats that exactly?", "heard about it on the radio"),
    ("what is prolo", None),  # one clause: nothing named before it
    ("is that what it is, or not", None),  # asks more than what it is
])
def test_a_clause_asking_only_what_is_that(text: str, named: str | None) -> None:
    assert named_before_what_is_it(text) == named


def test_what_is_that_after_naming_the_subject_asks_what_it_is(engine: SearchEngine) -> None:
    """The thing named just before "what even is that" is what is asked about; when that
    is a symptom, "that" is the symptom, and warning signs still read the whole query."""
    asked = engine.search("my neighbour swears by sugar shots for his back, what are those",
                          explain=True)
    assert asked.hits[0].doc.id == "what-is-prolotherapy"
    assert asked.explain is not None and asked.explain["what_it_is"]
    symptom = engine.search("i had prolo on monday and my elbow is bruised, what is that",
                            explain=True)
    assert symptom.hits[0].doc.id != "what-is-prolotherapy"
    assert symptom.explain is not None and "what_it_is" not in symptom.explain
    reported = engine.search("her throat is closing up since she got sugar shots, what are "
                             "those", explain=True)
    assert reported.explain is not None and reported.explain["what_it_is"]
    assert reported.urgency == "emergency"
    assert reported.hits[0].doc.id == "allergic-reaction"


@pytest.mark.parametrize(("other", "own"), [
    ("do you do cupping for back pain", "do you do the shots for back pain"),
    ("does the office sell knee sleeves", "do you have payment plans"),
    ("do you guys do hip replacements", "do you guys do PRP"),  # the clinic offers PRP
    ("do you offer cortisone injections", "do yall also do it for ankles"),
    ("do u have a pharmacy in the building", "do you have any studies on knee arthritis"),
])
def test_asking_whether_the_clinic_offers_another_service_is_not_covered(
        engine: SearchEngine, other: str, own: str) -> None:
    """"Do you do X" is answered only by an entry asked that way: another service is not
    covered even when the best hit holds all its words (hip replacement is surgery, and
    entries compare prolotherapy with surgery and cortisone), while the base's own
    treatment, a pronoun, information about it, or a service an entry is asked about
    stays covered."""
    asked = engine.search(other, explain=True)
    assert asked.explain is not None and asked.explain["asks_offer"] is True
    assert asked.not_covered and asked.explain["unoffered"] is True
    kept = engine.search(own, explain=True)
    assert kept.explain is not None and kept.explain["unoffered"] is False
    assert not kept.not_covered


@pytest.mark.parametrize(("circumstance", "asked", "first", "other"), [
    ("my sister is a teacher who stands all day,", "can she go back to work the next day",
     "return-to-work", "can she get a flu shot"),
    ("a wedding on saturday,", "can i drink alcohol after the shots",
     "alcohol-after-injection", "can i bring a plus one"),
])
def test_circumstance_around_an_entrys_own_wording_is_covered(
        engine: SearchEngine, circumstance: str, asked: str, first: str, other: str) -> None:
    """A question saying one of an entry's wordings whole asks what that entry answers,
    however much about the patient's life comes with it; the same life with a question
    the base does not answer is still flagged, so it is the wording that decides."""
    result = engine.search(f"{circumstance} {asked}", explain=True)
    assert result.explain is not None and result.explain["says_wording_whole"] is True
    assert result.explain["covered"] < ranking.MODEL.not_covered_below
    assert not result.not_covered and result.hits[0].doc.id == first
    assert engine.search(f"{circumstance} {other}").not_covered


def test_a_word_no_entry_uses_weighs_less_when_english_uses_it_a_lot(
        engine: SearchEngine) -> None:
    """"sister" and "llama" are both unknown to the base; "llama" is rare in English, so
    it weighs more against the share of the question the best hit holds."""
    common = engine.search("how long does soreness last for a sister", explain=True)
    rare = engine.search("how long does soreness last for a llama", explain=True)
    assert common.explain is not None and rare.explain is not None
    assert common.explain["unknown_words"] == ["sister"]
    assert rare.explain["unknown_words"] == ["llama"]
    assert common.explain["covered"] > rare.explain["covered"]


def test_everyday_words_say_less_of_what_a_question_is_about(engine: SearchEngine) -> None:
    """"Really" is rare in the base but common in English: for "not covered" it weighs
    what everyday English predicts (as in BM25), while "dextrose" keeps its weight."""
    explained = engine.search("is it really just dextrose", explain=True).explain
    assert explained is not None
    weights = {c["typed"]: (c["weight"], c["about"]) for c in explained["concepts"]}
    assert weights["realli"][1] < weights["realli"][0]
    assert weights["dextros"][1] == weights["dextros"][0]


@pytest.mark.parametrize(("text", "told"), [
    ("i tore my rotator cuff lifting boxes at the warehouse, would this help me",
     {"tear", "rotat", "cuff", "lift", "box", "warehous"}),
    ("im a nurse and my heel is agony every morning, would these help",
     {"nurs", "heel", "agoni", "everi", "morn"}),
    # a word said in the question too is asked, not told
    ("my knee hurts, will the shots help my knee", {"hurt"}),
    ("she is a teacher but can she work the next day", {"teacher"}),
    ("theres a wedding saturday, can he have a beer", {"there", "wedd", "saturdai"}),
    ("patient has OA knee, ok to inject?", {"patient", "oa", "knee"}),
    # nothing is circumstance without a statement, or without a question beside it
    ("can my greyhound get sugar shots", set()),
    ("my knee hurts since the shot yesterday", set()),
    ("i lost my card, i need a new one", set()),
    ("knee pain 3 days after shots, normal", set()),
])
def test_told_only_is_what_a_statement_about_the_caller_adds(text: str, told: set[str]
                                                            ) -> None:
    assert told_only(text) == frozenset(told)


@pytest.mark.parametrize(("statement", "question", "first"), [
    ("i stock shelves at the grocery store overnight and my tennis elbow flares,",
     "would these shots help", "tennis-elbow"),
    ("my husband is a plumber kneeling on tile floors all day,",
     "can this help his knee arthritis", "knee-osteoarthritis"),
])
def test_what_the_caller_tells_about_themselves_is_not_what_they_ask(
        engine: SearchEngine, statement: str, question: str, first: str) -> None:
    """Words no entry uses, said only in a statement about the caller while another
    clause asks, are circumstance: the question is covered. The same words in the
    question are still flagged, so it is the clause they are in that decides."""
    result = engine.search(f"{statement} {question}", explain=True)
    assert result.explain is not None and result.explain["circumstance"]
    assert result.hits[0].doc.id == first and not result.not_covered
    words = " ".join(result.explain["circumstance"])
    asked = engine.search(f"{question} {words}", explain=True)
    assert asked.explain is not None and not asked.explain["circumstance"]
    assert asked.not_covered


def test_circumstance_counts_only_when_the_best_hit_answers_the_ask(
        engine: SearchEngine) -> None:
    """A statement's words are circumstance only if the best hit holds what the question
    clause asks most tellingly: "can i bring a plus one" is not answered by the entry
    on what to bring to the first visit, so the wedding still counts."""
    result = engine.search("we are going to a wedding saturday, can i bring a plus one",
                           explain=True)
    assert result.explain is not None and result.explain["circumstance"] == []
    assert result.not_covered


@pytest.mark.parametrize(("text", "asks"), [
    ("How does prolotherapy work?", "how"),
    ("Does prolotherapy work?", "yes/no"),
    ("my knee hurts, how long will it last", "how"),  # among the first few words
    ("What’s in the shot", "what"),
    ("whats in it", "what"),
    ("how come nobody told me", "why"),
    ("so how come it hurts more", "why"),
    ("Can I take ibuprofen?", "yes/no"),
    ("had a knee replacement on that side", None),  # a note, not a question
    ("prolo knee cost", None),  # keywords ask for nothing in particular
    ("pain shows up in the evening only when i walk", None),  # "shows" is not "how",
    # and "when" comes after the first few words
])
def test_question_word(text: str, asks: str | None) -> None:
    assert question_word(text) == asks


@pytest.mark.parametrize(("query", "first"), [
    ("does prolotherapy work", "does-it-work"),
    ("how does prolotherapy work", "how-does-it-work"),
    ("does it work", "does-it-work"),
    ("how does it work", "how-does-it-work"),
])
def test_a_question_word_tells_questions_with_the_same_words_apart(
        engine: SearchEngine, query: str, first: str) -> None:
    """Without its stop words "how does it work" is "does it work": the question word
    decides between the two FAQ entries."""
    result = engine.search(query, explain=True)
    assert result.hits[0].doc.id == first
    assert result.hits[0].explain is not None
    assert "same question word" in result.hits[0].explain


def test_number_words_and_digits_are_one_term(engine: SearchEngine) -> None:
    """The site writes "every four to six weeks"; staff type "every 4-6 wks"."""
    assert analyze("every four to six weeks") == analyze("every 4-6 weeks")
    result = engine.search("f/u every 4-6 wks?")
    assert not result.not_covered
    assert "injection-interval" in [h.doc.id for h in result.hits[:3]]


def test_irregular_plurals_are_their_singular(engine: SearchEngine) -> None:
    """Porter leaves "feet" as it is; the base says "foot"."""
    assert analyze("my feet and teeth") == analyze("my foot and tooth")
    result = engine.search("both feet hurt when i walk")
    assert not result.not_covered
    assert result.hits[0].doc.id == "plantar-fasciitis-heel-pain"


def test_irregular_verb_forms_are_their_base_form(engine: SearchEngine) -> None:
    """Porter leaves "broke" and "torn" as they are; the base says "broken bone" and
    "tear"."""
    assert analyze("broke torn swollen") == analyze("break tear swell")
    assert analyze("she left") != analyze("she leave")  # a side, not a verb, here
    result = engine.search("i broke my ankle last year, can you still inject it")
    assert not result.not_covered and result.hits[0].doc.id == "fracture"


def test_ated_verbs_meet_their_ation_nouns() -> None:
    """Whoosh's Porter leaves "anticoagulated" as "anticoagulat", apart from
    "anticoagulation"; the classic algorithm gives the "e" back first."""
    assert analyze("anticoagulated irritated") == analyze("anticoagulation irritation")
    assert analyze("eating rated stated") == analyze("eat rate state")


def test_a_shorthands_meaning_counts_as_the_one_word_typed(engine: SearchEngine) -> None:
    """"mcl" is spelt out as medial collateral ligament; the base says "ligament" but not
    "medial" or "collateral", which must not weigh as two words no entry uses."""
    result = engine.search("grade 2 mcl sprain", explain=True)
    assert result.explain is not None and result.explain["unknown_words"] == []
    assert not result.not_covered and result.hits[0].doc.id == "severe-sprain"


@pytest.mark.parametrize(("unknown", "spelt", "left"), [
    (["medial", "collater"], [["medial", "collater", "ligament"]], []),
    (["coronari", "arteri", "bypass", "graft"],
     [["coronari", "arteri", "bypass", "graft"]], ["coronari"]),  # counted once
    (["sitter", "medial"], [["medial", "collater", "ligament"]], ["sitter"]),
])
def test_unknown_words_of_a_shorthands_meaning(unknown: list[str], spelt: list[list[str]],
                                                left: list[str]) -> None:
    assert _unknown_words(unknown, spelt) == left


def test_a_reported_sign_is_never_not_covered(engine: SearchEngine) -> None:
    result = engine.search("my toddler is fine but my lips are swelling since the shot")
    assert result.urgency == "emergency" and not result.not_covered


def test_a_ranking_bug_is_not_reported_as_a_damaged_index(
        real_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = SearchEngine(real_index)

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug in our ranking")

    monkeypatch.setattr("prolo_kb.search.rerank", broken)
    with pytest.raises(ZeroDivisionError):
        engine.search("how often are the injections")
    assert ranking.rerank is not broken  # only the search's reference was replaced


def test_a_whoosh_failure_is_reported_as_a_damaged_index(
        real_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = SearchEngine(real_index)
    from whoosh.codec.whoosh3 import W3PerDocReader

    def unreadable(*args: object, **kwargs: object) -> None:
        raise OSError("bad segment")  # as a damaged file fails, under Whoosh's reader

    monkeypatch.setattr(W3PerDocReader, "stored_fields", unreadable)
    with pytest.raises(IndexUnavailable, match=r"cannot be read .*make build"):
        engine.search("how often are the injections")


def test_explain_says_why_each_hit_ranked(engine: SearchEngine) -> None:
    result = engine.search("how often do i need the shots", explain=True)
    assert result.explain is not None
    assert [c["typed"] for c in result.explain["concepts"]]
    top = result.to_json()["hits"][0]
    assert top["explain"]["faq preference"] > 1 and "question coverage" in top["explain"]
