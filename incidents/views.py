"""The agent UI of the incident practice: the list, the incident page, the new-incident form.

Views are thin: they check access, parse with a form, call a service and render. Every
read starts from ``permissions.visible_tickets``; every write goes through a service.
An end user, or an agent who cannot see the incident, gets a 404 from every page and form
of an incident; pages that are no single incident (the list, the new form) are for agents
only (403).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from servicedesk.core import permissions, selectors
from servicedesk.core import services as core_services
from servicedesk.core.choices import AuditAction, Impact, LinkKind, Priority, SLAState, Urgency
from servicedesk.core.errors import ApplicationError, NotPermitted, StaleVersion, ValidationFailed
from servicedesk.core.models import (
    Attachment,
    AuditEvent,
    CannedReply,
    Comment,
    ConfigurationItem,
    SavedFilter,
    Service,
    Team,
    Ticket,
    TicketLink,
    User,
)
from servicedesk.core.priority import priority_for

from . import services
from .choices import OnHoldReason, ResolutionCode
from .filters import IncidentFilter
from .forms import (
    TRANSITION_FORMS,
    TRANSITION_LABELS,
    AssignForm,
    BulkAssignForm,
    BulkForm,
    BulkResolveForm,
    CommentForm,
    ConfirmForm,
    IncidentCreateForm,
    LinkForm,
    MajorForm,
    SavedFilterForm,
    VersionedForm,
    all_agents,
    apply_service_error,
    support_teams,
    team_agents,
)
from .models import Category, Incident

# The saved filters of this list are kept under this name.
LIST_NAME = "incidents"
PAGE_SIZE = 25
DEFAULT_ORDERING = "-updated_at"
# Sortable columns: (column, ordering field, direction of the first click).
SORTABLE_COLUMNS = {
    "number": ("number", ""),
    "title": ("title", ""),
    "status": ("status", ""),
    "priority": ("priority", ""),
    "sla": ("resolution_due_at", ""),
    "updated": ("updated_at", "-"),
}
# The columns of the list, in order, with their headings.
LIST_COLUMNS = [
    ("number", gettext_lazy("Number")),
    ("title", gettext_lazy("Title")),
    ("status", gettext_lazy("Status")),
    ("priority", gettext_lazy("Priority")),
    ("sla", gettext_lazy("SLA")),
    ("team", gettext_lazy("Team")),
    ("assignee", gettext_lazy("Assignee")),
    ("requester", gettext_lazy("Requester")),
    ("updated", gettext_lazy("Updated")),
]
TRANSITION_DONE = {
    "start": gettext_lazy("Work started on %(number)s."),
    "hold": gettext_lazy("%(number)s is on hold."),
    "resume": gettext_lazy("Work resumed on %(number)s."),
    "resolve": gettext_lazy("%(number)s is resolved."),
    "reopen": gettext_lazy("%(number)s is reopened."),
    "close": gettext_lazy("%(number)s is closed."),
    "cancel": gettext_lazy("%(number)s is cancelled."),
}


# --- access -----------------------------------------------------------------------------------


def agents_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in agents only: anonymous visitors sign in first, end users get a 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.is_agent(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def incident_for(request: HttpRequest, pk: int, queryset: QuerySet | None = None) -> Incident:
    """The incident if the signed-in agent can see it; a 404 for anyone else."""
    if not permissions.is_agent(request.user):
        raise Http404
    base = queryset if queryset is not None else Incident.objects.all()
    return get_object_or_404(permissions.visible_tickets(request.user, base), pk=pk)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def error_text(exc: ApplicationError) -> str:
    """A service error in one sentence: its field messages, or its message."""
    details = [message for messages_ in exc.fields.values() for message in messages_]
    return " ".join(details) if details else exc.message


# --- the list ---------------------------------------------------------------------------------


def list_queryset(user: Any) -> QuerySet[Incident]:
    """The incidents ``user`` may see, with what a list row shows joined in."""
    return (
        permissions.visible_tickets(user, Incident.objects.all())
        .select_related("requester", "assignee", "assignment_group")
        .defer(*selectors.LIST_DEFERRED_FIELDS, "resolution_notes")
    )


def current_ordering(params: QueryDict) -> str:
    return (params.get("ordering") or DEFAULT_ORDERING).split(",")[0].strip()


def column_headers(params: QueryDict) -> list[dict[str, Any]]:
    """Each column's heading, with a link that sorts by it (again: the other way)."""
    ordering = current_ordering(params)
    headers = []
    for key, label in LIST_COLUMNS:
        header: dict[str, Any] = {"key": key, "label": label, "url": None, "sort": None}
        if key in SORTABLE_COLUMNS:
            field_name, first = SORTABLE_COLUMNS[key]
            if ordering == field_name:
                header["sort"], next_ordering = "ascending", f"-{field_name}"
            elif ordering == f"-{field_name}":
                header["sort"], next_ordering = "descending", field_name
            else:
                next_ordering = f"{first}{field_name}"
            query = params.copy()
            query["ordering"] = next_ordering
            query.pop("page", None)
            header["url"] = "?" + query.urlencode()
        headers.append(header)
    return headers


