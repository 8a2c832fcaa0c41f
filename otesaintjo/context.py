"""The typed per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from otesaintjo.auth import Viewer
from otesaintjo.clock import utcnow
from otesaintjo.db import after_commit, unit_of_work
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.events import EventBus, attach
from otesaintjo.loaders import Loaders
from otesaintjo.models import User
from otesaintjo.rate_limits import Buckets, per_hour, seconds_to_wait
from otesaintjo.request_reads import RequestReads, SessionSource
from otesaintjo.response_cache import CacheScope
from otesaintjo.schema.errors import ClientError
from otesaintjo.services import access
from otesaintjo.services.accounts import ClientInfo
from otesaintjo.services.live_orders import PushReads, SignInChecks
from otesaintjo.services.money import PaymentFlow
from otesaintjo.settings import Settings
from otesaintjo.storage import BlobStore
from otesaintjo.worker import ExternalWorker, JobWorker


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    """Sessions for writes (``unit_of_work``): each its own transaction."""
    reads: SessionSource
    """Sessions for reads: on HTTP, all on the request's one connection (``request_reads``)."""
    loaders: Loaders
    worker: JobWorker | ExternalWorker | None
    """Woken after a commit that wrote jobs: this process's worker, or (``OTESAINTJO_JOBS=
    external``) the announcement to the worker processes."""
    store: BlobStore
    payments: PaymentFlow | None = None
    bus: EventBus | None = None
    sign_in_checks: SignInChecks | None = None
    push_reads: PushReads | None = None
    """What live pushes show, read once per event for this process's subscribers."""
    buckets: Buckets | None = None
    signed_in: Viewer | None = None
    """Who the token names. Read it through ``viewer``: that records that the answer depends
    on who asks (``CacheScope.viewer_read``), which an answer shared with every customer must
    not."""
    access_token: str | None = None
    """The token a WebSocket connection signed in with (re-checked while it lives)."""
    connection_params: dict[str, Any] | None = field(default=None)
    now: datetime = field(default_factory=utcnow)
    """One instant per request, so every price of a page uses the same promotions."""
    cache_scope: CacheScope | None = None
    """Set when the response cache may keep this answer: a resolver whose answer depends on
    more than the shops it shows calls ``cache_scope.refuse``."""

    @property
    def viewer(self) -> Viewer | None:
        """The signed-in viewer; reading it makes this answer personal (never shared through
        the response cache with another viewer, signed in or not)."""
        self._answer_is_personal()
        return self.signed_in

    @viewer.setter
    def viewer(self, viewer: Viewer | None) -> None:
        self.signed_in = viewer

    def _answer_is_personal(self) -> None:
        if self.cache_scope is not None:
            self.cache_scope.viewer_read = True

    @property
    def user(self) -> User | None:
        viewer = self.viewer
        return viewer.user if viewer else None

    async def member_of(self) -> Collection[int]:
        """The shops the viewer runs (one query per request, when a rule needs it)."""
        self._answer_is_personal()
        return await self._shop_ids()

    async def _shop_ids(self) -> Collection[int]:
        if self.signed_in is None:
            return ()
        return await self.loaders.shop_ids_by_user_id.load(self.signed_in.user.id)  # type: ignore[arg-type]

    async def manages_shop(self, shop_id: int) -> bool:
        """The viewer runs this shop, or is platform staff (``services.access``). No is also
        every anonymous visitor's answer: the answer is then kept for all who get the same no
        (a customer's shop page is the one everybody gets); a yes makes it this viewer's."""
        user = self.signed_in.user if self.signed_in else None
        manages = await access.manages_shop(user, shop_id, self._shop_ids)
        if self.cache_scope is not None:
            if manages:
                self.cache_scope.runs_a_shown_shop = True
            else:
                self.cache_scope.asked_shops.add(shop_id)
        return manages

    def operation_only_reads(self) -> None:
        """Called when a query starts executing (``schema/execution.py``): its reads keep the
        request's connection to the end (``RequestReads.hold``)."""
        if isinstance(self.reads, RequestReads):
            self.reads.hold()

    async def operation_writes(self) -> None:
        """Called before a mutation's fields run: the connection the sign-in was read on goes
        back to the pool (``RequestReads.let_go``)."""
        if isinstance(self.reads, RequestReads):
            await self.reads.let_go()

    def payment_flow(self) -> PaymentFlow:
        """The payment machinery, or a refusal when no payment provider is configured."""
        if self.payments is None:
            raise DomainError(
                ErrorCode.PAYMENT_UNAVAILABLE,
                "Le paiement n'est pas configuré sur ce serveur (OTESAINTJO_STRIPE_API_KEY).",
            )
        return self.payments

    async def throttle(self, action: str, **targets: str) -> None:
        """One point from each bucket of ``action`` (``settings.throttles_per_hour``): the
        client's address and the targets named; an empty one refuses the request (THROTTLED)."""
        if self.buckets is None:
            return
        keys = {"ip": self.client.ip_address or "unknown", **targets}
        for name, count in self.settings.throttles_per_hour[action].items():
            wait = await self.buckets.take(f"{action}:{name}:{keys[name]}", per_hour(count), 1)
            if wait:
                seconds = seconds_to_wait(wait)
                raise ClientError(
                    f"Trop de demandes : réessayez dans {seconds} s.",
                    "THROTTLED",
                    retryAfter=seconds,
                )

    @property
    def client_key(self) -> str:
        """Whose budget a request spends: the signed-in user's, else its address's. Not
        ``viewer``: the budget refuses or lets through, it never shapes an answer."""
        if self.signed_in is not None:
            return f"user:{self.signed_in.user.id}"
        return f"ip:{self.client.ip_address}"

    @property
    def client(self) -> ClientInfo:
        host = self.request.client.host if self.request.client else None
        return ClientInfo(ip_address=host, user_agent=self.request.headers.get("user-agent"))

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A transaction for one mutation; wakes the job worker when it committed new jobs."""
        async with unit_of_work(self.session_factory) as session:
            if self.bus is not None:
                attach(session, self.bus)
            worker = self.worker
            if worker is not None:
                after_commit(
                    session, lambda: worker.wake() if session.info.get("jobs_enqueued") else None
                )
            yield session
