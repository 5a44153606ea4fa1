extensions = ["myst_parser", "indexer", "indexer.handout"]
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_build"]
project = "Test Knowledge Base"
author = "Test Clinic"
kb_topics = {"protocol": "Session protocol", "evidence": "Evidence",
             "side-effects": "Side effects", "general": "General"}
kb_feedback_email = "content@example.org"
kb_today = "2026-11-24"
kb_handout = {
    "title": "Test handout for referring physicians",
    "parts": [
        ("Indications and evidence", ["evidence#evidence-by-condition",
                                      "evidence#how-to-read-the-labels"]),
        ("Session protocol", ["protocol#schedule"]),
        ("Side effects and when to send the patient back", ["side-effects#when-to-get-help"]),
    ],
}
