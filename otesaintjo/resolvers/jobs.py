"""The outbox's dead letters for staff: list them, replay one (audited by the service)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.resolvers.common import run_service
from otesaintjo.schema import jobs as types
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.pagination import After, First, connection
from otesaintjo.schema.permissions import IsStaff
from otesaintjo.services import jobs


@strawberry.type
class JobQueries:
    @strawberry.field(
        permission_classes=[IsStaff],
        description="Les tâches abandonnées après le nombre maximal de tentatives (lettres"
        " mortes), récentes d'abord (personnel).",
    )
    async def failed_jobs(
        self, info: Info, first: First = 20, after: After = None
    ) -> types.OutboxJobConnection:
        factory = info.context.session_factory
        return await connection(
            types.OutboxJobConnection,
            lambda limit: jobs.failed_jobs_page(factory, limit=limit, after=after),
            first,
            lambda row: types.OutboxJobType.from_row(row[0]),
        )


@strawberry.type
class JobMutations:
    @strawberry.mutation(
        permission_classes=[IsStaff],
        description="Relancer une tâche abandonnée (personnel) : due tout de suite, ses"
        " tentatives remises à zéro ; tracé dans le journal du personnel.",
    )
    async def replay_job(
        self,
        info: Info,
        input: Annotated[
            types.ReplayJobInput, strawberry.argument(description="La tâche à relancer.")
        ],
    ) -> types.ReplayJobPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Job:
            job_id = decode_id(input.job_id, "OutboxJob", ["jobId"])
            return await jobs.replay(session, ctx.user, job_id, ctx.now)

        row, errors = await run_service(info, work)
        return types.ReplayJobPayload(
            job=types.OutboxJobType.from_row(row) if row else None, user_errors=errors
        )
