"""The Whoosh schema and analyzers of the search index.

The build side (``indexer``) writes documents with this schema and the runtime reads them
with the same analyzers, so both stem, fold and drop words identically.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from whoosh import fields
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map

# Bump when the fields, the analyzers or the manifest change shape: readers refuse an
# index of another version and ask for a rebuild.
SCHEMA_VERSION = 19

# Words that carry no meaning in a patient's question. Whoosh's own list plus the
# question words and fillers people type ("how do i", "what about", "is it ok").
STOP_WORDS = frozenset(
    [
        "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "being",
        "but", "by", "can", "could", "did", "do", "does", "doing", "don", "for", "from",
        "get", "gets", "getting", "got", "had", "has", "have", "haven", "having", "he",
        "her", "him", "his", "how", "i", "i'm", "im", "if", "in", "into", "is", "isn",
        "it", "it's", "its", "itself", "just", "me", "might", "my", "myself", "of", "on",
        "or", "our", "ours", "she", "should", "since", "so", "some", "such", "t", "than",
        "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
        "to", "too", "us", "was", "we", "were", "what", "which", "whom", "will", "with",
        "would", "yet", "you", "your", "yours", "s", "ve", "ll", "d", "re", "m", "am",
        "okay", "ok", "please", "tell", "know", "want", "wondering", "question",
        # "you" as people say it to the clinic ("do you guys do it", "do yall take")
        "guys", "yall", "ya",
        # Contractions typed without the apostrophe: words, not typos. Corrected to the
        # nearest indexed word, "cant breathe" would read "can breathe".
        "cant", "dont", "doesnt", "didnt", "wont", "isnt", "arent", "wasnt", "werent",
        "havent", "hasnt", "hadnt", "shouldnt", "couldnt", "wouldnt", "ive", "youre",
        "theyre", "thats", "whats", "hes", "shes", "youve", "theyve"
    ]
)

TOKEN_PATTERN = r"\w+(?:\.?\w+)*"


# Number words and digits say the same thing: the site writes "four to six weeks" and
# "24 to 72 hours"; staff type "every 4-6 wks" and "two days after".
NUMBER_WORDS = {word: str(n) for n, word in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
     "ten", "eleven", "twelve"])}


# Plurals Porter cannot undo: "on her feet all day" is about a foot.
IRREGULAR_PLURALS = {"feet": "foot", "teeth": "tooth", "men": "man", "women": "woman",
                     "children": "child"}
# Nor irregular verb forms: "broke my wrist" is a break (the glossary's "broken bone"),
# "tore my rotator cuff" a tear, "swollen" is swelling. Left out: forms that are also
# other words here ("left", "saw", "shot", "sat", "bit", "lay", "went"/"gone", "told",
# "said", "got", "done", "came").
IRREGULAR_VERBS = {
    "broke": "break", "broken": "break", "tore": "tear", "torn": "tear",
    "swollen": "swell", "swelled": "swell", "fell": "fall", "fallen": "fall",
    "felt": "feel", "took": "take", "taken": "take", "gave": "give", "given": "give",
    "ran": "run", "bled": "bleed", "drove": "drive", "driven": "drive", "ate": "eat",
    "eaten": "eat", "swam": "swim", "swum": "swim", "rode": "ride", "ridden": "ride",
    "slept": "sleep", "woke": "wake", "woken": "wake", "began": "begin", "begun": "begin",
    "stung": "sting", "bent": "bend", "kept": "keep", "heard": "hear", "lost": "lose",
    "wore": "wear", "worn": "wear", "grew": "grow", "grown": "grow", "stood": "stand",
    "made": "make", "seen": "see", "found": "find", "spent": "spend", "paid": "pay",
    "bought": "buy", "sent": "send", "chose": "choose", "chosen": "choose",
    "forgot": "forget", "forgotten": "forget", "meant": "mean"}
IRREGULAR = {**IRREGULAR_PLURALS, **IRREGULAR_VERBS}

# Porter's step 1b gives back the "e" that "-ed" and "-ing" took from a stem ending in
# "at", "bl" or "iz" ("anticoagulated" -> "anticoagulate"), so that the verb meets its
# noun ("anticoagulation"): Whoosh's Porter leaves it out ("anticoagulat").
_RESTORE_E = re.compile(r"([a-z]{2,}(?:at|bl|iz))(?:ed|ing)")


# functools' cache: Whoosh's own StemFilter cache (an LFU dict) is not thread-safe; once
# full, evicting from it while another thread stems raises RuntimeError.
@lru_cache(maxsize=50_000)
def clinical_stem(word: str) -> str:
    """Porter stemming, except for "-itis" words (Porter turns "tendonitis" into "tendon"
    and "arthritis" into "arthriti", merging a condition with the tissue it affects),
    number words, which become digits ("six" and "6" are one term), and the irregular
    plurals and verb forms of :data:`IRREGULAR` ("feet" is "foot", "torn" is "tear"),
    and "-ated" verbs, which meet their "-ation" nouns ("anticoagulated")."""
    if word.endswith("itis"):
        return word
    word = IRREGULAR.get(word, word)
    restored = _RESTORE_E.fullmatch(word)
    if restored:
        word = restored[1] + "e"
    return NUMBER_WORDS.get(word) or porter_stem(word)


@cache
def stem_analyzer() -> Analyzer:
    """Words folded to ASCII, lower-cased, stop words dropped, Porter-stemmed."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(stemfn=clinical_stem, cachesize=None)  # clinical_stem caches
    )


@cache
def word_analyzer() -> Analyzer:
    """Unstemmed words: the vocabulary that typo correction suggests from."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


def build_schema() -> fields.Schema:
    """The index's fields. Only two are stored: ``data``, the whole record as JSON for
    display, and ``wordings``, the stems of its question (or title) and other wordings,
    as JSON. The others are searched (``title`` ... ``spell``) or filtered on (``topic``,
    ``audience``); ``id`` finds a document by its id."""
    stem = stem_analyzer()
    return fields.Schema(
        id=fields.ID(unique=True),
        title=fields.TEXT(analyzer=stem),  # no index-time boost: weights are prolo_kb.model's
        text=fields.TEXT(analyzer=stem),
        also=fields.TEXT(analyzer=stem),
        signs=fields.TEXT(analyzer=stem),
        staff=fields.TEXT(analyzer=stem),  # an FAQ entry's instruction for staff
        spell=fields.TEXT(analyzer=word_analyzer(), phrase=False),
        topic=fields.ID,
        audience=fields.KEYWORD(commas=True, lowercase=True),
        data=fields.STORED(),
        wordings=fields.STORED(),
    )


def analyze(text: str) -> list[str]:
    """The stemmed, stop-word-free terms of ``text``, in order."""
    return [t.text for t in stem_analyzer()(text)]


def words(text: str) -> list[str]:
    """The lower-cased, unstemmed words of ``text``, in order."""
    return [t.text for t in word_analyzer()(text)]
