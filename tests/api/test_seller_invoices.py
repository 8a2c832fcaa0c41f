"""Invoices in the seller's legal identity (CGI art. 242 nonies A, 289 I-2, 293 B, 262 I):
a micro-entrepreneur under the VAT franchise, goods shipped to Paris without Réunion VAT,
invoices held until the identity is complete, and who may read or change that identity."""

from __future__ import annotations

import io
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pypdf
from sqlalchemy import select, update

from otesaintjo.models import AuditEntry, User
from otesaintjo.payments.offline.processes import OFFLINE_API_KEY
from tests.doubles.smtp import wait_until
from tests.support.buying import (
    ADD,
    EVERY_DAY,
    FULFIL,
    PURCHASE_FIELDS,
    UPDATE_SHOP,
    intent_id,
    ok,
    pay,
)
from tests.support.graphql import error_codes
from tests.support.merchants import (
    add_product,
    legal_identity_input,
    merchant,
    shop_input,
    vat_number_for,
)

SIRET = "73282932000074"
OTHER_SIRET = "53279430200028"  # the demo bakery's: a valid SIREN, not this shop's
CHECKOUT = f"""mutation($input: CheckoutInput!) {{ checkout(input: $input) {{
  purchase {{ {PURCHASE_FIELDS} }} userErrors {{ field code message }} }} }}"""
CONFIRM = f"""mutation($id: ID!) {{ confirmPayment(input: {{purchaseId: $id}}) {{
  purchase {{ {PURCHASE_FIELDS} orders {{ outsideReunion invoices {{ number kind downloadUrl
  total {{ cents }} }} }} }} userErrors {{ code }} }} }}"""
CART = """{ cart { total { cents } shops { subtotal { cents } deliveryFee { cents }
  total { cents } vat { rate amount { cents } } importTaxesMayApply importTaxesNotice vatNotice
  lines { quantity unitPrice { cents } total { cents } }
  deliveryOptions { carrier fee { cents } regularFee { cents } importTaxesMayApply } } } }"""
IDENTITY = """query($id: ID!) { node(id: $id) { ... on Shop {
  legalNotice { legalName legalForm legalFormLabel shareCapital siren registration vatNumber
    vatMention }
  merchantDetails { legalIdentity { legalName legalForm registration registrationCity
    vatNumber vatFranchise missingFields complete heldInvoices } } } } }"""
SET_IDENTITY = """mutation($input: UpdateShopLegalIdentityInput!) {
  updateShopLegalIdentity(input: $input) {
    shop { merchantDetails { legalIdentity { complete missingFields heldInvoices } } }
    userErrors { field code message } } }"""
ORDER_INVOICES = """query($id: ID!) { node(id: $id) { ... on Order { outsideReunion
  invoicePending invoices { number kind downloadUrl total { cents } } } } }"""
STRIPE = {"Authorization": f"Bearer {OFFLINE_API_KEY}"}
PARIS = {"street": "4 rue de Rivoli", "postcode": "75001", "town": "Paris"}
SAINT_JOSEPH = {"street": "5 chemin Bœuf Mort", "postcode": "97480", "town": "Saint-Joseph"}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


async def download_text(client, url: str) -> str:
    parts = urlsplit(url)
    response = await client.http.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    return pdf_text(response.content)


