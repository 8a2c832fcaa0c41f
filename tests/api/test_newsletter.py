"""Newsletter double opt-in through the captured confirmation email."""

from __future__ import annotations

from otesaintjo.services import newsletter
from tests.doubles.smtp import text_of
from tests.support.graphql import PASSWORD, token_from_link

SUBSCRIBE = "mutation($e: String!) { subscribeNewsletter(input: {email: $e}) { userErrors { field code } } }"
CONFIRM = """mutation($t: String!) {
  confirmNewsletterSubscription(input: {token: $t}) { success userErrors { code } } }"""
UNSUBSCRIBE = """mutation($t: String!) {
  unsubscribeNewsletter(input: {token: $t}) { success userErrors { code } } }"""


async def _recipients(session_factory) -> list[str]:
    async with session_factory() as session:
        return await newsletter.recipients(session)


async def test_double_opt_in_then_unsubscribe(client, mailbox, session_factory) -> None:
    body = await client(SUBSCRIBE, {"e": "Voisin@Example.re"})
    assert body["data"]["subscribeNewsletter"] == {"userErrors": []}
    message = (await mailbox.wait_for(1))[0]
    assert message["To"] == "voisin@example.re"
    assert message["Subject"] == "Confirmez votre inscription à la lettre d'information"
    assert await _recipients(session_factory) == []  # unconfirmed: gets nothing

    text = text_of(message)
    confirm = token_from_link(text, "https://boutique.otesaintjo.test/lettre/confirmer")
    unsubscribe = token_from_link(text, "https://boutique.otesaintjo.test/lettre/desinscrire")
    confirmed = (await client(CONFIRM, {"t": confirm}))["data"]["confirmNewsletterSubscription"]
    assert confirmed == {"success": True, "userErrors": []}
    assert await _recipients(session_factory) == ["voisin@example.re"]

    out = (await client(UNSUBSCRIBE, {"t": unsubscribe}))["data"]["unsubscribeNewsletter"]
    assert out == {"success": True, "userErrors": []}
    assert await _recipients(session_factory) == []


async def test_forged_tokens_are_refused(client) -> None:
    forged = (await client(UNSUBSCRIBE, {"t": "1.deadbeef"}))["data"]["unsubscribeNewsletter"]
    assert forged == {"success": False, "userErrors": [{"code": "INVALID_TOKEN"}]}
    unknown = (await client(CONFIRM, {"t": "inconnu"}))["data"]["confirmNewsletterSubscription"]
    assert unknown == {"success": False, "userErrors": [{"code": "INVALID_TOKEN"}]}


async def test_bad_address_is_a_user_error(client) -> None:
    body = await client(SUBSCRIBE, {"e": "pas-une-adresse"})
    assert body["data"]["subscribeNewsletter"]["userErrors"] == [
        {"field": ["email"], "code": "INVALID_EMAIL"}
    ]


async def test_consent_at_sign_up_asks_for_confirmation(client, mailbox, session_factory) -> None:
    await client.register("lea@example.re", newsletter=True)
    messages = await mailbox.wait_for(2)
    assert sorted(m["Subject"] for m in messages) == [
        "Bienvenue sur Otesaintjo",
        "Confirmez votre inscription à la lettre d'information",
    ]
    assert await _recipients(session_factory) == []
    assert PASSWORD not in "".join(text_of(m) for m in messages)
