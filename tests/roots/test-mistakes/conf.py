extensions = ["myst_parser", "indexer"]
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_build", "_data"]
kb_topics = {"protocol": "Session protocol", "side-effects": "Side effects", "general": "General"}
kb_glossary = "_data/glossary.yaml"
kb_feedback_email = "content@example.org"
kb_today = "2026-11-24"
