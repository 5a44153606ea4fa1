"""Reading the YAML data files of docs/_data, with errors that name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DataFileError(ValueError):
    """A data file is missing or malformed (the message says where)."""


def read_yaml(path: Path, what: str) -> Any:
    """The parsed contents of ``path``; ``what`` names the file in messages."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise DataFileError(f"{where}: {what} is not valid YAML") from None
