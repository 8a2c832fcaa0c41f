"""``GET /invoices/{id}.pdf``: an invoice or credit note for its customer, its shop's merchants
and staff — with the access token in ``Authorization``, or a short-lived signed link (the
``downloadUrl`` of the API, usable in a plain ``<a href>``). Anyone else gets 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from otesaintjo.auth import bearer_token, load_viewer
from otesaintjo.clock import utcnow
from otesaintjo.models import Invoice, User
from otesaintjo.models.base import MAX_PK
from otesaintjo.runtime import Runtime
from otesaintjo.services import access
from otesaintjo.services.invoice_links import linked_user_id
from otesaintjo.services.invoices import filename, render_pdf


async def invoice_pdf(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    not_found = PlainTextResponse("Introuvable.", status_code=404)
    invoice_id = int(request.path_params["invoice_id"])
    if invoice_id > MAX_PK:  # no such row; and PostgreSQL would refuse the number
        return not_found
    now = utcnow()
    async with runtime.session_factory() as session:
        invoice = await session.get(Invoice, invoice_id)
        if invoice is None:
            return not_found
        link = request.query_params.get("token")
        user: User | None
        if link:
            user_id = linked_user_id(settings.secret_key, link, invoice_id, now)
            user = await session.get(User, user_id) if user_id is not None else None
        else:
            token = bearer_token(request.headers.get("authorization"))
            viewer = await load_viewer(session, settings.secret_key, token)
            user = viewer.user if viewer else None
        if not await access.may_read_invoice_now(session, user, invoice):
            return not_found
    return Response(
        render_pdf(invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename(invoice)}"'},
    )
