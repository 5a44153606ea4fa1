"""The query reducer (prolo_kb.scrub): nothing about a patient survives it.

Realistic staff input, as typed at a front desk, with names, dates of birth, phone and
record numbers, addresses and e-mail addresses; each must come out without any of them,
and with the words that say what was asked.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kbfactory import SAMPLE_DOCS, make_index

from prolo_kb.scrub import (
    MASK,
    is_identifier,
    mask_addresses_and_dates,
    possessive_owner,
    reduce_query,
    tokens,
)
from prolo_kb.scrub_words import IndexVocabulary, Vocabulary, kb_vocabulary, name_words
from prolo_kb.search import SearchEngine


@functools.cache
def _real_vocab() -> Vocabulary:
    from conftest import REAL_INDEX

    return kb_vocabulary(REAL_INDEX, extra=["c/o", "w/", "pt", "hx"])


@pytest.fixture(scope="module")
def vocab(real_index: Path) -> Vocabulary:
    return _real_vocab()


# (what staff typed, what must not be stored, words that must be kept)
REALISTIC = [
    ("mrs kowalski dob 2/9/58 cell 617 555 0142 says fever",
     ["kowalski", "2/9/58", "617", "555", "0142", "58"], ["fever"]),
    ("john smith says his knee hurts more since the shot", ["john", "smith"],
     ["knee", "hurts", "shot"]),
    ("Mary Brown called, swelling after injection yesterday", ["mary", "brown"],
     ["swelling", "injection"]),
    ("pt maria garcia 03/14/1962 asking about cost", ["maria", "garcia", "1962", "03"],
     ["cost"]),
    ("Can Rose Miller come in for prolo on tuesday", ["rose", "miller"], ["prolo"]),
    ("rose brown bruising at injection site", ["rose", "brown"], ["bruising"]),
    ("patient email j.smith@gmail.com wants side effects", ["smith", "gmail", "j.smith"],
     ["side", "effects"]),
    ("lives at 42 maple ave apt 3 can she drive home after", ["42", "maple", "3"], []),
    ("MRN 00448812 fever 101.3 after shot", ["00448812", "101.3", "mrn"], ["fever"]),
    ("call back 617-555-0142 re sugar injections", ["617", "0142"], ["sugar"]),
    ("mr o'brien's shoulder still sore after 3 sessions", ["o'brien", "brien"],
     ["shoulder", "sore"]),
    ("Mrs. Nguyen asks how long the injections take", ["nguyen"], ["long", "injections"]),
    ("dr patel referred her for tennis elbow", ["patel"], ["tennis", "elbow"]),
    ("kowalski's knee swollen and hot", ["kowalski"], ["knee", "swollen"]),
    ("born march 3 1958 asking if medicare covers it", ["march", "1958"], ["medicare"]),
    ("six one seven five five five zero one four two", ["six", "seven", "zero"], []),
    ("my husband david has back pain, is prolo safe", ["david"], ["back", "pain"]),
    ("jose says he has chills and redness", ["jose"], ["chills", "redness"]),
    ("Emily from Springfield wants to know about PRP", ["emily", "springfield"], ["prp"]),
    ("SSN 123-45-6789 insurance question", ["123", "6789", "ssn"], ["insurance"]),
    ("her daughter Sarah Jones said she can't walk", ["sarah", "jones"], ["walk"]),
    ("Linda Thompson 555-867-5309 fever and chills after knee shot",
     ["linda", "thompson", "5309", "867"], ["fever", "chills"]),
    ("patient robert johnson age 67 asks if medicare pays", ["robert", "johnson", "67"],
     ["medicare"]),
    ("spoke w/ mr. williams re: swelling, call him at (617) 555-0199",
     ["williams", "617", "0199"], ["swelling"]),
    ("jennifer.lee@yahoo.com asking about dextrose side effects",
     ["jennifer", "lee", "yahoo"], ["dextrose"]),
    ("pt DOB 11-23-1971 Acct# 7781123 wants to reschedule",
     ["1971", "7781123", "acct", "11-23-1971"], []),
    ("Ms Patricia Anderson, 1200 North Oak Street, Boston MA 02118",
     ["patricia", "anderson", "1200", "oak", "02118"], []),
    ("caller is michael davis, knee replacement 2019, can he have prolo",
     ["michael", "davis", "2019"], ["knee", "prolo"]),
    ("Dr. Martinez's patient has a fever of 102", ["martinez", "102"], ["fever"]),
    ("mrs lopez born 4/1/49 is on warfarin can she have injections",
     ["lopez", "4/1/49", "49"], ["warfarin", "injections"]),
    ("Karen White (wife of pt) says hes bleeding at the site", ["karen"], ["bleeding"]),
    ("Is it ok for Susan Clark to drive after prolo", ["susan", "clark"], ["drive"]),
    ("chart 4451-22 elizabeth taylor hip pain after injection",
     ["4451", "elizabeth", "taylor"], ["hip", "pain"]),
    ("james wilson 07/04/1980 pain worse since last week", ["james", "wilson", "1980"],
     ["pain", "worse"]),
    ("callback number is 6175550142, mr hernandez, rash", ["6175550142", "hernandez"],
     ["rash"]),
    ("nancy moore ins id XJ44921 wants cost of prp", ["nancy", "moore", "xj44921"],
     ["cost"]),
    ("c/o pain at injection site w/ fever, pt is barbara martin",
     ["barbara", "martin"], ["pain", "fever", "c/o"]),
    ("Mr and Mrs Kowalczyk both want prolo for back pain", ["kowalczyk"], ["back"]),
    ("wife of tom hanks calling about shoulder", ["tom", "hanks"], ["shoulder"]),
    ("patient is a 52 year old female named grace", ["grace", "52"], ["female"]),
    ("susan b anthony dob jan 5 1950", ["susan", "b", "anthony", "jan", "1950"], []),
    ("the smiths want to know about sugar shots", ["smiths"], ["sugar", "shots"]),
    ("lives on maple avenue in springfield", ["maple", "avenue", "springfield"], []),
    ("jane doe at 15 elm street apt 4b", ["jane", "doe", "15", "elm", "4b"], []),
    ("kevin o'malley called twice re billing", ["kevin", "o'malley", "malley"], []),
    ("hi this is karen from dr lee's office", ["karen", "lee's", "lee"], []),
    ("nguyen van an tendon pain", ["nguyen", "van"], ["tendon", "pain"]),
    ("Fever and chills after prolo for Linda", ["linda"], ["fever", "chills"]),
    ("pt 王伟 asks about knee pain", ["王伟"], ["knee", "pain"]),
    ("José Müller knee swelling since tuesday", ["josé", "müller"], ["knee", "swelling"]),
]


@pytest.mark.parametrize(("typed", "forbidden", "kept"), REALISTIC,
                         ids=[r[0][:40] for r in REALISTIC])
def test_realistic_staff_input_keeps_no_patient_detail(vocab: Vocabulary, typed: str,
                                                       forbidden: list[str],
                                                       kept: list[str]) -> None:
    reduced = reduce_query(typed, vocab)
    stored = reduced.lower().split()
    for detail in forbidden:
        assert detail.lower() not in stored, (typed, reduced)
        assert detail.lower() not in reduced.lower(), (typed, reduced)
    assert not re.search(r"\d", reduced), reduced
    assert "@" not in reduced
    for word in kept:
        assert word in stored, (typed, reduced)


def test_there_are_at_least_thirty_realistic_inputs() -> None:
    assert len(REALISTIC) >= 30


def test_the_issue_example_is_stored_as_the_question_only(vocab: Vocabulary) -> None:
    assert reduce_query("mrs kowalski dob 2/9/58 cell 617 555 0142 says fever", vocab) \
        == f"mrs {MASK} cell {MASK} says fever"


@pytest.mark.parametrize("question", [
    "how often do i need the shots", "will it hurt", "may i take ibuprofen after",
    "how long does it take to work", "knee hurts more since the shot yesterday",
    "is prolotherapy covered by insurance", "sob after injection",
])
def test_plain_questions_are_kept_whole(vocab: Vocabulary, question: str) -> None:
    assert reduce_query(question, vocab) == question


def test_a_kb_word_is_kept_even_capitalised(vocab: Vocabulary) -> None:
    assert reduce_query("Fever after the Injection", vocab) == "fever after the injection"


def test_an_unknown_capitalised_word_is_masked_but_a_common_first_word_is_not() -> None:
    vocab = Vocabulary(frozenset({"knee", "pain"}))
    assert reduce_query("Yesterday knee pain", vocab) == "yesterday knee pain"
    assert reduce_query("knee pain Yesterday", vocab) == f"knee pain {MASK}"
    assert reduce_query("Smith knee pain", vocab) == f"{MASK} knee pain"


def test_names_beside_a_masked_name_go_too() -> None:
    vocab = Vocabulary(frozenset({"may", "come", "in"}))
    # "may" is a KB word and a name; next to a masked surname it is a name.
    assert reduce_query("may smith come in", vocab) == f"{MASK} come in"
    assert reduce_query("may i come in", vocab) == "may i come in"


def test_runs_of_masks_collapse_to_one() -> None:
    assert reduce_query("kowalczyk 12 34 zbigniew", Vocabulary(frozenset())) == MASK


def test_staff_shorthand_with_a_slash_is_kept_only_when_listed() -> None:
    listed = Vocabulary(frozenset({"pain"}), frozenset({"c/o"}))
    assert reduce_query("c/o pain", listed) == "c/o pain"
    assert reduce_query("c/o pain", Vocabulary(frozenset({"pain"}))) == f"{MASK} pain"


@pytest.mark.parametrize(("token", "masked"), [
    ("2/9/58", True), ("617-555-0142", True), ("a@b.org", True), ("www.x.com", True),
    ("#4", True), ("knee", False), ("x-ray", False), ("don't", False), ("+1", True),
])
def test_identifier_tokens(token: str, masked: bool) -> None:
    assert is_identifier(token, Vocabulary(frozenset())) is masked


def test_possessives() -> None:
    assert possessive_owner("kowalski's") == "kowalski"
    assert possessive_owner("jones'") == "jones"
    assert possessive_owner("knee") is None


def test_street_addresses_and_dates_beside_numbers() -> None:
    typed = tokens("at 12 elm st on march 3 and six five five one")
    kept: list[str | None] = [t.lower() for t in typed]
    mask_addresses_and_dates(typed, kept, Vocabulary(frozenset({"at", "on", "and"})))
    # (a number on its own is masked by judge(), rule 1)
    assert kept == ["at", None, None, None, "on", None, "3", "and", None, None, None, None]


def test_tokens_strip_punctuation_and_bound_the_length() -> None:
    assert tokens("“fever?” (after) shot…") == ["fever", "after", "shot"]
    assert len(tokens("word " * 500)) == 40


def test_name_lists_hold_common_names() -> None:
    names = name_words()
    assert {"smith", "mary", "garcia", "nguyen", "kowalski"} <= names


def test_kb_vocabulary_reads_the_index_and_leaves_out_authors_and_numbers(
        real_index: Path, vocab: Vocabulary) -> None:
    assert {"prolotherapy", "dextrose", "fever", "knee"} <= vocab.kb
    assert "rabago" not in vocab.kb  # a cited author: a name
    assert not any(re.search(r"\d|\.", w) for w in vocab.kb)
    assert "c/o" in vocab.shorthand
    # the manifest's own shorthand list, without any extra words
    assert {"c/o", "s/p", "pt"} <= kb_vocabulary(real_index).shorthand
    assert "fever-after-injection" in vocab.ids
    # from an engine too, through its public path only
    assert kb_vocabulary(SearchEngine(real_index)).kb == kb_vocabulary(real_index).kb


def test_index_vocabulary_follows_a_rebuild(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index")
    follow = IndexVocabulary(index)
    first = follow()
    assert follow() is first
    assert "zygapophyseal" not in first.kb
    from kbfactory import faq

    make_index(index, docs=(*SAMPLE_DOCS, faq("new", "What about zygapophyseal joints?",
                                               "An answer.")))
    assert "zygapophyseal" in follow().kb


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.from_regex(r"[A-Za-z]{0,6}\d[\d/.\-]{0,8}", fullmatch=True),
    st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)", fullmatch=True),
    st.sampled_from(["knee", "fever", "mrs", "smith", "after", "shot", "Garcia"]),
), min_size=1, max_size=12))
def test_no_digit_or_at_sign_ever_survives(parts: list[str]) -> None:
    vocab = Vocabulary(frozenset({"knee", "fever", "after", "shot"}))
    reduced = reduce_query(" ".join(parts), vocab)
    assert not re.search(r"\d|@", reduced)
    assert "smith" not in reduced and "garcia" not in reduced.lower()


@functools.cache
def _us_names() -> tuple[list[str], list[str]]:
    from faker.providers.person.en_US import Provider

    return ([n for n in Provider.first_names if n.isalpha()],
            [n for n in Provider.last_names if n.isalpha()])


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_no_first_and_last_name_survives_in_any_order_or_case(data: st.DataObject) -> None:
    firsts, lasts = _us_names()
    first = data.draw(st.sampled_from(firsts))
    last = data.draw(st.sampled_from(lasts))
    case = data.draw(st.sampled_from([str.lower, str.title, str.upper]))
    template = data.draw(st.sampled_from([
        "{f} {l} says knee hurts after the shot", "pt {l}, {f} fever after injection",
        "can {f} {l} drive after prolo", "spoke with {f} {l} about cost"]))
    vocab = _real_vocab()
    reduced = reduce_query(template.format(f=case(first), l=case(last)), vocab).split()
    assert first.lower() not in reduced and last.lower() not in reduced, reduced
