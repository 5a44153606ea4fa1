"""The ``prolo-kb`` command: a thin edge over the search core.

Exit codes: 0 results found (or the command did its job), 1 no results (``search``) or
something blocks publication (``check``), 2 a usage or index error, printed as one line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .errors import KBError
from .search_text import format_explain, format_result, use_color

if TYPE_CHECKING:
    from .search import SearchEngine

INDEX_ENV = "PROLO_KB_INDEX"
USAGE_ENV = "PROLO_KB_USAGE_DB"  # prolo_kb.usage.ENV_USAGE_DB (not imported: --help stays fast)


class UsageError(KBError):
    """Bad command-line input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `prolo-kb {self.prog.split()[-1]} --help`)"
                         if " " in self.prog else f"{message} (see `prolo-kb --help`)")


def default_index() -> Path:
    """``$PROLO_KB_INDEX``, else ``build/index`` of the repository we are in."""
    env = os.environ.get(INDEX_ENV)
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "docs" / "conf.py").is_file():
            return folder / "build" / "index"
    checkout = Path(__file__).resolve().parents[2]  # an editable install's repository
    if (checkout / "docs" / "conf.py").is_file():
        return checkout / "build" / "index"
    return here / "build" / "index"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="prolo-kb", description="Prolotherapy knowledge base: search, "
                     "serve and check the clinic's approved answers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    search = sub.add_parser("search", help="search the FAQ and the protocol pages",
                            description="Search in the words the patient used.")
    search.add_argument("query", nargs="*", help="the question, in any words")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument("--limit", type=int, default=10, help="hits to show (default 10)")
    search.add_argument("--topic", help="only this topic (e.g. side-effects)")
    search.add_argument("--audience", help="only entries for patient, staff or physician")
    search.add_argument("--batch", metavar="FILE",
                        help="one query a line ('-' for standard input); JSON Lines out, "
                        "one line per input line")
    search.add_argument("--explain", action="store_true",
                        help="show why each hit ranked where it did, and what the query "
                        "understanding did (corrections, shorthand, synonyms, signs)")
    _index_arg(search)

    export = sub.add_parser("export", help="every indexed document as JSON Lines")
    _index_arg(export)

    serve = sub.add_parser("serve", help="serve the site and its search on this machine")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--site", type=Path, default=None,
                       help="built site (default: build/html beside the index)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--log-queries", action="store_true",
                       help="log search queries (off by default: they may hold patient details)")
    serve.add_argument("--usage-db", type=Path, default=None, metavar="FILE",
                       help="record searches and answer events in this SQLite file, patient "
                            f"details removed (default: ${USAGE_ENV}; off when unset)")
    _index_arg(serve)

    check = sub.add_parser("check", help="content health report for the content lead")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--soon-days", type=int, default=90,
                       help="report reviews due within this many days (default 90)")
    check.add_argument("--usage-db", type=Path, action="append", default=None,
                       metavar="FILE", help="also say what staff could not find (a usage "
                       "file of `serve --usage-db`; repeat for several)")
    _index_arg(check)

    gaps = sub.add_parser("gaps", help="what staff searched for and could not find",
                          description="The content lead's report from the usage files "
                          "that `prolo-kb serve --usage-db FILE` records (several files, "
                          "one per server, are merged).")
    gaps.add_argument("--usage-db", type=Path, nargs="+", action="extend", default=None,
                      metavar="FILE", help=f"usage file(s) (default: ${USAGE_ENV})")
    gaps.add_argument("--days", type=int, default=30, help="the last N days (default 30)")
    gaps.add_argument("--limit", type=int, default=20, help="rows per list (default 20)")
    gaps.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _index_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, default=None,
                        help=f"index directory (default: ${INDEX_ENV} or build/index)")


def _engine(path: Path | None) -> SearchEngine:
    from .search import SearchEngine  # imported here: `--help` stays instant

    return SearchEngine(path or default_index())


def _queries(source: str) -> Iterator[str]:
    if source == "-":
        try:
            yield from (line.rstrip("\n") for line in sys.stdin)
        except UnicodeDecodeError:
            raise UsageError("cannot read standard input: it is not UTF-8 text") from None
        return
    try:
        with open(source, encoding="utf-8") as handle:
            yield from (line.rstrip("\n") for line in handle)
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {source}: it is not UTF-8 text") from None


def cmd_search(args: argparse.Namespace) -> int:
    from .errors import QueryError

    engine = _engine(args.index)
    options = {"limit": args.limit, "topic": args.topic, "audience": args.audience}
    if args.batch:
        if args.query:
            raise UsageError("give queries either as arguments or with --batch, not both")
        failed = False
        for line in _queries(args.batch):  # one output line for each input line
            try:
                record = engine.search(line, **options).to_json()
            except QueryError as exc:
                record = {"query": line, "error": str(exc)}
                failed = True
            print(json.dumps(record, ensure_ascii=False), flush=False)
        return 2 if failed else 0
    text = " ".join(args.query)
    if not text.strip():
        raise UsageError("nothing to search for: give a question, e.g. "
                         "prolo-kb search how often are the injections")
    result = engine.search(text, explain=args.explain, **options)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    else:
        width = shutil.get_terminal_size((100, 24)).columns
        print(format_result(result, color=use_color(sys.stdout), width=width))
        if args.explain:
            print(format_explain(result))
    return 0 if result.hits else 1


def cmd_export(args: argparse.Namespace) -> int:
    from .store import iter_documents, open_index

    opened = open_index(args.index or default_index())
    for doc in iter_documents(opened):
        print(json.dumps(doc.to_dict(), ensure_ascii=False))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .web_server import serve

    index = args.index or default_index()
    site = args.site or index.parent / "html"
    return serve(index=index, site=site, host=args.host, port=args.port,
                 workers=args.workers, log_queries=args.log_queries,
                 usage_db=args.usage_db or os.environ.get(USAGE_ENV) or None)


def cmd_check(args: argparse.Namespace) -> int:
    from .health import run_check

    return run_check(args.index or default_index(), as_json=args.json,
                     soon_days=args.soon_days, usage_dbs=args.usage_db or ())


def cmd_gaps(args: argparse.Namespace) -> int:
    from .gaps import run_gaps

    paths = args.usage_db or ([Path(os.environ[USAGE_ENV])] if os.environ.get(USAGE_ENV)
                              else [])
    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    return run_gaps(paths, days=args.days, as_json=args.json, limit=args.limit)


COMMANDS = {"search": cmd_search, "export": cmd_export, "serve": cmd_serve, "check": cmd_check,
            "gaps": cmd_gaps}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except KBError as exc:
        print(f"prolo-kb: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `prolo-kb export | head`: the reader went away; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("prolo-kb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
