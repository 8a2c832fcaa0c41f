"""A storefront on another origin, in Chromium: browse, a two-shop cart kept at sign-up,
delivery options for a postcode, checkout, payment confirmed in the page with the publishable
key (Stripe.js, offline), and the merchant's live screen receiving the order."""

from __future__ import annotations

import re

from playwright.async_api import expect

from otesaintjo.web_assets import vendor_url
from tests.support.browser import Watched
from tests.support.buying import Town
from tests.support.graphql import PASSWORD

TIMEOUT_MS = 10_000


async def test_a_customer_buys_and_pays_from_another_origin(
    client, live_server, stripe_webhooks, storefront_origin, watched: Watched
) -> None:
    await Town(client).build()  # a bakery delivering 97480, a grocer for pickup
    api = f"http://{live_server}"

    merchant = await watched.page()
    await merchant.goto(
        f"{storefront_origin}/merchant.html?api={api}&graphqlWs={vendor_url('graphql-ws')}"
    )
    await merchant.get_by_label("E-mail").fill("boulanger@example.re")
    await merchant.get_by_label("Mot de passe").fill(PASSWORD)
    await merchant.get_by_role("button", name="Se connecter").click()
    await expect(merchant.locator("#status")).to_have_text(
        "En direct : Boulangerie du Centre", timeout=TIMEOUT_MS
    )

    shop = await watched.page()
    await shop.goto(f"{storefront_origin}/?api={api}")
    await expect(shop.locator("#status")).to_have_text("Catalogue chargé", timeout=TIMEOUT_MS)
    # An anonymous cart across two shops.
    await shop.get_by_role("button", name=re.compile(r"^Ajouter Pain")).click()
    await expect(shop.locator("#cart-count")).to_have_text("1 article(s)")
    await shop.get_by_role("button", name=re.compile(r"^Ajouter Riz")).click()
    await expect(shop.locator("#cart-count")).to_have_text("2 article(s)")

    # Signing up keeps the basket.
    await shop.get_by_label("E-mail").fill("lea@example.re")
    await shop.get_by_label("Mot de passe").fill(PASSWORD)
    await shop.get_by_label("Prénom").fill("Léa")
    await shop.get_by_label("Nom", exact=True).fill("Técher")
    await shop.get_by_role("button", name="Créer mon compte").click()
    await expect(shop.locator("#hello")).to_have_text("Bonjour Léa", timeout=TIMEOUT_MS)
    await expect(shop.locator("#cart-count")).to_have_text("2 article(s)")

    # Delivery options for a postcode, before any is chosen.
    await shop.get_by_label("Code postal de livraison").fill("97480")
    await shop.get_by_role("button", name="Voir les livraisons").click()
    bakery = shop.locator("fieldset[data-shop='Boulangerie du Centre']")
    await expect(bakery.get_by_label(re.compile(r"^La Poste — 5,90"))).to_be_visible()
    await expect(bakery.get_by_label(re.compile(r"^le commerçant — 3,50"))).to_be_visible()
    await expect(bakery.get_by_label(re.compile(r"^Stuart \(coursier\) — 7,90"))).to_be_visible()
    await bakery.get_by_label(re.compile(r"^La Poste")).check()
    await expect(shop.locator("#status")).to_have_text("Livraison choisie")
    grocer = shop.locator("fieldset[data-shop='Épicerie Hoarau']")
    await grocer.get_by_label("Retrait en boutique").check()
    await expect(grocer.get_by_label("Retrait en boutique")).to_be_checked()

    # Checkout, then the card typed in the page, confirmed with the publishable key.
    await shop.get_by_label("Téléphone").fill("0692 12 34 56")
    await shop.get_by_label("Rue").fill("5 chemin Bœuf Mort")
    await shop.get_by_label("Ville").fill("Saint-Joseph")
    await shop.get_by_role("button", name="Commander").click()
    await expect(shop.locator("#status")).to_have_text(
        re.compile(r"^À payer : 20,40"), timeout=TIMEOUT_MS
    )
    await shop.get_by_label("Numéro de carte").fill("4242 4242 4242 4242")
    await shop.get_by_label("Date d'expiration (MM/AA)").fill("12/34")
    await shop.get_by_label("Cryptogramme (CVC)").fill("123")
    await shop.get_by_role("button", name="Payer").click()
    await expect(shop.locator("#payment-result")).to_have_text(
        "Paiement succeeded : achat PAID", timeout=TIMEOUT_MS
    )
    await expect(shop.locator("#orders li")).to_have_text(["CEN-0001 PAID", "HOA-0001 PAID"])

    # The bakery's live screen got its order over the WebSocket, and only its own.
    await expect(merchant.locator("#orders li")).to_have_text(
        [re.compile(r"^CEN-0001 — Léa — 8,40")], timeout=TIMEOUT_MS
    )
    assert watched.blocked == []
    assert watched.errors == []
