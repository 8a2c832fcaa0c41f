"""Create or drop a throw-away PostgreSQL database for one CI run (asyncpg, no psql needed)."""

from __future__ import annotations

import asyncio
import sys

import asyncpg


async def main(action: str, name: str, server: str) -> None:
    connection = await asyncpg.connect(f"{server}/postgres", timeout=10)
    try:
        if action == "create":
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await connection.execute(f'CREATE DATABASE "{name}"')
        else:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
