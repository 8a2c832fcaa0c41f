"""A shop run by several people: the owner adds and removes staff; only the owner may."""

from __future__ import annotations

from tests.support.graphql import error_codes
from tests.support.merchants import add_product, merchant

ADD = """mutation($shop: ID!, $email: String!) {
  addShopMember(input: {shopId: $shop, email: $email}) {
    shop { members { userId email role } } userErrors { field code } } }"""
REMOVE = """mutation($shop: ID!, $user: ID!) {
  removeShopMember(input: {shopId: $shop, userId: $user}) {
    shop { members { email role } } userErrors { field code } } }"""
MEMBERS = "query($slug: String!) { shop(slug: $slug) { members { email role } } }"


async def test_owner_adds_staff_who_can_then_run_the_shop(client) -> None:
    owner, shop = await merchant(client)
    staff = (await client.register("equipier@example.re"))["accessToken"]
    body = await client(ADD, {"shop": shop["id"], "email": "Equipier@example.re"}, token=owner)
    members = body["data"]["addShopMember"]["shop"]["members"]
    assert [(m["email"], m["role"]) for m in members] == [
        ("jl@example.re", "OWNER"),
        ("equipier@example.re", "STAFF"),
    ]
    product = await add_product(client, staff, shop["id"])  # staff may list products
    assert product["stock"] == 100
    # Staff may not change the team; the shop appears among the staff's shops.
    refused = await client(ADD, {"shop": shop["id"], "email": "jl@example.re"}, token=staff)
    assert error_codes(refused) == ["FORBIDDEN"]
    mine = await client("{ viewer { shops { slug } } }", token=staff)
    assert mine["data"]["viewer"]["shops"] == [{"slug": shop["slug"]}]

    staff_id = members[1]["userId"]
    owner_id = members[0]["userId"]
    removed = await client(REMOVE, {"shop": shop["id"], "user": staff_id}, token=owner)
    assert removed["data"]["removeShopMember"]["shop"]["members"] == [
        {"email": "jl@example.re", "role": "OWNER"}
    ]
    last = await client(REMOVE, {"shop": shop["id"], "user": owner_id}, token=owner)
    assert last["data"]["removeShopMember"]["userErrors"] == [
        {"field": ["userId"], "code": "LAST_OWNER"}
    ]
    gone = await client(
        "mutation($id: ID!) { updateProduct(input: {productId: $id, stock: 1}) { userErrors { code } } }",
        {"id": product["id"]},
        token=staff,
    )
    assert error_codes(gone) == ["FORBIDDEN"]


async def test_unknown_accounts_and_outsiders(client) -> None:
    owner, shop = await merchant(client)
    unknown = await client(ADD, {"shop": shop["id"], "email": "personne@example.re"}, token=owner)
    assert unknown["data"]["addShopMember"]["userErrors"] == [
        {"field": ["email"], "code": "NOT_FOUND"}
    ]
    outsider, _ = await merchant(client, "autre@example.re", name="Autre")
    refused = await client(ADD, {"shop": shop["id"], "email": "autre@example.re"}, token=outsider)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert (await client(MEMBERS, {"slug": shop["slug"]}, token=outsider))["data"]["shop"][
        "members"
    ] is None
    assert (await client(MEMBERS, {"slug": shop["slug"]}))["data"]["shop"]["members"] is None
