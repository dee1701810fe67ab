"""Agent screens of the practice: the request list, the request page, the task queue, ordering.

Views are thin: they check who may look, parse with a form, call a service and
render; the portal's pages (``portal_views``) reuse the transition runner below.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.core import permissions as core_permissions
from servicedesk.core import services as core_services
from servicedesk.core.choices import Priority, SLAState
from servicedesk.core.errors import ApplicationError, ValidationFailed
from servicedesk.core.models import Team

from . import permissions, selectors, services
from .choices import OPEN_TASK_STATUSES, ServiceRequestStatus, TaskStatus
from .filters import FulfilmentTaskFilter
from .forms import (
    CommentForm,
    EmptyForm,
    NotesForm,
    OrderForForm,
    ReasonForm,
    ReplyForm,
    RequiredCommentForm,
    answers_form_class,
)
from .models import CatalogItem, ServiceRequest

PAGE_SIZE = 25
ANSWERS_PREFIX = "answers"

# The form each transition posts; its fields are the service's keyword arguments.
REQUEST_TRANSITION_FORMS: dict[str, type[forms.Form]] = {
    "approve": CommentForm,
    "reject": RequiredCommentForm,
    "cancel": ReasonForm,
    "close": EmptyForm,
    "fulfil": EmptyForm,
    "start_fulfilment": EmptyForm,
}
TASK_TRANSITION_FORMS: dict[str, type[forms.Form]] = {
    "start": EmptyForm,
    "complete": NotesForm,
    "cancel": ReasonForm,
}
# How the buttons read.
TRANSITION_LABELS = {
    "approve": _("Approve"),
    "reject": _("Reject"),
    "cancel": _("Cancel request"),
    "close": _("Close"),
    "fulfil": _("Mark fulfilled"),
    "start_fulfilment": _("Start fulfilment"),
}
TASK_TRANSITION_LABELS = {
    "start": _("Start"),
    "complete": _("Complete"),
    "cancel": _("Cancel task"),
}


def require_agent(request: HttpRequest) -> None:
    if not core_permissions.is_agent(request.user):
        raise PermissionDenied


def error_text(exc: ApplicationError) -> str:
    """A domain error as one message: its text and what it says about each field."""
    details = [" ".join(messages_) for messages_ in exc.fields.values()]
    return " ".join([exc.message, *[d for d in details if d != exc.message]])


def expected_version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def run_request_transition(
    request: HttpRequest, service_request: ServiceRequest, name: str
) -> bool:
    """Parse the posted form of transition ``name``, run it, and say how it went."""
    form_class = REQUEST_TRANSITION_FORMS.get(name)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, prefix=name)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return False
    try:
        services.TRANSITION_SERVICES[name](
            service_request=service_request,
            by=request.user,
            expected_version=expected_version(request),
            **form.cleaned_data,
        )
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return False
    messages.success(
        request,
        _("%(number)s: %(action)s done.")
        % {"number": service_request.number, "action": TRANSITION_LABELS[name]},
    )
    return True


def transition_forms(
    service_request: ServiceRequest, user: Any
) -> list[tuple[str, str, forms.Form]]:
    """The transitions ``user`` may run now, each with its (unbound) form."""
    return [
        (name, TRANSITION_LABELS[name], REQUEST_TRANSITION_FORMS[name](prefix=name))
        for name in services.available_transitions(service_request, user)
    ]


# --- the request list --------------------------------------------------------------------------


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Requests in the agent's scope: filters, sorting and pages, a fixed number of queries."""
    require_agent(request)
    filterset = selectors.request_filterset(request.user, request.GET or None)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page": page,
        "statuses": ServiceRequestStatus.choices,
        "priorities": Priority.choices,
        "sla_states": SLAState.choices,
        "teams": Team.objects.filter(is_active=True).only("pk", "name"),
        "items": CatalogItem.objects.only("pk", "name").order_by("name"),
        "selected": {
            "status": request.GET.getlist("status"),
            "priority": request.GET.getlist("priority"),
            "sla_state": request.GET.getlist("sla_state"),
            "assignment_group": request.GET.get("assignment_group", ""),
            "catalog_item": request.GET.get("catalog_item", ""),
            "search": request.GET.get("search", ""),
            "ordering": request.GET.get("ordering", ""),
        },
        "columns": [
            ("number", _("Number")),
            ("title", _("Title")),
            ("status", _("Status")),
            ("priority", _("Priority")),
            ("", _("Item")),
            ("", _("Requester")),
            ("", _("Team")),
            ("updated_at", _("Updated")),
        ],
    }
    return render(request, "service_requests/list.html", context)


