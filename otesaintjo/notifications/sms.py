"""SMS to merchants, behind ``SmsSender``: an HTTP gateway in production, the log otherwise.

Sent by the outbox worker (job ``sms.send``): a gateway that is down or answers an error
raises, and the job is retried with backoff, so no alert is lost.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import structlog

log = structlog.get_logger(__name__)
SMS_JOB = "sms.send"
MAX_SMS_CHARS = 320  # two SMS at most


class SmsSender(Protocol):
    async def send(self, payload: dict[str, Any]) -> None:
        """``payload``: ``{"to": "+262…", "text": "…"}``."""


class HttpSmsSender:
    """POST ``{"to", "text", "sender"}`` as JSON with a bearer token; 2xx means accepted."""

    def __init__(self, url: str, token: str | None, sender: str, timeout: float = 10) -> None:
        self.url, self.sender = url, sender
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout)

    async def send(self, payload: dict[str, Any]) -> None:
        response = await self._client.post(
            self.url, json={"to": payload["to"], "text": payload["text"], "sender": self.sender}
        )
        response.raise_for_status()

    async def close(self) -> None:
        await self._client.aclose()


class LogSmsSender:
    """Development: the text goes to the log (it carries no secret: a link to the board)."""

    async def send(self, payload: dict[str, Any]) -> None:
        log.info(
            "SMS (not sent: no OTESAINTJO_SMS_GATEWAY_URL)", to=payload["to"], text=payload["text"]
        )

    async def close(self) -> None:
        return None


class DisabledSmsSender:
    """``OTESAINTJO_SMS_DISABLED``: merchants get the recap email and the board, no SMS."""

    async def send(self, payload: dict[str, Any]) -> None:
        return None

    async def close(self) -> None:
        return None
