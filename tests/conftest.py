"""Shared fixtures: Sphinx test roots, the real build, and small in-memory indexes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kbfactory import make_index

pytest_plugins = ("sphinx.testing.fixtures",)

REPO = Path(__file__).resolve().parents[1]
# The real build `make test` makes; KB_TEST_BUILD points the tests at another one (a
# build made with `sphinx-build docs DIR/html` writes its index to DIR/index).
BUILD = Path(os.environ.get("KB_TEST_BUILD") or REPO / "build")
REAL_INDEX = BUILD / "index"


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return Path(__file__).parent / "roots"


@pytest.fixture(scope="session")
def real_index() -> Path:
    """The index `make build` wrote from docs/ (make test builds before pytest)."""
    if not (REAL_INDEX / "manifest.json").is_file():
        pytest.fail(f"no built index at {REAL_INDEX}: run `make build` first")
    return REAL_INDEX


@pytest.fixture
def sample_index(tmp_path: Path) -> Path:
    return make_index(tmp_path / "index")


@pytest.fixture
def built_copy(make_app: Any, rootdir: Path, tmp_path: Path) -> Callable[..., Any]:
    """Copy a test root into this test's folder and build it once: (app, source folder).
    For tests that edit the sources and build again."""

    def build(root: str, builder: str = "html") -> tuple[Any, Path]:
        srcdir = tmp_path / "src"
        shutil.copytree(rootdir / root, srcdir)
        app = make_app(builder, srcdir=srcdir, freshenv=True)
        app.build()
        return app, srcdir

    return build