async def buy(
    client, offline_stripe, token: str, shop_id: str, products: list[tuple[dict, int]], **how: Any
) -> dict[str, Any]:
    """Add the products, choose how (PICKUP, or DELIVERY with carrier and address), pay with
    Stripe.js (localstripe), confirm: the paid purchase."""
    for product, quantity in products:
        await ok(client(ADD, {"id": product["id"], "q": quantity}, token=token), "cartAddItem")
    address = how.get("address", SAINT_JOSEPH)
    fulfil = {"shopId": shop_id, "mode": how.get("mode", "PICKUP")}
    if fulfil["mode"] == "DELIVERY":
        fulfil |= {"carrier": how["carrier"], "postcode": address["postcode"]}
    await ok(client(FULFIL, {"input": fulfil}, token=token), "cartSetFulfilment")
    cart = (await client(CART, token=token))["data"]["cart"]
    data = {"idempotencyKey": str(uuid.uuid4()), "contactPhone": "0692 12 34 56"}
    if fulfil["mode"] == "DELIVERY":
        data["address"] = address
    placed = await ok(client(CHECKOUT, {"input": data}, token=token), "checkout")
    purchase = placed["purchase"]
    assert purchase["total"]["cents"] == cart["total"]["cents"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    confirmed = await ok(client(CONFIRM, {"id": purchase["id"]}, token=token), "confirmPayment")
    return {"cart": cart, "secret": purchase["payment"]["clientSecret"], **confirmed["purchase"]}


async def test_a_micro_entrepreneur_under_the_franchise_invoices_without_vat(
    client, offline_stripe, mailbox
) -> None:
    token, shop = await merchant(
        client,
        "marie@example.re",
        name="Les Confitures de Marie",
        legalIdentity={
            "legalName": "Marie Hoarau",
            "legalForm": "EI",
            "registration": "NONE",
            "vatFranchise": True,
        },
    )
    await client(
        UPDATE_SHOP, {"input": {"shopId": shop["id"], "pickupHours": EVERY_DAY}}, token=token
    )
    jam = await add_product(client, token, shop["id"], name="Confiture goyave", priceCents=650)
    customer = (await client.register("client@example.re"))["accessToken"]
    purchase = await buy(client, offline_stripe, customer, shop["id"], [(jam, 2)])

    # The cart showed no VAT, and said why; the price is the price.
    (group,) = purchase["cart"]["shops"]
    assert group["vat"] == [] and group["vatNotice"] == "TVA non applicable, art. 293 B du CGI"
    assert group["total"]["cents"] == 1300 and not group["importTaxesMayApply"]
    (order,) = purchase["orders"]
    (invoice,) = order["invoices"]
    text = await download_text(client, invoice["downloadUrl"])
    for expected in (
        f"FACTURE n° {invoice['number']}",
        "Vendeur : Marie Hoarau, Entrepreneur individuel (EI)",
        "Boutique « Les Confitures de Marie »",
        "SIREN : 732829320 - SIRET : 73282932000074",
        "Dispensé d'immatriculation au RCS et au RM",
        "Désignation Qté PU HT Total HT",
        "Confiture goyave 2 6,50 € 13,00 €",
        "Total HT : 13,00 €",
        "Net à payer : 13,00 €",
        "TVA non applicable, art. 293 B du CGI",
        "Facture émise par Otesaintjo au nom et pour le compte de Marie Hoarau (mandat de"
        " facturation, art. 289 I-2 du CGI).",
    ):
        assert expected in text, f"{expected!r} not in:\n{text}"
    for absent in ("Total TVA", "Total TTC", "N° TVA", "8,5 %", "262 I"):
        assert absent not in text, f"{absent!r} in:\n{text}"
    # Its legal notice is public, as on the invoice.
    public = (await client(IDENTITY, {"id": shop["id"]}))["data"]["node"]
    assert public["merchantDetails"] is None
    assert public["legalNotice"] == {
        "legalName": "Marie Hoarau",
        "legalForm": "EI",
        "legalFormLabel": "Entrepreneur individuel (EI)",
        "shareCapital": None,
        "siren": "732829320",
        "registration": "Dispensé d'immatriculation au RCS et au RM",
        "vatNumber": None,
        "vatMention": "TVA non applicable, art. 293 B du CGI",
    }


async def test_goods_shipped_to_paris_are_charged_and_invoiced_without_reunion_vat(
    client, offline_stripe, mailbox
) -> None:
    token, shop = await merchant(client, "rhum@example.re", name="Distillerie du Sud")
    await client(
        UPDATE_SHOP,
        {"input": {"shopId": shop["id"], "delivery": {"colissimoFeeCents": 1500}}},
        token=token,
    )
    rum = await add_product(client, token, shop["id"], name="Rhum arrangé", priceCents=2990)
    vanilla = await add_product(
        client, token, shop["id"], name="Vanille Bourbon", priceCents=1250, vatRate="REDUCED"
    )
    customer = (await client.register("paris@example.re"))["accessToken"]
    purchase = await buy(
        client,
        offline_stripe,
        customer,
        shop["id"],
        [(rum, 2), (vanilla, 1)],
        mode="DELIVERY",
        carrier="COLISSIMO",
        address=PARIS,
    )

    # Told before paying: no Réunion VAT, import taxes may be due on arrival (art. 262 I).
    (group,) = purchase["cart"]["shops"]
    assert group["importTaxesMayApply"] is True
    assert "taxes et droits d'importation" in group["importTaxesNotice"]
    assert "262 I" in group["importTaxesNotice"]
    assert group["vat"] == [] and group["vatNotice"] is None
    assert group["deliveryOptions"] == [
        {
            "carrier": "COLISSIMO",
            "fee": {"cents": 1382},  # 15,00 € / 1,085 = 13,8249… → 13,82 €
            "regularFee": {"cents": 1382},
            "importTaxesMayApply": True,
        }
    ]
    # Per unit without VAT, to the cent (half up), times the quantity:
    # rum 29,90 € / 1,085 = 27,5576… → 27,56 € × 2; vanilla 12,50 € / 1,021 = 12,2429… → 12,24 €.
    assert [(line["unitPrice"]["cents"], line["total"]["cents"]) for line in group["lines"]] == [
        (2756, 5512),
        (1224, 1224),
    ]
    assert (group["subtotal"]["cents"], group["deliveryFee"]["cents"]) == (6736, 1382)
    assert purchase["total"]["cents"] == purchase["payment"]["amount"]["cents"] == 8118
    # Stripe charged exactly that.
    async with httpx.AsyncClient(headers=STRIPE) as http:
        secret = purchase["secret"]
        intent = (
            await http.get(f"{offline_stripe.api_base}/v1/payment_intents/{intent_id(secret)}")
        ).json()
    assert (intent["amount"], intent["status"]) == (8118, "succeeded")

    (order,) = purchase["orders"]
    assert order["outsideReunion"] is True and order["total"]["cents"] == 8118
    (invoice,) = order["invoices"]
    assert invoice["total"]["cents"] == 8118
    text = await download_text(client, invoice["downloadUrl"])
    for expected in (
        "Vendeur : Boulangerie Payet, SAS",
        "N° TVA intracommunautaire : FR44732829320",
        "Client : Léa Técher\n4 rue de Rivoli, 75001 Paris",
        "Rhum arrangé 2 27,56 € 55,12 €",
        "Vanille Bourbon 1 12,24 € 12,24 €",
        "Frais de livraison 1 13,82 € 13,82 €",
        "Total HT : 81,18 €",
        "Net à payer : 81,18 €",
        "Exonération de TVA, article 262 I du CGI",
    ):
        assert expected in text, f"{expected!r} not in:\n{text}"
    assert "Total TVA" not in text and "8,5 %" not in text and "293 B" not in text
    # The confirmation says it again, after payment; the shop is told to declare the parcel.
    (confirmation,) = await mailbox.wait_for_subject("Votre commande est confirmée")
    assert "peuvent être dus à l'arrivée" in confirmation.get_body(("plain",)).get_content()
    await wait_until(
        lambda: any(m["Subject"].startswith("Nouvelle commande") for m in mailbox.messages)
    )
    (alert,) = [m for m in mailbox.messages if m["Subject"].startswith("Nouvelle commande")]
    text = alert.get_body(("plain",)).get_content()
    assert "Total hors TVA : 81,18" in text and "déclaration en douane (CN23)" in text

    # The same shop delivering in La Réunion charges its VAT as usual.
    local = (await client.register("local@example.re"))["accessToken"]
    at_home = await buy(
        client,
        offline_stripe,
        local,
        shop["id"],
        [(rum, 1)],
        mode="DELIVERY",
        carrier="COLISSIMO",
        address=SAINT_JOSEPH,
    )
    (group,) = at_home["cart"]["shops"]
    assert group["importTaxesMayApply"] is False and group["importTaxesNotice"] is None
    assert group["total"]["cents"] == 2990 + 1500 and group["vat"]
    assert at_home["orders"][0]["outsideReunion"] is False


async def test_an_invoice_waits_for_the_legal_identity_then_is_issued(
    client, offline_stripe, mailbox, session_factory
) -> None:
    token, shop = await merchant(client, "gerant@example.re", legalIdentity=None)
    await client(
        UPDATE_SHOP, {"input": {"shopId": shop["id"], "pickupHours": EVERY_DAY}}, token=token
    )
    bread = await add_product(client, token, shop["id"], name="Pain", priceCents=250)
    first = (await client.register("client@example.re"))["accessToken"]
    second = (await client.register("autre@example.re"))["accessToken"]
    one = await buy(client, offline_stripe, first, shop["id"], [(bread, 2)])
    two = await buy(client, offline_stripe, second, shop["id"], [(bread, 1)])

    # Paid and served as usual, but no invoice without the seller's legal mentions.
    assert [o["status"] for o in one["orders"] + two["orders"]] == ["PAID", "PAID"]
    assert one["orders"][0]["invoices"] == two["orders"][0]["invoices"] == []
    confirmations = await mailbox.wait_for_subject("Votre commande est confirmée", count=2)
    assert all(not list(c.iter_attachments()) for c in confirmations)
    assert (
        "La facture de cette commande vous sera envoyée"
        in confirmations[0].get_body(("plain",)).get_content()
    )
    # The shop is asked once, whatever the number of sales.
    asked = "Boulangerie du Centre : complétez votre identité légale pour émettre vos factures"
    (request,) = await mailbox.wait_for_subject(asked)
    body = request.get_body(("plain",)).get_content()
    assert "le numéro de TVA intracommunautaire" in body and one["orders"][0]["number"] in body
    assert request["To"] == "boulangerie@example.re"
    # Staff cancel the second order: its credit note waits behind its invoice.
    staff = (await client.register("staff@example.re"))["accessToken"]
    async with session_factory() as session:
        await session.execute(
            update(User).where(User.email == "staff@example.re").values(is_staff=True)
        )
        await session.commit()
    cancel = """mutation($o: ID!) { cancelOrder(input: {orderId: $o}) { userErrors { code } } }"""
    await ok(client(cancel, {"o": two["orders"][0]["id"]}, token=staff), "cancelOrder")

    waiting = await client(ORDER_INVOICES, {"id": one["orders"][0]["id"]}, token=first)
    assert waiting["data"]["node"]["invoicePending"] is True
    seen = (await client(IDENTITY, {"id": shop["id"]}, token=token))["data"]["node"]
    assert seen["legalNotice"] is None
    assert seen["merchantDetails"]["legalIdentity"] == {
        "legalName": None,
        "legalForm": None,
        "registration": None,
        "registrationCity": None,
        "vatNumber": None,
        "vatFranchise": False,
        "missingFields": ["LEGAL_NAME", "LEGAL_FORM", "REGISTRATION", "VAT_NUMBER"],
        "complete": False,
        "heldInvoices": 3,
    }
    # Half done: still held, and no second request.
    half = await ok(
        client(
            SET_IDENTITY,
            {
                "input": {
                    "shopId": shop["id"],
                    "legalIdentity": {"legalName": "Boulangerie Payet", "legalForm": "SARL"},
                }
            },
            token=token,
        ),
        "updateShopLegalIdentity",
    )
    assert half["shop"]["merchantDetails"]["legalIdentity"] == {
        "complete": False,
        "missingFields": ["REGISTRATION", "VAT_NUMBER", "SHARE_CAPITAL"],
        "heldInvoices": 3,
    }
    done = await ok(
        client(
            SET_IDENTITY,
            {
                "input": {
                    "shopId": shop["id"],
                    "legalIdentity": {
                        "registration": "RCS",
                        "registrationCity": "Saint-Pierre",
                        "vatNumber": "fr 44 732 829 320",
                        "shareCapitalCents": 750_000,
                    },
                }
            },
            token=token,
        ),
        "updateShopLegalIdentity",
    )
    assert done["shop"]["merchantDetails"]["legalIdentity"] == {
        "complete": True,
        "missingFields": [],
        "heldInvoices": 0,
    }
    # Issued in the order they were due, each sent to its customer with its PDF.
    issued = (await client(ORDER_INVOICES, {"id": one["orders"][0]["id"]}, token=first))["data"]
    assert issued["node"]["invoicePending"] is False
    (invoice,) = issued["node"]["invoices"]
    cancelled = (await client(ORDER_INVOICES, {"id": two["orders"][0]["id"]}, token=second))[
        "data"
    ]["node"]["invoices"]
    assert [invoice["number"]] + [d["number"] for d in cancelled] == [
        f"F-{invoice['number'].split('-')[1]}-000001",
        f"F-{invoice['number'].split('-')[1]}-000002",
        f"AV-{invoice['number'].split('-')[1]}-000003",
    ]
    assert [d["total"]["cents"] for d in cancelled] == [250, 250]
    text = await download_text(client, invoice["downloadUrl"])
    assert "Vendeur : Boulangerie Payet, SARL" in text
    assert "RCS Saint-Pierre 732 829 320" in text and "FR44732829320" in text
    (sent,) = await mailbox.wait_for_subject(
        f"Votre facture de la commande {one['orders'][0]['number']}"
    )
    (attachment,) = list(sent.iter_attachments())
    assert attachment.get_filename() == f"{invoice['number']}.pdf"
    (both,) = await mailbox.wait_for_subject(
        f"Vos documents de la commande {two['orders'][0]['number']}"
    )
    assert [a.get_filename() for a in both.iter_attachments()] == [
        f"{d['number']}.pdf" for d in cancelled
    ]
    assert len(mailbox.with_subject(asked)) == 1
    # A later sale is invoiced at once.
    third = await buy(client, offline_stripe, first, shop["id"], [(bread, 1)])
    assert [i["number"][-6:] for i in third["orders"][0]["invoices"]] == ["000004"]
    # Complete, it may be corrected but not left without what an invoice needs.
    emptied = await client(
        SET_IDENTITY,
        {"input": {"shopId": shop["id"], "legalIdentity": {"vatNumber": ""}}},
        token=token,
    )
    assert error_codes_of(emptied) == [(["legalIdentity", "vatNumber"], "INVALID_INPUT")]


def error_codes_of(body: dict[str, Any]) -> list[tuple[list[str], str]]:
    assert "errors" not in body, body
    return [(e["field"], e["code"]) for e in body["data"]["updateShopLegalIdentity"]["userErrors"]]


async def test_who_may_read_and_change_the_legal_identity(client, session_factory) -> None:
    token, shop = await merchant(client, "gerant@example.re", legalIdentity=None)
    other_token, _ = await merchant(client, "voisin@example.re", name="Épicerie Hoarau")
    customer = (await client.register("client@example.re"))["accessToken"]

    def change(**identity: Any) -> dict[str, Any]:
        return {"input": {"shopId": shop["id"], "legalIdentity": identity}}

    # Another shop's merchant, a customer, nobody: not readable, not changeable.
    for who in (other_token, customer, None):
        seen = (await client(IDENTITY, {"id": shop["id"]}, token=who))["data"]["node"]
        assert seen == {"legalNotice": None, "merchantDetails": None}
    for who, code in (
        (other_token, "FORBIDDEN"),
        (customer, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        body = await client(SET_IDENTITY, change(legalName="Pirate"), token=who)
        assert error_codes(body) == [code], body

    # Bad values: each a userError with its code, on its field.
    refusals = [
        (
            change(vatNumber="FR00732829320"),
            [(["legalIdentity", "vatNumber"], "INVALID_VAT_NUMBER")],
        ),
        (
            change(vatNumber=vat_number_for(OTHER_SIRET)),
            [(["legalIdentity", "vatNumber"], "VAT_NUMBER_MISMATCH")],
        ),
        (
            change(registration="RCS"),
            [(["legalIdentity", "registrationCity"], "INVALID_REGISTRATION")],
        ),
        (
            change(legalForm="SAS", registration="NONE"),
            [(["legalIdentity", "registration"], "INVALID_REGISTRATION")],
        ),
        (
            change(legalName=" ", vatNumber="FR1"),
            [
                (["legalIdentity", "legalName"], "INVALID_INPUT"),
                (["legalIdentity", "vatNumber"], "INVALID_VAT_NUMBER"),
            ],
        ),
    ]
    for variables, expected in refusals:
        assert error_codes_of(await client(SET_IDENTITY, variables, token=token)) == expected
    # createShop checks it too, with the other fields.
    create = """mutation($input: CreateShopInput!) { createShop(input: $input) {
      shop { id } userErrors { field code } } }"""
    bad = shop_input(name="Quincaillerie", legalIdentity=legal_identity_input(vatNumber="FR12345"))
    body = await client(create, {"input": bad}, token=token)
    assert body["data"]["createShop"] == {
        "shop": None,
        "userErrors": [{"field": ["legalIdentity", "vatNumber"], "code": "INVALID_VAT_NUMBER"}],
    }

    # The shop's merchant and staff may; staff's change is audited.
    await ok(
        client(
            SET_IDENTITY,
            change(legalName="Boulangerie Payet", legalForm="SARL", shareCapitalCents=750_000),
            token=token,
        ),
        "updateShopLegalIdentity",
    )
    staff = (await client.register("staff@example.re"))["accessToken"]
    async with session_factory() as session:
        await session.execute(
            update(User).where(User.email == "staff@example.re").values(is_staff=True)
        )
        await session.commit()
    await ok(
        client(SET_IDENTITY, change(registration="RM", vatFranchise=True), token=staff),
        "updateShopLegalIdentity",
    )
    async with session_factory() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions == ["update_shop_legal_identity"]
    seen = (await client(IDENTITY, {"id": shop["id"]}, token=token))["data"]["node"]
    assert seen["merchantDetails"]["legalIdentity"]["complete"] is True
    assert seen["legalNotice"]["registration"] == "RM 974 732 829 320"
    assert seen["legalNotice"]["shareCapital"] == "au capital de 7 500,00 €"
    assert SIRET.startswith(seen["legalNotice"]["siren"])