@dataclass
class FilterChoices:
    """The options of the list's filter form and bulk forms, read once per page."""

    teams: list[Team]
    agents: list[User]
    categories: list[Category]
    services: list[Service]


def filter_choices() -> FilterChoices:
    return FilterChoices(
        teams=list(support_teams()),
        agents=list(all_agents()),
        categories=list(Category.objects.filter(is_active=True).select_related("parent")),
        services=list(Service.objects.filter(is_active=True).order_by("name")),
    )


def list_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    params = request.GET.copy()
    if not params.get("ordering"):
        params["ordering"] = DEFAULT_ORDERING
    filterset = IncidentFilter(params, queryset=list_queryset(user), request=request)
    queryset = filterset.qs  # invalid parameters are reported and left out
    if not queryset.ordered:
        queryset = queryset.order_by(DEFAULT_ORDERING, "-pk")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = core_services.saved_filter_query(request.GET.urlencode())
    shown = QueryDict(query, mutable=True)
    if page.number > 1:
        shown["page"] = str(page.number)
    active_filters = [key for key in QueryDict(query) if key not in ("ordering", "page")]
    choices = filter_choices()
    return {
        "page": page,
        "incidents": page.object_list,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "headers": column_headers(params),
        "filterset": filterset,
        "filter_errors": filterset.errors,
        "selected": {
            "status": request.GET.getlist("status"),
            "priority": request.GET.getlist("priority"),
            "sla_state": request.GET.getlist("sla_state"),
        },
        "ordering": params["ordering"],
        "query": query,
        "has_filters": bool(active_filters),
        "choices": choices,
        "status_choices": IncidentFilter.status_choices,
        "priority_choices": Priority.choices,
        "sla_choices": SLAState.choices,
        "saved_filters": list(SavedFilter.objects.for_list(user, LIST_NAME)),
        "saved_filter_form": SavedFilterForm(initial={"query": query}),
        "bulk_assign_form": BulkAssignForm(teams=choices.teams, auto_id="bulk_%s"),
        "bulk_resolve_form": BulkResolveForm(auto_id="bulk_%s"),
        "list_url": reverse("incidents:list"),
        # This page's own query (no empty fields): where forms on it come back to.
        "full_query": f"?{shown.urlencode()}" if shown else "",
    }


@agents_only
@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    """Incidents the agent can see: filters, sorting, pages, saved filters, bulk actions."""
    context = list_context(request)
    if request.htmx and request.htmx.target == "results":
        response = render(request, "incidents/_results.html", {**context, "oob": True})
        # The address bar gets the query without the filter form's empty fields.
        response["HX-Push-Url"] = context["list_url"] + context["full_query"]
        return response
    return render(request, "incidents/list.html", context)


@agents_only
@require_POST
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    """Save the list's current query under a name (the same name again replaces it)."""
    form = SavedFilterForm(request.POST)
    list_url = reverse("incidents:list")
    if not form.is_valid():
        messages.error(request, _("Give the filter a name of at most 80 characters."))
        return redirect(safe_next(request, list_url))
    try:
        saved = core_services.saved_filter_save(
            user=request.user,
            list_name=LIST_NAME,
            name=form.cleaned_data["name"],
            query=form.cleaned_data["query"],
        )
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return redirect(safe_next(request, list_url))
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(f"{list_url}?{saved.query}" if saved.query else list_url)


