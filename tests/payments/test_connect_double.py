"""The Connect test double, driven the way production code drives Stripe: stripe-python 16's
async ``StripeClient`` over HTTPX, against a real localstripe process for the payments.

localstripe runs once per module (it is GPL: a separate process, never imported); each test gets
a fresh double served by uvicorn on a loopback port, so no state leaks between tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import stripe
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from otesaintjo.payments.offline.connect_double import (
    ADDITIONAL_DOCUMENT,
    DOCUMENT,
    ConnectDouble,
    create_connect_double,
    parse_stripe_form,
)

# stripe-python 16's HTTPXClient posts with ``data=<bytes>``, which httpx 0.28 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=:DeprecationWarning")

API_KEY = "sk_test_x"
WEBHOOK_SECRET = "whsec_test_connect_double"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            reply = httpx.get(url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=1)
            if reply.status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    """A real localstripe process, fresh (``--from-scratch``) for this module.

    localstripe 1.15.10 pickles its store to the hard-coded ``/tmp/localstripe.pickle`` whatever
    TMPDIR says; the private TMPDIR only keeps its other temporary files apart.
    """
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="localstripe-") as tmp:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "localstripe"),
                "--port",
                str(port),
                "--from-scratch",
            ],
            env={**os.environ, "TMPDIR": tmp},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for_http(f"{url}/v1/customers", process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextlib.asynccontextmanager
async def _serve(app: Starlette) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn in this test's event loop, on a free loopback port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Double:
    url: str
    state: ConnectDouble


@pytest.fixture
async def double(localstripe: str) -> AsyncIterator[Double]:
    app = create_connect_double(localstripe, API_KEY)
    async with _serve(app) as url:
        yield Double(url, app.state.connect_double)


@pytest.fixture
async def connect(double: Double) -> AsyncIterator[stripe.StripeClient]:
    """The client production code uses, every base address pointed at the double."""
    http_client = stripe.HTTPXClient()
    yield stripe.StripeClient(
        API_KEY,
        http_client=http_client,
        base_addresses={"api": double.url, "files": double.url, "connect": double.url},
        max_network_retries=0,
    )
    await http_client.close_async()


@pytest.fixture
async def payments(localstripe: str) -> AsyncIterator[stripe.StripeClient]:
    """A client on localstripe, for the customer's payment the transfers come from."""
    http_client = stripe.HTTPXClient()
    yield stripe.StripeClient(
        API_KEY,
        http_client=http_client,
        base_addresses={"api": localstripe},
        max_network_retries=0,
    )
    await http_client.close_async()


