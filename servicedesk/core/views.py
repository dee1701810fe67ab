"""Agent UI views: home routing, the dashboard and the health probe; selectors do the reads."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from . import health, login_throttle, permissions, selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Agents land on their dashboard, everyone else on the portal."""
    if permissions.is_agent(request.user):
        return redirect("dashboard")
    return redirect("portal:home")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """My work (and its count per SLA state), my teams' queue, unrouted tickets and SLA at risk:
    five bounded queries."""
    user = request.user
    if not permissions.is_agent(user):
        raise PermissionDenied
    sections = [
        {
            "id": "my-work",
            "title": _("My work"),
            "empty": _("Nothing is assigned to you right now."),
            "rows": selectors.first_rows(selectors.my_work(user)),
            "by_sla_state": selectors.my_work_by_sla_state(user),
        },
        {
            "id": "team-queue",
            "title": _("My teams' queue"),
            "empty": _("Your teams have no unassigned tickets."),
            "rows": selectors.first_rows(selectors.team_queue(user)),
        },
        {
            "id": "unrouted",
            "title": _("Unrouted"),
            "empty": _("Every ticket has a team."),
            "rows": selectors.first_rows(selectors.unrouted(user)),
        },
        {
            "id": "sla-at-risk",
            "title": _("SLA at risk in the next %(hours)s hours")
            % {"hours": selectors.SLA_AT_RISK_HOURS},
            "empty": _("No resolution target falls due soon."),
            "rows": selectors.first_rows(selectors.sla_at_risk(user)),
        },
    ]
    return render(request, "core/dashboard.html", {"sections": sections})


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing further attempts after too many failures."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        wait = login_throttle.seconds_locked(username, address)
        if wait:
            raise ValidationError(
                _("Too many failed attempts. Try again in %(minutes)s minute(s).")
                % {"minutes": (wait + 59) // 60},
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            login_throttle.record_failure(username, address)
            raise
        login_throttle.clear(username)
        return cleaned


class LoginView(auth_views.LoginView):
    """Django's sign-in; signed-in visitors go straight on to their start page."""

    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Django's view sets site_name to the request's host; keep the configured name.
        return {**super().get_context_data(**kwargs), "site_name": settings.SERVICEDESK_SITE_NAME}


class LogoutView(auth_views.LogoutView):
    """Django's sign-out (POST only), saying so on the sign-in page it leads back to."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have signed out."))
        return response


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: 200 when database and broker answer, 503 otherwise."""
    result = health.run_checks()
    response = JsonResponse(result.as_dict(), status=200 if result.ok else 503)
    response["Cache-Control"] = "no-store"
    return response
