"""Pages: the agents' in-app notifications (list, bell, mark read) and preferences for everyone."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from servicedesk.core import permissions

from . import services
from .models import InAppNotification

PAGE_SIZE = 25


def _require_agent(request: HttpRequest) -> None:
    if not permissions.is_agent(request.user):
        raise PermissionDenied


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    """The agent's notifications, newest first; ``?show=unread`` for the unread ones."""
    _require_agent(request)
    unread_only = request.GET.get("show") == "unread"
    notifications = InAppNotification.objects.filter(user=request.user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": unread_count(request.user),
        },
    )


def unread_count(user) -> int:
    return InAppNotification.objects.filter(user=user, read_at__isnull=True).count()


@login_required
@require_safe
def bell(request: HttpRequest) -> HttpResponse:
    """The bell of the agent navigation with the unread count (htmx polls it)."""
    _require_agent(request)
    response = render(
        request, "notifications/_bell.html", {"unread_count": unread_count(request.user)}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; htmx swaps the row, a plain form goes back to the list."""
    _require_agent(request)
    services.notifications_mark_read(user=request.user, ids=[pk])
    if request.htmx:
        notification = InAppNotification.objects.filter(user=request.user, pk=pk).first()
        if notification is None:
            return HttpResponse(status=404)
        response = render(request, "notifications/_item.html", {"notification": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark every notification of the agent read."""
    _require_agent(request)
    changed = services.notifications_mark_read(user=request.user)
    messages.success(request, _("%(n)s notification(s) marked as read.") % {"n": changed})
    return _back(request)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which notifications the agent gets, by email and in the app."""
    _require_agent(request)
    return _preferences(request, template="notifications/preferences.html", agent=True)


@login_required
def portal_preferences(request: HttpRequest) -> HttpResponse:
    """Which emails the end user gets (the portal's version of the page)."""
    return _preferences(request, template="notifications/portal_preferences.html", agent=False)


def _preferences(request: HttpRequest, *, template: str, agent: bool) -> HttpResponse:
    if request.method == "POST":
        rows = services.preferences_list(request.user, agent=agent)
        choices = [
            {
                "event_type": row.event_type,
                "email": f"email:{row.event_type}" in request.POST,
                **({"in_app": f"in_app:{row.event_type}" in request.POST} if agent else {}),
            }
            for row in rows
        ]
        services.preferences_set(user=request.user, choices=choices, agent=agent)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect(request.path)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return render(
        request,
        template,
        {"rows": services.preferences_list(request.user, agent=agent), "agent": agent},
    )
