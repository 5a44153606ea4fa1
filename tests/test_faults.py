"""Faults: a build killed half-way, two builds at once, damaged index files, searches
while the index is rebuilt, and content mistakes.

Whatever happens, a reader answers from one whole index (the old one or the new one) or
gives the one-line error that says what to run; it never shows a traceback and never
mixes two versions.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from kbfactory import SAMPLE_DOCS, faq, make_index
from sphinx.testing.util import SphinxTestApp

from prolo_kb.cli import main
from prolo_kb.content import Document
from prolo_kb.errors import IndexUnavailable
from prolo_kb.indexing import write_index
from prolo_kb.manifest import MANIFEST
from prolo_kb.search import SearchEngine, SearchResult
from prolo_kb.store import iter_documents, open_index, resolve

CHILD_TIMEOUT = 120.0  # a stuck child is killed rather than hanging the suite

# A build in its own process, so it can be killed with SIGKILL at a chosen moment. It
# announces each phase on stdout ("<word> <monotonic time>") and, at the phase asked
# for, stops there (with its files open and the build lock held) until it is killed.
BUILD_CHILD = r'''
import sys
import time
from pathlib import Path

from prolo_kb import indexing, manifest, store
from prolo_kb.content import Document
from prolo_kb.errors import KBError

target, phase, gen, count, lock_wait = sys.argv[1:6]
gen, count, lock_wait = int(gen), int(count), float(lock_wait)


def say(word):
    print(word, time.monotonic(), flush=True)


def stop(*args, **kwargs):
    say(phase)
    time.sleep(600)


def documents():
    say("writing")  # the generator is first read once the build holds the lock
    for n in range(count):
        if phase == "adding" and n == count // 2:
            stop()
        if phase == "slow":
            time.sleep(0.002)
        yield Document(
            id=f"g{gen}-{n}", kind="faq", topic="protocol", audience=("patient",),
            title=f"Generation {gen}: how often are the injections, case {n}?",
            text=f"Injections every four to six weeks. Entry {n} of build {gen}.",
            url=f"faq.html#faq-g{gen}-{n}")
    say("added")


if phase == "committing":
    # Whoosh copies each part into the segment file: write half of one, then stop.
    import whoosh.filedb.compound as compound

    def half_copy(source, dest, *args):
        data = source.read()
        dest.write(data[: len(data) // 2])
        dest.flush()
        stop()

    compound.copyfileobj = half_copy
elif phase == "manifest":
    manifest.Manifest.to_dict = stop  # segments complete, manifest not yet written
elif phase == "swapping":
    store._swap_in = stop  # version complete, not yet made live

try:
    indexing.write_index(Path(target), documents(), lock_wait=lock_wait)
except KBError as exc:
    print(f"prolo-kb: {exc}", file=sys.stderr)
    sys.exit(2)
say("done")
'''


class Build:
    """A build running in a child process."""

    def __init__(self, script: Path, target: Path, phase: str, gen: int, count: int,
                 lock_wait: float = 600.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(target), phase, str(gen), str(count),
             str(lock_wait)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.times: dict[str, float] = {}
        self._watchdog = threading.Timer(CHILD_TIMEOUT, self.proc.kill)
        self._watchdog.start()

    def wait_for(self, word: str) -> None:
        """Read the child's announcements until ``word``."""
        assert self.proc.stdout is not None
        while word not in self.times:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                raise AssertionError(f"build ended before {word!r}: {self.stderr()}")
            said, _, at = line.partition(" ")
            self.times[said] = float(at)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait() == -signal.SIGKILL

    def finish(self) -> int:
        """Wait for the child to exit and collect what it announced."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            said, _, at = line.partition(" ")
            self.times[said] = float(at)
        code = self.proc.wait()
        self._watchdog.cancel()
        return code

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def close(self) -> None:
        self._watchdog.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def start_build(tmp_path: Path) -> Iterator[Callable[..., Build]]:
    script = tmp_path / "build_child.py"
    script.write_text(BUILD_CHILD, encoding="utf-8")
    builds: list[Build] = []

    def start(target: Path, phase: str, gen: int, count: int = 400,
              lock_wait: float = 600.0) -> Build:
        build = Build(script, target, phase, gen, count, lock_wait)
        builds.append(build)
        return build

    yield start
    for build in builds:
        build.close()


def generation(gen: int, count: int) -> list[Document]:
    """What the child build of generation ``gen`` writes, built in this process."""
    return [faq(f"g{gen}-{n}", f"Generation {gen}: how often are the injections, case {n}?",
                f"Injections every four to six weeks. Entry {n} of build {gen}.",
                topic="protocol", audience=("patient",)) for n in range(count)]


def ids(result: SearchResult) -> list[str]:
    return [hit.doc.id for hit in result.hits]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(err: str) -> None:
    assert err.startswith("prolo-kb: ") and err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err and "make build" in err, err


# -- a build killed half-way ------------------------------------------------------------

@pytest.mark.parametrize("phase", ["adding", "committing", "manifest", "swapping"])
def test_build_killed_half_way_leaves_the_old_index_serving(
        tmp_path: Path, start_build: Callable[..., Build], phase: str) -> None:
    target = make_index(tmp_path / "index")
    live = resolve(target)
    engine = SearchEngine(target)
    before = ids(engine.search("injections", limit=100))
    assert len(before) >= 4

    build = start_build(target, phase, gen=1, count=400)
    build.wait_for(phase)
    build.kill()

    # Something half-made is on disk beside the live version ...
    versions = tmp_path / "index.versions"
    assert [p for p in versions.iterdir() if p != live]
    # ... but readers still see the old index, whole.
    assert resolve(target) == live
    assert not engine.reload_if_changed()
    assert ids(engine.search("injections", limit=100)) == before
    assert ids(SearchEngine(target).search("injections", limit=100)) == before
    code, out, err = run_cli("search", "--json", "--index", str(target), "injections")
    assert code == 0 and err == ""
    assert [h["id"] for h in json.loads(out)["hits"]] == before[:10]

    # The dead build's lock went with it: the next build runs at once and goes live.
    write_index(target, generation(2, 30), lock_wait=5)
    assert engine.reload_if_changed()
    result = engine.search("injections", limit=100)
    assert sorted(ids(result)) == sorted(f"g2-{n}" for n in range(30))
    assert result.total == 30


def test_a_live_version_is_never_written_to(tmp_path: Path) -> None:
    """Readers map the live version's files: a rebuild writes beside them, never into
    them, so an open reader cannot see a file change under it."""
    target = make_index(tmp_path / "index")
    live = resolve(target)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
              for p in live.iterdir()}
    write_index(target, generation(1, 5))
    assert resolve(target) != live
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
             for p in live.iterdir()}
    assert after == before


# -- two builds at once -----------------------------------------------------------------

def test_two_builds_at_once_run_one_after_the_other(
        tmp_path: Path, start_build: Callable[..., Build]) -> None:
    target = tmp_path / "index"
    write_index(target, generation(0, 12))
    engine = SearchEngine(target)
    first = start_build(target, "slow", gen=1, count=150)
    second = start_build(target, "slow", gen=2, count=150)
    sizes = {0: 12, 1: 150, 2: 150}
    seen: set[int] = set()
    while first.proc.poll() is None or second.proc.poll() is None:
        engine.reload_if_changed()
        result = engine.search("injections", limit=100)
        gens = {_generation(doc_id) for doc_id in ids(result)}
        assert len(gens) == 1, gens  # never a mix of two builds
        gen = gens.pop()
        seen.add(gen)
        assert result.total == sizes[gen]  # and never a part of one
    assert first.finish() == 0 and second.finish() == 0
    spans = sorted([(b.times["writing"], b.times["done"], gen)
                    for gen, b in ((1, first), (2, second))])
    assert spans[0][1] <= spans[1][0], spans  # the second started writing after the first
    last = spans[1][2]
    engine.reload_if_changed()
    final = engine.search("injections", limit=100)
    assert {_generation(d) for d in ids(final)} == {last} and final.total == 150
    assert seen <= {0, 1, 2}


def _generation(doc_id: str) -> int:
    return int(doc_id[1:].split("-")[0]) if doc_id.startswith("g") else 0


def test_second_build_that_cannot_wait_fails_with_one_line(
        tmp_path: Path, start_build: Callable[..., Build]) -> None:
    target = make_index(tmp_path / "index")
    live = resolve(target)
    holder = start_build(target, "adding", gen=1, count=100)
    holder.wait_for("adding")
    impatient = start_build(target, "slow", gen=2, count=10, lock_wait=1.0)
    assert impatient.finish() == 2
    err = impatient.stderr()
    assert err.startswith("prolo-kb: another build is writing") and err.count("\n") == 1, err
    assert "Traceback" not in err
    holder.kill()
    assert resolve(target) == live
    assert len(list(iter_documents(open_index(target)))) == len(SAMPLE_DOCS)


# -- damaged index files ----------------------------------------------------------------

def _part(index: Path, suffix: str) -> Path:
    return next(p for p in resolve(index).iterdir() if p.name.endswith(suffix))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _scramble(path: Path) -> None:
    size = path.stat().st_size  # same size: the manifest's size check cannot see it
    path.write_bytes(bytes((i * 7919 + 13) % 251 for i in range(size)))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _wrong_shape(index: Path) -> None:
    manifest = index / MANIFEST
    version = json.loads(manifest.read_text(encoding="utf-8"))["schema_version"]
    manifest.write_text(json.dumps({"schema_version": version, "counts": "many"}),
                        encoding="utf-8")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated segment": lambda ix: _truncate(_part(ix, ".seg")),
    "scrambled segment": lambda ix: _scramble(_part(ix, ".seg")),
    "missing segment": lambda ix: _part(ix, ".seg").unlink(),
    "truncated table of contents": lambda ix: _truncate(_part(ix, ".toc")),
    "scrambled table of contents": lambda ix: _scramble(_part(ix, ".toc")),
    "empty manifest": lambda ix: _empty(ix / MANIFEST),
    "manifest of wrong shape": _wrong_shape,
    "version directory gone": lambda ix: shutil.rmtree(resolve(ix)),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_gives_the_one_line_error(sample_index: Path, damage: str) -> None:
    DAMAGE[damage](sample_index)
    code, out, err = run_cli("search", "--index", str(sample_index), "injections")
    assert code == 2 and out == ""
    assert_one_line_error(err)
    with pytest.raises(IndexUnavailable):
        SearchEngine(sample_index).search("injections")


@pytest.mark.parametrize("damage", ["truncated segment", "scrambled table of contents"])
def test_damaged_index_in_a_real_process_prints_no_traceback(
        sample_index: Path, damage: str) -> None:
    DAMAGE[damage](sample_index)
    command = Path(sys.executable).parent / "prolo-kb"
    done = subprocess.run([str(command), "search", "--index", str(sample_index), "fever"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert_one_line_error(done.stderr)


def test_rebuild_that_is_damaged_keeps_the_old_one_serving(tmp_path: Path) -> None:
    target = make_index(tmp_path / "index")
    engine = SearchEngine(target)
    before = ids(engine.search("injections", limit=100))
    write_index(target, generation(1, 20))
    _scramble(_part(target, ".seg"))  # the new version is bad before any reader opens it
    assert not engine.reload_if_changed()
    assert ids(engine.search("injections", limit=100)) == before


# -- searching while the index is rebuilt -----------------------------------------------

THREADS = 8
REBUILDS = 5


@pytest.mark.parametrize("scoring", ["dictionaries", "numpy"])
def test_eight_threads_search_through_five_rebuilds(tmp_path: Path, scoring: str) -> None:
    """Zero failed queries, and every answer is one whole index, old or new; with either
    way of scoring (numpy is what an index of many thousand entries uses)."""
    sizes = {gen: 10 + 7 * gen for gen in range(REBUILDS + 1)}
    target = tmp_path / "index"
    write_index(target, generation(0, sizes[0]))
    engine = SearchEngine(target, dense_from=1 if scoring == "numpy" else None)
    done = threading.Event()
    failures: list[str] = []
    answers: list[tuple[int, int]] = []
    lock = threading.Lock()
    queries = ["injections", "how often are the injektions", "four to six weeks",
               '"six weeks" injections', "generation injections entry"]

    def reader(n: int) -> None:
        count = 0
        while not done.is_set() or count < 20:
            query = queries[(n + count) % len(queries)]
            count += 1
            try:
                engine.reload_if_changed()
                result = engine.search(query, limit=100)
            except Exception as exc:  # a failed query is what this test looks for
                with lock:
                    failures.append(f"{query!r}: {type(exc).__name__}: {exc}")
                continue
            gens = {_generation(doc_id) for doc_id in ids(result)}
            with lock:
                if len(gens) != 1:
                    failures.append(f"{query!r}: a mix of builds {sorted(gens)}")
                    continue
                gen = gens.pop()
                if result.total != sizes[gen] or len(result.hits) != sizes[gen]:
                    failures.append(f"{query!r}: {len(result.hits)} of build {gen}'s "
                                    f"{sizes[gen]} entries")
                answers.append((gen, n))

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        for gen in range(1, REBUILDS + 1):
            time.sleep(0.05)
            write_index(target, generation(gen, sizes[gen]))
        time.sleep(0.05)
    finally:
        done.set()
        for thread in threads:
            thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert len(answers) >= THREADS * 20
    assert {n for _gen, n in answers} == set(range(THREADS))
    assert len({gen for gen, _n in answers}) >= 2  # the readers did see a rebuild
    assert engine.search("injections", limit=100).total == sizes[REBUILDS]


# -- content mistakes -------------------------------------------------------------------

def _faq_openings(srcdir: Path) -> set[str]:
    """``file.md:line`` of every ``{faq}`` directive written in the sources."""
    found = set()
    for path in sorted(srcdir.glob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith(":::{faq}"):
                found.add(f"{path.name}:{number}")
    return found


MISTAKES = [
    ("front-matter.md:1", "Malformed YAML"),
    ("front-matter.md:1", "page metadata is missing topic, audience"),
    ("malformed.md:12", "Unknown option key: 'topc'"),
    ("malformed.md:10", "FAQ entry 'parking' has unknown topic ''"),
    ("malformed.md:19", "Directive 'faq': 1 argument(s) required, 0 supplied"),
    ("visits.md:10", "duplicate FAQ id 'visit-interval' (first in more-visits, line 10)"),
    # The closing ':::' is missing: the next entry would silently become its answer.
    ("unclosed.md:10", "FAQ entry 'eat-before-visit' is not closed: another FAQ entry "
                       "(line 18) is inside its answer"),
]


@pytest.mark.sphinx("html", testroot="mistakes", freshenv=True)
def test_content_mistakes_are_located_and_nothing_is_dropped(app: SphinxTestApp) -> None:
    app.build()
    lines = [line for line in app.warning.getvalue().splitlines()
             if "WARNING" in line or "ERROR" in line]
    for location, message in MISTAKES:
        assert any(f"{location}:" in line and message in line for line in lines), (
            location, message, lines)
    assert len(lines) == len(MISTAKES), lines

    index = Path(app.outdir).parent / "index"
    faqs = [d for d in iter_documents(open_index(index)) if d.kind == "faq"]
    indexed = {d.source_file.split("/", 1)[1] for d in faqs}
    reported = {loc for loc, msg in MISTAKES if "Directive 'faq'" in msg}
    written = _faq_openings(Path(app.srcdir))
    # Every entry written reaches the index, except one the parser could not read at
    # all, and that one is reported at its line: nothing is dropped silently.
    assert written == indexed | reported and not indexed & reported
    assert len(faqs) == len(written) - len(reported)
    # Both entries with the same id are kept (and reported): neither hides the other.
    assert sorted(d.title for d in faqs if d.id == "visit-interval") == [
        "How far apart are the sessions?", "How often are the visits?"]
    # A page whose front matter is broken still has its entry searched.
    engine = SearchEngine(index)
    assert engine.search("how long is a visit").hits[0].doc.id == "visit-length"
