"""Agent UI of change enablement: list, change page, CAB queue, calendar and its iCalendar feed.

Views check access, parse with a form, call a service and render; every write form
carries the change's version, so a stale page changes nothing and says so.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from servicedesk.core import permissions as core_permissions
from servicedesk.core.errors import ApplicationError, StaleVersion
from servicedesk.core.models import ConfigurationItem, Service, Team

from . import ical, permissions, selectors, services
from .cab import board_for
from .choices import ChangeStatus, ChangeType, RiskLevel
from .filters import ChangeFilter
from .forms import (
    TRANSITION_FORMS,
    ChangeEditForm,
    ChangeForm,
    FeedForm,
    StandardChangeForm,
    VoteForm,
)
from .models import CalendarFeedToken, Change, StandardChangeTemplate

PAGE_SIZE = 25
STALE_MESSAGE = _(
    "Someone changed this change since you opened it; nothing was saved. "
    "Here is its current state: check it and try again."
)


def _require_access(user: Any) -> None:
    """Agents and the board (CAB members, change managers) use the change pages."""
    if not (core_permissions.is_agent(user) or permissions.sees_all_changes(user)):
        raise PermissionDenied


def _require_agent(user: Any) -> None:
    if not core_permissions.is_agent(user):
        raise PermissionDenied


def _error_message(exc: ApplicationError) -> str:
    if isinstance(exc, StaleVersion):
        return str(STALE_MESSAGE)
    details = " ".join(" ".join(messages_) for messages_ in exc.fields.values())
    return f"{exc.message} {details}".strip()


def _form_error(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".strip(": ")
        for name, errors in form.errors.items()
    )


# --- list ----------------------------------------------------------------------------------


@login_required
@require_safe
def change_list(request: HttpRequest) -> HttpResponse:
    """Every change the user may see: filters, sorting and pages (a fixed number of queries)."""
    _require_access(request.user)
    filterset = selectors.change_filterset(request.user, request.GET or None)
    if filterset.is_bound and not filterset.is_valid():
        rows = Change.objects.none()
    else:
        rows = filterset.qs
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "changes/list.html",
        {
            "filter": filterset,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "query": params.urlencode(),
            "statuses": ChangeStatus.choices,
            "types": ChangeType.choices,
            "risks": RiskLevel.choices,
            "teams": Team.objects.filter(is_active=True).only("name"),
            "services": Service.objects.filter(is_active=True).only("name"),
            "cis": ConfigurationItem.objects.only("name"),
            "selected": {
                "status": request.GET.getlist("status"),
                "change_type": request.GET.getlist("change_type"),
                "risk": request.GET.getlist("risk"),
            },
            "orderings": [
                ("-created_at", _("Newest first")),
                ("planned_start", _("Planned start")),
                ("-planned_start", _("Planned start, latest first")),
                ("priority", _("Priority")),
                ("number", _("Number")),
            ],
            "can_raise": permissions.can_raise(request.user),
        },
    )


# --- raising and editing ---------------------------------------------------------------------


@login_required
def change_create(request: HttpRequest) -> HttpResponse:
    """Raise a normal or emergency change (a draft), or pick a standard template."""
    _require_agent(request.user)
    form = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.change_create(by=request.user, **form.service_data())
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("%(number)s raised as a draft.") % {"number": change.number}
            )
            return redirect("changes:detail", pk=change.pk)
    templates = StandardChangeTemplate.objects.filter(is_active=True).only("name", "description")
    return render(request, "changes/form.html", {"form": form, "templates": templates})


def _add_errors(form: Any, exc: ApplicationError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
    for name, errors in exc.fields.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
def change_from_template(request: HttpRequest, template_id: int) -> HttpResponse:
    """Instantiate a pre-approved standard change."""
    _require_agent(request.user)
    template = get_object_or_404(StandardChangeTemplate, pk=template_id, is_active=True)
    form = StandardChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.standard_change_create(
                template=template, by=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("%(number)s raised from the template.") % {"number": change.number}
            )
            return redirect("changes:detail", pk=change.pk)
    return render(request, "changes/standard_form.html", {"form": form, "template": template})


@login_required
def change_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit what the change's state still allows, at the version the page showed."""
    _require_agent(request.user)
    change = get_object_or_404(selectors.change_detail(request.user), pk=pk)
    if not permissions.can_work(change, request.user):
        raise PermissionDenied
    editable = services.editable_fields(change)
    form = ChangeEditForm(
        request.POST or None,
        change=change,
        editable=editable,
        initial={**ChangeForm.initial_from(change), "version": change.version},
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        version = data.pop("version")
        try:
            services.change_update(
                change=change, by=request.user, data=data, expected_version=version
            )
        except StaleVersion:
            messages.error(request, STALE_MESSAGE)
            return redirect("changes:detail", pk=change.pk)
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("changes:detail", pk=change.pk)
    return render(request, "changes/form.html", {"form": form, "change": change})


# --- the change page ----------------------------------------------------------------------


@login_required
@require_safe
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The change, its plans, the CAB's votes, its history and the transitions allowed now."""
    user = request.user
    _require_access(user)
    change = get_object_or_404(selectors.change_detail(user), pk=pk)
    transitions = []
    for name in services.available_transitions(change, user):
        form_class, label = TRANSITION_FORMS[name]
        transitions.append(
            {
                "name": name,
                "label": label,
                "form": form_class(initial={"version": change.version}, prefix=name),
            }
        )
    board = board_for(change) if change.status == ChangeStatus.AUTHORIZATION else None
    votes = list(selectors.votes(change))
    can_vote = board is not None and services.can_vote(change, user, board)
    mine = next((v for v in votes if v.voter_id == user.pk), None)
    vote_form = None
    if can_vote:
        vote_form = VoteForm(
            initial={
                "version": change.version,
                "decision": mine.decision if mine else None,
                "comment": mine.comment if mine else "",
            }
        )
    return render(
        request,
        "changes/detail.html",
        {
            "change": change,
            "transitions": transitions,
            "votes": votes,
            "board": board,
            "vote_form": vote_form,
            "my_vote": mine,
            "timeline": selectors.timeline(change, user),
            "can_edit": permissions.can_work(change, user)
            and bool(services.editable_fields(change)),
            "is_manager": permissions.is_change_manager(user),
        },
    )


@login_required
@require_POST
def change_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one transition from its button's form."""
    _require_access(request.user)
    change = get_object_or_404(selectors.change_detail(request.user), pk=pk)
    if name not in TRANSITION_FORMS:
        raise Http404
    form_class, _label = TRANSITION_FORMS[name]
    form = form_class(request.POST, prefix=name)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("changes:detail", pk=change.pk)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        change = services.TRANSITION_SERVICES[name](
            change=change, by=request.user, expected_version=version, **data
        )
    except ApplicationError as exc:
        messages.error(request, _error_message(exc))
    else:
        messages.success(
            request,
            _("%(number)s is now %(status)s.")
            % {"number": change.number, "status": change.get_status_display().lower()},
        )
    return redirect("changes:detail", pk=change.pk)


@login_required
@require_POST
def change_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject as a board member."""
    _require_access(request.user)
    change = get_object_or_404(selectors.change_detail(request.user), pk=pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("changes:detail", pk=change.pk)
    try:
        services.change_vote(
            change=change,
            by=request.user,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
            expected_version=form.cleaned_data["version"],
        )
    except ApplicationError as exc:
        messages.error(request, _error_message(exc))
    else:
        change.refresh_from_db()
        messages.success(
            request,
            _("Your vote is recorded; %(number)s is %(status)s.")
            % {"number": change.number, "status": change.get_status_display().lower()},
        )
    return redirect("changes:detail", pk=change.pk)


# --- the CAB queue ------------------------------------------------------------------------


@login_required
@require_safe
def cab_queue(request: HttpRequest) -> HttpResponse:
    """Changes before my boards: those awaiting my vote, then those I voted on."""
    _require_access(request.user)
    pending = list(selectors.awaiting_decision(request.user)[:200])
    return render(
        request,
        "changes/cab_queue.html",
        {
            "awaiting": [c for c in pending if not c.voted],
            "voted": [c for c in pending if c.voted],
        },
    )


# --- the calendar -------------------------------------------------------------------------


def _anchor(value: str | None) -> date:
    """The day the calendar shows around; today unless a sensible ISO date is given."""
    try:
        day = date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()
    # Months and weeks are computed a few weeks either side: stay far from date.min/max.
    return day if 1900 <= day.year <= 9000 else timezone.localdate()


@login_required
@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    """Month or week view of scheduled changes and freezes, by service and CI."""
    _require_access(request.user)
    view = "week" if request.GET.get("view") == "week" else "month"
    anchor = _anchor(request.GET.get("date"))
    first, last = selectors.calendar_range(view, anchor)
    start, end = selectors.day_start(first), selectors.day_start(last + timedelta(days=1))
    data = {
        "window_after": start.isoformat(),
        "window_before": end.isoformat(),
        "affected_service": request.GET.get("service") or "",
        "configuration_item": request.GET.get("configuration_item") or "",
    }
    filterset = ChangeFilter(data, queryset=selectors.calendar_changes(request.user, start, end))
    changes = list(filterset.qs) if filterset.is_valid() else []
    freezes = selectors.calendar_freezes(start, end)
    days = selectors.calendar_days(
        first, last, anchor.month if view == "month" else None, changes, freezes
    )
    if view == "week":
        previous, following = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        previous = (anchor.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (anchor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return render(
        request,
        "changes/calendar.html",
        {
            "view": view,
            "anchor": anchor,
            "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
            "changes": changes,
            "freezes": freezes,
            "previous": previous,
            "following": following,
            "services": Service.objects.filter(is_active=True).only("name"),
            "cis": ConfigurationItem.objects.only("name"),
            "service": request.GET.get("service") or "",
            "configuration_item": request.GET.get("configuration_item") or "",
            "filter_errors": filterset.errors,
            "has_feed": CalendarFeedToken.objects.filter(user=request.user).exists(),
        },
    )


@login_required
@require_POST
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """Issue a new secret feed URL (shown once) or turn the feed off."""
    _require_access(request.user)
    form = FeedForm(request.POST)
    if not form.is_valid():
        raise Http404
    if form.cleaned_data["action"] == "revoke":
        services.calendar_feed_token_revoke(user=request.user)
        messages.success(request, _("Your calendar feed is turned off; its link no longer works."))
        return redirect("changes:calendar")
    secret = services.calendar_feed_token_issue(user=request.user)
    feed_url = request.build_absolute_uri(reverse("changes:feed", args=[secret]))
    return render(request, "changes/feed_issued.html", {"feed_url": feed_url})


@require_safe
def calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed a calendar app polls; the secret in the URL is its credential."""
    user = services.user_for_feed_token(token)
    if user is None or not (core_permissions.is_agent(user) or permissions.sees_all_changes(user)):
        raise Http404
    now = timezone.now()
    start, end = now - timedelta(days=ical.PAST_DAYS), now + timedelta(days=ical.FUTURE_DAYS)
    body = ical.calendar_feed(
        changes=selectors.calendar_changes(user, start, end).select_related("service"),
        freezes=selectors.calendar_freezes(start, end),
        base_url=request.build_absolute_uri("/"),
        host=request.get_host().split(":")[0],
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="changes.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
