"""The agent UI of problem management: the list, the problem page, the known-error database.

Views are thin: they check access, parse with a form, call a service and render. Problem
pages are for agents; an agent who cannot see the problem gets a 404 from its page and
every form of it, like an end user. Every write form carries the problem's version, so a
stale page changes nothing and shows what changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from changes import services as change_services
from incidents.forms import AssignForm, support_teams
from incidents.models import Incident
from incidents.views import agents_only
from servicedesk.core import permissions
from servicedesk.core import services as core_services
from servicedesk.core.downloads import attachment_response
from servicedesk.core.errors import ApplicationError, ValidationFailed
from servicedesk.core.models import ConfigurationItem, Team
from servicedesk.core.ticket_forms import (
    VersionedForm,
    apply_service_error,
    locked_at_version,
    run_ticket_form,
)
from servicedesk.core.timeline import Entry, ticket_links, timeline

from . import selectors, services
from .choices import ProblemStatus, Publication
from .forms import (
    TRANSITION_FORMS,
    TRANSITION_LABELS,
    KnownErrorSearchForm,
    LinkIncidentsForm,
    NoteForm,
    ProblemCreateForm,
    ProblemEditForm,
    RaiseChangeForm,
    active_services,
    incidents_by_number,
)
from .models import Problem

PAGE_SIZE = 25
ORDERINGS = [
    ("-updated_at", _("Recently updated")),
    ("-created_at", _("Newest first")),
    ("priority", _("Priority")),
    ("-incident_count", _("Most incidents")),
    ("number", _("Number")),
]
TRANSITION_DONE = {
    "investigate": _("The investigation of %(number)s has started."),
    "mark_known_error": _("%(number)s is a known error now."),
    "resolve": _("%(number)s is resolved."),
    "close": _("%(number)s is closed."),
    "cancel": _("%(number)s is cancelled."),
}


# --- access -------------------------------------------------------------------------------


def problem_for(request: HttpRequest, pk: int, queryset: QuerySet | None = None) -> Problem:
    """The problem if the signed-in agent can see it; a 404 for anyone else."""
    if not permissions.is_agent(request.user):
        raise Http404
    base = queryset if queryset is not None else Problem.objects.all()
    return get_object_or_404(permissions.visible_tickets(request.user, base), pk=pk)


def visible_incidents(user: Any) -> QuerySet[Incident]:
    return permissions.visible_tickets(user, Incident.objects.all())


# --- the list -----------------------------------------------------------------------------


@agents_only
@require_safe
def problem_list(request: HttpRequest) -> HttpResponse:
    """The problems the agent may see, with their incident counts: filters, sorting, pages."""
    ordering = request.GET.get("ordering", "")
    if ordering not in dict(ORDERINGS):
        ordering = "-updated_at"
    filterset = selectors.problem_filterset(request.user, request.GET)
    if filterset.is_bound and not filterset.is_valid():
        rows = Problem.objects.none()
    else:
        rows = filterset.qs
    page = Paginator(rows.order_by(ordering, "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "problems/list.html",
        {
            "filter": filterset,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "ordering": ordering,
            "orderings": ORDERINGS,
            "statuses": ProblemStatus.choices,
            "publications": Publication.choices,
            "selected_status": request.GET.getlist("status"),
            "teams": Team.objects.filter(is_active=True).only("name").order_by("name"),
            "services": active_services().only("name"),
        },
    )


# --- the known-error database -------------------------------------------------------------


@agents_only
@require_safe
def known_errors(request: HttpRequest) -> HttpResponse:
    """Search known errors by words, service and CI: cause and workaround at a glance."""
    form = KnownErrorSearchForm(request.GET or None)
    results = Problem.objects.none()
    if not form.is_bound:
        results = selectors.known_errors(request.user)
    elif form.is_valid():
        service = form.cleaned_data["service"]
        ci = form.cleaned_data["configuration_item"]
        results = selectors.known_errors(
            request.user,
            text=form.cleaned_data["search"],
            service_id=service.pk if service else None,
            configuration_item_id=ci.pk if ci else None,
        )
    results = results.annotate(incident_count=Count("incidents", distinct=True))
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "problems/known_errors.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
        },
    )


# --- a new problem ------------------------------------------------------------------------


@agents_only
def problem_create(request: HttpRequest) -> HttpResponse:
    """Open a problem, from the incidents selected in the list or suggested on an incident."""
    teams = list(support_teams())
    if request.method == "POST":
        form = ProblemCreateForm(request.POST, teams=teams)
        if form.is_valid():
            data = dict(form.cleaned_data)
            linked, unknown = incidents_by_number(
                data.pop("incidents"), visible_incidents(request.user)
            )
            if unknown:
                form.add_error("incidents", _("No such incident: %s.") % ", ".join(unknown))
            else:
                try:
                    problem = services.problem_create(by=request.user, incidents=linked, **data)
                except ApplicationError as exc:
                    apply_service_error(form, exc)
                else:
                    messages.success(
                        request, _("%(number)s was opened.") % {"number": problem.number}
                    )
                    return redirect("problems:detail", pk=problem.pk)
        status = 400
    else:
        form = ProblemCreateForm(teams=teams, initial=initial_from_incidents(request))
        status = 200
    return render(request, "problems/new.html", {"form": form}, status=status)


def initial_from_incidents(request: HttpRequest) -> dict[str, Any]:
    """The new-problem form filled in from the incidents named by ``?incidents=<id>``."""
    ids = [int(v) for v in request.GET.getlist("incidents") if v.isdigit() and len(v) <= 18]
    incidents = list(
        visible_incidents(request.user)
        .filter(pk__in=ids[:100])
        .prefetch_related("configuration_items")
        .order_by("created_at", "pk")
    )
    if not incidents:
        return {}
    first = incidents[0]
    services_ = {i.service_id for i in incidents}
    cis = {ci.pk for i in incidents for ci in i.configuration_items.all()}
    return {
        "title": first.title,
        "impact": max(i.impact for i in incidents),
        "urgency": min(i.urgency for i in incidents),
        "service": first.service_id if len(services_) == 1 else None,
        "configuration_items": sorted(cis),
        "assignment_group": first.assignment_group_id,
        "incidents": ", ".join(i.number for i in incidents),
    }


# --- the problem page ----------------------------------------------------------------------


def detail_queryset() -> QuerySet[Problem]:
    return Problem.objects.select_related(
        "requester", "assignee", "assignment_group", "service"
    ).prefetch_related(
        Prefetch("configuration_items", ConfigurationItem.objects.order_by("name")),
        "affected_services",
    )


def linked_incidents(problem: Problem, user: Any) -> list[Incident]:
    """The problem's incidents the agent may see, open ones first: one query."""
    return list(
        permissions.visible_tickets(user, Incident.objects.filter(related_problem=problem))
        .select_related("assignee", "assignment_group")
        .only(
            "pk",
            "number",
            "title",
            "status",
            "priority",
            "practice",
            "created_at",
            "assignee__first_name",
            "assignee__last_name",
            "assignee__username",
            "assignment_group__name",
            "resolved_at",
            "closed_at",
        )
        .order_by(F("resolved_at").asc(nulls_first=True), "-created_at", "-pk")
    )


