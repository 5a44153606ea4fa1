"""Scale benchmark: prolo-kb's Whoosh search beside SQLite FTS5 on the same documents.

For the real knowledge base (the documents of ``build/index``) and for 1,000, 10,000 and
100,000 generated entries (``bench/generate.py``, seeded), in one run:

* index build time and peak memory (each build in its own process), index size;
* warm query latency p50/p95 in one process: ``SearchEngine.search`` (typo correction,
  synonyms, escalation, highlighting included) against an FTS5 ``MATCH`` with bm25 ranking,
  a snippet and a count — the same queries, each measured once after a warm-up on others;
* a whole CLI search in a new process (start, open, search, print) against a bare Whoosh
  open-and-search process and a bare SQLite one;
* how latency grows with size.

Every figure for Whoosh is printed beside FTS5's as a ratio. The tables go to stdout and
to ``bench/results.md``.

    python bench/scale.py                       # everything (make bench)
    python bench/scale.py --sizes real,1000     # a quick look
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from generate import Generator

from prolo_kb.content import Document, GlossaryTerm, PageMeta
from prolo_kb.errors import KBError, QueryError
from prolo_kb.indexing import write_index
from prolo_kb.schema import STOP_WORDS, words
from prolo_kb.search import SearchEngine, clean_query
from prolo_kb.store import iter_documents, open_index, resolve

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROCS_FROM = 10_000  # build with several processes from this many entries up
BUILD_TIMEOUT = 1800

BARE_WHOOSH = """
import sys
from whoosh.index import open_dir
from whoosh.query import Or, Term
ix = open_dir(sys.argv[1])
with ix.searcher() as searcher:
    analyzer = ix.schema["text"].analyzer
    stems = [t.text for t in analyzer(sys.argv[2])]
    query = Or([Term(f, s) for s in stems for f in ("title", "text")])
    for hit in searcher.search(query, limit=10):
        print(hit["data"][:200])  # the stored record, as prolo-kb prints from it
"""

BARE_SQLITE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
match = " OR ".join('"%s"' % w for w in sys.argv[2].split() if w.isalnum())
for row in db.execute("SELECT title FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10",
                      (match,)):
    print(row[0])
"""


# -- documents ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Corpus:
    """The documents of one size, produced again on demand (never all held in memory)."""

    name: str
    count: int
    documents: Callable[[], Iterator[Document]]
    glossary: tuple[GlossaryTerm, ...]
    pages: tuple[PageMeta, ...]
    sources: dict[str, str]


def corpus(name: str, real_index: Path, seed: int) -> Corpus:
    opened = open_index(real_index)
    manifest = opened.manifest
    if name == "real":
        docs = list(iter_documents(opened))
        return Corpus("real", len(docs), lambda: iter(docs), manifest.glossary,
                      manifest.pages, manifest.sources)
    count = int(name)
    # Generated entries are searched with the real glossary, so synonyms work as they do
    # on the real base.
    return Corpus(name, count, lambda: Generator(seed).documents(count), manifest.glossary,
                  (), {})


