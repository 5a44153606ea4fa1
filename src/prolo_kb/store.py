"""The index on disk: written whole by one writer and swapped in atomically; opened and
validated by readers.

Layout, for an index path ``build/index``::

    build/index            -> symlink to the live version, e.g. index.versions/20261124T...
    build/index.versions/  every version still kept (the live one and the one before it)
    build/index.lock       held by the one build that is writing

Readers resolve the symlink once and keep reading that version even if a rebuild swaps
in a new one meanwhile, so no reader ever sees a half-written index. A version is complete
only once its ``manifest.json`` exists: it is written last.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from whoosh import index as windex
from whoosh.index import Index
from whoosh.reading import IndexReader

from .content import Document
from .errors import IndexUnavailable
from .manifest import MANIFEST, Manifest
from .schema import SCHEMA_VERSION, build_schema

LOCK_WAIT_SECONDS = 600.0
REBUILD_HINT = "run `make build` (or `sphinx-build docs build/html`) to rebuild it"


class OpenIndex(NamedTuple):
    """A validated, open index version."""

    path: Path  # the version directory (symlink resolved)
    index: Index
    manifest: Manifest
    # the reader that counted the documents, for the first searcher to take (popped once,
    # whichever KBIndex asks first): each new reader reads the index's table of contents
    # anew, ~1 ms of a one-off search
    counted: list[IndexReader] | None = None


def _versions_dir(target: Path) -> Path:
    return target.parent / f"{target.name}.versions"


@contextlib.contextmanager
def build_lock(target: Path, *, wait: float = LOCK_WAIT_SECONDS,
               on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the one-writer lock of ``target``; a second build waits, then fails clearly."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f"{target.name}.lock"
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                if time.monotonic() >= deadline:
                    raise IndexUnavailable(
                        f"another build is writing {target} (lock {lock_path}); "
                        f"gave up after {wait:.0f} s"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_version(
    target: Path,
    rows: Iterable[dict[str, Any]],
    manifest: Callable[[IndexReader, dict[str, int]], Manifest],
    *,
    extra: Callable[[IndexReader], dict[str, bytes]] | None = None,
    procs: int = 1,
    lock_wait: float = LOCK_WAIT_SECONDS,
    on_wait: Callable[[], None] | None = None,
) -> Manifest:
    """Write a complete new index version and make it the live one atomically.

    ``rows`` are the Whoosh fields of each document (:mod:`prolo_kb.indexing` makes
    them); ``manifest(reader, files)`` makes the manifest once they are committed, from
    a reader of the new version and its files' sizes; ``extra(reader)`` names further
    files to write beside Whoosh's (checked like them). ``on_wait`` is called once if
    another build holds the lock and this one waits."""
    target = Path(target)
    with build_lock(target, wait=lock_wait, on_wait=on_wait):
        versions = _versions_dir(target)
        versions.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        new_dir = versions / f"{stamp}-{os.getpid()}"
        new_dir.mkdir()
        previous = _live_names(target)  # readers may still be on it: keep it one more round
        try:
            made = _write_version(new_dir, rows, manifest, extra, procs=procs)
            previous |= _swap_in(target, new_dir)
        except BaseException:
            shutil.rmtree(new_dir, ignore_errors=True)
            raise
        _prune(versions, keep={new_dir.name, *previous})
        return made


def _write_version(new_dir: Path, rows: Iterable[dict[str, Any]],
                   manifest: Callable[[IndexReader, dict[str, int]], Manifest],
                   extra: Callable[[IndexReader], dict[str, bytes]] | None, *,
                   procs: int) -> Manifest:
    ix = windex.create_in(str(new_dir), build_schema())
    writer_args: dict[str, Any] = {"limitmb": 256}
    if procs > 1:
        writer_args.update(procs=procs, multisegment=True)
    writer = ix.writer(**writer_args)
    try:
        for row in rows:
            writer.add_document(**row)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    with ix.reader() as reader:
        for name, content in (extra(reader) if extra else {}).items():
            (new_dir / name).write_bytes(content)
        files = {p.name: p.stat().st_size for p in new_dir.iterdir() if p.is_file()}
        made = manifest(reader, files)
    tmp = new_dir / f"{MANIFEST}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(made.to_dict(), handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, new_dir / MANIFEST)
    return made


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``);
    False where the system cannot."""
    import ctypes  # only for an index from before versions

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done: int = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                          rename_exchange)
    return done == 0


