"""DRF permissions of the API, each a thin wrapper over ``servicedesk.core.permissions``."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .. import permissions


class IsServiceDeskAdmin(BasePermission):
    """Only service-desk admins."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return permissions.is_service_desk_admin(request.user)


class AgentsReadAdminsWrite(BasePermission):
    """Agents and admins read; only admins create and change."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return permissions.is_agent(request.user) or permissions.is_service_desk_admin(
                request.user
            )
        return permissions.is_service_desk_admin(request.user)
