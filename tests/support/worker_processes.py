"""``otesaintjo worker`` as a real process for tests: started in a session of its own, ready
once it says so, stopped with SIGTERM (or killed), and nothing of its session left behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.settings import TEST_SECRET

OTESAINTJO = Path(sys.executable).with_name("otesaintjo")
READY = "Worker prêt"
REDIS_URL = os.environ.get("OTESAINTJO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def worker_env(database_url: str, smtp_url: str, tmp_path: Path, **settings: object) -> dict:
    """The environment of a worker process: this run's database and SMTP server, nothing from
    the caller's OTESAINTJO_* variables; ``settings`` as OTESAINTJO_<NAME>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}
    env |= {
        "OTESAINTJO_DATABASE_URL": database_url,
        "OTESAINTJO_SECRET_KEY": TEST_SECRET,
        "OTESAINTJO_SMTP_URL": smtp_url,
        "OTESAINTJO_MEDIA_DIR": str(tmp_path / "media"),
        "OTESAINTJO_REDIS_URL": REDIS_URL,
        "OTESAINTJO_JOBS": "external",
        "OTESAINTJO_EVENT_BUS": "postgres",
    }
    env |= {f"OTESAINTJO_{name.upper()}": str(value) for name, value in settings.items()}
    return env


def session_members(session_id: int) -> set[int]:
    """Every live process of a session (children re-parented to PID 1 keep their session)."""
    members = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session_id:
            members.add(int(entry.name))
    return members


@dataclass
class WorkerProcess:
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def kill(self) -> None:
        """SIGKILL: no handler runs, no outcome is written, connections just drop."""
        self.process.kill()
        await self.process.wait()


@asynccontextmanager
async def worker_process(
    env: dict, tmp_path: Path, name: str = "worker", ready_within: float = 60
) -> AsyncIterator[WorkerProcess]:
    log = tmp_path / f"{name}.log"
    out = log.open("wb")
    process = await asyncio.create_subprocess_exec(
        str(OTESAINTJO),
        "worker",
        env=env,
        cwd=tmp_path,
        stdout=out,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    worker = WorkerProcess(process, log)
    try:
        deadline = time.monotonic() + ready_within
        while READY not in worker.output():
            assert process.returncode is None, worker.output()
            assert time.monotonic() < deadline, f"{name} not ready:\n{worker.output()}"
            await asyncio.sleep(0.05)
        yield worker
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 40)
            except TimeoutError:
                process.kill()
                await process.wait()
        for pid in session_members(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        out.close()
