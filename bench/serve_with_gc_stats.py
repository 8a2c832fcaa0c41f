"""Serve the API (or the floor) as ``otesaintjo serve`` does, plus what the benchmark reads.

    .venv/bin/python bench/serve_with_gc_stats.py --host 127.0.0.1 --port 8000 [--floor]

Nothing in the app changes: this process installs a ``gc.callbacks`` hook that times every
collection of the cyclic garbage collector, builds the app with the same factory
(``otesaintjo.app:create_app``, or ``floor:create_app`` with ``--floor``) and runs it with
uvicorn exactly as ``otesaintjo.cli.serve`` does with one worker (same options, access log at
``info``, SIGTERM turned into a clean exit). Routes are added, for the benchmark only:

``GET /_bench/stats`` → ``{"gc": {...}, "cache": {...} | null}``

- ``gc.collections`` / ``gc.collected`` / ``gc.pause_s``: per generation (0, 1, 2), since start:
  collections run, objects they freed (cycles), seconds spent in them (wall clock);
  ``gc.pause_cpu_s``: the same in CPU time of the collecting thread (``time.thread_time``:
  what the collection itself cost, whatever else ran on the CPU meanwhile);
- ``gc.longest_pause_s`` / ``gc.longest_pause_cpu_s``: the longest single collection since the
  previous read, wall clock / CPU, and ``gc.longest_by_generation_cpu_s`` (each read starts a
  new window: read once before a measurement, once after);
- ``cache``: the response cache's counters (``runtime.response_cache``: ``hits``, ``misses``,
  and ``uncacheable`` where it keeps one), null for the floor or with the cache off.

and, for our server only, ``POST /_bench/cache?on=0|1``, which turns the response cache off
(every request executed, as a page's first view) and back on.

Meant for production mode (the runner's environment): unlike ``serve``, it never migrates,
seeds, or starts the offline payment servers itself.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import time
from types import FrameType
from typing import Any

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

STATS_PATH = "/_bench/stats"
CACHE_SWITCH_PATH = "/_bench/cache"


class GcStats:
    """Counts and times the collections of each generation (a ``gc.callbacks`` hook)."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.collected = [0, 0, 0]
        self.pause_s = [0.0, 0.0, 0.0]
        self.pause_cpu_s = [0.0, 0.0, 0.0]
        self.longest_pause_s = 0.0
        self.longest_pause_cpu_s = 0.0
        self.longest_by_generation_cpu_s = [0.0, 0.0, 0.0]
        self._started = 0.0
        self._started_cpu = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        now, now_cpu = time.perf_counter(), time.thread_time()
        if phase == "start":
            self._started, self._started_cpu = now, now_cpu
            return
        generation = int(info["generation"])
        pause, pause_cpu = now - self._started, now_cpu - self._started_cpu
        self.collections[generation] += 1
        self.collected[generation] += int(info.get("collected", 0))
        self.pause_s[generation] += pause
        self.pause_cpu_s[generation] += pause_cpu
        self.longest_pause_s = max(self.longest_pause_s, pause)
        self.longest_pause_cpu_s = max(self.longest_pause_cpu_s, pause_cpu)
        longest = self.longest_by_generation_cpu_s
        longest[generation] = max(longest[generation], pause_cpu)

    def read(self) -> dict[str, Any]:
        """The counters, and the longest pause since the previous read (then reset)."""
        snapshot = {
            "collections": list(self.collections),
            "collected": list(self.collected),
            "pause_s": [round(p, 6) for p in self.pause_s],
            "pause_cpu_s": [round(p, 6) for p in self.pause_cpu_s],
            "longest_pause_s": round(self.longest_pause_s, 6),
            "longest_pause_cpu_s": round(self.longest_pause_cpu_s, 6),
            "longest_by_generation_cpu_s": [round(p, 6) for p in self.longest_by_generation_cpu_s],
        }
        self.longest_pause_s = self.longest_pause_cpu_s = 0.0
        self.longest_by_generation_cpu_s = [0.0, 0.0, 0.0]
        return snapshot


GC_STATS = GcStats()


def add_stats_route(app: Starlette, cache: Any) -> Starlette:
    async def stats(_request: Request) -> JSONResponse:
        counters = None
        if cache is not None:
            counters = {
                name: int(getattr(cache, name))
                for name in ("hits", "misses", "uncacheable")
                if hasattr(cache, name)
            }
        return JSONResponse({"gc": GC_STATS.read(), "cache": counters})

    app.router.routes.insert(0, Route(STATS_PATH, stats, methods=["GET"]))
    return app


def add_cache_switch(app: Starlette) -> Starlette:
    """``POST /_bench/cache?on=0|1``: our response cache off (every request a full execution,
    as every first view of a page) or back on, for the ``uncached`` variant."""
    runtime = app.state.runtime
    kept = runtime.response_cache

    async def switch(request: Request) -> JSONResponse:
        runtime.response_cache = kept if request.query_params.get("on") == "1" else None
        return JSONResponse({"cache": runtime.response_cache is not None})

    app.router.routes.insert(0, Route(CACHE_SWITCH_PATH, switch, methods=["POST"]))
    return app


def create_ours() -> Starlette:
    from otesaintjo.app import create_app

    app = create_app()
    cache = getattr(app.state.runtime, "response_cache", None)
    return add_cache_switch(add_stats_route(app, cache))


def create_floor() -> Starlette:
    from floor import create_app  # bench/ is this script's directory, first on sys.path

    return add_stats_route(create_app(), None)


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--floor", action="store_true", help="serve bench/floor.py instead")
    options = parser.parse_args()
    proxies: list[str] = []
    if not options.floor:
        from otesaintjo.settings import Settings

        try:  # what ``otesaintjo serve`` checks first, with the same messages
            proxies = Settings(workers=1).trusted_proxies
        except ValidationError as exc:
            reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            print(f"Configuration refusée : {reasons}", file=sys.stderr)
            return 2
    gc.callbacks.append(GC_STATS)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    uvicorn.run(
        create_floor if options.floor else create_ours,
        factory=True,
        host=options.host,
        port=options.port,
        workers=1,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        server_header=False,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