def _swap_in(target: Path, new_dir: Path) -> set[str]:
    """Make ``new_dir`` the live version; the names of versions set aside doing so."""
    link_tmp = target.parent / f".{target.name}.{os.getpid()}.swap"
    with contextlib.suppress(FileNotFoundError):
        link_tmp.unlink()
    link_tmp.symlink_to(os.path.relpath(new_dir, target.parent))
    if target.is_dir() and not target.is_symlink():
        # An index from before versioned layouts: a plain directory, which rename()
        # cannot replace with a symlink. Exchange the two in one step, so that a reader
        # never finds no index; the old directory becomes a version the next build prunes.
        aside = new_dir.parent / f"{target.name}-unversioned-{os.getpid()}"
        if _exchange(link_tmp, target):
            os.rename(link_tmp, aside)
        else:  # no renameat2: a moment without an index, once
            os.rename(target, aside)
            os.replace(link_tmp, target)
        set_aside = {aside.name}
    else:
        os.replace(link_tmp, target)
        set_aside = set()
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return set_aside


def _live_names(target: Path) -> set[str]:
    try:
        return {Path(os.readlink(target)).name}
    except OSError:
        return set()


def _prune(versions: Path, keep: set[str]) -> None:
    """Remove every version but ``keep`` (the new one and the one it replaced).

    That includes what a killed build left half-made: we hold the lock, so no other build
    is writing one. Keeping the newest names instead would keep such a leftover and drop
    the version readers may still be on.
    """
    for path in versions.iterdir():
        if path.is_dir() and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def resolve(path: Path) -> Path:
    """The version directory an index path points at now."""
    return Path(os.path.realpath(path))


def open_index(path: Path) -> OpenIndex:
    """Open and validate the index at ``path``, or raise :class:`IndexUnavailable`."""
    path = Path(path)
    if not path.exists():
        raise IndexUnavailable(f"no search index at {path}; {REBUILD_HINT}")
    real = resolve(path)
    manifest_path = real / MANIFEST
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexUnavailable(
            f"the search index at {path} is incomplete (no {MANIFEST}); {REBUILD_HINT}"
        ) from None
    except (OSError, ValueError, UnicodeDecodeError):
        raise IndexUnavailable(
            f"the search index at {path} has an unreadable {MANIFEST}; {REBUILD_HINT}"
        ) from None
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if version != SCHEMA_VERSION:
        raise IndexUnavailable(
            f"the search index at {path} has schema version {version}, this prolo-kb "
            f"reads version {SCHEMA_VERSION}; {REBUILD_HINT}"
        )
    try:
        manifest = Manifest.from_dict(raw)
    except (KeyError, TypeError, ValueError):
        raise IndexUnavailable(
            f"the search index at {path} has a malformed {MANIFEST}; {REBUILD_HINT}"
        ) from None
    for name, size in manifest.files.items():
        try:
            actual = (real / name).stat().st_size
        except OSError:
            actual = -1
        if actual != size:
            raise IndexUnavailable(
                f"the search index at {path} is damaged ({name} is missing or truncated); "
                f"{REBUILD_HINT}"
            )
    try:
        ix = windex.open_dir(str(real))
        counted = ix.reader()
        count = counted.doc_count()
    except Exception as exc:  # Whoosh raises many types for a damaged index
        raise IndexUnavailable(
            f"the search index at {path} cannot be opened ({type(exc).__name__}); "
            f"{REBUILD_HINT}"
        ) from None
    if count != manifest.counts.get("total", -1):
        raise IndexUnavailable(
            f"the search index at {path} holds {count} documents but its manifest says "
            f"{manifest.counts.get('total')}; {REBUILD_HINT}"
        )
    return OpenIndex(path=real, index=ix, manifest=manifest, counted=[counted])


def iter_documents(opened: OpenIndex) -> Iterator[Document]:
    """Every document of an open index, in index order."""
    with opened.index.searcher() as searcher:
        for stored in searcher.all_stored_fields():
            yield Document.from_dict(json.loads(stored["data"]))
