"""Identity files: stored so an account update can point to them, never looked at."""

from __future__ import annotations

from otesaintjo.payments.offline.connect_double.state import DoubleState
from otesaintjo.payments.offline.connect_double.wire import (
    Call,
    JSONDict,
    StripeShapedError,
    missing,
    new_id,
    now,
)

FILE_PURPOSES = frozenset({"identity_document", "additional_verification"})
MAX_FILE_BYTES = 10 * 1024 * 1024
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))


class FileHandlers(DoubleState):
    """``/v1/files``."""

    async def create_file(self, call: Call) -> JSONDict:
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
            "id": new_id("file_"),
            "object": "file",
            "purpose": purpose,
            "size": len(content),
            "type": kind,
            "filename": upload.filename,
            "url": None,
            "created": now(),
        }
        self.files[created["id"]] = created
        return created

    async def retrieve_file(self, call: Call) -> JSONDict:
        """GET /v1/files/{id}."""
        upload = self.files.get(call.path["file_id"])
        if upload is None:
            raise missing("file", call.path["file_id"])
        return upload
