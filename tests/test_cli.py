"""The command line: schema export and the staff role (never granted through the API)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

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
