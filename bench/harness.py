"""What the benchmark scripts share: child processes, databases, and the outside services a
production server needs (Stripe, SMTP), run on loopback.

- ``server()`` starts a server in its own session, waits for its ``/healthz`` and stops the
  whole process group however the block ends;
- ``payment_doubles()`` starts localstripe and the Connect double (the app's own
  ``OfflineStripe``, as ``otesaintjo serve`` does in development) for a production server;
- ``MailSink`` is an SMTP server (aiosmtpd, in a thread of the calling process) that counts
  and drops every message;
- ``production_env()`` is the environment of a server in production mode on those doubles.

Nothing here listens on anything but 127.0.0.1 (localstripe excepted: it has no host option
and holds fake data only).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin (run with .venv/bin/python)
HOST = "127.0.0.1"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
SECRET_KEY = "bench-only-secret-not-used-for-anything-real-0123456789"
FRONTEND_URL = "http://127.0.0.1:5173"  # never called: only written in emails
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# Every request of a benchmark comes from 127.0.0.1: the per-address limits meant for one
# visitor would refuse most of them. The budgets are raised, not removed: every request still
# pays (the same CPU as deployed), the bucket just never runs dry.
UNLIMITED = str(10**12)


class BenchError(Exception):
    """A step failed: the message says which; the run stops with a non-zero status."""


# --- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """``command`` bound to one CPU with taskset when asked and possible (taskset execs: the
    process keeps its pid)."""
    taskset = shutil.which("taskset")
    if cpu is None or taskset is None:
        return command
    return [taskset, "-c", str(cpu), *command]


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT the child's process group (its own session), then SIGTERM, then SIGKILL."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    # The group may outlive its leader (localstripe, the Connect double): make sure it is gone.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def http_get(url: str, timeout: float = 5) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return int(response.status)


def get_json(url: str, timeout: float = 10) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return json.loads(response.read())


@contextlib.contextmanager
def server(
    name: str, command: list[str], env: dict[str, str], port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait for its /healthz, yield it, always stop it."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command,
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise BenchError(f"{name} exited with {process.returncode}; see {log}")
            with contextlib.suppress(OSError):
                if http_get(f"http://{HOST}:{port}/healthz") == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchError(f"{name} not healthy after {START_TIMEOUT:.0f} s; see {log}")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process (all its threads), in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def database_backends(database: str) -> dict[int, int]:
    """pid -> utime + stime (clock ticks) of the PostgreSQL backends connected to ``database``
    (PostgreSQL writes the database's name into each backend's command line)."""
    found = {}
    marker = f" {database} ".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                found[int(entry.name)] = cpu_ticks(int(entry.name))
    return found


def backends_ticks(before: dict[int, int], after: dict[int, int]) -> int:
    """CPU used between two ``database_backends`` readings by the backends alive at the end
    (one that ended meanwhile takes its time with it: not counted)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


# --- databases -------------------------------------------------------------------------------


def database_url(name: str) -> str:
    """The server's (SQLAlchemy) URL of a database of the bench's PostgreSQL."""
    return f"postgresql+asyncpg://{PG_SERVER.removeprefix('postgresql://')}/{name}"


def pg_database(action: str, name: str) -> None:
    """Create (dropping any leftover) or drop a database with the CI's own script."""
    result = subprocess.run(  # noqa: S603 (our own fixed command line)
        [sys.executable, str(ROOT / ".ci" / "pg_database.py"), action, name, PG_SERVER],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"pg_database.py {action} {name} failed: {result.stderr.strip()}")


# --- the outside services of production ------------------------------------------------------


class MailSink:
    """An SMTP server on loopback that accepts and counts every message (aiosmtpd)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.messages = 0

        sink = self

        class Counting:
            async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
                sink.messages += 1
                return "250 OK"

        self._controller = Controller(Counting(), hostname=HOST, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def __enter__(self) -> MailSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()


@contextlib.contextmanager
def payment_doubles() -> Iterator[Any]:
    """localstripe and the Connect double (``OfflineStripe``: the app's own launcher), stopped
    at the end; they also die with this process (PR_SET_PDEATHSIG)."""
    from otesaintjo.payments.offline.processes import OfflineStripe

    try:
        offline = OfflineStripe.start()
    except RuntimeError as exc:
        raise BenchError(f"the offline payment servers did not start: {exc}") from exc
    try:
        yield offline
    finally:
        offline.stop()


def raised_throttles() -> str:
    """The server's per-address throttles (JSON), with registration raised: a benchmark
    registers its accounts from one address."""
    from otesaintjo.settings import Settings

    throttles = dict(Settings.model_fields["throttles_per_hour"].default)
    throttles["register"] = {"ip": 1_000_000}
    return json.dumps(throttles)


def clean_env() -> dict[str, str]:
    """Our environment minus any OTESAINTJO_* setting (a developer's shell must not leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}


def production_env(
    database: str, workdir: Path, public_url: str, stripe: Any, mail: MailSink
) -> dict[str, str]:
    """A server in production mode (no GraphiQL, no introspection, masked errors) whose
    Stripe is the offline doubles, SMTP the sink, with SMS disabled (no gateway)."""
    env = clean_env()
    env.update(stripe.environment())
    env.update(
        OTESAINTJO_ENV="production",
        OTESAINTJO_DATABASE_URL=database,
        OTESAINTJO_MEDIA_DIR=str(workdir / "media"),
        OTESAINTJO_PUBLIC_URL=public_url,
        OTESAINTJO_SECRET_KEY=SECRET_KEY,
        OTESAINTJO_SMTP_URL=mail.url,
        OTESAINTJO_SMS_DISABLED="true",
        OTESAINTJO_FRONTEND_URL=FRONTEND_URL,
        OTESAINTJO_COST_BUDGET=UNLIMITED,
        OTESAINTJO_COST_REFILL_PER_SECOND=UNLIMITED,
        OTESAINTJO_THROTTLES_PER_HOUR=raised_throttles(),
    )
    return env
