"""Connect test double: a small HTTP app that answers like Stripe's v1 API for Stripe Connect.

This is a test double, NOT Stripe. No money moves: there are no balances, no payouts and no
disputes, only the bookkeeping our code reads back (accounts and their requirements, identity
files, account links, transfers and their reversals) plus signed webhooks. It is used by the
tests and by the offline embedded default ("paiements hors ligne — aucun argent réel").

It fills the Connect gaps of localstripe, which runs as a separate process (GPL: never imported
here); the only link to it is HTTP, to check a transfer's ``source_transaction`` charge.
It speaks the wire format of stripe-python 16 (``StripeClient`` with ``stripe.HTTPXClient()``):
form-encoded bodies with bracket nesting, multipart for ``files.create``, Stripe-shaped errors so
that the client raises the same exceptions as against Stripe, and ``Idempotency-Key`` replays.

Run it: ``python -m otesaintjo.payments.offline.connect_double --port 12112
--localstripe http://127.0.0.1:8420`` (it listens on 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import html
import json
import re
import secrets
import string
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import stripe
import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from otesaintjo.clock import utcnow
from otesaintjo.payments.offline import stripe_js

log = structlog.get_logger(__name__)

JSONDict = dict[str, Any]
Handler = Callable[["_Call"], Awaitable[JSONDict | Response]]

DOCUMENT = "individual.verification.document"
ADDITIONAL_DOCUMENT = "individual.verification.additional_document"
# (key under individual.verification, file purpose Stripe demands, requirement it satisfies)
_DOCUMENTS = (
    ("document", "identity_document", DOCUMENT),
    ("additional_document", "additional_verification", ADDITIONAL_DOCUMENT),
)
FILE_PURPOSES = frozenset({"identity_document", "additional_verification"})
MAX_FILE_BYTES = 10 * 1024 * 1024
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))
# Set by the double only: a client sending them gets Stripe's "unknown parameter" error.
_READ_ONLY_ACCOUNT_FIELDS = frozenset(
    {
        "id",
        "object",
        "created",
        "livemode",
        "charges_enabled",
        "payouts_enabled",
        "details_submitted",
        "requirements",
    }
)
_TRANSFER_CAPABILITY_MESSAGE = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)
WEBHOOK_TIMEOUT_SECONDS = 5.0
DEFAULT_PUBLISHABLE_KEY = "pk_test_offline_no_real_money"
LOCALSTRIPE_TIMEOUT_SECONDS = 5.0
_ID_ALPHABET = string.ascii_letters + string.digits
_KEY_PART = re.compile(r"\[([^\[\]]*)\]")
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class StripeShapedError(Exception):
    """An API error rendered as Stripe renders it, so stripe-python raises its own exception."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type_: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type_

    def response(self) -> JSONResponse:
        """The ``{"error": {...}}`` body stripe-python maps to an exception class."""
        error: JSONDict = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
        return JSONResponse({"error": error}, status_code=self.status)


def _missing(
    kind: str, object_id: str, *, param: str = "id", status: int = 404
) -> StripeShapedError:
    """Stripe's "No such …" error (404 for the path's object, 400 for a parameter)."""
    return StripeShapedError(
        status, f"No such {kind}: '{object_id}'", param=param, code="resource_missing"
    )


def parse_stripe_form(pairs: Iterable[tuple[str, str]]) -> JSONDict:
    """Nest Stripe's bracket keys: ``a[b][c]=1`` → ``{"a": {"b": {"c": "1"}}}``.

    stripe-python indexes every list (``expand[0]=x``), so all-digit keys become lists, except
    under ``metadata`` where ``"0"`` is a legitimate key. ``[]`` appends. Values stay strings,
    as on the wire; an empty value is kept (Stripe reads ``metadata[k]=`` as "unset k").
    """
    root: JSONDict = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        path = [match.group(1), *_KEY_PART.findall(match.group(2))] if match else [raw_key]
        node = root
        for depth, part in enumerate(path):
            name = part if part else str(len(node))
            if depth == len(path) - 1:
                if isinstance(node.get(name), dict):
                    raise StripeShapedError(400, f"Invalid value for {raw_key}", param=raw_key)
                node[name] = value
                break
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                raise StripeShapedError(400, f"Invalid hash for {raw_key}", param=raw_key)
            node = child
    return {key: _listify(value, key) for key, value in root.items()}


