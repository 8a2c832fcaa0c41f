"""Growing delay after repeated failed sign-ins, per account and per IP."""

from __future__ import annotations

from datetime import timedelta

import httpx
import time_machine

from otesaintjo.clock import utcnow
from tests.support.graphql import PASSWORD, GraphQLClient


def aliased_logins(emails: list[str], password: str) -> str:
    fields = "\n".join(
        f'a{i}: login(input: {{email: "{email}", password: "{password}"}}) '
        "{ accessToken userErrors { code } }"
        for i, email in enumerate(emails)
    )
    return f"mutation {{ {fields} }}"


def codes(body: dict) -> list[str | None]:
    return [
        (p["userErrors"][0]["code"] if p["userErrors"] else None) for p in body["data"].values()
    ]


async def test_aliased_attempts_each_count_and_lock_grows(client) -> None:
    await client.register("lea@example.re")
    with time_machine.travel(utcnow(), tick=True) as traveller:
        body = await client(aliased_logins(["lea@example.re"] * 8, "mauvais-mot-de-passe"))
        # 5 failures, and the 5th earns a 2 s wait: the next ones are refused unchecked.
        assert codes(body) == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"] * 3
        locked = await client.login("lea@example.re")  # even the right password waits
        assert locked["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"
        assert locked["userErrors"][0]["message"].startswith("Trop de tentatives.")

        traveller.shift(timedelta(seconds=3))
        again = await client.login("lea@example.re", "toujours-pas-le-bon")
        assert again["userErrors"][0]["code"] == "INVALID_CREDENTIALS"  # the 6th: now 4 s
        traveller.shift(timedelta(seconds=3))
        assert (await client.login("lea@example.re"))["userErrors"][0][
            "code"
        ] == "TOO_MANY_ATTEMPTS"
        traveller.shift(timedelta(seconds=2))
        assert (await client.login("lea@example.re"))["userErrors"] == []


async def test_one_ip_trying_many_accounts_is_slowed_down(app, client) -> None:
    await client.register("lea@example.re")
    emails = [f"inconnu{i}@example.re" for i in range(21)]
    first = await client(aliased_logins(emails[:11], "x" * 12))
    second = await client(aliased_logins(emails[11:], "x" * 12))
    # 20 failures per address, and the 20th locks it: the 21st attempt waits.
    assert codes(first) + codes(second) == ["INVALID_CREDENTIALS"] * 20 + ["TOO_MANY_ATTEMPTS"]
    assert (await client.login("lea@example.re"))["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"

    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        other_ip = GraphQLClient(http)
        assert (await other_ip.login("lea@example.re", PASSWORD))["userErrors"] == []