@agents_only
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's own saved filters (anyone else's is a 404)."""
    saved = get_object_or_404(SavedFilter.objects.for_list(request.user, LIST_NAME), pk=pk)
    core_services.saved_filter_delete(saved_filter=saved, by=request.user)
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect(safe_next(request, reverse("incidents:list")))


@agents_only
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Assign or resolve the selected incidents, each in its own transaction; report each."""
    back = safe_next(request, reverse("incidents:list"))
    form = BulkForm(request.POST, use_required_attribute=False)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    action = form.cleaned_data["action"]
    if action == BulkForm.ASSIGN:
        details = BulkAssignForm(request.POST, teams=list(support_teams()))
    else:
        details = BulkResolveForm(request.POST)
    if not details.is_valid():
        for name, errors in details.errors.items():
            label = details.fields[name].label if name in details.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(back)
    ids = form.cleaned_data["ids"]
    found = {
        incident.pk: incident
        for incident in permissions.visible_tickets(
            request.user, Incident.objects.filter(pk__in=ids)
        )
    }
    done: list[str] = []
    for pk in ids:
        incident = found.get(pk)
        if incident is None:
            continue
        try:
            with transaction.atomic():
                if action == BulkForm.ASSIGN:
                    services.incident_assign(
                        incident=incident,
                        by=request.user,
                        group=details.cleaned_data["assignment_group"],
                        assignee=details.cleaned_data["assignee"],
                    )
                else:
                    services.incident_resolve(
                        incident=incident,
                        by=request.user,
                        resolution_code=details.cleaned_data["resolution_code"],
                        resolution_notes=details.cleaned_data["resolution_notes"],
                    )
        except ApplicationError as exc:
            messages.error(
                request,
                _("%(number)s: %(reason)s")
                % {"number": incident.number, "reason": error_text(exc)},
            )
        else:
            done.append(incident.number)
    missing = len(set(ids) - set(found))
    if missing:
        messages.error(
            request,
            _("%(count)s of the selected incidents could not be found.") % {"count": missing},
        )
    if done:
        if action == BulkForm.ASSIGN:
            text = _("Assigned to %(team)s: %(numbers)s.") % {
                "team": details.cleaned_data["assignee"]
                or details.cleaned_data["assignment_group"],
                "numbers": ", ".join(done),
            }
        else:
            text = _("Resolved: %(numbers)s.") % {"numbers": ", ".join(done)}
        messages.success(request, text)
    return redirect(back)


# --- small htmx endpoints -------------------------------------------------------------------


@agents_only
@require_safe
def agent_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of the agent select for the chosen team (htmx swaps them in)."""
    team_id = request.GET.get("assignment_group") or ""
    agents = list(team_agents(team_id)) if team_id.isdigit() else []
    return render(
        request,
        "incidents/_agent_options.html",
        {"agents": agents, "has_team": team_id.isdigit()},
    )


@agents_only
@require_safe
def priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority the matrix derives from impact and urgency, shown live on the form."""
    try:
        priority = priority_for(int(request.GET["impact"]), int(request.GET["urgency"]))
    except (KeyError, ValueError):
        priority = None
    return render(request, "incidents/_priority_preview.html", {"priority": priority})


# --- the incident page ---------------------------------------------------------------------------


@dataclass
class Change:
    """One field's change, in words."""

    label: str
    old: str
    new: str


@dataclass
class Entry:
    """One item of the timeline: a comment, a file or an audit event."""

    kind: str
    at: datetime
    order: tuple
    actor: User | None = None
    comment: Comment | None = None
    attachment: Attachment | None = None
    event: AuditEvent | None = None
    attachments: list[Attachment] = field(default_factory=list)
    summary: str = ""
    changes: list[Change] = field(default_factory=list)
    note: str = ""
    internal: bool = False


FIELD_LABELS = {
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "impact": gettext_lazy("Impact"),
    "urgency": gettext_lazy("Urgency"),
    "priority": gettext_lazy("Priority"),
    "requester": gettext_lazy("Requester"),
    "assignment_group": gettext_lazy("Team"),
    "assignee": gettext_lazy("Assignee"),
    "service": gettext_lazy("Service"),
    "category": gettext_lazy("Category"),
    "configuration_items": gettext_lazy("Configuration items"),
    "is_major": gettext_lazy("Major incident"),
    "problem": gettext_lazy("Problem"),
}
TRANSITION_VERBS = {
    "start": gettext_lazy("%(actor)s started work"),
    "hold": gettext_lazy("%(actor)s put it on hold"),
    "resume": gettext_lazy("%(actor)s resumed work"),
    "resolve": gettext_lazy("%(actor)s resolved it"),
    "reopen": gettext_lazy("%(actor)s reopened it"),
    "close": gettext_lazy("%(actor)s closed it"),
    "cancel": gettext_lazy("%(actor)s cancelled it"),
}
USER_FIELDS = {"requester", "assignee", "watcher"}
REFERENCES: dict[str, type] = {
    "assignment_group": Team,
    "service": Service,
    "category": Category,
    "configuration_items": ConfigurationItem,
    "problem": Ticket,
}


