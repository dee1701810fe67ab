"""The agent UI of the incident practice: the list, the incident page, the new-incident form.

Views are thin: they check access, parse with a form, call a service and render. Every
read starts from ``permissions.visible_tickets``; every write goes through a service.
An end user, or an agent who cannot see the incident, gets a 404 from every page and form
of an incident; pages that are no single incident (the list, the new form) are for agents
only (403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from problems import selectors as problem_selectors
from servicedesk.core import permissions, selectors
from servicedesk.core import services as core_services
from servicedesk.core.choices import Priority, SLAState
from servicedesk.core.downloads import attachment_response
from servicedesk.core.errors import ApplicationError, NotPermitted, ValidationFailed
from servicedesk.core.models import (
    CannedReply,
    ConfigurationItem,
    SavedFilter,
    Service,
    Team,
    TicketLink,
    User,
)
from servicedesk.core.priority import priority_for
from servicedesk.core.ticket_forms import (
    VersionedForm,
    apply_service_error,
    error_text,
    locked_at_version,
    run_ticket_form,
)
from servicedesk.core.timeline import Entry, ticket_links, timeline

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
    all_agents,
    support_teams,
    team_agents,
)
from .models import Category, Incident
from .selectors import DEFAULT_ORDERING, incident_filterset

# The saved filters of this list are kept under this name.
LIST_NAME = "incidents"
PAGE_SIZE = 25
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


# --- the list ---------------------------------------------------------------------------------


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
    filterset = incident_filterset(user, params, request)
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
    if action == BulkForm.PROBLEM:
        # The new-problem form, filled in from the selection; the agent checks it and opens it.
        query = urlencode([("incidents", pk) for pk in form.cleaned_data["ids"][:100]])
        return redirect(f"{reverse('problems:create')}?{query}")
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
        "problem_panel": problem_selectors.incident_problem_panel(
            incident, user, suggest=not selectors.is_terminal(incident.practice, incident.status)
        ),
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
    """Run one of the incident page's forms (see ``run_ticket_form``)."""

    def render_page(**options: Any) -> HttpResponse:
        return render_detail(request, pk, **options)

    return run_ticket_form(
        request,
        incident_for(request, pk),
        key=key,
        form=form,
        action=action,
        render_page=render_page,
        done_url=reverse("incidents:detail", args=[pk]) + anchor,
        gone_url=reverse("incidents:list"),
    )


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
        incident = locked_at_version(incident, form)
        core_services.comment_with_files_add(
            ticket=incident,
            by=request.user,
            body=form.cleaned_data["body"],
            internal=form.is_internal,
            uploads=form.cleaned_data["files"],
        )
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
        incident = locked_at_version(incident, form)
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
        locked_at_version(incident, form)
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
    return attachment_response(request.user, incident, attachment_pk)


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
