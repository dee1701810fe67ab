"""Portal views for end users: plain pages over the same scoped selectors as the agent UI."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents import services as incident_services
from incidents.models import Incident
from knowledge import selectors as knowledge_selectors
from knowledge.choices import ArticleStatus, Audience
from problems.selectors import known_errors
from servicedesk.core import permissions, selectors
from servicedesk.core import services as core_services
from servicedesk.core.choices import Practice
from servicedesk.core.errors import ApplicationError, StaleVersion
from servicedesk.core.models import Attachment, Ticket, Watcher

from . import services as portal_services
from .forms import RatingForm, ReasonForm, ReplyForm, ReportForm, VersionForm
from .models import SatisfactionRating

SUGGESTION_LIMIT = 5
# The transitions an end user may run from the portal, by URL name.
PORTAL_ACTIONS = {"confirm": "close", "reopen": "reopen", "cancel": "cancel"}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A greeting and the tickets the user requested or watches."""
    tickets = selectors.first_rows(selectors.portal_tickets(request.user))
    return render(request, "portal/home.html", {"tickets": tickets})


def portal_scope(user: Any, queryset: QuerySet) -> QuerySet:
    """Tickets the user may see *and* requested or watches: the portal never shows more."""
    watching = Exists(Watcher.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk))
    return permissions.visible_tickets(user, queryset).filter(Q(requester_id=user.pk) | Q(watching))


def _add_files(*, ticket: Ticket, by: Any, files: list, comment: Any = None) -> None:
    for upload in files:
        core_services.attachment_add(ticket=ticket, by=by, upload=upload, comment=comment)


def _show_errors(form: Any, exc: ApplicationError) -> None:
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Report a problem: an incident logged for oneself, with optional files."""
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        impact, urgency = form.impact_urgency()
        try:
            with transaction.atomic():
                incident = incident_services.incident_create(
                    by=request.user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    impact=impact,
                    urgency=urgency,
                    service=form.cleaned_data["service"],
                )
                _add_files(ticket=incident, by=request.user, files=form.cleaned_data["files"])
        except ApplicationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(
                request,
                _("Thank you. We have logged your problem as %(number)s.")
                % {"number": incident.number},
            )
            return redirect("portal:incident", pk=incident.pk)
    status = 400 if form.errors else 200
    return render(request, "portal/report.html", {"form": form}, status=status)


@login_required
@require_GET
def suggestions(request: HttpRequest) -> HttpResponse:
    """htmx: public known errors (and answers) matching what the user is typing."""
    text = request.GET.get("title", "")[:200].strip()
    errors: list = []
    answers: list = []
    if len(text) >= 3:
        errors = list(known_errors(request.user, text=text)[:SUGGESTION_LIMIT])
        answers = list(
            knowledge_selectors.articles(
                request.user, text=text, status=ArticleStatus.PUBLISHED
            ).filter(audience=Audience.PUBLIC)[:SUGGESTION_LIMIT]
        )
    context = {"known_errors": errors, "answers": answers, "text": text}
    return render(request, "portal/_suggestions.html", context)


def ticket_link(ticket: Ticket) -> str | None:
    """Where the portal shows this ticket, if it has a page for its practice."""
    name = {
        Practice.INCIDENT: "portal:incident",
        Practice.REQUEST: "portal:request-detail",
    }.get(ticket.practice)
    if name is None:
        return None
    try:
        return reverse(name, args=[ticket.pk])
    except NoReverseMatch:
        return None


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    """All tickets the user requested or watches, with status and what we aim for."""
    rows = selectors.first_rows(selectors.portal_tickets(request.user), limit=100)
    entries = [{"ticket": t, "url": ticket_link(t)} for t in rows.tickets]
    return render(request, "portal/tickets.html", {"entries": entries, "rows": rows})


def _portal_incident(request: HttpRequest, pk: int) -> Incident:
    queryset = portal_scope(request.user, Incident.objects.select_related("service", "requester"))
    return get_object_or_404(queryset, pk=pk)


def _incident_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    # The portal shows the public conversation only, whoever looks (agents included).
    comments = (
        permissions.visible_comments(request.user, incident.comments.all())
        .filter(internal=False)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    attachments = (
        incident.attachments.filter(internal=False)
        .exclude(comment__internal=True)
        .order_by("created_at", "pk")
    )
    allowed = set(core_services.available_transitions(incident, request.user))
    actions = {url: name in allowed for url, name in PORTAL_ACTIONS.items()}
    reason_form = ReasonForm(initial={"version": incident.version})
    reason_form.fields["reason"].label = (
        _("If it is not solved, what is still wrong?")
        if actions["reopen"]
        else _("If you want to cancel it, tell us why")
    )
    rating = SatisfactionRating.objects.filter(ticket_id=incident.pk).first()
    rating_initial = {"score": rating.score, "comment": rating.comment} if rating else None
    return {
        "can_rate": portal_services.can_rate(request.user, incident),
        "rating": rating,
        "rating_form": RatingForm(initial=rating_initial),
        "incident": incident,
        "comments": comments,
        "attachments": attachments,
        "actions": actions,
        "reply_form": ReplyForm(initial={"version": incident.version}),
        "reason_form": reason_form,
        "version_form": VersionForm(initial={"version": incident.version}),
    }


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One of my incidents: status, what we aim for, the public conversation and actions."""
    incident = _portal_incident(request, pk)
    return render(request, "portal/incident.html", _incident_context(request, incident))