class Names:
    """Names of the users, teams, services… that audit events refer to by id: one query each."""

    def __init__(self, events: Iterable[AuditEvent]) -> None:
        wanted: dict[type, set[int]] = {}

        def want(model: type, value: Any) -> None:
            values = value if isinstance(value, list) else [value]
            wanted.setdefault(model, set()).update(v for v in values if isinstance(v, int))

        for event in events:
            for name, change in (event.changes or {}).items():
                if not isinstance(change, dict):
                    continue
                for side in ("from", "to"):
                    value = change.get(side)
                    if name in USER_FIELDS or name == "notified":
                        want(User, value)
                    elif name in REFERENCES:
                        want(REFERENCES[name], value)
                    elif name == "link" and isinstance(value, dict):
                        want(Ticket, [value.get("source"), value.get("target")])
        self.rows: dict[type, dict[int, Any]] = {}
        for model, ids in wanted.items():
            ids.discard(None)  # type: ignore[arg-type]
            if not ids:
                continue
            queryset = model._default_manager.all()
            if model is Category:
                queryset = queryset.select_related("parent")
            if model is Ticket:
                queryset = queryset.only("pk", "number", "title", "practice")
            self.rows[model] = queryset.in_bulk(list(ids))

    def get(self, model: type, pk: Any) -> Any:
        return self.rows.get(model, {}).get(pk)

    def label(self, model: type, pk: Any) -> str:
        if pk is None:
            return "—"
        row = self.get(model, pk)
        if row is None:
            return _("#%(id)s (deleted)") % {"id": pk}
        if model is User:
            return row.display_name
        if model is Ticket:
            return row.number
        return str(row)


