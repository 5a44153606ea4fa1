"""Staff shorthand and question frames as data: read and checked at build time
(indexer.language), used at search time (prolo_kb.query.expand_shorthand, the frame
pattern of prolo_kb.understanding)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.language import LanguageError, load_framing, load_shorthand
from prolo_kb.content import Language, ShorthandContext
from prolo_kb.query import expand_shorthand
from prolo_kb.search import SearchEngine
from prolo_kb.understanding import frame_pattern

FRAMING = Path(__file__).resolve().parents[1] / "docs" / "_data" / "framing.yaml"

PT = ShorthandContext("physical therapy", following=("to", "doing"),
                      followed_by=("exercises",))
SHORTHAND = {"pt": "patient", "c/o": "complains of"}
CONTEXTS = {"pt": PT}


@pytest.mark.parametrize(("typed", "searched"), [
    ("pt c/o knee pain", "patient complains of knee pain"),
    ("why not just go to pt", "why not just go to physical therapy"),
    ("Pt doing PT twice a week", "patient doing physical therapy twice a week"),
    ("can she do pt exercises?", "can she do physical therapy exercises?"),
    ("went to pt.", "went to physical therapy."),
    ("talked to, pt says no", "talked to, patient says no"),  # the comma ends the context
    ("pt, exercises", "patient, exercises"),
])
def test_a_shorthand_means_its_other_meaning_only_next_to_its_words(typed: str,
                                                                   searched: str) -> None:
    out, used = expand_shorthand(typed, SHORTHAND, CONTEXTS)
    assert out == searched
    typed_shorthand = [t.lower().rstrip(".,?") for t in typed.split()]
    assert [u.lower() for u, _ in used] == [t for t in typed_shorthand if t in SHORTHAND]


UNITS = {"h": "hours", "x": "times"}


@pytest.mark.parametrize(("typed", "searched"), [
    ("pain 48h after", "pain 48 hours after"),
    ("pain 48 h after", "pain 48 hours after"),
    ("2.5H later?", "2.5 hours later?"),
    ("3x a week", "3 times a week"),
    ("3 x a week", "3 times a week"),
    ("pt 2wks ago", "patient 2 weeks ago"),  # any shorthand glued to a number
    ("x ray of my h joint", "x ray of my h joint"),  # a unit only after a number
    ("h2o and 4th visit", "h2o and 4th visit"),  # not a unit: left as typed
    ("inj q4-6wks per plan", "inj every 4-6 weeks per plan"),  # q: every, and a range
    ("seen 4-6wks ago", "seen 4-6 weeks ago"),
    ("q2 and q3h", "q2 and every 3 hours"),  # "q2" has no unit: left as typed
])
def test_a_unit_is_shorthand_only_after_a_number(typed: str, searched: str) -> None:
    out, _ = expand_shorthand(typed, {**SHORTHAND, "wks": "weeks"}, CONTEXTS, UNITS)
    assert out == searched


def test_the_shorthand_file_reads_units(tmp_path: Path) -> None:
    path = tmp_path / "shorthand.yaml"
    path.write_text("- short: h\n  means: hours\n  after_number: true\n"
                    "- short: hx\n  means: history\n", encoding="utf-8")
    shorthand, _, units = load_shorthand(path)
    assert shorthand == {"hx": "history"} and units == {"h": "hours"}
    language = Language(shorthand=shorthand, units=units)
    assert Language.from_dict(language.to_dict()).units == units
    path.write_text("- short: h\n  means: hours\n  after_number: yes please\n",
                    encoding="utf-8")
    with pytest.raises(LanguageError, match=r"shorthand\.yaml.*after_number"):
        load_shorthand(path)


def test_contexts_travel_through_the_manifest() -> None:
    language = Language(shorthand=SHORTHAND, shorthand_context=CONTEXTS)
    assert Language.from_dict(language.to_dict()).shorthand_context == CONTEXTS


def test_the_shorthand_file_reads_in_context(tmp_path: Path) -> None:
    path = tmp_path / "shorthand.yaml"
    path.write_text("- short: PT\n  means: patient\n  in_context:\n"
                    "    means: physical  therapy\n    following: [To, doing]\n"
                    "- short: hx\n  means: history\n", encoding="utf-8")
    shorthand, contexts, _ = load_shorthand(path)
    assert shorthand == {"pt": "patient", "hx": "history"}
    assert contexts == {"pt": ShorthandContext("physical therapy", ("to", "doing"), ())}


@pytest.mark.parametrize("in_context", [
    "physical therapy",  # not a mapping
    "{means: physical therapy}",  # no words to be next to
    "{following: [to]}",  # no meaning
    "{means: physical therapy, following: [to], near: [x]}",  # an unknown key
    "{means: physical therapy, following: to}",  # not a list
])
def test_a_malformed_context_is_a_located_error(tmp_path: Path, in_context: str) -> None:
    path = tmp_path / "shorthand.yaml"
    path.write_text(f"- short: pt\n  means: patient\n  in_context: {in_context}\n",
                    encoding="utf-8")
    with pytest.raises(LanguageError, match=r"shorthand\.yaml.*pt"):
        load_shorthand(path)


@pytest.mark.parametrize(("typed", "left"), [
    ("patient asking what prolo is", "what prolo is"),
    ("my husband wants to know if he can lift weights", "he can lift weights"),
    ("I was wondering whether it hurts", "it hurts"),
    ("I have to ask, do the injections hurt", ", do the injections hurt"),
    ("new patient has a question about cost", "cost"),
    ("patient with allergies asking whats in it", "patient with allergies whats in it"),
    ("patient complains of sore knee", "sore knee"),
    ("new patient wants appointment", "appointment"),
    ("ask a clinician about ice", "ask a clinician about ice"),  # no frame: kept
    ("the patient selection criteria", "the patient selection criteria"),
    ("definition of prolotherapy for a referral letter", "definition of prolotherapy"),
    ("treatment interval, for my notes", "treatment interval,"),
    ("do i need a referral letter", "do i need a referral letter"),  # what is asked
])
def test_the_frame_of_a_question_is_left_out(typed: str, left: str) -> None:
    pattern = frame_pattern(*load_framing(FRAMING)[:3])
    assert pattern is not None
    assert " ".join(pattern.sub(" ", typed).split()) == left


def test_a_framed_question_ranks_as_the_question(real_index: Path) -> None:
    engine = SearchEngine(real_index)
    framed = engine.search("pt asking what prolo is in plain english", explain=True)
    assert framed.hits[0].doc.id == "what-is-prolotherapy"
    assert framed.explain is not None and framed.explain["frame"] == ["patient asking"]
    # a query that is all frame is searched as typed, not refused
    assert engine.search("pt asking about it").hits
    # warning signs are read in the whole query: the frame makes this a question
    assert engine.search("pt asking if fever is common after prolo").urgency is None


def test_a_malformed_framing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "framing.yaml"
    path.write_text("who: [pt]\n", encoding="utf-8")
    with pytest.raises(LanguageError, match=r"framing\.yaml"):
        load_framing(path)
    # an offer frame needs all its lists: without "ours", "do you do it" would be an offer
    path.write_text("who: [pt]\nasks: [asking]\noffer: {by: [you], verbs: [do]}\n",
                    encoding="utf-8")
    with pytest.raises(LanguageError, match=r"framing\.yaml: offer must"):
        load_framing(path)
    path.write_text("who: [pt]\nasks: wondering\n", encoding="utf-8")
    with pytest.raises(LanguageError, match=r"framing\.yaml"):
        load_framing(path)
