"""Emails are written in the transaction and survive an SMTP outage."""

from __future__ import annotations

from sqlalchemy import select

from otesaintjo.models import Job, User
from tests.doubles.smtp import wait_until
from tests.support.graphql import PASSWORD, REGISTER


async def test_email_waits_in_the_outbox_while_smtp_is_down(
    client, mailbox, session_factory
) -> None:
    mailbox.stop()
    await client.register("lea@example.re")
    async with session_factory() as session:
        job = (await session.execute(select(Job))).scalar_one()

    async def reload() -> Job:
        async with session_factory() as session:
            return await session.get(Job, job.id)

    # The worker fails (connection refused) and schedules a retry with backoff. (Its claim,
    # which counts the attempt, commits before the attempt: wait for the failure itself.)
    await wait_until(lambda: _failed(reload))
    failed = await reload()
    assert failed.done_at is None and "SMTPConnectError" in failed.last_error
    assert failed.run_at > failed.created_at
    mailbox.start()
    [message] = await mailbox.wait_for_subject("Bienvenue sur Otesaintjo", timeout=15)
    assert message["To"] == "lea@example.re"
    await wait_until(lambda: _done(reload))


async def _failed(reload) -> bool:
    job = await reload()
    return job.attempts >= 1 and job.last_error is not None


async def _done(reload) -> bool:
    return (await reload()).done_at is not None


async def test_a_refused_change_writes_no_email(client, mailbox, session_factory) -> None:
    await client.register("lea@example.re")
    await mailbox.wait_for(1)
    body = await client(
        REGISTER,
        {
            "input": {
                "email": "lea@example.re",
                "password": PASSWORD,
                "firstName": "L",
                "lastName": "T",
            }
        },
    )
    assert body["data"]["register"]["userErrors"][0]["code"] == "EMAIL_TAKEN"
    async with session_factory() as session:
        assert len((await session.execute(select(Job))).scalars().all()) == 1
        assert len((await session.execute(select(User))).scalars().all()) == 1
