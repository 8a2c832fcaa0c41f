"""The command line: schema export and the staff role (never granted through the API)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from otesaintjo import cli
from otesaintjo.cli import app
from otesaintjo.models import User

ROOT = Path(__file__).resolve().parents[1]


def test_export_schema_writes_the_checked_in_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    result = CliRunner().invoke(app, ["export-schema", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == (ROOT / "schema.graphql").read_text(
        encoding="utf-8"
    )


async def test_grant_staff(client, session_factory, monkeypatch, database_url) -> None:
    await client.register("lea@example.re")
    monkeypatch.setenv("OTESAINTJO_DATABASE_URL", database_url)
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["grant-staff", "Lea@example.re"])
    assert result.exit_code == 0, result.output
    async with session_factory() as session:
        assert (await session.execute(select(User.is_staff))).scalar_one() is True
    missing = await asyncio.to_thread(runner.invoke, app, ["grant-staff", "personne@example.re"])
    assert missing.exit_code == 1


def test_serve_compresses_no_websocket_by_default(monkeypatch, tmp_path: Path) -> None:
    """An idle socket with permessage-deflate keeps ~41 KiB of zlib contexts for pushes of a few
    hundred bytes (bench/README.md, "Live order push"): off unless asked."""
    given: list[dict] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *_a, **options: given.append(options))
    monkeypatch.setattr(cli, "_start_offline_payments", lambda *_a: None)
    monkeypatch.setattr(cli.signal, "signal", lambda *_a: None)  # not this test process's
    monkeypatch.setenv("OTESAINTJO_DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1/none")
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    monkeypatch.setenv("OTESAINTJO_WS_PER_MESSAGE_DEFLATE", "true")
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    monkeypatch.setenv("OTESAINTJO_WS_PING_SECONDS", "0")
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    assert [o["ws_per_message_deflate"] for o in given] == [False, True, True]
    # Keepalive pings every 20 s by default (uvicorn's), none with 0.
    assert [o["ws_ping_interval"] for o in given] == [20.0, 20.0, None]
