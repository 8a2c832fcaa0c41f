"""Bad input gets a userError or a 4xx, never a 500 or a stack trace."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from otesaintjo.models import Job
from tests.support.graphql import PASSWORD, REGISTER


async def _register(client, **fields) -> list[dict]:
    data = {"email": "lea@example.re", "password": PASSWORD, "firstName": "Léa", "lastName": "T"}
    data.update(fields)
    body = await client(REGISTER, {"input": data})
    return [(tuple(e["field"] or ()), e["code"]) for e in body["data"]["register"]["userErrors"]]


async def test_each_bad_field_is_its_own_user_error(client) -> None:
    errors = await _register(client, email="pas-une-adresse", password="court", lastName="  ")
    assert sorted(errors) == [
        (("email",), "INVALID_EMAIL"),
        (("lastName",), "INVALID_INPUT"),
        (("password",), "PASSWORD_TOO_SHORT"),
    ]


async def test_long_fields_are_refused(client) -> None:
    assert await _register(client, firstName="é" * 10_000) == [(("firstName",), "TOO_LONG")]
    assert await _register(client, email="a" * 300 + "@example.re") == [(("email",), "TOO_LONG")]
    assert await _register(client, password="p" * 5_000) == [(("password",), "TOO_LONG")]


async def test_a_one_megabyte_field_is_refused_before_parsing(client) -> None:
    response = await client.post(
        REGISTER,
        {
            "input": {
                "email": "a@b.re",
                "password": PASSWORD,
                "firstName": "x" * 1_048_576,
                "lastName": "T",
            }
        },
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"query": 42}', "application/json"),
        (b'{"query": "{ __typename }", "variables": []}', "application/json"),
        (b'{"query": "{ __typename }", "extensions": "x"}', "application/json"),
        (b"[]", "application/json"),
        (b"query { viewer { id } }", "text/plain"),
        (b"\xff\xfe\x00", "application/json"),
    ],
)
async def test_malformed_requests_get_a_4xx(client, content: bytes, content_type: str) -> None:
    response = await client.http.post(
        "/graphql", content=content, headers={"content-type": content_type}
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text


async def test_wrong_variable_types_are_validation_errors(client) -> None:
    response = await client.post(REGISTER, {"input": {"email": 12}})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None and body["errors"]


async def test_mutations_are_refused_over_get(client, session_factory) -> None:
    await client.register("lea@example.re")
    mutation = 'mutation { requestPasswordReset(input: {email: "lea@example.re"}) { userErrors { code } } }'
    response = await client.http.get("/graphql", params={"query": mutation})
    assert response.status_code == 400
    assert "GET" in response.text
    async with session_factory() as session:
        jobs = (await session.execute(select(Job.payload))).scalars().all()
    assert [job["subject"] for job in jobs] == ["Bienvenue sur Otesaintjo"]  # no reset email


async def test_queries_work_over_get(client) -> None:
    response = await client.http.get("/graphql", params={"query": "{ viewer { id } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


async def test_unknown_tokens_are_user_errors(client) -> None:
    body = await client(
        'mutation { refreshToken(input: {refreshToken: "inconnu"}) { userErrors { code } } }'
    )
    assert body["data"]["refreshToken"]["userErrors"] == [{"code": "INVALID_TOKEN"}]


async def test_a_client_gone_before_its_body_was_read_is_no_error(app) -> None:
    """A request that waited its turn (admission.py) while its client gave up: nothing to
    answer, and nothing raised (uvicorn would log it as a crash)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("198.51.100.7", 40000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent == []
