"""The merchants' order board the API serves at /commercant, in Chromium: sign-in, live
orders over the WebSocket (sound, vibration, tab title), the step buttons, the SMS link,
reconnection after a server restart without showing an order twice, the session's end,
accessibility (axe-core), the Content-Security-Policy, and the GraphQL documents."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import graphql
import pytest
import time_machine
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect
from starlette.types import ASGIApp
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from otesaintjo.graphql_schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, build_schema
from otesaintjo.merchant_pages import MERCHANT_DIR
from otesaintjo.payments.offline.processes import OfflineStripe
from tests.support.browser import Watched
from tests.support.buying import Town, pay
from tests.support.graphql import PASSWORD, GraphQLClient
from tests.support.merchants import open_shop

TIMEOUT_MS = 10_000
LIVE_MS = 2_000  # a new order is on the board within 2 s
DOCUMENTS = MERCHANT_DIR / "documents.json"
CUSTOMER_ORDERS = """query CustomerOrders { viewer { orders { edges { node {
  number status pickupCode } } } } }"""
AUTH_KEY = "otesaintjo.commercant.auth"
LOGOUT = "mutation PageLogout { logout { closedSessions userErrors { code } } }"
# What the page's alerts did: the test wraps the browser's APIs, the page is unchanged.
ALERT_HOOKS = """
window.__alerts = {vibrations: 0, oscillators: 0, contexts: 0};
Object.defineProperty(Navigator.prototype, "vibrate", {
  configurable: true,
  value() { window.__alerts.vibrations += 1; return true; },
});
const NativeAudioContext = window.AudioContext;
window.AudioContext = class extends NativeAudioContext {
  constructor(...args) { super(...args); window.__alerts.contexts += 1; }
  createOscillator() { window.__alerts.oscillators += 1; return super.createOscillator(); }
};
"""
# Chromium's own messages while the server is down, not script errors.
NETWORK_NOISE = re.compile(r"^(WebSocket connection to .* failed|Failed to load resource)")


async def buy(
    client: GraphQLClient,
    offline_stripe: OfflineStripe,
    town: Town,
    token: str,
    bread: int = 0,
    rice: int = 0,
) -> dict[str, Any]:
    """A paid purchase, confirmed through the API as the storefront does after Stripe.js."""
    await town.fill_cart(token, bread=bread, rice=rice)
    purchase = (await town.checkout(token))["purchase"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    confirmed = (await town.confirm(token, purchase["id"]))["purchase"]
    assert confirmed["status"] == "PAID", confirmed
    return confirmed


async def sign_in(page: Page, email: str) -> None:
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()


def card(page: Page, number: str):
    return page.locator(f"article[data-number='{number}']")


def group(page: Page, status: str):
    return page.locator(f".group[data-status='{status}']")


async def customer_orders(client: GraphQLClient, token: str) -> dict[str, dict[str, Any]]:
    body = await client(CUSTOMER_ORDERS, token=token)
    assert "errors" not in body, body
    return {e["node"]["number"]: e["node"] for e in body["data"]["viewer"]["orders"]["edges"]}


def script_errors(watched: Watched) -> list[str]:
    return [e for e in watched.errors if not NETWORK_NOISE.match(e)]


async def test_a_paid_order_appears_live_only_on_its_shops_board(
    client, live_server, offline_stripe, watched: Watched
) -> None:
    town = await Town(client).build()
    customer = await town.customer("lea@example.re")
    page = await watched.page()
    await page.add_init_script(ALERT_HOOKS)
    response = await page.goto(f"http://{live_server}/commercant")
    assert response is not None and "content-security-policy" in response.headers
    await sign_in(page, "boulanger@example.re")
    await expect(page.locator("#live-status")).to_have_text("En direct", timeout=TIMEOUT_MS)
    await expect(page).to_have_title("Commandes — Boulangerie du Centre")
    await expect(group(page, "PAID").locator("article")).to_have_count(0)

    # Bread delivered by the bakery and rice at the grocer's: one purchase, two orders.
    purchase = await buy(client, offline_stripe, town, customer, bread=2, rice=1)
    paid_at = time.monotonic()
    numbers = sorted(o["number"] for o in purchase["orders"])
    assert numbers == ["CEN-0001", "HOA-0001"]
    order = card(page, "CEN-0001")
    await expect(order).to_be_visible(timeout=LIVE_MS)
    shown_after = time.monotonic() - paid_at
    print(f"\nthe paid order is on the board {shown_after * 1000:.0f} ms after payment")
    assert shown_after < LIVE_MS + 0.5
    await expect(order.get_by_role("heading", name="CEN-0001")).to_be_visible()
    await expect(order).to_contain_text("Léa Técher")
    await expect(order).to_contain_text("+262 692 12 34 56")
    await expect(order).to_contain_text(re.compile(r"2 × Pain\s*5,00\s€"))
    await expect(order).to_contain_text("Livraison à domicile, par le commerçant")
    await expect(order).to_contain_text("5 chemin Bœuf Mort")
    # No slots published: the merchant's own delivery promises the next working day.
    await expect(order.locator(".promise")).to_have_text(
        re.compile(r"^Livraison estimée le \S+ (1er|\d+) \S+$")
    )
    await expect(order).to_contain_text(re.compile(r"Livraison\s*3,50\s€"))
    await expect(order).to_contain_text(re.compile(r"Total\s*8,50\s€"))
    await expect(order).to_contain_text(re.compile(r"Payée aujourd’hui à \d\d:\d\d"))
    await expect(order.locator(".badge-new")).to_have_text("Nouvelle")
    await expect(page).to_have_title("(1) Commandes — Boulangerie du Centre")
    alerts = await page.evaluate("window.__alerts")
    assert alerts["contexts"] == 1  # created on the sign-in click
    assert alerts["oscillators"] >= 1 and alerts["vibrations"] == 1

    # The grocer's order of the same purchase, and one more at the grocer's only: never here.
    await buy(client, offline_stripe, town, customer, rice=1)
    await page.wait_for_timeout(1_000)
    await expect(page.locator("article[data-number^='HOA-']")).to_have_count(0)
    await expect(page.locator("article")).to_have_count(1)
    assert (await page.evaluate("window.__alerts"))["vibrations"] == 1

    # Touching the page acknowledges the new orders.
    await page.locator("main").click(position={"x": 5, "y": 5})
    await expect(page).to_have_title("Commandes — Boulangerie du Centre")

    # Delivery: shipped with a carrier and tracking number, then delivered (off the board).
    await expect(order.get_by_label("Transporteur")).to_have_value("le commerçant")
    await order.get_by_label("Numéro de suivi").fill("TOURNEE-12")
    await order.get_by_role("button", name="Expédiée").click()
    shipped = group(page, "SHIPPED").locator("article[data-number='CEN-0001']")
    await expect(shipped).to_contain_text("Suivi : le commerçant TOURNEE-12", timeout=TIMEOUT_MS)
    await expect(group(page, "PAID").locator("article")).to_have_count(0)
    await shipped.get_by_role("button", name="Livrée").click()
    await expect(page.locator("article")).to_have_count(0, timeout=TIMEOUT_MS)
    assert (await customer_orders(client, customer))["CEN-0001"]["status"] == "DELIVERED"

    assert watched.blocked == []
    assert watched.errors == []


async def test_an_order_paid_while_the_board_subscribes_is_shown(
    client, live_server, offline_stripe, watched: Watched, monkeypatch
) -> None:
    """The server starts the subscription late (a busy process): the board says « En direct »,
    re-reads nothing new, and an order is paid before the server has read the shop's log. A
    first order of a shop with no event yet: the board asked for the log from its first event,
    so the order comes all the same (before, it was old to the server and never pushed)."""
    from otesaintjo.services import live_orders

    started = live_orders.placed_orders

    async def late(*args: Any, **kwargs: Any):
        await asyncio.sleep(2.5)
        async for pushed in started(*args, **kwargs):
            yield pushed

    monkeypatch.setattr(live_orders, "placed_orders", late)  # the server runs in this process
    town = await Town(client).build()
    customer = await town.customer("lea@example.re")
    page = await watched.page()
    await page.goto(f"http://{live_server}/commercant")
    await sign_in(page, "boulanger@example.re")
    await expect(page.locator("#live-status")).to_have_text("En direct", timeout=TIMEOUT_MS)
    await page.wait_for_timeout(800)  # past the board's re-read after connecting
    await buy(client, offline_stripe, town, customer, bread=1)
    await expect(card(page, "CEN-0001")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(page.locator("article")).to_have_count(1)
    assert script_errors(watched) == []


SLOT = """mutation($input: CreateDeliverySlotInput!) { createDeliverySlot(input: $input) {
  userErrors { code } } }"""
CART_SLOTS = """{ cart { shops { deliverySlots { slot { id } date label } } } }"""
CHOOSE_SLOT = """mutation($input: CartSetDeliverySlotInput!) { cartSetDeliverySlot(input: $input) {
  userErrors { code } } }"""


async def test_the_card_states_the_delivery_slot_sold(
    client, live_server, offline_stripe, watched: Watched
) -> None:
    town = await Town(client).build()
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"):
        made = await client(
            SLOT,
            {
                "input": {
                    "shopId": town.bakery["id"],
                    "day": day,
                    "starts": "21:00",
                    "ends": "22:30",
                    "capacity": 3,
                }
            },
            token=town.baker_token,
        )
        assert made["data"]["createDeliverySlot"]["userErrors"] == []
    customer = await town.customer("lea@example.re")
    await town.fill_cart(customer, bread=1, rice=0)
    first = (await client(CART_SLOTS, token=customer))["data"]["cart"]["shops"][0]["deliverySlots"][
        0
    ]
    chosen = await client(
        CHOOSE_SLOT,
        {
            "input": {
                "shopId": town.bakery["id"],
                "slotId": first["slot"]["id"],
                "date": first["date"],
            }
        },
        token=customer,
    )
    assert chosen["data"]["cartSetDeliverySlot"]["userErrors"] == []
    purchase = (await town.checkout(customer))["purchase"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    assert (await town.confirm(customer, purchase["id"]))["purchase"]["status"] == "PAID"

    page = await watched.page()
    await page.goto(f"http://{live_server}/commercant")
    await sign_in(page, "boulanger@example.re")
    order = card(page, "CEN-0001")
    await expect(order.locator(".promise")).to_have_text(
        f"Livraison le {first['label']}", timeout=TIMEOUT_MS
    )
    assert first["label"].endswith("entre 21 h et 22 h 30")
    assert watched.blocked == []
    assert watched.errors == []


async def test_pickup_ready_then_collected_with_the_customers_code(
    client, live_server, offline_stripe, watched: Watched
) -> None:
    town = await Town(client).build()
    customer = await town.customer("lea@example.re")
    await buy(client, offline_stripe, town, customer, rice=2)
    page = await watched.page()
    await page.goto(f"http://{live_server}/commercant")
    await sign_in(page, "epicier@example.re")
    order = group(page, "PAID").locator("article[data-number='HOA-0001']")
    await expect(order).to_contain_text("Retrait en boutique", timeout=TIMEOUT_MS)
    await expect(order).to_contain_text(re.compile(r"À préparer pour .*\d\d:\d\d"))
    await expect(order).to_contain_text(re.compile(r"2 × Riz\s*24,00\s€"))
    await expect(order.locator(".badge-new")).to_have_count(0)  # there before: not new

    # A problem, reported with the textarea: shown on the card, the status is unchanged.
    await order.get_by_role("button", name="Signaler un problème").click()
    await order.get_by_label(re.compile("^Le problème")).fill("Plus que 1 kg de riz en rayon.")
    await order.get_by_role("button", name="Envoyer le signalement").click()
    await expect(order).to_contain_text("Problème signalé : Plus que 1 kg de riz en rayon.")

    await order.get_by_role("button", name="Prête").click()
    ready = group(page, "READY_FOR_PICKUP").locator("article[data-number='HOA-0001']")
    await expect(ready).to_be_visible(timeout=TIMEOUT_MS)
    await expect(group(page, "PAID").locator("article")).to_have_count(0)
    seen = (await customer_orders(client, customer))["HOA-0001"]
    assert seen["status"] == "READY_FOR_PICKUP"
    code = seen["pickupCode"]
    assert re.fullmatch(r"\d{6}", code)

    wrong = "000000" if code != "000000" else "111111"
    await ready.get_by_label("Code de retrait du client (6 chiffres)").fill(wrong)
    await ready.get_by_role("button", name="Retirée").click()
    alert = ready.locator("form[data-action='markOrderCollected'] [role='alert']")
    await expect(alert).to_have_text("Ce code de retrait ne correspond pas.", timeout=TIMEOUT_MS)
    await expect(ready).to_be_visible()

    await ready.get_by_label("Code de retrait du client (6 chiffres)").fill(code)
    await ready.get_by_role("button", name="Retirée").click()
    await expect(page.locator("article")).to_have_count(0, timeout=TIMEOUT_MS)
    assert (await customer_orders(client, customer))["HOA-0001"]["status"] == "COLLECTED"
    assert watched.blocked == []
    assert watched.errors == []


async def test_the_sms_link_signs_in_then_shows_that_order(
    client, live_server, offline_stripe, watched: Watched
) -> None:
    town = await Town(client).build()
    customer = await town.customer("lea@example.re")
    await buy(client, offline_stripe, town, customer, bread=1, rice=1)
    page = await watched.page()
    link = f"http://{live_server}/commercant/commandes/HOA-0001"
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=TIMEOUT_MS)
    await sign_in(page, "epicier@example.re")
    order = card(page, "HOA-0001")
    await expect(order.get_by_role("heading", level=2, name="HOA-0001")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert page.url == link
    await expect(page).to_have_title("HOA-0001 — Commandes")
    await expect(order.get_by_role("button", name="Prête")).to_be_visible()
    await order.get_by_role("button", name="Prête").click()
    await expect(order).to_have_attribute("data-status", "READY_FOR_PICKUP", timeout=TIMEOUT_MS)
    await expect(order.get_by_role("button", name="Retirée")).to_be_visible()

    # Another shop's order is not found, whoever asks: the grocer cannot open the bakery's.
    await page.goto(f"http://{live_server}/commercant/commandes/CEN-0001")
    await expect(page.get_by_role("heading", name="Commande introuvable")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    await page.get_by_role("link", name="Retour au tableau des commandes").click()
    await expect(page).to_have_url(f"http://{live_server}/commercant")
    ready = group(page, "READY_FOR_PICKUP").locator("article[data-number='HOA-0001']")
    await expect(ready).to_be_visible(timeout=TIMEOUT_MS)
    await ready.get_by_role("link", name="HOA-0001").click()
    await expect(page).to_have_url(link)
    await expect(page.get_by_role("link", name="← Tableau des commandes")).to_be_visible()
    assert watched.blocked == []
    assert watched.errors == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serving_on(app: ASGIApp, port: int) -> AsyncIterator[str]:
    """Like ``tests.support.graphql.serving``, on a chosen port (to restart the server there)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # raises: the port is still taken
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_after_a_server_restart_a_missed_order_is_shown_exactly_once(
    app, client, offline_stripe, watched: Watched
) -> None:
    town = await Town(client).build()
    customer = await town.customer("lea@example.re")
    port = free_port()
    page = await watched.page()
    status = page.locator("#live-status")
    async with serving_on(app, port) as host:
        await page.goto(f"http://{host}/commercant")
        await sign_in(page, "boulanger@example.re")
        await expect(status).to_have_text("En direct", timeout=TIMEOUT_MS)
        await buy(client, offline_stripe, town, customer, bread=1)
        await expect(card(page, "CEN-0001")).to_be_visible(timeout=LIVE_MS)
    # The server is down (every connection cut): the page says so and keeps trying.
    await expect(status).to_have_text("Reconnexion…", timeout=TIMEOUT_MS)
    await buy(client, offline_stripe, town, customer, bread=3)  # paid while down: CEN-0002
    await page.wait_for_timeout(1_500)  # a few failed attempts, with backoff
    async with serving_on(app, port):
        await expect(status).to_have_text("En direct", timeout=15_000)
        await expect(card(page, "CEN-0002")).to_have_count(1, timeout=LIVE_MS)
        await expect(card(page, "CEN-0002")).to_contain_text("3 × Pain")
        await page.wait_for_timeout(1_000)  # the replay and the board re-read are both in
        await expect(card(page, "CEN-0002")).to_have_count(1)
        await expect(card(page, "CEN-0001")).to_have_count(1)
        await expect(page).to_have_title("(2) Commandes — Boulangerie du Centre")

        # The new subscription goes on live.
        await buy(client, offline_stripe, town, customer, bread=4)
        await expect(card(page, "CEN-0003")).to_have_count(1, timeout=LIVE_MS)
        await page.wait_for_timeout(500)
        await expect(page.locator("article")).to_have_count(3)
    assert watched.blocked == []
    assert script_errors(watched) == []


