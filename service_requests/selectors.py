"""Reads of the service request practice, already scoped to the user (see permissions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from servicedesk.core import permissions as core_permissions
from servicedesk.core.models import AuditEvent, Comment, User

from . import permissions
from .choices import ApprovalStatus, FieldType
from .filters import ServiceRequestFilter
from .models import (
    Approval,
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    FormField,
    FulfilmentTask,
    ServiceRequest,
    TaskTemplate,
)

# Long text that no list shows.
LIST_DEFERRED_FIELDS = ("description", "priority_override_reason", "answers")


def request_list(user: Any) -> QuerySet[ServiceRequest]:
    """The requests ``user`` may see, with what a list row shows joined in, newest first."""
    queryset = ServiceRequest.objects.select_related(
        "requester", "assignee", "assignment_group", "catalog_item"
    ).defer(*LIST_DEFERRED_FIELDS)
    return permissions.visible_requests(user, queryset).order_by("-created_at", "-pk")


def request_filterset(user: Any, params: Any, request: Any = None) -> ServiceRequestFilter:
    """The request list's FilterSet on ``params``: the list page and its CSV export use it."""
    return ServiceRequestFilter(params, queryset=request_list(user))


def request_for_page(user: Any, pk: int) -> ServiceRequest:
    """One request the user may see, with its item, form, approvals and tasks (else 404)."""
    queryset = ServiceRequest.objects.select_related(
        "requester", "assignee", "assignment_group", "catalog_item", "service", "created_by"
    ).prefetch_related(
        Prefetch("catalog_item__fields", FormField.objects.order_by("order", "id")),
        Prefetch(
            "approvals",
            Approval.objects.select_related("approver", "team", "decided_by").order_by("step"),
        ),
        Prefetch(
            "tasks",
            FulfilmentTask.objects.select_related("assignment_group", "assignee").order_by(
                "order", "id"
            ),
        ),
    )
    return get_object_or_404(permissions.visible_requests(user, queryset), pk=pk)


def my_requests(user: Any) -> QuerySet[ServiceRequest]:
    """The requests ``user`` asked for, newest first (the portal's list)."""
    return (
        ServiceRequest.objects.filter(requester_id=user.pk)
        .select_related("catalog_item")
        .defer(*LIST_DEFERRED_FIELDS)
        .order_by("-created_at", "-pk")
    )


def awaiting_decision(user: Any) -> QuerySet[Approval]:
    """The approval steps waiting for ``user``'s decision now, oldest first."""
    return (
        Approval.objects.filter(permissions.approvals_for(user))
        .select_related("request__requester", "request__catalog_item", "approver", "team")
        .order_by("request__created_at", "request_id")
    )


def catalog(user: Any, search: str = "", category: int | None = None) -> QuerySet[CatalogItem]:
    """Active items of active categories, matching ``search``; with their approval steps."""
    items = CatalogItem.objects.filter(is_active=True, category__is_active=True)
    if search.strip():
        value = search.strip()
        items = items.filter(
            Q(name__icontains=value)
            | Q(description__icontains=value)
            | Q(category__name__icontains=value)
        )
    if category is not None:
        items = items.filter(category_id=category)
    return items.select_related("category", "owner_team").prefetch_related("approval_steps")


def catalog_categories() -> QuerySet[CatalogCategory]:
    return CatalogCategory.objects.filter(is_active=True)


def orderable_item(user: Any, pk: int) -> CatalogItem:
    """An item ``user`` may order, with its form and approval route (else 404)."""
    queryset = CatalogItem.objects.select_related("category", "owner_team").prefetch_related(
        Prefetch("fields", FormField.objects.order_by("order", "id")),
        Prefetch("approval_steps", ApprovalStep.objects.select_related("team")),
        Prefetch("task_templates", TaskTemplate.objects.select_related("team")),
    )
    item = get_object_or_404(queryset, pk=pk)
    if not permissions.can_order(user, item):
        raise Http404
    return item


def task_queue(user: Any) -> QuerySet[FulfilmentTask]:
    """Tasks ``user`` may see with what a row shows; the task filter narrows it to a team."""
    queryset = FulfilmentTask.objects.select_related(
        "request", "assignment_group", "assignee", "request__requester"
    ).defer("description", "request__description", "request__answers")
    return permissions.visible_tasks(user, queryset).order_by("created_at", "pk")


# --- the request page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One question of the order and its answer, as people read it."""

    name: str
    label: str
    text: str


def _answer_text(definition: FormField | None, value: Any, users: dict[int, User]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    kind = definition.field_type if definition else None
    labels = dict(definition.choice_pairs) if definition else {}
    if kind == FieldType.BOOLEAN or isinstance(value, bool):
        return _("Yes") if value else _("No")
    if kind == FieldType.MULTI_CHOICE and isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    if kind == FieldType.CHOICE:
        return str(labels.get(value, value))
    if kind == FieldType.USER and isinstance(value, int):
        user = users.get(value)
        return user.display_name if user else _("(person #%(id)s)") % {"id": value}
    if kind == FieldType.DATE and isinstance(value, str):
        try:
            return date_format(date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    return str(value)


def answers(service_request: ServiceRequest) -> list[Answer]:
    """The order's answers in the form's order; answers to questions since removed follow."""
    item = service_request.catalog_item
    definitions = list(item.fields.all()) if item else []
    stored = service_request.answers or {}
    user_ids = {
        stored.get(d.name)
        for d in definitions
        if d.field_type == FieldType.USER and isinstance(stored.get(d.name), int)
    }
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    rows = [
        Answer(d.name, d.label, _answer_text(d, stored.get(d.name), users)) for d in definitions
    ]
    known = {d.name for d in definitions}
    rows += [
        Answer(name, name, _answer_text(None, value, users))
        for name, value in stored.items()
        if name not in known
    ]
    return rows


@dataclass(frozen=True)
class TimelineEntry:
    """A comment or a history event, in time order."""

    at: Any
    kind: str
    item: Any


def timeline(user: Any, service_request: ServiceRequest) -> list[TimelineEntry]:
    """The request's conversation and history; end users never see internal ones."""
    comments = core_permissions.visible_comments(
        user, Comment.objects.filter(ticket_id=service_request.pk).select_related("author")
    )
    events = AuditEvent.objects.filter(ticket_id=service_request.pk).select_related("actor")
    if not core_permissions.is_agent(user):
        events = events.filter(internal=False)
    entries = chain(
        (TimelineEntry(c.created_at, "comment", c) for c in comments),
        (TimelineEntry(e.created_at, "event", e) for e in events),
    )
    return sorted(entries, key=lambda e: (e.at, e.kind))


def public_conversation(service_request: ServiceRequest) -> QuerySet[Comment]:
    """The public replies on a request, for the portal."""
    return Comment.objects.filter(ticket_id=service_request.pk, internal=False).select_related(
        "author"
    )


def current_approval(service_request: ServiceRequest) -> Approval | None:
    """The step awaiting a decision, from the prefetched approvals."""
    for approval in service_request.approvals.all():
        if approval.status == ApprovalStatus.PENDING:
            return approval
    return None