# --- the request page ----------------------------------------------------------------------------


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request with its answers, approvals, tasks, timeline and the allowed transitions."""
    require_agent(request)
    user = request.user
    service_request = selectors.request_for_page(user, pk)
    tasks = list(service_request.tasks.all())
    task_rows = [
        {
            "task": task,
            "actions": [
                (name, TASK_TRANSITION_LABELS[name], TASK_TRANSITION_FORMS[name](prefix=name))
                for name in services.available_task_transitions(task, user)
            ],
        }
        for task in tasks
    ]
    context = {
        "sr": service_request,
        "answers": selectors.answers(service_request),
        "approvals": list(service_request.approvals.all()),
        "task_rows": task_rows,
        "tasks_done": sum(task.status == TaskStatus.DONE for task in tasks),
        "transitions": transition_forms(service_request, user),
        "timeline": selectors.timeline(user, service_request),
        "reply_form": ReplyForm(),
        "can_work": permissions.can_work(service_request, user),
    }
    return render(request, "service_requests/detail.html", context)


@login_required
@require_POST
def request_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run a transition from its button's form, then show the request again."""
    require_agent(request)
    service_request = get_object_or_404(permissions.visible_requests(request.user), pk=pk)
    run_request_transition(request, service_request, name)
    return redirect(safe_next(request, reverse("requests:detail", args=[pk])))


@login_required
@require_POST
def request_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A public reply or an internal note on the request."""
    require_agent(request)
    service_request = get_object_or_404(permissions.visible_requests(request.user), pk=pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            core_services.comment_add(
                ticket=service_request,
                by=request.user,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
            )
        except ApplicationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Your comment was added."))
    else:
        messages.error(request, _("Write something first."))
    return redirect("requests:detail", pk=pk)


@login_required
@require_POST
def task_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Start, complete or cancel a fulfilment task from its button's form."""
    require_agent(request)
    task = get_object_or_404(permissions.visible_tasks(request.user), pk=pk)
    form_class = TASK_TRANSITION_FORMS.get(name)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, prefix=name)
    if form.is_valid():
        try:
            services.TASK_TRANSITION_SERVICES[name](
                task=task,
                by=request.user,
                expected_version=expected_version(request),
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("%(number)s: %(action)s done.")
                % {"number": task.number, "action": TASK_TRANSITION_LABELS[name]},
            )
    else:
        messages.error(request, _("Say why the task is cancelled."))
    return redirect(safe_next(request, reverse("requests:detail", args=[task.request_id])))


# --- the task queue ------------------------------------------------------------------------------


def _my_teams(user: Any) -> QuerySet[Team]:
    teams = Team.objects.filter(is_active=True).only("pk", "name")
    if core_permissions.sees_all_tickets(user):
        return teams
    return teams.filter(memberships__user=user)


@login_required
def task_queue(request: HttpRequest) -> HttpResponse:
    """A team's fulfilment tasks, open ones first by default, with their buttons."""
    require_agent(request)
    user = request.user
    teams = list(_my_teams(user))
    data = request.GET.copy()
    if not data.get("assignment_group") and teams:
        data["assignment_group"] = str(teams[0].pk)
    if "status" not in data:
        data.setlist("status", list(OPEN_TASK_STATUSES))
    filterset = FulfilmentTaskFilter(data, queryset=selectors.task_queue(user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "task": task,
            "actions": [
                (name, TASK_TRANSITION_LABELS[name], TASK_TRANSITION_FORMS[name](prefix=name))
                for name in services.available_task_transitions(task, user)
            ],
        }
        for task in page.object_list
    ]
    context = {
        "teams": teams,
        "team_id": data.get("assignment_group"),
        "statuses": TaskStatus.choices,
        "selected_status": data.getlist("status"),
        "filterset": filterset,
        "page": page,
        "rows": rows,
    }
    return render(request, "service_requests/task_queue.html", context)


# --- ordering on someone's behalf -----------------------------------------------------------------


@login_required
def order_pick(request: HttpRequest) -> HttpResponse:
    """The catalog, for an agent who orders for someone."""
    require_agent(request)
    items = selectors.catalog(request.user, search=request.GET.get("search", ""))
    return render(
        request,
        "service_requests/order_pick.html",
        {"items": items, "search": request.GET.get("search", "")},
    )


def apply_service_errors(exc: ValidationFailed, form: forms.Form, other: forms.Form | None) -> None:
    """Put a service's field errors on the forms: ``answers.x`` on x, the rest on top."""
    for field, errors in exc.fields.items():
        name = field.removeprefix(f"{ANSWERS_PREFIX}.")
        if field.startswith(f"{ANSWERS_PREFIX}.") and name in form.fields:
            form.add_error(name, errors)
        elif other is not None and field in other.fields:
            other.add_error(field, errors)
        else:
            form.add_error(None, errors)
    if not exc.fields:
        form.add_error(None, exc.message)


@login_required
def order_for(request: HttpRequest, item_id: int) -> HttpResponse:
    """Order an item for someone: the item's generated form, plus who it is for."""
    require_agent(request)
    item = selectors.orderable_item(request.user, item_id)
    form_class = answers_form_class(item)
    if request.method == "POST":
        who = OrderForForm(request.POST)
        form = form_class(request.POST, prefix=ANSWERS_PREFIX)
        if who.is_valid() and form.is_valid():
            try:
                service_request = services.request_create(
                    by=request.user,
                    catalog_item=item,
                    answers=form.answers_json(),
                    requester=who.cleaned_data["requester"],
                )
            except ValidationFailed as exc:
                apply_service_errors(exc, form, who)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, _("%(number)s was ordered.") % {"number": service_request.number}
                )
                return redirect("requests:detail", pk=service_request.pk)
    else:
        who = OrderForForm()
        form = form_class(prefix=ANSWERS_PREFIX)
    return render(
        request, "service_requests/order_for.html", {"item": item, "who": who, "form": form}
    )
