"""Portal pages of the practice: browse and order from the catalog, follow one's requests,
decide what awaits one's approval. Plain words, nothing internal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.core import services as core_services
from servicedesk.core.errors import ApplicationError, ValidationFailed

from . import permissions, selectors, services
from .choices import ApproverKind, TaskStatus
from .forms import CommentForm, ReasonForm, ReplyForm, RequiredCommentForm, answers_form_class
from .models import CatalogItem, ServiceRequest
from .views import (
    ANSWERS_PREFIX,
    PAGE_SIZE,
    apply_service_errors,
    error_text,
    run_request_transition,
    safe_next,
)

# What the requester or an approver may do from the portal.
PORTAL_TRANSITIONS = ("approve", "reject", "cancel", "close")


def _category_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """The catalog by category, with a search over names and descriptions."""
    search = request.GET.get("q", "")[:200]
    category = _category_id(request.GET.get("category"))
    items = list(selectors.catalog(request.user, search=search, category=category))
    groups: dict = {}
    for item in items:
        groups.setdefault(item.category, []).append(item)
    context = {
        "groups": groups,
        "search": search,
        "category": category,
        "categories": selectors.catalog_categories(),
        "found": len(items),
    }
    return render(request, "portal/catalog.html", context)


def approval_route_text(item: CatalogItem) -> list[str]:
    """Who approves an order of ``item``, step by step, in words."""
    steps = []
    for step in item.approval_steps.all():  # prefetched, with their teams
        if step.approver == ApproverKind.MANAGER:
            steps.append(_("your manager"))
        else:
            steps.append(_("the %(team)s team") % {"team": step.team.name})
    return steps


@login_required
def order(request: HttpRequest, pk: int) -> HttpResponse:
    """An item's page and its order form, generated from the item's form definition."""
    item = selectors.orderable_item(request.user, pk)
    form_class = answers_form_class(item)
    if request.method == "POST":
        form = form_class(request.POST, prefix=ANSWERS_PREFIX)
        if form.is_valid():
            try:
                service_request = services.request_create(
                    by=request.user, catalog_item=item, answers=form.answers_json()
                )
            except ValidationFailed as exc:
                apply_service_errors(exc, form, None)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Thank you: your request %(number)s was received.")
                    % {"number": service_request.number},
                )
                return redirect("portal:request-detail", pk=service_request.pk)
    else:
        form = form_class(prefix=ANSWERS_PREFIX)
    route = approval_route_text(item)
    context = {"item": item, "form": form, "route": _(", then ").join(route)}
    return render(request, "portal/catalog_item.html", context, status=400 if form.errors else 200)


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    """The requests the user ordered, newest first, with their status in plain words."""
    page = Paginator(selectors.my_requests(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/requests.html", {"page": page})


def _portal_request(request: HttpRequest, pk: int) -> ServiceRequest:
    """A request the user may see from the portal: theirs, one they watch or approve."""
    return selectors.request_for_page(request.user, pk)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request in plain words: its answers, approvals, progress and public conversation."""
    service_request = _portal_request(request, pk)
    user = request.user
    allowed = set(services.available_transitions(service_request, user))
    current = selectors.current_approval(service_request)
    tasks = list(service_request.tasks.all())
    context = {
        "sr": service_request,
        "answers": selectors.answers(service_request),
        "approvals": list(service_request.approvals.all()),
        "current_approval": current,
        "tasks": tasks,
        "tasks_done": sum(task.status == TaskStatus.DONE for task in tasks),
        "conversation": selectors.public_conversation(service_request),
        "can_decide": "approve" in allowed,
        "can_cancel": "cancel" in allowed,
        "can_close": "close" in allowed,
        "approve_form": CommentForm(prefix="approve"),
        "reject_form": RequiredCommentForm(prefix="reject"),
        "cancel_form": ReasonForm(prefix="cancel"),
        "reply_form": ReplyForm(),
    }
    return render(request, "portal/request_detail.html", context)


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Approve, reject, cancel or confirm (close) a request from the portal."""
    if name not in PORTAL_TRANSITIONS:
        raise Http404
    service_request = get_object_or_404(permissions.visible_requests(request.user), pk=pk)
    run_request_transition(request, service_request, name)
    return redirect(safe_next(request, reverse("portal:request-detail", args=[pk])))


@login_required
@require_POST
def request_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A public reply on a request the user can see; never an internal note from here."""
    service_request = get_object_or_404(permissions.visible_requests(request.user), pk=pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            core_services.comment_add(
                ticket=service_request, by=request.user, body=form.cleaned_data["body"]
            )
        except ApplicationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Your reply was sent."))
    else:
        messages.error(request, _("Write something first."))
    return redirect("portal:request-detail", pk=pk)


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """What awaits the user's decision, each with approve and reject forms."""
    waiting = list(selectors.awaiting_decision(request.user))
    context = {
        "approvals": waiting,
    }
    return render(request, "portal/approvals.html", context)
