"""CPU spent on requests the API must refuse (issue 11): median process CPU per request, the
client being in the same process (httpx over ASGI; its share is the same before and after).

    .venv/bin/python bench/refusals.py [--rounds 20]

Documents: one field repeated 1,000 times under a new operation name each time (defeats the
validation cache), the same as 260 aliased fields, and a depth-10 query within every limit.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from otesaintjo.app import create_app
from otesaintjo.settings import Settings


def documents(round_: int) -> dict[str, str]:
    repeated = " ".join(["supportEmail"] * 1000)
    aliased = " ".join(f"f{i}: platformInfo {{ supportEmail }}" for i in range(260))
    deep = (
        "{ shops(first: 100) { edges { node { products(first: 100) { edges { node { shop {"
        " products(first: 100) { edges { node { id name } } } } } } } } } } }"
    )
    return {
        "1,000 repeated fields": f"query Q{round_} {{ platformInfo {{ {repeated} }} }}",
        "260 aliased fields": f"query A{round_} {{ {aliased} }}",
        "100³ nodes, depth 10": deep,
    }


async def main(rounds: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="otesaintjo-bench-"))
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        jobs_enabled=False,
        response_cache=False,
        media_dir=str(directory / "media"),
        cost_budget=10**9,
        cost_refill_per_second=10**9,
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            cpu: dict[str, list[float]] = {}
            codes: dict[str, set[str]] = {}
            for round_ in range(rounds):
                for name, query in documents(round_).items():
                    started = time.process_time()
                    body = (await http.post("/graphql", json={"query": query})).json()
                    cpu.setdefault(name, []).append((time.process_time() - started) * 1000)
                    codes.setdefault(name, set()).update(
                        e.get("extensions", {}).get("code", "-") for e in body.get("errors", [])
                    )
    for name, values in cpu.items():
        print(
            f"{name:<24} median {statistics.median(values):7.2f} ms CPU,"
            f" max {max(values):7.2f} ms, answer {sorted(codes[name])}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