def detail_context(
    request: HttpRequest,
    problem: Problem,
    *,
    bound: dict[str, VersionedForm] | None = None,
    stale: list[Entry] | None = None,
    failed: str = "",
) -> dict[str, Any]:
    user = request.user
    bound = bound or {}
    version = {"version": problem.version}
    can_work = permissions.can_work_ticket(user, problem)
    allowed = set(core_services.available_transitions(problem, user))
    transitions = [
        {
            "name": name,
            "label": TRANSITION_LABELS[name],
            "form": bound.get(f"transition:{name}")
            or form_class(initial=version, auto_id=f"{name}_%s"),
            "open": f"transition:{name}" == failed,
        }
        for name, form_class in TRANSITION_FORMS.items()
        if name in allowed
    ]
    entries, latest_event = timeline(problem, user)
    incidents = linked_incidents(problem, user)
    context: dict[str, Any] = {
        "problem": problem,
        "incidents": incidents,
        "open_incidents": sum(
            1 for i in incidents if i.closed_at is None and i.resolved_at is None
        ),
        "entries": entries,
        "latest_event": latest_event,
        "links": ticket_links(problem),
        "transitions": transitions,
        "can_work": can_work,
        "stale": stale,
        "failed": failed,
        "attachment_url": "problems:attachment",
        "note_form": bound.get("note") or NoteForm(initial=version, auto_id="note_%s"),
    }
    if can_work:
        context.update(
            {
                "edit_form": bound.get("edit")
                or ProblemEditForm(initial={**version, **edit_initial(problem)}, auto_id="edit_%s"),
                "assign_form": bound.get("assign")
                or AssignForm(
                    initial={
                        **version,
                        "assignment_group": problem.assignment_group_id,
                        "assignee": problem.assignee_id,
                    },
                    teams=list(support_teams()),
                    team_id=problem.assignment_group_id,
                    auto_id="assign_%s",
                ),
                "link_form": bound.get("link")
                or LinkIncidentsForm(initial=version, auto_id="link_%s"),
                "change_form": bound.get("change")
                or RaiseChangeForm(initial=version, auto_id="change_%s"),
                "can_raise_change": problem.status != ProblemStatus.CANCELLED,
            }
        )
    return context


