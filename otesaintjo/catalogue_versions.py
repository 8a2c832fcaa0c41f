"""The catalogue versions the response cache is keyed on, for writers that bypass the triggers.

Database triggers keep the versions in step with every ordinary write (migration 0012). A bulk
load that turns the triggers off (``COPY`` of the island's catalogue) calls
``mark_everything_changed`` once at the end instead, in its own transaction.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from otesaintjo.models import CatalogueListingVersion


async def mark_everything_changed(connection: AsyncConnection) -> None:
    """Every cached catalogue answer is stale from this transaction's commit on: each one
    checks the sum of the listing shards."""
    await connection.execute(
        update(CatalogueListingVersion).values(version=CatalogueListingVersion.version + 1)
    )