def _listify(value: Any, key: str) -> Any:
    """Turn ``{"0": a, "1": b}`` into ``[a, b]`` recursively (metadata excepted)."""
    if not isinstance(value, dict):
        return value
    if key == "metadata":
        return value
    children = {k: _listify(v, k) for k, v in value.items()}
    if children and all(k.isdigit() for k in children):
        return [children[k] for k in sorted(children, key=int)]
    return children


def _new_id(prefix: str) -> str:
    """Stripe-looking ids: a prefix and random alphanumerics."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def _now() -> int:
    """Unix seconds, through the project clock so frozen-time tests stay consistent."""
    return int(utcnow().timestamp())


def _positive_int(value: Any, param: str) -> int:
    """Amounts arrive as decimal strings; Stripe wants a positive integer of minor units."""
    if value is None or value == "":
        raise StripeShapedError(
            400, f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    text = str(value)
    if isinstance(value, bool) or not text.isdigit() or int(text) <= 0:
        raise StripeShapedError(
            400,
            f"Invalid positive integer: {param}",
            param=param,
            code="parameter_invalid_integer",
        )
    return int(text)


def _required_str(params: JSONDict, param: str) -> str:
    """A non-empty string parameter, or Stripe's "Missing required param" error."""
    value = params.get(param)
    if not isinstance(value, str) or not value:
        raise StripeShapedError(
            400, f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    return value


def _metadata(params: JSONDict) -> dict[str, str]:
    """Metadata must be a hash of strings; an empty string means none."""
    value = params.get("metadata", {})
    if value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise StripeShapedError(400, "Invalid hash", param="metadata")
    return {k: v for k, v in value.items() if v != ""}


def _reject_read_only(params: JSONDict) -> None:
    """Fields the double computes cannot be written, as on Stripe."""
    unknown = sorted(_READ_ONLY_ACCOUNT_FIELDS & params.keys())
    if unknown:
        raise StripeShapedError(
            400,
            f"Received unknown parameter: {unknown[0]}",
            param=unknown[0],
            code="parameter_unknown",
        )


def _merge(target: JSONDict, patch: JSONDict) -> None:
    """Deep merge of an update; ``metadata`` follows Stripe (empty value unsets a key)."""
    for key, value in patch.items():
        if key == "metadata":
            current = target.setdefault("metadata", {})
            if value == "":
                current.clear()
                continue
            for meta_key, meta_value in value.items():
                if meta_value == "":
                    current.pop(meta_key, None)
                else:
                    current[meta_key] = meta_value
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _bearer_ok(request: Request) -> bool:
    """Any secret test key is accepted (``Bearer sk_…``), as localstripe does."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.startswith("sk_") and len(token) > 3


@dataclass
class _Call:
    """One API request once parsed, and the events it will emit after its response."""

    request: Request
    params: JSONDict
    uploads: dict[str, UploadFile] = field(default_factory=dict)
    fingerprint: str = ""
    events: list[JSONDict] = field(default_factory=list)

    @property
    def path(self) -> dict[str, str]:
        """Path parameters of the matched route."""
        return dict(self.request.path_params)

    @property
    def base_url(self) -> str:
        """Where this double is reachable, to build account link URLs."""
        return str(self.request.base_url).rstrip("/")


@dataclass
class _Webhook:
    """A registered endpoint; ``events`` None means every event type."""

    url: str
    secret: str
    events: list[str] | None


@dataclass
class _Stored:
    """An idempotent response: replayed byte for byte for the same key."""

    status: int
    body: bytes
    fingerprint: str


class ConnectDouble:
    """The in-memory state and the handlers; one per app (``app.state.connect_double``)."""

    def __init__(self, localstripe_base: str, api_key: str) -> None:
        self.localstripe_base = localstripe_base.rstrip("/")
        self.api_key = api_key
        self.accounts: dict[str, JSONDict] = {}
        self.files: dict[str, JSONDict] = {}
        self.transfers: dict[str, JSONDict] = {}
        self.webhooks: dict[str, _Webhook] = {}
        self.events: list[JSONDict] = []
        self.return_urls: dict[str, str] = {}
        self.idempotent: dict[tuple[str, str, str, str], _Stored] = {}
        self._idempotency_locks: dict[tuple[str, str, str, str], asyncio.Lock] = {}
        # Strong references: the event loop only keeps weak ones to running tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    # --- plumbing -------------------------------------------------------------------------

    def endpoint(
        self, handler: Handler, *, api: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: auth, body parsing, idempotency and Stripe-shaped errors.

        ``api=False`` marks the double's own control routes (no key, no idempotency), like
        localstripe's ``/_config`` routes.
        """

        async def run(request: Request) -> Response:
            try:
                if api and not _bearer_ok(request):
                    raise StripeShapedError(
                        401,
                        "You did not provide a valid API key (Authorization: Bearer sk_…).",
                    )
                call = await _read_call(request)
                key = request.headers.get("idempotency-key")
                if not api or request.method != "POST" or not key:
                    return await self._respond(handler, call)
                return await self._respond_idempotently(handler, call, key)
            except StripeShapedError as exc:
                return exc.response()

        return run

    async def _respond_idempotently(self, handler: Handler, call: _Call, key: str) -> Response:
        """Same key, method and path: the stored response, without doing the work again.

        Only successes are stored: Stripe does not save requests refused by validation, so a
        client may retry them with the same key once the cause is fixed.
        """
        auth = call.request.headers.get("authorization", "")
        scope = (auth, call.request.method, call.request.url.path, key)
        async with self._idempotency_locks.setdefault(scope, asyncio.Lock()):
            stored = self.idempotent.get(scope)
            if stored is not None:
                if stored.fingerprint != call.fingerprint:
                    raise StripeShapedError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        type_="idempotency_error",
                    )
                return Response(
                    stored.body,
                    status_code=stored.status,
                    media_type="application/json",
                    headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
                )
            response = await self._respond(handler, call)
            if isinstance(response, JSONResponse) and 200 <= response.status_code < 300:
                self.idempotent[scope] = _Stored(
                    response.status_code, bytes(response.body), call.fingerprint
                )
            response.headers["Idempotency-Key"] = key
            return response

    async def _respond(self, handler: Handler, call: _Call) -> Response:
        """Run the handler; its events leave after the response is sent."""
        try:
            result = await handler(call)
        except StripeShapedError as exc:
            return exc.response()
        response = result if isinstance(result, Response) else JSONResponse(result)
        response.headers["Request-Id"] = _new_id("req_")
        if call.events:
            response.background = BackgroundTask(self._dispatch, list(call.events))
        return response

    def emit(
        self,
        call: _Call,
        event_type: str,
        obj: JSONDict,
        *,
        account: str | None = None,
        previous: JSONDict | None = None,
    ) -> None:
        """Record an event (a snapshot of ``obj``) to deliver once the response is out."""
        event: JSONDict = {
            "id": _new_id("evt_"),
            "object": "event",
            "type": event_type,
            "created": _now(),
            "livemode": False,
            "api_version": stripe.api_version,
            "data": {"object": copy.deepcopy(obj)},
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": call.request.headers.get("idempotency-key")},
        }
        if previous is not None:
            event["data"]["previous_attributes"] = copy.deepcopy(previous)
        if account is not None:
            event["account"] = account
        self.events.append(event)
        call.events.append(event)

    async def _dispatch(self, events: list[JSONDict]) -> None:
        """Detach delivery from the request, so a slow receiver never holds it."""
        for event in events:
            for webhook in list(self.webhooks.values()):
                if webhook.events is not None and event["type"] not in webhook.events:
                    continue
                task = asyncio.create_task(_deliver(webhook, event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for webhook deliveries in flight (app shutdown, tests); each one is bounded."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=WEBHOOK_TIMEOUT_SECONDS + 1)

    async def _fetch_charge(self, charge_id: str) -> JSONDict:
        """Read the source charge from localstripe, the one that holds payments."""
        url = f"{self.localstripe_base}/v1/charges/{quote(charge_id, safe='')}"
        headers = {"Authorization": f"Bearer {self.api_key}"}
        try:
            async with httpx.AsyncClient(timeout=LOCALSTRIPE_TIMEOUT_SECONDS) as client:
                reply = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("connect double: localstripe unreachable", url=url, error=str(exc))
            raise StripeShapedError(
                502, "The payment backend (localstripe) is unreachable.", type_="api_error"
            ) from exc
        if 400 <= reply.status_code < 500:
            raise _missing("charge", charge_id, param="source_transaction", status=400)
        if reply.status_code != 200:
            raise StripeShapedError(
                502, f"localstripe answered {reply.status_code}.", type_="api_error"
            )
        charge: JSONDict = reply.json()
        return charge

    # --- accounts -------------------------------------------------------------------------

    def _account(self, account_id: str, *, param: str = "id", status: int = 404) -> JSONDict:
        """A known account or Stripe's "No such account"."""
        account = self.accounts.get(account_id)
        if account is None:
            raise _missing("account", account_id, param=param, status=status)
        return account

    def _satisfied_requirements(self, params: JSONDict) -> list[str]:
        """Check the identity files an update points to; return the requirements they meet.

        Runs before any change, so a bad file id leaves the account untouched.
        """
        individual = params.get("individual")
        verification = individual.get("verification") if isinstance(individual, dict) else None
        if not isinstance(verification, dict):
            return []
        satisfied: list[str] = []
        for key, purpose, requirement in _DOCUMENTS:
            document = verification.get(key)
            if document is None:
                continue
            if not isinstance(document, dict):
                raise StripeShapedError(
                    400, "Invalid hash", param=f"individual[verification][{key}]"
                )
            for side in ("front", "back"):
                file_id = document.get(side)
                if file_id in (None, ""):
                    continue
                param = f"individual[verification][{key}][{side}]"
                upload = self.files.get(file_id) if isinstance(file_id, str) else None
                if upload is None:
                    raise _missing("file upload", str(file_id), param=param, status=400)
                if upload["purpose"] != purpose:
                    raise StripeShapedError(
                        400,
                        f"The file {file_id} has purpose {upload['purpose']}; "
                        f"{param} needs a file with purpose {purpose}.",
                        param=param,
                    )
                if side == "front":
                    satisfied.append(requirement)
        return satisfied

    def _apply(self, account: JSONDict, params: JSONDict) -> None:
        """Validate then merge create/update parameters into ``account``."""
        _reject_read_only(params)
        patch = {k: v for k, v in params.items() if k not in ("expand", "capabilities")}
        metadata = patch.get("metadata", "")
        if metadata != "" and not isinstance(metadata, dict):
            raise StripeShapedError(400, "Invalid hash", param="metadata")
        satisfied = self._satisfied_requirements(params)
        capabilities = params.get("capabilities")
        if capabilities is not None and not (
            isinstance(capabilities, dict)
            and all(isinstance(spec, dict) for spec in capabilities.values())
        ):
            raise StripeShapedError(400, "Invalid hash", param="capabilities")
        _merge(account, patch)
        status = "active" if account["payouts_enabled"] else "inactive"
        for name, spec in (capabilities or {}).items():
            if spec.get("requested") in ("false", False):
                account["capabilities"].pop(name, None)
            else:
                account["capabilities"][name] = status
        requirements = account["requirements"]
        for requirement in satisfied:
            for due in ("currently_due", "eventually_due", "past_due"):
                if requirement in requirements[due]:
                    requirements[due].remove(requirement)
        if not requirements["currently_due"] and not account["payouts_enabled"]:
            _enable(account)

    async def create_account(self, call: _Call) -> JSONDict:
        """POST /v1/accounts: stored as given, with every verification document still due."""
        params = call.params
        account: JSONDict = {
            "id": _new_id("acct_"),
            "object": "account",
            "type": "none" if "controller" in params else "custom",
            "livemode": False,
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "capabilities": {},
            "requirements": {
                "currently_due": [DOCUMENT, ADDITIONAL_DOCUMENT],
                "eventually_due": [DOCUMENT, ADDITIONAL_DOCUMENT],
                "past_due": [],
                "disabled_reason": "requirements.past_due",
            },
            "individual": {
                "verification": {
                    "document": {"front": None},
                    "additional_document": {"front": None},
                }
            },
            "metadata": {},
            "created": _now(),
        }
        self._apply(account, params)
        self.accounts[account["id"]] = account
        return account

    async def retrieve_account(self, call: _Call) -> JSONDict:
        """GET /v1/accounts/{id}."""
        return self._account(call.path["account_id"])

    async def update_account(self, call: _Call) -> JSONDict:
        """POST /v1/accounts/{id}: merge; documents lift their requirements."""
        account = self._account(call.path["account_id"])
        before = copy.deepcopy(account)
        candidate = copy.deepcopy(account)
        self._apply(candidate, call.params)
        if candidate != before:
            account.clear()
            account.update(candidate)
            self._account_updated(call, account, before)
        return account

    def _account_updated(self, call: _Call, account: JSONDict, before: JSONDict) -> None:
        """``account.updated`` with Stripe's ``previous_attributes`` (top-level keys)."""
        changed = {k: before.get(k) for k in account if before.get(k) != account.get(k)}
        self.emit(call, "account.updated", account, account=account["id"], previous=changed)

    async def create_account_link(self, call: _Call) -> JSONDict:
        """POST /v1/account_links: a URL to the double's simulated onboarding page."""
        account_id = _required_str(call.params, "account")
        self._account(account_id, param="account")
        _required_str(call.params, "type")
        return_url = call.params.get("return_url")
        if isinstance(return_url, str) and return_url:
            self.return_urls[account_id] = return_url
        created = _now()
        return {
            "object": "account_link",
            "url": f"{call.base_url}/_double/onboarding/{account_id}",
            "created": created,
            "expires_at": created + 300,
        }

    async def onboarding_page(self, call: _Call) -> Response:
        """GET /_double/onboarding/{acct}: the page a merchant would see, one button."""
        account_id = call.path["account_id"]
        self._account(account_id)
        safe = html.escape(account_id)
        action = html.escape(f"/_double/accounts/{quote(account_id, safe='')}/complete")
        page = f"""<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Onboarding simulé — aucun argent réel</title></head>
<body>
<h1>Onboarding simulé — aucun argent réel</h1>
<p>Ceci est un double de test de Stripe Connect, pas Stripe : aucune pièce n’est vérifiée,
aucun virement n’est fait.</p>
<p>Compte : <code>{safe}</code></p>
<form method="post" action="{action}">
<input type="hidden" name="redirect" value="1">
<button type="submit">Terminer l’onboarding simulé</button>
</form>
</body>
</html>
"""
        return HTMLResponse(page)

    async def complete_onboarding(self, call: _Call) -> Response | JSONDict:
        """POST /_double/accounts/{acct}/complete: what a finished onboarding does on Stripe.

        From the HTML form (``redirect=1``) it goes back to the last link's ``return_url``.
        """
        account = self._account(call.path["account_id"])
        before = copy.deepcopy(account)
        _enable(account)
        if account != before:
            self._account_updated(call, account, before)
        return_url = self.return_urls.get(account["id"])
        if call.params.get("redirect") == "1" and return_url:
            return RedirectResponse(return_url, status_code=303)
        return account

    # --- files ----------------------------------------------------------------------------

    async def create_file(self, call: _Call) -> JSONDict:
        """POST /v1/files: identity pictures only, recognised by their magic bytes."""
        purpose = call.params.get("purpose")
        if purpose not in FILE_PURPOSES:
            raise StripeShapedError(
                400,
                f"Invalid purpose: must be one of {', '.join(sorted(FILE_PURPOSES))}",
                param="purpose",
            )
        upload = call.uploads.get("file")
        if upload is None and "file" in call.params:
            # stripe-python writes a non file-like value as text (bytes become "b'...'").
            raise StripeShapedError(
                400,
                "file must be a file part: give stripe-python a file-like object, not bytes.",
                param="file",
            )
        if upload is None:
            raise StripeShapedError(
                400, "Missing required param: file.", param="file", code="parameter_missing"
            )
        content = await upload.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise StripeShapedError(400, "The file exceeds the maximum size of 10MB.", param="file")
        kind = next((name for magic, name in _MAGIC if content.startswith(magic)), None)
        if kind is None:
            raise StripeShapedError(
                400,
                "The file must be a PNG or JPEG image for this purpose.",
                param="file",
                code="file_upload_invalid",
            )
        created: JSONDict = {
            "id": _new_id("file_"),
            "object": "file",
            "purpose": purpose,
            "size": len(content),
            "type": kind,
            "filename": upload.filename,
            "url": None,
            "created": _now(),
        }
        self.files[created["id"]] = created
        return created

    async def retrieve_file(self, call: _Call) -> JSONDict:
        """GET /v1/files/{id}."""
        upload = self.files.get(call.path["file_id"])
        if upload is None:
            raise _missing("file", call.path["file_id"])
        return upload

    # --- transfers ------------------------------------------------------------------------

    def _transfer(self, transfer_id: str) -> JSONDict:
        """A known transfer or Stripe's "No such transfer"."""
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise _missing("transfer", transfer_id)
        return transfer

    async def create_transfer(self, call: _Call) -> JSONDict:
        """POST /v1/transfers: checks Stripe enforces before money would leave the platform."""
        params = call.params
        amount = _positive_int(params.get("amount"), "amount")
        currency = _required_str(params, "currency").lower()
        destination = _required_str(params, "destination")
        metadata = _metadata(params)
        account = self._account(destination, param="destination", status=400)
        if not account["payouts_enabled"]:
            raise StripeShapedError(
                400,
                _TRANSFER_CAPABILITY_MESSAGE,
                param="destination",
                code="insufficient_capabilities_for_transfer",
            )
        source = params.get("source_transaction") or None
        if source is not None:
            if not isinstance(source, str):
                raise StripeShapedError(400, "Invalid string", param="source_transaction")
            charge = await self._fetch_charge(source)
            if charge.get("status") != "succeeded":
                raise StripeShapedError(
                    400,
                    f"The source_transaction {source} is not a succeeded charge.",
                    param="source_transaction",
                )
            # No await from here to the insertion: concurrent transfers cannot both pass.
            already = sum(
                t["amount"] - t["amount_reversed"]
                for t in self.transfers.values()
                if t["source_transaction"] == source
            )
            available = int(charge.get("amount", 0))
            if already + amount > available:
                raise StripeShapedError(
                    400,
                    "Transfers using this transaction as a source must not exceed the source "
                    f"amount of {available} {charge.get('currency', currency)} "
                    f"({already} already transferred).",
                    param="amount",
                    code="amount_too_large",
                )
        transfer_id = _new_id("tr_")
        transfer: JSONDict = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "description": params.get("description"),
            "destination": destination,
            "livemode": False,
            "metadata": metadata,
            "reversed": False,
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "source_transaction": source,
            "transfer_group": params.get("transfer_group") or None,
            "created": _now(),
        }
        self.transfers[transfer_id] = transfer
        self.emit(call, "transfer.created", transfer)
        return transfer

    async def retrieve_transfer(self, call: _Call) -> JSONDict:
        """GET /v1/transfers/{id}."""
        return self._transfer(call.path["transfer_id"])

    async def list_transfers(self, call: _Call) -> JSONDict:
        """GET /v1/transfers: newest first, filters and ``starting_after`` paging."""
        params = call.params
        limit = _positive_int(params.get("limit", "10"), "limit")
        if limit > 100:
            raise StripeShapedError(400, "limit must be at most 100", param="limit")
        found = [
            t
            for t in reversed(self.transfers.values())
            if params.get("transfer_group") in (None, t["transfer_group"])
            and params.get("destination") in (None, t["destination"])
        ]
        after = params.get("starting_after")
        if after:
            ids = [t["id"] for t in found]
            if after not in ids:
                raise _missing("transfer", str(after), param="starting_after", status=400)
            found = found[ids.index(after) + 1 :]
        return {
            "object": "list",
            "data": found[:limit],
            "has_more": len(found) > limit,
            "url": "/v1/transfers",
        }

    async def create_reversal(self, call: _Call) -> JSONDict:
        """POST /v1/transfers/{id}/reversals: never more than what is left on the transfer."""
        transfer = self._transfer(call.path["transfer_id"])
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining == 0:
            raise StripeShapedError(
                400, f"Transfer {transfer['id']} has already been fully reversed.", param="amount"
            )
        amount = remaining
        if call.params.get("amount") not in (None, ""):
            amount = _positive_int(call.params["amount"], "amount")
        if amount > remaining:
            raise StripeShapedError(
                400,
                f"Reversal amount ({amount}) is greater than the unreversed amount on the "
                f"transfer ({remaining}).",
                param="amount",
            )
        reversal: JSONDict = {
            "id": _new_id("trr_"),
            "object": "transfer_reversal",
            "amount": amount,
            "currency": transfer["currency"],
            "transfer": transfer["id"],
            "metadata": _metadata(call.params),
            "created": _now(),
        }
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] += 1
        self.emit(call, "transfer.reversed", transfer)
        return reversal

    # --- control --------------------------------------------------------------------------

    async def register_webhook(self, call: _Call) -> JSONDict:
        """POST /_config/webhooks/{name}: same control route as localstripe's."""
        url = call.params.get("url")
        secret = call.params.get("secret")
        events = call.params.get("events")
        if isinstance(events, str):
            events = [events]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise StripeShapedError(400, "url must be an http(s) URL", param="url")
        if not isinstance(secret, str) or not secret:
            raise StripeShapedError(400, "secret is required", param="secret")
        if events is not None and not (
            isinstance(events, list) and all(isinstance(e, str) for e in events)
        ):
            raise StripeShapedError(400, "events must be a list of event types", param="events")
        name = call.path["name"]
        self.webhooks[name] = _Webhook(url, secret, events)
        return {"id": name, "url": url, "events": events}


