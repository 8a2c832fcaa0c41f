"""The API as a real uvicorn process for tests (several share one database and a bus)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from otesaintjo.payments.offline.processes import free_port
from otesaintjo.ws_keepalive import UVICORN_WS


@asynccontextmanager
async def api_process(env: dict[str, str], tmp_path: Path) -> AsyncIterator[str]:
    """``uvicorn otesaintjo.app:create_app`` in its own process; yields ``host:port``."""
    port = free_port()
    log = (tmp_path / f"uvicorn-{port}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "otesaintjo.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws",
        UVICORN_WS,
        "--log-level",
        "warning",
        env={**os.environ, **env},
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                assert process.returncode is None, (tmp_path / f"uvicorn-{port}.log").read_text()
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
        log.close()
