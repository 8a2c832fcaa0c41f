"""``GET /exports/{id}.json?token=…``: a customer's data export (``requestMyDataExport``),
through the signed link of its email (``services/export_links.py``), valid 7 days.

The link is made for one export and one user: another export's id, an expired link, an export
deleted with its account, or a request signed in (``Authorization``) as someone else all get
404, as an unknown id does. The file is read from the private store, never served statically.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from otesaintjo.auth import bearer_token, load_viewer
from otesaintjo.clock import utcnow
from otesaintjo.models.base import MAX_PK
from otesaintjo.runtime import Runtime
from otesaintjo.services import personal_data
from otesaintjo.services.export_links import linked_user_id


async def data_export_file(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    not_found = PlainTextResponse("Introuvable.", status_code=404)
    export_id = int(request.path_params["export_id"])
    if export_id > MAX_PK:  # no such row; and PostgreSQL would refuse the number
        return not_found
    now = utcnow()
    user_id = linked_user_id(
        settings.secret_key, request.query_params.get("token", ""), export_id, now
    )
    if user_id is None:
        return not_found
    async with runtime.session_factory() as session:
        token = bearer_token(request.headers.get("authorization"))
        viewer = await load_viewer(session, settings.secret_key, token) if token else None
        if viewer is not None and viewer.user.id != user_id:
            return not_found  # signed in as someone else: not theirs to download
        export = await personal_data.downloadable_export(session, export_id, user_id, now)
    if export is None:
        return not_found
    data = await runtime.private_store.get(export.blob_key)
    if data is None:
        return not_found
    return Response(
        data,
        media_type="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{personal_data.archive_filename(export)}"'
            ),
            "Cache-Control": "private, no-store",
        },
    )