def _enable(account: JSONDict) -> None:
    """Nothing left due: the account can be paid, as after a finished Stripe onboarding."""
    account["charges_enabled"] = True
    account["payouts_enabled"] = True
    account["details_submitted"] = True
    account["requirements"].update(
        currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
    )
    account["capabilities"] = {name: "active" for name in account["capabilities"]}


async def _read_call(request: Request) -> _Call:
    """Parse query, form, multipart or JSON bodies into one nested parameter dict."""
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    uploads: dict[str, UploadFile] = {}
    if request.method == "POST":
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type == "multipart/form-data":
            form = await request.form(max_files=4, max_fields=100)
            for name, value in form.multi_items():
                if isinstance(value, str):
                    pairs.append((name, value))
                else:
                    uploads[name] = value
        elif media_type == "application/json":
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError as exc:
                raise StripeShapedError(400, "Invalid JSON body.") from exc
            if not isinstance(body, dict):
                raise StripeShapedError(400, "The JSON body must be an object.")
            return _Call(request, body, fingerprint=json.dumps(body, sort_keys=True))
        else:
            try:
                text = (await request.body()).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise StripeShapedError(400, "The body must be UTF-8.") from exc
            pairs.extend(parse_qsl(text, keep_blank_values=True))
    params = parse_stripe_form(pairs)
    params.pop("expand", None)  # the double's objects hold ids only: nothing to expand
    described = [(n, u.filename, u.size) for n, u in sorted(uploads.items())]
    fingerprint = json.dumps([params, described], sort_keys=True)
    return _Call(request, params, uploads, fingerprint)