async def test_token_refresh_then_the_end_of_the_session(
    client, live_server, offline_stripe, watched: Watched
) -> None:
    await Town(client).build()
    page = await watched.page()
    await page.goto(f"http://{live_server}/commercant")
    await sign_in(page, "boulanger@example.re")
    status = page.locator("#live-status")
    await expect(status).to_have_text("En direct", timeout=TIMEOUT_MS)
    key = "otesaintjo.commercant.auth"
    stored = json.loads(await page.evaluate(f"sessionStorage.getItem('{key}')"))
    assert set(stored) == {"accessToken", "refreshToken", "accessTokenExpiresAt"}
    assert await page.evaluate("localStorage.length") == 0
    assert await page.evaluate("document.cookie") == ""

    # An access token the server refuses: one refresh (rotation), and the page goes on.
    broken = {**stored, "accessToken": "not-a-token"}
    await page.evaluate(f"sessionStorage.setItem('{key}', {json.dumps(json.dumps(broken))})")
    await page.reload()
    await expect(status).to_have_text("En direct", timeout=TIMEOUT_MS)
    rotated = json.loads(await page.evaluate(f"sessionStorage.getItem('{key}')"))
    assert rotated["refreshToken"] != stored["refreshToken"]
    assert rotated["accessToken"] != "not-a-token"

    # Logged out elsewhere: the server closes the socket (4403); refreshing fails; sign in.
    body = await client(LOGOUT, token=rotated["accessToken"])
    assert body["data"]["logout"]["closedSessions"] == 1, body
    await expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(page.locator("#signin-notice")).to_have_text(
        "Votre session a pris fin : reconnectez-vous."
    )
    assert await page.evaluate(f"sessionStorage.getItem('{key}')") is None

    # And the logout button.
    await sign_in(page, "boulanger@example.re")
    await expect(status).to_have_text("En direct", timeout=TIMEOUT_MS)
    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page.locator("#signin-notice")).to_have_text("Vous êtes déconnecté.")
    assert await page.evaluate(f"sessionStorage.getItem('{key}')") is None
    assert watched.blocked == []
    assert watched.errors == []


