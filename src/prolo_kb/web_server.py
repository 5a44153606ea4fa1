"""Running the web app: uvicorn on a socket bound here (so a taken port is one clear
line), one process or several (``serve --workers N``), and its log configuration."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from .errors import KBError
from .web import create_app
from .web_guard import Guard

ENV_CONFIG = "PROLO_KB_WEB_CONFIG"  # how `serve --workers N` hands options to workers


def _app_from_environ() -> Guard:
    """The app of a ``serve --workers N`` worker process, configured by the parent."""
    config = json.loads(os.environ[ENV_CONFIG])
    return create_app(config["index"], config["site"], log_queries=config["log_queries"],
                      usage_db=config.get("usage_db"))


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """One line per request (without its query) and uvicorn's warnings, on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(message)s",
                                 "datefmt": "%Y-%m-%d %H:%M:%S"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "prolo_kb.web": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def _display_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise KBError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        hint = " (is another server running there? try --port)" if exc.errno == 98 else ""
        raise KBError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None
    sock.set_inheritable(True)
    return sock


def serve(*, index: Path | str, site: Path | str, host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1, log_queries: bool = False,
          usage_db: Path | str | None = None) -> int:
    """Serve the site and its search with uvicorn until interrupted; 0 on a clean stop.

    Raises :class:`KBError` (one line, for the CLI) when it cannot start.
    """
    import uvicorn

    index, site = Path(index), Path(site)
    if not (site / "index.html").is_file():
        raise KBError(f"no built site at {site}; run `make build` first")
    if not 0 <= port <= 65535:
        raise KBError(f"--port must be between 0 and 65535, not {port}")
    if workers < 1:
        raise KBError(f"--workers must be at least 1, not {workers}")
    if usage_db and not Path(usage_db).resolve().parent.is_dir():
        raise KBError(f"cannot record usage in {usage_db}: its folder does not exist")
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    options: dict[str, Any] = {
        "host": host, "port": bound_port, "workers": workers, "log_config": logging_config(),
        "access_log": False, "server_header": False, "proxy_headers": False, "ws": "none",
        "lifespan": "on" if usage_db else "off",  # on: queued usage is written at exit
        "timeout_graceful_shutdown": 5, "timeout_keep_alive": 5,
        "limit_concurrency": 1000, "h11_max_incomplete_event_size": 16 * 1024,
    }
    if workers > 1:
        os.environ[ENV_CONFIG] = json.dumps(
            {"index": str(index), "site": str(site), "log_queries": log_queries,
             "usage_db": str(usage_db) if usage_db else None})
        config = uvicorn.Config("prolo_kb.web_server:_app_from_environ", factory=True, **options)
    else:
        config = uvicorn.Config(create_app(index, site, log_queries=log_queries,
                                           usage_db=usage_db), **options)
    url = _display_url(host, bound_port)
    print(f"prolo-kb: serving {site} with its search at {url}\n"
          f"  open {url} (search: {url}search.html); press Ctrl+C to stop", flush=True)
    if usage_db:
        print(f"  recording usage in {usage_db} (queries without patient details; "
              "see `prolo-kb gaps`)", file=sys.stderr, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"  note: listening on {host}, so other machines can reach it; queries may "
              "hold patient details", file=sys.stderr, flush=True)
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


__all__ = ["serve"]
