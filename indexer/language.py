"""How people talk, as data: staff shorthand, ConText triggers, clinical words, frames.

``kb_language`` in conf.py names the YAML files (relative to the source directory)::

    kb_language = {
        "shorthand": "_data/shorthand.yaml",    # - {short: pt, means: patient}
        "context": "_data/context.yaml",        # negated/historical/hypothetical triggers
        "clinical": "_data/clinical-words.yaml",  # words of a clinician's question
        "framing": "_data/framing.yaml",        # {who, asks, for, offer}: "pt asking", "do you do"
    }

They are read and checked here (a malformed file is a located ``kb.language`` warning) and
reach the search through the index manifest as one :class:`prolo_kb.content.Language`.
Also checked: a warning sign (``:signs:``) must keep the words that make it a sign; a
phrase of several words that the search's analysis shrinks to one word ("can't get air
in" -> "air") would fire on any question using that word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from prolo_kb.content import Language, ShorthandContext
from prolo_kb.signs import sign_words

from .datafile import DataFileError, read_yaml
from .domain import get_domain
from .report import warn

logger = logging.getLogger("prolo_kb")
CONTEXT_KINDS = ("negated", "historical", "hypothetical")
DIRECTIONS = ("before", "after", "right_after", "next")


class LanguageError(DataFileError):
    """A language data file is missing or malformed (the message says where)."""


def _read(path: Path) -> Any:
    try:
        return read_yaml(path, "language data")
    except DataFileError as exc:
        raise LanguageError(str(exc)) from None


def _phrases(path: Path, what: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise LanguageError(f"{path}: {what} must be a list of words or phrases")
    return tuple(" ".join(p.lower().split()) for p in value)


Shorthand = tuple[dict[str, str], dict[str, ShorthandContext], dict[str, str]]


def load_shorthand(path: Path) -> Shorthand:
    """Each shorthand's meaning, the other meaning some have next to certain words
    (``in_context``: ``means``, ``following`` and/or ``followed_by`` lists), and the
    units that are shorthand only after a number (``after_number: true``: "48h")."""
    raw = _read(path) or []
    if not isinstance(raw, list):
        raise LanguageError(f"{path}: shorthand must be a list of {{short, means}}")
    out: dict[str, str] = {}
    contexts: dict[str, ShorthandContext] = {}
    units: dict[str, str] = {}
    for n, item in enumerate(raw, start=1):
        if not (isinstance(item, dict) and isinstance(item.get("short"), str)
                and isinstance(item.get("means"), str) and item["means"].strip()):
            raise LanguageError(f"{path}: entry {n} needs 'short' and 'means'")
        short = item["short"].strip().lower()
        if short in out or short in units:
            raise LanguageError(f"{path}: shorthand {short!r} appears twice")
        after_number = item.get("after_number", False)
        if not isinstance(after_number, bool) or (after_number and "in_context" in item):
            raise LanguageError(f"{path}: after_number of {short!r} must be true or false, "
                                "without in_context")
        if after_number:
            units[short] = " ".join(item["means"].split())
            continue
        out[short] = " ".join(item["means"].split())
        if "in_context" in item:
            contexts[short] = _shorthand_context(path, short, item["in_context"])
    return out, contexts, units


def _shorthand_context(path: Path, short: str, raw: Any) -> ShorthandContext:
    where = f"{path}: in_context of {short!r}"
    if not (isinstance(raw, dict) and isinstance(raw.get("means"), str)
            and raw["means"].strip() and set(raw) <= {"means", "following", "followed_by"}
            and ({"following", "followed_by"} & set(raw))):
        raise LanguageError(f"{where} needs 'means' and 'following' and/or 'followed_by'")
    return ShorthandContext(" ".join(raw["means"].split()),
                            _phrases(path, f"{short}.following", raw.get("following", [])),
                            _phrases(path, f"{short}.followed_by",
                                     raw.get("followed_by", [])))


Context = tuple[dict[str, dict[str, tuple[str, ...]]], tuple[str, ...],
                tuple[str, float, float] | None]


def load_context(path: Path) -> Context:
    """Triggers by category and direction, terminators, and the fever reading."""
    raw = _read(path)
    if not isinstance(raw, dict):
        raise LanguageError(f"{path}: context must map {', '.join(CONTEXT_KINDS)} and "
                            "terminators")
    context: dict[str, dict[str, tuple[str, ...]]] = {}
    for kind in CONTEXT_KINDS:
        ways = raw.get(kind) or {}
        if not isinstance(ways, dict) or set(ways) - set(DIRECTIONS):
            raise LanguageError(f"{path}: {kind} must have 'before', 'after', "
                                "'right_after' and/or 'next' lists")
        context[kind] = {way: _phrases(path, f"{kind}.{way}", ways[way])
                         for way in DIRECTIONS if way in ways}
    # phrases that hold a trigger's words without being one ("is that a risk")
    context["pseudo"] = {"any": _phrases(path, "pseudo", raw.get("pseudo") or [])}
    fever = raw.get("fever_reading")
    reading = None
    if fever is not None:
        try:
            reading = (str(fever["entry"]), float(fever["fahrenheit"]), float(fever["celsius"]))
        except (TypeError, KeyError, ValueError):
            raise LanguageError(f"{path}: fever_reading needs entry, fahrenheit and "
                                "celsius") from None
    return context, _phrases(path, "terminators", raw.get("terminators") or []), reading


OFFER_KEYS = ("by", "verbs", "ours", "information")


def load_framing(path: Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...],
                                      dict[str, tuple[str, ...]]]:
    """Who asks, the words saying that they ask, what a question can be for, and the
    frame asking whether the clinic offers something (``offer``: by, verbs, ours,
    information)."""
    raw = _read(path)
    if not isinstance(raw, dict) or not {"who", "asks"} <= set(raw) <= {
            "who", "asks", "for", "offer"}:
        raise LanguageError(f"{path}: framing must be a mapping with 'who' and 'asks' "
                            "(and 'for', 'offer')")
    offer = raw.get("offer") or {}
    if not isinstance(offer, dict) or (offer and set(offer) != {*OFFER_KEYS}):
        raise LanguageError(f"{path}: offer must be a mapping with {', '.join(OFFER_KEYS)}")
    return (_phrases(path, "who", raw["who"]), _phrases(path, "asks", raw["asks"]),
            _phrases(path, "for", raw.get("for") or []),
            {key: _phrases(path, f"offer.{key}", offer[key]) for key in offer})


def load_language(srcdir: Path, files: dict[str, str]) -> Language:
    """Read the files named in ``kb_language``; raises :class:`LanguageError`."""
    unknown = set(files) - {"shorthand", "context", "clinical", "framing"}
    if unknown:
        raise LanguageError(f"kb_language: unknown key(s) {', '.join(sorted(unknown))}")
    shorthand: dict[str, str] = {}
    context: dict[str, dict[str, tuple[str, ...]]] = {}
    terminators: tuple[str, ...] = ()
    clinical: tuple[str, ...] = ()
    fever = None
    contexts: dict[str, ShorthandContext] = {}
    units: dict[str, str] = {}
    if files.get("shorthand"):
        shorthand, contexts, units = load_shorthand(srcdir / files["shorthand"])
    if files.get("context"):
        context, terminators, fever = load_context(srcdir / files["context"])
    if files.get("clinical"):
        path = srcdir / files["clinical"]
        clinical = _phrases(path, "clinical words", _read(path) or [])
    askers: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    offer: dict[str, tuple[str, ...]] = {}
    if files.get("framing"):
        askers, asks, purposes, offer = load_framing(srcdir / files["framing"])
    return Language(shorthand=shorthand, context=context, terminators=terminators,
                    clinical=clinical, fever_reading=fever, shorthand_context=contexts,
                    units=units,
                    askers=askers, asks=asks, purposes=purposes, offer=offer)


def language_of(app: Sphinx) -> Language:
    """The build's language data; an empty one (and a warning) if a file is broken."""
    try:
        language = load_language(Path(app.srcdir), dict(app.config.kb_language))
    except LanguageError as exc:
        logger.warning(str(exc), type="kb", subtype="language")
        language = Language()
    # kb_subject is conf.py's, not a data file's: a broken file must not lose it
    return language._replace(subject=" ".join(app.config.kb_subject.split()))


def check_signs(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn (file and line) about a sign phrase of several words that shrinks to one."""
    domain = get_domain(env)
    for docname in sorted(domain.faqs):
        for entry in domain.faqs[docname]:
            for phrase in entry["signs"]:
                typed = phrase.split()
                kept = sign_words(phrase)
                if len(typed) > 1 and len(kept) < 2:
                    warn(docname, entry["lineno"], "faq",
                         f"warning sign {phrase!r} of entry {entry['id']!r} shrinks to "
                         f"{' '.join(kept) or 'nothing'!r}: it would fire on any question "
                         "using that word; keep the words that make it a sign")


def setup(app: Sphinx) -> None:
    app.connect("env-check-consistency", check_signs)
