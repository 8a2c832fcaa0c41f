"""Who may call a field. Every root field declares one of these: the schema refuses to build
otherwise (default deny), see ``root.assert_permissions_declared``."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from otesaintjo.schema.errors import ClientError


class Public(BasePermission):
    """Anyone, signed in or not. Declared explicitly so that forgetting is impossible."""

    message = "Accès refusé."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class IsAuthenticated(BasePermission):
    message = "Vous devez être connecté."
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 - read-only, as strawberry declares it

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.viewer is not None


class IsStaff(BasePermission):
    """Platform staff (customer service, admin); anonymous callers get UNAUTHENTICATED."""

    message = "Réservé au personnel de la plateforme."
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 - read-only, as strawberry declares it

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise ClientError(IsAuthenticated.message, "UNAUTHENTICATED")
        return viewer.user.is_staff