def edit_initial(problem: Problem) -> dict[str, Any]:
    return {
        "title": problem.title,
        "description": problem.description,
        "impact": problem.impact,
        "urgency": problem.urgency,
        "service": problem.service_id,
        "affected_services": [s.pk for s in problem.affected_services.all()],
        "root_cause": problem.root_cause,
        "workaround": problem.workaround,
        "publication": problem.publication,
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
    problem = problem_for(request, pk, detail_queryset())
    context = detail_context(request, problem, bound=bound, stale=stale, failed=failed)
    return render(request, "problems/detail.html", context, status=status)


@login_required
@require_safe
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The problem page: cause, workaround, linked incidents, history and what to do next."""
    return render_detail(request, pk)


def run_form(
    request: HttpRequest,
    pk: int,
    *,
    key: str,
    form: VersionedForm,
    action: Callable[[Problem, VersionedForm], str | HttpResponse],
    anchor: str = "",
) -> HttpResponse:
    """Run one of the problem page's forms (see ``run_ticket_form``)."""

    def render_page(**options: Any) -> HttpResponse:
        return render_detail(request, pk, **options)

    return run_ticket_form(
        request,
        problem_for(request, pk),
        key=key,
        form=form,
        action=action,
        render_page=render_page,
        done_url=reverse("problems:detail", args=[pk]) + anchor,
        gone_url=reverse("problems:list"),
    )


@login_required
@require_POST
def problem_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one transition with its form's fields."""
    if name not in TRANSITION_FORMS:
        raise Http404

    def action(problem: Problem, form: VersionedForm) -> str:
        problem = services.TRANSITION_SERVICES[name](
            problem=problem,
            by=request.user,
            expected_version=form.expected_version(),
            **form.service_arguments(),
        )
        return TRANSITION_DONE[name] % {"number": problem.number}

    form = TRANSITION_FORMS[name](request.POST, auto_id=f"{name}_%s")
    return run_form(request, pk, key=f"transition:{name}", form=form, action=action)


@login_required
@require_POST
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the problem's fields, cause and workaround."""

    def action(problem: Problem, form: VersionedForm) -> str:
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        services.problem_update(
            problem=problem, by=request.user, data=data, expected_version=form.expected_version()
        )
        return _("Saved.")

    form = ProblemEditForm(request.POST, auto_id="edit_%s")
    return run_form(request, pk, key="edit", form=form, action=action, anchor="#edit")


@login_required
@require_POST
def problem_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Route the problem to a team and, optionally, one of its agents."""

    def action(problem: Problem, form: VersionedForm) -> str:
        services.problem_assign(
            problem=problem,
            by=request.user,
            group=form.cleaned_data["assignment_group"],
            assignee=form.cleaned_data["assignee"],
            expected_version=form.expected_version(),
        )
        return _("Assigned.")

    form = AssignForm(request.POST, teams=list(support_teams()), auto_id="assign_%s")
    return run_form(request, pk, key="assign", form=form, action=action)


@login_required
@require_POST
def problem_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a work note (internal by default) with its files."""

    def action(problem: Problem, form: VersionedForm) -> str:
        assert isinstance(form, NoteForm)
        problem = locked_at_version(problem, form)
        core_services.comment_with_files_add(
            ticket=problem,
            by=request.user,
            body=form.cleaned_data["body"],
            internal=form.is_internal,
            uploads=form.cleaned_data["files"],
        )
        return _("Your note was added.")

    form = NoteForm(request.POST, request.FILES, auto_id="note_%s")
    return run_form(request, pk, key="note", form=form, action=action, anchor="#timeline")


@login_required
@require_POST
def problem_link_incidents(request: HttpRequest, pk: int) -> HttpResponse:
    """Link incidents, named by number, to the problem."""

    def action(problem: Problem, form: VersionedForm) -> str:
        incidents, unknown = incidents_by_number(
            form.cleaned_data["numbers"], visible_incidents(request.user)
        )
        if unknown:
            raise ValidationFailed(
                fields={"numbers": [_("No such incident: %s.") % ", ".join(unknown)]}
            )
        problem = locked_at_version(problem, form)
        services.problem_link_incidents(problem=problem, by=request.user, incidents=incidents)
        return _("Linked: %(numbers)s.") % {"numbers": ", ".join(i.number for i in incidents)}

    form = LinkIncidentsForm(request.POST, auto_id="link_%s")
    return run_form(request, pk, key="link", form=form, action=action, anchor="#incidents")


@login_required
@require_POST
def problem_unlink_incident(request: HttpRequest, pk: int, incident_pk: int) -> HttpResponse:
    """Detach one incident from the problem."""

    def action(problem: Problem, form: VersionedForm) -> str:
        incident = get_object_or_404(
            visible_incidents(request.user).filter(related_problem=problem), pk=incident_pk
        )
        problem = locked_at_version(problem, form)
        services.problem_unlink_incident(problem=problem, by=request.user, incident=incident)
        return _("%(number)s is no longer linked.") % {"number": incident.number}

    form = VersionedForm(request.POST, auto_id="unlink_%s")
    return run_form(request, pk, key="unlink", form=form, action=action, anchor="#incidents")


@login_required
@require_POST
def problem_raise_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Raise a draft change for the problem's permanent fix and open it to plan it."""

    def action(problem: Problem, form: VersionedForm) -> HttpResponse:
        problem = locked_at_version(problem, form)
        change = change_services.change_raise_for_problem(
            problem=problem,
            by=request.user,
            title=form.cleaned_data["title"],
            change_type=form.cleaned_data["change_type"],
        )
        messages.success(
            request,
            _("%(number)s was raised as a draft for %(problem)s: plan it here.")
            % {"number": change.number, "problem": problem.number},
        )
        return redirect("changes:edit", pk=change.pk)

    form = RaiseChangeForm(request.POST, auto_id="change_%s")
    return run_form(request, pk, key="change", form=form, action=action, anchor="#change")


@login_required
@require_safe
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A file of the problem, for agents who can see the problem."""
    return attachment_response(request.user, problem_for(request, pk), attachment_pk)