async def _deliver(webhook: _Webhook, event: JSONDict) -> None:
    """POST one event, signed like Stripe; failures are logged and never retried."""
    payload = json.dumps(event, indent=2, sort_keys=True)
    signature = stripe.WebhookSignature.generate_signature_header(
        payload, webhook.secret, timestamp=_now()
    )
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature}
    try:
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS) as client:
            reply = await client.post(webhook.url, content=payload.encode(), headers=headers)
    except httpx.HTTPError as exc:
        log.warning(
            "connect double: webhook failed", url=webhook.url, type=event["type"], error=str(exc)
        )
        return
    if reply.is_error:
        log.warning(
            "connect double: webhook refused",
            url=webhook.url,
            type=event["type"],
            status=reply.status_code,
        )


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes and bad multipart bodies answer in Stripe's error shape too."""
    assert isinstance(exc, HTTPException)
    message = exc.detail
    if exc.status_code in (404, 405):
        message = f"Unrecognized request URL ({request.method}: {request.url.path})."
    return StripeShapedError(exc.status_code, message).response()


def create_connect_double(
    localstripe_base: str, api_key: str, publishable_key: str = DEFAULT_PUBLISHABLE_KEY
) -> Starlette:
    """The double as an ASGI app; ``api_key`` reads charges from localstripe and confirms the
    intents pages pay with ``publishable_key`` (``stripe_js``: Stripe.js, offline)."""
    double = ConnectDouble(localstripe_base, api_key)
    browser = stripe_js.BrowserPayments(localstripe_base, api_key, publishable_key)
    e = double.endpoint

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await double.drain()
        await browser.close()

    routes = [
        Route("/v1/accounts", e(double.create_account), methods=["POST"]),
        Route("/v1/accounts/{account_id}", e(double.retrieve_account), methods=["GET"]),
        Route("/v1/accounts/{account_id}", e(double.update_account), methods=["POST"]),
        Route("/v1/account_links", e(double.create_account_link), methods=["POST"]),
        Route("/v1/files", e(double.create_file), methods=["POST"]),
        Route("/v1/files/{file_id}", e(double.retrieve_file), methods=["GET"]),
        Route("/v1/transfers", e(double.create_transfer), methods=["POST"]),
        Route("/v1/transfers", e(double.list_transfers), methods=["GET"]),
        Route("/v1/transfers/{transfer_id}", e(double.retrieve_transfer), methods=["GET"]),
        Route(
            "/v1/transfers/{transfer_id}/reversals",
            e(double.create_reversal),
            methods=["POST"],
        ),
        Route(
            "/_double/onboarding/{account_id}",
            e(double.onboarding_page, api=False),
            methods=["GET"],
        ),
        Route(
            "/_double/accounts/{account_id}/complete",
            e(double.complete_onboarding, api=False),
            methods=["POST"],
        ),
        Route("/_config/webhooks/{name}", e(double.register_webhook, api=False), methods=["POST"]),
        *stripe_js.routes(browser),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
        # Pages on any origin call the browser routes, as they call api.stripe.com.
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"])],
    )
    app.state.connect_double = double
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the double on 127.0.0.1 only: it accepts any test key and must not be exposed."""
    parser = argparse.ArgumentParser(
        prog="python -m otesaintjo.payments.offline.connect_double",
        description="Stripe Connect test double (not Stripe; no real money).",
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--localstripe", required=True, help="localstripe base URL")
    parser.add_argument("--api-key", default="sk_test_connect_double")
    parser.add_argument("--publishable-key", default=DEFAULT_PUBLISHABLE_KEY)
    args = parser.parse_args(argv)
    app = create_connect_double(args.localstripe, args.api_key, args.publishable_key)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
