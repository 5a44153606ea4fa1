"""The index on disk: atomic versions, validation, one writer at a time."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kbfactory import SAMPLE_DOCS, faq, make_index

from prolo_kb.errors import IndexUnavailable
from prolo_kb.indexing import write_index
from prolo_kb.manifest import MANIFEST
from prolo_kb.search import SearchEngine
from prolo_kb.store import build_lock, iter_documents, open_index


def test_write_then_open_round_trips_documents(sample_index: Path) -> None:
    opened = open_index(sample_index)
    docs = list(iter_documents(opened))
    assert sorted(d.id for d in docs) == sorted(d.id for d in SAMPLE_DOCS)
    assert {d.id: d for d in docs}["fever-after-injection"] == SAMPLE_DOCS[2]
    counts = opened.manifest.counts
    assert counts == {"faq": 6, "section": 2, "pages": 1, "total": 8}
    assert sample_index.is_symlink()


def test_rebuild_swaps_versions_and_keeps_only_two(tmp_path: Path) -> None:
    target = tmp_path / "index"
    seen = []
    for n in range(4):
        write_index(target, [faq(f"entry-{n}", f"Question {n}?", "Answer.")])
        seen.append(os.readlink(target))
    assert len(set(seen)) == 4
    versions = sorted(p.name for p in (tmp_path / "index.versions").iterdir())
    assert len(versions) == 2
    assert Path(seen[-1]).name in versions
    assert [d.id for d in iter_documents(open_index(target))] == ["entry-3"]


def test_missing_index_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match=r"no search index at .*make build"):
        open_index(tmp_path / "nowhere")


def test_other_schema_version_is_refused(sample_index: Path) -> None:
    manifest = sample_index / MANIFEST
    data = json.loads(manifest.read_text())
    data["schema_version"] = 999
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexUnavailable, match=r"schema version 999.*make build") as exc:
        open_index(sample_index)
    assert "\n" not in str(exc.value)


def test_missing_manifest_means_incomplete(sample_index: Path) -> None:
    (sample_index / MANIFEST).unlink()
    with pytest.raises(IndexUnavailable, match="incomplete"):
        open_index(sample_index)


def _segment(index: Path) -> Path:
    return next(p for p in index.iterdir() if p.suffix == ".seg")


def test_truncated_segment_is_reported_not_raised(sample_index: Path) -> None:
    seg = _segment(sample_index)
    seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])
    with pytest.raises(IndexUnavailable, match=r"damaged .*truncated"):
        open_index(sample_index)


def test_scrambled_segment_gives_the_one_line_error(sample_index: Path) -> None:
    seg = _segment(sample_index)
    size = seg.stat().st_size
    seg.write_bytes(bytes((i * 7919) % 251 for i in range(size)))  # same size, garbage
    with pytest.raises(IndexUnavailable) as exc:
        SearchEngine(sample_index).search("injections")
    assert "make build" in str(exc.value) and "\n" not in str(exc.value)


def test_second_writer_waits_then_fails_clearly(tmp_path: Path) -> None:
    target = tmp_path / "index"
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with build_lock(target):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(5)
        told: list[str] = []
        with pytest.raises(IndexUnavailable, match="another build is writing"):
            write_index(target, [faq("a", "A?", "A.")], lock_wait=0.3,
                        on_wait=lambda: told.append("waiting"))
        assert told == ["waiting"]  # said once that it waits, not in silence
    finally:
        release.set()
        thread.join()
    make_index(target)  # once the first build is done, the next one succeeds
    assert open_index(target).manifest.counts["total"] == len(SAMPLE_DOCS)


def test_an_index_from_before_versions_is_replaced_in_one_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain index directory (the layout before versions) becomes a symlink without a
    moment in which readers find no index: the two are exchanged in one rename."""
    target = tmp_path / "index"
    target.mkdir()
    (target / "old-segment").write_text("old", encoding="utf-8")
    there: list[bool] = []  # after each rename: is there an index path?

    def watching(rename: Callable[..., None]) -> Callable[..., None]:
        def watched(*args: Any, **kwargs: Any) -> None:
            rename(*args, **kwargs)
            there.append(target.exists())

        return watched

    monkeypatch.setattr(os, "rename", watching(os.rename))
    monkeypatch.setattr(os, "replace", watching(os.replace))
    write_index(target, [faq("entry", "Question?", "Answer.")])
    assert there and all(there) and target.is_symlink()
    assert [d.id for d in iter_documents(open_index(target))] == ["entry"]
    # The old directory is kept as a version until the next build prunes it.
    aside = [p for p in (tmp_path / "index.versions").iterdir() if "unversioned" in p.name]
    assert len(aside) == 1 and (aside[0] / "old-segment").is_file()
    write_index(target, [faq("entry", "Question?", "Answer.")])
    assert not [p for p in (tmp_path / "index.versions").iterdir() if "unversioned" in p.name]
