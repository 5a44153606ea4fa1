"""A seeded generator of realistic knowledge-base entries and patient queries.

The entries read like the clinic's own FAQ: a patient's question about a condition, a
body part, a symptom or a practical matter, answered in three to six short staff-facing
sentences composed from clinical vocabulary (conditions, body parts, symptoms, timings,
medicines, activities). About a quarter are page sections, a few are escalation entries
with warning signs, some are pending a clinic policy. The vocabulary grows with the number
of entries the way a real base's does: more conditions, places, medicines and staff roles
appear as it grows, over a core of words every entry shares.

The same seed always gives the same documents and queries, so a benchmark can index them
twice (once in Whoosh, once in SQLite FTS5) without keeping them in memory.

    python bench/generate.py --count 5 --seed 7      # look at a few entries
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prolo_kb.content import Document

TOPICS: dict[str, float] = {
    "indications": 0.16, "protocol": 0.12, "expectations": 0.10, "recovery": 0.06,
    "side-effects": 0.12, "evidence": 0.08, "safety": 0.10, "aftercare": 0.12,
    "practicalities": 0.08, "mechanism": 0.04, "general": 0.02,
}

# (clinical name, lay name, body part, tissue)
CONDITIONS: tuple[tuple[str, str, str, str], ...] = (
    ("knee osteoarthritis", "wear and tear in the knee", "knee", "cartilage"),
    ("hip osteoarthritis", "arthritis in the hip", "hip", "cartilage"),
    ("lateral epicondylitis", "tennis elbow", "elbow", "tendon"),
    ("medial epicondylitis", "golfer's elbow", "elbow", "tendon"),
    ("rotator cuff tendinopathy", "sore shoulder tendon", "shoulder", "tendon"),
    ("rotator cuff tear", "torn shoulder", "shoulder", "tendon"),
    ("Achilles tendinopathy", "sore heel cord", "ankle", "tendon"),
    ("plantar fasciitis", "heel pain", "foot", "ligament"),
    ("patellar tendinopathy", "jumper's knee", "knee", "tendon"),
    ("chronic low back pain", "bad back", "lower back", "ligament"),
    ("sacroiliac joint dysfunction", "pain at the base of the spine", "pelvis", "ligament"),
    ("facet syndrome", "arthritis in the spine", "neck", "joint"),
    ("ankle sprain", "rolled ankle", "ankle", "ligament"),
    ("chronic ankle instability", "ankle that gives way", "ankle", "ligament"),
    ("hip labral tear", "torn hip cartilage", "hip", "cartilage"),
    ("gluteal tendinopathy", "pain on the side of the hip", "hip", "tendon"),
    ("thumb base osteoarthritis", "arthritis at the base of the thumb", "thumb", "joint"),
    ("de Quervain tenosynovitis", "wrist tendon pain", "wrist", "tendon"),
    ("whiplash injury", "neck pain after a car accident", "neck", "ligament"),
    ("temporomandibular disorder", "jaw pain", "jaw", "joint"),
    ("medial collateral ligament sprain", "inner knee sprain", "knee", "ligament"),
    ("coccydynia", "tailbone pain", "tailbone", "ligament"),
    ("costochondritis", "chest wall pain", "chest wall", "cartilage"),
    ("Osgood-Schlatter disease", "bump below the kneecap", "knee", "tendon"),
    ("hamstring tendinopathy", "pain under the buttock", "thigh", "tendon"),
    ("shoulder instability", "loose shoulder", "shoulder", "ligament"),
    ("hypermobility", "double jointed", "joints", "ligament"),
    ("iliotibial band syndrome", "runner's knee on the outside", "knee", "tendon"),
    ("trigger finger", "finger that locks", "finger", "tendon"),
    ("metatarsalgia", "pain in the ball of the foot", "foot", "joint"),
)
RARE_CONDITIONS = (
    "pubic symphysis dysfunction", "Tietze syndrome", "piriformis syndrome",
    "peroneal tendinopathy", "posterior tibial tendinopathy", "Sinding-Larsen-Johansson",
    "acromioclavicular arthritis", "scapholunate ligament injury", "Morton neuroma",
    "Sever disease", "calcific tendinitis", "adductor tendinopathy", "quadriceps tendinopathy",
    "iliolumbar ligament syndrome", "sternoclavicular sprain", "Baastrup disease",
    "cervicogenic headache", "spondylolisthesis", "Ehlers-Danlos syndrome", "bursitis",
)
SYMPTOMS = (
    "swelling", "stiffness", "numbness", "bruising", "soreness", "a feeling of fullness",
    "aching", "tenderness", "clicking", "a dull ache", "throbbing", "tightness",
    "a burning feeling", "pain at night", "pain when walking", "pain on the stairs",
    "pain when lifting", "weakness", "a grinding feeling", "morning stiffness",
)
WARNING_SIGNS: tuple[tuple[str, ...], ...] = (
    ("fever", "chills", "high temperature", "shivering", "feeling hot and shivery"),
    ("spreading redness", "red and hot", "red streaks", "warm to the touch"),
    ("pus", "discharge", "oozing", "smelly discharge", "leaking fluid"),
    ("pain keeps getting worse", "unbearable pain", "worse every day"),
    ("new weakness", "leg feels weak", "can't grip", "foot dragging"),
    ("severe headache", "pounding headache", "worst headache"),
    ("dizziness", "lightheaded", "room is spinning", "feel faint"),
    ("shortness of breath", "can't catch my breath", "trouble breathing"),
    ("chest pain", "tight chest", "pain in my chest"),
    ("calf swelling", "swollen calf", "hot swollen leg"),
)
TIMINGS = (
    "24 to 72 hours", "two or three days", "about a week", "four to six weeks",
    "three to six months", "a few hours", "one or two weeks", "six to eight weeks",
)
INTERVALS = ("every two weeks", "every three weeks", "every four weeks",
             "every four to six weeks", "once a month", "every six weeks")
SESSION_COUNTS = ("three to six", "four to six", "three or four", "five or six", "two to four")
MEDICINES = (
    ("acetaminophen", "Tylenol"), ("ibuprofen", "Advil"), ("naproxen", "Aleve"),
    ("warfarin", "a blood thinner"), ("apixaban", "Eliquis"), ("prednisone", "steroid pills"),
    ("aspirin", "baby aspirin"), ("clopidogrel", "Plavix"), ("gabapentin", "Neurontin"),
    ("meloxicam", "Mobic"), ("celecoxib", "Celebrex"), ("tramadol", "Ultram"),
    ("duloxetine", "Cymbalta"), ("methotrexate", "arthritis medicine"),
    ("insulin", "diabetes shots"), ("metformin", "diabetes pills"),
)
ACTIVITIES = (
    "drive", "go back to work", "go running", "play golf", "play tennis", "lift weights",
    "swim", "garden", "ride a bike", "do yoga", "travel by plane", "walk the dog",
    "carry my grandchildren", "climb stairs", "kneel", "type at a computer", "dance",
    "go hiking", "ski", "do my physical therapy exercises",
)
SOLUTIONS = ("dextrose", "a dextrose and lidocaine mix", "hyperosmolar dextrose",
             "a sugar solution", "dextrose with saline", "P2G solution", "sodium morrhuate")
COMPARED = ("steroid shots", "PRP", "stem cell therapy", "physical therapy", "surgery",
            "hyaluronic acid shots", "acupuncture", "chiropractic care", "shock wave therapy",
            "dry needling", "massage", "a knee brace")
STAFF = ("a clinician", "the nurse", "the physician", "your doctor", "the front desk",
         "the clinic's care coordinator", "the billing office", "the on-call clinician")
PAYERS = ("insurance", "Medicare", "an HSA", "a flexible spending account",
          "workers' compensation", "a payment plan", "Medicaid")
PLACE_A = ("North", "South", "East", "West", "Lake", "River", "Hill", "Oak", "Pine", "Cedar",
           "Maple", "Stone", "Bridge", "Mill", "Spring", "Fair", "Green", "Brook")
PLACE_B = ("field", "ridge", "view", "wood", "ford", "dale", "haven", "port", "side",
           "gate", "crest", "mont", "ton", "bury", "wick", "stead")


@dataclass(frozen=True)
class Slots:
    """The words one entry is about."""

    condition: str
    lay: str
    part: str
    tissue: str
    symptom: str
    timing: str
    interval: str
    sessions: str
    medicine: str
    brand: str
    activity: str
    solution: str
    compared: str
    staff: str
    payer: str
    place: str


QUESTIONS: dict[str, tuple[str, ...]] = {
    "indications": (
        "Can prolotherapy help my {condition}?",
        "Does the clinic treat {lay}?",
        "I have {lay}. Is prolotherapy an option for me?",
        "Is prolotherapy used for {condition} in the {part}?",
        "Will prolotherapy work on an old {part} injury?",
        "My {part} has hurt for years. Could the shots help?",
    ),
    "protocol": (
        "How often are the injections given for {condition}?",
        "How many sessions will my {part} need?",
        "What is injected into the {part}?",
        "How long does a session for the {part} take?",
        "Are the shots for {lay} given with ultrasound?",
        "How many shots go into the {part} at each visit?",
    ),
    "expectations": (
        "When will I notice a change in my {part}?",
        "How long before the {part} feels better?",
        "What should I expect at my first visit for {lay}?",
        "Will the {symptom} in my {part} go away?",
        "Does everyone with {condition} get better?",
    ),
    "recovery": (
        "How long does the relief in my {part} last?",
        "Will I need more shots for my {part} later?",
        "Can {lay} come back after treatment?",
    ),
    "side-effects": (
        "Is {symptom} normal after a {part} injection?",
        "How long does {symptom} last after the shots?",
        "Why is my {part} more sore after the injection?",
        "Can the shots in my {part} cause {symptom}?",
        "I have {symptom} after my shots. Should I worry?",
    ),
    "evidence": (
        "Is there research on prolotherapy for {condition}?",
        "How does prolotherapy compare with {compared} for {lay}?",
        "Is prolotherapy better than {compared}?",
        "What do studies say about shots for the {part}?",
    ),
    "safety": (
        "Can I have prolotherapy if I take {medicine}?",
        "Is prolotherapy safe if I am on {brand}?",
        "Who should not have prolotherapy in the {part}?",
        "Is it safe to have the shots while pregnant?",
        "Can I have the shots if I have diabetes and take {medicine}?",
    ),
    "aftercare": (
        "Can I {activity} after my {part} injection?",
        "Can I take {medicine} after the shots?",
        "Should I rest my {part} after treatment?",
        "When can I {activity} again?",
        "Should I put ice on my {part} after the shots?",
    ),
    "practicalities": (
        "Does {payer} cover prolotherapy?",
        "Can I pay for the shots with {payer}?",
        "Is there a clinic in {place}?",
        "How do I book a visit at the {place} clinic?",
        "What should I wear to a {part} appointment?",
        "Can someone drive me home from the {place} clinic?",
    ),
    "mechanism": (
        "How does prolotherapy heal a damaged {tissue}?",
        "Why is {solution} injected into the {part}?",
        "What does the {solution} do in the {tissue}?",
    ),
    "general": (
        "What is prolotherapy for {lay}?",
        "Is prolotherapy the same as {compared}?",
        "Who gives the shots at the {place} clinic?",
    ),
}

SENTENCES: dict[str, tuple[str, ...]] = {
    "indications": (
        "The clinic offers prolotherapy for {condition}, which patients often call {lay}.",
        "A clinician will examine your {part} first and talk through the options.",
        "Prolotherapy is most often used when the {tissue} has been sore for months.",
        "It is not right for every {part} problem, so the first visit is an assessment.",
        "Some people with {lay} also need {compared}; a clinician will advise you.",
        "The aim is to help the body repair the {tissue} around the {part}.",
    ),
    "protocol": (
        "Shots are usually given {interval}.",
        "Most people need {sessions} sessions, but the plan is made for you.",
        "The main liquid is {solution}.",
        "A session takes about half an hour, including the check before the shots.",
        "Several small shots go into the {tissue} around the {part}.",
        "Some clinicians use ultrasound to guide the needle into the {part}.",
    ),
    "expectations": (
        "Many people notice a change after {sessions} sessions.",
        "It can take {timing} before the {part} feels different.",
        "Some {symptom} is common while the {tissue} heals.",
        "Results differ from person to person, and no one can promise a cure.",
        "Keep a note of your {symptom} so you can tell {staff} how it changes.",
    ),
    "recovery": (
        "Some people feel relief in the {part} for months or years.",
        "Some people with {condition} need a top-up session later.",
        "Ask {staff} about a review visit after {timing}.",
    ),
    "side-effects": (
        "Some {symptom} after the shots is common and usually settles in {timing}.",
        "Fullness, numbness and some minor pain where the shots went in are expected.",
        "Pain in the {part} may go up for {timing} before it eases.",
        "Call the clinic if the {symptom} keeps getting worse instead of better.",
        "Bruising around the {part} can happen and fades on its own.",
    ),
    "evidence": (
        "Research on prolotherapy for {condition} is mixed.",
        "Some trials found less pain in the {part} than with {compared}.",
        "Other studies found no clear difference from {compared}.",
        "Prolotherapy is not approved by the FDA as a treatment.",
        "A clinician can explain what the studies mean for you.",
    ),
    "safety": (
        "Tell {staff} if you take {medicine} ({brand}) before your visit.",
        "Do not stop {medicine} on your own; ask {staff} first.",
        "Prolotherapy may not be right during pregnancy or with an active infection.",
        "People who take a blood thinner may bruise more easily at the shot site.",
        "The clinic checks your health history before every treatment.",
    ),
    "aftercare": (
        "Most people can {activity} within {timing}, but ask {staff} about your plan.",
        "The clinic has not set its advice on {medicine} yet; pass this to a clinician.",
        "Gentle movement of the {part} is usually fine the next day.",
        "Avoid heavy strain on the {part} for {timing} unless told otherwise.",
        "Call the clinic if the {symptom} is getting worse after {timing}.",
    ),
    "practicalities": (
        "Coverage by {payer} varies; the billing office can check your plan.",
        "The {place} clinic is open on weekdays.",
        "Wear loose clothing so {staff} can reach your {part} easily.",
        "Someone can drive you home if you feel unsure after the shots.",
        "Call the front desk to book, move or cancel a visit.",
    ),
    "mechanism": (
        "{solution} is thought to cause a small, controlled irritation in the {tissue}.",
        "The body responds by sending repair cells to the {part}.",
        "Over {timing} the {tissue} may become stronger.",
        "Exactly how prolotherapy works is still being studied.",
    ),
    "general": (
        "Prolotherapy is a series of shots into a painful {tissue} or joint.",
        "It is different from {compared}.",
        "Shots at the {place} clinic are given by {staff}.",
        "Some people call it sugar shots because the main liquid is {solution}.",
    ),
}

SECTION_TITLES: dict[str, tuple[str, ...]] = {
    topic: ("Overview", "For the {part}", "{condition}", "What the evidence says",
            "Before the visit", "After the visit", "Questions to pass on", "At {place}")
    for topic in TOPICS
}
PAGE_TITLES: dict[str, str] = {
    "indications": "Conditions treated", "protocol": "Session protocol",
    "expectations": "What to expect", "recovery": "Recovery groups",
    "side-effects": "Side effects", "evidence": "Evidence", "safety": "Candidacy and safety",
    "aftercare": "Aftercare", "practicalities": "Practicalities",
    "mechanism": "How it works", "general": "General",
}

ESCALATION_QUESTIONS = (
    "I have {sign} after my {part} injection. What should I do?",
    "Is {sign} after the shots an emergency?",
    "My {part} shows {sign} since the treatment. Should I call?",
)
ESCALATION_ANSWERS = (
    "Pass this to a clinician the same day.",
    "{sign} after the shots can be a warning sign.",
    "Do not wait for the next visit.",
    "If someone has trouble breathing, call emergency services now.",
)

_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:48]


class Generator:
    """Documents and queries from one seed."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed

    def _slots(self, rng: random.Random, n: int) -> Slots:
        # The vocabulary widens as the base grows: rare conditions and more clinic sites
        # appear among later entries, as they would in a growing real base.
        if rng.random() < 0.15 and n > 200:
            rare = rng.choice(RARE_CONDITIONS)
            part = rng.choice(CONDITIONS)[2]
            condition = (rare, rare, part, rng.choice(("tendon", "ligament", "joint")))
        else:
            condition = rng.choice(CONDITIONS)
        sites = min(len(PLACE_A) * len(PLACE_B), 4 + n // 500)
        site = rng.randrange(sites)
        medicine, brand = rng.choice(MEDICINES)
        return Slots(
            condition=condition[0], lay=condition[1], part=condition[2], tissue=condition[3],
            symptom=rng.choice(SYMPTOMS), timing=rng.choice(TIMINGS),
            interval=rng.choice(INTERVALS), sessions=rng.choice(SESSION_COUNTS),
            medicine=medicine, brand=brand, activity=rng.choice(ACTIVITIES),
            solution=rng.choice(SOLUTIONS), compared=rng.choice(COMPARED),
            staff=rng.choice(STAFF), payer=rng.choice(PAYERS),
            place=PLACE_A[site % len(PLACE_A)] + PLACE_B[site // len(PLACE_A) % len(PLACE_B)],
        )

    def documents(self, count: int) -> Iterator[Document]:
        """``count`` documents, lazily: about 75% FAQ entries, the rest page sections."""
        rng = random.Random(self.seed)
        topics = list(TOPICS)
        weights = list(TOPICS.values())
        for n in range(count):
            topic = rng.choices(topics, weights)[0]
            slots = self._slots(rng, n)
            values = vars(slots)
            roll = rng.random()
            if roll < 0.04:
                yield self._escalation(rng, n, slots)
            elif roll < 0.76:
                yield self._faq(rng, n, topic, values)
            else:
                yield self._section(rng, n, topic, values)

    def _faq(self, rng: random.Random, n: int, topic: str, values: dict[str, str]) -> Document:
        question = _capital(rng.choice(QUESTIONS[topic]).format(**values))
        count = rng.randint(3, 6)
        pool = SENTENCES[topic]
        picked = rng.sample(pool, min(count, len(pool)))
        if len(picked) < count:
            picked += rng.sample(SENTENCES["general"], count - len(picked))
        answer = " ".join(_capital(s.format(**values)) for s in picked)
        pending = rng.random() < 0.1
        if pending:
            answer = ("The clinic has not set its advice on this yet. Please pass this "
                      "question to a clinician. " + answer.split(". ")[0] + ".")
        return Document(
            id=f"{_slug(question)}-{n}", kind="faq", title=question, text=answer,
            url=f"faq/{topic}.html#faq-{n}", topic=topic,
            audience=rng.choice((("patient", "staff"), ("patient", "staff", "physician"),
                                 ("staff",), ("physician",))),
            status="policy-pending" if pending else "approved",
            sources=() if pending else (rng.choice(("clinic-page", "uw-prolo",
                                                    "rabago-2010", "cochrane-2007")),),
            page=f"faq/{topic}", source_file=f"docs/faq/{topic}.md:{10 + n % 400}",
        )

    def _escalation(self, rng: random.Random, n: int, slots: Slots) -> Document:
        group = rng.choice(WARNING_SIGNS)
        sign = rng.choice(group)
        values = {**vars(slots), "sign": sign}
        question = _capital(rng.choice(ESCALATION_QUESTIONS).format(**values))
        answer = " ".join(_capital(s.format(**values)) for s in ESCALATION_ANSWERS[:3])
        return Document(
            id=f"{_slug(question)}-{n}", kind="faq", title=question, text=answer,
            url=f"faq/warning-signs.html#faq-{n}", topic="safety",
            audience=("patient", "staff"), escalate=True, sources=("clinic-page",),
            signs=tuple(rng.sample(group, min(len(group), rng.randint(2, 4)))),
            page="faq/warning-signs", source_file=f"docs/faq/warning-signs.md:{10 + n % 400}",
        )

    def _section(self, rng: random.Random, n: int, topic: str,
                 values: dict[str, str]) -> Document:
        title = _capital(rng.choice(SECTION_TITLES[topic]).format(**values))
        paragraphs = []
        for _ in range(rng.randint(2, 3)):
            pool = SENTENCES[topic] + SENTENCES["evidence"]
            picked = rng.sample(pool, rng.randint(3, min(5, len(pool))))
            paragraphs.append(" ".join(_capital(s.format(**values)) for s in picked))
        page = PAGE_TITLES[topic]
        anchor = f"{_slug(title)}-{n}"
        return Document(
            id=f"{topic}#{anchor}", kind="section", title=f"{page} › {title}",
            text="\n\n".join(paragraphs), url=f"{topic}.html#{anchor}", topic=topic,
            audience=("physician",) if rng.random() < 0.5 else ("patient", "staff"),
            page=topic, source_file=f"docs/{topic}.md:{5 + n % 300}",
        )

    def queries(self, count: int, *, salt: int = 0) -> list[str]:
        """Patient-style queries: keywords, questions, lay words, typos, warning signs."""
        rng = random.Random(self.seed * 7919 + 17 + salt)
        out: list[str] = []
        while len(out) < count:
            slots = self._slots(rng, 10_000)
            kind = rng.random()
            if kind < 0.30:
                query = rng.choice((
                    "{lay}", "{part} {symptom}", "{condition} shots", "{part} pain injection",
                    "{symptom} after shot", "{medicine} prolotherapy", "{payer}",
                    "how often {part} injections", "sugar shots {part}",
                )).format(**vars(slots))
            elif kind < 0.65:
                topic = rng.choice(list(TOPICS))
                query = rng.choice(QUESTIONS[topic]).format(**vars(slots)).rstrip("?").lower()
            elif kind < 0.80:
                query = rng.choice((
                    "sugar water in my {part}", "wear and tear {part}", "jab for {lay}",
                    "blood thinners and the shots", "stem cells vs prolo for {part}",
                    "how far apart are the shots", "is it covered by my health plan",
                    "can i take Advil after", "bone on bone {part}",
                )).format(**vars(slots))
            elif kind < 0.90:
                group = rng.choice(WARNING_SIGNS)
                query = f"{rng.choice(group)} after my {slots.part} shot"
            else:
                base = rng.choice(QUESTIONS["side-effects"] + QUESTIONS["aftercare"])
                query = _typo(rng, base.format(**vars(slots)).rstrip("?").lower())
            out.append(query)
        return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _typo(rng: random.Random, text: str) -> str:
    """One slip of the finger in one longer word: a dropped, doubled or swapped letter."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    slip = rng.randrange(3)
    if slip == 0:
        word = word[:at] + word[at + 1:]
    elif slip == 1:
        word = word[:at] + word[at] + word[at:]
    else:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    words[i] = word
    return " ".join(words)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=0, help="also print this many queries")
    args = parser.parse_args(argv)
    generator = Generator(args.seed)
    for doc in generator.documents(args.count):
        print(json.dumps(doc.to_dict(), ensure_ascii=False, indent=1))
    for query in generator.queries(args.queries):
        print(query)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
