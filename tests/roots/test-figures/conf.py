extensions = ["myst_parser", "indexer"]
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_build", "_data"]
project = "Test Knowledge Base"
author = "Test Clinic"
kb_topics = {"side-effects": "Side effects", "protocol": "Session protocol",
             "general": "General"}
kb_feedback_email = "content@example.org"
kb_today = "2026-11-24"
kb_write_index = False
kb_leaflet = {
    "title": "After your test shots",
    "file": "test-leaflet.pdf",
    "contact": True,
    "emergency_number": "911",
    "parts": [
        ("What is normal", ["care#what-is-normal"]),
        ("When to get help", ["care#when-to-get-help"]),
    ],
}
