"""Invoices in the shop's name and credit notes: figures read back from the PDF, who may
download them, and gap-free numbers under concurrent payments."""

from __future__ import annotations

import asyncio
import io
from urllib.parse import urlsplit

import pypdf
from sqlalchemy import select

from otesaintjo.models import Invoice
from tests.support.buying import ADD, FULFIL, Town, buy, ok, pay
from tests.support.graphql import pk_of
from tests.support.merchants import add_product
from tests.support.returns import CONFIRM, REQUEST, delivered_rice

INVOICES = """query($id: ID!) { node(id: $id) { ... on Order {
  lines { id } invoices { number kind total { cents } downloadUrl } } } }"""


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


async def download(client, url: str, token: str | None = None):
    parts = urlsplit(url)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return await client.http.get(path, headers=headers)


async def test_invoice_figures_and_who_may_read_it(client, offline_stripe, mailbox) -> None:
    town = await Town(client).build()
    jam = await add_product(
        client,
        town.baker_token,
        town.bakery["id"],
        name="Confiture",
        priceCents=450,
        vatRate="REDUCED",
    )
    customer = await town.customer("client@example.re")
    await client(ADD, {"id": jam["id"], "q": 1}, token=customer)
    purchase = await buy(client, offline_stripe, town, customer, bread=2, rice=0)
    (order,) = purchase["orders"]
    (invoice,) = (await client(INVOICES, {"id": order["id"]}, token=customer))["data"]["node"][
        "invoices"
    ]
    assert invoice["kind"] == "INVOICE" and invoice["total"]["cents"] == 2 * 250 + 450 + 350
    assert invoice["number"].endswith("-000001")

    response = await download(client, invoice["downloadUrl"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        f"FACTURE n° {invoice['number']}",
        # The seller by its legal identity (CGI art. 242 nonies A), the shop by its name.
        "Vendeur : Boulangerie Payet, SAS",
        "Boutique « Boulangerie du Centre »",
        "SIREN : 732829320 - SIRET : 73282932000074",
        "RCS Saint-Pierre 732 829 320",
        "N° TVA intracommunautaire : FR44732829320",
        "Client : Léa Técher",
        "5 chemin Bœuf Mort, 97480 Saint-Joseph",
        # Pain: 2 × 2,50 € TTC at 8,5 %: unit 2,30 € HT, VAT 0,39 € on the line.
        "Pain 2 2,30 € 8,5 % 0,39 € 5,00 €",
        # Confiture: 4,50 € at 2,1 %: 4,41 € HT, VAT 0,09 €.
        "Confiture 1 4,41 € 2,1 % 0,09 € 4,50 €",
        # Delivery, a line of its own at 8,5 %: 3,50 € TTC, VAT 0,27 €.
        "Frais de livraison 1 3,23 € 8,5 % 0,27 € 3,50 €",
        "TVA 2,1 % : base HT 4,41 €, TVA 0,09 €",
        "TVA 8,5 % : base HT 7,84 €, TVA 0,66 €",
        "Total HT : 12,25 €",
        "Total TVA : 0,75 €",
        "Total TTC : 13,00 €",
        "Facture émise par Otesaintjo au nom et pour le compte de Boulangerie Payet (mandat de"
        " facturation, art. 289 I-2 du CGI).",
    ):
        assert expected in text, f"{expected!r} not in:\n{text}"

    # The confirmation email carries the same PDF.
    (confirmation,) = await mailbox.wait_for_subject("Votre commande est confirmée")
    (attachment,) = list(confirmation.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{invoice['number']}.pdf"
    assert f"FACTURE n° {invoice['number']}" in pdf_text(attachment.get_content())

    # Customer and shop with their token; nobody else, and no forged link.
    path = urlsplit(invoice["downloadUrl"]).path
    assert (await download(client, path, customer)).status_code == 200
    assert (await download(client, path, town.baker_token)).status_code == 200
    stranger = await town.customer("curieux@example.re")
    for token in (stranger, town.grocer_token, None):
        assert (await download(client, path, token)).status_code == 404
    forged = invoice["downloadUrl"].replace("token=", "token=x")
    assert (await download(client, forged)).status_code == 404
    assert (await download(client, "/invoices/999.pdf", customer)).status_code == 404


async def test_a_refund_gets_a_credit_note(client, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    # Rice, returnable (the bakery's bread is perishable: L221-28 4°).
    order = await delivered_rice(client, offline_stripe, town, customer)
    lines = (await client(INVOICES, {"id": order["id"]}, token=customer))["data"]["node"]["lines"]
    back = await ok(
        client(
            REQUEST,
            {
                "input": {
                    "orderId": order["id"],
                    "lines": [{"orderLineId": lines[0]["id"], "quantity": 2}],
                }
            },
            token=customer,
        ),
        "requestReturn",
    )
    await ok(
        client(
            CONFIRM,
            {"input": {"returnId": back["return"]["id"], "condition": "GOOD"}},
            token=town.grocer_token,
        ),
        "confirmReturnReceived",
    )
    invoice, note = (await client(INVOICES, {"id": order["id"]}, token=customer))["data"]["node"][
        "invoices"
    ]
    assert (note["kind"], note["total"]["cents"]) == ("CREDIT_NOTE", 2750)
    assert note["number"].startswith("AV-") and note["number"].endswith("-000002")
    text = pdf_text((await download(client, note["downloadUrl"])).content)
    assert f"AVOIR n° {note['number']}" in text
    # Riz: 2 × 12,00 € TTC at 8,5 %: unit 11,06 € HT, VAT 1,88 € on the line.
    assert "Riz 2 11,06 € 8,5 % 1,88 € 24,00 €" in text
    assert "Frais de livraison 1 3,23 € 8,5 % 0,27 € 3,50 €" in text
    assert "Total TTC : 27,50 €" in text
    assert invoice["number"].endswith("-000001")


async def test_numbers_have_no_gap_under_fifty_concurrent_payments(
    client, offline_stripe, session_factory
) -> None:
    town = await Town(client).build()
    count = 50
    purchases = []
    for i in range(count):
        token = await town.customer(f"client{i}@example.re")
        await client(ADD, {"id": town.rice["id"], "q": 1}, token=token)
        await client(
            FULFIL, {"input": {"shopId": town.grocer["id"], "mode": "PICKUP"}}, token=token
        )
        purchase = (await town.checkout(token))["purchase"]
        await pay(offline_stripe, purchase["payment"]["clientSecret"])
        purchases.append((token, purchase["id"]))
    confirmed = await asyncio.gather(*[town.confirm(token, pid) for token, pid in purchases])
    assert all(c["purchase"]["status"] == "PAID" for c in confirmed)
    async with session_factory() as session:
        numbers = sorted(
            await session.scalars(
                select(Invoice.number).where(Invoice.shop_id == pk_of(town.grocer["id"]))
            )
        )
    assert numbers == list(range(1, count + 1))
