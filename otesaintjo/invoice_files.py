"""``GET /invoices/{id}.pdf``: an invoice or credit note for its customer, its shop's merchants
and staff — with the access token in ``Authorization``, or a short-lived signed link (the
``downloadUrl`` of the API, usable in a plain ``<a href>``). Anyone else gets 404."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from otesaintjo.auth import bearer_token, load_viewer
from otesaintjo.clock import utcnow
from otesaintjo.models import Invoice, Order, User
from otesaintjo.runtime import Runtime
from otesaintjo.security import read_signed_token, signed_token
from otesaintjo.services import shops
from otesaintjo.services.invoices import filename, render_pdf
from otesaintjo.settings import Settings

LINK_PURPOSE = "invoice-download"
LINK_SECONDS = 15 * 60


def download_url(settings: Settings, invoice_id: int, user_id: int) -> str:
    expires = int(utcnow().timestamp()) + LINK_SECONDS
    token = signed_token(settings.secret_key, LINK_PURPOSE, f"{invoice_id}-{user_id}-{expires}")
    return f"{settings.public_url.rstrip('/')}/invoices/{invoice_id}.pdf?token={token}"


async def may_read(session: AsyncSession, user: User, invoice: Invoice) -> bool:
    if user.is_staff:
        return True
    order = await session.get(Order, invoice.order_id)
    if order is not None and order.user_id == user.id:
        return True
    return await shops.is_member(session, user.id, invoice.shop_id)  # type: ignore[arg-type]


async def _link_user(session: AsyncSession, settings: Settings, token: str, invoice_id: int):
    value = read_signed_token(settings.secret_key, LINK_PURPOSE, token)
    try:
        linked_invoice, user_id, expires = (int(part) for part in (value or "").split("-"))
    except ValueError:
        return None
    if linked_invoice != invoice_id or expires < utcnow().timestamp():
        return None
    return await session.get(User, user_id)


async def invoice_pdf(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    not_found = PlainTextResponse("Introuvable.", status_code=404)
    invoice_id = int(request.path_params["invoice_id"])
    async with runtime.session_factory() as session:
        invoice = await session.get(Invoice, invoice_id)
        if invoice is None:
            return not_found
        link = request.query_params.get("token")
        if link:
            user = await _link_user(session, settings, link, invoice_id)
        else:
            token = bearer_token(request.headers.get("authorization"))
            viewer = await load_viewer(session, settings.secret_key, token)
            user = viewer.user if viewer else None
        if user is None or not await may_read(session, user, invoice):
            return not_found
    return Response(
        render_pdf(invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename(invoice)}"'},
    )
