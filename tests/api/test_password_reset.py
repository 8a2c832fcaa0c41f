"""Password reset end to end, with the email read back from a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from otesaintjo.clock import utcnow
from tests.doubles.smtp import text_of
from tests.support.graphql import VIEWER, token_from_link

REQUEST = (
    "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { userErrors { code } } }"
)
RESET = """
mutation($t: String!, $p: String!) {
  resetPassword(input: {token: $t, newPassword: $p}) { success userErrors { field code } }
}"""
NEW_PASSWORD = "nouveau-mot-de-passe-2026"


SUBJECT = "Réinitialisation de votre mot de passe"


async def _reset_link(client, mailbox, email: str) -> str:
    """Ask for a reset and read the link of the email that arrives for it."""
    already = len(mailbox.with_subject(SUBJECT))
    body = await client(REQUEST, {"e": email})
    assert body["data"]["requestPasswordReset"] == {"userErrors": []}
    message = (await mailbox.wait_for_subject(SUBJECT, already + 1))[-1]
    assert message["To"] == email
    text = text_of(message)
    assert "valable 60 minutes" in text
    return token_from_link(text, "https://boutique.otesaintjo.test/reinitialiser-mot-de-passe")


async def test_reset_end_to_end_single_use_and_sessions_die(client, mailbox) -> None:
    session = await client.register("lea@example.re")
    await mailbox.wait_for(1)  # the welcome email
    token = await _reset_link(client, mailbox, "lea@example.re")

    done = (await client(RESET, {"t": token, "p": NEW_PASSWORD}))["data"]["resetPassword"]
    assert done == {"success": True, "userErrors": []}
    twice = (await client(RESET, {"t": token, "p": "encore-un-autre-2026"}))["data"][
        "resetPassword"
    ]
    assert twice == {
        "success": False,
        "userErrors": [{"field": ["token"], "code": "INVALID_TOKEN"}],
    }

    assert (await client(VIEWER, token=session["accessToken"]))["data"]["viewer"] is None
    assert (await client.login("lea@example.re"))["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await client.login("lea@example.re", NEW_PASSWORD))["userErrors"] == []
    [confirmation] = await mailbox.wait_for_subject("Votre mot de passe a été modifié")
    assert confirmation["To"] == "lea@example.re"


async def test_link_expires_after_60_minutes(client, mailbox) -> None:
    await client.register("lea@example.re")
    with time_machine.travel(utcnow(), tick=True) as traveller:
        token = await _reset_link(client, mailbox, "lea@example.re")
        traveller.shift(timedelta(minutes=61))
        body = await client(RESET, {"t": token, "p": NEW_PASSWORD})
    assert body["data"]["resetPassword"] == {
        "success": False,
        "userErrors": [{"field": ["token"], "code": "EXPIRED_TOKEN"}],
    }


async def test_link_still_works_at_59_minutes(client, mailbox) -> None:
    await client.register("lea@example.re")
    with time_machine.travel(utcnow(), tick=True) as traveller:
        token = await _reset_link(client, mailbox, "lea@example.re")
        traveller.shift(timedelta(minutes=59))
        body = await client(RESET, {"t": token, "p": NEW_PASSWORD})
    assert body["data"]["resetPassword"]["success"] is True


async def test_a_newer_request_voids_the_older_link(client, mailbox) -> None:
    await client.register("lea@example.re")
    await mailbox.wait_for(1)
    old = await _reset_link(client, mailbox, "lea@example.re")
    new = await _reset_link(client, mailbox, "lea@example.re")
    refused = (await client(RESET, {"t": old, "p": NEW_PASSWORD}))["data"]["resetPassword"]
    assert refused["userErrors"][0]["code"] == "INVALID_TOKEN"
    accepted = (await client(RESET, {"t": new, "p": NEW_PASSWORD}))["data"]["resetPassword"]
    assert accepted["success"] is True


async def test_unknown_email_gets_the_same_answer_and_no_email(client, mailbox, app) -> None:
    await client.register("lea@example.re")
    await mailbox.wait_for(1)
    known = await client(REQUEST, {"e": "lea@example.re"})
    unknown = await client(REQUEST, {"e": "inconnu@example.re"})
    malformed = await client(REQUEST, {"e": "pas une adresse"})
    assert known == unknown == malformed
    await mailbox.wait_for(2)
    await app.state.runtime.worker.run_due()  # nothing else is waiting
    assert [m["To"] for m in mailbox.messages] == ["lea@example.re", "lea@example.re"]


async def test_short_new_password_is_refused(client) -> None:
    body = await client(RESET, {"t": "whatever", "p": "court"})
    assert body["data"]["resetPassword"]["userErrors"] == [
        {"field": ["newPassword"], "code": "PASSWORD_TOO_SHORT"}
    ]