def queries_for(name: str, seed: int, count: int) -> tuple[list[str], list[str]]:
    """(warm-up queries, measured queries). The real base is measured on the labelled
    staff queries of tests/data/queries.tsv; generated sizes on generated queries."""
    generator = Generator(seed)
    warmup = generator.queries(max(20, count // 4), salt=1)
    labelled = ROOT / "tests" / "data" / "queries.tsv"
    if name == "real" and labelled.is_file():
        lines = labelled.read_text(encoding="utf-8").splitlines()[1:]
        measured = [line.split("\t")[0] for line in lines if line.strip()]
        return warmup, measured[:count] if count < len(measured) else measured
    return warmup, generator.queries(count)


# -- progress -----------------------------------------------------------------------------

class Progress:
    """A progress bar on stderr: tqdm when it is installed, a plain line otherwise."""

    def __init__(self, total: int, label: str) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self._bar: Any = None
        try:
            from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            return
        self._bar = tqdm(total=total, desc=label, unit=" docs", unit_scale=True,
                         file=sys.stderr, leave=False, mininterval=0.5)

    def update(self, done: int) -> None:
        step, self.done = done - self.done, done
        if self._bar is not None:
            self._bar.update(step)
        elif sys.stderr.isatty():
            share = done / self.total if self.total else 1.0
            filled = int(30 * share)
            print(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/"
                  f"{self.total:,}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif sys.stderr.isatty():
            print(file=sys.stderr)


def counted(docs: Iterable[Document], progress: Progress, every: int = 500) -> Iterator[Document]:
    n = 0
    for n, doc in enumerate(docs, start=1):
        if n % every == 0:
            progress.update(n)
        yield doc
    progress.update(n)


# -- builds (each in a child process) -----------------------------------------------------

def peak_mb() -> float:
    """Peak resident memory of this process plus its largest finished child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def build_whoosh(data: Corpus, target: Path, procs: int) -> dict[str, Any]:
    progress = Progress(data.count, f"whoosh {data.name}")
    started = time.perf_counter()
    try:
        write_index(target, counted(data.documents(), progress), pages=data.pages,
                    glossary=data.glossary, sources=data.sources, procs=procs)
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in resolve(target).iterdir() if p.is_file())
    return {"seconds": seconds, "peak_mb": peak_mb(), "bytes": size, "procs": procs}


FTS_SCHEMA = ("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text, signs, "
              "data UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')")


def build_fts5(data: Corpus, target: Path) -> dict[str, Any]:
    progress = Progress(data.count, f"fts5 {data.name}")
    started = time.perf_counter()
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    try:
        db.execute(FTS_SCHEMA)
        with db:
            db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", (
                (d.id, d.title, d.text, "\n".join(d.signs),
                 json.dumps(d.to_dict(), ensure_ascii=False))
                for d in counted(data.documents(), progress)))
            db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    finally:
        db.close()
        progress.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": peak_mb(), "bytes": target.stat().st_size}


# -- warm queries (in a child process) ----------------------------------------------------

def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    return {"p50": 1000 * percentile(values, 0.50), "p95": 1000 * percentile(values, 0.95),
            "max": 1000 * max(values)}


def fts_match(query: str) -> str | None:
    """The FTS5 expression for a query: its content words, OR-ed, each quoted."""
    try:
        text = clean_query(query)
    except QueryError:
        return None
    terms = [w for w in words(text) if w not in STOP_WORDS]
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) or None


def warm_whoosh(index: Path, warmup: list[str], measured: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    engine = SearchEngine(index)
    open_seconds = time.perf_counter() - started
    engine.warm_up()  # as `prolo-kb serve` does at start
    for query in warmup:
        with contextlib.suppress(QueryError):
            engine.search(query)
    times: list[float] = []
    features = {"corrected": 0, "warning_signs": 0, "errors": 0, "no_hits": 0}
    for query in measured:
        started = time.perf_counter()
        try:
            result = engine.search(query)
        except QueryError:
            features["errors"] += 1
            times.append(time.perf_counter() - started)
            continue
        times.append(time.perf_counter() - started)
        features["corrected"] += result.corrected is not None
        features["warning_signs"] += bool(result.warning_signs)
        features["no_hits"] += not result.hits
    repeat: list[float] = []  # the same queries again: what a result cache would serve
    for query in measured:
        started = time.perf_counter()
        with contextlib.suppress(QueryError):
            engine.search(query)
        repeat.append(time.perf_counter() - started)
    return {"open_ms": 1000 * open_seconds, "first": summary_ms(times),
            "repeat": summary_ms(repeat), "features": features, "queries": len(measured),
            "rss_mb": peak_mb()}


def warm_fts5(db_path: Path, warmup: list[str], measured: list[str]) -> dict[str, Any]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    top = ("SELECT data, snippet(docs, 2, '<mark>', '</mark>', ' … ', 24), "
           "bm25(docs, 0.0, 2.5, 1.0, 0.4) AS score FROM docs WHERE docs MATCH ? "
           "ORDER BY score LIMIT 10")
    count = "SELECT count(*) FROM docs WHERE docs MATCH ?"

    def run(query: str) -> None:
        match = fts_match(query)
        if match is None:
            return
        hits = [(json.loads(data), snippet) for data, snippet, _ in db.execute(top, (match,))]
        db.execute(count, (match,)).fetchone()
        assert len(hits) <= 10

    for query in warmup:
        run(query)
    times: list[float] = []
    for query in measured:
        started = time.perf_counter()
        run(query)
        times.append(time.perf_counter() - started)
    db.close()
    return {"first": summary_ms(times), "queries": len(measured)}


# -- whole processes ----------------------------------------------------------------------

def timed_run(command: list[str]) -> float:
    """Seconds from start to exit of one process. No timeout: with one, subprocess polls
    for the exit in sleeps of up to 50 ms, which would be measured too."""
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def processes(index: Path, db_path: Path, queries: list[str]) -> dict[str, Any]:
    python = sys.executable
    version = str(resolve(index))
    # Whoosh was byte-compiled when pip installed it; compile our editable sources too,
    # or a PYTHONDONTWRITEBYTECODE environment would make every run compile them anew.
    compileall.compile_dir(ROOT / "src", quiet=1)
    commands = {
        "python -c pass": lambda q: [python, "-c", "pass"],
        "prolo-kb search": lambda q: [str(BIN / "prolo-kb"), "search", "--index", str(index),
                                      "--", q],
        "bare whoosh": lambda q: [python, "-c", BARE_WHOOSH, version, q],
        "bare sqlite": lambda q: [python, "-c", BARE_SQLITE, str(db_path), q],
    }
    for make in commands.values():
        timed_run(make(queries[0]))  # fill the OS file cache before timing
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for query in queries:  # taken in turn, so a busy moment falls on all of them alike
        for name, make in commands.items():
            runs[name].append(timed_run(make(query)))
    return {name: summary_ms(times) for name, times in runs.items()}


# -- the child entry point ----------------------------------------------------------------

def child(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="scale.py _child")
    parser.add_argument("task", choices=["whoosh", "fts5", "warm-whoosh", "warm-fts5"])
    parser.add_argument("name")
    parser.add_argument("target", type=Path)
    parser.add_argument("--real-index", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    result: dict[str, Any]
    if args.task in ("whoosh", "fts5"):
        data = corpus(args.name, args.real_index, args.seed)
        if args.task == "whoosh":
            result = build_whoosh(data, args.target, args.procs)
        else:
            result = build_fts5(data, args.target)
        result["docs"] = data.count
    else:
        warmup, measured = queries_for(args.name, args.seed, args.queries)
        if args.task == "warm-whoosh":
            result = warm_whoosh(args.target, warmup, measured)
        else:
            result = warm_fts5(args.target, warmup, measured)
    print(json.dumps(result))
    return 0


def in_child(task: str, name: str, target: Path, args: argparse.Namespace,
             procs: int = 1) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "_child", task, name,
               str(target), "--real-index", str(args.real_index), "--seed", str(args.seed),
               "--procs", str(procs), "--queries", str(args.queries)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False,
                          timeout=BUILD_TIMEOUT)
    if done.returncode != 0:
        raise SystemExit(f"scale.py: {task} {name} failed (exit {done.returncode})")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


# -- the report ---------------------------------------------------------------------------

def ratio(ours: float, theirs: float, digits: int = 1) -> str:
    return f"{ours / theirs:.{digits}f}x" if theirs > 0 else "–"


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def label(name: str, docs: int) -> str:
    return f"real ({docs})" if name == "real" else f"{docs:,}"


def report(rows: list[dict[str, Any]], meta: dict[str, str]) -> str:
    out = [f"# Scale benchmark ({meta['date']})", "",
           f"Machine: {meta['machine']}. Load average at start/end: {meta['load']}. "
           f"Python {meta['python']}, Whoosh-Reloaded {meta['whoosh']}, SQLite "
           f"{meta['sqlite']}. Commit {meta['commit']}. Seed {meta['seed']}. "
           f"Whoosh builds use {meta['procs']} processes from {PROCS_FROM:,} entries up.", ""]

    out += ["## Index build", "",
            "| entries | Whoosh build | FTS5 build | ratio | Whoosh peak RSS | FTS5 peak RSS "
            "| Whoosh size | FTS5 size | ratio |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        w, f = r["whoosh"], r["fts5"]
        out.append(f"| {label(r['name'], w['docs'])} | {w['seconds']:.1f} s "
                   f"({w['procs']} proc) | {f['seconds']:.1f} s | "
                   f"{ratio(w['seconds'], f['seconds'])} | {w['peak_mb']:.0f} MB | "
                   f"{f['peak_mb']:.0f} MB | {mb(w['bytes'])} | {mb(f['bytes'])} | "
                   f"{ratio(w['bytes'], f['bytes'])} |")

    out += ["", "## Warm queries (one process, each query measured once after a warm-up)",
            "", "Whoosh: `SearchEngine.search` (typo correction, synonyms, escalation, "
            "snippets). FTS5: `MATCH` of the content words OR-ed, bm25 with the same field "
            "weights, a snippet and a count — no synonyms, no typo correction.", "",
            "| entries | queries | Whoosh p50 | Whoosh p95 | FTS5 p50 | FTS5 p95 | p50 ratio "
            "| p95 ratio | Whoosh max | repeated p50 | corrected / warning-sign queries "
            "| open | serving RSS |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        w, f = r["warm_whoosh"], r["warm_fts5"]
        feats = w["features"]
        out.append(
            f"| {label(r['name'], r['whoosh']['docs'])} | {w['queries']} | "
            f"{w['first']['p50']:.1f} ms | {w['first']['p95']:.1f} ms | "
            f"{f['first']['p50']:.2f} ms | {f['first']['p95']:.2f} ms | "
            f"{ratio(w['first']['p50'], f['first']['p50'])} | "
            f"{ratio(w['first']['p95'], f['first']['p95'])} | {w['first']['max']:.0f} ms | "
            f"{w['repeat']['p50']:.1f} ms | {feats['corrected']} / {feats['warning_signs']} | "
            f"{w['open_ms']:.0f} ms | {w['rss_mb']:.0f} MB |")

    out += ["", "## Whole CLI search in a new process (start, open, search, print)", "",
            "| entries | runs | `python -c pass` | `prolo-kb search` p50 | p95 | bare Whoosh "
            "p50 | bare SQLite p50 | CLI / bare Whoosh | CLI / bare SQLite |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p = r["processes"]
        cli, bare, lite = p["prolo-kb search"], p["bare whoosh"], p["bare sqlite"]
        out.append(f"| {label(r['name'], r['whoosh']['docs'])} | {r['runs']} | "
                   f"{p['python -c pass']['p50']:.0f} ms | {cli['p50']:.0f} ms | "
                   f"{cli['p95']:.0f} ms | {bare['p50']:.0f} ms | {lite['p50']:.0f} ms | "
                   f"{ratio(cli['p50'], bare['p50'], 2)} | {ratio(cli['p50'], lite['p50'])} |")

    sized = [r for r in rows if r["name"] != "real"]
    if len(sized) > 1:
        out += ["", "## Growth with size", "",
                "| from → to | entries x | Whoosh p50 x | Whoosh p95 x | FTS5 p50 x "
                "| Whoosh build x |", "|---|---|---|---|---|---|"]
        for a, b in pairwise(sized):
            grow = b["whoosh"]["docs"] / a["whoosh"]["docs"]
            wa, wb = a["warm_whoosh"]["first"], b["warm_whoosh"]["first"]
            fa, fb = a["warm_fts5"]["first"], b["warm_fts5"]["first"]
            out.append(f"| {a['whoosh']['docs']:,} → {b['whoosh']['docs']:,} | {grow:.0f} | "
                       f"{ratio(wb['p50'], wa['p50'])} | {ratio(wb['p95'], wa['p95'])} | "
                       f"{ratio(fb['p50'], fa['p50'])} | "
                       f"{ratio(b['whoosh']['seconds'], a['whoosh']['seconds'])} |")
    return "\n".join(out) + "\n"


def meta(args: argparse.Namespace) -> dict[str, str]:
    import whoosh

    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit = "unknown"
    cpu = platform.processor() or platform.machine()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} CPUs ({cpu}), {platform.system()}",
        "load": "",
        "python": platform.python_version(),
        "whoosh": whoosh.versionstring(),
        "sqlite": sqlite3.sqlite_version,
        "commit": commit or "unknown",
        "seed": str(args.seed),
        "procs": str(args.procs),
    }


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_child"]:
        return child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="real,1000,10000,100000",
                        help="comma-separated: real and entry counts")
    parser.add_argument("--queries", type=int, default=200, help="measured queries a size")
    parser.add_argument("--runs", type=int, default=30, help="CLI processes a size")
    parser.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1),
                        help=f"build processes from {PROCS_FROM:,} entries up")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--real-index", type=Path, default=ROOT / "build" / "index")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.md")
    args = parser.parse_args(argv)
    try:
        open_index(args.real_index)
    except KBError as exc:
        print(f"scale.py: {exc}", file=sys.stderr)
        return 2
    info = meta(args)
    start_load = load()
    rows = []
    for name in args.sizes.split(","):
        name = name.strip()
        work = args.workdir / name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        index, db_path = work / "index", work / "fts5.sqlite"
        count = corpus(name, args.real_index, args.seed).count
        procs = args.procs if count >= PROCS_FROM else 1
        print(f"[{name}] building ({count:,} entries)", file=sys.stderr, flush=True)
        row: dict[str, Any] = {"name": name}
        row["whoosh"] = in_child("whoosh", name, index, args, procs=procs)
        row["fts5"] = in_child("fts5", name, db_path, args)
        print(f"[{name}] warm queries", file=sys.stderr, flush=True)
        row["warm_whoosh"] = in_child("warm-whoosh", name, index, args)
        row["warm_fts5"] = in_child("warm-fts5", name, db_path, args)
        print(f"[{name}] whole processes", file=sys.stderr, flush=True)
        _warmup, measured = queries_for(name, args.seed, args.queries)
        picked = [q for q in measured if fts_match(q)][: args.runs]
        row["processes"] = processes(index, db_path, picked)
        row["runs"] = len(picked)
        rows.append(row)
        (args.workdir / "results.json").write_text(json.dumps(rows, indent=1),
                                                   encoding="utf-8")
    info["load"] = f"{start_load} / {load()}"
    text = report(rows, info)
    print(text)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
