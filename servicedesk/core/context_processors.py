"""Template context shared by every page."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import permissions


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "site_name": settings.SERVICEDESK_SITE_NAME,
        "user_is_agent": bool(user is not None and permissions.is_agent(user)),
        "user_is_admin": bool(user is not None and permissions.is_service_desk_admin(user)),
    }