def value_text(name: str, value: Any, names: Names) -> str:
    """A field's audited value in words."""
    if value is None or value == "" or value == []:
        return "—"
    if name in USER_FIELDS:
        return names.label(User, value)
    if name in REFERENCES:
        model = REFERENCES[name]
        if isinstance(value, list):
            return ", ".join(names.label(model, v) for v in value)
        return names.label(model, value)
    if name == "priority":
        return str(Priority(value).label) if value in Priority.values else str(value)
    if name == "impact":
        return str(Impact(value).label) if value in Impact.values else str(value)
    if name == "urgency":
        return str(Urgency(value).label) if value in Urgency.values else str(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "description":
        return _("(text)")
    return str(value)


def actor_name(event: AuditEvent) -> str:
    return event.actor.display_name if event.actor_id else _("The system")


def describe_event(event: AuditEvent, ticket: Ticket, names: Names) -> Entry:
    """An audit event as a timeline entry: who did what, from what to what, in words."""
    actor = actor_name(event)
    entry = Entry(
        kind="event",
        at=event.created_at,
        order=(event.created_at, 2, event.pk),
        actor=event.actor,
        event=event,
        note=event.note,
        internal=event.internal,
    )
    changes = dict(event.changes or {})
    status = selectors.status_label
    if event.action == AuditAction.TRANSITION:
        verb = TRANSITION_VERBS.get(event.transition)
        entry.summary = (
            verb % {"actor": actor}
            if verb
            else _("%(actor)s ran “%(name)s”") % {"actor": actor, "name": event.transition}
        )
        entry.changes.append(
            Change(
                _("Status"),
                status(ticket.practice, event.from_status),
                status(ticket.practice, event.to_status),
            )
        )
        changes = {}
    elif event.action == AuditAction.CREATED:
        entry.summary = _("%(actor)s logged it") % {"actor": actor}
        changes = {}
    elif event.action == AuditAction.ASSIGNED:
        entry.summary = _("%(actor)s assigned it") % {"actor": actor}
    elif event.action == AuditAction.PRIORITY_OVERRIDDEN:
        entry.summary = _("%(actor)s overrode the priority") % {"actor": actor}
    elif event.action == AuditAction.CHANGED and set(changes) == {"is_major"}:
        declared = changes["is_major"].get("to")
        entry.summary = (
            _("%(actor)s declared a major incident")
            if declared
            else _("%(actor)s stood down the major incident")
        ) % {"actor": actor}
        changes = {}
    elif event.action == AuditAction.CHANGED:
        entry.summary = _("%(actor)s changed it") % {"actor": actor}
    elif event.action in (AuditAction.LINKED, AuditAction.UNLINKED):
        link = changes.get("link", {}).get("to" if event.action == AuditAction.LINKED else "from")
        link = link if isinstance(link, dict) else {}
        kind = LinkKind(link["kind"]).label if link.get("kind") in LinkKind.values else ""
        words = {
            "actor": actor,
            "source": names.label(Ticket, link.get("source")),
            "kind": kind,
            "target": names.label(Ticket, link.get("target")),
        }
        entry.summary = (
            _("%(actor)s linked %(source)s %(kind)s %(target)s")
            if event.action == AuditAction.LINKED
            else _("%(actor)s removed the link %(source)s %(kind)s %(target)s")
        ) % words
        changes = {}
    elif event.action in (AuditAction.WATCHER_ADDED, AuditAction.WATCHER_REMOVED):
        watcher = changes.get("watcher", {})
        who = names.label(User, watcher.get("to") or watcher.get("from"))
        entry.summary = (
            _("%(actor)s added %(user)s as a watcher")
            if event.action == AuditAction.WATCHER_ADDED
            else _("%(actor)s removed %(user)s from the watchers")
        ) % {"actor": actor, "user": who}
        changes = {}
    else:
        entry.summary = f"{actor}: {event.get_action_display()}"
    for name, change in changes.items():
        if name in FIELD_LABELS and isinstance(change, dict):
            entry.changes.append(
                Change(
                    str(FIELD_LABELS[name]),
                    value_text(name, change.get("from"), names),
                    value_text(name, change.get("to"), names),
                )
            )
    return entry


# Events whose own rows (the comment, the file) stand in the timeline instead.
SHOWN_AS_ROWS = {AuditAction.COMMENTED, AuditAction.ATTACHMENT_ADDED}


def timeline(ticket: Ticket, user: Any) -> tuple[list[Entry], int]:
    """Comments, files and audit events of the ticket, oldest first; and the latest event id.

    A fixed number of queries: comments, attachments, events, then one per kind of
    object the events name.
    """
    comments = list(
        permissions.visible_comments(user, Comment.objects.filter(ticket_id=ticket.pk))
        .select_related("author")
        .order_by("created_at", "pk")
    )
    attachments = Attachment.objects.filter(ticket_id=ticket.pk).select_related("uploaded_by")
    if not permissions.is_agent(user):
        attachments = attachments.filter(internal=False)
    by_comment: dict[int, list[Attachment]] = {}
    entries: list[Entry] = []
    for attachment in attachments.order_by("created_at", "pk"):
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
        else:
            entries.append(
                Entry(
                    kind="attachment",
                    at=attachment.created_at,
                    order=(attachment.created_at, 1, attachment.pk),
                    actor=attachment.uploaded_by,
                    attachment=attachment,
                    internal=attachment.internal,
                )
            )
    for comment in comments:
        entries.append(
            Entry(
                kind="comment",
                at=comment.created_at,
                order=(comment.created_at, 0, comment.pk),
                actor=comment.author,
                comment=comment,
                attachments=by_comment.get(comment.pk, []),
                internal=comment.internal,
            )
        )
    events = list(
        AuditEvent.objects.filter(ticket_id=ticket.pk)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    if not permissions.is_agent(user):
        events = [e for e in events if not e.internal]
    shown = [e for e in events if e.action not in SHOWN_AS_ROWS]
    # A creation's fields are the page itself; only later changes are told in words.
    names = Names(e for e in shown if e.action != AuditAction.CREATED)
    entries.extend(describe_event(event, ticket, names) for event in shown)
    entries.sort(key=lambda entry: entry.order)
    return entries, max((e.pk for e in events), default=0)


def changes_since(ticket: Ticket, *, version: int, seen: int | None) -> list[Entry]:
    """What happened to the ticket since its user opened it, to show next to a stale form.

    The form says which history event was the newest on the page it came from; without
    that, the events from the first change past ``version`` on are shown.
    """
    history = AuditEvent.objects.filter(ticket_id=ticket.pk).select_related("actor")
    if seen:
        newer = list(history.filter(pk__gt=seen).order_by("created_at", "pk"))
    else:
        missed = max(ticket.version - version, 1)
        latest_changes = list(
            history.exclude(
                action__in=SHOWN_AS_ROWS | {AuditAction.LINKED, AuditAction.UNLINKED}
            ).order_by("-created_at", "-pk")[:missed]
        )
        if not latest_changes:
            return []
        first = latest_changes[-1]
        newer = list(
            history.filter(
                Q(created_at__gt=first.created_at)
                | Q(created_at=first.created_at, pk__gte=first.pk)
            ).order_by("created_at", "pk")
        )
    names = Names(newer)
    entries = []
    for event in newer:
        if event.action == AuditAction.COMMENTED:
            entry = Entry(kind="event", at=event.created_at, order=(), actor=event.actor)
            entry.summary = (
                _("%(actor)s added an internal note") if event.internal else _("%(actor)s replied")
            ) % {"actor": actor_name(event)}
        elif event.action == AuditAction.ATTACHMENT_ADDED:
            entry = Entry(kind="event", at=event.created_at, order=(), actor=event.actor)
            entry.summary = _("%(actor)s attached %(file)s") % {
                "actor": actor_name(event),
                "file": event.note,
            }
        else:
            entry = describe_event(event, ticket, names)
        entries.append(entry)
    return entries


def detail_queryset() -> QuerySet[Incident]:
    return Incident.objects.select_related(
        "requester",
        "assignee",
        "assignment_group",
        "service",
        "category__parent",
        "related_problem",
        "priority_overridden_by",
        "major_declared_by",
    ).prefetch_related(Prefetch("configuration_items", ConfigurationItem.objects.order_by("name")))


def ticket_links(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's links both ways, each with the ticket at the other end: one query."""
    links = (
        TicketLink.objects.filter(Q(source_id=ticket.pk) | Q(target_id=ticket.pk))
        .select_related("source", "target")
        .order_by("created_at", "pk")
    )
    shown = []
    for link in links:
        outgoing = link.source_id == ticket.pk
        shown.append(
            {
                "link": link,
                "other": link.target if outgoing else link.source,
                # Read from the other end, a link says it the other way round.
                "words": link.get_kind_display()
                if outgoing
                else _("%(kind)s (from)") % {"kind": link.get_kind_display()},
            }
        )
    return shown


def rebound(form: VersionedForm, version: int) -> VersionedForm:
    """The user's form as they filled it in, now carrying the ticket's current version."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    return type(form)(data, **form_options(form))


def form_options(form: VersionedForm) -> dict[str, Any]:
    options: dict[str, Any] = {"auto_id": form.auto_id}
    if isinstance(form, AssignForm):
        options["teams"] = form.teams
    return options


def detail_context(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, VersionedForm] | None = None,
    stale: list[Entry] | None = None,
    failed: str = "",
) -> dict[str, Any]:
    user = request.user
    bound = bound or {}
    version = {"version": incident.version}
    entries, latest_event = timeline(incident, user)
    teams = list(support_teams())
    allowed = set(core_services.available_transitions(incident, user))
    transitions = []
    # In the lifecycle's order, whatever order the state machine lists them in.
    for name in [n for n in TRANSITION_FORMS if n in allowed]:
        form = bound.get(f"transition:{name}") or TRANSITION_FORMS[name](
            initial=version, auto_id=f"{name}_%s"
        )
        transitions.append(
            {
                "name": name,
                "label": TRANSITION_LABELS[name],
                "form": form,
                "has_fields": TRANSITION_FORMS[name] is not ConfirmForm,
                "open": f"transition:{name}" == failed,
            }
        )
    assign_form = bound.get("assign") or AssignForm(
        initial={
            **version,
            "assignment_group": incident.assignment_group_id,
            "assignee": incident.assignee_id,
        },
        teams=teams,
        team_id=incident.assignment_group_id,
        auto_id="assign_%s",
    )
    shown_transitions = {f"transition:{t['name']}" for t in transitions}
    # A transition the user filled in that is no longer possible: keep their input in view.
    orphan = next(
        (
            {"form": form, "label": TRANSITION_LABELS[key.removeprefix("transition:")]}
            for key, form in bound.items()
            if key.startswith("transition:") and key not in shown_transitions
        ),
        None,
    )
    return {
        "incident": incident,
        "entries": entries,
        "orphan": orphan,
        "latest_event": latest_event,
        "transitions": transitions,
        "can_work": permissions.can_work_ticket(user, incident),
        "reply_form": bound.get("reply") or CommentForm(initial=version, auto_id="reply_%s"),
        "assign_form": assign_form,
        "link_form": bound.get("link") or LinkForm(initial=version, auto_id="link_%s"),
        "major_form": bound.get("major")
        or MajorForm(initial={**version, "is_major": not incident.is_major}, auto_id="major_%s"),
        "links": ticket_links(incident),
        "canned_replies": list(CannedReply.objects.for_agent(user).only("pk", "title")),
        "stale": stale,
        "failed": failed,
        "on_hold_reason": OnHoldReason(incident.on_hold_reason).label
        if incident.on_hold_reason
        else "",
        "resolution_code": ResolutionCode(incident.resolution_code).label
        if incident.resolution_code
        else "",
    }


def render_detail(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, VersionedForm] | None = None,
    stale: list[Entry] | None = None,
    failed: str = "",
    status: int = 200,
) -> HttpResponse:
    incident = incident_for(request, pk, detail_queryset())
    context = detail_context(request, incident, bound=bound, stale=stale, failed=failed)
    return render(request, "incidents/detail.html", context, status=status)


@login_required
@require_safe
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident page: header, fields, timeline, reply, transitions, assignment, links."""
    return render_detail(request, pk)


@login_required
@require_safe
def incident_sla(request: HttpRequest, pk: int) -> HttpResponse:
    """The SLA panel alone, polled by the page so the countdowns stay current."""
    incident = incident_for(request, pk)
    return render(request, "incidents/_sla.html", {"incident": incident})


def run_form(
    request: HttpRequest,
    pk: int,
    *,
    key: str,
    form: VersionedForm,
    action: Callable[[Incident, VersionedForm], str],
    anchor: str = "",
) -> HttpResponse:
    """Validate ``form``, run ``action`` in one transaction; show what went wrong in place.

    ``action`` calls the services and returns the success message. A stale version shows
    what changed since and keeps the user's input; a domain error becomes a form error.
    Nothing is changed in either case.
    """
    incident = incident_for(request, pk)
    if not form.is_valid():
        return render_detail(request, pk, bound={key: form}, failed=key, status=400)
    try:
        with transaction.atomic():
            message = action(incident, form)
    except StaleVersion:
        current = Incident.objects.get(pk=incident.pk)
        seen = request.POST.get("seen", "")
        stale = changes_since(
            current,
            version=form.expected_version(),
            seen=int(seen) if seen.isdigit() else None,
        )
        return render_detail(
            request,
            pk,
            bound={key: rebound(form, current.version)},
            stale=stale,
            failed=key,
            status=409,
        )
    except ApplicationError as exc:
        apply_service_error(form, exc)
        if key.startswith("transition:") and key.removeprefix("transition:") not in set(
            core_services.available_transitions(incident, request.user)
        ):
            # Its form is not on the page now: say why as a message.
            messages.error(request, error_text(exc))
        return render_detail(request, pk, bound={key: form}, failed=key, status=exc.status_code)
    messages.success(request, message)
    if not permissions.visible_tickets(request.user, Incident.objects.filter(pk=pk)).exists():
        # The change took the incident out of this agent's sight (e.g. another team's now).
        return redirect("incidents:list")
    return redirect(reverse("incidents:detail", args=[pk]) + anchor)


def checked_version(incident: Incident, form: VersionedForm) -> Incident:
    """The incident locked for this transaction, refused if it changed since the form's version.

    For writes whose service takes no version (replies, links), so they too are refused
    when the user has not seen the latest state.
    """
    locked = core_services.lock_ticket(incident)
    core_services.check_version(locked, form.expected_version())
    return locked


@login_required
@require_POST
def incident_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one transition with its form's fields."""
    if name not in TRANSITION_FORMS:
        raise Http404

    def action(incident: Incident, form: VersionedForm) -> str:
        services.TRANSITION_SERVICES[name](
            incident=incident,
            by=request.user,
            expected_version=form.expected_version(),
            **form.service_arguments(),
        )
        return TRANSITION_DONE[name] % {"number": incident.number}

    form = TRANSITION_FORMS[name](request.POST, auto_id=f"{name}_%s")
    return run_form(request, pk, key=f"transition:{name}", form=form, action=action)


@login_required
@require_POST
def incident_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a public reply or an internal note, with its files, all or nothing."""

    def action(incident: Incident, form: VersionedForm) -> str:
        assert isinstance(form, CommentForm)
        incident = checked_version(incident, form)
        comment = core_services.comment_add(
            ticket=incident,
            by=request.user,
            body=form.cleaned_data["body"],
            internal=form.is_internal,
        )
        stored: list[Attachment] = []
        try:
            for upload in form.cleaned_data["files"]:
                try:
                    stored.append(
                        core_services.attachment_add(
                            ticket=incident, by=request.user, upload=upload, comment=comment
                        )
                    )
                except ValidationFailed as exc:
                    problems = [m for messages_ in exc.fields.values() for m in messages_]
                    raise ValidationFailed(
                        fields={"files": [f"{upload.name}: {m}" for m in problems or [exc.message]]}
                    ) from exc
        except ApplicationError:
            # The rows roll back with the transaction; the files already stored go too.
            for attachment in stored:
                attachment.file.delete(save=False)
            raise
        return _("Your internal note was added.") if form.is_internal else _("Your reply was sent.")

    form = CommentForm(request.POST, request.FILES, auto_id="reply_%s")
    return run_form(request, pk, key="reply", form=form, action=action, anchor="#timeline")


@login_required
@require_POST
def incident_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Route the incident to a team and, optionally, one of its agents."""

    def action(incident: Incident, form: VersionedForm) -> str:
        group = form.cleaned_data["assignment_group"]
        assignee = form.cleaned_data["assignee"]
        services.incident_assign(
            incident=incident,
            by=request.user,
            group=group,
            assignee=assignee,
            expected_version=form.expected_version(),
        )
        if assignee:
            return _("%(number)s is assigned to %(agent)s (%(team)s).") % {
                "number": incident.number,
                "agent": assignee.display_name,
                "team": group,
            }
        return _("%(number)s is assigned to %(team)s.") % {"number": incident.number, "team": group}

    form = AssignForm(request.POST, teams=list(support_teams()), auto_id="assign_%s")
    return run_form(request, pk, key="assign", form=form, action=action)


@login_required
@require_POST
def incident_link_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the incident to another ticket the agent can see, by its number."""

    def action(incident: Incident, form: VersionedForm) -> str:
        if not permissions.can_work_ticket(request.user, incident):
            raise NotPermitted(_("You do not work on this incident."))
        incident = checked_version(incident, form)
        number = form.cleaned_data["number"]
        target = permissions.visible_tickets(request.user).filter(number=number).first()
        if target is None:
            raise ValidationFailed(
                fields={
                    "number": [
                        _("No ticket numbered %(number)s that you can see.") % {"number": number}
                    ]
                }
            )
        core_services.link_add(
            source=incident, target=target, kind=form.cleaned_data["kind"], by=request.user
        )
        return _("%(source)s is linked to %(target)s.") % {
            "source": incident.number,
            "target": target.number,
        }

    form = LinkForm(request.POST, auto_id="link_%s")
    return run_form(request, pk, key="link", form=form, action=action, anchor="#links")


@login_required
@require_POST
def incident_link_remove(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    """Remove one of the incident's links (from either end)."""
    incident = incident_for(request, pk)
    link = get_object_or_404(
        TicketLink.objects.filter(Q(source_id=incident.pk) | Q(target_id=incident.pk)),
        pk=link_pk,
    )

    def action(incident: Incident, form: VersionedForm) -> str:
        if not permissions.can_work_ticket(request.user, incident):
            raise NotPermitted(_("You do not work on this incident."))
        checked_version(incident, form)
        core_services.link_remove(link=link, by=request.user)
        return _("The link was removed.")

    form = ConfirmForm(request.POST, auto_id="unlink_%s")
    return run_form(request, pk, key="unlink", form=form, action=action, anchor="#links")


@login_required
@require_POST
def incident_major(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare a major incident, or stand it down."""

    def action(incident: Incident, form: VersionedForm) -> str:
        is_major = form.cleaned_data["is_major"]
        services.incident_set_major(
            incident=incident,
            by=request.user,
            is_major=is_major,
            reason=form.cleaned_data["reason"],
            expected_version=form.expected_version(),
        )
        if is_major:
            return _("%(number)s is now a major incident.") % {"number": incident.number}
        return _("%(number)s is no longer a major incident.") % {"number": incident.number}

    form = MajorForm(request.POST, auto_id="major_%s")
    return run_form(request, pk, key="major", form=form, action=action)


@login_required
@require_POST
def canned_reply_insert(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply box with a canned reply, filled in for this incident, added to what is typed."""
    incident = incident_for(request, pk, Incident.objects.select_related("requester"))
    reply_id = request.POST.get("canned_reply", "")
    typed = request.POST.get("body", "")
    reply = None
    if reply_id.isdigit():
        reply = CannedReply.objects.for_agent(request.user).filter(pk=int(reply_id)).first()
        if reply is None:
            raise Http404
    text = typed
    if reply is not None:
        rendered = core_services.canned_reply_render(reply, incident, request.user)
        text = f"{typed.rstrip()}\n\n{rendered}" if typed.strip() else rendered
    form = CommentForm(initial={"body": text}, auto_id="reply_%s")
    form.fields["body"].widget.attrs["autofocus"] = True
    return render(
        request,
        "incidents/_reply_body.html",
        {
            "form": form,
            "reply": reply,
            "incident": incident,
            "canned_replies": list(CannedReply.objects.for_agent(request.user).only("pk", "title")),
        },
    )


@login_required
@require_safe
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A file of the incident, for whoever can see the incident; internal files for agents only.

    Sent as a download under its cleaned stored name with its stored type, never rendered
    in the browser.
    """
    incident = get_object_or_404(
        permissions.visible_tickets(request.user, Incident.objects.all()), pk=pk
    )
    attachments = Attachment.objects.filter(ticket_id=incident.pk)
    if not permissions.is_agent(request.user):
        attachments = attachments.filter(internal=False)
    attachment = get_object_or_404(attachments, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- a new incident -------------------------------------------------------------------------------


@agents_only
def incident_create(request: HttpRequest) -> HttpResponse:
    """Log an incident: for yourself or someone else; routing picks a team if you do not."""
    teams = list(support_teams())
    if request.method == "POST":
        form = IncidentCreateForm(request.POST, teams=teams)
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = services.incident_create(
                    by=request.user,
                    title=data["title"],
                    description=data["description"],
                    impact=data["impact"],
                    urgency=data["urgency"],
                    requester=data["requester"],
                    category=data["category"],
                    service=data["service"],
                    configuration_items=data["configuration_items"],
                    assignment_group=data["assignment_group"],
                    assignee=data["assignee"],
                )
            except ApplicationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(number)s was logged.") % {"number": incident.number})
                visible = permissions.visible_tickets(
                    request.user, Incident.objects.filter(pk=incident.pk)
                ).exists()
                if visible:
                    return redirect("incidents:detail", pk=incident.pk)
                messages.info(
                    request,
                    _("It went to %(team)s, whose incidents you do not see.")
                    % {"team": incident.assignment_group},
                )
                return redirect("incidents:list")
        status = 400
    else:
        form = IncidentCreateForm(teams=teams, initial={"requester": request.user.pk})
        status = 200
    impact = form["impact"].value()
    urgency = form["urgency"].value()
    try:
        priority = priority_for(int(impact), int(urgency))
    except (TypeError, ValueError):
        priority = None
    return render(
        request, "incidents/new.html", {"form": form, "priority": priority}, status=status
    )
