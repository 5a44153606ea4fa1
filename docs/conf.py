"""Sphinx configuration for the prolo-kb site and search index."""

from __future__ import annotations

project = "Prolotherapy Knowledge Base"
author = "Infinity Regenerative Medicine"
copyright = "2026, Infinity Regenerative Medicine"
language = "en"

extensions = ["myst_parser", "indexer"]
myst_enable_extensions = ["colon_fence", "deflist"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_data", "Thumbs.db", ".DS_Store"]
suppress_warnings: list[str] = []

# --- prolo-kb content model (read by the `indexer` extension) --------------------------
# Topic ids used by FAQ entries and page front matter, with their display names.
kb_topics = {
    "indications": "Conditions treated",
    "mechanism": "How it works",
    "protocol": "Session protocol",
    "expectations": "What to expect",
    "recovery": "Recovery groups",
    "side-effects": "Side effects",
    "evidence": "Evidence",
    "safety": "Candidacy and safety",
    "aftercare": "Aftercare",
    "practicalities": "Practicalities",
    "general": "General",
}
kb_audiences = ["patient", "staff", "physician"]
# Term -> lay words, read by the glossary page and by the search (via the index).
kb_glossary = "_data/glossary.yaml"
# How staff and patients talk, read by the search (via the index): staff shorthand, the
# context words that make a warning sign negated, past or hypothetical, clinicians' words.
# What the knowledge base is about: a question naming it (or its lay words in the glossary,
# "prolo", "sugar shots") is answered from the base, never called "not covered".
kb_subject = "prolotherapy"
kb_language = {
    "shorthand": "_data/shorthand.yaml",
    "context": "_data/context.yaml",
    "clinical": "_data/clinical-words.yaml",
    "framing": "_data/framing.yaml",
}
# The page whose {reference} entries are the only sources content may cite.
kb_references_doc = "references"
# Where "report a problem with this page" mail goes.
kb_feedback_email = "content@infinityregenerative.example"
# The clinic's phone number for patients, printed on the patient leaflet. Until the clinic
# sets it, the leaflet prints a marked placeholder and `prolo-kb check` lists it (with the
# feedback address above while it is a reserved ".example" address).
kb_clinic_phone = ""
# The search index is written next to the HTML output (build/html -> build/index).
kb_index_dir = ""

# --- HTML ------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Prolotherapy Knowledge Base"
html_last_updated_fmt = ""
html_theme_options = {
    "repository_url": "",
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "home_page_in_toc": True,
}
# Follow the system's light or dark setting (pydata-sphinx-theme reads it from the
# context); without it a first visit logs "Got invalid theme mode" (empty storage).
html_context = {"default_mode": "auto"}

# The physician handout (make pdf; the HTML build puts it into the site too): each part is
# a heading and the page sections ("page#section-id", as in the site's URLs) it shows.
kb_handout = {
    "title": "Prolotherapy: protocol and evidence for referring physicians",
    "file": "prolotherapy-physician-handout.pdf",
    "paper": "letter",
    "max_pages": 2,
    "parts": [
        ("Indications and evidence", ["evidence#evidence-by-condition",
                                      "evidence#how-to-read-the-evidence-labels"]),
        ("The clinic's claims, the mechanism and FDA status",
         ["evidence#the-clinic-s-outcome-claims",
          "mechanism#what-is-known-about-the-mechanism",
          "mechanism#regulatory-status-and-the-state-of-the-research"]),
        ("Session protocol", ["protocol#figure-treatment-timeline",
                              "protocol#in-the-clinic-s-words",
                              "protocol#published-trial-protocols-examples"]),
        ("The four recovery groups", ["recovery#the-four-recovery-groups"]),
        ("Side effects and when to send the patient back",
         ["side-effects#warning-signs-when-to-get-help"]),
    ],
}

# The patient leaflet (make leaflet; the HTML build puts it into the site too): one page in
# the site's own words, with the clinic's phone (kb_clinic_phone) and the emergency number.
kb_leaflet = {
    "title": "After your prolotherapy shots",
    "subtitle": "What is normal, and when to get help",
    "file": "prolotherapy-patient-leaflet.pdf",
    "paper": "letter",
    "max_pages": 1,
    "contact": True,
    "emergency_number": "911",
    "parts": [
        ("What is normal after the shots", ["side-effects#what-is-normal-after-the-shots"]),
        ("When to get help", ["side-effects#when-to-get-help"]),
    ],
}
