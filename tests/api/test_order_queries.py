"""Order lists cost a fixed number of SQL statements, whatever the number of orders."""

from __future__ import annotations

from tests.support.buying import ORDER_FIELDS, Town
from tests.support.statements import count_statements

MY_ORDERS = f"""{{ viewer {{ orders(first: 50) {{ totalCount edges {{ node {{ {ORDER_FIELDS}
  customer {{ firstName phone address {{ town }} }}
  purchase {{ id status payment {{ clientSecret }} }}
  invoices {{ number }} returns {{ id }} withdrawalDeadline viewerCanRequestReturn
}} }} }} }} }}"""
SHOP_ORDERS = f"""query($s: ID!) {{ node(id: $s) {{ ... on Shop {{ orders(first: 50) {{
  edges {{ node {{ {ORDER_FIELDS} customer {{ firstName phone address {{ town }} }} }} }}
}} }} }} }}"""


async def test_order_lists_have_no_n_plus_one(client, app) -> None:
    engine = app.state.runtime.engine
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    # ``node`` is first tried for the shared response cache (a snapshot: BEGIN, ROLLBACK); a
    # shop's orders read the viewer, so the cache remembers not to try this request again.
    await client(SHOP_ORDERS, {"s": town.grocer["id"]}, token=town.grocer_token)
    counts = []
    for purchases in (1, 6):
        while len(counts) < purchases:  # each checkout with a new key is a new purchase
            assert (await town.checkout(token))["userErrors"] == []
            counts.append(None)
        with count_statements(engine) as mine:
            body = await client(MY_ORDERS, token=token)
        assert len(body["data"]["viewer"]["orders"]["edges"]) == 2 * purchases
        with count_statements(engine) as shop:
            body = await client(SHOP_ORDERS, {"s": town.grocer["id"]}, token=town.grocer_token)
        assert len(body["data"]["node"]["orders"]["edges"]) == purchases
        counts[purchases - 1] = (len(mine), len(shop))
    print(f"\nstatements (viewer.orders, shop.orders): 2 orders {counts[0]}, 12 orders {counts[5]}")
    assert counts[0] == counts[5], counts
