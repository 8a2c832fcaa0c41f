"""Sign-up, sign-in, refresh rotation, logout, profile — through HTTP with the app's lifespan."""

from __future__ import annotations

from tests.support.graphql import LOGIN, PASSWORD, VIEWER, error_codes

REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) {
    accessToken refreshToken user { email } userErrors { code field }
  }
}"""
LOGOUT = "mutation($all: Boolean!) { logout(input: {everywhere: $all}) { closedSessions userErrors { code } } }"
UPDATE_PROFILE = """
mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) { user { firstName lastName phone } userErrors { field code } }
}"""


async def test_register_login_viewer_refresh_logout(client) -> None:
    registered = await client.register("lea@example.re", phone="0692 12 34 56")
    assert registered["user"]["email"] == "lea@example.re"
    assert registered["accessToken"] and registered["refreshToken"]

    login = await client.login("LEA@example.re")
    assert login["userErrors"] == []
    access, refresh = login["accessToken"], login["refreshToken"]

    viewer = (await client(VIEWER, token=access))["data"]["viewer"]
    assert viewer["email"] == "lea@example.re"
    assert viewer["phone"] == "+262692123456"

    rotated = (await client(REFRESH, {"token": refresh}))["data"]["refreshToken"]
    assert rotated["userErrors"] == [] and rotated["refreshToken"] != refresh
    again = (await client(REFRESH, {"token": refresh}))["data"]["refreshToken"]
    assert again["accessToken"] is None
    assert again["userErrors"][0]["code"] == "INVALID_TOKEN"

    # Reuse of a rotated token revoked the family: the fresh pair is dead too.
    dead = (await client(REFRESH, {"token": rotated["refreshToken"]}))["data"]["refreshToken"]
    assert dead["userErrors"][0]["code"] == "INVALID_TOKEN"
    assert (await client(VIEWER, token=rotated["accessToken"]))["data"]["viewer"] is None

    second = await client.login("lea@example.re")
    out = (await client(LOGOUT, {"all": False}, token=second["accessToken"]))["data"]["logout"]
    assert out == {"closedSessions": 1, "userErrors": []}
    assert (await client(VIEWER, token=second["accessToken"]))["data"]["viewer"] is None
    refused = (await client(REFRESH, {"token": second["refreshToken"]}))["data"]["refreshToken"]
    assert refused["userErrors"][0]["code"] == "INVALID_TOKEN"


async def test_wrong_password_and_unknown_email_answer_the_same(client) -> None:
    await client.register("lea@example.re")
    wrong = await client.login("lea@example.re", "pas-le-bon-mot-de-passe")
    unknown = await client.login("personne@example.re", PASSWORD)
    assert wrong == unknown
    assert wrong["userErrors"] == [
        {
            "field": None,
            "code": "INVALID_CREDENTIALS",
            "message": "E-mail ou mot de passe incorrect.",
        }
    ]
    assert wrong["accessToken"] is None


async def test_logout_everywhere_closes_every_session(client) -> None:
    await client.register("lea@example.re")
    first = await client.login("lea@example.re")
    second = await client.login("lea@example.re")
    out = (await client(LOGOUT, {"all": True}, token=first["accessToken"]))["data"]["logout"]
    assert out["closedSessions"] == 3  # register, and two logins
    assert (await client(VIEWER, token=second["accessToken"]))["data"]["viewer"] is None


async def test_viewer_is_null_without_or_with_a_bad_token(client) -> None:
    assert (await client(VIEWER))["data"]["viewer"] is None
    assert (await client(VIEWER, token="pas-un-jeton"))["data"]["viewer"] is None


async def test_update_profile(client) -> None:
    token = (await client.register("lea@example.re"))["accessToken"]
    body = await client(
        UPDATE_PROFILE, {"input": {"firstName": " Léa-Marie ", "phone": "+33 6 12 34 56 78"}}, token
    )
    assert body["data"]["updateProfile"] == {
        "user": {"firstName": "Léa-Marie", "lastName": "Técher", "phone": "+33612345678"},
        "userErrors": [],
    }
    bad = await client(UPDATE_PROFILE, {"input": {"firstName": "", "phone": "123"}}, token)
    errors = bad["data"]["updateProfile"]["userErrors"]
    assert {(tuple(e["field"]), e["code"]) for e in errors} == {
        (("firstName",), "INVALID_INPUT"),
        (("phone",), "INVALID_PHONE"),
    }
    viewer = (await client(VIEWER, token=token))["data"]["viewer"]
    assert viewer["firstName"] == "Léa-Marie"  # the refused change left the profile intact


async def test_authenticated_mutations_refuse_anonymous_callers(client) -> None:
    body = await client(UPDATE_PROFILE, {"input": {"firstName": "X"}})
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    body = await client(LOGOUT, {"all": False})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_node_shows_a_user_only_to_themself(client) -> None:
    lea = await client.register("lea@example.re")
    paul = await client.register("paul@example.re")
    query = "query($id: ID!) { node(id: $id) { id ... on User { email } } }"
    mine = await client(query, {"id": lea["user"]["id"]}, token=lea["accessToken"])
    assert mine["data"]["node"]["email"] == "lea@example.re"
    other = await client(query, {"id": paul["user"]["id"]}, token=lea["accessToken"])
    assert other["data"]["node"] is None
    anonymous = await client(query, {"id": lea["user"]["id"]})
    assert anonymous["data"]["node"] is None
    garbage = await client(query, {"id": "not-a-global-id"}, token=lea["accessToken"])
    assert garbage["data"]["node"] is None


async def test_duplicate_email_is_refused(client) -> None:
    await client.register("lea@example.re")
    body = await client(
        """mutation($i: RegisterInput!) { register(input: $i) { user { id } userErrors { field code } } }""",
        {"i": {"email": "Lea@Example.re", "password": PASSWORD, "firstName": "L", "lastName": "T"}},
    )
    assert body["data"]["register"] == {
        "user": None,
        "userErrors": [{"field": ["email"], "code": "EMAIL_TAKEN"}],
    }


async def test_login_uses_the_shared_login_query(client) -> None:
    await client.register("lea@example.re")
    body = await client(LOGIN, {"email": "lea@example.re", "password": PASSWORD})
    assert body["data"]["login"]["accessTokenExpiresAt"].endswith("+04:00")
