"""Stripe's wire format, as stripe-python 16 speaks it: so the client cannot tell the difference.

Bracket-nested form bodies (and multipart, and JSON for the control routes), Stripe-shaped
errors, Stripe-looking ids and the parameter checks Stripe answers with a 400.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from otesaintjo.clock import utcnow

JSONDict = dict[str, Any]

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


def missing(
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


def new_id(prefix: str) -> str:
    """Stripe-looking ids: a prefix and random alphanumerics."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def now() -> int:
    """Unix seconds, through the project clock so frozen-time tests stay consistent."""
    return int(utcnow().timestamp())


def positive_int(value: Any, param: str) -> int:
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


def required_str(params: JSONDict, param: str) -> str:
    """A non-empty string parameter, or Stripe's "Missing required param" error."""
    value = params.get(param)
    if not isinstance(value, str) or not value:
        raise StripeShapedError(
            400, f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    return value


def metadata_param(params: JSONDict) -> dict[str, str]:
    """Metadata must be a hash of strings; an empty string means none."""
    value = params.get("metadata", {})
    if value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise StripeShapedError(400, "Invalid hash", param="metadata")
    return {k: v for k, v in value.items() if v != ""}


def bearer_ok(request: Request) -> bool:
    """Any secret test key is accepted (``Bearer sk_…``), as localstripe does."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.startswith("sk_") and len(token) > 3


@dataclass
class Call:
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


async def read_call(request: Request) -> Call:
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
            return Call(request, body, fingerprint=json.dumps(body, sort_keys=True))
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
    return Call(request, params, uploads, fingerprint)
