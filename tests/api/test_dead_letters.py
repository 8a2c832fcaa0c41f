"""Dead letters: a job that failed ``jobs_max_attempts`` times stays with ``failedAt``; staff list
them (never what they carry: a reset email's link) and replay them; customers and merchants
are refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import select, update

from otesaintjo.app import create_app
from otesaintjo.models import Job, User
from otesaintjo.services.outbox import EMAIL_JOB
from otesaintjo.settings import Settings
from tests.doubles.smtp import wait_until
from tests.support.graphql import GraphQLClient, error_codes, pk_of
from tests.support.merchants import open_shop

FAILED = """
query($first: Int, $after: String) {
  failedJobs(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id kind attempts lastError createdAt runAt failedAt doneAt
                   details { name value } } }
  }
}"""
REPLAY = """
mutation($id: ID!) {
  replayJob(input: {jobId: $id}) {
    job { id kind attempts failedAt runAt lastError }
    userErrors { field code message }
  }
}"""
REQUEST_RESET = (
    "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { userErrors { code } } }"
)


@asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[GraphQLClient]:
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http)


async def failed_for_good(session_factory, count: int) -> bool:
    async with session_factory() as session:
        failed = (await session.execute(select(Job).where(Job.failed_at.is_not(None)))).all()
    return len(failed) >= count


async def test_staff_see_and_replay_dead_letters_others_are_refused(
    settings, mailbox, session_factory
) -> None:
    mailbox.stop()  # every email fails, and one attempt is all they get
    async with api(settings.model_copy(update={"jobs_max_attempts": 1})) as client:
        customer = (await client.register("lea@example.re"))["accessToken"]
        merchant = (await client.register("marchand@example.re"))["accessToken"]
        await open_shop(client, merchant)
        staff = (await client.register("staff@example.re"))["accessToken"]
        async with session_factory() as session, session.begin():
            await session.execute(
                update(User).where(User.email == "staff@example.re").values(is_staff=True)
            )
        await client(REQUEST_RESET, {"e": "lea@example.re"})
        # Three welcome emails and the reset email (its link is in the payload).
        await wait_until(lambda: failed_for_good(session_factory, 4), timeout=15)
        async with session_factory() as session:
            reset_email = (
                (
                    await session.execute(
                        select(Job)
                        .where(
                            Job.kind == EMAIL_JOB, Job.payload["to"].as_string() == "lea@example.re"
                        )
                        .order_by(Job.id.desc())
                    )
                )
                .scalars()
                .first()
            )
        assert reset_email is not None and "token=" in reset_email.payload["text"]

        # Refused to anyone but staff.
        for token, code in (
            (None, "UNAUTHENTICATED"),
            (customer, "FORBIDDEN"),
            (merchant, "FORBIDDEN"),
        ):
            listed = await client(FAILED, {}, token=token)
            assert error_codes(listed) == [code] and listed["data"] is None
            replayed = await client(REPLAY, {"id": "T3V0Ym94Sm9iOjE="}, token=token)
            assert error_codes(replayed) == [code] and replayed["data"] is None

        body = await client(FAILED, {"first": 2}, token=staff)
        page = body["data"]["failedJobs"]
        total = page["totalCount"]
        assert total >= 4 and page["pageInfo"]["hasNextPage"]
        rest = await client(FAILED, {"after": page["pageInfo"]["endCursor"]}, token=staff)
        nodes = [e["node"] for e in page["edges"] + rest["data"]["failedJobs"]["edges"]]
        assert len(nodes) == total
        by_pk = {pk_of(n["id"]): n for n in nodes}
        listed_reset = by_pk[reset_email.id]
        assert listed_reset["kind"] == EMAIL_JOB
        assert listed_reset["attempts"] == 1
        assert "SMTP" in listed_reset["lastError"]
        assert listed_reset["failedAt"] is not None and listed_reset["doneAt"] is None
        details = {d["name"]: d["value"] for d in listed_reset["details"]}
        assert details == {
            "to": "lea@example.re",
            "subject": reset_email.payload["subject"],
            "message_id": reset_email.payload["message_id"],
        }
        # Never the content: no link, no token, no body, whatever the job.
        answer = json.dumps(body) + json.dumps(rest)
        link = next(w for w in reset_email.payload["text"].split() if "token=" in w)
        assert link not in answer and "token=" not in answer
        assert reset_email.payload["text"][:40] not in answer

        # Staff replay it once SMTP is back: due now, attempts reset, sent with its Message-ID.
        mailbox.start()
        replayed = (await client(REPLAY, {"id": listed_reset["id"]}, token=staff))["data"]
        assert replayed["replayJob"]["userErrors"] == []
        job = replayed["replayJob"]["job"]
        assert (job["attempts"], job["failedAt"]) == (0, None)
        [sent] = await mailbox.wait_for(1, timeout=10)
        assert sent["To"] == "lea@example.re"
        assert sent["Message-ID"] == reset_email.payload["message_id"]

        async def done() -> bool:
            async with session_factory() as session:
                row = await session.get(Job, reset_email.id)
            return row is not None and row.done_at is not None and row.failed_at is None

        await wait_until(done, timeout=10)
        after = await client(FAILED, {}, token=staff)
        assert after["data"]["failedJobs"]["totalCount"] == total - 1

        # Only a dead letter can be replayed; a wrong id is the caller's error.
        again = (await client(REPLAY, {"id": listed_reset["id"]}, token=staff))["data"]
        assert again["replayJob"]["job"] is None
        assert [(e["field"], e["code"]) for e in again["replayJob"]["userErrors"]] == [
            (["jobId"], "INVALID_STATUS_TRANSITION")
        ]
        for wrong in ("T3V0Ym94Sm9iOjk5OTk5", "pas un id", listed_reset["id"].swapcase()):
            refused = (await client(REPLAY, {"id": wrong}, token=staff))["data"]
            assert refused["replayJob"]["userErrors"][0]["code"] == "NOT_FOUND", wrong

        # The node lookup shows no job to anyone (read through failedJobs only).
        node = await client(
            "query($id: ID!) { node(id: $id) { id } }", {"id": listed_reset["id"]}, token=staff
        )
        assert node["data"]["node"] is None

        # The replay is in the staff audit log, written by the service.
        log = await client(
            "{ auditLog { edges { node { action targetType targetId staffEmail details } } } }",
            token=staff,
        )
        [entry] = [e["node"] for e in log["data"]["auditLog"]["edges"]]
        assert entry["action"] == "replay_job" and entry["targetType"] == "Job"
        assert entry["targetId"] == reset_email.id
        assert entry["staffEmail"] == "staff@example.re"
        assert entry["details"]["attempts"] == 1 and entry["details"]["kind"] == EMAIL_JOB
