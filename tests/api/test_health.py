"""GET /healthz answers when the database answers."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from otesaintjo.app import create_app


async def test_healthz_ok(client) -> None:
    response = await client.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_503_when_the_database_is_unreachable(settings) -> None:
    broken = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "jobs_enabled": False,
        }
    )
    application = create_app(broken)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}
