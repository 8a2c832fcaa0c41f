"""The customer's withdrawal through the API: asking for a return, the merchant confirming it."""

from __future__ import annotations

from typing import Any

from tests.support.buying import ADD, FULFIL, UPDATE_SHOP, Town, ok, pay
from tests.support.orders import DELIVERED, SHIPPED

REQUEST = """mutation($input: RequestReturnInput!) { requestReturn(input: $input) {
  return { id status refund { cents } deliveryFeeRefunded { cents } } userErrors { field code } } }"""
CONFIRM = """mutation($input: ConfirmReturnReceivedInput!) { confirmReturnReceived(input: $input) {
  return { id status condition merchantNote refund { cents } } userErrors { field code } } }"""


async def delivered_rice(client, offline_stripe, town: Town, customer: str, quantity: int = 2):
    """Rice delivered by the grocer in 97480 (2 × 12,00 € + 3,50 € delivery = 27,50 €), paid,
    shipped and delivered: goods the customer may send back. The bakery's bread is perishable
    (art. L221-28 4°): it never comes back."""
    await ok(
        client(
            UPDATE_SHOP,
            {
                "input": {
                    "shopId": town.grocer["id"],
                    "delivery": {"merchantDelivery": {"postcodes": ["97480"], "feeCents": 350}},
                }
            },
            token=town.grocer_token,
        ),
        "updateShop",
    )
    await ok(client(ADD, {"id": town.rice["id"], "q": quantity}, token=customer), "cartAddItem")
    await ok(
        client(
            FULFIL,
            {
                "input": {
                    "shopId": town.grocer["id"],
                    "mode": "DELIVERY",
                    "carrier": "MERCHANT",
                    "postcode": "97480",
                }
            },
            token=customer,
        ),
        "cartSetFulfilment",
    )
    purchase = (await town.checkout(customer))["purchase"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    (order,) = (await town.confirm(customer, purchase["id"]))["purchase"]["orders"]
    await ok(client(SHIPPED, {"o": order["id"]}, token=town.grocer_token), "markOrderShipped")
    await ok(client(DELIVERED, {"o": order["id"]}, token=town.grocer_token), "markOrderDelivered")
    return order


def return_of(order: dict[str, Any], *lines: tuple[int, int]) -> dict[str, Any]:
    """requestReturn's input: (index of the order line, quantity) pairs."""
    return {
        "orderId": order["id"],
        "lines": [
            {"orderLineId": order["lines"][index]["id"], "quantity": quantity}
            for index, quantity in lines
        ],
    }