def _stale(request: HttpRequest, incident: Incident, form: Any, exc: ApplicationError) -> Any:
    """Show the page again with the fresh ticket, keeping what the user typed."""
    incident = _portal_incident(request, incident.pk)
    context = _incident_context(request, incident)
    if isinstance(exc, StaleVersion):
        message = _(
            "This ticket changed while you were looking at it. Please check the latest "
            "updates below and try again."
        )
        status = 412
    else:
        message = exc.message
        status = 409 if exc.status_code in (409, 412) else 400
    if isinstance(form, ReplyForm):
        data = form.data.copy()
        data["version"] = incident.version
        context["reply_form"] = ReplyForm(data)
        context["reply_form"].is_valid()
    messages.error(request, message)
    return render(request, "portal/incident.html", context, status=status)


@login_required
@require_POST
def incident_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Reply to one's own incident, with optional files."""
    incident = _portal_incident(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _incident_context(request, incident)
        context["reply_form"] = form
        return render(request, "portal/incident.html", context, status=400)
    try:
        with transaction.atomic():
            locked = core_services.lock_ticket(incident)
            core_services.check_version(locked, form.cleaned_data["version"])
            comment = core_services.comment_add(
                ticket=locked, by=request.user, body=form.cleaned_data["body"]
            )
            _add_files(
                ticket=locked, by=request.user, files=form.cleaned_data["files"], comment=comment
            )
    except ApplicationError as exc:
        if isinstance(exc, StaleVersion):
            return _stale(request, incident, form, exc)
        context = _incident_context(request, incident)
        _show_errors(form, exc)
        context["reply_form"] = form
        return render(request, "portal/incident.html", context, status=400)
    messages.success(request, _("Your reply was sent."))
    return redirect("portal:incident", pk=incident.pk)


@login_required
@require_POST
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Confirm the resolution, reopen it with a reason, or cancel one's new incident."""
    if action not in PORTAL_ACTIONS:
        raise Http404
    incident = _portal_incident(request, pk)
    form = VersionForm(request.POST) if action == "confirm" else ReasonForm(request.POST)
    if not form.is_valid():
        context = _incident_context(request, incident)
        if action != "confirm":
            context["reason_form"] = form
        messages.error(request, _("Please tell us why."))
        return render(request, "portal/incident.html", context, status=400)
    version = form.cleaned_data["version"]
    try:
        if action == "confirm":
            incident_services.incident_close(
                incident=incident,
                by=request.user,
                expected_version=version,
                note=_("Confirmed by the requester."),
            )
            done = _("Thank you for confirming. The ticket is closed.")
        elif action == "reopen":
            incident_services.incident_reopen(
                incident=incident,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=version,
            )
            done = _("We have reopened your ticket and will look at it again.")
        else:
            incident_services.incident_cancel(
                incident=incident,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=version,
            )
            done = _("Your ticket is cancelled.")
    except ApplicationError as exc:
        return _stale(request, incident, form, exc)
    messages.success(request, done)
    return redirect("portal:incident", pk=incident.pk)


@login_required
@require_POST
def incident_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester rates how we handled a resolved incident (and may change it later)."""
    incident = _portal_incident(request, pk)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            portal_services.satisfaction_rate(
                ticket=incident,
                by=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("Thank you for your feedback."))
            return redirect("portal:incident", pk=incident.pk)
    context = _incident_context(request, incident)
    context["rating_form"] = form
    return render(request, "portal/incident.html", context, status=400)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A public file of a ticket the user may see in the portal; 404 for anything else."""
    tickets = portal_scope(request.user, Ticket.objects.all())
    attachment = get_object_or_404(
        Attachment.objects.filter(internal=False, ticket__in=tickets).exclude(
            comment__internal=True
        ),
        pk=pk,
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
