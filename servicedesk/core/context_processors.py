"""Template context shared by every page."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import permissions

# The banner names this many major incidents; the rest are one click away.
MAJOR_BANNER_LIMIT = 5


def open_major_incidents(user: Any) -> list:
    """Open major incidents ``user`` can see, newest declaration first: one query.

    One more row than the banner shows is read, so the banner knows whether there are more.
    """
    from incidents.choices import OPEN_STATUSES
    from incidents.models import Incident

    majors = Incident.objects.filter(is_major=True, status__in=OPEN_STATUSES)
    return list(
        permissions.visible_tickets(user, majors)
        .only("pk", "number", "title", "major_declared_at")
        .order_by("-major_declared_at", "-pk")[: MAJOR_BANNER_LIMIT + 1]
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_agent = bool(user is not None and permissions.is_agent(user))
    # Lazy: the query runs only where a page shows the banner (the agent layout).
    majors = SimpleLazyObject(lambda: open_major_incidents(user)) if is_agent else []
    return {
        "site_name": settings.SERVICEDESK_SITE_NAME,
        "user_is_agent": is_agent,
        "user_is_admin": bool(user is not None and permissions.is_service_desk_admin(user)),
        "major_incidents": majors,
        "major_banner_limit": MAJOR_BANNER_LIMIT,
    }
