"""tracemalloc in ``otesaintjo serve`` processes, for ``live_orders.py --memory-snapshots``.

With this directory first on ``PYTHONPATH`` and ``OTESAINTJO_BENCH_SNAPSHOTS=<dir>`` set, every
API process (a command line naming ``serve``, or uvicorn's spawned workers) starts tracing
its allocations (8 frames) at the first SIGUSR1 and writes a snapshot, ``<pid>-<n>.snap``, at
each one: the second holds what was allocated since the first and is still alive. Any other
Python process is left alone. Tracing slows the server: such a run is for memory only."""

import os
from pathlib import Path

_DIR = os.environ.get("OTESAINTJO_BENCH_SNAPSHOTS")
_ARGV = Path("/proc/self/cmdline").read_bytes().split(b"\0") if _DIR else []
if _DIR and (b"serve" in _ARGV or any(b"spawn_main" in a for a in _ARGV)):
    import itertools
    import signal
    import tracemalloc

    _count = itertools.count()

    def _dump(_signum: int, _frame: object) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(8)
        path = Path(_DIR) / f"{os.getpid()}-{next(_count)}.snap"
        tracemalloc.take_snapshot().dump(str(path))

    signal.signal(signal.SIGUSR1, _dump)
