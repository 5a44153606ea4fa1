"""Settings the clinic has not filled in yet: its phone number, the feedback address.

The docs build records the settings that reach patients and staff (``kb_clinic_phone``,
``kb_feedback_email`` in docs/conf.py) in a small JSON file beside the index it writes
(``build/index.placeholders.json`` for ``build/index``); ``prolo-kb check`` reads it and
lists the ones still unset. One rule decides what is a placeholder, for both: an empty
value, or an address in a domain reserved for examples (RFC 2606: ``example``,
``example.com``, ``.test``, ``.invalid``...), which can never reach anyone.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".placeholders.json"
# What each setting is, in words for the person who sets it.
SETTINGS = {
    "kb_clinic_phone": "the clinic's phone number (patient leaflet)",
    "kb_feedback_email": "where 'Report a problem' mail goes (every page, the handouts)",
}
_RESERVED = ("example", "test", "invalid", "localhost")
_RESERVED_SECOND = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class Placeholder:
    """One unset setting: its conf.py name, what it is, and its value now."""

    setting: str
    what: str
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"setting": self.setting, "what": self.what, "value": self.value}


def is_placeholder(value: str) -> bool:
    """Empty, or an address whose domain is reserved for examples."""
    value = value.strip()
    if not value:
        return True
    domain = value.rpartition("@")[2].lower().rstrip(".") if "@" in value else ""
    return bool(domain) and (domain.rsplit(".", 1)[-1] in _RESERVED
                             or domain.endswith(_RESERVED_SECOND))


def unset(settings: dict[str, str]) -> list[Placeholder]:
    """The settings still at a placeholder, in the order of :data:`SETTINGS`."""
    return [Placeholder(name, SETTINGS[name], settings.get(name, ""))
            for name in SETTINGS if is_placeholder(settings.get(name, ""))]


def path_for(index: Path) -> Path:
    return index.with_name(index.name + SUFFIX)


def record(index: Path, settings: dict[str, str]) -> Path:
    """Write the settings beside the index (atomically); return the file."""
    target = path_for(index)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    body = {name: settings.get(name, "") for name in SETTINGS}
    tmp.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def read(index: Path) -> dict[str, str] | None:
    """The settings the build recorded beside ``index``; None if it recorded none."""
    try:
        data = json.loads(path_for(index).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): str(v) for k, v in data.items() if k in SETTINGS}
