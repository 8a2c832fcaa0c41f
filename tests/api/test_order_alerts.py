"""The alerts of a paid order: SMS and recap email to each shop, confirmation to the customer;
through the outbox, so an SMTP or SMS gateway outage delays them and loses none."""

from __future__ import annotations

import re

from sqlalchemy import select

from otesaintjo.models import Job
from otesaintjo.notifications.sms import SMS_JOB
from tests.doubles.smtp import wait_until
from tests.support.buying import Town, buy

EURO = r"\s€"  # the amount, a (non-breaking) space, the euro sign: « 12,50 € »


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


async def test_each_shop_gets_an_sms_and_a_recap(client, offline_stripe, mailbox, sms_gateway):
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    purchase = await buy(client, offline_stripe, town, customer, bread=2, rice=1)
    delivery, pickup = purchase["orders"]

    sms = await sms_gateway.wait_for(2)
    assert {m["to"] for m in sms} == {"+262692112233"}  # both shops' mobile, in E.164
    assert all(m["sender"] == "Otesaintjo" for m in sms)
    bakery_sms = next(m["text"] for m in sms if "Boulangerie du Centre" in m["text"])
    assert delivery["number"] == "CEN-0001" and pickup["number"] == "HOA-0001"
    assert re.search(
        rf"nouvelle commande CEN-0001 pour Boulangerie du Centre \(8,50{EURO}, à livrer\)\. "
        r"https://otesaintjo\.test/commercant/commandes/CEN-0001$",
        bakery_sms,
    )

    def recap_emails() -> list:
        return [m for m in mailbox.messages if m["Subject"].startswith("Nouvelle commande")]

    await wait_until(lambda: len(recap_emails()) == 2)
    recaps = {m["To"]: m for m in recap_emails()}
    bakery = text_of(recaps["boulangerie@example.re"])
    assert re.search(
        rf"Nouvelle commande CEN-0001 : 8,50{EURO}",
        recaps["boulangerie@example.re"]["Subject"],
    )
    for expected in (
        "Client : Léa Técher",
        "Téléphone : +262692123456",
        "Livraison par le commerçant à : 5 chemin Bœuf Mort, 97480 Saint-Joseph",
        "Voir la commande : https://otesaintjo.test/commercant/commandes/CEN-0001",
    ):
        assert expected in bakery, bakery
    assert re.search(rf"- 2 × Pain à 2,50{EURO} = 5,00{EURO}", bakery)
    assert re.search(rf"Livraison : 3,50{EURO}", bakery)
    assert re.search(rf"Total TTC : 8,50{EURO}", bakery)
    grocer = text_of(recaps["epicerie@example.re"])
    assert re.search(r"Retrait en boutique, à préparer pour le \d\d/\d\d/\d{4} à \d\d:\d\d", grocer)
    assert re.search(rf"- 1 × Riz à 12,00{EURO} = 12,00{EURO}", grocer)
    assert "Livraison par" not in grocer  # no address for a pickup

    (confirmation,) = await mailbox.wait_for_subject("Votre commande est confirmée")
    body = text_of(confirmation)
    assert re.search(rf"paiement de 20,50{EURO}", body)
    assert re.search(r"Prête au plus tard le \d\d/\d\d/\d{4} à \d\d:\d\d", body)
    assert "Livraison par le commerçant à 5 chemin Bœuf Mort, 97480 Saint-Joseph" in body
    assert "Boulangerie du Centre, commande CEN-0001" in body
    assert "Suivre la commande : https://boutique.otesaintjo.test/compte/commandes/HOA-0001" in body
    assert "MERCHANT" not in body and "PICKUP" not in body
    assert pickup["status"] == "PAID"


async def test_alerts_wait_out_an_smtp_and_sms_outage(
    client, offline_stripe, mailbox, sms_gateway, session_factory
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    mailbox.stop()
    sms_gateway.stop()
    await buy(client, offline_stripe, town, customer, bread=0, rice=1)

    async def sms_failed() -> bool:
        async with session_factory() as session:
            job = (await session.execute(select(Job).where(Job.kind == SMS_JOB))).scalar_one()
            return job.attempts >= 1 and job.last_error is not None and job.done_at is None

    await wait_until(sms_failed, timeout=10)
    assert sms_gateway.messages == []
    assert mailbox.with_subject("Votre commande est confirmée") == []
    mailbox.start()
    sms_gateway.start()
    (sms,) = await sms_gateway.wait_for(1, timeout=20)
    assert "Épicerie Hoarau" in sms["text"]
    await mailbox.wait_for_subject("Votre commande est confirmée", timeout=20)
    await wait_until(
        lambda: any(m["Subject"].startswith("Nouvelle commande") for m in mailbox.messages),
        timeout=20,
    )