async def screenshot(page: Page, name: str) -> None:
    """For a person to look at: only where OTESAINTJO_SCREENSHOTS names a directory."""
    directory = os.environ.get("OTESAINTJO_SCREENSHOTS")
    if directory:
        await page.screenshot(path=os.path.join(directory, name), full_page=True)


async def stored_auth(page: Page) -> dict[str, str] | None:
    value = await page.evaluate(f"sessionStorage.getItem('{AUTH_KEY}')")
    return json.loads(value) if value else None


async def test_an_expired_token_on_the_socket_is_refreshed_and_orders_keep_coming(
    client, live_server, offline_stripe, watched: Watched
) -> None:
    with time_machine.travel(datetime.now(UTC), tick=True) as traveller:
        town = await Town(client).build()
        page = await watched.page()
        await page.goto(f"http://{live_server}/commercant")
        await sign_in(page, "boulanger@example.re")
        status = page.locator("#live-status")
        await expect(status).to_have_text("En direct", timeout=TIMEOUT_MS)
        before = await stored_auth(page)
        assert before is not None

        # The server's clock passes the token's expiry (the page's does not): the socket is
        # closed with 4403, the page refreshes its token once and subscribes again.
        traveller.shift(timedelta(minutes=11))
        for _ in range(100):
            after = await stored_auth(page)
            if after and after["refreshToken"] != before["refreshToken"]:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the page did not refresh its token")
        await expect(status).to_have_text("En direct", timeout=TIMEOUT_MS)
        customer = await town.customer("lea@example.re")  # signed in at the server's hour
        await buy(client, offline_stripe, town, customer, bread=1)
        await expect(card(page, "CEN-0001")).to_have_count(1, timeout=LIVE_MS)
    assert watched.blocked == []
    assert watched.errors == []


def serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def test_axe_finds_no_serious_violation_and_the_text_can_double(
    client, live_server, offline_stripe, watched: Watched
) -> None:
    town = await Town(client).build()
    # A second shop for the baker: the board offers a choice.
    await open_shop(client, town.baker_token, name="Pâtisserie du Port", email="p@example.re")
    customer = await town.customer("lea@example.re")
    await buy(client, offline_stripe, town, customer, bread=1)
    await buy(client, offline_stripe, town, customer, bread=2)
    axe = Axe()
    page = await watched.page()
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"http://{live_server}/commercant")
    await expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=TIMEOUT_MS)
    # Everything is reachable with the keyboard: the first Tab shows the skip link.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    assert serious(await axe.run(page)) == []

    await sign_in(page, "boulanger@example.re")
    await expect(page.get_by_role("heading", name="Choisissez une boutique")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    await page.get_by_label("Boutique", exact=True).select_option(label="Boulangerie du Centre")
    await expect(page.locator("#live-status")).to_have_text("En direct", timeout=TIMEOUT_MS)
    await expect(page.locator("article")).to_have_count(2)
    # One card of each step, and every form open.
    first = card(page, "CEN-0001")
    await first.get_by_label("Numéro de suivi").fill("T-1")
    await first.get_by_role("button", name="Expédiée").click()
    await expect(group(page, "SHIPPED").locator("article")).to_have_count(1, timeout=TIMEOUT_MS)
    for toggle in await page.get_by_role("button", name="Signaler un problème").all():
        await toggle.click()
    await card(page, "CEN-0002").get_by_role("button", name="Expédiée").click()  # no tracking
    await expect(card(page, "CEN-0002").get_by_role("alert").first).to_have_text(
        "Ce champ est obligatoire."
    )
    assert serious(await axe.run(page)) == []
    await screenshot(page, "board.png")

    # Text at 200 %: nothing needs a horizontal scroll.
    await page.evaluate("document.documentElement.style.fontSize = '200%'")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await screenshot(page, "board-200.png")
    assert watched.blocked == []
    assert watched.errors == []


async def test_the_pages_headers(client) -> None:
    for path in ("/commercant", "/commercant/", "/commercant/commandes/CEN-0001"):
        response = await client.http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="fr">' in response.text
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self' ws://testserver wss://testserver; font-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-cache"
    script = await client.http.get("/commercant/static/board.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "frame-ancestors 'none'" in script.headers["content-security-policy"]
    assert script.headers["x-content-type-options"] == "nosniff"
    missing = await client.http.get("/commercant/static/nothing.js")
    assert missing.status_code == 404
    assert "content-security-policy" in missing.headers
    # A Host header that would rewrite the policy is left out of it.
    forged = await client.http.get("/commercant", headers={"host": "evil; script-src *"})
    assert "evil" not in forged.headers["content-security-policy"]
    assert "connect-src 'self';" in forged.headers["content-security-policy"]
    # No inline script or style in the page itself.
    html = (MERCHANT_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html


async def test_every_document_of_the_page_validates_against_the_schema() -> None:
    documents = json.loads(DOCUMENTS.read_text(encoding="utf-8"))
    schema = build_schema()._schema
    rules = [
        *graphql.specified_rules,
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    fragments = set()
    for name, text in documents.items():
        document = graphql.parse(text, max_tokens=MAX_TOKENS)
        assert graphql.validate(schema, document, rules) == [], name
        operations = [
            d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)
        ]
        assert [o.name.value for o in operations if o.name] == [name]
        fragments |= {
            graphql.print_ast(d)
            for d in document.definitions
            if isinstance(d, graphql.FragmentDefinitionNode)
        }
    assert len(fragments) == 1  # the same order card everywhere
    # Every document the script names exists.
    script = (MERCHANT_DIR / "board.js").read_text(encoding="utf-8")
    used = set(re.findall(r'document: "(\w+)"', script))
    used |= set(re.findall(r'(?:gql|post)\("(\w+)"', script))
    used |= set(re.findall(r"state\.docs\.(\w+)", script))
    assert used and used <= set(documents), used - set(documents)
    assert set(documents) <= used, set(documents) - used