@dataclass
class Received:
    requests: list[tuple[bytes, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, Received]]:
    """A webhook endpoint that records what it is sent (body, Stripe-Signature)."""
    received = Received()

    async def hook(request: Request) -> Response:
        received.requests.append((await request.body(), request.headers["stripe-signature"]))
        received.arrived.set()
        return Response(status_code=200)

    async with _serve(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        yield f"{url}/hook", received


def _image(fmt: str) -> io.BytesIO:
    """A tiny image file; ``name`` is what stripe-python sends as the part's filename."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=fmt)
    buffer.seek(0)
    buffer.name = f"piece.{fmt.lower()}"
    return buffer


async def _charge(payments: stripe.StripeClient, amount: int = 10000) -> str:
    """A succeeded card payment on localstripe; returns its charge id."""
    intent = await payments.v1.payment_intents.create_async(
        {
            "amount": amount,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "payment_method_types": ["card"],
        }
    )
    assert intent.status == "succeeded"
    charge = intent.latest_charge
    assert charge is not None
    return charge if isinstance(charge, str) else charge.id


async def _new_account(connect: stripe.StripeClient, email: str) -> stripe.Account:
    return await connect.v1.accounts.create_async(
        {
            "type": "custom",
            "country": "FR",
            "email": email,
            "business_profile": {"name": "Boutique test", "mcc": "5411"},
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"shop_id": "3"},
        }
    )


async def _verified_account(connect: stripe.StripeClient, email: str) -> stripe.Account:
    """An account whose identity documents are uploaded and attached: transfers allowed."""
    account = await _new_account(connect, email)
    front = await connect.v1.files.create_async(
        {"file": _image("PNG"), "purpose": "identity_document"}
    )
    extra = await connect.v1.files.create_async(
        {"file": _image("JPEG"), "purpose": "additional_verification"}
    )
    return await connect.v1.accounts.update_async(
        account.id,
        {
            "individual": {
                "verification": {
                    "document": {"front": front.id},
                    "additional_document": {"front": extra.id},
                }
            }
        },
    )


def test_parse_stripe_form_nests_brackets_and_indexes_lists() -> None:
    parsed = parse_stripe_form(
        [
            ("metadata[order_id]", "3"),
            ("metadata[0]", "kept as a key"),
            ("individual[verification][document][front]", "file_x"),
            ("expand[0]", "a"),
            ("expand[1]", "b"),
            ("events[]", "account.updated"),
            ("amount", "5400"),
            ("description", ""),
        ]
    )

    assert parsed == {
        "metadata": {"order_id": "3", "0": "kept as a key"},
        "individual": {"verification": {"document": {"front": "file_x"}}},
        "expand": ["a", "b"],
        "events": ["account.updated"],
        "amount": "5400",
        "description": "",
    }


async def test_accounts_files_and_onboarding(connect: stripe.StripeClient, double: Double) -> None:
    account = await _new_account(connect, "a@example.test")

    assert account.id.startswith("acct_")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.requirements.currently_due == [DOCUMENT, ADDITIONAL_DOCUMENT]
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.metadata["shop_id"] == "3"
    assert account.business_profile.name == "Boutique test"
    assert account.capabilities.transfers == "inactive"

    png = await connect.v1.files.create_async(
        {"file": _image("PNG"), "purpose": "identity_document"}
    )
    jpeg = await connect.v1.files.create_async(
        {"file": _image("JPEG"), "purpose": "additional_verification"}
    )
    assert (png.type, png.filename, png.purpose) == ("png", "piece.png", "identity_document")
    assert jpeg.type == "jpg"
    assert png.size > 0

    with pytest.raises(stripe.InvalidRequestError) as gif:
        await connect.v1.files.create_async({"file": _image("GIF"), "purpose": "identity_document"})
    assert gif.value.param == "file"
    with pytest.raises(stripe.InvalidRequestError) as purpose:
        await connect.v1.files.create_async({"file": _image("PNG"), "purpose": "dispute_evidence"})
    assert purpose.value.param == "purpose"

    with pytest.raises(stripe.InvalidRequestError) as unknown_file:
        await connect.v1.accounts.update_async(
            account.id, {"individual": {"verification": {"document": {"front": "file_nope"}}}}
        )
    assert unknown_file.value.param == "individual[verification][document][front]"

    half = await connect.v1.accounts.update_async(
        account.id, {"individual": {"verification": {"document": {"front": png.id}}}}
    )
    assert half.requirements.currently_due == [ADDITIONAL_DOCUMENT]
    assert not half.payouts_enabled

    done = await connect.v1.accounts.update_async(
        account.id,
        {
            "individual": {"verification": {"additional_document": {"front": jpeg.id}}},
            "metadata": {"shop_id": "", "note": "ok"},
        },
    )
    assert done.requirements.currently_due == []
    assert done.requirements.disabled_reason is None
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (
        True,
        True,
        True,
    )
    assert done.individual.verification.document.front == png.id
    assert done.metadata.to_dict() == {"note": "ok"}
    assert done.capabilities.transfers == "active"
    assert (await connect.v1.accounts.retrieve_async(account.id)).payouts_enabled

    with pytest.raises(stripe.InvalidRequestError) as missing:
        await connect.v1.accounts.retrieve_async("acct_nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")

    other = await _new_account(connect, "b@example.test")
    link = await connect.v1.account_links.create_async(
        {
            "account": other.id,
            "refresh_url": "https://otesaintjo.test/refresh",
            "return_url": "https://otesaintjo.test/retour",
            "type": "account_onboarding",
        }
    )
    assert link.url == f"{double.url}/_double/onboarding/{other.id}"
    assert link.expires_at > link.created
    with pytest.raises(stripe.InvalidRequestError) as no_account:
        await connect.v1.account_links.create_async(
            {"account": "acct_nope", "type": "account_onboarding"}
        )
    assert no_account.value.http_status == 404

    async with httpx.AsyncClient() as browser:
        page = await browser.get(link.url)
        assert page.status_code == 200
        assert "Onboarding simulé — aucun argent réel" in page.text
        assert f'action="/_double/accounts/{other.id}/complete"' in page.text
        redirected = await browser.post(
            f"{double.url}/_double/accounts/{other.id}/complete", data={"redirect": "1"}
        )
        assert redirected.status_code == 303
        assert redirected.headers["location"] == "https://otesaintjo.test/retour"
    assert (await connect.v1.accounts.retrieve_async(other.id)).payouts_enabled


async def test_transfers_and_reversals(
    connect: stripe.StripeClient, payments: stripe.StripeClient
) -> None:
    charge = await _charge(payments)
    first = await _verified_account(connect, "a@example.test")
    second = await _verified_account(connect, "b@example.test")
    pending = await _new_account(connect, "c@example.test")

    big = await connect.v1.transfers.create_async(
        {
            "amount": 5400,
            "currency": "eur",
            "destination": first.id,
            "source_transaction": charge,
            "transfer_group": "order_3",
            "metadata": {"order_id": "3"},
        }
    )
    small = await connect.v1.transfers.create_async(
        {
            "amount": 3600,
            "currency": "eur",
            "destination": second.id,
            "source_transaction": charge,
            "transfer_group": "order_3",
        }
    )
    assert big.id.startswith("tr_")
    assert (big.amount, big.amount_reversed, big.reversed) == (5400, 0, False)
    assert (big.destination, big.source_transaction, big.transfer_group) == (
        first.id,
        charge,
        "order_3",
    )
    assert big.metadata["order_id"] == "3"

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        await connect.v1.transfers.create_async(
            {
                "amount": 1001,
                "currency": "eur",
                "destination": first.id,
                "source_transaction": charge,
            }
        )
    assert too_much.value.param == "amount"

    with pytest.raises(stripe.InvalidRequestError) as not_enabled:
        await connect.v1.transfers.create_async(
            {"amount": 100, "currency": "eur", "destination": pending.id}
        )
    assert not_enabled.value.param == "destination"
    assert "capabilities enabled: transfers" in str(not_enabled.value.user_message)

    with pytest.raises(stripe.InvalidRequestError) as no_destination:
        await connect.v1.transfers.create_async(
            {"amount": 100, "currency": "eur", "destination": "acct_nope"}
        )
    assert no_destination.value.param == "destination"

    with pytest.raises(stripe.InvalidRequestError) as no_charge:
        await connect.v1.transfers.create_async(
            {
                "amount": 100,
                "currency": "eur",
                "destination": first.id,
                "source_transaction": "ch_doesnotexist",
            }
        )
    assert no_charge.value.param == "source_transaction"

    with pytest.raises(stripe.InvalidRequestError) as zero:
        await connect.v1.transfers.create_async(
            {"amount": 0, "currency": "eur", "destination": first.id}
        )
    assert zero.value.param == "amount"

    listed = await connect.v1.transfers.list_async({"transfer_group": "order_3", "limit": 10})
    assert [t.id for t in listed.data] == [small.id, big.id]
    only_first = await connect.v1.transfers.list_async({"destination": first.id})
    assert [t.id for t in only_first.data] == [big.id]

    reversal = await connect.v1.transfers.reversals.create_async(
        small.id, {"amount": 3600, "metadata": {"reason": "annulation"}}
    )
    assert reversal.id.startswith("trr_")
    assert (reversal.object, reversal.amount, reversal.transfer) == (
        "transfer_reversal",
        3600,
        small.id,
    )
    with pytest.raises(stripe.InvalidRequestError):
        await connect.v1.transfers.reversals.create_async(small.id, {"amount": 1})

    reversed_small = await connect.v1.transfers.retrieve_async(small.id)
    assert (reversed_small.amount_reversed, reversed_small.reversed) == (3600, True)
    assert [r.id for r in reversed_small.reversals.data] == [reversal.id]

    # The reversed 36.00 can go out again from the same charge.
    again = await connect.v1.transfers.create_async(
        {"amount": 4600, "currency": "eur", "destination": second.id, "source_transaction": charge}
    )
    assert again.amount == 4600

    partial = await connect.v1.transfers.reversals.create_async(big.id, {"amount": 400})
    rest = await connect.v1.transfers.reversals.create_async(big.id)
    assert (partial.amount, rest.amount) == (400, 5000)


async def test_idempotency_key_replays_the_first_transfer(
    connect: stripe.StripeClient, payments: stripe.StripeClient
) -> None:
    charge = await _charge(payments, amount=2000)
    account = await _verified_account(connect, "a@example.test")
    params: stripe.params.TransferCreateParams = {
        "amount": 1500,
        "currency": "eur",
        "destination": account.id,
        "source_transaction": charge,
        "transfer_group": "order_9",
    }

    first = await connect.v1.transfers.create_async(params, options={"idempotency_key": "k"})
    second = await connect.v1.transfers.create_async(params, options={"idempotency_key": "k"})

    assert second.id == first.id
    listed = await connect.v1.transfers.list_async({"transfer_group": "order_9"})
    assert [t.id for t in listed.data] == [first.id]
    with pytest.raises(stripe.IdempotencyError):
        await connect.v1.transfers.create_async(
            {**params, "amount": 100}, options={"idempotency_key": "k"}
        )


async def test_api_key_required(double: Double) -> None:
    async with httpx.AsyncClient() as http:
        reply = await http.get(f"{double.url}/v1/transfers")
        assert reply.status_code == 401
        assert reply.json()["error"]["type"] == "invalid_request_error"
        unknown = await http.get(
            f"{double.url}/v1/nothing", headers={"Authorization": f"Bearer {API_KEY}"}
        )
        assert unknown.status_code == 404
        assert "Unrecognized request URL" in unknown.json()["error"]["message"]

    http_client = stripe.HTTPXClient()
    client = stripe.StripeClient(
        "pk_test_not_secret",
        http_client=http_client,
        base_addresses={"api": double.url},
        max_network_retries=0,
    )
    with pytest.raises(stripe.AuthenticationError):
        await client.v1.accounts.retrieve_async("acct_x")
    await http_client.close_async()


async def test_signed_webhooks(
    connect: stripe.StripeClient, double: Double, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            f"{double.url}/_config/webhooks/test",
            json={"url": url, "secret": WEBHOOK_SECRET, "events": ["account.updated"]},
        )
    assert registered.status_code == 200
    account = await _new_account(connect, "a@example.test")
    assert received.requests == []  # creation is not an update

    async with httpx.AsyncClient() as http:
        completed = await http.post(f"{double.url}/_double/accounts/{account.id}/complete")
    assert completed.json()["payouts_enabled"] is True

    await asyncio.wait_for(received.arrived.wait(), timeout=5)
    body, signature = received.requests[0]
    event = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
    assert event.type == "account.updated"
    assert event.account == account.id
    assert event.api_version == stripe.api_version
    assert event.data.object.id == account.id
    assert event.data.object.payouts_enabled is True
    assert event.data.previous_attributes["payouts_enabled"] is False
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_wrong")
    assert [e["type"] for e in double.state.events] == ["account.updated"]


def test_main_serves_on_loopback(localstripe: str) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "otesaintjo.payments.offline.connect_double",
            "--port",
            str(port),
            "--localstripe",
            localstripe,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_http(f"{url}/v1/transfers", process)
        reply = httpx.get(
            f"{url}/v1/accounts/acct_x", headers={"Authorization": "Bearer sk_test_y"}
        )
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "resource_missing"
    finally:
        process.terminate()
        process.wait(timeout=10)
